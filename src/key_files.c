#include <stdlib.h>
#include <unistd.h>

#include <tss2/tss2_mu.h>

#include "key_files.h"
#include "outfile.h"
#include "pubkey.h"

int key_files_write(const TPM2B_PUBLIC *pub, const char *pem_path,
		    const char *public_path, struct failure *f)
{
	uint8_t blob[sizeof(TPM2B_PUBLIC)];
	size_t blob_len = 0, pem_len = 0;
	char *pem = NULL;
	int ret = STATUS_OK;

	if (pem_path) {
		ret = pubkey_pem(&pub->publicArea, &pem, &pem_len, f);
		if (ret)
			goto out;
	}
	if (public_path &&
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, blob, sizeof(blob), &blob_len)) {
		ret = fail(f, STATUS_VERIFY, "cannot encode the verified key as TPM2B_PUBLIC");
		goto out;
	}
	if (pem_path) {
		ret = outfile_write(pem_path, pem, pem_len, f);
		if (ret)
			goto out;
	}
	if (public_path) {
		ret = outfile_write(public_path, blob, blob_len, f);
		if (ret && pem_path)
			unlink(pem_path);
	}
out:
	free(pem);
	return ret;
}
