/*
 * The program's real TPM command sequences (mode_eksign, mode_certify,
 * mode_boot) driven through ESYS over an in-process TCTI whose responses
 * come from the fuzz input: every byte the TPM (or an interposer) could send.
 *
 * Input layout:
 *   [0]        flags, see F_* below
 *   [1..34]    enrolled signing-EK name, raw (written as hex to the --name file)
 *   [35..68]   expected primary name, raw (the NAMEFILE / null_name file)
 *   [69..132]  bytes RAND_bytes hands out (the Certify nonces), then real randomness
 *   [133..]    responses, one per command: 2-byte big-endian length, then that
 *              many bytes; length 0xffff makes receive() answer TRY_AGAIN once.
 *              Unless F_RAW, the header's responseSize is patched to the length.
 *
 * Recording seeds: FUZZ_RECORD_TCTI="host=127.0.0.1,port=P" (a swtpm) and
 * FUZZ_RECORD_OUT=FILE make the TCTI forward to that TPM and write the input
 * header followed by the TPM's real responses to FILE (see README.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <tss2/tss2_tcti.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "hex.h"
#include "modes.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define F_MODE    0x03 /* 0 --eksign, 1 --eksign --name, 2 --certify, 3 --boot */
#define F_OWNER   0x04 /* --certify owner rather than null; --boot: --signing-ek */
#define F_CHECK   0x08 /* give the expected-name file (boot: null_name present) */
#define F_OUTNAME 0x10 /* --outname */
#define F_FILE    0x20 /* --file: write the verified key as PEM */
#define F_RAW     0x40 /* do not patch responseSize */
#define F_REQNULL 0x80 /* --require-null-name */

#define NAME_LEN 34
#define RAND_LEN 64
#define HDR_LEN (1 + 2 * NAME_LEN + RAND_LEN)
#define TRY_AGAIN_LEN 0xffff

/* RAND_bytes, interposed: the nonces come from the input so recorded answers verify. */
static const uint8_t *rand_data;
static size_t rand_left;

int RAND_bytes(unsigned char *buf, int num)
{
	size_t n = num > 0 ? (size_t)num : 0;

	if (n && rand_left >= n) {
		memcpy(buf, rand_data, n);
		rand_data += n;
		rand_left -= n;
		return 1;
	}
	return RAND_bytes_ex(NULL, buf, n, 0);
}

struct fuzz_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;
	const uint8_t *data;
	size_t left;
	int raw;
	int awaiting;               /* a command was sent, its response not yet read */
	unsigned int try_again;
	TSS2_TCTI_CONTEXT *real;    /* record mode: the TPM we forward to */
	uint8_t *rec;               /* record mode: length-prefixed responses */
	size_t rec_len;
};

static struct fuzz_tcti *ft(TSS2_TCTI_CONTEXT *ctx)
{
	return (struct fuzz_tcti *)ctx;
}

static TSS2_RC t_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
	struct fuzz_tcti *t = ft(ctx);

	if (t->awaiting)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (t->real) {
		TSS2_RC rc = Tss2_Tcti_Transmit(t->real, size, cmd);

		if (rc)
			return rc;
	}
	t->awaiting = 1;
	return TSS2_RC_SUCCESS;
}

static TSS2_RC t_receive_real(struct fuzz_tcti *t, size_t *size, uint8_t *resp,
			      int32_t timeout)
{
	TSS2_RC rc = Tss2_Tcti_Receive(t->real, size, resp, timeout);
	uint8_t *grown;

	if (rc || !resp)
		return rc;
	t->awaiting = 0;
	grown = realloc(t->rec, t->rec_len + 2 + *size);
	if (!grown)
		abort();
	t->rec = grown;
	t->rec[t->rec_len] = (uint8_t)(*size >> 8);
	t->rec[t->rec_len + 1] = (uint8_t)*size;
	memcpy(t->rec + t->rec_len + 2, resp, *size);
	t->rec_len += 2 + *size;
	return rc;
}

static TSS2_RC t_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *resp,
			 int32_t timeout)
{
	struct fuzz_tcti *t = ft(ctx);
	size_t len;

	if (!t->awaiting)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (t->real)
		return t_receive_real(t, size, resp, timeout);
	if (t->left < 2)
		return TSS2_TCTI_RC_IO_ERROR;
	len = (size_t)t->data[0] << 8 | t->data[1];
	if (len == TRY_AGAIN_LEN) {
		t->data += 2;
		t->left -= 2;
		/* A TPM that never answers is the deadline's job, not ESYS's. */
		return ++t->try_again > 64 ? TSS2_TCTI_RC_IO_ERROR : TSS2_TCTI_RC_TRY_AGAIN;
	}
	if (len > t->left - 2)
		len = t->left - 2;
	if (!resp) {
		*size = len;
		return TSS2_RC_SUCCESS;
	}
	if (*size < len)
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	memcpy(resp, t->data + 2, len);
	if (!t->raw && len >= 6) {
		resp[2] = (uint8_t)(len >> 24);
		resp[3] = (uint8_t)(len >> 16);
		resp[4] = (uint8_t)(len >> 8);
		resp[5] = (uint8_t)len;
	}
	t->data += 2 + len;
	t->left -= 2 + len;
	*size = len;
	t->awaiting = 0;
	return TSS2_RC_SUCCESS;
}

static void t_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;
}

