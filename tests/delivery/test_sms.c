/* SMS through a real HTTP gateway on loopback (tests/delivery/sms_gateway.py):
 * JSON and form bodies with escaping, basic and bearer auth, GET, and the
 * failures: 503, a slow gateway, an endless body, a redirect, garbage,
 * nothing listening. Plus E.164 checks and masks. */
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

#include "delivery/deliver.h"

#include "../filter.h"
#include <jansson.h>
#include <sodium.h>

#include "support/config.h"
#include "delivery/sms.h"
#include "servers.h"
#include "unit_util.h"

#ifndef SSPR_TOP_SRCDIR
#define SSPR_TOP_SRCDIR "."
#endif
#define GATEWAY SSPR_TOP_SRCDIR "/tests/delivery/sms_gateway.py"

static char top[512], rec[PATH_MAX], logp[PATH_MAX];
static struct test_server srv;
static struct sspr_config cfg;

static int group_setup(void **state)
{
    const char *args[3];

    (void)state;
    snprintf(top, sizeof(top), "%s", unit_tmpdir());
    snprintf(rec, sizeof(rec), "%s/requests.jsonl", top);
    snprintf(logp, sizeof(logp), "%s/gateway.log", top);
    args[0] = "--record";
    args[1] = rec;
    args[2] = NULL;
    return test_server_start(&srv, GATEWAY, args, logp);
}

static int group_teardown(void **state)
{
    (void)state;
    test_server_stop(&srv);
    unit_rm_rf(top);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    unlink(rec);
    sspr_config_defaults(&cfg);
    cfg.sms_timeout = 10;
    return 0;
}

static void use(const char *path)
{
    snprintf(cfg.sms_url, sizeof(cfg.sms_url), "http://127.0.0.1:%d%s", srv.port, path);
}

/* The n-th recorded request (0-based), or NULL when there are fewer. */
static json_t *request(size_t n)
{
    char *text = test_slurp(rec), *line, *save = NULL;
    json_t *o = NULL;
    size_t i = 0;

    if (text == NULL)
        return NULL;
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (i++ == n) {
            o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
            break;
        }
    }
    free(text);
    return o;
}

static size_t requests(void)
{
    char *text = test_slurp(rec), *p;
    size_t n = 0;

    if (text == NULL)
        return 0;
    for (p = text; *p != '\0'; p++)
        n += *p == '\n';
    free(text);
    return n;
}

static const char *field(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));

    assert_non_null(v);
    return v;
}

static const char *header(json_t *o, const char *k)
{
    return json_string_value(json_object_get(json_object_get(o, "headers"), k));
}

static void write_auth(const char *text, mode_t mode)
{
    assert_int_equal(unit_write_file(top, "sms-auth", text, strlen(text), mode), 0);
    snprintf(cfg.sms_auth_file, sizeof(cfg.sms_auth_file), "%s/sms-auth", top);
}

static void test_json_round_trip(void **state)
{
    char err[256];
    json_t *r, *body;
    const char *text = "Code 12345678 \"quoted\" \\ back <b>&amp; Grüße\ttab\nline";

    (void)state;
    use("/ok");
    write_auth("username = ACxxx\npassword = s3cr:et\n", 0600);
    assert_int_equal(sspr_sms_send(&cfg, "+4915112345678", text, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    r = request(0);
    assert_non_null(r);
    assert_string_equal(field(r, "method"), "POST");
    assert_string_equal(field(r, "path"), "/ok");
    assert_string_equal(header(r, "content-type"), "application/json; charset=utf-8");
    /* base64("ACxxx:s3cr:et") */
    assert_string_equal(header(r, "authorization"), "Basic QUN4eHg6czNjcjpldA==");
    assert_null(header(r, "expect"));
    /* The body is valid JSON with exactly our values (controls removed). */
    body = json_loads(field(r, "body"), JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "to")), "+4915112345678");
    assert_string_equal(json_string_value(json_object_get(body, "text")),
                        "Code 12345678 \"quoted\" \\ back <b>&amp; Grüßetabline");
    assert_int_equal(json_object_size(body), 2);
    json_decref(body);
    json_decref(r);
    assert_int_equal(requests(), 1);
}

