/* The host and port of a delivery URL, for checks and probes. */
#ifndef SSPR_URL_H
#define SSPR_URL_H

#include <stddef.h>

/* Split scheme://[user@]host[:port][/...]: host without brackets, port as
 * written or the scheme's default (smtp 25, smtps 465, http 80, https 443;
 * "" for another scheme). port may be NULL. Returns 0 or -1. */
int sspr_url_host_port(const char *url, char *host, size_t hostlen, char *port, size_t portlen);

#endif
