/*
 * What each token of a LUKS2 header means for a TPM gate: whether its
 * unlock goes through a TPM, the PCRs its sealing depends on, and the SRK
 * it pins its session to. Kinds not known here count as TPM unlocks bound
 * to every PCR, so that a new kind is capped and refused, never let by.
 */
#ifndef LUKS2_TOKENS_H
#define LUKS2_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/* cryptsetup's LUKS2_TOKENS_MAX. */
#define LUKS2_TOKENS_MAX 32

enum token_pin {
	TOKEN_UNPINNED,  /* the unseal trusts whatever SRK the TPM reports */
	TOKEN_PINNED,    /* salted to the SRK named in `srk` */
	TOKEN_PIN_BAD,   /* a pin that cannot be read: it pins nothing we know */
};

struct token_facts {
	unsigned int id;
	char type[24];       /* printable, cut short for messages */
	bool tpm;            /* unlocks through a TPM */
	uint32_t pcrs;       /* the PCRs the sealing depends on */
	bool unbound;        /* a TPM unseal in it depends on no PCR at all */
	enum token_pin pin;
	TPM2B_NAME srk;      /* TOKEN_PINNED: the pinned SRK's name */
};

struct luks2_tokens {
	unsigned int count;
	struct token_facts token[LUKS2_TOKENS_MAX];
};

/* The tokens of a parsed LUKS2 JSON area. STATUS_VERIFY when malformed. */
int luks2_tokens_read(json_object *root, struct luks2_tokens *out, struct failure *f);

/* [7, 11]: PCRs of PCR_LOCALITY0; anything else there means every one. */
uint32_t token_pcr_array(json_object *a);

/* The tokens of clevis' "jwe" member: a pin tree (clevis_pins.c). */
int clevis_token(json_object *jwe, struct token_facts *t, struct failure *f);

#endif
