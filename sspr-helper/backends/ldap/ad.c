/*
 * The Active Directory dialect of the LDAP backend ([ldap] dialect = ad, or
 * auto: detected from the root DSE). The rest of the backend is shared;
 * what differs is here, and the shared files call it where AD differs:
 *
 *   accounts     (&(objectCategory=person)(objectClass=user)(sAMAccountName=%s)),
 *                or userPrincipalName for a name with '@' (the default filter
 *                only); names compared without case, as AD does
 *   eligibility  userAccountControl ACCOUNTDISABLE refused like a lock,
 *                accountExpires, only normal user accounts; lockoutTime > 0
 *                (locked by bad passwords) stays eligible; protected accounts
 *                (adminCount = 1, the built-in Administrator and krbtgt) are
 *                refused (SSPR-E214): on Samba the service account's rights
 *                on the OU reach an admin inside it (no SDProp), so the
 *                backend itself must not reset one
 *   groups       admin_groups from the directory: the group by sAMAccountName
 *                ('_' may stand for a space: Domain_Admins), membership by the
 *                user's tokenGroups (nested and primary groups included), so
 *                users need not be in NSS
 *   methods      the same sspr attributes (a schema extension,
 *                docs/active-directory.md) with no objectClass to add (the
 *                auxiliary class hangs on the user class), GeneralizedTime
 *                with ".0Z", mobile falling back to otherMobile
 *   writeback    one modify: replace unicodePwd (the quoted password in
 *                UTF-16LE) and pwdLastSet = -1, over TLS only; AD's refusals
 *                (19/53 with its DSID and WERR codes) in plain words; the
 *                unlock is lockoutTime = 0
 *   doctor       TLS, how privileged the service account is, its rights on a
 *                user entry (allowedAttributesEffective), the schema and the
 *                confidential flag, protected accounts under base, and the
 *                old-password window that LDAP cannot show
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "admin/doctor/report.h"
#include "backends/ldap/attrs.h"
#include "backends/ldap/ldap.h"
#include "errbuf.h"
#include "sspr-ldap/proto.h"
#include "support/errors.h"
#include "support/i18n.h"
#include "wipe.h"

#define AD_CAPABILITY "1.2.840.113556.1.4.800" /* LDAP_CAP_ACTIVE_DIRECTORY_OID */
#define OPENLDAP_FILTER "(&(objectClass=posixAccount)(uid=%s))"
#define AD_FILTER "(&(objectCategory=person)(objectClass=user)(sAMAccountName=%s))"
#define AD_UPN_FILTER "(&(objectCategory=person)(objectClass=user)(userPrincipalName=%s))"

/* userAccountControl bits (MS-ADTS 2.2.16) */
#define UAC_ACCOUNTDISABLE 0x0002
#define UAC_NORMAL_ACCOUNT 0x0200
/* accountExpires: never */
#define NEVER_EXPIRES 0x7FFFFFFFFFFFFFFFLL
/* seconds between 1601-01-01 (FILETIME) and 1970-01-01 */
#define FILETIME_EPOCH 11644473600LL

#define RID_ADMINISTRATOR 500
#define RID_KRBTGT 502
#define RID_DOMAIN_ADMINS 512

#define SID_MAX 68 /* revision, count, authority, 15 sub-authorities */

/* ---- the dialect --------------------------------------------------------------- */

static int dn_copy(char *out, size_t size, const struct sspr_ldap_entry *e, const char *attr)
{
    return sspr_ldap_value_str(e, attr, out, size);
}

/* The first entry of a search (more matches are fine), filled like
 * sspr_ldap_search_one's (the root DSE's empty DN too). 1 found, 0 none,
 * < 0 error. */
