/*
 * Gates. What is shown depends only on the system's configuration and on
 * what the user typed, never on the account: an unknown, ineligible or
 * unregistered account walks the same menu and prompts, gets the same
 * messages, is throttled the same way, and simply never passes
 * (SECURITY.md 14). Codes are sent only to registered addresses; for other
 * accounts the server is only probed, so an outage reads the same.
 */
#include "autoconf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proofs/otc.h"
#include "delivery/email.h"
#include "delivery/probe.h"
#include "delivery/sms.h"
#include "delivery/template.h"
#include "flow/gate_run.h"
#include "proofs/questions.h"
#include "proofs/recovery.h"
#include "gates/questions_bank.h"
#include "state/throttle.h"
#include "wipe.h"

#define TRIES_PER_GATE 3
#define PROBE_TIMEOUT_S 5

static const char MSG_MENU_HEAD[] = "How do you want to confirm it is you?";
static const char MSG_CHOICE[] = "Choice [1]: ";
static const char MSG_BAD_CHOICE[] = "Choose one of the numbers shown.";
static const char MSG_CODE1[] = "Verification code (authenticator app or recovery code): ";
static const char MSG_CODE2[] = "Second verification code (a different method): ";
static const char MSG_BAD_CODE[] = "That code is not valid.";
static const char MSG_BAD_ANSWERS[] = "Those answers are not right.";
static const char MSG_LOCKED[] = "Too many failed attempts. Try again later.";
static const char MSG_METHOD_LOCKED[] = "Too many failed attempts with this method. "
                                        "Choose another way.";
static const char MSG_SEND_CAP[] = "Too many codes were sent recently. Try again later.";
static const char MSG_EMAIL_DOWN[] = "Email could not be sent right now (SSPR-E301). "
                                     "Choose another way or ask your administrator.";
static const char MSG_SMS_DOWN[] = "The text message could not be sent right now (SSPR-E303). "
                                   "Choose another way or ask your administrator.";

/* Outcomes inside this file; a passed gate returns its method bit (> 0). */
enum step { STEP_END = 0, STEP_BROKEN = -1, STEP_MENU = -2 };

struct option {
    unsigned methods;
    const char *label;
};

static const struct option OPTIONS[] = {
    { SSPR_M_TOTP | SSPR_M_RECOVERY, "Authenticator app or recovery code" },
    { SSPR_M_EMAIL, "A code sent to your email" },
    { SSPR_M_SMS, "A code sent to your phone by text message" },
    { SSPR_M_QUESTIONS, "Security questions" },
};
#define N_OPTIONS (sizeof(OPTIONS) / sizeof(OPTIONS[0]))

/* Methods the system offers at all (not per account). */
static unsigned system_methods(const struct sspr_config *cfg)
{
    unsigned any = cfg->user_methods | cfg->admin_methods;
    unsigned m = any & (SSPR_M_TOTP | SSPR_M_RECOVERY);

    if ((any & SSPR_M_EMAIL) && sspr_config_email_on(cfg))
        m |= SSPR_M_EMAIL;
    if ((any & SSPR_M_SMS) && sspr_config_sms_on(cfg))
        m |= SSPR_M_SMS;
    if ((cfg->user_methods & SSPR_M_QUESTIONS) && cfg->questions_enabled)
        m |= SSPR_M_QUESTIONS;
    return m;
}

int sspr_gate_menu_on(const struct sspr_config *cfg)
{
    return (system_methods(cfg) & (SSPR_M_DELIVERY | SSPR_M_QUESTIONS)) != 0;
}

/* ---- throttling ------------------------------------------------------------------ */

static int locked_out(struct sspr_flow *f, const char *method, int *method_locked)
{
    struct sspr_throttle_state ts;
    int mf = 0;
    time_t now = time(NULL);

    *method_locked = 0;
    if (sspr_throttle_get_method(&f->store, f->throttle_key, now, f->cfg, method, &ts, &mf) != 0)
        return 1;
    if (sspr_throttle_locked(&ts, now))
        return 1;
    *method_locked = sspr_throttle_method_locked(&ts, mf, now, f->cfg);
    return 0;
}

enum judged { J_PASS, J_FAIL, J_LOCKED, J_METHOD_LOCKED };

/* Checks an answer; 1 when it is right (and, for one-time proofs, spent). */
typedef int (*answer_check)(struct sspr_flow *f, void *ctx);

