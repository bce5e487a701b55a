/*
 * Failed-verification throttling shared by every connection: the counts live
 * in the state store and every update is a read-modify-write under the
 * subject's lock, so parallel sessions cannot lose increments (CVE-2015-5600
 * was a counter per connection). Anything unexpected locks, never unlocks.
 */
#include "autoconf.h"

#include <fcntl.h>

#include <unistd.h>

#include <dirent.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "state/throttle.h"
#include "wipe.h"

#define HOST_KEY_RECORD "throttle-key"
#define HOST_KEY_BYTES 32
#define NAME_HASH_BYTES 16  /* 128 bits: "throttle-n" + 32 hex stays under the 64-char key limit */
#define DELAY_CAP 30u
#define MAX_METHODS 8     /* per-method counters in one record */
#define MAX_SENDS 64      /* send times kept (max_sends_per_hour is at most 50) */
#define SEND_WINDOW 3600  /* the sliding hour */

struct method_count {
    char name[16];
    long long n;
};

struct rec {
    long long failures, since, locked_until, consecutive;
    size_t nmethods;
    struct method_count methods[MAX_METHODS]; /* failures per method, same window */
    size_t nsends;
    long long sends[MAX_SENDS];               /* times of code sends, oldest first */
};

static void set_locked(struct sspr_throttle_state *out, const struct sspr_config *cfg)
{
    out->failures = cfg != NULL ? cfg->max_failures : 0;
    out->locked_until = SSPR_THROTTLE_FOREVER;
}

static void set_method_locked(int *mf, const struct sspr_config *cfg)
{
    if (mf != NULL)
        *mf = cfg != NULL ? cfg->max_failures_per_method : INT32_MAX;
}

/* One known method name (a single word of sspr_methods_parse). */
static int method_name_ok(const char *m)
{
    unsigned bits;

    return m != NULL && m[0] != '\0' && strlen(m) < sizeof(((struct method_count *)0)->name) &&
           strcspn(m, " \t,") == strlen(m) && sspr_methods_parse(m, &bits) == 0 && bits != 0 &&
           (bits & (bits - 1)) == 0 && strcmp(sspr_method_name(bits), m) == 0;
}

static int methods_from_json(const json_t *o, struct rec *r)
{
    const char *name;
    json_t *v;

    if (!json_is_object(o) || json_object_size(o) > MAX_METHODS)
        return -1;
    json_object_foreach((json_t *)(uintptr_t)o, name, v) {
        if (!method_name_ok(name) || !json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > INT32_MAX)
            return -1;
        snprintf(r->methods[r->nmethods].name, sizeof(r->methods[0].name), "%s", name);
        r->methods[r->nmethods].n = json_integer_value(v);
        r->nmethods++;
    }
    return 0;
}

static int sends_from_json(const json_t *a, struct rec *r)
{
    size_t i;

    if (!json_is_array(a) || json_array_size(a) > MAX_SENDS)
        return -1;
    for (i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return -1;
        r->sends[r->nsends++] = json_integer_value(v);
    }
    return 0;
}

/* A record is exactly the four non-negative integers we write, plus
 * optionally "methods" (per-method failure counts) and "sends" (send
 * times): records from before those existed stay valid. */
static int rec_from_json(const json_t *o, struct rec *r)
{
    static const char *const names[] = { "failures", "since", "locked_until", "consecutive" };
    long long *fields[] = { &r->failures, &r->since, &r->locked_until, &r->consecutive };
    const json_t *m, *sn;
    size_t i, want = 4;

    if (!json_is_object(o))
        return -1;
    for (i = 0; i < 4; i++) {
        const json_t *v = json_object_get(o, names[i]);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return -1;
        *fields[i] = json_integer_value(v);
    }
    if (r->failures > INT32_MAX || r->consecutive > INT32_MAX)
        return -1;
    m = json_object_get(o, "methods");
    if (m != NULL) {
        want++;
        if (methods_from_json(m, r) != 0)
            return -1;
    }
    sn = json_object_get(o, "sends");
    if (sn != NULL) {
        want++;
        if (sends_from_json(sn, r) != 0)
            return -1;
    }
    if (json_object_size(o) != want)
        return -1;
    return 0;
}

