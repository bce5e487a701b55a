/* `enroll` and `unenroll`. Secrets go to stdout once (the otpauth URI, the
 * recovery codes) and only after the record holding them is on disk;
 * everything else goes to stderr, so `> file` captures only them. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin/cli.h"
#include "admin/cli_util.h"
#include "delivery/email.h"
#include "delivery/sms.h"
#include "gates/enroll_material.h"
#include "proofs/questions.h"
#include "support/qr.h"
#include "gates/questions_bank.h"
#include "wipe.h"

static const char ENROLL_USAGE[] =
    "usage: sspr-helper enroll USER --totp | --recovery-codes | --email ADDRESS |\n"
    "                               --phone +NUMBER | --questions [--list]\n"
    "       sspr-helper unenroll USER totp|recovery|email|sms|questions|all\n";

static int save(const struct sspr_config *cfg, const struct target *t, const char *field,
                json_t *value)
{
    struct sspr_set_field sf = { field, value };
    return sspr_cli_edit_record(cfg, t, sspr_local_set_field, &sf);
}

static int enroll_totp(const struct sspr_config *cfg, const struct target *t)
{
    struct sspr_new_totp nt;
    json_t *obj = NULL;
    int rc = 1;

    if (sspr_new_totp_make(cfg, t->name, &nt) == 0 && (obj = sspr_new_totp_json(&nt, -1)) != NULL)
        rc = save(cfg, t, "totp", obj);
    if (rc == 0) {
        printf("%s\n", nt.uri);
        if (isatty(STDOUT_FILENO))
            (void)sspr_qr_print(stdout, nt.uri);
        fflush(stdout);
        fprintf(stderr, "Authenticator app enrolled for %s: scan the QR code or add the URI above.\n"
                        "Anyone who sees it can make codes: clear the screen afterwards.\n", t->name);
    }
    json_decref(obj);
    sspr_new_totp_wipe(&nt);
    return rc;
}

static int enroll_recovery(const struct sspr_config *cfg, const struct target *t)
{
    struct sspr_new_recovery nr;
    int rc = 1;

    if (sspr_new_recovery_make(&nr) == 0)
        rc = save(cfg, t, "recovery", nr.stored);
    if (rc == 0) {
        for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
            printf("%s\n", nr.codes[i]);
        fflush(stdout);
        fprintf(stderr, "New recovery codes for %s (any earlier ones no longer work).\n"
                        "Each works once. They are shown only now: keep them somewhere safe.\n",
                t->name);
    }
    sspr_new_recovery_wipe(&nr);
    return rc;
}

/* email / phone: set by an admin, who vouches for the address. */
static int enroll_address(const struct sspr_config *cfg, const struct target *t, int email,
                          const char *value)
{
    json_t *obj;
    int rc;

    if (email ? !sspr_email_valid(value) : !sspr_phone_valid(value)) {
        fprintf(stderr, "sspr-helper: %s is not a valid %s\n", value,
                email ? "email address" : "phone number (E.164, like +4915112345678)");
        return 2;
    }
    obj = json_pack("{s:s, s:s, s:I}", email ? "address" : "number", value, "source", "admin",
                    "enrolled", (json_int_t)time(NULL));
    rc = obj ? save(cfg, t, email ? "email" : "phone", obj) : 1;
    json_decref(obj);
    if (rc == 0) {
        fprintf(stderr, "%s for %s set to %s.\n", email ? "Email address" : "Phone number",
                t->name, value);
        if (email ? !sspr_config_email_on(cfg) : !sspr_config_sms_on(cfg))
            fprintf(stderr, "Note: [%s] is not configured yet, so this method is not offered.\n",
                    email ? "email" : "sms");
    }
    return rc;
}