/*
 * Judge one answer under the subject's gate lock. The failure is counted
 * before the answer is checked and given back when it was right: an answer
 * whose failure cannot be recorded (full disk, a file size limit inherited
 * from a setuid caller, a SIGKILL between the two) is never judged, and
 * parallel sessions never get more answers judged than the limits allow.
 * The growing delay is slept after the lock is released.
 */
static enum judged judge(struct sspr_flow *f, const char *method, answer_check check, void *ctx)
{
    struct sspr_throttle_state ts = { 0, 0 };
    char key[128], detail[96];
    int lockfd, mlocked = 0, mf = 0, locked;

    snprintf(key, sizeof(key), "gate-%s", f->throttle_key);
    lockfd = f->throttle_key[0] != '\0' ? sspr_store_lock(&f->store, key, 10000) : -1;
    if (lockfd < 0)
        return J_LOCKED; /* fail closed */
    if (locked_out(f, method, &mlocked)) {
        sspr_store_unlock(lockfd);
        return J_LOCKED;
    }
    if (mlocked) {
        sspr_store_unlock(lockfd);
        return J_METHOD_LOCKED;
    }
    if (sspr_throttle_fail_method(&f->store, f->throttle_key, time(NULL), f->cfg, method, &ts,
                                  &mf) != 0) {
        sspr_store_unlock(lockfd);
        sspr_audit(&f->audit, "gate-fail", "reason=\"failure could not be recorded\"");
        return J_LOCKED;
    }
    if (check(f, ctx)) {
        (void)sspr_throttle_refund_method(&f->store, f->throttle_key, time(NULL), f->cfg, method);
        sspr_store_unlock(lockfd);
        return J_PASS;
    }
    sspr_store_unlock(lockfd);
    locked = sspr_throttle_locked(&ts, time(NULL));
    snprintf(detail, sizeof(detail), "method=%s failures=%d", method, ts.failures);
    sspr_audit(&f->audit, "gate-fail", detail);
    if (locked) {
        sspr_audit(&f->audit, "lockout", detail);
        return J_LOCKED;
    }
    unsigned delay = sspr_throttle_delay(f->cfg, ts.failures);
    if (delay > 0)
        sleep(delay);
    return J_FAIL;
}

/* Say what a refused answer means; returns the step to take, or 1 to let
 * the user try again. */
static int refused(struct sspr_flow *f, enum judged j, const char *bad)
{
    int menu_on = sspr_gate_menu_on(f->cfg);

    switch (j) {
    case J_FAIL:
        sspr_chan_error(&f->ch, bad);
        return 1;
    case J_METHOD_LOCKED:
        /* without a menu there is no other way to choose: say it plainly */
        sspr_chan_error(&f->ch, menu_on ? MSG_METHOD_LOCKED : MSG_LOCKED);
        return menu_on ? STEP_MENU : STEP_END;
    case J_LOCKED:
    case J_PASS:
        break;
    }
    sspr_chan_error(&f->ch, MSG_LOCKED);
    return STEP_END;
}

static void passed(struct sspr_flow *f, unsigned method, int index)
{
    char detail[64];
    snprintf(detail, sizeof(detail), "method=%s gate=%d", sspr_method_name(method), index + 1);
    sspr_audit(&f->audit, "gate-pass", detail);
}

/* ---- authenticator app or recovery code ------------------------------------------ */

struct code_check {
    const char *answer;
    unsigned allowed;
    unsigned got;
};

static int check_code(struct sspr_flow *f, void *vctx)
{
    struct code_check *c = vctx;

    return f->can_pass &&
           f->be.verify(&f->be, &f->acct, c->answer, c->allowed, &c->got) == SSPR_VERIFY_OK;
}

static int step_code(struct sspr_flow *f, int index, unsigned allowed, const char *prompt)
{
    char answer[SSPR_ANSWER_MAX + 1];

    for (int t = 0; t < TRIES_PER_GATE; t++) {
        if (sspr_chan_prompt(&f->ch, 0, prompt, answer) != 0)
            return STEP_BROKEN;
        /* the method is told by the answer's shape, as the backend does */
        const char *method = sspr_recovery_looks_like(answer) ? "recovery" : "totp";
        struct code_check c = { answer, allowed & (SSPR_M_TOTP | SSPR_M_RECOVERY), 0 };
        enum judged j = judge(f, method, check_code, &c);
        SSPR_WIPE_ARRAY(answer);
        if (j == J_PASS) {
            passed(f, c.got, index);
            return (int)c.got;
        }
        int next = refused(f, j, MSG_BAD_CODE);
        if (next != 1)
            return next;
    }
    return STEP_END;
}

