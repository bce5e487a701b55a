/* One gate of a reset: the method menu (when more than codes are set up)
 * and the chosen method's check, with throttling. */
#ifndef SSPR_FLOW_GATES_H
#define SSPR_FLOW_GATES_H

#include "flow/flow_ctx.h"

/* Run gate `index` (0-based). allowed: the methods this account may still
 * use; used: those already passed in this flow. Returns the method bit
 * that passed, 0 when the flow must end (the user was told why), -1 when
 * the channel broke. */
int sspr_gate_run(struct sspr_flow *f, int index, unsigned allowed, unsigned used);

/* Render the code template (confirm: the registration one) and send it by
 * email or SMS; audits a failure. Returns 0 when the server accepted it. */
int sspr_send_code(struct sspr_flow *f, unsigned method, const char *to, const char *code,
                   int minutes, int confirm);

/* The account's registered, valid address for SSPR_M_EMAIL or SSPR_M_SMS
 * (malloc'd), or NULL. */
char *sspr_registered_address(struct sspr_flow *f, unsigned method);

/* 1 when the menu is shown at all (email, SMS or questions set up). */
int sspr_gate_menu_on(const struct sspr_config *cfg);

#endif
