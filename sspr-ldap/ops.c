/* search, modify, passwd, whoami on the open connection (proto.h). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "ldapc.h"
#include "proto.h"

#define MAX_ATTRS 64
#define MAX_MODS 64
#define MAX_VALS 256

static int scope_of(const struct sspr_msg *req)
{
    const struct sspr_msg_item *s = sspr_msg_get(req, "scope");

    if (sspr_msg_is(s, "base"))
        return LDAP_SCOPE_BASE;
    if (sspr_msg_is(s, "one"))
        return LDAP_SCOPE_ONELEVEL;
    if (sspr_msg_is(s, "sub"))
        return LDAP_SCOPE_SUBTREE;
    return -1;
}

static void bad(struct sspr_msg_buf *out, const char *why)
{
    sspr_msg_add_int(out, "rc", LDAP_PARAM_ERROR);
    sspr_msg_add_str(out, "err", why);
}

/* One entry's dn, attributes and values. */
static void add_entry(LDAP *ld, LDAPMessage *e, struct sspr_msg_buf *out)
{
    BerElement *ber = NULL;
    char *dn = ldap_get_dn(ld, e);

    sspr_msg_add_str(out, "dn", dn != NULL ? dn : "");
    if (dn != NULL)
        ldap_memfree(dn);
    for (char *a = ldap_first_attribute(ld, e, &ber); a != NULL;
         a = ldap_next_attribute(ld, e, ber)) {
        struct berval **vals = ldap_get_values_len(ld, e, a);

        sspr_msg_add_str(out, "attr", a);
        for (size_t i = 0; vals != NULL && vals[i] != NULL; i++)
            sspr_msg_add(out, "val", vals[i]->bv_val, vals[i]->bv_len);
        if (vals != NULL)
            ldap_value_free_len(vals);
        ldap_memfree(a);
    }
    if (ber != NULL)
        ber_free(ber, 0);
}

void sspr_ldapc_search(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out)
{
    char *base = sspr_ldapc_dup(req, "base"), *filter = sspr_ldapc_dup(req, "filter");
    char *attrs[MAX_ATTRS + 1];
    size_t n = 0, at = 0;
    long long limit = 0;
    int scope = scope_of(req), rc;
    LDAPMessage *res = NULL;
    const struct sspr_msg_item *it;

    while ((it = sspr_msg_next(req, &at, "attr")) != NULL && n < MAX_ATTRS) {
        if ((attrs[n] = malloc(it->len + 1)) == NULL)
            break;
        memcpy(attrs[n], it->val, it->len);
        attrs[n++][it->len] = '\0';
    }
    attrs[n] = NULL;
    if (base == NULL || filter == NULL || scope < 0 || sspr_msg_get_int(req, "limit", &limit) ||
        limit < 0 || limit > 1000 || it != NULL) {
        bad(out, "bad search request");
        goto done;
    }
    rc = ldap_search_ext_s(ld, base, scope, filter, n > 0 ? attrs : NULL, 0, NULL, NULL, NULL,
                           (int)limit, &res);
    sspr_ldapc_result(ld, rc, out);
    if (res != NULL)
        for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e))
            add_entry(ld, e, out);
done:
    if (res != NULL)
        ldap_msgfree(res);
    for (size_t i = 0; i < n; i++)
        free(attrs[i]);
    free(base);
    free(filter);
}

/* The modification list of a modify request, pointing into req. */
struct mods {
    LDAPMod mod[MAX_MODS], *list[MAX_MODS + 1];
    struct berval bv[MAX_VALS], *vals[MAX_VALS + MAX_MODS];
    char *types[MAX_MODS];
    size_t nmod;
};

static void mods_free(struct mods *m)
{
    for (size_t i = 0; i < m->nmod; i++)
        free(m->types[i]);
}

