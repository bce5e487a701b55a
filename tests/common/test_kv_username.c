/*
 * Unit tests for common/kv.c (HELLO payload) and common/username.c
 * (docs/security.md 5: what a typed user name may look like).
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"

#include "kv.h"
#include "username.h"
#include "wire.h"

/* sizeof a literal minus nothing: the literal's own final NUL terminates
 * the last entry, so "a=1\0b=2" has length sizeof("a=1\0b=2"). */
#define KV(lit) (lit), sizeof(lit)
/* A literal without its terminating NUL (for unterminated payloads). */
#define RAW(lit) (lit), (sizeof(lit) - 1)

/* ---- kv append ------------------------------------------------------------ */

static void test_append_and_get(void **state)
{
    char buf[SSPR_WIRE_MAX_PAYLOAD];
    size_t len = 0;

    (void)state;
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "version", "1"), 0);
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "user", "alice"), 0);
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "rhost", NULL), 0);
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "tty", "a=b=c"), 0);
    assert_int_equal(len, sizeof("version=1\0user=alice\0rhost=\0tty=a=b=c"));
    assert_memory_equal(buf, "version=1\0user=alice\0rhost=\0tty=a=b=c", len);
    assert_int_equal(sspr_kv_validate(buf, len), 0);
    assert_string_equal(sspr_kv_get(buf, len, "version"), "1");
    assert_string_equal(sspr_kv_get(buf, len, "user"), "alice");
    assert_string_equal(sspr_kv_get(buf, len, "rhost"), ""); /* NULL became "" */
    assert_string_equal(sspr_kv_get(buf, len, "tty"), "a=b=c");
    assert_null(sspr_kv_get(buf, len, "service"));
}

static void test_append_exact_fit_and_overflow(void **state)
{
    char buf[16];
    size_t len = 0;

    (void)state;
    memset(buf, '#', sizeof(buf));
    /* "k=" + 13 chars + NUL == 16 bytes: fits exactly */
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "k", "0123456789abc"), 0);
    assert_int_equal(len, 16);
    assert_int_equal(buf[15], '\0');
    /* nothing more fits, not even an empty value */
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "x", ""), -1);
    assert_int_equal(len, 16);

    /* one byte short: refused, buffer and length untouched */
    memset(buf, '#', sizeof(buf));
    len = 0;
    assert_int_equal(sspr_kv_append(buf, 15, &len, "k", "0123456789abc"), -1);
    assert_int_equal(len, 0);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], '#');
}

static void test_append_overflow_keeps_earlier(void **state)
{
    char buf[32];
    size_t len = 0;

    (void)state;
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "user", "bob"), 0);
    size_t before = len;
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "service",
                                     "a-very-long-service-name-that-does-not-fit"), -1);
    assert_int_equal(len, before);
    assert_int_equal(sspr_kv_validate(buf, len), 0);
    assert_string_equal(sspr_kv_get(buf, len, "user"), "bob");
}

static void test_append_len_beyond_cap(void **state)
{
    char buf[8];
    size_t len = 9; /* corrupt caller state must not underflow cap - len */

    (void)state;
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "a", "b"), -1);
    assert_int_equal(len, 9);
}

static void test_append_huge_value(void **state)
{
    static char buf[SSPR_WIRE_MAX_PAYLOAD];
    static char val[SSPR_WIRE_MAX_PAYLOAD + 10];
    size_t len = 0;

    (void)state;
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    assert_int_equal(sspr_kv_append(buf, sizeof(buf), &len, "user", val), -1);
    assert_int_equal(len, 0);
}

/* ---- kv validate ------------------------------------------------------------ */

static void test_validate_good(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate(KV("a=1")), 0);
    assert_int_equal(sspr_kv_validate(KV("user=")), 0);
    assert_int_equal(sspr_kv_validate(KV("version=1\0user=alice\0service=sshd\0mode=auth")), 0);
    assert_int_equal(sspr_kv_validate(KV("ruser_name=x")), 0);
    assert_int_equal(sspr_kv_validate(KV("_=x")), 0);
    /* a key that is a prefix of another is not a duplicate */
    assert_int_equal(sspr_kv_validate(KV("user=a\0username=b")), 0);
    assert_int_equal(sspr_kv_validate(KV("username=b\0user=a")), 0);
    /* values are free-form (apart from NUL) */
    assert_int_equal(sspr_kv_validate(KV("tty=/dev/pts/0\0rhost=::1\0x=\x01\xff=")), 0);
}

static void test_validate_empty(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate("", 0), -1);
    assert_int_equal(sspr_kv_validate("", 1), -1);       /* one empty entry */
    assert_int_equal(sspr_kv_validate(KV("a=1\0")), -1); /* trailing empty entry */
    assert_int_equal(sspr_kv_validate(KV("\0a=1")), -1); /* leading empty entry */
}

static void test_validate_duplicates(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate(KV("user=a\0user=b")), -1);
    assert_int_equal(sspr_kv_validate(KV("user=a\0user=a")), -1);
    assert_int_equal(sspr_kv_validate(KV("user=\0service=x\0user=")), -1);
    assert_int_equal(sspr_kv_validate(KV("a=1\0b=2\0c=3\0b=4")), -1);
}

