/* hierarchy_find: names, the man page's "--owner" spelling, and hex handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hierarchy.h"

static void expect(const char *spec, TPM2_HANDLE handle, ESYS_TR esys)
{
	const struct hierarchy *h = hierarchy_find(spec);

	if (!h)
		fail_msg("hierarchy_find(\"%s\") found nothing", spec);
	assert_int_equal(h->handle, handle);
	assert_int_equal(h->esys, esys);
}

static void finds_hierarchies_by_name(void **state)
{
	(void)state;
	expect("null", TPM2_RH_NULL, ESYS_TR_RH_NULL);
	expect("owner", TPM2_RH_OWNER, ESYS_TR_RH_OWNER);
	expect("endorsement", TPM2_RH_ENDORSEMENT, ESYS_TR_RH_ENDORSEMENT);
	expect("platform", TPM2_RH_PLATFORM, ESYS_TR_RH_PLATFORM);
	assert_string_equal(hierarchy_find("endorsement")->name, "endorsement");
}

static void finds_dashed_spelling(void **state)
{
	(void)state;
	expect("--owner", TPM2_RH_OWNER, ESYS_TR_RH_OWNER);
	expect("--null", TPM2_RH_NULL, ESYS_TR_RH_NULL);
}

static void finds_hex_handles(void **state)
{
	(void)state;
	expect("0x40000001", TPM2_RH_OWNER, ESYS_TR_RH_OWNER);
	expect("0x40000007", TPM2_RH_NULL, ESYS_TR_RH_NULL);
	expect("0x4000000b", TPM2_RH_ENDORSEMENT, ESYS_TR_RH_ENDORSEMENT);
	expect("0x4000000C", TPM2_RH_PLATFORM, ESYS_TR_RH_PLATFORM);
}

static void rejects_unknown_specs(void **state)
{
	(void)state;
	assert_null(hierarchy_find("lockout"));
	assert_null(hierarchy_find("Owner"));
	assert_null(hierarchy_find("own"));
	assert_null(hierarchy_find("owner "));
	assert_null(hierarchy_find("0x4000000Z"));
	assert_null(hierarchy_find("0x40000001Z"));
	assert_null(hierarchy_find("0x4000000b "));
	assert_null(hierarchy_find("0x40000002"));
	assert_null(hierarchy_find("0x"));
	assert_null(hierarchy_find("40000001"));
	assert_null(hierarchy_find(""));
	assert_null(hierarchy_find("--"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_hierarchies_by_name),
		cmocka_unit_test(finds_dashed_spelling),
		cmocka_unit_test(finds_hex_handles),
		cmocka_unit_test(rejects_unknown_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
