#ifndef INFILE_H
#define INFILE_H

#include <stddef.h>
#include <stdint.h>

#include "failure.h"

/*
 * Read a whole regular file of at most `cap` bytes into a fresh buffer (NUL
 * terminated for convenience). Directories, FIFOs, devices and oversized files
 * are refused with STATUS_USAGE rather than blocking or exhausting memory.
 * `what` names the file's role in messages ("name file", "EK certificate").
 */
int infile_read(const char *path, size_t cap, const char *what, uint8_t **data,
		size_t *len, struct failure *f);

#endif
