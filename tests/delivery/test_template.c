/* Templates: placeholders, errors, value cleaning and escaping, mail
 * splitting, safe file opening, and the shipped templates. Plus email
 * address checks and masks. */
#include "autoconf.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "support/config.h"
#include "delivery/email.h"
#include "delivery/template.h"
#include "unit_util.h"
#include "wipe.h"

#ifndef SSPR_TOP_SRCDIR
#define SSPR_TOP_SRCDIR "."
#endif

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unit_rm_rf(dir);
    return 0;
}

static char *render(const char *text, const struct sspr_tvar *v, size_t n, enum sspr_tesc esc,
                    char *err, size_t errlen)
{
    char *out = NULL;

    if (sspr_template_render_text(text, strlen(text), v, n, esc, &out, err, errlen) != 0)
        return NULL;
    return out;
}

static void test_basic(void **state)
{
    const struct sspr_tvar v[] = { { "user", "alice" }, { "code", "0123" }, { "empty", NULL } };
    char err[256], *out;

    (void)state;
    out = render("Hi {{user}}, code {{ code }}.{{empty}}\n{{user}}{{user}}", v, 3, SSPR_TESC_TEXT,
                 err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "Hi alice, code 0123.\nalicealice");
    sspr_wipe_free_str(out);
    /* Single braces and lone "}}" are text. */
    out = render("{a} }} {x", v, 3, SSPR_TESC_TEXT, err, sizeof(err));
    assert_string_equal(out, "{a} }} {x");
    sspr_wipe_free_str(out);
    /* CRLF in a template becomes LF; tabs stay. */
    out = render("a\r\n\tb\n", v, 3, SSPR_TESC_TEXT, err, sizeof(err));
    assert_string_equal(out, "a\n\tb\n");
    sspr_wipe_free_str(out);
    /* Empty template. */
    out = render("", v, 0, SSPR_TESC_TEXT, err, sizeof(err));
    assert_string_equal(out, "");
    sspr_wipe_free_str(out);
}

static void test_errors(void **state)
{
    const struct sspr_tvar v[] = { { "user", "alice" } };
    static const struct {
        const char *text, *err;
    } bad[] = {
        { "a\n{{nmae}}", "line 2: unknown placeholder {{nmae}}" },
        { "{{user", "line 1: malformed placeholder (expected {{name}})" },
        { "{{user}", "line 1: malformed placeholder (expected {{name}})" },
        { "{{}}", "line 1: malformed placeholder (expected {{name}})" },
        { "{{ User }}", "line 1: malformed placeholder (expected {{name}})" },
        { "{{us er}}", "line 1: malformed placeholder (expected {{name}})" },
        { "x\n\ny\x01", "line 3: control character in template" },
        { "x\ry", "line 1: control character in template" },
        { "bad \xff utf8", "line 1: not valid UTF-8" },
        { "overlong \xc0\xaf", "line 1: not valid UTF-8" },
        { "surrogate \xed\xa0\x80", "line 1: not valid UTF-8" },
    };
    char err[256], *out;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = (char *)1;
        assert_int_equal(sspr_template_render_text(bad[i].text, strlen(bad[i].text), v, 1,
                                                   SSPR_TESC_TEXT, &out, err, sizeof(err)),
                         -1);
        assert_null(out);
        if (strcmp(err, bad[i].err) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].err);
    }
}

static void test_values_are_cleaned(void **state)
{
    const struct sspr_tvar v[] = {
        { "a", "x\r\nBcc: y\tz\x1b[31m\x7f" },
        { "b", "caf\xc3\xa9 \xc2\x85next \xe2\x80\xa8sep \xe2\x80\xaereversed\xe2\x80\xac" },
        { "c", "bad \xff byte \xc3" },
    };
    char err[256], *out, *clean;

    (void)state;
    out = render("[{{a}}] [{{b}}] [{{c}}]", v, 3, SSPR_TESC_TEXT, err, sizeof(err));
    assert_non_null(out);
    /* C0, DEL, C1 (U+0085), U+2028, bidi overrides: gone; bad bytes: '?'. */
    assert_string_equal(out, "[xBcc: yz[31m] [caf\xc3\xa9 next sep reversed] [bad ? byte ?]");
    sspr_wipe_free_str(out);
    clean = sspr_template_clean_value("a\nb\rc");
    assert_string_equal(clean, "abc");
    sspr_wipe_free_str(clean);
}

