/* Registration at sign-in: after a successful login (account stage), a user
 * who may reset but has not registered enough methods is asked to. */
#ifndef SSPR_REGISTER_H
#define SSPR_REGISTER_H

#include "flow/flow_ctx.h"

/* Run registration for the (already authenticated) user in f->hello.user.
 * Always ends with a RESULT: registered, skipped, declined or required.
 * Returns 0, or -1 when the channel broke. */
int sspr_register_run(struct sspr_flow *f);

#endif
