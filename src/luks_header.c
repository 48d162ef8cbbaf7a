#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "luks2_json.h"
#include "luks_header.h"

/* The binary header of LUKS2 (and the fields LUKS1 shares with it). */
#define BIN_SIZE 4096
#define OFF_VERSION 6
#define OFF_HDR_SIZE 8
#define OFF_SEQID 16
#define OFF_LABEL 24
#define OFF_CSUM_ALG 72
#define OFF_UUID 168
#define OFF_HDR_OFFSET 256
#define OFF_CSUM 448
#define CSUM_ALG_MAX 32
#define CSUM_MAX 64

static const uint8_t magic_1st[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
static const uint8_t magic_2nd[6] = { 'S', 'K', 'U', 'L', 0xba, 0xbe };

/* Where a second copy may start: every header size LUKS2 allows. */
static const uint64_t sizes[] = { 0x4000, 0x8000, 0x10000, 0x20000, 0x40000,
				  0x80000, 0x100000, 0x200000, 0x400000 };

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | *p++;
	return v;
}

/* All of len bytes at off, or -1 (short, error). */
static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void copy_field(char *out, const uint8_t *in, size_t max)
{
	size_t n = strnlen((const char *)in, max);

	memcpy(out, in, n);
	out[n] = '\0';
}

static int known_size(uint64_t size)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] == size)
			return 1;
	return 0;
}

/* The checksum of the whole copy with its checksum field zeroed. */
static int checksum_ok(uint8_t *copy, size_t size, struct failure *f)
{
	char alg[CSUM_ALG_MAX + 1];
	uint8_t want[CSUM_MAX], got[EVP_MAX_MD_SIZE];
	unsigned int got_len = 0;
	const EVP_MD *md;

	copy_field(alg, copy + OFF_CSUM_ALG, CSUM_ALG_MAX);
	if (strcmp(alg, "sha256") != 0 && strcmp(alg, "sha1") != 0 &&
	    strcmp(alg, "sha512") != 0 && strcmp(alg, "sha384") != 0)
		return fail(f, STATUS_VERIFY, "unsupported checksum algorithm");
	md = EVP_get_digestbyname(alg);
	memcpy(want, copy + OFF_CSUM, CSUM_MAX);
	memset(copy + OFF_CSUM, 0, CSUM_MAX);
	if (!md || !EVP_Digest(copy, size, got, &got_len, md, NULL))
		return fail_crypto(f, STATUS_VERIFY, "cannot compute the header checksum");
	memcpy(copy + OFF_CSUM, want, CSUM_MAX);
	if (got_len > CSUM_MAX || memcmp(got, want, got_len) != 0)
		return fail(f, STATUS_VERIFY, "bad checksum");
	return STATUS_OK;
}

/* One copy at off: checked, and its JSON parsed into *json. */
static int read_copy(int fd, uint64_t off, const uint8_t magic[6], uint8_t bin[BIN_SIZE],
		     json_object **json, int *seen, struct failure *f)
{
	uint8_t *copy = NULL;
	uint64_t size;
	int ret;

	*json = NULL;
	if (read_at(fd, bin, BIN_SIZE, off))
		return fail(f, STATUS_VERIFY, "cannot read a header copy");
	if (memcmp(bin, magic, 6) != 0 || be(bin + OFF_VERSION, 2) != 2)
		return fail(f, STATUS_VERIFY, "no LUKS2 header copy");
	*seen = 1;
	size = be(bin + OFF_HDR_SIZE, 8);
	if (!known_size(size) || be(bin + OFF_HDR_OFFSET, 8) != off)
		return fail(f, STATUS_VERIFY, "a header copy with a bad size or offset");
	copy = malloc(size);
	if (!copy)
		return fail(f, STATUS_VERIFY, "out of memory");
	memcpy(copy, bin, BIN_SIZE);
	ret = read_at(fd, copy + BIN_SIZE, size - BIN_SIZE, off + BIN_SIZE) ?
		      fail(f, STATUS_VERIFY, "a header copy is cut short") :
		      checksum_ok(copy, size, f);
	if (!ret)
		ret = luks2_json_parse((const char *)copy + BIN_SIZE, size - BIN_SIZE,
				       LUKS2_JSON_DEPTH, json, f);
	free(copy);
	return ret;
}

static void take(struct luks_header *h, const uint8_t bin[BIN_SIZE], json_object *json)
{
	h->version = 2;
	h->seqid = be(bin + OFF_SEQID, 8);
	copy_field(h->uuid, bin + OFF_UUID, LUKS_UUID_MAX);
	copy_field(h->label, bin + OFF_LABEL, LUKS_LABEL_MAX);
	h->json = json;
}

int luks_header_probe(int fd, struct luks_header *h)
{
	uint8_t bin[512];

	memset(h, 0, sizeof(*h));
	if (read_at(fd, bin, sizeof(bin), 0))
		return -1;
	if (memcmp(bin, magic_1st, 6) != 0)
		return 0;
	h->version = (int)be(bin + OFF_VERSION, 2);
	copy_field(h->uuid, bin + OFF_UUID, LUKS_UUID_MAX);
	if (h->version == 2)
		copy_field(h->label, bin + OFF_LABEL, LUKS_LABEL_MAX);
	return 0;
}

int luks_header_read(int fd, struct luks_header *h, struct failure *f)
{
	uint8_t bin1[BIN_SIZE], bin2[BIN_SIZE];
	json_object *json1 = NULL, *json2 = NULL;
	struct failure f1 = { 0 }, f2 = { 0 };
	int ok1, ok2 = 0, seen1 = 0, seen2 = 0;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (read_at(fd, bin1, BIN_SIZE, 0))
		return fail(f, STATUS_VERIFY, "cannot read its first 4 KiB");
	if (!memcmp(bin1, magic_1st, 6) && be(bin1 + OFF_VERSION, 2) == 1) {
		h->version = 1;
		copy_field(h->uuid, bin1 + OFF_UUID, LUKS_UUID_MAX);
		return STATUS_OK;
	}
	ok1 = read_copy(fd, 0, magic_1st, bin1, &json1, &seen1, &f1) == STATUS_OK;
	/*
	 * The second copy follows the first; with the first gone, it is
	 * looked for wherever it may be, as cryptsetup does.
	 */
	if (ok1) {
		ok2 = read_copy(fd, be(bin1 + OFF_HDR_SIZE, 8), magic_2nd, bin2, &json2,
				&seen2, &f2) == STATUS_OK;
	} else {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !ok2; i++) {
			struct failure fi = { 0 };
			int was_seen = seen2;

			ok2 = read_copy(fd, sizes[i], magic_2nd, bin2, &json2, &seen2, &fi) ==
			      STATUS_OK;
			/* The reason worth telling is that of the first copy found. */
			if (seen2 && !was_seen)
				f2 = fi;
		}
	}
	if (!ok1 && !ok2) {
		/* Neither copy says LUKS: not a LUKS device at all. */
		if (!seen1 && !seen2)
			return STATUS_OK;
		return fail(f, STATUS_VERIFY, "no valid LUKS2 header copy (first: %s; second: %s)",
			    f1.text, seen2 ? f2.text : "not found");
	}
	if (ok1 && (!ok2 || be(bin1 + OFF_SEQID, 8) >= be(bin2 + OFF_SEQID, 8))) {
		take(h, bin1, json1);
		json_object_put(json2);
	} else {
		take(h, bin2, json2);
		json_object_put(json1);
	}
	return STATUS_OK;
}

void luks_header_free(struct luks_header *h)
{
	json_object_put(h->json);
	h->json = NULL;
}