static void test_escaping(void **state)
{
    const struct sspr_tvar v[] = { { "t", "say \"hi\" \\ <b> & x+y=z ü/~" } };
    char err[256], *out;

    (void)state;
    out = render("{\"text\":\"{{t}}\"}", v, 1, SSPR_TESC_JSON, err, sizeof(err));
    assert_string_equal(out,
                        "{\"text\":\"say \\\"hi\\\" \\\\ \\u003cb\\u003e \\u0026 x+y=z \xc3\xbc/~\"}");
    sspr_wipe_free_str(out);
    out = render("text={{t}}", v, 1, SSPR_TESC_FORM, err, sizeof(err));
    assert_string_equal(out, "text=say+%22hi%22+%5C+%3Cb%3E+%26+x%2By%3Dz+%C3%BC%2F~");
    sspr_wipe_free_str(out);
}

/* A byte that is not UTF-8 becomes '?', which a form body must escape too
 * (found by fuzz_template: "a=b\xff" gave "a%3Db?", a query separator). */
static void test_stray_byte(void **state)
{
    const struct sspr_tvar v[] = { { "t", "a=b\xff&c" } };
    char err[256], *out;

    (void)state;
    out = render("{{t}}", v, 1, SSPR_TESC_FORM, err, sizeof(err));
    assert_string_equal(out, "a%3Db%3F%26c");
    sspr_wipe_free_str(out);
    out = render("{{t}}", v, 1, SSPR_TESC_TEXT, err, sizeof(err));
    assert_string_equal(out, "a=b?&c");
    sspr_wipe_free_str(out);
}

static void test_split_mail(void **state)
{
    char err[256], *s = NULL, *b = NULL;

    (void)state;
    assert_int_equal(sspr_template_split_mail("Subject:  Hello there  \n\nBody\nline\n", &s, &b,
                                              err, sizeof(err)),
                     0);
    assert_string_equal(s, "Hello there");
    assert_string_equal(b, "Body\nline\n");
    sspr_wipe_free_str(s);
    sspr_wipe_free_str(b);
    assert_int_equal(sspr_template_split_mail("Hello\n\nBody", &s, &b, err, sizeof(err)), -1);
    assert_null(s);
    assert_int_equal(sspr_template_split_mail("Subject: x\nBody", &s, &b, err, sizeof(err)), -1);
    assert_int_equal(sspr_template_split_mail("Subject: \n\nBody", &s, &b, err, sizeof(err)), -1);
    assert_int_equal(sspr_template_split_mail("Subject: x", &s, &b, err, sizeof(err)), -1);
}

