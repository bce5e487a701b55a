/*
 * One subject's throttle record, as every backend stores it: failures in
 * the current window (all methods, and per method), when the window
 * started, until when the subject is locked out, failures in a row across
 * windows, and the times of recent code sends. The rules that read and
 * change it are state/throttle.c; how it is stored is the backend's.
 */
#ifndef SSPR_THROTTLE_REC_H
#define SSPR_THROTTLE_REC_H

#include <stddef.h>

#define SSPR_THROTTLE_METHODS 8 /* per-method counters in one record */
#define SSPR_THROTTLE_SENDS 64  /* send times kept (max_sends_per_hour is at most 50) */
#define SSPR_THROTTLE_NAME 16

struct sspr_throttle_rec {
    long long failures, since, locked_until, consecutive;
    size_t nmethods;
    struct {
        char name[SSPR_THROTTLE_NAME];
        long long n;
    } methods[SSPR_THROTTLE_METHODS]; /* failures per method, same window */
    size_t nsends;
    long long sends[SSPR_THROTTLE_SENDS]; /* times of code sends, oldest first */
};

/* An edit of a throttle record: 0 write it, > 0 write nothing and return
 * that value, < 0 an error. It may run more than once (compare-and-swap
 * retries): a pure function of the record and ctx. */
typedef int (*sspr_throttle_edit)(struct sspr_throttle_rec *r, void *ctx);

/* throttle_update flag: edit a corrupt record as if it were empty (an
 * administrator's unlock) instead of failing. */
#define SSPR_THROTTLE_RESET_CORRUPT 1u
/* throttle_update flag: this change may be lost in a crash (it only ever
 * takes failures back): the backend need not make it durable at once. */
#define SSPR_THROTTLE_LAZY 2u

/* 1 when r says nothing (no failures, lockout, counts or sends): such a
 * record is not kept. */
int sspr_throttle_rec_empty(const struct sspr_throttle_rec *r);

/* 1 when every field is within what this code ever writes (non-negative,
 * counts <= INT32_MAX, known method names): a record that is not is corrupt. */
int sspr_throttle_rec_valid(const struct sspr_throttle_rec *r);

#endif
