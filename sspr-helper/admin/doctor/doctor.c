/*
 * `sspr-helper doctor [USER]`: walk the checks an administrator would make,
 * one PASS / WARN / FAIL line each, every FAIL with its SSPR-Exxx code and
 * the fix from the error table (errors.c, docs/troubleshooting.md).
 *
 * It reads the real system: /etc/pam.d, /etc/ssh, the installed helper,
 * the state directory. No environment variable moves any of it (the tests
 * run it in a throwaway root sandbox instead).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/account.h"
#include "backends/backend.h"
#include "admin/doctor/doctor.h"
#include "support/errors.h"
#include "support/url.h"
#include "policy/policy.h"
#include "support/safe_open.h"
#include "state/throttle.h"
#include "username.h"

#ifndef SSPR_HELPER_PATH
#define SSPR_HELPER_PATH "/usr/sbin/sspr-helper"
#endif

#define PAM_DIR "/etc/pam.d"
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_BINARY "/usr/sbin/sshd"
#define CONNECT_TIMEOUT_MS 5000
#define BANNED_MAX_BYTES (16 * 1024 * 1024)

/* ---- the report ------------------------------------------------------------- */

struct report {
    int fails;
    int warns;
};

static void pass(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct report *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pass(struct report *r, const char *fmt, ...)
{
    va_list ap;

    (void)r;
    fputs("PASS  ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

static void warn(struct report *r, const char *fmt, ...)
{
    va_list ap;

    r->warns++;
    fputs("WARN  ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

/* "FAIL  SSPR-E102 <check>: <what> — fix: <fix>" */
static void fail(struct report *r, int code, const char *fmt, ...)
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

/* ---- small helpers -------------------------------------------------------------- */

static void mode_str(mode_t m, char *buf, size_t len)
{
    snprintf(buf, len, "%04o", (unsigned)(m & 07777));
}

/* Owner root, not group/world writable (a sticky directory does not make a
 * writable one safe here). Returns NULL when fine, else why. */
static const char *unsafe_stat(const struct stat *sb)
{
    if (sb->st_uid != 0)
        return "not owned by root";
    if (sb->st_mode & S_IWGRP)
        return "group-writable";
    if (sb->st_mode & S_IWOTH)
        return "world-writable";
    return NULL;
}

/* Every directory above path (not path itself): root-owned, not writable by
 * group or others. Returns 0, or -1 with bad/why set. */
static int parents_safe(const char *path, char *bad, size_t badlen, const char **why)
{
    char buf[PATH_MAX];
    struct stat sb;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        *why = "path too long";
        snprintf(bad, badlen, "%s", path);
        return -1;
    }
    for (;;) {
        char *slash = strrchr(buf, '/');

        if (slash == NULL)
            return 0;
        if (slash == buf)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(buf, &sb) != 0) {
            *why = "cannot be examined";
            snprintf(bad, badlen, "%s", buf);
            return -1;
        }
        if ((*why = unsafe_stat(&sb)) != NULL) {
            snprintf(bad, badlen, "%s", buf);
            return -1;
        }
        if (strcmp(buf, "/") == 0)
            return 0;
    }
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* ---- PAM stacks ----------------------------------------------------------------- */

#define PAM_MAX_ENTRIES 256
#define PAM_MAX_DEPTH 8

struct pam_entry {
    int level;              /* 0, or deeper inside a substack */
    char control[256];      /* "required", or "[success=1 default=ignore]" */
    char module[128];       /* basename: "pam_unix.so" */
    char args[512];
    char file[64];          /* the file it came from, for messages */
    int line;
};

struct pam_stack {
    struct pam_entry e[PAM_MAX_ENTRIES];
    int n;
    int missing;            /* the service file itself does not exist */
    char err[256];          /* a parse problem (include loop, too long...) */
};

static void stack_err(struct pam_stack *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stack_err(struct pam_stack *st, const char *fmt, ...)
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

static int parse_pam_file(const char *dir, const char *name, const char *type, int level,
                          int depth, struct pam_stack *st);

/* One logical line of a PAM file. */
static void parse_pam_line(const char *dir, const char *fname, int lineno, char *line,
                           const char *type, int level, int depth, struct pam_stack *st)
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
    struct pam_entry *e = &st->e[st->n++];
    const char *base = strrchr(module, '/');

    e->level = level;
    snprintf(e->control, sizeof(e->control), "%s", control);
    snprintf(e->module, sizeof(e->module), "%s", base != NULL ? base + 1 : module);
    snprintf(e->args, sizeof(e->args), "%s", trim(p));
    snprintf(e->file, sizeof(e->file), "%s", fname);
    e->line = lineno;
}

/* Parse dir/name, keeping the lines of `type` (include / substack / @include
 * followed). Returns 0, or -1 when the file cannot be opened. */
static int parse_pam_file(const char *dir, const char *name, const char *type, int level,
                          int depth, struct pam_stack *st)
{
    char path[PATH_MAX], buf[4096], logical[8192];
    FILE *f;
    int lineno = 0, start = 0;
    size_t used = 0;

    if (depth > PAM_MAX_DEPTH) {
        stack_err(st, "includes nested deeper than %d (a loop?) at %s", PAM_MAX_DEPTH, name);
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
static void pam_action(const struct pam_entry *e, const char *what, char *buf, size_t len)
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
static int pam_jump(const struct pam_stack *st, int i, int n)
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

static int is_kiosk_line(const struct pam_entry *e)
{
    return strstr(e->args, "kiosk_user=") != NULL;
}

int sspr_doctor_auth_stack(const char *pamdir, const char *service, char *why, size_t whylen)
{
    struct pam_stack *st = calloc(1, sizeof(*st));
    int s = -1, u = -1, d = -1, rc;
    char act[64];

    snprintf(why, whylen, "%s", "");
    if (st == NULL) {
        snprintf(why, whylen, "out of memory");
        return SSPR_DOCTOR_STACK_BAD;
    }
    parse_pam_file(pamdir, service, "auth", 0, 0, st);
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
        if (strcmp(st->e[i].module, "pam_sspr.so") == 0 && !is_kiosk_line(&st->e[i])) {
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
    pam_action(&st->e[u], "success", act, sizeof(act));
    if (is_number(act)) {
        int n = atoi(act);
        int t = pam_jump(st, u, n);
        int want = 0;

        if (d < 0) {
            snprintf(why, whylen, "no pam_deny.so after pam_sspr.so (%s line %d): a wrong "
                     "password and a declined reset would not be refused",
                     st->e[s].file, st->e[s].line);
            rc = SSPR_DOCTOR_STACK_BAD;
            goto out;
        }
        while (want < PAM_MAX_ENTRIES && pam_jump(st, u, want) <= d)
            want++;
        if (t <= d) {
            snprintf(why, whylen,
                     "pam_unix.so success=%d (%s line %d) lands on %s, %s pam_sspr.so "
                     "and pam_deny.so: it must be success=%d",
                     n, st->e[u].file, st->e[u].line, t < st->n ? st->e[t].module : "the end",
                     t <= s ? "not past" : "not past both", want);
            rc = SSPR_DOCTOR_STACK_BAD;
            goto out;
        }
        if (t < st->n && strcmp(st->e[t].module, "pam_permit.so") != 0) {
            snprintf(why, whylen, "pam_unix.so success=%d lands on %s (%s line %d), not on "
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
        snprintf(why, whylen, "no pam_deny.so after pam_sspr.so (%s line %d)",
                 st->e[s].file, st->e[s].line);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    /* pam_sspr.so failing must fall through to pam_deny. */
    pam_action(&st->e[s], "default", act, sizeof(act));
    if (strcmp(act, "ok") == 0 || strcmp(act, "done") == 0 || is_number(act)) {
        snprintf(why, whylen, "pam_sspr.so (%s line %d) has default=%s: its failures must "
                 "fall through to pam_deny.so (default=ignore)",
                 st->e[s].file, st->e[s].line, act);
        rc = SSPR_DOCTOR_STACK_BAD;
        goto out;
    }
    snprintf(why, whylen, "pam_sspr.so after pam_unix.so (%s line %d), jumps correct",
             st->e[s].file, st->e[s].line);
    rc = SSPR_DOCTOR_STACK_OK;
out:
    free(st);
    return rc;
}

/* 1 when the `type` stack of service names pam_sspr.so (0 when not, -1
 * when the file is missing). perm_denied (may be NULL) gets the action of
 * that line for PAM_PERM_DENIED. */
static int stack_has_sspr(const char *service, const char *type, char *perm_denied, size_t len)
{
    struct pam_stack *st = calloc(1, sizeof(*st));
    int found = 0;

    if (st == NULL)
        return 0;
    parse_pam_file(PAM_DIR, service, type, 0, 0, st);
    if (st->missing)
        found = -1;
    for (int i = 0; i < st->n && found == 0; i++) {
        if (strcmp(st->e[i].module, "pam_sspr.so") == 0 && !is_kiosk_line(&st->e[i])) {
            found = 1;
            if (perm_denied != NULL)
                pam_action(&st->e[i], "perm_denied", perm_denied, len);
        }
    }
    free(st);
    return found;
}

static const char *const module_dirs[] = {
    "/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
    "/lib/aarch64-linux-gnu/security", "/usr/lib/aarch64-linux-gnu/security",
    "/lib64/security", "/usr/lib64/security", "/lib/security", "/usr/lib/security",
};

/* Registration at sign-in needs an account line; `require` needs one whose
 * PAM_PERM_DENIED counts (optional lines never fail a login). */
static void check_account_line(struct report *r, const struct sspr_config *cfg, const char *svc)
{
    char act[64] = "";
    int has;

    if (cfg->register_at_login == SSPR_REG_OFF)
        return;
    has = stack_has_sspr(svc, "account", act, sizeof(act));
    if (has == 0) {
        warn(r, "PAM service %s: no account line for pam_sspr.so, so registration at sign-in "
                "(register_at_login = %s) does not happen there",
             svc, cfg->register_at_login == SSPR_REG_REQUIRE ? "require" : "offer");
    } else if (has == 1 && cfg->register_at_login == SSPR_REG_REQUIRE &&
               strcmp(act, "die") != 0 && strcmp(act, "bad") != 0) {
        warn(r, "PAM service %s: register_at_login = require, but the account line of "
                "pam_sspr.so ignores its refusal (use [success=ok perm_denied=die "
                "default=ignore])", svc);
    }
}

static void check_pam_stacks(struct report *r, const struct sspr_config *cfg)
{
    static const struct {
        const char *service;
        int optional;   /* only checked when present */
    } services[] = {
        { "login", 0 },
        { "sshd", 1 },
        { "gdm-password", 1 },
        { "lightdm", 1 },
        { "sddm", 1 },
    };
    int with = 0, checked = 0, module_found = 0;
    char why[512];

    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        const char *svc = services[i].service;
        int rc = sspr_doctor_auth_stack(PAM_DIR, svc, why, sizeof(why));

        switch (rc) {
        case SSPR_DOCTOR_STACK_MISSING:
            if (!services[i].optional)
                warn(r, "PAM service %s: %s/%s does not exist", svc, PAM_DIR, svc);
            continue;
        case SSPR_DOCTOR_STACK_ABSENT:
            checked++;
            warn(r, "PAM service %s: pam_sspr.so is not in its auth stack (no reset offered "
                    "there)", svc);
            continue;
        case SSPR_DOCTOR_STACK_OK:
            checked++;
            with++;
            pass(r, "PAM service %s: %s", svc, why);
            break;
        case SSPR_DOCTOR_STACK_WARN:
            checked++;
            with++;
            warn(r, "PAM service %s: %s", svc, why);
            break;
        default:
            checked++;
            with++;
            fail(r, SSPR_E_PAM_STACK, "PAM service %s: %s", svc, why);
            continue;
        }
        check_account_line(r, cfg, svc);
    }
    if (checked > 0 && with == 0)
        fail(r, SSPR_E_PAM_STACK, "PAM stacks: pam_sspr.so is in none of the auth stacks "
                                  "checked (login, sshd, greeters)");
    if (with == 0)
        return;
    for (size_t i = 0; i < sizeof(module_dirs) / sizeof(module_dirs[0]); i++) {
        char path[PATH_MAX];
        struct stat sb;

        snprintf(path, sizeof(path), "%s/pam_sspr.so", module_dirs[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            const char *bad = unsafe_stat(&sb);

            module_found = 1;
            if (bad != NULL)
                fail(r, SSPR_E_PAM_MODULE, "PAM module: %s is %s", path, bad);
            else
                pass(r, "PAM module: %s installed", path);
            break;
        }
    }
    if (!module_found)
        fail(r, SSPR_E_PAM_MODULE, "PAM module: pam_sspr.so not found in the PAM module "
                                   "directory");
}

/* ---- the writeback service ------------------------------------------------------ */

static void check_writeback(struct report *r, const struct sspr_config *cfg)
{
    const char *dir = cfg->pam_confdir[0] != '\0' ? cfg->pam_confdir : PAM_DIR;
    struct pam_stack *st = calloc(1, sizeof(*st));
    int q = -1, u = -1;

    if (st == NULL)
        return;
    parse_pam_file(dir, cfg->pam_service, "password", 0, 0, st);
    if (st->missing) {
        fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service: %s/%s does not exist", dir,
             cfg->pam_service);
        goto out;
    }
    if (st->err[0] != '\0') {
        fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service %s: %s", cfg->pam_service, st->err);
        goto out;
    }
    for (int i = 0; i < st->n; i++) {
        if (q < 0 && strcmp(st->e[i].module, "pam_pwquality.so") == 0)
            q = i;
        if (u < 0 && strcmp(st->e[i].module, "pam_unix.so") == 0)
            u = i;
    }
    if (u < 0) {
        fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service %s: no `password ... pam_unix.so` "
                                          "line", cfg->pam_service);
        goto out;
    }
    if (q < 0) {
        fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: no pam_pwquality.so line",
             cfg->pam_service);
        goto out;
    }
    {
        char args[sizeof(st->e[q].args) + 2];
        char act[32];

        snprintf(args, sizeof(args), " %s ", st->e[q].args);
        for (char *t = args; *t != '\0'; t++)
            if (*t == '\t')
                *t = ' ';
        if (strstr(args, " enforce_for_root ") == NULL) {
            fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: pam_pwquality.so without "
                                           "enforce_for_root (%s line %d)",
                 cfg->pam_service, st->e[q].file, st->e[q].line);
            goto out;
        }
        if (q > u) {
            fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: pam_pwquality.so comes after "
                                           "pam_unix.so", cfg->pam_service);
            goto out;
        }
        pam_action(&st->e[q], "default", act, sizeof(act));
        if (strcmp(act, "bad") != 0 && strcmp(act, "die") != 0) {
            fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: pam_pwquality.so is %s, so "
                                           "its refusal does not count (use requisite)",
                 cfg->pam_service, st->e[q].control);
            goto out;
        }
    }
    /* without cracklib's dictionary pwquality refuses every password */
    if (access("/var/cache/cracklib/cracklib_dict.pwd", R_OK) != 0) {
        fail(r, SSPR_E_PWQUALITY_DICT, "pam_pwquality's dictionary "
                                       "/var/cache/cracklib/cracklib_dict.pwd is missing");
        goto out;
    }
    pass(r, "writeback service %s/%s: pam_pwquality enforce_for_root, then pam_unix", dir,
         cfg->pam_service);
out:
    free(st);
}

/* ---- config, state, helper, banned list ------------------------------------------ */

static int check_config(struct report *r, const char *path)
{
    struct sspr_config tmp;
    struct stat sb;
    char err[512], bad[PATH_MAX], m[8];
    const char *why;

    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT) {
            warn(r, "config: %s does not exist: the built-in defaults are in effect", path);
            return 0;
        }
        fail(r, SSPR_E_CONFIG_INVALID, "config: %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(sb.st_mode)) {
        fail(r, SSPR_E_CONFIG_UNSAFE, "config: %s is a symbolic link (refused)", path);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(r, SSPR_E_CONFIG_INVALID, "config: %s is not a regular file", path);
        return -1;
    }
    if ((why = unsafe_stat(&sb)) != NULL) {
        mode_str(sb.st_mode, m, sizeof(m));
        fail(r, SSPR_E_CONFIG_UNSAFE, "config: %s is %s (owner uid %lu, mode %s)", path, why,
             (unsigned long)sb.st_uid, m);
        return -1;
    }
    if (parents_safe(path, bad, sizeof(bad), &why) != 0) {
        fail(r, SSPR_E_CONFIG_UNSAFE, "config: directory %s is %s", bad, why);
        return -1;
    }
    if (sspr_config_load(&tmp, path, err, sizeof(err)) != 0) {
        fail(r, SSPR_E_CONFIG_INVALID, "config: %s", err);
        return -1;
    }
    pass(r, "config: %s valid, root-owned, not writable by others", path);
    return 0;
}

static void check_state_dir(struct report *r, const struct sspr_config *cfg)
{
    struct sspr_store st;
    struct stat sb;
    char m[8], bad[PATH_MAX];
    const char *why;
    int rc;

    if (lstat(cfg->state_dir, &sb) != 0) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s: %s", cfg->state_dir, strerror(errno));
        return;
    }
    mode_str(sb.st_mode, m, sizeof(m));
    if (S_ISLNK(sb.st_mode)) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s is a symbolic link", cfg->state_dir);
        return;
    }
    if (!S_ISDIR(sb.st_mode)) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s is not a directory", cfg->state_dir);
        return;
    }
    if (sb.st_uid != 0 || (sb.st_mode & 077) != 0) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s is owner uid %lu mode %s (want root, "
                                  "0700)",
             cfg->state_dir, (unsigned long)sb.st_uid, m);
        return;
    }
    if (parents_safe(cfg->state_dir, bad, sizeof(bad), &why) != 0) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s above it is %s", bad, why);
        return;
    }
    rc = sspr_store_open(&st, cfg->state_dir, 0);
    if (rc != SSPR_STORE_OK) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s: %s", cfg->state_dir,
             sspr_store_strerror(rc));
        return;
    }
    sspr_store_close(&st);
    if (access(cfg->state_dir, W_OK) != 0) {
        fail(r, SSPR_E_STATE_DIR, "state directory: %s is not writable: %s", cfg->state_dir,
             strerror(errno));
        return;
    }
    pass(r, "state directory: %s root-owned, mode 0700", cfg->state_dir);
}

