/* Inside doctor: the check families (one file each) and what they share. */
#ifndef SSPR_DOCTOR_CHECKS_H
#define SSPR_DOCTOR_CHECKS_H

#include <stddef.h>
#include <sys/stat.h>

#include "admin/doctor/report.h"
#include "backends/backend.h"
#include "support/config.h"

#define SSPR_DOCTOR_PAM_DIR "/etc/pam.d"

/* check_pam.c: the login stacks, the account line, the writeback service. */
void sspr_doctor_check_pam_stacks(struct sspr_report *r, const struct sspr_config *cfg);
void sspr_doctor_check_writeback(struct sspr_report *r, const struct sspr_config *cfg);
/* 1 when the `type` stack of service names pam_sspr.so (0 when not, -1 when
 * the file is missing); perm_denied (may be NULL) gets that line's action
 * for PAM_PERM_DENIED. */
int sspr_doctor_stack_has_sspr(const char *service, const char *type, char *perm_denied,
                               size_t len);
/* 1 when a reset can start in service's auth stack: a pam_sspr.so line,
 * the kiosk line included (pam_stack.c). */
int sspr_doctor_stack_runs_reset(const char *service);
/* 1 when one of the login stacks (login, sshd, the greeters) has the
 * account line that registers users at sign-in. */
int sspr_doctor_any_account_line(void);

/* How long a reset at a prompt can take with this configuration, in
 * seconds (never less than SSPR_DOCTOR_RESET_MIN, at most flow_timeout);
 * how (may be NULL) gets the reckoning in words. */
#define SSPR_DOCTOR_RESET_MIN 180
#define SSPR_DOCTOR_TIMEOUT_ADVICE 300 /* what doctor tells to set, at least */
int sspr_doctor_reset_seconds(const struct sspr_config *cfg, char *how, size_t len);
/* What to set a sign-in timeout to: the estimate rounded up to a whole
 * minute, at least SSPR_DOCTOR_TIMEOUT_ADVICE. */
int sspr_doctor_timeout_advice(int needed);
/* console login: LOGIN_TIMEOUT in /etc/login.defs against that estimate. */
void sspr_doctor_check_login_timeout(struct sspr_report *r, const struct sspr_config *cfg);

/* check_stacks.c: passwd's password stack (a forgotten current password)
 * and pam_faillock around pam_sspr.so in the auth stacks (unlock). */
void sspr_doctor_check_passwd_stack(struct sspr_report *r);
void sspr_doctor_check_faillock(struct sspr_report *r);

/* check_system.c: config, helper, banned list. */
int sspr_doctor_check_config(struct sspr_report *r, const char *path);
void sspr_doctor_check_helper(struct sspr_report *r);
void sspr_doctor_check_banned(struct sspr_report *r, const struct sspr_config *cfg);

/* check_sshd.c: the running sshd (or /etc/ssh/sshd_config): PAM with
 * keyboard-interactive, and a LoginGraceTime that leaves time for a reset. */
void sspr_doctor_check_sshd(struct sspr_report *r, const struct sspr_config *cfg);

/* check_network.c: SMTP server and SMS gateway reachable. */
void sspr_doctor_check_delivery(struct sspr_report *r, const struct sspr_config *cfg);

/* check_user.c: one user through the backend. */
void sspr_doctor_check_user(struct sspr_report *r, const struct sspr_config *cfg,
                            struct sspr_backend *be, const char *name);

#endif
