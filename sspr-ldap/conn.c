/* The connection: TLS always verified, StartTLS where asked, one simple
 * bind, timeouts on connecting and on every operation. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ldapc.h"
#include "wipe.h"

char *sspr_ldapc_dup(const struct sspr_msg *req, const char *key)
{
    const struct sspr_msg_item *it = sspr_msg_get(req, key);
    char *s;

    if (it == NULL || memchr(it->val, '\0', it->len) != NULL || (s = malloc(it->len + 1)) == NULL)
        return NULL;
    memcpy(s, it->val, it->len);
    s[it->len] = '\0';
    return s;
}

void sspr_ldapc_result(LDAP *ld, int rc, struct sspr_msg_buf *out)
{
    char *diag = NULL;

    sspr_msg_add_int(out, "rc", rc);
    if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS &&
        diag != NULL && diag[0] != '\0')
        sspr_msg_add_str(out, "err", diag);
    else
        sspr_msg_add_str(out, "err", ldap_err2string(rc));
    if (diag != NULL)
        ldap_memfree(diag);
}

/* The CA certificates the helper sent, as a file libldap can open by name:
 * an anonymous memory file, named through /proc/self/fd. */
static int ca_file(const struct sspr_msg_item *pem, char *path, size_t size)
{
    int fd = memfd_create("sspr-ca", MFD_CLOEXEC);
    size_t off = 0;

    if (fd < 0)
        return -1;
    while (off < pem->len) {
        ssize_t n = write(fd, pem->val + off, pem->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    snprintf(path, size, "/proc/self/fd/%d", fd);
    return 0; /* kept open for the life of the process */
}

/* libldap 2.5 as Debian builds it (without LDAP_USE_NON_BLOCKING_TLS) has
 * no timeout on the TLS handshake: a server that accepts and then says
 * nothing holds an ldaps:// connection (or a StartTLS) for ever, and the
 * next URI of a failover list is never tried (a read timeout on the socket
 * does not help: libldap retries the handshake after EAGAIN). So every
 * connection gets a layer of its own between TLS and the socket: each read
 * or write waits at most the timeout for the socket, then fails for good.
 * Operations are not slowed: libldap reads only what poll said is there. */
static int sock_ms;

static int sock_wait(Sockbuf_IO_Desc *sbiod, short events)
{
    ber_socket_t fd = -1;
    struct pollfd p;
    int n;

    if (ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0)
        return 0;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    do
        n = poll(&p, 1, sock_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        errno = ETIMEDOUT;
    return n == 0 ? -1 : 0;
}

static ber_slen_t timed_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
    return sock_wait(sbiod, POLLIN) != 0 ? -1 : LBER_SBIOD_READ_NEXT(sbiod, buf, len);
}

static ber_slen_t timed_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
    return sock_wait(sbiod, POLLOUT) != 0 ? -1 : LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
}

static int timed_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
    return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static Sockbuf_IO timed_io = { NULL, NULL, timed_ctrl, timed_read, timed_write, NULL };

/* above the socket's own layers (LBER_SBIOD_LEVEL_PROVIDER, added after
 * the connect callback), below TLS (LBER_SBIOD_LEVEL_TRANSPORT) */
#define TIMED_LEVEL ((LBER_SBIOD_LEVEL_PROVIDER + LBER_SBIOD_LEVEL_TRANSPORT) / 2)

static int sock_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
                    struct ldap_conncb *ctx)
{
    (void)ld;
    (void)srv;
    (void)addr;
    (void)ctx;
    return ber_sockbuf_add_io(sb, &timed_io, TIMED_LEVEL, NULL) == 0 ? 0 : -1;
}

static void sock_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
    (void)ld;
    (void)sb;
    (void)ctx;
}

static struct ldap_conncb sock_cb = { sock_add, sock_del, NULL };

static int set_options(LDAP *ld, const struct sspr_msg *req, long timeout, char *why,
                       size_t whylen)
{
    const struct sspr_msg_item *pem = sspr_msg_get(req, "ca_pem");
    struct timeval tv = { timeout, 0 };
    int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
    static char path[64];

    sock_ms = (int)(timeout * 1000);

    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
        ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &sock_cb) != LDAP_OPT_SUCCESS) {
        snprintf(why, whylen, "cannot set the connection's options");
        return -1;
    }
    if (pem != NULL && pem->len > 0) {
        /* one memory file for every URI of the list */
        if ((path[0] == '\0' && ca_file(pem, path, sizeof(path)) != 0) ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, path) != LDAP_OPT_SUCCESS) {
            snprintf(why, whylen, "cannot use the CA certificates (ca_file)");
            return -1;
        }
    }
    /* the TLS options above take effect in a new context of this handle */
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
        snprintf(why, whylen, "cannot set up TLS (a CA file that is not PEM?)");
        return -1;
    }
    return 0;
}

