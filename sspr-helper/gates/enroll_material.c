#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support/base32.h"
#include "gates/enroll_material.h"
#include "wipe.h"

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

int sspr_new_totp_make(const struct sspr_config *cfg, const char *user, struct sspr_new_totp *t)
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

json_t *sspr_new_totp_json(const struct sspr_new_totp *t, long long last_step)
{
    return json_pack("{s:s, s:I, s:I}", "secret", t->b32, "last_step", (json_int_t)last_step,
                     "enrolled", (json_int_t)time(NULL));
}

void sspr_new_totp_wipe(struct sspr_new_totp *t)
{
    sspr_wipe(t, sizeof(*t));
}

int sspr_new_recovery_make(struct sspr_new_recovery *r)
{
    r->stored = NULL;
    if (sspr_recovery_generate(r->codes, &r->stored) != 0)
        return -1;
    json_object_set_new(r->stored, "enrolled", json_integer((json_int_t)time(NULL)));
    return 0;
}

void sspr_new_recovery_wipe(struct sspr_new_recovery *r)
{
    json_decref(r->stored);
    sspr_wipe(r, sizeof(*r));
}

void sspr_group4(const char *in, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; in[i] != '\0' && o + 2 < outlen; i++) {
        if (i > 0 && i % 4 == 0)
            out[o++] = ' ';
        out[o++] = in[i];
    }
    out[o] = '\0';
}
