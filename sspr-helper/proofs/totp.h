/* RFC 6238 TOTP (HMAC-SHA-1, 30 s steps) with replay protection. */
#ifndef SSPR_TOTP_H
#define SSPR_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SSPR_TOTP_SECRET_BYTES 20   /* 160 bits (RFC 4226 4) */
#define SSPR_TOTP_STEP 30
#define SSPR_TOTP_DIGITS 6
#define SSPR_TOTP_WINDOW 1          /* +-1 step */

/* The code for time step `step` (T = floor(unix / 30)), `digits` long
 * (6..8), NUL-terminated into out (>= 9 bytes). Returns 0 or -1. */
int sspr_totp_code(const uint8_t *secret, size_t secret_len, uint64_t step,
                   unsigned digits, char *out, size_t outlen);

/* Check a 6-digit code typed by the user against steps now-1..now+1.
 * Only ASCII digits of exactly SSPR_TOTP_DIGITS length are accepted. A step
 * <= last_step (the last one accepted, -1 for none) is refused, so a code
 * never works twice and an earlier step after a later one fails too.
 * Every candidate is computed and compared in constant time.
 * Returns 0 and sets *matched_step, or -1. */
int sspr_totp_verify(const uint8_t *secret, size_t secret_len, time_t now,
                     const char *code, int64_t last_step, int64_t *matched_step);

/* 0 when codes can be computed (liboath loaded and initialised, once:
 * support/lazy.h), -1 when not (logged). */
int sspr_totp_ready(void);

/* A fresh random secret from the CSPRNG. */
void sspr_totp_new_secret(uint8_t secret[SSPR_TOTP_SECRET_BYTES]);

#endif
