/* sspr.conf: defaults, every value type, every kind of error with its line,
 * show-config round trip, the shipped conf/sspr.conf, loading safely. */
#include "autoconf.h"

#include <errno.h>
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

#include "gates/gate.h"
#include "support/err.h"
#include "support/config.h"
#include "unit_util.h"

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

/* show-config output as a malloc'd string. */
static char *printed(const struct sspr_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(sspr_config_print(cfg, f), 0);
    fclose(f);
    return buf;
}

static int parse_str(struct sspr_config *cfg, const char *text, char *err, size_t errlen)
{
    return sspr_config_parse(cfg, text, strlen(text), err, errlen);
}

static void test_defaults(void **state)
{
    struct sspr_config c;
    char host[256] = "";

    (void)state;
    sspr_config_defaults(&c);
    assert_string_equal(c.state_dir, SSPR_STATE_DIR);
    gethostname(host, sizeof(host) - 1);
    if (host[0] != '\0')
        assert_string_equal(c.issuer, host);
    assert_int_equal(c.flow_timeout, 600);
    assert_int_equal(c.enabled, SSPR_ENABLED_ALL);
    assert_string_equal(c.enabled_group, "");
    assert_int_equal(c.min_uid, sspr_login_defs_uid_min("/etc/login.defs"));
    assert_int_equal(c.user_gates, 1);
    assert_int_equal(c.admin_gates, 2);
    assert_string_equal(c.admin_groups, "sudo wheel admin");
    assert_int_equal(c.user_methods, SSPR_M_TOTP | SSPR_M_RECOVERY | SSPR_M_EMAIL | SSPR_M_SMS);
    assert_int_equal(c.admin_methods, SSPR_M_TOTP | SSPR_M_RECOVERY | SSPR_M_EMAIL | SSPR_M_SMS);
    assert_int_equal(c.show_hints, 0);
    assert_string_equal(c.services, "");
    assert_int_equal(c.questions_enabled, 0);
    assert_int_equal(c.questions_asked, 2);
    assert_int_equal(c.questions_required, 3);
    assert_string_equal(c.notify_admins, "");
    assert_int_equal(c.max_failures_per_method, 3);
    assert_int_equal(c.max_sends_per_hour, 5);
    assert_string_equal(c.smtp_url, "");
    assert_false(sspr_config_email_on(&c));
    assert_int_equal(c.starttls, SSPR_STARTTLS_REQUIRED);
    assert_string_equal(c.email_auth_file, "");
    assert_string_equal(c.email_from, "");
    assert_string_equal(c.email_ca_file, "");
    assert_int_equal(c.email_timeout, 20);
    assert_string_equal(c.admin_contact, "");
    assert_string_equal(c.templates_dir, SSPR_SYSCONF_DIR "/sspr/templates");
    assert_int_equal(c.email_code_digits, 8);
    assert_int_equal(c.email_code_lifetime, 600);
    assert_string_equal(c.sms_url, "");
    assert_false(sspr_config_sms_on(&c));
    assert_int_equal(c.sms_method, SSPR_HTTP_POST);
    assert_int_equal(c.sms_body, SSPR_SMS_JSON);
    assert_string_equal(c.sms_body_template, "");
    assert_string_equal(c.sms_auth_file, "");
    assert_string_equal(c.sms_ca_file, "");
    assert_int_equal(c.sms_timeout, 15);
    assert_int_equal(c.sms_connect_timeout, 5);
    assert_int_equal(c.sms_code_digits, 6);
    assert_int_equal(c.sms_code_lifetime, 300);
    assert_int_equal(c.max_failures, 5);
    assert_int_equal(c.failure_window, 900);
    assert_int_equal(c.lockout, 900);
    assert_int_equal(c.failure_delay, 2);
    assert_int_equal(c.max_consecutive, 50);
    assert_int_equal(c.min_length, 12);
    assert_string_equal(c.banned_file, SSPR_DATA_DIR "/banned-passwords.txt");
    assert_string_equal(c.pam_service, "sspr-passwd");
    assert_string_equal(c.pam_confdir, "");
    assert_int_equal(c.max_tries, 3);
}

