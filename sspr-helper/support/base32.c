/* RFC 4648 base32, the alphabet authenticator apps expect in otpauth://. */
#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "support/base32.h"
#include "wipe.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int sspr_base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    size_t need, i, o = 0;
    unsigned acc = 0, bits = 0;

    if ((in == NULL && len > 0) || out == NULL || len > (SIZE_MAX - 5) / 8)
        return -1;
    need = (len * 8 + 4) / 5 + 1;
    if (outlen < need)
        return -1;
    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xfffu;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alphabet[(acc >> bits) & 31u];
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31u];
    out[o] = '\0';
    return 0;
}

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

long sspr_base32_decode(const char *in, uint8_t *out, size_t outlen)
{
    size_t o = 0, symbols = 0;
    unsigned acc = 0, bits = 0;
    int padding = 0;
    const char *p;

    if (in == NULL || out == NULL || outlen > (size_t)LONG_MAX)
        return -1;
    for (p = in; *p != '\0'; p++) {
        int v;

        if (*p == ' ')
            continue;
        if (*p == '=') {
            padding = 1;
            continue;
        }
        v = b32_value(*p);
        if (v < 0 || padding) /* a symbol after padding is not base32 */
            goto fail;
        acc = ((acc << 5) | (unsigned)v) & 0xfffu; /* at most 7 + 5 bits live */
        bits += 5;
        symbols++;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen)
                goto fail;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Only 0, 2, 4, 5 or 7 symbols can end a group of 8, and the bits left
     * over must be zero: anything else is not a canonical encoding. */
    switch (symbols % 8) {
    case 0: case 2: case 4: case 5: case 7:
        break;
    default:
        goto fail;
    }
    if ((acc & ((1u << bits) - 1u)) != 0)
        goto fail;
    return (long)o;

fail:
    sspr_wipe(out, outlen);
    return -1;
}

void sspr_base32_group4(const char *in, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; in[i] != '\0' && o + 2 < outlen; i++) {
        if (i > 0 && i % 4 == 0)
            out[o++] = ' ';
        out[o++] = in[i];
    }
    out[o] = '\0';
}
