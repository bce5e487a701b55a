/*
 * Registration at sign-in (account stage). The user has just signed in, so
 * unlike the reset path this may say what is registered and what is
 * missing. Declining is allowed unless register_at_login = require; any
 * failure here ends with RESULT and never blocks the login on its own (the
 * module maps everything but "required" to PAM_IGNORE). What may be
 * registered and what is enough is the policy's (policy/policy.c); how a
 * method is registered is its gate's (enroll_at_login).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "flow/flow.h"
#include "flow/notify.h"
#include "policy/policy.h"
#include "state/throttle.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES 3
#define INFO_CHUNK 480 /* PAM messages are at most 512 bytes */

/* Send text as INFO messages, split at line ends to fit a PAM message. */
void sspr_flow_show(struct sspr_flow *f, const char *text)
{
    char chunk[INFO_CHUNK + 1];
    size_t used = 0;

    while (*text != '\0') {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n > INFO_CHUNK)
            n = INFO_CHUNK;
        if (used > 0 && used + 1 + n > INFO_CHUNK) {
            chunk[used] = '\0';
            sspr_chan_info(&f->ch, chunk);
            used = 0;
        }
        if (used > 0)
            chunk[used++] = '\n';
        memcpy(chunk + used, text, n);
        used += n;
        text += n;
        if (*text == '\n')
            text++;
    }
    if (used > 0) {
        chunk[used] = '\0';
        sspr_chan_info(&f->ch, chunk);
    }
}

/* -1 channel broken, else 1 for yes, 0 for no. Empty takes the default. */
int sspr_flow_ask_yes(struct sspr_flow *f, const char *prompt, int dflt)
{
    char a[SSPR_ANSWER_MAX + 1];
    int yes;

    if (sspr_chan_prompt(&f->ch, 1, prompt, a) != 0)
        return -1;
    if (a[0] == '\0')
        yes = dflt;
    else
        yes = sspr_i18n_is_yes(a);
    return yes;
}

struct save_ctx {
    const struct sspr_gate *g;
    const struct sspr_material *m;
};

static int edit_save(struct sspr_record *rec, void *vctx)
{
    struct save_ctx *c = vctx;

    return sspr_material_copy(sspr_gate_material(rec, c->g), c->m);
}

int sspr_flow_save_material(struct sspr_flow *f, const struct sspr_gate *g,
                            const struct sspr_material *m)
{
    struct save_ctx c = { g, m };
    int rc = sspr_be_update(f->be, &f->acct, SSPR_UPDATE_CREATE, edit_save, &c);

    if (rc != SSPR_OK) {
        sspr_chan_error(&f->ch,
                        _("Your registration could not be saved. Try again at your next sign-in."));
        sspr_audit(&f->audit, "register-fail", "reason=store");
        return -1;
    }
    (void)sspr_material_copy(sspr_gate_material(&f->rec, g), m); /* what the flow knows */
    return 0;
}

/* Pick the next method: the only one left, or ask. 0 = the user stopped. */
static int choose(struct sspr_flow *f, unsigned options, int may_stop, const struct sspr_gate **out)
{
    const struct sspr_gate *list[SSPR_GATES_MAX], *g;
    char menu[256], a[SSPR_ANSWER_MAX + 1];
    int n = 0;
    size_t o;

    SSPR_GATE_FOREACH(i, g)
        if (options & sspr_gate_bit(g))
            list[n++] = g;
    if (n == 0)
        return 0;
    if (n == 1 && !may_stop) {
        *out = list[0];
        return 1;
    }
    o = (size_t)snprintf(menu, sizeof(menu), "%s", _("Methods you can register:"));
    for (int i = 0; i < n && o < sizeof(menu); i++)
        o += (size_t)snprintf(menu + o, sizeof(menu) - o, "\n  %d) %s", i + 1,
                              _(list[i]->reg_label));
    sspr_chan_info(&f->ch, menu);
    for (int t = 0; t < TRIES; t++) {
        if (sspr_chan_prompt(&f->ch, 1, _("Number (Enter to stop): "), a) != 0)
            return -1;
        if (a[0] == '\0')
            return 0;
        if (a[1] == '\0' && a[0] >= '1' && a[0] < '1' + n) {
            *out = list[a[0] - '1'];
            return 1;
        }
        sspr_chan_error(&f->ch, _("Type one of the numbers shown."));
    }
    return 0;
}

/* " [authenticator app] [recovery codes]" for the methods in set. */
static void labels(unsigned set, const char *sep, const char *open, const char *close, char *out,
                   size_t len)
{
    const struct sspr_gate *g;
    size_t o = strlen(out);

    SSPR_GATE_FOREACH(i, g)
        if ((set & sspr_gate_bit(g)) && o < len)
            o += (size_t)snprintf(out + o, len - o, "%s%s%s%s", sep, open, _(g->reg_label), close);
}

