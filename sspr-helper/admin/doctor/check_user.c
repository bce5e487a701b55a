/* Doctor: one user, through the backend, by the same policy as the reset. */
#include "autoconf.h"

#include <stdio.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/doctor/checks.h"
#include "gates/gate.h"
#include "policy/policy.h"
#include "state/throttle.h"
#include "support/errors.h"

#define ACCOUNT_LINE "account [success=ok perm_denied=die default=ignore] pam_sspr.so"

/* The fix for E208 (no methods) and E209 (too few) that fits this
 * installation: registration at sign-in only where it can happen (an
 * account line in a login stack, register_at_login not off), else how to
 * make it happen; always the enroll command for this user. */
static void registration_fix(const struct sspr_config *cfg, const char *user, int code, int admin,
                             char *fix, size_t len)
{
    int line = sspr_doctor_any_account_line(), on = cfg->register_at_login != SSPR_REG_OFF;
    const char *need =
        admin ? " (an administrator needs an authenticator app and recovery codes)" : "";
    char enroll[256];

    if (code == SSPR_E_NO_METHODS)
        snprintf(enroll, sizeof(enroll),
                 "as root: `sspr-helper enroll %s --totp` / `--recovery-codes` / `--email "
                 "ADDR`%s",
                 user, need);
    else
        snprintf(enroll, sizeof(enroll),
                 "as root register another method, e.g. `sspr-helper enroll %s "
                 "--recovery-codes`%s",
                 user, need);
    if (line && on)
        snprintf(fix, len,
                 "%s is asked to register at the next sign-in (register_at_login = %s); or %s",
                 user, cfg->register_at_login == SSPR_REG_REQUIRE ? "require" : "offer", enroll);
    else
        snprintf(fix, len, "%s; or, for registration at sign-in, %s%s%s", enroll,
                 line ? ""
                      : "add `" ACCOUNT_LINE "` to /etc/pam.d/common-account "
                        "(`pam-auth-update --enable sspr` does)",
                 !line && !on ? " and " : "",
                 on ? "" : "set register_at_login = offer in sspr.conf");
}

/* Returns the methods registered (0 when none or unreadable). */
static unsigned check_registration(struct sspr_report *r, const struct sspr_config *cfg,
                                   struct sspr_backend *be, const struct sspr_account *acct,
                                   int admin, int gates)
{
    struct sspr_record rec;
    char have_w[128], usable_w[128], fix[1024];
    unsigned have, usable;

    if (sspr_be_load(be, acct, &rec) != SSPR_OK) {
        sspr_fail(r, SSPR_E_RECORD_CORRUPT,
                  "user %s: the record of registered methods (uid "
                  "%lu, %s backend) is unreadable or corrupt",
                  acct->name, (unsigned long)acct->uid, cfg->backend);
        return 0;
    }
    have = sspr_gates_usable(&rec);
    sspr_record_clear(&rec);
    sspr_methods_words(have, have_w, sizeof(have_w));
    if (have == 0) {
        registration_fix(cfg, acct->name, SSPR_E_NO_METHODS, admin, fix, sizeof(fix));
        sspr_fail_fix(r, SSPR_E_NO_METHODS, fix, "user %s: no methods registered", acct->name);
        return 0;
    }
    usable = sspr_policy_usable(cfg, have, admin);
    sspr_methods_words(usable, usable_w, sizeof(usable_w));
    registration_fix(cfg, acct->name, SSPR_E_TOO_FEW_METHODS, admin, fix, sizeof(fix));
    switch (sspr_policy_unsatisfied(usable, gates, admin)) {
    case SSPR_SATISFIED:
        sspr_pass(r, "user %s: registered %s; usable %s covers %d gate%s", acct->name, have_w,
                  usable_w, gates, gates == 1 ? "" : "s");
        break;
    case SSPR_UNSAT_TOO_FEW:
        sspr_fail_fix(r, SSPR_E_TOO_FEW_METHODS, fix,
                      "user %s: registered %s, usable here %s: %d different method%s needed",
                      acct->name, have_w, usable_w, gates, gates == 1 ? "" : "s");
        break;
    case SSPR_UNSAT_ADMIN_DELIVERY:
        sspr_fail_fix(r, SSPR_E_TOO_FEW_METHODS, fix,
                      "user %s: an administrator's gates cannot all be email or SMS "
                      "(registered %s)",
                      acct->name, have_w);
        break;
    case SSPR_UNSAT_WEAK_ONLY:
        sspr_fail_fix(r, SSPR_E_TOO_FEW_METHODS, fix,
                      "user %s: security questions are never the only gate (registered %s)",
                      acct->name, have_w);
        break;
    }
    return have;
}

/* Methods blocked after too many wrong answers: a warning each (the
 * account is not locked out, other methods may still work). */
