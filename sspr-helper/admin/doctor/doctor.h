/*
 * `sspr-helper doctor [USER]`: the checks an administrator would make, one
 * line each on stdout:
 *   PASS  <check>
 *   WARN  <check>: <what>
 *   FAIL  SSPR-Exxx <check>: <what> — fix: <fix>
 * Exit status 0 when nothing FAILed, 1 otherwise, 2 on usage errors.
 * It reads the real system paths (/etc/pam.d, /etc/ssh, the helper, the
 * state directory): nothing from the environment changes where it looks.
 */
#ifndef SSPR_DOCTOR_H
#define SSPR_DOCTOR_H

#include <stddef.h>

#include "support/config.h"

/* cfg: the configuration main.c loaded, or NULL when it failed to load (the
 * config check then reports why by loading config_path again). argv[0] is
 * the first argument after "doctor" (the optional USER). */
int sspr_cli_doctor(const struct sspr_config *cfg, const char *config_path, int argc,
                    char **argv);

/* The auth stack of one PAM service (pamdir/service, following @include,
 * include and substack the way libpam does): is pam_sspr.so after
 * pam_unix.so, does pam_unix's success jump over it and over pam_deny.so
 * onto pam_permit.so, does pam_sspr's failure fall through to pam_deny.so?
 * why gets a one-line explanation. Exposed for the unit test; the CLI
 * always reads /etc/pam.d. */
enum sspr_doctor_stack {
    SSPR_DOCTOR_STACK_OK = 0,
    SSPR_DOCTOR_STACK_WARN,     /* works, but unusual (why says) */
    SSPR_DOCTOR_STACK_BAD,      /* wrong order or jumps (SSPR-E107) */
    SSPR_DOCTOR_STACK_ABSENT,   /* no pam_sspr.so auth line */
    SSPR_DOCTOR_STACK_MISSING,  /* no such service file */
};
int sspr_doctor_auth_stack(const char *pamdir, const char *service, char *why, size_t whylen);

#endif
