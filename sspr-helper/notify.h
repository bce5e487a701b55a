/* After a reset: tell the account's owner (and, for admins, notify_admins). */
#ifndef SSPR_NOTIFY_H
#define SSPR_NOTIFY_H

#include "flow_ctx.h"

/* Send the reset notice by email where email is set up. Failures are
 * audited and never undo the reset (SECURITY.md 17). */
void sspr_notify_reset(struct sspr_flow *f);

#endif
