/* The reset flow, run by `sspr-helper pam` over the module's channel. */
#ifndef SSPR_FLOW_H
#define SSPR_FLOW_H

#include "support/config.h"

/* Run one flow on fd (the socket on stdin/stdout). cfg_ok == 0 means the
 * configuration could not be loaded: the flow answers "unavailable".
 * Returns the process exit status. */
int sspr_flow_run(int fd, const struct sspr_config *cfg, int cfg_ok);

#endif
