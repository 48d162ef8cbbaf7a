/*
 * Library code does not print: it records one failure (status plus a
 * sentence) and returns the status, and main() prints it once.
 */
#ifndef FAILURE_H
#define FAILURE_H

#include <tss2/tss2_common.h>

#include "exit_status.h"

struct failure {
	int status;
	char text[320];
};

/* Record a failure and return its status, so callers can `return fail(...)`. */
int fail(struct failure *f, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put context ("name file X") in front of the recorded sentence; keeps the status. */
int fail_prefix(struct failure *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record a failed TPM/TSS call: the call name, a plain sentence, the decoded rc. */
int fail_tss(struct failure *f, const char *call, TSS2_RC rc);

/* Record a libcrypto failure with OpenSSL's own reason appended. */
int fail_crypto(struct failure *f, int status, const char *what);

#endif
