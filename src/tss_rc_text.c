#include <stddef.h>

#include <tss2/tss2_tpm2_types.h>

#include "tss_rc_text.h"

/* Format-one codes carry the failing handle/session/parameter in high bits. */
static TSS2_RC tpm_error_code(TSS2_RC rc)
{
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

const char *tss_rc_plain(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
	TSS2_RC code = rc & ~TSS2_RC_LAYER_MASK;

	if (layer == TSS2_TCTI_RC_LAYER) {
		switch (code & 0xffff) {
		case TSS2_BASE_RC_IO_ERROR:
		case TSS2_BASE_RC_NO_CONNECTION:
			return "cannot talk to the TPM (no device, or the connection failed)";
		case TSS2_BASE_RC_TRY_AGAIN:
			return "the TPM did not answer in time";
		case TSS2_BASE_RC_MALFORMED_RESPONSE:
			return "the TPM sent a malformed response";
		default:
			return NULL;
		}
	}
	/* SAPI says this when an answer announces more than a TPM buffer holds. */
	if (rc == TSS2_SYS_RC_INSUFFICIENT_CONTEXT)
		return "the TPM sent an oversized response";
	if (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER ||
	    layer == TSS2_MU_RC_LAYER) {
		switch (code & 0xffff) {
		case TSS2_BASE_RC_MALFORMED_RESPONSE:
		case TSS2_BASE_RC_INSUFFICIENT_BUFFER:
		case TSS2_BASE_RC_INSUFFICIENT_RESPONSE:
			return "the TPM sent a malformed or truncated response";
		case TSS2_BASE_RC_RSP_AUTH_FAILED:
			return "the TPM response failed its integrity check";
		case TSS2_BASE_RC_IO_ERROR:
		case TSS2_BASE_RC_NO_CONNECTION:
			return "cannot talk to the TPM";
		default:
			return NULL;
		}
	}
	if (layer != TSS2_TPM_RC_LAYER)
		return NULL;
	switch (tpm_error_code(code)) {
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_BAD_AUTH:
		return "authorization failed (a wrong or missing endorsement hierarchy password? see -a)";
	case TPM2_RC_HIERARCHY:
		return "the hierarchy is disabled";
	case TPM2_RC_LOCKOUT:
		return "the TPM is in dictionary-attack lockout";
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
		return "the TPM is out of object or session slots";
	case TPM2_RC_INITIALIZE:
		return "the TPM has not been started up";
	case TPM2_RC_POLICY_FAIL:
		return "the EK policy was not satisfied";
	default:
		return NULL;
	}
}
