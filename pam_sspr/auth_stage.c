/* The auth stage (pam_sm_authenticate): the decision on the normal path,
 * the reset offer, the trigger word and the kiosk line. A wrong password
 * costs one pam_get_item and at most one hint line: no exec, no network;
 * the hint's language may read /etc/default/locale and gettext's catalog
 * (pam_sspr/language.c), nothing else. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <security/pam_appl.h>

#include "auth_stage.h"
#include "language.h"
#include "module_log.h"
#include "relay.h"
#include "service.h"
#include "spawn.h"
#include "wipe.h"

#define REAP_GRACE_MS 2000

/* Compare a secret without leaking where it differs (only whether the
 * lengths match, and the length of a). */
static int ct_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    volatile unsigned char d = (unsigned char)(la != lb);

    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
    return d == 0;
}

/* Never let a reset outcome become a pass or a skip. */
static int never_pass(int rc)
{
    return (rc == PAM_SUCCESS || rc == PAM_IGNORE) ? PAM_AUTH_ERR : rc;
}

int sspr_run_flow(pam_handle_t *pamh, const struct sspr_args *args, const char *user,
                  const char *mode, enum sspr_outcome *outcome)
{
    struct sspr_child child;
    bool orderly = false;
    int rc;

    *outcome = SSPR_OUTCOME_NONE;
    if (args->invalid) {
        SSPR_ERR(pamh, "password reset refused: bad module options");
        sspr_say_unavailable(pamh, args);
        return PAM_AUTHINFO_UNAVAIL;
    }
    if (sspr_spawn(pamh, args->helper, args->config, args->debug, &child) != 0) {
        sspr_say_unavailable(pamh, args);
        return PAM_AUTHINFO_UNAVAIL;
    }
    rc = sspr_relay(pamh, child.fd, args, user, mode, &orderly, outcome);
    /* RESULT is final: the exit status does not change the outcome. After
     * an orderly end the helper gets a moment to finish its audit; after a
     * protocol failure it may be stuck, so it is killed at once. */
    (void)sspr_child_finish(pamh, &child, orderly ? REAP_GRACE_MS : 0, args->debug);
    return rc;
}

int sspr_run_reset(pam_handle_t *pamh, const struct sspr_args *args,
                   const char *user, const char *mode)
{
    enum sspr_outcome outcome;

    return never_pass(sspr_run_flow(pamh, args, user, mode, &outcome));
}

static void hint(pam_handle_t *pamh, int flags, const struct sspr_args *args)
{
    char buf[PAM_MAX_RESP_SIZE + 128];
    const void *service = NULL;
    int greeter;

    if (args->nohint || (flags & PAM_SILENT))
        return;
    (void)pam_get_item(pamh, PAM_SERVICE, &service);
    greeter = sspr_service_is_greeter(service);
    if (args->trigger == NULL) {
        (void)sspr_converse(pamh, greeter ? PAM_ERROR_MSG : PAM_TEXT_INFO,
                            sspr_tr(args->lang, greeter ? SSPR_HINT_GREETER : SSPR_HINT_ENTER),
                            NULL);
        return;
    }
    /* TRANSLATORS: %s is the trigger word, typed as it is */
    (void)snprintf(buf, sizeof(buf),
                   greeter ? sspr_tr(args->lang, "Wrong password. Forgot it? Type %s as the "
                                                 "password to reset it.")
                           : sspr_tr(args->lang, "Forgot your password? Type %s at the password "
                                                 "prompt to reset it."),
                   args->trigger);
    (void)sspr_converse(pamh, greeter ? PAM_ERROR_MSG : PAM_TEXT_INFO, buf, NULL);
}

/* The kiosk pseudo user: ask which account, run the flow, never let the
 * pseudo user in. */
