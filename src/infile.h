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

/*
 * Read a file as infile_read does and hand its bytes to `parse`, which fills
 * `out`. A parse failure is put behind "`what` `path`", so that every file's
 * complaint names the file.
 */
int infile_parse(const char *path, size_t cap, const char *what,
		 int (*parse)(const uint8_t *data, size_t len, void *out, struct failure *f),
		 void *out, struct failure *f);

#endif
