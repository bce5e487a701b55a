/*
 * The throttle's rules over struct sspr_throttle_rec. Every change is an
 * edit handed to the backend's atomic update; edits are pure functions of
 * the record and their context, because a compare-and-swap backend may run
 * them again after a conflict.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gates/gate.h"
#include "state/throttle.h"

#define DELAY_CAP 30u
#define SEND_WINDOW 3600 /* the sliding hour */

/* ---- the record ------------------------------------------------------------------ */

/* One known method name. */
static int method_name_ok(const char *m)
{
    return m != NULL && strlen(m) < SSPR_THROTTLE_NAME && sspr_gate_by_name(m) != NULL;
}

int sspr_throttle_rec_valid(const struct sspr_throttle_rec *r)
{
    if (r->failures < 0 || r->since < 0 || r->locked_until < 0 || r->consecutive < 0 ||
        r->failures > INT32_MAX || r->consecutive > INT32_MAX ||
        r->nmethods > SSPR_THROTTLE_METHODS || r->nsends > SSPR_THROTTLE_SENDS)
        return 0;
    for (size_t i = 0; i < r->nmethods; i++)
        if (!method_name_ok(r->methods[i].name) || r->methods[i].n < 0 ||
            r->methods[i].n > INT32_MAX)
            return 0;
    for (size_t i = 0; i < r->nsends; i++)
        if (r->sends[i] < 0)
            return 0;
    return 1;
}

int sspr_throttle_rec_empty(const struct sspr_throttle_rec *r)
{
    return r->failures == 0 && r->since == 0 && r->locked_until == 0 && r->consecutive == 0 &&
           r->nmethods == 0 && r->nsends == 0;
}

static long long *method_slot(struct sspr_throttle_rec *r, const char *method, int create)
{
    for (size_t i = 0; i < r->nmethods; i++)
        if (strcmp(r->methods[i].name, method) == 0)
            return &r->methods[i].n;
    if (!create || r->nmethods >= SSPR_THROTTLE_METHODS)
        return NULL;
    snprintf(r->methods[r->nmethods].name, SSPR_THROTTLE_NAME, "%s", method);
    r->methods[r->nmethods].n = 0;
    return &r->methods[r->nmethods++].n;
}

/* Forget sends older than the sliding hour. A send time in the future (a
 * clock set back) still counts: it only ever makes the cap stricter. */
static void sends_prune(struct sspr_throttle_rec *r, time_t now)
{
    size_t o = 0;

    for (size_t i = 0; i < r->nsends; i++)
        if (!(r->sends[i] <= (long long)now && (long long)now - r->sends[i] >= SEND_WINDOW))
            r->sends[o++] = r->sends[i];
    r->nsends = o;
}

/* Let time pass: an ended lockout, or a window older than failure_window,
 * starts a fresh count. A clock set back (now < since) expires nothing. */
static void rec_age(struct sspr_throttle_rec *r, time_t now, const struct sspr_config *cfg)
{
    if (r->locked_until != 0) {
        if ((long long)now >= r->locked_until &&
            r->locked_until != (long long)SSPR_THROTTLE_FOREVER) {
            r->failures = 0;
            r->since = 0;
            r->locked_until = 0;
            r->nmethods = 0;
        }
        return;
    }
    if (r->failures > 0 && (long long)now >= r->since &&
        (long long)now - r->since >= (long long)cfg->failure_window) {
        r->failures = 0;
        r->since = 0;
        r->nmethods = 0;
    }
}

int sspr_throttle_rec_expired(const struct sspr_throttle_rec *r, time_t now,
                              const struct sspr_config *cfg)
{
    struct sspr_throttle_rec a = *r;

    rec_age(&a, now, cfg);
    sends_prune(&a, now);
    /* failures in a row outlive windows: a name with a lockout's worth of
     * them is kept, so that it reaches max_consecutive as an account does
     * (a name typed once or twice still goes) */
    return a.failures == 0 && a.locked_until == 0 && a.nsends == 0 &&
           a.consecutive < (long long)cfg->max_failures;
}

