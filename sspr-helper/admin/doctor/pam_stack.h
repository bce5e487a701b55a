/*
 * A reader of PAM service files the way libpam reads them, for doctor:
 * the lines of one management group with include, substack and @include
 * followed, continuation lines joined, bracketed controls kept whole; and
 * where a jump lands. It reads files an administrator wrote, so it is
 * fuzzed (fuzz/fuzz_pam_stack.c).
 */
#ifndef SSPR_PAM_STACK_H
#define SSPR_PAM_STACK_H

#include <stddef.h>

#define PAM_MAX_ENTRIES 256
#define PAM_MAX_DEPTH 8
#define PAM_MAX_FILES 64 /* files opened for one stack: includes can fan out */

struct sspr_pam_entry {
    int level;         /* 0, or deeper inside a substack */
    char control[256]; /* "required", or "[success=1 default=ignore]" */
    char module[128];  /* basename: "pam_unix.so" */
    char args[512];
    char file[64]; /* the file it came from, for messages */
    int line;
};

struct sspr_pam_stack {
    struct sspr_pam_entry e[PAM_MAX_ENTRIES];
    int n;
    int missing;   /* the service file itself does not exist */
    int opened;    /* files opened so far (PAM_MAX_FILES) */
    char err[256]; /* a parse problem (include loop, too long...) */
};

/* Parse dir/service keeping the lines of `type` ("auth", "account"...).
 * st must be zeroed first; st->missing says the file does not exist,
 * st->err a problem (include loop, too many lines, unreadable include). */
void sspr_pam_stack_parse(const char *dir, const char *service, const char *type,
                          struct sspr_pam_stack *st);

/* The action of entry e for PAM result `what` ("success", "default"...):
 * "ok", "done", "ignore", "bad", "die", "reset" or a number, into buf. */
void sspr_pam_action(const struct sspr_pam_entry *e, const char *what, char *buf, size_t len);

/* Where a jump of n from entry i lands, the way libpam counts (a whole
 * substack counts as one line; a jump never leaves its own substack). */
int sspr_pam_jump(const struct sspr_pam_stack *st, int i, int n);

/* 1 for a kiosk line (kiosk_user=). */
int sspr_pam_is_kiosk_line(const struct sspr_pam_entry *e);

enum sspr_doctor_stack {
    SSPR_DOCTOR_STACK_OK = 0,
    SSPR_DOCTOR_STACK_WARN,    /* works, but unusual (why says) */
    SSPR_DOCTOR_STACK_BAD,     /* wrong order or jumps (SSPR-E107) */
    SSPR_DOCTOR_STACK_ABSENT,  /* no pam_sspr.so auth line */
    SSPR_DOCTOR_STACK_MISSING, /* no such service file */
};

/* Is pam_sspr.so placed right in service's auth stack? why says what was
 * found. Returns an enum sspr_doctor_stack. */
int sspr_doctor_auth_stack(const char *pamdir, const char *service, char *why, size_t whylen);

#endif
