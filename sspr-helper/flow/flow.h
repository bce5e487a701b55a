/*
 * What one `sspr-helper pam` run knows, and the steps every gate shares.
 * flow/run.c reads HELLO and dispatches; flow/reset.c is the reset state
 * machine; flow/register.c registration at sign-in; flow/gates.c the menu
 * and the judging of answers under the throttle.
 */
#ifndef SSPR_FLOW_H
#define SSPR_FLOW_H

#include "backends/backend.h"
#include "gates/gate.h"
#include "support/audit.h"
#include "support/channel.h"
#include "support/config.h"
#include "support/errors.h"

struct sspr_flow {
    struct sspr_channel ch;
    const struct sspr_config *cfg;
    struct sspr_backend *be;
    struct sspr_hello hello;
    struct sspr_account acct;
    struct sspr_audit audit;
    struct sspr_subject subject; /* throttled as; an empty key fails closed */
    struct sspr_record rec;      /* the account's registration (empty on the dummy path) */
    int can_pass;                /* 0: the dummy path, which never succeeds */
    int is_admin;
    int assessed;                /* acct, rec, can_pass, is_admin, subject are set */
    int loaded;                  /* what judging and committing need was loaded */
    int unready;                 /* ... and could not be: no answer is judged
                                    (flow/reset.c) */
    unsigned used;               /* the gates passed so far */
    /* How far the user got: which SSPR codes may be shown (support/errors.h).
     * Only sspr_flow_say_code shows a code, and it checks this. */
    enum sspr_error_audience stage;
    /* Right answers whose charge is not taken back yet: the refund is
     * written with the next charge, or before the next gate, or when the
     * flow ends (a completed reset clears everything instead). */
    const char *refunds[SSPR_GATES_MAX];
    size_t nrefunds;
    unsigned slept;               /* seconds of throttle delays so far */
};

/* At most this many seconds of throttle delays in one flow (a console
 * login gives up after LOGIN_TIMEOUT, 60 s by default). */
#define SSPR_FLOW_MAX_SLEEP 20u

/* Run one flow on fd (the socket on stdin/stdout). cfg_ok == 0 means the
 * configuration could not be loaded: the flow answers "unavailable".
 * Returns the process exit status. */
int sspr_flow_run(int fd, const struct sspr_config *cfg, int cfg_ok);

/* The same over a given backend implementation (tests: an in-memory one). */
int sspr_flow_run_with(int fd, const struct sspr_config *cfg, const struct sspr_backend_ops *ops);

/* The reset (flow/reset.c) and registration (flow/register.c). 0, or -1 when
 * the channel broke. Both end with a RESULT unless the channel broke. */
int sspr_reset_run(struct sspr_flow *f);
int sspr_register_run(struct sspr_flow *f);

/* Audit the outcome and send RESULT. */
void sspr_flow_finish(struct sspr_flow *f, const char *word, const char *why);

/* Tell the user about failure `code` (SSPR-Exxx): with lead, "<lead>
 * (SSPR-E301). Choose another way or ask your administrator."; with NULL,
 * the error table's own wording. A code the user may not see at f->stage is logged with the flow
 * id and replaced by the generic text with that reference: no code that
 * describes an account ever reaches the reset path (docs/security.md 14). */
void sspr_flow_say_code(struct sspr_flow *f, int code, const char *lead);

/* ---- gates (flow/gates.c) ---- */

/* Run gate `index` (0-based): the menu when more than codes are set up,
 * then the chosen gate's ask (f->used: the gates already passed). The bit
 * that passed, 0 when the flow must end (the user was told why),
 * SSPR_STEP_CANCEL when the user typed nothing, -1 when the channel broke. */
int sspr_gate_run(struct sspr_flow *f, int index);

/* Look at the account and load what judging needs, now, if the reset has
 * not yet (flow/reset.c: it does so while the user reads the first prompt
 * when it can). */
void sspr_flow_assess(struct sspr_flow *f);

/* 1 when a right answer on gate g counts for this flow: the account can
 * pass, and g is among the methods it may still use. Assesses first. */
int sspr_flow_counts(struct sspr_flow *f, const struct sspr_gate *g);

/* 1 when the reset shows a menu at all (more than the code prompt is set up). */
int sspr_gate_menu_on(const struct sspr_config *cfg);

/* 1 when the first thing the reset asks, without a menu, is a code (the
 * same prompt for every name, nothing sent before it). */
int sspr_gate_first_asks_code(const struct sspr_config *cfg);

enum sspr_judged {
    SSPR_J_PASS,
    SSPR_J_FAIL,
    SSPR_J_LOCKED,
    SSPR_J_METHOD_LOCKED,
    SSPR_J_ERROR, /* the failure could not be recorded: not judged */
};

/* Checks an answer; 1 when it is right (one-time proofs already spent). */
typedef int (*sspr_answer_check)(struct sspr_flow *f, void *ctx);

/* Judge one answer of `method` under the throttle: the failure is counted
 * before the answer is checked and given back when it was right, and an
 * answer beyond the limits is never checked. Sleeps the growing delay
 * after a wrong answer. */
enum sspr_judged sspr_flow_judge(struct sspr_flow *f, const char *method, sspr_answer_check check,
                                 void *ctx);

/* Say what a refused answer of gate g means (wrong, g blocked for a while,
 * locked out for how long): 1 to let the user try again, else the step to
 * take (SSPR_STEP_MENU or SSPR_STEP_END). */
int sspr_flow_refused(struct sspr_flow *f, enum sspr_judged j, const struct sspr_gate *g,
                      const char *bad);


/* Before a gate that sends or asks: 1 when it may go on, else the user was
 * told and *step is what to do (locked out: END; method blocked: MENU). */
int sspr_flow_gate_open(struct sspr_flow *f, const struct sspr_gate *g, int *step);

/* Write the pending refunds now (lazily: a lost one only counts a right
 * answer as wrong). */
void sspr_flow_settle(struct sspr_flow *f);

/* Audit a passed gate. */
void sspr_flow_passed(struct sspr_flow *f, const struct sspr_gate *g, int index);

/* The shared user-visible lines. */
extern const char SSPR_MSG_BAD_CODE[];
extern const char SSPR_MSG_SEND_CAP[];

/* ---- registration helpers shared by the gates (flow/register.c) ---- */

/* Ask a yes/no question: 1 yes, 0 no, -1 broken. Empty takes dflt. */
int sspr_flow_ask_yes(struct sspr_flow *f, const char *prompt, int dflt);

/* Send text as INFO messages, split at line ends to fit a PAM message. */
void sspr_flow_show(struct sspr_flow *f, const char *text);

/* Store one gate's new material for the account (replacing what was
 * there); tells the user when it could not be saved. 0 or -1. */
int sspr_flow_save_material(struct sspr_flow *f, const struct sspr_gate *g,
                            const struct sspr_material *m);

#endif
