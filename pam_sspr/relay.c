/* Relay loop: the module is a dumb terminal for the helper. Every read has
 * a deadline; every frame is checked against the state table; anything
 * unexpected ends the flow as a failure. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "kv.h"
#include "language.h"
#include "module_log.h"
#include "relay.h"
#include "service.h"
#include "wipe.h"
#include "wire.h"

#define CANCEL_GRACE_S 2u /* for the helper's RESULT after a CANCEL */

int sspr_converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const void *item = NULL;
    const struct pam_conv *conv;
    struct pam_message msg;
    const struct pam_message *msgp = &msg;
    struct pam_response *resp = NULL;
    int prompt = (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON);
    int rc;

    if (answer != NULL)
        *answer = NULL;
    if (prompt && answer == NULL)
        return PAM_CONV_ERR;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
        return PAM_CONV_ERR;
    conv = item;
    if (conv->conv == NULL)
        return PAM_CONV_ERR;
    msg.msg_style = style;
    msg.msg = text;
    rc = conv->conv(1, &msgp, &resp, conv->appdata_ptr);
    if (rc == PAM_SUCCESS && prompt && resp != NULL && resp[0].resp != NULL) {
        *answer = resp[0].resp;
        free(resp);
        return PAM_SUCCESS;
    }
    if (resp != NULL) {
        sspr_wipe_free_str(resp[0].resp);
        free(resp);
    }
    if (rc != PAM_SUCCESS || prompt)
        return PAM_CONV_ERR; /* failed, or no answer: never an empty answer */
    return PAM_SUCCESS;
}

static const char *item_str(pam_handle_t *pamh, int type)
{
    const void *v = NULL;

    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
        return NULL;
    return v;
}

static int non_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* sshd (OpenSSH 9.2) sends the messages that come after the last prompt of
 * a failed keyboard-interactive attempt as an info request without
 * prompts, and the ssh client prints those through its log, which escapes
 * every byte above 127 ("ge\303\244ndert"). Messages that travel with a
 * prompt are printed as they are. So over sshd, when the last words are
 * not plain ASCII (a translation), one more prompt carries them. */
static void sshd_last_words(pam_handle_t *pamh, const struct sspr_args *args, int pending)
{
    char *answer = NULL;

    if (!pending ||
        strcmp(item_str(pamh, PAM_SERVICE) ? item_str(pamh, PAM_SERVICE) : "", "sshd") != 0)
        return;
    if (sspr_converse(pamh, PAM_PROMPT_ECHO_ON, sspr_tr(args->lang, "Press Enter to continue."),
                      &answer) == PAM_SUCCESS)
        sspr_wipe_free_str(answer);
}

void sspr_say_unavailable(pam_handle_t *pamh, const struct sspr_args *args)
{
    const char *text = sspr_tr(args->lang, SSPR_MSG_UNAVAILABLE);

    (void)sspr_converse(pamh, PAM_ERROR_MSG, text, NULL);
    sshd_last_words(pamh, args, non_ascii(text));
}

static int fail(pam_handle_t *pamh, const struct sspr_args *args, const char *what, int err)
{
    SSPR_ERR(pamh, "password reset failed: %s%s%s", what, err ? ": " : "",
             err ? sspr_wire_strerror(err) : "");
    sspr_say_unavailable(pamh, args);
    return PAM_AUTHINFO_UNAVAIL;
}

static int send_hello(pam_handle_t *pamh, const struct sspr_args *args, int fd, const char *user,
                      const char *mode, int64_t deadline)
{
    char buf[SSPR_WIRE_MAX_PAYLOAD];
    char ver[16];
    size_t len = 0;
    int rc;

    (void)snprintf(ver, sizeof(ver), "%d", SSPR_WIRE_VERSION);
    if (sspr_kv_append(buf, sizeof(buf), &len, "version", ver) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "user", user) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "service", item_str(pamh, PAM_SERVICE)) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "rhost", item_str(pamh, PAM_RHOST)) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "tty", item_str(pamh, PAM_TTY)) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "ruser", item_str(pamh, PAM_RUSER)) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "mode", mode) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "lang", sspr_language_name(args->lang)) != 0)
        return SSPR_WIRE_EPROTO;
    rc = sspr_wire_send(fd, SSPR_F_HELLO, buf, len, deadline);
    SSPR_WIPE_ARRAY(buf); /* may hold a name typed at the kiosk prompt */
    return rc;
}

