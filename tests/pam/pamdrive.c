/*
 * pamdrive: a scripted PAM application for whole-transaction tests.
 *
 *   pamdrive SERVICE USER [--op auth|chauthtok|acct|open|setcred[,...]]
 *            [--rhost HOST] [--tty TTY] [--ruser NAME] [--confdir DIR]
 *            [--silent] [--disallow-null] [--expired-only]
 *            [--show-delay] [--show-user] [--timeout SECONDS]
 *            [--setlocale NAME] [--putenv NAME=VALUE]... [--show-locale]
 *
 * USER "!NULL" starts without a user (modules then ask for one); a USER
 * starting with "hex:" is hex-decoded (for names with control characters).
 *
 * Conversation, one line per message on stdout (flushed at once):
 *   ECHO_OFF <text>   ECHO_ON <text>   INFO <text>   ERROR <text>
 *   BINARY            (a binary prompt: answered with PAM_CONV_ERR)
 * <text> is escaped so that it stays on one line: '\' -> "\\", newline ->
 * "\n", CR -> "\r", tab -> "\t", other bytes < 0x20 and 0x7f -> "\xHH".
 * For each ECHO_OFF/ECHO_ON one answer line is read from stdin:
 *   any text        the answer (the trailing newline is dropped)
 *   !CONV_ERR       the conversation returns PAM_CONV_ERR
 *   !BUF_ERR        the conversation returns PAM_BUF_ERR
 *   !NULL_RESP      the conversation returns PAM_SUCCESS with *resp = NULL
 *   !NULL_ANSWER    PAM_SUCCESS, but this message's resp field is NULL
 *   !HEX <hex>      the answer is these bytes (no NUL)
 *   !REPEAT <n> <c> the answer is the character c repeated n times
 *   !EOF, or end of stdin: PAM_CONV_ERR
 *
 * After each operation:   RESULT <PAM_CODE_NAME> <number>
 * (operations listed with commas run in one transaction and stop at the
 * first failure). With --show-user, "USER <name>" (PAM_USER, escaped) is
 * printed before each RESULT; with --show-delay, "DELAY <usec>" when a
 * module asks for a failure delay (the delay itself is never slept: the
 * program installs its own PAM_FAIL_DELAY function, so failed tests are
 * fast). Exit status 0 when the transaction ran (whatever its result), 2
 * on usage errors, 3 when pam_start failed.
 *
 * Languages: --setlocale NAME calls setlocale(LC_ALL, NAME) first, as login
 * and greeters do ("" reads LANG...); --putenv puts a variable into the PAM
 * environment before the first operation, as a module before ours could;
 * --show-locale prints, after pam_end,
 *   LOCALE <setlocale(LC_ALL, NULL)> THREAD <global|own> TEXTDOMAIN <name>
 * so a test sees whether the modules left the program's locale alone.
 */
#include "autoconf.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

struct code_name {
    int code;
    const char *name;
};

#define C(x) { x, #x }
static const struct code_name codes[] = {
    C(PAM_SUCCESS), C(PAM_OPEN_ERR), C(PAM_SYMBOL_ERR), C(PAM_SERVICE_ERR),
    C(PAM_SYSTEM_ERR), C(PAM_BUF_ERR), C(PAM_PERM_DENIED), C(PAM_AUTH_ERR),
    C(PAM_CRED_INSUFFICIENT), C(PAM_AUTHINFO_UNAVAIL), C(PAM_USER_UNKNOWN),
    C(PAM_MAXTRIES), C(PAM_NEW_AUTHTOK_REQD), C(PAM_ACCT_EXPIRED), C(PAM_SESSION_ERR),
    C(PAM_CRED_UNAVAIL), C(PAM_CRED_EXPIRED), C(PAM_CRED_ERR), C(PAM_NO_MODULE_DATA),
    C(PAM_CONV_ERR), C(PAM_AUTHTOK_ERR), C(PAM_AUTHTOK_RECOVERY_ERR),
    C(PAM_AUTHTOK_LOCK_BUSY), C(PAM_AUTHTOK_DISABLE_AGING), C(PAM_TRY_AGAIN),
    C(PAM_IGNORE), C(PAM_ABORT), C(PAM_AUTHTOK_EXPIRED), C(PAM_MODULE_UNKNOWN),
#ifdef PAM_BAD_ITEM
    C(PAM_BAD_ITEM),
#endif
#ifdef PAM_CONV_AGAIN
    C(PAM_CONV_AGAIN),
#endif
#ifdef PAM_INCOMPLETE
    C(PAM_INCOMPLETE),
#endif
};
#undef C

