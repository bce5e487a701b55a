/*
 * Registration at sign-in (account stage). The user has just signed in, so
 * unlike the reset path this may say what is registered and what is
 * missing. Declining is allowed unless register_at_login = require; any
 * failure here ends with RESULT and never blocks the login on its own (the
 * module maps everything but "required" to PAM_IGNORE).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proofs/otc.h"
#include "delivery/email.h"
#include "delivery/sms.h"
#include "gates/enroll_material.h"
#include "flow/notify.h"
#include "support/errors.h"
#include "flow/gate_run.h"
#include "proofs/questions.h"
#include "gates/questions_bank.h"
#include "state/throttle.h"
#include "policy/policy.h"
#include "support/qr.h"
#include "flow/register.h"
#include "wipe.h"

#define TRIES 3
#define INFO_CHUNK 480   /* PAM messages are at most 512 bytes */

static const char *label(unsigned m)
{
    switch (m) {
    case SSPR_M_TOTP: return "authenticator app";
    case SSPR_M_RECOVERY: return "recovery codes";
    case SSPR_M_EMAIL: return "email address";
    case SSPR_M_SMS: return "mobile phone (text messages)";
    case SSPR_M_QUESTIONS: return "security questions";
    default: return "other";
    }
}

/* What this system lets users register at sign-in. */
static unsigned registrable(const struct sspr_flow *f)
{
    unsigned m = SSPR_M_TOTP | SSPR_M_RECOVERY;

    if (sspr_config_email_on(f->cfg))
        m |= SSPR_M_EMAIL;
    if (sspr_config_sms_on(f->cfg))
        m |= SSPR_M_SMS;
    if (f->cfg->questions_enabled && !f->is_admin)
        m |= SSPR_M_QUESTIONS;
    return m;
}

static int popcount(unsigned v)
{
    int n = 0;
    for (; v != 0; v &= v - 1)
        n++;
    return n;
}

/* Enough to reset, by the same rules the reset flow applies: `need`
 * methods; questions never the only one; an admin's gates never all
 * delivery channels (email, SMS). */
static int satisfied(unsigned have, int need, int is_admin)
{
    unsigned strong = have & ~(SSPR_M_QUESTIONS | SSPR_M_DELIVERY);

    if (popcount(have) < need || (have & ~SSPR_M_QUESTIONS) == 0)
        return 0;
    return !is_admin || need < 2 || strong != 0;
}

/* Send text as INFO messages, split at line ends to fit a PAM message. */
static void show(struct sspr_flow *f, const char *text)
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
static int ask_yes(struct sspr_flow *f, const char *prompt, int dflt)
{
    char a[SSPR_ANSWER_MAX + 1];
    int yes;

    if (sspr_chan_prompt(&f->ch, 1, prompt, a) != 0)
        return -1;
    if (a[0] == '\0')
        yes = dflt;
    else
        yes = strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0;
    return yes;
}

static int save(struct sspr_flow *f, const char *field, json_t *value)
{
    struct sspr_set_field sf = { field, value };
    int rc = sspr_local_edit(&f->store, f->acct.uid, f->acct.name, sspr_local_set_field, &sf);
    if (rc != SSPR_STORE_OK) {
        sspr_chan_error(&f->ch, "Your registration could not be saved. Try again at your next sign-in.");
        sspr_audit(&f->audit, "register-fail", "reason=store");
    }
    return rc == SSPR_STORE_OK ? 0 : -1;
}