static void test_parse_all_types(void **state)
{
    struct sspr_config c;
    char err[256];
    const char *text =
        "# comment\n"
        "; another\n"
        "[general]\n"
        "state_dir = /srv/sspr\n"
        "issuer = Example Corp\n"
        "flow_timeout = 300 ; inline comment\n"
        "[policy]\n"
        "enabled = group:reset-users\n"
        "min_uid = 2000\n"
        "user_gates = 2\n"
        "admin_gates = 3\n"
        "admin_groups =   wheel\t ops  \n"
        "user_methods = recovery\n"
        "admin_methods = totp, recovery\n"
        "show_hints = YES\n"
        "[throttle]\n"
        "max_failures = 3\n"
        "failure_window = 60\n"
        "lockout = 86400\n"
        "failure_delay = 0\n"
        "max_consecutive = 100\n"
        "[password]\n"
        "min_length = 8\n"
        "banned_file = /etc/sspr/banned.txt\n"
        "pam_service = sspr-test\n"
        "pam_confdir = /etc/sspr/pam.d\n"
        "max_tries = 10\n";

    (void)state;
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c, text, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(c.state_dir, "/srv/sspr");
    assert_string_equal(c.issuer, "Example Corp");
    assert_int_equal(c.flow_timeout, 300);
    assert_int_equal(c.enabled, SSPR_ENABLED_GROUP);
    assert_string_equal(c.enabled_group, "reset-users");
    assert_int_equal(c.min_uid, 2000);
    assert_int_equal(c.user_gates, 2);
    assert_int_equal(c.admin_gates, 3);
    assert_string_equal(c.admin_groups, "wheel ops");
    assert_int_equal(c.user_methods, SSPR_M_RECOVERY);
    assert_int_equal(c.admin_methods, SSPR_M_TOTP | SSPR_M_RECOVERY);
    assert_int_equal(c.show_hints, 1);
    assert_int_equal(c.max_failures, 3);
    assert_int_equal(c.failure_window, 60);
    assert_int_equal(c.lockout, 86400);
    assert_int_equal(c.failure_delay, 0);
    assert_int_equal(c.max_consecutive, 100);
    assert_int_equal(c.min_length, 8);
    assert_string_equal(c.banned_file, "/etc/sspr/banned.txt");
    assert_string_equal(c.pam_service, "sspr-test");
    assert_string_equal(c.pam_confdir, "/etc/sspr/pam.d");
    assert_int_equal(c.max_tries, 10);
}

static void test_bools_and_enabled(void **state)
{
    static const char *const yes[] = { "yes", "true", "1", "on", "On", "TRUE" };
    static const char *const no[] = { "no", "false", "0", "off", "Off", "NO" };
    struct sspr_config c;
    char text[128], err[256];
    size_t i;

    (void)state;
    for (i = 0; i < 6; i++) {
        sspr_config_defaults(&c);
        snprintf(text, sizeof(text), "[policy]\nshow_hints = %s\n", yes[i]);
        assert_int_equal(parse_str(&c, text, err, sizeof(err)), 0);
        assert_int_equal(c.show_hints, 1);
        snprintf(text, sizeof(text), "[policy]\nshow_hints = %s\n", no[i]);
        assert_int_equal(parse_str(&c, text, err, sizeof(err)), 0);
        assert_int_equal(c.show_hints, 0);
    }
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c, "[policy]\nenabled = none\n", err, sizeof(err)), 0);
    assert_int_equal(c.enabled, SSPR_ENABLED_NONE);
    assert_int_equal(parse_str(&c, "[policy]\nenabled = all\n", err, sizeof(err)), 0);
    assert_int_equal(c.enabled, SSPR_ENABLED_ALL);
    /* Empty allowed where documented. */
    assert_int_equal(parse_str(&c, "[policy]\nadmin_groups =\n[password]\npam_confdir =\n", err,
                               sizeof(err)),
                     0);
    assert_string_equal(c.admin_groups, "");
    assert_string_equal(c.pam_confdir, "");
}

