/*
 * The error table (errors.c) and doctor's PAM stack arithmetic (doctor.c),
 * without root: stack files are written to a scratch directory.
 * Also: every code in the table is explained in docs/troubleshooting.md and
 * the man page, and nothing there names a code the table does not have.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"

#include "admin/doctor/pam_stack.h"
#include "support/errors.h"
#include "unit_util.h"

#ifndef SSPR_TOP_SRCDIR
#define SSPR_TOP_SRCDIR "."
#endif

static void test_table_sorted_and_complete(void **state)
{
    size_t n, i;
    const struct sspr_error *t = sspr_error_table(&n);

    (void)state;
    assert_true(n >= 29);
    for (i = 0; i < n; i++) {
        assert_true(t[i].code >= 101 && t[i].code <= 499);
        if (i > 0)
            assert_true(t[i - 1].code < t[i].code);
        assert_ptr_equal(sspr_error_get(t[i].code), &t[i]);
        assert_non_null(t[i].name);
        assert_true(strlen(t[i].user_text) > 10);
        assert_true(strlen(t[i].log_detail) > 10);
        assert_true(strlen(t[i].cause) > 20);
        assert_true(strlen(t[i].fix) > 10);
        /* one line each: they go to syslog and to doctor's one-line report */
        assert_null(strchr(t[i].fix, '\n'));
        assert_null(strchr(t[i].log_detail, '\n'));
        /* the audience follows the hundreds */
        switch (t[i].code / 100) {
        case 1: assert_int_equal(t[i].audience, SSPR_SHOW_ANYONE); break;
        case 2: assert_int_equal(t[i].audience, SSPR_SHOW_AUTHENTICATED); break;
        case 3: assert_int_equal(t[i].audience, SSPR_SHOW_AFTER_CHANNEL); break;
        case 4: assert_int_equal(t[i].audience, SSPR_SHOW_AFTER_GATES); break;
        default: fail();
        }
    }
    /* the codes the issue names */
    for (int c = 101; c <= 109; c++)
        assert_non_null(sspr_error_get(c));
    for (int c = 201; c <= 211; c++)
        assert_non_null(sspr_error_get(c));
    for (int c = 301; c <= 304; c++)
        assert_non_null(sspr_error_get(c));
    for (int c = 401; c <= 403; c++)
        assert_non_null(sspr_error_get(c));
    assert_null(sspr_error_get(0));
    assert_null(sspr_error_get(100));
    assert_null(sspr_error_get(500));
    assert_null(sspr_error_get(-103));
}