static void test_files(void **state)
{
    const struct sspr_tvar v[] = { { "host", "h1" } };
    char err[512], *out = NULL, p[PATH_MAX], link[PATH_MAX];
    char *big;

    (void)state;
    assert_int_equal(unit_write_file(dir, "t.txt", "on {{host}}\n", 12, 0644), 0);
    assert_int_equal(sspr_template_render_file(dir, "t.txt", v, 1, &out, err, sizeof(err)), 0);
    assert_string_equal(out, "on h1\n");
    sspr_wipe_free_str(out);
    /* Group or world writable: refused. */
    assert_int_equal(chmod(unit_path(p, dir, "t.txt"), 0664), 0);
    assert_int_equal(sspr_template_render_file(dir, "t.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be owned by root"));
    assert_int_equal(chmod(p, 0644), 0);
    /* A symlink: refused. */
    assert_int_equal(symlink(p, unit_path(link, dir, "l.txt")), 0);
    assert_int_equal(sspr_template_render_file(dir, "l.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "symbolic link"));
    /* Missing, a directory, a path in the name, too big, a NUL byte. */
    assert_int_equal(sspr_template_render_file(dir, "none.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(mkdir(unit_path(p, dir, "d.txt"), 0755), 0);
    assert_int_equal(sspr_template_render_file(dir, "d.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_int_equal(sspr_template_render_file(dir, "../t.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_int_equal(sspr_template_render_file("rel", "t.txt", v, 1, &out, err, sizeof(err)), -1);
    big = calloc(1, SSPR_TEMPLATE_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, 'a', SSPR_TEMPLATE_MAX_BYTES + 1);
    assert_int_equal(unit_write_file(dir, "big.txt", big, SSPR_TEMPLATE_MAX_BYTES + 1, 0644), 0);
    free(big);
    assert_int_equal(sspr_template_render_file(dir, "big.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger than"));
    assert_int_equal(unit_write_file(dir, "nul.txt", "a\0b", 3, 0644), 0);
    assert_int_equal(sspr_template_render_file(dir, "nul.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    /* Errors in a file name the file and the line. */
    assert_int_equal(unit_write_file(dir, "typo.txt", "ok\n{{hots}}\n", 12, 0644), 0);
    assert_int_equal(sspr_template_render_file(dir, "typo.txt", v, 1, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "typo.txt: line 2: unknown placeholder {{hots}}"));
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    char *src;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    src = calloc(1, (size_t)n + 1);
    assert_non_null(src);
    assert_int_equal(fread(src, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return src;
}

/* The shipped templates render with the placeholders the flow provides,
 * and the notice carries no code. */
static void test_shipped(void **state)
{
    static const char *const names[] = { SSPR_TEMPLATE_EMAIL_CODE, SSPR_TEMPLATE_EMAIL_NOTICE,
                                          SSPR_TEMPLATE_SMS_CODE };
    const struct sspr_tvar v[] = {
        { "user", "alice" },        { "host", "ws01" },       { "time", "2024-03-05 14:03 UTC" },
        { "code", "55512345" },     { "minutes", "10" },      { "admin_contact", "help@example.com" },
        { "service", "sshd" },      { "rhost", "192.0.2.7" },
    };
    char err[512], *subject = NULL, *body = NULL, *out = NULL, p[PATH_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        char *src;

        /* Copied, so that the files are ours whoever owns the source tree. */
        snprintf(p, sizeof(p), "%s/conf/templates/%s", SSPR_TOP_SRCDIR, names[i]);
        src = slurp(p);
        assert_int_equal(unit_write_file(dir, names[i], src, strlen(src), 0644), 0);
        free(src);
    }
    assert_int_equal(sspr_template_render_mail(dir, SSPR_TEMPLATE_EMAIL_CODE, v, 8, &subject,
                                               &body, err, sizeof(err)),
                     0);
    assert_string_equal(subject, "Password reset code for alice on ws01");
    assert_non_null(strstr(body, "55512345"));
    assert_non_null(strstr(body, "ws01"));
    assert_non_null(strstr(body, "2024-03-05 14:03 UTC"));
    assert_non_null(strstr(body, "valid for 10 minutes"));
    assert_non_null(strstr(body, "help@example.com"));
    assert_null(strstr(subject, "55512345"));
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);

    assert_int_equal(sspr_template_render_mail(dir, SSPR_TEMPLATE_EMAIL_NOTICE, v, 8, &subject,
                                               &body, err, sizeof(err)),
                     0);
    assert_string_equal(subject, "Your password on ws01 was reset");
    assert_non_null(strstr(body, "sshd"));
    assert_non_null(strstr(body, "192.0.2.7"));
    assert_non_null(strstr(body, "help@example.com"));
    assert_null(strstr(body, "55512345"));
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
    /* Without a code in the vars the notice still renders: it never uses one. */
    assert_int_equal(sspr_template_render_mail(dir, SSPR_TEMPLATE_EMAIL_NOTICE, v + 4, 4, &subject,
                                               &body, err, sizeof(err)),
                     -1); /* user/host missing */
    {
        const struct sspr_tvar nocode[] = { v[0], v[1], v[2], v[5], v[6], v[7] };

        assert_int_equal(sspr_template_render_mail(dir, SSPR_TEMPLATE_EMAIL_NOTICE, nocode, 6,
                                                   &subject, &body, err, sizeof(err)),
                         0);
        sspr_wipe_free_str(subject);
        sspr_wipe_free_str(body);
    }

    assert_int_equal(sspr_template_render_file(dir, SSPR_TEMPLATE_SMS_CODE, v, 8, &out, err,
                                               sizeof(err)),
                     0);
    assert_non_null(strstr(out, "55512345"));
    /* One short line: fits one SMS (160 GSM characters). */
    assert_true(strlen(out) <= 160);
    assert_true(strchr(out, '\n') == out + strlen(out) - 1);
    sspr_wipe_free_str(out);
}

/* Characters (UTF-8 code points) in s. */
static size_t chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Every shipped language has every template, and each renders with the
 * placeholders the flows provide: a code where it belongs and nowhere else,
 * a subject line for mails, one line for a text message. */
static void test_shipped_languages(void **state)
{
    static const char *const langs[] = { "de", "es", "fr" };
    static const char *const mails[] = { SSPR_TEMPLATE_EMAIL_CODE, SSPR_TEMPLATE_EMAIL_CONFIRM,
                                         SSPR_TEMPLATE_EMAIL_NOTICE,
                                         SSPR_TEMPLATE_METHODS_CHANGED };
    static const char *const texts[] = { SSPR_TEMPLATE_SMS_CODE, SSPR_TEMPLATE_SMS_CONFIRM };
    const struct sspr_tvar v[] = {
        { "user", "alice" },    { "host", "ws01" },       { "time", "2024-03-05 14:03 UTC" },
        { "code", "55512345" }, { "minutes", "10" },      { "admin_contact", "help@example.com" },
        { "service", "sshd" },  { "rhost", "192.0.2.7" }, { "change", "Added: x;" },
    };
    char err[512], *subject = NULL, *body = NULL, *out = NULL, p[PATH_MAX * 2 + 64],
                   sub[PATH_MAX + 16];

    (void)state;
    for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
        snprintf(sub, sizeof(sub), "%s/%s", dir, langs[l]);
        assert_int_equal(mkdir(sub, 0755), 0);
        for (size_t i = 0; i < 6; i++) {
            const char *name = i < 4 ? mails[i] : texts[i - 4];
            char *src;

            snprintf(p, sizeof(p), "%s/conf/templates/%s/%s", SSPR_TOP_SRCDIR, langs[l], name);
            src = slurp(p);
            assert_int_equal(unit_write_file(sub, name, src, strlen(src), 0644), 0);
            free(src);
        }
        for (size_t i = 0; i < 4; i++) {
            assert_int_equal(sspr_template_render_mail_lang(dir, langs[l], mails[i], v, 9, &subject,
                                                            &body, err, sizeof(err)),
                             0);
            assert_true(strlen(subject) > 10);
            assert_non_null(strstr(body, "ws01"));
            assert_non_null(strstr(body, "help@example.com"));
            /* the notices never carry a code; the code mails do */
            assert_true((strstr(body, "55512345") != NULL) == (i < 2));
            assert_null(strstr(subject, "55512345"));
            sspr_wipe_free_str(subject);
            sspr_wipe_free_str(body);
        }
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(sspr_template_render_file_lang(dir, langs[l], texts[i], v, 9, &out,
                                                            err, sizeof(err)),
                             0);
            assert_non_null(strstr(out, "55512345"));
            assert_true(chars(out) <= 160);
            assert_true(strchr(out, '\n') == out + strlen(out) - 1);
            sspr_wipe_free_str(out);
        }
    }
}

/* Which file a language's template comes from: ll_CC, then ll, then the
 * English one; a name that is not a checked locale name is English. */
static void test_template_language_path(void **state)
{
    char p[PATH_MAX * 2 + 64], want[PATH_MAX * 2 + 64], sub[PATH_MAX + 16];

    (void)state;
    assert_int_equal(unit_write_file(dir, "m.txt", "en\n", 3, 0644), 0);
    snprintf(sub, sizeof(sub), "%s/de", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(unit_write_file(sub, "m.txt", "de\n", 3, 0644), 0);
    snprintf(sub, sizeof(sub), "%s/de_AT", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(unit_write_file(sub, "m.txt", "at\n", 3, 0644), 0);

    assert_int_equal(sspr_template_path(dir, "de_DE.UTF-8", "m.txt", p, sizeof(p)), 0);
    snprintf(want, sizeof(want), "%s/de/m.txt", dir);
    assert_string_equal(p, want);
    assert_int_equal(sspr_template_path(dir, "de_AT.UTF-8@euro", "m.txt", p, sizeof(p)), 0);
    snprintf(want, sizeof(want), "%s/de_AT/m.txt", dir);
    assert_string_equal(p, want);
    snprintf(want, sizeof(want), "%s/m.txt", dir);
    static const char *const english[] = { "pt_BR.UTF-8",   "",        "C",
                                           "C.UTF-8",       "../../x", "de/../../etc",
                                           "de_DE.UTF-8/x", NULL };
    for (size_t i = 0; i < sizeof(english) / sizeof(english[0]); i++) {
        assert_int_equal(sspr_template_path(dir, english[i], "m.txt", p, sizeof(p)), 0);
        assert_string_equal(p, want);
    }
    /* a translation that is there but unsafe is refused, not skipped */
    snprintf(sub, sizeof(sub), "%s/fr", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(unit_write_file(sub, "m.txt", "fr\n", 3, 0666), 0);
    assert_int_equal(chmod(unit_path(p, sub, "m.txt"), 0666), 0);
    char err[256], *out = NULL;
    const struct sspr_tvar none[] = { { "x", "y" } };
    assert_int_equal(sspr_template_render_file_lang(dir, "fr_FR.UTF-8", "m.txt", none, 1, &out, err,
                                                    sizeof(err)),
                     -1);
    assert_null(out);
}

static void test_email_addresses(void **state)
{
    static const char *const good[] = {
        "john.doe@example.com", "a@b.co", "first+tag@sub.example.org", "x_y-z@a-b.example",
        "o'neil@example.ie", "UPPER@EXAMPLE.COM",
    };
    static const char *const bad[] = {
        NULL, "", "@", "a@", "@b.com", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com", "a@b c.com",
        "<a@b.com>", "a@b.com\r\nBcc: c@d.com", "a\n@b.com", ".a@b.com", "a.@b.com", "a..b@c.com",
        "a@-b.com", "a@b-.com", "a@b..com", "a@.b.com", "a@b.com.", "\"a\"@b.com", "a(b)@c.com",
        "a,b@c.com", "a;b@c.com", "a:b@c.com", "a\\b@c.com", "j\xc3\xb6rg@example.com",
        "a@\xc3\xa9xample.com", "a@[127.0.0.1]",
    };
    char m[64], longlocal[80], longaddr[300];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!sspr_email_valid(good[i]))
            fail_msg("%s should be valid", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sspr_email_valid(bad[i]))
            fail_msg("case %zu should be invalid", i);
    memset(longlocal, 'a', 65);
    snprintf(longlocal + 65, sizeof(longlocal) - 65, "@b.com");
    assert_false(sspr_email_valid(longlocal));
    memset(longaddr, 'a', 250);
    snprintf(longaddr + 10, sizeof(longaddr) - 10, "@");
    memset(longaddr + 11, 'b', 240);
    snprintf(longaddr + 251, sizeof(longaddr) - 251, ".com");
    assert_false(sspr_email_valid(longaddr));

    assert_int_equal(sspr_email_mask("john.doe@example.com", m, sizeof(m)), 0);
    assert_string_equal(m, "j***@example.com");
    assert_int_equal(sspr_email_mask("a@b.co", m, sizeof(m)), 0);
    assert_string_equal(m, "a***@b.co");
    assert_int_equal(sspr_email_mask("not an address", m, sizeof(m)), -1);
    assert_string_equal(m, "");
    assert_int_equal(sspr_email_mask("john.doe@example.com", m, 8), -1);
    assert_string_equal(m, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_values_are_cleaned),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_stray_byte),
        cmocka_unit_test(test_split_mail),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_languages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template_language_path, setup, teardown),
        cmocka_unit_test(test_email_addresses),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
