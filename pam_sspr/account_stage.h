/* pam_sm_acct_mgmt's worker: registration at sign-in. */
#ifndef SSPR_ACCOUNT_STAGE_H
#define SSPR_ACCOUNT_STAGE_H

#include <security/pam_modules.h>

#include "args.h"

/* Start the helper in register mode for PAM_USER and relay it. PAM_IGNORE
 * for everything except PAM_PERM_DENIED when policy requires registration
 * and it was not done: this stage never blocks a login on its own failure. */
int sspr_account(pam_handle_t *pamh, int flags, const struct sspr_args *args);

#endif
