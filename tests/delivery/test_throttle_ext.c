/* Throttle extensions: per-method failure caps inside the user's total,
 * the send cap over a sliding hour, records from before the extensions,
 * and exactly the cap allowed under 8 concurrent processes. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "backends/local/local.h"
#include "state/throttle.h"
#include "unit_util.h"

static char top[PATH_MAX], sdir[PATH_MAX];
static struct sspr_backend be;
static struct sspr_config cfg;

#define T0 ((time_t)1700000000)
#define KEY "throttle-u1000"

static int setup(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "%s", unit_tmpdir());
    unit_path(sdir, top, "state");
    sspr_config_defaults(&cfg);
    if (unit_local_open(&be, &cfg, sdir, 1) != SSPR_OK)
        return -1;
    cfg.max_failures = 5;
    cfg.max_failures_per_method = 3;
    cfg.failure_window = 900;
    cfg.lockout = 600;
    cfg.max_consecutive = 50;
    cfg.max_sends_per_hour = 5;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sspr_backend_close(&be);
    unit_rm_rf(top);
    return 0;
}

static int fail_m(const char *m, time_t now, struct sspr_throttle_state *s)
{
    int mf = -1;

    assert_int_equal(sspr_throttle_fail_method(&be, unit_subject(KEY), now, m, s, &mf), 0);
    return mf;
}

static int usable(const char *m, time_t now)
{
    struct sspr_throttle_state s;
    int mf;

    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), now, m, &s, &mf), 0);
    return !sspr_throttle_method_locked(&s, mf, now, &cfg);
}

static void test_per_method_cap(void **state)
{
    struct sspr_throttle_state s;

    (void)state;
    assert_true(usable("totp", T0));
    assert_int_equal(fail_m("totp", T0, &s), 1);
    assert_int_equal(fail_m("totp", T0 + 1, &s), 2);
    assert_true(usable("totp", T0 + 2));
    assert_int_equal(fail_m("totp", T0 + 2, &s), 3);
    assert_int_equal(s.failures, 3);
    /* totp is capped; the other methods still work... */
    assert_false(usable("totp", T0 + 3));
    assert_true(usable("email", T0 + 3));
    assert_true(usable("recovery", T0 + 3));
    assert_false(sspr_throttle_locked(&s, T0 + 3));
    /* ...and count toward the same total. */
    assert_int_equal(fail_m("email", T0 + 4, &s), 1);
    assert_int_equal(s.failures, 4);
    assert_false(sspr_throttle_locked(&s, T0 + 4));
    /* A plain failure (no method) counts in the total only. */
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(KEY), T0 + 5, &s), 0);
    assert_int_equal(s.failures, 5);
    assert_true(sspr_throttle_locked(&s, T0 + 5));
    /* The total reached max_failures: every method is refused. */
    assert_false(usable("email", T0 + 6));
    assert_false(usable("recovery", T0 + 6));
    /* The lockout ends: all counts start afresh. */
    assert_true(usable("totp", T0 + 5 + 600));
    assert_int_equal(fail_m("totp", T0 + 700, &s), 1);
    assert_int_equal(s.failures, 1);
}

static void test_method_window_and_clear(void **state)
{
    struct sspr_throttle_state s;

    (void)state;
    fail_m("sms", T0, &s);
    fail_m("sms", T0 + 10, &s);
    fail_m("sms", T0 + 20, &s);
    assert_false(usable("sms", T0 + 30));
    /* The window (from the first failure) ends: the method is back. */
    assert_true(usable("sms", T0 + 900));
    assert_int_equal(fail_m("sms", T0 + 901, &s), 1);
    /* Clear (unlock, or a completed reset) forgets per-method counts. */
    fail_m("sms", T0 + 902, &s);
    fail_m("sms", T0 + 903, &s);
    assert_false(usable("sms", T0 + 904));
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(KEY)), 0);
    assert_true(usable("sms", T0 + 905));
}

