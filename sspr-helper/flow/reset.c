/*
 * The reset: resolve the account -> eligibility and policy -> gates -> the
 * reset grant -> new password twice -> checks -> commit -> notice -> RESULT.
 * The same flow serves the login prompt (modes offer, trigger, kiosk) and
 * passwd (mode passwd: a forgotten current password). After the gates, an
 * account that failed sign-ins locked (pam_faillock's tally, or the
 * backend's own lockout) may be unlocked instead, keeping its password
 * (not in passwd mode: that user asked for a new password); a reset lifts
 * that lockout too. An admin's lock is never lifted: such an account is
 * not eligible and never passes a gate.
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
#include "gates/gate.h"
#include "policy/password.h"
#include "policy/policy.h"
#include "proofs/totp.h"
#include "service.h"
#include "state/throttle.h"
#include "support/i18n.h"
#include "wipe.h"

/* Without a menu the code prompt comes next: a greeter that shows only
 * this message (lightdm-gtk-greeter hides the prompt behind it) must still
 * say what to type. */
static const char MSG_INTRO_CODE[] =
    N_("To reset your password, type a code from your authenticator "
       "app or a recovery code.");
static const char MSG_INTRO_MENU[] = N_("To reset your password, first confirm it is you.");
static const char MSG_NEW[] = N_("New password: ");
static const char MSG_RETYPE[] = N_("Retype new password: ");
static const char MSG_MISMATCH[] = N_("The passwords do not match.");
static const char MSG_UNAVAILABLE[] = N_("Password reset is not available right now. "
                                         "Try again later or ask your administrator.");
static const char MSG_SUPERSEDED[] = N_("Another password reset for this account was started "
                                        "after this one.");
static const char MSG_NOT_CHANGED[] = N_("Your password was not changed.");
/* short enough to follow a refusal in one greeter message */
static const char MSG_LAST_TRY[] = N_("Last try used: your password was not changed. "
                                      "Start the reset again.");
static const char MSG_CANCELLED[] = N_("Nothing was entered, so the password reset stops here.");
static const char MSG_ASK_ADMIN[] = N_("If you cannot confirm it is you, ask your administrator.");
static const char MSG_LOCKED_OUT[] = N_("Your account is locked after too many failed sign-in "
                                        "attempts.");
static const char MSG_ASK_UNLOCK[] = N_("Unlock it and keep your current password? [Y/n] ");
static const char MSG_UNLOCK_FAILED[] = N_("Your account could not be unlocked right now. "
                                           "Try again later or ask your administrator.");

/* Decide whether this flow can ever succeed; logs why not. Returns -1
 * when the backend itself is down for every name alike (a directory that
 * does not answer): then there is nothing to walk through, and saying so
 * tells nothing about the name. */
static int assess(struct sspr_flow *f)
{
    const char *why = NULL;
    int code = 0;

    f->assessed = 1; /* once, whatever it finds */
    if (sspr_be_resolve(f->be, f->hello.user, &f->acct) != SSPR_OK) {
        if (f->be->code != 0 && sspr_error_may_show(f->be->code, SSPR_SHOW_ANYONE))
            return -1;
        if (f->acct.why == SSPR_ACCT_OK)
            f->acct.why = SSPR_ACCT_LOOKUP;
    }
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
    return 0;
}

/* Why a new password is refused before it is typed again: our own rules,
 * then the system's quality rules (policy/pwquality.c). NULL when fine. */
static const char *precheck(struct sspr_flow *f, const char *pw, char *buf, size_t len)
{
    const char *why = sspr_pwcheck(f->cfg, f->acct.name, pw);

    if (why == NULL && sspr_pwquality_precheck(f->cfg, f->acct.name, pw, buf, len) != 0)
        why = buf;
    return why;
}

/* Say why a try was refused; on the last try, with the end in the same
 * message (a greeter shows only the last one). */
