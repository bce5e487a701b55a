/* Doctor: the login stacks, the account line, the writeback service, and
 * whether console login's timeout leaves time for a reset. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "admin/doctor/pam_stack.h"
#include "gates/gate.h"
#include "policy/policy.h"
#include "state/throttle.h"
#include "support/errors.h"
#include "support/text.h"

#define LOGIN_DEFS "/etc/login.defs"
#define LOGIN_TIMEOUT_DEFAULT 60 /* login(1) without LOGIN_TIMEOUT */

/* The login stacks doctor looks at; optional ones only when installed. */
static const struct {
    const char *service;
    int optional;
} services[] = {
    { "login", 0 }, { "sshd", 1 }, { "gdm-password", 1 }, { "lightdm", 1 }, { "sddm", 1 },
};

static const char *const module_dirs[] = {
    "/lib/x86_64-linux-gnu/security",
    "/usr/lib/x86_64-linux-gnu/security",
    "/lib/aarch64-linux-gnu/security",
    "/usr/lib/aarch64-linux-gnu/security",
    "/lib64/security",
    "/usr/lib64/security",
    "/lib/security",
    "/usr/lib/security",
};

/* Registration at sign-in needs an account line; `require` needs one whose
 * PAM_PERM_DENIED counts (optional lines never fail a login). */
static void check_account_line(struct sspr_report *r, const struct sspr_config *cfg,
                               const char *svc)
{
    char act[64] = "";
    int has;

    if (cfg->register_at_login == SSPR_REG_OFF)
        return;
    has = sspr_doctor_stack_has_sspr(svc, "account", act, sizeof(act));
    if (has == 0) {
        sspr_warn(r,
                  "PAM service %s: no account line for pam_sspr.so, so registration at sign-in "
                  "(register_at_login = %s) does not happen there: add `account "
                  "[success=ok perm_denied=die default=ignore] pam_sspr.so` to "
                  "/etc/pam.d/common-account (`pam-auth-update --enable sspr` does), or set "
                  "register_at_login = off",
                  svc, cfg->register_at_login == SSPR_REG_REQUIRE ? "require" : "offer");
    } else if (has == 1 && cfg->register_at_login == SSPR_REG_REQUIRE && strcmp(act, "die") != 0 &&
               strcmp(act, "bad") != 0) {
        sspr_warn(r,
                  "PAM service %s: register_at_login = require, but the account line of "
                  "pam_sspr.so ignores its refusal (use [success=ok perm_denied=die "
                  "default=ignore])",
                  svc);
    }
}

int sspr_doctor_any_account_line(void)
{
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (sspr_doctor_stack_has_sspr(services[i].service, "account", NULL, 0) == 1)
            return 1;
    return 0;
}

void sspr_doctor_check_pam_stacks(struct sspr_report *r, const struct sspr_config *cfg)
{
    int with = 0, checked = 0, module_found = 0;
    char why[512];

    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        const char *svc = services[i].service;
        int rc = sspr_doctor_auth_stack(SSPR_DOCTOR_PAM_DIR, svc, why, sizeof(why));

        switch (rc) {
        case SSPR_DOCTOR_STACK_MISSING:
            if (!services[i].optional)
                sspr_warn(r, "PAM service %s: %s/%s does not exist", svc, SSPR_DOCTOR_PAM_DIR, svc);
            continue;
        case SSPR_DOCTOR_STACK_ABSENT:
            checked++;
            sspr_warn(r,
                      "PAM service %s: pam_sspr.so is not in its auth stack (no reset offered "
                      "there)",
                      svc);
            continue;
        case SSPR_DOCTOR_STACK_OK:
            checked++;
            with++;
            sspr_pass(r, "PAM service %s: %s", svc, why);
            break;
        case SSPR_DOCTOR_STACK_WARN:
            checked++;
            with++;
            sspr_warn(r, "PAM service %s: %s", svc, why);
            break;
        default:
            checked++;
            with++;
            sspr_fail(r, SSPR_E_PAM_STACK, "PAM service %s: %s", svc, why);
            continue;
        }
        check_account_line(r, cfg, svc);
    }
    if (checked > 0 && with == 0)
        sspr_fail(r, SSPR_E_PAM_STACK,
                  "PAM stacks: pam_sspr.so is in none of the auth stacks "
                  "checked (login, sshd, greeters)");
    if (with == 0)
        return;
    for (size_t i = 0; i < sizeof(module_dirs) / sizeof(module_dirs[0]); i++) {
        char path[PATH_MAX];
        struct stat sb;

        snprintf(path, sizeof(path), "%s/pam_sspr.so", module_dirs[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            const char *bad = sspr_doctor_unsafe_stat(&sb);

            module_found = 1;
            if (bad != NULL)
                sspr_fail(r, SSPR_E_PAM_MODULE, "PAM module: %s is %s", path, bad);
            else
                sspr_pass(r, "PAM module: %s installed", path);
            break;
        }
    }
    if (!module_found)
        sspr_fail(r, SSPR_E_PAM_MODULE,
                  "PAM module: pam_sspr.so not found in the PAM module "
                  "directory");
}

