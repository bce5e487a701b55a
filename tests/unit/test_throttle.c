/* Throttling: counting, windows, lockouts, fail-closed records, subject keys,
 * delays, and no lost increments under concurrency. Time is passed in. */
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

static int setup(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "%s", unit_tmpdir());
    unit_path(sdir, top, "state");
    sspr_config_defaults(&cfg);
    if (unit_local_open(&be, &cfg, sdir, 1) != SSPR_OK)
        return -1;
    cfg.max_failures = 5;
    cfg.failure_window = 900;
    cfg.lockout = 600;
    cfg.max_consecutive = 50;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sspr_backend_close(&be);
    unit_rm_rf(top);
    return 0;
}

static struct sspr_throttle_state fail_at(const char *key, time_t now)
{
    struct sspr_throttle_state s;

    assert_int_equal(sspr_throttle_fail(&be, unit_subject(key), now, &s), 0);
    return s;
}

static struct sspr_throttle_state get_at(const char *key, time_t now)
{
    struct sspr_throttle_state s;

    assert_int_equal(sspr_throttle_get(&be, unit_subject(key), now, &s), 0);
    return s;
}

static void test_missing_is_clean(void **state)
{
    struct sspr_throttle_state s = get_at("throttle-u1000", T0);

    (void)state;
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.locked_until, 0);
    assert_false(sspr_throttle_locked(&s, T0));
}

static void test_counting(void **state)
{
    struct sspr_throttle_state s;
    int i;

    (void)state;
    for (i = 1; i <= 4; i++) {
        s = fail_at("throttle-u1000", T0 + i);
        assert_int_equal(s.failures, i);
        assert_int_equal(s.locked_until, 0);
    }
    s = get_at("throttle-u1000", T0 + 10);
    assert_int_equal(s.failures, 4);
    assert_false(sspr_throttle_locked(&s, T0 + 10));
    /* Another subject is untouched. */
    s = get_at("throttle-u1001", T0 + 10);
    assert_int_equal(s.failures, 0);
}

static void test_window_expiry(void **state)
{
    struct sspr_throttle_state s;

    (void)state;
    fail_at("throttle-u1000", T0);
    fail_at("throttle-u1000", T0 + 100);
    s = get_at("throttle-u1000", T0 + 899);
    assert_int_equal(s.failures, 2);
    /* The window runs from the first failure. */
    s = get_at("throttle-u1000", T0 + 900);
    assert_int_equal(s.failures, 0);
    s = fail_at("throttle-u1000", T0 + 901);
    assert_int_equal(s.failures, 1);
    s = fail_at("throttle-u1000", T0 + 1000);
    assert_int_equal(s.failures, 2);
    /* A clock set back expires nothing. */
    s = get_at("throttle-u1000", T0 - 100000);
    assert_int_equal(s.failures, 2);
}

static void test_lockout_and_end(void **state)
{
    struct sspr_throttle_state s;
    int i;

    (void)state;
    for (i = 0; i < 4; i++)
        s = fail_at("throttle-u1000", T0 + i);
    assert_false(sspr_throttle_locked(&s, T0 + 4));
    s = fail_at("throttle-u1000", T0 + 4);
    assert_int_equal(s.failures, 5);
    assert_int_equal(s.locked_until, T0 + 4 + 600);
    assert_true(sspr_throttle_locked(&s, T0 + 4));
    assert_true(sspr_throttle_locked(&s, T0 + 603));
    assert_false(sspr_throttle_locked(&s, T0 + 604));
    /* Still locked across a window boundary: the lockout, not the window,
     * decides. And failing on does not extend it. */
    s = fail_at("throttle-u1000", T0 + 500);
    assert_int_equal(s.locked_until, T0 + 604);
    s = get_at("throttle-u1000", T0 + 603);
    assert_true(sspr_throttle_locked(&s, T0 + 603));
    /* Ended: a fresh count. */
    s = get_at("throttle-u1000", T0 + 604);
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.locked_until, 0);
    s = fail_at("throttle-u1000", T0 + 700);
    assert_int_equal(s.failures, 1);
    assert_false(sspr_throttle_locked(&s, T0 + 700));
}

