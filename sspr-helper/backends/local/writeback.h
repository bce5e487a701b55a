/* Set the new password through the system's own PAM password stack. */
#ifndef SSPR_WRITEBACK_H
#define SSPR_WRITEBACK_H

#include <stddef.h>

#include "support/config.h"

/* pam_start_confdir(cfg->pam_service, user) + pam_chauthtok. The PAM
 * stack's prompts for a new password are answered with newpw; its messages
 * ("BAD PASSWORD: ...") are collected into msg (NUL-terminated, may be
 * empty) for the user. Returns 0 when the password was changed. */
int sspr_writeback(const struct sspr_config *cfg, const char *user, const char *newpw,
                   char *msg, size_t msglen);

#endif
