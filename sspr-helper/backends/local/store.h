/*
 * Local state: one JSON document per key under the state directory,
 * written atomically (temp + fsync + rename + fsync dir), each key with
 * its own lock file. Keys are [a-z0-9-] only ("user-1000", "throttle-1000").
 */
#ifndef SSPR_LOCAL_STORE_H
#define SSPR_LOCAL_STORE_H

#include <jansson.h>
#include <sys/types.h>

#include "support/err.h"


#define SSPR_STORE_MAX_RECORD (256 * 1024)

struct sspr_store {
    int dirfd;      /* the state directory, O_DIRECTORY|O_NOFOLLOW */
    uid_t owner;    /* expected owner of dir and files: geteuid() */
};

/* Open the state dir: must exist (or be created 0700 when create != 0),
 * be a real directory owned by geteuid() and not group/world accessible. */
int sspr_store_open(struct sspr_store *st, const char *dir, int create);
void sspr_store_close(struct sspr_store *st);

/* Exclusive per-key lock (flock on "<key>.lock", waits up to timeout_ms).
 * Returns an fd >= 0 to pass to sspr_store_unlock, or a negative error.
 * A wait borrows SIGRTMIN's disposition for a timer (store.c): one thread
 * of a process may wait at a time. */
int sspr_store_lock(struct sspr_store *st, const char *key, int timeout_ms);
void sspr_store_unlock(int lockfd);

/* Read "<key>.json". On success *out is a new JSON object. Duplicate keys
 * are rejected (JSON_REJECT_DUPLICATES). */
int sspr_store_read(struct sspr_store *st, const char *key, json_t **out);

/* Replace "<key>.json" atomically with obj (mode 0600). */
int sspr_store_write(struct sspr_store *st, const char *key, const json_t *obj);

/* Remove "<key>.json" (ENOENT is fine). */
int sspr_store_remove(struct sspr_store *st, const char *key);

/* Write or remove without the directory fsync (the file itself is still
 * synced before the rename): for changes that may be lost in a crash as
 * long as they are never torn (a reset grant, a refund, a sweep that syncs
 * once at its end with sspr_store_sync). */
#define SSPR_STORE_LAZY 1u
int sspr_store_write_flags(struct sspr_store *st, const char *key, const json_t *obj,
                           unsigned flags);
int sspr_store_remove_flags(struct sspr_store *st, const char *key, unsigned flags);

/* The same for a record that is not JSON, "<key><suffix>" (names.c's
 * ".lines"): its bytes as they are (*buf malloc'd, NUL-terminated). */
int sspr_store_read_text(struct sspr_store *st, const char *key, const char *suffix, char **buf,
                         size_t *len);
int sspr_store_write_text(struct sspr_store *st, const char *key, const char *suffix,
                          const char *text, size_t len, unsigned flags);
int sspr_store_remove_text(struct sspr_store *st, const char *key, const char *suffix,
                           unsigned flags);

/* fsync the directory once (after lazy changes). */
int sspr_store_sync(struct sspr_store *st);


#endif
