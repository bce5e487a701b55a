/*
 * The flow: HELLO -> resolve account -> eligibility and policy -> gates ->
 * new password twice -> checks -> writeback -> RESULT.
 *
 * Every account that cannot succeed (unknown, ineligible, not enabled, no
 * methods) walks the same prompts as a registered user who types a wrong
 * code, and is throttled the same way, so the transcript tells nothing
 * (SECURITY.md 14). Only a verified gate moves anything (SECURITY.md 15).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "backends/account.h"
#include "support/audit.h"
#include "backends/backend.h"
#include "support/channel.h"
#include "support/errors.h"
#include "flow/flow.h"
#include "flow/flow_ctx.h"
#include "flow/gate_run.h"
#include "flow/notify.h"
#include "flow/register.h"
#include "policy/policy.h"
#include "policy/password.h"
#include "state/throttle.h"
#include "wipe.h"
#include "backends/local/writeback.h"

#define TRIES_PER_GATE 3

static const char MSG_INTRO[] = "To reset your password, first confirm it is you.";
static const char MSG_NEW[] = "New password: ";
static const char MSG_RETYPE[] = "Retype new password: ";
static const char MSG_MISMATCH[] = "The passwords do not match.";
static const char MSG_UNAVAILABLE[] = "Password reset is not available right now. "
                                      "Try again later or ask your administrator.";
static const char MSG_NOT_HERE[] = "Password reset is not offered here. "
                                   "Ask your administrator where you can reset your password.";
static const char MSG_SUPERSEDED[] = "Another password reset for this account was started "
                                     "after this one.";
static const char MSG_NOT_CHANGED[] = "Your password was not changed.";

void sspr_flow_finish(struct sspr_flow *f, const char *word, const char *why)
{
    char detail[128];

    snprintf(detail, sizeof(detail), "result=%s reason=%s", word, why);
    sspr_audit(&f->audit, "outcome", detail);
    sspr_chan_result(&f->ch, word);
}

/* Decide whether this flow can ever succeed; logs why not. */
/* Decide whether this flow can ever succeed; logs why not. */
static void assess(struct sspr_flow *f)
{
    unsigned methods = 0;
    const char *why = NULL;
    int code = 0;

    sspr_account_resolve(f->hello.user, f->cfg, &f->acct);
    f->audit.user = f->acct.known ? f->acct.name : NULL;
    f->audit.uid = f->acct.known ? (long)f->acct.uid : -1;
    if (f->acct.why != SSPR_ACCT_OK) {
        why = sspr_account_why(f->acct.why);
        code = sspr_account_error(f->acct.why);
    } else if (!sspr_policy_enabled(f->cfg, &f->acct)) {
        why = "not enabled by policy";
        code = SSPR_E_NOT_ENABLED;
    } else if (f->be.methods(&f->be, &f->acct, &methods) != 0) {
        why = "record unreadable";
        code = SSPR_E_RECORD_CORRUPT;
    } else if (methods == 0) {
        why = "no registered methods";
        code = SSPR_E_NO_METHODS;
    }
    f->is_admin = f->acct.known && sspr_policy_is_admin(f->cfg, &f->acct);
    f->can_pass = why == NULL;
    (void)sspr_throttle_key(&f->store, f->acct.known ? (long)f->acct.uid : -1, f->hello.user,
                            f->throttle_key, sizeof(f->throttle_key)); /* "" fails closed */

    char detail[200], mode[32], id[16] = "";
    sspr_audit_escape(f->hello.mode, mode, sizeof(mode));
    if (code != 0)
        (void)sspr_error_id(code, id, sizeof(id));
    snprintf(detail, sizeof(detail), "mode=%s eligible=%s%s%s%s%s%s", mode,
             f->can_pass ? "yes" : "no", why ? " code=" : "", id, why ? " reason=\"" : "",
             why ? why : "", why ? "\"" : "");
    sspr_audit(&f->audit, "request", detail);
}

/* Tell the user about a failure whose code may be shown at this stage. */
static void say_code(struct sspr_flow *f, int code)
{
    char text[256];

    if (sspr_error_user_text(code, text, sizeof(text)) > 0)
        sspr_chan_error(&f->ch, text);
    else
        sspr_chan_error(&f->ch, MSG_UNAVAILABLE);
}

