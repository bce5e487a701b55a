/* The relay loop against a scripted fake helper on a socketpair (a thread
 * plays the helper's side). No path may end in PAM_SUCCESS or PAM_IGNORE. */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../filter.h"

#include "args.h"
#include "fixture.h"
#include "kv.h"
#include "relay.h"
#include "wire.h"

enum step_kind {
    S_END = 0,
    S_EXPECT_HELLO, /* expect HELLO; check user and mode */
    S_EXPECT,       /* expect a frame of type (and payload, unless NULL) */
    S_SEND,         /* send a frame (payload as string, or len bytes) */
    S_SEND_LATE,    /* like S_SEND, but the module may be gone already */
    S_RAW,          /* send raw bytes */
    S_DRAIN,        /* read until EOF (the module closed its end) */
};

struct step {
    enum step_kind kind;
    uint8_t type;
    const char *data;
    size_t len; /* S_RAW, or S_SEND when nonzero; S_EXPECT: expected length */
};

struct helper {
    int fd;
    const struct step *steps;
    const char *user, *mode;
    char err[512];
    pthread_t tid;
};

__attribute__((format(printf, 2, 3)))
static void herr(struct helper *h, const char *fmt, ...)
{
    va_list ap;

    if (h->err[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(h->err, sizeof(h->err), fmt, ap);
    va_end(ap);
}

static void *helper_main(void *p)
{
    struct helper *h = p;
    struct sspr_frame *f = malloc(sizeof(*f));
    int64_t dl;

    for (const struct step *s = h->steps; f != NULL && s->kind != S_END; s++) {
        dl = sspr_now_ms() + 10000;
        switch (s->kind) {
        case S_EXPECT_HELLO:
            if (sspr_wire_recv(h->fd, f, dl) != 0 || f->type != SSPR_F_HELLO) {
                herr(h, "%s", "no HELLO");
                goto out;
            }
            if (sspr_kv_validate(f->payload, f->len) != 0) {
                herr(h, "%s", "HELLO not valid kv");
                goto out;
            }
            {
                const char *v = sspr_kv_get(f->payload, f->len, "version");
                const char *u = sspr_kv_get(f->payload, f->len, "user");
                const char *m = sspr_kv_get(f->payload, f->len, "mode");
                const char *svc = sspr_kv_get(f->payload, f->len, "service");
                if (v == NULL || strcmp(v, "1") != 0)
                    herr(h, "%s", "HELLO version");
                if (u == NULL || strcmp(u, h->user) != 0)
                    herr(h, "HELLO user %s", u ? u : "(none)");
                if (m == NULL || strcmp(m, h->mode) != 0)
                    herr(h, "HELLO mode %s", m ? m : "(none)");
                if (svc == NULL || strcmp(svc, "sspr-test") != 0)
                    herr(h, "HELLO service %s", svc ? svc : "(none)");
                if (sspr_kv_get(f->payload, f->len, "rhost") == NULL ||
                    sspr_kv_get(f->payload, f->len, "tty") == NULL ||
                    sspr_kv_get(f->payload, f->len, "ruser") == NULL)
                    herr(h, "%s", "HELLO lacks rhost/tty/ruser");
            }
            break;
        case S_EXPECT:
            if (sspr_wire_recv(h->fd, f, dl) != 0) {
                herr(h, "expected a frame (%s)", s->data ? s->data : "");
                goto out;
            }
            if (f->type != s->type) {
                char t[16];
                snprintf(t, sizeof(t), "%u", f->type);
                herr(h, "unexpected frame type %s", t);
                goto out;
            }
            if (s->data != NULL && (f->len != strlen(s->data) || strcmp(f->payload, s->data) != 0))
                herr(h, "payload differs: got %.100s", f->payload);
            if (s->len != 0 && f->len != s->len)
                herr(h, "%s", "payload length differs");
            break;
        case S_SEND:
            if (sspr_wire_send(h->fd, s->type, s->data, s->len ? s->len : strlen(s->data), dl) != 0) {
                herr(h, "%s", "send failed");
                goto out;
            }
            break;
        case S_SEND_LATE:
            (void)sspr_wire_send(h->fd, s->type, s->data, strlen(s->data), dl);
            break;
        case S_RAW:
            if (send(h->fd, s->data, s->len, MSG_NOSIGNAL) != (ssize_t)s->len) {
                herr(h, "%s", "raw send failed");
                goto out;
            }
            break;
        case S_DRAIN: {
            char buf[256];
            ssize_t r;
            while ((r = read(h->fd, buf, sizeof(buf))) > 0)
                herr(h, "%s", "data after the end");
            break;
        }
        case S_END:
            break;
        }
    }
out:
    free(f);
    close(h->fd);
    return NULL;
}

struct run {
    struct fixture *fx;
    struct sspr_args args;
    struct helper h;
    int mfd;
    bool orderly;
};

static int setup(void **state)
{
    struct run *r = calloc(1, sizeof(*r));

    r->fx = fx_new("sspr-test", "alice");
    assert_int_equal(pam_set_item(r->fx->pamh, PAM_RHOST, "198.51.100.7"), PAM_SUCCESS);
    assert_int_equal(pam_set_item(r->fx->pamh, PAM_TTY, "/dev/pts/3"), PAM_SUCCESS);
    assert_int_equal(sspr_args_parse(r->fx->pamh, 0, NULL, &r->args), 0);
    r->args.timeout = 5;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct run *r = *state;

    fx_free(r->fx);
    free(r);
    return 0;
}

/* Run the relay against steps; returns the PAM code. */
static int run(struct run *r, const struct step *steps, const char *user, const char *mode)
{
    int sv[2];
    int rc;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    r->mfd = sv[0];
    r->h.fd = sv[1];
    r->h.steps = steps;
    r->h.user = user;
    r->h.mode = mode;
    r->h.err[0] = '\0';
    assert_int_equal(pthread_create(&r->h.tid, NULL, helper_main, &r->h), 0);
    rc = sspr_relay(r->fx->pamh, r->mfd, &r->args, user, mode, &r->orderly, NULL);
    close(r->mfd);
    pthread_join(r->h.tid, NULL);
    if (r->h.err[0] != '\0')
        fail_msg("fake helper: %s", r->h.err);
    assert_int_not_equal(rc, PAM_SUCCESS);
    assert_int_not_equal(rc, PAM_IGNORE);
    return rc;
}

#define HELLO { S_EXPECT_HELLO, 0, NULL, 0 }
#define SEND(t, s) { S_SEND, (t), (s), 0 }
#define EXPECT(t, s) { S_EXPECT, (t), (s), 0 }
#define RAW(s, n) { S_RAW, 0, (s), (n) }
#define DRAIN { S_DRAIN, 0, NULL, 0 }
#define END { S_END, 0, NULL, 0 }

static int unavailable_shown(const struct fixture *fx)
{
    return fx_count(fx, PAM_ERROR_MSG, SSPR_MSG_UNAVAILABLE);
}

static void test_round_trip(void **state)
{
    struct run *r = *state;
    const struct step steps[] = {
        HELLO,
        SEND(SSPR_F_INFO, "Password reset for alice."),
        SEND(SSPR_F_PROMPT_ECHO_OFF, "Authenticator code: "),
        EXPECT(SSPR_F_ANSWER, "123456"),
        SEND(SSPR_F_PROMPT_ECHO_ON, "Recovery e-mail: "),
        EXPECT(SSPR_F_ANSWER, ""),
        SEND(SSPR_F_PROMPT_ECHO_OFF, "New password: "),
        EXPECT(SSPR_F_ANSWER, "correct horse battery"),
        SEND(SSPR_F_RESULT, SSPR_RESULT_RESET_DONE),
        DRAIN, END,
    };

    fx_reply(r->fx, R_ANSWER, "123456");
    fx_reply(r->fx, R_ANSWER, "");
    fx_reply(r->fx, R_ANSWER, "correct horse battery");
    assert_int_equal(run(r, steps, "alice", "trigger"), PAM_AUTH_ERR);
    assert_true(r->orderly);
    assert_int_equal(fx_count(r->fx, PAM_PROMPT_ECHO_OFF, "Authenticator code: "), 1);
    assert_int_equal(fx_count(r->fx, PAM_PROMPT_ECHO_ON, "Recovery e-mail: "), 1);
    assert_int_equal(fx_count(r->fx, PAM_PROMPT_ECHO_OFF, "New password: "), 1);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, "Password reset for alice."), 1);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE), 1);
    assert_int_equal(unavailable_shown(r->fx), 0);
    assert_int_equal(r->fx->nmsgs, 5);
}