static void test_user_text(void **state)
{
    char buf[256], tiny[8];

    (void)state;
    int n = sspr_error_user_text(103, buf, sizeof(buf));

    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "Password reset is not available right now (SSPR-E103). "
                             "Your administrator can look this code up.");
    assert_true(sspr_error_user_text(204, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "Password reset is not available for this account (SSPR-E204). "
                             "Your administrator can look this code up.");
    assert_int_equal(sspr_error_user_text(999, buf, sizeof(buf)), -1);
    assert_string_equal(buf, "Password reset is not available right now.");
    assert_int_equal(sspr_error_user_text(103, tiny, sizeof(tiny)), -1);
    assert_string_equal(tiny, "");
    assert_int_equal(sspr_error_id(402, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "SSPR-E402");
    assert_int_equal(sspr_error_id(402, tiny, sizeof(tiny)), -1);
    assert_int_equal(sspr_error_id(777, buf, sizeof(buf)), -1);
}

static void test_may_show(void **state)
{
    (void)state;
    /* before any gate on the reset path: system-wide codes only */
    assert_true(sspr_error_may_show(103, SSPR_SHOW_ANYONE));
    for (int c = 201; c <= 212; c++) {
        assert_false(sspr_error_may_show(c, SSPR_SHOW_ANYONE));
        assert_false(sspr_error_may_show(c, SSPR_SHOW_AFTER_CHANNEL));
        assert_false(sspr_error_may_show(c, SSPR_SHOW_AFTER_GATES));
        assert_true(sspr_error_may_show(c, SSPR_SHOW_AUTHENTICATED));
    }
    assert_false(sspr_error_may_show(301, SSPR_SHOW_ANYONE));
    assert_true(sspr_error_may_show(301, SSPR_SHOW_AFTER_CHANNEL));
    assert_false(sspr_error_may_show(402, SSPR_SHOW_AFTER_CHANNEL));
    assert_true(sspr_error_may_show(402, SSPR_SHOW_AFTER_GATES));
    assert_false(sspr_error_may_show(999, SSPR_SHOW_AUTHENTICATED));
}

static void test_generic_text(void **state)
{
    char buf[256];

    (void)state;
    assert_true(sspr_error_generic_text("0123456789abcdef", buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "Password reset is not available right now (reference "
                             "0123456789abcdef). Your administrator can look this reference "
                             "up.");
    assert_true(sspr_error_generic_text(NULL, buf, sizeof(buf)) > 0);
    assert_null(strstr(buf, "reference"));
    assert_null(strstr(buf, "SSPR-E"));
    /* only a hex flow id is ever put in the text */
    assert_int_equal(sspr_error_generic_text("abc\ndef", buf, sizeof(buf)), -1);
    assert_int_equal(sspr_error_generic_text("ABC", buf, sizeof(buf)), -1);
}

/* ---- docs ------------------------------------------------------------------------ */

static char *slurp(const char *rel)
{
    char path[4096];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", SSPR_TOP_SRCDIR, rel);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* roff escapes the hyphen: "SSPR\\-E101" in a man page, "SSPR-E101" in markdown */
static void codes_match_doc(const char *rel, int roff)
{
    char *doc = slurp(rel);
    size_t n;
    const struct sspr_error *t = sspr_error_table(&n);
    char want[64];

    for (size_t i = 0; i < n; i++) {
        if (roff)
            snprintf(want, sizeof(want), "SSPR\\-E%03d", t[i].code);
        else
            snprintf(want, sizeof(want), "### SSPR-E%03d ", t[i].code);
        if (strstr(doc, want) == NULL)
            fail_msg("%s does not explain %s", rel, want);
    }
    /* and no code in the doc that the table lacks */
    for (const char *p = doc; (p = strstr(p, "SSPR-E")) != NULL; p += 6) {
        int c = 0;

        if (sscanf(p + 6, "%3d", &c) == 1 && (c < 100 || sspr_error_get(c) == NULL))
            fail_msg("%s names SSPR-E%03d, which is not in the table", rel, c);
    }
    free(doc);
}

static void test_troubleshooting_doc(void **state)
{
    (void)state;
    codes_match_doc("docs/troubleshooting.md", 0);
}

static void test_man_page_lists_codes(void **state)
{
    (void)state;
    codes_match_doc("docs/man/sspr-helper.8", 1);
}

/* ---- doctor's PAM stack check ---------------------------------------------------- */

static int stack(const char *dir, const char *common_auth, char *why, size_t len)
{
    const char *svc = "@include common-auth\naccount required pam_unix.so\n";

    assert_int_equal(unit_write_file(dir, "common-auth", common_auth, strlen(common_auth), 0644),
                     0);
    assert_int_equal(unit_write_file(dir, "svc", svc, strlen(svc), 0644), 0);
    return sspr_doctor_auth_stack(dir, "svc", why, len);
}

static void test_stack(void **state)
{
    char *dir = unit_tmpdir(), why[512];

    (void)state;
    /* Debian's stacking, as pam-auth-update writes it */
    assert_int_equal(stack(dir,
                           "# comment\n"
                           "auth\t[success=2 default=ignore]\tpam_unix.so nullok\n"
                           "auth\t[success=1 default=ignore]\tpam_sspr.so\n"
                           "auth\trequisite\t\t\tpam_deny.so\n"
                           "auth\trequired\t\t\tpam_permit.so\n"
                           "auth\toptional\t\t\tpam_cap.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    /* success=1 stayed as it was before pam_sspr came: lands on pam_deny */
    assert_int_equal(stack(dir,
                           "auth [success=1 default=ignore] pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "must be success=2"));
    /* success=0 lands on pam_sspr itself */
    assert_int_equal(stack(dir,
                           "auth [success=0 default=ignore] pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    /* a module between pam_unix and pam_sspr (sss, say): success=3 */
    assert_int_equal(stack(dir,
                           "auth [success=3 default=ignore] pam_unix.so nullok\n"
                           "auth [success=2 default=ignore] pam_sss.so use_first_pass\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    assert_int_equal(stack(dir,
                           "auth [success=2 default=ignore] pam_unix.so nullok\n"
                           "auth [success=2 default=ignore] pam_sss.so use_first_pass\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "must be success=3"));
    /* the wrong order */
    assert_int_equal(stack(dir,
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth [success=1 default=ignore] pam_unix.so nullok\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "comes before"));
    /* pam_unix `required`: a good password goes on into pam_sspr */
    assert_int_equal(stack(dir,
                           "auth required pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    /* `sufficient` pam_unix is fine */
    assert_int_equal(stack(dir,
                           "auth sufficient pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    /* pam_sspr whose failure counts as success */
    assert_int_equal(stack(dir,
                           "auth [success=2 default=ignore] pam_unix.so nullok\n"
                           "auth [default=ok] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    /* no pam_deny after pam_sspr */
    assert_int_equal(stack(dir,
                           "auth [success=2 default=ignore] pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    /* not there at all; the kiosk line alone does not count */
    assert_int_equal(stack(dir,
                           "auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset\n"
                           "auth [success=1 default=ignore] pam_unix.so nullok\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_ABSENT);
    /* the kiosk line before pam_unix plus the normal line: fine */
    assert_int_equal(stack(dir,
                           "auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset\n"
                           "auth [success=2 default=ignore] pam_unix.so nullok\n"
                           "auth [success=1 default=ignore] pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    /* line continuations and a -auth line */
    assert_int_equal(stack(dir,
                           "auth [success=2 \\\n default=ignore] pam_unix.so nullok\n"
                           "-auth [success=1 default=ignore] /lib/security/pam_sspr.so\n"
                           "auth requisite pam_deny.so\n"
                           "auth required pam_permit.so\n",
                           why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    /* an include loop is reported, not followed forever */
    assert_int_equal(stack(dir, "@include common-auth\n", why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "loop"));
    /* includes that fan out stop at a bound, not after 2^depth files
     * (found by fuzz_pam_stack: a file including itself twice took
     * seconds) */
    for (int i = 0; i < 6; i++) {
        char name[16], text[64];

        snprintf(name, sizeof(name), "fan%d", i);
        snprintf(text, sizeof(text), "@include fan%d\n@include fan%d\n", i + 1, i + 1);
        assert_int_equal(unit_write_file(dir, name, text, strlen(text), 0644), 0);
    }
    assert_int_equal(unit_write_file(dir, "fan6", "", 0, 0644), 0);
    assert_int_equal(stack(dir, "@include fan0\n", why, sizeof(why)), SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "more than 64 files"));
    assert_int_equal(stack(dir, "@include common-auth\n@include common-auth\n", why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "loop"));
    assert_int_equal(sspr_doctor_auth_stack(dir, "nosuchservice", why, sizeof(why)),
                     SSPR_DOCTOR_STACK_MISSING);
    unit_rm_rf(dir);
}

/* A substack counts as one line for a jump from outside it (libpam). */
static void test_substack(void **state)
{
    char *dir = unit_tmpdir(), why[512];
    const char *inner = "auth required pam_env.so\nauth optional pam_echo.so x\n";
    const char *svc = "auth [success=3 default=ignore] pam_unix.so nullok\n"
                      "auth substack inner\n"
                      "auth [success=1 default=ignore] pam_sspr.so\n"
                      "auth requisite pam_deny.so\n"
                      "auth required pam_permit.so\n";

    (void)state;
    assert_int_equal(unit_write_file(dir, "inner", inner, strlen(inner), 0644), 0);
    assert_int_equal(unit_write_file(dir, "svc", svc, strlen(svc), 0644), 0);
    assert_int_equal(sspr_doctor_auth_stack(dir, "svc", why, sizeof(why)),
                     SSPR_DOCTOR_STACK_OK);
    /* with `include` the same two lines count as two */
    svc = "auth [success=3 default=ignore] pam_unix.so nullok\n"
          "auth include inner\n"
          "auth [success=1 default=ignore] pam_sspr.so\n"
          "auth requisite pam_deny.so\n"
          "auth required pam_permit.so\n";
    assert_int_equal(unit_write_file(dir, "svc", svc, strlen(svc), 0644), 0);
    assert_int_equal(sspr_doctor_auth_stack(dir, "svc", why, sizeof(why)),
                     SSPR_DOCTOR_STACK_BAD);
    assert_non_null(strstr(why, "must be success=4"));
    unit_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_and_complete),
        cmocka_unit_test(test_user_text),
        cmocka_unit_test(test_may_show),
        cmocka_unit_test(test_generic_text),
        cmocka_unit_test(test_troubleshooting_doc),
        cmocka_unit_test(test_man_page_lists_codes),
        cmocka_unit_test(test_stack),
        cmocka_unit_test(test_substack),
    };

    sspr_test_filter();

    return cmocka_run_group_tests(tests, NULL, NULL);
}
