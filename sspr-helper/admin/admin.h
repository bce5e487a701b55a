/* What an admin command works on: the configuration, the open backend and
 * the target account. The gates' `enroll_cli` and `describe` get it too. */
#ifndef SSPR_ADMIN_H
#define SSPR_ADMIN_H

#include <stddef.h>
#include <time.h>

#include "backends/backend.h"
#include "gates/gate.h"
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

/* "2026-12-01 18:00 UTC", or "unknown" for 0. */
void sspr_admin_time(long long when, char *buf, size_t len);

#endif
