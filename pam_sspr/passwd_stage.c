/* The password stage (pam_sm_chauthtok): "forgot the current password" in
 * passwd. The same line stands twice in the password stack, and what it
 * does depends on where it stands:
 *
 *   password [success=end default=ignore] pam_sspr.so   <- first
 *   password requisite pam_pwquality.so retry=3
 *   password [success=end default=ignore] pam_unix.so obscure use_authtok ...
 *   password [success=end default=ignore] pam_sspr.so              <- after pam_unix
 *   password requisite pam_deny.so
 *   password required pam_permit.so
 *
 * libpam runs the stack twice (PAM_PRELIM_CHECK, then PAM_UPDATE_AUTHTOK)
 * and does not freeze the path of the first pass for the second.
 *
 * First pass. The first line finds no PAM_OLDAUTHTOK yet (nobody asked for
 * the current password): it notes that it stands there and returns
 * PAM_IGNORE. pam_unix asks "Current password: " as always; a right one
 * jumps over the second line, so a user who knows it sees nothing new. The
 * second line is reached only when pam_unix refused: when the answer was
 * empty, the caller changes their own local password (passwd, a setuid
 * program run by them) and the first line stands, it offers the reset. The
 * helper runs the same flow as at the login prompt (gates, the new password
 * twice, its policy and writeback) and the line returns PAM_SUCCESS, which
 * jumps to pam_permit.
 *
 * Second pass. The first line sees that the reset was done and returns
 * PAM_SUCCESS: `success=end` jumps over pam_pwquality and pam_unix, so
 * nothing asks for a new password again, and passwd says the password was
 * updated. Otherwise PAM_IGNORE everywhere.
 *
 * Without the first line a reset would be followed by pam_pwquality asking
 * again, so the second line then offers nothing: the sspr profile alone
 * brings only the second line, and the feature is on with the sspr-password
 * profile, which brings the first. Root (not
 * asked for a current password), an expired password at sign-in
 * (PAM_CHANGE_EXPIRED_AUTHTOK: the user just typed it), another account, a
 * directory account (pam_unix does not ask) and a wrong non-empty password
 * get PAM_IGNORE, with nothing started. */
#include "autoconf.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "auth_stage.h"
#include "language.h"
#include "module_log.h"
#include "passwd_stage.h"
#include "relay.h"
#include "username.h"
#include "wipe.h"

#define DATA_FIRST "pam_sspr_first_line" /* the first line stands in this stack */
#define DATA_DONE "pam_sspr_reset_done"  /* the helper finished a reset */

static char marker[] = "yes"; /* pam_set_data needs a pointer; never written */

static int have(pam_handle_t *pamh, const char *name)
{
    const void *data = NULL;

    return pam_get_data(pamh, name, &data) == PAM_SUCCESS && data == marker;
}

/* 1 when user is the caller's own account (passwd run by that user). */
static int own_account(const char *user)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    int ok = getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found != NULL &&
             strcmp(found->pw_name, user) == 0 && found->pw_uid == getuid();

    SSPR_WIPE_ARRAY(buf);
    return ok;
}

static int update(pam_handle_t *pamh)
{
    /* the first pass reset the password: the stack's job is done */
    return have(pamh, DATA_DONE) ? PAM_SUCCESS : PAM_IGNORE;
}

static int offer_reset(pam_handle_t *pamh, const struct sspr_args *args, const char *user)
{
    enum sspr_outcome outcome;
    char *answer = NULL;
    int yes, rc;

    if (sspr_converse(pamh, PAM_PROMPT_ECHO_ON, sspr_tr(args->lang, SSPR_OFFER_PROMPT), &answer) !=
        PAM_SUCCESS)
        return PAM_AUTHTOK_ERR;
    yes = sspr_language_is_yes(args->lang, answer);
    sspr_wipe_free_str(answer);
    if (!yes)
        return PAM_IGNORE; /* pam_unix's refusal stands, as without the module */
    SSPR_DEBUG(pamh, args->debug, "passwd: offer accepted, starting reset");
    rc = sspr_run_flow(pamh, args, user, "passwd", &outcome);
    if (outcome == SSPR_OUTCOME_RESET_DONE) {
        if (pam_set_data(pamh, DATA_DONE, marker, NULL) == PAM_SUCCESS)
            return PAM_SUCCESS;
        SSPR_ERR(pamh, "passwd: reset done but its mark could not be kept");
        return PAM_AUTHTOK_ERR; /* the password is set; passwd says it failed */
    }
    /* never a pass, never a skip once the reset path is entered */
    return rc == PAM_SUCCESS || rc == PAM_IGNORE || rc == PAM_AUTH_ERR ? PAM_AUTHTOK_ERR : rc;
}

static int prelim(pam_handle_t *pamh, int flags, const struct sspr_args *args)
{
    const void *item = NULL;
    const char *user;

    if (args->kiosk_user != NULL || (flags & PAM_CHANGE_EXPIRED_AUTHTOK))
        return PAM_IGNORE; /* an expired password at sign-in: the user just typed it */
    if (pam_get_item(pamh, PAM_OLDAUTHTOK, &item) != PAM_SUCCESS || item == NULL) {
        /* nobody asked for the current password yet: the first line (a new
         * pam_chauthtok on the same handle starts without an old reset) */
        if (pam_set_data(pamh, DATA_FIRST, marker, NULL) != PAM_SUCCESS ||
            pam_set_data(pamh, DATA_DONE, NULL, NULL) != PAM_SUCCESS)
            SSPR_ERR(pamh, "passwd: module data not kept: no reset in this change");
        return PAM_IGNORE;
    }
    if (((const char *)item)[0] != '\0')
        return PAM_IGNORE; /* a password was typed: pam_unix judged it */
    if (getuid() == 0 || geteuid() != 0)
        return PAM_IGNORE; /* root is not asked; a program that cannot write is not ours */
    item = NULL;
    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL)
        return PAM_IGNORE;
    user = item;
    if (!sspr_username_ok(user) || !own_account(user))
        return PAM_IGNORE;
    if (!have(pamh, DATA_FIRST)) {
        /* the feature is off (the sspr profile alone): nothing to say */
        SSPR_DEBUG(pamh, args->debug,
                   "passwd: no reset offered: pam_sspr.so is not also first "
                   "in the password stack (the sspr-password profile)");
        return PAM_IGNORE;
    }
    return offer_reset(pamh, args, user);
}

int sspr_chauthtok(pam_handle_t *pamh, int flags, const struct sspr_args *args)
{
    if (flags & PAM_UPDATE_AUTHTOK)
        return update(pamh);
    if (flags & PAM_PRELIM_CHECK)
        return prelim(pamh, flags, args);
    return PAM_IGNORE;
}
