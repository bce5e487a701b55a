#include "autoconf.h"

#include <time.h>

#include "flow/flow.h"
#include "gates/code.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES_PER_GATE 3

/* gnome-shell shows a prompt as the entry's placeholder, one line of about
 * 36 characters: the message before it (flow/reset.c) says the rest. */
static const char MSG_CODE1[] = N_("App or recovery code: ");
static const char MSG_CODE2[] = N_("Second code (another method): ");

struct code_check {
    const struct sspr_gate *g;
    const char *answer;
    int right;
};

/* Inside the backend's atomic update: spend the proof if it is right. */
static int edit_check(struct sspr_record *rec, void *vctx)
{
    struct code_check *c = vctx;
    struct sspr_material *m = sspr_gate_material(rec, c->g);

    c->right = 0;
    if (m == NULL || !m->present || !c->g->usable(m))
        return 1;
    if (c->g->check(m, c->answer, time(NULL)) != 1)
        return 1; /* wrong, replayed or used up: nothing written */
    c->right = 1;
    return 0; /* right: spent exactly when this write lands */
}

static int check_code(struct sspr_flow *f, void *vctx)
{
    struct code_check *c = vctx;

    if (!sspr_flow_counts(f, c->g))
        return 0;
    return sspr_be_update(f->be, &f->acct, 0, edit_check, c) == SSPR_OK && c->right;
}

/* Which CODE gate an answer is for: the first whose shape it has, else
 * the first CODE gate (a wrong code is charged to it). */
static const struct sspr_gate *by_shape(const char *answer)
{
    const struct sspr_gate *g, *first = NULL;

    SSPR_GATE_FOREACH(i, g) {
        if (!(g->flags & SSPR_GATE_CODE))
            continue;
        if (first == NULL)
            first = g;
        if (g->looks_like(answer))
            return g;
    }
    return first;
}

int sspr_gate_ask_code(struct sspr_flow *f, const struct sspr_gate *g, int index)
{
    char answer[SSPR_ANSWER_MAX + 1];
    const char *prompt = index == 0 || sspr_gate_menu_on(f->cfg) ? _(MSG_CODE1) : _(MSG_CODE2);

    (void)g;
    for (int t = 0; t < TRIES_PER_GATE; t++) {
        if (sspr_chan_prompt(&f->ch, 0, prompt, answer) != 0)
            return SSPR_STEP_BROKEN;
        if (answer[0] == '\0')
            return SSPR_STEP_CANCEL; /* never judged, never counted */
        struct code_check c = { by_shape(answer), answer, 0 };
        enum sspr_judged j = sspr_flow_judge(f, c.g->name, check_code, &c);
        SSPR_WIPE_ARRAY(answer);
        if (j == SSPR_J_PASS) {
            sspr_flow_passed(f, c.g, index);
            return (int)sspr_gate_bit(c.g);
        }
        int next = sspr_flow_refused(f, j, c.g, SSPR_MSG_BAD_CODE);
        if (next != 1)
            return next;
    }
    return SSPR_STEP_END;
}