static int first_entry(struct sspr_backend *be, const char *base, const char *scope,
                       const char *filter, const char *const *attrs, struct sspr_ldap_entry *out)
{
    struct sspr_msg_buf b;
    char msg[256];
    int code = 0;

    memset(out, 0, sizeof(*out));
    sspr_ldap_req(&b, SSPR_LDAP_OP_SEARCH);
    sspr_msg_add_str(&b, "base", base);
    sspr_msg_add_str(&b, "scope", scope);
    sspr_msg_add_str(&b, "filter", filter);
    for (size_t i = 0; attrs[i] != NULL; i++)
        sspr_msg_add_str(&b, "attr", attrs[i]);
    sspr_msg_add_int(&b, "limit", 1);
    if (sspr_ldap_call(be, &b, &out->ans, &code, msg, sizeof(msg)) != SSPR_OK)
        return -1;
    if (code != SSPR_LDAP_SUCCESS && code != SSPR_LDAP_SIZELIMIT) {
        sspr_ldap_entry_free(out);
        return -1;
    }
    for (size_t i = 0; i < out->ans.n; i++) {
        const struct sspr_msg_item *it = &out->ans.items[i];
        size_t end = i + 1;

        /* the root DSE's DN is empty */
        if (strcmp(it->key, "dn") != 0 || it->len >= sizeof(out->dn) ||
            memchr(it->val, '\0', it->len) != NULL)
            continue;
        while (end < out->ans.n && strcmp(out->ans.items[end].key, "dn") != 0)
            end++;
        memcpy(out->dn, it->val, it->len);
        out->dn[it->len] = '\0';
        out->first = i + 1;
        out->end = end;
        return 1;
    }
    sspr_ldap_entry_free(out);
    return 0;
}

/* The root DSE: whether it is AD, and the naming contexts. */
static int read_root_dse(struct sspr_backend *be)
{
    static const char *const attrs[] = { "supportedCapabilities", "forestFunctionality",
                                         "defaultNamingContext", "schemaNamingContext", NULL };
    struct sspr_ldap *l = sspr_ldap_of(be);
    struct sspr_ldap_entry e;
    int found = first_entry(be, "", "base", "(objectClass=*)", attrs, &e);

    if (found < 0 && l->broken)
        return SSPR_ERR_UNAVAILABLE;
    l->root_read = 1;
    if (found != 1) {
        syslog(LOG_WARNING, "directory: the root DSE could not be read; taken as OpenLDAP");
        l->root_is_ad = 0;
        return SSPR_OK;
    }
    l->root_is_ad = sspr_ldap_has_value(&e, "supportedCapabilities", AD_CAPABILITY) ||
                    sspr_ldap_value(&e, "forestFunctionality") != NULL;
    if (dn_copy(l->domain_dn, sizeof(l->domain_dn), &e, "defaultNamingContext") != 0)
        l->domain_dn[0] = '\0';
    if (dn_copy(l->schema_dn, sizeof(l->schema_dn), &e, "schemaNamingContext") != 0)
        l->schema_dn[0] = '\0';
    sspr_ldap_entry_free(&e);
    return SSPR_OK;
}

int sspr_ldap_ad_tls(const struct sspr_config *cfg)
{
    const char *p = cfg->ldap_uri;

    if (strcasestr(p, "ldapi:") != NULL)
        return 0;
    return cfg->ldap_starttls == SSPR_LDAP_STARTTLS_REQUIRED || strcasestr(p, "ldap://") == NULL;
}

int sspr_ldap_dialect(struct sspr_backend *be)
{
    struct sspr_ldap *l = sspr_ldap_of(be);
    int rc;

    if (l->dialect == SSPR_LDAP_DIALECT_AD && !sspr_ldap_ad_tls(be->cfg)) {
        /* auto found AD where the configuration allows clear text (ldap://
         * to loopback, ldapi://): refused before any gate, not at the end */
        be->code = SSPR_E_CONFIG_INVALID;
        return SSPR_ERR_UNAVAILABLE;
    }
    if (l->dialect != 0)
        return l->dialect;
    if (be->cfg->ldap_dialect != SSPR_LDAP_DIALECT_AUTO) {
        l->dialect = be->cfg->ldap_dialect;
        return l->dialect;
    }
    if ((rc = read_root_dse(be)) != SSPR_OK)
        return rc;
    l->dialect = l->root_is_ad ? SSPR_LDAP_DIALECT_AD : SSPR_LDAP_DIALECT_OPENLDAP;
    if (l->dialect == SSPR_LDAP_DIALECT_AD)
        syslog(LOG_INFO, "directory: Active Directory (dialect = auto, from the root DSE)");
    if (l->dialect == SSPR_LDAP_DIALECT_AD && !sspr_ldap_ad_tls(be->cfg)) {
        syslog(LOG_ERR, "directory: Active Directory takes passwords only over TLS: use "
                        "ldaps:// or starttls = required");
        be->code = SSPR_E_CONFIG_INVALID;
        return SSPR_ERR_UNAVAILABLE;
    }
    return l->dialect;
}

