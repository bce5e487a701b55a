/*
 * The LDAP backend's parts that need no server: RFC 4515 escaping and the
 * user filter, the ssprThrottle text, the helper <-> sspr-ldap framing, an
 * entry read as a registration and the compare-and-swap modify built for
 * an edit, and the [ldap] configuration rules.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include "backends/ldap/ldap.h"
#include "gates/gate.h"
#include "msg.h"
#include "support/config.h"

static void test_escape(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "alice", "alice" },
        { "*", "\\2a" },
        { ")(uid=*", "\\29\\28uid=\\2a" },
        { "a\\b", "a\\5cb" },
        { "\xc3\xa9", "\\c3\\a9" },
        { "a,b=c", "a,b=c" }, /* DN characters mean nothing in a filter value */
    };
    char out[64];
    struct sspr_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(sspr_ldap_escape(cases[i].in, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].out);
    }
    assert_int_equal(sspr_ldap_escape("****", out, 12), -1); /* does not fit: refused */
    sspr_config_defaults(&cfg);
    assert_int_equal(sspr_ldap_user_filter("(&(objectClass=posixAccount)(uid=%s))", "*)(uid=*", out,
                                           sizeof(out)),
                     0);
    assert_string_equal(out, "(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))");
}

static void test_throttle_text(void **state)
{
    struct sspr_throttle_rec r, back;
    char text[512];

    (void)state;
    memset(&r, 0, sizeof(r));
    r.failures = 3;
    r.since = 1796150000;
    r.locked_until = 1796150900;
    r.consecutive = 4;
    r.nmethods = 2;
    strcpy(r.methods[0].name, "totp");
    r.methods[0].n = 2;
    strcpy(r.methods[1].name, "email");
    r.methods[1].n = 1;
    r.nsends = 2;
    r.sends[0] = 1796150000;
    r.sends[1] = 1796150100;
    assert_int_equal(sspr_ldap_throttle_encode(&r, text, sizeof(text)), 0);
    assert_string_equal(text, "v1 f=3 s=1796150000 l=1796150900 c=4 m=totp:2,email:1 "
                              "t=1796150000,1796150100");
    assert_int_equal(sspr_ldap_throttle_decode(text, strlen(text), &back), SSPR_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    memset(&r, 0, sizeof(r));
    assert_int_equal(sspr_ldap_throttle_encode(&r, text, sizeof(text)), 0);
    assert_string_equal(text, "v1 f=0 s=0 l=0 c=0 m= t=");
    assert_int_equal(sspr_ldap_throttle_decode(text, strlen(text), &back), SSPR_OK);
    /* anything else is corrupt: fails closed */
    static const char *const bad[] = {
        "", "v2 f=0 s=0 l=0 c=0 m= t=", "v1 f=-1 s=0 l=0 c=0 m= t=", "v1 f=0 s=0 l=0 c=0 m=x:1 t=",
        "v1 f=0 s=0 l=0 c=0 m=totp:1 t=1,", "v1 f=0 s=0 l=0 c=0 m= t=1 ", "v1 f=0 s=0 l=0 c=0",
        "v1 f=99999999999 s=0 l=0 c=0 m= t=", "v1 f=1x s=0 l=0 c=0 m= t=",
        "v1 f=0 s=0 l=0 c=0 m=totp:1, t=",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sspr_ldap_throttle_decode(bad[i], strlen(bad[i]), &back),
                         SSPR_ERR_CORRUPT);
}

static void test_framing(void **state)
{
    struct sspr_msg_buf b;
    struct sspr_msg m;
    const struct sspr_msg_item *it;
    static const unsigned char key[] = { 0, 1, 2, 0xff };
    char s[16];
    long long n;
    size_t at = 0;
    int sv[2];

    (void)state;
    sspr_msg_buf_init(&b);
    sspr_msg_add_str(&b, "op", "search");
    sspr_msg_add(&b, "val", key, sizeof(key));
    sspr_msg_add_str(&b, "val", "");
    sspr_msg_add_int(&b, "limit", -2);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(sspr_msg_send(sv[0], &b, -1), 0);
    sspr_msg_buf_free(&b);
    assert_int_equal(sspr_msg_recv(sv[1], &m, -1), 0);
    assert_int_equal(m.n, 4);
    assert_int_equal(sspr_msg_get_str(&m, "op", s, sizeof(s)), 0);
    assert_string_equal(s, "search");
    it = sspr_msg_next(&m, &at, "val");
    assert_non_null(it);
    assert_int_equal(it->len, 4);
    assert_memory_equal(it->val, key, 4);
    it = sspr_msg_next(&m, &at, "val");
    assert_non_null(it);
    assert_int_equal(it->len, 0);
    assert_null(sspr_msg_next(&m, &at, "val"));
    assert_int_equal(sspr_msg_get_int(&m, "limit", &n), 0);
    assert_int_equal(n, -2);
    assert_int_equal(sspr_msg_get_str(&m, "val", s, sizeof(s)), -1); /* holds a NUL */
    sspr_msg_free(&m);
    /* a bad key, a length past the end, a length prefix over the limit */
    sspr_msg_buf_init(&b);
    sspr_msg_add_str(&b, "Op", "x");
    assert_true(b.failed);
    sspr_msg_buf_free(&b);
    static const unsigned char past[] = { 'a', 0, 0, 0, 0, 9, 'x' };
    assert_int_equal(sspr_msg_parse(past, sizeof(past), &m), -1);
    static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff };
    assert_int_equal(write(sv[0], huge, 4), 4);
    assert_int_equal(sspr_msg_recv(sv[1], &m, -1), -1);
    close(sv[0]);
    close(sv[1]);
}