static void refuse_try(struct sspr_flow *f, const char *why, int last)
{
    char text[1200];

    if (!last) {
        sspr_chan_error(&f->ch, why);
        return;
    }
    snprintf(text, sizeof(text), "%s%s%s", why != NULL ? why : "", why != NULL ? " " : "",
             _(MSG_LAST_TRY));
    sspr_chan_error(&f->ch, text);
}

/* Ask for the new password until it is set or tries run out: checked after
 * the first entry, then typed again. Returns 0 when set, -1 when not (the
 * user was told), -2 when the flow must end at once. */
static int set_password(struct sspr_flow *f)
{
    char pw[SSPR_ANSWER_MAX + 1], again[SSPR_ANSWER_MAX + 1], msg[1024], why_buf[512];
    int rc = -1;

    for (int t = 0; t < f->cfg->max_tries && rc == -1; t++) {
        int last = t + 1 == f->cfg->max_tries;
        const char *why;

        if (sspr_chan_prompt(&f->ch, 0, _(MSG_NEW), pw) != 0) {
            rc = -2;
            break;
        }
        if ((why = precheck(f, pw, why_buf, sizeof(why_buf))) != NULL) {
            refuse_try(f, why, last);
            continue;
        }
        if (sspr_chan_prompt(&f->ch, 0, _(MSG_RETYPE), again) != 0) {
            rc = -2;
            break;
        }
        if (strlen(pw) != strlen(again) || sodium_memcmp(pw, again, strlen(pw)) != 0) {
            refuse_try(f, _(MSG_MISMATCH), last);
            continue;
        }
        switch (sspr_be_commit(f->be, &f->acct, f->audit.flow, pw, msg, sizeof(msg))) {
        case SSPR_COMMIT_OK:
            rc = 0;
            break;
        case SSPR_COMMIT_REFUSED:
            /* the password policy says why; a refusal without words is E402 */
            sspr_audit(&f->audit, "writeback-fail",
                       msg[0] != '\0' ? "code=SSPR-E401 reason=refused-by-pam"
                                       : "code=SSPR-E402 reason=refused-by-pam");
            if (msg[0] == '\0') {
                sspr_flow_say_code(f, SSPR_E_CHAUTHTOK, NULL);
                if (last)
                    refuse_try(f, NULL, last);
            } else {
                sspr_pwquality_phrase(msg, why_buf, sizeof(why_buf));
                refuse_try(f, sspr_pwquality_is_refusal(msg) ? why_buf : msg, last);
            }
            break;
        case SSPR_COMMIT_LOST:
            sspr_audit(&f->audit, "writeback-fail", "reason=superseded");
            sspr_chan_error(&f->ch, _(MSG_SUPERSEDED));
            rc = -2;
            break;
        case SSPR_COMMIT_CHANGED:
            sspr_audit(&f->audit, "writeback-fail", "code=SSPR-E403 reason=account-changed");
            sspr_flow_say_code(f, SSPR_E_ACCOUNT_CHANGED, NULL);
            rc = -2;
            break;
        case SSPR_COMMIT_ERROR: {
            /* the backend's own code when it named one (a directory), else the store */
            int code = f->be->code != 0 ? f->be->code : SSPR_E_STATE_DIR;
            char detail[64];

            snprintf(detail, sizeof(detail), "code=SSPR-E%03d reason=backend", code);
            sspr_audit(&f->audit, "writeback-fail", detail);
            sspr_flow_say_code(f, code, NULL);
            rc = -2;
            break;
        }
        }
    }
    SSPR_WIPE_ARRAY(pw);
    SSPR_WIPE_ARRAY(again);
    return rc;
}

/* Lift the backend's lockout after failed sign-ins (audited). 0, or -1. */
static int unlock(struct sspr_flow *f, const char *why)
{
    char detail[64];
    int rc = sspr_be_unlock(f->be, &f->acct);

    if (rc == SSPR_ERR_UNSUPPORTED)
        return 0;
    snprintf(detail, sizeof(detail), "result=%s reason=%s", rc == SSPR_OK ? "ok" : "failed", why);
    sspr_audit(&f->audit, rc == SSPR_OK ? "unlock" : "unlock-fail", detail);
    return rc == SSPR_OK ? 0 : -1;
}

