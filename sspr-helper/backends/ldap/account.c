/*
 * Directory accounts: the typed name is searched with [ldap] user_filter
 * (escaped, RFC 4515) under [ldap] base; exactly one entry must match, and
 * the attribute the filter names must hold exactly the typed name (a
 * directory matches "Alice" for alice; state is never keyed by a variant).
 * Local accounts (in /etc/passwd) and root are never reset here: their
 * password is not the directory's. The directory's own flags decide the
 * rest (docs/security.md 4): slapo-ppolicy's permanent lock, 389-ds's
 * nsAccountLock, shadowExpire, a login shell not in /etc/shells. A
 * ppolicy lockout after failed binds does not stop a reset: the user who
 * forgot their password is exactly who gets locked out that way
 * (unlock_on_reset decides whether the reset lifts it). Active Directory's
 * names, flags and groups: ad.c.
 */
#include "autoconf.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "backends/ldap/ldap.h"
#include "backends/ldap/attrs.h"
#include "support/errors.h"

/* ppolicy's value for "locked until an administrator unlocks" */
#define PPOLICY_LOCKED_FOREVER "000001010000Z"

/* The attribute the filter compares the name with: the word before "=%s". */
static int filter_attr(const char *filter, char *out, size_t size)
{
    const char *at = strstr(filter, "=%s"), *p;
    size_t n;

    if (at == NULL)
        return -1;
    for (p = at; p > filter && (isalnum((unsigned char)p[-1]) || p[-1] == '-' || p[-1] == ';');)
        p--;
    n = (size_t)(at - p);
    if (n == 0 || n >= size)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* 1 when name has an entry in /etc/passwd itself (not through NSS). */
static int in_etc_passwd(const char *name)
{
    FILE *f = fopen("/etc/passwd", "re");
    struct passwd *pw;
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && (pw = fgetpwent(f)) != NULL)
        found = pw->pw_name != NULL && strcmp(pw->pw_name, name) == 0;
    fclose(f);
    return found;
}

static enum sspr_ineligible directory_state(const struct sspr_ldap_entry *e)
{
    char locked[32], shell[256];
    long long expire;

    if (sspr_ldap_value_str(e, "pwdAccountLockedTime", locked, sizeof(locked)) == 0 &&
        strcmp(locked, PPOLICY_LOCKED_FOREVER) == 0)
        return SSPR_ACCT_DISABLED;
    if (sspr_ldap_has_value(e, "nsAccountLock", "TRUE"))
        return SSPR_ACCT_DISABLED;
    if (sspr_ldap_value_ll(e, "shadowExpire", &expire) == 0 && expire != -1 &&
        (long long)(time(NULL) / 86400) >= expire)
        return SSPR_ACCT_EXPIRED;
    if (sspr_ldap_value_str(e, "loginShell", shell, sizeof(shell)) == 0 && !sspr_account_shell_allowed(shell))
        return SSPR_ACCT_NOLOGIN;
    return SSPR_ACCT_OK;
}

int sspr_ldap_read_entry(struct sspr_backend *be, const struct sspr_account *acct,
                         const char *const *attrs, struct sspr_ldap_entry *out)
{
    int found = 0, rc = sspr_ldap_search_one(be, acct->id, "base", "(objectClass=*)", attrs, out,
                                             &found);

    if (rc != SSPR_OK)
        return rc;
    return found == 1 ? SSPR_OK : SSPR_ERR_NOENT;
}

