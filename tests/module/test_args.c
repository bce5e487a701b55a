/* Module argument table: defaults, every option, bad values, unknowns. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "../filter.h"

#include "args.h"
#include "fixture.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int setup(void **state)
{
    *state = fx_new("sspr-test", "alice");
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static pam_handle_t *H(void **state)
{
    return ((struct fixture *)*state)->pamh;
}

static void test_defaults(void **state)
{
    struct sspr_args a;

    assert_int_equal(sspr_args_parse(H(state), 0, NULL, &a), 0);
    assert_false(a.debug);
    assert_false(a.nohint);
    assert_null(a.config);
    assert_null(a.kiosk_user);
    assert_null(a.trigger);
    assert_string_equal(a.helper, SSPR_HELPER_PATH);
    assert_int_equal(a.timeout, 60);
    assert_int_equal(a.invalid, 0);
}

static void test_all_options(void **state)
{
    const char *argv[] = { "debug", "nohint", "trigger=reset", "kiosk_user=reset",
                           "helper=/opt/sspr/sspr-helper", "config=/etc/sspr/other.conf",
                           "timeout=600" };
    struct sspr_args a;

    assert_int_equal(sspr_args_parse(H(state), N(argv), argv, &a), 0);
    assert_true(a.debug);
    assert_true(a.nohint);
    assert_string_equal(a.trigger, "reset");
    assert_string_equal(a.kiosk_user, "reset");
    assert_string_equal(a.helper, "/opt/sspr/sspr-helper");
    assert_string_equal(a.config, "/etc/sspr/other.conf");
    assert_int_equal(a.timeout, 600);
}

static void test_timeout_range(void **state)
{
    static const char *good[] = { "timeout=1", "timeout=600", "timeout=30" };
    static const unsigned want[] = { 1, 600, 30 };
    static const char *bad[] = { "timeout=0", "timeout=601", "timeout=-1", "timeout=",
                                 "timeout", "timeout=abc", "timeout=10s", "timeout= 5",
                                 "timeout=+5", "timeout=99999999999999999999" };
    struct sspr_args a;

    for (int i = 0; i < N(good); i++) {
        assert_int_equal(sspr_args_parse(H(state), 1, &good[i], &a), 0);
        assert_int_equal(a.timeout, want[i]);
    }
    for (int i = 0; i < N(bad); i++) {
        assert_int_equal(sspr_args_parse(H(state), 1, &bad[i], &a), 1);
        assert_int_equal(a.timeout, 60); /* default kept */
        assert_int_equal(a.invalid, 1);
    }
}

static void test_bad_values(void **state)
{
    static const char *bad[] = {
        "helper=sspr-helper",  /* relative */
        "helper=",             /* empty */
        "helper",              /* no value */
        "config=etc/sspr.conf",
        "kiosk_user=",
        "kiosk_user=-oFoo",
        "kiosk_user=a:b",
        "kiosk_user=../../x",
        "trigger=",
        "trigger",
        "debug=yes",           /* flags take no value */
        "nohint=1",
    };
    struct sspr_args a;

    for (int i = 0; i < N(bad); i++) {
        assert_int_equal(sspr_args_parse(H(state), 1, &bad[i], &a), 1);
        assert_int_equal(a.invalid, 1);
        assert_string_equal(a.helper, SSPR_HELPER_PATH);
        assert_null(a.config);
        assert_null(a.kiosk_user);
        assert_null(a.trigger);
        assert_false(a.debug);
        assert_false(a.nohint);
    }
}

static void test_long_trigger(void **state)
{
    static char buf[600];
    const char *argv[1] = { buf };
    struct sspr_args a;

    memcpy(buf, "trigger=", 8);
    memset(buf + 8, 'x', 512);
    buf[8 + 512] = '\0';
    assert_int_equal(sspr_args_parse(H(state), 1, argv, &a), 0);
    assert_int_equal(strlen(a.trigger), 512);
    buf[8 + 512] = 'x';
    buf[8 + 513] = '\0';
    assert_int_equal(sspr_args_parse(H(state), 1, argv, &a), 1);
    assert_null(a.trigger);
}

static void test_unknown_ignored(void **state)
{
    const char *argv[] = { "debgu", "use_first_pass", "triggers=x", "trigger_=x", "debug",
                           NULL, "=x", "" };
    struct sspr_args a;

    assert_int_equal(sspr_args_parse(H(state), N(argv), argv, &a), 0);
    assert_true(a.debug);
    assert_null(a.trigger);
    assert_int_equal(a.invalid, 0);
}

static void test_last_wins_and_errors_count(void **state)
{
    const char *argv[] = { "timeout=5", "timeout=7", "helper=x", "timeout=0" };
    struct sspr_args a;

    assert_int_equal(sspr_args_parse(H(state), N(argv), argv, &a), 2);
    assert_int_equal(a.timeout, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_trigger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_wins_and_errors_count, setup, teardown),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
