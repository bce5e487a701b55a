/*
 * The doctor's lines. Piped (tests, scripts, `| grep`), each check is one
 * line. On a terminal a long line is wrapped at spaces to the terminal's
 * width, the continuation lines indented to where the text starts (after
 * "PASS  ", or after "FAIL  SSPR-E102 "), so no word is cut in two.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "admin/doctor/report.h"
#include "support/errors.h"

#define FALLBACK_WIDTH 80
#define MIN_TEXT_WIDTH 20 /* narrower than this after the indent: do not wrap */

/* 0 when stdout is not a terminal (no wrapping), else its width. */
static int out_width(void)
{
    static int width = -1;
    struct winsize ws;

    if (width >= 0)
        return width;
    if (!isatty(STDOUT_FILENO))
        width = 0;
    else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        width = ws.ws_col;
    else
        width = FALLBACK_WIDTH;
    return width;
}

/* Columns of n bytes of UTF-8 (one per character). */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            c++;
    return c;
}

/* prefix and text as one line, or wrapped at spaces to width with the
 * continuation lines indented by the prefix's width. */
static void emit(const char *prefix, const char *text, int width)
{
    size_t indent = columns(prefix, strlen(prefix)), col;
    const char *p = text;

    fputs(prefix, stdout);
    if (width <= 0 || (size_t)width < indent + MIN_TEXT_WIDTH ||
        indent + columns(text, strlen(text)) <= (size_t)width) {
        fputs(text, stdout);
        fputc('\n', stdout);
        return;
    }
    col = indent;
    while (*p != '\0') {
        size_t spaces = strspn(p, " "), len, wcols;

        p += spaces;
        if (*p == '\0')
            break;
        len = strcspn(p, " ");
        wcols = columns(p, len);
        if (col > indent && col + 1 + wcols > (size_t)width) {
            /* a word that does not fit goes to the next line (a word longer
             * than a whole line stays whole: the terminal folds it) */
            printf("\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', stdout);
            col++;
        }
        fwrite(p, 1, len, stdout);
        col += wcols;
        p += len;
    }
    fputc('\n', stdout);
}

/* fmt and ap, formatted into a new string (NULL without memory). */
static char *format(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *format(const char *fmt, va_list ap)
{
    va_list copy;
    char *s;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return NULL;
    (void)vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static void line(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void line(const char *prefix, const char *fmt, va_list ap)
{
    char *text = format(fmt, ap);

    emit(prefix, text != NULL ? text : "(out of memory)", out_width());
    free(text);
}

void sspr_pass(struct sspr_report *r, const char *fmt, ...)
{
    va_list ap;

    (void)r;
    va_start(ap, fmt);
    line("PASS  ", fmt, ap);
    va_end(ap);
}

void sspr_warn(struct sspr_report *r, const char *fmt, ...)
{
    va_list ap;

    r->warns++;
    va_start(ap, fmt);
    line("WARN  ", fmt, ap);
    va_end(ap);
}

static void fail(struct sspr_report *r, int code, const char *fix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void fail(struct sspr_report *r, int code, const char *fix, const char *fmt, va_list ap)
{
    const struct sspr_error *e = sspr_error_get(code);
    char prefix[32], *what = format(fmt, ap), *text = NULL;
    size_t n;

    r->fails++;
    if (fix == NULL)
        fix = e != NULL ? e->fix : "see docs/troubleshooting.md";
    snprintf(prefix, sizeof(prefix), "FAIL  SSPR-E%03d ", code);
    if (what != NULL) {
        n = strlen(what) + strlen(fix) + 16;
        if ((text = malloc(n)) != NULL)
            snprintf(text, n, "%s \xe2\x80\x94 fix: %s", what, fix);
    }
    emit(prefix, text != NULL ? text : "(out of memory)", out_width());
    free(text);
    free(what);
}

void sspr_fail(struct sspr_report *r, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fail(r, code, NULL, fmt, ap);
    va_end(ap);
}

void sspr_fail_fix(struct sspr_report *r, int code, const char *fix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fail(r, code, fix, fmt, ap);
    va_end(ap);
}