static json_t *rec_to_json(const struct rec *r)
{
    json_t *o = json_pack("{sI sI sI sI}", "failures", (json_int_t)r->failures, "since",
                          (json_int_t)r->since, "locked_until", (json_int_t)r->locked_until,
                          "consecutive", (json_int_t)r->consecutive);
    size_t i;

    if (o == NULL)
        return NULL;
    if (r->nmethods > 0) {
        json_t *m = json_object();

        if (m == NULL || json_object_set_new(o, "methods", m) != 0)
            goto fail;
        for (i = 0; i < r->nmethods; i++)
            if (json_object_set_new(m, r->methods[i].name,
                                    json_integer((json_int_t)r->methods[i].n)) != 0)
                goto fail;
    }
    if (r->nsends > 0) {
        json_t *a = json_array();

        if (a == NULL || json_object_set_new(o, "sends", a) != 0)
            goto fail;
        for (i = 0; i < r->nsends; i++)
            if (json_array_append_new(a, json_integer((json_int_t)r->sends[i])) != 0)
                goto fail;
    }
    return o;

fail:
    json_decref(o);
    return NULL;
}

static long long *method_slot(struct rec *r, const char *method, int create)
{
    size_t i;

    for (i = 0; i < r->nmethods; i++)
        if (strcmp(r->methods[i].name, method) == 0)
            return &r->methods[i].n;
    if (!create || r->nmethods >= MAX_METHODS)
        return NULL;
    snprintf(r->methods[r->nmethods].name, sizeof(r->methods[0].name), "%s", method);
    r->methods[r->nmethods].n = 0;
    return &r->methods[r->nmethods++].n;
}

/* Forget sends older than the sliding hour. A send time in the future (a
 * clock set back) still counts: it only ever makes the cap stricter. */
static void sends_prune(struct rec *r, time_t now)
{
    size_t i, o = 0;

    for (i = 0; i < r->nsends; i++)
        if (!(r->sends[i] <= (long long)now && (long long)now - r->sends[i] >= SEND_WINDOW))
            r->sends[o++] = r->sends[i];
    r->nsends = o;
}

/* Let time pass: an ended lockout, or a window older than failure_window,
 * starts a fresh count. A clock set back (now < since) expires nothing. */
static void rec_age(struct rec *r, time_t now, const struct sspr_config *cfg)
{
    if (r->locked_until != 0) {
        if ((long long)now >= r->locked_until && r->locked_until != (long long)SSPR_THROTTLE_FOREVER) {
            r->failures = 0;
            r->since = 0;
            r->locked_until = 0;
            r->nmethods = 0;
        }
        return;
    }
    if (r->failures > 0 && (long long)now >= r->since &&
        (long long)now - r->since >= (long long)cfg->failure_window) {
        r->failures = 0;
        r->since = 0;
        r->nmethods = 0;
    }
}

/* method: whose count goes into *mf (when both are non-NULL). */
static void rec_to_state(struct rec *r, const char *method, struct sspr_throttle_state *out,
                         int *mf)
{
    long long *m = method != NULL ? method_slot(r, method, 0) : NULL;

    out->failures = (int)r->failures;
    out->locked_until = (time_t)r->locked_until;
    if (mf != NULL)
        *mf = m != NULL ? (int)*m : 0;
}

/* Read and age the record: 0 (zeros when absent), 1 when corrupt, or a
 * negative store error. */
static int rec_load(struct sspr_store *st, const char *key, time_t now,
                    const struct sspr_config *cfg, struct rec *r)
{
    json_t *o = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    rc = sspr_store_read(st, key, &o);
    if (rc == SSPR_STORE_ENOENT)
        return 0;
    if (rc == SSPR_STORE_ECORRUPT)
        return 1;
    if (rc != SSPR_STORE_OK)
        return rc;
    rc = rec_from_json(o, r);
    json_decref(o);
    if (rc != 0)
        return 1;
    rec_age(r, now, cfg);
    return 0;
}

