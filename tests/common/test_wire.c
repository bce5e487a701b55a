/*
 * Unit tests for common/wire.c: framing over a socketpair.
 *
 * Every test talks to a real AF_UNIX stream socketpair; "the peer" writes
 * raw bytes with write(2) so malformed frames can be built byte by byte.
 */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"

#include "wire.h"

struct pair {
    int a; /* the side under test */
    int b; /* the raw peer */
};

static int setup_pair(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));
    int sv[2];

    if (p == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        free(p);
        return -1;
    }
    p->a = sv[0];
    p->b = sv[1];
    *state = p;
    return 0;
}

static int teardown_pair(void **state)
{
    struct pair *p = *state;

    if (p->a >= 0)
        close(p->a);
    if (p->b >= 0)
        close(p->b);
    free(p);
    return 0;
}

static void close_peer(struct pair *p)
{
    close(p->b);
    p->b = -1;
}

/* Write raw bytes to the peer side, all of them. */
static void raw_write(int fd, const void *buf, size_t n)
{
    const uint8_t *q = buf;

    while (n > 0) {
        ssize_t w = write(fd, q, n);
        assert_true(w > 0);
        q += w;
        n -= (size_t)w;
    }
}

static void put_header(uint8_t hdr[5], uint32_t len, uint8_t type)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
    hdr[4] = type;
}

/* 1 when fd has bytes to read right now. */
static int readable_now(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };

    return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

static int64_t soon(int64_t ms)
{
    return sspr_now_ms() + ms;
}

/* ---- round trips ------------------------------------------------------- */

static void test_roundtrip_every_type(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    for (uint8_t t = SSPR_F_HELLO; t <= SSPR_F_RESULT; t++) {
        char msg[32];
        int n = snprintf(msg, sizeof(msg), "payload-%u", (unsigned)t);
        assert_int_equal(sspr_wire_send(p->a, t, msg, (size_t)n, soon(2000)), SSPR_WIRE_OK);
        assert_int_equal(sspr_wire_recv(p->b, &f, soon(2000)), SSPR_WIRE_OK);
        assert_int_equal(f.type, t);
        assert_int_equal(f.len, (uint32_t)n);
        assert_string_equal(f.payload, msg);
    }
}

static void test_payload_nul_terminated(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    memset(f.payload, 'X', sizeof(f.payload));
    /* "abc" sent without its NUL */
    assert_int_equal(sspr_wire_send(p->b, SSPR_F_INFO, "abc", 3, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.payload, "abc", 4); /* includes the terminator */
}

static void test_empty_payload(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t hdr[5];

    memset(f.payload, 'X', sizeof(f.payload));
    assert_int_equal(sspr_wire_send(p->a, SSPR_F_CANCEL, NULL, 0, soon(2000)), SSPR_WIRE_OK);
    /* on the wire: length 1 (just the type byte) */
    assert_int_equal(read(p->b, hdr, sizeof(hdr)), 5);
    assert_int_equal(hdr[0] | hdr[1] | hdr[2], 0);
    assert_int_equal(hdr[3], 1);
    assert_int_equal(hdr[4], SSPR_F_CANCEL);
    assert_false(readable_now(p->b));

    raw_write(p->b, hdr, sizeof(hdr));
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_CANCEL);
    assert_int_equal(f.len, 0);
    assert_int_equal(f.payload[0], '\0');
}

