/*
 * Messages between sspr-helper and its unprivileged directory client
 * (sspr-ldap): a frame is a 4-byte big-endian length and that many bytes of
 * items; an item is a key ([a-z0-9_]+, at most 31 bytes), a NUL, a 4-byte
 * big-endian value length and the value. Values are bytes (a TOTP key is
 * binary), keys may repeat and their order means something (an entry's
 * attributes, then each attribute's values), so this is not the HELLO kv.
 *
 * Both sides parse what the other sent with sspr_msg_parse, which checks
 * every length before it is used; it is fuzzed (fuzz/fuzz_msg.c).
 */
#ifndef SSPR_MSG_H
#define SSPR_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SSPR_MSG_MAX (1024u * 1024u) /* bytes of items in one frame */
#define SSPR_MSG_ITEMS 8192u         /* items in one frame */
#define SSPR_MSG_KEY 31u

/* A message being built: items appended to a growing buffer. */
struct sspr_msg_buf {
    unsigned char *p;
    size_t len, cap;
    int failed; /* an append did not fit or memory ran out: send nothing */
};

void sspr_msg_buf_init(struct sspr_msg_buf *b);
/* Wipe (values may be passwords) and free. */
void sspr_msg_buf_free(struct sspr_msg_buf *b);
void sspr_msg_add(struct sspr_msg_buf *b, const char *key, const void *value, size_t len);
void sspr_msg_add_str(struct sspr_msg_buf *b, const char *key, const char *value);
void sspr_msg_add_int(struct sspr_msg_buf *b, const char *key, long long value);

struct sspr_msg_item {
    const char *key;           /* NUL-terminated, inside the frame */
    const unsigned char *val;  /* inside the frame; val[len] is not NUL */
    size_t len;
};

/* A parsed message: items pointing into the frame it came from. */
struct sspr_msg {
    unsigned char *frame; /* owned: wiped and freed by sspr_msg_free */
    size_t frame_len;
    size_t n;
    struct sspr_msg_item *items;
};

/* Parse len bytes of items (not the length prefix). The message owns
 * nothing yet: items point into buf. Returns 0, or -1 for anything
 * malformed (a bad key, a length past the end, too many items). */
int sspr_msg_parse(const unsigned char *buf, size_t len, struct sspr_msg *m);

/* The first item with key at or after *at (NULL when none); *at is moved
 * past it. */
const struct sspr_msg_item *sspr_msg_next(const struct sspr_msg *m, size_t *at, const char *key);
/* The first item with key, or NULL. */
const struct sspr_msg_item *sspr_msg_get(const struct sspr_msg *m, const char *key);
/* Its value as a C string (copied into buf; -1 when absent, too long or
 * holding a NUL). */
int sspr_msg_get_str(const struct sspr_msg *m, const char *key, char *buf, size_t size);
/* Its value as a decimal integer (-1 when absent or not a number). */
int sspr_msg_get_int(const struct sspr_msg *m, const char *key, long long *out);
/* 1 when item's value equals the C string s. */
int sspr_msg_is(const struct sspr_msg_item *it, const char *s);

/* Send b as one frame; read one frame into m (m->frame owned). Both poll
 * until deadline_ms (sspr_now_ms based, < 0: none). 0, or -1 with errno
 * (ETIMEDOUT, EPROTO for a bad frame, EPIPE/ECONNRESET, 0 for EOF). */
int sspr_msg_send(int fd, const struct sspr_msg_buf *b, int64_t deadline_ms);
int sspr_msg_recv(int fd, struct sspr_msg *m, int64_t deadline_ms);
void sspr_msg_free(struct sspr_msg *m);

#endif