static void test_info_error_relay(void **state)
{
    struct run *r = *state;
    const struct step steps[] = {
        HELLO,
        SEND(SSPR_F_INFO, "a note"),
        SEND(SSPR_F_ERROR, "BAD PASSWORD: it is too short"),
        SEND(SSPR_F_INFO, ""),
        SEND(SSPR_F_RESULT, SSPR_RESULT_DECLINED),
        DRAIN, END,
    };

    assert_int_equal(run(r, steps, "bob", "offer"), PAM_AUTH_ERR);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, "a note"), 1);
    assert_int_equal(fx_count(r->fx, PAM_ERROR_MSG, "BAD PASSWORD: it is too short"), 1);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, ""), 1);
    assert_int_equal(r->fx->nmsgs, 3);
}

static void check_result(struct run *r, const char *word, size_t len, int want, int unavail_msg)
{
    const struct step steps[] = {
        HELLO, { S_SEND, SSPR_F_RESULT, word, len }, DRAIN, END,
    };

    assert_int_equal(run(r, steps, "carol", "kiosk"), want);
    assert_int_equal(unavailable_shown(r->fx), unavail_msg);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE),
                     strcmp(word, SSPR_RESULT_RESET_DONE) == 0 && len == 0 ? 1 : 0);
}

static void test_result_reset_done(void **state)
{
    check_result(*state, SSPR_RESULT_RESET_DONE, 0, PAM_AUTH_ERR, 0);
}
static void test_result_declined(void **state)
{
    check_result(*state, SSPR_RESULT_DECLINED, 0, PAM_AUTH_ERR, 0);
}
static void test_result_denied(void **state)
{
    check_result(*state, SSPR_RESULT_DENIED, 0, PAM_AUTH_ERR, 0);
}
static void test_result_unavailable(void **state)
{
    check_result(*state, SSPR_RESULT_UNAVAILABLE, 0, PAM_AUTHINFO_UNAVAIL, 0);
}
static void test_result_unknown(void **state)
{
    check_result(*state, "success", 0, PAM_AUTHINFO_UNAVAIL, 1);
}
static void test_result_empty(void **state)
{
    const struct step steps[] = { HELLO, { S_SEND, SSPR_F_RESULT, "", 0 }, DRAIN, END };
    struct run *r = *state;
    /* S_SEND with len 0 takes strlen(""): an empty RESULT payload */
    assert_int_equal(run(r, steps, "carol", "kiosk"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
}
static void test_result_embedded_nul(void **state)
{
    /* "reset-done\0x": a prefix match must not count */
    check_result(*state, "reset-done\0x", 12, PAM_AUTHINFO_UNAVAIL, 1);
}
static void test_result_case(void **state)
{
    check_result(*state, "Reset-Done", 0, PAM_AUTHINFO_UNAVAIL, 1);
}

/* Frames the helper may not send, or not now. */
static void check_bad_frame(void **state, uint8_t type)
{
    struct run *r = *state;
    const struct step steps[] = { HELLO, { S_SEND, type, "x", 0 }, DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
    assert_false(r->orderly);
}
static void test_answer_from_helper(void **state)
{
    check_bad_frame(state, SSPR_F_ANSWER);
}
static void test_cancel_from_helper(void **state)
{
    check_bad_frame(state, SSPR_F_CANCEL);
}
static void test_hello_from_helper(void **state)
{
    check_bad_frame(state, SSPR_F_HELLO);
}

static void test_result_right_away(void **state)
{
    /* the helper may decide before any prompt (e.g. reset disabled here) */
    struct run *r = *state;
    const struct step steps[] = { SEND(SSPR_F_RESULT, SSPR_RESULT_DENIED), HELLO, DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
}

static void test_result_then_gone(void **state)
{
    /* a helper that fails early may write ERROR + RESULT and exit without
     * reading HELLO: its words still count */
    struct run *r = *state;
    const struct step steps[] = {
        SEND(SSPR_F_ERROR, "Password reset is not set up on this computer."),
        SEND(SSPR_F_RESULT, SSPR_RESULT_UNAVAILABLE), END,
    };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(fx_count(r->fx, PAM_ERROR_MSG,
                              "Password reset is not set up on this computer."), 1);
    assert_int_equal(unavailable_shown(r->fx), 0);
}

static void test_nothing_after_result(void **state)
{
    /* frames after RESULT are never read or acted upon */
    struct run *r = *state;
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_RESULT, SSPR_RESULT_DENIED),
        { S_SEND_LATE, SSPR_F_PROMPT_ECHO_OFF, "More? ", 0 }, DRAIN, END,
    };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
    assert_int_equal(r->fx->nmsgs, 0);
}

static void test_unknown_type(void **state)
{
    struct run *r = *state;
    static const char frame[] = { 0, 0, 0, 2, 9, 'x' };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
}

static void test_oversized_frame(void **state)
{
    struct run *r = *state;
    /* length 4098 = type + 4097 bytes: one over the cap */
    static const char frame[] = { 0, 0, 0x10, 0x02, SSPR_F_INFO, 'x', 'x' };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, NULL), 0);
}