/* Returns 1 registered, 0 not, -1 channel broken. */
static int reg_totp(struct sspr_flow *f)
{
    struct sspr_new_totp nt;
    char key[96], a[SSPR_ANSWER_MAX + 1];
    char *qr;
    int ok = 0;

    if (sspr_new_totp_make(f->cfg, f->acct.name, &nt) != 0)
        return 0;
    sspr_chan_info(&f->ch, "Add this account to your authenticator app: scan the QR code, "
                           "or enter the key by hand (time-based, 6 digits).");
    if ((qr = sspr_qr_render(nt.uri)) != NULL) {
        show(f, qr);
        free(qr);
    }
    sspr_group4(nt.b32, key, sizeof(key));
    char line[sizeof(nt.uri) + sizeof(key) + 32];
    snprintf(line, sizeof(line), "Key: %s\nOr as a link: %s", key, nt.uri);
    show(f, line);
    for (int t = 0; t < TRIES && !ok; t++) {
        int64_t step = -1;
        if (sspr_chan_prompt(&f->ch, 1, "Code shown in the app: ", a) != 0) {
            ok = -1;
            break;
        }
        if (sspr_totp_verify(nt.secret, sizeof(nt.secret), time(NULL), a, -1, &step) == 0) {
            /* the confirming code is spent: it cannot start a reset later */
            json_t *obj = sspr_new_totp_json(&nt, (long long)step);
            ok = obj != NULL && save(f, "totp", obj) == 0;
            json_decref(obj);
            if (!ok)
                break;
        } else {
            sspr_chan_error(&f->ch, "That code does not match. Check the app's clock and the key, "
                                    "then try the code it shows now.");
        }
    }
    SSPR_WIPE_ARRAY(a);
    SSPR_WIPE_ARRAY(key);
    SSPR_WIPE_ARRAY(line);
    sspr_new_totp_wipe(&nt);
    if (ok == 1)
        sspr_chan_info(&f->ch, "Authenticator app registered.");
    return ok;
}

static int reg_recovery(struct sspr_flow *f)
{
    struct sspr_new_recovery nr;
    char text[64 + SSPR_RECOVERY_COUNT * (SSPR_RECOVERY_CODE_LEN + 4)];
    char a[SSPR_ANSWER_MAX + 1];
    size_t o;
    int ok = 0;

    if (sspr_new_recovery_make(&nr) != 0)
        return 0;
    o = (size_t)snprintf(text, sizeof(text), "Your recovery codes (each works once):");
    for (int i = 0; i < SSPR_RECOVERY_COUNT && o < sizeof(text); i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "\n  %s", nr.codes[i]);
    sspr_chan_info(&f->ch, text);
    sspr_chan_info(&f->ch, "They are shown only now. Write them down or keep them in a password "
                           "manager, away from this computer.");
    for (int t = 0; t < TRIES && !ok; t++) {
        if (sspr_chan_prompt(&f->ch, 1, "Type \"saved\" once you have stored them: ", a) != 0) {
            ok = -1;
            break;
        }
        if (strcasecmp(a, "saved") == 0)
            ok = save(f, "recovery", nr.stored) == 0 ? 1 : 0;
        if (ok == 0 && strcasecmp(a, "saved") == 0)
            break;
    }
    SSPR_WIPE_ARRAY(text);
    SSPR_WIPE_ARRAY(a);
    sspr_new_recovery_wipe(&nr);
    if (ok == 1)
        sspr_chan_info(&f->ch, "Recovery codes registered.");
    return ok;
}

