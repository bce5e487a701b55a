/*
 * An account's registration in its directory entry (conf/ldap/sspr.schema):
 *
 *   totp       ssprTotpSecret (the key's bytes), ssprTotpLastStep
 *   recovery   ssprRecoveryKey (bytes), ssprRecoveryCode (one per unused code)
 *   email      [ldap] mail_attribute (pre-populated by the admin)
 *   sms        [ldap] mobile_attribute (likewise)
 *   questions  ssprQuestion "<PHC string> <question>"
 *   every one  ssprMethod "<gate> <source> <unix time>" (who set it, when)
 *   ssprRegistered (GeneralizedTime), registration at sign-in completed
 *
 * An update reads the entry, runs the edit, and writes only the gates the
 * edit changed as one modify that deletes exactly the values it read and
 * adds the new ones. If another machine changed any of them in between,
 * a delete finds no such value (16) or an add finds one there (19/20): the
 * whole modify fails, nothing is written, and the update starts again from
 * a fresh read. So a TOTP step or a recovery code is spent exactly once
 * fleet-wide (on one server; docs/ldap.md says what multi-provider
 * replication does to that). Active Directory keeps the same attributes
 * (a schema extension, docs/active-directory.md); what it does differently
 * (no objectClass to add, its time syntax, otherMobile) comes from ad.c.
 */
#include "autoconf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "backends/ldap/attrs.h"
#include "backends/ldap/ldap.h"
#include "gates/gate.h"
#include "sspr-ldap/proto.h"
#include "support/base32.h"
#include "support/errors.h"
#include "wipe.h"

enum enc { ENC_NONE, ENC_BASE32, ENC_HEX };

struct gate_attrs {
    const char *gate;
    const char *secret; /* attribute of the secret (bytes in the directory) */
    enum enc secret_enc;
    const char *counter;
    const char *values;
    int labeled; /* values carry a label: "<value> <label>" */
    int text;    /* 1: [ldap] mail_attribute, 2: mobile_attribute */
};

static const struct gate_attrs GATES[] = {
    { "totp", A_TOTP_SECRET, ENC_BASE32, A_TOTP_STEP, NULL, 0, 0 },
    { "recovery", A_RECOVERY_KEY, ENC_HEX, NULL, A_RECOVERY_CODE, 0, 0 },
    { "email", NULL, ENC_NONE, NULL, NULL, 0, 1 },
    { "sms", NULL, ENC_NONE, NULL, NULL, 0, 2 },
    { "questions", NULL, ENC_NONE, NULL, A_QUESTION, 1, 0 },
};

#define MAX_VALUES (SSPR_MATERIAL_VALUES + 8)
#define SECRET_BYTES 128

static const struct gate_attrs *attrs_of(const struct sspr_gate *g)
{
    for (size_t i = 0; i < sizeof(GATES) / sizeof(GATES[0]); i++)
        if (strcmp(GATES[i].gate, g->name) == 0)
            return &GATES[i];
    return NULL;
}

static const char *text_attr(const struct sspr_config *cfg, const struct gate_attrs *ga)
{
    return ga->text == 1 ? cfg->ldap_mail_attr : ga->text == 2 ? cfg->ldap_mobile_attr : NULL;
}

