/* Name files: the hex name and one optional newline, nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Before cmocka.h, whose fail() macro would mangle failure.h. */
#include "namefile.h"

#include <cmocka.h>

/* A SHA-256 name: 000b then bytes 0x00..0x1f. */
#define NAME_HEX "000b000102030405060708090a0b0c0d0e0f" \
		 "101112131415161718191a1b1c1d1e1f"

static char tmpdir[64];

static int parse(const char *text, TPM2B_NAME *name, struct failure *f)
{
	memset(f, 0, sizeof(*f));
	memset(name, 0, sizeof(*name));
	return namefile_parse(text, strlen(text), name, f);
}

/* A rejection is an input error with a reason. */
static void expect_usage_failure(int ret, const struct failure *f)
{
	assert_int_equal(ret, STATUS_USAGE);
	assert_int_equal(f->status, STATUS_USAGE);
	assert_true(f->text[0] != '\0');
}

static void expect_rejected(const char *text)
{
	struct failure f;
	TPM2B_NAME name;

	expect_usage_failure(parse(text, &name, &f), &f);
}

static void expect_sha256_name(const TPM2B_NAME *name)
{
	assert_int_equal(name->size, 34);
	assert_int_equal(name->name[0], 0x00);
	assert_int_equal(name->name[1], 0x0b);
	for (int i = 0; i < 32; i++)
		assert_int_equal(name->name[2 + i], i);
}

static void parse_accepts_name_with_and_without_newline(void **state)
{
	struct failure f;
	TPM2B_NAME name;

	(void)state;
	assert_int_equal(parse(NAME_HEX "\n", &name, &f), STATUS_OK);
	expect_sha256_name(&name);
	assert_int_equal(parse(NAME_HEX, &name, &f), STATUS_OK);
	expect_sha256_name(&name);
}

static void parse_accepts_uppercase_hex(void **state)
{
	char text[] = NAME_HEX "\n";
	struct failure f;
	TPM2B_NAME name;

	(void)state;
	for (char *p = text; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(parse(text, &name, &f), STATUS_OK);
	expect_sha256_name(&name);
}

static void parse_accepts_sha384_name(void **state)
{
	char text[2 * 50 + 2] = "000c";
	struct failure f;
	TPM2B_NAME name;

	(void)state;
	for (int i = 0; i < 48; i++)
		snprintf(text + 4 + 2 * i, 3, "%02x", 0xff - i);
	strcat(text, "\n");
	assert_int_equal(parse(text, &name, &f), STATUS_OK);
	assert_int_equal(name.size, 50);
	assert_int_equal(name.name[1], 0x0c);
	assert_int_equal(name.name[2], 0xff);
	assert_int_equal(name.name[49], 0xff - 47);
}

static void parse_rejects_too_short(void **state)
{
	(void)state;
	expect_rejected("");
	expect_rejected("\n");
	expect_rejected("0");
	expect_rejected("000b");
	expect_rejected("000b00010203\n");
}

static void parse_rejects_odd_length(void **state)
{
	(void)state;
	expect_rejected(NAME_HEX "0\n");
	expect_rejected("000b0\n");
}

static void parse_rejects_non_hex(void **state)
{
	char text[] = NAME_HEX "\n";

	(void)state;
	text[20] = 'g';
	expect_rejected(text);
	text[20] = ' ';
	expect_rejected(text);
}

static void parse_rejects_unknown_hash_alg(void **state)
{
	char text[] = NAME_HEX "\n";

	(void)state;
	memcpy(text, "0099", 4);
	expect_rejected(text);
	/* An unknown algorithm has no digest size, so no length can be right. */
	expect_rejected("0099\n");
	expect_rejected("0010\n"); /* TPM_ALG_NULL */
}

static void parse_rejects_wrong_length_for_alg(void **state)
{
	(void)state;
	expect_rejected("000b" "000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e\n");   /* 31 bytes */
	expect_rejected(NAME_HEX "20\n");                     /* 33 bytes */
	expect_rejected("000c" "000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1f\n"); /* sha384, 32 bytes */
}

static void parse_rejects_trailing_bytes(void **state)
{
	(void)state;
	expect_rejected(NAME_HEX "\n\n");
	expect_rejected(NAME_HEX "\r\n");
	expect_rejected(NAME_HEX " \n");
	expect_rejected(NAME_HEX "\nxx");
	expect_rejected(NAME_HEX "zz\n");
}

static void parse_does_not_read_past_len(void **state)
{
	struct failure f = { 0 };
	TPM2B_NAME name;
	const char text[] = NAME_HEX "\n";

	(void)state;
	/* Cut one digit off: the rest of the buffer must not be used. */
	assert_int_equal(namefile_parse(text, sizeof(text) - 3, &name, &f), STATUS_USAGE);
}

/* `file` in the test's folder; the next call overwrites it. */
static const char *in_tmpdir(const char *file)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	return path;
}

