/*
 * The gate table: what a method *is*, in one place. Each gate is one
 * const struct in its own file under gates/ (name, labels, how it asks,
 * how it checks, how it enrolls, how it is shown); the reset menu,
 * registration at sign-in, the admin commands, the configuration's method
 * words and the local store iterate the table and never name a method.
 *
 * Adding a method: write gates/NAME.c with its struct, add it to the table
 * in gates/table.c, and list the file in Makefile.am. Its bit is its
 * position in the table; its material (backends/record.h) is stored by
 * every backend without further changes.
 */
#ifndef SSPR_GATE_H
#define SSPR_GATE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "backends/record.h"
#include "support/config.h"

/* The shipped gates' bits (their positions in the table): for tests and
 * the configuration's defaults. Code outside gates/ asks the table
 * (flags, names) instead. */
enum sspr_method {
    SSPR_M_TOTP = 1u << 0,
    SSPR_M_RECOVERY = 1u << 1,
    SSPR_M_EMAIL = 1u << 2,
    SSPR_M_SMS = 1u << 3,
    SSPR_M_QUESTIONS = 1u << 4,
};

/* What kind of proof a gate is (the policy reads these, never names). */
#define SSPR_GATE_CODE 1u /* typed at the shared code prompt, told apart by its shape */
#define SSPR_GATE_DELIVERY                                                                         \
    2u /* a code sent to an address: a recovery channel, never an
                                  administrator's only kind of gate (docs/security.md 13) */
#define SSPR_GATE_WEAK                                                                             \
    4u                       /* off unless enabled, never for administrators, never the
                                  only gate (security questions, docs/security.md 13) */
#define SSPR_GATE_NOTICES 8u /* its address gets the reset notices (docs/security.md 17) */

/* What one gate of a reset ends in; a passed gate returns its bit (> 0). */
enum sspr_step {
    SSPR_STEP_END = 0,     /* the flow ends here (the user was told why) */
    SSPR_STEP_BROKEN = -1, /* the channel broke or the user cancelled */
    SSPR_STEP_MENU = -2,   /* back to the menu: this way is down or used up */
    SSPR_STEP_CANCEL = -3, /* nothing was typed (Ctrl-C at ssh's hidden prompt): the
                              reset stops, and no try is counted */
};

struct sspr_flow;
struct sspr_admin;
struct sspr_delivery;

struct sspr_gate {
    const char *name;       /* "totp": sspr.conf words, audit, throttle, `unenroll` */
    const char *menu_label; /* the reset menu; NULL: shares the entry of the gate before it */
    const char *choice_label; /* the same entry in a greeter's one-line menu ("type 1 for
                                 <choice_label>"): "an email code" */
    const char *reg_label;  /* registration at sign-in, `show`, notices */
    const char *blocked_label; /* "Authenticator app codes" (... are blocked for N minutes) */
    const char *use_label;     /* "an authenticator app code" (You can still use ...) */
    unsigned flags;

    /* 1 when this system offers the method at all (a mail server is set ...). */
    int (*available)(const struct sspr_config *cfg);
    /* 1 when the material is registered and can be used. */
    int (*usable)(const struct sspr_material *m);

    /* Run gate number `index` of a reset (the menu entry was chosen, or it is
     * the only way). allowed: the methods this account may still use (0 on the
     * dummy path, which must walk the same steps and never pass). Returns
     * the bit of the gate that passed, or an enum sspr_step. */
    int (*ask)(struct sspr_flow *f, const struct sspr_gate *g, int index);

    /* SSPR_GATE_CODE gates: 1 when the answer has this method's shape, and
     * the check, run inside the backend's atomic update: 1 right (and the
     * material changed to spend it), 0 wrong, < 0 unusable material. */
    int (*looks_like)(const char *answer);
    int (*check)(struct sspr_material *m, const char *answer, time_t now);

    /* Registration at sign-in: 1 registered, 0 not, -1 the channel broke. */
    int (*enroll_at_login)(struct sspr_flow *f, const struct sspr_gate *g);

    /* `sspr-helper enroll USER <cli_option> [<cli_arg>]`. */
    const char *cli_option;
    const char *cli_arg; /* NULL: takes no argument */
    int (*enroll_cli)(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg);

    /* One line (or more) for `sspr-helper show`, never a secret. */
    void (*describe)(const struct sspr_gate *g, const struct sspr_material *m,
                     const struct sspr_config *cfg, FILE *out);

    const struct sspr_delivery *delivery; /* SSPR_GATE_DELIVERY gates (gates/delivery.h) */
};

/* ---- the table (gates/table.c) ---- */

size_t sspr_gate_count(void);
/* Gate i in menu order, or NULL past the end. */
const struct sspr_gate *sspr_gate_at(size_t i);
size_t sspr_gate_index(const struct sspr_gate *g);
unsigned sspr_gate_bit(const struct sspr_gate *g);
const struct sspr_gate *sspr_gate_by_name(const char *name);
/* The gate of a single bit, or NULL. */
const struct sspr_gate *sspr_gate_by_bit(unsigned bit);
/* Bits of every gate / of the gates with any of flags. */
unsigned sspr_gates_all(void);
unsigned sspr_gates_flagged(unsigned flags);
/* Bits of the gates that are registered and usable in rec. */
unsigned sspr_gates_usable(const struct sspr_record *rec);
/* The material of gate g in rec. */
struct sspr_material *sspr_gate_material(struct sspr_record *rec, const struct sspr_gate *g);
const struct sspr_material *sspr_gate_material_c(const struct sspr_record *rec,
                                                 const struct sspr_gate *g);

/* "totp recovery email" <-> bits. SSPR_ERR_INVAL on an unknown word. */
int sspr_methods_parse(const char *words, unsigned *out);
/* The name of a single bit, or NULL. */
const char *sspr_method_name(unsigned bit);
/* Names of the bits in set, space separated ("none" when empty). */
void sspr_methods_words(unsigned set, char *buf, size_t len);

#define SSPR_GATE_FOREACH(i, g) for (size_t i = 0; ((g) = sspr_gate_at(i)) != NULL; i++)

#endif