static void test_max_consecutive(void **state)
{
    struct sspr_throttle_state s;
    time_t t = T0;
    int i;

    (void)state;
    cfg.max_consecutive = 12;
    /* Spread out so that windows and lockouts keep ending: the count that
     * SP 800-63B caps still grows. */
    for (i = 0; i < 11; i++) {
        s = fail_at("throttle-u1000", t);
        assert_int_not_equal(s.locked_until, SSPR_THROTTLE_FOREVER);
        t += 2000;
    }
    s = fail_at("throttle-u1000", t);
    assert_int_equal(s.locked_until, SSPR_THROTTLE_FOREVER);
    s = get_at("throttle-u1000", t + 10 * 365 * 86400L);
    assert_true(sspr_throttle_locked(&s, t + 10 * 365 * 86400L));
    /* Only an explicit clear (unlock, or a completed reset) ends it. */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject("throttle-u1000")), 0);
    s = get_at("throttle-u1000", t);
    assert_int_equal(s.failures, 0);
    assert_false(sspr_throttle_locked(&s, t));
}

static void test_clear(void **state)
{
    struct sspr_throttle_state s;
    int i;

    (void)state;
    for (i = 0; i < 5; i++)
        s = fail_at("throttle-u1000", T0);
    assert_true(sspr_throttle_locked(&s, T0));
    assert_int_equal(sspr_throttle_clear(&be, unit_subject("throttle-u1000")), 0);
    s = get_at("throttle-u1000", T0);
    assert_int_equal(s.failures, 0);
    assert_false(sspr_throttle_locked(&s, T0));
    /* Clearing nothing is fine. */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject("throttle-u1002")), 0);
}

static void test_corrupt_fails_closed(void **state)
{
    static const char *const bodies[] = {
        "",
        "garbage",
        "{\"failures\":1,\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0}",
        "{\"failures\":\"0\",\"since\":0,\"locked_until\":0,\"consecutive\":0}",
        "{\"failures\":-1,\"since\":0,\"locked_until\":0,\"consecutive\":0}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0}",
        "{\"failures\":0,\"since\":0,\"locked_until\":0,\"consecutive\":0,\"extra\":1}",
        "[]",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct sspr_throttle_state s;
        char p[PATH_MAX], back[256];
        FILE *f;
        size_t n;

        assert_int_equal(unit_write_file(sdir, "throttle-u1000.json", bodies[i], strlen(bodies[i]),
                                         0600), 0);
        memset(&s, 0, sizeof(s));
        assert_int_equal(sspr_throttle_get(&be, unit_subject("throttle-u1000"), T0, &s),
                         SSPR_ERR_CORRUPT);
        if (!sspr_throttle_locked(&s, T0))
            fail_msg("corrupt record %zu not treated as locked", i);
        /* A failure does not "repair" it into an unlocked count. */
        memset(&s, 0, sizeof(s));
        assert_int_equal(sspr_throttle_fail(&be, unit_subject("throttle-u1000"), T0, &s),
                         SSPR_ERR_CORRUPT);
        assert_true(sspr_throttle_locked(&s, T0 + 86400));
        memset(&s, 0, sizeof(s));
        assert_int_equal(sspr_throttle_get(&be, unit_subject("throttle-u1000"), T0 + 86400, &s),
                         SSPR_ERR_CORRUPT);
        assert_true(sspr_throttle_locked(&s, T0 + 86400));
        /* ...and the record is left exactly as found, for an admin to see. */
        f = fopen(unit_path(p, sdir, "throttle-u1000.json"), "re");
        assert_non_null(f);
        n = fread(back, 1, sizeof(back), f);
        fclose(f);
        assert_int_equal(n, strlen(bodies[i]));
        assert_memory_equal(back, bodies[i], n);
    }
    /* Clear is the way out. */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject("throttle-u1000")), 0);
    {
        struct sspr_throttle_state s = get_at("throttle-u1000", T0);

        assert_false(sspr_throttle_locked(&s, T0));
    }
}

static void test_store_errors_fail_closed(void **state)
{
    struct sspr_backend dead = { &sspr_backend_local, &cfg, 0, NULL, 0, "" };
    struct sspr_throttle_state s;

    (void)state;
    assert_int_not_equal(sspr_throttle_get(&dead, unit_subject("throttle-u1000"), T0, &s), 0);
    assert_true(sspr_throttle_locked(&s, T0));
    assert_int_not_equal(sspr_throttle_fail(&dead, unit_subject("throttle-u1000"), T0, &s), 0);
    assert_true(sspr_throttle_locked(&s, T0));
    assert_int_not_equal(sspr_throttle_get(&be, unit_subject(""), T0, &s), 0);
    assert_true(sspr_throttle_locked(&s, T0));
    assert_true(sspr_throttle_locked(NULL, T0));
}