/* ---- codes by email or text message ----------------------------------------------- */

char *sspr_registered_address(struct sspr_flow *f, unsigned method)
{
    char key[64];
    json_t *rec = NULL;
    char *out = NULL;
    const char *obj = method == SSPR_M_EMAIL ? "email" : "phone";
    const char *field = method == SSPR_M_EMAIL ? "address" : "number";

    sspr_local_user_key(f->acct.uid, key, sizeof(key));
    if (sspr_store_read(&f->store, key, &rec) != SSPR_STORE_OK)
        return NULL;
    json_t *v = json_object_get(json_object_get(rec, obj), field);
    if (json_is_string(v) && (method == SSPR_M_EMAIL ? sspr_email_valid(json_string_value(v))
                                                     : sspr_phone_valid(json_string_value(v))))
        out = strdup(json_string_value(v));
    json_decref(rec);
    return out;
}

int sspr_send_code(struct sspr_flow *f, unsigned method, const char *to, const char *code,
                   int minutes, int confirm)
{
    char host[256] = "localhost", when[64], mins[16], err[256];
    char *subject = NULL, *body = NULL;
    time_t now = time(NULL);
    struct tm tm;
    int rc = -1;

    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    snprintf(mins, sizeof(mins), "%d", minutes);
    const struct sspr_tvar vars[] = {
        { "user", f->acct.name }, { "host", host }, { "time", when }, { "code", code },
        { "minutes", mins }, { "admin_contact", sspr_email_admin_contact(f->cfg) },
    };
    err[0] = '\0';
    if (method == SSPR_M_EMAIL) {
        if (sspr_template_render_mail(f->cfg->templates_dir,
                                      confirm ? SSPR_TEMPLATE_EMAIL_CONFIRM : SSPR_TEMPLATE_EMAIL_CODE,
                                      vars, 6,
                                      &subject, &body, err, sizeof(err)) == 0)
            rc = sspr_email_send(f->cfg, to, subject, body, err, sizeof(err));
    } else {
        if (sspr_template_render_file(f->cfg->templates_dir,
                                      confirm ? SSPR_TEMPLATE_SMS_CONFIRM : SSPR_TEMPLATE_SMS_CODE,
                                      vars, 6,
                                      &body, err, sizeof(err)) == 0) {
            size_t n = strlen(body);
            while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
                body[--n] = '\0';
            rc = sspr_sms_send(f->cfg, to, body, err, sizeof(err));
        }
    }
    if (rc != 0) {
        char detail[320];
        snprintf(detail, sizeof(detail), "method=%s code=%s error=\"%s\"", sspr_method_name(method),
                 method == SSPR_M_EMAIL ? "SSPR-E302" : "SSPR-E303", err);
        sspr_audit(&f->audit, "send-fail", detail);
    }
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
    return rc;
}

/*
 * A delivery channel that just failed for a registered account is marked
 * failing for the whole host for a few minutes. Every flow then reads
 * "could not be sent" alike, so an outage shows quickly without telling
 * which names have an address (the flow whose send failed itself reads
 * like any other).
 */
#define CHANNEL_COOLDOWN_S 300
#define CHANNEL_KEY "delivery-status"

static int channel_failing(struct sspr_flow *f, unsigned method)
{
    json_t *rec = NULL, *v;
    int failing = 0;

    if (sspr_store_read(&f->store, CHANNEL_KEY, &rec) != SSPR_STORE_OK)
        return 0;
    v = json_object_get(rec, sspr_method_name(method));
    if (json_is_integer(v)) {
        time_t at = (time_t)json_integer_value(v), now = time(NULL);
        failing = at <= now && now - at < CHANNEL_COOLDOWN_S;
    }
    json_decref(rec);
    return failing;
}

