/* One wording for the transport failures of every delivery channel. */
#ifndef SSPR_CURL_EXPLAIN_H
#define SSPR_CURL_EXPLAIN_H

#include <curl/curl.h>
#include <stddef.h>

/* Explain rc for `peer` ("the SMTP server", "the SMS gateway") into err:
 * connect, name resolution, timeout (within timeout_s) and TLS failures.
 * ebuf is libcurl's CURLOPT_ERRORBUFFER text (may be ""). Returns 1 when
 * rc was one of those, 0 when the caller must word it (nothing written). */
int sspr_curl_explain(CURLcode rc, const char *ebuf, const char *peer, int timeout_s, char *err,
                      size_t errlen);

#endif