const char *const *sspr_ldap_account_attrs(struct sspr_backend *be)
{
    static const char *list[48];
    static char key[64];
    size_t n = 0;
    const struct sspr_config *cfg = be->cfg;
    const char *uf = sspr_ldap_filter(be, NULL), *at = strstr(uf, "=%s"), *p = at;

    /* the attribute the user filter compares (resolve checks its value) */
    while (p != NULL && p > uf && p[-1] != '(' && p[-1] != '&' &&
           p[-1] != '|' && p[-1] != '!')
        p--;
    if (at != NULL && (size_t)(at - p) < sizeof(key)) {
        memcpy(key, p, (size_t)(at - p));
        key[at - p] = '\0';
        list[n++] = key;
    }
    static const char *const fixed[] = {
        "objectClass", "uidNumber", "gidNumber", "loginShell", "shadowExpire",
        "pwdAccountLockedTime", "nsAccountLock", A_TOTP_SECRET, A_TOTP_STEP, A_RECOVERY_KEY,
        A_RECOVERY_CODE, A_QUESTION, A_REGISTERED, A_METHOD, A_THROTTLE, A_GRANT,
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        list[n++] = fixed[i];
    list[n++] = cfg->ldap_mail_attr;
    list[n++] = cfg->ldap_mobile_attr;
    for (size_t i = 0; sspr_ldap_is_ad(be) && SSPR_LDAP_AD_ATTRS[i] != NULL; i++)
        list[n++] = SSPR_LDAP_AD_ATTRS[i];
    list[n] = NULL;
    return list;
}

/* ---- entry -> record ------------------------------------------------------------ */

static int value_str(const struct sspr_msg_item *v, char *buf, size_t size)
{
    if (v->len >= size || memchr(v->val, '\0', v->len) != NULL)
        return -1;
    memcpy(buf, v->val, v->len);
    buf[v->len] = '\0';
    return 0;
}

static int secret_from(const struct sspr_msg_item *v, enum enc enc, struct sspr_material *m)
{
    char text[SSPR_MATERIAL_SECRET + 1];

    if (v->len == 0 || v->len > SECRET_BYTES)
        return -1;
    if (enc == ENC_BASE32 && sspr_base32_encode(v->val, v->len, text, sizeof(text)) != 0)
        return -1;
    if (enc == ENC_HEX) {
        if (2 * v->len + 1 > sizeof(text))
            return -1;
        sodium_bin2hex(text, sizeof(text), v->val, v->len);
    }
    int rc = sspr_material_set_secret(m, text);
    sspr_wipe(text, sizeof(text));
    return rc == SSPR_OK ? 0 : -1;
}

/* "<gate> <source> <time>" lines: who set gate's material, and when. */
static void method_meta(const struct sspr_ldap_entry *e, const char *gate,
                        struct sspr_material *m)
{
    const struct sspr_msg_item *v[SSPR_GATES_MAX * 2];
    size_t n = sspr_ldap_values(e, A_METHOD, v, SSPR_GATES_MAX * 2), gl = strlen(gate);
    char line[96], src[16];
    long long since;

    for (size_t i = 0; i < n; i++) {
        if (value_str(v[i], line, sizeof(line)) != 0 || strncmp(line, gate, gl) != 0 ||
            line[gl] != ' ')
            continue;
        if (sscanf(line + gl + 1, "%15s %lld", src, &since) == 2) {
            (void)sspr_material_set_source(m, src);
            m->since = since;
        }
        return;
    }
}

static int decode_gate(const struct sspr_backend *be, const struct sspr_ldap_entry *e,
                       const struct sspr_gate *g, const struct gate_attrs *ga,
                       struct sspr_material *m)
{
    const struct sspr_config *cfg = be->cfg;
    const struct sspr_msg_item *v[MAX_VALUES];
    char buf[SSPR_MATERIAL_VALUE + 1];
    size_t n;

    if (ga->secret != NULL && (n = sspr_ldap_values(e, ga->secret, v, 1)) == 1) {
        m->present = 1;
        if (secret_from(v[0], ga->secret_enc, m) != 0)
            return -1;
    }
    if (ga->counter != NULL && sspr_ldap_values(e, ga->counter, v, 1) == 1) {
        char num[24], *end;
        if (!m->present || value_str(v[0], num, sizeof(num)) != 0)
            return -1;
        m->counter = strtoll(num, &end, 10);
        if (*end != '\0' || num[0] == '\0')
            return -1;
    }
    if (ga->values != NULL) {
        n = sspr_ldap_values(e, ga->values, v, MAX_VALUES);
        if (n > SSPR_MATERIAL_VALUES)
            return -1;
        if (n > 0 && ga->labeled)
            m->present = 1;
        for (size_t i = 0; i < n; i++) {
            char *label = NULL;
            if (value_str(v[i], buf, sizeof(buf)) != 0)
                return -1;
            if (ga->labeled) {
                if ((label = strchr(buf, ' ')) == NULL)
                    return -1;
                *label++ = '\0';
            }
            if (sspr_material_add(m, buf, label) != SSPR_OK)
                return -1;
        }
    }
    if (ga->text != 0 && (sspr_ldap_values(e, text_attr(cfg, ga), v, 1) == 1 ||
                          (ga->text == 2 && (v[0] = sspr_ldap_ad_mobile(be, e)) != NULL))) {
        if (value_str(v[0], buf, sizeof(buf)) != 0 || sspr_material_set_text(m, buf) != SSPR_OK)
            return -1;
        m->present = buf[0] != '\0';
        (void)sspr_material_set_source(m, "directory");
    }
    if (m->present)
        method_meta(e, g->name, m);
    return 0;
}

static long long gtime_parse(const char *s)
{
    struct tm tm;
    char *end;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y%m%d%H%M%S", &tm);
    if (end != NULL && *end == '.') /* a fraction (AD writes ".0Z") */
        for (end++; *end >= '0' && *end <= '9'; end++)
            ;
    if (end == NULL || strcmp(end, "Z") != 0)
        return 0;
    return (long long)timegm(&tm);
}

void sspr_ldap_record_decode(const struct sspr_backend *be, const struct sspr_ldap_entry *e,
                             struct sspr_record *out)
{
    const struct sspr_gate *g;
    char t[32];

    sspr_record_init(out);
    SSPR_GATE_FOREACH(i, g) {
        const struct gate_attrs *ga = attrs_of(g);

        if (ga != NULL && decode_gate(be, e, g, ga, &out->m[i]) != 0) {
            /* this method of this account is unusable; the others are not */
            sspr_material_clear(&out->m[i]);
            out->m[i].present = 1;
            out->m[i].damaged = 1;
        }
    }
    out->registered = sspr_ldap_value_str(e, A_REGISTERED, t, sizeof(t)) == 0 ? gtime_parse(t) : 0;
}

void sspr_ldap_cache_entry(struct sspr_backend *be, struct sspr_ldap_entry *e)
{
    struct sspr_ldap *l = sspr_ldap_of(be);

    sspr_ldap_drop_cached(be);
    l->cached = malloc(sizeof(*l->cached));
    if (l->cached != NULL)
        memcpy(l->cached, e, sizeof(*e));
    else
        sspr_ldap_entry_free(e);
    memset(e, 0, sizeof(*e));
}

int sspr_ldap_take_cached(struct sspr_backend *be, const char *dn, struct sspr_ldap_entry *out)
{
    struct sspr_ldap *l = sspr_ldap_of(be);

    if (l->cached == NULL || strcmp(l->cached->dn, dn) != 0)
        return 0;
    memcpy(out, l->cached, sizeof(*out));
    free(l->cached);
    l->cached = NULL;
    return 1;
}

void sspr_ldap_drop_cached(struct sspr_backend *be)
{
    struct sspr_ldap *l = sspr_ldap_of(be);

    if (l->cached != NULL) {
        sspr_ldap_entry_free(l->cached);
        free(l->cached);
        l->cached = NULL;
    }
}

int sspr_ldap_load(struct sspr_backend *be, const struct sspr_account *acct,
                   struct sspr_record *out)
{
    struct sspr_ldap_entry e;
    int rc = SSPR_OK;

    sspr_record_init(out);
    if (!sspr_ldap_take_cached(be, acct->id, &e))
        rc = sspr_ldap_read_entry(be, acct, sspr_ldap_account_attrs(be), &e);
    if (rc == SSPR_ERR_NOENT)
        return SSPR_ERR_CORRUPT; /* the entry resolve found is gone */
    if (rc != SSPR_OK)
        return rc;
    sspr_ldap_record_decode(be, &e, out);
    sspr_ldap_entry_free(&e);
    return SSPR_OK;
}

/* ---- record -> modify --------------------------------------------------------------- */

/* A set of values for one attribute (owned copies: secrets are wiped). */
struct vals {
    size_t n;
    unsigned char *v[MAX_VALUES];
    size_t len[MAX_VALUES];
};

static void vals_free(struct vals *s)
{
    for (size_t i = 0; i < s->n; i++) {
        sspr_wipe(s->v[i], s->len[i]);
        free(s->v[i]);
    }
    s->n = 0;
}

static int vals_add(struct vals *s, const void *p, size_t len)
{
    if (s->n >= MAX_VALUES || (s->v[s->n] = malloc(len > 0 ? len : 1)) == NULL)
        return -1;
    memcpy(s->v[s->n], p, len);
    s->len[s->n++] = len;
    return 0;
}

static int vals_has(const struct vals *s, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->len[i] == len && memcmp(s->v[i], p, len) == 0)
            return 1;
    return 0;
}

