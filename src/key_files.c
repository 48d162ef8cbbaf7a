#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "key_files.h"
#include "outfile.h"
#include "pubkey.h"
#include "tr_blob.h"

int key_files_token_pin(const TPM2B_PUBLIC *pub, char *out, size_t out_size,
			struct failure *f)
{
	uint8_t blob[TR_BLOB_MAX];
	size_t len;

	if (tr_blob(SYSTEMD_SRK_HANDLE, pub, blob, &len))
		return fail(f, STATUS_VERIFY, "cannot encode the verified key as a token pin");
	/* EVP_EncodeBlock writes 4 characters per 3 bytes and a NUL. */
	if (out_size < 4 * ((len + 2) / 3) + 1)
		return fail(f, STATUS_VERIFY, "cannot encode the verified key as a token pin");
	EVP_EncodeBlock((unsigned char *)out, blob, (int)len);
	return STATUS_OK;
}

/* Remove the files already written, newest first, when a later one fails. */
static void unwind(const char *const *written, int n)
{
	while (n-- > 0)
		unlink(written[n]);
}

int key_files_write(const TPM2B_PUBLIC *pub, const struct key_paths *paths,
		    struct failure *f)
{
	uint8_t blob[sizeof(TPM2B_PUBLIC)];
	char pin[4 * (TR_BLOB_MAX / 3 + 1) + 2];
	const char *written[3];
	size_t blob_len = 0, pem_len = 0, pin_len = 0;
	char *pem = NULL;
	int n = 0, ret = STATUS_OK;

	if (paths->pem) {
		ret = pubkey_pem(&pub->publicArea, &pem, &pem_len, f);
		if (ret)
			goto out;
	}
	if (paths->public_ &&
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, blob, sizeof(blob), &blob_len)) {
		ret = fail(f, STATUS_VERIFY, "cannot encode the verified key as TPM2B_PUBLIC");
		goto out;
	}
	if (paths->token_pin) {
		ret = key_files_token_pin(pub, pin, sizeof(pin) - 1, f);
		if (ret)
			goto out;
		pin_len = strlen(pin);
		pin[pin_len++] = '\n';
	}
	if (paths->pem) {
		ret = outfile_write(paths->pem, pem, pem_len, f);
		if (ret)
			goto out;
		written[n++] = paths->pem;
	}
	if (paths->public_) {
		ret = outfile_write(paths->public_, blob, blob_len, f);
		if (ret)
			goto out;
		written[n++] = paths->public_;
	}
	if (paths->token_pin)
		ret = outfile_write(paths->token_pin, pin, pin_len, f);
out:
	if (ret)
		unwind(written, n);
	free(pem);
	return ret;
}