/* A search answer with one entry, as sspr-ldap sends it ("=x" is a value). */
static void entry(struct sspr_ldap_entry *e, const char *const *av)
{
    struct sspr_msg_buf b;
    unsigned char *frame;

    sspr_msg_buf_init(&b);
    sspr_msg_add_int(&b, "rc", 0);
    sspr_msg_add_str(&b, "dn", "uid=alice,ou=people,dc=example,dc=test");
    for (size_t i = 0; av[i] != NULL; i++)
        sspr_msg_add_str(&b, av[i][0] == '=' ? "val" : "attr", av[i] + (av[i][0] == '='));
    memset(e, 0, sizeof(*e));
    frame = malloc(b.len);
    assert_non_null(frame);
    memcpy(frame, b.p, b.len);
    assert_int_equal(sspr_msg_parse(frame, b.len, &e->ans), 0);
    e->ans.frame = frame; /* owned now: sspr_ldap_entry_free frees it */
    e->ans.frame_len = b.len;
    strcpy(e->dn, "uid=alice,ou=people,dc=example,dc=test");
    e->first = 2;
    e->end = e->ans.n;
    sspr_msg_buf_free(&b);
}

static void test_entry_and_modify(void **state)
{
    static const char *const av[] = {
        "objectClass", "=inetOrgPerson", "=ssprAccount", "mail", "=alice@example.test",
        "ssprRecoveryKey", "=0123456789abcdef0123456789abcdef", "ssprRecoveryCode", "=aa11", "=bb22",
        "ssprMethod", "=recovery admin 1796150000", "ssprTotpLastStep", "=12", NULL,
    };
    struct sspr_config cfg;
    struct sspr_ldap dir;
    struct sspr_backend be;
    struct sspr_ldap_entry e;
    struct sspr_record r, after;
    struct sspr_msg_buf b;
    struct sspr_msg m;
    size_t rec = sspr_gate_index(sspr_gate_by_name("recovery"));
    size_t totp = sspr_gate_index(sspr_gate_by_name("totp"));
    size_t email = sspr_gate_index(sspr_gate_by_name("email"));
    int changes = 0;

    (void)state;
    sspr_config_defaults(&cfg);
    memset(&dir, 0, sizeof(dir));
    dir.dialect = SSPR_LDAP_DIALECT_OPENLDAP;
    memset(&be, 0, sizeof(be));
    be.ops = &sspr_backend_ldap;
    be.cfg = &cfg;
    be.priv = &dir;
    entry(&e, av);
    sspr_ldap_record_decode(&be, &e, &r);
    assert_true(r.m[rec].present && !r.m[rec].damaged);
    assert_int_equal(r.m[rec].nvalues, 2);
    assert_string_equal(r.m[rec].source, "admin");
    assert_true(r.m[email].present);
    assert_string_equal(r.m[email].text, "alice@example.test");
    assert_string_equal(r.m[email].source, "directory");
    /* a step without a secret: that method is damaged, refused; the others stand */
    assert_true(r.m[totp].present && r.m[totp].damaged);
    /* spending the last code deletes exactly that value and adds nothing */
    sspr_record_init(&after);
    assert_int_equal(sspr_record_copy(&after, &r), SSPR_OK);
    sspr_material_remove(&after.m[rec], 1);
    sspr_msg_buf_init(&b);
    assert_int_equal(sspr_ldap_record_modify(&be, &e, &r, &after, &b, &changes), SSPR_OK);
    assert_int_equal(changes, 1);
    assert_int_equal(sspr_msg_parse(b.p, b.len, &m), 0);
    assert_int_equal(m.n, 3);
    assert_true(sspr_msg_is(&m.items[0], "delete"));
    assert_true(sspr_msg_is(&m.items[1], "ssprRecoveryCode"));
    assert_true(sspr_msg_is(&m.items[2], "bb22"));
    free(m.items);
    sspr_msg_buf_free(&b);
    /* the directory's own address is not ours to change by default */
    sspr_record_clear(&after);
    sspr_record_init(&after);
    assert_int_equal(sspr_record_copy(&after, &r), SSPR_OK);
    assert_int_equal(sspr_material_set_text(&after.m[email], "eve@example.test"), SSPR_OK);
    sspr_msg_buf_init(&b);
    assert_int_equal(sspr_ldap_record_modify(&be, &e, &r, &after, &b, &changes),
                     SSPR_ERR_UNSUPPORTED);
    sspr_msg_buf_free(&b);
    sspr_record_clear(&after);
    sspr_record_clear(&r);
    sspr_ldap_entry_free(&e);
}