static void channel_mark(struct sspr_flow *f, unsigned method, int failed)
{
    json_t *rec = NULL;
    int lockfd = sspr_store_lock(&f->store, CHANNEL_KEY, 2000);

    if (lockfd < 0)
        return;
    if (sspr_store_read(&f->store, CHANNEL_KEY, &rec) != SSPR_STORE_OK)
        rec = json_object();
    if (rec != NULL) {
        int change = failed || json_object_get(rec, sspr_method_name(method)) != NULL;
        if (failed)
            json_object_set_new(rec, sspr_method_name(method), json_integer((json_int_t)time(NULL)));
        else
            (void)json_object_del(rec, sspr_method_name(method));
        if (change) /* a working channel costs no write */
            (void)sspr_store_write(&f->store, CHANNEL_KEY, rec);
        json_decref(rec);
    }
    sspr_store_unlock(lockfd);
}

struct otc_check {
    struct sspr_otc *otc;
    const char *answer;
    int sent;
};

static int check_otc(struct sspr_flow *f, void *vctx)
{
    struct otc_check *c = vctx;
    (void)f;
    return c->sent && sspr_otc_check(c->otc, c->answer) == 0;
}

/*
 * Send the code from a child process and go on at once. The child owns the
 * outcome: it audits it and marks a failing gateway (a refused recipient
 * is about this account, and an unreachable server was caught by the probe
 * for everyone). It never touches the channel. Returns 0 when the child
 * was started.
 */
static int send_in_background(struct sspr_flow *f, unsigned method, const char *to,
                              struct sspr_otc *otc, int minutes)
{
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid > 0)
        return 0;
    /* child */
    close(f->ch.fd);
    if (f->ch.fd != STDOUT_FILENO)
        close(STDOUT_FILENO);
    int rc = sspr_send_code(f, method, to, sspr_otc_code(otc), minutes, 0);
    sspr_otc_wipe(otc);
    if (rc == 0)
        sspr_audit(&f->audit, "code-sent", method == SSPR_M_EMAIL ? "method=email" : "method=sms");
    if (method == SSPR_M_SMS && rc != SSPR_SMS_REFUSED)
        channel_mark(f, method, rc != 0);
    _exit(rc == 0 ? 0 : 1);
}

static int step_delivery(struct sspr_flow *f, int index, unsigned allowed, unsigned method)
{
    const int is_email = method == SSPR_M_EMAIL;
    const char *mname = sspr_method_name(method);
    int lifetime = is_email ? f->cfg->email_code_lifetime : f->cfg->sms_code_lifetime;
    int digits = is_email ? f->cfg->email_code_digits : f->cfg->sms_code_digits;
    const char *url = is_email ? f->cfg->smtp_url : f->cfg->sms_url;
    const char *ca = is_email ? f->cfg->email_ca_file : f->cfg->sms_ca_file;
    char answer[SSPR_ANSWER_MAX + 1], info[256], hint[64] = "";
    struct sspr_otc otc;
    char *to = NULL;
    int mlocked = 0, sent = 0, cap;

    if (locked_out(f, mname, &mlocked)) {
        sspr_chan_error(&f->ch, MSG_LOCKED);
        return STEP_END;
    }
    if (mlocked) {
        sspr_chan_error(&f->ch, MSG_METHOD_LOCKED);
        return STEP_MENU;
    }
    if (channel_failing(f, method)) {
        sspr_chan_error(&f->ch, is_email ? MSG_EMAIL_DOWN : MSG_SMS_DOWN);
        return STEP_MENU;
    }
    /* Every subject counts sends, registered or not: the cap reads the same. */
    cap = sspr_throttle_send(&f->store, f->throttle_key, time(NULL), f->cfg);
    if (cap != 0) {
        sspr_audit(&f->audit, "send-capped", is_email ? "method=email" : "method=sms");
        sspr_chan_error(&f->ch, MSG_SEND_CAP);
        return STEP_END;
    }
    memset(&otc, 0, sizeof(otc));
    /* Everyone pays for the same probe, so an unreachable server reads the
     * same for every name ... */
    if (sspr_probe_url(url, ca, PROBE_TIMEOUT_S) != 0) {
        char detail[64];
        snprintf(detail, sizeof(detail), "method=%s code=%s reason=unreachable", mname,
                 is_email ? "SSPR-E301" : "SSPR-E303");
        sspr_audit(&f->audit, "send-fail", detail);
        sspr_chan_error(&f->ch, is_email ? MSG_EMAIL_DOWN : MSG_SMS_DOWN);
        return STEP_MENU;
    }
    /* ... and the real send, only for a registered address, runs in the
     * background: how long a mail server or gateway takes must not tell
     * which names have an address (SECURITY.md 14). */
    if (f->can_pass && (allowed & method))
        to = sspr_registered_address(f, method);
    if (to != NULL && sspr_otc_new(&otc, (unsigned)digits, lifetime) == 0) {
        sent = send_in_background(f, method, to, &otc, lifetime / 60) == 0;
        if (!sent)
            sspr_otc_wipe(&otc);
        if (sent && f->cfg->show_hints) {
            if (is_email)
                (void)sspr_email_mask(to, hint, sizeof(hint));
            else
                (void)sspr_phone_mask(to, hint, sizeof(hint));
        }
    }
    free(to);
    if (hint[0] != '\0')
        snprintf(info, sizeof(info), "A code has been sent to %s. It is valid for %d minutes.", hint,
                 lifetime / 60);
    else if (is_email)
        snprintf(info, sizeof(info), "If an email address is registered for this account, a code "
                 "has been sent to it. It is valid for %d minutes.", lifetime / 60);
    else
        snprintf(info, sizeof(info), "If a phone number is registered for this account, a code "
                 "has been sent to it by text message. It is valid for %d minutes.", lifetime / 60);
    sspr_chan_info(&f->ch, info);

    for (int t = 0; t < TRIES_PER_GATE; t++) {
        if (sspr_chan_prompt(&f->ch, 0, is_email ? "Code from the email: "
                                                 : "Code from the text message: ", answer) != 0) {
            sspr_otc_wipe(&otc);
            return STEP_BROKEN;
        }
        struct otc_check c = { &otc, answer, sent };
        enum judged j = judge(f, mname, check_otc, &c);
        SSPR_WIPE_ARRAY(answer);
        if (j == J_PASS) {
            sspr_otc_wipe(&otc);
            passed(f, method, index);
            return (int)method;
        }
        int next = refused(f, j, MSG_BAD_CODE);
        if (next != 1) {
            sspr_otc_wipe(&otc);
            return next;
        }
    }
    sspr_otc_wipe(&otc);
    return STEP_END;
}

