/* Doctor: the SMTP server and the SMS gateway accept connections. */
#include "autoconf.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "support/errors.h"
#include "support/url.h"

#define CONNECT_TIMEOUT_MS 5000

/* A TCP connection to host:port within timeout_ms. Returns 0 or -1 with why. */
static int tcp_probe(const char *host, const char *port, int timeout_ms, char *why, size_t len)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, ok = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, len, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    snprintf(why, len, "no address for %s", host);
    for (ai = res; ai != NULL && ok != 0; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        struct pollfd pfd;
        int err = 0;
        socklen_t elen = sizeof(err);

        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            ok = 0;
        } else if (errno == EINPROGRESS) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            do
                rc = poll(&pfd, 1, timeout_ms);
            while (rc < 0 && errno == EINTR);
            if (rc == 0)
                snprintf(why, len, "connection to %s port %s timed out after %d s", host, port,
                         timeout_ms / 1000);
            else if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
                ok = 0;
            else
                snprintf(why, len, "cannot connect to %s port %s: %s", host, port,
                         strerror(err != 0 ? err : errno));
        } else {
            snprintf(why, len, "cannot connect to %s port %s: %s", host, port, strerror(errno));
        }
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

static void check_endpoint(struct sspr_report *r, const char *what, const char *url, int code)
{
    char host[256], port[16], why[512];

    if (sspr_url_host_port(url, host, sizeof(host), port, sizeof(port)) != 0 || port[0] == '\0') {
        sspr_fail(r, SSPR_E_CONFIG_INVALID, "%s: cannot tell host and port from the URL", what);
        return;
    }
    if (tcp_probe(host, port, CONNECT_TIMEOUT_MS, why, sizeof(why)) != 0) {
        sspr_fail(r, code, "%s: %s", what, why);
        return;
    }
    sspr_pass(r, "%s: %s port %s accepts connections", what, host, port);
}

void sspr_doctor_check_delivery(struct sspr_report *r, const struct sspr_config *cfg)
{
    if (sspr_config_email_on(cfg))
        check_endpoint(r, "email (SMTP server)", cfg->smtp_url, SSPR_E_SMTP_UNREACHABLE);
    else
        sspr_pass(r, "email: not configured ([email] smtp_url empty), nothing to check");
    if (sspr_config_sms_on(cfg))
        check_endpoint(r, "SMS gateway", cfg->sms_url, SSPR_E_SMS_GATEWAY);
    else
        sspr_pass(r, "SMS: not configured ([sms] url empty), nothing to check");
}