static void set_locked(struct sspr_throttle_state *out, int *mf, const struct sspr_config *cfg)
{
    if (out != NULL) {
        out->failures = cfg != NULL ? cfg->max_failures : 0;
        out->locked_until = SSPR_THROTTLE_FOREVER;
        out->window_ends = SSPR_THROTTLE_FOREVER;
    }
    if (mf != NULL)
        *mf = cfg != NULL ? cfg->max_failures_per_method : INT32_MAX;
}

static void rec_to_state(struct sspr_throttle_rec *r, const char *method,
                         struct sspr_throttle_state *out, int *mf, const struct sspr_config *cfg)
{
    long long *m = method != NULL ? method_slot(r, method, 0) : NULL;

    if (out != NULL) {
        out->failures = (int)r->failures;
        out->locked_until = (time_t)r->locked_until;
        out->window_ends = r->failures > 0 ? (time_t)(r->since + cfg->failure_window) : 0;
    }
    if (mf != NULL)
        *mf = m != NULL ? (int)*m : 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static int load_aged(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                     struct sspr_throttle_rec *r)
{
    int rc = sspr_be_throttle_load(be, s, r);

    if (rc == SSPR_OK)
        rec_age(r, now, be->cfg);
    return rc;
}

int sspr_throttle_get_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                             const char *method, struct sspr_throttle_state *out,
                             int *method_failures)
{
    struct sspr_throttle_rec r;
    int rc;

    set_locked(out, method_failures, be != NULL ? be->cfg : NULL);
    if (be == NULL || s == NULL || out == NULL || (method != NULL && !method_name_ok(method)))
        return SSPR_ERR_INVAL;
    if ((rc = load_aged(be, s, now, &r)) != SSPR_OK)
        return rc;
    rec_to_state(&r, method, out, method_failures, be->cfg);
    return SSPR_OK;
}

int sspr_throttle_get(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                      struct sspr_throttle_state *out)
{
    return sspr_throttle_get_method(be, s, now, NULL, out, NULL);
}

int sspr_throttle_locked(const struct sspr_throttle_state *st, time_t now)
{
    return st == NULL || (st->locked_until != 0 && now < st->locked_until);
}

int sspr_throttle_method_locked(const struct sspr_throttle_state *st, int method_failures,
                                time_t now, const struct sspr_config *cfg)
{
    if (st == NULL || cfg == NULL || sspr_throttle_locked(st, now))
        return 1;
    return method_failures >= cfg->max_failures_per_method;
}

/* ---- edits ---------------------------------------------------------------------------- */

struct ctx {
    time_t now;
    const struct sspr_config *cfg;
    const char *method;
    int guarded;                /* charge: refuse when locked or the method is blocked */
    int outcome;                /* charge: what happened (set on every run) */
    size_t cap;                 /* send: the cap */
    const char *const *refunds; /* charges of right answers to take back first */
    size_t nrefunds;
};

/* Take back one charged failure of method (and a lockout that it started). */
static void refund_one(struct sspr_throttle_rec *r, const char *method,
                       const struct sspr_config *cfg)
{
    long long *m = method_slot(r, method, 0);

    if (r->failures > 0)
        r->failures--;
    if (r->consecutive > 0)
        r->consecutive--;
    if (m != NULL && *m > 0)
        (*m)--;
    /* the charge may have started the lockout; the answer was right */
    if (r->locked_until != 0 && r->failures < cfg->max_failures &&
        r->consecutive < cfg->max_consecutive)
        r->locked_until = 0;
    if (r->failures == 0 && r->locked_until == 0)
        r->since = 0;
}

