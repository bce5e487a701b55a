/*
 * `sspr-helper doctor [USER]`: walk the checks an administrator would make,
 * one PASS / WARN / FAIL line each (report.c), by family: the config and
 * the helper (check_system.c), the backend's own storage (its doctor op),
 * the PAM stacks, the writeback service and console login's timeout
 * (check_pam.c), passwd's password stack and pam_faillock (check_stacks.c), the sshd that runs (check_sshd.c), the delivery servers (check_network.c), and one user
 * (check_user.c).
 *
 * It reads the real system: /etc/pam.d, /etc/login.defs, the running
 * sshd's configuration (or /etc/ssh's), the installed helper, the state
 * directory. No environment variable moves any of it (the tests
 * run it in a throwaway root sandbox instead).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "admin/doctor/doctor.h"
#include "support/errors.h"

int sspr_cli_doctor(const struct sspr_config *cfg, const char *config_path, int argc, char **argv)
{
    struct sspr_report r = { 0, 0 };
    struct sspr_backend be;
    int be_rc;

    if (argc > 1 || (argc == 1 && (argv[0][0] == '-' || argv[0][0] == '\0'))) {
        fputs("usage: sspr-helper doctor [USER]\n", stderr);
        return 2;
    }
    if (geteuid() != 0)
        sspr_warn(&r, "not running as root: the state directory, records and shadow entries "
                      "cannot be read; run doctor as root");
    (void)sspr_doctor_check_config(&r, config_path != NULL ? config_path : SSPR_CONFIG_PATH);
    be_rc = sspr_backend_open(&be, cfg, 0);
    sspr_be_doctor(&be, &r);
    sspr_doctor_check_helper(&r);
    sspr_doctor_check_pam_stacks(&r, cfg);
    sspr_doctor_check_passwd_stack(&r);
    sspr_doctor_check_faillock(&r);
    sspr_doctor_check_login_timeout(&r, cfg);
    sspr_doctor_check_writeback(&r, cfg);
    sspr_doctor_check_banned(&r, cfg);
    sspr_doctor_check_sshd(&r, cfg);
    sspr_doctor_check_delivery(&r, cfg);
    if (argc == 1) {
        if (be_rc == SSPR_OK)
            sspr_doctor_check_user(&r, cfg, &be, argv[0]);
        else
            sspr_fail(&r, SSPR_E_STATE_DIR, "user %s: the %s backend could not be opened: %s",
                      sspr_username_ok(argv[0]) ? argv[0] : "(malformed name)", cfg->backend,
                      sspr_strerror(be_rc));
    }
    if (be_rc == SSPR_OK)
        sspr_backend_close(&be);
    printf("%d failed, %d warning%s\n", r.fails, r.warns, r.warns == 1 ? "" : "s");
    fflush(stdout);
    return r.fails > 0 ? 1 : 0;
}