/* After the gates: is the account locked by failed sign-ins now? (A fresh
 * look: the lockout may have started or ended during the flow.) */
static int locked_out(struct sspr_flow *f)
{
    struct sspr_account now;

    return sspr_be_resolve(f->be, f->acct.name, &now) == SSPR_OK && now.known &&
           now.uid == f->acct.uid && now.why == SSPR_ACCT_OK && now.lockout;
}

/* Offer to unlock and keep the password: 1 done (RESULT sent), 0 go on to
 * a new password, -1 the channel broke. */
static int offer_unlock(struct sspr_flow *f)
{
    int yes;

    sspr_chan_info(&f->ch, _(MSG_LOCKED_OUT));
    yes = sspr_flow_ask_yes(f, _(MSG_ASK_UNLOCK), 1);
    if (yes < 0)
        return -1;
    if (!yes)
        return 0;
    if (unlock(f, "unlock-only") != 0) {
        sspr_chan_error(&f->ch, _(MSG_UNLOCK_FAILED));
        sspr_flow_finish(f, SSPR_RESULT_UNAVAILABLE, "unlock-failed");
        return 1;
    }
    if (sspr_throttle_clear(f->be, &f->subject) == SSPR_OK)
        f->nrefunds = 0;
    sspr_notify_unlock(f);
    sspr_flow_finish(f, SSPR_RESULT_UNLOCKED, "ok");
    return 1;
}

/* The account is looked at while the user reads the first prompt when
 * that prompt is the same for every name and needs nothing from it: the
 * menu (the system's methods, whoever asks), or the code prompt (nothing
 * sent before it). The user sees the prompt one account lookup sooner (NSS
 * for the account and the admin groups: about a millisecond, more with
 * remote NSS). The lookup's time is moved, not removed: a client that
 * answers at once meets it after its answer instead, which tells no more
 * than before. A directory backend is asked first: when it is down, that
 * is said before any prompt. */
static int assess_while_asked(const struct sspr_flow *f)
{
    if (f->be->ops->caps & SSPR_BE_REMOTE)
        return 0;
    return sspr_gate_menu_on(f->cfg) || sspr_gate_first_asks_code(f->cfg);
}

/* What every reset needs before it judges an answer, for every name
 * alike: the account (when it was left for the first prompt), then what
 * judging and committing load (liboath when the app method is on, the
 * backend's own: libpam for the local writeback; support/lazy.h), so that a
 * machine that could not finish says so before any answer is judged and
 * the first code checked costs the same for every name. Run while the
 * first prompt is read; `yield` stops before a step once the user's answer
 * (or cancel) is already there, and whoever needs the rest runs it then:
 * a cancel does not wait for libraries it will never use. (A local backend
 * is never down for every name alike; if it were, the flow goes on as a
 * dummy one and fails like one.) */
static void prepare(struct sspr_flow *f, int yield)
{
    const struct sspr_gate *totp = sspr_gate_by_name("totp");

    if (!f->assessed) {
        if (yield && sspr_chan_pending(&f->ch))
            return;
        (void)assess(f);
    }
    if (!f->loaded) {
        if (yield && sspr_chan_pending(&f->ch))
            return;
        f->loaded = 1;
        if ((totp != NULL && (sspr_policy_system_methods(f->cfg) & sspr_gate_bit(totp)) &&
             sspr_totp_ready() != 0) ||
            sspr_be_prepare(f->be) != SSPR_OK)
            f->unready = 1;
    }
}

static void while_first_prompt(void *vf)
{
    prepare(vf, 1);
}

void sspr_flow_assess(struct sspr_flow *f)
{
    if (f->ch.while_asked == while_first_prompt)
        f->ch.while_asked = NULL;
    prepare(f, 0);
}

