/* RFC 4648 section 10 vectors (unpadded on output), decoding rules. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "support/base32.h"

static const struct {
    const char *plain, *enc, *padded;
} vectors[] = {
    { "", "", "" },
    { "f", "MY", "MY======" },
    { "fo", "MZXQ", "MZXQ====" },
    { "foo", "MZXW6", "MZXW6===" },
    { "foob", "MZXW6YQ", "MZXW6YQ=" },
    { "fooba", "MZXW6YTB", "MZXW6YTB" },
    { "foobar", "MZXW6YTBOI", "MZXW6YTBOI======" },
};

static void test_encode_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char out[32];

        assert_int_equal(sspr_base32_encode((const uint8_t *)vectors[i].plain,
                                            strlen(vectors[i].plain), out, sizeof(out)), 0);
        assert_string_equal(out, vectors[i].enc);
    }
}

static void test_decode_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        uint8_t out[16];
        long n;

        n = sspr_base32_decode(vectors[i].enc, out, sizeof(out));
        assert_int_equal(n, (long)strlen(vectors[i].plain));
        assert_memory_equal(out, vectors[i].plain, (size_t)n);
        /* With RFC padding too. */
        n = sspr_base32_decode(vectors[i].padded, out, sizeof(out));
        assert_int_equal(n, (long)strlen(vectors[i].plain));
        assert_memory_equal(out, vectors[i].plain, (size_t)n);
    }
}

static void test_decode_lenient_input(void **state)
{
    uint8_t out[16];

    (void)state;
    /* Lower case and spaces, as people copy secrets from a screen. */
    assert_int_equal(sspr_base32_decode("mzxw 6ytb oi", out, sizeof(out)), 6);
    assert_memory_equal(out, "foobar", 6);
}

static void test_decode_rejects(void **state)
{
    uint8_t out[16];

    (void)state;
    assert_int_equal(sspr_base32_decode("M", out, sizeof(out)), -1);        /* 1 symbol */
    assert_int_equal(sspr_base32_decode("MZX", out, sizeof(out)), -1);      /* 3 symbols */
    assert_int_equal(sspr_base32_decode("MZXW6Y", out, sizeof(out)), -1);   /* 6 symbols */
    assert_int_equal(sspr_base32_decode("MZXW1", out, sizeof(out)), -1);    /* not in alphabet */
    assert_int_equal(sspr_base32_decode("MZXW8", out, sizeof(out)), -1);
    assert_int_equal(sspr_base32_decode("MZ-XW", out, sizeof(out)), -1);
    assert_int_equal(sspr_base32_decode("MB", out, sizeof(out)), -1);       /* leftover bits set */
    assert_int_equal(sspr_base32_decode("MY=A", out, sizeof(out)), -1);     /* data after '=' */
    assert_int_equal(sspr_base32_decode("MZXW6YTBOI", out, 5), -1);         /* out too small */
    assert_int_equal(sspr_base32_decode(NULL, out, sizeof(out)), -1);
}

static void test_encode_rejects_small_buffer(void **state)
{
    char out[10];

    (void)state;
    /* "foobar" needs 10 symbols + NUL. */
    assert_int_equal(sspr_base32_encode((const uint8_t *)"foobar", 6, out, 10), -1);
    assert_int_equal(sspr_base32_encode((const uint8_t *)"foobar", 6, NULL, 11), -1);
}

static void test_round_trip_secret(void **state)
{
    uint8_t secret[20], back[20];
    char enc[33];
    int i;

    (void)state;
    for (i = 0; i < 100; i++) {
        randombytes_buf(secret, sizeof(secret));
        assert_int_equal(sspr_base32_encode(secret, sizeof(secret), enc, sizeof(enc)), 0);
        assert_int_equal(strlen(enc), 32);
        assert_int_equal(sspr_base32_decode(enc, back, sizeof(back)), 20);
        assert_memory_equal(secret, back, sizeof(secret));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_vectors),
        cmocka_unit_test(test_decode_vectors),
        cmocka_unit_test(test_decode_lenient_input),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_encode_rejects_small_buffer),
        cmocka_unit_test(test_round_trip_secret),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
