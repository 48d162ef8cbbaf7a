#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_mssim.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "tpm.h"

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

static int open_default(TSS2_TCTI_CONTEXT **tcti, struct failure *f)
{
	TSS2_RC rc;
	int rm_errno;

	errno = 0;
	if (!tcti_init(Tss2_Tcti_Device_Init, "/dev/tpmrm0", tcti, &rc))
		return STATUS_OK;
	rm_errno = errno;
	errno = 0;
	if (!tcti_init(Tss2_Tcti_Device_Init, "/dev/tpm0", tcti, &rc))
		return STATUS_OK;
	if (rm_errno == ENOENT && errno == ENOENT)
		return fail(f, STATUS_TPM, "no TPM found: neither /dev/tpmrm0 nor /dev/tpm0 exists");
	return fail(f, STATUS_TPM, "cannot open the TPM at /dev/tpmrm0 or /dev/tpm0: %s",
		    strerror(errno ? errno : rm_errno));
}

static int open_conf(const char *conf, TSS2_TCTI_CONTEXT **tcti, struct failure *f)
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
		if (!tcti_init(tctis[i].init, args, tcti, &rc))
			return STATUS_OK;
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

int tpm_open(const char *conf, struct tpm *tpm, struct failure *f)
{
	TSS2_RC rc;
	int ret;

	tpm->esys = NULL;
	tpm->tcti = NULL;
	ret = conf ? open_conf(conf, &tpm->tcti, f) : open_default(&tpm->tcti, f);
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
