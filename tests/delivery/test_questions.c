/* Security questions: normalisation, argon2id hash/verify, picking, and the
 * JSON record. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "proofs/questions.h"
#include "wipe.h"

static void assert_norm(const char *in, const char *want)
{
    char *got = sspr_questions_normalize(in);

    if (got == NULL)
        fail_msg("normalize(\"%s\") failed", in);
    if (strcmp(got, want) != 0)
        fail_msg("normalize(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    sspr_wipe_free_str(got);
}

static void test_normalize(void **state)
{
    (void)state;
    assert_norm("  Fluffy\tthe  CAT ", "fluffy the cat");
    assert_norm("fluffy the cat", "fluffy the cat");
    assert_norm("FLUFFY\n\r\vTHE\f CAT", "fluffy the cat");
    /* Fullwidth letters and an ideographic space (NFKC). */
    assert_norm("\xef\xbc\xa6\xef\xbd\x8c\xef\xbd\x95\xef\xbd\x86\xef\xbd\x86\xef\xbd\x99"
                "\xe3\x80\x80the cat",
                "fluffy the cat");
    /* No-break space, en space. */
    assert_norm("fluffy\xc2\xa0the\xe2\x80\x82" "cat", "fluffy the cat");
    /* Composed and decomposed forms agree; case folds beyond ASCII. */
    assert_norm("Z\xc3\x96" "E", "z\xc3\xb6" "e");
    assert_norm("ZO\xcc\x88" "E", "z\xc3\xb6" "e");
    assert_norm("STRASSE", "strasse");
    assert_norm("Stra\xc3\x9f" "e", "strasse");
    assert_norm("\xef\xac\x81sh", "fish"); /* the "fi" ligature */
    /* Controls and zero-width characters vanish. */
    assert_norm("ca\x01t\xe2\x80\x8b", "cat");
    assert_norm("   ", "");
    assert_norm("", "");
    /* Invalid UTF-8 and over-long answers are refused. */
    assert_null(sspr_questions_normalize("caf\xc3"));
    assert_null(sspr_questions_normalize("\xff"));
    assert_null(sspr_questions_normalize(NULL));
    {
        char big[SSPR_QUESTIONS_MAX_ANSWER + 2];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_null(sspr_questions_normalize(big));
        big[SSPR_QUESTIONS_MAX_ANSWER] = '\0';
        assert_norm(big, big);
    }
}

static void test_hash_verify(void **state)
{
    char h[crypto_pwhash_STRBYTES], h2[crypto_pwhash_STRBYTES];

    (void)state;
    assert_int_equal(sspr_questions_hash("  Fluffy\tthe  CAT ", h), 0);
    assert_memory_equal(h, "$argon2id$v=19$m=16384,t=3,p=1$", 31);
    assert_int_equal(sspr_questions_verify(h, "fluffy the cat"), 0);
    assert_int_equal(sspr_questions_verify(h, "FLUFFY THE CAT"), 0);
    assert_int_equal(sspr_questions_verify(h,
                                           "\xef\xbc\xa6luffy the cat"), 0);
    assert_int_equal(sspr_questions_verify(h, "fluffy the dog"), -1);
    assert_int_equal(sspr_questions_verify(h, "fluffythecat"), -1);
    assert_int_equal(sspr_questions_verify(h, ""), -1);
    assert_int_equal(sspr_questions_verify(h, NULL), -1);
    assert_int_equal(sspr_questions_needs_rehash(h), 0);
    /* Salted: the same answer hashes differently. */
    assert_int_equal(sspr_questions_hash("fluffy the cat", h2), 0);
    assert_string_not_equal(h, h2);
    /* Too short after normalising: refused at enrollment. */
    assert_int_equal(sspr_questions_hash("  a b ", h2), -1);
    assert_int_equal(sspr_questions_hash("ab", h2), -1);
    assert_int_equal(sspr_questions_hash("abc", h2), 0);
    assert_int_equal(sspr_questions_hash("caf\xc3", h2), -1);
    /* Only argon2id strings are accepted as stored hashes. */
    assert_int_equal(sspr_questions_verify("", "x"), -1);
    assert_int_equal(sspr_questions_verify(NULL, "x"), -1);
    assert_int_equal(sspr_questions_verify("$argon2i$v=19$m=16384,t=3,p=1$AAAA$AAAA", "x"), -1);
    assert_int_equal(sspr_questions_verify("$argon2id$garbage", "fluffy the cat"), -1);
    /* A hash made with other parameters still verifies and asks for a
     * rehash. */
    assert_int_equal(crypto_pwhash_str_alg(h2, "blue", 4, 2, 8 * 1024 * 1024,
                                           crypto_pwhash_ALG_ARGON2ID13),
                     0);
    assert_int_equal(sspr_questions_verify(h2, "BLUE"), 0);
    assert_int_equal(sspr_questions_needs_rehash(h2), 1);
}

