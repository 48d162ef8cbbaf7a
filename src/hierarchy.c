#include <stdlib.h>
#include <string.h>

#include "hierarchy.h"

static const struct hierarchy hierarchies[] = {
	{ "null", ESYS_TR_RH_NULL, TPM2_RH_NULL },
	{ "owner", ESYS_TR_RH_OWNER, TPM2_RH_OWNER },
	{ "endorsement", ESYS_TR_RH_ENDORSEMENT, TPM2_RH_ENDORSEMENT },
	{ "platform", ESYS_TR_RH_PLATFORM, TPM2_RH_PLATFORM },
};

const struct hierarchy *hierarchy_find(const char *spec)
{
	size_t i, n = sizeof(hierarchies) / sizeof(hierarchies[0]);
	unsigned long handle = 0;
	char *end = NULL;

	/* `--certify --owner` hands getopt's argument "--owner" to us. */
	while (*spec == '-')
		spec++;
	if (!strncmp(spec, "0x", 2)) {
		handle = strtoul(spec, &end, 16);
		if (*end)
			return NULL;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(spec, hierarchies[i].name) ||
		    (end && handle == hierarchies[i].handle))
			return &hierarchies[i];
	return NULL;
}