int sspr_ldap_is_ad(const struct sspr_backend *be)
{
    const struct sspr_ldap *l = be->priv;

    return l != NULL && l->dialect == SSPR_LDAP_DIALECT_AD;
}

/* The naming contexts, read once (an explicit dialect skips the root DSE
 * until something needs them). */
static const char *domain_dn(struct sspr_backend *be)
{
    struct sspr_ldap *l = sspr_ldap_of(be);

    if (!l->root_read && read_root_dse(be) != SSPR_OK)
        return NULL;
    return l->domain_dn[0] != '\0' ? l->domain_dn : NULL;
}

const char *sspr_ldap_filter(struct sspr_backend *be, const char *typed)
{
    const struct sspr_config *cfg = be->cfg;

    if (cfg->ldap_user_filter[0] != '\0')
        return cfg->ldap_user_filter;
    if (!sspr_ldap_is_ad(be))
        return OPENLDAP_FILTER;
    return typed != NULL && strchr(typed, '@') != NULL ? AD_UPN_FILTER : AD_FILTER;
}

int sspr_ldap_wants_oc(struct sspr_backend *be, const struct sspr_ldap_entry *e)
{
    /* in AD the auxiliary class is the user class's own (schema), and the
     * service account may not write objectClass */
    return !sspr_ldap_is_ad(be) && !sspr_ldap_has_value(e, "objectClass", A_OC);
}

const char *sspr_ldap_gtime_suffix(struct sspr_backend *be)
{
    /* AD's Generalized-Time syntax wants the fraction (21 without it) */
    return sspr_ldap_is_ad(be) ? ".0Z" : "Z";
}

const struct sspr_msg_item *sspr_ldap_ad_mobile(const struct sspr_backend *be,
                                                const struct sspr_ldap_entry *e)
{
    if (!sspr_ldap_is_ad(be) || strcasecmp(be->cfg->ldap_mobile_attr, "mobile") != 0)
        return NULL;
    return sspr_ldap_value(e, "otherMobile");
}

/* ---- accounts ------------------------------------------------------------------- */

const char *const SSPR_LDAP_AD_ATTRS[] = {
    "sAMAccountName", "userPrincipalName", "userAccountControl",
    "accountExpires", "lockoutTime",       "adminCount",
    "objectSid",      "otherMobile",       NULL,
};

/* The last sub-authority of a binary SID (its RID); -1 if it is none. */
static long long sid_rid(const struct sspr_msg_item *sid)
{
    const unsigned char *p;

    if (sid == NULL || sid->len < 12 || sid->val[0] != 1 || sid->len != 8 + 4u * sid->val[1])
        return -1;
    p = sid->val + sid->len - 4;
    return (long long)p[0] | (long long)p[1] << 8 | (long long)p[2] << 16 | (long long)p[3] << 24;
}

enum sspr_ineligible sspr_ldap_ad_state(const struct sspr_ldap_entry *e)
{
    long long uac = 0, expires = 0, admin = 0, rid = sid_rid(sspr_ldap_value(e, "objectSid"));

