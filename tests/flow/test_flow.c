/*
 * The whole reset and registration state machine, without root: flows run
 * over a socketpair against the in-memory backend (tests/flow/mem_backend.c,
 * the same interface as the local one). Covers the code prompt and the
 * menu, two gates, the administrator rules, lockout, racing resets, a
 * cancelled conversation, the dummy path's transcript, and a backend error
 * at every call of a successful reset (never a success without the
 * password really set, never a password set when a call before the commit
 * failed).
 */
#include "autoconf.h"

#include <setjmp.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "driver.h"
#include "gates/gate.h"
#include "mem_backend.h"
#include "proofs/questions.h"
#include "support/i18n.h"

static const char SECRET[] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"; /* 160 bits */
static const char CODE[] = "App or recovery code: ";
static const char CODE2[] = "Second code (another method): ";
static const char NEWPW[] = "New password: ";
static const char RETYPE[] = "Retype new password: ";
static const char GOOD_PW[] = "Correct-Horse-Battery-42";

static struct sspr_config cfg;

static int setup(void **state)
{
    (void)state;
    mem_reset();
    drive_config(&cfg);
    return 0;
}

static struct mem_account *alice(void)
{
    struct mem_account *a = mem_add("alice", 1000, "");

    mem_enroll_totp(a, SECRET);
    return a;
}

/* An administrator (in "sudo") with an authenticator app and recovery codes. */
static struct mem_account *admin_with_app_and_codes(const char *name, uid_t uid,
                                                    char codes[10][20])
{
    struct mem_account *a = mem_add(name, uid, "sudo");

    mem_enroll_totp(a, SECRET);
    mem_enroll_recovery(a, codes);
    return a;
}

/* The new password, typed twice. */
static void set_new_password(struct drive *d, const char *pw)
{
    drive_expect_prompt(d, NEWPW);
    drive_answer(d, pw);
    drive_expect_prompt(d, RETYPE);
    drive_answer(d, pw);
}

/* A code prompt, the right code, then the new password twice. */
static void pass_and_set(struct drive *d, const char *pw)
{
    char code[8];

    drive_expect_prompt(d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(d, code);
    set_new_password(d, pw);
}

static void test_reset_with_app_code(void **state)
{
    struct drive d;
    struct mem_account *a;

    (void)state;
    a = alice();
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    pass_and_set(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    assert_int_equal(drive_end(&d), 0);
    assert_int_equal(a->commits, 1);
    assert_string_equal(a->password, GOOD_PW);
    assert_true(drive_saw(&d, "To reset your password, type a code from your authenticator app "
                              "or a recovery code."));
    /* the code is spent: its step is stored */
    assert_true(sspr_gate_material(&a->rec, sspr_gate_by_name("totp"))->counter >= 0);
    assert_true(mem_failures("alice") <= 0); /* a completed reset clears the count */
}

static void test_wrong_then_right_and_replay(void **state)
{
    struct drive d;
    char code[8];
    struct mem_account *a;

    (void)state;
    a = alice();
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, "000000");
    drive_expect_prompt(&d, CODE);
    assert_true(drive_saw(&d, "That code is not valid."));
    assert_int_equal(mem_failures("alice"), 1);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, NEWPW);
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_DENIED);
    drive_end(&d);
    assert_int_equal(a->commits, 0);
    /* the right answer was refunded: only the wrong one counts */
    assert_int_equal(mem_failures("alice"), 1);

    /* the same code again, in a new flow: refused (replay) */
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, code);
    drive_expect_prompt(&d, CODE);
    assert_true(drive_saw(&d, "That code is not valid."));
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    assert_int_equal(a->commits, 0);
}