static void check_helper(struct report *r)
{
    struct stat sb;
    char bad[PATH_MAX], m[8];
    const char *why;

    if (lstat(SSPR_HELPER_PATH, &sb) != 0) {
        fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s: %s", SSPR_HELPER_PATH, strerror(errno));
        return;
    }
    mode_str(sb.st_mode, m, sizeof(m));
    if (!S_ISREG(sb.st_mode)) {
        fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is not a regular file", SSPR_HELPER_PATH);
        return;
    }
    if ((why = unsafe_stat(&sb)) != NULL) {
        fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is %s (mode %s)", SSPR_HELPER_PATH, why, m);
        return;
    }
    if ((sb.st_mode & S_IXUSR) == 0) {
        fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is not executable (mode %s)", SSPR_HELPER_PATH,
             m);
        return;
    }
    if (sb.st_mode & (S_ISUID | S_ISGID))
        warn(r, "helper: %s is set-id (mode %s); it needs no set-id bit", SSPR_HELPER_PATH, m);
    if (parents_safe(SSPR_HELPER_PATH, bad, sizeof(bad), &why) != 0) {
        fail(r, SSPR_E_HELPER_UNSAFE, "helper: directory %s is %s", bad, why);
        return;
    }
    pass(r, "helper: %s root-owned, mode %s, directories above safe", SSPR_HELPER_PATH, m);
}