/* An email address or phone number, confirmed by a code sent to it. */
static int reg_address(struct sspr_flow *f, unsigned method)
{
    const int email = method == SSPR_M_EMAIL;
    char addr[SSPR_ANSWER_MAX + 1], a[SSPR_ANSWER_MAX + 1], line[400], hint[64];
    struct sspr_otc otc;
    int ok = 0, got = 0;

    for (int t = 0; t < TRIES && !got; t++) {
        if (sspr_chan_prompt(&f->ch, 1, email ? "Email address: "
                             : "Mobile number, international format (+15551234567): ", addr) != 0)
            return -1;
        got = email ? sspr_email_valid(addr) : sspr_phone_valid(addr);
        if (!got)
            sspr_chan_error(&f->ch, email ? "That does not look like an email address."
                                          : "Type the number with + and the country code.");
    }
    if (!got)
        return 0;
    if (sspr_throttle_send(&f->store, f->throttle_key, time(NULL), f->cfg) != 0) {
        sspr_chan_error(&f->ch, "Too many codes were sent recently. Try again later.");
        return 0;
    }
    int lifetime = email ? f->cfg->email_code_lifetime : f->cfg->sms_code_lifetime;
    if (sspr_otc_new(&otc, (unsigned)(email ? f->cfg->email_code_digits : f->cfg->sms_code_digits),
                     lifetime) != 0 ||
        sspr_send_code(f, method, addr, sspr_otc_code(&otc), lifetime / 60, 1) != 0) {
        sspr_otc_wipe(&otc);
        char text[256];
        (void)sspr_error_user_text(email ? SSPR_E_SMTP_UNREACHABLE : SSPR_E_SMS_GATEWAY, text,
                                   sizeof(text));
        sspr_chan_error(&f->ch, text);
        return 0;
    }
    if (email)
        (void)sspr_email_mask(addr, hint, sizeof(hint));
    else
        (void)sspr_phone_mask(addr, hint, sizeof(hint));
    snprintf(line, sizeof(line), "A confirmation code has been sent to %s.", hint);
    show(f, line);
    for (int t = 0; t < TRIES && !ok; t++) {
        if (sspr_chan_prompt(&f->ch, 1, "Confirmation code: ", a) != 0) {
            ok = -1;
            break;
        }
        if (sspr_otc_check(&otc, a) == 0) {
            json_t *obj = json_pack("{s:s, s:s, s:I}", email ? "address" : "number", addr,
                                    "source", "user", "confirmed", (json_int_t)time(NULL));
            ok = obj != NULL && save(f, email ? "email" : "phone", obj) == 0;
            json_decref(obj);
            if (!ok)
                break;
        } else {
            sspr_chan_error(&f->ch, "That code does not match.");
        }
    }
    sspr_otc_wipe(&otc);
    SSPR_WIPE_ARRAY(a);
    if (ok == 1)
        sspr_chan_info(&f->ch, email ? "Email address registered." : "Phone number registered.");
    return ok;
}

/* Security questions from the bank, answers hashed (argon2id). */
static int reg_questions(struct sspr_flow *f)
{
    struct sspr_qbank bank;
    char text[SSPR_QBANK_MAX * 8 + 64], a[SSPR_ANSWER_MAX + 1];
    unsigned used[SSPR_QBANK_MAX] = { 0 };
    json_t *holder;
    int have = 0, ok = 0;

    if (sspr_qbank_load(f->cfg, &bank) != 0)
        return 0;
    snprintf(text, sizeof(text), "Choose %d questions and answer each:",
                         f->cfg->questions_required);
    sspr_chan_info(&f->ch, text);
    for (size_t i = 0; i < bank.n; i++) {
        char q[SSPR_QBANK_LINE + 8];
        snprintf(q, sizeof(q), "  %zu) %s", i + 1, bank.q[i]);
        show(f, q);
    }
    holder = json_object();
    for (int t = 0; holder != NULL && have < f->cfg->questions_required && t < 3 * f->cfg->questions_required; t++) {
        char *end;
        if (sspr_chan_prompt(&f->ch, 1, "Question number: ", a) != 0) {
            ok = -1;
            break;
        }
        unsigned long n = strtoul(a, &end, 10);
        if (*end != '\0' || n < 1 || n > bank.n || used[n - 1]) {
            sspr_chan_error(&f->ch, "Choose a number from the list, each question once.");
            continue;
        }
        if (sspr_chan_prompt(&f->ch, 0, "Answer (not shown): ", a) != 0) {
            ok = -1;
            break;
        }
        if (sspr_questions_add(holder, bank.q[n - 1], a) != 0) {
            sspr_chan_error(&f->ch, "Answers need at least 3 characters. Choose again.");
            continue;
        }
        used[n - 1] = 1;
        have++;
    }
    SSPR_WIPE_ARRAY(a);
    if (ok == 0 && have == f->cfg->questions_required)
        ok = save(f, "questions", json_object_get(holder, "questions")) == 0;
    json_decref(holder);
    if (ok == 1)
        sspr_chan_info(&f->ch, "Security questions registered.");
    return ok;
}

