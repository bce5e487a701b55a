/*
 * Throttle records of directory accounts live in their entry, so that every
 * machine counts the same failures: one ssprThrottle value,
 *
 *   v1 f=FAILURES s=SINCE l=LOCKED_UNTIL c=CONSECUTIVE m=totp:2,email:1 t=T1,T2
 *
 * changed by compare-and-swap (delete exactly the value read, add the new
 * one, in one modify; retried from a fresh read when another machine won),
 * so N wrong answers from any number of machines add exactly N.
 *
 * Why not Modify-Increment (RFC 4525) with the post-read control, which
 * slapd has: a charge is not an unconditional +1. It is refused while the
 * subject is locked or the method is blocked, it starts a new window when
 * the old one ran out, and the charge that reaches max_failures also
 * starts the lockout, all in the same write. An increment cannot carry
 * those conditions (the post-read shows the count only after it landed, and
 * setting the lockout would need a second write that races again), and
 * Active Directory has no increment at all. One mechanism, exact on every
 * server, is tested once. docs/architecture.md.
 *
 * Names that are no account have no entry: their records stay in the
 * embedded local store, per machine (keyed by a hash, as the local backend
 * keeps them).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "backends/ldap/attrs.h"
#include "backends/ldap/ldap.h"
#include "sspr-ldap/proto.h"
#include "support/errors.h"

#define DN_PREFIX "dn:"
#define TEXT_MAX 4096

/* ---- the text ---------------------------------------------------------------------- */

int sspr_ldap_throttle_encode(const struct sspr_throttle_rec *r, char *out, size_t size)
{
    size_t o;
    int n = snprintf(out, size, "v1 f=%lld s=%lld l=%lld c=%lld m=", r->failures, r->since,
                     r->locked_until, r->consecutive);

    if (n < 0 || (size_t)n >= size)
        return -1;
    o = (size_t)n;
    for (size_t i = 0; i < r->nmethods; i++) {
        n = snprintf(out + o, size - o, "%s%s:%lld", i ? "," : "", r->methods[i].name,
                     r->methods[i].n);
        if (n < 0 || (size_t)n >= size - o)
            return -1;
        o += (size_t)n;
    }
    n = snprintf(out + o, size - o, " t=");
    if (n < 0 || (size_t)n >= size - o)
        return -1;
    o += (size_t)n;
    for (size_t i = 0; i < r->nsends; i++) {
        n = snprintf(out + o, size - o, "%s%lld", i ? "," : "", r->sends[i]);
        if (n < 0 || (size_t)n >= size - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}

/* A decimal number at *p (no sign but '-', at most 19 digits), *p moved past it. */
static int num(const char **p, long long *out)
{
    const char *s = *p;
    char *end;

    if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
        return -1;
    *out = strtoll(s, &end, 10);
    if (end - s > 20)
        return -1;
    *p = end;
    return 0;
}

static int field(const char **p, const char *name, long long *out)
{
    size_t n = strlen(name);

    if (strncmp(*p, name, n) != 0)
        return -1;
    *p += n;
    if (num(p, out) != 0 || (**p != ' ' && **p != '\0'))
        return -1;
    if (**p == ' ')
        (*p)++;
    return 0;
}

int sspr_ldap_throttle_decode(const char *text, size_t len, struct sspr_throttle_rec *r)
{
    const char *p = text;

    memset(r, 0, sizeof(*r));
    if (len >= TEXT_MAX || strlen(text) != len || strncmp(p, "v1 ", 3) != 0)
        return SSPR_ERR_CORRUPT;
    p += 3;
    if (field(&p, "f=", &r->failures) || field(&p, "s=", &r->since) ||
        field(&p, "l=", &r->locked_until) || field(&p, "c=", &r->consecutive) ||
        strncmp(p, "m=", 2) != 0)
        return SSPR_ERR_CORRUPT;
    p += 2;
    while (*p != ' ') {
        size_t n = strcspn(p, ":");

        if (r->nmethods >= SSPR_THROTTLE_METHODS || n == 0 || n >= SSPR_THROTTLE_NAME ||
            p[n] != ':')
            return SSPR_ERR_CORRUPT;
        memcpy(r->methods[r->nmethods].name, p, n);
        r->methods[r->nmethods].name[n] = '\0';
        p += n + 1;
        if (num(&p, &r->methods[r->nmethods].n) != 0)
            return SSPR_ERR_CORRUPT;
        r->nmethods++;
        if (*p == ',' && p[1] != ' ' && p[1] != '\0')
            p++;
        else if (*p != ' ')
            return SSPR_ERR_CORRUPT;
    }
    if (strncmp(p, " t=", 3) != 0)
        return SSPR_ERR_CORRUPT;
    p += 3;
    while (*p != '\0') {
        if (r->nsends >= SSPR_THROTTLE_SENDS || num(&p, &r->sends[r->nsends++]) != 0)
            return SSPR_ERR_CORRUPT;
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p != '\0')
            return SSPR_ERR_CORRUPT;
    }
    return sspr_throttle_rec_valid(r) ? SSPR_OK : SSPR_ERR_CORRUPT;
}

/* ---- subjects ------------------------------------------------------------------------ */

int sspr_ldap_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                      struct sspr_subject *out)
{
    out->key[0] = '\0';
    if (acct != NULL && acct->known && acct->id[0] != '\0') {
        snprintf(out->key, sizeof(out->key), DN_PREFIX "%s", acct->id);
        return SSPR_OK;
    }
    return sspr_be_subject(&sspr_ldap_of(be)->local, NULL, typed, out);
}

