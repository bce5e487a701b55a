/* What the eligibility verdicts mean: error codes and log words. */
#include "autoconf.h"

#include <string.h>
#include <unistd.h>

#include "backends/account.h"
#include "support/errors.h"

int sspr_account_error(enum sspr_ineligible why)
{
    switch (why) {
    case SSPR_ACCT_OK:
        return 0;
    case SSPR_ACCT_BADNAME:
    case SSPR_ACCT_UNKNOWN:
        return SSPR_E_UNKNOWN_USER;
    case SSPR_ACCT_ROOT:
        return SSPR_E_ROOT;
    case SSPR_ACCT_SYSTEM:
        return SSPR_E_SYSTEM_UID;
    case SSPR_ACCT_LOCKED:
        return SSPR_E_LOCKED;
    case SSPR_ACCT_EXPIRED:
        return SSPR_E_EXPIRED;
    case SSPR_ACCT_NOLOGIN:
        return SSPR_E_NOLOGIN;
    case SSPR_ACCT_NOSHADOW:
        return SSPR_E_NO_SHADOW;
    case SSPR_ACCT_DISABLED:
        return SSPR_E_LOCKED;
    case SSPR_ACCT_LOOKUP:
        return SSPR_E_UNKNOWN_USER;
    case SSPR_ACCT_LOCAL:
        return SSPR_E_LOCAL_ACCOUNT;
    case SSPR_ACCT_PROTECTED:
        return SSPR_E_PROTECTED_ACCOUNT;
    }
    return SSPR_E_UNKNOWN_USER;
}

const char *sspr_account_why(enum sspr_ineligible why)
{
    switch (why) {
    case SSPR_ACCT_OK:
        return "eligible";
    case SSPR_ACCT_BADNAME:
        return "malformed name";
    case SSPR_ACCT_UNKNOWN:
        return "unknown user";
    case SSPR_ACCT_ROOT:
        return "root is never eligible";
    case SSPR_ACCT_SYSTEM:
        return "uid below min_uid";
    case SSPR_ACCT_LOCKED:
        return "account locked";
    case SSPR_ACCT_EXPIRED:
        return "account expired";
    case SSPR_ACCT_NOLOGIN:
        return "shell not in /etc/shells";
    case SSPR_ACCT_NOSHADOW:
        return "no readable shadow entry";
    case SSPR_ACCT_DISABLED:
        return "account disabled";
    case SSPR_ACCT_LOOKUP:
        return "account lookup failed";
    case SSPR_ACCT_LOCAL:
        return "local account (the ldap backend resets directory accounts only)";
    case SSPR_ACCT_PROTECTED:
        return "protected directory account (adminCount, Administrator, krbtgt)";
    }
    return "unknown";
}

int sspr_account_shell_allowed(const char *shell)
{
    const char *s;
    int ok = 0;

    if (shell == NULL || shell[0] == '\0')
        return 1; /* an empty shell means /bin/sh */
    setusershell();
    while ((s = getusershell()) != NULL) {
        if (strcmp(s, shell) == 0) {
            ok = 1;
            break;
        }
    }
    endusershell();
    return ok;
}
