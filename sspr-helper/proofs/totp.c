/*
 * RFC 6238 TOTP, HMAC-SHA-1 (what authenticator apps do), computed by
 * liboath for an explicit step. Verification looks at now-1..now+1 only,
 * compares every candidate in constant time, and refuses any step at or
 * before the last one accepted (RFC 6238 5.2): no replay inside a step, and
 * a clock set back does not revive a used code.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "proofs/totp.h"
#include "support/lazy.h"
#include "wipe.h"

/* liboath, loaded at the first code computed (support/lazy.h) */
static __typeof__(oath_init) *init;
static __typeof__(oath_totp_generate2) *totp_generate2;
static const char *const OATH_NAMES[] = { "oath_init", "oath_totp_generate2" };
static void *const OATH_SLOTS[] = { &init, &totp_generate2 };
static struct sspr_lazy liboath = { "liboath.so.0", OATH_NAMES, OATH_SLOTS, 2, 0 };

int sspr_totp_ready(void)
{
    static int done;

    /* The helper is single-threaded; oath_init is idempotent anyway. */
    if (!done) {
        if (!sspr_lazy_ready(&liboath) || init() != OATH_OK)
            return -1;
        done = 1;
    }
    return 0;
}

int sspr_totp_code(const uint8_t *secret, size_t secret_len, uint64_t step,
                   unsigned digits, char *out, size_t outlen)
{
    char buf[16];
    int rc;

    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (secret == NULL || secret_len == 0 || out == NULL || digits < 6 || digits > 8 ||
        outlen < (size_t)digits + 1 || step > (uint64_t)INT64_MAX / SSPR_TOTP_STEP)
        return -1;
    if (sspr_totp_ready() != 0)
        return -1;
    /* T = floor((unix - 0) / 30): the start of step `step` gives exactly it. */
    rc = totp_generate2((const char *)secret, secret_len,
                             (time_t)(step * SSPR_TOTP_STEP), SSPR_TOTP_STEP, 0, digits, 0, buf);
    if (rc != OATH_OK || strlen(buf) != digits) {
        SSPR_WIPE_ARRAY(buf);
        return -1;
    }
    memcpy(out, buf, (size_t)digits + 1);
    SSPR_WIPE_ARRAY(buf);
    return 0;
}

/* Exactly SSPR_TOTP_DIGITS ASCII digits: no spaces, no signs, no Unicode
 * digits (their UTF-8 bytes are all >= 0x80), nothing after. */
static int code_well_formed(const char *code)
{
    size_t i;

    for (i = 0; i < SSPR_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return code[SSPR_TOTP_DIGITS] == '\0';
}

int sspr_totp_verify(const uint8_t *secret, size_t secret_len, time_t now,
                     const char *code, int64_t last_step, int64_t *matched_step)
{
    char cand[16];
    int64_t t, best = -1;
    int d, failed = 0;

    if (secret == NULL || secret_len == 0 || code == NULL || matched_step == NULL || now < 0)
        return -1;
    if (!code_well_formed(code))
        return -1;
    t = (int64_t)(now / SSPR_TOTP_STEP);

    /* Every candidate is computed and compared whatever the earlier ones
     * gave, so the time taken does not depend on which one matched. If two
     * match, the later step wins: it burns more of the window for replay. */
    for (d = -SSPR_TOTP_WINDOW; d <= SSPR_TOTP_WINDOW; d++) {
        int64_t step = t + d;
        int eq;

        if (step < 0)
            continue;
        if (sspr_totp_code(secret, secret_len, (uint64_t)step, SSPR_TOTP_DIGITS, cand,
                           sizeof(cand)) != 0) {
            failed = 1;
            continue;
        }
        eq = sodium_memcmp(cand, code, SSPR_TOTP_DIGITS) == 0;
        if (eq && step > last_step)
            best = step;
    }
    SSPR_WIPE_ARRAY(cand);
    if (failed || best < 0)
        return -1;
    *matched_step = best;
    return 0;
}

void sspr_totp_new_secret(uint8_t secret[SSPR_TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, SSPR_TOTP_SECRET_BYTES);
}