static void test_method_names(void **state)
{
    struct sspr_throttle_state s;
    int mf = 0;

    (void)state;
    assert_int_equal(sspr_throttle_fail_method(&be, unit_subject(KEY), T0, "fax", &s, &mf),
                     SSPR_ERR_INVAL);
    assert_true(sspr_throttle_locked(&s, T0));
    assert_int_equal(mf, cfg.max_failures_per_method);
    assert_int_equal(sspr_throttle_fail_method(&be, unit_subject(KEY), T0, "totp recovery", &s, &mf),
                     SSPR_ERR_INVAL);
    assert_int_equal(sspr_throttle_fail_method(&be, unit_subject(KEY), T0, NULL, &s, &mf),
                     SSPR_ERR_INVAL);
    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), T0, "", &s, &mf), SSPR_ERR_INVAL);
    assert_true(sspr_throttle_method_locked(&s, mf, T0, &cfg));
    /* Nothing was written for those. */
    assert_int_equal(unit_count_entries(sdir, KEY ".json"), 0);
    /* Every real method name works. */
    fail_m("totp", T0, &s);
    fail_m("recovery", T0, &s);
    fail_m("email", T0, &s);
    fail_m("sms", T0, &s);
    assert_int_equal(fail_m("questions", T0, &s), 1);
    assert_int_equal(s.failures, 5);
}

static void test_send_cap(void **state)
{
    struct sspr_throttle_state s;
    int i, n = -1;

    (void)state;
    /* Failures first: sending must not reset them. */
    fail_m("email", T0, &s);
    fail_m("email", T0, &s);
    for (i = 0; i < 5; i++)
        assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + i * 60), 0);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 300), 1);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3599), 1);
    assert_int_equal(sspr_throttle_sends(&be, unit_subject(KEY), T0 + 3599, &n), 0);
    assert_int_equal(n, 5);
    /* A new code did not reset the failure count. */
    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), T0 + 300, "email", &s, &i), 0);
    assert_int_equal(s.failures, 2);
    assert_int_equal(i, 2);
    /* Sliding: the first send leaves the hour at T0 + 3600, the next at
     * T0 + 3660. */
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3600), 0);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3601), 1);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3660), 0);
    /* A clock set back does not free anything. */
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 - 86400), 1);
    /* Unlock (clear) forgets failures but not sends. */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(KEY)), 0);
    assert_int_equal(sspr_throttle_get(&be, unit_subject(KEY), T0 + 3661, &s), 0);
    assert_int_equal(s.failures, 0);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3661), 1);
    /* Other subjects have their own cap. */
    assert_int_equal(sspr_throttle_send(&be, unit_subject("throttle-u1001"), T0 + 3661), 0);
    /* Much later: all free again. */
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 3 * 3600), 0);
    assert_int_equal(sspr_throttle_sends(&be, unit_subject(KEY), T0 + 3 * 3600, &n), 0);
    assert_int_equal(n, 1);
}

static void test_old_and_corrupt_records(void **state)
{
    static const char old[] = "{\"failures\":2,\"since\":1700000000,\"locked_until\":0,"
                              "\"consecutive\":2}";
    static const char *const corrupt[] = {
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"methods\":[]}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"methods\":{\"fax\":1}}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"methods\":{\"totp\":-1}}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"sends\":{}}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"sends\":[\"1\"]}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"sends\":[-5]}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"sends\":[],\"x\":1}",
    };
    struct sspr_throttle_state s;
    size_t i;
    int mf;

    (void)state;
    /* A record written before per-method counts existed is still good. */
    assert_int_equal(unit_write_file(sdir, KEY ".json", old, sizeof(old) - 1, 0600), 0);
    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), T0 + 10, "totp", &s, &mf), 0);
    assert_int_equal(s.failures, 2);
    assert_int_equal(mf, 0);
    assert_int_equal(fail_m("totp", T0 + 11, &s), 1);
    assert_int_equal(s.failures, 3);
    assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0 + 12), 0);
    /* Bad extensions are corrupt records: fail closed, left as they are. */
    for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
        assert_int_equal(unit_write_file(sdir, KEY ".json", corrupt[i], strlen(corrupt[i]), 0600),
                         0);
        if (sspr_throttle_get_method(&be, unit_subject(KEY), T0, "totp", &s, &mf) != SSPR_ERR_CORRUPT)
            fail_msg("case %zu accepted", i);
        assert_true(sspr_throttle_method_locked(&s, mf, T0, &cfg));
        assert_int_equal(sspr_throttle_send(&be, unit_subject(KEY), T0), SSPR_ERR_CORRUPT);
        assert_int_equal(sspr_throttle_fail_method(&be, unit_subject(KEY), T0, "totp", &s, &mf),
                         SSPR_ERR_CORRUPT);
        assert_int_equal(sspr_throttle_sends(&be, unit_subject(KEY), T0, &mf), SSPR_ERR_CORRUPT);
        assert_int_equal(mf, INT32_MAX);
    }
    /* Clear removes a corrupt record. */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(KEY)), 0);
    assert_int_equal(unit_count_entries(sdir, KEY ".json"), 0);
}