    if ((sspr_ldap_value_ll(e, "adminCount", &admin) == 0 && admin != 0) || rid == RID_ADMINISTRATOR ||
        rid == RID_KRBTGT)
        return SSPR_ACCT_PROTECTED;
    if (sspr_ldap_value_ll(e, "userAccountControl", &uac) != 0 || (uac & UAC_NORMAL_ACCOUNT) == 0)
        return SSPR_ACCT_SYSTEM; /* a computer, a trust, or unreadable: no person */
    if (uac & UAC_ACCOUNTDISABLE)
        return SSPR_ACCT_DISABLED;
    if (sspr_ldap_value_ll(e, "accountExpires", &expires) == 0 && expires != 0 && expires != NEVER_EXPIRES &&
        (long long)time(NULL) >= expires / 10000000 - FILETIME_EPOCH)
        return SSPR_ACCT_EXPIRED;
    /* lockoutTime > 0: locked by bad passwords, which is who resets */
    return SSPR_ACCT_OK;
}

/* ---- groups ------------------------------------------------------------------------- */

int sspr_ldap_ad_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                           const char *group)
{
    static const char *const gattrs[] = { "objectSid", NULL };
    static const char *const uattrs[] = { "tokenGroups", "primaryGroupID", "memberOf", NULL };
    const char *base = domain_dn(be);
    struct sspr_ldap_entry g, u;
    char name[256], spaced[256], e1[3 * 256 + 1], e2[3 * 256 + 1], filter[2048];
    const struct sspr_msg_item *sid, *tg[512];
    int found = 0, rc, member = 0;
    size_t n;

    if (base == NULL || strlen(group) >= sizeof(name))
        return -1;
    snprintf(name, sizeof(name), "%s", group);
    snprintf(spaced, sizeof(spaced), "%s", group);
    for (char *p = spaced; *p != '\0'; p++)
        if (*p == '_')
            *p = ' ';
    if (sspr_ldap_escape(name, e1, sizeof(e1)) != 0 || sspr_ldap_escape(spaced, e2, sizeof(e2)))
        return -1;
    snprintf(filter, sizeof(filter),
             "(&(objectClass=group)(|(sAMAccountName=%s)"
             "(sAMAccountName=%s)))",
             e1, e2);
    rc = sspr_ldap_search_one(be, base, "sub", filter, gattrs, &g, &found);
    if (rc != SSPR_OK)
        return -1;
    if (found == 0) /* not a domain group: a local one, as this machine sees it */
        return sspr_be_member_of(&sspr_ldap_of(be)->local, acct, group);
    if (found != 1 || (sid = sspr_ldap_value(&g, "objectSid")) == NULL) {
        if (found == 1)
            sspr_ldap_entry_free(&g);
        return -1;
    }
    rc = sspr_ldap_read_entry(be, acct, uattrs, &u);
    if (rc != SSPR_OK) {
        sspr_ldap_entry_free(&g);
        return -1;
    }
    /* tokenGroups: every group of the user's token, nested and primary */
    n = sspr_ldap_values(&u, "tokenGroups", tg, 512);
    for (size_t i = 0; i < n && !member; i++)
        member = tg[i]->len == sid->len && memcmp(tg[i]->val, sid->val, sid->len) == 0;
    if (n == 0) {
        /* tokenGroups not readable: direct membership and the primary group */
        long long pg = -1;

        n = sspr_ldap_values(&u, "memberOf", tg, 512);
        for (size_t i = 0; i < n && !member; i++)
            member = tg[i]->len == strlen(g.dn) &&
                     strncasecmp((const char *)tg[i]->val, g.dn, tg[i]->len) == 0;
        if (!member && sspr_ldap_value_ll(&u, "primaryGroupID", &pg) == 0)
            member = pg == sid_rid(sid);
    }
    sspr_ldap_entry_free(&u);
    sspr_ldap_entry_free(&g);
    return member;
}

/* ---- the password -------------------------------------------------------------- */

/* UTF-8 (strict: no overlong forms, no surrogates, nothing past U+10FFFF)
 * to UTF-16LE, between double quotes: the value of unicodePwd. out must
 * hold 2 * (strlen(in) + 2) bytes. Returns the length, -1 if in is not
 * UTF-8. */