/* Seconds from a wrong code to "That code is not valid." (the next prompt). */
static double wrong_code_seconds(const char *user)
{
    struct drive d;
    struct timespec a, b;

    drive_start(&d, &cfg, user, "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    clock_gettime(CLOCK_MONOTONIC, &a);
    drive_answer(&d, "000000");
    drive_expect_prompt(&d, CODE);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true(drive_saw(&d, "That code is not valid."));
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* The failure delay runs from the answer, not after the work: a slower
 * charge (a slow disk, a bigger record, an unknown name's bucket) does not
 * show in when the verdict comes. */
static void test_failure_delay_hides_the_work(void **state)
{
    double quick, slow;

    (void)state;
    (void)alice();
    cfg.failure_delay = 1;
    quick = wrong_code_seconds("alice");
    mem.throttle_ms = 600; /* every charge now takes 0.6 s more */
    slow = wrong_code_seconds("nobody-here");
    cfg.failure_delay = 0;
    assert_true(quick >= 0.99);
    assert_true(slow >= 0.99);
    /* a delay added after the work would make it 0.6 s more */
    assert_true(slow - quick < 0.4);
}

/* The transcript of three wrong codes, for comparing names. */
static void three_wrong(const char *user, char *out, size_t len)
{
    struct drive d;

    drive_start(&d, &cfg, user, "offer", "sshd");
    for (int i = 0; i < 3; i++) {
        drive_expect_prompt(&d, CODE);
        drive_answer(&d, "123456");
    }
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_DENIED);
    drive_end(&d);
    drive_transcript(&d, out, len);
}

static void test_dummy_path_reads_the_same(void **state)
{
    char known[8192], other[8192];
    struct mem_account *locked, *corrupt;

    (void)state;
    cfg.max_failures = 50;
    cfg.max_failures_per_method = 20;
    alice();
    three_wrong("alice", known, sizeof(known));
    /* no such name, no methods, locked, corrupt record, a malformed name */
    mem_add("nomethods", 1001, "");
    locked = mem_add("locked", 1002, "");
    mem_enroll_totp(locked, SECRET);
    locked->why = SSPR_ACCT_LOCKED;
    corrupt = mem_add("corrupt", 1003, "");
    corrupt->corrupt = 1;
    const char *names[] = { "nosuchuser", "nomethods", "locked", "corrupt", "-oFoo" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        three_wrong(names[i], other, sizeof(other));
        if (strcmp(known, other) != 0)
            fail_msg("%s reads differently:\n%s\nvs\n%s", names[i], other, known);
    }
    /* housekeeping never runs while a user waits (issue 10: gc has its timer) */
    assert_int_equal(mem.calls[MEM_GC], 0);
    /* and a right code does nothing for a locked account */
    struct drive d;
    char code[8];
    drive_start(&d, &cfg, "locked", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, CODE);
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    assert_int_equal(locked->commits, 0);
}

static void test_lockout(void **state)
{
    struct drive d;
    char code[8];
    struct mem_account *a;

    (void)state;
    cfg.max_failures = 3;
    a = alice();
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    for (int i = 0; i < 3; i++) {
        drive_expect_prompt(&d, CODE);
        drive_answer(&d, "111111");
    }
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    /* the lockout message carries the last words: nothing after it */
    assert_true(drive_saw(&d, "Too many failed attempts. Try again in 15 minutes or ask your "
                              "administrator."));
    assert_false(drive_saw(&d, "If you cannot confirm it is you"));
    drive_end(&d);
    assert_int_equal(mem_failures("alice"), 3);
    /* locked out: even the right code is not judged, nor counted */
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_DENIED);
    assert_true(drive_saw(&d, "Too many failed attempts. Try again in 15 minutes or ask your "
                              "administrator."));
    drive_end(&d);
    assert_int_equal(mem_failures("alice"), 3);
    assert_int_equal(sspr_gate_material(&a->rec, sspr_gate_by_name("totp"))->counter, -1);
    assert_int_equal(a->commits, 0);
}

static void test_admin_needs_two_different_gates(void **state)
{
    struct drive d;
    char code[8], codes[10][20];
    struct mem_account *a;

    (void)state;
    a = admin_with_app_and_codes("root2", 1005, codes);
    drive_start(&d, &cfg, "root2", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    /* the second gate: another app code is not a different method */
    drive_expect_prompt(&d, CODE2);
    drive_totp(SECRET, 1, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, CODE2);
    assert_true(drive_saw(&d, "That code is not valid."));
    drive_answer(&d, codes[3]);
    set_new_password(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d);
    assert_int_equal(a->commits, 1);
    /* the recovery code is spent */
    assert_int_equal(sspr_gate_material(&a->rec, sspr_gate_by_name("recovery"))->nvalues, 9);
}

/* Questions on: the menu; questions are never the only gate. */
static void test_menu_and_questions_never_alone(void **state)
{
    struct drive d;
    char code[8], h[crypto_pwhash_STRBYTES];
    struct mem_account *a;
    struct sspr_material *q;
    const char *answers[] = { "blue", "fluffy", "paris" };

    (void)state;
    cfg.questions_enabled = 1;
    cfg.user_methods |= SSPR_M_QUESTIONS;
    cfg.questions_asked = 3;
    a = alice();
    q = sspr_gate_material(&a->rec, sspr_gate_by_name("questions"));
    q->present = 1;
    for (int i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof(text), "Question %d?", i);
        assert_int_equal(sspr_questions_hash(answers[i], h), 0);
        assert_int_equal(sspr_material_add(q, h, text), SSPR_OK);
    }
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, "Choice [1]: ");
    assert_true(drive_saw(&d, "1) Authenticator app or recovery code"));
    assert_true(drive_saw(&d, "2) Security questions"));
    drive_answer(&d, "9");
    drive_expect_prompt(&d, "Choice [1]: ");
    assert_true(drive_saw(&d, "Choose one of the numbers shown."));
    drive_answer(&d, "2");
    for (int i = 0; i < 3; i++) {
        int t = drive_next(&d);
        assert_int_equal(t, SSPR_F_PROMPT_ECHO_OFF);
        int k = drive_last(&d)[9] - '0'; /* "Question N?: " */
        drive_answer(&d, answers[k]);
    }
    /* passed, but questions alone are not enough: the menu again, without them */
    drive_expect_prompt(&d, "Choice [1]: ");
    assert_false(strstr(d.text[d.n - 2], "Security questions") != NULL);
    drive_answer(&d, "");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    set_new_password(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d);
    assert_int_equal(a->commits, 1);
}

