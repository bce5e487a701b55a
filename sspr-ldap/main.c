/*
 * sspr-ldap: pam_sspr's directory client. sspr-helper starts it as an
 * unprivileged user for one flow (support/child.c) and sends it requests
 * over the socket on stdin/stdout (proto.h); it holds the flow's one LDAP
 * connection and answers each request in turn. libldap parses what the
 * server sends here, never in the root helper. It exits at EOF, or when
 * a request comes before hello or is not understood.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldapc.h"
#include "msg.h"
#include "proto.h"
#include "wire.h"

/* One request's wait: the helper keeps its own deadlines, this only ends a
 * client whose helper went away without closing. */
#define IDLE_MS (15 * 60 * 1000)

static int answer(struct sspr_msg_buf *out)
{
    int rc = sspr_msg_send(STDOUT_FILENO, out, sspr_now_ms() + IDLE_MS);

    sspr_msg_buf_free(out);
    return rc;
}

int main(void)
{
    LDAP *ld = NULL;
    int status = 0;

    if (geteuid() == 0)
        return 2; /* the helper drops privileges first; never run as root */
    /* no ldap.conf, no ~/.ldaprc, no LDAP* variables: every option comes
     * from the helper */
    if (setenv("LDAPNOINIT", "1", 1) != 0)
        return 2;
    /* only simple binds here: libsasl2 need not load its ten plugins at
     * ldap_initialize (about 3 ms of every directory flow, bench) */
    if (setenv("SASL_PATH", "/dev/null", 1) != 0)
        return 2;
    for (;;) {
        struct sspr_msg req;
        struct sspr_msg_buf out;
        const struct sspr_msg_item *op;

        if (sspr_msg_recv(STDIN_FILENO, &req, sspr_now_ms() + IDLE_MS) != 0) {
            status = errno == 0 ? 0 : 1; /* EOF: the flow is over */
            break;
        }
        sspr_msg_buf_init(&out);
        op = sspr_msg_get(&req, "op");
        if (ld == NULL && sspr_msg_is(op, SSPR_LDAP_OP_HELLO)) {
            if (sspr_ldapc_hello(&req, &ld, &out) != LDAP_SUCCESS)
                status = 1;
        } else if (ld != NULL && sspr_msg_is(op, SSPR_LDAP_OP_SEARCH)) {
            sspr_ldapc_search(ld, &req, &out);
        } else if (ld != NULL && sspr_msg_is(op, SSPR_LDAP_OP_MODIFY)) {
            sspr_ldapc_modify(ld, &req, &out);
        } else if (ld != NULL && sspr_msg_is(op, SSPR_LDAP_OP_PASSWD)) {
            sspr_ldapc_passwd(ld, &req, &out);
        } else if (ld != NULL && sspr_msg_is(op, SSPR_LDAP_OP_WHOAMI)) {
            sspr_ldapc_whoami(ld, &out);
        } else {
            sspr_msg_add_int(&out, "rc", LDAP_PARAM_ERROR);
            sspr_msg_add_str(&out, "err", "unexpected request");
            status = 1;
        }
        sspr_msg_free(&req);
        if (answer(&out) != 0 || status != 0)
            break;
    }
    if (ld != NULL)
        ldap_unbind_ext_s(ld, NULL, NULL);
    return status;
}
