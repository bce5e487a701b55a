/*
 * Recovery codes: 80 random bits each (NIST SP 800-63B: >= 64), shown once,
 * stored only as BLAKE2b hashes keyed with a random per-record key, so a
 * copy of the state directory alone does not let anyone test guesses
 * offline against other hosts' codes, and a code works once.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "proofs/recovery.h"
#include "wipe.h"

#define SYMBOLS 16                /* 16 x 5 bits = 80 bits */
#define CODE_BYTES 10
#define HASH_BYTES 32
#define KEY_BYTES 32
#define MAX_STORED 64             /* more than this is not a record we wrote */
#define MAX_TYPED 64

/* Crockford base32: no i, l, o, u, so nothing reads as another symbol. */
static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* Typed text -> the 16 canonical symbols (NUL-terminated) or -1. Lower
 * case; spaces and dashes dropped; o -> 0 and i, l -> 1 as Crockford reads
 * them. */
static int normalise(const char *typed, char out[SYMBOLS + 1])
{
    size_t n = 0, i;

    if (typed == NULL || strnlen(typed, MAX_TYPED + 1) > MAX_TYPED)
        return -1;
    for (i = 0; typed[i] != '\0'; i++) {
        char ch = typed[i];

        if (ch == ' ' || ch == '-')
            continue;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch == 'o')
            ch = '0';
        else if (ch == 'i' || ch == 'l')
            ch = '1';
        if (strchr(crockford, ch) == NULL || ch == '\0' || n >= SYMBOLS)
            goto bad;
        out[n++] = ch;
    }
    if (n != SYMBOLS)
        goto bad;
    out[n] = '\0';
    return 0;
bad:
    sspr_wipe(out, SYMBOLS + 1);
    return -1;
}

static void hash_code(const uint8_t key[KEY_BYTES], const char norm[SYMBOLS + 1],
                      uint8_t out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)norm, SYMBOLS, key, KEY_BYTES);
}

static void format_code(const uint8_t raw[CODE_BYTES], char out[SSPR_RECOVERY_CODE_LEN + 1])
{
    unsigned acc = 0, bits = 0;
    size_t i, s = 0, o = 0;

    for (i = 0; i < CODE_BYTES; i++) {
        acc = ((acc << 8) | raw[i]) & 0xfffu;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            if (s > 0 && s % 4 == 0)
                out[o++] = '-';
            out[o++] = crockford[(acc >> bits) & 31u];
            s++;
        }
    }
    out[o] = '\0';
}

int sspr_recovery_generate(char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1],
                           char key_hex[SSPR_RECOVERY_KEY_HEX + 1],
                           char hashes_hex[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_HASH_HEX + 1])
{
    uint8_t key[KEY_BYTES], raw[CODE_BYTES], h[HASH_BYTES];
    uint8_t seen[SSPR_RECOVERY_COUNT][CODE_BYTES];
    char norm[SYMBOLS + 1];
    size_t i, j;
    int rc = -1;

    if (codes == NULL || key_hex == NULL || hashes_hex == NULL)
        return -1;
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(key_hex, SSPR_RECOVERY_KEY_HEX + 1, key, sizeof(key));
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        int dup;

        /* 80-bit codes do not collide in practice; checking costs nothing
         * and keeps "ten different codes" a promise. */
        do {
            randombytes_buf(raw, sizeof(raw));
            dup = 0;
            for (j = 0; j < i; j++)
                dup |= sodium_memcmp(seen[j], raw, sizeof(raw)) == 0;
        } while (dup);
        memcpy(seen[i], raw, sizeof(raw));
        format_code(raw, codes[i]);
        if (normalise(codes[i], norm) != 0)
            goto out;
        hash_code(key, norm, h);
        sodium_bin2hex(hashes_hex[i], SSPR_RECOVERY_HASH_HEX + 1, h, sizeof(h));
    }
    rc = 0;
out:
    if (rc != 0) {
        sspr_wipe(codes, sizeof(codes[0]) * SSPR_RECOVERY_COUNT);
        sspr_wipe(key_hex, SSPR_RECOVERY_KEY_HEX + 1);
        sspr_wipe(hashes_hex, sizeof(hashes_hex[0]) * SSPR_RECOVERY_COUNT);
    }
    SSPR_WIPE_ARRAY(key);
    SSPR_WIPE_ARRAY(raw);
    SSPR_WIPE_ARRAY(h);
    SSPR_WIPE_ARRAY(seen);
    SSPR_WIPE_ARRAY(norm);
    return rc;
}

int sspr_recovery_looks_like(const char *typed)
{
    char norm[SYMBOLS + 1];
    int ok = normalise(typed, norm) == 0;

    SSPR_WIPE_ARRAY(norm);
    return ok;
}

/* 0 when hex is exactly 2*len hex digits, decoded into bin. */
static int hex_field(const char *hex, uint8_t *bin, size_t len)
{
    size_t got = 0;

    if (hex == NULL || strnlen(hex, 2 * len + 1) != 2 * len)
        return -1;
    if (sodium_hex2bin(bin, len, hex, 2 * len, NULL, &got, NULL) != 0 || got != len)
        return -1;
    return 0;
}

int sspr_recovery_valid(const char *key_hex, const char *const *hashes, size_t n)
{
    uint8_t key[KEY_BYTES], h[HASH_BYTES];
    int ok = n <= MAX_STORED && hex_field(key_hex, key, KEY_BYTES) == 0;

    for (size_t i = 0; ok && i < n; i++)
        ok = hex_field(hashes[i], h, sizeof(h)) == 0;
    SSPR_WIPE_ARRAY(key);
    return ok;
}

long sspr_recovery_match(const char *key_hex, const char *const *hashes, size_t n,
                         const char *typed)
{
    uint8_t key[KEY_BYTES], h[HASH_BYTES], s[HASH_BYTES];
    char norm[SYMBOLS + 1];
    long match = -1;

    if (!sspr_recovery_valid(key_hex, hashes, n)) {
        match = -2;
        goto out;
    }
    if (hex_field(key_hex, key, KEY_BYTES) != 0 || normalise(typed, norm) != 0)
        goto out;
    hash_code(key, norm, h);
    /* Compare against every stored hash, never stopping at a match, so the
     * time says nothing about where (or whether) the code was found. */
    for (size_t i = 0; i < n; i++) {
        int eq;

        if (hex_field(hashes[i], s, sizeof(s)) != 0) {
            match = -2;
            goto out;
        }
        eq = sodium_memcmp(h, s, sizeof(h)) == 0;
        if (eq && match < 0)
            match = (long)i;
    }
out:
    SSPR_WIPE_ARRAY(key);
    SSPR_WIPE_ARRAY(h);
    SSPR_WIPE_ARRAY(s);
    SSPR_WIPE_ARRAY(norm);
    return match;
}
