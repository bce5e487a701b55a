/* Email over a real SMTP server on loopback (tests/delivery/smtp_sink.py,
 * aiosmtpd): what arrives, header injection, STARTTLS and TLS with a CA
 * made at test time, AUTH from a root-only file, and every failure giving
 * a clear message fast. */
#include "autoconf.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "delivery/deliver.h"

#include "../filter.h"
#include <sodium.h>

#include "support/config.h"
#include "delivery/email.h"
#include "delivery/template.h"
#include "servers.h"
#include "unit_util.h"
#include "wipe.h"

#ifndef SSPR_TOP_SRCDIR
#define SSPR_TOP_SRCDIR "."
#endif
#define SINK SSPR_TOP_SRCDIR "/tests/delivery/smtp_sink.py"

static char top[512], mail[1024], logp[PATH_MAX], crt[PATH_MAX], other_crt[PATH_MAX],
    key[PATH_MAX];
static struct test_server srv;
static struct sspr_config cfg;

/* One cert for the servers, another one (a stranger's CA) for the
 * wrong-CA test: made once for the whole file. */
static int group_setup(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "%s", unit_tmpdir());
    if (test_make_cert(top, "sink") != 0 || test_make_cert(top, "other") != 0) {
        fprintf(stderr, "openssl req failed: is openssl installed?\n");
        return -1;
    }
    snprintf(crt, sizeof(crt), "%s/sink.crt", top);
    snprintf(key, sizeof(key), "%s/sink.key", top);
    snprintf(other_crt, sizeof(other_crt), "%s/other.crt", top);
    snprintf(logp, sizeof(logp), "%s/servers.log", top);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unit_rm_rf(top);
    return 0;
}

static int setup(void **state)
{
    static int n;

    (void)state;
    snprintf(mail, sizeof(mail), "%s/mail-%d", top, ++n);
    if (mkdir(mail, 0700) != 0)
        return -1;
    sspr_config_defaults(&cfg);
    snprintf(cfg.email_from, sizeof(cfg.email_from), "sspr@example.com");
    cfg.email_timeout = 10;
    memset(&srv, 0, sizeof(srv));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_server_stop(&srv);
    return 0;
}

static void start(const char *mode)
{
    const char *args[16];
    size_t n = 0;

    args[n++] = "--dir";
    args[n++] = mail;
    args[n++] = "--mode";
    args[n++] = mode;
    args[n++] = "--cert";
    args[n++] = crt;
    args[n++] = "--key";
    args[n++] = key;
    args[n++] = "--user";
    args[n++] = "mailer";
    args[n++] = "--password";
    args[n++] = "p4ss word";
    args[n] = NULL;
    assert_int_equal(test_server_start(&srv, SINK, args, logp), 0);
}

static void use(const char *scheme, enum sspr_starttls tls)
{
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "%.8s://127.0.0.1:%d", scheme, srv.port);
    cfg.starttls = tls;
}

static char *received(const char *name)
{
    char p[PATH_MAX];

    assert_int_equal(test_wait_file(mail, name, 5000), 0);
    snprintf(p, sizeof(p), "%s/%s", mail, name);
    return test_slurp(p);
}

/* The header block (up to the empty line), as a copy. */
static char *headers_of(const char *msg)
{
    const char *end = strstr(msg, "\r\n\r\n");
    char *h;

    assert_non_null(end);
    h = strndup(msg, (size_t)(end - msg) + 2);
    assert_non_null(h);
    return h;
}

static void assert_header(const char *hdrs, const char *line)
{
    char want[512];

    snprintf(want, sizeof(want), "%s\r\n", line);
    if (strncmp(hdrs, want, strlen(want)) != 0 && strstr(hdrs, want + 0) == NULL)
        fail_msg("header \"%s\" missing in:\n%s", line, hdrs);
}

