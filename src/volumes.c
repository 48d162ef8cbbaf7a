#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_mu.h>

#include "infile.h"
#include "luks2_tokens.h"
#include "luks_header.h"
#include "name.h"
#include "options.h"
#include "pcr_list.h"
#include "volume_source.h"
#include "volumes.h"
#include "word_list.h"

#define CRYPTTAB_CAP ((size_t)256 * 1024)
#define CMDLINE "/proc/cmdline"

/* Debian's own keyscripts ask a person, a smartcard or another volume. */
static const char *const plain_keyscripts[] = {
	"passdev", "decrypt_keyctl", "decrypt_derived", "decrypt_gnupg", "decrypt_gnupg-sc",
	"decrypt_opensc", "decrypt_ssl", "askpass",
};

/* Keys that are random at each boot: swap and /tmp, nothing to unseal. */
static const char *const random_keys[] = { "/dev/urandom", "/dev/random", "/dev/hw_random" };

static void unresolved(struct volume *v, const char *what, bool absent,
		       const struct failure *f)
{
	v->kind = absent ? VOLUME_ABSENT : VOLUME_UNRESOLVED;
	v->pcrs = PCR_LOCALITY0;
	v->pin = VOLUME_PIN_NA;
	snprintf(v->why, sizeof(v->why), "%.60s: %.250s", what, f->text);
}

static void foreign(struct volume *v, const struct token_facts *t, const char *what)
{
	v->pin = VOLUME_FOREIGN;
	snprintf(v->pin_why, sizeof(v->pin_why), "token %u (%s) %s", t->id, t->type, what);
}

/* Fold one TPM token into the volume's verdict; the worst pin wins. */
static void add_token(struct volume *v, const struct token_facts *t, const TPM2B_NAME *srk)
{
	if (v->kind == VOLUME_NONE) {
		v->kind = VOLUME_TPM;
		v->pin = VOLUME_PINNED;
		snprintf(v->why, sizeof(v->why), "token %u (%s) unlocks through the TPM",
			 t->id, t->type);
	}
	v->pcrs |= t->pcrs;
	v->unbound |= t->unbound;
	if (v->pin == VOLUME_FOREIGN)
		return;
	if (t->pin == TOKEN_PIN_BAD)
		foreign(v, t, "has an SRK pin that cannot be read");
	else if (t->pin == TOKEN_PINNED && srk && !name_equal(&t->srk, srk))
		foreign(v, t, "is pinned to an SRK other than the certified one");
	else if (t->pin == TOKEN_UNPINNED)
		v->pin = VOLUME_UNPINNED;
}

/* systemd-cryptsetup's TPM options: tpm2-device=, tpm2-pcrs= and the like. */
static bool tpm2_option(const char *options)
{
	const char *p = options;

	while (*p) {
		if (!strncmp(p, "tpm2-", 5))
			return true;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return false;
}

/* The LUKS2 tokens at path. */
static void tokens(struct volume *v, const char *path, const TPM2B_NAME *srk)
{
	struct luks2_tokens toks;
	struct luks_header h;
	struct failure f = { 0 };
	unsigned int i;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(&f, STATUS_VERIFY, "%s", strerror(errno));
		unresolved(v, path, false, &f);
		return;
	}
	ret = luks_header_read(fd, &h, &f);
	close(fd);
	if (!ret && h.version == 2)
		ret = luks2_tokens_read(h.json, &toks, &f);
	if (ret) {
		unresolved(v, path, false, &f);
		goto out;
	}
	/* Plain, LUKS1 and the like hold no token for a TPM to release. */
	if (h.version != 2)
		goto out;
	for (i = 0; i < toks.count; i++)
		if (toks.token[i].tpm)
			add_token(v, &toks.token[i], srk);
out:
	luks_header_free(&h);
}

