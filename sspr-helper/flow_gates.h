/* One gate of a reset: the method menu (when more than codes are set up)
 * and the chosen method's check, with throttling. */
#ifndef SSPR_FLOW_GATES_H
#define SSPR_FLOW_GATES_H

#include "flow_ctx.h"

/* Run gate `index` (0-based). allowed: the methods this account may still
 * use; used: those already passed in this flow. Returns the method bit
 * that passed, 0 when the flow must end (the user was told why), -1 when
 * the channel broke. */
int sspr_gate_run(struct sspr_flow *f, int index, unsigned allowed, unsigned used);

/* 1 when the menu is shown at all (email, SMS or questions set up). */
int sspr_gate_menu_on(const struct sspr_config *cfg);

#endif
