#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "admin/doctor/report.h"
#include "support/errors.h"

void sspr_pass(struct sspr_report *r, const char *fmt, ...)
{
    va_list ap;

    (void)r;
    fputs("PASS  ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void sspr_warn(struct sspr_report *r, const char *fmt, ...)
{
    va_list ap;

    r->warns++;
    fputs("WARN  ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void sspr_fail(struct sspr_report *r, int code, const char *fmt, ...)
{
    const struct sspr_error *e = sspr_error_get(code);
    va_list ap;

    r->fails++;
    printf("FAIL  SSPR-E%03d ", code);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" \xe2\x80\x94 fix: %s\n", e != NULL ? e->fix : "see docs/troubleshooting.md");
}
