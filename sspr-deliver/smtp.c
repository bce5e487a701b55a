/* A prepared message to one recipient over SMTP (STARTTLS as asked, or
 * smtps://), with libcurl. The helper built the message and checked the
 * addresses; this only carries it. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "curl_explain.h"
#include "errbuf.h"
#include "transport.h"

struct reader {
    const char *p;
    size_t len, pos;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *userp)
{
    struct reader *rd = userp;
    size_t room = size * nmemb, n = rd->len - rd->pos;

    if (n > room)
        n = room;
    memcpy(dst, rd->p + rd->pos, n);
    rd->pos += n;
    return n;
}

static enum sspr_outcome failed(CURLcode rc, const char *ebuf, long smtp_code, long timeout,
                                char *err, size_t errlen)
{
    const char *detail = ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc);

    if (sspr_curl_explain(rc, ebuf, "the SMTP server", (int)timeout, err, errlen))
        return SSPR_FAILED;
    switch (rc) {
    case CURLE_USE_SSL_FAILED:
        sspr_set_err(err, errlen, "the SMTP server does not offer STARTTLS (starttls = required)");
        return SSPR_FAILED;
    case CURLE_LOGIN_DENIED:
        sspr_set_err(err, errlen, "the SMTP server refused the login (auth_file): %s", detail);
        return SSPR_FAILED;
    default:
        break;
    }
    if (smtp_code >= 400) {
        sspr_set_err(err, errlen, "the SMTP server refused the mail (SMTP %ld): %s", smtp_code,
                     detail);
        return SSPR_FAILED;
    }
    sspr_set_err(err, errlen, "sending mail failed: %s", detail);
    return SSPR_FAILED;
}

enum sspr_outcome sspr_smtp_send(const struct sspr_deliver_req *r, char *err, size_t errlen)
{
    struct reader rd = { r->message, strlen(r->message), 0 };
    struct curl_slist *rcpt = NULL;
    char ebuf[CURL_ERROR_SIZE], addr[600];
    enum sspr_outcome out = SSPR_FAILED;
    long code = 0;
    CURLcode rc;
    CURL *h;
    int smtps = strncasecmp(r->url, "smtps://", 8) == 0;

    if ((h = curl_easy_init()) == NULL) {
        sspr_set_err(err, errlen, "cannot start libcurl");
        return SSPR_FAILED;
    }
    snprintf(addr, sizeof(addr), "<%s>", r->rcpt);
    if ((rcpt = curl_slist_append(NULL, addr)) == NULL) {
        sspr_set_err(err, errlen, "out of memory");
        goto out;
    }
    snprintf(addr, sizeof(addr), "<%s>", r->mail_from);
    rc = sspr_curl_common(h, r, ebuf);
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_USE_SSL, smtps || r->starttls == SSPR_TLS_REQUIRED ? (long)CURLUSESSL_ALL
                         : r->starttls == SSPR_TLS_OPTIONAL        ? (long)CURLUSESSL_TRY
                                                                   : (long)CURLUSESSL_NONE);
    if (r->username != NULL) {
        SET(CURLOPT_USERNAME, r->username);
        SET(CURLOPT_PASSWORD, r->password != NULL ? r->password : "");
    }
    SET(CURLOPT_MAIL_FROM, addr);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, &rd);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd.len);
#undef SET
    if (rc != CURLE_OK) {
        sspr_set_err(err, errlen, "libcurl refused an option: %s", curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        out = failed(rc, ebuf, code, r->timeout, err, errlen);
        goto out;
    }
    out = SSPR_SENT;
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    return out;
}
