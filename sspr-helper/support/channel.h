/* The helper's end of the wire: HELLO in, prompts out, one answer back. */
#ifndef SSPR_CHANNEL_H
#define SSPR_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "lang.h"
#include "wire.h"

#define SSPR_ANSWER_MAX 512   /* PAM_MAX_RESP_SIZE: longer is refused, never cut */
#define SSPR_MSG_MAX 512      /* PAM_MAX_MSG_SIZE: what one held message may grow to */

struct sspr_channel {
    int fd;
    enum sspr_wire_state state;
    int64_t deadline_ms;  /* the whole flow's deadline (CLOCK_MONOTONIC) */
    int broken;           /* the module went away or broke the protocol */
    int cancelled;        /* the user's conversation failed: only RESULT may follow */
    unsigned answered;    /* prompts answered so far */
    /* An error message not sent yet, so that closing words can join it
     * (a greeter shows one message at a time): sent before the next frame. */
    char held[SSPR_MSG_MAX + 1];
    int held_final; /* it already says what to do: closing words are dropped */
    /* Work done once, as soon as the next prompt is out and before its
     * answer is read: the reset looks at the account while the user reads
     * its first prompt (flow/reset.c). Cleared before it runs. */
    void (*while_asked)(void *ctx);
    void *while_asked_ctx;
};

struct sspr_hello {
    char user[SSPR_ANSWER_MAX + 1];
    char service[128];
    char rhost[256];
    char tty[128];
    char ruser[256];
    char mode[16];        /* offer | trigger | kiosk | passwd | register */
    char lang[SSPR_LANG_MAX + 1]; /* the module's language ("" English), not yet checked */
};

void sspr_chan_init(struct sspr_channel *ch, int fd, int flow_timeout_s);

/* Read and check HELLO. Returns 0 or -1. */
int sspr_chan_hello(struct sspr_channel *ch, struct sspr_hello *out);

/* Ask the user. On 0 answer holds the NUL-terminated reply (the caller
 * wipes it). -1: cancelled (ch->cancelled: send the RESULT next), too
 * long, timed out or channel broken. */
/* 1 when a frame from the module is already waiting to be read. */
int sspr_chan_pending(const struct sspr_channel *ch);

int sspr_chan_prompt(struct sspr_channel *ch, int echo, const char *text,
                     char answer[SSPR_ANSWER_MAX + 1]);

/* Messages; failures mark the channel broken and are otherwise ignored.
 * An error is held until the next frame (order is kept): closing words
 * given with sspr_chan_error_close join it in one message. */
void sspr_chan_info(struct sspr_channel *ch, const char *text);
void sspr_chan_error(struct sspr_channel *ch, const char *text);
/* An error that already says what to do next (wait, ask the administrator):
 * closing words after it are dropped. */
void sspr_chan_error_final(struct sspr_channel *ch, const char *text);
/* The last words of a step that ended: appended to a held error ("That
 * code is not valid." + " If you cannot ..."), dropped after a final one,
 * else sent on their own. */
void sspr_chan_error_close(struct sspr_channel *ch, const char *text);

/* The last frame: one of the SSPR_RESULT_* words. */
void sspr_chan_result(struct sspr_channel *ch, const char *word);

#endif
