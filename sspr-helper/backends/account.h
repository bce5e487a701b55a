/* Who the typed name is, and whether that account may reset at all. */
#ifndef SSPR_ACCOUNT_H
#define SSPR_ACCOUNT_H

#include <limits.h>
#include <sys/types.h>

#include "support/config.h"
#include "username.h"

enum sspr_ineligible {
    SSPR_ACCT_OK = 0,
    SSPR_ACCT_BADNAME,    /* refused before any lookup */
    SSPR_ACCT_UNKNOWN,
    SSPR_ACCT_ROOT,
    SSPR_ACCT_SYSTEM,     /* uid < min_uid */
    SSPR_ACCT_LOCKED,     /* '!' or '*' hash */
    SSPR_ACCT_EXPIRED,    /* shadow account expiry passed */
    SSPR_ACCT_NOLOGIN,    /* shell not in /etc/shells */
    SSPR_ACCT_NOSHADOW,   /* shadow entry unreadable */
};

struct sspr_account {
    int known;                  /* getpwnam found it under exactly this name */
    uid_t uid;
    gid_t gid;
    char name[SSPR_USER_MAX + 1];
    enum sspr_ineligible why;   /* SSPR_ACCT_OK when eligible */
};

/* Resolve and check the typed name. Always fills out; out->why tells. */
void sspr_account_resolve(const char *typed, const struct sspr_config *cfg,
                          struct sspr_account *out);

/* The stable error code (errors.h, SSPR-E2xx) for why; 0 for eligible. */
int sspr_account_error(enum sspr_ineligible why);

/* Short reason for the log (never shown to the user). */
const char *sspr_account_why(enum sspr_ineligible why);

#endif
