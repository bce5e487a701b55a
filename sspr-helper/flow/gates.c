/*
 * One gate of a reset: the method menu (when more than the code prompt is
 * set up) and the chosen gate's ask, with every answer judged under the
 * throttle. What is shown depends only on the system's configuration and
 * on what the user typed, never on the account: an unknown, ineligible or
 * unregistered account walks the same menu and prompts, gets the same
 * messages, is throttled the same way, and simply never passes
 * (docs/security.md 14).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow/flow.h"
#include "support/errors.h"
#include "policy/policy.h"
#include "service.h"
#include "state/throttle.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES 3
#define MENU_ROUNDS 4

const char SSPR_MSG_BAD_CODE[] = N_("That code is not valid.");
const char SSPR_MSG_SEND_CAP[] = N_("Too many codes were sent recently. Try again later.");

static const char MSG_MENU_HEAD[] = N_("How do you want to confirm it is you?");
static const char MSG_CHOICE[] = N_("Choice [1]: ");
/* A greeter shows a message as one paragraph (lightdm-gtk-greeter: instead
 * of the prompt after it), so there the menu is one line that says what to
 * type, and the prompt has no "[1]". */
static const char MSG_CHOICE_GREETER[] = N_("Number (Enter for 1): ");
static const char MSG_BAD_CHOICE[] = N_("Choose one of the numbers shown.");

int sspr_gate_menu_on(const struct sspr_config *cfg)
{
    unsigned more = sspr_policy_system_methods(cfg) & ~sspr_gates_flagged(SSPR_GATE_CODE);

    return more != 0;
}

/* ---- throttling ------------------------------------------------------------------ */

/* Whole minutes until t (at least 1). */
static long minutes_until(time_t t)
{
    time_t now = time(NULL);
    long left = t > now ? (long)(t - now) : 0;

    return left < 60 ? 1 : (left + 59) / 60;
}

/* "Too many failed attempts. Try again in 15 minutes or ask your
 * administrator." The flow ends right after it, so it carries the last
 * words too (one message: a greeter shows one at a time). */
static void say_try_later(struct sspr_flow *f, long m)
{
    char text[160];

    snprintf(text, sizeof(text),
             P_("Too many failed attempts. Try again in %ld minute or ask your administrator.",
                "Too many failed attempts. Try again in %ld minutes or ask your administrator.", m),
             m);
    sspr_chan_error_final(&f->ch, text);
}

/* Locked out: for how long (or until an admin unlocks). Said the same way
 * for every name: it reads only the subject's throttle record, which every
 * name has. */
static void say_locked(struct sspr_flow *f, const struct sspr_throttle_state *ts)
{
    if (ts->locked_until == SSPR_THROTTLE_FOREVER) {
        sspr_chan_error_final(&f->ch, _("Too many failed attempts. Password reset stays blocked "
                                        "until your administrator unlocks it."));
        return;
    }
    say_try_later(f, minutes_until(ts->locked_until));
}

/* The subject's state, and this method's failures. 0, or -1 (then it
 * counts as locked out, without end). */
static int state_of(struct sspr_flow *f, const char *method, struct sspr_throttle_state *ts,
                    int *mf)
{
    if (sspr_throttle_get_method(f->be, &f->subject, time(NULL), method, ts, mf) == SSPR_OK)
        return 0;
    ts->locked_until = SSPR_THROTTLE_FOREVER;
    return -1;
}

static int blocked(struct sspr_flow *f, const struct sspr_gate *g)
{
    struct sspr_throttle_state ts;
    int mf = 0;

    return state_of(f, g->name, &ts, &mf) != 0 ||
           sspr_throttle_method_locked(&ts, mf, time(NULL), f->cfg);
}

/* A code gate that still works at the shared code prompt, or NULL. */
static const struct sspr_gate *other_code_gate(struct sspr_flow *f, const struct sspr_gate *g)
{
    unsigned system = sspr_policy_system_methods(f->cfg);
    const struct sspr_gate *o;

    SSPR_GATE_FOREACH(i, o)
        if (o != g && (o->flags & SSPR_GATE_CODE) && (system & sspr_gate_bit(o)) && !blocked(f, o))
            return o;
    return NULL;
}

/* Say that g is blocked, for how long, and what still works. Returns 1 to
 * go on at the same prompt (another code method works there), else the
 * step to take. */
