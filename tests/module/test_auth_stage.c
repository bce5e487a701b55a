/* The decision on the normal path, run in real module context through the
 * shim (only modules may set PAM_AUTHTOK). helper= points at a path that
 * does not exist, so any attempt to start it shows the "not available"
 * message: its absence proves nothing was spawned. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../filter.h"

#include "args.h"
#include "fixture.h"
#include "auth_stage.h"
#include "relay.h"

#define NOHELPER "helper=/nonexistent/sspr-helper"

struct ocase {
    const char *tok; /* PAM_AUTHTOK to set (NULL: leave unset) */
    const char *argv[8];
    int argc;
    int rc;
    int called;
};

static int hook(pam_handle_t *pamh, int flags, void *ctx)
{
    struct ocase *c = ctx;
    struct sspr_args args;

    if (c->tok != NULL && pam_set_item(pamh, PAM_AUTHTOK, c->tok) != PAM_SUCCESS)
        return PAM_SYSTEM_ERR;
    (void)sspr_args_parse(pamh, c->argc, c->argv, &args);
    c->rc = sspr_authenticate(pamh, flags, &args);
    c->called = 1;
    return PAM_SUCCESS;
}

static int setup(void **state)
{
    *state = fx_new("sspr-shim", "alice");
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static int run(struct fixture *fx, struct ocase *c, int flags)
{
    fx->hook.fn = hook;
    fx->hook.ctx = c;
    (void)pam_authenticate(fx->pamh, flags);
    assert_true(c->called);
    return c->rc;
}

static int spawned(const struct fixture *fx)
{
    return fx_count(fx, PAM_ERROR_MSG, SSPR_MSG_UNAVAILABLE);
}

static void test_wrong_password_ignored(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "hunter2", .argv = { NOHELPER }, .argc = 1 };

    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(spawned(fx), 0);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, NULL), 0);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_OFF, NULL), 0);
    assert_int_equal(fx_count(fx, PAM_TEXT_INFO, SSPR_HINT_ENTER), 1);
    assert_int_equal(fx->nmsgs, 1);
}

/* At a greeter the hint says the password was wrong and is an error: the
 * greeter's label shows only it (LightDM) or drops info messages once the
 * authentication fails (gnome-shell). */
static void test_wrong_password_hint_at_greeters(void **state)
{
    static const char *const greeters[] = { "lightdm", "gdm-password", "sddm" };

    (void)state;
    for (size_t i = 0; i < sizeof(greeters) / sizeof(greeters[0]); i++) {
        struct fixture *fx = fx_new(greeters[i], "alice");
        struct ocase c = { .tok = "hunter2", .argv = { NOHELPER }, .argc = 1 };

        assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
        assert_int_equal(fx->nmsgs, 1);
        assert_int_equal(fx->styles[0], PAM_ERROR_MSG);
        assert_string_equal(fx->texts[0], SSPR_HINT_GREETER);
        assert_int_equal(spawned(fx), 0);
        fx_free(fx);
    }
}

static void test_wrong_password_nohint(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "hunter2", .argv = { NOHELPER, "nohint" }, .argc = 2 };

    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(fx->nmsgs, 0);
}

static void test_wrong_password_silent(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "hunter2", .argv = { NOHELPER }, .argc = 1 };

    assert_int_equal(run(fx, &c, PAM_SILENT), PAM_IGNORE);
    assert_int_equal(fx->nmsgs, 0);
}

static void test_hint_names_trigger(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "hunter2", .argv = { NOHELPER, "trigger=reset" }, .argc = 2 };

    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(fx_count(fx, PAM_TEXT_INFO,
                              "Forgot your password? Type reset at the password prompt to reset it."),
                     1);
    assert_int_equal(spawned(fx), 0);
}

static void test_trigger_prefix_ignored(void **state)
{
    struct fixture *fx = *state;
    const char *toks[] = { "rese", "reset ", "Reset", "resetx", "xreset" };

    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
        struct ocase c = { .tok = toks[i], .argv = { NOHELPER, "trigger=reset", "nohint" },
                           .argc = 3 };
        assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    }
    assert_int_equal(fx->nmsgs, 0);
}

static void test_trigger_starts_reset(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "reset", .argv = { NOHELPER, "trigger=reset" }, .argc = 2 };

    assert_int_equal(run(fx, &c, 0), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(spawned(fx), 1);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_OFFER_PROMPT), 0);
}

