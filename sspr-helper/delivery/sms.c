/*
 * SMS through an HTTP gateway with libcurl. See sms.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "delivery/curl_explain.h"
#include "support/errbuf.h"
#include "delivery/authfile.h"
#include "delivery/sms.h"
#include "delivery/template.h"
#include "wipe.h"

#define LOW_SPEED_LIMIT 16L /* bytes/s ... */
#define LOW_SPEED_TIME 10L  /* ... for this long ends the transfer */

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

struct sink {
    size_t len;
    int overflow;
};

/* The answer is not needed beyond its status; count it and stop at the cap
 * (returning less than given makes libcurl abort with CURLE_WRITE_ERROR). */
static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *s = userp;
    size_t n = size * nmemb;

    (void)data;
    if (n > SSPR_SMS_MAX_RESPONSE - s->len) {
        s->overflow = 1;
        return 0;
    }
    s->len += n;
    return n;
}

static void curl_error(CURLcode rc, const char *ebuf, const struct sink *sink, int timeout,
                       char *err, size_t errlen)
{
    if (rc == CURLE_WRITE_ERROR && sink->overflow) {
        sspr_set_err(err, errlen, "SMS gateway answer larger than %d KiB (aborted)",
                SSPR_SMS_MAX_RESPONSE / 1024);
        return;
    }
    if (!sspr_curl_explain(rc, ebuf, "the SMS gateway", timeout, err, errlen))
        sspr_set_err(err, errlen, "SMS gateway request failed: %s",
                     ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc));
}

int sspr_sms_send(const struct sspr_config *cfg, const char *phone, const char *text, char *err,
                  size_t errlen)
{
    struct sspr_auth auth;
    struct sink sink = { 0, 0 };
    struct curl_slist *hdrs = NULL;
    char ebuf[CURL_ERROR_SIZE], cerr[256];
    char *body = NULL, *url = NULL;
    CURL *h = NULL;
    CURLcode rc;
    long status = 0;
    int ret = -1, plain;

    sspr_set_err(err, errlen, "%s", "");
    memset(&auth, 0, sizeof(auth));
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

    h = curl_easy_init();
    if (h == NULL) {
        sspr_set_err(err, errlen, "cannot start libcurl");
        goto out;
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (hdrs != NULL)
        hdrs = curl_slist_append(hdrs, "Expect:");
    if (hdrs != NULL && cfg->sms_method == SSPR_HTTP_POST)
        hdrs = curl_slist_append(hdrs, cfg->sms_body == SSPR_SMS_JSON
                                           ? "Content-Type: application/json; charset=utf-8"
                                           : "Content-Type: application/x-www-form-urlencoded");
    if (hdrs == NULL) {
        sspr_set_err(err, errlen, "out of memory");
        goto out;
    }
    ebuf[0] = '\0';
    rc = CURLE_OK;
#define SET(opt, val) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
    SET(CURLOPT_ERRORBUFFER, ebuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_URL, url != NULL ? url : cfg->sms_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(plain ? CURLPROTO_HTTP : CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAXREDIRS, 0L);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (cfg->sms_ca_file[0] != '\0')
        SET(CURLOPT_CAINFO, cfg->sms_ca_file);
    SET(CURLOPT_CONNECTTIMEOUT, (long)cfg->sms_connect_timeout);
    SET(CURLOPT_TIMEOUT, (long)cfg->sms_timeout);
    SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT);
    SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
    SET(CURLOPT_USERAGENT, "pam_sspr/" PACKAGE_VERSION);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, &sink);
    /* Compressed answers could blow past the cap after decoding; ask for
     * identity only (no Accept-Encoding header). */
    SET(CURLOPT_ACCEPT_ENCODING, NULL);
    if (cfg->sms_method == SSPR_HTTP_POST) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, body);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
    if (auth.bearer[0] != '\0') {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        SET(CURLOPT_XOAUTH2_BEARER, auth.bearer);
    } else if (auth.username[0] != '\0') {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, auth.username);
        SET(CURLOPT_PASSWORD, auth.password);
    }
#undef SET
    if (rc != CURLE_OK) {
        sspr_set_err(err, errlen, "libcurl refused an option: %s", curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(h);
    sspr_auth_wipe(&auth);
    if (rc != CURLE_OK) {
        curl_error(rc, ebuf, &sink, cfg->sms_timeout, err, errlen);
        goto out;
    }
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        sspr_set_err(err, errlen, "SMS gateway: no HTTP status");
        goto out;
    }
    if (status < 200 || status > 299) {
        sspr_set_err(err, errlen, "SMS gateway answered HTTP %ld", status);
        if (status >= 400 && status <= 499)
            ret = SSPR_SMS_REFUSED; /* about this message (the number), not the gateway */
        goto out;
    }
    ret = 0;

out:
    if (h != NULL)
        curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    sspr_auth_wipe(&auth);
    sspr_wipe_free_str(body);
    sspr_wipe_free_str(url);
    return ret;
}