static void send_cancel(int fd, enum sspr_wire_state *st, int64_t deadline)
{
    if (sspr_wire_transition(st, SSPR_DIR_TO_HELPER, SSPR_F_CANCEL) == SSPR_WIRE_OK)
        (void)sspr_wire_send(fd, SSPR_F_CANCEL, NULL, 0, deadline);
}

/* Ask the user the helper's question and send exactly one ANSWER or
 * CANCEL. Returns PAM_SUCCESS to go on, or the PAM code to end with. */
static int relay_prompt(pam_handle_t *pamh, int fd, const struct sspr_args *args,
                        enum sspr_wire_state *st, const struct sspr_frame *f)
{
    int64_t deadline = sspr_now_ms() + (int64_t)args->timeout * 1000;
    int style = f->type == SSPR_F_PROMPT_ECHO_ON ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF;
    char *answer = NULL;
    size_t alen;
    int rc;

    if (sspr_converse(pamh, style, f->payload, &answer) != PAM_SUCCESS) {
        SSPR_DEBUG(pamh, args->debug, "conversation failed: cancelling the reset");
        send_cancel(fd, st, deadline);
        return PAM_AUTH_ERR;
    }
    alen = strlen(answer);
    if (alen > PAM_MAX_RESP_SIZE) {
        sspr_wipe_free_str(answer);
        SSPR_DEBUG(pamh, args->debug, "answer over %d bytes: cancelling the reset",
                   PAM_MAX_RESP_SIZE);
        send_cancel(fd, st, deadline);
        (void)sspr_converse(pamh, PAM_ERROR_MSG, sspr_tr(args->lang, "That answer is too long."),
                            NULL);
        return PAM_AUTH_ERR;
    }
    deadline = sspr_now_ms() + (int64_t)args->timeout * 1000; /* the user took a while */
    rc = sspr_wire_transition(st, SSPR_DIR_TO_HELPER, SSPR_F_ANSWER);
    if (rc == SSPR_WIRE_OK)
        rc = sspr_wire_send(fd, SSPR_F_ANSWER, answer, alen, deadline);
    sspr_wipe_free_str(answer);
    if (rc != SSPR_WIRE_OK)
        return fail(pamh, args, "sending the answer", rc);
    return PAM_SUCCESS;
}

static int map_result(pam_handle_t *pamh, const struct sspr_args *args, const char *mode,
                      const struct sspr_frame *f, enum sspr_outcome *outcome, int *pending)
{
    static const struct {
        const char *word;
        int code;
    } results[] = {
        { SSPR_RESULT_RESET_DONE, PAM_AUTH_ERR }, /* sign in again, never SUCCESS */
        { SSPR_RESULT_DECLINED, PAM_AUTH_ERR },
        { SSPR_RESULT_DENIED, PAM_AUTH_ERR },
        { SSPR_RESULT_UNAVAILABLE, PAM_AUTHINFO_UNAVAIL }, /* the helper said why */
        { SSPR_RESULT_UNLOCKED, PAM_AUTH_ERR }, /* sign in again, with the same password */
        /* account stage (registration); sspr_run_reset never lets these pass */
        { SSPR_RESULT_REGISTERED, PAM_SUCCESS },
        { SSPR_RESULT_SKIPPED, PAM_IGNORE },
        { SSPR_RESULT_REQUIRED, PAM_PERM_DENIED },
    };

    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        if (f->len == strlen(results[i].word) && strcmp(f->payload, results[i].word) == 0) {
            SSPR_DEBUG(pamh, args->debug, "helper result: %s", results[i].word);
            if (i == 0) {
                const char *done = sspr_tr(args->lang, SSPR_MSG_RESET_DONE);

                *outcome = SSPR_OUTCOME_RESET_DONE;
                /* gnome-shell drops pending info messages when the
                   authentication fails, which it does next */
                if (strcmp(mode, "passwd") != 0)
                    (void)sspr_converse(pamh,
                                        sspr_service_screen(item_str(pamh, PAM_SERVICE)) ==
                                                SSPR_SCREEN_GNOME_SHELL
                                            ? PAM_ERROR_MSG
                                            : PAM_TEXT_INFO,
                                        done, NULL);
                if (pending != NULL && strcmp(mode, "passwd") != 0)
                    *pending |= non_ascii(done);
            } else if (strcmp(results[i].word, SSPR_RESULT_UNLOCKED) == 0) {
                const char *unlocked = sspr_tr(args->lang, SSPR_MSG_UNLOCKED);

                *outcome = SSPR_OUTCOME_UNLOCKED;
                (void)sspr_converse(pamh, PAM_TEXT_INFO, unlocked, NULL);
                if (pending != NULL)
                    *pending |= non_ascii(unlocked);
            }
            return results[i].code;
        }
    }
    return fail(pamh, args, "unknown RESULT from the helper", 0);
}