/* What the entry holds now: attribute attr's values, or only those that
 * start with "<prefix> " (ssprMethod lines of one gate). */
static int vals_from_entry(const struct sspr_ldap_entry *e, const char *attr, const char *prefix,
                           struct vals *out)
{
    const struct sspr_msg_item *v[MAX_VALUES];
    size_t n = sspr_ldap_values(e, attr, v, MAX_VALUES), pl = prefix ? strlen(prefix) : 0;

    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (prefix != NULL && !(v[i]->len > pl && memcmp(v[i]->val, prefix, pl) == 0 &&
                                v[i]->val[pl] == ' '))
            continue;
        if (vals_add(out, v[i]->val, v[i]->len) != 0)
            return -1;
    }
    return 0;
}

/* In one modify: delete the values of `old` that `new` lacks, add those of
 * `new` that `old` lacks. Deleting named values is the compare half of the
 * compare-and-swap. */
static void diff_mods(struct sspr_msg_buf *b, const char *attr, const struct vals *old,
                      const struct vals *new, int *changes)
{
    int del = 0, add = 0;

    for (size_t i = 0; i < old->n; i++)
        del += !vals_has(new, old->v[i], old->len[i]);
    for (size_t i = 0; i < new->n; i++)
        add += !vals_has(old, new->v[i], new->len[i]);
    if (del > 0) {
        sspr_ldap_mod(b, "delete", attr);
        for (size_t i = 0; i < old->n; i++)
            if (!vals_has(new, old->v[i], old->len[i]))
                sspr_ldap_val(b, old->v[i], old->len[i]);
    }
    if (add > 0) {
        sspr_ldap_mod(b, "add", attr);
        for (size_t i = 0; i < new->n; i++)
            if (!vals_has(old, new->v[i], new->len[i]))
                sspr_ldap_val(b, new->v[i], new->len[i]);
    }
    *changes += del + add;
}