static int count_lines_starting(const char *text, const char *prefix)
{
    const char *p = text;
    int n = 0;

    while (p != NULL && *p != '\0') {
        if (strncasecmp(p, prefix, strlen(prefix)) == 0)
            n++;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return n;
}

static void test_plain_round_trip(void **state)
{
    char err[256], *msg, *hdrs, *env;
    const char *body = "Your code is 12345678.\n\nSecond paragraph.\n.\nA line that was a lone dot "
                       "above.\n..two dots\n";

    (void)state;
    start("plain");
    use("smtp", SSPR_STARTTLS_OFF);
    assert_int_equal(sspr_email_send(&cfg, "john.doe@example.org", "Password reset code", body,
                                     err, sizeof(err)),
                     0);
    msg = received("msg-1.eml");
    env = received("msg-1.env");
    assert_non_null(strstr(env, "from <sspr@example.com>\n"));
    assert_non_null(strstr(env, "rcpt <john.doe@example.org>\n"));
    assert_non_null(strstr(env, "tls no\n"));
    hdrs = headers_of(msg);
    assert_true(strncmp(hdrs, "Date: ", 6) == 0);
    assert_non_null(strstr(hdrs, " +0000\r\n"));
    assert_header(hdrs, "From: <sspr@example.com>");
    assert_header(hdrs, "To: <john.doe@example.org>");
    assert_header(hdrs, "Subject: Password reset code");
    assert_header(hdrs, "MIME-Version: 1.0");
    assert_header(hdrs, "Content-Type: text/plain; charset=utf-8");
    assert_header(hdrs, "Content-Transfer-Encoding: 7bit");
    assert_header(hdrs, "Auto-Submitted: auto-generated");
    assert_non_null(strstr(hdrs, "\r\nMessage-ID: <"));
    assert_non_null(strstr(hdrs, ".sspr@example.com>\r\n"));
    /* Each header once. */
    assert_int_equal(count_lines_starting(hdrs, "From:"), 1);
    assert_int_equal(count_lines_starting(hdrs, "To:"), 1);
    assert_int_equal(count_lines_starting(hdrs, "Subject:"), 1);
    /* The body, CRLF, dot lines intact (libcurl stuffs, the server
     * unstuffs): the message did not end at the lone dot. */
    if (strstr(msg, "\r\n\r\nYour code is 12345678.\r\n\r\nSecond paragraph.\r\n.\r\n"
                    "A line that was a lone dot above.\r\n..two dots\r\n") == NULL)
        fail_msg("body not as sent:\n%s", msg);
    free(hdrs);
    free(msg);
    free(env);
}

static void test_utf8_subject_and_body(void **state)
{
    char err[256], *msg, *hdrs;

    (void)state;
    start("plain");
    use("smtp", SSPR_STARTTLS_OFF);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "Code für Zoë – 密码重置",
                                     "Grüße, Zoë\n", err, sizeof(err)),
                     0);
    msg = received("msg-1.eml");
    hdrs = headers_of(msg);
    /* RFC 2047 subject, quoted-printable body: 7-bit on the wire. */
    assert_non_null(strstr(hdrs, "Subject: =?UTF-8?B?"));
    assert_header(hdrs, "Content-Transfer-Encoding: quoted-printable");
    assert_non_null(strstr(msg, "\r\n\r\nGr=C3=BC=C3=9Fe, Zo=C3=AB\r\n"));
    {
        const unsigned char *p;

        for (p = (const unsigned char *)msg; *p != '\0'; p++)
            assert_true(*p < 0x80);
    }
    free(hdrs);
    free(msg);
}

static void test_no_header_injection(void **state)
{
    static const struct sspr_tvar vars[] = {
        { "host", "evil\r\nBcc: victim@example.net\r\nX-Injected: 1" },
        { "code", "12345678" },
    };
    char err[256], *out = NULL, *subject = NULL, *body = NULL, *msg, *hdrs;
    const char *tmpl = "Subject: Code for {{host}}\n\nHost {{host}}: {{code}}\n";

    (void)state;
    start("plain");
    use("smtp", SSPR_STARTTLS_OFF);
    /* CR or LF in an argument is refused outright. */
    assert_int_equal(sspr_email_send(&cfg, "a@example.org\r\nBcc: b@example.net", "s", "b", err,
                                     sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "recipient"));
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s\r\nBcc: b@example.net", "b", err,
                                     sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "subject"));
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s\nX: y", "b", err, sizeof(err)), -1);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "", "b", err, sizeof(err)), -1);
    snprintf(cfg.email_from, sizeof(cfg.email_from), "x@example.com\r\nBcc: b@example.net");
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "from"));
    snprintf(cfg.email_from, sizeof(cfg.email_from), "sspr@example.com");

    /* A value with CR/LF through a template: it stays on its line. */
    assert_int_equal(sspr_template_render_text(tmpl, strlen(tmpl), vars, 2, SSPR_TESC_TEXT, &out,
                                               err, sizeof(err)),
                     0);
    assert_int_equal(sspr_template_split_mail(out, &subject, &body, err, sizeof(err)), 0);
    assert_string_equal(subject, "Code for evilBcc: victim@example.netX-Injected: 1");
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", subject, body, err, sizeof(err)), 0);
    msg = received("msg-1.eml");
    hdrs = headers_of(msg);
    assert_int_equal(count_lines_starting(hdrs, "Bcc:"), 0);
    assert_int_equal(count_lines_starting(hdrs, "X-Injected:"), 0);
    assert_int_equal(count_lines_starting(msg, "Bcc:"), 0);
    {
        char *env = received("msg-1.env");

        /* One recipient: nobody was added. */
        assert_int_equal(count_lines_starting(env, "rcpt "), 1);
        free(env);
    }
    /* Nothing else arrived. */
    usleep(200000);
    assert_int_equal(unit_count_entries(mail, ".eml"), 1);
    sspr_wipe_free_str(out);
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
    free(hdrs);
    free(msg);
}

