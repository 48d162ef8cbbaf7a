/* Exit statuses, documented in man/attest_tpm2_primary.1; scripts depend on them. */
#ifndef EXIT_STATUS_H
#define EXIT_STATUS_H

enum exit_status {
	STATUS_OK = 0,
	STATUS_VERIFY = 1, /* the TPM or a file failed verification */
	STATUS_USAGE = 2,  /* bad command line or unreadable/malformed input */
	STATUS_TPM = 3,    /* TPM unreachable, unresponsive or returned an error */
	STATUS_NO_EK_CERT = 4, /* --attest nv: the TPM holds no EK certificate */
};

#endif
