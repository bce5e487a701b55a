/* pam_sm_authenticate's worker: ignore at once, or offer / start a reset
 * (the offer after an empty password, the trigger word, the kiosk line). */
#ifndef SSPR_AUTH_STAGE_H
#define SSPR_AUTH_STAGE_H

#include <security/pam_modules.h>

#include "args.h"
#include "relay.h"
#include "nls.h"

/* Short enough for gnome-shell's entry placeholder (36 characters, the
 * ":" dropped) and no "[y/N]": a greeter has no "Enter means no". */
/* TRANSLATORS: at most 36 characters without the ": " (gnome-shell shows
   the prompt in the entry and cuts it there); the letter is the first of
   your word for yes (and part of "y yes") */
#define SSPR_OFFER_PROMPT N_("Reset your password? Type y: ")
#define SSPR_KIOSK_PROMPT N_("Account to reset: ")
/* After a wrong password: at a terminal the program says "Login
 * incorrect" next; a greeter's label shows only this line (lightdm-gtk-
 * greeter) or drops info messages when the authentication fails
 * (gnome-shell), so there it says the password was wrong and is an error. */
#define SSPR_HINT_ENTER N_("Forgot your password? Press Enter at the password prompt to reset it.")
#define SSPR_HINT_GREETER                                                                          \
    N_("Wrong password. Forgot it? Leave the password empty and press Enter to reset it.")

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

#endif
