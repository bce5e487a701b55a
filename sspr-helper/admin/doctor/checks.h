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

/* check_system.c: config, helper, banned list. */
int sspr_doctor_check_config(struct sspr_report *r, const char *path);
void sspr_doctor_check_helper(struct sspr_report *r);
void sspr_doctor_check_banned(struct sspr_report *r, const struct sspr_config *cfg);

/* check_sshd.c */
void sspr_doctor_check_sshd(struct sspr_report *r);

/* check_network.c: SMTP server and SMS gateway reachable. */
void sspr_doctor_check_delivery(struct sspr_report *r, const struct sspr_config *cfg);

/* check_user.c: one user through the backend. */
void sspr_doctor_check_user(struct sspr_report *r, const struct sspr_config *cfg,
                            struct sspr_backend *be, const char *name);

#endif
