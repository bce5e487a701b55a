/* sspr-bench: the scripted PAM conversation. It runs in the PAM
 * application's place (like sshd or login, in process), stamps the moments
 * the measurements need with CLOCK_MONOTONIC and does nothing slow between
 * a stamp and handing the answer back. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* With BENCH_TRACE set (bench/inside.sh's "where the time goes" passes),
 * a mark for bench/tracepre.so: fsync(-200 - n) fails at once with EBADF.
 * 1 conversation entered, 2 "y" handed back, 3 the code prompt, 4 the code
 * answer handed back, 5 pam_authenticate returned. */
static void trace_mark(int n)
{
    static int on = -1;

    if (on < 0)
        on = getenv("BENCH_TRACE") != NULL;
    if (on)
        (void)fsync(-200 - n);
}

static int is_code_prompt(const char *m)
{
    return strstr(m, "code") != NULL || strstr(m, "Code") != NULL;
}

/* The number of the menu line naming `word` ("  2) A code sent to your email"). */
static int menu_pick(const char *menu, const char *word)
{
    const char *p = menu;

    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        char line[256];

        snprintf(line, sizeof(line), "%.*s", (int)(len < 255 ? len : 255), p);
        if (strstr(line, word) != NULL) {
            const char *d = line;
            while (*d == ' ')
                d++;
            if (*d >= '1' && *d <= '9')
                return atoi(d);
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return -1;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct flow *fl = data;
    double t = now_us();
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    bool stamp_yes = false, stamp_answer = false;
    char pick[16];

    if (r == NULL)
        return PAM_BUF_ERR;
    trace_mark(1);
    if (fl->t_answered > 0 && fl->t_after == 0)
        fl->t_after = t;
    for (int i = 0; i < n; i++) {
        const char *m = msg[i]->msg != NULL ? msg[i]->msg : "";
        const char *ans = NULL;

        if (msg[i]->msg_style == PAM_TEXT_INFO || msg[i]->msg_style == PAM_ERROR_MSG) {
            snprintf(fl->last_msg, sizeof(fl->last_msg), "%s", m);
            if (strstr(m, "has been changed") != NULL && fl->t_done == 0)
                fl->t_done = t;
            if (strstr(m, "not valid") != NULL)
                fl->bad_code_msg = true;
            if (strstr(m, "1)") != NULL || strstr(m, "1.") != NULL)
                snprintf(fl->menu, sizeof(fl->menu), "%s", m);
            continue;
        }
        if (fl->t_yes > 0 && fl->t_first == 0)
            fl->t_first = t;
        if (m[0] == 'P' && strncmp(m, "Password", 8) == 0 && fl->t_yes == 0) {
            ans = fl->password != NULL ? fl->password : "";
        } else if (strstr(m, "Type y") != NULL) { /* the offer */
            ans = fl->decline ? "n" : "y";
            stamp_yes = !fl->decline;
        } else if (strncmp(m, "Choice", 6) == 0) {
            int k = fl->choice_word != NULL ? menu_pick(fl->menu, fl->choice_word) : -1;
            if (k < 0)
                goto cancel;
            snprintf(pick, sizeof(pick), "%d", k);
            ans = pick;
        } else if (strncmp(m, "New password", 12) == 0 ||
                   strncmp(m, "Retype new password", 19) == 0) {
            if (fl->t_newpw == 0) {
                fl->t_newpw = t;
                if (fl->at_new_password != NULL)
                    fl->at_new_password(fl);
            }
            if (fl->new_password == NULL)
                goto cancel;
            ans = fl->new_password;
        } else if (is_code_prompt(m)) {
            if (fl->code_prompts++ == 0) {
                fl->t_code = t;
                fl->rt_code = now_realtime();
                trace_mark(3);
                if (fl->at_code_prompt != NULL)
                    fl->at_code_prompt(fl);
            }
            if (fl->code_action == CODE_CANCEL ||
                (fl->code_action == CODE_ANSWER_THEN_CANCEL && fl->code_prompts > 1) ||
                fl->code == NULL)
                goto cancel;
            ans = fl->code;
            stamp_answer = fl->t_answered == 0;
            if (stamp_answer && fl->before_answer != NULL)
                fl->before_answer(fl);
        } else {
            goto cancel; /* a prompt this script does not know: end the flow */
        }
        if ((r[i].resp = strdup(ans)) == NULL)
            goto cancel;
    }
    *resp = r;
    if (stamp_yes) {
        fl->t_yes = now_us();
        fl->rt_yes = now_realtime();
        trace_mark(2);
    }
    if (stamp_answer) {
        fl->t_answered = now_us();
        trace_mark(4);
    }
    return PAM_SUCCESS;
cancel:
    for (int i = 0; i < n; i++)
        free(r[i].resp);
    free(r);
    fl->t_cancel = now_us();
    return PAM_CONV_ERR;
}

int flow_run(const char *svc, const char *user, struct flow *fl, double *t_return)
{
    struct pam_conv pc = { conv, fl };
    pam_handle_t *pamh = NULL;
    int rc = pam_start(svc, user, &pc, &pamh);

    if (rc != PAM_SUCCESS)
        die("pam_start(%s) failed: %d", svc, rc);
    rc = pam_authenticate(pamh, 0);
    if (t_return != NULL)
        *t_return = now_us();
    trace_mark(5);
    pam_end(pamh, rc);
    return rc;
}

struct pw_ctx {
    const char *pw;
    char *msg; /* the last error or info text, for a failure's message */
    size_t msg_len;
};

static int pw_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pw_ctx *c = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if ((msg[i]->msg_style == PAM_ERROR_MSG || msg[i]->msg_style == PAM_TEXT_INFO) &&
            c->msg != NULL && msg[i]->msg != NULL)
            snprintf(c->msg, c->msg_len, "%s", msg[i]->msg);
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
            continue;
        if ((r[i].resp = strdup(c->pw)) == NULL) {
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_BUF_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

int chauthtok_run(const char *svc, const char *user, const char *newpw, char *msg, size_t msg_len)
{
    struct pw_ctx c = { newpw, msg, msg_len };
    struct pam_conv pc = { pw_conv, &c };
    pam_handle_t *pamh = NULL;
    int rc = pam_start(svc, user, &pc, &pamh);

    if (rc != PAM_SUCCESS)
        die("pam_start(%s) failed: %d", svc, rc);
    if (msg != NULL && msg_len > 0)
        msg[0] = '\0';
    rc = pam_chauthtok(pamh, 0);
    pam_end(pamh, rc);
    return rc;
}
