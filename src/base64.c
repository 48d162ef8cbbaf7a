#include <string.h>

#include "base64.h"

static int value_of(enum base64_alphabet abc, char c)
{
	static const char std[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *alphabet = abc == BASE64_URL ? url : std;
	const char *at = memchr(alphabet, c, sizeof(std) - 1);

	return at ? (int)(at - alphabet) : -1;
}

int base64_decode(enum base64_alphabet abc, const char *in, size_t len, uint8_t *out,
		  size_t out_size, size_t *out_len)
{
	uint32_t acc = 0;
	size_t i, n = 0;
	unsigned int bits = 0;

	*out_len = 0;
	if (abc == BASE64_STD) {
		if (len % 4)
			return -1;
		/* At most two '=' at the end, nowhere else. */
		if (len && in[len - 1] == '=')
			len--;
		if (len && in[len - 1] == '=')
			len--;
	}
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		int v = value_of(abc, in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == out_size)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The leftover bits of the last character must be zero (canonical). */
	if (acc)
		return -1;
	*out_len = n;
	return 0;
}
