#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "failure.h"

enum mode { MODE_NONE, MODE_EKSIGN, MODE_ATTEST, MODE_CERTIFY, MODE_BOOT, MODE_CAP,
	    MODE_VOLUMES };

/*
 * Where --persist puts the signing EK: the first handle of the TCG
 * registry's endorsement range (0x81010000-0x8101FFFF) after the block the
 * TCG EK Credential Profile reserves for EKs (0x81010000-0x810100FF, where
 * Windows and tpm2-tools keep theirs at 0x81010001 and 0x81010002); the
 * owner's SRK (systemd, Windows, the TCG provisioning guidance) sits at
 * 0x81000001 and device-identity keys (IAK, IDevID) in 0x8102xxxx.
 */
#define DEFAULT_EK_HANDLE 0x81010100u

/* Generous for real TPMs: an RSA EK alone can take 20 s to create. */
#define DEFAULT_TIMEOUT 60

struct options {
	enum mode mode;
	const char *cert_file;       /* --attest: a file, or "nv:[INDEX]" */
	const char *ca;              /* --ca: trust anchors and intermediates */
	const char *hierarchy;       /* --certify */
	const char *name_file;       /* --name: the enrolled signing-EK name */
	const char *out_file;        /* --file */
	const char *public_file;     /* --public */
	const char *token_pin_file;  /* --token-pin */
	uint32_t cap_pcrs;           /* --cap-pcrs, one bit per PCR */
	const char *check_file;      /* positional: name file for the certified key,
				      * or --volumes' volume */
	const char *volumes_file;    /* --volumes: the crypttab */
	const char *srk_file;        /* --srk: the certified SRK, as TPM2B_PUBLIC */
	bool require_pinned;         /* --require-pinned */
	bool tcti_given;             /* --tcti */
	const char *password;        /* --password */
	const char *owner_password;  /* --persist-auth */
	uint32_t persist_handle;     /* --persist[=HANDLE], 0 without */
	uint32_t ek_handle;          /* --signing-ek, 0 without */
	const char *tcti;            /* --tcti, else $TPM2TOOLS_TCTI */
	unsigned int timeout;        /* --timeout */
	bool auth;                   /* --auth */
	bool outname;                /* --outname */
	bool require_null_name;      /* --require-null-name */
	bool help, version;
};

/* STATUS_OK or STATUS_USAGE with the reason. */
int options_parse(int argc, char **argv, struct options *o, struct failure *f);

void options_usage(const char *program);

#endif
