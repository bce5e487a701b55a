/* Module arguments (from the PAM line). */
#ifndef SSPR_ARGS_H
#define SSPR_ARGS_H

#include <stdbool.h>
#include <security/pam_modules.h>

#define SSPR_TIMEOUT_DEFAULT 60u
#define SSPR_TIMEOUT_MIN 1u
#define SSPR_TIMEOUT_MAX 600u
/* Registration at sign-in only where a person signs in interactively: the
 * shipped account line sits in common-account, which cron, sudo and su use
 * too, and they must not start the helper. Not at graphical greeters
 * either: they show one line per message and no QR code, so registration
 * there cannot be read (docs/greeters.md); naming one here turns it on. */
#define SSPR_REGISTER_SERVICES_DEFAULT "login,sshd,remote"

struct sspr_language;

struct sspr_args {
    struct sspr_language *lang; /* what the module says is in this language
                                   (public.c; NULL: English) */
    bool debug;
    bool nohint;
    const char *config;     /* NULL: helper's default */
    const char *helper;     /* absolute path */
    const char *kiosk_user; /* NULL: not a kiosk line */
    unsigned timeout;       /* seconds, per read from the helper */
    const char *trigger;    /* NULL: no trigger word */
    const char *register_services; /* comma list: where the account stage registers */
    int invalid;            /* count of bad values: reset path refuses to run */
};

/* Fill args from argv. Strings point into argv (which PAM keeps alive for
 * the call). Unknown options are logged and ignored; bad values are logged,
 * keep their default and are counted in args->invalid. Returns the number
 * of bad values (0 when all is well). */
int sspr_args_parse(pam_handle_t *pamh, int argc, const char **argv,
                    struct sspr_args *args);

#endif
