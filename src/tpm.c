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
			/* "device" alone may be either node: then sweep when full, to be safe. */
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

static bool is_ours(const struct tpm *tpm, TPM2_HANDLE h)
{
	size_t i;

	for (i = 0; i < tpm->n_ours; i++)
		if (tpm->ours[i] == h)
			return true;
	return false;
}

/*
 * Flush every loaded handle of first's type (transient objects, or loaded
 * sessions, HMAC and policy alike) that this run did not load, and count
 * them. Through SAPI: ESYS would first spend a ReadPublic per handle to make
 * an ESYS_TR of it. A flush that fails is left alone: the retried command
 * will say so.
 */
static int flush_foreign(struct tpm *tpm, TPM2_HANDLE first, UINT32 *flushed,
			 struct failure *f)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_SYS_CONTEXT *sys = NULL;
	TPMI_YES_NO more = TPM2_YES;
	TSS2_RC rc;
	UINT32 i;
	int round, ret = STATUS_OK;

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
			bool kind = first == TRANSIENT_FIRST ?
				h >> TPM2_HR_SHIFT == TPM2_HT_TRANSIENT :
				h >> TPM2_HR_SHIFT == TPM2_HT_HMAC_SESSION ||
				h >> TPM2_HR_SHIFT == TPM2_HT_POLICY_SESSION;

			if (kind && !is_ours(tpm, h) &&
			    Tss2_Sys_FlushContext(sys, h) == TSS2_RC_SUCCESS)
				(*flushed)++;
		}
		Esys_Free(cap);
		cap = NULL;
	}
out:
	Esys_Free(cap);
	return ret;
}

/*
 * Without a resource manager (swtpm, mssim, /dev/tpm0) the TPM keeps what
 * an earlier process loaded, and a worker the --timeout watchdog SIGKILLed
 * never flushed its objects: a few such runs fill the TPM's slots (3 objects
 * on swtpm). Looking for them before every run would cost a command on
 * every boot; a full TPM says so instead (OBJECT_MEMORY, SESSION_MEMORY),
 * and only then is whatever this run did not load flushed, once.
 */
bool tpm_sweep_for_retry(struct tpm *tpm, TSS2_RC rc)
{
	struct failure ignored;
	UINT32 flushed = 0;

	if (tpm->resource_manager || tpm->swept ||
	    (rc != TPM2_RC_OBJECT_MEMORY && rc != TPM2_RC_SESSION_MEMORY))
		return false;
	tpm->swept = true;
	if (flush_foreign(tpm, TRANSIENT_FIRST, &flushed, &ignored) ||
	    flush_foreign(tpm, TPM2_LOADED_SESSION_FIRST, &flushed, &ignored))
		return false;
	return flushed > 0;
}

void tpm_own(struct tpm *tpm, ESYS_TR handle)
{
	TPM2_HANDLE h;

	if (tpm->n_ours < TPM_OURS_MAX &&
	    Esys_TR_GetTpmHandle(tpm->esys, handle, &h) == TSS2_RC_SUCCESS)
		tpm->ours[tpm->n_ours++] = h;
}

static void disown(struct tpm *tpm, TPM2_HANDLE h)
{
	size_t i;

	for (i = 0; i < tpm->n_ours; i++)
		if (tpm->ours[i] == h) {
			tpm->ours[i] = tpm->ours[--tpm->n_ours];
			return;
		}
}

void tpm_disown(struct tpm *tpm, ESYS_TR handle)
{
	TPM2_HANDLE h;

	if (handle != ESYS_TR_NONE &&
	    Esys_TR_GetTpmHandle(tpm->esys, handle, &h) == TSS2_RC_SUCCESS)
		disown(tpm, h);
}

void tpm_flush(struct tpm *tpm, ESYS_TR *handle)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	TPM2_HANDLE tpm_handle = 0;
	bool known;

	if (*handle == ESYS_TR_NONE)
		return;
	known = Esys_TR_GetTpmHandle(tpm->esys, *handle, &tpm_handle) == TSS2_RC_SUCCESS;
	if (known)
		disown(tpm, tpm_handle);
	/*
	 * Best effort: a failed flush on a cleanup path cannot change the verdict.
	 * After an answer it could not parse (a malformed or tampered response)
	 * ESAPI refuses every further call with BAD_SEQUENCE, but the SAPI layer
	 * below it still works: flush through it, so the object does not stay
	 * loaded in the TPM (on /dev/tpm0 nothing else would flush it).
	 */
	if (Esys_FlushContext(tpm->esys, *handle) == TSS2_ESYS_RC_BAD_SEQUENCE && known &&
	    Esys_GetSysContext(tpm->esys, &sys) == TSS2_RC_SUCCESS && sys)
		(void)Tss2_Sys_FlushContext(sys, tpm_handle);
	*handle = ESYS_TR_NONE;
}

int tpm_open(const char *conf, struct tpm *tpm, struct failure *f)
{
	TSS2_RC rc;
	int ret;

	memset(tpm, 0, sizeof(*tpm));
	ret = conf ? open_conf(conf, &tpm->tcti, &tpm->resource_manager, f) :
		     open_default(&tpm->tcti, &tpm->resource_manager, f);
	if (ret)
		return ret;
	rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
	if (rc) {
		tpm_close(tpm);
		return fail_tss(f, "Esys_Initialize", rc);
	}
	return STATUS_OK;
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
