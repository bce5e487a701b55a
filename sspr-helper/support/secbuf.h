/* A growing text buffer for messages that hold secrets (a code in a mail
 * body): it never reallocs, it wipes every block it lets go. */
#ifndef SSPR_SECBUF_H
#define SSPR_SECBUF_H

#include <stddef.h>

enum { SSPR_SECBUF_NOMEM = 1, SSPR_SECBUF_TOOLONG = 2 };

struct sspr_secbuf {
    char *p;        /* NUL-terminated once anything was added */
    size_t len, cap;
    size_t max;     /* 0: no limit; else len may not reach it */
    int failed;     /* 0, or why the buffer stopped taking text */
};

/* Append n bytes (no-op once failed). */
void sspr_secbuf_add(struct sspr_secbuf *b, const char *s, size_t n);
void sspr_secbuf_str(struct sspr_secbuf *b, const char *s);
/* Append printf output of at most 511 bytes (longer marks it failed). */
void sspr_secbuf_fmt(struct sspr_secbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Wipe and free; the buffer is empty again (max is kept). */
void sspr_secbuf_free(struct sspr_secbuf *b);

#endif
