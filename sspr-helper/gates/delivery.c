/*
 * The delivery gates' shared steps. What is shown depends only on the
 * system's configuration and on what the user typed, never on the account:
 * every name that chooses a channel pays for the same reachability probe,
 * and the real send, only for a registered address, runs in a child
 * process, so neither an outage nor a slow server tells which names have
 * an address (docs/security.md 14).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "delivery/email.h"
#include "delivery/probe.h"
#include "flow/flow.h"
#include "gates/delivery.h"
#include "proofs/otc.h"
#include "state/throttle.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES 3
#define PROBE_TIMEOUT_S 5

/* A channel that just failed for a registered account is marked failing
 * for the whole host for a few minutes; every flow then reads "could not
 * be sent" alike. */
#define CHANNEL_COOLDOWN_S 300

int sspr_delivery_available(const struct sspr_config *cfg, const struct sspr_gate *g)
{
    struct sspr_delivery_params p;

    g->delivery->params(cfg, &p);
    return p.url != NULL && p.url[0] != '\0';
}

int sspr_delivery_usable(const struct sspr_gate *g, const struct sspr_material *m)
{
    return !m->damaged && g->delivery->valid(m->text);
}

const char *sspr_delivery_address(const struct sspr_gate *g, const struct sspr_record *rec)
{
    const struct sspr_material *m = sspr_gate_material_c(rec, g);

    return m != NULL && m->present && sspr_delivery_usable(g, m) ? m->text : NULL;
}

int sspr_delivery_send_code(struct sspr_flow *f, const struct sspr_gate *g, const char *to,
                            const char *code, int minutes, int confirm)
{
    char host[256] = "localhost", when[64], mins[16], err[256], id[16] = "";
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    snprintf(mins, sizeof(mins), "%d", minutes);
    const struct sspr_tvar vars[] = {
        { "user", f->acct.name }, { "host", host },
        { "time", when },         { "code", code },
        { "minutes", mins },      { "admin_contact", sspr_email_admin_contact(f->cfg) },
    };
    err[0] = '\0';
    rc = g->delivery->send(f->cfg, to, vars, sizeof(vars) / sizeof(vars[0]), confirm, err,
                           sizeof(err));
    if (rc != SSPR_OK) {
        char detail[320];
        (void)sspr_error_id(g->delivery->send_fail_code, id, sizeof(id));
        snprintf(detail, sizeof(detail), "method=%s code=%s error=\"%s\"", g->name, id, err);
        sspr_audit(&f->audit, "send-fail", detail);
    }
    return rc;
}

static int channel_failing(struct sspr_flow *f, const struct sspr_gate *g)
{
    long long at = 0;
    time_t now = time(NULL);

    if (sspr_be_fact_get(f->be, g->name, &at) != SSPR_OK)
        return 0;
    return at <= (long long)now && (long long)now - at < CHANNEL_COOLDOWN_S;
}

/* Send the code from a child process and go on at once; for a name with
 * no registered address (to NULL) the child sends nothing, so that every
 * name costs the parent the same fork (docs/security.md 14). The child owns
 * the outcome: it audits it and marks a failing gateway (a refused
 * recipient is about this account, and an unreachable server was caught
 * by the probe for everyone). It never touches the channel. Returns 0 when
 * the child was started. */
