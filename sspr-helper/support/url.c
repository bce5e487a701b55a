/* URL host and port (config checks, doctor, probes). */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "support/url.h"

int sspr_url_host_port(const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *p = strstr(url, "://"), *end, *at, *colon;
    const char *scheme_port;
    size_t slen;

    if (p == NULL)
        return -1;
    slen = (size_t)(p - url);
    if (slen == 4 && strncasecmp(url, "smtp", 4) == 0)
        scheme_port = "25";
    else if (slen == 5 && strncasecmp(url, "smtps", 5) == 0)
        scheme_port = "465";
    else if (slen == 5 && strncasecmp(url, "https", 5) == 0)
        scheme_port = "443";
    else if (slen == 4 && strncasecmp(url, "http", 4) == 0)
        scheme_port = "80";
    else
        scheme_port = "";
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL)
        p = at + 1;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));

        if (close == NULL || (size_t)(close - p - 1) >= hostlen)
            return -1;
        memcpy(host, p + 1, (size_t)(close - p - 1));
        host[close - p - 1] = '\0';
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        size_t hl = (size_t)((colon != NULL ? colon : end) - p);

        if (hl == 0 || hl >= hostlen)
            return -1;
        memcpy(host, p, hl);
        host[hl] = '\0';
    }
    if (port == NULL)
        return 0;
    if (colon != NULL) {
        size_t pl = (size_t)(end - colon - 1);

        if (pl == 0 || pl >= portlen)
            return -1;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, portlen, "%s", scheme_port);
    }
    return 0;
}
