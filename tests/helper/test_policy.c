/*
 * Every policy rule as a table (policy/policy.c): gates needed after what
 * was used, what the next gate may offer, what registration must reach,
 * what the system offers and what may be registered, for users and
 * administrators.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../filter.h"

#include "gates/gate.h"
#include "policy/policy.h"

#define T SSPR_M_TOTP
#define R SSPR_M_RECOVERY
#define E SSPR_M_EMAIL
#define S SSPR_M_SMS
#define Q SSPR_M_QUESTIONS

static void test_gates_needed(void **state)
{
    static const struct {
        unsigned used;
        int base, admin, want;
    } rows[] = {
        { 0, 1, 0, 1 },     { T, 1, 0, 1 },     { R, 1, 0, 1 },
        { E, 1, 0, 1 },     { S, 1, 0, 1 },     { Q, 1, 0, 2 }, /* questions are never alone */
        { Q | T, 1, 0, 2 }, { 0, 2, 1, 2 },     { T, 2, 1, 2 },
        { T, 1, 1, 1 },     { E, 1, 1, 2 }, /* an admin is never through on email alone */
        { S, 1, 1, 2 },     { E | S, 1, 1, 2 }, { E | T, 1, 1, 2 },
        { Q, 1, 1, 2 },     { T | R, 3, 1, 3 }, { Q, 3, 0, 3 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (sspr_policy_gates_needed(rows[i].used, rows[i].base, rows[i].admin) != rows[i].want)
            fail_msg("row %zu: used %#x base %d admin %d: want %d, got %d", i, rows[i].used,
                     rows[i].base, rows[i].admin, rows[i].want,
                     sspr_policy_gates_needed(rows[i].used, rows[i].base, rows[i].admin));
}

static void test_next_offer(void **state)
{
    static const struct {
        unsigned system, used;
        int admin;
        unsigned want;
    } rows[] = {
        { T | R | E | S | Q, 0, 0, T | R | E | S | Q },
        { T | R | E | S | Q, T, 0, R | E | S | Q },
        { T | R | E | S | Q, E, 0, T | R | S | Q },
        { T | R | E | S, E, 1, T | R }, /* an admin's second gate is no second channel */
        { T | R | E | S, S, 1, T | R },
        { T | R | E | S, T, 1, R | E | S },
        { T | R, T | R, 0, 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (sspr_policy_next_offer(rows[i].system, rows[i].used, rows[i].admin) != rows[i].want)
            fail_msg("row %zu: want %#x, got %#x", i, rows[i].want,
                     sspr_policy_next_offer(rows[i].system, rows[i].used, rows[i].admin));
}

static void test_registration_goal(void **state)
{
    static const struct {
        unsigned have;
        int need, admin;
        enum sspr_unsatisfied want;
    } rows[] = {
        { 0, 1, 0, SSPR_UNSAT_TOO_FEW },
        { T, 1, 0, SSPR_SATISFIED },
        { E, 1, 0, SSPR_SATISFIED },
        { Q, 1, 0, SSPR_UNSAT_WEAK_ONLY }, /* questions never the only gate */
        { Q | E, 1, 0, SSPR_SATISFIED },
        { T, 2, 0, SSPR_UNSAT_TOO_FEW },
        { T | Q, 2, 0, SSPR_SATISFIED },
        { T, 2, 1, SSPR_UNSAT_TOO_FEW },
        { T | R, 2, 1, SSPR_SATISFIED },
        { T | E, 2, 1, SSPR_SATISFIED },
        { E | S, 2, 1, SSPR_UNSAT_ADMIN_DELIVERY }, /* never two channels alone */
        { E, 1, 1, SSPR_UNSAT_ADMIN_DELIVERY },     /* ... nor one */
        { T | E | S, 3, 1, SSPR_UNSAT_TOO_FEW },    /* a second channel never counts */
        { T | R | E, 3, 1, SSPR_SATISFIED },
        { T | Q, 2, 1, SSPR_UNSAT_TOO_FEW }, /* questions never count for admins */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum sspr_unsatisfied got =
            sspr_policy_unsatisfied(rows[i].have, rows[i].need, rows[i].admin);
        if (got != rows[i].want)
            fail_msg("row %zu: have %#x need %d admin %d: want %d, got %d", i, rows[i].have,
                     rows[i].need, rows[i].admin, rows[i].want, got);
        assert_int_equal(sspr_policy_satisfied(rows[i].have, rows[i].need, rows[i].admin),
                         rows[i].want == SSPR_SATISFIED);
    }
}

static void test_system_and_registrable(void **state)
{
    struct sspr_config cfg;

    (void)state;
    sspr_config_defaults(&cfg);
    /* out of the box: codes only (no mail server, no gateway, no questions) */
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R);
    assert_int_equal(sspr_policy_registrable(&cfg, 0), T | R);
    snprintf(cfg.smtp_url, sizeof(cfg.smtp_url), "smtp://127.0.0.1:25");
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R | E);
    snprintf(cfg.sms_url, sizeof(cfg.sms_url), "https://gw.example/send");
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R | E | S);
    /* questions: only when enabled and listed for users; never for admins */
    cfg.questions_enabled = 1;
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R | E | S);
    cfg.user_methods |= Q;
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R | E | S | Q);
    cfg.admin_methods |= Q; /* the config refuses this; the rule holds anyway */
    cfg.user_methods &= ~Q;
    assert_int_equal(sspr_policy_system_methods(&cfg), T | R | E | S);
    assert_int_equal(sspr_policy_registrable(&cfg, 0), T | R | E | S | Q);
    assert_int_equal(sspr_policy_registrable(&cfg, 1), T | R | E | S);
    /* what counts here: registered, allowed for the class, offered */
    cfg.user_methods = T | E | Q;
    assert_int_equal(sspr_policy_usable(&cfg, T | R | E | Q, 0), T | E | Q);
    cfg.admin_methods = T | R | E;
    assert_int_equal(sspr_policy_usable(&cfg, T | R | E | Q, 1), T | R | E);
    cfg.smtp_url[0] = '\0';
    assert_int_equal(sspr_policy_usable(&cfg, T | R | E | Q, 1), T | R);
    assert_int_equal(sspr_policy_gates(&cfg, 0), cfg.user_gates);
    assert_int_equal(sspr_policy_gates(&cfg, 1), cfg.admin_gates);
}

static void test_services(void **state)
{
    struct sspr_config cfg;

    (void)state;
    sspr_config_defaults(&cfg);
    assert_true(sspr_policy_service_enabled(&cfg, "sshd"));
    snprintf(cfg.services, sizeof(cfg.services), "login, lightdm gdm-password");
    assert_true(sspr_policy_service_enabled(&cfg, "login"));
    assert_true(sspr_policy_service_enabled(&cfg, "gdm-password"));
    assert_false(sspr_policy_service_enabled(&cfg, "sshd"));
    assert_false(sspr_policy_service_enabled(&cfg, "log"));
    assert_false(sspr_policy_service_enabled(&cfg, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gates_needed),      cmocka_unit_test(test_next_offer),
        cmocka_unit_test(test_registration_goal), cmocka_unit_test(test_system_and_registrable),
        cmocka_unit_test(test_services),
    };

    sspr_test_filter();

    return cmocka_run_group_tests(tests, NULL, NULL);
}
