/* One-time codes: shape, uniform digits, single use, expiry, malformed
 * answers, wiping. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "proofs/otc.h"

static void test_shape(void **state)
{
    struct sspr_otc c;
    unsigned d;

    (void)state;
    for (d = SSPR_OTC_MIN_DIGITS; d <= SSPR_OTC_MAX_DIGITS; d++) {
        const char *s;
        size_t i;

        assert_int_equal(sspr_otc_new(&c, d, 600), 0);
        s = sspr_otc_code(&c);
        assert_non_null(s);
        assert_int_equal(strlen(s), d);
        for (i = 0; i < d; i++)
            assert_true(s[i] >= '0' && s[i] <= '9');
        assert_true(sspr_otc_live(&c));
    }
    sspr_otc_wipe(&c);
    assert_null(sspr_otc_code(&c));
    assert_false(sspr_otc_live(&c));
}

static void test_bad_arguments(void **state)
{
    struct sspr_otc c;

    (void)state;
    assert_int_equal(sspr_otc_new(&c, 5, 600), -1); /* fewer than 6 digits: never */
    assert_false(sspr_otc_live(&c));
    assert_int_equal(sspr_otc_new(&c, 13, 600), -1);
    assert_int_equal(sspr_otc_new(&c, 8, 0), -1);
    assert_int_equal(sspr_otc_new(&c, 8, SSPR_OTC_MAX_LIFETIME + 1), -1);
    assert_int_equal(sspr_otc_new(NULL, 8, 60), -1);
    assert_int_equal(sspr_otc_check(NULL, "12345678"), -1);
    assert_int_equal(sspr_otc_check(&c, "12345678"), -1); /* not live */
}

/* Every digit in every position: 20000 digits, each value about 2000 times
 * (a modulo-biased generator would still pass this; the point is that all
 * ten appear everywhere and nothing is stuck). */
static void test_digits_spread(void **state)
{
    unsigned counts[10] = { 0 }, pos0[10] = { 0 };
    struct sspr_otc c;
    int i, j;

    (void)state;
    for (i = 0; i < 2500; i++) {
        assert_int_equal(sspr_otc_new(&c, 8, 60), 0);
        for (j = 0; j < 8; j++)
            counts[c.code[j] - '0']++;
        pos0[c.code[0] - '0']++;
    }
    for (i = 0; i < 10; i++) {
        assert_true(counts[i] > 1700 && counts[i] < 2300);
        assert_true(pos0[i] > 150);
    }
    sspr_otc_wipe(&c);
}

static void test_single_use(void **state)
{
    struct sspr_otc c;
    char copy[SSPR_OTC_MAX_DIGITS + 1];

    (void)state;
    assert_int_equal(sspr_otc_new(&c, 8, 600), 0);
    snprintf(copy, sizeof(copy), "%s", sspr_otc_code(&c));
    assert_int_equal(sspr_otc_check(&c, copy), 0);
    /* Consumed: the same code again fails, and the struct is wiped. */
    assert_int_equal(sspr_otc_check(&c, copy), -1);
    assert_false(sspr_otc_live(&c));
    assert_null(sspr_otc_code(&c));
    {
        static const unsigned char zero[sizeof(c.code)];

        assert_memory_equal(c.code, zero, sizeof(c.code));
    }
    /* A new code is a new code. */
    assert_int_equal(sspr_otc_new(&c, 8, 600), 0);
    assert_true(sspr_otc_live(&c));
    sspr_otc_wipe(&c);
}

static void test_wrong_and_malformed(void **state)
{
    struct sspr_otc c;
    char good[SSPR_OTC_MAX_DIGITS + 1], t[64];

    (void)state;
    assert_int_equal(sspr_otc_new(&c, 6, 600), 0);
    snprintf(good, sizeof(good), "%s", sspr_otc_code(&c));
    /* Wrong by one digit. */
    snprintf(t, sizeof(t), "%s", good);
    t[5] = (char)(t[5] == '9' ? '0' : t[5] + 1);
    assert_int_equal(sspr_otc_check(&c, t), -1);
    /* The right digits with something around them. */
    snprintf(t, sizeof(t), " %s", good);
    assert_int_equal(sspr_otc_check(&c, t), -1);
    snprintf(t, sizeof(t), "%s0", good);
    assert_int_equal(sspr_otc_check(&c, t), -1);
    snprintf(t, sizeof(t), "%.5s", good);
    assert_int_equal(sspr_otc_check(&c, t), -1);
    /* Still usable after SSPR_OTC_MAX_TRIES - 1 = 4 wrong tries. */
    assert_true(sspr_otc_live(&c));
    assert_int_equal(sspr_otc_check(&c, good), 0);

    assert_int_equal(sspr_otc_new(&c, 6, 600), 0);
    snprintf(good, sizeof(good), "%s", sspr_otc_code(&c));
    assert_int_equal(sspr_otc_check(&c, ""), -1);
    assert_int_equal(sspr_otc_check(&c, NULL), -1);
    assert_int_equal(sspr_otc_check(&c, "12a456"), -1);
    /* Fullwidth digits are not digits here. */
    assert_int_equal(sspr_otc_check(&c, "\xef\xbc\x91\xef\xbc\x92"), -1);
    assert_int_equal(sspr_otc_check(&c, "1234567"), -1);
    assert_true(sspr_otc_live(&c));
    /* The fifth wrong try burns the code: the right one no longer works. */
    assert_int_equal(sspr_otc_check(&c, "-12345"), -1);
    assert_false(sspr_otc_live(&c));
    assert_int_equal(sspr_otc_check(&c, good), -1);
}

static void test_expiry(void **state)
{
    struct sspr_otc c;
    char good[SSPR_OTC_MAX_DIGITS + 1];

    (void)state;
    assert_int_equal(sspr_otc_new(&c, 8, 1), 0);
    snprintf(good, sizeof(good), "%s", sspr_otc_code(&c));
    assert_true(sspr_otc_live(&c));
    usleep(1100 * 1000);
    assert_false(sspr_otc_live(&c));
    assert_int_equal(sspr_otc_check(&c, good), -1);
    /* Expired codes are wiped. */
    assert_null(sspr_otc_code(&c));
    assert_int_equal(c.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_digits_spread),
        cmocka_unit_test(test_single_use),
        cmocka_unit_test(test_wrong_and_malformed),
        cmocka_unit_test(test_expiry),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
