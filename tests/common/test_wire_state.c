/*
 * Unit tests for common/wire_state.c: which frame may come when.
 *
 * The expected table is written out again here, independently of the
 * implementation, and every (state, direction, type 0..255) combination is
 * checked against it.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../filter.h"

#include "wire.h"

#define TO_H SSPR_DIR_TO_HELPER
#define TO_M SSPR_DIR_TO_MODULE

/* Legal step from st, or -1. */
static int expected_next(enum sspr_wire_state st, enum sspr_wire_dir dir, unsigned type)
{
    switch (st) {
    case SSPR_WS_START:
        if (dir == TO_H && type == SSPR_F_HELLO)
            return SSPR_WS_HELPER_TURN;
        return -1;
    case SSPR_WS_HELPER_TURN:
        if (dir != TO_M)
            return -1;
        switch (type) {
        case SSPR_F_PROMPT_ECHO_OFF:
        case SSPR_F_PROMPT_ECHO_ON:
            return SSPR_WS_MODULE_TURN;
        case SSPR_F_INFO:
        case SSPR_F_ERROR:
            return SSPR_WS_HELPER_TURN;
        case SSPR_F_RESULT:
            return SSPR_WS_DONE;
        default:
            return -1;
        }
    case SSPR_WS_MODULE_TURN:
        if (dir == TO_H && type == SSPR_F_ANSWER)
            return SSPR_WS_HELPER_TURN;
        if (dir == TO_H && type == SSPR_F_CANCEL)
            return SSPR_WS_CANCELLED;
        return -1;
    case SSPR_WS_CANCELLED:
        if (dir == TO_M && type == SSPR_F_RESULT)
            return SSPR_WS_DONE;
        return -1;
    case SSPR_WS_DONE:
    default:
        return -1;
    }
}

static void test_exhaustive_table(void **state)
{
    const enum sspr_wire_state states[] = { SSPR_WS_START, SSPR_WS_HELPER_TURN,
                                            SSPR_WS_MODULE_TURN, SSPR_WS_CANCELLED,
                                            SSPR_WS_DONE };
    const enum sspr_wire_dir dirs[] = { TO_H, TO_M };

    (void)state;
    for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
        for (size_t d = 0; d < 2; d++) {
            for (unsigned t = 0; t < 256; t++) {
                enum sspr_wire_state st = states[s];
                int want = expected_next(states[s], dirs[d], t);
                int rc = sspr_wire_transition(&st, dirs[d], (uint8_t)t);
                if (want < 0) {
                    if (rc != SSPR_WIRE_ESTATE)
                        fail_msg("state %d dir %d type %u: accepted, must be refused",
                                 (int)states[s], (int)dirs[d], t);
                    /* a refused frame leaves the state alone */
                    assert_int_equal(st, states[s]);
                } else {
                    if (rc != SSPR_WIRE_OK)
                        fail_msg("state %d dir %d type %u: refused, must be accepted",
                                 (int)states[s], (int)dirs[d], t);
                    assert_int_equal(st, want);
                }
            }
        }
    }
}

/* Apply a sequence, every step must succeed; returns the final state. */
static enum sspr_wire_state run(const enum sspr_wire_dir *dirs, const uint8_t *types, size_t n)
{
    enum sspr_wire_state st = SSPR_WS_START;

    for (size_t i = 0; i < n; i++) {
        int rc = sspr_wire_transition(&st, dirs[i], types[i]);
        if (rc != SSPR_WIRE_OK)
            fail_msg("step %zu (type %u) refused", i, (unsigned)types[i]);
    }
    return st;
}