static int show_delay;

static const char *code_name(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "PAM_UNKNOWN_CODE";
}

static void put_escaped(const char *s)
{
    if (s == NULL) {
        fputs("(null)", stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                printf("\\x%02x", *p);
            else
                putchar(*p);
        }
    }
}

static void emit(const char *kind, const char *text)
{
    fputs(kind, stdout);
    if (text != NULL) {
        putchar(' ');
        put_escaped(text);
    }
    putchar('\n');
    fflush(stdout);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex into a new string; NULL on bad input or a NUL byte. */
static char *unhex(const char *h)
{
    size_t n = strlen(h);
    char *out;

    if (n % 2 != 0)
        return NULL;
    out = malloc(n / 2 + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[i] = (char)(hi * 16 + lo);
    }
    out[n / 2] = '\0';
    return out;
}

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

enum answer_kind { A_TEXT, A_CONV_ERR, A_BUF_ERR, A_NULL_RESP, A_NULL_ANSWER };

/* Read one answer line. Returns the kind; *text is malloc'd for A_TEXT. */
static enum answer_kind read_answer(char **text)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    *text = NULL;
    n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return A_CONV_ERR;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';

    if (strcmp(line, "!CONV_ERR") == 0 || strcmp(line, "!EOF") == 0) {
        wipe_free(line);
        return A_CONV_ERR;
    }
    if (strcmp(line, "!BUF_ERR") == 0) {
        wipe_free(line);
        return A_BUF_ERR;
    }
    if (strcmp(line, "!NULL_RESP") == 0) {
        wipe_free(line);
        return A_NULL_RESP;
    }
    if (strcmp(line, "!NULL_ANSWER") == 0) {
        wipe_free(line);
        return A_NULL_ANSWER;
    }
    if (strncmp(line, "!HEX ", 5) == 0) {
        *text = unhex(line + 5);
        wipe_free(line);
        if (*text == NULL) {
            fprintf(stderr, "pamdrive: bad !HEX answer\n");
            return A_CONV_ERR;
        }
        return A_TEXT;
    }
    if (strncmp(line, "!REPEAT ", 8) == 0) {
        char *end = NULL;
        long count = strtol(line + 8, &end, 10);
        if (end == NULL || *end != ' ' || end[1] == '\0' || count < 0 || count > 1 << 24) {
            fprintf(stderr, "pamdrive: bad !REPEAT answer\n");
            wipe_free(line);
            return A_CONV_ERR;
        }
        *text = malloc((size_t)count + 1);
        if (*text == NULL) {
            wipe_free(line);
            return A_BUF_ERR;
        }
        memset(*text, end[1], (size_t)count);
        (*text)[count] = '\0';
        wipe_free(line);
        return A_TEXT;
    }
    *text = line;
    return A_TEXT;
}

static void free_responses(struct pam_response *r, int n)
{
    if (r == NULL)
        return;
    for (int i = 0; i < n; i++)
        wipe_free(r[i].resp);
    free(r);
}

