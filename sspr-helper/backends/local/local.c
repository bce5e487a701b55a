/*
 * The local backend: one record per UID,
 *   {"version":1, "uid":N, "user":"name",
 *    "totp":{"secret":"BASE32","last_step":-1,"enrolled":T},
 *    "recovery":{"key":hex,"hashes":[hex...],"enrolled":T}}
 * Verification reads, checks, consumes and writes back under the UID's
 * lock, so a code can be used once even by two connections at once.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "backends/backend.h"
#include "support/base32.h"
#include "delivery/email.h"
#include "delivery/sms.h"
#include "proofs/questions.h"
#include "proofs/recovery.h"
#include "proofs/totp.h"
#include "wipe.h"

#define LOCK_TIMEOUT_MS 5000

void sspr_local_user_key(unsigned long uid, char *key, size_t keylen)
{
    snprintf(key, keylen, "user-%lu", uid);
}

static int local_methods(struct sspr_backend *be, const struct sspr_account *acct, unsigned *out)
{
    char key[64];
    json_t *rec = NULL;
    int rc;

    *out = 0;
    sspr_local_user_key(acct->uid, key, sizeof(key));
    rc = sspr_store_read(be->store, key, &rec);
    if (rc == SSPR_STORE_ENOENT)
        return 0;
    if (rc != SSPR_STORE_OK)
        return -1;
    if (json_is_object(json_object_get(rec, "totp")))
        *out |= SSPR_M_TOTP;
    if (sspr_recovery_remaining(json_object_get(rec, "recovery")) > 0)
        *out |= SSPR_M_RECOVERY;
    /* Addresses count whether the user or an admin's import set them; the
     * code sent there proves control of the address either way. */
    json_t *v = json_object_get(json_object_get(rec, "email"), "address");
    if (json_is_string(v) && sspr_email_valid(json_string_value(v)))
        *out |= SSPR_M_EMAIL;
    v = json_object_get(json_object_get(rec, "phone"), "number");
    if (json_is_string(v) && sspr_phone_valid(json_string_value(v)))
        *out |= SSPR_M_SMS;
    if (sspr_questions_count(rec) > 0)
        *out |= SSPR_M_QUESTIONS;
    json_decref(rec);
    return 0;
}

/* 1 when the answer is exactly six ASCII digits. */
static int looks_like_totp(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (s[n] < '0' || s[n] > '9')
            return 0;
    return n == SSPR_TOTP_DIGITS;
}

static enum sspr_verify check_totp(json_t *totp, const char *answer)
{
    uint8_t secret[64];
    json_t *sec = json_object_get(totp, "secret");
    json_t *last = json_object_get(totp, "last_step");
    int64_t matched = -1;
    long n;
    enum sspr_verify v = SSPR_VERIFY_BAD;

    if (!json_is_string(sec) || !json_is_integer(last))
        return SSPR_VERIFY_ERROR;
    n = sspr_base32_decode(json_string_value(sec), secret, sizeof(secret));
    if (n < SSPR_TOTP_SECRET_BYTES) { /* >= 160 bits (SECURITY.md 11), also for imports */
        SSPR_WIPE_ARRAY(secret);
        return SSPR_VERIFY_ERROR;
    }
    if (sspr_totp_verify(secret, (size_t)n, time(NULL), answer,
                         (int64_t)json_integer_value(last), &matched) == 0) {
        json_object_set_new(totp, "last_step", json_integer((json_int_t)matched));
        v = SSPR_VERIFY_OK;
    }
    SSPR_WIPE_ARRAY(secret);
    return v;
}

static enum sspr_verify local_verify(struct sspr_backend *be, const struct sspr_account *acct,
                                     const char *answer, unsigned allowed, unsigned *used)
{
    char key[64];
    json_t *rec = NULL, *part;
    enum sspr_verify v = SSPR_VERIFY_BAD;
    int lockfd, rc;

    *used = 0;
    sspr_local_user_key(acct->uid, key, sizeof(key));
    lockfd = sspr_store_lock(be->store, key, LOCK_TIMEOUT_MS);
    if (lockfd < 0)
        return SSPR_VERIFY_ERROR;
    rc = sspr_store_read(be->store, key, &rec);
    if (rc == SSPR_STORE_ENOENT) {
        sspr_store_unlock(lockfd);
        return SSPR_VERIFY_BAD;
    }
    if (rc != SSPR_STORE_OK) {
        syslog(LOG_ERR, "record %s unreadable: %s", key, sspr_store_strerror(rc));
        sspr_store_unlock(lockfd);
        return SSPR_VERIFY_ERROR;
    }
    if ((allowed & SSPR_M_TOTP) && looks_like_totp(answer) &&
        json_is_object(part = json_object_get(rec, "totp"))) {
        v = check_totp(part, answer);
        *used = SSPR_M_TOTP;
    } else if ((allowed & SSPR_M_RECOVERY) && sspr_recovery_looks_like(answer) &&
               json_is_object(part = json_object_get(rec, "recovery"))) {
        v = sspr_recovery_consume(part, answer) == 0 ? SSPR_VERIFY_OK : SSPR_VERIFY_BAD;
        *used = SSPR_M_RECOVERY;
    }
    /* The proof is spent only if the record says so on disk. */
    if (v == SSPR_VERIFY_OK && sspr_store_write(be->store, key, rec) != SSPR_STORE_OK) {
        syslog(LOG_ERR, "record %s: could not store the used code", key);
        v = SSPR_VERIFY_ERROR;
    }
    if (v != SSPR_VERIFY_OK)
        *used = 0;
    json_decref(rec);
    sspr_store_unlock(lockfd);
    return v;
}

int sspr_local_edit(struct sspr_store *st, unsigned long uid, const char *name,
                    sspr_record_edit edit, void *ctx)
{
    char key[64];
    json_t *rec = NULL;
    int lockfd, rc;

    sspr_local_user_key(uid, key, sizeof(key));
    lockfd = sspr_store_lock(st, key, LOCK_TIMEOUT_MS);
    if (lockfd < 0)
        return lockfd;
    rc = sspr_store_read(st, key, &rec);
    if (rc == SSPR_STORE_ENOENT) {
        rec = json_object();
        rc = rec != NULL ? SSPR_STORE_OK : SSPR_STORE_EIO;
    }
    if (rc == SSPR_STORE_OK) {
        json_object_set_new(rec, "version", json_integer(1));
        json_object_set_new(rec, "uid", json_integer((json_int_t)uid));
        json_object_set_new(rec, "user", json_string(name));
        rc = edit(rec, ctx) == 0 ? sspr_store_write(st, key, rec) : SSPR_LOCAL_EDIT_ABORTED;
    }
    json_decref(rec);
    sspr_store_unlock(lockfd);
    return rc;
}

int sspr_local_set_field(json_t *rec, void *vctx)
{
    const struct sspr_set_field *sf = vctx;

    if (sf->value == NULL) {
        (void)json_object_del(rec, sf->field);
        return 0;
    }
    return json_object_set(rec, sf->field, sf->value);
}

int sspr_local_drop_methods(json_t *rec, void *ctx)
{
    static const char *const fields[] = { "totp", "recovery", "email", "phone", "questions",
                                          "registered" };
    (void)ctx;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        (void)json_object_del(rec, fields[i]);
    return 0;
}

void sspr_backend_local(struct sspr_backend *be, struct sspr_store *store)
{
    be->name = "local";
    be->methods = local_methods;
    be->verify = local_verify;
    be->store = store;
}
