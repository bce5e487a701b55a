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

/* What every stage shares: the arguments, the language, the debug lines
 * around the worker. */
typedef int (*stage_fn)(pam_handle_t *pamh, int flags, const struct sspr_args *args);

static int run_stage(pam_handle_t *pamh, int flags, int argc, const char **argv,
                     const char *name, stage_fn fn)
{
    struct sspr_language lang;
    struct sspr_args args;
    char said[SSPR_LANG_MAX + 64];
    int rc;

    (void)sspr_args_parse(pamh, argc, argv, &args);
    sspr_language_init(&lang, pamh, NULL);
    args.lang = &lang;
    SSPR_DEBUG(pamh, args.debug, "%s: entry (flags %#x)", name, (unsigned)flags);
    rc = fn(pamh, flags, &args);
    SSPR_DEBUG(pamh, args.debug, "%s: exit (%s%s%s)", name, pam_strerror(pamh, rc),
               lang.picked ? ", language " : "",
               lang.picked ? sspr_language_describe(&lang, said, sizeof(said)) : "");
    sspr_language_free(&lang);
    return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return run_stage(pamh, flags, argc, argv, "authenticate", sspr_authenticate);
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
    return run_stage(pamh, flags, argc, argv, "acct_mgmt", sspr_account);
}

/* A forgotten current password in passwd (only where the admin added the
 * password line, first in the stack). */
PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return run_stage(pamh, flags, argc, argv, "chauthtok", sspr_chauthtok);
}
