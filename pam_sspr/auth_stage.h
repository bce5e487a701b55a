/* pam_sm_authenticate's worker: ignore at once, or offer / start a reset
 * (the offer after an empty password, the trigger word, the kiosk line). */
#ifndef SSPR_AUTH_STAGE_H
#define SSPR_AUTH_STAGE_H

#include <security/pam_modules.h>

#include "args.h"
#include "relay.h"

#define SSPR_OFFER_PROMPT "Forgot your password? Reset it now? [y/N] "
#define SSPR_KIOSK_PROMPT "Account to reset: "
#define SSPR_HINT_ENTER "Forgot your password? Press Enter at the password prompt to reset it."

/* The auth decision. PAM_IGNORE only when the reset path was not entered
 * (wrong password, or a kiosk line for another user); once entered, never
 * PAM_SUCCESS or PAM_IGNORE. */
int sspr_authenticate(pam_handle_t *pamh, int flags, const struct sspr_args *args);

/* Spawn the helper, relay, reap: the relay's PAM code, and in *outcome what
 * the RESULT said. */
int sspr_run_flow(pam_handle_t *pamh, const struct sspr_args *args, const char *user,
                  const char *mode, enum sspr_outcome *outcome);

/* The same for the auth stage. Never PAM_SUCCESS or PAM_IGNORE. */
int sspr_run_reset(pam_handle_t *pamh, const struct sspr_args *args,
                   const char *user, const char *mode);

/* 1 when answer is "y" or "yes" (any case, surrounding blanks ignored). */
int sspr_is_yes(const char *answer);

#endif
