#!/bin/sh
# Test-only: before the check (the test kernel loads its TPM driver late).
/usr/bin/attest-test-early
