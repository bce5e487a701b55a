#include "autoconf.h"

#include "curl_explain.h"
#include "errbuf.h"

int sspr_curl_explain(CURLcode rc, const char *ebuf, const char *peer, int timeout_s, char *err,
                      size_t errlen)
{
    const char *detail = ebuf != NULL && ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc);

    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        sspr_set_err(err, errlen, "cannot connect to %s: %s", peer, detail);
        return 1;
    case CURLE_COULDNT_RESOLVE_HOST:
        sspr_set_err(err, errlen, "cannot resolve the host name of %s: %s", peer, detail);
        return 1;
    case CURLE_OPERATION_TIMEDOUT:
        sspr_set_err(err, errlen, "%s did not finish within %d s: %s", peer, timeout_s, detail);
        return 1;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        sspr_set_err(err, errlen, "TLS with %s failed: %s", peer, detail);
        return 1;
    default:
        return 0;
    }
}
