/* HELLO payload: NUL-separated key=value entries. */
#ifndef SSPR_KV_H
#define SSPR_KV_H

#include <stddef.h>

/* Append "key=value\0" to buf (capacity cap, current length *len).
 * Values must not contain NUL (they are C strings); NULL becomes "".
 * Returns 0, or -1 when it would not fit (buf is left as it was). */
int sspr_kv_append(char *buf, size_t cap, size_t *len, const char *key, const char *value);

/* Check that payload[0..len) is a sequence of "key=value\0" entries with
 * non-empty, unique keys made of [a-z_]. Returns 0 or -1. */
int sspr_kv_validate(const char *payload, size_t len);

/* Value for key in a validated payload, or NULL. */
const char *sspr_kv_get(const char *payload, size_t len, const char *key);

#endif