long sspr_ldap_ad_unicode_pwd(const char *in, unsigned char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;

#define PUT16(u)                                                                                   \
    do {                                                                                           \
        if (o + 2 > size)                                                                          \
            return -1;                                                                             \
        out[o++] = (unsigned char)((u)&0xff);                                                      \
        out[o++] = (unsigned char)((u) >> 8);                                                      \
    } while (0)
    PUT16('"');
    while (*p != '\0') {
        unsigned long c;
        int extra;

        if (*p < 0x80) {
            c = *p;
            extra = 0;
        } else if ((*p & 0xe0) == 0xc0) {
            c = *p & 0x1f;
            extra = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            c = *p & 0x0f;
            extra = 2;
        } else if ((*p & 0xf8) == 0xf0) {
            c = *p & 0x07;
            extra = 3;
        } else {
            return -1;
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            c = c << 6 | (*p & 0x3f);
        }
        if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) || (extra == 3 && c < 0x10000) ||
            c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0)
            return -1;
        if (c >= 0x10000) {
            c -= 0x10000;
            PUT16(0xd800 | (c >> 10));
            PUT16(0xdc00 | (c & 0x3ff));
        } else {
            PUT16(c);
        }
    }
    PUT16('"');
#undef PUT16
    return (long)o;
}

int sspr_ldap_ad_set_password(struct sspr_backend *be, const struct sspr_account *acct,
                              const char *password, int *code, char *diag, size_t diaglen)
{
    size_t size = 2 * (strlen(password) + 2);
    unsigned char *v = malloc(size);
    struct sspr_msg_buf b;
    long n;
    int rc;

    *code = -1;
    if (v == NULL)
        return SSPR_ERR_NOMEM;
    if (!sspr_ldap_ad_tls(be->cfg)) {
        /* dialect = auto found AD on a connection without TLS: AD would
         * refuse the password anyway (and it must not cross in clear) */
        syslog(LOG_ERR, "directory: Active Directory needs TLS for a password: use ldaps:// or "
                        "starttls = required");
        be->code = SSPR_E_CONFIG_INVALID;
        free(v);
        return SSPR_ERR_UNAVAILABLE;
    }
    if ((n = sspr_ldap_ad_unicode_pwd(password, v, size)) < 0) {
        free(v);
        *code = SSPR_LDAP_CONSTRAINT;
        sspr_set_err(diag, diaglen, "the new password is not valid UTF-8");
        return SSPR_OK;
    }
    sspr_ldap_modify_req(&b, acct->id);
    sspr_ldap_mod(&b, "replace", "unicodePwd");
    sspr_ldap_val(&b, v, (size_t)n);
    /* -1: "set now", so the user is not made to change it again at once */
    sspr_ldap_mod(&b, "replace", "pwdLastSet");
    sspr_ldap_val(&b, "-1", 2);
    sspr_wipe(v, size);
    free(v);
    rc = sspr_ldap_send_modify(be, &b, code, diag, diaglen);
    return rc;
}

int sspr_ldap_ad_refusal(int code, const char *diag, char *msg, size_t msglen)
{
    /* WERR_PASSWORD_RESTRICTION: length, complexity, history or minimum age */
    if (strstr(diag, "0000052D") != NULL || strstr(diag, "0000052d") != NULL) {
        sspr_set_err(msg, msglen, "%s",
                     _("That password does not meet the domain's length, complexity "
                       "or history rules. Choose another one."));
        return 1;
    }
    if (code == SSPR_LDAP_CONSTRAINT && strstr(diag, "UTF-8") != NULL) {
        sspr_set_err(msg, msglen, "%s", _("That password cannot be used (it is not valid text)."));
        return 1;
    }
    if (code == SSPR_LDAP_UNWILLING || code == SSPR_LDAP_CONSTRAINT) {
        sspr_set_err(msg, msglen, "%s", _("The domain did not accept that password. Choose another one."));
        return 1;
    }
    return 0;
}