int sspr_flow_counts(struct sspr_flow *f, const struct sspr_gate *g)
{
    sspr_flow_assess(f);
    /* An account that cannot pass is asked as a plain user would be: the
     * admin's second gate is only seen after a first gate passed. */
    return f->can_pass &&
           (sspr_policy_methods(f->cfg, f->is_admin) & ~f->used & sspr_gate_bit(g)) != 0;
}

int sspr_reset_run(struct sspr_flow *f)
{
    int passwd_mode = strcmp(f->hello.mode, "passwd") == 0, lockout;

    if (!assess_while_asked(f) && assess(f) != 0) {
        sspr_flow_say_code(f, f->be->code, NULL);
        sspr_flow_finish(f, SSPR_RESULT_UNAVAILABLE, "backend-down");
        return 0;
    }
    f->ch.while_asked = while_first_prompt;
    f->ch.while_asked_ctx = f;
    /* a greeter's one-line menu says it all in one message */
    if (!sspr_gate_menu_on(f->cfg))
        sspr_chan_info(&f->ch, _(MSG_INTRO_CODE));
    else if (!sspr_service_is_greeter(f->hello.service))
        sspr_chan_info(&f->ch, _(MSG_INTRO_MENU));
    for (int g = 0;; g++) {
        int m = sspr_gate_run(f, g);
        /* the account is known by now (the audit names it) unless the user
         * answered or cancelled at once; libraries only when judging */
        if (!f->assessed)
            (void)assess(f);
        if (m == SSPR_STEP_CANCEL) {
            /* an error: gnome-shell drops info messages once it fails */
            sspr_chan_error(&f->ch, _(MSG_CANCELLED));
            sspr_flow_finish(f, SSPR_RESULT_DENIED, "cancelled");
            return 0;
        }
        if (m < 0)
            return -1;
        if (m == 0) {
            /* the same last words for every name that gets no further,
             * in one message with the gate's last one */
            sspr_chan_error_close(&f->ch, _(MSG_ASK_ADMIN));
            sspr_flow_finish(f, SSPR_RESULT_DENIED, "gate-failed");
            return 0;
        }
        f->used |= (unsigned)m;
        int admin = f->can_pass && f->is_admin;
        if (g + 1 >= sspr_policy_gates_needed(f->used, sspr_policy_gates(f->cfg, admin), admin))
            break;
    }
    if (!f->can_pass) { /* cannot happen: no gate passes on this path */
        sspr_flow_finish(f, SSPR_RESULT_DENIED, "dummy");
        return 0;
    }
    f->stage = SSPR_SHOW_AFTER_GATES;
    lockout = locked_out(f);
    if (lockout && !passwd_mode) {
        int u = offer_unlock(f);
        if (u != 0)
            return u < 0 ? -1 : 0;
    }
    if (sspr_be_grant(f->be, &f->acct, f->audit.flow) != SSPR_OK) {
        sspr_chan_error(&f->ch, _(MSG_UNAVAILABLE));
        sspr_flow_finish(f, SSPR_RESULT_UNAVAILABLE, "grant-not-stored");
        return 0;
    }
    int rc = set_password(f);
    if (rc == -2 && (f->ch.broken || f->ch.cancelled))
        return -1; /* no more messages: run.c sends the RESULT a cancel allows */
    if (rc != 0) {
        if (rc == -2) /* superseded, account changed, store failure: said; now the end */
            sspr_chan_error_close(&f->ch, _(MSG_NOT_CHANGED));
        sspr_flow_finish(f, SSPR_RESULT_DENIED, "password-not-set");
        return 0;
    }
    sspr_audit(&f->audit, "writeback", "result=ok");
    if (lockout)
        (void)unlock(f, "after-reset"); /* else the new password would not get in */
    if (sspr_throttle_clear(f->be, &f->subject) == SSPR_OK)
        f->nrefunds = 0; /* cleared with everything else */
    sspr_notify_reset(f);
    sspr_flow_finish(f, SSPR_RESULT_RESET_DONE, "ok");
    return 0;
}
