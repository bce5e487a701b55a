/*
 * The local backend's throttle state: one store record per account,
 * "throttle-u<uid>"; names that resolve to no account are subjects
 * "throttle-n<hash>" (a keyed BLAKE2b hash under a per-host key kept in
 * the "throttle-key" record: a name typed at the prompt may be a password,
 * so it is never written in clear), kept in 256 bucket records by names.c.
 * Every update is a read-modify-write
 * under the subject's lock, so parallel sessions cannot lose increments
 * (CVE-2015-5600 was a counter per connection).
 *
 *   {"failures":N,"since":T,"locked_until":T,"consecutive":N,
 *    "methods":{"totp":N,...},"sends":[T,...]}
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "backends/local/local.h"
#include "state/throttle.h"
#include "wipe.h"

#define HOST_KEY_RECORD "throttle-key"
#define HOST_KEY_BYTES 32
#define NAME_HASH_BYTES (SSPR_NAMES_HEX / 2)

/* ---- the record codec ---------------------------------------------------------- */

static int methods_from_json(const json_t *o, struct sspr_throttle_rec *r)
{
    const char *name;
    json_t *v;

    if (!json_is_object(o) || json_object_size(o) > SSPR_THROTTLE_METHODS)
        return -1;
    json_object_foreach((json_t *)(uintptr_t)o, name, v) {
        if (strlen(name) >= SSPR_THROTTLE_NAME || !json_is_integer(v))
            return -1;
        snprintf(r->methods[r->nmethods].name, SSPR_THROTTLE_NAME, "%s", name);
        r->methods[r->nmethods].n = json_integer_value(v);
        r->nmethods++;
    }
    return 0;
}

static int sends_from_json(const json_t *a, struct sspr_throttle_rec *r)
{
    if (!json_is_array(a) || json_array_size(a) > SSPR_THROTTLE_SENDS)
        return -1;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);

        if (!json_is_integer(v))
            return -1;
        r->sends[r->nsends++] = json_integer_value(v);
    }
    return 0;
}

/* Exactly the four integers we write, plus optionally "methods" and
 * "sends" (records from before those existed stay valid); values are then
 * checked by sspr_throttle_rec_valid. */
static int decode(const json_t *o, struct sspr_throttle_rec *r)
{
    static const char *const names[] = { "failures", "since", "locked_until", "consecutive" };
    long long *fields[] = { &r->failures, &r->since, &r->locked_until, &r->consecutive };
    const json_t *m, *sn;
    size_t want = 4;

    memset(r, 0, sizeof(*r));
    if (!json_is_object(o))
        return SSPR_ERR_CORRUPT;
    for (size_t i = 0; i < 4; i++) {
        const json_t *v = json_object_get(o, names[i]);

        if (!json_is_integer(v))
            return SSPR_ERR_CORRUPT;
        *fields[i] = json_integer_value(v);
    }
    if ((m = json_object_get(o, "methods")) != NULL) {
        want++;
        if (methods_from_json(m, r) != 0)
            return SSPR_ERR_CORRUPT;
    }
    if ((sn = json_object_get(o, "sends")) != NULL) {
        want++;
        if (sends_from_json(sn, r) != 0)
            return SSPR_ERR_CORRUPT;
    }
    if (json_object_size(o) != want || !sspr_throttle_rec_valid(r))
        return SSPR_ERR_CORRUPT;
    return SSPR_OK;
}

/* r is all zeros when the record cannot be read. */
int sspr_local_throttle_decode(const json_t *o, struct sspr_throttle_rec *r)
{
    int rc = decode(o, r);

    if (rc != SSPR_OK)
        memset(r, 0, sizeof(*r));
    return rc;
}