static int say_method_blocked(struct sspr_flow *f, const struct sspr_gate *g)
{
    struct sspr_throttle_state ts;
    const struct sspr_gate *other = NULL;
    char text[256];
    int mf = 0;
    long m;

    if (state_of(f, g->name, &ts, &mf) != 0 || sspr_throttle_locked(&ts, time(NULL))) {
        say_locked(f, &ts);
        return SSPR_STEP_END;
    }
    m = minutes_until(ts.window_ends);
    if (sspr_gate_menu_on(f->cfg)) {
        /* TRANSLATORS: %1$s is a kind of code, plural ("Recovery codes") */
        snprintf(text, sizeof(text),
                 P_("%1$s are blocked for %2$ld minute after too many wrong ones. Choose another "
                    "way.",
                    "%1$s are blocked for %2$ld minutes after too many wrong ones. Choose another "
                    "way.",
                    m),
                 _(g->blocked_label), m);
        sspr_chan_error(&f->ch, text);
        return SSPR_STEP_MENU;
    }
    if ((g->flags & SSPR_GATE_CODE) && (other = other_code_gate(f, g)) != NULL) {
        /* TRANSLATORS: %1$s is a kind of code, plural ("Authenticator app codes");
           %3$s is another one, singular ("a recovery code") */
        snprintf(text, sizeof(text),
                 P_("%1$s are blocked for %2$ld minute after too many wrong ones. You can still "
                    "use %3$s.",
                    "%1$s are blocked for %2$ld minutes after too many wrong ones. You can still "
                    "use %3$s.",
                    m),
                 _(g->blocked_label), m, _(other->use_label));
        sspr_chan_error(&f->ch, text);
        return 1;
    }
    say_try_later(f, m);
    return SSPR_STEP_END;
}

int sspr_flow_gate_open(struct sspr_flow *f, const struct sspr_gate *g, int *step)
{
    struct sspr_throttle_state ts;
    int mf = 0;

    if (state_of(f, g->name, &ts, &mf) != 0 || sspr_throttle_locked(&ts, time(NULL))) {
        say_locked(f, &ts);
        *step = SSPR_STEP_END;
        return 0;
    }
    if (sspr_throttle_method_locked(&ts, mf, time(NULL), f->cfg)) {
        *step = say_method_blocked(f, g);
        if (*step == 1)
            *step = SSPR_STEP_MENU;
        return 0;
    }
    return 1;
}

/* Sleep until `delay` seconds after t0: the work done since (the lookup,
 * the charge's fsyncs, a bigger or smaller record) is inside the delay,
 * so the verdict's time says nothing about it (OpenSSH pads failed
 * authentications to a minimum time the same way). */
