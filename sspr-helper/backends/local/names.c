/*
 * Throttle records of names that match no account, in 256 bucket files.
 *
 * A name nobody has still gets a counter (the same lockout and send cap as
 * an account: docs/security.md 14), keyed by its hash ("throttle-n<hex>",
 * throttle_json.c). One file per such name made the state directory grow
 * with every name an attacker typed, and sweeping them cost one freed disk
 * block per name. Here the name's hash picks one of 256 bucket records,
 * "throttle-names-XX.lines" (its first two hex digits), one line per name
 * (names_lines.c).
 *
 * An update is the same read-modify-write under the bucket's lock as an
 * account's under its own, so counts stay exact across parallel sessions;
 * a sweep rewrites at most 256 files whatever the number of names.
 * Lines this code cannot read are kept as they are, for an admin.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/local/local.h"
#include "state/throttle.h"

#define BUCKET_PREFIX "throttle-names-"
#define BUCKET_SUFFIX ".lines"
#define BUCKETS 256

int sspr_local_name_key(const char *key)
{
    size_t pl = strlen(SSPR_NAMES_PREFIX);

    return key != NULL && strlen(key) == pl + SSPR_NAMES_HEX &&
           strncmp(key, SSPR_NAMES_PREFIX, pl) == 0 && sspr_names_hex(key + pl, SSPR_NAMES_HEX);
}

static const char *entry_of(const char *key)
{
    return key + strlen(SSPR_NAMES_PREFIX);
}

/* *text becomes an empty bucket's text (freeing what it held). */
static int empty_text(char **text, size_t *len)
{
    free(*text);
    *len = 0;
    *text = calloc(1, 1);
    return *text != NULL ? SSPR_OK : SSPR_ERR_NOMEM;
}

static void bucket_key(char *out, size_t len, unsigned b)
{
    snprintf(out, len, BUCKET_PREFIX "%02x", b & 0xffu);
}

static void bucket_of(const char *key, char *out, size_t len)
{
    unsigned b = 0;

    sscanf(entry_of(key), "%2x", &b);
    bucket_key(out, len, b);
}

/* The bucket's text ("" when there is none yet). One that is empty, holds
 * a NUL or ends without '\n' was not written by us whole: SSPR_ERR_CORRUPT,
 * and every name in it counts as locked out. */
static int bucket_read(struct sspr_store *st, const char *bkey, char **text, size_t *len)
{
    int rc = sspr_store_read_text(st, bkey, BUCKET_SUFFIX, text, len);

    if (rc == SSPR_ERR_NOENT)
        return empty_text(text, len);
    if (rc == SSPR_OK && !sspr_names_whole(*text, *len)) {
        free(*text);
        *text = NULL;
        *len = 0;
        rc = SSPR_ERR_CORRUPT;
    }
    return rc;
}

/* An admin's unlock of a name in a bucket that cannot be read: the bucket
 * is moved aside as "<bucket>.lines.corrupt" for the admin to look at, and
 * a new one starts (the other names in it start afresh too). */
static int bucket_set_aside(struct sspr_store *st, const char *bkey, char **text, size_t *len)
{
    char from[48], to[64];

    snprintf(from, sizeof(from), "%s" BUCKET_SUFFIX, bkey);
    snprintf(to, sizeof(to), "%s" BUCKET_SUFFIX ".corrupt", bkey);
    if (renameat(st->dirfd, from, st->dirfd, to) != 0 && errno != ENOENT)
        return SSPR_ERR_IO;
    return empty_text(text, len);
}

/* Synced file, lazy rename, as for an account (throttle_json.c); an empty
 * bucket goes. */
static int bucket_write(struct sspr_store *st, const char *bkey, const struct sspr_names_text *t)
{
    return t->len == 0 ? sspr_store_remove_text(st, bkey, BUCKET_SUFFIX, SSPR_STORE_LAZY)
                       : sspr_store_write_text(st, bkey, BUCKET_SUFFIX, t->p, t->len,
                                               SSPR_STORE_LAZY);
}

/*
 * Names counted before buckets existed have a record of their own,
 * "throttle-n<hex>.json": read it when the bucket has nothing for the name,
 * so an upgrade forgets no count; the next update moves it into the bucket.
 */