static void check_banned(struct report *r, const struct sspr_config *cfg)
{
    int fd = sspr_open_safely(AT_FDCWD, cfg->banned_file, 0, BANNED_MAX_BYTES);

    if (fd < 0) {
        const char *why = errno == EPERM   ? "not root-owned, or writable by group/others"
                          : errno == ELOOP ? "a symbolic link"
                          : errno == EFBIG ? "too large"
                          : errno == EINVAL ? "not a regular file"
                                            : strerror(errno);

        fail(r, SSPR_E_BANNED_LIST, "banned passwords: %s: %s", cfg->banned_file, why);
        return;
    }
    close(fd);
    pass(r, "banned passwords: %s readable", cfg->banned_file);
}

/* ---- sshd ----------------------------------------------------------------------- */

struct sshd_opts {
    char usepam[16];
    char kbdint[16];
    char kbdint_where[PATH_MAX + 16];
    int depth;
};

static void sshd_parse_file(const char *path, struct sshd_opts *o);

static void sshd_include(const char *pattern, struct sshd_opts *o)
{
    char full[PATH_MAX];
    glob_t g;

    if (pattern[0] == '/')
        snprintf(full, sizeof(full), "%s", pattern);
    else
        snprintf(full, sizeof(full), "/etc/ssh/%s", pattern);
    if (glob(full, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        sshd_parse_file(g.gl_pathv[i], o);
    globfree(&g);
}

/* First value wins (sshd_config(5)); Match blocks are not evaluated: the
 * global settings are what a connection gets unless a Match overrides. */
static void sshd_parse_file(const char *path, struct sshd_opts *o)
{
    char line[2048];
    int lineno = 0;
    FILE *f;

    if (o->depth > 8)
        return;
    f = fopen(path, "re");
    if (f == NULL)
        return;
    o->depth++;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = trim(line), *key, *val, *save = NULL;

        lineno++;
        if (*p == '#' || *p == '\0')
            continue;
        key = strtok_r(p, " \t=", &save);
        val = strtok_r(NULL, " \t=", &save);
        if (key == NULL || val == NULL)
            continue;
        if (strcasecmp(key, "Match") == 0)
            break;
        if (strcasecmp(key, "Include") == 0) {
            do
                sshd_include(val, o);
            while ((val = strtok_r(NULL, " \t", &save)) != NULL);
        } else if (strcasecmp(key, "UsePAM") == 0 && o->usepam[0] == '\0') {
            snprintf(o->usepam, sizeof(o->usepam), "%s", val);
        } else if ((strcasecmp(key, "KbdInteractiveAuthentication") == 0 ||
                    strcasecmp(key, "ChallengeResponseAuthentication") == 0) &&
                   o->kbdint[0] == '\0') {
            snprintf(o->kbdint, sizeof(o->kbdint), "%s", val);
            snprintf(o->kbdint_where, sizeof(o->kbdint_where), "%s line %d", path, lineno);
        }
    }
    o->depth--;
    fclose(f);
}

static void check_sshd(struct report *r)
{
    struct sshd_opts o;
    struct stat sb;

    if (stat(SSHD_CONFIG, &sb) != 0 && stat(SSHD_BINARY, &sb) != 0) {
        pass(r, "sshd: not installed, nothing to check");
        return;
    }
    if (stack_has_sspr("sshd", "auth", NULL, 0) != 1) {
        pass(r, "sshd: pam_sspr.so not in its PAM stack, keyboard-interactive not needed");
        return;
    }
    memset(&o, 0, sizeof(o));
    sshd_parse_file(SSHD_CONFIG, &o);
    if (strcasecmp(o.usepam, "yes") != 0) {
        fail(r, SSPR_E_SSHD_KBDINT, "sshd: UsePAM is %s", o.usepam[0] ? o.usepam : "no (default)");
        return;
    }
    /* OpenSSH's default for KbdInteractiveAuthentication is yes. */
    if (o.kbdint[0] != '\0' && strcasecmp(o.kbdint, "yes") != 0) {
        fail(r, SSPR_E_SSHD_KBDINT, "sshd: KbdInteractiveAuthentication %s (%s)", o.kbdint,
             o.kbdint_where);
        return;
    }
    pass(r, "sshd: UsePAM yes, KbdInteractiveAuthentication %s", o.kbdint[0] ? o.kbdint
                                                                            : "yes (default)");
}

/* ---- network --------------------------------------------------------------------- */

/* A TCP connection to host:port within timeout_ms. Returns 0 or -1 with why. */
static int tcp_probe(const char *host, const char *port, int timeout_ms, char *why, size_t len)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, ok = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, len, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    snprintf(why, len, "no address for %s", host);
    for (ai = res; ai != NULL && ok != 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        struct pollfd pfd;
        int err = 0;
        socklen_t elen = sizeof(err);

        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            ok = 0;
        } else if (errno == EINPROGRESS) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            do
                rc = poll(&pfd, 1, timeout_ms);
            while (rc < 0 && errno == EINTR);
            if (rc == 0)
                snprintf(why, len, "connection to %s port %s timed out after %d s", host, port,
                         timeout_ms / 1000);
            else if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
                ok = 0;
            else
                snprintf(why, len, "cannot connect to %s port %s: %s", host, port,
                         strerror(err != 0 ? err : errno));
        } else {
            snprintf(why, len, "cannot connect to %s port %s: %s", host, port, strerror(errno));
        }
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