/* Two resets of one account at once: the one that passed its gates last
 * commits, the other is told; one commit in all. */
static void test_grant_race(void **state)
{
    struct drive d1, d2;
    char code[8], codes[10][20];
    struct mem_account *a;

    (void)state;
    a = alice();
    mem_enroll_recovery(a, codes);
    drive_start(&d1, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d1, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d1, code);
    drive_expect_prompt(&d1, NEWPW);
    drive_start(&d2, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d2, CODE);
    drive_answer(&d2, codes[0]);
    drive_expect_prompt(&d2, NEWPW);
    drive_answer(&d1, GOOD_PW);
    drive_expect_prompt(&d1, RETYPE);
    drive_answer(&d1, GOOD_PW);
    assert_int_equal(drive_next(&d1), SSPR_F_RESULT);
    assert_string_equal(d1.result, SSPR_RESULT_DENIED);
    assert_true(
        drive_saw(&d1, "Another password reset for this account was started after this one."));
    drive_end(&d1);
    drive_answer(&d2, "Another-Good-Passw0rd");
    drive_expect_prompt(&d2, RETYPE);
    drive_answer(&d2, "Another-Good-Passw0rd");
    assert_int_equal(drive_next(&d2), SSPR_F_RESULT);
    assert_string_equal(d2.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d2);
    assert_int_equal(a->commits, 1);
    assert_string_equal(a->password, "Another-Good-Passw0rd");
}

static void test_refused_password_then_accepted(void **state)
{
    struct drive d;
    char code[8];
    struct mem_account *a;

    (void)state;
    a = alice();
    mem.refuse = "Refuse";
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, NEWPW);
    drive_answer(&d, "Refuse-This-One-99");
    drive_expect_prompt(&d, RETYPE);
    drive_answer(&d, "Refuse-This-One-99");
    drive_expect_prompt(&d, NEWPW);
    assert_true(drive_saw(&d, "The directory refused that password."));
    /* our own rules are checked before it is typed again */
    drive_answer(&d, "short");
    drive_expect_prompt(&d, NEWPW);
    assert_true(drive_saw(&d, "The password must be at least 12 characters long."));
    drive_answer(&d, GOOD_PW);
    drive_expect_prompt(&d, RETYPE);
    drive_answer(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d);
    assert_int_equal(a->commits, 1);
    assert_string_equal(a->password, GOOD_PW);
}

static void test_service_not_enabled(void **state)
{
    struct drive d;

    (void)state;
    alice();
    snprintf(cfg.services, sizeof(cfg.services), "login");
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_UNAVAILABLE);
    assert_true(drive_saw(&d, "Password reset is not offered here."));
    drive_end(&d);
}