static int edit_stamp(struct sspr_record *rec, void *ctx)
{
    (void)ctx;
    rec->registered = (long long)time(NULL);
    return SSPR_OK;
}

/* Forget every registered method (and the registration stamp); throttle
 * records are kept. */
static int edit_drop(struct sspr_record *rec, void *ctx)
{
    (void)ctx;
    sspr_record_clear(rec);
    return SSPR_OK;
}

static int end(struct sspr_flow *f, const char *word, const char *why)
{
    char a[SSPR_ANSWER_MAX + 1];

    /* sshd (OpenSSH 9.2) prints the messages after the last prompt of a
     * successful keyboard-interactive login twice: after a conversation,
     * one last prompt takes them in. */
    if (f->ch.answered > 0 && strcmp(f->hello.service, "sshd") == 0 &&
        strcmp(word, SSPR_RESULT_SKIPPED) != 0)
        (void)sspr_chan_prompt(&f->ch, 1, _("Press Enter to continue."), a); /* then the result */
    SSPR_WIPE_ARRAY(a);
    sspr_flow_finish(f, word, why);
    return 0;
}

static int run_registration(struct sspr_flow *f, unsigned have, int need, unsigned allowed,
                            int require, const char *old_email, unsigned *added);

/* With a remote backend (a directory) the account line would ask the
 * server at every sign-in; a user found registered is remembered on this
 * host for a day instead, so a normal sign-in opens no connection. */
#define REMEMBER_S 86400

static void remember_key(const struct sspr_flow *f, char *key, size_t len)
{
    snprintf(key, len, "registered:%s", f->hello.user);
}

static int remembered(struct sspr_flow *f)
{
    char key[sizeof(f->hello.user) + 16];
    long long at = 0;

    if (!(f->be->ops->caps & SSPR_BE_REMOTE))
        return 0;
    remember_key(f, key, sizeof(key));
    return sspr_be_fact_get(f->be, key, &at) == SSPR_OK && at <= (long long)time(NULL) &&
           (long long)time(NULL) - at < REMEMBER_S;
}

static void remember(struct sspr_flow *f)
{
    char key[sizeof(f->hello.user) + 16];

    if (!(f->be->ops->caps & SSPR_BE_REMOTE))
        return;
    remember_key(f, key, sizeof(key));
    (void)sspr_be_fact_set(f->be, key, (long long)time(NULL), 0);
}

int sspr_register_run(struct sspr_flow *f)
{
    unsigned have, allowed;
    int need, require = f->cfg->register_at_login == SSPR_REG_REQUIRE;
    int rc;

    if (f->cfg->register_at_login != SSPR_REG_OFF && remembered(f))
        return end(f, SSPR_RESULT_SKIPPED, "registered (remembered on this host)");
    (void)sspr_be_resolve(f->be, f->hello.user, &f->acct);
    f->audit.user = f->acct.known ? f->acct.name : NULL;
    f->audit.uid = f->acct.known ? (long)f->acct.uid : -1;
    if (f->cfg->register_at_login == SSPR_REG_OFF)
        return end(f, SSPR_RESULT_SKIPPED, "register-off");
    if (f->acct.why != SSPR_ACCT_OK || !sspr_policy_enabled(f->cfg, f->be, &f->acct))
        return end(f, SSPR_RESULT_SKIPPED, "not-eligible");
    if (sspr_be_load(f->be, &f->acct, &f->rec) != SSPR_OK)
        return end(f, SSPR_RESULT_SKIPPED, "record-unreadable");
    f->is_admin = sspr_policy_is_admin(f->cfg, f->be, &f->acct);
    (void)sspr_be_subject(f->be, &f->acct, f->acct.name, &f->subject);
    need = sspr_policy_gates(f->cfg, f->is_admin);
    allowed = sspr_policy_methods(f->cfg, f->is_admin);
    have = sspr_gates_usable(&f->rec) & allowed;
    /* whoever registered before hears about changes made at sign-in, where
     * a password alone lets someone in */
    const char *before = sspr_notify_address(f);
    char *old_email = before != NULL ? strdup(before) : NULL;
    unsigned added = 0;
    rc = run_registration(f, have, need, allowed, require, old_email, &added);
    if (rc == 0 && sspr_policy_satisfied(sspr_gates_usable(&f->rec) & allowed, need, f->is_admin))
        remember(f);
    if (added != 0 && old_email != NULL) {
        char change[160];
        /* TRANSLATORS: in the "methods changed" mail, before the list of the
           methods added: "Added: authenticator app; recovery codes;" */
        snprintf(change, sizeof(change), "%s", _("Added:"));
        labels(added, " ", "", ";", change, sizeof(change));
        sspr_notify_methods_changed(f, old_email, change);
    }
    free(old_email);
    return rc;
}