static const char *dn_of(const struct sspr_subject *s)
{
    return strncmp(s->key, DN_PREFIX, strlen(DN_PREFIX)) == 0 ? s->key + strlen(DN_PREFIX) : NULL;
}

/* The subject's entry with its ssprThrottle value (if any). */
static int read_throttle(struct sspr_backend *be, const char *dn, struct sspr_ldap_entry *e)
{
    static const char *const attrs[] = { "objectClass", A_THROTTLE, NULL };
    int found = 0, rc = sspr_ldap_search_one(be, dn, "base", "(objectClass=*)", attrs, e, &found);

    if (rc != SSPR_OK)
        return rc;
    return found == 1 ? SSPR_OK : SSPR_ERR_NOENT;
}

static int decode_of(const struct sspr_ldap_entry *e, struct sspr_throttle_rec *r)
{
    const struct sspr_msg_item *v = sspr_ldap_value(e, A_THROTTLE);
    char text[TEXT_MAX];

    memset(r, 0, sizeof(*r));
    if (v == NULL)
        return SSPR_OK;
    if (v->len >= sizeof(text) || memchr(v->val, '\0', v->len) != NULL)
        return SSPR_ERR_CORRUPT;
    memcpy(text, v->val, v->len);
    text[v->len] = '\0';
    return sspr_ldap_throttle_decode(text, v->len, r);
}

int sspr_ldap_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                            struct sspr_throttle_rec *out)
{
    const char *dn = dn_of(s);
    struct sspr_ldap_entry e;
    int rc;

    if (dn == NULL)
        return sspr_be_throttle_load(&sspr_ldap_of(be)->local, s, out);
    memset(out, 0, sizeof(*out));
    rc = read_throttle(be, dn, &e);
    if (rc == SSPR_OK) {
        rc = decode_of(&e, out);
        sspr_ldap_entry_free(&e);
    }
    if (rc == SSPR_ERR_CORRUPT)
        syslog(LOG_ERR, "directory: the throttle record of %s is unreadable", dn);
    return rc;
}

int sspr_ldap_throttle_update(struct sspr_backend *be, const struct sspr_subject *s,
                              unsigned flags, sspr_throttle_edit edit, void *ctx,
                              struct sspr_throttle_rec *after)
{
    const char *dn = dn_of(s);

    if (dn == NULL)
        return sspr_be_throttle_update(&sspr_ldap_of(be)->local, s, flags, edit, ctx, after);
    for (int attempt = 0; attempt < SSPR_LDAP_CAS_TRIES; attempt++) {
        struct sspr_throttle_rec r;
        struct sspr_ldap_entry e;
        const struct sspr_msg_item *old;
        struct sspr_msg_buf b;
        char text[TEXT_MAX], msg[256];
        int rc, code = 0;

        if ((rc = read_throttle(be, dn, &e)) != SSPR_OK)
            return rc == SSPR_ERR_NOENT ? SSPR_ERR_CORRUPT : rc;
        rc = decode_of(&e, &r);
        if (rc == SSPR_ERR_CORRUPT && (flags & SSPR_THROTTLE_RESET_CORRUPT)) {
            memset(&r, 0, sizeof(r));
            rc = SSPR_OK;
        }
        if (rc == SSPR_OK)
            rc = edit(&r, ctx);
        if (rc != SSPR_OK) {
            sspr_ldap_entry_free(&e);
            return rc; /* an error, or the edit's "no write" (> 0) */
        }
        old = sspr_ldap_value(&e, A_THROTTLE);
        if (sspr_throttle_rec_empty(&r) && old == NULL) {
            sspr_ldap_entry_free(&e);
            if (after != NULL)
                *after = r;
            return SSPR_OK;
        }
        if (sspr_ldap_throttle_encode(&r, text, sizeof(text)) != 0) {
            sspr_ldap_entry_free(&e);
            return SSPR_ERR_INVAL;
        }
        sspr_ldap_modify_req(&b, e.dn);
        if (old != NULL) {
            sspr_ldap_mod(&b, "delete", A_THROTTLE);
            sspr_ldap_val(&b, old->val, old->len);
        } else if (sspr_ldap_wants_oc(be, &e)) {
            sspr_ldap_mod(&b, "add", "objectClass");
            sspr_ldap_val(&b, A_OC, strlen(A_OC));
        }
        if (!sspr_throttle_rec_empty(&r)) {
            sspr_ldap_mod(&b, "add", A_THROTTLE);
            sspr_ldap_val(&b, text, strlen(text));
        }
        sspr_ldap_entry_free(&e);
        rc = sspr_ldap_send_modify(be, &b, &code, msg, sizeof(msg));
        if (rc != SSPR_OK)
            return rc;
        if (code == 0) {
            if (after != NULL)
                *after = r;
            return SSPR_OK;
        }
        if (!sspr_ldap_conflict(code)) {
            syslog(LOG_ERR, "directory: writing the throttle record of %s failed: %s (%d)", dn,
                   msg, code);
            be->code = code == SSPR_LDAP_INSUFFICIENT_ACCESS ? SSPR_E_DIRECTORY_BIND
                                                             : SSPR_E_DIRECTORY_SCHEMA;
            return SSPR_ERR_UNAVAILABLE;
        }
    }
    syslog(LOG_ERR, "directory: the throttle record of %s kept changing; gave up", dn);
    return SSPR_ERR_CONFLICT;
}
