#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include "transport.h"

CURLcode sspr_curl_common(CURL *h, const struct sspr_deliver_req *r, char ebuf[CURL_ERROR_SIZE])
{
    CURLcode rc = CURLE_OK;

    ebuf[0] = '\0';
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, ebuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_URL, r->url);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAXREDIRS, 0L);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_CONNECTTIMEOUT, r->connect_timeout);
    SET(CURLOPT_TIMEOUT, r->timeout);
    if (r->ca_pem != NULL) {
        struct curl_blob blob = { (void *)(uintptr_t)r->ca_pem, strlen(r->ca_pem),
                                  CURL_BLOB_COPY };
        SET(CURLOPT_CAINFO_BLOB, &blob);
    }
#undef SET
    return rc;
}