static int edit_fail(struct sspr_throttle_rec *r, void *vctx)
{
    struct ctx *c = vctx;
    const struct sspr_config *cfg = c->cfg;

    rec_age(r, c->now, cfg);
    for (size_t i = 0; i < c->nrefunds; i++)
        refund_one(r, c->refunds[i], cfg);
    c->outcome = SSPR_CHARGED;
    if (c->guarded) {
        long long *m = method_slot(r, c->method, 0);
        int mf = m != NULL ? (int)*m : 0;

        if (r->locked_until != 0 && (long long)c->now < r->locked_until)
            c->outcome = SSPR_CHARGE_LOCKED;
        else if (mf >= cfg->max_failures_per_method)
            c->outcome = SSPR_CHARGE_METHOD_LOCKED;
        if (c->outcome != SSPR_CHARGED)
            return c->nrefunds > 0 ? 0 : 1; /* refunds still land; nothing charged */
    }
    if (r->failures == 0)
        r->since = (long long)c->now;
    if (r->failures < INT32_MAX)
        r->failures++;
    if (r->consecutive < INT32_MAX)
        r->consecutive++;
    if (c->method != NULL) {
        long long *m = method_slot(r, c->method, 1);

        if (m == NULL)
            return SSPR_ERR_INVAL;
        if (*m < INT32_MAX)
            (*m)++;
    }
    /* Failures while locked still count, but do not extend the lockout:
     * otherwise anyone could keep an account locked by trying on. */
    if (r->consecutive >= cfg->max_consecutive)
        r->locked_until = (long long)SSPR_THROTTLE_FOREVER;
    else if (r->locked_until == 0 && r->failures >= cfg->max_failures)
        r->locked_until = (long long)c->now > INT64_MAX - cfg->lockout
                              ? (long long)SSPR_THROTTLE_FOREVER
                              : (long long)c->now + cfg->lockout;
    return 0;
}

static int fail(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                const char *method, int guarded, const char *const *refunds, size_t nrefunds,
                struct sspr_throttle_state *out, int *mf)
{
    struct sspr_throttle_rec r;
    struct ctx c = { now, NULL, method, guarded, SSPR_CHARGED, 0, refunds, nrefunds };
    int rc;

    set_locked(out, mf, be != NULL ? be->cfg : NULL);
    if (be == NULL || s == NULL || out == NULL || (method != NULL && !method_name_ok(method)))
        return SSPR_ERR_INVAL;
    c.cfg = be->cfg;
    for (size_t i = 0; i < nrefunds; i++)
        if (!method_name_ok(refunds[i]))
            return SSPR_ERR_INVAL;
    rc = sspr_be_throttle_update(be, s, 0, edit_fail, &c, &r);
    if (rc == 1) /* refused by the guard: nothing written; report the state as it is */
        return c.outcome;
    if (rc != SSPR_OK)
        return rc;
    if (c.outcome == SSPR_CHARGED)
        rec_to_state(&r, method, out, mf, be->cfg);
    return c.outcome;
}

int sspr_throttle_fail(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                       struct sspr_throttle_state *out)
{
    return fail(be, s, now, NULL, 0, NULL, 0, out, NULL);
}

int sspr_throttle_fail_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                              const char *method, struct sspr_throttle_state *out,
                              int *method_failures)
{
    if (method == NULL) {
        set_locked(out, method_failures, be != NULL ? be->cfg : NULL);
        return SSPR_ERR_INVAL;
    }
    return fail(be, s, now, method, 0, NULL, 0, out, method_failures);
}

int sspr_throttle_charge(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                         const char *method, struct sspr_throttle_state *out, int *method_failures)
{
    if (method == NULL) {
        set_locked(out, method_failures, be != NULL ? be->cfg : NULL);
        return SSPR_ERR_INVAL;
    }
    return fail(be, s, now, method, 1, NULL, 0, out, method_failures);
}

int sspr_throttle_charge_settling(struct sspr_backend *be, const struct sspr_subject *s,
                                  time_t now, const char *method, const char *const *refunds,
                                  size_t nrefunds, struct sspr_throttle_state *out,
                                  int *method_failures)
{
    if (method == NULL) {
        set_locked(out, method_failures, be != NULL ? be->cfg : NULL);
        return SSPR_ERR_INVAL;
    }
    return fail(be, s, now, method, 1, refunds, nrefunds, out, method_failures);
}

