/*
 * Recovery codes: ten single-use codes of 80 bits each, shown once as
 * "xxxx-xxxx-xxxx-xxxx" (Crockford base32, case-insensitive, dashes and
 * spaces ignored on input), stored as keyed BLAKE2b hashes with a per-user
 * random key.
 */
#ifndef SSPR_RECOVERY_H
#define SSPR_RECOVERY_H

#include <stddef.h>

#define SSPR_RECOVERY_COUNT 10
#define SSPR_RECOVERY_CODE_LEN 19   /* 16 symbols + 3 dashes */

#define SSPR_RECOVERY_KEY_HEX 64    /* the hash key, in hex */
#define SSPR_RECOVERY_HASH_HEX 64   /* one code's hash, in hex */

/* Make ten new codes into codes[i] (NUL-terminated), a fresh hash key and
 * the codes' keyed hashes (hex) to store. Returns 0 or -1 (all wiped). */
int sspr_recovery_generate(char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1],
                           char key_hex[SSPR_RECOVERY_KEY_HEX + 1],
                           char hashes_hex[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_HASH_HEX + 1]);

/* 1 if typed looks like a recovery code (after normalising), else 0. */
int sspr_recovery_looks_like(const char *typed);

/* 1 when key_hex and each of the n hashes are hex of the right length. */
int sspr_recovery_valid(const char *key_hex, const char *const *hashes, size_t n);

/* Check typed against every stored hash in constant time: the index of
 * the match, -1 for none, -2 for malformed stored material. The caller
 * removes that hash (the code is then spent). */
long sspr_recovery_match(const char *key_hex, const char *const *hashes, size_t n,
                         const char *typed);

#endif
