/*
 * One `sspr-helper pam` run: read HELLO, open the backend, then the reset
 * or registration at sign-in, and always a RESULT unless the module went
 * away. Also the two things every step shares: the final RESULT and the
 * one place an SSPR code reaches the user.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "flow/flow.h"
#include "policy/policy.h"
#include "support/i18n.h"

static const char MSG_NOT_HERE[] = N_("Password reset is not offered here. "
                                      "Ask your administrator where you can reset your password.");
static const char MSG_NOT_OTHER[] = N_("Password reset is not offered here for another account. "
                                       "Its owner can reset it where they sign in.");

void sspr_flow_finish(struct sspr_flow *f, const char *word, const char *why)
{
    char detail[128];

    snprintf(detail, sizeof(detail), "result=%s reason=%s", word, why);
    sspr_audit(&f->audit, "outcome", detail);
    sspr_chan_result(&f->ch, word);
}

void sspr_flow_say_code(struct sspr_flow *f, int code, const char *lead)
{
    char line[512], id[16];

    if (!sspr_error_may_show(code, f->stage)) {
        /* never said on this path: log it with the flow id, show the reference */
        syslog(LOG_NOTICE, "flow=%s SSPR-E%03d not shown at this step", f->audit.flow, code);
        if (sspr_error_generic_text(f->audit.flow, line, sizeof(line)) < 0)
            snprintf(line, sizeof(line), "%s", _("Password reset is not available right now."));
        sspr_chan_error_final(&f->ch, line);
        return;
    }
    if (lead == NULL) {
        if (sspr_error_user_text(code, line, sizeof(line)) < 0)
            snprintf(line, sizeof(line), "%s", _("Password reset is not available right now."));
    } else {
        (void)sspr_error_id(code, id, sizeof(id));
        /* TRANSLATORS: "Email could not be sent right now (SSPR-E301). ..." */
        snprintf(line, sizeof(line), _("%s (%s). Choose another way or ask your administrator."),
                 _(lead), id);
    }
    sspr_chan_error_final(&f->ch, line); /* it says whom to ask */
}

static int is_register(const struct sspr_flow *f)
{
    return strcmp(f->hello.mode, "register") == 0;
}

static int run(int fd, const struct sspr_config *cfg, int cfg_ok,
               const struct sspr_backend_ops *ops)
{
    struct sspr_backend be;
    struct sspr_flow f;
    int rc, reg, be_rc = SSPR_ERR_INVAL;

    memset(&f, 0, sizeof(f));
    sspr_record_init(&f.rec);
    f.cfg = cfg;
    f.be = &be;
    f.audit.uid = -1;
    memset(&be, 0, sizeof(be));
    sspr_audit_begin(&f.audit);
    sspr_chan_init(&f.ch, fd, cfg->flow_timeout);
    if (sspr_chan_hello(&f.ch, &f.hello) != 0) {
        syslog(LOG_ERR, "no valid HELLO from the module");
        return 1;
    }
    if (sspr_i18n_set(f.hello.lang) != 0) {
        char shown[2 * SSPR_LANG_MAX + 8];
        sspr_audit_escape(f.hello.lang, shown, sizeof(shown));
        syslog(LOG_NOTICE, "language \"%s\" is malformed or not installed: English", shown);
    }
    f.audit.service = f.hello.service;
    f.audit.rhost = f.hello.rhost;
    f.audit.tty = f.hello.tty;
    reg = is_register(&f);
    f.stage = reg ? SSPR_SHOW_AUTHENTICATED : SSPR_SHOW_ANYONE;
    if (cfg_ok)
        be_rc =
            ops != NULL ? sspr_backend_open_with(&be, ops, cfg, 0) : sspr_backend_open(&be, cfg, 0);
    if (!cfg_ok || be_rc != SSPR_OK) {
        int code = cfg_ok ? SSPR_E_STATE_DIR : SSPR_E_CONFIG_INVALID;
        syslog(LOG_ERR, "SSPR-E%d: %s", code,
               cfg_ok ? "backend storage unusable" : "configuration unusable");
        /* a login must not be disturbed by registration's troubles */
        if (!reg)
            sspr_flow_say_code(&f, code, NULL);
        sspr_flow_finish(&f, SSPR_RESULT_UNAVAILABLE, cfg_ok ? "state-dir" : "config");
        return 1;
    }
    if (!reg && !sspr_policy_service_enabled(cfg, f.hello.service)) {
        sspr_chan_error(&f.ch, _(MSG_NOT_HERE));
        sspr_flow_finish(&f, SSPR_RESULT_UNAVAILABLE, "service-not-enabled");
        sspr_backend_close(&be);
        return 0;
    }
    /* su to another account, sudo with rootpw or targetpw: someone signed
     * in as RUSER types the password of USER. No reset of USER there,
     * unless the admin named the service in `services` (a string compare
     * of what the application set: no lookup, so nothing is told). */
    if (!reg && !sspr_policy_other_account_ok(cfg, f.hello.service, f.hello.ruser, f.hello.user)) {
        sspr_chan_error(&f.ch, _(MSG_NOT_OTHER));
        sspr_flow_finish(&f, SSPR_RESULT_UNAVAILABLE, "other-account");
        sspr_backend_close(&be);
        return 0;
    }
    rc = reg ? sspr_register_run(&f) : sspr_reset_run(&f);
    if (rc < 0 && f.ch.cancelled && !f.ch.broken) {
        /* The user's conversation failed. At sign-in that is a skip when it
         * could not prompt at all (SSH public-key logins), but under
         * `require` an abort after answering something is not a way in. */
        const char *word = !reg ? SSPR_RESULT_DENIED
                           : (cfg->register_at_login == SSPR_REG_REQUIRE && f.ch.answered > 0)
                               ? SSPR_RESULT_REQUIRED
                               : SSPR_RESULT_SKIPPED;
        sspr_flow_finish(&f, word, "conversation-failed");
        rc = 0;
    } else if (rc < 0) {
        sspr_audit(&f.audit, "outcome", "result=aborted reason=channel-closed");
    }
    sspr_flow_settle(&f);
    sspr_record_clear(&f.rec);
    sspr_backend_close(&be);
    return rc < 0 ? 1 : 0;
}

int sspr_flow_run(int fd, const struct sspr_config *cfg, int cfg_ok)
{
    return run(fd, cfg, cfg_ok, NULL);
}

int sspr_flow_run_with(int fd, const struct sspr_config *cfg, const struct sspr_backend_ops *ops)
{
    return run(fd, cfg, 1, ops);
}
