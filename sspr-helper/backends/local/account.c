/* Local accounts: passwd and shadow through NSS. Eligibility (docs/security.md
 * 4, 5): root, system, locked, expired and nologin accounts are refused;
 * all of them then walk the dummy path. Group membership for the policy. */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/local/local.h"

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
    /* pam_unix's rules (account stage), so that a reset never revives an
     * account the login would refuse: an expiry date on or before today
     * (0 included: `chage -E 0`), or a password that expired more than
     * sp_inact days ago (the account is disabled by inactivity). */
    if (sp->sp_expire != -1 && today >= sp->sp_expire)
        return SSPR_ACCT_EXPIRED;
    if (sp->sp_lstchg > 0 && sp->sp_max != -1 && sp->sp_inact != -1) {
        long since = today - sp->sp_lstchg;

        if (since > sp->sp_max && since > sp->sp_inact && since > sp->sp_max + sp->sp_inact)
            return SSPR_ACCT_EXPIRED;
    }
    return SSPR_ACCT_OK;
}

int sspr_local_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out)
{
    const struct sspr_config *cfg = be->cfg;
    struct passwd *pw;

    memset(out, 0, sizeof(*out));
    if (!sspr_username_ok(typed)) {
        out->why = SSPR_ACCT_BADNAME;
        return SSPR_OK;
    }
    pw = getpwnam(typed);
    /* NSS backends may match case-insensitively or by alias: only the
     * canonical name counts, so state is never keyed by a variant. */
    if (pw == NULL || pw->pw_name == NULL || strcmp(pw->pw_name, typed) != 0) {
        out->why = SSPR_ACCT_UNKNOWN;
        return SSPR_OK;
    }
    out->known = 1;
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
    snprintf(out->id, sizeof(out->id), "%lu", (unsigned long)pw->pw_uid);
    if (pw->pw_uid == 0)
        out->why = SSPR_ACCT_ROOT;
    else if ((long)pw->pw_uid < cfg->min_uid)
        out->why = SSPR_ACCT_SYSTEM;
    else if (!sspr_account_shell_allowed(pw->pw_shell))
        out->why = SSPR_ACCT_NOLOGIN;
    else
        out->why = shadow_state(pw->pw_name);
    /* an unreadable tally counts as locked: unlocking it is harmless */
    if (out->why == SSPR_ACCT_OK)
        out->lockout = sspr_local_faillock_locked(pw->pw_name, time(NULL)) != 0;
    return SSPR_OK;
}

int sspr_local_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                         const char *name)
{
    struct group gr, *res = NULL;
    char buf[16384];
    gid_t *groups;
    int n = 64, found = 0, rc;

    (void)be;
    rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
    if (rc != 0)
        return -1;
    if (res == NULL)
        return 0; /* no such group */
    if (gr.gr_gid == acct->gid)
        return 1;
    gid_t want = gr.gr_gid;
    for (int attempt = 0; attempt < 4; attempt++) {
        int count = n;
        groups = calloc((size_t)n, sizeof(*groups));
        if (groups == NULL)
            return -1;
        if (getgrouplist(acct->name, acct->gid, groups, &count) >= 0) {
            for (int i = 0; i < count; i++)
                found |= groups[i] == want;
            free(groups);
            return found;
        }
        free(groups);
        n = count > n ? count : n * 2;
    }
    return -1;
}