static void test_huge_length(void **state)
{
    struct run *r = *state;
    static const char frame[] = { (char)0xff, (char)0xff, (char)0xff, (char)0xff, SSPR_F_INFO };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
}

static void test_zero_length(void **state)
{
    struct run *r = *state;
    static const char frame[] = { 0, 0, 0, 0, SSPR_F_INFO };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), DRAIN, END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
}

static void test_max_prompt(void **state)
{
    /* a full 4096-byte prompt is legal and relayed whole */
    struct run *r = *state;
    static char big[SSPR_WIRE_MAX_PAYLOAD + 1];
    memset(big, 'p', SSPR_WIRE_MAX_PAYLOAD);
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_ON, big), EXPECT(SSPR_F_ANSWER, "ok"),
        SEND(SSPR_F_RESULT, SSPR_RESULT_DECLINED), DRAIN, END,
    };

    fx_reply(r->fx, R_ANSWER, "ok");
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
    assert_int_equal(fx_count(r->fx, PAM_PROMPT_ECHO_ON, big), 1);
}

static void test_truncated_payload(void **state)
{
    struct run *r = *state;
    static const char frame[] = { 0, 0, 0, 10, SSPR_F_INFO, 'a', 'b', 'c' };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
    assert_int_equal(fx_count(r->fx, PAM_TEXT_INFO, NULL), 0);
}