int sspr_throttle_get(struct sspr_store *st, const char *key, time_t now,
                      const struct sspr_config *cfg, struct sspr_throttle_state *out)
{
    struct rec r;
    int rc;

    if (out == NULL)
        return SSPR_STORE_EINVAL;
    set_locked(out, cfg);
    if (st == NULL || key == NULL || cfg == NULL)
        return SSPR_STORE_EINVAL;
    rc = rec_load(st, key, now, cfg, &r);
    if (rc == 1)
        return SSPR_STORE_ECORRUPT; /* out stays locked (set above) */
    if (rc != 0)
        return rc;
    rec_to_state(&r, NULL, out, NULL);
    return 0;
}

int sspr_throttle_locked(const struct sspr_throttle_state *s, time_t now)
{
    return s == NULL || (s->locked_until != 0 && now < s->locked_until);
}

/* Changes one loaded record: 0 means write it back, > 0 leave the file as
 * it is and return that value, < 0 an error (nothing written). */
typedef int (*rec_edit)(struct rec *r, time_t now, const struct sspr_config *cfg, void *ctx);

/* The one read-modify-write of a subject's record: lock, load and age
 * (a corrupt record is left as it is for an admin to see: writing a fresh
 * count over it would turn "corrupt" into "unlocked"), edit, write
 * atomically, unlock. *after (may be NULL) gets the edited record. */
