/*
 * doctor for backend = ldap: the configuration's files, then a connection
 * (TLS verified as in a flow), the service account's bind and identity,
 * the schema, and whether it may read the users' ssprAccount attributes.
 * Each failure names its SSPR code and says what to do.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "admin/doctor/report.h"
#include "backends/ldap/attrs.h"
#include "backends/ldap/ldap.h"
#include "sspr-ldap/proto.h"
#include "support/errors.h"

static int file_checks(struct sspr_backend *be, struct sspr_report *r)
{
    const struct sspr_config *cfg = be->cfg;
    struct stat sb;

    if (cfg->ldap_bind_pw_file[0] != '\0') {
        if (stat(cfg->ldap_bind_pw_file, &sb) != 0) {
            sspr_fail(r, SSPR_E_DIRECTORY_BIND, "ldap bind_pw_file: %s: %s",
                      cfg->ldap_bind_pw_file, strerror(errno));
            return -1;
        }
        if (sb.st_uid != 0 || (sb.st_mode & 077) != 0) {
            sspr_fail_fix(r, SSPR_E_DIRECTORY_BIND,
                          "chown root:root FILE && chmod 0600 FILE (it holds a password)",
                          "ldap bind_pw_file: %s is readable or writable by others than root",
                          cfg->ldap_bind_pw_file);
            return -1;
        }
    }
    if (cfg->ldap_ca_file[0] != '\0' && stat(cfg->ldap_ca_file, &sb) != 0) {
        sspr_fail(r, SSPR_E_DIRECTORY, "ldap ca_file: %s: %s", cfg->ldap_ca_file,
                  strerror(errno));
        return -1;
    }
    return 0;
}

void sspr_ldap_doctor(struct sspr_backend *be, struct sspr_report *r)
{
    static const char *const oc[] = { "objectClasses", NULL };
    static const char *const some[] = { A_TOTP_STEP, NULL };
    const struct sspr_config *cfg = be->cfg;
    struct sspr_ldap *l = sspr_ldap_of(be);
    struct sspr_ldap_entry e;
    struct sspr_msg_buf b;
    struct sspr_msg ans;
    char msg[512], id[SSPR_LDAP_DN_MAX];
    int code = 0, found = 0, rc;

    sspr_be_doctor(&sspr_ldap_of(be)->local, r); /* the state directory it still uses */
    if (file_checks(be, r) != 0)
        return;
    if (cfg->ldap_dialect != SSPR_LDAP_DIALECT_OPENLDAP && sspr_ldap_dialect(be) < 0) {
        const char *why = l->broken_why[0]                   ? l->broken_why
                          : l->dialect == SSPR_LDAP_DIALECT_AD ? "Active Directory takes "
                                                                 "passwords only over TLS: use "
                                                                 "ldaps:// or starttls = required"
                                                               : "the root DSE could not be read";

        sspr_fail(r, strstr(why, "bind") != NULL ? SSPR_E_DIRECTORY_BIND : SSPR_E_DIRECTORY,
                  "ldap %s: %s", cfg->ldap_uri, why);
        return;
    }
    if (sspr_ldap_is_ad(be)) {
        sspr_ldap_ad_doctor(be, r); /* no Who-am-I, no cn=Subschema: its own checks */
        return;
    }
    sspr_ldap_req(&b, SSPR_LDAP_OP_WHOAMI);
    rc = sspr_ldap_call(be, &b, &ans, &code, msg, sizeof(msg));
    if (rc != SSPR_OK) {
        int bind = strstr(msg, "bind") != NULL || strstr(msg, "bind_pw_file") != NULL;
        sspr_fail(r, bind ? SSPR_E_DIRECTORY_BIND : SSPR_E_DIRECTORY, "ldap %s: %s",
                  cfg->ldap_uri, msg);
        return;
    }
    if (sspr_msg_get_str(&ans, "id", id, sizeof(id)) != 0)
        snprintf(id, sizeof(id), "(anonymous)");
    sspr_msg_free(&ans);
    const char *uri = l->uri[0] != '\0' ? l->uri : cfg->ldap_uri;
    size_t first = strcspn(cfg->ldap_uri, " ");
    sspr_pass(r, "ldap: connected to %s%s, bound as %s", uri,
              strncasecmp(uri, "ldapi:", 6) == 0 ? ""
              : (cfg->ldap_starttls == SSPR_LDAP_STARTTLS_REQUIRED &&
                 strncasecmp(uri, "ldap:", 5) == 0) ||
                      strncasecmp(uri, "ldaps:", 6) == 0
                  ? " (TLS, certificate verified)"
                  : " (no TLS: loopback)",
              id[0] != '\0' ? id : "(anonymous)");
    if (l->skipped[0] != '\0' || strlen(uri) != first || strncmp(uri, cfg->ldap_uri, first) != 0)
        sspr_warn(r,
                  "ldap: %s; this machine uses %s until the first of [ldap] uri answers "
                  "again (writes to two providers at once are not atomic: docs/ldap.md)",
                  l->skipped[0] != '\0' ? l->skipped : "the first URI did not answer", uri);
    rc = sspr_ldap_search_one(be, "cn=Subschema", "base", "(objectClass=subschema)", oc, &e,
                              &found);
    if (rc == SSPR_OK && found == 1) {
        const struct sspr_msg_item *v[2048];
        size_t n = sspr_ldap_values(&e, "objectClasses", v, 2048), hit = 0;

        for (size_t i = 0; i < n && !hit; i++)
            hit = v[i]->len > 14 && memmem(v[i]->val, v[i]->len, "'" A_OC "'", 13) != NULL;
        sspr_ldap_entry_free(&e);
        if (hit)
            sspr_pass(r, "ldap schema: objectClass %s is known", A_OC);
        else
            sspr_fail(r, SSPR_E_DIRECTORY_SCHEMA, "ldap schema: the directory has no objectClass "
                                                  "%s", A_OC);
    } else {
        sspr_warn(r, "ldap schema: cn=Subschema could not be read; not checked");
    }
    /* the service account must read the methods: one entry that has some */
    rc = sspr_ldap_search_one(be, cfg->ldap_base, "sub", "(objectClass=" A_OC ")", some, &e,
                              &found);
    if (rc != SSPR_OK)
        sspr_fail(r, SSPR_E_DIRECTORY_BIND, "ldap base %s: searching it failed", cfg->ldap_base);
    else if (found == 0)
        sspr_warn(r, "ldap base %s: no entry has objectClass %s yet (nobody registered, or the "
                     "service account may not read them)",
                  cfg->ldap_base, A_OC);
    else
        sspr_pass(r, "ldap base %s: the service account reads registered methods", cfg->ldap_base);
    if (found == 1)
        sspr_ldap_entry_free(&e);
}
