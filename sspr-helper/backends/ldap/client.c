/*
 * sspr-ldap, started when the flow first needs the directory (never on the
 * normal login path: the helper does not run there at all) and kept for
 * the flow. Every request has the configured timeout (plus a second for
 * the program itself); a request that runs out kills the program, and a
 * failed connection fails every later call of the flow at once, so that a
 * directory that is down or hangs costs at most one timeout (connecting:
 * one per URI of a failover list, which sspr-ldap tries in turn).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "backends/ldap/ldap.h"
#include "delivery/authfile.h"
#include "errbuf.h"
#include "sspr-ldap/proto.h"
#include "support/errors.h"
#include "support/safe_open.h"
#include "wipe.h"
#include "wire.h"

#ifndef SSPR_LDAP_PATH
#define SSPR_LDAP_PATH "/usr/libexec/pam_sspr/sspr-ldap"
#endif
#define CA_MAX_BYTES (512 * 1024)
#define SLACK_MS 1000

const char *sspr_ldap_program = SSPR_LDAP_PATH;
int sspr_ldap_check_program = 1;

void sspr_ldap_req(struct sspr_msg_buf *b, const char *op)
{
    sspr_msg_buf_init(b);
    sspr_msg_add_str(b, "op", op);
}

static void broken(struct sspr_ldap *l, int code, const char *why)
{
    l->code = code;
    if (!l->broken)
        syslog(LOG_ERR, "directory: %s", why);
    l->broken = 1;
    snprintf(l->broken_why, sizeof(l->broken_why), "%s", why);
    if (l->child.pid > 0)
        (void)sspr_child_stop(&l->child, sspr_now_ms()); /* killed at once */
}

void sspr_ldap_disconnect(struct sspr_ldap *l)
{
    if (l->child.pid > 0)
        (void)sspr_child_stop(&l->child, sspr_now_ms() + SLACK_MS);
}

/* How many URIs [ldap] uri lists (stored single-spaced). */
static int64_t uri_count(const struct sspr_config *cfg)
{
    int64_t n = 1;

    for (const char *p = cfg->ldap_uri; *p != '\0'; p++)
        n += *p == ' ';
    return n;
}

/* A request's deadline: the timeout, and for the hello the timeout of
 * every URI of the list (sspr-ldap tries them in turn), plus the slack. */
static int64_t deadline(const struct sspr_config *cfg, int hello)
{
    return sspr_now_ms() + (hello ? uri_count(cfg) : 1) * (int64_t)cfg->ldap_timeout * 1000 +
           SLACK_MS;
}

/* One round trip. */
static int exchange(struct sspr_ldap *l, const struct sspr_config *cfg, struct sspr_msg_buf *b,
                    int hello, struct sspr_msg *ans, int *rc, char *msg, size_t msglen)
{
    long long code;
    int64_t dl = deadline(cfg, hello);

    l->ops++;
    if (sspr_msg_send(l->child.fd, b, dl) != 0 || sspr_msg_recv(l->child.fd, ans, dl) != 0) {
        int e = errno;

        sspr_set_err(msg, msglen, "%s",
                     e == ETIMEDOUT ? "the directory did not answer in time"
                                    : "the directory client stopped (sspr-ldap)");
        broken(l, SSPR_E_DIRECTORY, msg);
        return SSPR_ERR_UNAVAILABLE;
    }
    if (sspr_msg_get_int(ans, "rc", &code) != 0) {
        sspr_msg_free(ans);
        sspr_set_err(msg, msglen, "the directory client sent a malformed answer");
        broken(l, SSPR_E_DIRECTORY, msg);
        return SSPR_ERR_UNAVAILABLE;
    }
    *rc = (int)code;
    if (sspr_msg_get_str(ans, "err", msg, msglen) != 0)
        sspr_set_err(msg, msglen, "%s", "");
    if (code < 0) {
        /* libldap's own codes: no server, timeout, connect or TLS error */
        char why[300];

        snprintf(why, sizeof(why), "the directory is not reachable: %s", msg);
        sspr_set_err(msg, msglen, "%s", why);
        sspr_msg_free(ans);
        broken(l, SSPR_E_DIRECTORY, msg);
        return SSPR_ERR_UNAVAILABLE;
    }
    return SSPR_OK;
}

static int add_ca(struct sspr_msg_buf *b, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;

    if (path[0] == '\0')
        return 0;
    if (sspr_read_ca_file("[ldap] ca_file", path, &text, &len, err, errlen) != 0)
        return -1;
    sspr_msg_add(b, "ca_pem", text, len);
    free(text);
    return 0;
}