static void test_delivery_and_policy_keys(void **state)
{
    struct sspr_config c;
    char err[256], *out;
    const char *text =
        "[policy]\n"
        "user_methods = totp email sms questions\n"
        "admin_methods = totp sms\n"
        "services = login  gdm-password\n"
        "questions_enabled = yes\n"
        "questions_asked = 3\n"
        "questions_required = 5\n"
        "notify_admins = sec@example.com  ops+sspr@example.org\n"
        "[throttle]\n"
        "max_failures_per_method = 2\n"
        "max_sends_per_hour = 10\n"
        "[email]\n"
        "smtp_url = smtps://mail.example.com:465\n"
        "starttls = Optional\n"
        "auth_file = /etc/sspr/smtp-auth\n"
        "from = sspr@example.com\n"
        "ca_file = /etc/ssl/certs/ca.pem\n"
        "timeout = 30\n"
        "admin_contact = helpdesk@example.com or ext. 4357\n"
        "templates_dir = /srv/tmpl\n"
        "code_digits = 10\n"
        "code_lifetime = 86400\n"
        "[sms]\n"
        "url = https://api.twilio.com/2010-04-01/Accounts/ACxxx/Messages.json\n"
        "method = get\n"
        "body = form\n"
        "body_template = To={{phone}}&From=+15550000000&Body={{text}}\n"
        "auth_file = /etc/sspr/sms-auth\n"
        "timeout = 60\n"
        "connect_timeout = 30\n"
        "code_digits = 7\n"
        "code_lifetime = 600\n";

    (void)state;
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c, text, err, sizeof(err)), 0);
    assert_int_equal(c.user_methods, SSPR_M_TOTP | SSPR_M_EMAIL | SSPR_M_SMS | SSPR_M_QUESTIONS);
    assert_int_equal(c.admin_methods, SSPR_M_TOTP | SSPR_M_SMS);
    assert_string_equal(c.services, "login gdm-password");
    assert_int_equal(c.questions_enabled, 1);
    assert_int_equal(c.questions_asked, 3);
    assert_int_equal(c.questions_required, 5);
    assert_string_equal(c.notify_admins, "sec@example.com ops+sspr@example.org");
    assert_int_equal(c.max_failures_per_method, 2);
    assert_int_equal(c.max_sends_per_hour, 10);
    assert_true(sspr_config_email_on(&c));
    assert_string_equal(c.smtp_url, "smtps://mail.example.com:465");
    assert_int_equal(c.starttls, SSPR_STARTTLS_OPTIONAL);
    assert_string_equal(c.email_from, "sspr@example.com");
    assert_string_equal(c.admin_contact, "helpdesk@example.com or ext. 4357");
    assert_int_equal(c.email_code_digits, 10);
    assert_true(sspr_config_sms_on(&c));
    assert_int_equal(c.sms_method, SSPR_HTTP_GET);
    assert_int_equal(c.sms_body, SSPR_SMS_FORM);
    assert_string_equal(c.sms_body_template, "To={{phone}}&From=+15550000000&Body={{text}}");
    assert_int_equal(c.sms_connect_timeout, 30);
    assert_int_equal(c.sms_code_lifetime, 600);
    /* Printed as it reads back. */
    out = printed(&c);
    assert_non_null(strstr(out, "\n[email]\nsmtp_url = smtps://mail.example.com:465\n"
                                "starttls = optional\n"));
    assert_non_null(strstr(out, "method = GET\nbody = form\n"));
    free(out);

    /* Plain SMTP and plain HTTP: loopback only. */
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c,
                               "[email]\nsmtp_url = smtp://127.0.0.1:2525\nstarttls = off\n"
                               "from = a@example.com\nauth_file = /x\n"
                               "[sms]\nurl = http://localhost:8080/sms\n",
                               err, sizeof(err)),
                     0);
    assert_int_equal(parse_str(&c, "[sms]\nurl = http://[::1]:8080/sms\n", err, sizeof(err)), 0);
    assert_int_equal(parse_str(&c, "[sms]\nurl = http://127.9.8.7/sms\n", err, sizeof(err)), 0);
    assert_int_equal(parse_str(&c, "[sms]\nurl = http://127.0.0.1.evil.com/\n", err, sizeof(err)),
                     -1);
    assert_int_equal(parse_str(&c, "[sms]\nurl = http://localhost@evil.com/\n", err, sizeof(err)),
                     -1);
    assert_int_equal(parse_str(&c, "[sms]\nurl = http://evil.com#@127.0.0.1/\n", err, sizeof(err)),
                     -1);
    assert_true(sspr_url_is_loopback("smtp://LOCALHOST:25"));
    assert_true(sspr_url_is_loopback("https://user:pw@127.0.0.1/x"));
    assert_false(sspr_url_is_loopback("https://128.0.0.1/"));
    assert_false(sspr_url_is_loopback("https://127.0.0.1:80@evil.com/"));
    assert_false(sspr_url_is_loopback("no-scheme"));
    /* Empty values turn the gates off again. */
    assert_int_equal(parse_str(&c, "[email]\nsmtp_url =\n[sms]\nurl =\n", err, sizeof(err)), 0);
    assert_false(sspr_config_email_on(&c));
    assert_false(sspr_config_sms_on(&c));
}

