/*
 * A LUKS2 JSON area, parsed strictly with json-c (cryptsetup's parser):
 * one object, nothing after it but the area's zero padding, no duplicate
 * key (json-c would keep the last one silently), at most LUKS2_JSON_DEPTH
 * levels deep.
 */
#ifndef LUKS2_JSON_H
#define LUKS2_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "failure.h"

/* The deepest a token of clevis' (a JWE in a token in "tokens") goes is 4. */
#define LUKS2_JSON_DEPTH 8

/* `area` holds `len` bytes. STATUS_OK and *root, or STATUS_VERIFY. */
int luks2_json_parse(const char *area, size_t len, int depth, json_object **root,
		     struct failure *f);

#endif
