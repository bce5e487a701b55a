/*
 * The local backend's account record (backends/local/record_json.c): the
 * JSON written by every earlier version reads into the backend-neutral
 * record; an edit rewrites only the parts it changed and keeps everything
 * else (unknown members, damaged parts) exactly; a damaged part fails
 * closed for that method only.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"
#include <jansson.h>

#include "backends/local/local.h"
#include "gates/gate.h"

static const char OLD[] =
    "{\"version\":1,\"uid\":1000,\"user\":\"alice\","
    "\"totp\":{\"secret\":\"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\",\"last_step\":5,\"enrolled\":17},"
    "\"recovery\":{\"key\":\"" /* 64 hex */
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
    "\"hashes\":[\"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\"],"
    "\"enrolled\":18},"
    "\"email\":{\"address\":\"mine@example.com\",\"confirmed\":1700000000},"
    "\"phone\":{\"number\":\"+4915112345678\",\"source\":\"import\",\"imported\":19},"
    "\"registered\":20,\"grant\":\"abcdef\",\"future\":{\"x\":1}}";

static const struct sspr_material *mat(const struct sspr_record *r, const char *gate)
{
    return sspr_gate_material_c(r, sspr_gate_by_name(gate));
}

static void test_reads_every_part(void **state)
{
    struct sspr_record r;
    json_t *o = json_loads(OLD, JSON_REJECT_DUPLICATES, NULL);

    (void)state;
    assert_non_null(o);
    assert_int_equal(sspr_local_record_decode(o, &r), SSPR_OK);
    assert_true(mat(&r, "totp")->present);
    assert_string_equal(mat(&r, "totp")->secret, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    assert_int_equal(mat(&r, "totp")->counter, 5);
    assert_int_equal(mat(&r, "totp")->since, 17);
    assert_int_equal(mat(&r, "recovery")->nvalues, 1);
    assert_int_equal(strlen(mat(&r, "recovery")->secret), 64);
    assert_string_equal(mat(&r, "email")->text, "mine@example.com");
    assert_string_equal(mat(&r, "email")->source, "");
    assert_int_equal(mat(&r, "email")->since, 1700000000);
    assert_string_equal(mat(&r, "sms")->text, "+4915112345678");
    assert_string_equal(mat(&r, "sms")->source, "import");
    assert_false(mat(&r, "questions")->present);
    assert_int_equal(r.registered, 20);
    assert_int_equal(sspr_gates_usable(&r),
                     SSPR_M_TOTP | SSPR_M_RECOVERY | SSPR_M_EMAIL | SSPR_M_SMS);
    sspr_record_clear(&r);
    json_decref(o);
}

static void test_edit_keeps_the_rest(void **state)
{
    struct sspr_record before, after;
    json_t *o = json_loads(OLD, JSON_REJECT_DUPLICATES, NULL), *orig;

    (void)state;
    orig = json_deep_copy(o);
    assert_int_equal(sspr_local_record_decode(o, &before), SSPR_OK);
    sspr_record_init(&after);
    assert_int_equal(sspr_record_copy(&after, &before), SSPR_OK);
    /* unchanged: nothing moves */
    assert_int_equal(sspr_local_record_encode(o, &before, &after), SSPR_OK);
    assert_true(json_equal(o, orig));
    /* spend a TOTP step: only "totp" changes, and only last_step in it */
    struct sspr_material *t = sspr_gate_material(&after, sspr_gate_by_name("totp"));
    t->counter = 9;
    assert_int_equal(sspr_local_record_encode(o, &before, &after), SSPR_OK);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "totp"), "last_step")),
                     9);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "totp"), "enrolled")),
                     17);
    json_object_set(orig, "totp", json_object_get(o, "totp"));
    assert_true(json_equal(o, orig));
    /* remove the phone: the part goes, grant and unknown members stay */
    sspr_material_clear(sspr_gate_material(&after, sspr_gate_by_name("sms")));
    assert_int_equal(sspr_local_record_encode(o, &before, &after), SSPR_OK);
    assert_null(json_object_get(o, "phone"));
    assert_string_equal(json_string_value(json_object_get(o, "grant")), "abcdef");
    assert_non_null(json_object_get(o, "future"));
    assert_non_null(json_object_get(o, "email"));
    sspr_record_clear(&before);
    sspr_record_clear(&after);
    json_decref(o);
    json_decref(orig);
}

static void test_damaged_parts_fail_closed(void **state)
{
    static const char *const bad[] = {
        "{\"totp\":[]}",
        "{\"totp\":{\"secret\":\"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\"}}",
        "{\"totp\":{\"secret\":\"JBSWY3DP\",\"last_step\":1}}",
        "{\"totp\":{\"secret\":5,\"last_step\":1}}",
        "{\"recovery\":{\"key\":\"00\",\"hashes\":[]}}",
        "{\"recovery\":{\"key\":\"0011\",\"hashes\":\"x\"}}",
        "{\"recovery\":{\"hashes\":[1]}}",
        "{\"email\":{\"address\":\"not an address\"}}",
        "{\"email\":\"a@example.com\"}",
        "{\"phone\":{\"number\":\"12345\"}}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sspr_record r;
        json_t *o = json_loads(bad[i], 0, NULL);

        assert_non_null(o);
        /* the record reads; the method does not count */
        assert_int_equal(sspr_local_record_decode(o, &r), SSPR_OK);
        if (sspr_gates_usable(&r) != 0)
            fail_msg("case %zu counted as registered", i);
        sspr_record_clear(&r);
        json_decref(o);
    }
    {
        struct sspr_record r;
        json_t *o = json_loads("[1]", 0, NULL);
        assert_int_equal(sspr_local_record_decode(o, &r), SSPR_ERR_CORRUPT);
        json_decref(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_every_part),
        cmocka_unit_test(test_edit_keeps_the_rest),
        cmocka_unit_test(test_damaged_parts_fail_closed),
    };

    sspr_test_filter();

    return cmocka_run_group_tests(tests, NULL, NULL);
}
