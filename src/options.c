#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hierarchy.h"
#include "options.h"
#include "outfile.h"
#include "pcr_list.h"

enum { OPT_VERSION = 256, OPT_TIMEOUT, OPT_BOOT, OPT_REQUIRE_NULL, OPT_CA, OPT_PUBLIC,
       OPT_CAP_PCRS, OPT_TOKEN_PIN, OPT_PERSIST, OPT_SIGNING_EK, OPT_PERSIST_AUTH,
       OPT_VOLUMES, OPT_SRK, OPT_REQUIRE_PINNED };

/* The reference tool's long options first: their abbreviations must keep working. */
static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "auth", no_argument, NULL, 'a' },
	{ "password", required_argument, NULL, 'k' },
	{ "eksign", no_argument, NULL, 'E' },
	{ "attest", required_argument, NULL, 'A' },
	{ "certify", required_argument, NULL, 'C' },
	{ "name", required_argument, NULL, 'n' },
	{ "outname", no_argument, NULL, 'o' },
	{ "file", required_argument, NULL, 'f' },
	{ "tcti", required_argument, NULL, 'T' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "boot", no_argument, NULL, OPT_BOOT },
	{ "require-null-name", no_argument, NULL, OPT_REQUIRE_NULL },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "public", required_argument, NULL, OPT_PUBLIC },
	{ "cap-pcrs", required_argument, NULL, OPT_CAP_PCRS },
	{ "token-pin", required_argument, NULL, OPT_TOKEN_PIN },
	{ "persist", optional_argument, NULL, OPT_PERSIST },
	{ "signing-ek", required_argument, NULL, OPT_SIGNING_EK },
	{ "persist-auth", required_argument, NULL, OPT_PERSIST_AUTH },
	{ "volumes", required_argument, NULL, OPT_VOLUMES },
	{ "srk", required_argument, NULL, OPT_SRK },
	{ "require-pinned", no_argument, NULL, OPT_REQUIRE_PINNED },
	{ NULL, 0, NULL, 0 },
};

void options_usage(const char *program)
{
	fprintf(stderr,
		"Usage: %s {--eksign|--attest CERT|--certify HIERARCHY|--boot} [options] [NAMEFILE]\n"
		"       %s --volumes CRYPTTAB [--srk FILE] [--require-pinned] [VOLUME]\n"
		"\n"
		"  -E, --eksign             derive the signing EK and print its name\n"
		"  -A, --attest CERT        prove the signing EK belongs to the TPM of EK certificate CERT;\n"
		"                           nv: reads it from the TPM (nv:0x01c00002 picks an index)\n"
		"      --ca FILE|DIR        with --attest, verify the EK certificate's chain to a root\n"
		"                           certificate in FILE or DIR (and intermediates there or in NV)\n"
		"  -C, --certify HIERARCHY  certify the storage primary of null, owner, endorsement or\n"
		"                           platform against the signing EK; NAMEFILE, if given, must\n"
		"                           hold the primary's name (e.g. /sys/class/tpm/tpm0/null_name)\n"
		"      --boot               certify the NULL key (against NAMEFILE, default\n"
		"                           /sys/class/tpm/tpm0/null_name, when present) and the owner\n"
		"                           SRK in one run, logging the result to the kernel log\n"
		"      --cap-pcrs LIST      after a refused boot: extend PCRs LIST (e.g. 7 or 7,14)\n"
		"                           in every allocated bank with a refusal event\n"
		"      --volumes CRYPTTAB   for each volume of CRYPTTAB and of rd.luks.* (or VOLUME\n"
		"                           alone): its TPM unlock, the PCRs it is sealed to, its SRK\n"
		"                           pin, and whether it may be opened now (no TPM is used)\n"
		"      --srk FILE           with --volumes, the TPM was verified: FILE is its SRK\n"
		"                           (as --public writes it); tokens must pin that SRK\n"
		"      --require-pinned     with --volumes, refuse TPM unlocks that pin no SRK\n"
		"  -n, --name FILE          the enrolled signing-EK name; fail if the TPM's differs\n"
		"  -o, --outname            print the certified key's name\n"
		"  -f, --file FILE          write the verified public key as PEM to FILE\n"
		"      --public FILE        write it as a marshalled TPM2B_PUBLIC to FILE\n"
		"      --token-pin FILE     with --boot or --certify owner, write the SRK as the\n"
		"                           tpm2_srk pin of a systemd-tpm2 LUKS2 token (base64)\n"
		"      --persist[=HANDLE]   with --eksign, make the signing EK persistent at HANDLE\n"
		"                           (default 0x%08x)\n"
		"      --persist-auth PWD   the owner hierarchy's password, for --persist\n"
		"      --signing-ek HANDLE  with --boot or --certify, use the signing EK persisted\n"
		"                           there when it is the enrolled one (else derive it)\n"
		"  -a, --auth               the endorsement hierarchy has a password (prompted)\n"
		"  -k, --password PWD       that password: VALUE, str:VALUE, hex:HEX, file:PATH, env:VAR\n"
		"  -T, --tcti TCTI          device[:PATH], swtpm[:host=H,port=P] or mssim[:...]\n"
		"                           (default $TPM2TOOLS_TCTI, else /dev/tpmrm0, /dev/tpm0)\n"
		"      --timeout SECONDS    give up on an unresponsive TPM (default %d, 0 = never)\n"
		"      --require-null-name  with --boot, fail when the kernel exports no null_name\n"
		"  -h, --help               this help\n"
		"      --version            print the version\n"
		"\n"
		"Exit status: 0 verified, 1 verification failed, 2 usage or input error, 3 TPM error,\n"
		"4 no EK certificate in the TPM (--attest nv:).\n",
		program, program, DEFAULT_EK_HANDLE, DEFAULT_TIMEOUT);
}

