/* Is a delivery server reachable at all? Used so that an outage is reported
 * the same way whether or not the account has an address registered. */
#ifndef SSPR_DELIVERY_PROBE_H
#define SSPR_DELIVERY_PROBE_H

/* 0 when a connection (and a verified TLS handshake for smtps/https, with
 * ca_file when not empty) to url can be made within timeout_s seconds,
 * else -1. */
int sspr_probe_url(const char *url, const char *ca_file, int timeout_s);

#endif
