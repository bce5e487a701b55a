/* sspr-ldap's parts: the connection (conn.c) and the operations (ops.c). */
#ifndef SSPR_LDAPC_H
#define SSPR_LDAPC_H

#include <ldap.h>
#include <stdint.h>

#include "msg.h"

/* Connect and bind as the hello request says. Returns an LDAP result
 * code (0: *ld is ready) and fills out's rc/err either way. */
int sspr_ldapc_hello(const struct sspr_msg *req, LDAP **ld, struct sspr_msg_buf *out);

/* One request on a ready connection: its answer into out. */
void sspr_ldapc_search(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out);
void sspr_ldapc_modify(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out);
void sspr_ldapc_passwd(LDAP *ld, const struct sspr_msg *req, struct sspr_msg_buf *out);
void sspr_ldapc_whoami(LDAP *ld, struct sspr_msg_buf *out);

/* rc, and err: the server's diagnostic message when it sent one, else
 * libldap's words for rc. */
void sspr_ldapc_result(LDAP *ld, int rc, struct sspr_msg_buf *out);

/* libldap's struct berval has a char * that it only reads: the request's
 * bytes go there without a copy. */
static inline char *sspr_ldapc_unconst(const void *p)
{
    return (char *)(uintptr_t)p;
}

/* A C string copy of an item's value (NULL when absent or holding a NUL),
 * malloc'd. */
char *sspr_ldapc_dup(const struct sspr_msg *req, const char *key);

#endif
