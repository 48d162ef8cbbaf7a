#include <string.h>

#include <tss2/tss2_mu.h>

#include "digest.h"
#include "hex.h"
#include "name.h"

static int name_from_bytes(TPMI_ALG_HASH alg, const uint8_t *a, size_t alen,
			   const uint8_t *b, size_t blen, TPM2B_NAME *name)
{
	size_t len = digest_size(alg);

	if (!len || len + 2 > sizeof(name->name))
		return -1;
	name->name[0] = (uint8_t)(alg >> 8);
	name->name[1] = (uint8_t)alg;
	if (digest_two(alg, a, alen, b, blen, &name->name[2]))
		return -1;
	name->size = (UINT16)(len + 2);
	return 0;
}

int name_of_public(const TPMT_PUBLIC *pub, TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;

	if (Tss2_MU_TPMT_PUBLIC_Marshal(pub, buf, sizeof(buf), &off))
		return -1;
	return name_from_bytes(pub->nameAlg, buf, off, NULL, 0, name);
}

int name_qualified(TPM2_HANDLE hierarchy, const TPM2B_NAME *name,
		   TPM2B_NAME *qualified)
{
	uint8_t handle[4] = { (uint8_t)(hierarchy >> 24), (uint8_t)(hierarchy >> 16),
			      (uint8_t)(hierarchy >> 8), (uint8_t)hierarchy };
	TPMI_ALG_HASH alg;

	if (name->size < 2)
		return -1;
	alg = (TPMI_ALG_HASH)(name->name[0] << 8 | name->name[1]);
	return name_from_bytes(alg, handle, sizeof(handle), name->name, name->size,
			       qualified);
}

bool name_equal(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && memcmp(a->name, b->name, a->size) == 0;
}

void name_to_hex(const TPM2B_NAME *name, char hex[NAME_HEX_MAX])
{
	hex_encode(name->name, name->size, hex);
}