static void check_endpoint(struct report *r, const char *what, const char *url, int code)
{
    char host[256], port[16], why[512];

    if (sspr_url_host_port(url, host, sizeof(host), port, sizeof(port)) != 0 || port[0] == '\0') {
        fail(r, SSPR_E_CONFIG_INVALID, "%s: cannot tell host and port from the URL", what);
        return;
    }
    if (tcp_probe(host, port, CONNECT_TIMEOUT_MS, why, sizeof(why)) != 0) {
        fail(r, code, "%s: %s", what, why);
        return;
    }
    pass(r, "%s: %s port %s accepts connections", what, host, port);
}

static void check_delivery(struct report *r, const struct sspr_config *cfg)
{
    if (sspr_config_email_on(cfg))
        check_endpoint(r, "email (SMTP server)", cfg->smtp_url, SSPR_E_SMTP_UNREACHABLE);
    else
        pass(r, "email: not configured ([email] smtp_url empty), nothing to check");
    if (sspr_config_sms_on(cfg))
        check_endpoint(r, "SMS gateway", cfg->sms_url, SSPR_E_SMS_GATEWAY);
    else
        pass(r, "SMS: not configured ([sms] url empty), nothing to check");
}

/* ---- one user ---------------------------------------------------------------------- */

static void methods_words(unsigned set, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (unsigned bit = 1; bit <= SSPR_M_QUESTIONS && bit != 0; bit <<= 1) {
        if ((set & bit) == 0)
            continue;
        int n = snprintf(buf + o, len - o, "%s%s", o > 0 ? " " : "", sspr_method_name(bit));
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
    if (o == 0)
        snprintf(buf, len, "none");
}

static int popcount(unsigned v)
{
    int n = 0;

    for (; v != 0; v &= v - 1)
        n++;
    return n;
}

static void check_user(struct report *r, const struct sspr_config *cfg, const char *name)
{
    struct sspr_account acct;
    struct sspr_store st;
    struct sspr_backend be;
    struct sspr_throttle_state ts;
    char shown[SSPR_USER_MAX + 1], have[128], allowed_w[128], usable_w[128], tkey[96];
    unsigned methods = 0, allowed, usable;
    int admin, gates, rc, code;

    snprintf(shown, sizeof(shown), "%s", sspr_username_ok(name) ? name : "(malformed name)");
    sspr_account_resolve(name, cfg, &acct);
    if (!acct.known) {
        fail(r, SSPR_E_UNKNOWN_USER, "user %s: %s", shown, sspr_account_why(acct.why));
        return;
    }
    if ((code = sspr_account_error(acct.why)) != 0) {
        fail(r, code, "user %s (uid %lu): %s", acct.name, (unsigned long)acct.uid,
             sspr_account_why(acct.why));
        return;
    }
    pass(r, "user %s (uid %lu): eligible (uid >= %ld, not locked or expired, login shell)",
         acct.name, (unsigned long)acct.uid, cfg->min_uid);
    if (!sspr_policy_enabled(cfg, &acct)) {
        if (cfg->enabled == SSPR_ENABLED_GROUP)
            fail(r, SSPR_E_NOT_ENABLED, "user %s: not a member of group %s (enabled = group:%s)",
                 acct.name, cfg->enabled_group, cfg->enabled_group);
        else
            fail(r, SSPR_E_NOT_ENABLED, "user %s: resets are off for everyone (enabled = none)",
                 acct.name);
        return;
    }
    pass(r, "user %s: enabled by policy%s%s%s", acct.name,
         cfg->services[0] != '\0' ? " (only on PAM services: " : "", cfg->services,
         cfg->services[0] != '\0' ? ")" : "");

    admin = sspr_policy_is_admin(cfg, &acct);
    gates = sspr_policy_gates(cfg, admin);
    allowed = sspr_policy_methods(cfg, admin);
    methods_words(allowed, allowed_w, sizeof(allowed_w));
    pass(r, "user %s: %s, needs %d gate%s from: %s", acct.name,
         admin ? "administrator (member of an admin_groups group)" : "regular user", gates,
         gates == 1 ? "" : "s", allowed_w);

    rc = sspr_store_open(&st, cfg->state_dir, 0);
    if (rc != SSPR_STORE_OK) {
        fail(r, SSPR_E_STATE_DIR, "user %s: state directory %s: %s", acct.name, cfg->state_dir,
             sspr_store_strerror(rc));
        return;
    }
    sspr_backend_local(&be, &st);
    if (be.methods(&be, &acct, &methods) != 0) {
        fail(r, SSPR_E_RECORD_CORRUPT, "user %s: record user-%lu.json in %s is unreadable or "
                                       "corrupt",
             acct.name, (unsigned long)acct.uid, cfg->state_dir);
        goto throttle;
    }
    methods_words(methods, have, sizeof(have));
    if (methods == 0) {
        fail(r, SSPR_E_NO_METHODS, "user %s: no methods registered", acct.name);
        goto throttle;
    }
    usable = methods & allowed;
    if (!sspr_config_email_on(cfg))
        usable &= ~(unsigned)SSPR_M_EMAIL;
    if (!sspr_config_sms_on(cfg))
        usable &= ~(unsigned)SSPR_M_SMS;
    if (!cfg->questions_enabled || admin)
        usable &= ~(unsigned)SSPR_M_QUESTIONS;
    methods_words(usable, usable_w, sizeof(usable_w));
    if (popcount(usable) < gates) {
        fail(r, SSPR_E_TOO_FEW_METHODS, "user %s: registered %s, usable here %s: %d different "
                                        "method%s needed",
             acct.name, have, usable_w, gates, gates == 1 ? "" : "s");
    } else if (admin && (usable & ~(unsigned)SSPR_M_DELIVERY) == 0) {
        fail(r, SSPR_E_TOO_FEW_METHODS, "user %s: an administrator's gates cannot all be email or "
                                        "SMS (registered %s)",
             acct.name, have);
    } else if (usable == SSPR_M_QUESTIONS) {
        fail(r, SSPR_E_TOO_FEW_METHODS, "user %s: security questions are never the only gate "
                                        "(registered %s)",
             acct.name, have);
    } else {
        pass(r, "user %s: registered %s; usable %s covers %d gate%s", acct.name, have, usable_w,
             gates, gates == 1 ? "" : "s");
    }
throttle:
    if (sspr_throttle_key(&st, (long)acct.uid, acct.name, tkey, sizeof(tkey)) != 0 ||
        sspr_throttle_get(&st, tkey, time(NULL), cfg, &ts) != 0) {
        fail(r, SSPR_E_THROTTLED, "user %s: throttle record unreadable (counts as locked out)",
             acct.name);
    } else if (sspr_throttle_locked(&ts, time(NULL))) {
        if (ts.locked_until == SSPR_THROTTLE_FOREVER) {
            fail(r, SSPR_E_THROTTLED, "user %s: locked out until an administrator unlocks",
                 acct.name);
        } else {
            char when[64] = "?";
            struct tm tm;

            if (gmtime_r(&ts.locked_until, &tm) != NULL)
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
            fail(r, SSPR_E_THROTTLED, "user %s: locked out of resets until %s", acct.name, when);
        }
    } else {
        pass(r, "user %s: not locked out (%d recent failed attempt%s)", acct.name, ts.failures,
             ts.failures == 1 ? "" : "s");
    }
    sspr_store_close(&st);
}

/* ---- entry point -------------------------------------------------------------------- */

int sspr_cli_doctor(const struct sspr_config *cfg, const char *config_path, int argc,
                    char **argv)
{
    struct sspr_config *work = NULL;
    struct report r = { 0, 0 };

    if (argc > 1 || (argc == 1 && (argv[0][0] == '-' || argv[0][0] == '\0'))) {
        fputs("usage: sspr-helper doctor [USER]\n", stderr);
        return 2;
    }
    if (geteuid() != 0)
        warn(&r, "not running as root: the state directory, records and shadow entries cannot "
                 "be read; run doctor as root");
    if (cfg == NULL) {
        work = malloc(sizeof(*work));
        if (work == NULL)
            return 1;
        sspr_config_defaults(work);
        cfg = work;
    }
    (void)check_config(&r, config_path != NULL ? config_path : SSPR_CONFIG_PATH);
    check_state_dir(&r, cfg);
    check_helper(&r);
    check_pam_stacks(&r, cfg);
    check_writeback(&r, cfg);
    check_banned(&r, cfg);
    check_sshd(&r);
    check_delivery(&r, cfg);
    if (argc == 1)
        check_user(&r, cfg, argv[0]);
    printf("%d failed, %d warning%s\n", r.fails, r.warns, r.warns == 1 ? "" : "s");
    fflush(stdout);
    free(work);
    return r.fails > 0 ? 1 : 0;
}