static void test_json_injection_stays_a_string(void **state)
{
    char err[256];
    json_t *r, *body;

    (void)state;
    use("/ok");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "x\",\"to\":\"+19990000000", err,
                                   sizeof(err)),
                     0);
    r = request(0);
    body = json_loads(field(r, "body"), JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "to")), "+15551234567");
    assert_string_equal(json_string_value(json_object_get(body, "text")),
                        "x\",\"to\":\"+19990000000");
    json_decref(body);
    json_decref(r);
}

static void test_form_twilio_style(void **state)
{
    char err[256];
    json_t *r;

    (void)state;
    use("/ok/2010-04-01/Accounts/ACxxx/Messages.json");
    cfg.sms_body = SSPR_SMS_FORM;
    snprintf(cfg.sms_body_template, sizeof(cfg.sms_body_template),
             "To={{phone}}&From=+15550000000&Body={{text}}");
    write_auth("username = ACxxx\npassword = token\n", 0400);
    assert_int_equal(sspr_sms_send(&cfg, "+4915112345678", "Code: 1234 & more=yes ü", err,
                                   sizeof(err)),
                     0);
    r = request(0);
    assert_string_equal(field(r, "method"), "POST");
    assert_string_equal(header(r, "content-type"), "application/x-www-form-urlencoded");
    assert_string_equal(field(r, "body"),
                        "To=%2B4915112345678&From=+15550000000&Body=Code%3A+1234+%26+more%3Dyes+"
                        "%C3%BC");
    assert_string_equal(header(r, "authorization"), "Basic QUN4eHg6dG9rZW4=");
    json_decref(r);
}

static void test_get_and_bearer(void **state)
{
    char err[256];
    json_t *r;

    (void)state;
    use("/ok/send?key=1");
    cfg.sms_method = SSPR_HTTP_GET;
    cfg.sms_body = SSPR_SMS_FORM;
    write_auth("bearer = tok.en-123\n", 0600);
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi there", err, sizeof(err)), 0);
    r = request(0);
    assert_string_equal(field(r, "method"), "GET");
    assert_string_equal(field(r, "path"), "/ok/send");
    assert_string_equal(field(r, "query"), "key=1&to=%2B15551234567&text=hi+there");
    assert_string_equal(field(r, "body"), "");
    assert_string_equal(header(r, "authorization"), "Bearer tok.en-123");
    json_decref(r);
    /* GET with a JSON body makes no sense: refused. */
    cfg.sms_body = SSPR_SMS_JSON;
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "GET"));
}

static void test_2xx_ok(void **state)
{
    char err[256];

    (void)state;
    use("/created");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), 0);
}

static void test_503(void **state)
{
    char err[256];

    (void)state;
    use("/503");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "Code 12345678", err, sizeof(err)), -1);
    assert_string_equal(err, "SMS gateway answered HTTP 503");
    /* a 4xx is about this message, not the gateway: told apart */
    use("/nowhere");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "Code 12345678", err, sizeof(err)),
                     SSPR_SMS_REFUSED);
    assert_string_equal(err, "SMS gateway answered HTTP 404");
}

static void test_slow_times_out(void **state)
{
    char err[256];
    long long t0, dt;

    (void)state;
    use("/slow");
    cfg.sms_timeout = 2;
    t0 = test_now_ms();
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    dt = test_now_ms() - t0;
    assert_true(dt >= 1500 && dt < 4000);
    assert_non_null(strstr(err, "did not finish within 2 s"));
}

static void test_huge_is_cut_off(void **state)
{
    char err[256];
    long long t0;

    (void)state;
    use("/huge");
    t0 = test_now_ms();
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_true(test_now_ms() - t0 < 5000);
    assert_string_equal(err, "SMS gateway answer larger than 64 KiB (aborted)");
}