static void test_empty_offer_no(void **state)
{
    struct fixture *fx = *state;
    const char *answers[] = { "n", "", "no", "yess", "y e s", "ja" };

    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        struct ocase c = { .tok = "", .argv = { NOHELPER }, .argc = 1 };
        fx_reply(fx, R_ANSWER, answers[i]);
        assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    }
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_OFFER_PROMPT), 6);
    assert_int_equal(spawned(fx), 0);
}

/* No PAM_AUTHTOK at all: the password prompt itself failed. That is not a
 * request for help: ignore at once, no offer, no helper (docs/security.md 3). */
static void test_unset_authtok_ignored(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = NULL, .argv = { NOHELPER }, .argc = 1 };

    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_OFFER_PROMPT), 0);
    assert_int_equal(spawned(fx), 0);
}

static void test_empty_offer_yes(void **state)
{
    struct fixture *fx = *state;
    const char *answers[] = { "y", "Y", " yes ", "YeS\n" };

    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        struct ocase c = { .tok = "", .argv = { NOHELPER }, .argc = 1 };
        fx_reply(fx, R_ANSWER, answers[i]);
        assert_int_equal(run(fx, &c, 0), PAM_AUTHINFO_UNAVAIL);
    }
    assert_int_equal(spawned(fx), 4);
}

static void test_offer_conv_failures(void **state)
{
    struct fixture *fx = *state;
    enum reply_kind kinds[] = { R_CONV_ERR, R_NULL_ARRAY, R_NULL_RESP };

    for (size_t i = 0; i < 3; i++) {
        struct ocase c = { .tok = "", .argv = { NOHELPER }, .argc = 1 };
        fx_reply(fx, kinds[i], NULL);
        assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    }
    assert_int_equal(spawned(fx), 0);
}

static void test_bad_options_refuse_reset(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "reset", .argv = { NOHELPER, "trigger=reset", "timeout=0" },
                       .argc = 3 };
    struct ocase w = { .tok = "wrong", .argv = { NOHELPER, "timeout=0", "nohint" }, .argc = 3 };

    assert_int_equal(run(fx, &c, 0), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(spawned(fx), 1);
    /* the normal path is untouched by bad options */
    assert_int_equal(run(fx, &w, 0), PAM_IGNORE);
}

static void test_kiosk_other_user_ignored(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = "", .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };

    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(fx->nmsgs, 0);
}

static void test_kiosk_flow(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };

    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, "reset"), PAM_SUCCESS);
    fx_reply(fx, R_ANSWER, "bob");
    assert_int_equal(run(fx, &c, 0), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_KIOSK_PROMPT), 1);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_OFFER_PROMPT), 0);
    assert_int_equal(spawned(fx), 1);
}

static void test_kiosk_failures(void **state)
{
    struct fixture *fx = *state;
    static char longname[600];
    struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };

    memset(longname, 'a', 513);
    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, "reset"), PAM_SUCCESS);
    fx_reply(fx, R_CONV_ERR, NULL);
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    fx_reply(fx, R_NULL_RESP, NULL);
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    fx_reply(fx, R_ANSWER, longname);
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    assert_int_equal(spawned(fx), 0);
    /* an empty name is a change of mind: no account is empty, so ending
     * here tells nothing; no helper is started */
    fx_reply(fx, R_ANSWER, "");
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    assert_int_equal(spawned(fx), 0);
}

/* An application that lets PAM ask for the name (pam_start with a NULL
 * user): the kiosk line comes first, so it asks itself (issue 9 item 3). */
#define PAM_LOGIN_PROMPT "login:" /* libpam's default */

static void test_kiosk_null_user_other_name(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };
    const void *item = NULL;

    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, NULL), PAM_SUCCESS);
    fx_reply(fx, R_ANSWER, "bob");
    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, PAM_LOGIN_PROMPT), 1);
    assert_int_equal(fx->nmsgs, 1);
    assert_int_equal(spawned(fx), 0);
    /* kept for the modules below: pam_unix does not ask again */
    assert_int_equal(pam_get_item(fx->pamh, PAM_USER, &item), PAM_SUCCESS);
    assert_string_equal(item, "bob");
}

