#include "autoconf.h"

#include <curl/curl.h>

#include "delivery/probe.h"

int sspr_probe_url(const char *url, const char *ca_file, int timeout_s)
{
    CURL *c;
    CURLcode rc = CURLE_FAILED_INIT;

    if (url == NULL || url[0] == '\0' || (c = curl_easy_init()) == NULL)
        return -1;
    if (curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps,http,https") == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)timeout_s) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*") == CURLE_OK &&
        (ca_file == NULL || ca_file[0] == '\0' ||
         curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) == CURLE_OK))
        rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}
