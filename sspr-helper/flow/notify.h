/* After a reset: tell the account's owner (and, for admins, notify_admins). */
#ifndef SSPR_NOTIFY_H
#define SSPR_NOTIFY_H

#include "flow/flow_ctx.h"

/* Send the reset notice by email where email is set up. Failures are
 * audited and never undo the reset (SECURITY.md 17). */
void sspr_notify_reset(struct sspr_flow *f);

/* Registration at sign-in changed the methods (change: one line saying
 * what). Sent to `to` (the address registered before the change; NULL or
 * "": nothing is sent). Audited; never fails the registration. */
void sspr_notify_methods_changed(struct sspr_flow *f, const char *to, const char *change);

#endif
