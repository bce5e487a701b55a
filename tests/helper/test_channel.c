/* The helper's end of the wire: HELLO checks, one answer per prompt,
 * CANCEL / over-long / NUL-carrying answers end the flow, state table. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"

#include "support/channel.h"
#include "kv.h"
#include "wire.h"

struct pair {
    int module, helper;
    struct sspr_channel ch;
};

static int setup(void **state)
{
    static struct pair p;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    p.module = sv[0];
    p.helper = sv[1];
    sspr_chan_init(&p.ch, p.helper, 5);
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    close(p->module);
    close(p->helper);
    return 0;
}

static void send_hello(struct pair *p, const char *version, const char *user)
{
    char buf[1024];
    size_t len = 0;

    if (version)
        assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "version", version), 0);
    if (user)
        assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "user", user), 0);
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "service", "login"), 0);
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "mode", "offer"), 0);
    assert_int_equal(sspr_wire_send(p->module, SSPR_F_HELLO, buf, len, -1), SSPR_WIRE_OK);
}

static void hello_ok(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    assert_string_equal(h.user, "alice");
    assert_string_equal(h.service, "login");
    assert_string_equal(h.mode, "offer");
    assert_string_equal(h.rhost, "");
}

static void hello_bad_version(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;

    send_hello(p, "2", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), -1);
}

static void hello_missing_user(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;

    send_hello(p, "1", NULL);
    assert_int_equal(sspr_chan_hello(&p->ch, &h), -1);
}

static void hello_not_first(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;

    assert_int_equal(sspr_wire_send(p->module, SSPR_F_ANSWER, "x", 1, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_chan_hello(&p->ch, &h), -1);
}

static void prompt_answer(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    struct sspr_frame f;
    char answer[SSPR_ANSWER_MAX + 1];

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    /* The module's answer can wait in the socket; the helper prompts first. */
    assert_int_equal(sspr_wire_send(p->module, SSPR_F_ANSWER, "123456", 6, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), 0);
    assert_string_equal(answer, "123456");
    assert_int_equal(p->ch.answered, 1);
    assert_int_equal(sspr_wire_recv(p->module, &f, sspr_now_ms() + 1000), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_PROMPT_ECHO_OFF);
    assert_string_equal(f.payload, "Code: ");
    sspr_chan_result(&p->ch, SSPR_RESULT_DENIED);
    assert_int_equal(sspr_wire_recv(p->module, &f, sspr_now_ms() + 1000), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_RESULT);
    assert_string_equal(f.payload, "denied");
    /* Nothing may follow RESULT. */
    sspr_chan_info(&p->ch, "late");
    assert_true(p->ch.broken);
}