static int rec_update(struct sspr_store *st, const char *key, time_t now,
                      const struct sspr_config *cfg, rec_edit edit, void *ctx, struct rec *after)
{
    struct rec r;
    json_t *o;
    int lockfd, rc;

    lockfd = sspr_store_lock(st, key, SSPR_THROTTLE_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = rec_load(st, key, now, cfg, &r);
    if (rc == 1)
        rc = SSPR_STORE_ECORRUPT;
    if (rc == 0)
        rc = edit(&r, now, cfg, ctx);
    if (rc == 0) {
        o = rec_to_json(&r);
        rc = o != NULL ? sspr_store_write(st, key, o) : SSPR_STORE_EIO;
        json_decref(o);
    }
    sspr_store_unlock(lockfd);
    if (rc == 0 && after != NULL)
        *after = r;
    return rc;
}

static int edit_fail(struct rec *r, time_t now, const struct sspr_config *cfg, void *ctx)
{
    const char *method = ctx;

    if (r->failures == 0)
        r->since = (long long)now;
    if (r->failures < INT32_MAX)
        r->failures++;
    if (r->consecutive < INT32_MAX)
        r->consecutive++;
    if (method != NULL) {
        long long *m = method_slot(r, method, 1);

        if (m == NULL)
            return SSPR_STORE_EINVAL;
        if (*m < INT32_MAX)
            (*m)++;
    }
    /* Failures while locked still count, but do not extend the lockout:
     * otherwise anyone could keep an account locked by trying on. */
    if (r->consecutive >= cfg->max_consecutive)
        r->locked_until = (long long)SSPR_THROTTLE_FOREVER;
    else if (r->locked_until == 0 && r->failures >= cfg->max_failures)
        r->locked_until = (long long)now > INT64_MAX - cfg->lockout
                              ? (long long)SSPR_THROTTLE_FOREVER
                              : (long long)now + cfg->lockout;
    return 0;
}

static int throttle_fail(struct sspr_store *st, const char *key, time_t now,
                         const struct sspr_config *cfg, const char *method,
                         struct sspr_throttle_state *out, int *mf)
{
    struct rec r;
    int rc;

    set_method_locked(mf, cfg);
    if (out == NULL)
        return SSPR_STORE_EINVAL;
    set_locked(out, cfg);
    if (st == NULL || key == NULL || cfg == NULL || (method != NULL && !method_name_ok(method)))
        return SSPR_STORE_EINVAL;
    rc = rec_update(st, key, now, cfg, edit_fail, (void *)(uintptr_t)method, &r);
    if (rc != 0)
        return rc;
    rec_to_state(&r, method, out, mf);
    return 0;
}
static int edit_refund(struct rec *r, time_t now, const struct sspr_config *cfg, void *ctx)
{
    long long *m = method_slot(r, ctx, 0);

    (void)now;
    if (r->failures > 0)
        r->failures--;
    if (r->consecutive > 0)
        r->consecutive--;
    if (m != NULL && *m > 0)
        (*m)--;
    /* the charge may have started the lockout; the answer was right */
    if (r->locked_until != 0 && r->failures < cfg->max_failures &&
        r->consecutive < cfg->max_consecutive)
        r->locked_until = 0;
    return 0;
}

int sspr_throttle_refund_method(struct sspr_store *st, const char *key, time_t now,
                                const struct sspr_config *cfg, const char *method)
{
    if (st == NULL || key == NULL || cfg == NULL || !method_name_ok(method))
        return SSPR_STORE_EINVAL;
    return rec_update(st, key, now, cfg, edit_refund, (void *)(uintptr_t)method, NULL);
}
int sspr_throttle_fail(struct sspr_store *st, const char *key, time_t now,
                       const struct sspr_config *cfg, struct sspr_throttle_state *out)
{
    return throttle_fail(st, key, now, cfg, NULL, out, NULL);
}

int sspr_throttle_fail_method(struct sspr_store *st, const char *key, time_t now,
                              const struct sspr_config *cfg, const char *method,
                              struct sspr_throttle_state *out, int *method_failures)
{
    if (method == NULL) {
        set_method_locked(method_failures, cfg);
        if (out != NULL)
            set_locked(out, cfg);
        return SSPR_STORE_EINVAL;
    }
    return throttle_fail(st, key, now, cfg, method, out, method_failures);
}

int sspr_throttle_get_method(struct sspr_store *st, const char *key, time_t now,
                             const struct sspr_config *cfg, const char *method,
                             struct sspr_throttle_state *out, int *method_failures)
{
    struct rec r;
    int rc;

    set_method_locked(method_failures, cfg);
    if (out == NULL)
        return SSPR_STORE_EINVAL;
    set_locked(out, cfg);
    if (st == NULL || key == NULL || cfg == NULL || !method_name_ok(method))
        return SSPR_STORE_EINVAL;
    rc = rec_load(st, key, now, cfg, &r);
    if (rc == 1)
        return SSPR_STORE_ECORRUPT;
    if (rc != 0)
        return rc;
    rec_to_state(&r, method, out, method_failures);
    return 0;
}

int sspr_throttle_method_locked(const struct sspr_throttle_state *s, int method_failures,
                                time_t now, const struct sspr_config *cfg)
{
    if (s == NULL || cfg == NULL || sspr_throttle_locked(s, now))
        return 1;
    return method_failures >= cfg->max_failures_per_method;
}

static int edit_send(struct rec *r, time_t now, const struct sspr_config *cfg, void *ctx)
{
    size_t cap = *(const size_t *)ctx;

    (void)cfg;
    sends_prune(r, now);
    if (r->nsends >= cap)
        return 1;
    /* Only the send list changes: a new code never resets a failure
     * count (SECURITY.md 10). */
    r->sends[r->nsends++] = (long long)now;
    return 0;
}

int sspr_throttle_send(struct sspr_store *st, const char *key, time_t now,
                       const struct sspr_config *cfg)
{
    size_t cap;

    if (st == NULL || key == NULL || cfg == NULL || cfg->max_sends_per_hour < 1)
        return SSPR_STORE_EINVAL;
    cap = (size_t)cfg->max_sends_per_hour < MAX_SENDS ? (size_t)cfg->max_sends_per_hour
                                                      : MAX_SENDS;
    return rec_update(st, key, now, cfg, edit_send, &cap, NULL);
}
int sspr_throttle_sends(struct sspr_store *st, const char *key, time_t now,
                        const struct sspr_config *cfg, int *count)
{
    struct rec r;
    int rc;

    if (count == NULL)
        return SSPR_STORE_EINVAL;
    *count = INT32_MAX;
    if (st == NULL || key == NULL || cfg == NULL)
        return SSPR_STORE_EINVAL;
    rc = rec_load(st, key, now, cfg, &r);
    if (rc == 1)
        return SSPR_STORE_ECORRUPT;
    if (rc != 0)
        return rc;
    sends_prune(&r, now);
    *count = (int)r.nsends;
    return 0;
}

int sspr_throttle_clear(struct sspr_store *st, const char *key)
{
    struct rec r;
    int lockfd, rc;

    if (st == NULL || key == NULL)
        return SSPR_STORE_EINVAL;
    lockfd = sspr_store_lock(st, key, SSPR_THROTTLE_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    memset(&r, 0, sizeof(r));
    {
        json_t *o = NULL;

        rc = sspr_store_read(st, key, &o);
        if (rc == SSPR_STORE_OK && rec_from_json(o, &r) != 0)
            r.nsends = 0; /* corrupt: nothing to keep */
        json_decref(o);
    }
    if (rc == SSPR_STORE_OK && r.nsends > 0) {
        /* Keep the send times: unlocking is about failures, and must not
         * reopen the door to flooding an inbox or a phone. */
        struct rec keep;
        json_t *o;

        memset(&keep, 0, sizeof(keep));
        keep.nsends = r.nsends;
        memcpy(keep.sends, r.sends, sizeof(keep.sends));
        o = rec_to_json(&keep);
        rc = o != NULL ? sspr_store_write(st, key, o) : SSPR_STORE_EIO;
        json_decref(o);
    } else {
        rc = sspr_store_remove(st, key);
    }
    sspr_store_unlock(lockfd);
    return rc;
}

unsigned sspr_throttle_delay(const struct sspr_config *cfg, int failures)
{
    unsigned d;
    int i;

    if (cfg == NULL || cfg->failure_delay <= 0 || failures <= 0)
        return 0;
    d = (unsigned)cfg->failure_delay;
    for (i = 1; i < failures && d < DELAY_CAP; i++)
        d *= 2;
    return d < DELAY_CAP ? d : DELAY_CAP;
}

/* ---- subject keys -------------------------------------------------------------- */

static int host_key_parse(const json_t *o, uint8_t key[HOST_KEY_BYTES])
{
    const json_t *v = json_object_get(o, "key");
    size_t got = 0;

    if (!json_is_string(v) || json_string_length(v) != 2 * HOST_KEY_BYTES)
        return -1;
    if (sodium_hex2bin(key, HOST_KEY_BYTES, json_string_value(v), 2 * HOST_KEY_BYTES, NULL, &got,
                       NULL) != 0 ||
        got != HOST_KEY_BYTES)
        return -1;
    return 0;
}

/* The per-host key for hashing unknown names, made on first use. */
static int host_key(struct sspr_store *st, uint8_t key[HOST_KEY_BYTES])
{
    json_t *o = NULL;
    int rc, lockfd;

    rc = sspr_store_read(st, HOST_KEY_RECORD, &o);
    if (rc == SSPR_STORE_OK) {
        rc = host_key_parse(o, key) == 0 ? SSPR_STORE_OK : SSPR_STORE_ECORRUPT;
        json_decref(o);
        return rc;
    }
    if (rc != SSPR_STORE_ENOENT)
        return rc;

    /* Two first uses at once must agree on one key: look again under the
     * lock before making it. */
    lockfd = sspr_store_lock(st, HOST_KEY_RECORD, SSPR_THROTTLE_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, HOST_KEY_RECORD, &o);
    if (rc == SSPR_STORE_OK) {
        rc = host_key_parse(o, key) == 0 ? SSPR_STORE_OK : SSPR_STORE_ECORRUPT;
    } else if (rc == SSPR_STORE_ENOENT) {
        char hex[2 * HOST_KEY_BYTES + 1];

        randombytes_buf(key, HOST_KEY_BYTES);
        sodium_bin2hex(hex, sizeof(hex), key, HOST_KEY_BYTES);
        o = json_pack("{ss}", "key", hex);
        SSPR_WIPE_ARRAY(hex);
        rc = o != NULL ? sspr_store_write(st, HOST_KEY_RECORD, o) : SSPR_STORE_EIO;
    }
    json_decref(o);
    sspr_store_unlock(lockfd);
    if (rc != SSPR_STORE_OK)
        sspr_wipe(key, HOST_KEY_BYTES);
    return rc;
}

int sspr_throttle_key(struct sspr_store *st, long uid, const char *name,
                      char *key, size_t keylen)
{
    uint8_t hk[HOST_KEY_BYTES], h[NAME_HASH_BYTES];
    char hex[2 * NAME_HASH_BYTES + 1];
    int rc, n;

    if (key == NULL || keylen == 0)
        return SSPR_STORE_EINVAL;
    key[0] = '\0';
    if (uid >= 0) {
        n = snprintf(key, keylen, "throttle-u%ld", uid);
        if (n < 0 || (size_t)n >= keylen) {
            key[0] = '\0';
            return SSPR_STORE_EINVAL;
        }
        return 0;
    }
    if (st == NULL || name == NULL)
        return SSPR_STORE_EINVAL;
    rc = host_key(st, hk);
    if (rc != SSPR_STORE_OK)
        return rc;
    /* The typed name may be a password typed at the wrong prompt: only a
     * keyed hash of it is ever written. */
    crypto_generichash(h, sizeof(h), (const unsigned char *)name, strlen(name), hk, sizeof(hk));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    n = snprintf(key, keylen, "throttle-n%s", hex);
    SSPR_WIPE_ARRAY(hk);
    SSPR_WIPE_ARRAY(h);
    SSPR_WIPE_ARRAY(hex);
    if (n < 0 || (size_t)n >= keylen) {
        key[0] = '\0';
        return SSPR_STORE_EINVAL;
    }
    return 0;
}

/* ---- garbage collection ------------------------------------------------------------ */

/* 1 when name is "throttle-n" + 32 hex + ".json" (a name that matched no
 * account); key gets the part before ".json". */
static int unknown_name_record(const char *name, char *key, size_t keylen)
{
    const char *prefix = "throttle-n";
    size_t pl = strlen(prefix), n = strlen(name);

    if (n != pl + 2 * NAME_HASH_BYTES + 5 || strncmp(name, prefix, pl) != 0 ||
        strcmp(name + n - 5, ".json") != 0 || n - 5 >= keylen)
        return 0;
    for (size_t i = pl; i < n - 5; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    memcpy(key, name, n - 5);
    key[n - 5] = '\0';
    return 1;
}

int sspr_throttle_gc(struct sspr_store *st, time_t now, const struct sspr_config *cfg,
                     unsigned *removed)
{
    int dfd;
    DIR *d;
    struct dirent *e;

    if (removed != NULL)
        *removed = 0;
    if (st == NULL || st->dirfd < 0 || cfg == NULL || (dfd = dup(st->dirfd)) < 0)
        return SSPR_STORE_EINVAL;
    if ((d = fdopendir(dfd)) == NULL) {
        close(dfd);
        return SSPR_STORE_EIO;
    }
    rewinddir(d); /* a dup shares the read offset of earlier scans */
    while ((e = readdir(d)) != NULL) {
        char key[64], lock[96];
        struct rec r;
        int lockfd;

        if (!unknown_name_record(e->d_name, key, sizeof(key)))
            continue;
        lockfd = sspr_store_lock(st, key, 0);
        if (lockfd < 0)
            continue; /* in use right now */
        /* only records that say nothing any more: no failures in the
         * window, no lockout, no send in the last hour (a corrupt one is
         * left for an admin to see) */
        if (rec_load(st, key, now, cfg, &r) == 0) {
            sends_prune(&r, now);
            if (r.failures == 0 && r.locked_until == 0 && r.nsends == 0 &&
                sspr_store_remove(st, key) == SSPR_STORE_OK) {
                /* Lock files are otherwise never removed (a waiter on an
                 * unlinked one could share the lock with a newcomer); for a
                 * name that matches no account and says nothing any more,
                 * that rare race costs nothing, and the directory stays
                 * bounded. */
                snprintf(lock, sizeof(lock), "%s.lock", key);
                (void)unlinkat(st->dirfd, lock, 0);
                snprintf(lock, sizeof(lock), "gate-%s.lock", key);
                (void)unlinkat(st->dirfd, lock, 0);
                if (removed != NULL)
                    (*removed)++;
            }
        }
        sspr_store_unlock(lockfd);
    }
    closedir(d);
    return SSPR_STORE_OK;
}