/* One attribute of gate material m as the directory keeps it. */
static int encode_attr(const struct sspr_config *cfg, const struct gate_attrs *ga,
                       const char *attr, const struct sspr_material *m, struct vals *out)
{
    unsigned char bin[SECRET_BYTES];
    char line[2 * SSPR_MATERIAL_VALUE + 2];
    int rc = 0;

    out->n = 0;
    if (!m->present)
        return 0;
    if (ga->secret != NULL && strcmp(attr, ga->secret) == 0 && m->secret[0] != '\0') {
        size_t len = 0;
        if (ga->secret_enc == ENC_BASE32) {
            long n = sspr_base32_decode(m->secret, bin, sizeof(bin));
            rc = n > 0 ? 0 : -1;
            len = n > 0 ? (size_t)n : 0;
        } else if (sodium_hex2bin(bin, sizeof(bin), m->secret, strlen(m->secret), NULL, &len,
                                  NULL) != 0) {
            rc = -1;
        }
        if (rc == 0)
            rc = vals_add(out, bin, len);
    } else if (ga->counter != NULL && strcmp(attr, ga->counter) == 0 && m->counter >= 0) {
        int n = snprintf(line, sizeof(line), "%lld", m->counter);
        rc = vals_add(out, line, (size_t)n);
    } else if (ga->values != NULL && strcmp(attr, ga->values) == 0) {
        for (size_t i = 0; i < m->nvalues && rc == 0; i++) {
            int n = ga->labeled ? snprintf(line, sizeof(line), "%s %s", m->values[i],
                                           m->labels[i] != NULL ? m->labels[i] : "")
                                : snprintf(line, sizeof(line), "%s", m->values[i]);
            rc = n > 0 && (size_t)n < sizeof(line) ? vals_add(out, line, (size_t)n) : -1;
        }
    } else if (ga->text != 0 && strcmp(attr, text_attr(cfg, ga)) == 0 && m->text[0] != '\0') {
        rc = vals_add(out, m->text, strlen(m->text));
    }
    sspr_wipe(bin, sizeof(bin));
    sspr_wipe(line, sizeof(line));
    return rc;
}

static int encode_method(const char *gate, const struct sspr_material *m, struct vals *out)
{
    char line[96];
    int n;

    out->n = 0;
    if (!m->present || m->damaged)
        return 0;
    n = snprintf(line, sizeof(line), "%s %s %lld", gate, m->source[0] ? m->source : "admin",
                 m->since);
    return vals_add(out, line, (size_t)n);
}

static int one_attr(struct sspr_msg_buf *b, const struct sspr_ldap_entry *e, const char *attr,
                    const char *prefix, struct vals *new, int *changes)
{
    struct vals old;
    int rc = vals_from_entry(e, attr, prefix, &old);

    if (rc == 0)
        diff_mods(b, attr, &old, new, changes);
    vals_free(&old);
    vals_free(new);
    return rc;
}

/* The modify that turns the entry (which decoded to before) into after. */
int sspr_ldap_record_modify(struct sspr_backend *be, const struct sspr_ldap_entry *e,
                            const struct sspr_record *before, const struct sspr_record *after,
                            struct sspr_msg_buf *b, int *changes)
{
    const struct sspr_config *cfg = be->cfg;
    const struct sspr_gate *g;
    struct vals v;

