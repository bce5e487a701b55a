/* Eligibility (SECURITY.md 4, 5): root, system, locked, expired and
 * nologin accounts are refused; all of them then walk the dummy path. */
#include "autoconf.h"

#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/account.h"
#include "support/errors.h"

static int shell_allowed(const char *shell)
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

static enum sspr_ineligible shadow_state(const char *name)
{
    struct spwd *sp;
    long today = (long)(time(NULL) / 86400);

    errno = 0;
    sp = getspnam(name);
    if (sp == NULL)
        return SSPR_ACCT_NOSHADOW;
    if (sp->sp_pwdp == NULL || sp->sp_pwdp[0] == '!' || sp->sp_pwdp[0] == '*')
        return SSPR_ACCT_LOCKED;
    if (sp->sp_expire > 0 && sp->sp_expire <= today)
        return SSPR_ACCT_EXPIRED;
    return SSPR_ACCT_OK;
}

void sspr_account_resolve(const char *typed, const struct sspr_config *cfg,
                          struct sspr_account *out)
{
    struct passwd *pw;

    memset(out, 0, sizeof(*out));
    if (!sspr_username_ok(typed)) {
        out->why = SSPR_ACCT_BADNAME;
        return;
    }
    pw = getpwnam(typed);
    /* NSS backends may match case-insensitively or by alias: only the
     * canonical name counts, so state is never keyed by a variant. */
    if (pw == NULL || pw->pw_name == NULL || strcmp(pw->pw_name, typed) != 0) {
        out->why = SSPR_ACCT_UNKNOWN;
        return;
    }
    out->known = 1;
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
    if (pw->pw_uid == 0)
        out->why = SSPR_ACCT_ROOT;
    else if ((long)pw->pw_uid < cfg->min_uid)
        out->why = SSPR_ACCT_SYSTEM;
    else if (!shell_allowed(pw->pw_shell))
        out->why = SSPR_ACCT_NOLOGIN;
    else
        out->why = shadow_state(pw->pw_name);
}

int sspr_account_error(enum sspr_ineligible why)
{
    switch (why) {
    case SSPR_ACCT_OK: return 0;
    case SSPR_ACCT_BADNAME:
    case SSPR_ACCT_UNKNOWN: return SSPR_E_UNKNOWN_USER;
    case SSPR_ACCT_ROOT: return SSPR_E_ROOT;
    case SSPR_ACCT_SYSTEM: return SSPR_E_SYSTEM_UID;
    case SSPR_ACCT_LOCKED: return SSPR_E_LOCKED;
    case SSPR_ACCT_EXPIRED: return SSPR_E_EXPIRED;
    case SSPR_ACCT_NOLOGIN: return SSPR_E_NOLOGIN;
    case SSPR_ACCT_NOSHADOW: return SSPR_E_NO_SHADOW;
    }
    return SSPR_E_UNKNOWN_USER;
}

const char *sspr_account_why(enum sspr_ineligible why)
{
    switch (why) {
    case SSPR_ACCT_OK: return "eligible";
    case SSPR_ACCT_BADNAME: return "malformed name";
    case SSPR_ACCT_UNKNOWN: return "unknown user";
    case SSPR_ACCT_ROOT: return "root is never eligible";
    case SSPR_ACCT_SYSTEM: return "uid below min_uid";
    case SSPR_ACCT_LOCKED: return "account locked";
    case SSPR_ACCT_EXPIRED: return "account expired";
    case SSPR_ACCT_NOLOGIN: return "shell not in /etc/shells";
    case SSPR_ACCT_NOSHADOW: return "no readable shadow entry";
    }
    return "unknown";
}