static void test_keys(void **state)
{
    char k1[96], k2[96], k3[96];
    json_t *o = NULL;

    (void)state;
    assert_int_equal(unit_throttle_key(&be, 1000, "alice", k1, sizeof(k1)), 0);
    assert_string_equal(k1, "throttle-u1000");
    assert_int_equal(unit_throttle_key(&be, 0, NULL, k1, sizeof(k1)), 0);
    assert_string_equal(k1, "throttle-u0");

    /* Unknown names: a keyed hash, stable, distinct, never the name. */
    assert_int_equal(unit_throttle_key(&be, -1, "hunter2-password", k1, sizeof(k1)), 0);
    assert_int_equal(strlen(k1), strlen("throttle-n") + 32);
    assert_memory_equal(k1, "throttle-n", 10);
    assert_null(strstr(k1, "hunter2"));
    assert_int_equal(unit_throttle_key(&be, -1, "hunter2-password", k2, sizeof(k2)), 0);
    assert_string_equal(k1, k2);
    assert_int_equal(unit_throttle_key(&be, -1, "Hunter2-password", k3, sizeof(k3)), 0);
    assert_string_not_equal(k1, k3);
    /* The key works with the store and the per-host key record exists. */
    fail_at(k1, T0);
    assert_int_equal(get_at(k1, T0).failures, 1);
    assert_int_equal(sspr_store_read(unit_local_store(&be), "throttle-key", &o), SSPR_OK);
    assert_int_equal(json_string_length(json_object_get(o, "key")), 64);
    json_decref(o);

    /* Another host key gives other subject keys (no precomputed tables). */
    assert_int_equal(sspr_store_remove(unit_local_store(&be), "throttle-key"), SSPR_OK);
    assert_int_equal(unit_throttle_key(&be, -1, "hunter2-password", k3, sizeof(k3)), 0);
    assert_string_not_equal(k1, k3);

    /* A corrupt host key fails closed: no key. */
    assert_int_equal(unit_write_file(sdir, "throttle-key.json", "{\"key\":\"zz\"}", 12, 0600), 0);
    assert_int_not_equal(unit_throttle_key(&be, -1, "bob", k3, sizeof(k3)), 0);
    assert_string_equal(k3, "");
    /* Too small a buffer. */
    assert_int_not_equal(unit_throttle_key(&be, 123456, NULL, k3, 8), 0);
    assert_string_equal(k3, "");
}

static void test_delay(void **state)
{
    struct sspr_config c;

    (void)state;
    sspr_config_defaults(&c);
    c.failure_delay = 2;
    assert_int_equal(sspr_throttle_delay(&c, 0), 0);
    assert_int_equal(sspr_throttle_delay(&c, 1), 2);
    assert_int_equal(sspr_throttle_delay(&c, 2), 4);
    assert_int_equal(sspr_throttle_delay(&c, 3), 8);
    assert_int_equal(sspr_throttle_delay(&c, 4), 16);
    assert_int_equal(sspr_throttle_delay(&c, 5), 30);
    assert_int_equal(sspr_throttle_delay(&c, INT_MAX), 30);
    c.failure_delay = 30;
    assert_int_equal(sspr_throttle_delay(&c, 1), 30);
    c.failure_delay = 0;
    assert_int_equal(sspr_throttle_delay(&c, 7), 0);
    assert_int_equal(sspr_throttle_delay(NULL, 7), 0);
}

/* 8 processes x 25 failures on one subject, each with its own store handle:
 * every increment must land. */
static void test_concurrent_failures(void **state)
{
    enum { PROCS = 8, EACH = 25 };
    pid_t pids[PROCS];
    json_t *o = NULL;
    int i;

    (void)state;
    cfg.max_failures = 1000000;
    cfg.max_consecutive = 1000000;
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct sspr_backend b2;
            int j;

            if (unit_local_open(&b2, &cfg, sdir, 0) != SSPR_OK)
                _exit(2);
            for (j = 0; j < EACH; j++) {
                struct sspr_throttle_state s;

                if (sspr_throttle_fail(&b2, unit_subject("throttle-u1000"), T0, &s) != 0)
                    _exit(1);
            }
            sspr_backend_close(&b2);
            _exit(0);
        }
    }
    for (i = 0; i < PROCS; i++) {
        int status;

        while (waitpid(pids[i], &status, 0) < 0)
            assert_int_equal(errno, EINTR);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(get_at("throttle-u1000", T0).failures, PROCS * EACH);
    assert_int_equal(sspr_store_read(unit_local_store(&be), "throttle-u1000", &o), SSPR_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "consecutive")), PROCS * EACH);
    json_decref(o);
    assert_int_equal(unit_count_entries(sdir, ".tmp."), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_and_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_consecutive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_errors_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test(test_delay),
        cmocka_unit_test_setup_teardown(test_concurrent_failures, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
