/* One request to an SMS gateway over HTTPS (http:// only to loopback: the
 * helper checked), with libcurl: the answer is judged by its status and
 * never read beyond a cap. */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "curl_explain.h"
#include "errbuf.h"
#include "transport.h"

#define MAX_RESPONSE (64 * 1024)
#define LOW_SPEED_LIMIT 16L /* bytes/s ... */
#define LOW_SPEED_TIME 10L  /* ... for this long ends the transfer */

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
    if (n > MAX_RESPONSE - s->len) {
        s->overflow = 1;
        return 0;
    }
    s->len += n;
    return n;
}

enum sspr_outcome sspr_http_send(const struct sspr_deliver_req *r, char *err, size_t errlen)
{
    struct sink sink = { 0, 0 };
    struct curl_slist *hdrs = NULL;
    char ebuf[CURL_ERROR_SIZE], ct[160];
    enum sspr_outcome out = SSPR_FAILED;
    long status = 0;
    CURLcode rc;
    CURL *h;
    int plain = strncasecmp(r->url, "http://", 7) == 0;

    if ((h = curl_easy_init()) == NULL) {
        sspr_set_err(err, errlen, "cannot start libcurl");
        return SSPR_FAILED;
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (hdrs != NULL)
        hdrs = curl_slist_append(hdrs, "Expect:");
    if (hdrs != NULL && r->post && r->content_type != NULL) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
        hdrs = curl_slist_append(hdrs, ct);
    }
    if (hdrs == NULL) {
        sspr_set_err(err, errlen, "out of memory");
        goto out;
    }
    rc = sspr_curl_common(h, r, ebuf);
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT);
    SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
    if (r->user_agent != NULL)
        SET(CURLOPT_USERAGENT, r->user_agent);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, &sink);
    /* Compressed answers could blow past the cap after decoding; ask for
     * identity only (no Accept-Encoding header). */
    SET(CURLOPT_ACCEPT_ENCODING, NULL);
    if (r->post) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, r->body);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
    if (r->bearer != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        SET(CURLOPT_XOAUTH2_BEARER, r->bearer);
    } else if (r->username != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, r->username);
        SET(CURLOPT_PASSWORD, r->password != NULL ? r->password : "");
    }
#undef SET
    if (rc != CURLE_OK) {
        sspr_set_err(err, errlen, "libcurl refused an option: %s", curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        if (rc == CURLE_WRITE_ERROR && sink.overflow)
            sspr_set_err(err, errlen, "SMS gateway answer larger than %d KiB (aborted)",
                         MAX_RESPONSE / 1024);
        else if (!sspr_curl_explain(rc, ebuf, "the SMS gateway", (int)r->timeout, err, errlen))
            sspr_set_err(err, errlen, "SMS gateway request failed: %s",
                         ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc));
        goto out;
    }
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        sspr_set_err(err, errlen, "SMS gateway: no HTTP status");
        goto out;
    }
    if (status < 200 || status > 299) {
        sspr_set_err(err, errlen, "SMS gateway answered HTTP %ld", status);
        /* 4xx is about this message (the number), not the gateway */
        out = status >= 400 && status <= 499 ? SSPR_REFUSED : SSPR_FAILED;
        goto out;
    }
    out = SSPR_SENT;
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return out;
}
