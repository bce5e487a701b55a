/*
 * The module's side of the wire, for flow tests: a flow runs in a thread
 * (sspr_flow_run_with over the in-memory backend) and the test speaks to
 * it through a socketpair, frame by frame, as pam_sspr.so would.
 */
#ifndef SSPR_FLOW_DRIVER_H
#define SSPR_FLOW_DRIVER_H

#include <pthread.h>

#include "backends/backend.h"
#include "support/config.h"
#include "wire.h"

#define DRIVE_LINES 128
#define DRIVE_TEXT (SSPR_WIRE_MAX_PAYLOAD + 1)

struct drive {
    int fd; /* our end */
    int flow_fd;
    pthread_t thread;
    const struct sspr_config *cfg;
    int status;            /* the flow's return value */
    int type[DRIVE_LINES]; /* every frame seen, in order */
    char text[DRIVE_LINES][DRIVE_TEXT];
    int n;
    char result[SSPR_WIRE_MAX_PAYLOAD + 1]; /* the RESULT word, "" before it */
    int closed;                             /* the flow closed the channel */
};

/* Start a flow for user in mode ("offer", "register", ...) on service. */
/* HELLO's "lang" for the next drive_start (NULL: none sent). */
extern const char *drive_hello_lang;
/* The backend the next flows run over (NULL: mem_backend_ops). */
extern const struct sspr_backend_ops *drive_ops;

void drive_start(struct drive *d, const struct sspr_config *cfg, const char *user, const char *mode,
                 const char *service);

/* The same with PAM_RUSER (su, sudo: who is signed in). */
void drive_start_as(struct drive *d, const struct sspr_config *cfg, const char *user,
                    const char *ruser, const char *mode, const char *service);

/* Read frames until a prompt, the RESULT or the end. Returns the type
 * (SSPR_F_PROMPT_ECHO_OFF/ON, SSPR_F_RESULT) or 0 when the channel closed;
 * the prompt's text is the last line. Fails the test after 10 s. */
int drive_next(struct drive *d);
const char *drive_last(const struct drive *d);

void drive_answer(struct drive *d, const char *answer);
void drive_cancel(struct drive *d);

/* Expect a prompt with exactly this text next (fails the test otherwise). */
void drive_expect_prompt(struct drive *d, const char *text);

/* 1 when some INFO/ERROR line so far contains needle. */
int drive_saw(const struct drive *d, const char *needle);

/* Wait for the flow to end; returns its status. */
int drive_end(struct drive *d);

/* Lines seen (types and texts) as one string, for comparing transcripts. */
void drive_transcript(const struct drive *d, char *out, size_t len);

/* The authenticator code for a base32 secret at time now + offset steps. */
void drive_totp(const char *b32, int offset_steps, char out[8]);

/* A configuration for flow tests: defaults, no delays, a banned list that
 * matches no test password, the shipped question bank. */
void drive_config(struct sspr_config *cfg);

#endif
