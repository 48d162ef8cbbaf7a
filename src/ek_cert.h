#ifndef EK_CERT_H
#define EK_CERT_H

#include <openssl/x509.h>

#include "failure.h"

/* Parse an EK certificate held in memory, PEM or DER. STATUS_USAGE if neither. */
int ek_cert_parse(const uint8_t *data, size_t len, X509 **cert, struct failure *f);

/* Read and parse an EK certificate file (size capped). */
int ek_cert_read(const char *path, X509 **cert, struct failure *f);

#endif
