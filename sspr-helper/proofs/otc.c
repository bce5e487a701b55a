/*
 * One-time codes (email, SMS). See code.h.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "proofs/otc.h"
#include "wipe.h"

void sspr_otc_wipe(struct sspr_otc *c)
{
    if (c != NULL)
        sspr_wipe(c, sizeof(*c));
}

static int now_mono(struct timespec *ts)
{
    return clock_gettime(CLOCK_MONOTONIC, ts);
}

static int expired(const struct sspr_otc *c)
{
    struct timespec now;

    /* A clock we cannot read counts as "expired": fail closed. */
    if (now_mono(&now) != 0)
        return 1;
    if (now.tv_sec != c->expires.tv_sec)
        return now.tv_sec > c->expires.tv_sec;
    return now.tv_nsec >= c->expires.tv_nsec;
}

int sspr_otc_new(struct sspr_otc *c, unsigned digits, int lifetime_s)
{
    struct timespec now;
    unsigned i;

    if (c == NULL)
        return -1;
    sspr_otc_wipe(c);
    if (digits < SSPR_OTC_MIN_DIGITS || digits > SSPR_OTC_MAX_DIGITS || lifetime_s < 1 ||
        lifetime_s > SSPR_OTC_MAX_LIFETIME)
        return -1;
    if (now_mono(&now) != 0)
        return -1;
    /* randombytes_uniform(10) is uniform over 0..9: no modulo bias. */
    for (i = 0; i < digits; i++)
        c->code[i] = (char)('0' + randombytes_uniform(10));
    c->code[digits] = '\0';
    c->digits = digits;
    c->tries = 0;
    c->expires.tv_sec = now.tv_sec + lifetime_s;
    c->expires.tv_nsec = now.tv_nsec;
    c->live = 1;
    return 0;
}

const char *sspr_otc_code(const struct sspr_otc *c)
{
    if (c == NULL || !c->live)
        return NULL;
    return c->code;
}

int sspr_otc_live(const struct sspr_otc *c)
{
    return c != NULL && c->live && !expired(c);
}

int sspr_otc_check(struct sspr_otc *c, const char *typed)
{
    char buf[SSPR_OTC_MAX_DIGITS];
    unsigned i, bad = 0;
    size_t n;
    int eq;

    if (c == NULL || !c->live || c->digits < SSPR_OTC_MIN_DIGITS ||
        c->digits > SSPR_OTC_MAX_DIGITS)
        return -1;
    if (expired(c)) {
        sspr_otc_wipe(c);
        return -1;
    }
    if (typed == NULL)
        return -1;
    /* Shape first: exactly `digits` ASCII digits (no Unicode digits, no
     * signs, no spaces). The length says nothing about the code. */
    n = strnlen(typed, SSPR_OTC_MAX_DIGITS + 1);
    if (n != c->digits)
        bad = 1;
    memset(buf, 0, sizeof(buf));
    for (i = 0; i < c->digits; i++) {
        char ch = i < n ? typed[i] : '\0';

        bad |= (unsigned)(ch < '0' || ch > '9');
        buf[i] = ch;
    }
    eq = sodium_memcmp(buf, c->code, c->digits) == 0;
    SSPR_WIPE_ARRAY(buf);
    if (eq && !bad) {
        sspr_otc_wipe(c); /* single use */
        return 0;
    }
    if (++c->tries >= SSPR_OTC_MAX_TRIES)
        sspr_otc_wipe(c);
    return -1;
}
