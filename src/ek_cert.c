#include <openssl/err.h>
#include <openssl/pem.h>

#include "ek_cert.h"
#include "infile.h"

/* Real EK certificates are 1-2 KiB; anything near this cap is not one. */
#define CERT_CAP ((size_t)64 * 1024)

int ek_cert_parse(const uint8_t *data, size_t len, X509 **cert, struct failure *f)
{
	const unsigned char *p = data;
	BIO *bio;

	*cert = NULL;
	if (len > CERT_CAP)
		return fail(f, STATUS_USAGE, "is too large to be a certificate");
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio) {
		*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (!*cert)
		*cert = d2i_X509(NULL, &p, (long)len);
	ERR_clear_error();
	if (!*cert)
		return fail(f, STATUS_USAGE, "is not a PEM or DER X.509 certificate");
	return STATUS_OK;
}

static int parse_cert(const uint8_t *data, size_t len, void *cert, struct failure *f)
{
	return ek_cert_parse(data, len, cert, f);
}

int ek_cert_read(const char *path, X509 **cert, struct failure *f)
{
	return infile_parse(path, CERT_CAP, "EK certificate", parse_cert, cert, f);
}