static void test_full_reset_flow(void **state)
{
    /* HELLO, INFO, code prompt, wrong answer, ERROR, prompt again, answer,
     * two password prompts, INFO, RESULT */
    const enum sspr_wire_dir d[] = { TO_H, TO_M, TO_M, TO_H, TO_M, TO_M, TO_H,
                                     TO_M, TO_H, TO_M, TO_H, TO_M, TO_M };
    const uint8_t t[] = { SSPR_F_HELLO, SSPR_F_INFO, SSPR_F_PROMPT_ECHO_OFF, SSPR_F_ANSWER,
                          SSPR_F_ERROR, SSPR_F_PROMPT_ECHO_OFF, SSPR_F_ANSWER,
                          SSPR_F_PROMPT_ECHO_OFF, SSPR_F_ANSWER, SSPR_F_PROMPT_ECHO_OFF,
                          SSPR_F_ANSWER, SSPR_F_INFO, SSPR_F_RESULT };

    (void)state;
    assert_int_equal(run(d, t, sizeof(t)), SSPR_WS_DONE);
}

static void test_decline_flow(void **state)
{
    const enum sspr_wire_dir d[] = { TO_H, TO_M, TO_H, TO_M };
    const uint8_t t[] = { SSPR_F_HELLO, SSPR_F_PROMPT_ECHO_ON, SSPR_F_ANSWER, SSPR_F_RESULT };

    (void)state;
    assert_int_equal(run(d, t, sizeof(t)), SSPR_WS_DONE);
}

static void test_cancel_flow(void **state)
{
    const enum sspr_wire_dir d[] = { TO_H, TO_M, TO_H, TO_M };
    const uint8_t t[] = { SSPR_F_HELLO, SSPR_F_PROMPT_ECHO_OFF, SSPR_F_CANCEL, SSPR_F_RESULT };

    (void)state;
    assert_int_equal(run(d, t, 3), SSPR_WS_CANCELLED);
    assert_int_equal(run(d, t, sizeof(t)), SSPR_WS_DONE);
}

static void test_immediate_result(void **state)
{
    const enum sspr_wire_dir d[] = { TO_H, TO_M };
    const uint8_t t[] = { SSPR_F_HELLO, SSPR_F_RESULT };

    (void)state;
    assert_int_equal(run(d, t, sizeof(t)), SSPR_WS_DONE);
}

static void expect_refused(enum sspr_wire_state st, enum sspr_wire_dir dir, uint8_t type)
{
    enum sspr_wire_state before = st;

    assert_int_equal(sspr_wire_transition(&st, dir, type), SSPR_WIRE_ESTATE);
    assert_int_equal(st, before);
}

static void test_answer_before_any_prompt(void **state)
{
    enum sspr_wire_state st = SSPR_WS_START;

    (void)state;
    expect_refused(SSPR_WS_START, TO_H, SSPR_F_ANSWER);
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_HELLO), SSPR_WIRE_OK);
    expect_refused(st, TO_H, SSPR_F_ANSWER);
    expect_refused(st, TO_H, SSPR_F_CANCEL);
}

static void test_prompt_from_module(void **state)
{
    (void)state;
    for (enum sspr_wire_state s = SSPR_WS_START; s <= SSPR_WS_DONE; s++) {
        expect_refused(s, TO_H, SSPR_F_PROMPT_ECHO_OFF);
        expect_refused(s, TO_H, SSPR_F_PROMPT_ECHO_ON);
        expect_refused(s, TO_H, SSPR_F_INFO);
        expect_refused(s, TO_H, SSPR_F_ERROR);
        expect_refused(s, TO_H, SSPR_F_RESULT);
    }
}

static void test_answer_from_helper(void **state)
{
    (void)state;
    for (enum sspr_wire_state s = SSPR_WS_START; s <= SSPR_WS_DONE; s++) {
        expect_refused(s, TO_M, SSPR_F_ANSWER);
        expect_refused(s, TO_M, SSPR_F_CANCEL);
        expect_refused(s, TO_M, SSPR_F_HELLO);
    }
}

static void test_nothing_after_result(void **state)
{
    enum sspr_wire_state st = SSPR_WS_START;

    (void)state;
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_HELLO), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_transition(&st, TO_M, SSPR_F_RESULT), SSPR_WIRE_OK);
    assert_int_equal(st, SSPR_WS_DONE);
    for (unsigned t = 0; t < 256; t++) {
        expect_refused(st, TO_M, (uint8_t)t);
        expect_refused(st, TO_H, (uint8_t)t);
    }
}

