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

#include "../filter.h"
#include <sodium.h>

#include "proofs/recovery.h"

typedef char codes_t[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1];

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* What a gate keeps: the key and the unused hashes, spent by removal (as
 * gates/recovery.c does with its material). */
struct stored {
    char key[SSPR_RECOVERY_KEY_HEX + 1];
    char hashes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_HASH_HEX + 1];
    const char *v[SSPR_RECOVERY_COUNT];
    size_t n;
};

static int generate(codes_t codes, struct stored *st)
{
    int rc = sspr_recovery_generate(codes, st->key, st->hashes);

    for (size_t i = 0; i < SSPR_RECOVERY_COUNT; i++)
        st->v[i] = st->hashes[i];
    st->n = SSPR_RECOVERY_COUNT;
    return rc;
}

/* 0 and the code spent, or -1 (wrong, used, malformed). */
static int consume(struct stored *st, const char *typed)
{
    long i = sspr_recovery_match(st->key, st->v, st->n, typed);

    if (i < 0)
        return -1;
    memmove(&st->v[i], &st->v[i + 1], (st->n - (size_t)i - 1) * sizeof(st->v[0]));
    st->n--;
    return 0;
}

static size_t remaining(const struct stored *st)
{
    return sspr_recovery_valid(st->key, st->v, st->n) ? st->n : 0;
}

static void test_generate_shape(void **state)
{
    codes_t codes;
    struct stored stored;
    size_t i, j;

    (void)state;
    assert_int_equal(generate(codes, &stored), 0);
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
    /* a 64-hex key and 10 x 64-hex hashes, and no code in clear */
    assert_int_equal(strlen(stored.key), 64);
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++)
        assert_int_equal(strlen(stored.hashes[i]), 64);
    assert_int_equal(remaining(&stored), SSPR_RECOVERY_COUNT);
    char dump[SSPR_RECOVERY_KEY_HEX + SSPR_RECOVERY_COUNT * (SSPR_RECOVERY_HASH_HEX + 1) + 1];
    snprintf(dump, sizeof(dump), "%s", stored.key);
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        strcat(dump, " ");
        strcat(dump, stored.hashes[i]);
    }
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
}

static void test_each_code_works_once(void **state)
{
    codes_t codes;
    struct stored stored;
    size_t i;

    (void)state;
    assert_int_equal(generate(codes, &stored), 0);
    /* In an order other than the stored one. */
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        size_t k = (i * 7 + 3) % SSPR_RECOVERY_COUNT;

        assert_int_equal(consume(&stored, codes[k]), 0);
        assert_int_equal(remaining(&stored), SSPR_RECOVERY_COUNT - i - 1);
        assert_int_equal(consume(&stored, codes[k]), -1);
    }
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++)
        assert_int_equal(consume(&stored, codes[i]), -1);
}

static void test_normalisation(void **state)
{
    codes_t codes;
    struct stored stored;
    char typed[64];
    size_t i, o;

    (void)state;
    assert_int_equal(generate(codes, &stored), 0);
    /* Upper case. */
    for (i = 0; codes[0][i] != '\0'; i++)
        typed[i] = (char)toupper((unsigned char)codes[0][i]);
    typed[i] = '\0';
    assert_int_equal(consume(&stored, typed), 0);
    /* No dashes. */
    for (i = 0, o = 0; codes[1][i] != '\0'; i++)
        if (codes[1][i] != '-')
            typed[o++] = codes[1][i];
    typed[o] = '\0';
    assert_int_equal(consume(&stored, typed), 0);
    /* Spaces instead of dashes, and around. */
    for (i = 0, o = 0; codes[2][i] != '\0'; i++)
        typed[o++] = codes[2][i] == '-' ? ' ' : codes[2][i];
    typed[o] = '\0';
    {
        char spaced[80];

        snprintf(spaced, sizeof(spaced), "  %s ", typed);
        assert_int_equal(consume(&stored, spaced), 0);
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
        assert_int_equal(consume(&stored, typed), 0);
    }
}

static void test_wrong_codes(void **state)
{
    codes_t codes, other;
    struct stored stored, other_stored;
    char typed[64];

    (void)state;
    assert_int_equal(generate(codes, &stored), 0);
    assert_int_equal(generate(other, &other_stored), 0);
    /* Well formed but from another set. */
    assert_int_equal(consume(&stored, other[0]), -1);
    /* One symbol off. */
    snprintf(typed, sizeof(typed), "%s", codes[0]);
    typed[0] = typed[0] == 'a' ? 'b' : 'a';
    assert_int_equal(consume(&stored, typed), -1);
    /* Malformed. */
    assert_int_equal(consume(&stored, ""), -1);
    assert_int_equal(consume(&stored, "123456"), -1);
    assert_int_equal(consume(&stored, NULL), -1);
    snprintf(typed, sizeof(typed), "%sx", codes[0]); /* 17 symbols */
    assert_int_equal(consume(&stored, typed), -1);
    snprintf(typed, sizeof(typed), "%s", codes[0]);
    typed[0] = 'u'; /* not in the alphabet */
    assert_int_equal(consume(&stored, typed), -1);
    assert_int_equal(remaining(&stored), SSPR_RECOVERY_COUNT);
    assert_false(sspr_recovery_looks_like("123456"));
    assert_false(sspr_recovery_looks_like(""));
    assert_false(sspr_recovery_looks_like(typed));
    assert_false(sspr_recovery_looks_like(
        "aaaa-aaaa-aaaa-aaaa                                                                   "));
}

static void test_malformed_stored(void **state)
{
    codes_t codes;
    struct stored good, bad;
    size_t i;

    (void)state;
    assert_int_equal(generate(codes, &good), 0);
    for (i = 0; i < 8; i++) {
        bad = good;
        for (size_t j = 0; j < SSPR_RECOVERY_COUNT; j++)
            bad.v[j] = bad.hashes[j];
        switch (i) {
        case 0: /* no key */
            bad.key[0] = '\0';
            break;
        case 1: /* too short */
            snprintf(bad.key, sizeof(bad.key), "abcd");
            break;
        case 2: /* right length, not hex */
            memset(bad.key, 'z', 64);
            bad.key[64] = '\0';
            break;
        case 3: /* a hash too short */
            snprintf(bad.hashes[3], sizeof(bad.hashes[3]), "00");
            break;
        case 4: /* a missing hash */
            bad.v[9] = NULL;
            break;
        case 5: /* a hash not hex */
            memset(bad.hashes[5], 'g', 64);
            break;
        case 6: /* a key one digit short */
            bad.key[63] = '\0';
            break;
        case 7: /* more hashes than a record holds */
            bad.n = 65;
            break;
        }
        if (bad.n > SSPR_RECOVERY_COUNT) {
            assert_false(sspr_recovery_valid(bad.key, bad.v, bad.n));
            continue;
        }
        if (consume(&bad, codes[0]) != -1)
            fail_msg("malformed case %zu accepted", i);
        assert_int_equal(remaining(&bad), 0);
        assert_int_equal(sspr_recovery_match(bad.key, bad.v, bad.n, codes[0]), -2);
    }
    assert_int_equal(sspr_recovery_match(NULL, good.v, good.n, codes[0]), -2);
    /* The untouched original still works. */
    assert_int_equal(consume(&good, codes[0]), 0);
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
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
