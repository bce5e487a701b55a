/*
 * The reset: resolve the account -> eligibility and policy -> gates -> the
 * reset grant -> new password twice -> checks -> commit -> notice -> RESULT.
 *
 * Every account that cannot succeed (unknown, ineligible, not enabled, no
 * methods) walks the same prompts as a registered user who types a wrong
 * code, and is throttled the same way, so the transcript tells nothing
 * (docs/security.md 14). Only a verified gate moves anything (docs/security.md 15).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "flow/flow.h"
#include "flow/notify.h"
#include "policy/password.h"
#include "policy/policy.h"
#include "state/throttle.h"
#include "wipe.h"

static const char MSG_INTRO[] = "To reset your password, first confirm it is you.";
static const char MSG_NEW[] = "New password: ";
static const char MSG_RETYPE[] = "Retype new password: ";
static const char MSG_MISMATCH[] = "The passwords do not match.";
static const char MSG_UNAVAILABLE[] = "Password reset is not available right now. "
                                      "Try again later or ask your administrator.";
static const char MSG_SUPERSEDED[] = "Another password reset for this account was started "
                                     "after this one.";
static const char MSG_NOT_CHANGED[] = "Your password was not changed.";

/* Decide whether this flow can ever succeed; logs why not. */
static void assess(struct sspr_flow *f)
{
    const char *why = NULL;
    int code = 0;

    if (sspr_be_resolve(f->be, f->hello.user, &f->acct) != SSPR_OK && f->acct.why == SSPR_ACCT_OK)
        f->acct.why = SSPR_ACCT_LOOKUP;
    f->audit.user = f->acct.known ? f->acct.name : NULL;
    f->audit.uid = f->acct.known ? (long)f->acct.uid : -1;
    if (f->acct.why != SSPR_ACCT_OK) {
        why = sspr_account_why(f->acct.why);
        code = sspr_account_error(f->acct.why);
    } else if (!sspr_policy_enabled(f->cfg, f->be, &f->acct)) {
        why = "not enabled by policy";
        code = SSPR_E_NOT_ENABLED;
    } else if (sspr_be_load(f->be, &f->acct, &f->rec) != SSPR_OK) {
        why = "record unreadable";
        code = SSPR_E_RECORD_CORRUPT;
    } else if (sspr_gates_usable(&f->rec) == 0) {
        why = "no registered methods";
        code = SSPR_E_NO_METHODS;
    }
    if (why != NULL)
        sspr_record_clear(&f->rec); /* the dummy path holds nothing of the account */
    f->is_admin = f->acct.known && sspr_policy_is_admin(f->cfg, f->be, &f->acct);
    f->can_pass = why == NULL;
    /* an empty subject fails every throttle call: closed */
    (void)sspr_be_subject(f->be, &f->acct, f->hello.user, &f->subject);

    char detail[200], mode[32], id[16] = "";
    sspr_audit_escape(f->hello.mode, mode, sizeof(mode));
    if (code != 0)
        (void)sspr_error_id(code, id, sizeof(id));
    snprintf(detail, sizeof(detail), "mode=%s eligible=%s%s%s%s%s%s", mode,
             f->can_pass ? "yes" : "no", why ? " code=" : "", id, why ? " reason=\"" : "",
             why ? why : "", why ? "\"" : "");
    sspr_audit(&f->audit, "request", detail);
}

/* Ask for the new password until it is set or tries run out. Returns 0
 * when set, -1 when not, -2 when the flow must end at once. */