static void test_hello_twice(void **state)
{
    enum sspr_wire_state st = SSPR_WS_START;

    (void)state;
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_HELLO), SSPR_WIRE_OK);
    expect_refused(st, TO_H, SSPR_F_HELLO);
    assert_int_equal(sspr_wire_transition(&st, TO_M, SSPR_F_PROMPT_ECHO_ON), SSPR_WIRE_OK);
    expect_refused(st, TO_H, SSPR_F_HELLO);
}

static void test_frame_before_hello(void **state)
{
    (void)state;
    for (unsigned t = 0; t < 256; t++) {
        if (t != SSPR_F_HELLO)
            expect_refused(SSPR_WS_START, TO_H, (uint8_t)t);
        expect_refused(SSPR_WS_START, TO_M, (uint8_t)t);
    }
}

static void test_two_answers_one_prompt(void **state)
{
    enum sspr_wire_state st = SSPR_WS_START;

    (void)state;
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_HELLO), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_transition(&st, TO_M, SSPR_F_PROMPT_ECHO_OFF), SSPR_WIRE_OK);
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_ANSWER), SSPR_WIRE_OK);
    expect_refused(st, TO_H, SSPR_F_ANSWER);
}

static void test_helper_talks_while_prompt_open(void **state)
{
    (void)state;
    /* a prompt is open: the helper may not send more until answered */
    expect_refused(SSPR_WS_MODULE_TURN, TO_M, SSPR_F_INFO);
    expect_refused(SSPR_WS_MODULE_TURN, TO_M, SSPR_F_ERROR);
    expect_refused(SSPR_WS_MODULE_TURN, TO_M, SSPR_F_PROMPT_ECHO_OFF);
    expect_refused(SSPR_WS_MODULE_TURN, TO_M, SSPR_F_RESULT);
}

/* After CANCEL the helper may send its RESULT and nothing else. */
static void test_cancel_then_only_result(void **state)
{
    enum sspr_wire_state st = SSPR_WS_MODULE_TURN;

    (void)state;
    assert_int_equal(sspr_wire_transition(&st, TO_H, SSPR_F_CANCEL), SSPR_WIRE_OK);
    assert_int_equal(st, SSPR_WS_CANCELLED);
    expect_refused(st, TO_M, SSPR_F_PROMPT_ECHO_OFF);
    expect_refused(st, TO_M, SSPR_F_INFO);
    expect_refused(st, TO_M, SSPR_F_ERROR);
    expect_refused(st, TO_H, SSPR_F_ANSWER);
    expect_refused(st, TO_H, SSPR_F_CANCEL);
    assert_int_equal(sspr_wire_transition(&st, TO_M, SSPR_F_RESULT), SSPR_WIRE_OK);
    assert_int_equal(st, SSPR_WS_DONE);
    expect_refused(st, TO_M, SSPR_F_RESULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive_table),
        cmocka_unit_test(test_full_reset_flow),
        cmocka_unit_test(test_decline_flow),
        cmocka_unit_test(test_cancel_flow),
        cmocka_unit_test(test_immediate_result),
        cmocka_unit_test(test_answer_before_any_prompt),
        cmocka_unit_test(test_prompt_from_module),
        cmocka_unit_test(test_answer_from_helper),
        cmocka_unit_test(test_nothing_after_result),
        cmocka_unit_test(test_hello_twice),
        cmocka_unit_test(test_frame_before_hello),
        cmocka_unit_test(test_two_answers_one_prompt),
        cmocka_unit_test(test_helper_talks_while_prompt_open),
        cmocka_unit_test(test_cancel_then_only_result),
    };

    sspr_test_filter();

    return cmocka_run_group_tests_name("wire_state", tests, NULL, NULL);
}
