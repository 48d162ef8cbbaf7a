#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "failure.h"

enum mode { MODE_NONE, MODE_EKSIGN, MODE_ATTEST, MODE_CERTIFY, MODE_BOOT, MODE_CAP };

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
	const char *check_file;      /* positional: name file for the certified key */
	const char *password;        /* --password */
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
