#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chain.h"
#include "infile.h"

#define CA_FILE_CAP ((size_t)1024 * 1024)

/* What one file in a CA folder turned out to be. */
enum ca_kind {
	CA_CERTS,    /* certificates, and nothing malformed */
	CA_OTHER,    /* well-formed PEM without a certificate (a key, a CRL) */
	CA_UNKNOWN,  /* no certificate in PEM or DER: a README, a serial file, garbage */
};

static int add_cert(X509 *x, X509_STORE *store, STACK_OF(X509) *untrusted)
{
	/*
	 * Only a certificate whose own key verifies its signature is a root:
	 * matching names alone would make a self-issued cross-certificate an
	 * anchor whose signature nobody checks. A vendor root cross-signed by
	 * another CA is an intermediate, so the folder must hold the root above
	 * it (or the vendor's self-signed edition). No X509_V_FLAG_PARTIAL_CHAIN:
	 * a chain that stops at an intermediate is not trusted.
	 */
	int root = X509_self_signed(x, 1) == 1;

	/* A failed self-signature check leaves errors that mean nothing here. */
	ERR_clear_error();
	if (root)
		return X509_STORE_add_cert(store, x) == 1 ? 0 : -1;
	if (!sk_X509_push(untrusted, x))
		return -1;
	X509_up_ref(x);
	return 0;
}

/* NV dumps pad the DER with 0xff (or zeros) up to the index size. */
static int is_padding(const unsigned char *p, const unsigned char *end)
{
	for (; p < end; p++)
		if (*p != 0xff && *p != 0x00)
			return 0;
	return 1;
}

static int is_cert_label(const char *name)
{
	return !strcmp(name, PEM_STRING_X509) || !strcmp(name, PEM_STRING_X509_OLD) ||
	       !strcmp(name, PEM_STRING_X509_TRUSTED);
}

