#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/doctor/checks.h"
#include "admin/doctor/pam_stack.h"
#include "support/text.h"

static void stack_err(struct sspr_pam_stack *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stack_err(struct sspr_pam_stack *st, const char *fmt, ...)
{
    va_list ap;

    if (st->err[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(st->err, sizeof(st->err), fmt, ap);
    va_end(ap);
}

/* Next whitespace-separated token of *p; a token starting with '[' runs to
 * the matching ']' (PAM's bracketed control). NULL at the end. */
static char *next_token(char **p)
{
    char *s = *p, *start;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0') {
        *p = s;
        return NULL;
    }
    start = s;
    if (*s == '[') {
        while (*s != '\0' && *s != ']')
            s++;
        if (*s == ']')
            s++;
    } else {
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
    }
    if (*s != '\0')
        *s++ = '\0';
    *p = s;
    return start;
}

static int parse_pam_file(const char *dir, const char *name, const char *type, int level, int depth,
                          struct sspr_pam_stack *st);

/* One logical line of a PAM file. */
static void parse_pam_line(const char *dir, const char *fname, int lineno, char *line,
                           const char *type, int level, int depth, struct sspr_pam_stack *st)
{
    char *p = line, *tok, *control, *module;
    char *hash = strchr(line, '#');

    if (hash != NULL)
        *hash = '\0';
    tok = next_token(&p);
    if (tok == NULL)
        return;
    if (strcmp(tok, "@include") == 0) {
        char *inc = next_token(&p);

        if (inc != NULL)
            (void)parse_pam_file(dir, inc, type, level, depth + 1, st);
        return;
    }
    if (tok[0] == '-')
        tok++;
    if (strcasecmp(tok, type) != 0)
        return;
    control = next_token(&p);
    module = next_token(&p);
    if (control == NULL || module == NULL)
        return;
    if (strcmp(control, "include") == 0 || strcmp(control, "substack") == 0) {
        (void)parse_pam_file(dir, module, type, level + (control[0] == 's'), depth + 1, st);
        return;
    }
    if (st->n >= PAM_MAX_ENTRIES) {
        stack_err(st, "more than %d lines", PAM_MAX_ENTRIES);
        return;
    }
    struct sspr_pam_entry *e = &st->e[st->n++];
    const char *base = strrchr(module, '/');

    e->level = level;
    snprintf(e->control, sizeof(e->control), "%s", control);
    snprintf(e->module, sizeof(e->module), "%s", base != NULL ? base + 1 : module);
    snprintf(e->args, sizeof(e->args), "%s", sspr_trim(p));
    snprintf(e->file, sizeof(e->file), "%s", fname);
    e->line = lineno;
}

/* Parse dir/name, keeping the lines of `type` (include / substack / @include
 * followed). Returns 0, or -1 when the file cannot be opened. */
static int parse_pam_file(const char *dir, const char *name, const char *type, int level, int depth,
                          struct sspr_pam_stack *st)
{
    char path[PATH_MAX], buf[4096], logical[8192];
    FILE *f;
    int lineno = 0, start = 0;
    size_t used = 0;

    /* Once something is wrong the answer is known: stop, rather than
     * follow every branch of includes that fan out (2^depth files). */
    if (st->err[0] != '\0')
        return -1;
    if (depth > PAM_MAX_DEPTH) {
        stack_err(st, "includes nested deeper than %d (a loop?) at %s", PAM_MAX_DEPTH, name);
        return -1;
    }
    if (++st->opened > PAM_MAX_FILES) {
        stack_err(st, "more than %d files included (at %s)", PAM_MAX_FILES, name);
        return -1;
    }
    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "re");
    if (f == NULL) {
        if (depth == 0)
            st->missing = 1;
        else
            stack_err(st, "%s (included) cannot be read: %s", path, strerror(errno));
        return -1;
    }
    logical[0] = '\0';
    while (fgets(buf, sizeof(buf), f) != NULL) {
        size_t n = strlen(buf);
        int cont;

        lineno++;
        if (used == 0)
            start = lineno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        cont = n > 0 && buf[n - 1] == '\\';
        if (cont)
            buf[--n] = ' ';
        if (used + n + 1 < sizeof(logical)) {
            memcpy(logical + used, buf, n + 1);
            used += n;
        }
        if (cont)
            continue;
        parse_pam_line(dir, name, start, logical, type, level, depth, st);
        used = 0;
        logical[0] = '\0';
    }
    if (used > 0)
        parse_pam_line(dir, name, start, logical, type, level, depth, st);
    fclose(f);
    return 0;
}

/* The action of entry e for PAM result `what` ("success", "default"...):
 * "ok", "done", "ignore", "bad", "die", "reset" or a number, into buf. */
void sspr_pam_action(const struct sspr_pam_entry *e, const char *what, char *buf, size_t len)
{
    static const struct {
        const char *word, *success, *dflt;
    } simple[] = {
        { "required", "ok", "bad" },
        { "requisite", "ok", "die" },
        { "sufficient", "done", "ignore" },
        { "optional", "ok", "ignore" },
    };
    char ctl[sizeof(e->control)];
    char *save = NULL, *tok;
    const char *dflt = "bad";

    if (e->control[0] != '[') {
        for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
            if (strcmp(e->control, simple[i].word) == 0) {
                snprintf(buf, len, "%s",
                         strcmp(what, "success") == 0 ? simple[i].success : simple[i].dflt);
                return;
            }
        }
        snprintf(buf, len, "bad");
        return;
    }
    snprintf(ctl, sizeof(ctl), "%s", e->control + 1);
    ctl[strcspn(ctl, "]")] = '\0';
    for (tok = strtok_r(ctl, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');

        if (eq == NULL)
            continue;
        *eq = '\0';
        if (strcmp(tok, what) == 0) {
            snprintf(buf, len, "%s", eq + 1);
            return;
        }
        if (strcmp(tok, "default") == 0)
            dflt = eq + 1;
    }
    snprintf(buf, len, "%s", dflt);
}

/* Where a jump of n from entry i lands, the way libpam counts (a whole
 * substack counts as one line; a jump never leaves its own substack).
 * Returns the index of the next module run, or st->n (or the index of the
 * first line after the substack) when it jumps off the end. */
int sspr_pam_jump(const struct sspr_pam_stack *st, int i, int n)
{
    int level = st->e[i].level, h = i;

    while (h + 1 < st->n && st->e[h + 1].level >= level && n > 0) {
        do
            h++;
        while (h + 1 < st->n && st->e[h + 1].level > level);
        n--;
    }
    return h + 1;
}

static int is_number(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int sspr_pam_is_kiosk_line(const struct sspr_pam_entry *e)
{
    return strstr(e->args, "kiosk_user=") != NULL;
}

int sspr_doctor_auth_stack(const char *pamdir, const char *service, char *why, size_t whylen)
{
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int s = -1, u = -1, d = -1, rc, via_faillock = 0;
    char act[64];

    snprintf(why, whylen, "%s", "");
    if (st == NULL) {
        snprintf(why, whylen, "out of memory");
        return SSPR_DOCTOR_STACK_BAD;
    }
    sspr_pam_stack_parse(pamdir, service, "auth", st);
    if (st->missing) {
        rc = SSPR_DOCTOR_STACK_MISSING;
        goto out;
    }
    if (st->err[0] != '\0') {
        snprintf(why, whylen, "%s", st->err);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    for (int i = 0; i < st->n; i++) {
        if (strcmp(st->e[i].module, "pam_sspr.so") == 0 && !sspr_pam_is_kiosk_line(&st->e[i])) {
            s = i;
            break;
        }
    }
    if (s < 0) {
        rc = SSPR_DOCTOR_STACK_ABSENT;
        goto out;
    }
    for (int i = 0; i < st->n; i++) {
        if (strcmp(st->e[i].module, "pam_unix.so") == 0) {
            u = i;
            break;
        }
    }
    if (u < 0) {
        snprintf(why, whylen, "pam_sspr.so (%s line %d) but no pam_unix.so in the auth stack",
                 st->e[s].file, st->e[s].line);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    if (u > s) {
        snprintf(why, whylen, "pam_sspr.so (%s line %d) comes before pam_unix.so (%s line %d)",
                 st->e[s].file, st->e[s].line, st->e[u].file, st->e[u].line);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    if (st->e[u].level != st->e[s].level) {
        snprintf(why, whylen, "pam_unix.so and pam_sspr.so are in different substacks");
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    for (int i = s + 1; i < st->n && st->e[i].level >= st->e[s].level; i++) {
        if (st->e[i].level == st->e[s].level && strcmp(st->e[i].module, "pam_deny.so") == 0) {
            d = i;
            break;
        }
    }
    /* A good password must never reach pam_sspr.so: pam_unix's success must
     * end the stack (done) or jump over pam_sspr and pam_deny. */
    sspr_pam_action(&st->e[u], "success", act, sizeof(act));
    if (is_number(act)) {
        int n = atoi(act);
        int t = sspr_pam_jump(st, u, n);
        int want = 0;

        if (d < 0) {
            snprintf(why, whylen,
                     "no pam_deny.so after pam_sspr.so (%s line %d): a wrong "
                     "password and a declined reset would not be refused",
                     st->e[s].file, st->e[s].line);
            rc = SSPR_DOCTOR_STACK_BAD;
            goto out;
        }
        while (want < PAM_MAX_ENTRIES && sspr_pam_jump(st, u, want) <= d)
            want++;
        /* pam_faillock's stack: a good password goes past pam_sspr.so to
         * `sufficient pam_faillock.so authsucc` (it clears the tally), which
         * ends the stack before pam_deny.so */
        if (t > s && t < d && strcmp(st->e[t].module, "pam_faillock.so") == 0 &&
            strstr(st->e[t].args, "authsucc") != NULL) {
            sspr_pam_action(&st->e[t], "success", act, sizeof(act));
            via_faillock = strcmp(act, "done") == 0;
        }
        if (!via_faillock && t <= d) {
            snprintf(why, whylen,
                     "pam_unix.so success=%d (%s line %d) lands on %s, %s pam_sspr.so "
                     "and pam_deny.so: it must be success=%d",
                     n, st->e[u].file, st->e[u].line, t < st->n ? st->e[t].module : "the end",
                     t <= s ? "not past" : "not past both", want);
            rc = SSPR_DOCTOR_STACK_BAD;
            goto out;
        }
        if (!via_faillock && t < st->n && strcmp(st->e[t].module, "pam_permit.so") != 0) {
            snprintf(why, whylen,
                     "pam_unix.so success=%d lands on %s (%s line %d), not on "
                     "pam_permit.so",
                     n, st->e[t].module, st->e[t].file, st->e[t].line);
            rc = SSPR_DOCTOR_STACK_WARN;
            goto out;
        }
    } else if (strcmp(act, "done") != 0) {
        snprintf(why, whylen,
                 "pam_unix.so (%s line %d) does not jump on success (%s): a correct password "
                 "would reach pam_sspr.so",
                 st->e[u].file, st->e[u].line, st->e[u].control);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    } else if (d < 0) {
        snprintf(why, whylen, "no pam_deny.so after pam_sspr.so (%s line %d)", st->e[s].file,
                 st->e[s].line);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    /* pam_sspr.so failing must fall through to pam_deny. */
    sspr_pam_action(&st->e[s], "default", act, sizeof(act));
    if (strcmp(act, "ok") == 0 || strcmp(act, "done") == 0 || is_number(act)) {
        snprintf(why, whylen,
                 "pam_sspr.so (%s line %d) has default=%s: its failures must "
                 "fall through to pam_deny.so (default=ignore)",
                 st->e[s].file, st->e[s].line, act);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    snprintf(why, whylen, "pam_sspr.so after pam_unix.so (%s line %d), %sjumps correct",
             st->e[s].file, st->e[s].line,
             via_faillock ? "a good password goes on to pam_faillock.so authsucc, " : "");
    rc = SSPR_DOCTOR_STACK_OK;
out:
    free(st);
    return rc;
}

/* 1 when the `type` stack of service has a pam_sspr.so line (kiosk lines
 * only when kiosk_too), 0 when not, -1 when the file is missing. */
static int stack_find_sspr(const char *service, const char *type, int kiosk_too, char *perm_denied,
                           size_t len)
{
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int found = 0;

    if (st == NULL)
        return 0;
    sspr_pam_stack_parse(SSPR_DOCTOR_PAM_DIR, service, type, st);
    if (st->missing)
        found = -1;
    for (int i = 0; i < st->n && found == 0; i++) {
        if (strcmp(st->e[i].module, "pam_sspr.so") == 0 &&
            (kiosk_too || !sspr_pam_is_kiosk_line(&st->e[i]))) {
            found = 1;
            if (perm_denied != NULL)
                sspr_pam_action(&st->e[i], "perm_denied", perm_denied, len);
        }
    }
    free(st);
    return found;
}

int sspr_doctor_stack_has_sspr(const char *service, const char *type, char *perm_denied, size_t len)
{
    return stack_find_sspr(service, type, 0, perm_denied, len);
}

int sspr_doctor_stack_runs_reset(const char *service)
{
    return stack_find_sspr(service, "auth", 1, NULL, 0) == 1;
}

void sspr_pam_stack_parse(const char *dir, const char *service, const char *type,
                          struct sspr_pam_stack *st)
{
    (void)parse_pam_file(dir, service, type, 0, 0, st);
}
