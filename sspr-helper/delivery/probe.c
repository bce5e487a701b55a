/* Can the server be reached? Asked of sspr-deliver, like a send. */
#include "autoconf.h"

#include "delivery/deliver.h"
#include "delivery/probe.h"
#include "support/err.h"

int sspr_probe_url(const char *url, const char *ca_file, int timeout_s)
{
    struct sspr_request req;
    char err[256];
    int rc = -1;

    if (url == NULL || url[0] == '\0')
        return -1;
    sspr_request_init(&req);
    sspr_request_add(&req, "kind", "probe");
    sspr_request_add(&req, "url", url);
    sspr_request_addl(&req, "timeout", (long)timeout_s);
    if (sspr_request_add_ca(&req, ca_file, err, sizeof(err)) == 0)
        rc = sspr_deliver(&req, timeout_s, err, sizeof(err)) == SSPR_OK ? 0 : -1;
    sspr_request_free(&req);
    return rc;
}