static void check_blocks(struct sspr_report *r, struct sspr_backend *be,
                         const struct sspr_account *acct, const struct sspr_subject *subj,
                         time_t now, unsigned registered)
{
    struct sspr_method_block b[SSPR_GATES_MAX];
    unsigned blocked = 0;
    char line[256];
    int n = sspr_admin_method_blocks(be, subj, now, b, SSPR_GATES_MAX);

    for (int i = 0; i < n; i++)
        blocked |= sspr_gate_bit(b[i].g);
    for (int i = 0; i < n; i++) {
        sspr_admin_block_text(&b[i], (registered & ~blocked) != 0, line, sizeof(line));
        sspr_warn(r, "user %s: %s", acct->name, line);
    }
}

static void check_throttle(struct sspr_report *r, struct sspr_backend *be,
                           const struct sspr_account *acct, unsigned registered)
{
    struct sspr_subject subj;
    struct sspr_throttle_state ts;
    time_t now = time(NULL);

    if (sspr_be_subject(be, acct, acct->name, &subj) != SSPR_OK ||
        sspr_throttle_get(be, &subj, now, &ts) != SSPR_OK) {
        sspr_fail(r, SSPR_E_THROTTLED, "user %s: throttle record unreadable (counts as locked out)",
                  acct->name);
    } else if (sspr_throttle_locked(&ts, now)) {
        if (ts.locked_until == SSPR_THROTTLE_FOREVER) {
            sspr_fail(r, SSPR_E_THROTTLED, "user %s: locked out until an administrator unlocks",
                      acct->name);
        } else {
            char when[64] = "?";
            struct tm tm;

            if (gmtime_r(&ts.locked_until, &tm) != NULL)
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
            sspr_fail(r, SSPR_E_THROTTLED, "user %s: locked out of resets until %s", acct->name,
                      when);
        }
    } else {
        sspr_pass(r, "user %s: not locked out (%d recent failed attempt%s)", acct->name,
                  ts.failures, ts.failures == 1 ? "" : "s");
        check_blocks(r, be, acct, &subj, now, registered);
    }
}

void sspr_doctor_check_user(struct sspr_report *r, const struct sspr_config *cfg,
                            struct sspr_backend *be, const char *name)
{
    struct sspr_account acct;
    char shown[SSPR_USER_MAX + 1], allowed_w[128];
    int admin, gates, code;

    snprintf(shown, sizeof(shown), "%s", sspr_username_ok(name) ? name : "(malformed name)");
    if (sspr_be_resolve(be, name, &acct) != SSPR_OK || !acct.known) {
        /* a backend that can say more than "unknown" (a local account
         * under the ldap backend, a directory that is down) says it */
        int why = be->code != 0 ? be->code : sspr_account_error(acct.why);
        sspr_fail(r, why != 0 ? why : SSPR_E_UNKNOWN_USER, "user %s: %s", shown,
                  sspr_account_why(acct.why));
        return;
    }
    if ((code = sspr_account_error(acct.why)) != 0) {
        sspr_fail(r, code, "user %s (uid %lu): %s", acct.name, (unsigned long)acct.uid,
                  sspr_account_why(acct.why));
        return;
    }
    sspr_pass(r, "user %s (uid %lu): eligible (uid >= %ld, not locked or expired, login shell)",
              acct.name, (unsigned long)acct.uid, cfg->min_uid);
    if (!sspr_policy_enabled(cfg, be, &acct)) {
        if (cfg->enabled == SSPR_ENABLED_GROUP)
            sspr_fail(r, SSPR_E_NOT_ENABLED,
                      "user %s: not a member of group %s (enabled = "
                      "group:%s)",
                      acct.name, cfg->enabled_group, cfg->enabled_group);
        else
            sspr_fail(r, SSPR_E_NOT_ENABLED,
                      "user %s: resets are off for everyone (enabled = "
                      "none)",
                      acct.name);
        return;
    }
    sspr_pass(r, "user %s: enabled by policy%s%s%s", acct.name,
              cfg->services[0] != '\0' ? " (only on PAM services: " : "", cfg->services,
              cfg->services[0] != '\0' ? ")" : "");
    admin = sspr_policy_is_admin(cfg, be, &acct);
    gates = sspr_policy_gates(cfg, admin);
    sspr_methods_words(sspr_policy_methods(cfg, admin), allowed_w, sizeof(allowed_w));
    sspr_pass(r, "user %s: %s, needs %d gate%s from: %s", acct.name,
              admin ? "administrator (member of an admin_groups group)" : "regular user", gates,
              gates == 1 ? "" : "s", allowed_w);
    check_throttle(r, be, &acct, check_registration(r, cfg, be, &acct, admin, gates));
}
