/*
 * Strict base64 decoding, for what LUKS2 tokens carry: systemd's pins
 * (RFC 4648 base64, padded) and clevis' JWE headers (base64url, unpadded).
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

enum base64_alphabet { BASE64_STD, BASE64_URL };

/*
 * Decode `in` (len characters) into out (at most out_size bytes). The
 * standard alphabet wants padding to a multiple of 4; base64url takes none.
 * Any other character, a bad length or unused bits set: -1.
 */
int base64_decode(enum base64_alphabet abc, const char *in, size_t len, uint8_t *out,
		  size_t out_size, size_t *out_len);

#endif
