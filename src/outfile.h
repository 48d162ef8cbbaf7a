#ifndef OUTFILE_H
#define OUTFILE_H

#include <stddef.h>

#include "failure.h"

/*
 * Replace path with data atomically: a fresh temporary file beside it
 * (O_EXCL|O_NOFOLLOW, never an existing file or a planted link), fsync, rename.
 * A failed run therefore never leaves a partial or stale-looking output.
 */
int outfile_write(const char *path, const void *data, size_t len,
		  struct failure *f);

#endif
