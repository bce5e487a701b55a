/*
 * The reset in the directory. The grant is the flow id in ssprResetGrant;
 * commit takes it by deleting exactly that value (a second flow's delete
 * finds it gone: of two racing resets one commits), then sets the password
 * with the Password Modify extended operation (RFC 3062) under proxied
 * authorization as the user (RFC 4370), so slapo-ppolicy judges it as the
 * user's own change: quality, length and history apply, and no "must
 * change" flag is left. If the policy refuses the password, the grant is
 * put back, so the user may try another one in the same flow.
 *
 * Active Directory (ad.c): the service account replaces unicodePwd and sets
 * pwdLastSet = -1 in one modify (AD has no Password Modify operation, and a
 * reset is an administrator's: complexity and length apply, history does
 * not); its lockout is lockoutTime, which the reset leaves alone unless
 * unlock_on_reset lifts it.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "backends/ldap/attrs.h"
#include "backends/ldap/ldap.h"
#include "errbuf.h"
#include "sspr-ldap/proto.h"
#include "support/errors.h"
#include "support/i18n.h"

#define PPOLICY_LOCKED_FOREVER "000001010000Z"
#define OC_VIOLATION 65

static int set_grant(struct sspr_backend *be, const char *dn, const char *flow_id, int with_oc,
                     const char *op, int *code)
{
    struct sspr_msg_buf b;
    char msg[256];

    sspr_ldap_modify_req(&b, dn);
    if (with_oc) {
        sspr_ldap_mod(&b, "add", "objectClass");
        sspr_ldap_val(&b, A_OC, strlen(A_OC));
    }
    sspr_ldap_mod(&b, op, A_GRANT);
    sspr_ldap_val(&b, flow_id, strlen(flow_id));
    return sspr_ldap_send_modify(be, &b, code, msg, sizeof(msg));
}

int sspr_ldap_grant(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id)
{
    int code = 0, rc = set_grant(be, acct->id, flow_id, 0, "replace", &code);

    /* an entry without the objectClass yet (email from the directory only) */
    if (rc == SSPR_OK && code == OC_VIOLATION)
        rc = set_grant(be, acct->id, flow_id, 1, "replace", &code);
    if (rc == SSPR_OK && code != 0) {
        syslog(LOG_ERR, "directory: the reset grant of %s could not be written (%d)", acct->name,
               code);
        be->code =
            code == SSPR_LDAP_INSUFFICIENT_ACCESS ? SSPR_E_DIRECTORY_BIND : SSPR_E_DIRECTORY_SCHEMA;
        return SSPR_ERR_UNAVAILABLE;
    }
    return rc;
}

/* The policy's refusal in the project's words (the user sees it). */
static void refusal(const char *diag, char *msg, size_t msglen)
{
    if (strcasestr(diag, "history") != NULL || strcasestr(diag, "existing value") != NULL)
        sspr_set_err(msg, msglen, "%s",
                     _("That password was used before. Choose one you have not used."));
    else if (strcasestr(diag, "too young") != NULL)
        sspr_set_err(msg, msglen, "%s",
                     _("The directory does not allow another password change yet."));
    else if (strcasestr(diag, "short") != NULL)
        sspr_set_err(msg, msglen, "%s",
                     _("That password is too short for the directory's policy."));
    else
        sspr_set_err(msg, msglen, "%s",
                     _("The directory's password policy did not accept that password."));
}

static void clear_lockout(struct sspr_backend *be, const struct sspr_account *acct)
{
    static const char *const attrs[] = { "pwdAccountLockedTime", NULL };
    struct sspr_ldap_entry e;
    struct sspr_msg_buf b;
    char locked[32], msg[256];
    int code = 0;

    if (sspr_ldap_is_ad(be)) {
        (void)sspr_ldap_ad_unlock(be, acct);
        return;
    }
    if (sspr_ldap_read_entry(be, acct, attrs, &e) != SSPR_OK)
        return;
    if (sspr_ldap_value_str(&e, "pwdAccountLockedTime", locked, sizeof(locked)) == 0 &&
        strcmp(locked, PPOLICY_LOCKED_FOREVER) != 0) {
        /* ppolicy's lockout after failed binds; an administrator's lock
         * (the "forever" value) is never lifted */
        sspr_ldap_modify_req(&b, e.dn);
        sspr_ldap_mod(&b, "delete", "pwdAccountLockedTime");
        sspr_ldap_val(&b, locked, strlen(locked));
        if (sspr_ldap_send_modify(be, &b, &code, msg, sizeof(msg)) == SSPR_OK && code == 0)
            syslog(LOG_NOTICE, "directory: %s's password policy lockout lifted", acct->name);
        else if (code != 0 && code != SSPR_LDAP_NO_SUCH_ATTRIBUTE)
            syslog(LOG_WARNING, "directory: lifting %s's lockout failed: %s (%d)", acct->name, msg,
                   code);
    }
    sspr_ldap_entry_free(&e);
}

