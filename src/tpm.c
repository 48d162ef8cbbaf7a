#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_sys.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_mssim.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "tpm.h"

/*
 * tss2's TPM2_TRANSIENT_FIRST shifts a signed int into its sign bit, which
 * UBSan rightly stops: the same handle, spelled unsigned.
 */
#define TRANSIENT_FIRST ((TPM2_HANDLE)TPM2_HT_TRANSIENT << TPM2_HR_SHIFT)

typedef TSS2_RC (*tcti_init_fn)(TSS2_TCTI_CONTEXT *, size_t *, const char *);

static const struct {
	const char *name;
	tcti_init_fn init;
} tctis[] = {
	{ "device", Tss2_Tcti_Device_Init },
	{ "swtpm", Tss2_Tcti_Swtpm_Init },
	{ "mssim", Tss2_Tcti_Mssim_Init },
};

static int tcti_init(tcti_init_fn init, const char *conf,
		     TSS2_TCTI_CONTEXT **out, TSS2_RC *rc)
{
	TSS2_TCTI_CONTEXT *ctx = NULL;
	size_t size = 0;

	*rc = init(NULL, &size, conf);
	if (*rc)
		return -1;
	ctx = calloc(1, size);
	if (!ctx)
		return -1;
	*rc = init(ctx, &size, conf);
	if (*rc) {
		free(ctx);
		return -1;
	}
	*out = ctx;
	return 0;
}

/* The kernel's resource manager: each open file is its own TPM space. */
static bool is_tpmrm(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	return base && !strncmp(base + 1, "tpmrm", 5);
}

static int open_default(TSS2_TCTI_CONTEXT **tcti, bool *rm, struct failure *f)
{
	TSS2_RC rc;
	int rm_errno;

	errno = 0;
	if (!tcti_init(Tss2_Tcti_Device_Init, "/dev/tpmrm0", tcti, &rc)) {
		*rm = true;
		return STATUS_OK;
	}
	rm_errno = errno;
	errno = 0;
	if (!tcti_init(Tss2_Tcti_Device_Init, "/dev/tpm0", tcti, &rc))
		return STATUS_OK;
	if (rm_errno == ENOENT && errno == ENOENT)
		return fail(f, STATUS_TPM, "no TPM found: neither /dev/tpmrm0 nor /dev/tpm0 exists");
	return fail(f, STATUS_TPM, "cannot open the TPM at /dev/tpmrm0 or /dev/tpm0: %s",
		    strerror(errno ? errno : rm_errno));
}

static int open_conf(const char *conf, TSS2_TCTI_CONTEXT **tcti, bool *rm,
		     struct failure *f)
{
	const char *colon = strchr(conf, ':');
	size_t kind_len = colon ? (size_t)(colon - conf) : strlen(conf);
	const char *args = colon ? colon + 1 : NULL;
	size_t i;
	TSS2_RC rc;

	if (args && !*args)
		args = NULL;
	for (i = 0; i < sizeof(tctis) / sizeof(tctis[0]); i++) {
		if (strlen(tctis[i].name) != kind_len ||
		    strncmp(conf, tctis[i].name, kind_len) != 0)
			continue;
		errno = 0;
		if (!tcti_init(tctis[i].init, args, tcti, &rc)) {
			/* "device" alone may be either node: then sweep, to be safe. */
			*rm = tctis[i].init == Tss2_Tcti_Device_Init && is_tpmrm(args);
			return STATUS_OK;
		}
		if (errno && tctis[i].init == Tss2_Tcti_Device_Init)
			return fail(f, STATUS_TPM, "cannot open the TPM device %s: %s",
				    args ? args : "/dev/tpm0", strerror(errno));
		if (!rc)
			return fail(f, STATUS_TPM, "out of memory opening TPM \"%s\"", conf);
		return fail_tss(f, "connecting to the TPM", rc);
	}
	return fail(f, STATUS_USAGE,
		    "unsupported TCTI \"%.*s\": use device, swtpm or mssim",
		    (int)kind_len, conf);
}