int sspr_local_names_load(struct sspr_backend *be, const char *key, struct sspr_throttle_rec *out)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_throttle_rec old;
    char bkey[32], *text = NULL;
    size_t len = 0;
    int legacy = 0, found = 0, lrc, rc;

    memset(out, 0, sizeof(*out));
    bucket_of(key, bkey, sizeof(bkey));
    /* The old file first, the bucket second, without a lock: an update
     * that moves the count in between is then seen in the bucket. */
    lrc = sspr_local_throttle_read(st, key, &old, &legacy);
    rc = bucket_read(st, bkey, &text, &len);
    if (rc == SSPR_OK)
        rc = sspr_names_find(text, len, entry_of(key), out, &found);
    if (rc == SSPR_OK && !found && legacy) {
        *out = old;
        rc = lrc;
    }
    free(text);
    return rc;
}

/* Drop an old file and its lock (the race an unlinked lock file opens
 * costs nothing for a name that matches no account). */
static void legacy_remove(struct sspr_store *st, const char *key)
{
    char lock[96];

    (void)sspr_store_remove_flags(st, key, SSPR_STORE_LAZY);
    snprintf(lock, sizeof(lock), "%s.lock", key);
    (void)unlinkat(st->dirfd, lock, 0);
}

/*
 * The name's record as the update starts from, under the bucket's lock:
 * its line, or (none) the old file's count, read under the old file's own
 * lock, which a helper of the version before takes (bucket, then name:
 * that one takes no bucket lock). *legacy_lock >= 0 when an old file is
 * there, to be removed once the bucket holds its count.
 */
static int start_from(struct sspr_store *st, const char *text, size_t len, const char *key,
                      struct sspr_throttle_rec *r, int *legacy_lock)
{
    int found, rc = sspr_names_find(text, len, entry_of(key), r, &found);
    struct stat sb;
    char name[96];

    *legacy_lock = -1;
    if (rc != SSPR_OK || found)
        return rc;
    snprintf(name, sizeof(name), "%s.json", key);
    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? SSPR_OK : SSPR_ERR_IO;
    if ((*legacy_lock = sspr_store_lock(st, key, SSPR_LOCAL_LOCK_MS)) < 0) {
        rc = *legacy_lock;
        *legacy_lock = -1;
        return rc;
    }
    return sspr_local_throttle_read(st, key, r, &found);
}

int sspr_local_names_update(struct sspr_backend *be, const char *key, unsigned flags,
                            sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_names_text out = { 0 };
    struct sspr_throttle_rec r;
    char bkey[32], *text = NULL;
    size_t len = 0;
    int lockfd, legacy = -1, rc;

    memset(&r, 0, sizeof(r));
    bucket_of(key, bkey, sizeof(bkey));
    lockfd = sspr_store_lock(st, bkey, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = bucket_read(st, bkey, &text, &len);
    /* A bucket that cannot be read at all and a name whose line (or old
     * file) cannot be read are left for an admin to see: they count as
     * locked out. The admin's unlock starts them afresh. */
    if (rc == SSPR_ERR_CORRUPT && (flags & SSPR_THROTTLE_RESET_CORRUPT))
        rc = bucket_set_aside(st, bkey, &text, &len);
    if (rc == SSPR_OK)
        rc = start_from(st, text, len, key, &r, &legacy);
    if (rc == SSPR_ERR_CORRUPT && (flags & SSPR_THROTTLE_RESET_CORRUPT)) {
        memset(&r, 0, sizeof(r));
        rc = SSPR_OK;
    }
    if (rc == SSPR_OK)
        rc = edit(&r, ctx);
    if (rc == SSPR_OK)
        rc = sspr_names_replace(text, len, entry_of(key), &r, SSPR_STORE_MAX_RECORD, &out);
    if (rc == SSPR_OK)
        rc = bucket_write(st, bkey, &out);
    sspr_names_text_free(&out);
    free(text);
    /* the directory synced after the release, as for an account
     * (throttle_json.c); the old file goes only once the bucket's count
     * is durable */
    sspr_store_unlock(lockfd);
    if (rc == SSPR_OK && (legacy >= 0 || !(flags & SSPR_THROTTLE_LAZY)))
        rc = sspr_store_sync(st);
    if (rc == SSPR_OK && legacy >= 0)
        legacy_remove(st, key);
    sspr_store_unlock(legacy);
    if (rc == SSPR_OK && after != NULL)
        *after = r;
    return rc;
}

/* ---- garbage collection --------------------------------------------------------------- */

/* Drop the bucket's lines that say nothing any more; a bucket in use right
 * now is left for the next run, and so is any line this code cannot read. */
static unsigned sweep_bucket(struct sspr_backend *be, unsigned b, time_t now, unsigned budget)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_names_text out = { 0 };
    struct sspr_names_line l;
    char bkey[32], name[48], *text = NULL;
    size_t len = 0, off = 0;
    struct stat sb;
    unsigned gone = 0;
    int lockfd, rc = SSPR_OK;

    bucket_key(bkey, sizeof(bkey), b);
    snprintf(name, sizeof(name), "%s" BUCKET_SUFFIX, bkey);
    /* no lock file made for a bucket that was never written */
    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    if ((lockfd = sspr_store_lock(st, bkey, 0)) < 0)
        return 0;
    if (bucket_read(st, bkey, &text, &len) == SSPR_OK) {
        while (rc == SSPR_OK && sspr_names_next(text, len, &off, &l)) {
            struct sspr_throttle_rec r;

            if (gone < budget && sspr_names_decode(&l, &r) == SSPR_OK &&
                sspr_throttle_rec_expired(&r, now, be->cfg))
                gone++;
            else if (l.len > 0)
                rc = sspr_names_put_line(&out, &l);
        }
        if (rc != SSPR_OK || (gone > 0 && bucket_write(st, bkey, &out) != SSPR_OK))
            gone = 0;
    }
    sspr_names_text_free(&out);
    free(text);
    sspr_store_unlock(lockfd);
    return gone;
}