static void test_truncated_header(void **state)
{
    struct run *r = *state;
    static const char frame[] = { 0, 0 };
    const struct step steps[] = { HELLO, RAW(frame, sizeof(frame)), END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
}

static void test_eof_without_result(void **state)
{
    struct run *r = *state;
    const struct step steps[] = { HELLO, SEND(SSPR_F_INFO, "working..."), END };

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
    assert_false(r->orderly);
}

static void test_eof_at_once(void **state)
{
    struct run *r = *state;
    const struct step steps[] = { END }; /* closes without reading HELLO */

    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
}

static void test_eof_after_prompt_answered(void **state)
{
    struct run *r = *state;
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_OFF, "Code: "), EXPECT(SSPR_F_ANSWER, "1"), END,
    };

    fx_reply(r->fx, R_ANSWER, "1");
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
}

static void test_deadline(void **state)
{
    struct run *r = *state;
    const struct step steps[] = { HELLO, SEND(SSPR_F_INFO, "thinking"), DRAIN, END };
    int64_t t0;

    r->args.timeout = 1;
    t0 = sspr_now_ms();
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTHINFO_UNAVAIL);
    assert_true(sspr_now_ms() - t0 >= 900);
    assert_true(sspr_now_ms() - t0 < 4000);
    assert_false(r->orderly);
    assert_int_equal(unavailable_shown(r->fx), 1);
}

