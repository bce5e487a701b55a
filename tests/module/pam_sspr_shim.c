/* See shim.h. appdata_ptr of the conversation points at a struct whose
 * first member is struct sspr_shim_hook. */
#include "autoconf.h"

#include <stddef.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "shim.h"

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const void *item = NULL;
    const struct pam_conv *conv;
    const struct sspr_shim_hook *hook;

    (void)argc;
    (void)argv;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
        return PAM_SYSTEM_ERR;
    conv = item;
    hook = conv->appdata_ptr;
    if (hook == NULL || hook->fn == NULL)
        return PAM_SYSTEM_ERR;
    return hook->fn(pamh, flags, hook->ctx);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_IGNORE;
}
