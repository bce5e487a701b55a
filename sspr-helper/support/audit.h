/* One syslog line (LOG_AUTHPRIV) per event, key=value, untrusted strings
 * escaped, never a code or a password. Format: docs/audit.md. */
#ifndef SSPR_AUDIT_H
#define SSPR_AUDIT_H

#include <stddef.h>

struct sspr_audit {
    char flow[17];          /* random flow id, hex */
    const char *user;       /* canonical name, or NULL for unknown */
    long uid;               /* -1 when unknown */
    const char *service;
    const char *rhost;
    const char *tty;
};

/* New flow id from the CSPRNG. */
void sspr_audit_begin(struct sspr_audit *a);

/* event: request, gate-pass, gate-fail, lockout, writeback, writeback-fail,
 * outcome, ... detail: extra "key=value" text written by us (not escaped). */
void sspr_audit(const struct sspr_audit *a, const char *event, const char *detail);

/* Escape s for a log line: printable ASCII except '"' and '\\' as is,
 * everything else as \xHH; at most outlen-1 bytes. */
void sspr_audit_escape(const char *s, char *out, size_t outlen);

#endif
