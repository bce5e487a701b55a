/*
 * The local backend (the embedded default): accounts from passwd/shadow,
 * state as one JSON record per key under state_dir (root, 0700), each
 * written atomically under its own lock (backends/local/store.c), the
 * password written through pam_chauthtok on sspr-passwd, and pam_faillock's
 * tally as the lockout that `unlock` lifts (faillock.c). Updates read,
 * edit and write under the record's lock, so a code is spent once even by
 * two connections at once.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "backends/local/local.h"

#define FACTS_RECORD "delivery-status"

static int local_open(struct sspr_backend *be)
{
    struct sspr_local *l = calloc(1, sizeof(*l));
    int rc;

    if (l == NULL)
        return SSPR_ERR_NOMEM;
    rc = sspr_store_open(&l->store, be->cfg->state_dir, (be->flags & SSPR_BACKEND_CREATE) != 0);
    if (rc != SSPR_OK) {
        free(l);
        return rc;
    }
    be->priv = l;
    return SSPR_OK;
}

static void local_close(struct sspr_backend *be)
{
    struct sspr_local *l = be->priv;

    if (l != NULL) {
        sspr_store_close(&l->store);
        free(l);
    }
    be->priv = NULL;
}

static void user_key(const struct sspr_account *acct, char *key, size_t len)
{
    sspr_local_user_key((unsigned long)acct->uid, key, len);
}

static int local_load(struct sspr_backend *be, const struct sspr_account *acct,
                      struct sspr_record *out)
{
    char key[64];
    json_t *obj = NULL;
    int rc;

    sspr_record_init(out);
    user_key(acct, key, sizeof(key));
    rc = sspr_store_read(sspr_local_store(be), key, &obj);
    if (rc == SSPR_ERR_NOENT)
        return SSPR_OK;
    if (rc != SSPR_OK) {
        syslog(LOG_ERR, "record %s unreadable: %s", key, sspr_strerror(rc));
        return rc;
    }
    rc = sspr_local_record_decode(obj, out);
    json_decref(obj);
    return rc;
}

/* Read (a missing record starts empty when allowed), edit, and write the
 * parts the edit changed, all under the record's lock. */
static int local_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                        sspr_record_edit edit, void *ctx)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_record before, after;
    char key[64];
    json_t *obj = NULL;
    int lockfd, rc, wrote = 0;

    sspr_record_init(&before);
    sspr_record_init(&after);
    user_key(acct, key, sizeof(key));
    lockfd = sspr_store_lock(st, key, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, key, &obj);
    if (rc == SSPR_ERR_NOENT && (flags & SSPR_UPDATE_CREATE)) {
        obj = json_object();
        rc = obj != NULL ? SSPR_OK : SSPR_ERR_NOMEM;
    }
    if (rc == SSPR_OK)
        rc = sspr_local_record_decode(obj, &before);
    if (rc == SSPR_OK)
        rc = sspr_record_copy(&after, &before);
    if (rc == SSPR_OK)
        rc = edit(&after, ctx);
    if (rc == SSPR_OK)
        rc = sspr_local_record_encode(obj, &before, &after);
    if (rc == SSPR_OK) {
        json_object_set_new(obj, "version", json_integer(1));
        json_object_set_new(obj, "uid", json_integer((json_int_t)acct->uid));
        json_object_set_new(obj, "user", json_string(acct->name));
        /* the directory is synced after the lock is released (as a
         * throttle charge: backends/local/throttle_json.c says why that is
         * safe), still before the caller learns the proof was spent */
        rc = sspr_store_write_flags(st, key, obj, SSPR_STORE_LAZY);
        wrote = rc == SSPR_OK;
    }
    json_decref(obj);
    sspr_store_unlock(lockfd);
    if (wrote)
        rc = sspr_store_sync(st);
    sspr_record_clear(&before);
    sspr_record_clear(&after);
    return rc;
}

/* After the gates the flow writes its id into the record as "grant"; the
 * commit runs under the record's lock and only while the record still
 * holds that id. Of two resets racing for one account, the one that passed
 * its gates last commits and the other is told so (docs/security.md 20). */
static int local_grant(struct sspr_backend *be, const struct sspr_account *acct,
                       const char *flow_id)
{
    struct sspr_store *st = sspr_local_store(be);
    char key[64];
    json_t *obj = NULL;
    int lockfd, rc;

    user_key(acct, key, sizeof(key));
    lockfd = sspr_store_lock(st, key, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, key, &obj);
    if (rc == SSPR_OK) {
        /* lazy: after a crash the flow that held it is gone anyway */
        rc = json_object_set_new(obj, "grant", json_string(flow_id)) == 0
                 ? sspr_store_write_flags(st, key, obj, SSPR_STORE_LAZY)
                 : SSPR_ERR_NOMEM;
    }
    json_decref(obj);
    sspr_store_unlock(lockfd);
    return rc;
}

