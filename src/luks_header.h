/*
 * A LUKS header read the way cryptsetup reads it: LUKS1's binary header,
 * or both copies of LUKS2's binary header and JSON area, each checked
 * (magic, version, size, offset, checksum, JSON) and the valid copy with
 * the higher seqid taken, the primary on a tie. The JSON is parsed here
 * (luks2_json.h): a copy whose JSON is not valid is not valid.
 */
#ifndef LUKS_HEADER_H
#define LUKS_HEADER_H

#include <stdint.h>

#include <json-c/json.h>

#include "failure.h"

#define LUKS_UUID_MAX 40
#define LUKS_LABEL_MAX 48

struct luks_header {
	int version;                    /* 1 or 2; 0: no LUKS header */
	char uuid[LUKS_UUID_MAX + 1];
	char label[LUKS_LABEL_MAX + 1]; /* LUKS2 only */
	uint64_t seqid;                 /* LUKS2: of the copy taken */
	json_object *json;              /* LUKS2: its JSON area, parsed */
};

/*
 * Read the header at fd (a device or a detached header file). No LUKS
 * magic anywhere a copy may be: version 0 and STATUS_OK. A LUKS2 header
 * of which no copy is valid: STATUS_VERIFY with the reason.
 */
int luks_header_read(int fd, struct luks_header *h, struct failure *f);

/*
 * The first sector alone (no checksum): version and UUID, for looking
 * through every block device for a UUID without reading megabytes each.
 */
int luks_header_probe(int fd, struct luks_header *h);

void luks_header_free(struct luks_header *h);

#endif
