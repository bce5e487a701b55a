/*
 * The backend interface: the only way the flow, registration, the admin
 * commands and import reach account data. A backend is a table of
 * functions (OpenSSH's Authmethod, SSSD's per-target providers); callers
 * go through the sspr_be_* wrappers below and never name an implementation.
 * `[general] backend =` picks one from the registry (backends/registry.c).
 *
 * What lives behind it, "stored where the backend says":
 *   - accounts: who a typed name is, and whether the backend lets it reset
 *     (a directory's lock and disable flags, /etc/shadow for local);
 *   - each account's registered methods (struct sspr_record: per gate, the
 *     material that gate keeps) and contact addresses, including ones an
 *     admin pre-populated in a directory;
 *   - throttle records per subject, so a fleet backend shares counters;
 *   - the reset grant and the password writeback (commit);
 *   - small host facts (a delivery channel marked failing) and housekeeping.
 *
 * What never lives behind it: the enumeration defences (dummy path, the
 * same probe and timing for every name, background sends). They stay in
 * the flow, so no backend can weaken them (docs/security.md 14).
 *
 * Atomicity: `update` and `throttle_update` are read-modify-write
 * operations that either apply the whole edit or nothing, also against
 * another machine doing the same (local: under the record's lock; a
 * directory: compare-and-swap, re-running the edit after a conflict). An
 * edit must therefore be a pure function of the record it is given (plus
 * its context) and may run more than once. A one-time proof is consumed
 * by doing the check inside the edit: the proof is spent exactly when the
 * write lands.
 *
 * Every call returns SSPR_OK or a negative sspr_err (support/err.h) unless
 * it says otherwise.
 */
#ifndef SSPR_BACKEND_H
#define SSPR_BACKEND_H

#include <stddef.h>
#include <time.h>

#include "backends/account.h"
#include "backends/record.h"
#include "state/throttle_rec.h"
#include "support/config.h"
#include "support/err.h"

/* Who the throttle counts for: a known account or a typed name that is
 * none (keyed so that made-up names are throttled like real ones). The key
 * is the backend's own; callers only pass it back. */
struct sspr_subject {
    char key[1100];
};

/* What commit did. */
enum sspr_commit {
    SSPR_COMMIT_OK,      /* the new password is set; the grant is used up */
    SSPR_COMMIT_REFUSED, /* the password policy said no (msg says why); the grant is kept */
    SSPR_COMMIT_LOST,    /* another reset took the grant after this one */
    SSPR_COMMIT_CHANGED, /* the account became ineligible (locked, ...) meanwhile */
    SSPR_COMMIT_ERROR,   /* the backend failed: nothing was written */
};

/* An edit of an account's record: 0 write it, > 0 write nothing and return
 * that value, < 0 an error (nothing written). */
typedef int (*sspr_record_edit)(struct sspr_record *rec, void *ctx);

/* Flags for update. */
#define SSPR_UPDATE_CREATE 1u /* a missing record starts empty (else SSPR_ERR_NOENT) */

struct sspr_backend;

/* A doctor report line (admin/doctor/report.h implements it). */
struct sspr_report;

/* What a backend is like (ops.caps). */
#define SSPR_BE_REMOTE 1u /* every call is a round trip to a server: callers
                             remember on this host what they safely may */

struct sspr_backend_ops {
    const char *name;
    unsigned caps;

    /* Set up be->priv from the configuration. Cheap: a directory backend
     * connects on first use, so that nothing but the reset path pays. */
    int (*open)(struct sspr_backend *be);
    void (*close)(struct sspr_backend *be);

    /* ---- accounts ---- */
    /* Resolve a typed name and decide eligibility; always fills out (out->why
     * says; a name that is not an account is known = 0, SSPR_ACCT_UNKNOWN).
     * Returns SSPR_OK, or an error when the backend could not tell (the
     * caller treats the name as ineligible). */
    int (*resolve)(struct sspr_backend *be, const char *typed, struct sspr_account *out);
    /* 1 when acct is in group `name`, 0 when not, < 0 when it cannot tell. */
    int (*member_of)(struct sspr_backend *be, const struct sspr_account *acct, const char *name);

    /* ---- registration ---- */
    /* The account's record; nothing registered is an empty record (SSPR_OK).
     * SSPR_ERR_CORRUPT for a record that cannot be trusted. */
    int (*load)(struct sspr_backend *be, const struct sspr_account *acct, struct sspr_record *out);
    /* Atomic read-edit-write of the record (see above). */
    int (*update)(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                  sspr_record_edit edit, void *ctx);