/* Start sspr-ldap and bind. */
static int connect_dir(struct sspr_backend *be, char *msg, size_t msglen)
{
    struct sspr_ldap *l = sspr_ldap_of(be);
    const struct sspr_config *cfg = be->cfg;
    struct sspr_auth *auth = calloc(1, sizeof(*auth));
    struct sspr_msg_buf b;
    struct sspr_msg ans;
    char why[512];
    int rc = SSPR_ERR_UNAVAILABLE, code = 0, ecode = SSPR_E_DIRECTORY_BIND;

    if (auth == NULL)
        return SSPR_ERR_NOMEM;
    sspr_ldap_req(&b, SSPR_LDAP_OP_HELLO);
    sspr_msg_add_str(&b, "uri", cfg->ldap_uri);
    sspr_msg_add_int(&b, "starttls", cfg->ldap_starttls == SSPR_LDAP_STARTTLS_REQUIRED);
    sspr_msg_add_int(&b, "timeout", cfg->ldap_timeout);
    sspr_msg_add_str(&b, "bind_dn", cfg->ldap_bind_dn);
    if (cfg->ldap_bind_pw_file[0] != '\0' &&
        sspr_auth_load_flags(cfg->ldap_bind_pw_file, auth, SSPR_AUTH_PASSWORD_ONLY, why,
                             sizeof(why)) != 0) {
        sspr_set_err(msg, msglen, "[ldap] bind_pw_file: %s", why);
        goto out;
    }
    if (cfg->ldap_bind_dn[0] != '\0' && auth->password[0] == '\0') {
        sspr_set_err(msg, msglen, "[ldap] bind_pw_file %s has no password = line",
                     cfg->ldap_bind_pw_file);
        goto out;
    }
    sspr_msg_add_str(&b, "bind_pw", auth->password);
    ecode = SSPR_E_DIRECTORY;
    if (add_ca(&b, cfg->ldap_ca_file, msg, msglen) != 0)
        goto out;
    if (b.failed) {
        sspr_set_err(msg, msglen, "out of memory");
        goto out;
    }
    sspr_child_check_program = sspr_ldap_check_program;
    if (sspr_child_start(sspr_ldap_program, "sspr-ldap", &l->child, why, sizeof(why)) != 0) {
        sspr_set_err(msg, msglen, "the directory client cannot start: %s", why);
        goto out;
    }
    rc = exchange(l, cfg, &b, 1, &ans, &code, msg, msglen);
    if (rc == SSPR_OK) {
        const struct sspr_msg_item *sk;
        size_t at = 0;

        if (sspr_msg_get_str(&ans, "uri", l->uri, sizeof(l->uri)) != 0)
            l->uri[0] = '\0';
        l->skipped[0] = '\0';
        while ((sk = sspr_msg_next(&ans, &at, "skipped")) != NULL) {
            /* a provider of a failover list that is down: said, then passed over */
            syslog(LOG_WARNING, "directory: %.*s; trying the next URI", (int)sk->len,
                   (const char *)sk->val);
            if (l->skipped[0] == '\0')
                snprintf(l->skipped, sizeof(l->skipped), "%.*s", (int)sk->len,
                         (const char *)sk->val);
        }
        sspr_msg_free(&ans);
        if (code != 0) {
            snprintf(why, sizeof(why), "the directory refused the service account's bind (%s)",
                     msg);
            sspr_set_err(msg, msglen, "%s", why);
            ecode = SSPR_E_DIRECTORY_BIND;
            rc = SSPR_ERR_UNAVAILABLE;
        }
    }
out:
    sspr_msg_buf_free(&b);
    sspr_auth_wipe(auth);
    free(auth);
    if (rc != SSPR_OK && !l->broken)
        broken(l, ecode, msg);
    return rc;
}

int sspr_ldap_call(struct sspr_backend *be, struct sspr_msg_buf *b, struct sspr_msg *ans, int *rc,
                   char *msg, size_t msglen)
{
    struct sspr_ldap *l = sspr_ldap_of(be);
    int r;

    memset(ans, 0, sizeof(*ans));
    *rc = -1;
    if (l->broken) {
        sspr_set_err(msg, msglen, "%s", l->broken_why);
        sspr_msg_buf_free(b);
        be->code = l->code;
        return SSPR_ERR_UNAVAILABLE;
    }
    if (l->child.pid <= 0 && (r = connect_dir(be, msg, msglen)) != SSPR_OK) {
        sspr_msg_buf_free(b);
        be->code = l->code;
        return r;
    }
    r = exchange(l, be->cfg, b, 0, ans, rc, msg, msglen);
    sspr_msg_buf_free(b);
    if (r != SSPR_OK)
        be->code = l->code;
    return r;
}
