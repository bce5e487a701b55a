/* Recovery codes: generation, single use, normalisation, malformed state. */
#include "autoconf.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "proofs/recovery.h"

typedef char codes_t[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1];

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void test_generate_shape(void **state)
{
    codes_t codes;
    json_t *stored = NULL, *hashes;
    char *dump;
    size_t i, j;

    (void)state;
    assert_int_equal(sspr_recovery_generate(codes, &stored), 0);
    assert_non_null(stored);
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        assert_int_equal(strlen(codes[i]), SSPR_RECOVERY_CODE_LEN);
        for (j = 0; j < SSPR_RECOVERY_CODE_LEN; j++) {
            if (j % 5 == 4)
                assert_int_equal(codes[i][j], '-');
            else
                assert_non_null(strchr(crockford, codes[i][j]));
        }
        for (j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
        assert_true(sspr_recovery_looks_like(codes[i]));
    }
    /* {"key": 64 hex, "hashes": [10 x 64 hex]} and no code in clear. */
    assert_int_equal(json_string_length(json_object_get(stored, "key")), 64);
    hashes = json_object_get(stored, "hashes");
    assert_int_equal(json_array_size(hashes), SSPR_RECOVERY_COUNT);
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++)
        assert_int_equal(json_string_length(json_array_get(hashes, i)), 64);
    assert_int_equal(sspr_recovery_remaining(stored), SSPR_RECOVERY_COUNT);
    dump = json_dumps(stored, 0);
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        char compact[17];
        size_t o = 0;

        for (j = 0; codes[i][j] != '\0'; j++)
            if (codes[i][j] != '-')
                compact[o++] = codes[i][j];
        compact[o] = '\0';
        assert_null(strstr(dump, compact));
        assert_null(strstr(dump, codes[i]));
    }
    free(dump);
    json_decref(stored);
}

static void test_each_code_works_once(void **state)
{
    codes_t codes;
    json_t *stored = NULL;
    size_t i;

    (void)state;
    assert_int_equal(sspr_recovery_generate(codes, &stored), 0);
    /* In an order other than the stored one. */
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        size_t k = (i * 7 + 3) % SSPR_RECOVERY_COUNT;

        assert_int_equal(sspr_recovery_consume(stored, codes[k]), 0);
        assert_int_equal(sspr_recovery_remaining(stored), SSPR_RECOVERY_COUNT - i - 1);
        assert_int_equal(sspr_recovery_consume(stored, codes[k]), -1);
    }
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++)
        assert_int_equal(sspr_recovery_consume(stored, codes[i]), -1);
    json_decref(stored);
}

static void test_normalisation(void **state)
{
    codes_t codes;
    json_t *stored = NULL;
    char typed[64];
    size_t i, o;

    (void)state;
    assert_int_equal(sspr_recovery_generate(codes, &stored), 0);
    /* Upper case. */
    for (i = 0; codes[0][i] != '\0'; i++)
        typed[i] = (char)toupper((unsigned char)codes[0][i]);
    typed[i] = '\0';
    assert_int_equal(sspr_recovery_consume(stored, typed), 0);
    /* No dashes. */
    for (i = 0, o = 0; codes[1][i] != '\0'; i++)
        if (codes[1][i] != '-')
            typed[o++] = codes[1][i];
    typed[o] = '\0';
    assert_int_equal(sspr_recovery_consume(stored, typed), 0);
    /* Spaces instead of dashes, and around. */
    for (i = 0, o = 0; codes[2][i] != '\0'; i++)
        typed[o++] = codes[2][i] == '-' ? ' ' : codes[2][i];
    typed[o] = '\0';
    {
        char spaced[80];

        snprintf(spaced, sizeof(spaced), "  %s ", typed);
        assert_int_equal(sspr_recovery_consume(stored, spaced), 0);
    }
    /* Crockford reading: O for 0, I or L for 1. Use a code that has one. */
    for (i = 3; i < SSPR_RECOVERY_COUNT; i++)
        if (strpbrk(codes[i], "01") != NULL)
            break;
    if (i < SSPR_RECOVERY_COUNT) {
        size_t k = i, n = 0;

        for (i = 0; codes[k][i] != '\0'; i++) {
            char ch = codes[k][i];

            typed[i] = ch == '0' ? 'O' : ch == '1' ? (n++ % 2 ? 'l' : 'I') : ch;
        }
        typed[i] = '\0';
        assert_string_not_equal(typed, codes[k]);
        assert_int_equal(sspr_recovery_consume(stored, typed), 0);
    }
    json_decref(stored);
}

