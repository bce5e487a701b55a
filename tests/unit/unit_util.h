/* Scratch directories and files for the unit tests. */
#ifndef SSPR_UNIT_UTIL_H
#define SSPR_UNIT_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh 0700 directory under $TMPDIR (or /tmp); aborts the test on failure.
 * The returned string is static until the next call. */
char *unit_tmpdir(void);

/* Remove a tree (does not follow symlinks). */
void unit_rm_rf(const char *path);

/* dir/name := len bytes of data, with mode; returns 0 or -1. */
int unit_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* "dir/name" into buf (PATH_MAX). */
const char *unit_path(char *buf, const char *dir, const char *name);

/* Number of entries in dir whose name contains needle. */
int unit_count_entries(const char *dir, const char *needle);

/* ---- the local backend, for tests of state kept through it ---- */
struct sspr_backend;
struct sspr_config;
struct sspr_subject;
struct sspr_store;

/* Open the local backend with cfg->state_dir = dir (cfg is used from then
 * on, so a test may change its limits). 0 or a negative error. */
int unit_local_open(struct sspr_backend *be, struct sspr_config *cfg, const char *dir, int create);

/* The backend's store, for looking at records directly. */
struct sspr_store *unit_local_store(struct sspr_backend *be);

/* A subject with this store key (one of a few rotating buffers). */
const struct sspr_subject *unit_subject(const char *key);

/* The subject key for uid (>= 0: an account) or for a typed name (uid < 0),
 * as the flow gets it, into key. 0 or a negative error (key then ""). */
int unit_throttle_key(struct sspr_backend *be, long uid, const char *name, char *key, size_t len);

#endif
