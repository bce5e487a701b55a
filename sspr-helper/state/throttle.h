/*
 * Failed-verification throttling, shared across connections, restarts and
 * (with a fleet backend) machines: failures per subject and per method in
 * a window, growing delays, lockouts, and a cap on code sends per hour.
 * The rules live here; each subject's record is stored by the backend
 * (sspr_be_throttle_update is one atomic read-modify-write), so no
 * increment is ever lost. Anything unexpected locks, never unlocks.
 *
 * Method names are the gate table's ("totp", "recovery", "email", "sms",
 * "questions"); anything else is SSPR_ERR_INVAL.
 */
#ifndef SSPR_THROTTLE_H
#define SSPR_THROTTLE_H

#include <stdint.h>
#include <time.h>

#include "backends/backend.h"

/* locked_until for a lockout that only `sspr-helper unlock` (or a completed
 * reset) ends: max_consecutive reached, or a corrupt record. */
#define SSPR_THROTTLE_FOREVER ((time_t)INT64_MAX)

struct sspr_throttle_state {
    int failures;        /* failures inside the current window (all methods) */
    time_t locked_until; /* 0 when not locked out; SSPR_THROTTLE_FOREVER */
    time_t window_ends;  /* when the window's counts (per method too) end; 0: no window */
};

/* Current state (a missing record is all zeros). Returns SSPR_OK, or an
 * error with *out locked out (SSPR_THROTTLE_FOREVER): fail closed. A
 * corrupt record gives SSPR_ERR_CORRUPT until sspr_throttle_clear. */
int sspr_throttle_get(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                      struct sspr_throttle_state *out);

/* Like sspr_throttle_get, plus method's failures in this window. */
int sspr_throttle_get_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                             const char *method, struct sspr_throttle_state *out,
                             int *method_failures);

/* 1 when locked out now. */
int sspr_throttle_locked(const struct sspr_throttle_state *st, time_t now);

/* 1 when this method may not be used now: locked out, or the method's
 * failures reached max_failures_per_method (the other methods then still
 * work until the total reaches max_failures). */
int sspr_throttle_method_locked(const struct sspr_throttle_state *st, int method_failures,
                                time_t now, const struct sspr_config *cfg);

/* Record one failure (of method, when not NULL); starts a lockout when
 * max_failures is reached (one without end when max_consecutive is). A
 * failure in an expired window starts a fresh count; an ended lockout a
 * fresh window. Returns SSPR_OK and the new state, or an error with *out
 * locked out and *method_failures at the cap; a corrupt record is left as
 * it is for an admin. */
int sspr_throttle_fail(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                       struct sspr_throttle_state *out);
int sspr_throttle_fail_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                              const char *method, struct sspr_throttle_state *out,
                              int *method_failures);

/* What a charge did. */
enum sspr_charge {
    SSPR_CHARGED,              /* counted: the answer may be judged */
    SSPR_CHARGE_LOCKED,        /* already locked out: not counted, not to be judged */
    SSPR_CHARGE_METHOD_LOCKED, /* this method is blocked: not counted, not to be judged */
};

/* Charge an answer before it is judged, in one atomic step: refuse it when
 * the subject is locked out or the method blocked, else count the failure.
 * Any number of parallel sessions (on any number of machines) therefore
 * get at most the allowed answers judged. *out / *method_failures get the
 * state after the charge. Returns an enum sspr_charge, or an error (the
 * answer must not be judged). */
int sspr_throttle_charge(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                         const char *method, struct sspr_throttle_state *out, int *method_failures);

/* The same, and in the same write first take back the charges of earlier
 * right answers (refunds[0..nrefunds-1], method names) that were left
 * pending: one write instead of two. The refunds land whatever the
 * charge's outcome. */
int sspr_throttle_charge_settling(struct sspr_backend *be, const struct sspr_subject *s,
                                  time_t now, const char *method, const char *const *refunds,
                                  size_t nrefunds, struct sspr_throttle_state *out,
                                  int *method_failures);

/* Take back pending charges of right answers in one write that may be lost
 * in a crash (a lost refund only counts a right answer as wrong). */
int sspr_throttle_settle(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                         const char *const *refunds, size_t nrefunds);

/* Take back one charged failure of method (and a lockout that it started):
 * the answer was right. */
int sspr_throttle_refund_method(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                                const char *method);

/* Forget failures, per-method counts and lockout (a completed reset, or
 * `unlock`), also over a corrupt record. Send times of the last hour are
 * kept, so unlocking never lifts the send cap. */
int sspr_throttle_clear(struct sspr_backend *be, const struct sspr_subject *s);

/* Ask to send one code now: 0 allowed (and counted), 1 capped
 * (max_sends_per_hour reached in the last hour), or an error (do not
 * send). Never changes failure counts or lockouts: a new code does not
 * reset anything (docs/security.md 10). Does not look at the lockout either. */
int sspr_throttle_send(struct sspr_backend *be, const struct sspr_subject *s, time_t now);

/* Sends in the last hour into *count (for show / doctor); on an error
 * *count is INT32_MAX. */
int sspr_throttle_sends(struct sspr_backend *be, const struct sspr_subject *s, time_t now,
                        int *count);

/* 1 when a record says nothing any more at `now` (no failures in the
 * window, no lockout, no send in the last hour, fewer than max_failures
 * in a row): housekeeping may drop it. */
int sspr_throttle_rec_expired(const struct sspr_throttle_rec *r, time_t now,
                              const struct sspr_config *cfg);

/* Seconds to wait after the n-th failure: failure_delay * 2^(n-1), capped
 * at 30; 0 when failure_delay is 0. */
unsigned sspr_throttle_delay(const struct sspr_config *cfg, int failures);

#endif
