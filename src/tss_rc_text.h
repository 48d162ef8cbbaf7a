#ifndef TSS_RC_TEXT_H
#define TSS_RC_TEXT_H

#include <tss2/tss2_common.h>

/*
 * A plain sentence for the return codes users actually meet, or NULL.
 * Tss2_RC_Decode alone says "tcti:IO failure" for a missing device.
 */
const char *tss_rc_plain(TSS2_RC rc);

#endif
