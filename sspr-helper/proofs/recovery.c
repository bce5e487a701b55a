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

static json_t *hex_json(const uint8_t *bin, size_t len)
{
    char hex[2 * 64 + 1];
    json_t *j;

    if (len > 64)
        return NULL;
    sodium_bin2hex(hex, sizeof(hex), bin, len);
    j = json_string(hex);
    SSPR_WIPE_ARRAY(hex);
    return j;
}

int sspr_recovery_generate(char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1],
                           json_t **stored)
{
    uint8_t key[KEY_BYTES], raw[CODE_BYTES], h[HASH_BYTES];
    uint8_t seen[SSPR_RECOVERY_COUNT][CODE_BYTES];
    char norm[SYMBOLS + 1];
    json_t *obj = NULL, *arr = NULL, *jkey = NULL;
    size_t i, j;
    int rc = -1;

    if (codes == NULL || stored == NULL)
        return -1;
    *stored = NULL;
    randombytes_buf(key, sizeof(key));
    obj = json_object();
    arr = json_array();
    jkey = hex_json(key, sizeof(key));
    if (obj == NULL || arr == NULL || jkey == NULL)
        goto out;
    for (i = 0; i < SSPR_RECOVERY_COUNT; i++) {
        json_t *jh;
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
        jh = hex_json(h, sizeof(h));
        if (jh == NULL || json_array_append_new(arr, jh) != 0)
            goto out;
    }
    if (json_object_set_new(obj, "key", jkey) != 0) {
        jkey = NULL;
        goto out;
    }
    jkey = NULL;
    if (json_object_set_new(obj, "hashes", arr) != 0) {
        arr = NULL;
        goto out;
    }
    arr = NULL;
    *stored = obj;
    obj = NULL;
    rc = 0;
out:
    if (rc != 0)
        sspr_wipe(codes, sizeof(codes[0]) * SSPR_RECOVERY_COUNT);
    json_decref(jkey);
    json_decref(arr);
    json_decref(obj);
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

/* 0 when s is a JSON string of exactly 2*len hex digits, decoded into bin. */
static int hex_field(const json_t *s, uint8_t *bin, size_t len)
{
    const char *hex;
    size_t got = 0;

    if (!json_is_string(s) || json_string_length(s) != 2 * len)
        return -1;
    hex = json_string_value(s);
    if (sodium_hex2bin(bin, len, hex, 2 * len, NULL, &got, NULL) != 0 || got != len)
        return -1;
    return 0;
}

/* The hashes array when stored is well formed (key + hex hashes), else NULL. */
static json_t *valid_hashes(const json_t *stored, uint8_t key[KEY_BYTES])
{
    json_t *hashes;
    uint8_t h[HASH_BYTES];
    size_t i, n;

    if (!json_is_object(stored) || hex_field(json_object_get(stored, "key"), key, KEY_BYTES) != 0)
        return NULL;
    hashes = json_object_get(stored, "hashes");
    if (!json_is_array(hashes))
        return NULL;
    n = json_array_size(hashes);
    if (n > MAX_STORED)
        return NULL;
    for (i = 0; i < n; i++)
        if (hex_field(json_array_get(hashes, i), h, sizeof(h)) != 0)
            return NULL;
    return hashes;
}

int sspr_recovery_consume(json_t *stored, const char *typed)
{
    uint8_t key[KEY_BYTES], h[HASH_BYTES], s[HASH_BYTES];
    char norm[SYMBOLS + 1];
    json_t *hashes;
    size_t i, n;
    long match = -1;
    int rc = -1;

    hashes = valid_hashes(stored, key);
    if (hashes == NULL || normalise(typed, norm) != 0)
        goto out;
    hash_code(key, norm, h);
    n = json_array_size(hashes);
    /* Compare against every stored hash, never stopping at a match, so the
     * time says nothing about where (or whether) the code was found. */
    for (i = 0; i < n; i++) {
        int eq;

        if (hex_field(json_array_get(hashes, i), s, sizeof(s)) != 0)
            goto out;
        eq = sodium_memcmp(h, s, sizeof(h)) == 0;
        if (eq && match < 0)
            match = (long)i;
    }
    if (match >= 0 && json_array_remove(hashes, (size_t)match) == 0)
        rc = 0;
out:
    SSPR_WIPE_ARRAY(key);
    SSPR_WIPE_ARRAY(h);
    SSPR_WIPE_ARRAY(s);
    SSPR_WIPE_ARRAY(norm);
    return rc;
}

size_t sspr_recovery_remaining(const json_t *stored)
{
    uint8_t key[KEY_BYTES];
    json_t *hashes = valid_hashes(stored, key);

    SSPR_WIPE_ARRAY(key);
    return hashes != NULL ? json_array_size(hashes) : 0;
}