void sspr_doctor_check_writeback(struct sspr_report *r, const struct sspr_config *cfg)
{
    const char *dir = cfg->pam_confdir[0] != '\0' ? cfg->pam_confdir : SSPR_DOCTOR_PAM_DIR;
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int q = -1, u = -1;

    if (st == NULL)
        return;
    sspr_pam_stack_parse(dir, cfg->pam_service, "password", st);
    if (st->missing) {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service: %s/%s does not exist", dir,
                  cfg->pam_service);
        goto out;
    }
    if (st->err[0] != '\0') {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service %s: %s", cfg->pam_service,
                  st->err);
        goto out;
    }
    for (int i = 0; i < st->n; i++) {
        if (q < 0 && strcmp(st->e[i].module, "pam_pwquality.so") == 0)
            q = i;
        if (u < 0 && strcmp(st->e[i].module, "pam_unix.so") == 0)
            u = i;
    }
    if (u < 0) {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE,
                  "writeback service %s: no `password ... pam_unix.so` "
                  "line",
                  cfg->pam_service);
        goto out;
    }
    if (q < 0) {
        sspr_fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: no pam_pwquality.so line",
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
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so without "
                      "enforce_for_root (%s line %d)",
                      cfg->pam_service, st->e[q].file, st->e[q].line);
            goto out;
        }
        if (q > u) {
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so comes after "
                      "pam_unix.so",
                      cfg->pam_service);
            goto out;
        }
        sspr_pam_action(&st->e[q], "default", act, sizeof(act));
        if (strcmp(act, "bad") != 0 && strcmp(act, "die") != 0) {
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so is %s, so "
                      "its refusal does not count (use requisite)",
                      cfg->pam_service, st->e[q].control);
            goto out;
        }
    }
    /* without cracklib's dictionary pwquality refuses every password */
    if (access("/var/cache/cracklib/cracklib_dict.pwd", R_OK) != 0) {
        sspr_fail(r, SSPR_E_PWQUALITY_DICT,
                  "pam_pwquality's dictionary "
                  "/var/cache/cracklib/cracklib_dict.pwd is missing");
        goto out;
    }
    sspr_pass(r, "writeback service %s/%s: pam_pwquality enforce_for_root, then pam_unix", dir,
              cfg->pam_service);
out:
    free(st);
}

/* ---- how long a reset at a prompt takes ------------------------------------------- */

/*
 * A rough, deliberately generous reckoning (docs/troubleshooting.md, "Sign-in
 * timeouts"): a person who has to find their phone or recovery sheet, makes
 * a typing mistake per gate and waits out the throttle. Per class of
 * account (regular users, administrators) with the gates and methods its
 * policy allows:
 *
 *   FIXED_SECONDS                        the offer, a new password twice, signing in with it
 *   + ANSWER_SECONDS * answers           one code or answer typed, right or wrong
 *   + the throttle's delays              sspr_throttle_delay() after failure 1..F
 *   + DELIVERY_SECONDS per code gate     an email or text message to arrive
 *
 * F = (TRIES_PER_GATE - 1) per gate (every gate passed at its last try),
 * at most max_failures - 1 (one more is a lockout, and the reset is over).
 */
#define FIXED_SECONDS 80
#define ANSWER_SECONDS 20
#define DELIVERY_SECONDS 60
#define TRIES_PER_GATE 3 /* the code, delivery and registration prompts (gates/) */

struct estimate {
    int seconds, gates, answers, delays, deliveries;
};

static void estimate_class(const struct sspr_config *cfg, int admin, struct estimate *e)
{
    unsigned set = sspr_policy_system_methods(cfg) & sspr_policy_methods(cfg, admin);
    unsigned weak = set & sspr_gates_flagged(SSPR_GATE_WEAK);
    unsigned delivery = set & sspr_gates_flagged(SSPR_GATE_DELIVERY);
    int g = sspr_policy_gates(cfg, admin), f;

    /* a question gate, or an administrator's channel, asks for one more */
    if ((weak != 0 || (admin && delivery != 0)) && g < 2)
        g = 2;
    f = (TRIES_PER_GATE - 1) * g;
    if (f > cfg->max_failures - 1)
        f = cfg->max_failures - 1;
    e->gates = g;
    e->answers = g + f + (weak != 0 && cfg->questions_asked > 1 ? cfg->questions_asked - 1 : 0);
    e->delays = 0;
    for (int n = 1; n <= f; n++)
        e->delays += (int)sspr_throttle_delay(cfg, n);
    /* an administrator's second gate is never a second channel */
    e->deliveries = sspr_policy_count(delivery);
    if (e->deliveries > g)
        e->deliveries = g;
    if (admin && e->deliveries > 1)
        e->deliveries = 1;
    e->seconds =
        FIXED_SECONDS + ANSWER_SECONDS * e->answers + e->delays + DELIVERY_SECONDS * e->deliveries;
}

