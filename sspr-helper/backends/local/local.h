/* Inside the local backend: the pieces its files share. Nothing outside
 * backends/local/ includes this. */
#ifndef SSPR_LOCAL_H
#define SSPR_LOCAL_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "backends/backend.h"
#include "backends/local/store.h"

/* The ops table (registered as "local"). */
extern const struct sspr_backend_ops sspr_backend_local;

struct sspr_local {
    struct sspr_store store;
};

/* Most records one gc run removes. */
#define SSPR_LOCAL_GC_MAX 100000u

/* How long a record update waits for the record's lock. */
#define SSPR_LOCAL_LOCK_MS 5000

static inline struct sspr_store *sspr_local_store(struct sspr_backend *be)
{
    return &((struct sspr_local *)be->priv)->store;
}

/* ---- accounts (account.c): passwd and shadow ---- */
int sspr_local_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out);
int sspr_local_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                         const char *group);

/* ---- the account record (record_json.c) ---- */
/* Store key of an account's record: "user-<uid>". */
void sspr_local_user_key(unsigned long uid, char *key, size_t keylen);
/* JSON record -> sspr_record. SSPR_ERR_CORRUPT for a record that is not an
 * object or whose parts cannot be read at all. */
int sspr_local_record_decode(const json_t *obj, struct sspr_record *out);
/* Write into obj every part of `after` that differs from `before` (and the
 * registration stamp), leaving everything else in obj as it was. */
int sspr_local_record_encode(json_t *obj, const struct sspr_record *before,
                             const struct sspr_record *after);

/* ---- throttle records and subjects (throttle_json.c) ---- */
int sspr_local_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                       struct sspr_subject *out);
int sspr_local_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                             struct sspr_throttle_rec *out);
int sspr_local_throttle_update(struct sspr_backend *be, const struct sspr_subject *s,
                               unsigned flags, sspr_throttle_edit edit, void *ctx,
                               struct sspr_throttle_rec *after);
/* Read the record "<key>.json": SSPR_OK (zeros and *found 0 when absent;
 * found may be NULL), SSPR_ERR_CORRUPT, or a store error (*found 1 for a
 * file that is there but cannot be read). */
int sspr_local_throttle_read(struct sspr_store *st, const char *key, struct sspr_throttle_rec *r,
                             int *found);
int sspr_local_throttle_decode(const json_t *o, struct sspr_throttle_rec *r);
json_t *sspr_local_throttle_encode(const struct sspr_throttle_rec *r);

/* ---- names that match no account (names.c): 256 to a record ---- */
/* 1 when key is an unknown name's subject key, "throttle-n<32 hex>". */
int sspr_local_name_key(const char *key);
int sspr_local_names_load(struct sspr_backend *be, const char *key, struct sspr_throttle_rec *out);
int sspr_local_names_update(struct sspr_backend *be, const char *key, unsigned flags,
                            sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after);
/* Sweep the entries (and records left by older versions) that say
 * nothing any more: at most SSPR_LOCAL_GC_MAX, one directory fsync. */
int sspr_local_gc(struct sspr_backend *be, time_t now, unsigned *removed);

/* ---- a bucket's text (names_lines.c): "<32 hex> <record JSON>" lines ---- */
/* An unknown name's subject key: the prefix, then its keyed hash in hex
 * (128 bits: the key stays under the store's 64-character limit). */
#define SSPR_NAMES_PREFIX "throttle-n"
#define SSPR_NAMES_HEX 32
/* 1 when s[0..n) are lowercase hex digits. */
int sspr_names_hex(const char *s, size_t n);
struct sspr_names_line {
    const char *p; /* into the bucket's text */
    size_t len;    /* without the '\n' */
    int ours;      /* starts with 32 hex digits: a name's line (readable or not) */
};
struct sspr_names_text {
    char *p;
    size_t len, cap;
    unsigned lines;
};
/* The line at *off, moving *off past it: 1, or 0 at the end. */
int sspr_names_next(const char *text, size_t len, size_t *off, struct sspr_names_line *l);
/* 1 when l is the line of the name hashed to hex (SSPR_NAMES_HEX digits). */
int sspr_names_is(const struct sspr_names_line *l, const char *hex);
/* The line's record: SSPR_OK, or SSPR_ERR_CORRUPT (r zeros). */
int sspr_names_decode(const struct sspr_names_line *l, struct sspr_throttle_rec *r);
/* hex's record (zeros and *found 0 when it has no line): SSPR_OK, or
 * SSPR_ERR_CORRUPT for a line that cannot be read or two lines. */
int sspr_names_find(const char *text, size_t len, const char *hex, struct sspr_throttle_rec *r,
                    int *found);
/* Append a line as it is / a name's record as a new line. */
int sspr_names_put_line(struct sspr_names_text *t, const struct sspr_names_line *l);
int sspr_names_put(struct sspr_names_text *t, const char *hex, const struct sspr_throttle_rec *r);
/* 1 when the whole text can be a bucket: not empty, no NUL, every line
 * ended by '\n' (what names.c writes; anything else is damage). */
int sspr_names_whole(const char *text, size_t len);
/* The old text with hex's line(s) replaced by r (none when r is empty),
 * every other line kept as it is (empty ones dropped); while that would be
 * more than max_bytes, the readable other line idle longest goes (never an
 * unreadable one: SSPR_ERR_IO when nothing else can go). */
int sspr_names_replace(const char *old, size_t len, const char *hex,
                       const struct sspr_throttle_rec *r, size_t max_bytes,
                       struct sspr_names_text *out);
void sspr_names_text_free(struct sspr_names_text *t);

/* ---- doctor (doctor.c): the state directory ---- */
void sspr_local_doctor(struct sspr_backend *be, struct sspr_report *r);

/* ---- pam_faillock's tally (faillock.c) ---- */
/* 1 when failed sign-ins lock user now, 0 when not, < 0 when the tally
 * cannot be read. */
int sspr_local_faillock_locked(const char *user, time_t now);
/* Clear user's tally (as `faillock --user USER --reset`). */
int sspr_local_faillock_reset(const char *user);

/* ---- the shadow lock across check and write (shadow_lock.c) ---- */
int sspr_local_shadow_lock(void);
void sspr_local_shadow_unlock(void);

/* ---- the password (writeback.c): pam_chauthtok on sspr-passwd ---- */
/* 1 when the writeback can run (libpam is loaded: support/lazy.h). */
int sspr_local_writeback_ready(void);
int sspr_local_writeback(const struct sspr_config *cfg, const char *user, const char *newpw,
                         char *msg, size_t msglen);

#endif