/* The successful reset, answered by prompt; the result word. */
static void scripted_reset(char *result, size_t len)
{
    struct drive d;
    char code[8];
    int t;

    drive_start(&d, &cfg, "alice", "offer", "sshd");
    while ((t = drive_next(&d)) == SSPR_F_PROMPT_ECHO_OFF || t == SSPR_F_PROMPT_ECHO_ON) {
        if (strcmp(drive_last(&d), CODE) == 0) {
            drive_totp(SECRET, 0, code);
            drive_answer(&d, code);
        } else if (strcmp(drive_last(&d), NEWPW) == 0 || strcmp(drive_last(&d), RETYPE) == 0) {
            drive_answer(&d, GOOD_PW);
        } else {
            drive_cancel(&d);
        }
    }
    snprintf(result, len, "%s", d.result);
    drive_end(&d);
}

/* Every call of a successful reset failing in turn. */
static void test_backend_failure_at_each_call(void **state)
{
    int calls[MEM_OPS];
    char result[SSPR_WIRE_MAX_PAYLOAD + 1];

    (void)state;
    alice();
    scripted_reset(result, sizeof(result));
    assert_string_equal(result, SSPR_RESULT_RESET_DONE);
    memcpy(calls, mem.calls, sizeof(calls));
    for (int op = 0; op < MEM_OPS; op++) {
        for (int at = 1; at <= calls[op]; at++) {
            struct mem_account *a;
            int before_commit;

            mem_reset();
            a = alice();
            mem_fail((enum mem_op)op, at);
            scripted_reset(result, sizeof(result));
            assert_true(mem.failed);
            before_commit = !mem.commit_call_seen || op == MEM_COMMIT;
            if (strcmp(result, SSPR_RESULT_RESET_DONE) == 0 && a->commits != 1)
                fail_msg("op %d call %d: success without the password set", op, at);
            if (a->commits != 0 && strcmp(result, SSPR_RESULT_RESET_DONE) != 0)
                fail_msg("op %d call %d: password set but %s reported", op, at, result);
            if (before_commit && a->commits != 0 && op != MEM_COMMIT)
                fail_msg("op %d call %d failed before the commit, yet the password was set", op,
                         at);
            if (op == MEM_COMMIT && a->commits != 0)
                fail_msg("the commit failed, yet the password was set");
        }
    }
}

/* HELLO's language is checked again by the helper: a malformed, over-long
 * or unknown one is English, the flow runs as usual, and nothing of it is
 * ever used as a path. */
static void test_hello_lang_checked(void **state)
{
    struct drive d;
    char big[700];
    const char *langs[] = {
        "../../x", "de_DE.UTF-8/../../../etc", "xx_YY.UTF-8", "C", "", "de_DE.UTF-8 x", big
    };

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "de_DE.UTF-8", 11);
    (void)alice();
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        drive_hello_lang = langs[i];
        drive_start(&d, &cfg, "alice", "offer", "sshd");
        drive_expect_prompt(&d, CODE);
        assert_true(drive_saw(&d, "To reset your password, type a code from your authenticator "
                                  "app or a recovery code."));
        assert_string_equal(sspr_i18n_lang(), "");
        drive_answer(&d, "");
        assert_int_equal(drive_next(&d), SSPR_F_RESULT);
        drive_end(&d);
    }
    drive_hello_lang = NULL;
}

static void test_cancel_ends_denied(void **state)
{
    struct drive d;

    (void)state;
    alice();
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_DENIED);
    assert_int_equal(drive_end(&d), 0);
}

/* Nothing typed (Ctrl-C at ssh's hidden prompt sends an empty answer):
 * the reset stops and no try is counted, for every name alike. */
static void test_empty_code_cancels_uncounted(void **state)
{
    struct drive d;
    char a[8192], b[8192];

    (void)state;
    alice();
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, "");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_DENIED);
    assert_true(drive_saw(&d, "Nothing was entered, so the password reset stops here."));
    drive_end(&d);
    drive_transcript(&d, a, sizeof(a));
    assert_true(mem_failures("alice") <= 0);
    drive_start(&d, &cfg, "nosuchuser", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, "");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    drive_transcript(&d, b, sizeof(b));
    assert_string_equal(a, b);
}

/* Three wrong app codes block the app's codes, not the recovery codes that
 * are asked at the same prompt: the user is told which, for how long, and
 * may go on. */