json_t *sspr_local_throttle_encode(const struct sspr_throttle_rec *r)
{
    json_t *o = json_pack("{sI sI sI sI}", "failures", (json_int_t)r->failures, "since",
                          (json_int_t)r->since, "locked_until", (json_int_t)r->locked_until,
                          "consecutive", (json_int_t)r->consecutive);

    if (o == NULL)
        return NULL;
    if (r->nmethods > 0) {
        json_t *m = json_object();

        if (m == NULL || json_object_set_new(o, "methods", m) != 0)
            goto fail;
        for (size_t i = 0; i < r->nmethods; i++)
            if (json_object_set_new(m, r->methods[i].name,
                                    json_integer((json_int_t)r->methods[i].n)) != 0)
                goto fail;
    }
    if (r->nsends > 0) {
        json_t *a = json_array();

        if (a == NULL || json_object_set_new(o, "sends", a) != 0)
            goto fail;
        for (size_t i = 0; i < r->nsends; i++)
            if (json_array_append_new(a, json_integer((json_int_t)r->sends[i])) != 0)
                goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* ---- subjects --------------------------------------------------------------------- */

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
    if (rc == SSPR_OK) {
        rc = host_key_parse(o, key) == 0 ? SSPR_OK : SSPR_ERR_CORRUPT;
        json_decref(o);
        return rc;
    }
    if (rc != SSPR_ERR_NOENT)
        return rc;
    /* Two first uses at once must agree on one key: look again under the
     * lock before making it. */
    lockfd = sspr_store_lock(st, HOST_KEY_RECORD, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, HOST_KEY_RECORD, &o);
    if (rc == SSPR_OK) {
        rc = host_key_parse(o, key) == 0 ? SSPR_OK : SSPR_ERR_CORRUPT;
    } else if (rc == SSPR_ERR_NOENT) {
        char hex[2 * HOST_KEY_BYTES + 1];

        randombytes_buf(key, HOST_KEY_BYTES);
        sodium_bin2hex(hex, sizeof(hex), key, HOST_KEY_BYTES);
        o = json_pack("{ss}", "key", hex);
        SSPR_WIPE_ARRAY(hex);
        rc = o != NULL ? sspr_store_write(st, HOST_KEY_RECORD, o) : SSPR_ERR_IO;
    }
    json_decref(o);
    sspr_store_unlock(lockfd);
    if (rc != SSPR_OK)
        sspr_wipe(key, HOST_KEY_BYTES);
    return rc;
}

int sspr_local_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                       struct sspr_subject *out)
{
    uint8_t hk[HOST_KEY_BYTES], h[NAME_HASH_BYTES];
    char hex[2 * NAME_HASH_BYTES + 1];
    int rc;

    out->key[0] = '\0';
    if (acct != NULL && acct->known) {
        snprintf(out->key, sizeof(out->key), "throttle-u%lu", (unsigned long)acct->uid);
        return SSPR_OK;
    }
    if (typed == NULL)
        return SSPR_ERR_INVAL;
    rc = host_key(sspr_local_store(be), hk);
    if (rc != SSPR_OK)
        return rc;
    crypto_generichash(h, sizeof(h), (const unsigned char *)typed, strlen(typed), hk, sizeof(hk));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out->key, sizeof(out->key), SSPR_NAMES_PREFIX "%s", hex);
    SSPR_WIPE_ARRAY(hk);
    SSPR_WIPE_ARRAY(h);
    SSPR_WIPE_ARRAY(hex);
    return SSPR_OK;
}

/* ---- load and update ---------------------------------------------------------------- */

int sspr_local_throttle_read(struct sspr_store *st, const char *key, struct sspr_throttle_rec *r,
                             int *found)
{
    json_t *o = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    if (found != NULL)
        *found = 0;
    rc = sspr_store_read(st, key, &o);
    if (rc == SSPR_ERR_NOENT)
        return SSPR_OK;
    if (found != NULL)
        *found = 1; /* there, even when it cannot be read */
    if (rc != SSPR_OK)
        return rc;
    rc = sspr_local_throttle_decode(o, r);
    json_decref(o);
    return rc;
}

int sspr_local_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                             struct sspr_throttle_rec *out)
{
    if (sspr_local_name_key(s->key))
        return sspr_local_names_load(be, s->key, out);
    return sspr_local_throttle_read(sspr_local_store(be), s->key, out, NULL);
}

int sspr_local_throttle_update(struct sspr_backend *be, const struct sspr_subject *s,
                               unsigned flags, sspr_throttle_edit edit, void *ctx,
                               struct sspr_throttle_rec *after)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_throttle_rec r;
    int lockfd, rc;

    if (sspr_local_name_key(s->key))
        return sspr_local_names_update(be, s->key, flags, edit, ctx, after);
    lockfd = sspr_store_lock(st, s->key, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_local_throttle_read(st, s->key, &r, NULL);
    /* a corrupt record is left as it is for an admin to see: writing a fresh
     * count over it would turn "corrupt" into "unlocked" */
    if (rc == SSPR_ERR_CORRUPT && (flags & SSPR_THROTTLE_RESET_CORRUPT))
        rc = SSPR_OK;
    if (rc == SSPR_OK)
        rc = edit(&r, ctx);
    if (rc == SSPR_OK) {
        /* The record's own bytes are synced before its rename, under the
         * lock; the directory is synced after the lock is released. Every
         * name the directory can ever hold then points at synced bytes, and
         * a later writer's record holds this change too (it was read under
         * the lock), so whichever entry that fsync makes durable counts
         * this charge. The next waiter gets the lock one fsync sooner. */
        if (sspr_throttle_rec_empty(&r)) {
            rc = sspr_store_remove_flags(st, s->key, SSPR_STORE_LAZY);
        } else {
            json_t *o = sspr_local_throttle_encode(&r);
            rc = o != NULL ? sspr_store_write_flags(st, s->key, o, SSPR_STORE_LAZY)
                           : SSPR_ERR_NOMEM;
            json_decref(o);
        }
    }
    sspr_store_unlock(lockfd);
    /* durable before the caller judges the answer it charged */
    if (rc == SSPR_OK && !(flags & SSPR_THROTTLE_LAZY))
        rc = sspr_store_sync(st);
    if (rc == SSPR_OK && after != NULL)
        *after = r;
    return rc;
}