/* Pick the next method: the only one left, or ask. 0 = the user stopped. */
static int choose(struct sspr_flow *f, unsigned options, int may_stop, unsigned *out)
{
    unsigned list[8];
    char menu[256], a[SSPR_ANSWER_MAX + 1];
    int n = 0;
    size_t o;

    for (unsigned m = 1; m != 0 && m <= SSPR_M_QUESTIONS; m <<= 1)
        if (options & m)
            list[n++] = m;
    if (n == 0)
        return 0;
    if (n == 1 && !may_stop) {
        *out = list[0];
        return 1;
    }
    o = (size_t)snprintf(menu, sizeof(menu), "Methods you can register:");
    for (int i = 0; i < n && o < sizeof(menu); i++)
        o += (size_t)snprintf(menu + o, sizeof(menu) - o, "\n  %d) %s", i + 1, label(list[i]));
    sspr_chan_info(&f->ch, menu);
    for (int t = 0; t < TRIES; t++) {
        if (sspr_chan_prompt(&f->ch, 1, "Number (Enter to stop): ", a) != 0)
            return -1;
        if (a[0] == '\0')
            return 0;
        if (a[1] == '\0' && a[0] >= '1' && a[0] < '1' + n) {
            *out = list[a[0] - '1'];
            return 1;
        }
        sspr_chan_error(&f->ch, "Type one of the numbers shown.");
    }
    return 0;
}

static int stamp(json_t *rec, void *ctx)
{
    (void)ctx;
    return json_object_set_new(rec, "registered", json_integer((json_int_t)time(NULL)));
}

/* When the record last said "registration complete" (0: never). */
static time_t registered_at(struct sspr_flow *f)
{
    char key[64];
    json_t *rec = NULL;
    time_t t = 0;

    sspr_local_user_key(f->acct.uid, key, sizeof(key));
    if (sspr_store_read(&f->store, key, &rec) == SSPR_STORE_OK) {
        json_t *v = json_object_get(rec, "registered");
        t = json_is_integer(v) ? (time_t)json_integer_value(v) : 0;
        json_decref(rec);
    }
    return t;
}

static int end(struct sspr_flow *f, const char *word, const char *why)
{
    sspr_flow_finish(f, word, why);
    return 0;
}

static int run_registration(struct sspr_flow *f, unsigned have, int need, unsigned allowed,
                            int require, time_t at, const char *old_email, unsigned *added);

int sspr_register_run(struct sspr_flow *f)
{
    unsigned have = 0, allowed, methods = 0;
    int need, require = f->cfg->register_at_login == SSPR_REG_REQUIRE;
    int rc;

    sspr_account_resolve(f->hello.user, f->cfg, &f->acct);
    f->audit.user = f->acct.known ? f->acct.name : NULL;
    f->audit.uid = f->acct.known ? (long)f->acct.uid : -1;
    if (f->cfg->register_at_login == SSPR_REG_OFF)
        return end(f, SSPR_RESULT_SKIPPED, "register-off");
    if (f->acct.why != SSPR_ACCT_OK || !sspr_policy_enabled(f->cfg, &f->acct))
        return end(f, SSPR_RESULT_SKIPPED, "not-eligible");
    if (f->be.methods(&f->be, &f->acct, &methods) != 0)
        return end(f, SSPR_RESULT_SKIPPED, "record-unreadable");
    f->is_admin = sspr_policy_is_admin(f->cfg, &f->acct);
    (void)sspr_throttle_key(&f->store, (long)f->acct.uid, f->acct.name, f->throttle_key,
                            sizeof(f->throttle_key));
    need = sspr_policy_gates(f->cfg, f->is_admin);
    allowed = sspr_policy_methods(f->cfg, f->is_admin);
    have = methods & allowed;
    time_t at = registered_at(f);
    /* whoever registered before hears about changes made at sign-in, where
     * a password alone lets someone in */
    char *old_email = sspr_registered_address(f, SSPR_M_EMAIL);
    unsigned added = 0;
    rc = run_registration(f, have, need, allowed, require, at, old_email, &added);
    if (added != 0 && old_email != NULL) {
        char change[160];
        size_t o = (size_t)snprintf(change, sizeof(change), "Added:");
        for (unsigned m = 1; m <= SSPR_M_QUESTIONS; m <<= 1)
            if (added & m)
                o += (size_t)snprintf(change + o, sizeof(change) - o, " %s;", label(m));
        sspr_notify_methods_changed(f, old_email, change);
    }
    free(old_email);
    return rc;
}

