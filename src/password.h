/* The endorsement hierarchy password: never on stdout/stderr, wiped after use. */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/*
 * Fill `auth` from `spec`, in tpm2-tools' conventions: "str:VALUE",
 * "hex:HEX", "file:PATH" (first line; "-" is standard input), "env:VARIABLE",
 * or a bare value. With spec NULL, prompt on the terminal without echo.
 */
int password_get(const char *spec, TPM2B_AUTH *auth, struct failure *f);

/* Before a password is read: no core dumps, not dumpable (no ptrace, no /proc/PID/mem). */
int password_guard_process(struct failure *f);

void password_wipe(TPM2B_AUTH *auth);

#endif
