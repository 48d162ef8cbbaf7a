#!/bin/sh
# Test-only: hide the TPM before the check (idle unless asked).
/usr/bin/attest-test-late-tpm hide
