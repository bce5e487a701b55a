#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "kv.h"
#include "request.h"

static const char *const KEYS[] = {
    "kind", "url", "timeout", "connect_timeout", "ca_pem", "username", "password", "bearer",
    "starttls", "mail_from", "rcpt", "message", "method", "body", "content_type", "user_agent",
};

static int known(const char *entry)
{
    for (size_t i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++) {
        size_t n = strlen(KEYS[i]);
        if (strncmp(entry, KEYS[i], n) == 0 && entry[n] == '=')
            return 1;
    }
    return 0;
}

/* 1..120 seconds. */
static int seconds(const char *v, long *out)
{
    char *end;
    long n;

    if (v == NULL || v[0] < '0' || v[0] > '9')
        return -1;
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < 1 || n > 120)
        return -1;
    *out = n;
    return 0;
}

static const char *opt(const char *buf, size_t len, const char *key)
{
    const char *v = sspr_kv_get(buf, len, key);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

int sspr_deliver_parse(const char *buf, size_t len, struct sspr_deliver_req *r, char *err,
                       size_t errlen)
{
    const char *kind, *v;

    memset(r, 0, sizeof(*r));
    if (len == 0 || len > SSPR_DELIVER_MAX_REQUEST || sspr_kv_validate(buf, len) != 0) {
        sspr_set_err(err, errlen, "malformed request");
        return -1;
    }
    for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
        if (!known(buf + off)) {
            sspr_set_err(err, errlen, "unknown key in request");
            return -1;
        }
    }
    kind = sspr_kv_get(buf, len, "kind");
    if (kind == NULL || (r->url = opt(buf, len, "url")) == NULL ||
        seconds(sspr_kv_get(buf, len, "timeout"), &r->timeout) != 0) {
        sspr_set_err(err, errlen, "request without kind, url or timeout");
        return -1;
    }
    r->connect_timeout = r->timeout;
    if ((v = sspr_kv_get(buf, len, "connect_timeout")) != NULL &&
        seconds(v, &r->connect_timeout) != 0) {
        sspr_set_err(err, errlen, "bad connect_timeout");
        return -1;
    }
    r->ca_pem = opt(buf, len, "ca_pem");
    r->username = opt(buf, len, "username");
    r->password = sspr_kv_get(buf, len, "password");
    r->bearer = opt(buf, len, "bearer");
    if (strcmp(kind, "probe") == 0) {
        r->kind = SSPR_DELIVER_PROBE;
        return 0;
    }
    if (strcmp(kind, "smtp") == 0) {
        r->kind = SSPR_DELIVER_SMTP;
        v = sspr_kv_get(buf, len, "starttls");
        if (v == NULL || strcmp(v, "required") == 0)
            r->starttls = SSPR_TLS_REQUIRED;
        else if (strcmp(v, "optional") == 0)
            r->starttls = SSPR_TLS_OPTIONAL;
        else if (strcmp(v, "off") == 0)
            r->starttls = SSPR_TLS_OFF;
        else {
            sspr_set_err(err, errlen, "bad starttls");
            return -1;
        }
        if ((r->mail_from = opt(buf, len, "mail_from")) == NULL ||
            (r->rcpt = opt(buf, len, "rcpt")) == NULL ||
            (r->message = opt(buf, len, "message")) == NULL) {
            sspr_set_err(err, errlen, "smtp request without mail_from, rcpt or message");
            return -1;
        }
        return 0;
    }
    if (strcmp(kind, "http") == 0) {
        r->kind = SSPR_DELIVER_HTTP;
        v = sspr_kv_get(buf, len, "method");
        if (v != NULL && strcmp(v, "GET") == 0) {
            r->post = 0;
        } else if (v == NULL || strcmp(v, "POST") == 0) {
            r->post = 1;
        } else {
            sspr_set_err(err, errlen, "bad method");
            return -1;
        }
        r->body = sspr_kv_get(buf, len, "body");
        r->content_type = opt(buf, len, "content_type");
        r->user_agent = opt(buf, len, "user_agent");
        if (r->post && r->body == NULL) {
            sspr_set_err(err, errlen, "POST request without a body");
            return -1;
        }
        return 0;
    }
    sspr_set_err(err, errlen, "unknown kind");
    return -1;
}