static void test_wrong_codes(void **state)
{
    codes_t codes, other;
    json_t *stored = NULL, *other_stored = NULL;
    char typed[64];

    (void)state;
    assert_int_equal(sspr_recovery_generate(codes, &stored), 0);
    assert_int_equal(sspr_recovery_generate(other, &other_stored), 0);
    /* Well formed but from another set. */
    assert_int_equal(sspr_recovery_consume(stored, other[0]), -1);
    /* One symbol off. */
    snprintf(typed, sizeof(typed), "%s", codes[0]);
    typed[0] = typed[0] == 'a' ? 'b' : 'a';
    assert_int_equal(sspr_recovery_consume(stored, typed), -1);
    /* Malformed. */
    assert_int_equal(sspr_recovery_consume(stored, ""), -1);
    assert_int_equal(sspr_recovery_consume(stored, "123456"), -1);
    assert_int_equal(sspr_recovery_consume(stored, NULL), -1);
    snprintf(typed, sizeof(typed), "%sx", codes[0]); /* 17 symbols */
    assert_int_equal(sspr_recovery_consume(stored, typed), -1);
    snprintf(typed, sizeof(typed), "%s", codes[0]);
    typed[0] = 'u'; /* not in the alphabet */
    assert_int_equal(sspr_recovery_consume(stored, typed), -1);
    assert_int_equal(sspr_recovery_remaining(stored), SSPR_RECOVERY_COUNT);
    assert_false(sspr_recovery_looks_like("123456"));
    assert_false(sspr_recovery_looks_like(""));
    assert_false(sspr_recovery_looks_like(typed));
    assert_false(sspr_recovery_looks_like(
        "aaaa-aaaa-aaaa-aaaa                                                                   "));
    json_decref(stored);
    json_decref(other_stored);
}

static void test_malformed_stored(void **state)
{
    codes_t codes;
    json_t *good = NULL, *bad;
    const char *key;
    size_t i;

    (void)state;
    assert_int_equal(sspr_recovery_generate(codes, &good), 0);
    key = json_string_value(json_object_get(good, "key"));

    for (i = 0; i < 9; i++) {
        bad = json_deep_copy(good);
        switch (i) {
        case 0:
            json_decref(bad);
            bad = json_array();
            break;
        case 1:
            json_object_del(bad, "key");
            break;
        case 2:
            json_object_set_new(bad, "key", json_string("abcd"));
            break;
        case 3: { /* right length, not hex */
            char k[65];

            memset(k, 'z', 64);
            k[64] = '\0';
            json_object_set_new(bad, "key", json_string(k));
            break;
        }
        case 4:
            json_object_set_new(bad, "key", json_integer(5));
            break;
        case 5:
            json_object_set_new(bad, "hashes", json_string(key));
            break;
        case 6:
            json_array_set_new(json_object_get(bad, "hashes"), 3, json_string("00"));
            break;
        case 7:
            json_array_set_new(json_object_get(bad, "hashes"), 9, json_null());
            break;
        case 8:
            json_object_del(bad, "hashes");
            break;
        }
        if (sspr_recovery_consume(bad, codes[0]) != -1)
            fail_msg("malformed case %zu accepted", i);
        assert_int_equal(sspr_recovery_remaining(bad), 0);
        json_decref(bad);
    }
    assert_int_equal(sspr_recovery_consume(NULL, codes[0]), -1);
    assert_int_equal(sspr_recovery_remaining(NULL), 0);
    /* The untouched original still works. */
    assert_int_equal(sspr_recovery_consume(good, codes[0]), 0);
    json_decref(good);
}

static void test_entropy(void **state)
{
    /* 16 symbols of 5 bits: at least 64 bits (SP 800-63B). */
    (void)state;
    assert_true(16 * 5 >= 64);
    assert_int_equal(SSPR_RECOVERY_CODE_LEN, 16 + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape),
        cmocka_unit_test(test_each_code_works_once),
        cmocka_unit_test(test_normalisation),
        cmocka_unit_test(test_wrong_codes),
        cmocka_unit_test(test_malformed_stored),
        cmocka_unit_test(test_entropy),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
