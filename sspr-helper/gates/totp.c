/*
 * The authenticator-app gate (RFC 6238, proofs/totp.c): material is the
 * base32 secret and the last accepted time step, so a code works once and
 * an earlier step after a later one is refused (docs/security.md 11). Asked at
 * the shared code prompt (gates/code.c) together with recovery codes.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "flow/flow.h"
#include "gates/code.h"
#include "gates/gate.h"
#include "proofs/totp.h"
#include "support/base32.h"
#include "support/qr.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES 3

/* A new secret, its base32 form and the otpauth URI for the app. */
struct new_totp {
    uint8_t secret[SSPR_TOTP_SECRET_BYTES];
    char b32[64];
    char uri[2048];
};

/* otpauth URI label and issuer: percent-encode everything but unreserved. */
static void uri_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *in != '\0' && o + 4 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static int new_totp(const struct sspr_config *cfg, const char *user, struct new_totp *t)
{
    char issuer[3 * 64 + 1], label[3 * 64 + 1];
    int n;

    sspr_totp_new_secret(t->secret);
    if (sspr_base32_encode(t->secret, sizeof(t->secret), t->b32, sizeof(t->b32)) != 0)
        return -1;
    uri_escape(cfg->issuer, issuer, sizeof(issuer));
    uri_escape(user, label, sizeof(label));
    n = snprintf(t->uri, sizeof(t->uri),
                 "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30",
                 issuer, label, t->b32, issuer);
    return n > 0 && (size_t)n < sizeof(t->uri) ? 0 : -1;
}

/* The material for a new secret; last_step is the step of a code the user
 * already typed to confirm (-1 for none), so it cannot be reused. */
static int material(const struct new_totp *t, long long last_step, const char *source,
                    struct sspr_material *m)
{
    sspr_material_init(m);
    m->present = 1;
    m->counter = last_step;
    m->since = (long long)time(NULL);
    if (sspr_material_set_secret(m, t->b32) != SSPR_OK ||
        sspr_material_set_source(m, source) != SSPR_OK) {
        sspr_material_clear(m);
        return -1;
    }
    return 0;
}

/* The secret in m, decoded: its length, or -1 when it is not >= 160 bits
 * of base32 (docs/security.md 11, also for imported records). */
static long decode(const struct sspr_material *m, uint8_t *out, size_t cap)
{
    long n = sspr_base32_decode(m->secret, out, cap);

    return n >= SSPR_TOTP_SECRET_BYTES ? n : -1;
}

static int usable(const struct sspr_material *m)
{
    uint8_t s[64];
    long n = m->damaged || m->counter < -1 ? -1 : decode(m, s, sizeof(s));

    SSPR_WIPE_ARRAY(s);
    return n > 0;
}

/* 1 when the answer is exactly six ASCII digits. */
static int looks_like(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if (s[n] < '0' || s[n] > '9')
            return 0;
    return n == SSPR_TOTP_DIGITS;
}

static int check(struct sspr_material *m, const char *answer, time_t now)
{
    uint8_t secret[64];
    int64_t matched = -1;
    long n = decode(m, secret, sizeof(secret));
    int ok;

    if (n < 0 || m->counter < -1) {
        SSPR_WIPE_ARRAY(secret);
        return -1;
    }
    ok = sspr_totp_verify(secret, (size_t)n, now, answer, (int64_t)m->counter, &matched) == 0;
    SSPR_WIPE_ARRAY(secret);
    if (ok)
        m->counter = (long long)matched; /* spent: this step and every earlier one */
    return ok;
}

/* Registration at sign-in: show the QR code, the key and the URI, and
 * save only once the user typed a code the app made. */
static int enroll_at_login(struct sspr_flow *f, const struct sspr_gate *g)
{
    struct new_totp nt;
    struct sspr_material m;
    char key[96], a[SSPR_ANSWER_MAX + 1];
    char *qr;
    int ok = 0;

    if (new_totp(f->cfg, f->acct.name, &nt) != 0)
        return 0;
    sspr_chan_info(&f->ch, _("Add this account to your authenticator app: scan the QR code, "
                             "or enter the key by hand (time-based, 6 digits)."));
    if ((qr = sspr_qr_render(nt.uri)) != NULL) {
        sspr_flow_show(f, qr);
        free(qr);
    }
    sspr_base32_group4(nt.b32, key, sizeof(key));
    char line[sizeof(nt.uri) + sizeof(key) + 32];
    snprintf(line, sizeof(line), _("Key: %s\nOr as a link: %s"), key, nt.uri);
    sspr_flow_show(f, line);
    for (int t = 0; t < TRIES && !ok; t++) {
        int64_t step = -1;
        if (sspr_chan_prompt(&f->ch, 0, _("Code shown in the app: "), a) != 0) {
            ok = -1;
            break;
        }
        if (sspr_totp_verify(nt.secret, sizeof(nt.secret), time(NULL), a, -1, &step) == 0) {
            /* the confirming code is spent: it cannot start a reset later */
            ok = material(&nt, (long long)step, "user", &m) == 0 &&
                 sspr_flow_save_material(f, g, &m) == 0;
            sspr_material_clear(&m);
            if (!ok)
                break;
        } else {
            sspr_chan_error(&f->ch, _("That code does not match. Check the app's clock and the "
                                      "key, then try the code it shows now."));
        }
    }
    SSPR_WIPE_ARRAY(a);
    SSPR_WIPE_ARRAY(key);
    SSPR_WIPE_ARRAY(line);
    sspr_wipe(&nt, sizeof(nt));
    if (ok == 1)
        sspr_chan_info(&f->ch, _("Authenticator app registered."));
    return ok;
}

