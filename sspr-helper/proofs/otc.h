/*
 * One-time codes for the email and SMS gates: decimal digits from the CSPRNG
 * without modulo bias, an absolute expiry on CLOCK_MONOTONIC, single use,
 * compared in constant time, wiped when used up.
 *
 * A code lives only in the memory of the helper process that issued it
 * (the struct belongs to one flow): it is never written to disk, so it
 * cannot be used from another flow or after the helper exits.
 */
#ifndef SSPR_DELIVERY_CODE_H
#define SSPR_DELIVERY_CODE_H

#include <time.h>

#define SSPR_OTC_MIN_DIGITS 6   /* docs/security.md 8: sent codes have >= 6 digits */
#define SSPR_OTC_MAX_DIGITS 12
#define SSPR_OTC_MAX_LIFETIME 86400 /* docs/security.md 9: email <= 24 h (SMS <= 10 min: config) */
/* Wrong tries after which a code is burnt even before the throttle's
 * per-method cap (defence in depth; the cap is normally lower). */
#define SSPR_OTC_MAX_TRIES 5

struct sspr_otc {
    char code[SSPR_OTC_MAX_DIGITS + 1]; /* NUL-terminated while live */
    unsigned digits;
    unsigned tries;                     /* wrong tries so far */
    struct timespec expires;            /* CLOCK_MONOTONIC, absolute */
    int live;                           /* 1 until used, expired, burnt or wiped */
};

/* Make a new code of `digits` digits (SSPR_OTC_MIN_DIGITS..MAX) valid for
 * lifetime_s seconds (1..SSPR_OTC_MAX_LIFETIME) from now. Any previous code
 * in c is wiped first. Returns 0, or -1 (bad arguments, clock failure) with
 * c wiped and not live. */
int sspr_otc_new(struct sspr_otc *c, unsigned digits, int lifetime_s);

/* The code to send (NUL-terminated digits), or NULL when c is not live.
 * Do not log it, and wipe any copy (message bodies) after sending. */
const char *sspr_otc_code(const struct sspr_otc *c);

/* 1 while the code can still be used (live and not expired), else 0. */
int sspr_otc_live(const struct sspr_otc *c);

/* Check what the user typed: exactly `digits` ASCII digits, compared in
 * constant time. Returns 0 on a match, after which the code is consumed
 * (wiped: single use). Returns -1 for anything else: a wrong or malformed
 * answer, NULL, an expired, used or burnt code (an expired code is wiped
 * as well; SSPR_OTC_MAX_TRIES wrong tries burn it). */
int sspr_otc_check(struct sspr_otc *c, const char *typed);

/* Forget the code (sodium_memzero of the whole struct). */
void sspr_otc_wipe(struct sspr_otc *c);

#endif