int sspr_ldap_ad_unlock(struct sspr_backend *be, const struct sspr_account *acct)
{
    static const char *const attrs[] = { "lockoutTime", NULL };
    struct sspr_ldap_entry e;
    struct sspr_msg_buf b;
    long long t = 0;
    char msg[256];
    int code = 0, rc = sspr_ldap_read_entry(be, acct, attrs, &e);

    if (rc != SSPR_OK)
        return rc;
    if (sspr_ldap_value_ll(&e, "lockoutTime", &t) != 0 || t == 0) {
        sspr_ldap_entry_free(&e);
        return SSPR_OK;
    }
    sspr_ldap_modify_req(&b, e.dn);
    sspr_ldap_mod(&b, "replace", "lockoutTime");
    sspr_ldap_val(&b, "0", 1);
    sspr_ldap_entry_free(&e);
    rc = sspr_ldap_send_modify(be, &b, &code, msg, sizeof(msg));
    if (rc == SSPR_OK && code == 0)
        syslog(LOG_NOTICE, "directory: %s's domain lockout lifted (lockoutTime = 0)", acct->name);
    else if (rc == SSPR_OK)
        syslog(LOG_WARNING, "directory: lifting %s's domain lockout failed: %s (%d)", acct->name,
               msg, code);
    return rc;
}

/* ---- doctor --------------------------------------------------------------------------- */

/* A binary value as an RFC 4515 filter value (every byte \XX). */
static int escape_bin(const struct sspr_msg_item *v, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";

    if (3 * v->len + 1 > size)
        return -1;
    for (size_t i = 0; i < v->len; i++) {
        out[3 * i] = '\\';
        out[3 * i + 1] = hex[v->val[i] >> 4];
        out[3 * i + 2] = hex[v->val[i] & 15];
    }
    out[3 * v->len] = '\0';
    return 0;
}

static const char *const SSPR_NAMES[] = {
    A_TOTP_SECRET, A_TOTP_STEP, A_RECOVERY_KEY, A_RECOVERY_CODE, A_QUESTION,
    A_REGISTERED,  A_METHOD,    A_THROTTLE,     A_GRANT,         NULL,
};

static void doctor_service_account(struct sspr_backend *be, struct sspr_report *r)
{
    static const char *const attrs[] = { "adminCount", "memberOf", NULL };
    const struct sspr_config *cfg = be->cfg;
    struct sspr_ldap_entry e;
    const struct sspr_msg_item *v[64];
    long long admin = 0;
    int found = 0;

    if (cfg->ldap_bind_dn[0] == '\0') {
        sspr_fail(r, SSPR_E_DIRECTORY_BIND,
                  "ldap bind_dn: empty; Active Directory needs a "
                  "service account (docs/active-directory.md)");
        return;
    }
    if (sspr_ldap_search_one(be, cfg->ldap_bind_dn, "base", "(objectClass=*)", attrs, &e, &found) !=
            SSPR_OK ||
        found != 1) {
        sspr_warn(r,
                  "ldap bind_dn %s: its entry could not be read; how privileged it is was "
                  "not checked",
                  cfg->ldap_bind_dn);
        return;
    }
    size_t n = sspr_ldap_values(&e, "memberOf", v, 64);
    if (sspr_ldap_value_ll(&e, "adminCount", &admin) == 0 && admin != 0)
        sspr_fail_fix(
            r, SSPR_E_DIRECTORY_BIND,
            "use an unprivileged account with only the rights in docs/active-directory.md",
            "ldap bind_dn %s is a protected (administrative) account (adminCount = 1)",
            cfg->ldap_bind_dn);
    else
        sspr_pass(r, "ldap bind_dn %s: not a protected account (%zu direct group%s)",
                  cfg->ldap_bind_dn, n, n == 1 ? "" : "s");
    sspr_ldap_entry_free(&e);
}