/* ---- security questions ------------------------------------------------------------ */

struct questions_check {
    json_t *rec;             /* the account's record, or NULL on the dummy path */
    const unsigned *idx;
    char (*answers)[SSPR_ANSWER_MAX + 1];
    unsigned n;
};

/* Every answer costs one argon2id check, right or wrong, real or dummy. */
static int check_questions(struct sspr_flow *f, void *vctx)
{
    struct questions_check *c = vctx;
    int all_right = c->rec != NULL;

    (void)f;
    for (unsigned i = 0; i < c->n; i++) {
        if (c->rec != NULL)
            all_right &= sspr_questions_check(c->rec, c->idx[i], c->answers[i]) == 0;
        else
            sspr_qbank_dummy_check(c->answers[i]);
    }
    return all_right;
}

static int step_questions(struct sspr_flow *f, int index, unsigned allowed)
{
    char key[64], prompt[SSPR_QBANK_LINE + 4];
    char answers[SSPR_QUESTIONS_MAX][SSPR_ANSWER_MAX + 1];
    const char *texts[SSPR_QUESTIONS_MAX];
    unsigned idx[SSPR_QUESTIONS_MAX];
    unsigned n = (unsigned)f->cfg->questions_asked, m = 0;
    json_t *rec = NULL;
    struct sspr_qbank bank;
    int mlocked = 0, rc;

    if (locked_out(f, "questions", &mlocked)) {
        sspr_chan_error(&f->ch, MSG_LOCKED);
        return STEP_END;
    }
    if (mlocked) {
        sspr_chan_error(&f->ch, MSG_METHOD_LOCKED);
        return STEP_MENU;
    }
    if (sspr_qbank_load(f->cfg, &bank) != 0) {
        sspr_chan_error(&f->ch, "Security questions are not available right now.");
        return STEP_MENU;
    }
    /* A registered account is asked its own questions; any other name gets
     * questions from the bank, from the same questions_required of them
     * each time for the same name, as a real account would. */
    int real = f->can_pass && (allowed & SSPR_M_QUESTIONS);
    if (real) {
        sspr_local_user_key(f->acct.uid, key, sizeof(key));
        if (sspr_store_read(&f->store, key, &rec) == SSPR_STORE_OK) {
            int c = sspr_questions_count(rec);
            m = c > 0 ? (unsigned)c : 0;
        }
        real = m >= n;
    }
    if (real) {
        sspr_questions_pick(n, m, idx);
        for (unsigned i = 0; i < n; i++)
            texts[i] = sspr_questions_text(rec, idx[i]);
    } else {
        json_decref(rec);
        rec = NULL;
        /* seeded by the host-keyed hash of the typed name, never by a UID
         * (public: known accounts' questions would be predictable) */
        char seed[96];
        if (sspr_throttle_key(&f->store, -1, f->hello.user, seed, sizeof(seed)) != 0)
            snprintf(seed, sizeof(seed), "%s", f->throttle_key);
        sspr_qbank_for_name(&bank, seed, (unsigned)f->cfg->questions_required, n, texts);
    }
    for (unsigned i = 0; i < n; i++) {
        snprintf(prompt, sizeof(prompt), "%s: ", texts[i]);
        if (sspr_chan_prompt(&f->ch, 0, prompt, answers[i]) != 0) {
            json_decref(rec);
            SSPR_WIPE_ARRAY(answers);
            return STEP_BROKEN;
        }
    }
    struct questions_check c = { rec, idx, answers, n };
    enum judged j = judge(f, "questions", check_questions, &c);
    SSPR_WIPE_ARRAY(answers);
    json_decref(rec);
    if (j == J_PASS) {
        passed(f, SSPR_M_QUESTIONS, index);
        return (int)SSPR_M_QUESTIONS;
    }
    rc = refused(f, j, MSG_BAD_ANSWERS);
    return rc == 1 ? STEP_END : rc;
}