static void test_method_block_says_what_still_works(void **state)
{
    struct drive d;
    char codes[10][20];
    struct mem_account *a;

    (void)state;
    cfg.max_failures = 10;
    cfg.max_failures_per_method = 3;
    a = alice();
    mem_enroll_recovery(a, codes);
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    for (int i = 0; i < 3; i++) {
        drive_expect_prompt(&d, CODE);
        drive_answer(&d, "123123");
    }
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    /* the next app code is not judged: blocked, said so, and the prompt stays */
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, "123123");
    drive_expect_prompt(&d, CODE);
    assert_true(drive_saw(&d, "Authenticator app codes are blocked for 15 minutes after too "
                              "many wrong ones. You can still use a recovery code."));
    assert_int_equal(mem_failures("alice"), 3);
    drive_answer(&d, codes[1]);
    drive_expect_prompt(&d, NEWPW);
    drive_cancel(&d);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
}

/* Locked by failed sign-ins (issue 13): after the gate the account may be
 * unlocked keeping its password; the question never comes before a gate,
 * nor for an account that cannot pass, nor in passwd mode. */
static const char LOCKED_OUT[] = "Your account is locked after too many failed sign-in attempts.";
static const char ASK_UNLOCK[] = "Unlock it and keep your current password? [Y/n] ";

static void test_unlock_keeps_the_password(void **state)
{
    struct drive d;
    struct mem_account *a;
    char code[8];

    (void)state;
    a = alice();
    a->lockout = 1;
    drive_start(&d, &cfg, "alice", "offer", "login");
    drive_expect_prompt(&d, CODE);
    assert_false(drive_saw(&d, LOCKED_OUT)); /* nothing before the gate */
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, ASK_UNLOCK);
    assert_true(drive_saw(&d, LOCKED_OUT));
    drive_answer(&d, "");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_UNLOCKED);
    assert_int_equal(drive_end(&d), 0);
    assert_int_equal(a->unlocks, 1);
    assert_int_equal(a->lockout, 0);
    assert_int_equal(a->commits, 0);
    assert_true(mem_failures("alice") <= 0);
}

static void test_unlock_declined_sets_a_password_and_unlocks(void **state)
{
    struct drive d;
    struct mem_account *a;
    char code[8];

    (void)state;
    a = alice();
    a->lockout = 1;
    drive_start(&d, &cfg, "alice", "offer", "login");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, ASK_UNLOCK);
    drive_answer(&d, "n");
    set_new_password(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d);
    assert_int_equal(a->commits, 1);
    assert_int_equal(a->unlocks, 1); /* else the new password would not get in */
}

static void test_passwd_mode_and_ineligible_never_asked(void **state)
{
    struct drive d;
    struct mem_account *a, *l;
    char code[8];

    (void)state;
    a = alice();
    a->lockout = 1;
    /* passwd: the user asked for a new password */
    drive_start(&d, &cfg, "alice", "passwd", "passwd");
    pass_and_set(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    drive_end(&d);
    assert_false(drive_saw(&d, LOCKED_OUT));
    assert_int_equal(a->unlocks, 1);
    /* an admin's lock as well as failed sign-ins: no gate passes, nothing lifted */
    l = mem_add("locked", 1002, "");
    mem_enroll_totp(l, SECRET);
    l->why = SSPR_ACCT_LOCKED;
    l->lockout = 1;
    drive_start(&d, &cfg, "locked", "offer", "login");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 1, code);
    drive_answer(&d, code);
    drive_expect_prompt(&d, CODE);
    drive_cancel(&d);
    drive_next(&d);
    drive_end(&d);
    assert_false(drive_saw(&d, LOCKED_OUT));
    assert_int_equal(l->unlocks, 0);
    assert_int_equal(l->lockout, 1);
}

/* su - alice by bob (PAM_RUSER bob): no reset of alice unless the service
 * is named in `services`; one's own account (sudo) is reset anywhere. */
