/* New-password checks of our own: length, control characters, user name,
 * banned list (incl. trailing digits/punctuation), and a missing or unsafe
 * banned file failing closed. */
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

#include "support/config.h"
#include "policy/password.h"

static char banned_path[] = "/tmp/sspr-banned-XXXXXX";

static int setup(void **state)
{
    struct sspr_config *cfg = calloc(1, sizeof(*cfg));
    int fd = mkstemp(banned_path);
    const char list[] = "# comment\npassword\nqwerty\nsummer\n";

    assert_non_null(cfg);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, list, sizeof(list) - 1), (ssize_t)(sizeof(list) - 1));
    close(fd);
    chmod(banned_path, 0644);
    sspr_config_defaults(cfg);
    cfg->min_length = 12;
    snprintf(cfg->banned_file, sizeof(cfg->banned_file), "%s", banned_path);
    *state = cfg;
    return 0;
}

static int teardown(void **state)
{
    unlink(banned_path);
    free(*state);
    return 0;
}

static void length_and_controls(void **state)
{
    struct sspr_config *cfg = *state;
    char big[600];

    assert_non_null(sspr_pwcheck(cfg, "alice", "short1!"));
    assert_non_null(sspr_pwcheck(cfg, "alice", "tab\there-long-enough"));
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_string_equal(sspr_pwcheck(cfg, "alice", big), "That password is too long.");
}

static void user_name(void **state)
{
    struct sspr_config *cfg = *state;

    assert_string_equal(sspr_pwcheck(cfg, "alice", "my-ALICE-is-long"),
                        "The password must not contain your user name.");
    assert_string_equal(sspr_pwcheck(cfg, "bartholomew", "bartholomew2024"),
                        "The password must not contain your user name.");
}

/* The banned file must be root-owned: as non-root the check fails closed. */
static void banned_list(void **state)
{
    struct sspr_config *cfg = *state;

    if (geteuid() != 0) {
        assert_string_equal(sspr_pwcheck(cfg, "alice", "a-fine-long-passphrase"),
                            "The password could not be checked. Ask your administrator.");
        skip();
    }
    assert_null(sspr_pwcheck(cfg, "alice", "a-fine-long-passphrase"));
    assert_string_equal(sspr_pwcheck(cfg, "alice", "Password1234"),
                        "That password is too common. Choose another.");
    assert_string_equal(sspr_pwcheck(cfg, "alice", "SUMMER2026!!!"),
                        "That password is too common. Choose another.");
    assert_null(sspr_pwcheck(cfg, "alice", "summer-in-the-hills"));
}

static void banned_missing_fails_closed(void **state)
{
    struct sspr_config cfg = *(struct sspr_config *)*state;

    snprintf(cfg.banned_file, sizeof(cfg.banned_file), "/nonexistent/banned.txt");
    assert_string_equal(sspr_pwcheck(&cfg, "alice", "a-fine-long-passphrase"),
                        "The password could not be checked. Ask your administrator.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(length_and_controls),
        cmocka_unit_test(user_name),
        cmocka_unit_test(banned_list),
        cmocka_unit_test(banned_missing_fails_closed),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, setup, teardown);
}
