/* What an admin command works on: the configuration, the open backend and
 * the target account. The gates' `enroll_cli` and `describe` get it too. */
#ifndef SSPR_ADMIN_H
#define SSPR_ADMIN_H

#include <stddef.h>
#include <time.h>

#include "backends/backend.h"
#include "gates/gate.h"
#include "state/throttle.h"
#include "support/config.h"

struct sspr_admin {
    const struct sspr_config *cfg;
    struct sspr_backend be;
    struct sspr_account acct; /* the target (after sspr_admin_find_user) */
    int replace;              /* enroll --replace: replace what is registered without asking */
};

/* Open the configured backend (making missing storage); prints why not.
 * 0 or 1. */
int sspr_admin_open(struct sspr_admin *ad, const struct sspr_config *cfg);
void sspr_admin_close(struct sspr_admin *ad);

/* ad->acct = the account called name (canonical, existing); prints why
 * not. 0 or 1. */
int sspr_admin_find_user(struct sspr_admin *ad, const char *name);

/* Atomic edit of the target's record (a missing one starts empty); prints
 * why not. 0 or 1. An edit that returns > 0 changes nothing and is not an
 * error. */
int sspr_admin_edit(struct sspr_admin *ad, sspr_record_edit edit, void *ctx);

/* Replace the material of gate g (m NULL: remove it); prints why not. 0 or 1. */
int sspr_admin_save(struct sspr_admin *ad, const struct sspr_gate *g,
                    const struct sspr_material *m);

/* One line from stdin without echo when it is a terminal (prompt on
 * stderr). 0, or -1 at the end of input. */
int sspr_admin_read_line(const char *prompt, int secret, char *buf, size_t len);

/* Ask on the terminal whether to replace what is registered: 1 yes, 0 no
 * (or -1 when stdin or stderr is not a terminal, nothing asked). The
 * question is prompt followed by " [y/N] ". */
int sspr_admin_confirm(const char *prompt);

/* A method blocked after too many wrong answers (max_failures_per_method
 * in the throttle's window) while the account itself is not locked out. */
struct sspr_method_block {
    const struct sspr_gate *g;
    int failures;
    long long until; /* when the window ends (0: unknown) */
};

/* The methods of subj blocked at now, in table order, up to max into out:
 * how many (0 when none, or when the account is locked out, which blocks
 * everything and is reported as such), or < 0 when the throttle record
 * cannot be read. */
int sspr_admin_method_blocks(struct sspr_backend *be, const struct sspr_subject *subj, time_t now,
                             struct sspr_method_block *out, int max);

/* "totp: blocked until 2026-12-01 19:15 UTC (3 wrong codes); other methods
 * still work" (others: whether another registered method is not blocked). */
void sspr_admin_block_text(const struct sspr_method_block *b, int others, char *buf, size_t len);

/* "2026-12-01 18:00 UTC", or "unknown" for 0. */
void sspr_admin_time(long long when, char *buf, size_t len);

#endif