static void test_config_rules(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "[general]\nbackend = ldap\n", "[ldap] uri and base are required" },
        { "[general]\nbackend = ldap\n[ldap]\nuri = ldap://dir.example\nbase = dc=x\n"
          "starttls = off\n",
          "[ldap] starttls = off is allowed only" },
        { "[general]\nbackend = ldap\n[ldap]\nuri = ldaps://dir.example\nbase = dc=x\n"
          "user_filter = (uid=%s)(cn=%s)\n",
          "[ldap] user_filter must be" },
        { "[general]\nbackend = ldap\n[ldap]\nuri = ldaps://dir.example\nbase = dc=x\n"
          "bind_dn = cn=sspr\n",
          "[ldap] bind_dn needs bind_pw_file" },
        { "[ldap]\nuri = http://dir.example\n", "line 2: uri: not a list of" },
    };
    struct sspr_config cfg;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sspr_config_defaults(&cfg);
        assert_int_equal(
            sspr_config_parse(&cfg, cases[i].text, strlen(cases[i].text), err, sizeof(err)), -1);
        if (strstr(err, cases[i].err) == NULL)
            fail_msg("%s: got \"%s\"", cases[i].text, err);
    }
    static const char good[] = "[general]\nbackend = ldap\n[ldap]\n"
                               "uri = ldaps://a.example ldap://127.0.0.1:3890 ldapi://\n"
                               "base = ou=people,dc=example,dc=test\nstarttls = required\n";
    sspr_config_defaults(&cfg);
    assert_int_equal(sspr_config_parse(&cfg, good, strlen(good), err, sizeof(err)), 0);
    assert_string_equal(cfg.ldap_uri, "ldaps://a.example ldap://127.0.0.1:3890 ldapi://");
    static const char local[] = "[general]\nbackend = ldap\n[ldap]\n"
                                "uri = ldapi:// ldap://127.0.0.1:3890\nbase = dc=x\nstarttls = off\n";
    sspr_config_defaults(&cfg);
    assert_int_equal(sspr_config_parse(&cfg, local, strlen(local), err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_throttle_text),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_entry_and_modify),
        cmocka_unit_test(test_config_rules),
    };

    sspr_test_filter();

    return cmocka_run_group_tests(tests, NULL, NULL);
}
