/*
 * crypttab(5) lines, and the volumes the kernel command line adds
 * (rd.luks.name=, rd.luks.uuid= and their host forms), as systemd's
 * generator and Debian's cryptroot read them.
 */
#ifndef CRYPTTAB_H
#define CRYPTTAB_H

#include <stddef.h>

#include "failure.h"

#define CRYPTTAB_MAX 64
#define CRYPTTAB_FIELD 256

struct crypttab_entry {
	char name[CRYPTTAB_FIELD];
	char source[CRYPTTAB_FIELD];
	char key[CRYPTTAB_FIELD];
	char options[4 * CRYPTTAB_FIELD];
};

struct crypttab {
	size_t count;
	struct crypttab_entry entry[CRYPTTAB_MAX];
};

/* The lines of `text`; STATUS_USAGE for a line or a table too long. */
int crypttab_parse(const char *text, struct crypttab *t, struct failure *f);

/* Add the volumes of a kernel command line not already listed by name. */
int crypttab_add_cmdline(const char *cmdline, struct crypttab *t, struct failure *f);

/* The entry called name, or NULL. */
const struct crypttab_entry *crypttab_find(const struct crypttab *t, const char *name);

/*
 * The value of option `opt` ("header", "keyscript") in a comma-separated
 * option list, copied into out; 1 when present, 0 when not.
 */
int crypttab_option(const char *options, const char *opt, char *out, size_t size);

#endif
