/* Policy lookups: who may reset, who is an admin, what they need. */
#ifndef SSPR_POLICY_H
#define SSPR_POLICY_H

#include "backends/account.h"
#include "support/config.h"

/* 1 when `enabled` lets this account reset. */
int sspr_policy_enabled(const struct sspr_config *cfg, const struct sspr_account *acct);

/* 1 when resets are offered through this PAM service (`services`; an empty
 * list means every service). Not account-specific, so it may be said. */
int sspr_policy_service_enabled(const struct sspr_config *cfg, const char *service);

/* 1 when the account is in one of admin_groups (primary or supplementary). */
int sspr_policy_is_admin(const struct sspr_config *cfg, const struct sspr_account *acct);

/* Gates needed and methods allowed for this account. */
int sspr_policy_gates(const struct sspr_config *cfg, int is_admin);
unsigned sspr_policy_methods(const struct sspr_config *cfg, int is_admin);

#endif