void volume_decide(const struct crypttab_entry *e, const TPM2B_NAME *srk, struct volume *v)
{
	char value[CRYPTTAB_FIELD * 4], header[PATH_MAX];
	const char *script;
	struct failure f = { 0 };
	bool absent;

	memset(v, 0, sizeof(*v));
	v->name = e->name;
	/* A keyscript other than Debian's may ask a TPM (tpm2-initramfs-tool does). */
	if (crypttab_option(e->options, "keyscript", value, sizeof(value))) {
		script = strrchr(value, '/') ? strrchr(value, '/') + 1 : value;
		if (!word_listed(script, plain_keyscripts, WORD_LIST_LEN(plain_keyscripts))) {
			v->kind = VOLUME_TPM;
			v->pcrs = PCR_LOCALITY0;
			v->pin = VOLUME_UNPINNED;
			snprintf(v->why, sizeof(v->why), "its keyscript %.64s may unseal from the TPM",
				 script);
			return;
		}
	}
	if (word_listed(e->key, random_keys, WORD_LIST_LEN(random_keys)))
		return;
	if (!e->source[0]) {
		fail(&f, STATUS_VERIFY, "neither the crypttab nor the kernel command line "
		     "lists it");
		unresolved(v, "its device", false, &f);
		return;
	}
	if (volume_source(e->source, v->device, &absent, &f)) {
		v->device[0] = '\0';
		unresolved(v, "its device", absent, &f);
		return;
	}
	/* A detached header holds the tokens. */
	if (crypttab_option(e->options, "header", value, sizeof(value))) {
		if (volume_source(value, header, &absent, &f)) {
			unresolved(v, "its header", absent, &f);
			return;
		}
		tokens(v, header, srk);
	} else {
		tokens(v, v->device, srk);
	}
	/* Asked for a TPM unlock with no token seen: what it unseals is not known. */
	if (v->kind == VOLUME_NONE && tpm2_option(e->options)) {
		v->kind = VOLUME_TPM;
		v->pcrs = PCR_LOCALITY0;
		v->pin = VOLUME_UNPINNED;
		snprintf(v->why, sizeof(v->why), "its crypttab options ask for a TPM unlock");
	}
}

static const char *kind_word(const struct volume *v)
{
	switch (v->kind) {
	case VOLUME_NONE:
		return "none";
	case VOLUME_TPM:
		return v->unbound ? "unbound" : "tpm";
	case VOLUME_ABSENT:
		return "absent";
	default:
		return "unresolved";
	}
}

static const char *pin_word(enum volume_pin pin)
{
	static const char *const words[] = { "-", "pinned", "unpinned", "foreign" };

	return words[pin];
}

/*
 * Why v may not be opened now, or NULL when it may; *detail gets what
 * decided it.
 */
static const char *refusal(const struct volume *v, bool verified, bool require_pinned,
			   const char **detail)
{
	*detail = v->why;
	if (v->kind == VOLUME_NONE)
		return NULL;
	if (v->kind == VOLUME_UNRESOLVED)
		return "cannot be resolved";
	/*
	 * Nothing can open a device that is not there; whatever opens it once
	 * it is asks again. Without a verified TPM it may be anything.
	 */
	if (v->kind == VOLUME_ABSENT)
		return verified ? NULL : "is not there yet: what unlocks it is not known";
	if (!verified)
		return "has a TPM unlock, and the TPM is not verified";
	if (v->pin == VOLUME_FOREIGN) {
		*detail = v->pin_why;
		return "has a token not pinned to the certified SRK";
	}
	if (v->pin == VOLUME_UNPINNED && require_pinned)
		return "has a TPM unlock not pinned to the certified SRK "
		       "(ATTEST_TPM2_REQUIRE_PINNED)";
	return NULL;
}

static int read_srk(const char *path, TPM2B_NAME *name, struct failure *f)
{
	TPM2B_PUBLIC pub = { 0 };
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	int ret;

	ret = infile_read(path, sizeof(TPM2B_PUBLIC), "SRK file", &data, &len, f);
	if (ret)
		return ret;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, &pub) || off != len ||
	    name_of_public(&pub.publicArea, name))
		ret = fail(f, STATUS_USAGE, "SRK file %s is not a TPM2B_PUBLIC", path);
	free(data);
	return ret;
}