static int set_password(struct sspr_flow *f)
{
    char pw[SSPR_ANSWER_MAX + 1], again[SSPR_ANSWER_MAX + 1], msg[1024];
    int rc = -1;

    for (int t = 0; t < f->cfg->max_tries && rc == -1; t++) {
        if (sspr_chan_prompt(&f->ch, 0, MSG_NEW, pw) != 0 ||
            sspr_chan_prompt(&f->ch, 0, MSG_RETYPE, again) != 0) {
            rc = -2;
            break;
        }
        const char *why = NULL;
        if (strlen(pw) != strlen(again) || sodium_memcmp(pw, again, strlen(pw)) != 0)
            why = MSG_MISMATCH;
        else
            why = sspr_pwcheck(f->cfg, f->acct.name, pw);
        if (why == NULL) {
            switch (sspr_be_commit(f->be, &f->acct, f->audit.flow, pw, msg, sizeof(msg))) {
            case SSPR_COMMIT_OK:
                rc = 0;
                break;
            case SSPR_COMMIT_REFUSED:
                /* the password policy says why; a refusal without words is E402 */
                sspr_audit(&f->audit, "writeback-fail",
                           msg[0] != '\0' ? "code=SSPR-E401 reason=refused-by-pam"
                                          : "code=SSPR-E402 reason=refused-by-pam");
                if (msg[0] == '\0')
                    sspr_flow_say_code(f, SSPR_E_CHAUTHTOK, NULL);
                why = msg[0] != '\0' ? msg : NULL;
                break;
            case SSPR_COMMIT_LOST:
                sspr_audit(&f->audit, "writeback-fail", "reason=superseded");
                sspr_chan_error(&f->ch, MSG_SUPERSEDED);
                rc = -2;
                break;
            case SSPR_COMMIT_CHANGED:
                sspr_audit(&f->audit, "writeback-fail", "code=SSPR-E403 reason=account-changed");
                sspr_flow_say_code(f, SSPR_E_ACCOUNT_CHANGED, NULL);
                rc = -2;
                break;
            case SSPR_COMMIT_ERROR:
                sspr_audit(&f->audit, "writeback-fail", "code=SSPR-E103 reason=store");
                sspr_flow_say_code(f, SSPR_E_STATE_DIR, NULL);
                rc = -2;
                break;
            }
        }
        if (rc == -1 && why != NULL)
            sspr_chan_error(&f->ch, why);
    }
    SSPR_WIPE_ARRAY(pw);
    SSPR_WIPE_ARRAY(again);
    return rc;
}

int sspr_reset_run(struct sspr_flow *f)
{
    unsigned used = 0, allowed;
    int gates, admin;

    assess(f);
    sspr_chan_info(&f->ch, MSG_INTRO);
    /* An account that cannot pass is asked as a plain user would be: the
     * admin's second gate is only seen after a first gate passed. */
    admin = f->can_pass && f->is_admin;
    gates = sspr_policy_gates(f->cfg, admin);
    allowed = f->can_pass ? sspr_policy_methods(f->cfg, admin) : 0;
    for (int g = 0; g < sspr_policy_gates_needed(used, gates, admin); g++) {
        int m = sspr_gate_run(f, g, allowed & ~used, used);
        if (m < 0)
            return -1;
        if (m == 0) {
            sspr_flow_finish(f, SSPR_RESULT_DENIED, "gate-failed");
            return 0;
        }
        used |= (unsigned)m;
    }
    if (!f->can_pass) { /* cannot happen: no gate passes on this path */
        sspr_flow_finish(f, SSPR_RESULT_DENIED, "dummy");
        return 0;
    }
    f->stage = SSPR_SHOW_AFTER_GATES;
    if (sspr_be_grant(f->be, &f->acct, f->audit.flow) != SSPR_OK) {
        sspr_chan_error(&f->ch, MSG_UNAVAILABLE);
        sspr_flow_finish(f, SSPR_RESULT_UNAVAILABLE, "grant-not-stored");
        return 0;
    }
    int rc = set_password(f);
    if (rc == -2 && (f->ch.broken || f->ch.cancelled))
        return -1; /* no more messages: run.c sends the RESULT a cancel allows */
    if (rc != 0) {
        sspr_chan_error(&f->ch, MSG_NOT_CHANGED);
        sspr_flow_finish(f, SSPR_RESULT_DENIED, "password-not-set");
        return 0;
    }
    sspr_audit(&f->audit, "writeback", "result=ok");
    if (sspr_throttle_clear(f->be, &f->subject) == SSPR_OK)
        f->nrefunds = 0; /* cleared with everything else */
    sspr_notify_reset(f);
    sspr_flow_finish(f, SSPR_RESULT_RESET_DONE, "ok");
    return 0;
}
