/*
 * An account's registration as every backend hands it over: for each gate
 * (by its index in the gate table, gates/gate.h) the material that gate
 * keeps, in a shape any store can hold: one secret, one compare-and-swap
 * counter, a set of values (optionally with a label each), one text, and
 * who set it when. What each field means is the gate's business; how it is
 * stored is the backend's.
 *
 *   totp       secret = base32 key, counter = last accepted step
 *   recovery   secret = hash key (hex), values = unused code hashes
 *   email, sms text = address / number
 *   questions  labels = question texts, values = argon2id answer hashes
 */
#ifndef SSPR_RECORD_H
#define SSPR_RECORD_H

#include <stddef.h>

#define SSPR_GATES_MAX 8
#define SSPR_MATERIAL_VALUES 64
#define SSPR_MATERIAL_SECRET 128 /* characters: 64 bytes in hex */
#define SSPR_MATERIAL_TEXT 256
#define SSPR_MATERIAL_VALUE 1024 /* characters of one value or label */

struct sspr_material {
    int present; /* the method is registered */
    int damaged; /* present, but the store could not read it all:
                                             the gate refuses it (fails closed) */
    char secret[SSPR_MATERIAL_SECRET + 1];
    long long counter; /* -1: none */
    size_t nvalues;
    char *values[SSPR_MATERIAL_VALUES];
    char *labels[SSPR_MATERIAL_VALUES]; /* NULL where a value has none */
    char text[SSPR_MATERIAL_TEXT];
    char source[16]; /* "user", "admin", "import", "directory", "" */
    long long since; /* when it was set (0: unknown) */
};

struct sspr_record {
    struct sspr_material m[SSPR_GATES_MAX];
    long long registered; /* registration at sign-in completed (0: never) */
};

/* An empty record / material (counter -1). */
void sspr_record_init(struct sspr_record *r);
void sspr_material_init(struct sspr_material *m);

/* Wipe and free everything in it; it is empty afterwards. */
void sspr_record_clear(struct sspr_record *r);
void sspr_material_clear(struct sspr_material *m);

/* 1 when no method is registered at all. */
int sspr_record_empty(const struct sspr_record *r);

/* Deep copy (dst is cleared first). 0 or SSPR_ERR_NOMEM (dst then empty). */
int sspr_record_copy(struct sspr_record *dst, const struct sspr_record *src);
int sspr_material_copy(struct sspr_material *dst, const struct sspr_material *src);

/* 1 when both say exactly the same. */
int sspr_material_equal(const struct sspr_material *a, const struct sspr_material *b);

/* Append a value (label may be NULL). SSPR_OK, SSPR_ERR_INVAL (too many,
 * too long) or SSPR_ERR_NOMEM. */
int sspr_material_add(struct sspr_material *m, const char *value, const char *label);

/* Remove value i (wiped), keeping the order of the others. */
void sspr_material_remove(struct sspr_material *m, size_t i);

/* Set text / secret / source, refusing (SSPR_ERR_INVAL) what does not fit. */
int sspr_material_set_text(struct sspr_material *m, const char *text);
int sspr_material_set_secret(struct sspr_material *m, const char *secret);
int sspr_material_set_source(struct sspr_material *m, const char *source);

#endif
