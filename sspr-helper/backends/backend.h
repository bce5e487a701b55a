/*
 * What the flow asks of a backend. The flow talks to this table, never to a
 * concrete backend; `local` (backends/local.c) is the embedded default.
 */
#ifndef SSPR_BACKEND_H
#define SSPR_BACKEND_H

#include "backends/account.h"
#include "backends/local/store.h"

enum sspr_verify {
    SSPR_VERIFY_OK = 0,
    SSPR_VERIFY_BAD = 1,    /* wrong, replayed, used up, or method not allowed */
    SSPR_VERIFY_ERROR = 2,  /* record corrupt, store failure: fail closed */
};

struct sspr_backend {
    const char *name;
    /* Registered methods (bit set of enum sspr_method) for an account; a
     * missing record is 0, a corrupt one is an error (-1). */
    int (*methods)(struct sspr_backend *be, const struct sspr_account *acct, unsigned *out);
    /* Check one answer against the allowed methods not used yet in this
     * flow. On OK, *used is the method that matched, and the proof is
     * already consumed (TOTP step stored, recovery code removed) under the
     * account's lock. */
    enum sspr_verify (*verify)(struct sspr_backend *be, const struct sspr_account *acct,
                               const char *answer, unsigned allowed, unsigned *used);
    struct sspr_store *store;
};

/* The local backend over an open store. */
void sspr_backend_local(struct sspr_backend *be, struct sspr_store *store);

/* Store key of an account's record: "user-<uid>". */
void sspr_local_user_key(unsigned long uid, char *key, size_t keylen);

/* Change an account's record under its lock: read it (a missing one starts
 * empty), stamp version/uid/user, call edit, write it back atomically only
 * when edit returned 0. Returns SSPR_STORE_OK, a store error, or
 * SSPR_LOCAL_EDIT_ABORTED when edit said no (nothing written). */
#define SSPR_LOCAL_EDIT_ABORTED (-100)
typedef int (*sspr_record_edit)(json_t *rec, void *ctx);
int sspr_local_edit(struct sspr_store *st, unsigned long uid, const char *name,
                    sspr_record_edit edit, void *ctx);

/* An edit for sspr_local_edit: rec[field] = value (NULL value: remove
 * field). The caller keeps its reference to value. */
struct sspr_set_field {
    const char *field;
    json_t *value;
};
int sspr_local_set_field(json_t *rec, void *set_field);

/* An edit for sspr_local_edit: forget every registered method (and the
 * registration stamp); throttle records are kept. ctx is unused. */
int sspr_local_drop_methods(json_t *rec, void *ctx);

#endif
