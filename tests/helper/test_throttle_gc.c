/* Throttle records of names that match no account are swept once they say
 * nothing any more; accounts' records and live ones are kept. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "support/config.h"
#include "state/throttle.h"
#include "unit_util.h"

static char dir[] = "/tmp/sspr-gc-XXXXXX";

static int file_exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void sweeps_only_expired_unknown_names(void **state)
{
    struct sspr_config cfg;
    struct sspr_backend be;
    struct sspr_throttle_state ts;
    char unknown[96], live[96], account[96], name[128];
    unsigned removed = 99;
    time_t t0 = 1000000;

    (void)state;
    sspr_config_defaults(&cfg);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(unit_local_open(&be, &cfg, dir, 0), SSPR_OK);
    assert_int_equal(unit_throttle_key(&be, -1, "made-up-name", unknown, sizeof(unknown)), 0);
    assert_int_equal(unit_throttle_key(&be, -1, "another-name", live, sizeof(live)), 0);
    assert_int_equal(unit_throttle_key(&be, 1000, "alice", account, sizeof(account)), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(unknown), t0, &ts), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(account), t0, &ts), 0);
    time_t later = t0 + cfg.failure_window + 1;
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(live), later, &ts), 0);

    /* inside the window nothing goes */
    assert_int_equal(sspr_be_gc(&be, t0 + 1, &removed), SSPR_OK);
    assert_int_equal(removed, 0);
    /* after it: the expired unknown name goes, with its lock file */
    assert_int_equal(sspr_be_gc(&be, later, &removed), SSPR_OK);
    assert_int_equal(removed, 1);
    snprintf(name, sizeof(name), "%s.json", unknown);
    assert_false(file_exists(name));
    snprintf(name, sizeof(name), "%s.lock", unknown);
    assert_false(file_exists(name));
    snprintf(name, sizeof(name), "%s.json", live);
    assert_true(file_exists(name));
    snprintf(name, sizeof(name), "%s.json", account);
    assert_true(file_exists(name)); /* accounts are never swept */
    sspr_backend_close(&be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sweeps_only_expired_unknown_names),
    };
    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
