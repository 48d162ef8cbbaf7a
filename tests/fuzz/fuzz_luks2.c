/*
 * The LUKS2 reader on arbitrary bytes. The first byte picks the layer:
 * even, the rest is a JSON area (luks2_json_parse, then luks2_tokens_read,
 * clevis headers and sss trees included); odd, the rest is the start of a
 * disk, read through a memfd (luks_header_read: both copies, checksums).
 * Whatever is accepted must be bounded: at most LUKS2_TOKENS_MAX tokens,
 * PCRs only those locality 0 can extend, and a failure has its sentence.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "luks2_json.h"
#include "luks2_tokens.h"
#include "luks_header.h"
#include "pcr_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tokens(json_object *root)
{
	static struct luks2_tokens toks;
	struct failure f = { 0 };
	unsigned int i;

	if (luks2_tokens_read(root, &toks, &f)) {
		if (f.status != STATUS_VERIFY || !f.text[0])
			abort();
		return;
	}
	if (toks.count > LUKS2_TOKENS_MAX)
		abort();
	for (i = 0; i < toks.count; i++)
		if ((toks.token[i].pcrs & ~PCR_LOCALITY0) ||
		    (!toks.token[i].tpm && toks.token[i].pcrs))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failure f = { 0 };
	struct luks_header h;
	json_object *root = NULL;
	int fd;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		if (!luks2_json_parse((const char *)data + 1, size - 1, LUKS2_JSON_DEPTH, &root,
				      &f))
			check_tokens(root);
		else if (!f.text[0])
			abort();
		json_object_put(root);
		return 0;
	}
	fd = memfd_create("disk", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
		if (!luks_header_read(fd, &h, &f)) {
			if (h.version == 2)
				check_tokens(h.json);
			luks_header_free(&h);
		} else if (!f.text[0]) {
			abort();
		}
	}
	close(fd);
	return 0;
}
