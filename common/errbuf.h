/* Filling a caller's error buffer (err, errlen) the same way everywhere. */
#ifndef SSPR_ERRBUF_H
#define SSPR_ERRBUF_H

#include <stddef.h>

/* printf into err (NUL-terminated, truncated to errlen); err may be NULL
 * or errlen 0, then nothing is written. */
void sspr_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
