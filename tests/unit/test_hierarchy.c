/* hierarchy_find: names, the man page's "--owner" spelling, and hex handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hierarchy.h"

static const struct {
	const char *spec;
	TPM2_HANDLE handle;
	ESYS_TR esys;
} found[] = {
	{ "null", TPM2_RH_NULL, ESYS_TR_RH_NULL },
	{ "owner", TPM2_RH_OWNER, ESYS_TR_RH_OWNER },
	{ "endorsement", TPM2_RH_ENDORSEMENT, ESYS_TR_RH_ENDORSEMENT },
	{ "platform", TPM2_RH_PLATFORM, ESYS_TR_RH_PLATFORM },
	{ "--owner", TPM2_RH_OWNER, ESYS_TR_RH_OWNER },
	{ "--null", TPM2_RH_NULL, ESYS_TR_RH_NULL },
	{ "0x40000001", TPM2_RH_OWNER, ESYS_TR_RH_OWNER },
	{ "0x40000007", TPM2_RH_NULL, ESYS_TR_RH_NULL },
	{ "0x4000000b", TPM2_RH_ENDORSEMENT, ESYS_TR_RH_ENDORSEMENT },
	{ "0x4000000C", TPM2_RH_PLATFORM, ESYS_TR_RH_PLATFORM },
};

static const char *const unknown[] = {
	"lockout", "Owner", "own", "owner ", "0x4000000Z", "0x40000001Z",
	"0x4000000b ", "0x40000002", "0x", "40000001", "", "--",
};

static void finds_names_dashed_spellings_and_hex_handles(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		const struct hierarchy *h = hierarchy_find(found[i].spec);

		if (!h)
			fail_msg("hierarchy_find(\"%s\") found nothing", found[i].spec);
		assert_int_equal(h->handle, found[i].handle);
		assert_int_equal(h->esys, found[i].esys);
	}
	assert_string_equal(hierarchy_find("endorsement")->name, "endorsement");
}

static void rejects_unknown_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (hierarchy_find(unknown[i]))
			fail_msg("hierarchy_find(\"%s\") found a hierarchy", unknown[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_names_dashed_spellings_and_hex_handles),
		cmocka_unit_test(rejects_unknown_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
