/*
 * Failed-verification throttling, shared across connections and restarts:
 * one store record per subject ("throttle-u<uid>" for accounts,
 * "throttle-n<hash>" for names that resolve to no account, so that unknown
 * names are throttled exactly like real ones and do not stand out).
 * Every update happens under the subject's store lock.
 */
#ifndef SSPR_THROTTLE_H
#define SSPR_THROTTLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "autoconf.h"
#include "backends/local/store.h"
#include "support/config.h"

/* How long an update waits for the subject's lock. */
#define SSPR_THROTTLE_LOCK_MS 5000

/* locked_until for a lockout that only `sspr-helper unlock` (or a completed
 * reset) ends: max_consecutive reached, or a corrupt record. */
#define SSPR_THROTTLE_FOREVER ((time_t)INT64_MAX)

struct sspr_throttle_state {
    int failures;        /* failures inside the current window (all methods) */
    time_t locked_until; /* 0 when not locked out; SSPR_THROTTLE_FOREVER */
};
/* (The record also counts consecutive failures across windows, for
 * max_consecutive; callers see its effect as locked_until FOREVER.) */

/* Store key for a subject into key (>= 80 bytes): by uid when known
 * (uid >= 0), else by a keyed hash of the typed name ("throttle-n" + 32 hex;
 * the per-host hash key is the "throttle-key" record, made on first use).
 * Returns 0, or a store error with key set to "" (which every store call
 * refuses, so the caller fails closed). */
int sspr_throttle_key(struct sspr_store *st, long uid, const char *name,
                      char *key, size_t keylen);

/* Current state (a missing record is all zeros). Returns 0, or a store
 * error with *out locked out (SSPR_THROTTLE_FOREVER): fail closed. A corrupt
 * record gives SSPR_STORE_ECORRUPT, until sspr_throttle_clear. */
int sspr_throttle_get(struct sspr_store *st, const char *key, time_t now,
                      const struct sspr_config *cfg, struct sspr_throttle_state *out);

/* 1 when locked out now. */
int sspr_throttle_locked(const struct sspr_throttle_state *s, time_t now);

/* Record one failure; starts a lockout when max_failures is reached (a
 * lockout without end when max_consecutive is). A failure in a window that
 * has expired starts a fresh count; an ended lockout starts a fresh window.
 * Returns 0 and the new state, or a store error with *out locked out; a
 * corrupt record (SSPR_STORE_ECORRUPT) is left as it is for an admin. */
int sspr_throttle_fail(struct sspr_store *st, const char *key, time_t now,
                       const struct sspr_config *cfg, struct sspr_throttle_state *out);

/* Forget failures, per-method counts and lockout (after a completed reset,
 * or `unlock`). Send times of the last hour are kept, so unlocking never
 * lifts the send cap. */
int sspr_throttle_clear(struct sspr_store *st, const char *key);

/* ---- per method ---------------------------------------------------------------
 * Method names are those of sspr_method_name ("totp", "recovery", "email",
 * "sms", "questions"); anything else is SSPR_STORE_EINVAL. Per-method counts
 * live in the same record and the same window as the total, and end with it
 * (window expiry, lockout end, clear). */

/* Like sspr_throttle_fail, and also count one failure of method. The total
 * still drives max_failures / lockout / max_consecutive; the method's own
 * count in this window goes to *method_failures (may be NULL). On an error
 * *out is locked and *method_failures is at the cap: fail closed. */
int sspr_throttle_fail_method(struct sspr_store *st, const char *key, time_t now,
                              const struct sspr_config *cfg, const char *method,
                              struct sspr_throttle_state *out, int *method_failures);

/* Take back one failure of method counted by sspr_throttle_fail_method
 * (and a lockout that it started): answers are charged before they are
 * checked, so that an answer is never judged unless its failure could be
 * recorded; a right answer is refunded. Call it under the same
 * serialisation as the charge. 0 or a store error. */
int sspr_throttle_refund_method(struct sspr_store *st, const char *key, time_t now,
                                const struct sspr_config *cfg, const char *method);

/* Like sspr_throttle_get, plus method's failures in this window. Errors
 * fail closed as above. */
int sspr_throttle_get_method(struct sspr_store *st, const char *key, time_t now,
                             const struct sspr_config *cfg, const char *method,
                             struct sspr_throttle_state *out, int *method_failures);

/* 1 when this method may not be used now: the subject is locked out, or
 * method_failures reached max_failures_per_method (the other methods then
 * still work until the total reaches max_failures). Else 0. */
int sspr_throttle_method_locked(const struct sspr_throttle_state *s, int method_failures,
                                time_t now, const struct sspr_config *cfg);

/* ---- send cap -------------------------------------------------------------------
 * Codes sent per subject, all channels together, in a sliding hour. */

/* Ask to send one code now: 0 allowed (and counted), 1 capped
 * (max_sends_per_hour reached in the last hour), or a negative store error
 * (the caller must not send). Never changes failure counts or lockouts:
 * a new code does not reset anything. Does not look at the lockout either:
 * check sspr_throttle_locked first. */
int sspr_throttle_send(struct sspr_store *st, const char *key, time_t now,
                       const struct sspr_config *cfg);

/* Sends in the last hour into *count (for show / doctor). 0 or a store
 * error (*count INT32_MAX). */
int sspr_throttle_sends(struct sspr_store *st, const char *key, time_t now,
                        const struct sspr_config *cfg, int *count);

/* Remove the records of names that matched no account once they say
 * nothing any more (no failures in the window, no lockout, no send in the
 * last hour), with their lock files, so that made-up names cannot fill the
 * state directory. Records of accounts are never touched. *removed (may be
 * NULL) gets the count. 0 or a store error. */
int sspr_throttle_gc(struct sspr_store *st, time_t now, const struct sspr_config *cfg,
                     unsigned *removed);

/* Seconds to wait after the n-th failure: failure_delay * 2^(n-1), capped
 * at 30; 0 when failure_delay is 0. */
unsigned sspr_throttle_delay(const struct sspr_config *cfg, int failures);

#endif