static enum sspr_commit local_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                     const char *flow_id, const char *password, char *msg,
                                     size_t msglen)
{
    struct sspr_store *st = sspr_local_store(be);
    struct sspr_account now;
    enum sspr_commit c = SSPR_COMMIT_ERROR;
    char key[64];
    json_t *obj = NULL, *grant;
    int lockfd;

    msg[0] = '\0';
    user_key(acct, key, sizeof(key));
    lockfd = sspr_store_lock(st, key, SSPR_LOCAL_LOCK_MS);
    if (lockfd < 0)
        return SSPR_COMMIT_ERROR;
    if (sspr_store_read(st, key, &obj) != SSPR_OK)
        goto out;
    grant = json_object_get(obj, "grant");
    if (!json_is_string(grant) || strcmp(json_string_value(grant), flow_id) != 0) {
        c = SSPR_COMMIT_LOST;
        goto out;
    }
    /* Re-checked right before the write, under the shadow lock held until
     * pam_unix has written (shadow_lock.c): an admin's lock set meanwhile
     * either refuses the reset here or waits and then locks the new hash. */
    if (sspr_local_shadow_lock() != SSPR_OK) {
        syslog(LOG_ERR, "commit: the shadow lock (/etc/.pwd.lock) was not taken in time");
        goto out;
    }
    if (sspr_local_resolve(be, acct->name, &now) != SSPR_OK || now.why != SSPR_ACCT_OK ||
        now.uid != acct->uid) {
        sspr_local_shadow_unlock();
        c = SSPR_COMMIT_CHANGED;
        goto out;
    }
    if (sspr_local_writeback(be->cfg, acct->name, password, msg, msglen) != 0) {
        sspr_local_shadow_unlock();
        c = SSPR_COMMIT_REFUSED;
        goto out;
    }
    sspr_local_shadow_unlock();
    c = SSPR_COMMIT_OK;
    (void)json_object_del(obj, "grant");
    (void)sspr_store_write_flags(st, key, obj, SSPR_STORE_LAZY); /* a stale grant is harmless */
out:
    json_decref(obj);
    sspr_store_unlock(lockfd);
    return c;
}

/* Host facts: one small record of named numbers. */
static int local_fact_get(struct sspr_backend *be, const char *name, long long *value)
{
    json_t *obj = NULL, *v;
    int rc = sspr_store_read(sspr_local_store(be), FACTS_RECORD, &obj);

    if (rc != SSPR_OK)
        return rc;
    v = json_object_get(obj, name);
    rc = json_is_integer(v) ? SSPR_OK : SSPR_ERR_NOENT;
    if (rc == SSPR_OK)
        *value = (long long)json_integer_value(v);
    json_decref(obj);
    return rc;
}

static int local_fact_set(struct sspr_backend *be, const char *name, long long value, int remove)
{
    struct sspr_store *st = sspr_local_store(be);
    json_t *obj = NULL;
    int lockfd = sspr_store_lock(st, FACTS_RECORD, 2000), rc;

    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, FACTS_RECORD, &obj);
    if (rc == SSPR_ERR_NOENT || rc == SSPR_ERR_CORRUPT) {
        json_decref(obj);
        obj = json_object();
        rc = obj != NULL ? SSPR_OK : SSPR_ERR_NOMEM;
    }
    if (rc == SSPR_OK) {
        json_t *cur = json_object_get(obj, name);
        if (remove && cur == NULL) {
            rc = SSPR_OK; /* nothing to forget: no write */
        } else {
            if (remove)
                (void)json_object_del(obj, name);
            else
                json_object_set_new(obj, name, json_integer((json_int_t)value));
            rc = sspr_store_write(st, FACTS_RECORD, obj);
        }
    }
    json_decref(obj);
    sspr_store_unlock(lockfd);
    return rc;
}

/* The lockout after failed sign-ins: pam_faillock's tally (faillock.c). */
static int local_unlock(struct sspr_backend *be, const struct sspr_account *acct)
{
    (void)be;
    return sspr_local_faillock_reset(acct->name);
}

static int local_gc(struct sspr_backend *be, time_t now, unsigned *removed)
{
    return sspr_local_gc(be, now, removed);
}

static int local_prepare(struct sspr_backend *be)
{
    (void)be;
    return sspr_local_writeback_ready() ? SSPR_OK : SSPR_ERR_UNAVAILABLE;
}

const struct sspr_backend_ops sspr_backend_local = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .resolve = sspr_local_resolve,
    .member_of = sspr_local_member_of,
    .load = local_load,
    .update = local_update,
    .subject = sspr_local_subject,
    .throttle_load = sspr_local_throttle_load,
    .throttle_update = sspr_local_throttle_update,
    .grant = local_grant,
    .commit = local_commit,
    .unlock = local_unlock,
    .fact_get = local_fact_get,
    .fact_set = local_fact_set,
    .gc = local_gc,
    .prepare = local_prepare,
    .doctor = sspr_local_doctor,
};