/* Conversation failures: CANCEL, never an empty ANSWER. */
static void check_conv_failure(void **state, enum reply_kind kind)
{
    struct run *r = *state;
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_OFF, "Code: "), EXPECT(SSPR_F_CANCEL, ""), DRAIN, END,
    };

    fx_reply(r->fx, kind, NULL);
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
    assert_true(r->orderly); /* CANCEL sent: the helper may exit by itself */
}
static void test_conv_err(void **state)
{
    check_conv_failure(state, R_CONV_ERR);
}
static void test_conv_null_array(void **state)
{
    check_conv_failure(state, R_NULL_ARRAY);
}
static void test_conv_null_resp(void **state)
{
    check_conv_failure(state, R_NULL_RESP);
}

static void test_conv_err_on_info_is_not_fatal(void **state)
{
    /* messages need no answer; only prompts do */
    struct run *r = *state;
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_INFO, "x"), SEND(SSPR_F_RESULT, SSPR_RESULT_DENIED), DRAIN, END,
    };

    r->fx->fail_messages = 1;
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
}

static void test_answer_10k(void **state)
{
    struct run *r = *state;
    static char big[10 * 1024 + 1];
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_OFF, "New password: "), EXPECT(SSPR_F_CANCEL, ""),
        DRAIN, END,
    };

    memset(big, 'a', sizeof(big) - 1);
    fx_reply(r->fx, R_ANSWER, big);
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
    assert_int_equal(fx_count_sub(r->fx, "too long"), 1);
}

static void test_answer_513(void **state)
{
    struct run *r = *state;
    static char big[514];
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_OFF, "New password: "), EXPECT(SSPR_F_CANCEL, ""),
        DRAIN, END,
    };

    memset(big, 'a', 513);
    fx_reply(r->fx, R_ANSWER, big);
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
}

static void test_answer_512_ok(void **state)
{
    struct run *r = *state;
    static char big[513];
    memset(big, 'a', 512);
    const struct step steps[] = {
        HELLO, SEND(SSPR_F_PROMPT_ECHO_OFF, "New password: "),
        { S_EXPECT, SSPR_F_ANSWER, big, 512 },
        SEND(SSPR_F_RESULT, SSPR_RESULT_DECLINED), DRAIN, END,
    };

    fx_reply(r->fx, R_ANSWER, big);
    assert_int_equal(run(r, steps, "alice", "offer"), PAM_AUTH_ERR);
}

static void test_hello_carries_typed_name(void **state)
{
    /* kiosk: the typed name goes to the helper as typed */
    struct run *r = *state;
    const struct step steps[] = { HELLO, SEND(SSPR_F_RESULT, SSPR_RESULT_DENIED), DRAIN, END };

    assert_int_equal(run(r, steps, "-oFoo bar:x", "kiosk"), PAM_AUTH_ERR);
}

static void test_hello_too_big(void **state)
{
    /* a name that cannot fit in HELLO fails cleanly */
    struct run *r = *state;
    static char big[5000];
    const struct step steps[] = { DRAIN, END };

    memset(big, 'u', sizeof(big) - 1);
    assert_int_equal(run(r, steps, big, "kiosk"), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(unavailable_shown(r->fx), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip), T(test_info_error_relay),
        T(test_result_reset_done), T(test_result_declined), T(test_result_denied),
        T(test_result_unavailable), T(test_result_unknown), T(test_result_empty),
        T(test_result_embedded_nul), T(test_result_case),
        T(test_answer_from_helper), T(test_cancel_from_helper), T(test_hello_from_helper),
        T(test_result_right_away), T(test_result_then_gone), T(test_nothing_after_result),
        T(test_unknown_type), T(test_oversized_frame), T(test_huge_length), T(test_zero_length),
        T(test_max_prompt), T(test_truncated_payload), T(test_truncated_header),
        T(test_eof_without_result), T(test_eof_at_once), T(test_eof_after_prompt_answered),
        T(test_deadline),
        T(test_conv_err), T(test_conv_null_array), T(test_conv_null_resp),
        T(test_conv_err_on_info_is_not_fatal),
        T(test_answer_10k), T(test_answer_513), T(test_answer_512_ok),
        T(test_hello_carries_typed_name), T(test_hello_too_big),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
