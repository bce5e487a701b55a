/* The relay: HELLO to the helper, then its prompts and messages through
 * the PAM conversation, until RESULT. */
#ifndef SSPR_RELAY_H
#define SSPR_RELAY_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "args.h"
#include "nls.h"

#define SSPR_MSG_UNAVAILABLE                                                                       \
    N_("Password reset is not available right now. Try again later or ask your administrator.")
#define SSPR_MSG_RESET_DONE                                                                        \
    N_("Your password has been changed. Sign in again with your new password.")
#define SSPR_MSG_UNLOCKED N_("Your account has been unlocked. Sign in again with your password.")

/* What a RESULT said, for the callers that act on more than the PAM code
 * (the password stage: a reset done there is a success). */
enum sspr_outcome {
    SSPR_OUTCOME_NONE,      /* no RESULT, or one that ends the flow without a change */
    SSPR_OUTCOME_RESET_DONE,
    SSPR_OUTCOME_UNLOCKED,
};

/* Ask one question (PAM_PROMPT_ECHO_OFF/ON) or show one message
 * (PAM_TEXT_INFO/PAM_ERROR_MSG) through the application's conversation.
 * For prompts, *answer gets a malloc'd copy of the reply (wipe and free it
 * with sspr_wipe_free_str). A failed conversation, a NULL response array or
 * a NULL resp is PAM_CONV_ERR, never an empty answer. answer may be NULL
 * for messages. */
int sspr_converse(pam_handle_t *pamh, int style, const char *text, char **answer);

/* Tell the user the reset could not run (PAM_ERROR_MSG, in args->lang). */
void sspr_say_unavailable(pam_handle_t *pamh, const struct sspr_args *args);

/* Run the protocol on fd for user in mode ("offer", "trigger", "kiosk",
 * "passwd", "register").
 * Returns the PAM code for the outcome; never PAM_SUCCESS or PAM_IGNORE.
 * On any failure other than the user's own it has already shown
 * SSPR_MSG_UNAVAILABLE. *orderly (may be NULL) tells whether the flow
 * ended by the protocol (RESULT received or CANCEL sent), so the helper
 * may be given time to exit rather than killed. *outcome (may be NULL)
 * gets what the RESULT said. In "passwd" mode a finished reset shows no
 * "sign in again" line (passwd says it is done). */
int sspr_relay(pam_handle_t *pamh, int fd, const struct sspr_args *args,
               const char *user, const char *mode, bool *orderly,
               enum sspr_outcome *outcome);

#endif