/* The connection-level failures after which the next URI of the list is
 * tried: no server there, no answer in time, TLS or connect failed, or a
 * server that says it cannot serve now. A server's answer to the bind
 * (wrong password, say) is final, and so is a local error (options or CA
 * file that no URI could use either). */
static int try_next(int rc)
{
    return (rc < 0 && rc != LDAP_LOCAL_ERROR) || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* One URI: connect (StartTLS on ldap:// when asked; never on ldaps://,
 * where TLS is already up, nor on ldapi://) and bind. The answer goes to
 * out only when it is the last word: success, a failure after which no
 * other URI is tried, or the last URI of the list. */
static int hello_one(const struct sspr_msg *req, const char *uri, long timeout, int starttls,
                     const char *dn, struct berval *cred, int last, LDAP **ldp,
                     struct sspr_msg_buf *out)
{
    LDAP *ld = NULL;
    char why[128];
    int rc;

    *ldp = NULL;
    if (ldap_initialize(&ld, uri) != LDAP_SUCCESS) {
        sspr_msg_add_int(out, "rc", LDAP_PARAM_ERROR);
        sspr_msg_add_str(out, "err", "not an LDAP URI");
        return LDAP_PARAM_ERROR;
    }
    if (set_options(ld, req, timeout, why, sizeof(why)) != 0) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        sspr_msg_add_int(out, "rc", LDAP_LOCAL_ERROR);
        sspr_msg_add_str(out, "err", why);
        return LDAP_LOCAL_ERROR;
    }
    rc = LDAP_SUCCESS;
    if (starttls && strncasecmp(uri, "ldap://", 7) == 0)
        rc = ldap_start_tls_s(ld, NULL, NULL);
    if (rc == LDAP_SUCCESS)
        rc = ldap_sasl_bind_s(ld, dn[0] != '\0' ? dn : NULL, LDAP_SASL_SIMPLE, cred, NULL, NULL,
                              NULL);
    if (rc == LDAP_SUCCESS || !try_next(rc) || last) {
        sspr_ldapc_result(ld, rc, out);
        if (rc == LDAP_SUCCESS)
            sspr_msg_add_str(out, "uri", uri);
    } else {
        char line[512];

        snprintf(line, sizeof(line), "%s: %s", uri, ldap_err2string(rc));
        sspr_msg_add_str(out, "skipped", line);
    }
    if (rc == LDAP_SUCCESS)
        *ldp = ld;
    else
        ldap_unbind_ext_s(ld, NULL, NULL);
    return rc;
}

int sspr_ldapc_hello(const struct sspr_msg *req, LDAP **ldp, struct sspr_msg_buf *out)
{
    char *uris = sspr_ldapc_dup(req, "uri"), *dn = sspr_ldapc_dup(req, "bind_dn");
    const struct sspr_msg_item *pw = sspr_msg_get(req, "bind_pw");
    long long timeout = 0, starttls = 0;
    struct berval cred = { 0, NULL };
    char *save = NULL, *uri, *next;
    int rc = LDAP_PARAM_ERROR;

    *ldp = NULL;
    if (uris == NULL || dn == NULL || pw == NULL || sspr_msg_get_int(req, "timeout", &timeout) ||
        timeout < 1 || timeout > 120 || sspr_msg_get_int(req, "starttls", &starttls) ||
        (uri = strtok_r(uris, " ", &save)) == NULL) {
        sspr_msg_add_int(out, "rc", rc);
        sspr_msg_add_str(out, "err", "bad hello request");
        goto done;
    }
    /* the password stays in the request's frame: wiped when it is freed */
    cred.bv_val = sspr_ldapc_unconst(pw->val);
    cred.bv_len = pw->len;
    /* the URIs in turn, each with its own connection and timeouts: a
     * provider that is down or silent hands over to the next one */
    for (; uri != NULL; uri = next) {
        next = strtok_r(NULL, " ", &save);
        rc = hello_one(req, uri, (long)timeout, starttls != 0, dn, &cred, next == NULL, ldp, out);
        if (rc == LDAP_SUCCESS || !try_next(rc))
            break;
    }
done:
    free(uris);
    free(dn);
    return rc;
}
