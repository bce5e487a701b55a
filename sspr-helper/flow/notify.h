/* After a reset: tell the account's owner (and, for admins, notify_admins). */
#ifndef SSPR_NOTIFY_H
#define SSPR_NOTIFY_H

#include "flow/flow.h"

/* The account's registered address for notices (a SSPR_GATE_NOTICES
 * gate's), or NULL. Valid while f->rec is unchanged. */
const char *sspr_notify_address(const struct sspr_flow *f);

/* Send the reset notice by email where email is set up. Failures are
 * audited and never undo the reset (docs/security.md 17). */
void sspr_notify_reset(struct sspr_flow *f);

/* The same after a self-service unlock (the password was kept). */
void sspr_notify_unlock(struct sspr_flow *f);

/* Registration at sign-in changed the methods (change: one line saying
 * what). Sent to `to` (the address registered before the change; NULL or
 * "": nothing is sent). Audited; never fails the registration. */
void sspr_notify_methods_changed(struct sspr_flow *f, const char *to, const char *change);

#endif