static int run_registration(struct sspr_flow *f, unsigned have, int need, unsigned allowed,
                            int require, const char *old_email, unsigned *added)
{
    time_t at = (time_t)f->rec.registered;
    int stale, rc;

    stale = f->cfg->reconfirm_days > 0 && at > 0 &&
            time(NULL) - at > (time_t)f->cfg->reconfirm_days * 86400;

    if (sspr_policy_satisfied(have, need, f->is_admin) && !stale)
        return end(f, SSPR_RESULT_SKIPPED, "registered");
    /* The first thing sent is always a prompt, with the explanation in it:
     * a conversation that cannot prompt (SSH public-key logins) then sees
     * nothing at all. */
    char text[512];
    if (sspr_policy_satisfied(have, need, f->is_admin)) {
        /* TRANSLATORS: followed by the methods, each in [brackets] */
        snprintf(text, sizeof(text), "%s", _("Password reset: you can prove it is you with"));
        labels(have, " ", "[", "]", text, sizeof(text));
        size_t o = strlen(text);
        /* TRANSLATORS: Y/n: Enter means yes; the answer may be y/yes or
           your words for yes ("y yes") */
        snprintf(text + o, sizeof(text) - o, "%s",
                 _(".\nAre these still yours and working? [Y/n] "));
        rc = sspr_flow_ask_yes(f, text, 1);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            (void)sspr_be_update(f->be, &f->acct, 0, edit_stamp, NULL);
            sspr_audit(&f->audit, "register-confirm", NULL);
            return end(f, SSPR_RESULT_REGISTERED, "reconfirmed");
        }
        /* Disowned methods must stop working at once, whatever comes next. */
        if (sspr_be_update(f->be, &f->acct, 0, edit_drop, NULL) != SSPR_OK) {
            sspr_chan_error(&f->ch,
                            _("Your old methods could not be removed. Tell your administrator."));
            return end(f, SSPR_RESULT_DECLINED, "drop-failed");
        }
        sspr_record_clear(&f->rec);
        sspr_audit(&f->audit, "register-disown", NULL);
        sspr_notify_methods_changed(f, old_email,
                                    _("All registered methods were removed: "
                                      "the user said they were no longer theirs."));
        sspr_chan_info(&f->ch, _("Your old methods were removed. Register new ones now."));
        have = 0;
    } else {
        int n = need - sspr_policy_count(have) > 0 ? need - sspr_policy_count(have) : 1;
        int o = snprintf(text, sizeof(text),
                         P_("Set up password reset: register %d way to prove it is you, so you can "
                            "reset a forgotten password yourself at the login prompt.\n",
                            "Set up password reset: register %d ways to prove it is you, so you "
                            "can reset a forgotten password yourself at the login prompt.\n",
                            n),
                         n);
        snprintf(text + o, sizeof(text) - (size_t)o, "%s",
                 require ? _("Your administrator requires this before you can sign in. "
                             "Press Enter to start: ")
                         : _("Set it up now? [Y/n] "));
        rc = sspr_flow_ask_yes(f, text, 1);
        if (rc < 0)
            return -1;
        if (rc == 0 && !require)
            return end(f, SSPR_RESULT_DECLINED, "declined");
    }
    unsigned options = allowed & sspr_policy_registrable(f->cfg, f->is_admin);
    for (int round = 0; !sspr_policy_satisfied(have, need, f->is_admin) && round < 6; round++) {
        const struct sspr_gate *g = NULL;
        rc = choose(f, options & ~have, !require, &g);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        rc = g->enroll_at_login(f, g);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            char detail[64];
            snprintf(detail, sizeof(detail), "method=%s", g->name);
            sspr_audit(&f->audit, "register", detail);
            have |= sspr_gate_bit(g);
            *added |= sspr_gate_bit(g);
        }
    }
    if (sspr_policy_satisfied(have, need, f->is_admin)) {
        (void)sspr_be_update(f->be, &f->acct, 0, edit_stamp, NULL);
        sspr_chan_info(&f->ch, _("Password reset is set up. If you forget your password, press "
                                 "Enter at the password prompt."));
        return end(f, SSPR_RESULT_REGISTERED, "registered");
    }
    if (require) {
        sspr_chan_error(&f->ch,
                        _("You must finish setting up password reset before you can sign in."));
        return end(f, SSPR_RESULT_REQUIRED, "incomplete");
    }
    sspr_chan_info(&f->ch, _("Password reset is not set up yet. You will be asked again at your "
                             "next sign-in."));
    return end(f, SSPR_RESULT_DECLINED, "incomplete");
}