static void test_redirect_not_followed(void **state)
{
    char err[256];

    (void)state;
    use("/redirect");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "Code 12345678", err, sizeof(err)), -1);
    assert_string_equal(err, "SMS gateway answered HTTP 302");
    /* One request, to the gateway; nothing else was asked. */
    assert_int_equal(requests(), 1);
}

static void test_malformed(void **state)
{
    char err[256];

    (void)state;
    use("/malformed");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "SMS gateway"));
}

static void test_nothing_listening(void **state)
{
    char err[256];
    long long t0;
    int port = test_free_port();

    (void)state;
    snprintf(cfg.sms_url, sizeof(cfg.sms_url), "http://127.0.0.1:%d/ok", port);
    t0 = test_now_ms();
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_true(test_now_ms() - t0 < 2000);
    assert_non_null(strstr(err, "cannot connect to the SMS gateway"));
}

static void test_refusals_before_sending(void **state)
{
    char err[256], big[SSPR_SMS_MAX_TEXT + 2];

    (void)state;
    use("/ok");
    assert_int_equal(sspr_sms_send(&cfg, "015112345678", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "E.164"));
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "", err, sizeof(err)), -1);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", big, err, sizeof(err)), -1);
    /* Plain HTTP to anything but loopback, other schemes. */
    snprintf(cfg.sms_url, sizeof(cfg.sms_url), "http://sms.example.com/send");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "https://"));
    snprintf(cfg.sms_url, sizeof(cfg.sms_url), "file:///etc/passwd");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    /* A template with a placeholder we do not have. */
    use("/ok");
    snprintf(cfg.sms_body_template, sizeof(cfg.sms_body_template), "{\"to\":\"{{phon}}\"}");
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown placeholder {{phon}}"));
    cfg.sms_body_template[0] = '\0';
    /* An auth file others can read. */
    write_auth("bearer = x\n", 0644);
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "0600"));
    write_auth("bearer = x\nusername = u\npassword = p\n", 0600);
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "either"));
    /* None of it reached the gateway. */
    assert_int_equal(requests(), 0);
    cfg.sms_url[0] = '\0';
    assert_int_equal(sspr_sms_send(&cfg, "+15551234567", "hi", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not configured"));
}

static void test_phone(void **state)
{
    static const char *const good[] = { "+4915112345678", "+12345678", "+123456789012345",
                                        "+15551234567" };
    static const char *const bad[] = {
        NULL, "", "+", "4915112345678", "+0151123456", "+1234567", "+1234567890123456",
        "+49 151 12345678", "+49-15112345678", "++4915112345678", "+4915112345678 ",
        "+49151123456７8", "+4915112345678\n",
    };
    char m[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!sspr_phone_valid(good[i]))
            fail_msg("%s should be valid", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sspr_phone_valid(bad[i]))
            fail_msg("case %zu should be invalid", i);
    assert_int_equal(sspr_phone_mask("+4915112345678", m, sizeof(m)), 0);
    assert_string_equal(m, "+49*******678");
    assert_int_equal(sspr_phone_mask("+12345678", m, sizeof(m)), 0);
    assert_string_equal(m, "+12*******678");
    assert_int_equal(sspr_phone_mask("+4915112345678", m, 8), -1);
    assert_string_equal(m, "");
    assert_int_equal(sspr_phone_mask("0151", m, sizeof(m)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_json_round_trip, setup),
        cmocka_unit_test_setup(test_json_injection_stays_a_string, setup),
        cmocka_unit_test_setup(test_form_twilio_style, setup),
        cmocka_unit_test_setup(test_get_and_bearer, setup),
        cmocka_unit_test_setup(test_2xx_ok, setup),
        cmocka_unit_test_setup(test_503, setup),
        cmocka_unit_test_setup(test_slow_times_out, setup),
        cmocka_unit_test_setup(test_huge_is_cut_off, setup),
        cmocka_unit_test_setup(test_redirect_not_followed, setup),
        cmocka_unit_test_setup(test_malformed, setup),
        cmocka_unit_test_setup(test_nothing_listening, setup),
        cmocka_unit_test_setup(test_refusals_before_sending, setup),
        cmocka_unit_test(test_phone),
    };
    int rc;

    alarm(180);
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