/* One line from stdin without echo when it is a terminal. */
static int read_line(const char *prompt, int secret, char *buf, size_t len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO), off = 0;

    if (tty) {
        fputs(prompt, stderr);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= (tcflag_t)~ECHO;
            off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    char *got = fgets(buf, (int)len, stdin);
    if (off) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (got == NULL)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* Questions: on a terminal, asked interactively; otherwise stdin carries
 * one "N<TAB>answer" line per question (N from `--questions --list`). */
static int enroll_questions(const struct sspr_config *cfg, const struct target *t, int list_only)
{
    struct sspr_qbank bank;
    char line[SSPR_QBANK_LINE + 600], answer[600];
    json_t *holder = json_object();
    int tty = isatty(STDIN_FILENO), rc = 1, have = 0;

    if (sspr_qbank_load(cfg, &bank) != 0) {
        fprintf(stderr, "sspr-helper: question bank %s unreadable or has fewer than %d questions\n",
                cfg->questions_file, cfg->questions_required);
        json_decref(holder);
        return 1;
    }
    for (size_t i = 0; i < bank.n && (list_only || tty); i++) {
        if (list_only)
            printf("%zu\t%s\n", i + 1, bank.q[i]);
        else
            fprintf(stderr, "%2zu) %s\n", i + 1, bank.q[i]);
    }
    if (list_only) {
        json_decref(holder);
        return 0;
    }
    if (!cfg->questions_enabled)
        fprintf(stderr, "Note: [policy] questions_enabled = no, so questions are not offered yet.\n");
    unsigned used[SSPR_QBANK_MAX] = { 0 };
    while (have < cfg->questions_required) {
        unsigned long n;
        char *end, *ans;
        if (tty) {
            if (read_line("Question number: ", 0, line, sizeof(line)) != 0)
                break;
            n = strtoul(line, &end, 10);
            if (read_line("Answer (not shown): ", 1, answer, sizeof(answer)) != 0)
                break;
            ans = answer;
        } else {
            if (read_line("", 0, line, sizeof(line)) != 0)
                break;
            n = strtoul(line, &end, 10);
            if (*end != '\t') {
                fprintf(stderr, "sspr-helper: expected \"N<TAB>answer\" lines\n");
                break;
            }
            ans = end + 1;
        }
        if (n < 1 || n > bank.n || used[n - 1]) {
            fprintf(stderr, "Choose a question number from the list, each once.\n");
            if (!tty)
                break;
            continue;
        }
        if (sspr_questions_add(holder, bank.q[n - 1], ans) != 0) {
            fprintf(stderr, "That answer is too short (at least 3 characters). Try again.\n");
            if (!tty)
                break;
            continue;
        }
        used[n - 1] = 1;
        have++;
    }
    SSPR_WIPE_ARRAY(answer);
    SSPR_WIPE_ARRAY(line);
    if (have == cfg->questions_required) {
        rc = save(cfg, t, "questions", json_object_get(holder, "questions"));
        if (rc == 0)
            fprintf(stderr, "%d security questions registered for %s.\n", have, t->name);
    } else {
        fprintf(stderr, "sspr-helper: %d of %d questions answered; nothing was changed\n", have,
                cfg->questions_required);
    }
    json_decref(holder);
    return rc;
}

int sspr_cli_enroll(const struct sspr_config *cfg, int argc, char **argv)
{
    struct target t;

    if (argc < 2 || argc > 3) {
        fputs(ENROLL_USAGE, stderr);
        return 2;
    }
    const char *what = argv[1], *arg = argc == 3 ? argv[2] : NULL;
    int known = (strcmp(what, "--totp") == 0 || strcmp(what, "--recovery-codes") == 0) ? !arg
              : (strcmp(what, "--email") == 0 || strcmp(what, "--phone") == 0) ? arg != NULL
              : strcmp(what, "--questions") == 0 ? (!arg || strcmp(arg, "--list") == 0)
              : 0;
    if (!known) {
        fputs(ENROLL_USAGE, stderr);
        return 2;
    }
    if (arg != NULL && strcmp(arg, "--list") == 0)
        return enroll_questions(cfg, NULL, 1);
    if (sspr_cli_find_user(argv[0], &t) != 0)
        return 1;
    if (strcmp(what, "--totp") == 0)
        return enroll_totp(cfg, &t);
    if (strcmp(what, "--recovery-codes") == 0)
        return enroll_recovery(cfg, &t);
    if (strcmp(what, "--questions") == 0)
        return enroll_questions(cfg, &t, 0);
    return enroll_address(cfg, &t, strcmp(what, "--email") == 0, arg);
}

static const char *const UNENROLL_FIELDS[][2] = {
    { "totp", "totp" }, { "recovery", "recovery" }, { "email", "email" },
    { "sms", "phone" }, { "questions", "questions" },
};

int sspr_cli_unenroll(const struct sspr_config *cfg, int argc, char **argv)
{
    struct target t;
    const char *field = NULL;
    int rc;

    if (argc != 2) {
        fputs(ENROLL_USAGE, stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(UNENROLL_FIELDS) / sizeof(UNENROLL_FIELDS[0]); i++)
        if (strcmp(argv[1], UNENROLL_FIELDS[i][0]) == 0)
            field = UNENROLL_FIELDS[i][1];
    if (field == NULL && strcmp(argv[1], "all") != 0) {
        fputs(ENROLL_USAGE, stderr);
        return 2;
    }
    if (sspr_cli_find_user(argv[0], &t) != 0)
        return 1;
    if (field == NULL) {
        rc = sspr_cli_edit_record(cfg, &t, sspr_local_drop_methods, NULL);
    } else {
        struct sspr_set_field sf = { field, NULL };
        rc = sspr_cli_edit_record(cfg, &t, sspr_local_set_field, &sf);
    }
    if (rc == 0)
        fprintf(stderr, "Removed %s for %s.\n", argv[1], t.name);
    return rc;
}