/* The user's conversation failed and CANCEL was sent: the helper may still
 * say how the flow ended (registration needs that to hold `require`).
 * Nothing is shown; no RESULT in time means the failure stands. */
static int after_cancel(pam_handle_t *pamh, int fd, const struct sspr_args *args, const char *mode,
                        enum sspr_wire_state *st, int rc, bool *orderly)
{
    struct sspr_frame f;
    unsigned wait_s = args->timeout < CANCEL_GRACE_S ? args->timeout : CANCEL_GRACE_S;

    if (sspr_wire_recv(fd, &f, sspr_now_ms() + (int64_t)wait_s * 1000) == SSPR_WIRE_OK &&
        sspr_wire_transition(st, SSPR_DIR_TO_MODULE, f.type) == SSPR_WIRE_OK &&
        f.type == SSPR_F_RESULT) {
        enum sspr_outcome ignored = SSPR_OUTCOME_NONE;
        int mapped = map_result(pamh, args, mode, &f, &ignored, NULL);
        if (mapped == PAM_PERM_DENIED)
            rc = mapped; /* the only outcome that may change after a cancel */
    }
    sspr_frame_wipe(&f);
    /* the module ended the protocol itself: the helper may exit in peace */
    if (orderly != NULL)
        *orderly = true;
    return rc;
}

int sspr_relay(pam_handle_t *pamh, int fd, const struct sspr_args *args, const char *user,
               const char *mode, bool *orderly, enum sspr_outcome *outcome)
{
    enum sspr_wire_state st = SSPR_WS_START;
    enum sspr_outcome scratch = SSPR_OUTCOME_NONE;
    struct sspr_frame f;
    int rc, pending = 0; /* a non-ASCII message since the last prompt */

    if (orderly != NULL)
        *orderly = false;
    if (outcome == NULL)
        outcome = &scratch;
    *outcome = SSPR_OUTCOME_NONE;

    if (sspr_wire_transition(&st, SSPR_DIR_TO_HELPER, SSPR_F_HELLO) != SSPR_WIRE_OK)
        return fail(pamh, args, "state", SSPR_WIRE_ESTATE);
    rc = send_hello(pamh, args, fd, user, mode, sspr_now_ms() + (int64_t)args->timeout * 1000);
    /* A helper that gives up early (bad config) may have written its
     * ERROR and RESULT and gone before reading HELLO: read what it left. */
    if (rc == SSPR_WIRE_EIO)
        SSPR_DEBUG(pamh, args->debug, "helper gone before HELLO: reading what it sent");
    else if (rc != SSPR_WIRE_OK)
        return fail(pamh, args, "sending HELLO", rc);
    for (;;) {
        bool cancelled = false;
        rc = sspr_wire_recv(fd, &f, sspr_now_ms() + (int64_t)args->timeout * 1000);
        if (rc == SSPR_WIRE_OK)
            rc = sspr_wire_transition(&st, SSPR_DIR_TO_MODULE, f.type);
        if (rc != SSPR_WIRE_OK) {
            sspr_frame_wipe(&f);
            return fail(pamh, args, "reading from the helper", rc);
        }
        switch (f.type) {
        case SSPR_F_PROMPT_ECHO_OFF:
        case SSPR_F_PROMPT_ECHO_ON:
            rc = relay_prompt(pamh, fd, args, &st, &f);
            cancelled = st == SSPR_WS_CANCELLED;
            pending = 0;
            break;
        case SSPR_F_INFO:
        case SSPR_F_ERROR:
            (void)sspr_converse(pamh, f.type == SSPR_F_INFO ? PAM_TEXT_INFO : PAM_ERROR_MSG,
                                f.payload, NULL);
            pending |= non_ascii(f.payload);
            rc = PAM_SUCCESS;
            break;
        case SSPR_F_RESULT:
            rc = map_result(pamh, args, mode, &f, outcome, &pending);
            sspr_frame_wipe(&f);
            if (orderly != NULL)
                *orderly = true;
            sshd_last_words(pamh, args, pending);
            return rc; /* RESULT is final, whatever it maps to */
        default: /* the state table lets nothing else through */
            rc = fail(pamh, args, "unexpected frame", SSPR_WIRE_ESTATE);
            break;
        }
        sspr_frame_wipe(&f);
        if (cancelled)
            return after_cancel(pamh, fd, args, mode, &st, rc, orderly);
        if (rc != PAM_SUCCESS)
            return rc;
    }
}
