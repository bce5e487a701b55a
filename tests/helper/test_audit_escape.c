/* Untrusted strings in audit lines: no line breaks, no spoofed key=value. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../filter.h"

#include "support/audit.h"

static void escapes(void **state)
{
    char out[64];

    (void)state;
    sspr_audit_escape("alice", out, sizeof(out));
    assert_string_equal(out, "alice");
    sspr_audit_escape("bob\nevent=outcome result=reset-done", out, sizeof(out));
    assert_string_equal(out, "bob\\x0aevent\\x3doutcome\\x20result\\x3dreset-done");
    sspr_audit_escape("a\"b\\c\r\x7f\xc3\xa9", out, sizeof(out));
    assert_string_equal(out, "a\\x22b\\x5cc\\x0d\\x7f\\xc3\\xa9");
}

static void truncates_whole_escapes(void **state)
{
    char out[8];

    (void)state;
    sspr_audit_escape("ab\ncdef", out, sizeof(out));
    assert_string_equal(out, "ab\\x0ac"); /* 7 bytes + NUL, no half escape */
    sspr_audit_escape("\n\n", out, 6);
    assert_string_equal(out, "\\x0a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes),
        cmocka_unit_test(truncates_whole_escapes),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
