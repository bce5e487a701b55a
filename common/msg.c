/* The helper <-> directory client framing (msg.h). */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "wipe.h"
#include "wire.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int key_ok(const char *k, size_t n)
{
    if (n == 0 || n > SSPR_MSG_KEY)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return 0;
    return 1;
}

void sspr_msg_buf_init(struct sspr_msg_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void sspr_msg_buf_free(struct sspr_msg_buf *b)
{
    if (b->p != NULL) {
        sspr_wipe(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof(*b));
}

/* Room for n more bytes; the old buffer is wiped when it moves. */
static int grow(struct sspr_msg_buf *b, size_t n)
{
    size_t cap;
    unsigned char *p;

    if (b->failed || n > SSPR_MSG_MAX - b->len) {
        b->failed = 1;
        return -1;
    }
    if (b->len + n <= b->cap)
        return 0;
    cap = b->cap == 0 ? 1024 : b->cap;
    while (cap < b->len + n)
        cap *= 2;
    p = malloc(cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    if (b->p != NULL) {
        memcpy(p, b->p, b->len);
        sspr_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void sspr_msg_add(struct sspr_msg_buf *b, const char *key, const void *value, size_t len)
{
    size_t kl = strlen(key);

    if (!key_ok(key, kl) || len > SSPR_MSG_MAX || (value == NULL && len > 0)) {
        b->failed = 1;
        return;
    }
    if (grow(b, kl + 1 + 4 + len) != 0)
        return;
    memcpy(b->p + b->len, key, kl + 1);
    put32(b->p + b->len + kl + 1, (uint32_t)len);
    if (len > 0)
        memcpy(b->p + b->len + kl + 5, value, len);
    b->len += kl + 5 + len;
}

void sspr_msg_add_str(struct sspr_msg_buf *b, const char *key, const char *value)
{
    sspr_msg_add(b, key, value != NULL ? value : "", value != NULL ? strlen(value) : 0);
}

void sspr_msg_add_int(struct sspr_msg_buf *b, const char *key, long long value)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", value);

    sspr_msg_add(b, key, num, (size_t)n);
}

int sspr_msg_parse(const unsigned char *buf, size_t len, struct sspr_msg *m)
{
    size_t off = 0, n = 0;

    memset(m, 0, sizeof(*m));
    if (len > SSPR_MSG_MAX || (buf == NULL && len > 0))
        return -1;
    /* first pass: count and check; nothing is read past len */
    while (off < len) {
        const unsigned char *nul = memchr(buf + off, '\0', len - off);
        size_t kl;
        uint32_t vl;

        if (nul == NULL)
            return -1;
        kl = (size_t)(nul - (buf + off));
        if (!key_ok((const char *)buf + off, kl) || len - off - kl - 1 < 4)
            return -1;
        vl = get32(nul + 1);
        if (vl > len - off - kl - 5)
            return -1;
        off += kl + 5 + vl;
        if (++n > SSPR_MSG_ITEMS)
            return -1;
    }
    if (n > 0) {
        m->items = calloc(n, sizeof(*m->items));
        if (m->items == NULL)
            return -1;
    }
    off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen((const char *)buf + off);

        m->items[i].key = (const char *)buf + off;
        m->items[i].len = get32(buf + off + kl + 1);
        m->items[i].val = buf + off + kl + 5;
        off += kl + 5 + m->items[i].len;
    }
    m->n = n;
    return 0;
}

const struct sspr_msg_item *sspr_msg_next(const struct sspr_msg *m, size_t *at, const char *key)
{
    for (size_t i = *at; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            *at = i + 1;
            return &m->items[i];
        }
    }
    *at = m->n;
    return NULL;
}

const struct sspr_msg_item *sspr_msg_get(const struct sspr_msg *m, const char *key)
{
    size_t at = 0;

    return sspr_msg_next(m, &at, key);
}

int sspr_msg_get_str(const struct sspr_msg *m, const char *key, char *buf, size_t size)
{
    const struct sspr_msg_item *it = sspr_msg_get(m, key);

    if (size > 0)
        buf[0] = '\0';
    if (it == NULL || it->len >= size || memchr(it->val, '\0', it->len) != NULL)
        return -1;
    memcpy(buf, it->val, it->len);
    buf[it->len] = '\0';
    return 0;
}

int sspr_msg_get_int(const struct sspr_msg *m, const char *key, long long *out)
{
    char num[24], *end;
    long long v;

    if (sspr_msg_get_str(m, key, num, sizeof(num)) != 0 || num[0] == '\0' ||
        !((num[0] >= '0' && num[0] <= '9') || (num[0] == '-' && num[1] >= '0' && num[1] <= '9')))
        return -1;
    errno = 0;
    v = strtoll(num, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int sspr_msg_is(const struct sspr_msg_item *it, const char *s)
{
    size_t n = strlen(s);

    return it != NULL && it->len == n && memcmp(it->val, s, n) == 0;
}

static int io_errno(int rc)
{
    switch (rc) {
    case SSPR_WIRE_ETIMEDOUT:
        return ETIMEDOUT;
    case SSPR_WIRE_ECLOSED:
        return 0;
    default:
        return errno != 0 ? errno : EIO;
    }
}

int sspr_msg_send(int fd, const struct sspr_msg_buf *b, int64_t deadline_ms)
{
    unsigned char hdr[4];
    int rc;

    if (b->failed) {
        errno = EMSGSIZE;
        return -1;
    }
    put32(hdr, (uint32_t)b->len);
    rc = sspr_wire_write_all(fd, hdr, 4, deadline_ms);
    if (rc == SSPR_WIRE_OK && b->len > 0)
        rc = sspr_wire_write_all(fd, b->p, b->len, deadline_ms);
    if (rc != SSPR_WIRE_OK) {
        errno = io_errno(rc);
        return -1;
    }
    return 0;
}

int sspr_msg_recv(int fd, struct sspr_msg *m, int64_t deadline_ms)
{
    unsigned char hdr[4], *frame;
    size_t got;
    uint32_t len;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = sspr_wire_read_all(fd, hdr, 4, deadline_ms, &got);
    if (rc != SSPR_WIRE_OK) {
        errno = rc == SSPR_WIRE_ECLOSED && got > 0 ? EPROTO : io_errno(rc);
        return -1;
    }
    len = get32(hdr);
    if (len > SSPR_MSG_MAX) {
        errno = EPROTO;
        return -1;
    }
    frame = malloc(len > 0 ? len : 1);
    if (frame == NULL) {
        errno = ENOMEM;
        return -1;
    }
    rc = sspr_wire_read_all(fd, frame, len, deadline_ms, &got);
    if (rc != SSPR_WIRE_OK) {
        sspr_wipe(frame, len);
        free(frame);
        errno = rc == SSPR_WIRE_ECLOSED ? EPROTO : io_errno(rc);
        return -1;
    }
    if (sspr_msg_parse(frame, len, m) != 0) {
        sspr_wipe(frame, len);
        free(frame);
        errno = EPROTO;
        return -1;
    }
    m->frame = frame;
    m->frame_len = len;
    return 0;
}

void sspr_msg_free(struct sspr_msg *m)
{
    if (m->frame != NULL) {
        sspr_wipe(m->frame, m->frame_len);
        free(m->frame);
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}
