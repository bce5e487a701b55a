/* The doctor's report: one PASS / WARN / FAIL line per check, every FAIL
 * with its SSPR-Exxx code and the fix from the error table
 * (support/errors.c, docs/troubleshooting.md), or one that fits this
 * installation better. Backends add their own checks through the same
 * calls. On a terminal long lines are wrapped at spaces (report.c); piped,
 * a check is always one line. */
#ifndef SSPR_REPORT_H
#define SSPR_REPORT_H

#include <stddef.h>
#include <sys/stat.h>

struct sspr_report {
    int fails;
    int warns;
};

void sspr_pass(struct sspr_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sspr_warn(struct sspr_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "FAIL  SSPR-E102 <check>: <what> -- fix: <fix>" */
void sspr_fail(struct sspr_report *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a fix for this situation instead of the table's (NULL:
 * the table's). */
void sspr_fail_fix(struct sspr_report *r, int code, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* paths.c: owner root and not group/world writable (NULL when fine, else
 * why); every directory above path likewise (0, or -1 with bad/why). */
const char *sspr_doctor_unsafe_stat(const struct stat *sb);
int sspr_doctor_parents_safe(const char *path, char *bad, size_t badlen, const char **why);
void sspr_doctor_mode_str(mode_t m, char *buf, size_t len);

#endif
