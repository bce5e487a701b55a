/*
 * What sspr-helper and sspr-ldap say to each other (common/msg.h frames on
 * the socket that is sspr-ldap's stdin and stdout). The helper sends one
 * request and reads one answer, in turn; the first request is "hello". The
 * program holds one LDAP connection for the whole flow and exits at EOF.
 *
 * Every answer: rc (the LDAP result code, or one of libldap's negative API
 * codes: -1 server down, -5 timeout, -11 connect error), err (the server's
 * diagnostic message, else libldap's words for rc).
 *
 * hello   uri (one or more, space-separated), starttls (1: StartTLS
 *         required on ldap://; never on ldaps:// or ldapi://), ca_pem (PEM
 *         certificates to trust, optional: else the system's store),
 *         bind_dn, bind_pw (empty: anonymous), timeout (seconds for
 *         connecting and for each operation). Connects and binds at once,
 *         to each URI in turn until one works: the next is tried after a
 *         connection-level failure (no server, no answer in time, TLS,
 *         unavailable/busy), not after the server refused the bind.
 *         Answer: uri (the one that works), and per URI passed over a
 *         skipped item ("URI: why").
 * search  base, scope (base | one | sub), filter, attr (repeated: the
 *         attributes wanted), limit (entries; more is rc 4).
 *         Answer: per entry a dn item, then per attribute an attr item
 *         followed by its val items.
 * modify  dn, then per change a mod item (add | delete | replace), an attr
 *         item and its val items. Applied in one operation: all or none.
 * passwd  dn (whose password), new, authzid (optional: "dn:..." for the
 *         proxied authorization control: the change is made as that
 *         identity, so the server's own policy applies as for its own
 *         change).
 * whoami  Answer: id (the authorization identity of the connection).
 */
#ifndef SSPR_LDAP_PROTO_H
#define SSPR_LDAP_PROTO_H

#define SSPR_LDAP_OP_HELLO "hello"
#define SSPR_LDAP_OP_SEARCH "search"
#define SSPR_LDAP_OP_MODIFY "modify"
#define SSPR_LDAP_OP_PASSWD "passwd"
#define SSPR_LDAP_OP_WHOAMI "whoami"

/* LDAP result codes the helper acts on (RFC 4511). */
#define SSPR_LDAP_SUCCESS 0
#define SSPR_LDAP_SIZELIMIT 4
#define SSPR_LDAP_NO_SUCH_ATTRIBUTE 16
#define SSPR_LDAP_CONSTRAINT 19
#define SSPR_LDAP_TYPE_OR_VALUE_EXISTS 20
#define SSPR_LDAP_NO_SUCH_OBJECT 32
#define SSPR_LDAP_INVALID_CREDENTIALS 49
#define SSPR_LDAP_INSUFFICIENT_ACCESS 50
#define SSPR_LDAP_UNWILLING 53
#define SSPR_LDAP_ASSERTION_FAILED 122
#define SSPR_LDAP_PROXY_DENIED 123

#endif