static void doctor_rights(struct sspr_backend *be, struct sspr_report *r)
{
    static const char *const attrs[] = { "allowedAttributesEffective", NULL };
    const struct sspr_config *cfg = be->cfg;
    struct sspr_ldap_entry e;
    char missing[512] = "";
    int rc = first_entry(be, cfg->ldap_base, "sub", "(&(objectCategory=person)(objectClass=user))",
                         attrs, &e);
    static const char *const need[] = { "pwdLastSet", "lockoutTime", NULL };

    if (rc <= 0) {
        sspr_warn(r, "ldap base %s: %s; the service account's rights were not checked",
                  cfg->ldap_base, rc == 0 ? "no user entry found" : "searching it failed");
        return;
    }
    for (int k = 0; k < 2; k++) {
        const char *const *list = k == 0 ? need : SSPR_NAMES;

        for (size_t i = 0; list[i] != NULL; i++)
            if (!sspr_ldap_has_value(&e, "allowedAttributesEffective", list[i])) {
                size_t len = strlen(missing);
                snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? " " : "", list[i]);
            }
    }
    if (missing[0] != '\0')
        sspr_fail_fix(r, SSPR_E_DIRECTORY_BIND,
                      "grant them on the users' OU with samba-tool dsacl set (or dsacls): "
                      "docs/active-directory.md",
                      "ldap: the service account may not write %s on %s", missing, e.dn);
    else
        sspr_pass(r,
                  "ldap: the service account writes pwdLastSet, lockoutTime and the sspr "
                  "attributes on %s (the Reset Password right shows only in a reset: "
                  "SSPR-E404 if it is missing)",
                  e.dn);
    sspr_ldap_entry_free(&e);
}

static void doctor_schema(struct sspr_backend *be, struct sspr_report *r)
{
    static const char *const attrs[] = { "searchFlags", NULL };
    struct sspr_ldap *l = sspr_ldap_of(be);
    struct sspr_ldap_entry e;
    char filter[128], open[256] = "";
    int found = 0, absent = 0;

    if (!l->root_read)
        (void)read_root_dse(be);
    if (l->schema_dn[0] == '\0') {
        sspr_warn(r, "ldap schema: the root DSE names no schemaNamingContext; not checked");
        return;
    }
    for (size_t i = 0; SSPR_NAMES[i] != NULL; i++) {
        long long flags = 0;

        snprintf(filter, sizeof(filter), "(&(objectClass=attributeSchema)(lDAPDisplayName=%s))",
                 SSPR_NAMES[i]);
        if (sspr_ldap_search_one(be, l->schema_dn, "one", filter, attrs, &e, &found) != SSPR_OK)
            return;
        if (found != 1) {
            absent++;
            continue;
        }
        /* 0x80: confidential, readable only with the control access right */
        if (sspr_ldap_value_ll(&e, "searchFlags", &flags) != 0 || (flags & 0x80) == 0) {
            size_t len = strlen(open);
            snprintf(open + len, sizeof(open) - len, "%s%s", len ? " " : "", SSPR_NAMES[i]);
        }
        sspr_ldap_entry_free(&e);
    }
    if (absent > 0)
        sspr_fail_fix(r, SSPR_E_DIRECTORY_SCHEMA, "extend the schema: docs/active-directory.md",
                      "ldap schema: %d of the sspr attributes are not in the schema", absent);
    else if (open[0] != '\0')
        sspr_fail_fix(r, SSPR_E_DIRECTORY_SCHEMA,
                      "set searchFlags 128 (confidential) on them: docs/active-directory.md",
                      "ldap schema: %s not confidential: users can read their own secrets", open);
    else
        sspr_pass(r, "ldap schema: the sspr attributes are there and confidential");
}