static void test_max_payload(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    static char big[SSPR_WIRE_MAX_PAYLOAD];

    memset(big, 'q', sizeof(big));
    assert_int_equal(sspr_wire_send(p->a, SSPR_F_ANSWER, big, sizeof(big), soon(2000)),
                     SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_recv(p->b, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_ANSWER);
    assert_int_equal(f.len, SSPR_WIRE_MAX_PAYLOAD);
    assert_memory_equal(f.payload, big, sizeof(big));
    assert_int_equal(f.payload[SSPR_WIRE_MAX_PAYLOAD], '\0');
}

static void test_binary_payload(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    /* HELLO payloads contain NULs: the length, not strlen, counts */
    static const char kv[] = "version=1\0user=alice\0service=login";
    const size_t n = sizeof(kv); /* includes the final NUL */

    assert_int_equal(sspr_wire_send(p->a, SSPR_F_HELLO, kv, n, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_recv(p->b, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.len, n);
    assert_memory_equal(f.payload, kv, n);
}

static void test_back_to_back_frames(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t buf[5 + 2 + 5 + 3];

    /* two frames in a single write(): recv must not over-read the first */
    put_header(buf, 3, SSPR_F_INFO);
    memcpy(buf + 5, "hi", 2);
    put_header(buf + 7, 4, SSPR_F_RESULT);
    memcpy(buf + 12, "bye", 3);
    raw_write(p->b, buf, sizeof(buf));

    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_INFO);
    assert_string_equal(f.payload, "hi");
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_RESULT);
    assert_string_equal(f.payload, "bye");
}

static void test_dribbled_frame(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t buf[5 + 5];
    pid_t pid;

    /* the frame arrives one byte at a time from another process */
    put_header(buf, 6, SSPR_F_ERROR);
    memcpy(buf + 5, "oops!", 5);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            if (write(p->b, buf + i, 1) != 1)
                _exit(1);
            usleep(2000);
        }
        _exit(0);
    }
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(5000)), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_ERROR);
    assert_string_equal(f.payload, "oops!");
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* ---- malformed headers ---------------------------------------------------- */

static void expect_recv_error(struct pair *p, const uint8_t *bytes, size_t n, int want)
{
    static struct sspr_frame f;

    raw_write(p->b, bytes, n);
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), want);
}