static void sleep_until(const struct timespec *t0, unsigned delay)
{
    struct timespec until = *t0;

    if (t0->tv_sec < 0 && clock_gettime(CLOCK_MONOTONIC, &until) != 0) {
        sleep(delay);
        return;
    }
    until.tv_sec += (time_t)delay;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

enum sspr_judged sspr_flow_judge(struct sspr_flow *f, const char *method, sspr_answer_check check,
                                 void *ctx)
{
    struct sspr_throttle_state ts = { 0, 0, 0 };
    struct timespec t0;
    char detail[96];
    int mf = 0, rc;

    if (clock_gettime(CLOCK_MONOTONIC, &t0) != 0)
        t0.tv_sec = -1; /* no clock: sleep the whole delay after the work */
    sspr_flow_assess(f); /* done while the prompt was read, unless answered at once */
    if (f->unready) {
        /* nothing charged, nothing spent: the machine cannot finish */
        sspr_audit(&f->audit, "gate-fail", "reason=\"a library could not be loaded\"");
        return SSPR_J_ERROR;
    }
    /* the charges of earlier right answers go back in the same write */
    rc = sspr_throttle_charge_settling(f->be, &f->subject, time(NULL), method, f->refunds,
                                       f->nrefunds, &ts, &mf);
    /* Offered once, whatever came of it: a charge that failed after its
     * record was written (the directory's fsync) already holds them, and
     * giving them again would forgive a failure that was never a refund.
     * One not given errs the safe way (a right answer still counted). */
    f->nrefunds = 0;
    if (rc == SSPR_CHARGE_METHOD_LOCKED)
        return SSPR_J_METHOD_LOCKED;
    if (rc == SSPR_CHARGE_LOCKED)
        return SSPR_J_LOCKED;
    if (rc != SSPR_CHARGED) {
        /* an answer whose failure cannot be recorded is never judged */
        sspr_audit(&f->audit, "gate-fail", "reason=\"failure could not be recorded\"");
        return SSPR_J_ERROR;
    }
    if (check(f, ctx)) {
        /* Taken back later, not now: one write fewer before the next
         * prompt. Until then the count errs on the safe side. */
        if (f->nrefunds < SSPR_GATES_MAX)
            f->refunds[f->nrefunds++] = sspr_gate_by_name(method)->name;
        else
            (void)sspr_throttle_refund_method(f->be, &f->subject, time(NULL), method);
        return SSPR_J_PASS;
    }
    snprintf(detail, sizeof(detail), "method=%s failures=%d", method, ts.failures);
    sspr_audit(&f->audit, "gate-fail", detail);
    if (sspr_throttle_locked(&ts, time(NULL))) {
        sspr_audit(&f->audit, "lockout", detail);
        return SSPR_J_LOCKED;
    }
    /* growing delays, but never so long in all that a console login's
     * LOGIN_TIMEOUT runs out in the middle of a reset */
    unsigned delay = sspr_throttle_delay(f->cfg, ts.failures);
    if (f->slept + delay > SSPR_FLOW_MAX_SLEEP)
        delay = f->slept < SSPR_FLOW_MAX_SLEEP ? SSPR_FLOW_MAX_SLEEP - f->slept : 0;
    if (delay > 0) {
        sleep_until(&t0, delay);
        f->slept += delay;
    }
    return SSPR_J_FAIL;
}

int sspr_flow_refused(struct sspr_flow *f, enum sspr_judged j, const struct sspr_gate *g,
                      const char *bad)
{
    struct sspr_throttle_state ts;
    int mf = 0;

    switch (j) {
    case SSPR_J_FAIL:
        sspr_chan_error(&f->ch, _(bad)); /* bad is marked N_() where it is defined */
        return 1;
    case SSPR_J_METHOD_LOCKED:
        return say_method_blocked(f, g);
    case SSPR_J_ERROR:
        if (f->be->code != 0 && sspr_error_may_show(f->be->code, SSPR_SHOW_ANYONE))
            sspr_flow_say_code(f, f->be->code, NULL); /* a directory that went away */
        else
            sspr_chan_error_final(&f->ch, _("Password reset is not available right now. "
                                            "Try again later or ask your administrator."));
        return SSPR_STEP_END;
    case SSPR_J_LOCKED:
    case SSPR_J_PASS:
        break;
    }
    (void)state_of(f, g->name, &ts, &mf);
    say_locked(f, &ts);
    return SSPR_STEP_END;
}

void sspr_flow_settle(struct sspr_flow *f)
{
    if (f->nrefunds > 0 &&
        sspr_throttle_settle(f->be, &f->subject, time(NULL), f->refunds, f->nrefunds) == SSPR_OK)
        f->nrefunds = 0;
}

void sspr_flow_passed(struct sspr_flow *f, const struct sspr_gate *g, int index)
{
    char detail[64];

    snprintf(detail, sizeof(detail), "method=%s gate=%d", g->name, index + 1);
    sspr_audit(&f->audit, "gate-pass", detail);
}

/* ---- the menu ----------------------------------------------------------------------- */

/* The methods of menu entry g: its own and those of the gates after it
 * that share its entry (no label of their own). */
static unsigned entry_methods(size_t at)
{
    const struct sspr_gate *g = sspr_gate_at(at);
    unsigned set = sspr_gate_bit(g);

    for (size_t i = at + 1; (g = sspr_gate_at(i)) != NULL && g->menu_label == NULL; i++)
        set |= sspr_gate_bit(g);
    return set;
}

/* Show the entries offered; *chosen gets the gate whose ask runs.
 * 1 chosen, 0 end, -1 broken. */
static int menu(struct sspr_flow *f, unsigned offered, const struct sspr_gate **chosen,
                unsigned *chosen_set)
{
    char text[512], answer[SSPR_ANSWER_MAX + 1];
    const struct sspr_gate *list[SSPR_GATES_MAX], *g;
    unsigned sets[SSPR_GATES_MAX];
    size_t o, n = 0;

    int greeter = sspr_service_is_greeter(f->hello.service);

    SSPR_GATE_FOREACH(i, g) {
        if (g->menu_label == NULL || (entry_methods(i) & offered) == 0)
            continue;
        list[n] = g;
        sets[n] = entry_methods(i);
        n++;
    }
    if (n == 0)
        return 0;
    if (greeter) {
        /* "To reset your password, type 1 for A, 2 for B or 3 for C." */
        char items[400];
        size_t io = 0;
        items[0] = '\0';
        for (size_t k = 0; k < n && io < sizeof(items); k++) {
            /* TRANSLATORS: between the entries of the one-line menu, and
               before its last one */
            if (k > 0)
                io += (size_t)snprintf(items + io, sizeof(items) - io, "%s",
                                       k + 1 == n ? _(" or ") : _(", "));
            /* TRANSLATORS: one entry of the one-line menu: "2 for an email code" */
            if (io < sizeof(items))
                io += (size_t)snprintf(items + io, sizeof(items) - io, _("%zu for %s"), k + 1,
                                       _(list[k]->choice_label));
        }
        /* TRANSLATORS: %s is the list, "1 for an app or recovery code or 2 for
           an email code" */
        o = (size_t)snprintf(text, sizeof(text), _("To reset your password, type %s."), items);
    } else {
        o = (size_t)snprintf(text, sizeof(text), "%s", _(MSG_MENU_HEAD));
        for (size_t k = 0; k < n && o < sizeof(text); k++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "\n  %zu) %s", k + 1,
                                  _(list[k]->menu_label));
    }
    sspr_chan_info(&f->ch, text);
    for (int t = 0; t < TRIES; t++) {
        if (sspr_chan_prompt(&f->ch, 1, greeter ? _(MSG_CHOICE_GREETER) : _(MSG_CHOICE), answer) !=
            0)
            return -1;
        size_t pick = answer[0] == '\0' ? 1
                      : answer[1] == '\0' && answer[0] >= '1' && answer[0] <= '9'
                          ? (size_t)(answer[0] - '0')
                          : 0;
        if (pick >= 1 && pick <= n) {
            *chosen = list[pick - 1];
            *chosen_set = sets[pick - 1];
            return 1;
        }
        sspr_chan_error(&f->ch, _(MSG_BAD_CHOICE));
    }
    return 0;
}

/* The first gate that asks for the methods in `offered` (no menu). */
static const struct sspr_gate *first_asking(unsigned offered)
{
    const struct sspr_gate *g;

    SSPR_GATE_FOREACH(i, g)
        if (g->menu_label != NULL && (entry_methods(i) & offered) != 0)
            return g;
    return sspr_gate_at(0);
}

int sspr_gate_first_asks_code(const struct sspr_config *cfg)
{
    return (first_asking(sspr_policy_system_methods(cfg))->flags & SSPR_GATE_CODE) != 0;
}

int sspr_gate_run(struct sspr_flow *f, int index)
{
    sspr_flow_settle(f); /* the next gate reads the throttle as it really is */
    /* the first offer is the system's, whoever asks (not yet assessed) */
    unsigned offered = sspr_policy_next_offer(sspr_policy_system_methods(f->cfg), f->used,
                                              f->used != 0 && f->is_admin);

    if (!sspr_gate_menu_on(f->cfg)) {
        const struct sspr_gate *g = first_asking(offered);
        if (!(g->flags & SSPR_GATE_CODE)) {
            /* it sends or shows something of the account's before it asks */
            sspr_flow_assess(f);
            if (f->unready)
                return sspr_flow_refused(f, SSPR_J_ERROR, g, NULL);
        }
        int rc = g->ask(f, g, index);
        return rc == SSPR_STEP_MENU ? SSPR_STEP_END : rc;
    }
    /* (an empty choice takes the first entry; an empty code cancels) */
    for (int round = 0; round < MENU_ROUNDS; round++) {
        const struct sspr_gate *g = NULL;
        unsigned set = 0;
        int rc = menu(f, offered, &g, &set);
        if (rc <= 0)
            return rc < 0 ? SSPR_STEP_BROKEN : SSPR_STEP_END;
        sspr_flow_assess(f); /* done while the menu was read */
        if (f->unready) /* before a code is sent or a question asked */
            return sspr_flow_refused(f, SSPR_J_ERROR, g, NULL);
        rc = g->ask(f, g, index);
        if (rc != SSPR_STEP_MENU)
            return rc;
        offered &= ~set; /* that way is down or used up: offer the others */
    }
    return SSPR_STEP_END;
}