static void test_bad_addresses_refused(void **state)
{
    char err[256];

    (void)state;
    start("plain");
    use("smtp", SSPR_STARTTLS_OFF);
    assert_int_equal(sspr_email_send(&cfg, "no-at-sign", "s", "b", err, sizeof(err)), -1);
    assert_int_equal(sspr_email_send(&cfg, "a b@example.org", "s", "b", err, sizeof(err)), -1);
    assert_int_equal(sspr_email_send(&cfg, "<a@example.org>", "s", "b", err, sizeof(err)), -1);
    assert_int_equal(sspr_email_send(&cfg, "a@b@example.org", "s", "b", err, sizeof(err)), -1);
    assert_int_equal(unit_count_entries(mail, ".eml"), 0);
}

static void test_template_code_mail(void **state)
{
    char tdir[PATH_MAX], err[256], *subject = NULL, *body = NULL, *msg, *src;
    const struct sspr_tvar vars[] = {
        { "user", "alice" },       { "host", "ws01.example.com" },
        { "time", "2024-03-05 14:03 UTC" }, { "code", "90817263" },
        { "minutes", "10" },        { "admin_contact", sspr_email_admin_contact(&cfg) },
    };

    (void)state;
    /* The shipped template, copied so that it is ours (the source tree
     * may belong to another user). */
    snprintf(tdir, sizeof(tdir), "%s/templates", mail);
    assert_int_equal(mkdir(tdir, 0755), 0);
    src = test_slurp(SSPR_TOP_SRCDIR "/conf/templates/email-code.txt");
    assert_non_null(src);
    assert_int_equal(unit_write_file(tdir, SSPR_TEMPLATE_EMAIL_CODE, src, strlen(src), 0644), 0);
    free(src);
    assert_int_equal(sspr_template_render_mail(tdir, SSPR_TEMPLATE_EMAIL_CODE, vars, 6, &subject,
                                               &body, err, sizeof(err)),
                     0);
    start("plain");
    use("smtp", SSPR_STARTTLS_OFF);
    assert_int_equal(sspr_email_send(&cfg, "alice@example.org", subject, body, err, sizeof(err)),
                     0);
    msg = received("msg-1.eml");
    assert_non_null(strstr(msg, "Subject: Password reset code for alice on ws01.example.com\r\n"));
    assert_non_null(strstr(msg, "\r\n    90817263\r\n"));
    assert_non_null(strstr(msg, "valid for 10 minutes"));
    assert_non_null(strstr(msg, "report it to your system administrator."));
    assert_null(strstr(msg, "{{"));
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
    free(msg);
}

static void test_smtp_down_is_fast(void **state)
{
    char err[256];
    long long t0;
    int port = test_free_port();

    (void)state;
    assert_true(port > 0);
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "smtp://127.0.0.1:%d", port);
    cfg.starttls = SSPR_STARTTLS_OFF;
    t0 = test_now_ms();
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_true(test_now_ms() - t0 < 2000);
    assert_non_null(strstr(err, "cannot connect to the SMTP server"));
}

static void test_refused_rcpt(void **state)
{
    char err[256];

    (void)state;
    start("refuse-rcpt");
    use("smtp", SSPR_STARTTLS_OFF);
    assert_int_equal(sspr_email_send(&cfg, "nobody@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "refused"));
    assert_non_null(strstr(err, "550"));
    assert_int_equal(unit_count_entries(mail, ".eml"), 0);
}

static void test_closed_at_once(void **state)
{
    char err[256];
    long long t0;

    (void)state;
    start("close");
    use("smtp", SSPR_STARTTLS_OFF);
    t0 = test_now_ms();
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_true(test_now_ms() - t0 < 3000);
    assert_true(strlen(err) > 10);
}

static void test_silent_server_times_out(void **state)
{
    char err[256];
    long long t0, dt;

    (void)state;
    start("hang");
    use("smtp", SSPR_STARTTLS_OFF);
    cfg.email_timeout = 2;
    t0 = test_now_ms();
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    dt = test_now_ms() - t0;
    assert_true(dt >= 1500 && dt < 4500);
    assert_non_null(strstr(err, "did not finish within 2 s"));
}

static void test_starttls_required_without_starttls(void **state)
{
    char err[256];

    (void)state;
    start("plain");
    use("smtp", SSPR_STARTTLS_REQUIRED);
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", crt);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_string_equal(err, "the SMTP server does not offer STARTTLS (starttls = required)");
    assert_int_equal(unit_count_entries(mail, ".eml"), 0);
    /* optional goes on without TLS (loopback, no password to protect). */
    cfg.starttls = SSPR_STARTTLS_OPTIONAL;
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), 0);
}