static void test_other_account_only_where_named(void **state)
{
    static const char NOT_OTHER[] = "Password reset is not offered here for another account.";
    struct drive d;

    (void)state;
    alice();
    drive_start_as(&d, &cfg, "alice", "bob", "offer", "su-l");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_UNAVAILABLE);
    drive_end(&d);
    assert_true(drive_saw(&d, NOT_OTHER));
    assert_int_equal(mem.calls[MEM_RESOLVE], 0); /* decided before any lookup */
    /* one's own account at sudo */
    drive_start_as(&d, &cfg, "alice", "alice", "offer", "sudo");
    drive_expect_prompt(&d, CODE);
    drive_cancel(&d);
    drive_next(&d);
    drive_end(&d);
    /* named: su-l resets the other account */
    snprintf(cfg.services, sizeof(cfg.services), "login su su-l");
    drive_start_as(&d, &cfg, "alice", "bob", "offer", "su-l");
    drive_expect_prompt(&d, CODE);
    drive_cancel(&d);
    drive_next(&d);
    drive_end(&d);
    /* listed services still refuse the others */
    drive_start_as(&d, &cfg, "alice", "bob", "offer", "sudo");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    drive_end(&d);
    assert_true(drive_saw(&d, "Password reset is not offered here."));
}

/* The first prompt does not wait for the account: with a backend on this
 * machine the lookup runs while the user reads it (here a lookup that
 * blocks until the test lets it go: the code prompt arrives first), and the
 * reset still ends as it would. A remote directory is asked before any
 * prompt, so that "it is down" comes first. */
static void test_first_prompt_before_the_lookup(void **state)
{
    struct drive d;
    struct mem_account *a;
    int slow[2];

    (void)state;
    a = alice();
    assert_int_equal(pipe(slow), 0);
    mem.resolve_wait_fd = slow[0];
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    assert_int_equal(mem.calls[MEM_RESOLVE], 0); /* still looking */
    /* one byte per lookup: this one and the check before the commit */
    assert_int_equal(write(slow[1], "xxxxxxxx", 8), 8);
    {
        char code[8];

        drive_totp(SECRET, 0, code);
        drive_answer(&d, code);
    }
    set_new_password(&d, GOOD_PW);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_RESET_DONE);
    assert_int_equal(drive_end(&d), 0);
    assert_string_equal(a->password, GOOD_PW);
    mem.resolve_wait_fd = -1;
    close(slow[0]);
    close(slow[1]);

    /* a remote directory: looked up before the prompt */
    static struct sspr_backend_ops remote;
    remote = mem_backend_ops;
    remote.caps = SSPR_BE_REMOTE;
    drive_ops = &remote;
    memset(mem.calls, 0, sizeof(mem.calls));
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    assert_int_equal(mem.calls[MEM_RESOLVE], 1);
    drive_cancel(&d);
    (void)drive_end(&d);
    drive_ops = NULL;
}

/* A machine that could not finish a reset (here the backend's prepare
 * fails; for real, libpam or liboath cannot be loaded) says so at the
 * first answer, before it is judged: the right code is not spent, nothing
 * is charged, no password is set. The same through the menu, before a
 * method is asked. */
static void test_unready_machine_judges_nothing(void **state)
{
    struct drive d;
    struct mem_account *a;
    char code[8];

    (void)state;
    a = alice();
    mem.prepare_fails = 1;
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code);
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_not_equal(d.result, SSPR_RESULT_RESET_DONE);
    (void)drive_end(&d);
    assert_true(drive_saw(&d, "Password reset is not available right now."));
    assert_int_equal(a->commits, 0);
    assert_true(mem_failures("alice") <= 0);
    assert_true(sspr_gate_material(&a->rec, sspr_gate_by_name("totp"))->counter < 0);

    /* with a menu: refused once a method is picked, before it asks */
    cfg.questions_enabled = 1;
    cfg.user_methods |= SSPR_M_QUESTIONS;
    cfg.questions_asked = 3;
    drive_start(&d, &cfg, "alice", "offer", "sshd");
    drive_expect_prompt(&d, "Choice [1]: ");
    drive_answer(&d, "2");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_not_equal(d.result, SSPR_RESULT_RESET_DONE);
    (void)drive_end(&d);
    assert_true(drive_saw(&d, "Password reset is not available right now."));
    assert_false(drive_saw(&d, "Question"));
    assert_true(mem_failures("alice") <= 0);
    mem.prepare_fails = 0;
}

/* A right answer's charge is given back once, whatever happens: here the
 * refund could not be written before the second gate (call 3 fails), went
 * with the second gate's charge, and that charge's record landed but the
 * call failed after it (call 4: a directory fsync that failed). The flow
 * ends there; the refund is not given a second time when it does. */
