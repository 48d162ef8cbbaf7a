/*
 * Verification of a TPM2_Certify result, independent of the TPM: the
 * signature, then every field of the attestation that ties it to this run.
 */
#ifndef ATTEST_CHECK_H
#define ATTEST_CHECK_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

struct certify_expect {
	const TPM2B_DATA *nonce;          /* our fresh qualifying data */
	const TPM2B_NAME *signer_qname;   /* qualified name of the signing EK */
	const TPM2B_NAME *object_name;    /* name we computed for the certified key */
	const TPM2B_NAME *object_qname;   /* its qualified name (hierarchy || name) */
};

/*
 * STATUS_OK when `sig` is the signer's ECDSA-SHA256 signature over `attest`
 * and `attest` is a complete TPMS_ATTEST of type CERTIFY matching `want`;
 * STATUS_VERIFY with the failing check otherwise. On success *clock holds
 * the TPM's clock info from the attestation.
 */
int attest_check(const TPM2B_ATTEST *attest, const TPMT_SIGNATURE *sig,
		 EVP_PKEY *signer, const struct certify_expect *want,
		 TPMS_CLOCK_INFO *clock, struct failure *f);

/* Only the signature part: ECDSA over H(data) with the given hash. */
int attest_signature_check(const uint8_t *data, size_t len,
			   const TPMT_SIGNATURE *sig, EVP_PKEY *signer,
			   struct failure *f);

#endif
