#include <string.h>

#include "digest.h"
#include "hex.h"
#include "infile.h"
#include "namefile.h"

/* Room for the longest name plus line ending; sysfs pages are 4096 bytes. */
#define NAMEFILE_CAP 4096

int namefile_parse(const char *text, size_t len, TPM2B_NAME *name,
		   struct failure *f)
{
	size_t digits = len, bytes, dsize;
	TPMI_ALG_HASH alg;

	if (digits && text[digits - 1] == '\n')
		digits--;
	if (digits < 4)
		return fail(f, STATUS_USAGE, "is too short to hold a name");
	if (digits % 2 || digits / 2 > sizeof(name->name))
		return fail(f, STATUS_USAGE, "does not hold a name: bad length %zu",
			    digits);
	bytes = digits / 2;
	if (hex_decode(text, name->name, bytes))
		return fail(f, STATUS_USAGE, "does not hold a name: not hex");
	alg = (TPMI_ALG_HASH)(name->name[0] << 8 | name->name[1]);
	dsize = digest_size(alg);
	if (!dsize)
		return fail(f, STATUS_USAGE, "names unknown hash algorithm 0x%04x", alg);
	if (bytes != dsize + 2)
		return fail(f, STATUS_USAGE, "holds %zu bytes, a name with this "
			    "algorithm has %zu", bytes, dsize + 2);
	name->size = (UINT16)bytes;
	return STATUS_OK;
}

static int parse_name(const uint8_t *data, size_t len, void *name, struct failure *f)
{
	return namefile_parse((const char *)data, len, name, f);
}

int namefile_read(const char *path, TPM2B_NAME *name, struct failure *f)
{
	return infile_parse(path, NAMEFILE_CAP, "name file", parse_name, name, f);
}
