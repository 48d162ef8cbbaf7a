#ifndef HIERARCHY_H
#define HIERARCHY_H

#include <tss2/tss2_esys.h>

struct hierarchy {
	const char *name;     /* as the user spells it: "null", "owner", ... */
	ESYS_TR esys;         /* ESYS handle to create primaries under */
	TPM2_HANDLE handle;   /* TPM handle, which is also the hierarchy's name */
};

/*
 * Look up null, owner, endorsement or platform (also as "--owner", the man
 * page's spelling, or as the TPM handle in hex). NULL if unknown.
 */
const struct hierarchy *hierarchy_find(const char *spec);

#endif