static void test_starttls_with_ca(void **state)
{
    char err[256], *env;

    (void)state;
    start("starttls");
    use("smtp", SSPR_STARTTLS_REQUIRED);
    /* The system store does not know our CA: refused. */
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "TLS"));
    /* A stranger's CA: refused. */
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", other_crt);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "TLS"));
    assert_int_equal(unit_count_entries(mail, ".eml"), 0);
    /* The right CA: delivered over TLS. */
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", crt);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "tls body\n", err, sizeof(err)),
                     0);
    env = received("msg-1.env");
    assert_non_null(strstr(env, "tls yes\n"));
    free(env);
    /* The host name is checked too: "localhost" is in the certificate,
     * another name for the same address is not. */
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "smtp://localhost:%d", srv.port);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), 0);
}

static void test_smtps(void **state)
{
    char err[256], *env;

    (void)state;
    start("smtps");
    use("smtps", SSPR_STARTTLS_OFF); /* starttls does not matter for smtps:// */
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", crt);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), 0);
    env = received("msg-1.env");
    assert_non_null(strstr(env, "tls yes\n"));
    free(env);
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", other_crt);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "TLS"));
}

static void test_auth(void **state)
{
    static const char good[] = "# SMTP login\nusername = mailer\npassword = p4ss word\n";
    static const char bad[] = "username = mailer\npassword = wrong\n";
    char err[256], *env;

    (void)state;
    start("auth");
    use("smtp", SSPR_STARTTLS_REQUIRED);
    snprintf(cfg.email_ca_file, sizeof(cfg.email_ca_file), "%s", crt);
    /* No credentials: the server wants AUTH. */
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);

    snprintf(cfg.email_auth_file, sizeof(cfg.email_auth_file), "%s/auth", mail);
    assert_int_equal(unit_write_file(mail, "auth", good, sizeof(good) - 1, 0600), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), 0);
    env = received("msg-1.env");
    assert_non_null(strstr(env, "auth mailer\n"));
    free(env);
    /* 0400 is fine as well. */
    assert_int_equal(chmod(cfg.email_auth_file, 0400), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), 0);

    /* Readable by others: refused before connecting, and the error names
     * the file, not its contents. */
    assert_int_equal(chmod(cfg.email_auth_file, 0644), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mode 0600 or 0400"));
    assert_null(strstr(err, "p4ss"));
    assert_int_equal(chmod(cfg.email_auth_file, 0640), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);

    /* A wrong password. */
    assert_int_equal(unit_write_file(mail, "auth", bad, sizeof(bad) - 1, 0600), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "login"));
    assert_null(strstr(err, "wrong"));

    /* A symlink to a good file: refused. */
    assert_int_equal(unit_write_file(mail, "auth", good, sizeof(good) - 1, 0600), 0);
    {
        char link[PATH_MAX];

        snprintf(link, sizeof(link), "%s/auth-link", mail);
        assert_int_equal(symlink(cfg.email_auth_file, link), 0);
        snprintf(cfg.email_auth_file, sizeof(cfg.email_auth_file), "%s", link);
        assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "symbolic link"));
    }
    /* Junk in the file is an error that does not echo the line. */
    snprintf(cfg.email_auth_file, sizeof(cfg.email_auth_file), "%s/auth", mail);
    assert_int_equal(unit_write_file(mail, "auth", "pasword = hunter2\n", 18, 0600), 0);
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown key"));
    assert_null(strstr(err, "hunter2"));
}

static void test_transport_rules(void **state)
{
    char err[256];

    (void)state;
    /* Checked again at send time, whatever filled in the config. */
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "smtp://mail.example.com:25");
    cfg.starttls = SSPR_STARTTLS_OFF;
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "loopback"));
    cfg.starttls = SSPR_STARTTLS_OPTIONAL;
    snprintf(cfg.email_auth_file, sizeof(cfg.email_auth_file), "/nonexistent");
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "clear text"));
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "http://mail.example.com/");
    assert_int_equal(sspr_email_check_config(&cfg, err, sizeof(err)), -1);
    cfg.smtp_url[0] = '\0';
    assert_int_equal(sspr_email_send(&cfg, "a@example.org", "s", "b", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not configured"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_subject_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_header_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_addresses_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template_code_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_down_is_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_rcpt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_server_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starttls_required_without_starttls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starttls_with_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_rules, setup, teardown),
    };
    int rc;

    /* A test that hangs is a failure, not a stuck `make check`; the
     * servers also exit when they see this process gone. */
    alarm(240);
    /* sends go through the build tree's sspr-deliver, as the helper's do */
    sspr_deliver_program = SSPR_TOP_BUILDDIR "/sspr-deliver/sspr-deliver";
    sspr_deliver_check_program = 0; /* the build tree may sit below /tmp */
    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    test_server_stop(&srv);
    return rc;
}