/*
 * Flush every loaded handle of first's type (transient objects, or loaded
 * sessions, HMAC and policy alike) and count them. Through SAPI: ESYS would
 * first spend a ReadPublic per handle to make an ESYS_TR of it. A flush that
 * fails is left alone: the command that needs the slot will say so.
 */
static int flush_loaded(struct tpm *tpm, TPM2_HANDLE first, UINT32 *flushed,
			struct failure *f)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_SYS_CONTEXT *sys = NULL;
	TPMI_YES_NO more = TPM2_YES;
	TSS2_RC rc;
	UINT32 i;
	int round, ret = STATUS_OK;

	*flushed = 0;
	/* A TPM holds a handful; a list that never ends is not believed past this. */
	for (round = 0; more == TPM2_YES && round < 4; round++) {
		rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES,
					&more, &cap);
		if (rc) {
			ret = fail_tss(f, "GetCapability (handles left loaded)", rc);
			goto out;
		}
		if (cap->capability != TPM2_CAP_HANDLES || !cap->data.handles.count)
			goto out;
		if (!sys && (Esys_GetSysContext(tpm->esys, &sys) || !sys))
			goto out;
		for (i = 0; i < cap->data.handles.count; i++) {
			TPM2_HANDLE h = cap->data.handles.handle[i];
			bool ours = first == TRANSIENT_FIRST ?
				h >> TPM2_HR_SHIFT == TPM2_HT_TRANSIENT :
				h >> TPM2_HR_SHIFT == TPM2_HT_HMAC_SESSION ||
				h >> TPM2_HR_SHIFT == TPM2_HT_POLICY_SESSION;

			if (ours && Tss2_Sys_FlushContext(sys, h) == TSS2_RC_SUCCESS)
				(*flushed)++;
		}
		Esys_Free(cap);
		cap = NULL;
	}
out:
	Esys_Free(cap);
	return ret;
}

int tpm_flush_stale_sessions(struct tpm *tpm, struct failure *f)
{
	UINT32 n;

	if (tpm->resource_manager)
		return STATUS_OK;
	return flush_loaded(tpm, TPM2_LOADED_SESSION_FIRST, &n, f);
}

/*
 * Without a resource manager (swtpm, mssim, /dev/tpm0) the TPM keeps what
 * an earlier process loaded, and a worker the --timeout watchdog SIGKILLed
 * never flushed its objects: a few such runs fill the TPM's object slots
 * (3 on swtpm). Before we load anything, whatever is loaded is stale. The
 * boot path is counted in TPM commands, so a clean TPM costs one
 * GetCapability: sessions are only looked for when objects were left, as
 * every session the modes start while no object is loaded is the -a one.
 */
static int flush_stale(struct tpm *tpm, struct failure *f)
{
	UINT32 objects;
	int ret;

	ret = flush_loaded(tpm, TRANSIENT_FIRST, &objects, f);
	if (ret || !objects)
		return ret;
	return tpm_flush_stale_sessions(tpm, f);
}

int tpm_open(const char *conf, struct tpm *tpm, struct failure *f)
{
	TSS2_RC rc;
	int ret;

	tpm->esys = NULL;
	tpm->tcti = NULL;
	tpm->resource_manager = false;
	ret = conf ? open_conf(conf, &tpm->tcti, &tpm->resource_manager, f) :
		     open_default(&tpm->tcti, &tpm->resource_manager, f);
	if (ret)
		return ret;
	rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
	if (rc) {
		tpm_close(tpm);
		return fail_tss(f, "Esys_Initialize", rc);
	}
	if (!tpm->resource_manager) {
		ret = flush_stale(tpm, f);
		if (ret)
			tpm_close(tpm);
	}
	return ret;
}

void tpm_close(struct tpm *tpm)
{
	if (tpm->esys)
		Esys_Finalize(&tpm->esys);
	if (tpm->tcti) {
		Tss2_Tcti_Finalize(tpm->tcti);
		free(tpm->tcti);
	}
	tpm->esys = NULL;
	tpm->tcti = NULL;
}
