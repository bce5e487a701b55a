#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "delivery/deliver.h"
#include "errbuf.h"
#include "kv.h"
#include "support/child.h"
#include "support/err.h"
#include "support/safe_open.h"
#include "wipe.h"
#include "wire.h"

#ifndef SSPR_DELIVER_PATH
#define SSPR_DELIVER_PATH "/usr/libexec/pam_sspr/sspr-deliver"
#endif
#define START_GRACE_S 5
#define CA_MAX_BYTES (512 * 1024)
#define REPLY_MAX 1024

const char *sspr_deliver_program = SSPR_DELIVER_PATH;
int sspr_deliver_check_program = 1;

/* ---- the request ------------------------------------------------------------------ */

void sspr_request_init(struct sspr_request *r)
{
    memset(r, 0, sizeof(*r));
}

void sspr_request_add(struct sspr_request *r, const char *key, const char *value)
{
    size_t need = strlen(key) + strlen(value) + 2;

    if (r->failed)
        return;
    if (r->cap - r->len < need) {
        size_t cap = r->cap ? r->cap : 1024;
        char *nb;

        while (cap - r->len < need)
            cap *= 2;
        /* never realloc: the old buffer holds secrets and must be wiped */
        if ((nb = malloc(cap)) == NULL) {
            r->failed = 1;
            return;
        }
        if (r->len > 0)
            memcpy(nb, r->buf, r->len);
        if (r->buf != NULL) {
            sspr_wipe(r->buf, r->cap);
            free(r->buf);
        }
        r->buf = nb;
        r->cap = cap;
    }
    if (sspr_kv_append(r->buf, r->cap, &r->len, key, value) != 0)
        r->failed = 1;
}

void sspr_request_addl(struct sspr_request *r, const char *key, long value)
{
    char n[32];

    snprintf(n, sizeof(n), "%ld", value);
    sspr_request_add(r, key, n);
}

int sspr_request_add_ca(struct sspr_request *r, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;

    if (path == NULL || path[0] == '\0')
        return 0;
    if (sspr_read_ca_file("ca_file", path, &text, &len, err, errlen) != 0)
        return -1;
    sspr_request_add(r, "ca_pem", text);
    free(text);
    return 0;
}

void sspr_request_free(struct sspr_request *r)
{
    if (r->buf != NULL) {
        sspr_wipe(r->buf, r->cap);
        free(r->buf);
    }
    memset(r, 0, sizeof(*r));
}

/* ---- the program ------------------------------------------------------------------- */

const char *sspr_deliver_user(void)
{
    return sspr_child_user();
}

/* Read the reply line (to EOF) before the deadline. Its length or -1. */
static ssize_t recv_reply(int fd, char *buf, size_t cap, int64_t deadline)
{
    size_t got = 0;
    int rc = sspr_wire_read_all(fd, (uint8_t *)buf, cap - 1, deadline, &got);

    if (rc != SSPR_WIRE_OK && rc != SSPR_WIRE_ECLOSED)
        return -1;
    buf[got] = '\0';
    return (ssize_t)got;
}

int sspr_deliver(const struct sspr_request *r, int timeout_s, char *err, size_t errlen)
{
    struct sspr_child c;
    char reply[REPLY_MAX];
    int rc = SSPR_ERR_UNAVAILABLE;
    int64_t deadline = sspr_now_ms() + (int64_t)(timeout_s + START_GRACE_S) * 1000;
    ssize_t n;

    sspr_set_err(err, errlen, "%s", "");
    if (r->failed || r->len == 0) {
        sspr_set_err(err, errlen, "out of memory building the request");
        return SSPR_ERR_UNAVAILABLE;
    }
    sspr_child_check_program = sspr_deliver_check_program;
    if (sspr_child_start(sspr_deliver_program, "sspr-deliver", &c, err, errlen) != 0)
        return SSPR_ERR_UNAVAILABLE;
    if (sspr_wire_write_all(c.fd, (const uint8_t *)r->buf, r->len, deadline) != SSPR_WIRE_OK ||
        shutdown(c.fd, SHUT_WR) != 0) {
        sspr_set_err(err, errlen, "the delivery program did not take the request");
        goto stop;
    }
    n = recv_reply(c.fd, reply, sizeof(reply), deadline);
    if (n < 2 || reply[0] < '0' || reply[0] > '2' || reply[1] != ' ') {
        sspr_set_err(err, errlen, n < 0 ? "the delivery program did not answer in time"
                                        : "the delivery program failed to start");
        goto stop;
    }
    reply[strcspn(reply, "\n")] = '\0';
    sspr_set_err(err, errlen, "%s", reply + 2);
    rc = reply[0] == '0' ? SSPR_OK : reply[0] == '2' ? SSPR_ERR_REFUSED : SSPR_ERR_UNAVAILABLE;
stop:
    if (!sspr_child_stop(&c, deadline) && rc == SSPR_OK)
        rc = SSPR_ERR_UNAVAILABLE;
    return rc;
}