int sspr_doctor_reset_seconds(const struct sspr_config *cfg, char *how, size_t len)
{
    struct estimate u, a, *w = &u;
    int needed;

    estimate_class(cfg, 0, &u);
    if (cfg->admin_groups[0] != '\0') {
        estimate_class(cfg, 1, &a);
        if (a.seconds > u.seconds)
            w = &a;
    }
    needed = w->seconds < SSPR_DOCTOR_RESET_MIN ? SSPR_DOCTOR_RESET_MIN : w->seconds;
    if (needed > cfg->flow_timeout)
        needed = cfg->flow_timeout; /* the helper gives up then anyway */
    if (how != NULL)
        snprintf(
            how, len, "%s: %d gate%s, up to %d answers, %d s of throttle delays%s%s%s",
            w == &u ? "regular users" : "administrators", w->gates, w->gates == 1 ? "" : "s",
            w->answers, w->delays, w->deliveries > 0 ? ", waiting for an email or SMS code" : "",
            w->seconds < SSPR_DOCTOR_RESET_MIN ? "; never reckoned below 180 s" : "",
            needed == cfg->flow_timeout && w->seconds > needed ? "; flow_timeout ends it" : "");
    return needed;
}

int sspr_doctor_timeout_advice(int needed)
{
    int minutes = (needed + 59) / 60 * 60;

    return minutes < SSPR_DOCTOR_TIMEOUT_ADVICE ? SSPR_DOCTOR_TIMEOUT_ADVICE : minutes;
}

/* LOGIN_TIMEOUT from /etc/login.defs (the last one counts, as login reads
 * it): its value, LOGIN_TIMEOUT_DEFAULT when it is not set or not a
 * number; where says which. */
static int login_timeout(char *where, size_t len)
{
    char buf[1024];
    int lineno = 0, value = LOGIN_TIMEOUT_DEFAULT;
    FILE *f = fopen(LOGIN_DEFS, "re");

    snprintf(where, len, "not set in %s: login's default", LOGIN_DEFS);
    if (f == NULL) {
        if (errno != ENOENT)
            snprintf(where, len, "%s unreadable (%s): login's default", LOGIN_DEFS,
                     strerror(errno));
        return value;
    }
    while (fgets(buf, sizeof(buf), f) != NULL) {
        char *p = sspr_trim(buf), *key, *val, *end, *save = NULL;
        long v;

        lineno++;
        if (*p == '#' || (key = strtok_r(p, " \t", &save)) == NULL ||
            strcmp(key, "LOGIN_TIMEOUT") != 0)
            continue;
        val = strtok_r(NULL, " \t", &save);
        errno = 0;
        v = val != NULL ? strtol(val, &end, 10) : -1;
        if (val == NULL || *end != '\0' || errno != 0 || v < 0 || v > INT_MAX) {
            value = LOGIN_TIMEOUT_DEFAULT;
            snprintf(where, len, "%s line %d is not a number of seconds: login's default",
                     LOGIN_DEFS, lineno);
        } else {
            value = (int)v;
            snprintf(where, len, "%s line %d", LOGIN_DEFS, lineno);
        }
    }
    fclose(f);
    return value;
}

void sspr_doctor_check_login_timeout(struct sspr_report *r, const struct sspr_config *cfg)
{
    char where[PATH_MAX + 96], how[256];
    int t, needed;

    if (!sspr_doctor_stack_runs_reset("login"))
        return;
    t = login_timeout(where, sizeof(where));
    needed = sspr_doctor_reset_seconds(cfg, how, sizeof(how));
    if (t == 0)
        sspr_pass(r, "login: LOGIN_TIMEOUT 0 (%s): console sign-ins have no time limit", where);
    else if (t < needed)
        sspr_warn(r,
                  "login: console sign-ins end after LOGIN_TIMEOUT %d s (%s), in the middle of "
                  "a reset that can take about %d s here (%s): set LOGIN_TIMEOUT %d in %s",
                  t, where, needed, how, sspr_doctor_timeout_advice(needed), LOGIN_DEFS);
    else
        sspr_pass(r,
                  "login: LOGIN_TIMEOUT %d s (%s) leaves time for a reset at the console "
                  "(about %d s here)",
                  t, where, needed);
}
