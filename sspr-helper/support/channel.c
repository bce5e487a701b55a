#include "autoconf.h"

#include <poll.h>
#include <string.h>

#include "support/channel.h"
#include "kv.h"
#include "wipe.h"

#define HELLO_TIMEOUT_MS 10000

void sspr_chan_init(struct sspr_channel *ch, int fd, int flow_timeout_s)
{
    ch->fd = fd;
    ch->state = SSPR_WS_START;
    ch->deadline_ms = sspr_now_ms() + (int64_t)flow_timeout_s * 1000;
    ch->broken = 0;
    ch->cancelled = 0;
    ch->answered = 0;
    ch->held[0] = '\0';
    ch->held_final = 0;
}

/* Receive one frame from the module and check it against the state table. */
static int recv_checked(struct sspr_channel *ch, struct sspr_frame *f, int64_t deadline)
{
    if (ch->broken)
        return -1;
    if (sspr_wire_recv(ch->fd, f, deadline) != SSPR_WIRE_OK ||
        sspr_wire_transition(&ch->state, SSPR_DIR_TO_HELPER, f->type) != SSPR_WIRE_OK) {
        ch->broken = 1;
        return -1;
    }
    return 0;
}

static int send_frame(struct sspr_channel *ch, uint8_t type, const char *text)
{
    if (ch->broken)
        return -1;
    if (sspr_wire_transition(&ch->state, SSPR_DIR_TO_MODULE, type) != SSPR_WIRE_OK ||
        sspr_wire_send(ch->fd, type, text, strlen(text), ch->deadline_ms) != SSPR_WIRE_OK) {
        ch->broken = 1;
        return -1;
    }
    return 0;
}

static void flush_held(struct sspr_channel *ch)
{
    if (ch->held[0] == '\0')
        return;
    (void)send_frame(ch, SSPR_F_ERROR, ch->held);
    ch->held[0] = '\0';
    ch->held_final = 0;
}

/* Every frame goes out after the held error, if any. */
static int send_checked(struct sspr_channel *ch, uint8_t type, const char *text)
{
    flush_held(ch);
    return send_frame(ch, type, text);
}

static void hold(struct sspr_channel *ch, const char *text, int final)
{
    size_t n = strlen(text);

    flush_held(ch);
    if (n == 0 || n > SSPR_MSG_MAX) {
        (void)send_frame(ch, SSPR_F_ERROR, text);
        return;
    }
    memcpy(ch->held, text, n + 1);
    ch->held_final = final;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int sspr_chan_hello(struct sspr_channel *ch, struct sspr_hello *out)
{
    struct sspr_frame f;
    int64_t deadline = sspr_now_ms() + HELLO_TIMEOUT_MS;
    const char *v;

    memset(out, 0, sizeof(*out));
    if (deadline > ch->deadline_ms)
        deadline = ch->deadline_ms;
    if (recv_checked(ch, &f, deadline) != 0)
        return -1;
    if (f.type != SSPR_F_HELLO || sspr_kv_validate(f.payload, f.len) != 0 ||
        (v = sspr_kv_get(f.payload, f.len, "version")) == NULL || strcmp(v, "1") != 0) {
        ch->broken = 1;
        return -1;
    }
    /* The user field is kept whole (up to the answer cap) so that an
     * over-long name is seen and refused, not silently shortened. */
    v = sspr_kv_get(f.payload, f.len, "user");
    if (v == NULL || strlen(v) > SSPR_ANSWER_MAX) {
        ch->broken = 1;
        return -1;
    }
    copy_field(out->user, sizeof(out->user), v);
    copy_field(out->service, sizeof(out->service), sspr_kv_get(f.payload, f.len, "service"));
    copy_field(out->rhost, sizeof(out->rhost), sspr_kv_get(f.payload, f.len, "rhost"));
    copy_field(out->tty, sizeof(out->tty), sspr_kv_get(f.payload, f.len, "tty"));
    copy_field(out->ruser, sizeof(out->ruser), sspr_kv_get(f.payload, f.len, "ruser"));
    copy_field(out->mode, sizeof(out->mode), sspr_kv_get(f.payload, f.len, "mode"));
    v = sspr_kv_get(f.payload, f.len, "lang");
    if (v != NULL && strlen(v) >= sizeof(out->lang))
        v = "?"; /* never cut to something that might pass the checks */
    copy_field(out->lang, sizeof(out->lang), v);
    return 0;
}

int sspr_chan_prompt(struct sspr_channel *ch, int echo, const char *text,
                     char answer[SSPR_ANSWER_MAX + 1])
{
    struct sspr_frame f;
    int rc = -1;

    answer[0] = '\0';
    if (send_checked(ch, echo ? SSPR_F_PROMPT_ECHO_ON : SSPR_F_PROMPT_ECHO_OFF, text) != 0)
        return -1;
    if (ch->while_asked != NULL) {
        void (*work)(void *) = ch->while_asked;

        ch->while_asked = NULL;
        work(ch->while_asked_ctx);
    }
    if (recv_checked(ch, &f, ch->deadline_ms) != 0)
        goto out;
    if (f.type == SSPR_F_ANSWER && f.len <= SSPR_ANSWER_MAX && strlen(f.payload) == f.len) {
        memcpy(answer, f.payload, f.len + 1);
        ch->answered++;
        rc = 0;
    } else if (f.type == SSPR_F_CANCEL) {
        ch->cancelled = 1; /* the state table now lets only RESULT through */
    } else {
        ch->broken = 1; /* an embedded NUL or an over-long answer */
    }
out:
    sspr_frame_wipe(&f);
    return rc;
}

int sspr_chan_pending(const struct sspr_channel *ch)
{
    struct pollfd p = { .fd = ch->fd, .events = POLLIN, .revents = 0 };

    return poll(&p, 1, 0) > 0;
}

void sspr_chan_info(struct sspr_channel *ch, const char *text)
{
    (void)send_checked(ch, SSPR_F_INFO, text);
}

void sspr_chan_error(struct sspr_channel *ch, const char *text)
{
    hold(ch, text, 0);
}

void sspr_chan_error_final(struct sspr_channel *ch, const char *text)
{
    hold(ch, text, 1);
}

void sspr_chan_error_close(struct sspr_channel *ch, const char *text)
{
    size_t have = strlen(ch->held), n = strlen(text);

    if (have > 0 && ch->held_final) {
        flush_held(ch);
        return;
    }
    if (have > 0 && have + 1 + n <= SSPR_MSG_MAX) {
        ch->held[have] = ' ';
        memcpy(ch->held + have + 1, text, n + 1);
        flush_held(ch);
        return;
    }
    (void)send_checked(ch, SSPR_F_ERROR, text);
}

void sspr_chan_result(struct sspr_channel *ch, const char *word)
{
    (void)send_checked(ch, SSPR_F_RESULT, word);
}
