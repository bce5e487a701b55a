/* Doctor: the login stacks, the account line, the writeback service. */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "admin/doctor/pam_stack.h"
#include "support/errors.h"

static const char *const module_dirs[] = {
    "/lib/x86_64-linux-gnu/security",
    "/usr/lib/x86_64-linux-gnu/security",
    "/lib/aarch64-linux-gnu/security",
    "/usr/lib/aarch64-linux-gnu/security",
    "/lib64/security",
    "/usr/lib64/security",
    "/lib/security",
    "/usr/lib/security",
};

/* Registration at sign-in needs an account line; `require` needs one whose
 * PAM_PERM_DENIED counts (optional lines never fail a login). */
static void check_account_line(struct sspr_report *r, const struct sspr_config *cfg,
                               const char *svc)
{
    char act[64] = "";
    int has;

    if (cfg->register_at_login == SSPR_REG_OFF)
        return;
    has = sspr_doctor_stack_has_sspr(svc, "account", act, sizeof(act));
    if (has == 0) {
        sspr_warn(r,
                  "PAM service %s: no account line for pam_sspr.so, so registration at sign-in "
                  "(register_at_login = %s) does not happen there",
                  svc, cfg->register_at_login == SSPR_REG_REQUIRE ? "require" : "offer");
    } else if (has == 1 && cfg->register_at_login == SSPR_REG_REQUIRE && strcmp(act, "die") != 0 &&
               strcmp(act, "bad") != 0) {
        sspr_warn(r,
                  "PAM service %s: register_at_login = require, but the account line of "
                  "pam_sspr.so ignores its refusal (use [success=ok perm_denied=die "
                  "default=ignore])",
                  svc);
    }
}

void sspr_doctor_check_pam_stacks(struct sspr_report *r, const struct sspr_config *cfg)
{
    static const struct {
        const char *service;
        int optional; /* only checked when present */
    } services[] = {
        { "login", 0 }, { "sshd", 1 }, { "gdm-password", 1 }, { "lightdm", 1 }, { "sddm", 1 },
    };
    int with = 0, checked = 0, module_found = 0;
    char why[512];

    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        const char *svc = services[i].service;
        int rc = sspr_doctor_auth_stack(SSPR_DOCTOR_PAM_DIR, svc, why, sizeof(why));

        switch (rc) {
        case SSPR_DOCTOR_STACK_MISSING:
            if (!services[i].optional)
                sspr_warn(r, "PAM service %s: %s/%s does not exist", svc, SSPR_DOCTOR_PAM_DIR, svc);
            continue;
        case SSPR_DOCTOR_STACK_ABSENT:
            checked++;
            sspr_warn(r,
                      "PAM service %s: pam_sspr.so is not in its auth stack (no reset offered "
                      "there)",
                      svc);
            continue;
        case SSPR_DOCTOR_STACK_OK:
            checked++;
            with++;
            sspr_pass(r, "PAM service %s: %s", svc, why);
            break;
        case SSPR_DOCTOR_STACK_WARN:
            checked++;
            with++;
            sspr_warn(r, "PAM service %s: %s", svc, why);
            break;
        default:
            checked++;
            with++;
            sspr_fail(r, SSPR_E_PAM_STACK, "PAM service %s: %s", svc, why);
            continue;
        }
        check_account_line(r, cfg, svc);
    }
    if (checked > 0 && with == 0)
        sspr_fail(r, SSPR_E_PAM_STACK,
                  "PAM stacks: pam_sspr.so is in none of the auth stacks "
                  "checked (login, sshd, greeters)");
    if (with == 0)
        return;
    for (size_t i = 0; i < sizeof(module_dirs) / sizeof(module_dirs[0]); i++) {
        char path[PATH_MAX];
        struct stat sb;

        snprintf(path, sizeof(path), "%s/pam_sspr.so", module_dirs[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            const char *bad = sspr_doctor_unsafe_stat(&sb);

            module_found = 1;
            if (bad != NULL)
                sspr_fail(r, SSPR_E_PAM_MODULE, "PAM module: %s is %s", path, bad);
            else
                sspr_pass(r, "PAM module: %s installed", path);
            break;
        }
    }
    if (!module_found)
        sspr_fail(r, SSPR_E_PAM_MODULE,
                  "PAM module: pam_sspr.so not found in the PAM module "
                  "directory");
}

void sspr_doctor_check_writeback(struct sspr_report *r, const struct sspr_config *cfg)
{
    const char *dir = cfg->pam_confdir[0] != '\0' ? cfg->pam_confdir : SSPR_DOCTOR_PAM_DIR;
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int q = -1, u = -1;

    if (st == NULL)
        return;
    sspr_pam_stack_parse(dir, cfg->pam_service, "password", st);
    if (st->missing) {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service: %s/%s does not exist", dir,
                  cfg->pam_service);
        goto out;
    }
    if (st->err[0] != '\0') {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE, "writeback service %s: %s", cfg->pam_service,
                  st->err);
        goto out;
    }
    for (int i = 0; i < st->n; i++) {
        if (q < 0 && strcmp(st->e[i].module, "pam_pwquality.so") == 0)
            q = i;
        if (u < 0 && strcmp(st->e[i].module, "pam_unix.so") == 0)
            u = i;
    }
    if (u < 0) {
        sspr_fail(r, SSPR_E_WRITEBACK_SERVICE,
                  "writeback service %s: no `password ... pam_unix.so` "
                  "line",
                  cfg->pam_service);
        goto out;
    }
    if (q < 0) {
        sspr_fail(r, SSPR_E_PWQUALITY_ROOT, "writeback service %s: no pam_pwquality.so line",
                  cfg->pam_service);
        goto out;
    }
    {
        char args[sizeof(st->e[q].args) + 2];
        char act[32];

        snprintf(args, sizeof(args), " %s ", st->e[q].args);
        for (char *t = args; *t != '\0'; t++)
            if (*t == '\t')
                *t = ' ';
        if (strstr(args, " enforce_for_root ") == NULL) {
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so without "
                      "enforce_for_root (%s line %d)",
                      cfg->pam_service, st->e[q].file, st->e[q].line);
            goto out;
        }
        if (q > u) {
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so comes after "
                      "pam_unix.so",
                      cfg->pam_service);
            goto out;
        }
        sspr_pam_action(&st->e[q], "default", act, sizeof(act));
        if (strcmp(act, "bad") != 0 && strcmp(act, "die") != 0) {
            sspr_fail(r, SSPR_E_PWQUALITY_ROOT,
                      "writeback service %s: pam_pwquality.so is %s, so "
                      "its refusal does not count (use requisite)",
                      cfg->pam_service, st->e[q].control);
            goto out;
        }
    }
    /* without cracklib's dictionary pwquality refuses every password */
    if (access("/var/cache/cracklib/cracklib_dict.pwd", R_OK) != 0) {
        sspr_fail(r, SSPR_E_PWQUALITY_DICT,
                  "pam_pwquality's dictionary "
                  "/var/cache/cracklib/cracklib_dict.pwd is missing");
        goto out;
    }
    sspr_pass(r, "writeback service %s/%s: pam_pwquality enforce_for_root, then pam_unix", dir,
              cfg->pam_service);
out:
    free(st);
}
