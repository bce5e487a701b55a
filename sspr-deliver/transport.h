/* What sspr-deliver does with one request, over libcurl. */
#ifndef SSPR_DELIVER_TRANSPORT_H
#define SSPR_DELIVER_TRANSPORT_H

#include <stddef.h>

#include <curl/curl.h>

#include "request.h"

enum sspr_outcome {
    SSPR_SENT = 0,     /* the server took it (probe: it answered) */
    SSPR_FAILED = 1,   /* the server or the way there failed */
    SSPR_REFUSED = 2,  /* the server refused this message (the recipient): not its fault */
};

enum sspr_outcome sspr_smtp_send(const struct sspr_deliver_req *r, char *err, size_t errlen);
enum sspr_outcome sspr_http_send(const struct sspr_deliver_req *r, char *err, size_t errlen);
enum sspr_outcome sspr_probe(const struct sspr_deliver_req *r, char *err, size_t errlen);

/* The options every transfer gets: no signals, no proxy, no redirects,
 * verified TLS (the request's CA certificates or the system's), the
 * timeouts, an error buffer. CURLE_OK or the first refusal. */
CURLcode sspr_curl_common(CURL *h, const struct sspr_deliver_req *r, char ebuf[CURL_ERROR_SIZE]);

#endif