    *changes = 0;
    SSPR_GATE_FOREACH(i, g) {
        const struct gate_attrs *ga = attrs_of(g);
        const struct sspr_material *m = &after->m[i];
        const char *list[4];
        size_t n = 0;

        if (sspr_material_equal(&before->m[i], m))
            continue;
        if (ga == NULL) {
            syslog(LOG_ERR, "directory: the schema has no place for method %s", g->name);
            return SSPR_ERR_UNSUPPORTED;
        }
        if (ga->text != 0 && cfg->ldap_contacts == SSPR_LDAP_CONTACTS_READONLY &&
            strcmp(before->m[i].text, m->text) != 0) {
            /* the directory's own data: change it there */
            snprintf(be->why, sizeof(be->why),
                     "%s comes from the directory's %s attribute ([ldap] contacts = readonly): "
                     "change it in the directory",
                     g->reg_label != NULL ? g->reg_label : g->name, text_attr(cfg, ga));
            return SSPR_ERR_UNSUPPORTED;
        }
        if (ga->secret)
            list[n++] = ga->secret;
        if (ga->counter)
            list[n++] = ga->counter;
        if (ga->values)
            list[n++] = ga->values;
        if (ga->text)
            list[n++] = text_attr(cfg, ga);
        for (size_t k = 0; k < n; k++)
            if (encode_attr(cfg, ga, list[k], m, &v) != 0 ||
                one_attr(b, e, list[k], NULL, &v, changes) != 0)
                return SSPR_ERR_NOMEM;
        if (encode_method(g->name, m, &v) != 0 || one_attr(b, e, A_METHOD, g->name, &v, changes))
            return SSPR_ERR_NOMEM;
    }
    if (before->registered != after->registered) {
        v.n = 0;
        if (after->registered > 0) {
            char t[32];
            time_t when = (time_t)after->registered;
            struct tm tm;
            size_t len = strftime(t, sizeof(t), "%Y%m%d%H%M%S", gmtime_r(&when, &tm));
            if (len > 0)
                len += (size_t)snprintf(t + len, sizeof(t) - len, "%s", sspr_ldap_gtime_suffix(be));
            if (len == 0 || len >= sizeof(t) || vals_add(&v, t, len) != 0)
                return SSPR_ERR_NOMEM;
        }
        if (one_attr(b, e, A_REGISTERED, NULL, &v, changes) != 0)
            return SSPR_ERR_NOMEM;
    }
    return b->failed ? SSPR_ERR_NOMEM : SSPR_OK;
}

int sspr_ldap_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                     sspr_record_edit edit, void *ctx)
{
    int rc;

    (void)flags; /* the entry is the record: it always exists */
    sspr_ldap_drop_cached(be);
    for (int attempt = 0; attempt < SSPR_LDAP_CAS_TRIES; attempt++) {
        struct sspr_ldap_entry e;
        struct sspr_record before, after;
        struct sspr_msg_buf b;
        char msg[256];
        int changes = 0, code = 0;

        sspr_record_init(&after);
        rc = sspr_ldap_read_entry(be, acct, sspr_ldap_account_attrs(be), &e);
        if (rc != SSPR_OK)
            return rc == SSPR_ERR_NOENT ? SSPR_ERR_CORRUPT : rc;
        sspr_ldap_record_decode(be, &e, &before);
        rc = sspr_record_copy(&after, &before);
        if (rc == SSPR_OK)
            rc = edit(&after, ctx);
        if (rc == SSPR_OK) {
            sspr_ldap_modify_req(&b, e.dn);
            if (sspr_ldap_wants_oc(be, &e)) {
                sspr_ldap_mod(&b, "add", "objectClass");
                sspr_ldap_val(&b, A_OC, strlen(A_OC));
            }
            rc = sspr_ldap_record_modify(be, &e, &before, &after, &b, &changes);
            if (rc == SSPR_OK && changes > 0)
                rc = sspr_ldap_send_modify(be, &b, &code, msg, sizeof(msg));
            else
                sspr_msg_buf_free(&b);
        }
        sspr_record_clear(&before);
        sspr_record_clear(&after);
        sspr_ldap_entry_free(&e);
        if (rc != SSPR_OK || changes == 0)
            return rc; /* an edit's "no write" (> 0) included */
        if (code == 0)
            return SSPR_OK;
        if (!sspr_ldap_conflict(code)) {
            syslog(LOG_ERR, "directory: writing %s's methods failed: %s (%d)", acct->name, msg,
                   code);
            be->code = code == SSPR_LDAP_INSUFFICIENT_ACCESS ? SSPR_E_DIRECTORY_BIND
                                                             : SSPR_E_DIRECTORY_SCHEMA;
            return SSPR_ERR_UNAVAILABLE;
        }
        /* another machine got there first: read again, edit again */
    }
    syslog(LOG_ERR, "directory: %s's entry kept changing; gave up after %d tries", acct->name,
           SSPR_LDAP_CAS_TRIES);
    return SSPR_ERR_CONFLICT;
}
