/*
 * namefile_parse on arbitrary bytes. libFuzzer hands over a heap buffer of
 * exactly `size` bytes with no terminating NUL, so AddressSanitizer catches
 * any read past `len`. A successful parse must describe a well-formed name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "namefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failure f = { 0 };
	TPM2B_NAME name;
	int ret;

	memset(&name, 0xa5, sizeof(name));
	ret = namefile_parse((const char *)data, size, &name, &f);
	if (ret == STATUS_OK) {
		TPMI_ALG_HASH alg = (TPMI_ALG_HASH)(name.name[0] << 8 | name.name[1]);

		if (name.size < 2 || name.size > sizeof(name.name) ||
		    name.size != digest_size(alg) + 2 || (size_t)name.size * 2 > size)
			abort();
	} else if (ret != STATUS_USAGE || !f.text[0] ||
		   !memchr(f.text, '\0', sizeof(f.text))) {
		abort();
	}
	return 0;
}
