#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chain.h"
#include "infile.h"

#define CA_FILE_CAP ((size_t)1024 * 1024)

static int add_cert(X509 *x, X509_STORE *store, STACK_OF(X509) *untrusted)
{
	/* Self-signed means a root: only those are trusted without a chain. */
	if (X509_check_issued(x, x) == X509_V_OK)
		return X509_STORE_add_cert(store, x) == 1 ? 0 : -1;
	if (!sk_X509_push(untrusted, x))
		return -1;
	X509_up_ref(x);
	return 0;
}

static int load_file(const char *path, X509_STORE *store, STACK_OF(X509) *untrusted,
		     int *found, struct failure *f)
{
	uint8_t *data = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x = NULL;
	const unsigned char *p;
	int ret;

	ret = infile_read(path, CA_FILE_CAP, "CA file", &data, &len, f);
	if (ret)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (add_cert(x, store, untrusted)) {
			ret = fail_crypto(f, STATUS_USAGE, "cannot use CA certificate");
			goto out;
		}
		X509_free(x);
		x = NULL;
		(*found)++;
	}
	ERR_clear_error();
	if (!*found) {
		p = data;
		x = d2i_X509(NULL, &p, (long)len);
		ERR_clear_error();
		if (x && !add_cert(x, store, untrusted))
			(*found)++;
	}
	ret = STATUS_OK;
out:
	X509_free(x);
	BIO_free(bio);
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
		ret = load_file(path, *store, *untrusted, &found, f);
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
			ret = load_file(sub, *store, *untrusted, &found, f);
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
		ERR_clear_error();
		ret = fail(f, STATUS_VERIFY, "EK certificate chain does not verify: %s "
			   "(certificate at depth %d, %s)", X509_verify_cert_error_string(err),
			   X509_STORE_CTX_get_error_depth(ctx), who);
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
