/* TOTP: RFC 6238 Appendix B vectors, the +-1 window, replay and rollback,
 * and what a typed code may look like. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "proofs/totp.h"

static const uint8_t rfc_secret[] = "12345678901234567890"; /* 20 bytes + NUL */
#define RFC_LEN 20

static const struct {
    int64_t t;
    const char *code;
} rfc[] = {
    { 59, "94287082" },
    { 1111111109, "07081804" },
    { 1111111111, "14050471" },
    { 1234567890, "89005924" },
    { 2000000000, "69279037" },
    { 20000000000LL, "65353130" },
};

static void code_at(int64_t step, char out[16])
{
    assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, (uint64_t)step, 6, out, 16), 0);
}

static void test_rfc6238_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
        char out[16];

        assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, (uint64_t)(rfc[i].t / 30), 8, out,
                                        sizeof(out)),
                         0);
        assert_string_equal(out, rfc[i].code);
        /* The 6-digit code is the same truncation mod 10^6. */
        assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, (uint64_t)(rfc[i].t / 30), 6, out,
                                        sizeof(out)),
                         0);
        assert_string_equal(out, rfc[i].code + 2);
    }
}

static void test_code_arguments(void **state)
{
    char out[16];

    (void)state;
    assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, 1, 5, out, sizeof(out)), -1);
    assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, 1, 9, out, sizeof(out)), -1);
    assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, 1, 8, out, 8), -1);
    assert_int_equal(sspr_totp_code(rfc_secret, 0, 1, 6, out, sizeof(out)), -1);
    assert_int_equal(sspr_totp_code(NULL, RFC_LEN, 1, 6, out, sizeof(out)), -1);
    assert_int_equal(sspr_totp_code(rfc_secret, RFC_LEN, UINT64_MAX, 6, out, sizeof(out)), -1);
}

static void test_window(void **state)
{
    const time_t now = 1111111111;
    const int64_t t = now / 30;
    int64_t m;
    char c[16];
    int d;

    (void)state;
    for (d = -1; d <= 1; d++) {
        code_at(t + d, c);
        m = -7;
        assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, -1, &m), 0);
        assert_int_equal(m, t + d);
    }
    code_at(t - 2, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, -1, &m), -1);
    code_at(t + 2, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, -1, &m), -1);
    /* Another secret's code does not pass. */
    {
        uint8_t other[SSPR_TOTP_SECRET_BYTES];

        memset(other, 0x42, sizeof(other));
        code_at(t, c);
        assert_int_equal(sspr_totp_verify(other, sizeof(other), now, c, -1, &m), -1);
    }
}

static void test_replay_and_rollback(void **state)
{
    const time_t now = 2000000000;
    const int64_t t = now / 30;
    int64_t last = -1, m;
    char c[16];

    (void)state;
    code_at(t, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, last, &m), 0);
    last = m;
    /* Same code, same step: refused, also a few seconds later. */
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, last, &m), -1);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now + 5, c, last, &m), -1);
    /* Next step is fine... */
    code_at(t + 1, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now + 30, c, last, &m), 0);
    assert_int_equal(m, t + 1);
    last = m;
    /* ...and then the earlier step's code is refused though still in window. */
    code_at(t, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now + 30, c, last, &m), -1);
    /* A clock set back does not bring the used codes back. */
    code_at(t, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now - 300, c, last, &m), -1);
    code_at(t + 1, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, last, &m), -1);
}

static void test_code_shape(void **state)
{
    static const char *const bad[] = {
        "",
        "12345",
        "1234567",                   /* 7 digits */
        "12 3456",
        " 123456",
        "123456 ",
        "123456\n",
        "12345a",
        "+12345",
        "-12345",
        "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96", /* fullwidth */
        "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",                         /* Arabic-Indic */
        "\xdb\xb1\xdb\xb2\xdb\xb3", /* Extended Arabic-Indic, 6 bytes */
    };
    const time_t now = 1234567890;
    int64_t m = -5;
    char c[16], padded[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sspr_totp_verify(rfc_secret, RFC_LEN, now, bad[i], -1, &m) != -1)
            fail_msg("code shape %zu accepted", i);
    /* The right digits with anything around them are still refused. */
    code_at(now / 30, c);
    snprintf(padded, sizeof(padded), "%s0", c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, padded, -1, &m), -1);
    snprintf(padded, sizeof(padded), "0%s", c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, padded, -1, &m), -1);
    assert_int_equal(m, -5);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, -1, &m), 0);
    /* Arguments. */
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, -1, c, -1, &m), -1);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, NULL, -1, &m), -1);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, now, c, -1, NULL), -1);
}

static void test_epoch_start(void **state)
{
    int64_t m;
    char c[16];

    (void)state;
    /* At step 0 there is no step -1 to look at. */
    code_at(0, c);
    assert_int_equal(sspr_totp_verify(rfc_secret, RFC_LEN, 10, c, -1, &m), 0);
    assert_int_equal(m, 0);
}

static void test_new_secret(void **state)
{
    uint8_t a[SSPR_TOTP_SECRET_BYTES], b[SSPR_TOTP_SECRET_BYTES], zero[SSPR_TOTP_SECRET_BYTES];

    (void)state;
    assert_true(SSPR_TOTP_SECRET_BYTES * 8 >= 160);
    memset(zero, 0, sizeof(zero));
    sspr_totp_new_secret(a);
    sspr_totp_new_secret(b);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_vectors),
        cmocka_unit_test(test_code_arguments),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_replay_and_rollback),
        cmocka_unit_test(test_code_shape),
        cmocka_unit_test(test_epoch_start),
        cmocka_unit_test(test_new_secret),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
