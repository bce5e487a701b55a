/*
 * Failed-verification throttling shared by every connection: the counts live
 * in the state store and every update is a read-modify-write under the
 * subject's lock, so parallel sessions cannot lose increments (CVE-2015-5600
 * was a counter per connection). Anything unexpected locks, never unlocks.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "throttle.h"
#include "wipe.h"

#define HOST_KEY_RECORD "throttle-key"
#define HOST_KEY_BYTES 32
#define NAME_HASH_BYTES 16  /* 128 bits: "throttle-n" + 32 hex stays under the 64-char key limit */
#define DELAY_CAP 30u

struct rec {
    long long failures, since, locked_until, consecutive;
};

static void set_locked(struct sspr_throttle_state *out, const struct sspr_config *cfg)
{
    out->failures = cfg != NULL ? cfg->max_failures : 0;
    out->locked_until = SSPR_THROTTLE_FOREVER;
}

/* A record is exactly the four non-negative integers we write. */
static int rec_from_json(const json_t *o, struct rec *r)
{
    static const char *const names[] = { "failures", "since", "locked_until", "consecutive" };
    long long *fields[] = { &r->failures, &r->since, &r->locked_until, &r->consecutive };
    size_t i;

    if (!json_is_object(o) || json_object_size(o) != 4)
        return -1;
    for (i = 0; i < 4; i++) {
        const json_t *v = json_object_get(o, names[i]);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return -1;
        *fields[i] = json_integer_value(v);
    }
    if (r->failures > INT32_MAX || r->consecutive > INT32_MAX)
        return -1;
    return 0;
}

static json_t *rec_to_json(const struct rec *r)
{
    return json_pack("{sI sI sI sI}", "failures", (json_int_t)r->failures, "since",
                     (json_int_t)r->since, "locked_until", (json_int_t)r->locked_until,
                     "consecutive", (json_int_t)r->consecutive);
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
        }
        return;
    }
    if (r->failures > 0 && (long long)now >= r->since &&
        (long long)now - r->since >= (long long)cfg->failure_window) {
        r->failures = 0;
        r->since = 0;
    }
}

static void rec_to_state(const struct rec *r, struct sspr_throttle_state *out)
{
    out->failures = (int)r->failures;
    out->locked_until = (time_t)r->locked_until;
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
    rec_to_state(&r, out);
    return 0;
}

int sspr_throttle_locked(const struct sspr_throttle_state *s, time_t now)
{
    return s == NULL || (s->locked_until != 0 && now < s->locked_until);
}

int sspr_throttle_fail(struct sspr_store *st, const char *key, time_t now,
                       const struct sspr_config *cfg, struct sspr_throttle_state *out)
{
    struct rec r;
    json_t *o;
    int lockfd, rc;

    if (out == NULL)
        return SSPR_STORE_EINVAL;
    set_locked(out, cfg);
    if (st == NULL || key == NULL || cfg == NULL)
        return SSPR_STORE_EINVAL;
    lockfd = sspr_store_lock(st, key, SSPR_THROTTLE_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = rec_load(st, key, now, cfg, &r);
    if (rc != 0) {
        /* Corrupt: leave it for an admin to see; writing a fresh count over
         * it would turn "corrupt" into "unlocked". */
        sspr_store_unlock(lockfd);
        return rc == 1 ? SSPR_STORE_ECORRUPT : rc;
    }
    if (r.failures == 0)
        r.since = (long long)now;
    if (r.failures < INT32_MAX)
        r.failures++;
    if (r.consecutive < INT32_MAX)
        r.consecutive++;
    /* Failures while locked still count, but do not extend the lockout:
     * otherwise anyone could keep an account locked by trying on. */
    if (r.consecutive >= cfg->max_consecutive)
        r.locked_until = (long long)SSPR_THROTTLE_FOREVER;
    else if (r.locked_until == 0 && r.failures >= cfg->max_failures)
        r.locked_until = (long long)now > INT64_MAX - cfg->lockout
                             ? (long long)SSPR_THROTTLE_FOREVER
                             : (long long)now + cfg->lockout;
    o = rec_to_json(&r);
    rc = o != NULL ? sspr_store_write(st, key, o) : SSPR_STORE_EIO;
    json_decref(o);
    sspr_store_unlock(lockfd);
    if (rc != SSPR_STORE_OK)
        return rc;
    rec_to_state(&r, out);
    return 0;
}

int sspr_throttle_clear(struct sspr_store *st, const char *key)
{
    int lockfd, rc;

    if (st == NULL || key == NULL)
        return SSPR_STORE_EINVAL;
    lockfd = sspr_store_lock(st, key, SSPR_THROTTLE_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_remove(st, key);
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