static int read_path(const char *file, TPM2B_NAME *name, struct failure *f)
{
	memset(f, 0, sizeof(*f));
	return namefile_read(in_tmpdir(file), name, f);
}

static void write_file(const char *file, const char *data, size_t len)
{
	FILE *fp = fopen(in_tmpdir(file), "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void expect_read_rejected(const char *file)
{
	struct failure f;
	TPM2B_NAME name;

	expect_usage_failure(read_path(file, &name, &f), &f);
	assert_non_null(strstr(f.text, tmpdir)); /* says which file */
}

static void read_accepts_good_file(void **state)
{
	struct failure f;
	TPM2B_NAME name;

	(void)state;
	write_file("good", NAME_HEX "\n", strlen(NAME_HEX "\n"));
	assert_int_equal(read_path("good", &name, &f), STATUS_OK);
	expect_sha256_name(&name);
}

static void read_rejects_missing_file(void **state)
{
	(void)state;
	expect_read_rejected("missing");
}

static void read_rejects_directory(void **state)
{
	(void)state;
	assert_int_equal(mkdir(in_tmpdir("dir"), 0700), 0);
	expect_read_rejected("dir");
}

static void read_rejects_fifo_without_blocking(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(in_tmpdir("fifo"), 0600), 0);
	alarm(5); /* blocking on open or read kills the test instead of hanging */
	expect_read_rejected("fifo");
	alarm(0);
}

static void read_rejects_5000_byte_file(void **state)
{
	char *big = malloc(5000);

	(void)state;
	assert_non_null(big);
	/* A valid name followed by padding: only the size can reject it. */
	memset(big, '0', 5000);
	memcpy(big, NAME_HEX, strlen(NAME_HEX));
	write_file("big", big, 5000);
	free(big);
	expect_read_rejected("big");
}

static void read_rejects_malformed_file(void **state)
{
	(void)state;
	write_file("bad", NAME_HEX "\r\n", strlen(NAME_HEX "\r\n"));
	expect_read_rejected("bad");
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_namefile.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	static const char *const files[] = { "good", "fifo", "big", "bad" };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(in_tmpdir(files[i]));
	rmdir(in_tmpdir("dir"));
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_name_with_and_without_newline),
		cmocka_unit_test(parse_accepts_uppercase_hex),
		cmocka_unit_test(parse_accepts_sha384_name),
		cmocka_unit_test(parse_rejects_too_short),
		cmocka_unit_test(parse_rejects_odd_length),
		cmocka_unit_test(parse_rejects_non_hex),
		cmocka_unit_test(parse_rejects_unknown_hash_alg),
		cmocka_unit_test(parse_rejects_wrong_length_for_alg),
		cmocka_unit_test(parse_rejects_trailing_bytes),
		cmocka_unit_test(parse_does_not_read_past_len),
		cmocka_unit_test(read_accepts_good_file),
		cmocka_unit_test(read_rejects_missing_file),
		cmocka_unit_test(read_rejects_directory),
		cmocka_unit_test(read_rejects_fifo_without_blocking),
		cmocka_unit_test(read_rejects_5000_byte_file),
		cmocka_unit_test(read_rejects_malformed_file),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