static int edit_refund(struct sspr_throttle_rec *r, void *vctx)
{
    struct ctx *c = vctx;

    rec_age(r, c->now, c->cfg);
    for (size_t i = 0; i < c->nrefunds; i++)
        refund_one(r, c->refunds[i], c->cfg);
    return 0;
}

int sspr_throttle_settle(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                         const char *const *refunds, size_t nrefunds)
{
    struct ctx c = { now, NULL, NULL, 0, 0, 0, refunds, nrefunds };

    if (be == NULL || s == NULL)
        return SSPR_ERR_INVAL;
    if (nrefunds == 0)
        return SSPR_OK;
    for (size_t i = 0; i < nrefunds; i++)
        if (!method_name_ok(refunds[i]))
            return SSPR_ERR_INVAL;
    c.cfg = be->cfg;
    return sspr_be_throttle_update(be, s, SSPR_THROTTLE_LAZY, edit_refund, &c, NULL);
}

int sspr_throttle_refund_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                                const char *method)
{
    struct ctx c = { now, NULL, method, 0, 0, 0, &method, 1 };

    if (be == NULL || s == NULL || !method_name_ok(method))
        return SSPR_ERR_INVAL;
    c.cfg = be->cfg;
    return sspr_be_throttle_update(be, s, 0, edit_refund, &c, NULL);
}

static int edit_send(struct sspr_throttle_rec *r, void *vctx)
{
    struct ctx *c = vctx;

    rec_age(r, c->now, c->cfg);
    sends_prune(r, c->now);
    if (r->nsends >= c->cap)
        return 1;
    /* Only the send list changes: a new code never resets a failure
     * count (docs/security.md 10). */
    r->sends[r->nsends++] = (long long)c->now;
    return 0;
}

int sspr_throttle_send(struct sspr_backend *be, const struct sspr_subject *s, time_t now)
{
    struct ctx c = { now, NULL, NULL, 0, 0, 0, NULL, 0 };

    if (be == NULL || s == NULL || be->cfg->max_sends_per_hour < 1)
        return SSPR_ERR_INVAL;
    c.cfg = be->cfg;
    c.cap = (size_t)be->cfg->max_sends_per_hour < SSPR_THROTTLE_SENDS
                ? (size_t)be->cfg->max_sends_per_hour
                : SSPR_THROTTLE_SENDS;
    return sspr_be_throttle_update(be, s, 0, edit_send, &c, NULL);
}

int sspr_throttle_sends(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                        int *count)
{
    struct sspr_throttle_rec r;
    int rc;

    if (count == NULL)
        return SSPR_ERR_INVAL;
    *count = INT32_MAX;
    if (be == NULL || s == NULL)
        return SSPR_ERR_INVAL;
    if ((rc = sspr_be_throttle_load(be, s, &r)) != SSPR_OK)
        return rc;
    sends_prune(&r, now);
    *count = (int)r.nsends;
    return SSPR_OK;
}

static int edit_clear(struct sspr_throttle_rec *r, void *vctx)
{
    /* Keep the send times: unlocking is about failures, and must not reopen
     * the door to flooding an inbox or a phone. */
    size_t nsends = r->nsends;
    long long sends[SSPR_THROTTLE_SENDS];

    (void)vctx;
    memcpy(sends, r->sends, sizeof(sends));
    memset(r, 0, sizeof(*r));
    r->nsends = nsends;
    memcpy(r->sends, sends, sizeof(sends));
    return 0;
}

int sspr_throttle_clear(struct sspr_backend *be, const struct sspr_subject *s)
{
    if (be == NULL || s == NULL)
        return SSPR_ERR_INVAL;
    return sspr_be_throttle_update(be, s, SSPR_THROTTLE_RESET_CORRUPT, edit_clear, NULL, NULL);
}

unsigned sspr_throttle_delay(const struct sspr_config *cfg, int failures)
{
    unsigned d;

    if (cfg == NULL || cfg->failure_delay <= 0 || failures <= 0)
        return 0;
    d = (unsigned)cfg->failure_delay;
    for (int i = 1; i < failures && d < DELAY_CAP; i++)
        d *= 2;
    return d < DELAY_CAP ? d : DELAY_CAP;
}