static TSS2_RC t_cancel(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC t_poll(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *h, size_t *n)
{
	(void)ctx;
	(void)h;
	(void)n;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC t_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	(void)ctx;
	(void)locality;
	return TSS2_RC_SUCCESS;
}

static TSS2_RC t_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle, uint8_t sticky)
{
	(void)ctx;
	(void)handle;
	(void)sticky;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static char dir[64], name_path[96], check_path[96], out_path[96];
static const char *record_conf, *record_out;

static void cleanup(void)
{
	unlink(name_path);
	unlink(check_path);
	unlink(out_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	setenv("TSS2_LOG", "all+none", 1);
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	snprintf(dir, sizeof(dir), "%s/fuzz_tpm.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(name_path, sizeof(name_path), "%s/eksign.name", dir);
	snprintf(check_path, sizeof(check_path), "%s/null_name", dir);
	snprintf(out_path, sizeof(out_path), "%s/key.pem", dir);
	atexit(cleanup);
	record_conf = getenv("FUZZ_RECORD_TCTI");
	record_out = getenv("FUZZ_RECORD_OUT");
	/* The modes print their verdict: keep libFuzzer's output readable. */
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		abort();
	close(fd);
	return 0;
}

static void write_name(const char *path, const uint8_t *raw)
{
	char hex[2 * NAME_LEN + 2];
	int fd;

	hex_encode(raw, NAME_LEN, hex);
	hex[2 * NAME_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, hex, 2 * NAME_LEN + 1) != 2 * NAME_LEN + 1)
		abort();
	close(fd);
}

static TSS2_TCTI_CONTEXT *open_real(void)
{
	TSS2_TCTI_CONTEXT *ctx;
	size_t size = 0;

	if (Tss2_Tcti_Swtpm_Init(NULL, &size, record_conf))
		abort();
	ctx = calloc(1, size);
	if (!ctx || Tss2_Tcti_Swtpm_Init(ctx, &size, record_conf))
		abort();
	return ctx;
}

static void save_recording(const uint8_t *hdr, const struct fuzz_tcti *t, int ret,
			   const struct failure *f)
{
	FILE *out = fopen(record_out, "wb");

	if (!out || fwrite(hdr, 1, HDR_LEN, out) != HDR_LEN ||
	    fwrite(t->rec, 1, t->rec_len, out) != t->rec_len || fclose(out))
		abort();
	fprintf(stderr, "recorded %zu response bytes to %s: status %d %s\n",
		t->rec_len, record_out, ret, ret ? f->text : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int (*const modes[])(struct run *, struct failure *) = {
		mode_eksign, mode_eksign, mode_certify, mode_boot,
	};
	struct fuzz_tcti t;
	struct options o;
	struct run r;
	struct failure f = { 0 };
	uint8_t flags;
	int ret;

	if (size < HDR_LEN)
		return -1;
	flags = data[0];
	write_name(name_path, data + 1);
	write_name(check_path, data + 1 + NAME_LEN);
	rand_data = data + 1 + 2 * NAME_LEN;
	rand_left = RAND_LEN;

	memset(&t, 0, sizeof(t));
	t.common.v1.magic = 0x66757a7a74637469ULL; /* "fuzztcti" */
	t.common.v1.version = 2;
	t.common.v1.transmit = t_transmit;
	t.common.v1.receive = t_receive;
	t.common.v1.finalize = t_finalize;
	t.common.v1.cancel = t_cancel;
	t.common.v1.getPollHandles = t_poll;
	t.common.v1.setLocality = t_locality;
	t.common.makeSticky = t_sticky;
	t.data = data + HDR_LEN;
	t.left = size - HDR_LEN;
	t.raw = !!(flags & F_RAW);
	if (record_conf && record_out)
		t.real = open_real();

	memset(&o, 0, sizeof(o));
	o.mode = (flags & F_MODE) == 3 ? MODE_BOOT : (flags & F_MODE) == 2 ? MODE_CERTIFY
		: MODE_EKSIGN;
	o.hierarchy = flags & F_OWNER ? "owner" : "null";
	if ((flags & F_MODE) != 0)
		o.name_file = name_path;
	/* Without one, boot reads the sysfs null_name, absent on a fuzzing host. */
	if (flags & F_CHECK)
		o.check_file = check_path;
	o.outname = !!(flags & F_OUTNAME);
	o.out_file = flags & F_FILE ? out_path : NULL;
	o.require_null_name = !!(flags & F_REQNULL);
	if ((flags & F_MODE) == 3 && (flags & F_OWNER))
		o.ek_handle = DEFAULT_EK_HANDLE;

	memset(&r, 0, sizeof(r));
	r.opt = &o;
	r.program = "attest_tpm2_primary";
	r.kmsg_fd = -1;
	r.eauth = r.oauth = ESYS_TR_PASSWORD;
	r.session = r.salt = ESYS_TR_NONE;
	r.tpm.tcti = (TSS2_TCTI_CONTEXT *)&t;
	if (Esys_Initialize(&r.tpm.esys, r.tpm.tcti, NULL))
		abort();
	ret = modes[flags & F_MODE](&r, &f);
	Esys_Finalize(&r.tpm.esys);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "mode %d: %d %s\n", flags & F_MODE, ret, ret ? f.text : "verified");
	/* Every failure must be one of the documented statuses, with a reason. */
	if (ret != STATUS_OK && ((ret != STATUS_VERIFY && ret != STATUS_USAGE &&
				  ret != STATUS_TPM) || !f.text[0]))
		abort();
	if (t.real) {
		save_recording(data, &t, ret, &f);
		Tss2_Tcti_Finalize(t.real);
		free(t.real);
		free(t.rec);
	}
	rand_left = 0;
	return 0;
}