static void test_indented_lines_are_keys(void **state)
{
    struct sspr_config c;
    char err[256];

    (void)state;
    /* inih would read an indented line as the continuation of the previous
     * value; here it is just another key. */
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c, "[throttle]\n  max_failures = 4\n  lockout = 120\r\n", err,
                               sizeof(err)),
                     0);
    assert_int_equal(c.max_failures, 4);
    assert_int_equal(c.lockout, 120);
    /* Empty text, comments only: nothing changes. */
    assert_int_equal(sspr_config_parse(&c, "", 0, err, sizeof(err)), 0);
    assert_int_equal(parse_str(&c, "\n# x\n\n", err, sizeof(err)), 0);
    assert_int_equal(c.max_failures, 4);
}

static const struct {
    const char *text;
    const char *err;
} bad[] = {
    { "[general]\nflow_timeout = 60\n[mail]\nserver = x\n", "line 3: unknown section [mail]" },
    { "[general]\n\n[http]\n", "line 3: unknown section [http]" },
    { "[general]\nflow_timeout = 60\n[email]\nserver = x\n",
      "line 4: unknown key 'server' in [email]" },
    { "[general]\nfoo = 1\n", "line 2: unknown key 'foo' in [general]" },
    /* found by fuzz_config: show-config printed "issuer = ;x", a comment */
    { "[general]\nissuer=;x\n", "line 2: issuer: a value cannot start with ';' (that starts a comment)" },
    /* found by fuzz_config: fits as key=value, not as show-config's key = value */
    { "[policy]\nadmin_groups=h-L"
      "..........................................................................................."
      "...........................................................................................\n",
      "line 2: admin_groups: too long (key = value must fit in 198 bytes)" },
    { "[general]\nlockout = 60\n", "line 2: unknown key 'lockout' in [general]" },
    { "[throttle]\nlockout = 60\n\nlockout = 90\n", "line 4: duplicate key 'lockout' in [throttle]" },
    { "[throttle]\nlockout = 60\n[throttle]\nlockout = 90\n",
      "line 4: duplicate key 'lockout' in [throttle]" },
    { "[throttle]\nlockout = soon\n", "line 2: lockout: not a whole number" },
    { "[throttle]\nlockout = 60s\n", "line 2: lockout: not a whole number" },
    { "[throttle]\nlockout = 0x100\n", "line 2: lockout: not a whole number" },
    { "[throttle]\nlockout = +100\n", "line 2: lockout: not a whole number" },
    { "[throttle]\nlockout = 99999999999999999999999\n", "line 2: lockout: not a whole number" },
    { "[throttle]\nlockout = 59\n", "line 2: lockout: must be between 60 and 86400" },
    { "[throttle]\nmax_failures = 0\n", "line 2: max_failures: must be between 1 and 20" },
    { "[throttle]\nmax_consecutive = 101\n",
      "line 2: max_consecutive: must be between 1 and 100" },
    { "[policy]\nmin_uid = -5\n", "line 2: min_uid: must be between 1 and 2147483647" },
    { "[policy]\nshow_hints = maybe\n",
      "line 2: show_hints: not yes/no/true/false/on/off/1/0" },
    { "[policy]\nshow_hints =\n", "line 2: show_hints: a value is required" },
    { "[general]\nstate_dir = var/lib/sspr\n", "line 2: state_dir: must be an absolute path" },
    { "[general]\nissuer = a:b\n",
      "line 2: issuer: control characters and ':' are not allowed" },
    { "[policy]\nuser_methods = totp fax\n",
      "line 2: user_methods: unknown method (known: totp recovery email sms questions)" },
    { "[policy]\nadmin_methods = totp questions\n",
      "line 2: admin_methods: security questions are never allowed for administrators" },
    { "[policy]\nuser_methods = totp questions\n",
      "[policy] user_methods lists questions but questions_enabled = no" },
    { "[policy]\nquestions_enabled = yes\nquestions_asked = 4\n",
      "[policy] questions_asked (4) is more than questions_required (3)" },
    { "[policy]\nservices = sshd log/in\n", "line 2: services: not a list of PAM service names" },
    { "[policy]\nnotify_admins = a@example.com b@\n",
      "line 2: notify_admins: not a list of email addresses" },
    { "[throttle]\nmax_sends_per_hour = 0\n",
      "line 2: max_sends_per_hour: must be between 1 and 50" },
    { "[throttle]\nmax_failures_per_method = 21\n",
      "line 2: max_failures_per_method: must be between 1 and 20" },
    { "[email]\nsmtp_url = http://mail.example.com\n",
      "line 2: smtp_url: must start with smtp:// or smtps://" },
    { "[email]\nsmtp_url = smtp://mail example.com\n",
      "line 2: smtp_url: spaces, control and non-ASCII characters are not allowed" },
    { "[email]\nsmtp_url = smtp://\n", "line 2: smtp_url: no host name in the URL" },
    { "[email]\nsmtp_url = smtp://mail.example.com:587\n",
      "[email] from is required when smtp_url is set" },
    { "[email]\nsmtp_url = smtp://mail.example.com:587\nfrom = a@example.com\nstarttls = off\n",
      "[email] starttls = off is allowed only for a loopback smtp_url (127.0.0.1, ::1, "
      "localhost)" },
    { "[email]\nsmtp_url = smtp://mail.example.com\nfrom = a@example.com\nstarttls = optional\n"
      "auth_file = /etc/sspr/smtp-auth\n",
      "[email] starttls = optional with auth_file could send the SMTP password in clear text: "
      "use starttls = required or smtps://" },
    { "[email]\nstarttls = maybe\n", "line 2: starttls: must be one of: required optional off" },
    { "[email]\nfrom = not-an-address\n", "line 2: from: not a valid email address" },
    { "[email]\ncode_digits = 5\n", "line 2: code_digits: must be between 6 and 10" },
    { "[email]\ncode_lifetime = 86401\n", "line 2: code_lifetime: must be between 60 and 86400" },
    { "[sms]\nurl = http://sms.example.com/send\n",
      "line 2: url: http:// is allowed only for 127.0.0.1, ::1 or localhost; use https://" },
    { "[sms]\nurl = ftp://sms.example.com/send\n", "line 2: url: must start with https://" },
    { "[sms]\nurl = https://sms.example.com/\nmethod = GET\n",
      "[sms] method = GET needs body = form (the query string)" },
    { "[sms]\ncode_lifetime = 601\n", "line 2: code_lifetime: must be between 60 and 600" },
    { "[sms]\nbody_template = {\"to\":\"\x01\"}\n",
      "line 2: body_template: control characters are not allowed" },
    { "[policy]\nuser_methods = ,\n", "line 2: user_methods: at least one method is required" },
    { "[policy]\nenabled = some\n", "line 2: enabled: must be all, none or group:NAME" },
    { "[policy]\nenabled = group:\n", "line 2: enabled: must be all, none or group:NAME" },
    { "[policy]\nenabled = group:a/b\n", "line 2: enabled: must be all, none or group:NAME" },
    { "[policy]\nadmin_groups = wheel -x\n", "line 2: admin_groups: not a list of group names" },
    { "[password]\npam_service = ../x\n",
      "line 2: pam_service: not a valid name (letters, digits, '_', '.', '-')" },
    { "min_length = 10\n", "line 1: 'min_length' is outside any [section]" },
    { "[password]\nmin_length 10\n",
      "line 2: syntax error (expected [section], key = value or a comment)" },
    { "[password\nmin_length = 10\n",
      "line 1: syntax error (expected [section], key = value or a comment)" },
    /* A syntax error before a bad key is reported, not the later one. */
    { "[password]\njunk\nnope = 1\n",
      "line 2: syntax error (expected [section], key = value or a comment)" },
};