static void wait_all(const pid_t *pids, int n, int *codes)
{
    int i;

    for (i = 0; i < n; i++) {
        int status;

        while (waitpid(pids[i], &status, 0) < 0)
            assert_int_equal(errno, EINTR);
        assert_true(WIFEXITED(status));
        codes[i] = WEXITSTATUS(status);
    }
}

/* 8 processes x 10 sends at the same time on one subject, each with its
 * own store handle: exactly max_sends_per_hour are allowed in total. */
static void test_concurrent_send_cap(void **state)
{
    enum { PROCS = 8, EACH = 10 };
    pid_t pids[PROCS];
    int codes[PROCS], i, total = 0, n = -1;

    (void)state;
    cfg.max_sends_per_hour = 7;
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct sspr_backend b2;
            int j, allowed = 0;

            if (unit_local_open(&b2, &cfg, sdir, 0) != SSPR_OK)
                _exit(200);
            for (j = 0; j < EACH; j++) {
                int r = sspr_throttle_send(&b2, unit_subject(KEY), T0);

                if (r == 0)
                    allowed++;
                else if (r != 1)
                    _exit(201);
            }
            sspr_backend_close(&b2);
            _exit(allowed);
        }
    }
    wait_all(pids, PROCS, codes);
    for (i = 0; i < PROCS; i++) {
        assert_true(codes[i] <= EACH);
        total += codes[i];
    }
    assert_int_equal(total, 7);
    assert_int_equal(sspr_throttle_sends(&be, unit_subject(KEY), T0, &n), 0);
    assert_int_equal(n, 7);
    assert_int_equal(unit_count_entries(sdir, ".tmp."), 0);
}

/* Per-method failures from 8 processes: no lost increments, in the total
 * and in the method's count. */
static void test_concurrent_method_failures(void **state)
{
    enum { PROCS = 8, EACH = 12 };
    static const char *const m[] = { "totp", "email" };
    pid_t pids[PROCS];
    int codes[PROCS], i, mf;
    struct sspr_throttle_state s;

    (void)state;
    cfg.max_failures = 20;
    cfg.max_consecutive = 100;
    cfg.failure_window = 86400;
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct sspr_backend b2;
            int j;

            if (unit_local_open(&b2, &cfg, sdir, 0) != SSPR_OK)
                _exit(2);
            for (j = 0; j < EACH; j++) {
                struct sspr_throttle_state x;
                int y;

                if (sspr_throttle_fail_method(&b2, unit_subject(KEY), T0, m[i % 2], &x, &y) != 0)
                    _exit(1);
            }
            sspr_backend_close(&b2);
            _exit(0);
        }
    }
    wait_all(pids, PROCS, codes);
    for (i = 0; i < PROCS; i++)
        assert_int_equal(codes[i], 0);
    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), T0, "totp", &s, &mf), 0);
    assert_int_equal(s.failures, PROCS * EACH);
    assert_int_equal(mf, PROCS / 2 * EACH);
    assert_int_equal(sspr_throttle_get_method(&be, unit_subject(KEY), T0, "email", &s, &mf), 0);
    assert_int_equal(mf, PROCS / 2 * EACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_per_method_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_window_and_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_and_corrupt_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_send_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_method_failures, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