static void test_recv_type_0(void **state)
{
    uint8_t hdr[6];

    put_header(hdr, 2, 0);
    hdr[5] = 'x';
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_type_9(void **state)
{
    uint8_t hdr[6];

    put_header(hdr, 2, 9);
    hdr[5] = 'x';
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_type_255(void **state)
{
    uint8_t hdr[6];

    put_header(hdr, 2, 255);
    hdr[5] = 'x';
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_length_0(void **state)
{
    uint8_t hdr[5];

    put_header(hdr, 0, SSPR_F_INFO);
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_length_over_cap(void **state)
{
    uint8_t hdr[5];

    /* 1 + MAX_PAYLOAD is the largest legal length */
    put_header(hdr, 1 + SSPR_WIRE_MAX_PAYLOAD + 1, SSPR_F_INFO);
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_length_huge(void **state)
{
    uint8_t hdr[5];

    put_header(hdr, 0xffffffffu, SSPR_F_ANSWER);
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_recv_length_high_bit(void **state)
{
    uint8_t hdr[5];

    /* would be 1 + MAX_PAYLOAD if only the low bytes were looked at */
    put_header(hdr, 0x01000000u | (1 + SSPR_WIRE_MAX_PAYLOAD), SSPR_F_ANSWER);
    expect_recv_error(*state, hdr, sizeof(hdr), SSPR_WIRE_EPROTO);
}

static void test_check_header(void **state)
{
    uint8_t hdr[5];
    uint32_t plen = 12345;

    (void)state;
    put_header(hdr, 1, SSPR_F_CANCEL);
    assert_int_equal(sspr_wire_check_header(hdr, &plen), SSPR_WIRE_OK);
    assert_int_equal(plen, 0);

    put_header(hdr, 1 + SSPR_WIRE_MAX_PAYLOAD, SSPR_F_HELLO);
    assert_int_equal(sspr_wire_check_header(hdr, &plen), SSPR_WIRE_OK);
    assert_int_equal(plen, SSPR_WIRE_MAX_PAYLOAD);

    put_header(hdr, 2 + SSPR_WIRE_MAX_PAYLOAD, SSPR_F_HELLO);
    assert_int_equal(sspr_wire_check_header(hdr, &plen), SSPR_WIRE_EPROTO);
    put_header(hdr, 0, SSPR_F_HELLO);
    assert_int_equal(sspr_wire_check_header(hdr, &plen), SSPR_WIRE_EPROTO);

    for (unsigned t = 0; t < 256; t++) {
        int known = t >= SSPR_F_HELLO && t <= SSPR_F_RESULT;
        put_header(hdr, 5, (uint8_t)t);
        assert_int_equal(sspr_wire_check_header(hdr, &plen),
                         known ? SSPR_WIRE_OK : SSPR_WIRE_EPROTO);
    }
}

/* ---- truncation and EOF ---------------------------------------------------- */

static void test_clean_eof(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    close_peer(p);
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_ECLOSED);
}

static void test_eof_after_whole_frame(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    assert_int_equal(sspr_wire_send(p->b, SSPR_F_RESULT, "denied", 6, soon(2000)), SSPR_WIRE_OK);
    close_peer(p);
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_OK);
    assert_string_equal(f.payload, "denied");
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_ECLOSED);
}

static void test_truncated_header(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t hdr[5];

    for (size_t cut = 1; cut < sizeof(hdr); cut++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        put_header(hdr, 4, SSPR_F_INFO);
        raw_write(sv[1], hdr, cut);
        close(sv[1]);
        assert_int_equal(sspr_wire_recv(sv[0], &f, soon(2000)), SSPR_WIRE_ETRUNC);
        close(sv[0]);
    }
    (void)p;
}

static void test_truncated_payload(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t buf[5 + 4];

    put_header(buf, 1 + 10, SSPR_F_ANSWER);
    memcpy(buf + 5, "1234", 4);
    raw_write(p->b, buf, sizeof(buf));
    close_peer(p);
    memset(f.payload, 'S', sizeof(f.payload));
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_ETRUNC);
    /* a partial answer must not be left behind in the buffer */
    for (size_t i = 0; i < 4; i++)
        assert_int_not_equal(f.payload[i], "1234"[i]);
}

static void test_truncated_header_only(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t hdr[5];

    /* a whole header announcing a payload that never comes */
    put_header(hdr, 1 + 1, SSPR_F_ANSWER);
    raw_write(p->b, hdr, sizeof(hdr));
    close_peer(p);
    assert_int_equal(sspr_wire_recv(p->a, &f, soon(2000)), SSPR_WIRE_ETRUNC);
}

/* ---- deadlines --------------------------------------------------------------- */

static void test_recv_deadline_silent_peer(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    int64_t t0 = sspr_now_ms();

    assert_int_equal(sspr_wire_recv(p->a, &f, t0 + 150), SSPR_WIRE_ETIMEDOUT);
    int64_t dt = sspr_now_ms() - t0;
    assert_true(dt >= 140);
    assert_true(dt < 3000);
}

static void test_recv_deadline_partial_frame(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;
    uint8_t buf[5 + 2];
    int64_t t0 = sspr_now_ms();

    /* the peer starts a frame and stalls (slow loris) */
    put_header(buf, 1 + 100, SSPR_F_PROMPT_ECHO_OFF);
    memcpy(buf + 5, "Pa", 2);
    raw_write(p->b, buf, sizeof(buf));
    assert_int_equal(sspr_wire_recv(p->a, &f, t0 + 150), SSPR_WIRE_ETIMEDOUT);
    assert_true(sspr_now_ms() - t0 < 3000);
}

static void test_recv_deadline_in_past(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    assert_int_equal(sspr_wire_recv(p->a, &f, sspr_now_ms() - 1000), SSPR_WIRE_ETIMEDOUT);
}

static void test_recv_no_deadline_gets_frame(void **state)
{
    struct pair *p = *state;
    static struct sspr_frame f;

    /* deadline < 0 means "wait forever": data already there is returned */
    assert_int_equal(sspr_wire_send(p->b, SSPR_F_INFO, "x", 1, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_recv(p->a, &f, -1), SSPR_WIRE_OK);
    assert_string_equal(f.payload, "x");
}

static void test_send_deadline_full_buffer(void **state)
{
    struct pair *p = *state;
    static char chunk[SSPR_WIRE_MAX_PAYLOAD];
    int rc = SSPR_WIRE_OK;
    int64_t t0;

    /* the peer never reads: sooner or later the socket buffer is full and
     * a send must give up at its deadline instead of blocking */
    memset(chunk, 'z', sizeof(chunk));
    t0 = sspr_now_ms();
    for (int i = 0; i < 100000 && rc == SSPR_WIRE_OK; i++)
        rc = sspr_wire_send(p->a, SSPR_F_INFO, chunk, sizeof(chunk), sspr_now_ms() + 100);
    assert_int_equal(rc, SSPR_WIRE_ETIMEDOUT);
    assert_true(sspr_now_ms() - t0 < 10000);
}

/* ---- sending ------------------------------------------------------------------- */

static void test_send_oversized_refused(void **state)
{
    struct pair *p = *state;
    static char big[SSPR_WIRE_MAX_PAYLOAD + 1];

    memset(big, 'o', sizeof(big));
    assert_int_equal(sspr_wire_send(p->a, SSPR_F_ANSWER, big, sizeof(big), soon(2000)),
                     SSPR_WIRE_EPROTO);
    assert_int_equal(sspr_wire_send(p->a, SSPR_F_ANSWER, big, (size_t)-1, soon(2000)),
                     SSPR_WIRE_EPROTO);
    assert_false(readable_now(p->b)); /* nothing half-written */
}

static void test_send_unknown_type_refused(void **state)
{
    struct pair *p = *state;

    assert_int_equal(sspr_wire_send(p->a, 0, "x", 1, soon(2000)), SSPR_WIRE_EPROTO);
    assert_int_equal(sspr_wire_send(p->a, 9, "x", 1, soon(2000)), SSPR_WIRE_EPROTO);
    assert_int_equal(sspr_wire_send(p->a, 255, "x", 1, soon(2000)), SSPR_WIRE_EPROTO);
    assert_false(readable_now(p->b));
}

static void test_send_null_payload_refused(void **state)
{
    struct pair *p = *state;

    assert_int_equal(sspr_wire_send(p->a, SSPR_F_ANSWER, NULL, 5, soon(2000)), SSPR_WIRE_EPROTO);
    assert_false(readable_now(p->b));
}

static void test_send_to_closed_peer_no_sigpipe(void **state)
{
    struct pair *p = *state;
    struct sigaction dfl, old;

    /* SIGPIPE at its default action would kill this test process */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    assert_int_equal(sigaction(SIGPIPE, &dfl, &old), 0);
    close_peer(p);
    assert_int_equal(sspr_wire_send(p->a, SSPR_F_ANSWER, "secret", 6, soon(2000)),
                     SSPR_WIRE_EIO);
    assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

static void test_recv_bad_fd(void **state)
{
    static struct sspr_frame f;
    int rc;

    (void)state;
    rc = sspr_wire_recv(-1, &f, soon(200));
    assert_true(rc == SSPR_WIRE_EIO || rc == SSPR_WIRE_ETIMEDOUT);
}

/* ---- misc ------------------------------------------------------------------------- */

static void test_frame_wipe(void **state)
{
    static struct sspr_frame f;

    (void)state;
    memset(f.payload, 'S', sizeof(f.payload));
    f.len = 10;
    sspr_frame_wipe(&f);
    assert_int_equal(f.len, 0);
    for (size_t i = 0; i < sizeof(f.payload); i++)
        assert_int_equal(f.payload[i], 0);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int e = SSPR_WIRE_ESTATE; e <= SSPR_WIRE_OK; e++) {
        const char *s = sspr_wire_strerror(e);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
    assert_non_null(sspr_wire_strerror(-999));
    assert_string_not_equal(sspr_wire_strerror(SSPR_WIRE_ETIMEDOUT),
                            sspr_wire_strerror(SSPR_WIRE_ETRUNC));
}

static void test_now_ms_monotonic(void **state)
{
    int64_t a, b;

    (void)state;
    a = sspr_now_ms();
    usleep(20000);
    b = sspr_now_ms();
    assert_true(a > 0);
    assert_true(b - a >= 15);
}

#define PT(fn) cmocka_unit_test_setup_teardown(fn, setup_pair, teardown_pair)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT(test_roundtrip_every_type),
        PT(test_payload_nul_terminated),
        PT(test_empty_payload),
        PT(test_max_payload),
        PT(test_binary_payload),
        PT(test_back_to_back_frames),
        PT(test_dribbled_frame),
        PT(test_recv_type_0),
        PT(test_recv_type_9),
        PT(test_recv_type_255),
        PT(test_recv_length_0),
        PT(test_recv_length_over_cap),
        PT(test_recv_length_huge),
        PT(test_recv_length_high_bit),
        cmocka_unit_test(test_check_header),
        PT(test_clean_eof),
        PT(test_eof_after_whole_frame),
        PT(test_truncated_header),
        PT(test_truncated_payload),
        PT(test_truncated_header_only),
        PT(test_recv_deadline_silent_peer),
        PT(test_recv_deadline_partial_frame),
        PT(test_recv_deadline_in_past),
        PT(test_recv_no_deadline_gets_frame),
        PT(test_send_deadline_full_buffer),
        PT(test_send_oversized_refused),
        PT(test_send_unknown_type_refused),
        PT(test_send_null_payload_refused),
        PT(test_send_to_closed_peer_no_sigpipe),
        cmocka_unit_test(test_recv_bad_fd),
        cmocka_unit_test(test_frame_wipe),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_now_ms_monotonic),
    };

    sspr_test_filter();

    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