static int send_in_background(struct sspr_flow *f, const struct sspr_gate *g, const char *to,
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
    if (to == NULL) {
        sspr_otc_wipe(otc);
        _exit(0);
    }
    int rc = sspr_delivery_send_code(f, g, to, sspr_otc_code(otc), minutes, 0);
    sspr_otc_wipe(otc);
    if (rc == SSPR_OK) {
        char detail[48];
        snprintf(detail, sizeof(detail), "method=%s", g->name);
        sspr_audit(&f->audit, "code-sent", detail);
    }
    if (g->delivery->marks_channel && rc != SSPR_ERR_REFUSED) {
        if (rc != SSPR_OK)
            (void)sspr_be_fact_set(f->be, g->name, (long long)time(NULL), 0);
        else
            (void)sspr_be_fact_set(f->be, g->name, 0, 1); /* a working channel costs no write */
    }
    _exit(rc == SSPR_OK ? 0 : 1);
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

static void say_down(struct sspr_flow *f, const struct sspr_gate *g)
{
    sspr_flow_say_code(f, g->delivery->down_code, g->delivery->down_text);
}

int sspr_delivery_ask(struct sspr_flow *f, const struct sspr_gate *g, int index)
{
    const struct sspr_delivery *d = g->delivery;
    struct sspr_delivery_params p;
    char answer[SSPR_ANSWER_MAX + 1], info[256], hint[64] = "";
    struct sspr_otc otc;
    const char *to = NULL;
    int sent = 0, step;

    d->params(f->cfg, &p);
    if (f->stage < SSPR_SHOW_AFTER_CHANNEL)
        f->stage = SSPR_SHOW_AFTER_CHANNEL; /* the user chose this channel */
    if (!sspr_flow_gate_open(f, g, &step))
        return step;
    if (channel_failing(f, g)) {
        say_down(f, g);
        return SSPR_STEP_MENU;
    }
    /* Every subject counts sends, registered or not: the cap reads the same. */
    if (sspr_throttle_send(f->be, &f->subject, time(NULL)) != 0) {
        char detail[48];
        snprintf(detail, sizeof(detail), "method=%s", g->name);
        sspr_audit(&f->audit, "send-capped", detail);
        sspr_chan_error_final(&f->ch, _("Too many codes were sent recently. Try again later or "
                                        "ask your administrator."));
        return SSPR_STEP_END;
    }
    memset(&otc, 0, sizeof(otc));
    /* Everyone pays for the same probe, so an unreachable server reads the
     * same for every name ... */
    if (sspr_probe_url(p.url, p.ca_file, PROBE_TIMEOUT_S) != 0) {
        char detail[96], id[16] = "";
        (void)sspr_error_id(d->down_code, id, sizeof(id));
        snprintf(detail, sizeof(detail), "method=%s code=%s reason=unreachable", g->name, id);
        sspr_audit(&f->audit, "send-fail", detail);
        say_down(f, g);
        return SSPR_STEP_MENU;
    }
    /* ... and the real send, only for a registered address, runs in the
     * background: how long a mail server or gateway takes must not tell
     * which names have an address. */
    if (sspr_flow_counts(f, g))
        to = sspr_delivery_address(g, &f->rec);
    /* the same work for every name: a code made, a child started */
    if (sspr_otc_new(&otc, (unsigned)p.digits, p.lifetime) == 0 &&
        send_in_background(f, g, to, &otc, p.lifetime / 60) == 0 && to != NULL) {
        sent = 1;
        if (f->cfg->show_hints)
            (void)d->mask(to, hint, sizeof(hint));
    }
    if (!sent)
        sspr_otc_wipe(&otc); /* no code to check: every answer is wrong */
    if (hint[0] != '\0')
        /* TRANSLATORS: %1$s is a masked address ("j***@example.com") */
        snprintf(info, sizeof(info),
                 P_("A code has been sent to %1$s. It is valid for %2$d minute.",
                    "A code has been sent to %1$s. It is valid for %2$d minutes.", p.lifetime / 60),
                 hint, p.lifetime / 60);
    else
        /* TRANSLATORS: %1$s is "If this account has an email address, a code
           was sent to it." (or the text message one) */
        snprintf(info, sizeof(info),
                 P_("%1$s It is valid for %2$d minute.", "%1$s It is valid for %2$d minutes.",
                    p.lifetime / 60),
                 _(d->sent_generic), p.lifetime / 60);
    sspr_chan_info(&f->ch, info);

    for (int t = 0; t < TRIES; t++) {
        if (sspr_chan_prompt(&f->ch, 0, _(d->code_prompt), answer) != 0) {
            sspr_otc_wipe(&otc);
            return SSPR_STEP_BROKEN;
        }
        if (answer[0] == '\0') {
            sspr_otc_wipe(&otc);
            return SSPR_STEP_CANCEL; /* never judged, never counted */
        }
        struct otc_check c = { &otc, answer, sent };
        enum sspr_judged j = sspr_flow_judge(f, g->name, check_otc, &c);
        SSPR_WIPE_ARRAY(answer);
        if (j == SSPR_J_PASS) {
            sspr_otc_wipe(&otc);
            sspr_flow_passed(f, g, index);
            return (int)sspr_gate_bit(g);
        }
        int next = sspr_flow_refused(f, j, g, SSPR_MSG_BAD_CODE);
        if (next != 1) {
            sspr_otc_wipe(&otc);
            return next;
        }
    }
    sspr_otc_wipe(&otc);
    return SSPR_STEP_END;
}

/* Registration at sign-in: an address confirmed by a code sent to it. */
int sspr_delivery_enroll_at_login(struct sspr_flow *f, const struct sspr_gate *g)
{
    const struct sspr_delivery *d = g->delivery;
    struct sspr_delivery_params p;
    char addr[SSPR_ANSWER_MAX + 1], a[SSPR_ANSWER_MAX + 1], line[400], hint[64];
    struct sspr_otc otc;
    int ok = 0, got = 0;

    d->params(f->cfg, &p);
    for (int t = 0; t < TRIES && !got; t++) {
        if (sspr_chan_prompt(&f->ch, 1, _(d->address_prompt), addr) != 0)
            return -1;
        got = d->valid(addr);
        if (!got)
            sspr_chan_error(&f->ch, _(d->address_bad));
    }
    if (!got)
        return 0;
    if (sspr_throttle_send(f->be, &f->subject, time(NULL)) != 0) {
        sspr_chan_error(&f->ch, _(SSPR_MSG_SEND_CAP));
        return 0;
    }
    if (sspr_otc_new(&otc, (unsigned)p.digits, p.lifetime) != 0 ||
        sspr_delivery_send_code(f, g, addr, sspr_otc_code(&otc), p.lifetime / 60, 1) != 0) {
        sspr_otc_wipe(&otc);
        sspr_flow_say_code(f, d->down_code, NULL);
        return 0;
    }
    (void)d->mask(addr, hint, sizeof(hint));
    snprintf(line, sizeof(line), _("A confirmation code has been sent to %s."), hint);
    sspr_flow_show(f, line);
    for (int t = 0; t < TRIES && !ok; t++) {
        if (sspr_chan_prompt(&f->ch, 0, _("Confirmation code: "), a) != 0) {
            ok = -1;
            break;
        }
        if (sspr_otc_check(&otc, a) == 0) {
            struct sspr_material m;

            sspr_material_init(&m);
            m.present = 1;
            m.since = (long long)time(NULL);
            ok = sspr_material_set_text(&m, addr) == SSPR_OK &&
                 sspr_material_set_source(&m, "user") == SSPR_OK &&
                 sspr_flow_save_material(f, g, &m) == 0;
            sspr_material_clear(&m);
            if (!ok)
                break;
        } else {
            sspr_chan_error(&f->ch, _("That code does not match."));
        }
    }
    sspr_otc_wipe(&otc);
    SSPR_WIPE_ARRAY(a);
    if (ok == 1)
        sspr_chan_info(&f->ch, _(d->registered));
    return ok;
}

/* `enroll USER --email ADDRESS`: set by an admin, who vouches for it. */
int sspr_delivery_enroll_cli(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg)
{
    const struct sspr_delivery *d = g->delivery;
    struct sspr_material m;
    int rc = 1;

    if (arg == NULL || !d->valid(arg)) {
        fprintf(stderr, "sspr-helper: %s is not a valid %s\n", arg != NULL ? arg : "(nothing)",
                d->cli_what);
        return 2;
    }
    sspr_material_init(&m);
    m.present = 1;
    m.since = (long long)time(NULL);
    if (sspr_material_set_text(&m, arg) == SSPR_OK &&
        sspr_material_set_source(&m, "admin") == SSPR_OK)
        rc = sspr_admin_save(ad, g, &m);
    sspr_material_clear(&m);
    if (rc == 0) {
        fprintf(stderr, "%s for %s set to %s.\n", d->cli_set, ad->acct.name, arg);
        if (!g->available(ad->cfg))
            fprintf(stderr, "Note: [%s] is not configured yet, so this method is not offered.\n",
                    d->section);
    }
    return rc;
}

void sspr_delivery_describe(const struct sspr_gate *g, const struct sspr_material *m,
                            const struct sspr_config *cfg, FILE *out)
{
    if (!m->present || m->text[0] == '\0') {
        fprintf(out, "%s: not registered\n", g->name);
        return;
    }
    fprintf(out, "%s: %s%s%s%s\n", g->name, m->text, g->available(cfg) ? "" : " ([",
            g->available(cfg) ? "" : g->delivery->section,
            g->available(cfg) ? "" : "] not configured)");
}