/* Protected and Domain Admins accounts where the service account's rights reach. */
static void doctor_admins_in_base(struct sspr_backend *be, struct sspr_report *r)
{
    static const char *const none[] = { "1.1", NULL };
    static const char *const sidattr[] = { "objectSid", NULL };
    const struct sspr_config *cfg = be->cfg;
    const char *dom = domain_dn(be);
    struct sspr_ldap_entry e;
    const struct sspr_msg_item *sid;
    unsigned char das[SID_MAX];
    struct sspr_msg_item da;
    char esc[3 * SID_MAX + 1], filter[3 * SSPR_LDAP_DN_MAX + 64];
    int found = 0;

    if (first_entry(be, cfg->ldap_base, "sub", "(&(objectCategory=person)(adminCount=1))", none,
                    &e) == 1) {
        sspr_warn(r,
                  "ldap base %s holds protected accounts (adminCount = 1, e.g. %s): they are "
                  "refused (SSPR-E214), but the service account's rights on the OU may reach "
                  "them: keep administrators outside it",
                  cfg->ldap_base, e.dn);
        sspr_ldap_entry_free(&e);
    }
    /* Domain Admins by its SID (domain SID + 512), whatever its name */
    if (dom == NULL ||
        sspr_ldap_search_one(be, dom, "base", "(objectClass=*)", sidattr, &e, &found) != SSPR_OK ||
        found != 1)
        return;
    sid = sspr_ldap_value(&e, "objectSid");
    if (sid == NULL || sid->len + 4 > sizeof(das) || sid->len < 8) {
        sspr_ldap_entry_free(&e);
        return;
    }
    memcpy(das, sid->val, sid->len);
    das[1]++; /* one more sub-authority */
    das[sid->len] = RID_DOMAIN_ADMINS & 0xff;
    das[sid->len + 1] = RID_DOMAIN_ADMINS >> 8;
    das[sid->len + 2] = 0;
    das[sid->len + 3] = 0;
    da.val = das;
    da.len = sid->len + 4;
    sspr_ldap_entry_free(&e);
    if (escape_bin(&da, esc, sizeof(esc)) != 0)
        return;
    snprintf(filter, sizeof(filter), "(objectSid=%s)", esc);
    if (sspr_ldap_search_one(be, dom, "sub", filter, none, &e, &found) != SSPR_OK || found != 1)
        return;
    char dadn[SSPR_LDAP_DN_MAX], escdn[3 * SSPR_LDAP_DN_MAX + 1];
    snprintf(dadn, sizeof(dadn), "%s", e.dn);
    sspr_ldap_entry_free(&e);
    if (sspr_ldap_escape(dadn, escdn, sizeof(escdn)) != 0)
        return;
    if (snprintf(filter, sizeof(filter), "(memberOf:1.2.840.113556.1.4.1941:=%s)", escdn) >=
        (int)sizeof(filter))
        return;
    if (first_entry(be, cfg->ldap_base, "sub", filter, none, &e) == 1) {
        sspr_warn(r,
                  "ldap base %s holds members of %s (e.g. %s) without adminCount: the "
                  "service account can reset their passwords directly (Samba runs no "
                  "SDProp); they get admin_gates here, but keep administrators outside the OU",
                  cfg->ldap_base, dadn, e.dn);
        sspr_ldap_entry_free(&e);
    } else {
        sspr_pass(r, "ldap base %s: no protected account or Domain Admins member in it",
                  cfg->ldap_base);
    }
}

void sspr_ldap_ad_doctor(struct sspr_backend *be, struct sspr_report *r)
{
    const struct sspr_config *cfg = be->cfg;

    if (sspr_ldap_ad_tls(cfg))
        sspr_pass(r,
                  "ldap %s: Active Directory (%s), TLS with the certificate verified, bound "
                  "as %s",
                  cfg->ldap_uri,
                  cfg->ldap_dialect == SSPR_LDAP_DIALECT_AD ? "dialect = ad" : "detected",
                  cfg->ldap_bind_dn[0] ? cfg->ldap_bind_dn : "(anonymous)");
    else
        sspr_fail_fix(r, SSPR_E_DIRECTORY, "use ldaps:// or starttls = required",
                      "ldap %s: Active Directory without TLS: it sets no password that way",
                      cfg->ldap_uri);
    doctor_service_account(be, r);
    doctor_rights(be, r);
    doctor_schema(be, r);
    doctor_admins_in_base(be, r);
    /* OldPasswordAllowedPeriod is no attribute: a registry value of each
     * Windows DC, smb.conf "old password allowed period" on Samba */
    sspr_warn(r, "ldap: after a reset Active Directory keeps accepting the OLD password over "
                 "NTLM and LDAP simple bind for 'old password allowed period' minutes (default "
                 "60; Windows: OldPasswordAllowedPeriod in each DC's registry). LDAP cannot "
                 "read it: check it is 0 on every domain controller (docs/active-directory.md)");
}
