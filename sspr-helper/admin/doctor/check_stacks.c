/* Doctor: the stacks beyond the login prompt (issue 13). passwd's password
 * stack (a forgotten current password: pam_sspr.so first and after
 * pam_unix.so, passwd_stage.c in the module), and pam_faillock around
 * pam_sspr.so in the auth stacks (self-service unlock: a locked user must
 * still reach the password prompt, and pam_sspr.so must come before
 * authfail). */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/doctor/checks.h"
#include "admin/doctor/pam_stack.h"
#include "support/errors.h"

static int is(const struct sspr_pam_entry *e, const char *module)
{
    return strcmp(e->module, module) == 0;
}

/* 1 when the blank-separated args hold word (or word=...). */
static int has_arg(const struct sspr_pam_entry *e, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = e->args; *p != '\0';) {
        size_t len;

        while (*p == ' ' || *p == '\t')
            p++;
        len = strcspn(p, " \t");
        if (len >= n && strncmp(p, word, n) == 0 && (len == n || p[n] == '='))
            return 1;
        p += len;
    }
    return 0;
}

/* 1 when entry i's success jump lands on pam_permit.so. */
static int success_lands_on_permit(const struct sspr_pam_stack *st, int i)
{
    char act[32];
    int to;

    sspr_pam_action(&st->e[i], "success", act, sizeof(act));
    if (act[0] < '1' || act[0] > '9')
        return 0;
    to = sspr_pam_jump(st, i, atoi(act));
    return to >= 0 && to < st->n && is(&st->e[to], "pam_permit.so");
}

void sspr_doctor_check_passwd_stack(struct sspr_report *r)
{
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int q = -1, u = -1, first = -1, after = -1, between = -1;

    if (st == NULL)
        return;
    sspr_pam_stack_parse(SSPR_DOCTOR_PAM_DIR, "passwd", "password", st);
    if (st->missing || st->err[0] != '\0')
        goto out; /* no passwd service here, or the login checks said why */
    for (int i = 0; i < st->n; i++) {
        if (q < 0 && is(&st->e[i], "pam_pwquality.so"))
            q = i;
        if (u < 0 && is(&st->e[i], "pam_unix.so"))
            u = i;
    }
    for (int i = 0; i < st->n; i++) {
        if (!is(&st->e[i], "pam_sspr.so"))
            continue;
        if (u >= 0 && i > u)
            after = after < 0 ? i : after;
        else if (q >= 0 && i > q && i < u)
            between = i;
        else if (first < 0)
            first = i;
    }
    if (first < 0 && after < 0 && between < 0)
        goto out; /* not installed there: nothing to say */
    if (u < 0) {
        sspr_warn(r, "PAM service passwd: pam_sspr.so without pam_unix.so in the password stack: "
                     "a forgotten current password is never offered a reset");
        goto out;
    }
    if (between >= 0) {
        sspr_fail(r, SSPR_E_PAM_STACK,
                  "PAM service passwd: pam_sspr.so between pam_pwquality.so and pam_unix.so "
                  "(%s line %d): after a reset pam_pwquality would ask for a new password "
                  "again, and pam_unix's use_authtok takes the one pam_pwquality just asked "
                  "for; the line belongs first in the password stack",
                  st->e[between].file, st->e[between].line);
        goto out;
    }
    /* pam-auth-update gives pam_unix use_authtok once any line comes
     * before it: someone between must ask for the new password, and the
     * first line never does (it only jumps past a reset's change) */
    if (first >= 0 && first < u && has_arg(&st->e[u], "use_authtok") && q < 0) {
        sspr_fail(r, SSPR_E_PAM_STACK,
                  "PAM service passwd: pam_sspr.so comes first (%s line %d) and pam_unix.so has "
                  "use_authtok, but no pam_pwquality.so between them asks for the new password: "
                  "every passwd fails with \"Authentication token manipulation error\"; "
                  "pam-auth-update --enable pwquality (or --disable sspr-password)",
                  st->e[first].file, st->e[first].line);
        goto out;
    }
    if (after < 0) {
        sspr_warn(r, "PAM service passwd: pam_sspr.so first but not after pam_unix.so: nothing is "
                     "offered (pam-auth-update --enable sspr adds that line)");
        goto out;
    }
    if (first < 0) {
        sspr_pass(r, "PAM service passwd: no reset for a forgotten current password (pam_sspr.so "
                     "only after pam_unix.so; pam-auth-update --enable sspr-password turns it on)");
        goto out;
    }
    if (!success_lands_on_permit(st, first) || !success_lands_on_permit(st, after)) {
        sspr_fail(r, SSPR_E_PAM_STACK,
                  "PAM service passwd: the pam_sspr.so lines' jumps are wrong (first: %s, after "
                  "pam_unix.so: %s): the success of each must jump to pam_permit.so, past "
                  "pam_pwquality.so, pam_unix.so and pam_deny.so",
                  st->e[first].control, st->e[after].control);
        goto out;
    }
    sspr_pass(r, "PAM service passwd: pam_sspr.so first and after pam_unix.so, jumps correct: an "
                 "empty current password offers the reset");
out:
    free(st);
}

