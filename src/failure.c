#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <tss2/tss2_rc.h>

#include "failure.h"
#include "tss_rc_text.h"

int fail(struct failure *f, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* f is an output parameter: callers may pass it uninitialized. */
	/* cppcheck-suppress ctuuninitvar */
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	f->status = status;
	return status;
}

int fail_prefix(struct failure *f, const char *fmt, ...)
{
	char reason[sizeof(f->text)];
	size_t n;
	va_list ap;

	memcpy(reason, f->text, sizeof(reason));
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	n = strlen(f->text);
	snprintf(f->text + n, sizeof(f->text) - n, " %s", reason);
	return f->status;
}

int fail_tss(struct failure *f, const char *call, TSS2_RC rc)
{
	const char *plain = tss_rc_plain(rc);

	if (plain)
		return fail(f, STATUS_TPM, "%s failed: %s (%s)", call, plain,
			    Tss2_RC_Decode(rc));
	return fail(f, STATUS_TPM, "%s failed: %s", call, Tss2_RC_Decode(rc));
}

int fail_crypto(struct failure *f, int status, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[128] = "unknown reason";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return fail(f, status, "%s: %s", what, reason);
}