static int set_mode(struct options *o, enum mode m, struct failure *f)
{
	if (o->mode != MODE_NONE && o->mode != m)
		return fail(f, STATUS_USAGE, "only one of --eksign, --attest, --certify, "
			    "--boot, --cap-pcrs or --volumes may be given");
	o->mode = m;
	return STATUS_OK;
}

static int parse_timeout(const char *s, unsigned int *out, struct failure *f)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return fail(f, STATUS_USAGE, "--timeout wants whole seconds from 0 to 86400");
	v = strtoul(s, &end, 10);
	if (*end || *s == '-' || v > 86400)
		return fail(f, STATUS_USAGE, "--timeout wants whole seconds from 0 to 86400");
	*out = (unsigned int)v;
	return STATUS_OK;
}

/* 0x81000000-0x81FFFFFF in hex, where EvictControl can put an object. */
static int parse_handle(const char *opt, const char *s, uint32_t *out, struct failure *f)
{
	char *end;
	unsigned long v;

	if (!s || strncmp(s, "0x", 2) != 0 || !s[2])
		return fail(f, STATUS_USAGE, "%s wants a persistent handle from "
			    "0x81000000 to 0x81ffffff, such as 0x%08x", opt, DEFAULT_EK_HANDLE);
	errno = 0;
	v = strtoul(s, &end, 16);
	if (*end || errno || v >> 24 != 0x81)
		return fail(f, STATUS_USAGE, "%s wants a persistent handle from "
			    "0x81000000 to 0x81ffffff, such as 0x%08x", opt, DEFAULT_EK_HANDLE);
	*out = (uint32_t)v;
	return STATUS_OK;
}

static int check_combination(int extra, struct options *o, struct failure *f)
{
	if (o->help || o->version)
		return STATUS_OK;
	if (o->mode == MODE_NONE)
		return fail(f, STATUS_USAGE, "one of --eksign, --attest, --certify, "
			    "--boot, --cap-pcrs or --volumes must be given");
	if (o->mode == MODE_VOLUMES && (o->name_file || o->out_file || o->public_file ||
					o->token_pin_file || o->outname || o->auth ||
					o->tcti_given || o->ek_handle))
		return fail(f, STATUS_USAGE, "--volumes takes no other option but --srk "
			    "and --require-pinned");
	if ((o->srk_file || o->require_pinned) && o->mode != MODE_VOLUMES)
		return fail(f, STATUS_USAGE, "--srk and --require-pinned only apply to "
			    "--volumes");
	if (o->mode == MODE_CAP && (extra || o->name_file || o->out_file ||
				    o->public_file || o->token_pin_file || o->outname ||
				    o->auth))
		return fail(f, STATUS_USAGE, "--cap-pcrs takes no other option but "
			    "--tcti and --timeout");
	if (extra > 1 || (extra && (o->mode == MODE_EKSIGN || o->mode == MODE_ATTEST)))
		return fail(f, STATUS_USAGE, "unexpected additional arguments");
	if ((o->mode == MODE_CERTIFY || o->mode == MODE_BOOT) && !o->name_file)
		return fail(f, STATUS_USAGE, "the signing EK name file must be given "
			    "with --name");
	if (o->mode == MODE_EKSIGN && (o->out_file || o->public_file) && !o->name_file)
		return fail(f, STATUS_USAGE, "--file or --public with --eksign needs "
			    "--name to verify the key first");
	if (o->out_file && o->public_file && outfile_same(o->out_file, o->public_file))
		return fail(f, STATUS_USAGE, "--file and --public name the same file");
	if (o->token_pin_file &&
	    ((o->out_file && outfile_same(o->out_file, o->token_pin_file)) ||
	     (o->public_file && outfile_same(o->public_file, o->token_pin_file))))
		return fail(f, STATUS_USAGE, "--token-pin names the same file as "
			    "--file or --public");
	/* systemd pins the owner hierarchy's SRK, and nothing else. */
	if (o->token_pin_file && o->mode != MODE_BOOT &&
	    !(o->mode == MODE_CERTIFY && o->hierarchy && hierarchy_find(o->hierarchy) &&
	      hierarchy_find(o->hierarchy)->handle == TPM2_RH_OWNER))
		return fail(f, STATUS_USAGE, "--token-pin only applies to --boot and "
			    "--certify owner");
	if (o->ca && o->mode != MODE_ATTEST)
		return fail(f, STATUS_USAGE, "--ca only applies to --attest");
	if (o->require_null_name && o->mode != MODE_BOOT)
		return fail(f, STATUS_USAGE, "--require-null-name only applies to --boot");
	if (o->persist_handle && o->mode != MODE_EKSIGN)
		return fail(f, STATUS_USAGE, "--persist only applies to --eksign");
	if (o->owner_password && !o->persist_handle)
		return fail(f, STATUS_USAGE, "--persist-auth only applies to --persist");
	if (o->ek_handle && o->mode != MODE_BOOT && o->mode != MODE_CERTIFY)
		return fail(f, STATUS_USAGE, "--signing-ek only applies to --boot and --certify");
	return STATUS_OK;
}

