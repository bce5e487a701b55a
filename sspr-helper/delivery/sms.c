/*
 * SMS through an HTTP gateway: numbers, the request body, and handing it to
 * sspr-deliver (the helper never links libcurl). See sms.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "delivery/deliver.h"
#include "support/err.h"
#include "errbuf.h"
#include "delivery/authfile.h"
#include "delivery/sms.h"
#include "delivery/template.h"
#include "wipe.h"

/* ---- phone numbers ------------------------------------------------------------------ */

int sspr_phone_valid(const char *phone)
{
    size_t i, n;

    if (phone == NULL || phone[0] != '+')
        return 0;
    n = strnlen(phone + 1, 16);
    if (n < 8 || n > 15 || phone[1] == '0')
        return 0;
    for (i = 1; i <= n; i++)
        if (phone[i] < '0' || phone[i] > '9')
            return 0;
    return 1;
}

int sspr_phone_mask(const char *phone, char *out, size_t outlen)
{
    size_t n;
    int w;

    if (out == NULL || outlen == 0)
        return -1;
    out[0] = '\0';
    if (!sspr_phone_valid(phone))
        return -1;
    n = strlen(phone);
    w = snprintf(out, outlen, "+%.2s*******%s", phone + 1, phone + n - 3);
    if (w < 0 || (size_t)w >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- configuration ------------------------------------------------------------------- */

static const char *body_template(const struct sspr_config *cfg)
{
    if (cfg->sms_body_template[0] != '\0')
        return cfg->sms_body_template;
    return cfg->sms_body == SSPR_SMS_JSON ? SSPR_SMS_DEFAULT_JSON : SSPR_SMS_DEFAULT_FORM;
}

static int render_body(const struct sspr_config *cfg, const char *phone, const char *text,
                       char **out, char *err, size_t errlen)
{
    const struct sspr_tvar vars[] = { { "phone", phone }, { "text", text } };
    const char *t = body_template(cfg);
    char perr[200];

    if (sspr_template_render_text(t, strlen(t), vars, 2,
                                  cfg->sms_body == SSPR_SMS_JSON ? SSPR_TESC_JSON
                                                                 : SSPR_TESC_FORM,
                                  out, perr, sizeof(perr)) != 0) {
        sspr_set_err(err, errlen, "[sms] body_template: %s", perr);
        return -1;
    }
    return 0;
}

static int url_allowed(const char *url, int *plain)
{
    *plain = strncasecmp(url, "http://", 7) == 0;
    if (*plain)
        return sspr_url_is_loopback(url);
    return strncasecmp(url, "https://", 8) == 0;
}

int sspr_sms_check_config(const struct sspr_config *cfg, char *err, size_t errlen)
{
    char *body = NULL;
    int plain;

    sspr_set_err(err, errlen, "%s", "");
    if (cfg == NULL || cfg->sms_url[0] == '\0') {
        sspr_set_err(err, errlen, "SMS is not configured ([sms] url is empty)");
        return -1;
    }
    if (!url_allowed(cfg->sms_url, &plain)) {
        sspr_set_err(err, errlen,
                "[sms] url must be https:// (http:// only to 127.0.0.1, ::1 or localhost)");
        return -1;
    }
    if (cfg->sms_method == SSPR_HTTP_GET && cfg->sms_body != SSPR_SMS_FORM) {
        sspr_set_err(err, errlen, "[sms] method = GET needs body = form");
        return -1;
    }
    if (render_body(cfg, "+10000000000", "x", &body, err, errlen) != 0)
        return -1;
    sspr_wipe_free_str(body);
    if (cfg->sms_auth_file[0] != '\0') {
        struct sspr_auth a;
        int rc = sspr_auth_load(cfg->sms_auth_file, &a, err, errlen);

        sspr_auth_wipe(&a);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- sending ------------------------------------------------------------------------------ */

int sspr_sms_send(const struct sspr_config *cfg, const char *phone, const char *text, char *err,
                  size_t errlen)
{
    struct sspr_auth auth;
    struct sspr_request req;
    char cerr[256];
    char *body = NULL, *url = NULL;
    int ret = -1, plain, rc;

    sspr_set_err(err, errlen, "%s", "");
    memset(&auth, 0, sizeof(auth));
    sspr_request_init(&req);
    if (cfg == NULL || phone == NULL || text == NULL) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    if (sspr_sms_check_config(cfg, cerr, sizeof(cerr)) != 0) {
        sspr_set_err(err, errlen, "%s", cerr);
        return -1;
    }
    if (!sspr_phone_valid(phone)) {
        sspr_set_err(err, errlen, "not a valid E.164 phone number");
        return -1;
    }
    if (text[0] == '\0' || strlen(text) > SSPR_SMS_MAX_TEXT) {
        sspr_set_err(err, errlen, "the SMS text must be 1..%d bytes", SSPR_SMS_MAX_TEXT);
        return -1;
    }
    (void)url_allowed(cfg->sms_url, &plain);
    if (render_body(cfg, phone, text, &body, err, errlen) != 0)
        goto out;
    /* the credentials are read here, as root; the sender never sees the file */
    if (cfg->sms_auth_file[0] != '\0' &&
        sspr_auth_load(cfg->sms_auth_file, &auth, err, errlen) != 0)
        goto out;
    if (cfg->sms_method == SSPR_HTTP_GET) {
        size_t ul = strlen(cfg->sms_url), bl = strlen(body);

        url = malloc(ul + bl + 2);
        if (url == NULL) {
            sspr_set_err(err, errlen, "out of memory");
            goto out;
        }
        memcpy(url, cfg->sms_url, ul);
        url[ul] = strchr(cfg->sms_url, '?') != NULL ? '&' : '?';
        memcpy(url + ul + 1, body, bl + 1);
    }
    sspr_request_add(&req, "kind", "http");
    sspr_request_add(&req, "url", url != NULL ? url : cfg->sms_url);
    sspr_request_addl(&req, "timeout", (long)cfg->sms_timeout);
    sspr_request_addl(&req, "connect_timeout", (long)cfg->sms_connect_timeout);
    sspr_request_add(&req, "user_agent", "pam_sspr/" PACKAGE_VERSION);
    if (cfg->sms_method == SSPR_HTTP_POST) {
        sspr_request_add(&req, "method", "POST");
        sspr_request_add(&req, "body", body);
        sspr_request_add(&req, "content_type", cfg->sms_body == SSPR_SMS_JSON
                                                   ? "application/json; charset=utf-8"
                                                   : "application/x-www-form-urlencoded");
    } else {
        sspr_request_add(&req, "method", "GET");
    }
    if (auth.bearer[0] != '\0') {
        sspr_request_add(&req, "bearer", auth.bearer);
    } else if (auth.username[0] != '\0') {
        sspr_request_add(&req, "username", auth.username);
        sspr_request_add(&req, "password", auth.password);
    }
    if (sspr_request_add_ca(&req, cfg->sms_ca_file, err, errlen) != 0)
        goto out;
    rc = sspr_deliver(&req, cfg->sms_timeout, err, errlen);
    ret = rc == SSPR_OK ? 0 : rc == SSPR_ERR_REFUSED ? SSPR_SMS_REFUSED : -1;
out:
    sspr_auth_wipe(&auth);
    sspr_request_free(&req);
    sspr_wipe_free_str(body);
    sspr_wipe_free_str(url);
    return ret;
}