/* The new app's material, stored only when the registration found is
 * still the one the administrator agreed to replace (none, or the app
 * enrolled at `since`; anything with --replace). */
struct replace_ctx {
    const struct sspr_gate *g;
    const struct sspr_material *m;
    int any;         /* --replace */
    int had;         /* an app was registered when asked */
    long long since; /* ...enrolled then */
    int changed;     /* set by the edit: it is not the one any more */
};

static int edit_replace(struct sspr_record *rec, void *vctx)
{
    struct replace_ctx *c = vctx;
    struct sspr_material *dst = sspr_gate_material(rec, c->g);

    c->changed = 0;
    if (dst == NULL)
        return SSPR_ERR_INVAL;
    if (!c->any && (dst->present != c->had || (c->had && dst->since != c->since))) {
        c->changed = 1;
        return 1; /* write nothing */
    }
    return sspr_material_copy(dst, c->m);
}

/* May enroll_cli go on? 0 yes (ctx filled in), else the exit status, the
 * administrator told why. */
static int may_replace(struct sspr_admin *ad, const struct sspr_gate *g, struct replace_ctx *c)
{
    struct sspr_record rec;
    const struct sspr_material *old;
    char when[64], q[SSPR_USER_MAX + 160];
    int rc = sspr_be_load(&ad->be, &ad->acct, &rec), yes;

    if (rc != SSPR_OK) {
        fprintf(stderr, "sspr-helper: record for %s: %s (nothing was changed)\n", ad->acct.name,
                sspr_strerror(rc));
        return 1;
    }
    old = sspr_gate_material_c(&rec, g);
    c->had = old != NULL && old->present;
    c->since = c->had ? old->since : 0;
    sspr_record_clear(&rec);
    if (!c->had || c->any)
        return 0;
    sspr_admin_time(c->since, when, sizeof(when));
    snprintf(q, sizeof(q),
             "%s already has an authenticator app (enrolled %s). Replace it? The old app stops "
             "working.",
             ad->acct.name, when);
    yes = sspr_admin_confirm(q);
    if (yes > 0)
        return 0;
    if (yes == 0) {
        fprintf(stderr, "Not replaced: %s keeps the authenticator app (nothing was changed).\n",
                ad->acct.name);
        return 1;
    }
    fprintf(stderr,
            "sspr-helper: %s already has an authenticator app (enrolled %s); nothing was "
            "changed.\nTo replace it (the old app stops working): sspr-helper enroll %s --totp "
            "--replace\n",
            ad->acct.name, when, ad->acct.name);
    return 2;
}

/* `enroll USER --totp [--replace]`: an app already registered is replaced
 * only when the administrator says so (asked on a terminal, --replace
 * otherwise). The URI goes to stdout once, after the record holding the
 * secret is on disk. */
static int enroll_cli(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg)
{
    struct replace_ctx c = { g, NULL, ad->replace, 0, 0, 0 };
    struct new_totp nt;
    struct sspr_material m;
    int rc;

    (void)arg;
    if ((rc = may_replace(ad, g, &c)) != 0)
        return rc;
    rc = 1;
    if (new_totp(ad->cfg, ad->acct.name, &nt) == 0 && material(&nt, -1, "admin", &m) == 0) {
        c.m = &m;
        rc = sspr_admin_edit(ad, edit_replace, &c);
        sspr_material_clear(&m);
    }
    if (rc == 0 && c.changed) {
        fprintf(stderr,
                "sspr-helper: the authenticator app of %s changed meanwhile; nothing was "
                "changed. Run the command again.\n",
                ad->acct.name);
        rc = 1;
    }
    if (rc == 0) {
        printf("%s\n", nt.uri);
        if (isatty(STDOUT_FILENO))
            (void)sspr_qr_print(stdout, nt.uri);
        fflush(stdout);
        fprintf(stderr,
                "Authenticator app %s for %s: scan the QR code or add the URI above.%s\n"
                "Anyone who sees it can make codes: clear the screen afterwards.\n",
                c.had ? "replaced" : "enrolled", ad->acct.name,
                c.had ? " The old app no longer works." : "");
    }
    sspr_wipe(&nt, sizeof(nt));
    return rc;
}

static void describe(const struct sspr_gate *g, const struct sspr_material *m,
                     const struct sspr_config *cfg, FILE *out)
{
    char when[64];

    (void)cfg;
    if (!m->present) {
        fprintf(out, "%s: not enrolled\n", g->name);
        return;
    }
    sspr_admin_time(m->since, when, sizeof(when));
    fprintf(out, "%s: enrolled %s%s\n", g->name, when, usable(m) ? "" : " (unreadable: refused)");
}

static int available(const struct sspr_config *cfg)
{
    (void)cfg;
    return 1;
}

const struct sspr_gate sspr_gate_totp = {
    .name = "totp",
    .menu_label = N_("Authenticator app or recovery code"),
    .choice_label = N_("an app or recovery code"),
    .reg_label = N_("authenticator app"),
    .blocked_label = N_("Authenticator app codes"),
    .use_label = N_("an authenticator app code"),
    .flags = SSPR_GATE_CODE,
    .available = available,
    .usable = usable,
    .ask = sspr_gate_ask_code,
    .looks_like = looks_like,
    .check = check,
    .enroll_at_login = enroll_at_login,
    .cli_option = "--totp",
    .cli_arg = NULL,
    .enroll_cli = enroll_cli,
    .describe = describe,
    .delivery = NULL,
};