    /* ---- throttling ---- */
    /* The subject for an account (known) or for a typed name (acct NULL or
     * not known). */
    int (*subject)(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                   struct sspr_subject *out);
    /* The subject's throttle record (missing: all zeros). A corrupt one is
     * SSPR_ERR_CORRUPT. */
    int (*throttle_load)(struct sspr_backend *be, const struct sspr_subject *s,
                         struct sspr_throttle_rec *out);
    /* Atomic read-edit-write of it; *after (may be NULL) gets the record as
     * written. A record edited to all zeros is removed. A corrupt record is
     * SSPR_ERR_CORRUPT without calling edit, unless SSPR_THROTTLE_RESET_CORRUPT. */
    int (*throttle_update)(struct sspr_backend *be, const struct sspr_subject *s, unsigned flags,
                           sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after);

    /* ---- the reset ---- */
    /* Get ready to commit: load what commit will need (the local backend:
     * libpam), once per reset and for every name alike, before any answer
     * is judged, so that a machine that cannot commit says so before a
     * proof is spent. NULL when there is nothing to load. */
    int (*prepare)(struct sspr_backend *be);
    /* This flow (flow_id) holds the account's one reset grant from now on;
     * a later grant takes it over. */
    int (*grant)(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id);
    /* Set the new password if and only if this flow still holds the grant
     * and the account is still eligible. msg gets the password policy's
     * words on SSPR_COMMIT_REFUSED ("" when it gave none). */
    enum sspr_commit (*commit)(struct sspr_backend *be, const struct sspr_account *acct,
                               const char *flow_id, const char *password, char *msg, size_t msglen);
    /* Lift the lockout after failed sign-ins that resolve reports as
     * acct->lockout (local: pam_faillock's tally; a directory's password
     * policy lockout). SSPR_OK also when there was none. Never lifts an
     * admin's lock. NULL when the backend keeps no such lockout. */
    int (*unlock)(struct sspr_backend *be, const struct sspr_account *acct);

    /* ---- host facts and housekeeping ---- */
    /* A small named number kept for this host (missing: SSPR_ERR_NOENT). */
    int (*fact_get)(struct sspr_backend *be, const char *name, long long *value);
    /* Set it (remove != 0: forget it). */
    int (*fact_set)(struct sspr_backend *be, const char *name, long long value, int remove);
    /* Sweep state that says nothing any more; *removed (may be NULL) gets a count. */
    int (*gc)(struct sspr_backend *be, time_t now, unsigned *removed);
    /* The backend's own doctor checks (storage reachable and safe, ...). */
    void (*doctor)(struct sspr_backend *be, struct sspr_report *r);
};

/* Open flags. */
#define SSPR_BACKEND_CREATE 1u /* admin commands: make missing storage (the state directory) */

struct sspr_backend {
    const struct sspr_backend_ops *ops;
    const struct sspr_config *cfg;
    unsigned flags;
    void *priv;
    int code; /* the SSPR-E code of the last failure the backend could name
                 (a directory down: 112), 0 when none: what the flow shows */
    char why[256]; /* the backend's words for the last refusal, for the
                      administrator ("" when none); never shown on the reset path */
};

/* ---- the registry (backends/registry.c) ---- */

/* The ops named `name`, or NULL. */
const struct sspr_backend_ops *sspr_backend_find(const char *name);

/* Names of every backend, space separated (for messages). */
const char *sspr_backend_names(void);

/* Open the backend cfg->backend names. SSPR_ERR_INVAL for an unknown name
 * (the configuration check refuses one first: SSPR-E101). */
int sspr_backend_open(struct sspr_backend *be, const struct sspr_config *cfg, unsigned flags);

/* Open a given implementation (tests bring their own). */
int sspr_backend_open_with(struct sspr_backend *be, const struct sspr_backend_ops *ops,
                           const struct sspr_config *cfg, unsigned flags);

void sspr_backend_close(struct sspr_backend *be);

/* ---- calls, each a thin wrapper that checks its arguments ---- */
int sspr_be_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out);
int sspr_be_member_of(struct sspr_backend *be, const struct sspr_account *acct, const char *group);
int sspr_be_load(struct sspr_backend *be, const struct sspr_account *acct, struct sspr_record *out);
int sspr_be_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                   sspr_record_edit edit, void *ctx);
int sspr_be_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                    struct sspr_subject *out);
int sspr_be_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                          struct sspr_throttle_rec *out);
int sspr_be_throttle_update(struct sspr_backend *be, const struct sspr_subject *s, unsigned flags,
                            sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after);
int sspr_be_grant(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id);
enum sspr_commit sspr_be_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                const char *flow_id, const char *password, char *msg,
                                size_t msglen);
/* SSPR_ERR_UNSUPPORTED when the backend keeps no lockout of its own. */
int sspr_be_unlock(struct sspr_backend *be, const struct sspr_account *acct);
int sspr_be_fact_get(struct sspr_backend *be, const char *name, long long *value);
int sspr_be_fact_set(struct sspr_backend *be, const char *name, long long value, int remove);
int sspr_be_gc(struct sspr_backend *be, time_t now, unsigned *removed);
int sspr_be_prepare(struct sspr_backend *be);
void sspr_be_doctor(struct sspr_backend *be, struct sspr_report *r);

#endif
