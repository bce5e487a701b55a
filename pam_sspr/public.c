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
#include "language.h"
#include "module_log.h"
#include "passwd_stage.h"

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct sspr_language lang;
    struct sspr_args args;
    char said[SSPR_LANG_MAX + 64];
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    sspr_language_init(&lang, pamh, NULL);
    args.lang = &lang;
    SSPR_DEBUG(pamh, args.debug, "authenticate: entry (flags %#x)", (unsigned)flags);
    rc = sspr_authenticate(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "authenticate: exit (%s%s%s)", pam_strerror(pamh, rc),
               lang.picked ? ", language " : "",
               lang.picked ? sspr_language_describe(&lang, said, sizeof(said)) : "");
    sspr_language_free(&lang);
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
    struct sspr_language lang;
    struct sspr_args args;
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    sspr_language_init(&lang, pamh, NULL);
    args.lang = &lang;
    SSPR_DEBUG(pamh, args.debug, "acct_mgmt: entry (flags %#x)", (unsigned)flags);
    rc = sspr_account(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "acct_mgmt: exit (%s)", pam_strerror(pamh, rc));
    sspr_language_free(&lang);
    return rc;
}

/* A forgotten current password in passwd (only where the admin added the
 * password line, first in the stack). */
PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct sspr_language lang;
    struct sspr_args args;
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    sspr_language_init(&lang, pamh, NULL);
    args.lang = &lang;
    SSPR_DEBUG(pamh, args.debug, "chauthtok: entry (flags %#x)", (unsigned)flags);
    rc = sspr_chauthtok(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "chauthtok: exit (%s)", pam_strerror(pamh, rc));
    sspr_language_free(&lang);
    return rc;
}