/* One certificate filling a PEM block exactly, or NULL. */
static X509 *pem_block_cert(const char *name, const unsigned char *der, long der_len)
{
	const unsigned char *p = der;
	X509 *x;

	if (strcmp(name, PEM_STRING_X509_TRUSTED) != 0) {
		x = d2i_X509(NULL, &p, der_len);
	} else {
		/*
		 * OpenSSL's own format with per-certificate trust settings:
		 * drop them, so that the folder's rule alone decides trust.
		 */
		x = d2i_X509_AUX(NULL, &p, der_len);
		if (x) {
			X509_trust_clear(x);
			X509_reject_clear(x);
		}
	}
	if (x && p != der + der_len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/*
 * Every PEM block of a file. A CERTIFICATE block that is not exactly one
 * X.509 certificate is an error: the file says it is one.
 */
static int parse_pem(const char *path, const uint8_t *data, size_t len,
		     STACK_OF(X509) *certs, enum ca_kind *kind, struct failure *f)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	unsigned long err;
	long der_len;
	int blocks = 0, ret;

	*kind = CA_UNKNOWN;
	if (!bio) {
		ret = fail_crypto(f, STATUS_USAGE, "out of memory reading CA certificates");
		goto out;
	}
	while (PEM_read_bio(bio, &name, &header, &der, &der_len)) {
		blocks++;
		if (is_cert_label(name)) {
			X509 *x = pem_block_cert(name, der, der_len);

			if (!x || !sk_X509_push(certs, x)) {
				X509_free(x);
				ERR_clear_error();
				ret = fail(f, STATUS_USAGE, "CA file %s: PEM block %d is not "
					   "an X.509 certificate", path, blocks);
				goto out;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		name = header = NULL;
		der = NULL;
	}
	/* Running out of blocks is the normal end; any other reason is damage. */
	err = ERR_peek_last_error();
	if (ERR_GET_LIB(err) != ERR_LIB_PEM || ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
		ERR_clear_error();
		if (sk_X509_num(certs)) {
			ret = fail(f, STATUS_USAGE, "CA file %s: malformed PEM after "
				   "certificate %d", path, sk_X509_num(certs));
			goto out;
		}
		/* Nothing recognisable: DER, or the file's name, decides. */
		ret = STATUS_OK;
		goto out;
	}
	ERR_clear_error();
	if (sk_X509_num(certs))
		*kind = CA_CERTS;
	else if (blocks)
		*kind = CA_OTHER;
	ret = STATUS_OK;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return ret;
}

/* DER certificates back to back, as vendors publish them or NV holds them. */
static int parse_der(const char *path, const uint8_t *data, size_t len,
		     STACK_OF(X509) *certs, enum ca_kind *kind, struct failure *f)
{
	const unsigned char *p = data, *end = data + len;
	X509 *x;

	*kind = CA_UNKNOWN;
	while (p < end && !is_padding(p, end)) {
		const unsigned char *start = p;

		x = d2i_X509(NULL, &p, (long)(end - p));
		ERR_clear_error();
		if (!x) {
			if (!sk_X509_num(certs))
				return STATUS_OK;
			return fail(f, STATUS_USAGE, "CA file %s: %zu bytes after DER "
				    "certificate %d are neither a certificate nor padding",
				    path, (size_t)(end - start), sk_X509_num(certs));
		}
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			return fail(f, STATUS_USAGE, "out of memory reading CA certificates");
		}
	}
	if (sk_X509_num(certs))
		*kind = CA_CERTS;
	return STATUS_OK;
}

/* A name that promises a certificate: a file so named must be one. */
static int cert_like_name(const char *path)
{
	static const char *const ext[] = { ".pem", ".crt", ".cer", ".der" };
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (n > 4 && !strcasecmp(path + n - 4, ext[i]))
			return 1;
	return 0;
}

/*
 * Add the certificates of one file, PEM bundle or DER, to `store` (roots)
 * and `untrusted`, counting them in `found`. A file that holds none is an
 * error when `must_hold` (the --ca file itself, or a folder entry named like
 * a certificate) unless it is well-formed PEM of something else; otherwise
 * it is skipped. Damaged certificates are always an error: skipping one
 * would surface later as an unexplained chain failure.
 */
static int load_file(const char *path, int must_hold, X509_STORE *store,
		     STACK_OF(X509) *untrusted, int *found, struct failure *f)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	uint8_t *data = NULL;
	enum ca_kind kind;
	size_t len;
	int i, ret;

	if (!certs) {
		ret = fail(f, STATUS_USAGE, "out of memory loading CA certificates");
		goto out;
	}
	ret = infile_read(path, CA_FILE_CAP, "CA file", &data, &len, f);
	if (ret)
		goto out;
	ret = parse_pem(path, data, len, certs, &kind, f);
	if (!ret && kind == CA_UNKNOWN)
		ret = parse_der(path, data, len, certs, &kind, f);
	if (ret)
		goto out;
	if (kind == CA_UNKNOWN && must_hold) {
		ret = fail(f, STATUS_USAGE, "CA file %s holds no PEM or DER certificate", path);
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		if (add_cert(sk_X509_value(certs, i), store, untrusted)) {
			ret = fail_crypto(f, STATUS_USAGE, "cannot use CA certificate");
			goto out;
		}
		(*found)++;
	}
	ret = STATUS_OK;
out:
	sk_X509_pop_free(certs, X509_free);
	free(data);
	return ret;
}

int chain_load_ca(const char *path, X509_STORE **store, STACK_OF(X509) **untrusted,
		  struct failure *f)
{
	struct stat st;
	DIR *dir = NULL;
	struct dirent *e;
	char *sub = NULL;
	int found = 0, ret;

	*store = X509_STORE_new();
	*untrusted = sk_X509_new_null();
	if (!*store || !*untrusted) {
		ret = fail(f, STATUS_USAGE, "out of memory loading CA certificates");
		goto out;
	}
	if (stat(path, &st)) {
		ret = fail(f, STATUS_USAGE, "cannot find CA file or folder %s", path);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = load_file(path, 1, *store, *untrusted, &found, f);
		if (ret)
			goto out;
	} else {
		dir = opendir(path);
		if (!dir) {
			ret = fail(f, STATUS_USAGE, "cannot read CA folder %s", path);
			goto out;
		}
		while ((e = readdir(dir))) {
			size_t n = strlen(path) + strlen(e->d_name) + 2;

			if (e->d_name[0] == '.')
				continue;
			free(sub);
			sub = malloc(n);
			if (!sub) {
				ret = fail(f, STATUS_USAGE, "out of memory loading CA certificates");
				goto out;
			}
			snprintf(sub, n, "%s/%s", path, e->d_name);
			if (stat(sub, &st) || !S_ISREG(st.st_mode))
				continue;
			/* A vendor's PDF or archive beside the roots is not ours to refuse. */
			if (!cert_like_name(sub) && (size_t)st.st_size > CA_FILE_CAP)
				continue;
			ret = load_file(sub, cert_like_name(sub), *store, *untrusted, &found, f);
			if (ret)
				goto out;
		}
	}
	if (!found) {
		ret = fail(f, STATUS_USAGE, "no certificates found in %s", path);
		goto out;
	}
	ret = STATUS_OK;
out:
	free(sub);
	if (dir)
		closedir(dir);
	if (ret) {
		X509_STORE_free(*store);
		sk_X509_pop_free(*untrusted, X509_free);
		*store = NULL;
		*untrusted = NULL;
	}
	return ret;
}

/*
 * EK certificates often carry critical extensions OpenSSL does not know
 * (e.g. TCG's subject directory attributes marked critical); the profile
 * allows them on the leaf, so only there are they tolerated.
 */
static int ek_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION &&
	    X509_STORE_CTX_get_error_depth(ctx) == 0)
		return 1;
	return ok;
}

static void describe(X509 *x, char *out, size_t len)
{
	X509_NAME *n = X509_get_subject_name(x);
	const char *which = "subject";

	/* EK certificates usually have an empty subject: name them by issuer. */
	if (!n || X509_NAME_entry_count(n) == 0) {
		n = X509_get_issuer_name(x);
		which = "issued by";
	}
	snprintf(out, len, "%s ", which);
	X509_NAME_oneline(n, out + strlen(out), (int)(len - strlen(out)));
}

int chain_verify(X509 *leaf, X509_STORE *store, STACK_OF(X509) *untrusted,
		 char *root, size_t root_len, struct failure *f)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain;
	char who[256] = "unknown certificate";
	char missing[300] = "";
	X509 *bad;
	int ret, err;

	if (!ctx || X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		ret = fail_crypto(f, STATUS_VERIFY, "cannot set up chain verification");
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, ek_verify_cb);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		bad = X509_STORE_CTX_get_current_cert(ctx);
		if (bad)
			describe(bad, who, sizeof(who));
		/* Say which certificate to go and get. */
		if (bad && (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
			    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)) {
			snprintf(missing, sizeof(missing), "; missing issuer: ");
			X509_NAME_oneline(X509_get_issuer_name(bad), missing + strlen(missing),
					  (int)(sizeof(missing) - strlen(missing)));
		}
		ERR_clear_error();
		ret = fail(f, STATUS_VERIFY, "EK certificate chain does not verify: %s "
			   "(certificate at depth %d, %s)%s", X509_verify_cert_error_string(err),
			   X509_STORE_CTX_get_error_depth(ctx), who, missing);
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)),
			  root, (int)root_len);
	ret = STATUS_OK;
out:
	X509_STORE_CTX_free(ctx);
	return ret;
}