/* ---- the menu ----------------------------------------------------------------------- */

/* Show the options not yet used; *chosen gets the option's methods.
 * 1 chosen, 0 end, -1 broken. */
static int menu(struct sspr_flow *f, unsigned offered, unsigned *chosen)
{
    char text[512], answer[SSPR_ANSWER_MAX + 1];
    unsigned list[N_OPTIONS];
    size_t o, n = 0;

    o = (size_t)snprintf(text, sizeof(text), "%s", MSG_MENU_HEAD);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if ((OPTIONS[i].methods & offered) == 0)
            continue;
        list[n] = OPTIONS[i].methods;
        n++;
        o += (size_t)snprintf(text + o, sizeof(text) - o, "\n  %zu) %s", n, OPTIONS[i].label);
    }
    if (n == 0)
        return 0;
    sspr_chan_info(&f->ch, text);
    for (int t = 0; t < TRIES_PER_GATE; t++) {
        if (sspr_chan_prompt(&f->ch, 1, MSG_CHOICE, answer) != 0)
            return -1;
        if (answer[0] == '\0') {
            *chosen = list[0];
            return 1;
        }
        if (answer[1] == '\0' && answer[0] >= '1' && (size_t)(answer[0] - '0') <= n) {
            *chosen = list[answer[0] - '1'];
            return 1;
        }
        sspr_chan_error(&f->ch, MSG_BAD_CHOICE);
    }
    return 0;
}

int sspr_gate_run(struct sspr_flow *f, int index, unsigned allowed, unsigned used)
{
    unsigned offered = system_methods(f->cfg) & ~used;

    /* An admin's second gate is never a second delivery channel (email and
     * SMS are recovery channels, not factors on their own). */
    if (f->is_admin && (used & SSPR_M_DELIVERY))
        offered &= ~SSPR_M_DELIVERY;
    if (!sspr_gate_menu_on(f->cfg))
        return step_code(f, index, allowed, index == 0 ? MSG_CODE1 : MSG_CODE2);
    for (int round = 0; round < 4; round++) {
        unsigned chosen = 0;
        int rc = menu(f, offered, &chosen);
        if (rc <= 0)
            return rc < 0 ? STEP_BROKEN : STEP_END;
        if (chosen & (SSPR_M_TOTP | SSPR_M_RECOVERY))
            rc = step_code(f, index, allowed, MSG_CODE1);
        else if (chosen == SSPR_M_QUESTIONS)
            rc = step_questions(f, index, allowed);
        else
            rc = step_delivery(f, index, allowed, chosen);
        if (rc != STEP_MENU)
            return rc;
        offered &= ~chosen; /* that channel is down or used up: offer the others */
    }
    return STEP_END;
}