static int mods_parse(const struct sspr_msg *req, struct mods *m)
{
    size_t nbv = 0, nvp = 0, i = 0;

    memset(m, 0, sizeof(*m));
    while (i < req->n) {
        const struct sspr_msg_item *op = &req->items[i];
        int code;

        if (strcmp(op->key, "mod") != 0) {
            i++;
            continue;
        }
        if (sspr_msg_is(op, "add"))
            code = LDAP_MOD_ADD;
        else if (sspr_msg_is(op, "delete"))
            code = LDAP_MOD_DELETE;
        else if (sspr_msg_is(op, "replace"))
            code = LDAP_MOD_REPLACE;
        else
            return -1;
        if (m->nmod >= MAX_MODS || i + 1 >= req->n || strcmp(req->items[i + 1].key, "attr") != 0 ||
            req->items[i + 1].len == 0 || memchr(req->items[i + 1].val, '\0', req->items[i + 1].len))
            return -1;
        LDAPMod *md = &m->mod[m->nmod];
        if ((m->types[m->nmod] = strndup((const char *)req->items[i + 1].val,
                                         req->items[i + 1].len)) == NULL)
            return -1;
        md->mod_op = code | LDAP_MOD_BVALUES;
        md->mod_type = m->types[m->nmod];
        md->mod_bvalues = &m->vals[nvp];
        m->list[m->nmod] = md;
        m->nmod++;
        for (i += 2; i < req->n && strcmp(req->items[i].key, "val") == 0; i++) {
            if (nbv >= MAX_VALS)
                return -1;
            m->bv[nbv].bv_val = sspr_ldapc_unconst(req->items[i].val);
            m->bv[nbv].bv_len = req->items[i].len;
            m->vals[nvp++] = &m->bv[nbv++];
        }
        m->vals[nvp++] = NULL;
    }
    m->list[m->nmod] = NULL;
    return m->nmod > 0 ? 0 : -1;
}

void sspr_ldapc_modify(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out)
{
    char *dn = sspr_ldapc_dup(req, "dn");
    struct mods *m = malloc(sizeof(*m));

    if (m == NULL || dn == NULL || dn[0] == '\0' || mods_parse(req, m) != 0)
        bad(out, "bad modify request");
    else
        sspr_ldapc_result(ld, ldap_modify_ext_s(ld, dn, m->list, NULL, NULL), out);
    if (m != NULL) {
        mods_free(m);
        free(m);
    }
    free(dn);
}

void sspr_ldapc_passwd(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out)
{
    char *dn = sspr_ldapc_dup(req, "dn"), *authzid = sspr_ldapc_dup(req, "authzid");
    const struct sspr_msg_item *pw = sspr_msg_get(req, "new");
    LDAPControl *proxy = NULL, *ctrls[2] = { NULL, NULL };
    struct berval user, newpw, gen = { 0, NULL }, az;
    int rc;

    if (dn == NULL || dn[0] == '\0' || pw == NULL || pw->len == 0) {
        bad(out, "bad passwd request");
        goto done;
    }
    if (authzid != NULL && authzid[0] != '\0') {
        /* RFC 4370: the value is the authzId itself, and it is critical */
        az.bv_val = authzid;
        az.bv_len = strlen(authzid);
        if (ldap_control_create(LDAP_CONTROL_PROXY_AUTHZ, 1, &az, 1, &proxy) != LDAP_SUCCESS) {
            bad(out, "cannot make the proxied authorization control");
            goto done;
        }
        ctrls[0] = proxy;
    }
    user.bv_val = dn;
    user.bv_len = strlen(dn);
    newpw.bv_val = sspr_ldapc_unconst(pw->val);
    newpw.bv_len = pw->len;
    rc = ldap_passwd_s(ld, &user, NULL, &newpw, &gen, ctrls[0] != NULL ? ctrls : NULL, NULL);
    sspr_ldapc_result(ld, rc, out);
    if (gen.bv_val != NULL)
        ber_memfree(gen.bv_val);
done:
    if (proxy != NULL)
        ldap_control_free(proxy);
    free(dn);
    free(authzid);
}

void sspr_ldapc_whoami(LDAP *ld, struct sspr_msg_buf *out)
{
    struct berval *id = NULL;
    int rc = ldap_whoami_s(ld, &id, NULL, NULL);

    sspr_ldapc_result(ld, rc, out);
    if (rc == LDAP_SUCCESS && id != NULL)
        sspr_msg_add(out, "id", id->bv_val, id->bv_len);
    if (id != NULL)
        ber_bvfree(id);
}
