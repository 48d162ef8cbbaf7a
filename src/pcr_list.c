#include <stdio.h>

#include "pcr_list.h"

#define PCR_MAX 23

int pcr_list_parse(const char *list, uint32_t *mask, struct failure *f)
{
	const char *p = list;
	unsigned int v;

	*mask = 0;
	for (;;) {
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
			break;
		for (v = 0; *p >= '0' && *p <= '9' && v <= PCR_MAX; p++)
			v = v * 10 + (unsigned int)(*p - '0');
		if (v > PCR_MAX || !(PCR_LOCALITY0 & (1u << v)) || (*mask & (1u << v)))
			break;
		*mask |= 1u << v;
		if (!*p)
			return STATUS_OK;
		if (*p++ != ',')
			break;
	}
	*mask = 0;
	return fail(f, STATUS_USAGE, "bad PCR list \"%s\": give PCRs 0-16 or 23 (the ones "
		    "locality 0 can extend), comma-separated, each once (e.g. 7 or 7,14)", list);
}

void pcr_list_format(uint32_t mask, char *out, size_t len)
{
	size_t used = 0;
	unsigned int pcr;

	out[0] = '\0';
	for (pcr = 0; pcr <= PCR_MAX; pcr++)
		if (mask & (1u << pcr))
			used += (size_t)snprintf(out + used, used < len ? len - used : 0,
						 "%s%u", used ? "," : "", pcr);
}
