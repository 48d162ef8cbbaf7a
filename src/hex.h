#ifndef HEX_H
#define HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits and a NUL into out. */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly 2*out_len hex digits (either case); -1 on any non-hex digit. */
int hex_decode(const char *in, uint8_t *out, size_t out_len);

#endif
