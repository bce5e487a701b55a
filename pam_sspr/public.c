/* PAM entry points: parse arguments, log, call the worker. The logic lives
 * in auth_stage.c (the reset offer, trigger and kiosk), account_stage.c
 * (registration at sign-in), passwd_stage.c (a forgotten current password
 * in passwd), spawn.c (the helper's process) and relay.c (the protocol and
 * the conversation). */
#include "autoconf.h"

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "account_stage.h"
#include "args.h"
#include "auth_stage.h"
#include "module_log.h"
#include "passwd_stage.h"

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct sspr_args args;
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    SSPR_DEBUG(pamh, args.debug, "authenticate: entry (flags %#x)", (unsigned)flags);
    rc = sspr_authenticate(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "authenticate: exit (%s)", pam_strerror(pamh, rc));
    return rc;
}

/* We never grant a login, so there are no credentials to set; after a
 * reset the auth stack has already failed. */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_IGNORE;
}

/* Registration at sign-in (only where the admin added an account line). */
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct sspr_args args;
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    SSPR_DEBUG(pamh, args.debug, "acct_mgmt: entry (flags %#x)", (unsigned)flags);
    rc = sspr_account(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "acct_mgmt: exit (%s)", pam_strerror(pamh, rc));
    return rc;
}

/* A forgotten current password in passwd (only where the admin added the
 * password line, first in the stack). */
PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct sspr_args args;
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    SSPR_DEBUG(pamh, args.debug, "chauthtok: entry (flags %#x)", (unsigned)flags);
    rc = sspr_chauthtok(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "chauthtok: exit (%s)", pam_strerror(pamh, rc));
    return rc;
}