int sspr_ldap_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out)
{
    const struct sspr_config *cfg = be->cfg;
    struct sspr_ldap_entry e;
    const char *const *attrs, *ufilter;
    char filter[2048], key[64];
    long long uid = -1, gid = -1;
    int found = 0, rc, ad;

    memset(out, 0, sizeof(*out));
    be->code = 0;
    if (!sspr_username_ok(typed)) {
        out->why = SSPR_ACCT_BADNAME;
        return SSPR_OK;
    }
    if (strcmp(typed, "root") == 0) {
        out->why = SSPR_ACCT_ROOT;
        return SSPR_OK;
    }
    if ((rc = sspr_ldap_dialect(be)) < 0) {
        out->why = SSPR_ACCT_LOOKUP;
        return rc;
    }
    ad = sspr_ldap_is_ad(be);
    attrs = sspr_ldap_account_attrs(be);
    ufilter = sspr_ldap_filter(be, typed);
    if (sspr_ldap_user_filter(ufilter, typed, filter, sizeof(filter)) != 0 ||
        filter_attr(ufilter, key, sizeof(key)) != 0) {
        out->why = SSPR_ACCT_UNKNOWN;
        return SSPR_OK;
    }
    rc = sspr_ldap_search_one(be, cfg->ldap_base, "sub", filter, attrs, &e, &found);
    if (rc != SSPR_OK) {
        out->why = SSPR_ACCT_LOOKUP;
        return rc;
    }
    if (found == 0 && in_etc_passwd(typed)) {
        out->why = SSPR_ACCT_LOCAL; /* says more to doctor than "unknown" */
        sspr_ldap_entry_free(&e);
        return SSPR_OK;
    }
    if (found != 1) {
        if (found == 2)
            syslog(LOG_WARNING, "directory: more than one entry matches the user filter for a "
                                "typed name; refused");
        out->why = SSPR_ACCT_UNKNOWN;
        sspr_ldap_entry_free(&e);
        return SSPR_OK;
    }
    /* exactly this spelling, in the attribute the filter compares */
    const struct sspr_msg_item *names[16];
    size_t nn = sspr_ldap_values(&e, key, names, 16), tl = strlen(typed);
    int exact = 0;
    for (size_t i = 0; i < nn && !exact; i++)
        exact = names[i]->len == tl && (ad ? strncasecmp((const char *)names[i]->val, typed, tl)
                                           : memcmp(names[i]->val, typed, tl)) == 0;
    if (!exact || strlen(e.dn) >= sizeof(out->id)) {
        out->why = SSPR_ACCT_UNKNOWN;
        sspr_ldap_entry_free(&e);
        return SSPR_OK;
    }
    if (sspr_ldap_value_ll(&e, "uidNumber", &uid) != 0) {
        /* no RFC 2307 number in the entry: what this machine calls it */
        struct passwd *pw = getpwnam(typed);
        if (pw != NULL && strcmp(pw->pw_name, typed) == 0) {
            uid = pw->pw_uid;
            gid = pw->pw_gid;
        }
    } else {
        (void)sspr_ldap_value_ll(&e, "gidNumber", &gid);
    }
    out->known = 1;
    snprintf(out->name, sizeof(out->name), "%s", typed);
    snprintf(out->id, sizeof(out->id), "%s", e.dn);
    out->uid = uid >= 0 ? (uid_t)uid : (uid_t)-1;
    out->gid = gid >= 0 ? (gid_t)gid : (gid_t)-1;
    if (in_etc_passwd(typed))
        out->why = SSPR_ACCT_LOCAL;
    else if (uid < 0 && !ad) /* AD users need not be in NSS nor have a uidNumber */
        out->why = SSPR_ACCT_UNKNOWN;
    else if (uid == 0)
        out->why = SSPR_ACCT_ROOT;
    else if (uid > 0 && uid < cfg->min_uid)
        out->why = SSPR_ACCT_SYSTEM;
    else if ((out->why = ad ? sspr_ldap_ad_state(&e) : SSPR_ACCT_OK) == SSPR_ACCT_OK)
        out->why = directory_state(&e);
    /* locked by failed binds (ppolicy; an administrator's lock is DISABLED
     * above): self-service unlock is offered only where unlock_on_reset
     * lets a reset lift it */
    char locked[32];
    if (out->why == SSPR_ACCT_OK && cfg->ldap_unlock_on_reset &&
        sspr_ldap_value_str(&e, "pwdAccountLockedTime", locked, sizeof(locked)) == 0)
        out->lockout = 1;
    sspr_ldap_cache_entry(be, &e); /* load() reads it once instead of asking again */
    return SSPR_OK;
}

int sspr_ldap_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                        const char *group)
{
    /* AD: the domain's groups (tokenGroups); else groups as this machine
     * sees them (NSS: sssd serves the directory's) */
    if (sspr_ldap_is_ad(be) && acct->known)
        return sspr_ldap_ad_member_of(be, acct, group);
    return sspr_be_member_of(&sspr_ldap_of(be)->local, acct, group);
}
