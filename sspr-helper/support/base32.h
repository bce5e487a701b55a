/* RFC 4648 base32 (for otpauth:// secrets). */
#ifndef SSPR_BASE32_H
#define SSPR_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Encode without padding; out needs ceil(len*8/5)+1 bytes. Returns 0 or -1. */
int sspr_base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Decode (case-insensitive, no padding required, spaces ignored).
 * Returns the number of bytes written or -1. */
long sspr_base32_decode(const char *in, uint8_t *out, size_t outlen);

/* Format in into groups of four for reading aloud or typing by hand. */
void sspr_base32_group4(const char *in, char *out, size_t outlen);

#endif
