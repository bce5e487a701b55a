/* Framing: read and write whole frames with deadlines, never SIGPIPE. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wipe.h"
#include "wire.h"

int64_t sspr_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int timeout = -1;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - sspr_now_ms();
            if (left <= 0)
                return SSPR_WIRE_ETIMEDOUT;
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd pfd = { .fd = fd, .events = events, .revents = 0 };
        int rc = poll(&pfd, 1, timeout);
        if (rc > 0)
            return SSPR_WIRE_OK; /* readable, writable, HUP or ERR: let I/O tell */
        if (rc < 0 && errno != EINTR)
            return SSPR_WIRE_EIO;
    }
}

int sspr_wire_write_all(int fd, const uint8_t *p, size_t n, int64_t deadline_ms)
{
    while (n > 0) {
        int rc = wait_fd(fd, POLLOUT, deadline_ms);
        if (rc != SSPR_WIRE_OK)
            return rc;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return SSPR_WIRE_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return SSPR_WIRE_OK;
}

/* Read exactly n bytes. *got tells how many arrived (to tell EOF apart
 * from truncation). */
int sspr_wire_read_all(int fd, uint8_t *p, size_t n, int64_t deadline_ms, size_t *got)
{
    *got = 0;
    while (*got < n) {
        int rc = wait_fd(fd, POLLIN, deadline_ms);
        if (rc != SSPR_WIRE_OK)
            return rc;
        ssize_t r = recv(fd, p + *got, n - *got, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return SSPR_WIRE_EIO;
        }
        if (r == 0)
            return SSPR_WIRE_ECLOSED;
        *got += (size_t)r;
    }
    return SSPR_WIRE_OK;
}

static int known_type(uint8_t t)
{
    return t >= SSPR_F_HELLO && t <= SSPR_F_RESULT;
}

int sspr_wire_check_header(const uint8_t hdr[5], uint32_t *payload_len)
{
    uint32_t len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
                   ((uint32_t)hdr[2] << 8) | (uint32_t)hdr[3];

    if (len < 1 || len > 1 + SSPR_WIRE_MAX_PAYLOAD || !known_type(hdr[4]))
        return SSPR_WIRE_EPROTO;
    *payload_len = len - 1;
    return SSPR_WIRE_OK;
}

int sspr_wire_send(int fd, uint8_t type, const void *payload, size_t len,
                   int64_t deadline_ms)
{
    uint8_t buf[5 + SSPR_WIRE_MAX_PAYLOAD];
    uint32_t total;
    int rc;

    if (!known_type(type) || len > SSPR_WIRE_MAX_PAYLOAD || (len > 0 && payload == NULL))
        return SSPR_WIRE_EPROTO;
    total = (uint32_t)len + 1;
    buf[0] = (uint8_t)(total >> 24);
    buf[1] = (uint8_t)(total >> 16);
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    buf[4] = type;
    if (len > 0)
        memcpy(buf + 5, payload, len);
    rc = sspr_wire_write_all(fd, buf, 5 + len, deadline_ms);
    SSPR_WIPE_ARRAY(buf); /* answers are secrets */
    return rc;
}

int sspr_wire_recv(int fd, struct sspr_frame *f, int64_t deadline_ms)
{
    uint8_t hdr[5];
    size_t got = 0;
    uint32_t plen = 0;
    int rc;

    f->type = 0;
    f->len = 0;
    f->payload[0] = '\0';
    rc = sspr_wire_read_all(fd, hdr, sizeof(hdr), deadline_ms, &got);
    if (rc == SSPR_WIRE_ECLOSED && got > 0)
        return SSPR_WIRE_ETRUNC;
    if (rc != SSPR_WIRE_OK)
        return rc;
    rc = sspr_wire_check_header(hdr, &plen);
    if (rc != SSPR_WIRE_OK)
        return rc;
    rc = sspr_wire_read_all(fd, (uint8_t *)f->payload, plen, deadline_ms, &got);
    if (rc == SSPR_WIRE_ECLOSED)
        rc = SSPR_WIRE_ETRUNC;
    if (rc != SSPR_WIRE_OK) {
        sspr_frame_wipe(f);
        return rc;
    }
    f->type = hdr[4];
    f->len = plen;
    f->payload[plen] = '\0';
    return SSPR_WIRE_OK;
}

void sspr_frame_wipe(struct sspr_frame *f)
{
    sspr_wipe(f->payload, sizeof(f->payload));
    f->len = 0;
}

const char *sspr_wire_strerror(int err)
{
    switch (err) {
    case SSPR_WIRE_OK: return "ok";
    case SSPR_WIRE_EIO: return "I/O error";
    case SSPR_WIRE_ETIMEDOUT: return "timed out";
    case SSPR_WIRE_EPROTO: return "malformed frame";
    case SSPR_WIRE_ECLOSED: return "peer closed the channel";
    case SSPR_WIRE_ETRUNC: return "truncated frame";
    case SSPR_WIRE_ESTATE: return "frame not allowed in this state";
    default: return "unknown error";
    }
}