static void test_errors_name_the_line(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sspr_config c, before;
        char err[256];
        char *a, *b;

        sspr_config_defaults(&c);
        before = c;
        assert_int_equal(parse_str(&c, bad[i].text, err, sizeof(err)), -1);
        if (strcmp(err, bad[i].err) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].err);
        /* A file with an error changes nothing. */
        a = printed(&c);
        b = printed(&before);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

static void test_nul_and_long_lines(void **state)
{
    struct sspr_config c;
    char err[256], text[600];
    static const char with_nul[] = "[general]\nissuer = a\0b\n";

    (void)state;
    sspr_config_defaults(&c);
    assert_int_equal(sspr_config_parse(&c, with_nul, sizeof(with_nul) - 1, err, sizeof(err)), -1);
    assert_string_equal(err, "line 2: NUL byte");

    /* inih would cut a long line in two; we refuse it. */
    memset(text, 0, sizeof(text));
    strcpy(text, "[general]\nstate_dir = /");
    memset(text + strlen(text), 'a', 300);
    strcat(text, "\n");
    assert_int_equal(parse_str(&c, text, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 2: line too long"));
    assert_string_equal(c.state_dir, SSPR_STATE_DIR);
}

static void test_print_round_trip(void **state)
{
    struct sspr_config c, d;
    char err[256], *a, *b;

    (void)state;
    sspr_config_defaults(&c);
    assert_int_equal(parse_str(&c,
                               "[policy]\nenabled = group:wheel\nuser_methods = recovery\n"
                               "show_hints = on\n[password]\npam_confdir = /x\n",
                               err, sizeof(err)),
                     0);
    a = printed(&c);
    assert_non_null(strstr(a, "[general]\n"));
    assert_non_null(strstr(a, "enabled = group:wheel\n"));
    assert_non_null(strstr(a, "user_methods = recovery\n"));
    assert_non_null(strstr(a, "admin_methods = totp recovery email sms\n"));
    assert_non_null(strstr(a, "show_hints = yes\n"));
    /* Its output is itself a valid config that means the same. */
    sspr_config_defaults(&d);
    assert_int_equal(parse_str(&d, a, err, sizeof(err)), 0);
    b = printed(&d);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_methods_helpers(void **state)
{
    unsigned m = 0;

    (void)state;
    assert_int_equal(sspr_methods_parse("totp recovery", &m), 0);
    assert_int_equal(m, SSPR_M_TOTP | SSPR_M_RECOVERY);
    assert_int_equal(sspr_methods_parse("recovery", &m), 0);
    assert_int_equal(m, SSPR_M_RECOVERY);
    assert_int_equal(sspr_methods_parse("", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(sspr_methods_parse("totp email", &m), 0);
    assert_int_equal(m, SSPR_M_TOTP | SSPR_M_EMAIL);
    assert_int_equal(sspr_methods_parse("sms,questions", &m), 0);
    assert_int_equal(m, SSPR_M_SMS | SSPR_M_QUESTIONS);
    assert_int_equal(sspr_methods_parse("totp fax", &m), SSPR_ERR_INVAL);
    assert_int_equal(sspr_methods_parse("totpx", &m), SSPR_ERR_INVAL);
    assert_string_equal(sspr_method_name(SSPR_M_TOTP), "totp");
    assert_string_equal(sspr_method_name(SSPR_M_RECOVERY), "recovery");
    assert_string_equal(sspr_method_name(SSPR_M_EMAIL), "email");
    assert_string_equal(sspr_method_name(SSPR_M_SMS), "sms");
    assert_string_equal(sspr_method_name(SSPR_M_QUESTIONS), "questions");
    assert_null(sspr_method_name(1u << 20));
}

static void test_login_defs(void **state)
{
    char p[PATH_MAX];
    static const char good[] = "# UID_MIN 5\nMAIL_DIR /var/mail\nUID_MIN\t\t 2000\nUID_MAX 60000\n";
    static const char later[] = "UID_MIN 2000\nUID_MIN 3000 # local\n";
    static const char junk[] = "UID_MIN lots\nUID_MINX 7\nUID_MIN 0\nUID_MIN -4\n";

    (void)state;
    unit_path(p, dir, "login.defs");
    assert_int_equal(unit_write_file(dir, "login.defs", good, sizeof(good) - 1, 0644), 0);
    assert_int_equal(sspr_login_defs_uid_min(p), 2000);
    assert_int_equal(unit_write_file(dir, "login.defs", later, sizeof(later) - 1, 0644), 0);
    assert_int_equal(sspr_login_defs_uid_min(p), 3000);
    assert_int_equal(unit_write_file(dir, "login.defs", junk, sizeof(junk) - 1, 0644), 0);
    assert_int_equal(sspr_login_defs_uid_min(p), 1000);
    assert_int_equal(sspr_login_defs_uid_min("/nonexistent/login.defs"), 1000);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* conf/sspr.conf documents every key with its default: as shipped it parses
 * to the defaults, with every "#key = value" line uncommented it still does,
 * and every key show-config knows appears in it. */
static void test_shipped_conf(void **state)
{
    struct sspr_config c, d, def;
    char err[256], *text, *uncommented, *out, *a, *b, *line, *save = NULL;
    size_t o = 0;

    (void)state;
    text = slurp(SSPR_TOP_SRCDIR "/conf/sspr.conf");
    sspr_config_defaults(&def);
    c = def;
    assert_int_equal(parse_str(&c, text, err, sizeof(err)), 0);

    uncommented = calloc(1, strlen(text) + 1);
    assert_non_null(uncommented);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        /* "#key = value": a commented default. The issuer and min_uid
         * defaults depend on the host and are shown symbolically. */
        if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strchr(line, '=') != NULL) {
            if (strncmp(line, "#issuer", 7) == 0 || strncmp(line, "#min_uid", 8) == 0)
                continue;
            line++;
        }
        o += (size_t)sprintf(uncommented + o, "%s\n", line);
    }
    d = def;
    assert_int_equal(parse_str(&d, uncommented, err, sizeof(err)), 0);
    a = printed(&d);
    b = printed(&def);
    assert_string_equal(a, b);

    /* Every key is documented. */
    free(text);
    text = slurp(SSPR_TOP_SRCDIR "/conf/sspr.conf");
    out = printed(&def);
    for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char want[128];
        size_t klen = strcspn(line, " ");

        if (line[0] == '[') {
            if (strstr(text, line) == NULL)
                fail_msg("section %s missing from conf/sspr.conf", line);
            continue;
        }
        snprintf(want, sizeof(want), "\n#%.*s =", (int)klen, line);
        if (strstr(text, want) == NULL)
            fail_msg("key %.*s missing from conf/sspr.conf", (int)klen, line);
    }
    free(out);
    free(a);
    free(b);
    free(uncommented);
    free(text);
}

static void test_load(void **state)
{
    struct sspr_config c;
    char p[PATH_MAX], target[PATH_MAX], err[512];
    static const char text[] = "[throttle]\nmax_failures = 7\n";

    (void)state;
    /* Missing: defaults, no error. */
    memset(&c, 0x55, sizeof(c));
    assert_int_equal(sspr_config_load(&c, unit_path(p, dir, "missing.conf"), err, sizeof(err)), 0);
    assert_int_equal(c.max_failures, 5);

    assert_int_equal(unit_write_file(dir, "sspr.conf", text, sizeof(text) - 1, 0600), 0);
    unit_path(p, dir, "sspr.conf");
    if (geteuid() == 0) {
        /* Root-owned 0600: accepted. */
        assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), 0);
        assert_int_equal(c.max_failures, 7);
        /* Group-writable: refused. */
        assert_int_equal(chmod(p, 0660), 0);
        assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "must be owned by root"));
        assert_int_equal(chmod(p, 0644), 0);
        /* Owned by someone else: refused. */
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "must be owned by root"));
        assert_int_equal(chown(p, 0, 0), 0);
        /* A parse error names the file and the line. */
        assert_int_equal(unit_write_file(dir, "bad.conf", "[x]\n", 4, 0600), 0);
        assert_int_equal(sspr_config_load(&c, unit_path(p, dir, "bad.conf"), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "bad.conf: line 1: unknown section [x]"));
        assert_int_equal(c.max_failures, 5); /* back to defaults, not half-parsed */
    } else {
        /* Not root: our own file is not root's, so it is refused. */
        assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "must be owned by root"));
    }
    /* A symlink is refused whoever owns the target. */
    unit_path(target, dir, "sspr.conf");
    assert_int_equal(symlink(target, unit_path(p, dir, "link.conf")), 0);
    assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "symbolic link"));
    /* A directory is refused. */
    assert_int_equal(mkdir(unit_path(p, dir, "dir.conf"), 0700), 0);
    assert_int_equal(sspr_config_load(&c, p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_load_too_big(void **state)
{
    struct sspr_config c;
    char p[PATH_MAX], err[512];
    size_t n = SSPR_CFG_MAX_BYTES + 1;
    char *big = malloc(n);

    (void)state;
    assert_non_null(big);
    memset(big, '\n', n);
    assert_int_equal(unit_write_file(dir, "big.conf", big, n, 0600), 0);
    free(big);
    if (geteuid() != 0)
        skip();
    assert_int_equal(sspr_config_load(&c, unit_path(p, dir, "big.conf"), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_all_types),
        cmocka_unit_test(test_bools_and_enabled),
        cmocka_unit_test(test_delivery_and_policy_keys),
        cmocka_unit_test(test_indented_lines_are_keys),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_nul_and_long_lines),
        cmocka_unit_test(test_print_round_trip),
        cmocka_unit_test(test_methods_helpers),
        cmocka_unit_test_setup_teardown(test_login_defs, setup, teardown),
        cmocka_unit_test(test_shipped_conf),
        cmocka_unit_test_setup_teardown(test_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_too_big, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