static void test_refund_given_once(void **state)
{
    struct drive d;
    char code[8], codes[10][20];
    struct mem_account *a;

    (void)state;
    a = admin_with_app_and_codes("root3", 1006, codes);
    drive_start(&d, &cfg, "root3", "offer", "sshd");
    drive_expect_prompt(&d, CODE);
    drive_answer(&d, "000000"); /* charged: 1 */
    drive_expect_prompt(&d, CODE);
    drive_totp(SECRET, 0, code);
    drive_answer(&d, code); /* charged: 2, to be given back */
    mem_fail(MEM_THROTTLE_UPDATE, 3);
    mem.written_fail_at = 4;
    drive_expect_prompt(&d, CODE2);
    drive_answer(&d, codes[0]); /* given back and charged: 2, then the error */
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_not_equal(d.result, SSPR_RESULT_RESET_DONE);
    (void)drive_end(&d);
    assert_int_equal(mem.calls[MEM_THROTTLE_UPDATE], 4);
    assert_int_equal(mem_failures("root3"), 2);
    assert_int_equal(a->commits, 0);
}

static void test_register_recovery_codes(void **state)
{
    struct drive d;
    struct mem_account *b;

    (void)state;
    b = mem_add("bob", 1010, "");
    cfg.register_at_login = SSPR_REG_OFFER;
    drive_start(&d, &cfg, "bob", "register", "sshd");
    int t = drive_next(&d);
    assert_int_equal(t, SSPR_F_PROMPT_ECHO_ON);
    assert_non_null(strstr(drive_last(&d), "Set it up now? [Y/n] "));
    drive_answer(&d, "y");
    drive_expect_prompt(&d, "Number (Enter to stop): ");
    assert_true(drive_saw(&d, "1) authenticator app"));
    assert_true(drive_saw(&d, "2) recovery codes"));
    drive_answer(&d, "2");
    drive_expect_prompt(&d, "Type \"saved\" once you have stored them: ");
    drive_answer(&d, "saved");
    /* over sshd, the last messages go with one more prompt (sshd repeats them otherwise) */
    drive_expect_prompt(&d, "Press Enter to continue.");
    drive_answer(&d, "");
    assert_int_equal(drive_next(&d), SSPR_F_RESULT);
    assert_string_equal(d.result, SSPR_RESULT_REGISTERED);
    assert_true(drive_saw(&d, "Recovery codes registered."));
    drive_end(&d);
    const struct sspr_material *m = sspr_gate_material(&b->rec, sspr_gate_by_name("recovery"));
    assert_true(m->present);
    assert_int_equal(m->nvalues, 10);
    assert_true(b->rec.registered > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_with_app_code, setup),
        cmocka_unit_test_setup(test_unlock_keeps_the_password, setup),
        cmocka_unit_test_setup(test_other_account_only_where_named, setup),
        cmocka_unit_test_setup(test_unlock_declined_sets_a_password_and_unlocks, setup),
        cmocka_unit_test_setup(test_passwd_mode_and_ineligible_never_asked, setup),
        cmocka_unit_test_setup(test_wrong_then_right_and_replay, setup),
        cmocka_unit_test_setup(test_failure_delay_hides_the_work, setup),
        cmocka_unit_test_setup(test_dummy_path_reads_the_same, setup),
        cmocka_unit_test_setup(test_lockout, setup),
        cmocka_unit_test_setup(test_admin_needs_two_different_gates, setup),
        cmocka_unit_test_setup(test_menu_and_questions_never_alone, setup),
        cmocka_unit_test_setup(test_grant_race, setup),
        cmocka_unit_test_setup(test_refused_password_then_accepted, setup),
        cmocka_unit_test_setup(test_service_not_enabled, setup),
        cmocka_unit_test_setup(test_cancel_ends_denied, setup),
        cmocka_unit_test_setup(test_hello_lang_checked, setup),
        cmocka_unit_test_setup(test_first_prompt_before_the_lookup, setup),
        cmocka_unit_test_setup(test_unready_machine_judges_nothing, setup),
        cmocka_unit_test_setup(test_refund_given_once, setup),
        cmocka_unit_test_setup(test_register_recovery_codes, setup),
        cmocka_unit_test_setup(test_empty_code_cancels_uncounted, setup),
        cmocka_unit_test_setup(test_method_block_says_what_still_works, setup),
        cmocka_unit_test_setup(test_backend_failure_at_each_call, setup),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
