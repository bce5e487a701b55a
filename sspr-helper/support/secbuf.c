#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/secbuf.h"
#include "wipe.h"

void sspr_secbuf_add(struct sspr_secbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->max != 0 && (n >= b->max || b->len + n + 1 > b->max)) {
        b->failed = SSPR_SECBUF_TOOLONG;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        char *np;

        while (ncap < b->len + n + 1)
            ncap *= 2;
        /* No realloc: the old block may hold a code and must be wiped. */
        np = malloc(ncap);
        if (np == NULL) {
            b->failed = SSPR_SECBUF_NOMEM;
            return;
        }
        if (b->p != NULL) {
            memcpy(np, b->p, b->len);
            sspr_wipe(b->p, b->cap);
            free(b->p);
        }
        b->p = np;
        b->cap = ncap;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sspr_secbuf_str(struct sspr_secbuf *b, const char *s)
{
    sspr_secbuf_add(b, s, strlen(s));
}

void sspr_secbuf_fmt(struct sspr_secbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        b->failed = SSPR_SECBUF_TOOLONG;
    else
        sspr_secbuf_add(b, tmp, (size_t)n);
    SSPR_WIPE_ARRAY(tmp);
}

void sspr_secbuf_free(struct sspr_secbuf *b)
{
    size_t max = b->max;

    if (b->p != NULL) {
        sspr_wipe(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof(*b));
    b->max = max;
}
