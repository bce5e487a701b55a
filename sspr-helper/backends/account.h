/* Who the typed name is, and whether that account may reset at all: what
 * every backend's resolve fills in (docs/security.md 4, 5). */
#ifndef SSPR_ACCOUNT_H
#define SSPR_ACCOUNT_H

#include <sys/types.h>

#include "username.h"

enum sspr_ineligible {
    SSPR_ACCT_OK = 0,
    SSPR_ACCT_BADNAME, /* refused before any lookup */
    SSPR_ACCT_UNKNOWN,
    SSPR_ACCT_ROOT,
    SSPR_ACCT_SYSTEM,   /* uid < min_uid */
    SSPR_ACCT_LOCKED,   /* '!' or '*' hash, or a directory's lock */
    SSPR_ACCT_EXPIRED,  /* account expiry passed, or disabled by password inactivity */
    SSPR_ACCT_NOLOGIN,  /* shell not in /etc/shells */
    SSPR_ACCT_NOSHADOW, /* shadow entry unreadable */
    SSPR_ACCT_DISABLED, /* a directory says the account is disabled */
    SSPR_ACCT_LOOKUP,   /* the backend could not tell (a directory down) */
    SSPR_ACCT_LOCAL,    /* a local account, and the backend resets directory ones only */
    SSPR_ACCT_PROTECTED, /* a directory's protected (administrative) account: AD adminCount */
};

struct sspr_account {
    int known; /* the backend found it under exactly this name */
    uid_t uid;
    gid_t gid;
    char name[SSPR_USER_MAX + 1];
    char id[1024];            /* the backend's own key for it (local: the uid; ldap: the DN) */
    enum sspr_ineligible why; /* SSPR_ACCT_OK when eligible */
    /* Locked after failed sign-ins by a lockout the backend keeps and its
     * `unlock` lifts (local: pam_faillock's tally; a directory's password
     * policy lockout). Not an admin's lock: that is why = SSPR_ACCT_LOCKED.
     * Read only after the gates passed (docs/security.md 14). */
    int lockout;
};

/* The stable error code (support/errors.h, SSPR-E2xx) for why; 0 for eligible. */
int sspr_account_error(enum sspr_ineligible why);

/* 1 when shell is in /etc/shells (an empty one is /bin/sh): every
 * backend's nologin rule. */
int sspr_account_shell_allowed(const char *shell);

/* Short reason for the log (never shown to the user). */
const char *sspr_account_why(enum sspr_ineligible why);

#endif
