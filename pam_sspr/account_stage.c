/* The account stage (pam_sm_acct_mgmt): registration at sign-in. Runs only
 * where the admin added the account line; a helper that is missing, broken
 * or slow, or a conversation that cannot prompt (SSH public-key logins)
 * makes this a silent PAM_IGNORE. */
#include "autoconf.h"

#include <string.h>

#include <security/pam_appl.h>

#include "account_stage.h"
#include "module_log.h"
#include "relay.h"
#include "spawn.h"
#include "username.h"

#define REAP_GRACE_MS 2000

/* 1 when service is one of the comma-separated names in list. */
static int service_listed(const char *list, const char *service)
{
    size_t n = strlen(service);

    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && n > 0 && strncmp(p, service, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int sspr_account(pam_handle_t *pamh, int flags, const struct sspr_args *args)
{
    const void *item = NULL;
    const char *user;
    struct sspr_child child;
    bool orderly = false;
    int rc;

    if ((flags & PAM_SILENT) || args->invalid || args->kiosk_user != NULL)
        return PAM_IGNORE;
    item = NULL;
    if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS || item == NULL ||
        !service_listed(args->register_services, item))
        return PAM_IGNORE; /* cron, sudo, su...: no exec */
    item = NULL;
    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL)
        return PAM_IGNORE;
    user = item;
    if (!sspr_username_ok(user))
        return PAM_IGNORE;
    if (sspr_spawn(pamh, args->helper, args->config, args->debug, &child) != 0)
        return PAM_IGNORE;
    rc = sspr_relay(pamh, child.fd, args, user, "register", &orderly, NULL);
    (void)sspr_child_finish(pamh, &child, orderly ? REAP_GRACE_MS : 0, args->debug);
    SSPR_DEBUG(pamh, args->debug, "registration for %s: %s", user, pam_strerror(pamh, rc));
    return rc == PAM_PERM_DENIED ? PAM_PERM_DENIED : PAM_IGNORE;
}