/* The auth stacks where a locked user signs in. */
static const char *const auth_services[] = { "login", "sshd", "sudo", "gdm-password", "lightdm" };

static void check_faillock_in(struct sspr_report *r, const char *svc)
{
    struct sspr_pam_stack *st = calloc(1, sizeof(*st));
    int sspr = -1, preauth = -1, authfail = -1, args = -1;
    char act[32];

    if (st == NULL)
        return;
    sspr_pam_stack_parse(SSPR_DOCTOR_PAM_DIR, svc, "auth", st);
    if (st->missing || st->err[0] != '\0')
        goto out;
    for (int i = 0; i < st->n; i++) {
        const struct sspr_pam_entry *e = &st->e[i];

        if (is(e, "pam_sspr.so") && !sspr_pam_is_kiosk_line(e) && sspr < 0)
            sspr = i;
        if (!is(e, "pam_faillock.so"))
            continue;
        if (has_arg(e, "preauth") && preauth < 0)
            preauth = i;
        if (has_arg(e, "authfail") && authfail < 0)
            authfail = i;
        if (args < 0 && (has_arg(e, "deny") || has_arg(e, "dir") || has_arg(e, "unlock_time") ||
                         has_arg(e, "fail_interval")))
            args = i;
    }
    if (sspr < 0 || (preauth < 0 && authfail < 0))
        goto out; /* no reset here, or no pam_faillock */
    if (preauth >= 0) {
        sspr_pam_action(&st->e[preauth], "auth_err", act, sizeof(act));
        if (strcmp(act, "die") == 0 || strcmp(act, "done") == 0) {
            sspr_warn(r,
                      "PAM service %s: pam_faillock.so preauth (%s line %d) is %s: a user locked "
                      "by failed sign-ins never reaches the password prompt, so they cannot "
                      "unlock themselves; make it `required` (the lock still holds: preauth's "
                      "failure fails the sign-in)",
                      svc, st->e[preauth].file, st->e[preauth].line, st->e[preauth].control);
            goto out;
        }
    }
    if (authfail >= 0 && authfail < sspr) {
        sspr_warn(r,
                  "PAM service %s: pam_faillock.so authfail (%s line %d) comes before "
                  "pam_sspr.so: a refused password ends there, so no reset or unlock is "
                  "offered; put it after the pam_sspr.so line",
                  svc, st->e[authfail].file, st->e[authfail].line);
        goto out;
    }
    if (args >= 0) {
        sspr_warn(r,
                  "PAM service %s: pam_faillock.so sets deny=, dir=, unlock_time= or "
                  "fail_interval= on its line (%s line %d); the helper reads only "
                  "/etc/security/faillock.conf to tell whether an account is locked: set them "
                  "there",
                  svc, st->e[args].file, st->e[args].line);
        goto out;
    }
    sspr_pass(r,
              "PAM service %s: pam_faillock.so %sand pam_sspr.so before authfail: a user locked "
              "by failed sign-ins can unlock after the gates",
              svc, preauth >= 0 ? "preauth required " : "");
out:
    free(st);
}

void sspr_doctor_check_faillock(struct sspr_report *r)
{
    for (size_t i = 0; i < sizeof(auth_services) / sizeof(auth_services[0]); i++)
        check_faillock_in(r, auth_services[i]);
}