static void test_pick(void **state)
{
    unsigned idx[SSPR_QUESTIONS_MAX], seen[5][5];
    int i;
    unsigned j, k;

    (void)state;
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < 2000; i++) {
        assert_int_equal(sspr_questions_pick(2, 5, idx), 0);
        assert_true(idx[0] < 5 && idx[1] < 5);
        assert_int_not_equal(idx[0], idx[1]);
        seen[idx[0]][idx[1]]++;
    }
    /* All 20 ordered pairs come up, none hugely more often (~100 each). */
    for (j = 0; j < 5; j++)
        for (k = 0; k < 5; k++)
            if (j != k)
                assert_true(seen[j][k] > 40 && seen[j][k] < 180);
    /* n == m: a permutation. */
    assert_int_equal(sspr_questions_pick(10, 10, idx), 0);
    {
        unsigned mask = 0;

        for (j = 0; j < 10; j++)
            mask |= 1u << idx[j];
        assert_int_equal(mask, 0x3ffu);
    }
    assert_int_equal(sspr_questions_pick(0, 3, idx), -1);
    assert_int_equal(sspr_questions_pick(4, 3, idx), -1);
    assert_int_equal(sspr_questions_pick(1, 11, idx), -1);
    assert_int_equal(sspr_questions_pick(1, 1, NULL), -1);
}

static void test_record(void **state)
{
    json_t *rec = json_object(), *copy;
    char *dump;

    (void)state;
    assert_int_equal(sspr_questions_count(rec), -1); /* none yet */
    assert_int_equal(sspr_questions_add(rec, "Name of your first pet?", "Fluffy"), 0);
    assert_int_equal(sspr_questions_add(rec, "City you were born in?", "  Bad  Ems "), 0);
    assert_int_equal(sspr_questions_add(rec, "Favourite teacher?", "Mrs. Smith"), 0);
    assert_int_equal(sspr_questions_count(rec), 3);
    assert_string_equal(sspr_questions_text(rec, 1), "City you were born in?");
    assert_null(sspr_questions_text(rec, 3));
    assert_int_equal(sspr_questions_check(rec, 1, "bad ems"), 0);
    assert_int_equal(sspr_questions_check(rec, 1, "fluffy"), -1);
    assert_int_equal(sspr_questions_check(rec, 0, "FLUFFY"), 0);
    assert_int_equal(sspr_questions_check(rec, 7, "FLUFFY"), -1);
    /* Stored text: no answer in it. */
    dump = json_dumps(rec, JSON_COMPACT);
    assert_null(strstr(dump, "luffy"));
    assert_null(strstr(dump, "Ems"));
    assert_non_null(strstr(dump, "{\"questions\":[{\"q\":\"Name of your first pet?\",\"h\":\"$argon2id$"));
    /* Round trip through text. */
    copy = json_loads(dump, JSON_REJECT_DUPLICATES, NULL);
    assert_int_equal(sspr_questions_count(copy), 3);
    assert_int_equal(sspr_questions_check(copy, 2, "mrs. smith"), 0);
    json_decref(copy);
    free(dump);
    /* Bad questions and answers are not added. */
    assert_int_equal(sspr_questions_add(rec, "", "answer"), -1);
    assert_int_equal(sspr_questions_add(rec, "Two\nlines?", "answer"), -1);
    assert_int_equal(sspr_questions_add(rec, "Short?", "x"), -1);
    assert_int_equal(sspr_questions_count(rec), 3);
    json_decref(rec);
}

static void test_malformed_records(void **state)
{
    static const char *const bad[] = {
        "{}",
        "{\"questions\":[]}",
        "{\"questions\":{}}",
        "{\"questions\":[{\"q\":\"x?\"}]}",
        "{\"questions\":[{\"q\":\"x?\",\"h\":\"plain\"}]}",
        "{\"questions\":[{\"q\":\"\",\"h\":\"$argon2id$v=19$m=16384,t=3,p=1$AA$AA\"}]}",
        "{\"questions\":[{\"q\":\"x?\",\"h\":\"$argon2id$v=19$m=16384,t=3,p=1$AA$AA\",\"a\":1}]}",
        "{\"questions\":[{\"q\":\"a\\u0000b\",\"h\":\"$argon2id$v=19$m=16384,t=3,p=1$AA$AA\"}]}",
        "{\"questions\":[{\"q\":1,\"h\":\"$argon2id$v=19$m=16384,t=3,p=1$AA$AA\"}]}",
        "{\"questions\":[\"x\"]}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *o = json_loads(bad[i], JSON_ALLOW_NUL, NULL);

        assert_non_null(o);
        if (sspr_questions_count(o) != -1)
            fail_msg("case %zu accepted", i);
        assert_null(sspr_questions_text(o, 0));
        assert_int_equal(sspr_questions_check(o, 0, "x"), -1);
        json_decref(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_hash_verify),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_malformed_records),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