/* The lockout value the account had before the password changed, back in
 * place (unlock_on_reset = no). */
static void keep_lockout(struct sspr_backend *be, const struct sspr_account *acct,
                         const char *locked)
{
    struct sspr_msg_buf b;
    char msg[256];
    int code = 0;

    sspr_ldap_modify_req(&b, acct->id);
    sspr_ldap_mod(&b, "add", "pwdAccountLockedTime");
    sspr_ldap_val(&b, locked, strlen(locked));
    if (sspr_ldap_send_modify(be, &b, &code, msg, sizeof(msg)) == SSPR_OK && code == 0)
        syslog(LOG_NOTICE, "directory: %s's password policy lockout kept (unlock_on_reset = no)",
               acct->name);
    else if (code != SSPR_LDAP_TYPE_OR_VALUE_EXISTS && code != SSPR_LDAP_CONSTRAINT)
        syslog(LOG_WARNING, "directory: keeping %s's lockout failed: %s (%d)", acct->name, msg,
               code);
}

enum sspr_commit sspr_ldap_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                  const char *flow_id, const char *password, char *msg,
                                  size_t msglen)
{
    struct sspr_account now;
    struct sspr_msg_buf b;
    struct sspr_msg ans;
    struct sspr_ldap_entry e;
    char diag[256], authz[SSPR_LDAP_DN_MAX + 4], locked[32] = "";
    int code = 0;

    msg[0] = '\0';
    /* eligible still, and still the same entry */
    if (sspr_ldap_resolve(be, acct->name, &now) != SSPR_OK)
        return SSPR_COMMIT_ERROR;
    if (sspr_ldap_take_cached(be, now.id, &e)) {
        /* slapo-ppolicy lifts its lockout when the password changes: put it
         * back afterwards unless unlock_on_reset says to lift it */
        if (sspr_ldap_value_str(&e, "pwdAccountLockedTime", locked, sizeof(locked)) != 0)
            locked[0] = '\0';
        sspr_ldap_entry_free(&e);
    }
    if (now.why != SSPR_ACCT_OK || strcmp(now.id, acct->id) != 0)
        return SSPR_COMMIT_CHANGED;
    /* take the grant: only the flow that holds it gets past this */
    if (set_grant(be, acct->id, flow_id, 0, "delete", &code) != SSPR_OK)
        return SSPR_COMMIT_ERROR;
    if (code == SSPR_LDAP_NO_SUCH_ATTRIBUTE)
        return SSPR_COMMIT_LOST;
    if (code != 0)
        return SSPR_COMMIT_ERROR;
    if (sspr_ldap_is_ad(be)) {
        if (sspr_ldap_ad_set_password(be, acct, password, &code, diag, sizeof(diag)) != SSPR_OK)
            return SSPR_COMMIT_ERROR; /* the grant is spent: start over (docs/security.md 20) */
    } else {
        sspr_ldap_req(&b, SSPR_LDAP_OP_PASSWD);
        sspr_msg_add_str(&b, "dn", acct->id);
        sspr_msg_add_str(&b, "new", password);
        snprintf(authz, sizeof(authz), "dn:%s", acct->id);
        sspr_msg_add_str(&b, "authzid", authz);
        if (sspr_ldap_call(be, &b, &ans, &code, diag, sizeof(diag)) != SSPR_OK)
            return SSPR_COMMIT_ERROR; /* the grant is spent: start over (docs/security.md 20) */
        sspr_msg_free(&ans);
    }
    if (code == SSPR_LDAP_SUCCESS) {
        if (be->cfg->ldap_unlock_on_reset)
            clear_lockout(be, acct);
        else if (locked[0] != '\0')
            keep_lockout(be, acct, locked);
        return SSPR_COMMIT_OK;
    }
    syslog(LOG_NOTICE, "directory: password modify for %s refused: %s (%d)", acct->name, diag,
           code);
    if (code == SSPR_LDAP_CONSTRAINT || code == SSPR_LDAP_UNWILLING) {
        int c2 = 0;

        if (!sspr_ldap_is_ad(be) || !sspr_ldap_ad_refusal(code, diag, msg, msglen))
            refusal(diag, msg, msglen);
        /* the grant back, for the next try (a newer flow's grant wins) */
        (void)set_grant(be, acct->id, flow_id, 0, "add", &c2);
        return SSPR_COMMIT_REFUSED;
    }
    be->code = SSPR_E_DIRECTORY_WRITE;
    return SSPR_COMMIT_ERROR;
}

int sspr_ldap_unlock(struct sspr_backend *be, const struct sspr_account *acct)
{
    if (!acct->known || acct->id[0] == '\0')
        return SSPR_ERR_INVAL;
    clear_lockout(be, acct);
    return SSPR_OK;
}