static void test_kiosk_null_user_pseudo_user(void **state)
{
    struct fixture *fx = *state;
    struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };

    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, NULL), PAM_SUCCESS);
    fx_reply(fx, R_ANSWER, "reset");
    fx_reply(fx, R_ANSWER, "bob");
    assert_int_equal(run(fx, &c, 0), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, PAM_LOGIN_PROMPT), 1);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_KIOSK_PROMPT), 1);
    assert_int_equal(spawned(fx), 1);
    /* the empty answer (a change of mind) is no pass either */
    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, NULL), PAM_SUCCESS);
    fx_reply(fx, R_ANSWER, "reset");
    fx_reply(fx, R_ANSWER, "");
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
}

static void test_kiosk_case_variant(void **state)
{
    /* a case-insensitive NSS source resolves RESET to the same account */
    struct fixture *fx = *state;
    struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };

    assert_int_equal(pam_set_item(fx->pamh, PAM_USER, "ReSeT"), PAM_SUCCESS);
    fx_reply(fx, R_ANSWER, "");
    assert_int_equal(run(fx, &c, 0), PAM_AUTH_ERR);
    assert_int_equal(fx_count(fx, PAM_PROMPT_ECHO_ON, SSPR_KIOSK_PROMPT), 1);
}

static void test_kiosk_null_user_conv_fails(void **state)
{
    enum reply_kind kinds[] = { R_CONV_ERR, R_NULL_ARRAY, R_NULL_RESP };

    (void)state;
    /* each in its own transaction: libpam remembers a failed pam_get_user */
    for (size_t i = 0; i < 3; i++) {
        struct ocase c = { .tok = NULL, .argv = { NOHELPER, "kiosk_user=reset" }, .argc = 2 };
        struct fixture *f = fx_new("sspr-shim", NULL);
        int rc;

        fx_reply(f, kinds[i], NULL);
        rc = run(f, &c, 0);
        assert_int_not_equal(rc, PAM_SUCCESS);
        assert_int_not_equal(rc, PAM_IGNORE);
        assert_int_equal(fx_count(f, PAM_PROMPT_ECHO_ON, PAM_LOGIN_PROMPT), 1);
        assert_int_equal(spawned(f), 0);
        fx_free(f);
    }
}

/* As root: with a working helper, a wrong password still runs nothing. */
static void test_wrong_password_execs_nothing(void **state)
{
    struct fixture *fx = *state;
    char dir[PATH_MAX], marker[PATH_MAX + 16], script[2 * PATH_MAX], harg[PATH_MAX + 16];
    struct stat st;

    if (fx_helper_dir(fx->pamh, dir, sizeof(dir)) != 0) {
        skip();
        return;
    }
    snprintf(marker, sizeof(marker), "%s/ran", dir);
    snprintf(script, sizeof(script), "#!/bin/sh\ntouch %s\nprintf '\\000\\000\\000\\007\\010denied'\n",
             marker);
    snprintf(harg, sizeof(harg), "helper=%s", fx_script(dir, "h", script, 0755));
    struct ocase c = { .tok = "hunter2", .argv = { harg, "trigger=reset" }, .argc = 2 };
    assert_int_equal(run(fx, &c, 0), PAM_IGNORE);
    assert_int_not_equal(stat(marker, &st), 0);
    /* and the same helper really runs on the trigger word */
    struct ocase t = { .tok = "reset", .argv = { harg, "trigger=reset" }, .argc = 2 };
    assert_int_equal(run(fx, &t, 0), PAM_AUTH_ERR);
    assert_int_equal(stat(marker, &st), 0);
    fx_rm_tree(dir);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_wrong_password_ignored),
        T(test_wrong_password_nohint),
        T(test_wrong_password_hint_at_greeters),
        T(test_wrong_password_silent),
        T(test_hint_names_trigger),
        T(test_trigger_prefix_ignored),
        T(test_trigger_starts_reset),
        T(test_empty_offer_no),
        T(test_unset_authtok_ignored),
        T(test_empty_offer_yes),
        T(test_offer_conv_failures),
        T(test_bad_options_refuse_reset),
        T(test_kiosk_other_user_ignored),
        T(test_kiosk_flow),
        T(test_kiosk_failures),
        T(test_kiosk_null_user_other_name),
        T(test_kiosk_null_user_pseudo_user),
        T(test_kiosk_case_variant),
        T(test_kiosk_null_user_conv_fails),
        T(test_wrong_password_execs_nothing),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
