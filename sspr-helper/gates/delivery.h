/*
 * What the delivery gates (a code by email, a code by text message) share:
 * the step of a reset (probe, send in the background, ask for the code),
 * registration of an address confirmed by a code, `enroll --email/--phone`
 * and `show`. Each gate brings its transport and its wording in a
 * struct sspr_delivery.
 */
#ifndef SSPR_GATE_DELIVERY_H
#define SSPR_GATE_DELIVERY_H

#include <stddef.h>

#include "delivery/template.h"
#include "gates/gate.h"

struct sspr_delivery_params {
    int lifetime; /* seconds a code is valid */
    int digits;
    const char *url; /* the server, for the reachability probe */
    const char *ca_file;
};

struct sspr_delivery {
    const char *section;      /* sspr.conf section: "email" */
    int down_code;            /* SSPR-Exxx shown when the channel is down */
    const char *down_text;    /* the lead of that message (flow/flow.h) */
    int send_fail_code;       /* SSPR-Exxx audited when a send fails */
    const char *sent_generic; /* "If ... is registered ..., a code has been sent ..." */
    const char *code_prompt;
    const char *address_prompt; /* registration at sign-in */
    const char *address_bad;
    const char *registered; /* "Email address registered." */
    const char *cli_what;   /* "email address": errors of `enroll` */
    const char *cli_set;    /* "Email address": "... for alice set to ..." */
    int marks_channel;      /* a failed send (not a refused recipient) marks the channel
                                    failing host-wide for a while */
    void (*params)(const struct sspr_config *cfg, struct sspr_delivery_params *p);
    int (*valid)(const char *address);
    int (*mask)(const char *address, char *out, size_t outlen);
    /* Render the code template (confirm: the registration one) with vars
     * and send it: SSPR_OK, SSPR_ERR_REFUSED (the recipient was refused),
     * or another error (the server failed); err says why. */
    int (*send)(const struct sspr_config *cfg, const char *to, const struct sspr_tvar *vars,
                size_t nvars, int confirm, char *err, size_t errlen);
};

struct sspr_flow;
struct sspr_admin;

/* The gate table's functions for every delivery gate. */
int sspr_delivery_available(const struct sspr_config *cfg, const struct sspr_gate *g);
int sspr_delivery_usable(const struct sspr_gate *g, const struct sspr_material *m);
int sspr_delivery_ask(struct sspr_flow *f, const struct sspr_gate *g, int index);
int sspr_delivery_enroll_at_login(struct sspr_flow *f, const struct sspr_gate *g);
int sspr_delivery_enroll_cli(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg);
void sspr_delivery_describe(const struct sspr_gate *g, const struct sspr_material *m,
                            const struct sspr_config *cfg, FILE *out);

/* The account's registered, valid address for gate g, or NULL. */
const char *sspr_delivery_address(const struct sspr_gate *g, const struct sspr_record *rec);

/* Render and send one code to `to` for gate g (confirm: the registration
 * template); audits a failure. SSPR_OK or an error as for send. */
int sspr_delivery_send_code(struct sspr_flow *f, const struct sspr_gate *g, const char *to,
                            const char *code, int minutes, int confirm);

#endif