/* 1 when name is a legacy record, "throttle-n<32 hex>.json"; key gets the
 * part before ".json". */
static int legacy_record(const char *name, char *key, size_t keylen)
{
    size_t n = strlen(name);

    if (n < 5 || n - 5 >= keylen || strcmp(name + n - 5, ".json") != 0)
        return 0;
    memcpy(key, name, n - 5);
    key[n - 5] = '\0';
    return sspr_local_name_key(key);
}

/* Legacy records that say nothing any more, with their lock files (and
 * the second lock older versions took per subject). */
static unsigned sweep_legacy(struct sspr_backend *be, time_t now, unsigned budget)
{
    struct sspr_store *st = sspr_local_store(be);
    unsigned gone = 0;
    struct dirent *e;
    DIR *d;
    int dfd;

    if ((dfd = dup(st->dirfd)) < 0)
        return 0;
    if ((d = fdopendir(dfd)) == NULL) {
        close(dfd);
        return 0;
    }
    rewinddir(d); /* a dup shares the read offset of earlier scans */
    while (gone < budget && (e = readdir(d)) != NULL) {
        struct sspr_throttle_rec r;
        char key[64], lock[96];
        int lockfd, found;

        if (!legacy_record(e->d_name, key, sizeof(key)))
            continue;
        if ((lockfd = sspr_store_lock(st, key, 0)) < 0)
            continue; /* in use right now */
        if (sspr_local_throttle_read(st, key, &r, &found) == SSPR_OK && found &&
            sspr_throttle_rec_expired(&r, now, be->cfg)) {
            legacy_remove(st, key);
            snprintf(lock, sizeof(lock), "gate-%s.lock", key);
            (void)unlinkat(st->dirfd, lock, 0);
            gone++;
        }
        sspr_store_unlock(lockfd);
    }
    closedir(d);
    return gone;
}

int sspr_local_gc(struct sspr_backend *be, time_t now, unsigned *removed)
{
    struct sspr_store *st = sspr_local_store(be);
    unsigned gone = 0;

    if (removed != NULL)
        *removed = 0;
    if (st->dirfd < 0)
        return SSPR_ERR_INVAL;
    /* bounded work per run: the next run (hourly) takes the rest */
    for (unsigned b = 0; b < BUCKETS && gone < SSPR_LOCAL_GC_MAX; b++)
        gone += sweep_bucket(be, b, now, SSPR_LOCAL_GC_MAX - gone);
    if (gone < SSPR_LOCAL_GC_MAX)
        gone += sweep_legacy(be, now, SSPR_LOCAL_GC_MAX - gone);
    if (removed != NULL)
        *removed = gone;
    /* one directory fsync for the whole sweep */
    return gone > 0 ? sspr_store_sync(st) : SSPR_OK;
}