static void answer_rejected(void **state, uint8_t type, const char *payload, size_t len)
{
    struct pair *p = *state;
    struct sspr_hello h;
    char answer[SSPR_ANSWER_MAX + 1];

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    assert_int_equal(sspr_wire_send(p->module, type, payload, len, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
    assert_string_equal(answer, "");
    assert_true(p->ch.broken);
    /* A broken channel refuses every later prompt at once. */
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
}

/* CANCEL: the prompt fails, nothing but the RESULT may follow. */
static void cancel_then_result(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    struct sspr_frame f;
    char answer[SSPR_ANSWER_MAX + 1];

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    assert_int_equal(sspr_wire_send(p->module, SSPR_F_CANCEL, NULL, 0, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
    assert_true(p->ch.cancelled);
    assert_false(p->ch.broken);
    assert_int_equal(p->ch.answered, 0);
    sspr_chan_result(&p->ch, SSPR_RESULT_DENIED);
    assert_false(p->ch.broken);
    assert_int_equal(sspr_wire_recv(p->module, &f, sspr_now_ms() + 1000), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_PROMPT_ECHO_OFF);
    assert_int_equal(sspr_wire_recv(p->module, &f, sspr_now_ms() + 1000), SSPR_WIRE_OK);
    assert_int_equal(f.type, SSPR_F_RESULT);
}

/* After CANCEL an INFO is refused and breaks the channel. */
static void cancel_then_info_breaks(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    char answer[SSPR_ANSWER_MAX + 1];

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    assert_int_equal(sspr_wire_send(p->module, SSPR_F_CANCEL, NULL, 0, -1), SSPR_WIRE_OK);
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
    sspr_chan_info(&p->ch, "late");
    assert_true(p->ch.broken);
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
}

static void long_answer_ends(void **state)
{
    char big[SSPR_ANSWER_MAX + 1];
    memset(big, '7', sizeof(big));
    answer_rejected(state, SSPR_F_ANSWER, big, sizeof(big));
}

static void nul_in_answer_ends(void **state) { answer_rejected(state, SSPR_F_ANSWER, "12\0" "3456", 7); }

static void hello_again_ends(void **state)
{
    char buf[64];
    size_t len = 0;
    sspr_kv_append(buf, sizeof(buf), &len, "version", "1");
    answer_rejected(state, SSPR_F_HELLO, buf, len);
}

static void silent_module_times_out(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    char answer[SSPR_ANSWER_MAX + 1];

    sspr_chan_init(&p->ch, p->helper, 1);
    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    int64_t t0 = sspr_now_ms();
    assert_int_equal(sspr_chan_prompt(&p->ch, 0, "Code: ", answer), -1);
    assert_true(sspr_now_ms() - t0 < 5000);
}

/* The next frame the module gets: its type, and its text in buf. */
static uint8_t next_frame(struct pair *p, char *buf, size_t len)
{
    struct sspr_frame f;

    assert_int_equal(sspr_wire_recv(p->module, &f, sspr_now_ms() + 1000), SSPR_WIRE_OK);
    assert_true(f.len < len);
    memcpy(buf, f.payload, f.len + 1);
    return f.type;
}

/* Errors wait for the next frame; closing words join a held error, are
 * dropped after a final one, and stand alone otherwise; order is kept. */
static void held_errors_and_closing_words(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    char buf[1024];

    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    sspr_chan_error(&p->ch, "That code is not valid.");
    sspr_chan_error_close(&p->ch, "Ask.");
    sspr_chan_error_final(&p->ch, "Locked. Ask your administrator.");
    sspr_chan_error_close(&p->ch, "Ask.");
    sspr_chan_error_close(&p->ch, "Alone.");
    sspr_chan_error(&p->ch, "First.");
    sspr_chan_info(&p->ch, "Then an info.");
    sspr_chan_error(&p->ch, "Held until the result.");
    sspr_chan_result(&p->ch, SSPR_RESULT_DENIED);
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "That code is not valid. Ask.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "Locked. Ask your administrator.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "Alone.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "First.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_INFO);
    assert_string_equal(buf, "Then an info.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "Held until the result.");
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_RESULT);
    assert_false(p->ch.broken);
}

/* Closing words that would make a held error longer than a PAM message
 * are sent on their own. */
static void closing_words_never_overflow(void **state)
{
    struct pair *p = *state;
    struct sspr_hello h;
    char buf[1024], big[SSPR_MSG_MAX + 1];

    memset(big, 'x', SSPR_MSG_MAX - 3);
    big[SSPR_MSG_MAX - 3] = '\0';
    send_hello(p, "1", "alice");
    assert_int_equal(sspr_chan_hello(&p->ch, &h), 0);
    sspr_chan_error(&p->ch, big);
    sspr_chan_error_close(&p->ch, "Ask.");
    sspr_chan_result(&p->ch, SSPR_RESULT_DENIED);
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, big);
    assert_int_equal(next_frame(p, buf, sizeof(buf)), SSPR_F_ERROR);
    assert_string_equal(buf, "Ask.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hello_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_bad_version, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_missing_user, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_not_first, setup, teardown),
        cmocka_unit_test_setup_teardown(prompt_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_then_result, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_then_info_breaks, setup, teardown),
        cmocka_unit_test_setup_teardown(long_answer_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(nul_in_answer_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_again_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_module_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(held_errors_and_closing_words, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_words_never_overflow, setup, teardown),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
