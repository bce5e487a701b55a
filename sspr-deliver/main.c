/*
 * sspr-deliver: send one email or SMS, or probe a server, for sspr-helper.
 *
 * The root helper starts it as an unprivileged user (`_sspr`, else
 * `nobody`) with the request on stdin and a pipe on stdout, and nothing
 * else: it cannot read the state directory, the configuration or the
 * credential files (their contents come in the request). Network parsing
 * of servers the admin configured, and libcurl's whole library tree, thus
 * never run as root nor in the helper (OpenSSH's privilege separation is
 * the model). One line goes back: "<outcome> <text>", and the exit status
 * is the outcome (0 sent, 1 failed, 2 refused).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "errbuf.h"
#include "request.h"
#include "transport.h"
#include "wipe.h"

static int reply(enum sspr_outcome o, const char *text)
{
    printf("%d %s\n", (int)o, text != NULL ? text : "");
    fflush(stdout);
    return (int)o;
}

/* stdin to EOF into a buffer of at most SSPR_DELIVER_MAX_REQUEST bytes. */
static char *read_request(size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);

    while (buf != NULL) {
        ssize_t r;

        if (n == cap) {
            char *nb;
            if (cap >= SSPR_DELIVER_MAX_REQUEST || (nb = realloc(buf, cap * 2)) == NULL) {
                sspr_wipe(buf, n);
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sspr_wipe(buf, n);
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    struct sspr_deliver_req req;
    char err[512] = "";
    enum sspr_outcome o;
    size_t len = 0;
    char *buf;

    (void)argv;
    if (argc != 1 || isatty(STDIN_FILENO)) {
        fputs("sspr-deliver is started by sspr-helper, not by hand.\n", stderr);
        return reply(SSPR_FAILED, "usage");
    }
    /* whatever started it, it never works as root */
    if (geteuid() == 0 || getuid() == 0)
        return reply(SSPR_FAILED, "refusing to run as root");
    if ((buf = read_request(&len)) == NULL)
        return reply(SSPR_FAILED, "cannot read the request");
    if (sspr_deliver_parse(buf, len, &req, err, sizeof(err)) != 0) {
        o = SSPR_FAILED;
    } else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sspr_set_err(err, sizeof(err), "cannot start libcurl");
        o = SSPR_FAILED;
    } else {
        o = req.kind == SSPR_DELIVER_SMTP   ? sspr_smtp_send(&req, err, sizeof(err))
            : req.kind == SSPR_DELIVER_HTTP ? sspr_http_send(&req, err, sizeof(err))
                                            : sspr_probe(&req, err, sizeof(err));
        curl_global_cleanup();
    }
    sspr_wipe(buf, len); /* credentials, the code */
    free(buf);
    for (char *p = err; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return reply(o, err);
}