static int run_registration(struct sspr_flow *f, unsigned have, int need, unsigned allowed,
                            int require, time_t at, const char *old_email, unsigned *added)
{
    int stale, rc;

    stale = f->cfg->reconfirm_days > 0 && at > 0 &&
            time(NULL) - at > (time_t)f->cfg->reconfirm_days * 86400;

    if (satisfied(have, need, f->is_admin) && !stale)
        return end(f, SSPR_RESULT_SKIPPED, "registered");
    /* The first thing sent is always a prompt, with the explanation in it:
     * a conversation that cannot prompt (SSH public-key logins) then sees
     * nothing at all. */
    char text[512];
    if (satisfied(have, need, f->is_admin)) {
        size_t o = (size_t)snprintf(text, sizeof(text), "Password reset: you can prove it is you with");
        for (unsigned m = 1; m <= SSPR_M_QUESTIONS; m <<= 1)
            if (have & m)
                o += (size_t)snprintf(text + o, sizeof(text) - o, " [%s]", label(m));
        snprintf(text + o, sizeof(text) - o, ".\nAre these still yours and working? [Y/n] ");
        rc = ask_yes(f, text, 1);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            (void)sspr_local_edit(&f->store, f->acct.uid, f->acct.name, stamp, NULL);
            sspr_audit(&f->audit, "register-confirm", NULL);
            return end(f, SSPR_RESULT_REGISTERED, "reconfirmed");
        }
        /* Disowned methods must stop working at once, whatever comes next. */
        if (sspr_local_edit(&f->store, f->acct.uid, f->acct.name, sspr_local_drop_methods,
                            NULL) != SSPR_STORE_OK) {
            sspr_chan_error(&f->ch, "Your old methods could not be removed. Tell your administrator.");
            return end(f, SSPR_RESULT_DECLINED, "drop-failed");
        }
        sspr_audit(&f->audit, "register-disown", NULL);
        sspr_notify_methods_changed(f, old_email, "All registered methods were removed: "
                                                  "the user said they were no longer theirs.");
        sspr_chan_info(&f->ch, "Your old methods were removed. Register new ones now.");
        have = 0;
    } else {
        int n = need - popcount(have) > 0 ? need - popcount(have) : 1;
        int o = snprintf(text, sizeof(text),
                         "Set up password reset: register %d way%s to prove it is you, so you can "
                         "reset a forgotten password yourself at the login prompt.\n", n,
                         n == 1 ? "" : "s");
        snprintf(text + o, sizeof(text) - (size_t)o, "%s",
                 require ? "Your administrator requires this before you can sign in. "
                           "Press Enter to start: "
                         : "Set it up now? [Y/n] ");
        rc = ask_yes(f, text, 1);
        if (rc < 0)
            return -1;
        if (rc == 0 && !require)
            return end(f, SSPR_RESULT_DECLINED, "declined");
    }
    for (int round = 0; !satisfied(have, need, f->is_admin) && round < 6; round++) {
        unsigned m = 0;
        rc = choose(f, allowed & registrable(f) & ~have, !require, &m);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        rc = m == SSPR_M_TOTP       ? reg_totp(f)
           : m == SSPR_M_RECOVERY ? reg_recovery(f)
           : m == SSPR_M_QUESTIONS ? reg_questions(f)
                                   : reg_address(f, m);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            char detail[64];
            snprintf(detail, sizeof(detail), "method=%s", sspr_method_name(m));
            sspr_audit(&f->audit, "register", detail);
            have |= m;
            *added |= m;
        }
    }
    if (satisfied(have, need, f->is_admin)) {
        (void)sspr_local_edit(&f->store, f->acct.uid, f->acct.name, stamp, NULL);
        sspr_chan_info(&f->ch, "Password reset is set up. If you forget your password, press Enter "
                               "at the password prompt.");
        return end(f, SSPR_RESULT_REGISTERED, "registered");
    }
    if (require) {
        sspr_chan_error(&f->ch, "You must finish setting up password reset before you can sign in.");
        return end(f, SSPR_RESULT_REQUIRED, "incomplete");
    }
    sspr_chan_info(&f->ch, "Password reset is not set up yet. You will be asked again at your next sign-in.");
    return end(f, SSPR_RESULT_DECLINED, "incomplete");
}
