#ifndef OUTFILE_H
#define OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "failure.h"

/*
 * Replace path with data atomically: a fresh temporary file beside it
 * (O_EXCL|O_NOFOLLOW, never an existing file or a planted link), fsync, rename.
 * A failed run therefore never leaves a partial or stale-looking output.
 * The folder is synced after the rename, so the new file survives power loss.
 */
int outfile_write(const char *path, const void *data, size_t len,
		  struct failure *f);

/*
 * Do a and b name the same file: the same inode when it exists, else the
 * same name in the same folder ("a" and "./a"). A folder that cannot be
 * looked at counts as different; writing there fails anyway.
 */
bool outfile_same(const char *a, const char *b);

#endif
