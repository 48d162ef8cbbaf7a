#!/bin/sh
# Test-only: show it again between the check (10) and the gate (90).
/usr/bin/attest-test-late-tpm show
