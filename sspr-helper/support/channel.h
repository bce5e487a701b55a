/* The helper's end of the wire: HELLO in, prompts out, one answer back. */
#ifndef SSPR_CHANNEL_H
#define SSPR_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define SSPR_ANSWER_MAX 512   /* PAM_MAX_RESP_SIZE: longer is refused, never cut */

struct sspr_channel {
    int fd;
    enum sspr_wire_state state;
    int64_t deadline_ms;  /* the whole flow's deadline (CLOCK_MONOTONIC) */
    int broken;           /* the module went away or broke the protocol */
    int cancelled;        /* the user's conversation failed: only RESULT may follow */
    unsigned answered;    /* prompts answered so far */
};

struct sspr_hello {
    char user[SSPR_ANSWER_MAX + 1];
    char service[128];
    char rhost[256];
    char tty[128];
    char ruser[256];
    char mode[16];        /* offer | trigger | kiosk | passwd | register */
};

void sspr_chan_init(struct sspr_channel *ch, int fd, int flow_timeout_s);

/* Read and check HELLO. Returns 0 or -1. */
int sspr_chan_hello(struct sspr_channel *ch, struct sspr_hello *out);

/* Ask the user. On 0 answer holds the NUL-terminated reply (the caller
 * wipes it). -1: cancelled (ch->cancelled: send the RESULT next), too
 * long, timed out or channel broken. */
int sspr_chan_prompt(struct sspr_channel *ch, int echo, const char *text,
                     char answer[SSPR_ANSWER_MAX + 1]);

/* Messages; failures mark the channel broken and are otherwise ignored. */
void sspr_chan_info(struct sspr_channel *ch, const char *text);
void sspr_chan_error(struct sspr_channel *ch, const char *text);

/* The last frame: one of the SSPR_RESULT_* words. */
void sspr_chan_result(struct sspr_channel *ch, const char *word);

#endif