static void test_validate_bad_keys(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate(KV("=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("User=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("us-er=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("us er=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("user1=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("us\ner=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("\xc3\xa9=x")), -1);
    assert_int_equal(sspr_kv_validate(KV("ok=1\0Bad=2")), -1);
}

static void test_validate_missing_equals(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate(KV("user")), -1);
    assert_int_equal(sspr_kv_validate(KV("user=a\0service")), -1);
    /* a NUL inside a value splits it into an entry without '=' */
    assert_int_equal(sspr_kv_validate(KV("user=a\0b")), -1);
}

static void test_validate_unterminated(void **state)
{
    (void)state;
    assert_int_equal(sspr_kv_validate(RAW("user=a")), -1);
    assert_int_equal(sspr_kv_validate(RAW("user=a\0service=b")), -1);
    assert_int_equal(sspr_kv_validate(RAW("u")), -1);
}

static void test_validate_respects_len(void **state)
{
    /* the length, not a NUL further on, bounds the payload */
    static const char buf[] = "user=a\0EVIL";

    (void)state;
    assert_int_equal(sspr_kv_validate(buf, 7), 0);
    assert_null(sspr_kv_get(buf, 7, "EVIL"));
}

/* ---- kv get -------------------------------------------------------------------- */

static void test_get(void **state)
{
    static const char p[] = "username=b\0user=a\0us=c\0empty=";

    (void)state;
    assert_int_equal(sspr_kv_validate(KV(p)), 0);
    assert_string_equal(sspr_kv_get(KV(p), "user"), "a");
    assert_string_equal(sspr_kv_get(KV(p), "username"), "b");
    assert_string_equal(sspr_kv_get(KV(p), "us"), "c");
    assert_string_equal(sspr_kv_get(KV(p), "empty"), "");
    assert_null(sspr_kv_get(KV(p), "u"));
    assert_null(sspr_kv_get(KV(p), "users"));
    assert_null(sspr_kv_get(KV(p), "b"));
    assert_null(sspr_kv_get(KV(p), "missing"));
    /* value text never matches as a key */
    assert_null(sspr_kv_get(KV("a=user=x"), "user"));
}

/* ---- user names ------------------------------------------------------------------ */

static void test_username_negative_list(void **state)
{
    char long_name[301];

    (void)state;
    assert_false(sspr_username_ok(NULL));
    assert_false(sspr_username_ok(""));
    assert_false(sspr_username_ok("\n"));
    assert_false(sspr_username_ok("\r"));
    assert_false(sspr_username_ok("alice\n"));
    assert_false(sspr_username_ok("alice\r"));
    assert_false(sspr_username_ok("ali\nce"));
    assert_false(sspr_username_ok(":"));
    assert_false(sspr_username_ok("alice:"));
    assert_false(sspr_username_ok("root:x:0:0"));
    assert_false(sspr_username_ok("../../x"));
    assert_false(sspr_username_ok("a/b"));
    assert_false(sspr_username_ok("/etc/shadow"));
    assert_false(sspr_username_ok("-oFoo"));
    assert_false(sspr_username_ok("-"));
    assert_false(sspr_username_ok(".."));
    assert_false(sspr_username_ok(".alice"));
    assert_false(sspr_username_ok(" alice"));
    assert_false(sspr_username_ok("alice "));
    assert_false(sspr_username_ok("ali ce"));
    assert_false(sspr_username_ok("\t"));
    assert_false(sspr_username_ok("ali\tce"));
    assert_false(sspr_username_ok("\x1b[31mred"));
    assert_false(sspr_username_ok("del\x7f"));
    assert_false(sspr_username_ok("back\\slash"));

    memset(long_name, 'a', 300);
    long_name[300] = '\0';
    assert_false(sspr_username_ok(long_name));
    long_name[SSPR_USER_MAX + 1] = '\0';
    assert_false(sspr_username_ok(long_name)); /* one over the cap */
}

static void test_username_good(void **state)
{
    char max_name[SSPR_USER_MAX + 1];

    (void)state;
    assert_true(sspr_username_ok("alice"));
    assert_true(sspr_username_ok("a"));
    assert_true(sspr_username_ok("bob_smith"));
    assert_true(sspr_username_ok("j-doe"));
    assert_true(sspr_username_ok("first.last"));
    assert_true(sspr_username_ok("user42"));
    assert_true(sspr_username_ok("_apt"));
    assert_true(sspr_username_ok("Alice"));
    assert_true(sspr_username_ok("host$")); /* Samba machine accounts */
    assert_true(sspr_username_ok("alice@example.com"));

    memset(max_name, 'a', SSPR_USER_MAX);
    max_name[SSPR_USER_MAX] = '\0';
    assert_true(sspr_username_ok(max_name)); /* exactly the cap */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_get),
        cmocka_unit_test(test_append_exact_fit_and_overflow),
        cmocka_unit_test(test_append_overflow_keeps_earlier),
        cmocka_unit_test(test_append_len_beyond_cap),
        cmocka_unit_test(test_append_huge_value),
        cmocka_unit_test(test_validate_good),
        cmocka_unit_test(test_validate_empty),
        cmocka_unit_test(test_validate_duplicates),
        cmocka_unit_test(test_validate_bad_keys),
        cmocka_unit_test(test_validate_missing_equals),
        cmocka_unit_test(test_validate_unterminated),
        cmocka_unit_test(test_validate_respects_len),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_username_negative_list),
        cmocka_unit_test(test_username_good),
    };

    sspr_test_filter();

    return cmocka_run_group_tests_name("kv_username", tests, NULL, NULL);
}
