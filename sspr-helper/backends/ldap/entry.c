/* Searching for one entry, reading its values, filters and modify
 * requests: what the rest of the LDAP backend builds on. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "backends/ldap/ldap.h"
#include "errbuf.h"
#include "sspr-ldap/proto.h"

int sspr_ldap_escape(const char *value, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        int esc = *p == '*' || *p == '(' || *p == ')' || *p == '\\' || *p >= 0x80 || *p < 0x20;

        if (o + (esc ? 3 : 1) >= size)
            return -1;
        if (esc) {
            out[o++] = '\\';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    if (o >= size)
        return -1;
    out[o] = '\0';
    return 0;
}

int sspr_ldap_user_filter(const char *f, const char *name, char *out, size_t size)
{
    const char *at = strstr(f, "%s");
    char esc[3 * 256 + 1];
    int n;

    if (at == NULL || sspr_ldap_escape(name, esc, sizeof(esc)) != 0)
        return -1;
    n = snprintf(out, size, "%.*s%s%s", (int)(at - f), f, esc, at + 2);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

void sspr_ldap_entry_free(struct sspr_ldap_entry *e)
{
    sspr_msg_free(&e->ans);
    memset(e, 0, sizeof(*e));
}

int sspr_ldap_search_one(struct sspr_backend *be, const char *base, const char *scope,
                         const char *filter, const char *const *attrs,
                         struct sspr_ldap_entry *out, int *found)
{
    struct sspr_msg_buf b;
    char msg[256];
    size_t ndn = 0, first = 0;
    int rc, code;

    memset(out, 0, sizeof(*out));
    *found = 0;
    sspr_ldap_req(&b, SSPR_LDAP_OP_SEARCH);
    sspr_msg_add_str(&b, "base", base);
    sspr_msg_add_str(&b, "scope", scope);
    sspr_msg_add_str(&b, "filter", filter);
    for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i++)
        sspr_msg_add_str(&b, "attr", attrs[i]);
    sspr_msg_add_int(&b, "limit", 2);
    rc = sspr_ldap_call(be, &b, &out->ans, &code, msg, sizeof(msg));
    if (rc != SSPR_OK)
        return rc;
    if (code == SSPR_LDAP_SIZELIMIT) {
        *found = 2;
        sspr_ldap_entry_free(out);
        return SSPR_OK;
    }
    if (code == SSPR_LDAP_NO_SUCH_OBJECT && strcmp(scope, "base") == 0) {
        sspr_ldap_entry_free(out);
        return SSPR_OK; /* the entry itself is gone */
    }
    if (code != SSPR_LDAP_SUCCESS) {
        syslog(LOG_ERR, "directory: search under %s failed: %s (%d)", base, msg, code);
        goto fail;
    }
    for (size_t i = 0; i < out->ans.n; i++) {
        if (strcmp(out->ans.items[i].key, "dn") == 0) {
            if (ndn++ == 0)
                first = i;
        }
    }
    if (ndn > 1) {
        *found = 2;
        sspr_ldap_entry_free(out);
        return SSPR_OK;
    }
    if (ndn == 0) {
        sspr_ldap_entry_free(out);
        return SSPR_OK;
    }
    const struct sspr_msg_item *dn = &out->ans.items[first];
    if (dn->len == 0 || dn->len >= sizeof(out->dn) || memchr(dn->val, '\0', dn->len) != NULL) {
        syslog(LOG_ERR, "directory: an entry under %s has an unusable DN", base);
        goto fail;
    }
    memcpy(out->dn, dn->val, dn->len);
    out->dn[dn->len] = '\0';
    out->first = first + 1;
    out->end = out->ans.n;
    *found = 1;
    return SSPR_OK;
fail:
    sspr_ldap_entry_free(out);
    return SSPR_ERR_UNAVAILABLE;
}

size_t sspr_ldap_values(const struct sspr_ldap_entry *e, const char *name,
                        const struct sspr_msg_item **vals, size_t max)
{
    size_t n = 0, nl = strlen(name);

    for (size_t i = e->first; i < e->end; i++) {
        const struct sspr_msg_item *it = &e->ans.items[i];

        if (strcmp(it->key, "attr") != 0 || it->len != nl ||
            strncasecmp((const char *)it->val, name, nl) != 0)
            continue;
        for (i++; i < e->end && strcmp(e->ans.items[i].key, "val") == 0; i++)
            if (n < max)
                vals[n++] = &e->ans.items[i];
        break;
    }
    return n;
}

const struct sspr_msg_item *sspr_ldap_value(const struct sspr_ldap_entry *e, const char *name)
{
    const struct sspr_msg_item *v = NULL;

    return sspr_ldap_values(e, name, &v, 1) == 1 ? v : NULL;
}

int sspr_ldap_value_str(const struct sspr_ldap_entry *e, const char *name, char *buf, size_t size)
{
    const struct sspr_msg_item *v = sspr_ldap_value(e, name);

    if (size > 0)
        buf[0] = '\0';
    if (v == NULL || v->len >= size || memchr(v->val, '\0', v->len) != NULL)
        return -1;
    memcpy(buf, v->val, v->len);
    buf[v->len] = '\0';
    return 0;
}

int sspr_ldap_value_ll(const struct sspr_ldap_entry *e, const char *name, long long *out)
{
    char buf[32], *end;

    if (sspr_ldap_value_str(e, name, buf, sizeof(buf)) != 0 || buf[0] == '\0')
        return -1;
    *out = strtoll(buf, &end, 10);
    return *end == '\0' ? 0 : -1;
}

int sspr_ldap_has_value(const struct sspr_ldap_entry *e, const char *name, const char *v)
{
    const struct sspr_msg_item *vals[64];
    size_t n = sspr_ldap_values(e, name, vals, 64), vl = strlen(v);

    for (size_t i = 0; i < n; i++)
        if (vals[i]->len == vl && strncasecmp((const char *)vals[i]->val, v, vl) == 0)
            return 1;
    return 0;
}

void sspr_ldap_modify_req(struct sspr_msg_buf *b, const char *dn)
{
    sspr_ldap_req(b, SSPR_LDAP_OP_MODIFY);
    sspr_msg_add_str(b, "dn", dn);
}

void sspr_ldap_mod(struct sspr_msg_buf *b, const char *op, const char *attr)
{
    sspr_msg_add_str(b, "mod", op);
    sspr_msg_add_str(b, "attr", attr);
}

void sspr_ldap_val(struct sspr_msg_buf *b, const void *v, size_t len)
{
    sspr_msg_add(b, "val", v, len);
}

int sspr_ldap_send_modify(struct sspr_backend *be, struct sspr_msg_buf *b, int *rc, char *msg,
                          size_t msglen)
{
    struct sspr_msg ans;
    int r = sspr_ldap_call(be, b, &ans, rc, msg, msglen);

    if (r == SSPR_OK)
        sspr_msg_free(&ans);
    return r;
}

int sspr_ldap_conflict(int rc)
{
    /* the old value was gone (16), or a value to add was there already
     * (20; 19 for a second value of a single-valued attribute) */
    return rc == SSPR_LDAP_NO_SUCH_ATTRIBUTE || rc == SSPR_LDAP_TYPE_OR_VALUE_EXISTS ||
           rc == SSPR_LDAP_CONSTRAINT;
}
