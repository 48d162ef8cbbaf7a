/*
 * Name files: the enrolled signing-EK name and the kernel's
 * /sys/class/tpm/tpm0/null_name share one format, the name in hex and a newline.
 */
#ifndef NAMEFILE_H
#define NAMEFILE_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/* Parse name-file contents; STATUS_USAGE with a reason when malformed. */
int namefile_parse(const char *text, size_t len, TPM2B_NAME *name,
		   struct failure *f);

/* Read and parse a name file. */
int namefile_read(const char *path, TPM2B_NAME *name, struct failure *f);

#endif
