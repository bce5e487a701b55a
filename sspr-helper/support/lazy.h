/*
 * Libraries that only some steps need, loaded when a step first needs them
 * (the idea of systemd's dlopen_many_sym_or_warn): PAM for the writeback,
 * liboath for a TOTP check, libqrencode for enrolment. The reset's first
 * prompt then waits for the loader to map five libraries instead of eleven.
 * The names are fixed sonames, found through ld.so.cache as DT_NEEDED ones
 * are; the helper's environment is its own (no LD_LIBRARY_PATH).
 */
#ifndef SSPR_SUPPORT_LAZY_H
#define SSPR_SUPPORT_LAZY_H

#include <stddef.h>

/* One library and the functions taken from it. `slots[i]` points at a
 * function pointer that receives `names[i]`. Loaded once: a failure is
 * logged once and remembered. */
struct sspr_lazy {
    const char *soname;
    const char *const *names;
    void *const *slots; /* each really a pointer to a function pointer */
    size_t n;
    int state;          /* 0 not tried, 1 loaded, -1 failed */
};

/* 1 when every function is there, 0 when the library or one name is
 * missing (logged at LOG_ERR, with dlerror()). */
int sspr_lazy_ready(struct sspr_lazy *lib);

#endif
