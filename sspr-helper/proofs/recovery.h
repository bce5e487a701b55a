/*
 * Recovery codes: ten single-use codes of 80 bits each, shown once as
 * "xxxx-xxxx-xxxx-xxxx" (Crockford base32, case-insensitive, dashes and
 * spaces ignored on input), stored as keyed BLAKE2b hashes with a per-user
 * random key.
 */
#ifndef SSPR_RECOVERY_H
#define SSPR_RECOVERY_H

#include <jansson.h>
#include <stddef.h>

#define SSPR_RECOVERY_COUNT 10
#define SSPR_RECOVERY_CODE_LEN 19   /* 16 symbols + 3 dashes */

/* Make ten new codes into codes[i] (NUL-terminated) and a new JSON object
 * {"key": hex, "hashes": [hex, ...]} to store. Returns 0 or -1. */
int sspr_recovery_generate(char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1],
                           json_t **stored);

/* 1 if typed looks like a recovery code (after normalising), else 0. */
int sspr_recovery_looks_like(const char *typed);

/* Check typed against every stored hash in constant time; on a match remove
 * that hash from stored (the caller writes the record back under its lock)
 * and return 0. Otherwise -1. A malformed stored object is -1. */
int sspr_recovery_consume(json_t *stored, const char *typed);

/* How many unused codes remain (0 for a malformed object). */
size_t sspr_recovery_remaining(const json_t *stored);

#endif
