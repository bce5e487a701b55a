/* Can the server be reached at all (TCP, and TLS for smtps:// and
 * https://)? Every name that chooses a channel pays for this same probe. */
#include "autoconf.h"

#include "curl_explain.h"
#include "errbuf.h"
#include "transport.h"

enum sspr_outcome sspr_probe(const struct sspr_deliver_req *r, char *err, size_t errlen)
{
    char ebuf[CURL_ERROR_SIZE];
    CURL *h = curl_easy_init();
    CURLcode rc;

    if (h == NULL) {
        sspr_set_err(err, errlen, "cannot start libcurl");
        return SSPR_FAILED;
    }
    rc = sspr_curl_common(h, r, ebuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps,http,https");
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        if (!sspr_curl_explain(rc, ebuf, "the server", (int)r->timeout, err, errlen))
            sspr_set_err(err, errlen, "probe failed: %s", curl_easy_strerror(rc));
        return SSPR_FAILED;
    }
    return SSPR_SENT;
}