static int conv(int num_msg, const struct pam_message **msg, struct pam_response **resp,
                void *appdata)
{
    struct pam_response *r;

    (void)appdata;
    if (resp == NULL || num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    *resp = NULL;
    r = calloc((size_t)num_msg, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;

    for (int i = 0; i < num_msg; i++) {
        /* Linux-PAM passes an array of pointers (msg[i]) */
        const struct pam_message *m = msg[i];
        enum answer_kind k;
        char *text = NULL;

        switch (m->msg_style) {
        case PAM_TEXT_INFO:
            emit("INFO", m->msg);
            continue;
        case PAM_ERROR_MSG:
            emit("ERROR", m->msg);
            continue;
        case PAM_PROMPT_ECHO_OFF:
            emit("ECHO_OFF", m->msg);
            break;
        case PAM_PROMPT_ECHO_ON:
            emit("ECHO_ON", m->msg);
            break;
        default:
            emit("BINARY", NULL);
            free_responses(r, num_msg);
            return PAM_CONV_ERR;
        }

        k = read_answer(&text);
        switch (k) {
        case A_TEXT:
            r[i].resp = text;
            r[i].resp_retcode = 0;
            break;
        case A_NULL_ANSWER:
            r[i].resp = NULL;
            break;
        case A_NULL_RESP:
            free_responses(r, num_msg);
            *resp = NULL;
            return PAM_SUCCESS;
        case A_BUF_ERR:
            free_responses(r, num_msg);
            return PAM_BUF_ERR;
        case A_CONV_ERR:
        default:
            free_responses(r, num_msg);
            return PAM_CONV_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void fail_delay(int retval, unsigned usec_delay, void *appdata)
{
    (void)retval;
    (void)appdata;
    if (show_delay) {
        printf("DELAY %u\n", usec_delay);
        fflush(stdout);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: pamdrive SERVICE USER [--op auth|chauthtok|acct|open|setcred[,...]]\n"
                    "       [--rhost HOST] [--tty TTY] [--ruser NAME] [--confdir DIR] [--silent]\n"
                    "       [--disallow-null] [--expired-only] [--show-delay] [--show-user]\n"
                    "       [--timeout SECONDS] [--setlocale NAME] [--putenv NAME=VALUE]...\n"
                    "       [--show-locale]\n");
    exit(2);
}

static int run_op(pam_handle_t *pamh, const char *op, int flags, int expired_only)
{
    if (strcmp(op, "auth") == 0)
        return pam_authenticate(pamh, flags);
    if (strcmp(op, "acct") == 0)
        return pam_acct_mgmt(pamh, flags);
    if (strcmp(op, "chauthtok") == 0)
        return pam_chauthtok(pamh, flags | (expired_only ? PAM_CHANGE_EXPIRED_AUTHTOK : 0));
    if (strcmp(op, "open") == 0)
        return pam_open_session(pamh, flags);
    if (strcmp(op, "setcred") == 0)
        return pam_setcred(pamh, flags | PAM_ESTABLISH_CRED);
    fprintf(stderr, "pamdrive: unknown op %s\n", op);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *service, *user_arg, *ops = "auth";
    const char *rhost = NULL, *tty = NULL, *ruser = NULL, *confdir = NULL;
    char *user = NULL;
    int flags = 0, expired_only = 0, show_user = 0, show_locale = 0;
    const char *locale_name = NULL, *env[8];
    size_t nenv = 0;
    unsigned timeout = 300;
    struct pam_conv pc = { conv, NULL };
    pam_handle_t *pamh = NULL;
    int rc, last = PAM_SUCCESS;

    if (argc < 3)
        usage();
    service = argv[1];
    user_arg = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (strcmp(a, "--op") == 0)
            ops = NEXT();
        else if (strcmp(a, "--rhost") == 0)
            rhost = NEXT();
        else if (strcmp(a, "--tty") == 0)
            tty = NEXT();
        else if (strcmp(a, "--ruser") == 0)
            ruser = NEXT();
        else if (strcmp(a, "--confdir") == 0)
            confdir = NEXT();
        else if (strcmp(a, "--timeout") == 0)
            timeout = (unsigned)strtoul(NEXT(), NULL, 10);
        else if (strcmp(a, "--silent") == 0)
            flags |= PAM_SILENT;
        else if (strcmp(a, "--disallow-null") == 0)
            flags |= PAM_DISALLOW_NULL_AUTHTOK;
        else if (strcmp(a, "--expired-only") == 0)
            expired_only = 1;
        else if (strcmp(a, "--show-delay") == 0)
            show_delay = 1;
        else if (strcmp(a, "--show-user") == 0)
            show_user = 1;
        else if (strcmp(a, "--setlocale") == 0)
            locale_name = NEXT();
        else if (strcmp(a, "--putenv") == 0 && nenv < sizeof(env) / sizeof(env[0]))
            env[nenv++] = NEXT();
        else if (strcmp(a, "--show-locale") == 0)
            show_locale = 1;
        else
            usage();
#undef NEXT
    }

    if (locale_name != NULL && setlocale(LC_ALL, locale_name) == NULL) {
        fprintf(stderr, "pamdrive: setlocale(LC_ALL, \"%s\") failed\n", locale_name);
        return 2;
    }
    /* a hung module must not hang the test run forever */
    signal(SIGALRM, SIG_DFL);
    alarm(timeout);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(user_arg, "!NULL") == 0) {
        user = NULL;
    } else if (strncmp(user_arg, "hex:", 4) == 0) {
        user = unhex(user_arg + 4);
        if (user == NULL) {
            fprintf(stderr, "pamdrive: bad hex: user\n");
            return 2;
        }
    } else {
        user = strdup(user_arg);
        if (user == NULL)
            return 3;
    }

    if (confdir != NULL)
        rc = pam_start_confdir(service, user, &pc, confdir, &pamh);
    else
        rc = pam_start(service, user, &pc, &pamh);
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "pamdrive: pam_start: %s\n", code_name(rc));
        free(user);
        return 3;
    }
    if ((rhost && (rc = pam_set_item(pamh, PAM_RHOST, rhost)) != PAM_SUCCESS) ||
        (tty && (rc = pam_set_item(pamh, PAM_TTY, tty)) != PAM_SUCCESS) ||
        (ruser && (rc = pam_set_item(pamh, PAM_RUSER, ruser)) != PAM_SUCCESS) ||
        (rc = pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)fail_delay)) != PAM_SUCCESS) {
        fprintf(stderr, "pamdrive: pam_set_item: %s\n", code_name(rc));
        pam_end(pamh, rc);
        free(user);
        return 3;
    }
    for (size_t i = 0; i < nenv; i++) {
        if ((rc = pam_putenv(pamh, env[i])) == PAM_SUCCESS)
            continue;
        fprintf(stderr, "pamdrive: pam_putenv %s: %s\n", env[i], code_name(rc));
        pam_end(pamh, rc);
        free(user);
        return 3;
    }

    char *oplist = strdup(ops);
    if (oplist == NULL)
        return 3;
    char *save = NULL;
    for (char *op = strtok_r(oplist, ",", &save); op != NULL; op = strtok_r(NULL, ",", &save)) {
        last = run_op(pamh, op, flags, expired_only);
        if (show_user) {
            const void *item = NULL;
            if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item != NULL) {
                fputs("USER ", stdout);
                put_escaped(item);
                putchar('\n');
            } else {
                puts("USER !NULL");
            }
        }
        printf("RESULT %s %d\n", code_name(last), last);
        fflush(stdout);
        if (last != PAM_SUCCESS)
            break;
    }
    free(oplist);
    pam_end(pamh, last);
    free(user);
    if (show_locale) {
        const char *all = setlocale(LC_ALL, NULL), *dom = textdomain(NULL);
        printf("LOCALE %s THREAD %s TEXTDOMAIN %s\n", all ? all : "(null)",
               uselocale((locale_t)0) == LC_GLOBAL_LOCALE ? "global" : "own", dom ? dom : "(null)");
    }
    return 0;
}
