/* The names of pam_sspr's schema (conf/ldap/sspr.schema) and of the
 * standard attributes the LDAP backend reads. */
#ifndef SSPR_LDAP_ATTRS_H
#define SSPR_LDAP_ATTRS_H

#include "backends/backend.h"

#define A_OC "ssprAccount"
#define A_TOTP_SECRET "ssprTotpSecret"  /* raw key bytes */
#define A_TOTP_STEP "ssprTotpLastStep"  /* integer, compare-and-swap */
#define A_RECOVERY_KEY "ssprRecoveryKey" /* raw key bytes */
#define A_RECOVERY_CODE "ssprRecoveryCode" /* hex hash per unused code */
#define A_QUESTION "ssprQuestion"       /* "<PHC string> <question>" */
#define A_REGISTERED "ssprRegistered"   /* GeneralizedTime */
#define A_METHOD "ssprMethod"           /* "<gate> <source> <unix time>" per method */
#define A_THROTTLE "ssprThrottle"       /* the throttle record, compare-and-swap */
#define A_GRANT "ssprResetGrant"        /* the flow holding the reset grant */

/* Every attribute an account read asks for (the configured mail and mobile
 * attributes included, and the dialect's), NULL-terminated. */
const char *const *sspr_ldap_account_attrs(struct sspr_backend *be);

#endif
