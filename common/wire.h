/*
 * Module <-> helper wire protocol: length-prefixed frames over a socketpair.
 * A frame is a 4-byte big-endian length (of type + payload), a 1-byte type
 * and the payload. See docs/protocol.md.
 */
#ifndef SSPR_WIRE_H
#define SSPR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SSPR_WIRE_VERSION 1
#define SSPR_WIRE_MAX_PAYLOAD 4096u

enum sspr_frame_type {
    SSPR_F_HELLO = 1,           /* module -> helper: NUL-separated key=value */
    SSPR_F_PROMPT_ECHO_OFF = 2, /* helper -> module: prompt text */
    SSPR_F_PROMPT_ECHO_ON = 3,  /* helper -> module: prompt text */
    SSPR_F_INFO = 4,            /* helper -> module: message */
    SSPR_F_ERROR = 5,           /* helper -> module: message */
    SSPR_F_ANSWER = 6,          /* module -> helper: the user's answer */
    SSPR_F_CANCEL = 7,          /* module -> helper: conversation failed */
    SSPR_F_RESULT = 8,          /* helper -> module: outcome word */
};

/* Outcomes carried by RESULT (the payload is exactly one of these words). */
#define SSPR_RESULT_RESET_DONE "reset-done"
#define SSPR_RESULT_DECLINED "declined"
#define SSPR_RESULT_DENIED "denied"
#define SSPR_RESULT_UNAVAILABLE "unavailable"
#define SSPR_RESULT_UNLOCKED "unlocked"       /* a lockout lifted, the password kept */
/* Registration at sign-in (mode=register, account stage). */
#define SSPR_RESULT_REGISTERED "registered"   /* enough methods now */
#define SSPR_RESULT_SKIPPED "skipped"         /* nothing to do, or not for this account */
#define SSPR_RESULT_REQUIRED "required"       /* policy requires it and it was not done */

enum sspr_wire_err {
    SSPR_WIRE_OK = 0,
    SSPR_WIRE_EIO = -1,       /* read/write error */
    SSPR_WIRE_ETIMEDOUT = -2, /* deadline passed */
    SSPR_WIRE_EPROTO = -3,    /* unknown type, bad length, oversized */
    SSPR_WIRE_ECLOSED = -4,   /* clean EOF before a frame started */
    SSPR_WIRE_ETRUNC = -5,    /* EOF in the middle of a frame */
    SSPR_WIRE_ESTATE = -6,    /* frame not allowed in this state */
};

struct sspr_frame {
    uint8_t type;
    uint32_t len;                              /* payload length */
    char payload[SSPR_WIRE_MAX_PAYLOAD + 1];   /* always NUL-terminated */
};

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t sspr_now_ms(void);

/* Send one frame (MSG_NOSIGNAL); fails with ETIMEDOUT after deadline_ms
 * (absolute, sspr_now_ms() based; < 0 means no deadline). */
int sspr_wire_send(int fd, uint8_t type, const void *payload, size_t len,
                   int64_t deadline_ms);

/* Receive one frame, polling until deadline_ms. On error the stream is no
 * longer usable. The payload buffer is wiped by sspr_frame_wipe(). */
int sspr_wire_recv(int fd, struct sspr_frame *f, int64_t deadline_ms);

/* Validate a frame header: known type and 1 <= length <= 1 + MAX_PAYLOAD.
 * Exposed for tests and the fuzzer. */
int sspr_wire_check_header(const uint8_t hdr[5], uint32_t *payload_len);

void sspr_frame_wipe(struct sspr_frame *f);

/* Write / read exactly n bytes with a deadline (the framing's own I/O, for
 * other framings). SSPR_WIRE_OK, or ETIMEDOUT, EIO, ECLOSED (read: EOF;
 * *got says how much came first). */
int sspr_wire_write_all(int fd, const uint8_t *p, size_t n, int64_t deadline_ms);
int sspr_wire_read_all(int fd, uint8_t *p, size_t n, int64_t deadline_ms, size_t *got);

const char *sspr_wire_strerror(int err);

/* ---- which frame may come when (wire_state.c) -------------------------- */
enum sspr_wire_state {
    SSPR_WS_START,        /* nothing sent: only HELLO (module -> helper) */
    SSPR_WS_HELPER_TURN,  /* helper speaks: PROMPT_*, INFO, ERROR, RESULT */
    SSPR_WS_MODULE_TURN,  /* a prompt is open: exactly one ANSWER or CANCEL */
    SSPR_WS_CANCELLED,    /* CANCEL sent: the helper may send its RESULT, nothing else */
    SSPR_WS_DONE,         /* RESULT seen: nothing more */
};

enum sspr_wire_dir { SSPR_DIR_TO_HELPER, SSPR_DIR_TO_MODULE };

/* Returns SSPR_WIRE_OK and advances *st, or SSPR_WIRE_ESTATE. */
int sspr_wire_transition(enum sspr_wire_state *st, enum sspr_wire_dir dir,
                         uint8_t type);

#endif
