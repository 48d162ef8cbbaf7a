/*
 * Which device a crypttab source names now, found the way the unlock will
 * find it: a path, or UUID=, LABEL=, PARTUUID=, PARTLABEL=. A UUID or label
 * is looked for in the LUKS header of every block device, so that two
 * devices carrying one (a cloned disk, or one an attacker plugged in) are
 * an error rather than a guess at which one gets opened.
 */
#ifndef VOLUME_SOURCE_H
#define VOLUME_SOURCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "failure.h"

/*
 * The device or file `spec` names, in path. STATUS_VERIFY with the reason;
 * *absent tells "nothing carries it now" (a device not there yet) from
 * "cannot tell which one" (two carry it, or spec is not a device).
 */
int volume_source(const char *spec, char path[PATH_MAX], bool *absent, struct failure *f);

#endif