/*
 * What the plain options set: the mode they select, the field that keeps
 * their argument as given, the flag they raise. False for any other option.
 */
static bool plain_option(struct options *o, int c, int *ret, struct failure *f)
{
	const struct {
		int code;
		enum mode mode;
		const char **arg;
		bool *flag;
	} plain[] = {
		{ 'h', MODE_NONE, NULL, &o->help },
		{ 'a', MODE_NONE, NULL, &o->auth },
		{ 'k', MODE_NONE, &o->password, &o->auth },
		{ 'E', MODE_EKSIGN, NULL, NULL },
		{ 'A', MODE_ATTEST, &o->cert_file, NULL },
		{ 'C', MODE_CERTIFY, &o->hierarchy, NULL },
		{ OPT_BOOT, MODE_BOOT, NULL, NULL },
		{ OPT_VOLUMES, MODE_VOLUMES, &o->volumes_file, NULL },
		{ 'n', MODE_NONE, &o->name_file, NULL },
		{ 'o', MODE_NONE, NULL, &o->outname },
		{ 'f', MODE_NONE, &o->out_file, NULL },
		{ OPT_PUBLIC, MODE_NONE, &o->public_file, NULL },
		{ OPT_TOKEN_PIN, MODE_NONE, &o->token_pin_file, NULL },
		{ 'T', MODE_NONE, &o->tcti, &o->tcti_given },
		{ OPT_VERSION, MODE_NONE, NULL, &o->version },
		{ OPT_CA, MODE_NONE, &o->ca, NULL },
		{ OPT_REQUIRE_NULL, MODE_NONE, NULL, &o->require_null_name },
		{ OPT_PERSIST_AUTH, MODE_NONE, &o->owner_password, NULL },
		{ OPT_SRK, MODE_NONE, &o->srk_file, NULL },
		{ OPT_REQUIRE_PINNED, MODE_NONE, NULL, &o->require_pinned },
	};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (plain[i].code != c)
			continue;
		if (plain[i].arg)
			*plain[i].arg = optarg;
		if (plain[i].flag)
			*plain[i].flag = true;
		*ret = plain[i].mode == MODE_NONE ? STATUS_OK : set_mode(o, plain[i].mode, f);
		return true;
	}
	return false;
}

int options_parse(int argc, char **argv, struct options *o, struct failure *f)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->timeout = DEFAULT_TIMEOUT;
	o->tcti = getenv("TPM2TOOLS_TCTI");
	if (o->tcti && !*o->tcti)
		o->tcti = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hak:EA:C:n:of:T:", long_options,
				NULL)) != -1) {
		ret = STATUS_OK;
		switch (c) {
		case OPT_CAP_PCRS:
			ret = set_mode(o, MODE_CAP, f);
			if (!ret)
				ret = pcr_list_parse(optarg, &o->cap_pcrs, f);
			break;
		case OPT_TIMEOUT:
			ret = parse_timeout(optarg, &o->timeout, f);
			break;
		case OPT_PERSIST:
			o->persist_handle = DEFAULT_EK_HANDLE;
			if (optarg)
				ret = parse_handle("--persist", optarg, &o->persist_handle, f);
			break;
		case OPT_SIGNING_EK:
			ret = parse_handle("--signing-ek", optarg, &o->ek_handle, f);
			break;
		case ':':
			if (optopt > 0 && optopt < 256)
				return fail(f, STATUS_USAGE, "option -%c needs an argument",
					    optopt);
			return fail(f, STATUS_USAGE, "option %s needs an argument",
				    argv[optind - 1]);
		default:
			if (plain_option(o, c, &ret, f))
				break;
			if (optopt > 0 && optopt < 256)
				return fail(f, STATUS_USAGE, "unknown option -%c", optopt);
			return fail(f, STATUS_USAGE, "unknown or ambiguous option %s",
				    argv[optind - 1]);
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		o->check_file = argv[optind];
	return check_combination(argc - optind, o, f);
}
