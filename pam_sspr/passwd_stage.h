/* pam_sm_chauthtok's worker: "forgot the current password" in passwd. */
#ifndef SSPR_PASSWD_STAGE_H
#define SSPR_PASSWD_STAGE_H

#include <security/pam_modules.h>

#include "args.h"

/* PAM_IGNORE unless the caller changes their own local password, left the
 * current password empty and asked for a reset; PAM_SUCCESS (the line after
 * pam_unix in the first pass, the first line in the second) after a reset
 * the helper finished; a failure code otherwise, never PAM_SUCCESS or
 * PAM_IGNORE once the reset was asked for. */
int sspr_chauthtok(pam_handle_t *pamh, int flags, const struct sspr_args *args);

#endif