/* The table: the crypttab (none when there is no such file) and the command line. */
static int read_table(const char *path, struct crypttab *t, struct failure *f)
{
	uint8_t *data = NULL;
	size_t len;
	int ret;

	t->count = 0;
	if (access(path, F_OK) && errno == ENOENT) {
		ret = STATUS_OK;
	} else {
		ret = infile_read(path, CRYPTTAB_CAP, "crypttab", &data, &len, f);
		if (!ret && memchr(data, '\0', len))
			ret = fail(f, STATUS_USAGE, "crypttab %s holds a NUL byte", path);
		if (!ret)
			ret = crypttab_parse((const char *)data, t, f);
		if (ret)
			fail_prefix(f, "crypttab %s", path);
		free(data);
		if (ret)
			return ret;
	}
	data = NULL;
	if (!infile_read(CMDLINE, (size_t)64 * 1024, "command line", &data, &len, f) &&
	    !memchr(data, '\0', len))
		ret = crypttab_add_cmdline((const char *)data, t, f);
	free(data);
	return ret;
}

int volumes_run(const struct options *o, struct failure *f)
{
	static struct crypttab table;
	static struct crypttab_entry asked;
	struct volume v;
	TPM2B_NAME srk;
	const char *why = NULL, *bad = NULL, *detail = NULL;
	char list[PCR_LIST_MAX], reason[320] = "";
	uint32_t cap = 0;
	size_t i;
	int ret;

	if (o->srk_file) {
		ret = read_srk(o->srk_file, &srk, f);
		if (ret)
			return ret;
	}
	ret = read_table(o->volumes_file, &table, f);
	if (ret)
		return ret;
	/* A name that neither lists is still decided: as unresolved. */
	if (o->check_file && !crypttab_find(&table, o->check_file)) {
		memset(&asked, 0, sizeof(asked));
		snprintf(asked.name, sizeof(asked.name), "%.200s", o->check_file);
		/* systemd's name for a volume given by UUID alone. */
		if (!strncmp(asked.name, "luks-", 5))
			snprintf(asked.source, sizeof(asked.source), "UUID=%.200s", asked.name + 5);
		table.count = 0;
		table.entry[table.count++] = asked;
	}
	for (i = 0; i < table.count; i++) {
		if (o->check_file && strcmp(table.entry[i].name, o->check_file) != 0)
			continue;
		volume_decide(&table.entry[i], o->srk_file ? &srk : NULL, &v);
		/* A device not there when the image is built adds nothing it can know. */
		cap |= v.kind == VOLUME_NONE || v.kind == VOLUME_ABSENT ? 0 : v.pcrs;
		pcr_list_format(v.pcrs, list, sizeof(list));
		printf("%s %s %s %s %s\n", v.name, kind_word(&v), v.pcrs ? list : "-",
		       pin_word(v.pin), v.device[0] ? v.device : "-");
		if (!bad) {
			why = refusal(&v, o->srk_file != NULL, o->require_pinned, &detail);
			if (why) {
				bad = v.name;
				snprintf(reason, sizeof(reason), "%s", detail);
			}
		}
	}
	/*
	 * Nothing TPM-sealed found: 7, what systemd-cryptenroll (before 257),
	 * clevis users and tpm2-initramfs-tool bind to most, for a key sealed
	 * after this was asked.
	 */
	pcr_list_format(cap ? cap : 1u << 7, list, sizeof(list));
	printf("cap %s\n", list);
	if (bad)
		return fail(f, STATUS_VERIFY, "volume %s %s: %s", bad, why, reason);
	/* What an unlock would open is not known, so nothing may be let by. */
	if (!table.count && !o->srk_file)
		return fail(f, STATUS_VERIFY, "no volume in %s or on the kernel command line: "
			    "what an unlock opens is not known", o->volumes_file);
	return STATUS_OK;
}