static int kiosk(pam_handle_t *pamh, const struct sspr_args *args)
{
    char *name = NULL;
    int rc;

    if (sspr_converse(pamh, PAM_PROMPT_ECHO_ON, sspr_tr(args->lang, SSPR_KIOSK_PROMPT), &name) !=
        PAM_SUCCESS)
        return PAM_AUTH_ERR;
    if (name[0] == '\0') { /* nothing typed: the user changed their mind */
        sspr_wipe_free_str(name);
        return PAM_AUTH_ERR;
    }
    if (strlen(name) > PAM_MAX_RESP_SIZE) {
        sspr_wipe_free_str(name);
        (void)sspr_converse(pamh, PAM_ERROR_MSG, sspr_tr(args->lang, "That name is too long."),
                            NULL);
        return PAM_AUTH_ERR;
    }
    /* the helper validates the name, so bad names get the same prompts */
    rc = sspr_run_reset(pamh, args, name, "kiosk");
    sspr_wipe_free_str(name); /* it may be a password typed in the wrong place */
    return never_pass(rc);
}

/* The kiosk line sits before pam_unix, so with an application that lets
 * PAM ask for the name (pam_start with a NULL user: login, greeters) it is
 * the first module to need it: ask, as pam_unix would (the answer is kept
 * in PAM_USER, so nobody asks twice). Without a name nothing can be let
 * through, so a failure to get one is returned, never PAM_IGNORE; the
 * pseudo user never gets PAM_SUCCESS or PAM_IGNORE either. The compare
 * ignores case: a case-insensitive NSS source (SSSD, winbind) would resolve
 * "RESET" to the same account. */
static int kiosk_line(pam_handle_t *pamh, const struct sspr_args *args)
{
    const char *user = NULL;
    int rc = pam_get_user(pamh, &user, NULL);

    if (rc == PAM_INCOMPLETE)
        return rc; /* the application resumes the stack here later */
    if (rc != PAM_SUCCESS || user == NULL) {
        SSPR_DEBUG(pamh, args->debug, "kiosk line: no user name (%s)", pam_strerror(pamh, rc));
        return rc == PAM_SUCCESS || rc == PAM_IGNORE ? PAM_AUTH_ERR : rc;
    }
    if (strcasecmp(user, args->kiosk_user) != 0)
        return PAM_IGNORE; /* everyone else: at once, nothing started */
    SSPR_DEBUG(pamh, args->debug, "kiosk user %s: asking which account", args->kiosk_user);
    return never_pass(kiosk(pamh, args));
}

int sspr_authenticate(pam_handle_t *pamh, int flags, const struct sspr_args *args)
{
    const void *item = NULL;
    const char *user = NULL, *tok = NULL;
    char *answer = NULL;
    int yes;

    if (args->kiosk_user != NULL)
        return kiosk_line(pamh, args);
    if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS)
        user = item;

    item = NULL;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS)
        tok = item;
    /* No token at all means the password prompt itself failed (a broken
     * conversation): that is not a request for help (docs/security.md 3). */
    if (tok == NULL)
        return PAM_IGNORE;
    if (tok[0] != '\0') {
        if (args->trigger != NULL && ct_streq(tok, args->trigger)) {
            /* no name: before the helper has looked it up, a name typed at
             * login: may be a password typed one prompt early (docs/security.md 5) */
            SSPR_DEBUG(pamh, args->debug, "trigger word: starting reset");
            if (user == NULL || user[0] == '\0') {
                SSPR_ERR(pamh, "password reset: PAM_USER is not set");
                sspr_say_unavailable(pamh, args);
                return PAM_AUTHINFO_UNAVAIL;
            }
            return never_pass(sspr_run_reset(pamh, args, user, "trigger"));
        }
        hint(pamh, flags, args);
        return PAM_IGNORE;
    }

    /* empty password: the user may be asking for help */
    if (sspr_converse(pamh, PAM_PROMPT_ECHO_ON, sspr_tr(args->lang, SSPR_OFFER_PROMPT), &answer) !=
        PAM_SUCCESS) {
        SSPR_DEBUG(pamh, args->debug, "offer: conversation failed");
        return PAM_AUTH_ERR;
    }
    yes = sspr_language_is_yes(args->lang, answer);
    sspr_wipe_free_str(answer);
    if (!yes)
        return PAM_AUTH_ERR;
    if (user == NULL || user[0] == '\0') {
        SSPR_ERR(pamh, "password reset: PAM_USER is not set");
        sspr_say_unavailable(pamh, args);
        return PAM_AUTHINFO_UNAVAIL;
    }
    SSPR_DEBUG(pamh, args->debug, "offer accepted: starting reset");
    return never_pass(sspr_run_reset(pamh, args, user, "offer"));
}