/* After the gates this flow holds the account's one reset grant. A flow
 * that passes its gates later takes it over, so of two resets racing for
 * one account at most one commits (SECURITY.md 20). */
static int grant_set(json_t *rec, void *flow_id)
{
    return json_object_set_new(rec, "grant", json_string(flow_id));
}

static int take_grant(struct sspr_flow *f)
{
    return sspr_local_edit(&f->store, f->acct.uid, f->acct.name, grant_set, f->audit.flow);
}

enum commit { COMMIT_OK, COMMIT_REFUSED, COMMIT_LOST, COMMIT_CHANGED, COMMIT_ERROR };

/* Write the password under the account's lock, only while this flow still
 * holds the grant and the account is still eligible (an admin may have
 * locked it meanwhile). msg gets the PAM stack's messages on a refusal. */
static enum commit commit(struct sspr_flow *f, const char *pw, char *msg, size_t msglen)
{
    char key[64];
    json_t *rec = NULL, *grant;
    struct sspr_account now;
    enum commit c = COMMIT_ERROR;
    int lockfd;

    sspr_local_user_key(f->acct.uid, key, sizeof(key));
    lockfd = sspr_store_lock(&f->store, key, 5000);
    if (lockfd < 0)
        return COMMIT_ERROR;
    if (sspr_store_read(&f->store, key, &rec) != SSPR_STORE_OK)
        goto out;
    grant = json_object_get(rec, "grant");
    if (!json_is_string(grant) || strcmp(json_string_value(grant), f->audit.flow) != 0) {
        c = COMMIT_LOST;
        goto out;
    }
    /* Re-checked right before the write: an admin may have locked the
     * account meanwhile. (The shadow lock cannot be held across the write:
     * glibc refuses lckpwdf() twice in one process, and pam_unix takes it
     * inside; a lock set in the milliseconds between remains a known race.) */
    sspr_account_resolve(f->acct.name, f->cfg, &now);
    if (now.why != SSPR_ACCT_OK || now.uid != f->acct.uid) {
        c = COMMIT_CHANGED;
        goto out;
    }
    if (sspr_writeback(f->cfg, f->acct.name, pw, msg, msglen) != 0) {
        c = COMMIT_REFUSED;
        goto out;
    }
    c = COMMIT_OK;
    json_object_del(rec, "grant");
    (void)sspr_store_write(&f->store, key, rec); /* a stale grant is harmless */
out:
    json_decref(rec);
    sspr_store_unlock(lockfd);
    return c;
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
            switch (commit(f, pw, msg, sizeof(msg))) {
            case COMMIT_OK:
                rc = 0;
                break;
            case COMMIT_REFUSED:
                /* pwquality says why; a refusal without words is E402 */
                sspr_audit(&f->audit, "writeback-fail",
                           msg[0] != '\0' ? "code=SSPR-E401 reason=refused-by-pam"
                                           : "code=SSPR-E402 reason=refused-by-pam");
                if (msg[0] == '\0')
                    say_code(f, SSPR_E_CHAUTHTOK);
                why = msg[0] != '\0' ? msg : NULL;
                break;
            case COMMIT_LOST:
                sspr_audit(&f->audit, "writeback-fail", "reason=superseded");
                sspr_chan_error(&f->ch, MSG_SUPERSEDED);
                rc = -2;
                break;
            case COMMIT_CHANGED:
                sspr_audit(&f->audit, "writeback-fail", "code=SSPR-E403 reason=account-changed");
                say_code(f, SSPR_E_ACCOUNT_CHANGED);
                rc = -2;
                break;
            case COMMIT_ERROR:
                sspr_audit(&f->audit, "writeback-fail", "code=SSPR-E103 reason=store");
                say_code(f, SSPR_E_STATE_DIR);
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

/* Questions are never the only proof, and an admin is never through on
 * delivery channels (email, SMS) alone, whatever admin_gates says: such a
 * flow needs one more gate. */
static int gates_needed(unsigned used, int base, int is_admin)
{
    int n = used == SSPR_M_QUESTIONS && base < 2 ? 2 : base;

    if (is_admin && used != 0 && (used & ~(SSPR_M_DELIVERY | SSPR_M_QUESTIONS)) == 0)
        n = n < 2 ? 2 : n;
    return n;
}

static int run(struct sspr_flow *f)
{
    unsigned used = 0, allowed;
    int gates;

    assess(f);
    sspr_chan_info(&f->ch, MSG_INTRO);
    /* An account that cannot pass is asked as a plain user would be: the
     * admin's second gate is only seen after a first gate passed. */
    gates = sspr_policy_gates(f->cfg, f->can_pass && f->is_admin);
    allowed = sspr_policy_methods(f->cfg, f->can_pass && f->is_admin);
    for (int g = 0; g < gates_needed(used, gates, f->can_pass && f->is_admin); g++) {
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
    if (take_grant(f) != SSPR_STORE_OK) {
        sspr_chan_error(&f->ch, MSG_UNAVAILABLE);
        sspr_flow_finish(f, SSPR_RESULT_UNAVAILABLE, "grant-not-stored");
        return 0;
    }
    int rc = set_password(f);
    if (rc == -2 && f->ch.broken)
        return -1;
    if (rc != 0) {
        sspr_chan_error(&f->ch, MSG_NOT_CHANGED);
        sspr_flow_finish(f, SSPR_RESULT_DENIED, "password-not-set");
        return 0;
    }
    sspr_audit(&f->audit, "writeback", "result=ok");
    (void)sspr_throttle_clear(&f->store, f->throttle_key);
    sspr_notify_reset(f);
    sspr_flow_finish(f, SSPR_RESULT_RESET_DONE, "ok");
    return 0;
}

int sspr_flow_run(int fd, const struct sspr_config *cfg, int cfg_ok)
{
    struct sspr_flow f;
    int rc;

    memset(&f, 0, sizeof(f));
    f.cfg = cfg;
    f.audit.uid = -1;
    sspr_audit_begin(&f.audit);
    sspr_chan_init(&f.ch, fd, cfg->flow_timeout);
    if (sspr_chan_hello(&f.ch, &f.hello) != 0) {
        syslog(LOG_ERR, "no valid HELLO from the module");
        return 1;
    }
    f.audit.service = f.hello.service;
    f.audit.rhost = f.hello.rhost;
    f.audit.tty = f.hello.tty;
    if (!cfg_ok || sspr_store_open(&f.store, cfg->state_dir, 0) != SSPR_STORE_OK) {
        int code = cfg_ok ? SSPR_E_STATE_DIR : SSPR_E_CONFIG_INVALID;
        syslog(LOG_ERR, "SSPR-E%d: %s", code,
               cfg_ok ? "state directory unusable" : "configuration unusable");
        /* a login must not be disturbed by registration's troubles */
        if (strcmp(f.hello.mode, "register") != 0)
            say_code(&f, code);
        sspr_flow_finish(&f, SSPR_RESULT_UNAVAILABLE, cfg_ok ? "state-dir" : "config");
        return 1;
    }
    sspr_backend_local(&f.be, &f.store);
    if (strcmp(f.hello.mode, "register") != 0 &&
        !sspr_policy_service_enabled(cfg, f.hello.service)) {
        sspr_chan_error(&f.ch, MSG_NOT_HERE);
        sspr_flow_finish(&f, SSPR_RESULT_UNAVAILABLE, "service-not-enabled");
        sspr_store_close(&f.store);
        return 0;
    }
    int reg = strcmp(f.hello.mode, "register") == 0;
    rc = reg ? sspr_register_run(&f) : run(&f);
    if (rc < 0 && f.ch.cancelled && !f.ch.broken) {
        /* The user's conversation failed. At sign-in that is a skip when it
         * could not prompt at all (SSH public-key logins), but under
         * `require` an abort after answering something is not a way in. */
        const char *word = !reg ? SSPR_RESULT_DENIED
                         : (cfg->register_at_login == SSPR_REG_REQUIRE && f.ch.answered > 0)
                             ? SSPR_RESULT_REQUIRED : SSPR_RESULT_SKIPPED;
        sspr_flow_finish(&f, word, "conversation-failed");
        rc = 0;
    } else if (rc < 0) {
        sspr_audit(&f.audit, "outcome", "result=aborted reason=channel-closed");
    }
    /* Made-up names leave throttle records behind: now and then, sweep the
     * ones that say nothing any more (after the RESULT: the user waits for
     * nothing). */
    if (!f.acct.known && randombytes_uniform(32) == 0)
        (void)sspr_throttle_gc(&f.store, time(NULL), cfg, NULL);
    sspr_store_close(&f.store);
    return rc < 0 ? 1 : 0;
}
