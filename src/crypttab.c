#include <stdio.h>
#include <string.h>

#include "crypttab.h"

/* Copy the next blank-separated word of *p into out; 0 when there is none. */
static int word(const char **p, char *out, size_t size, int *too_long)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!**p || **p == '\n')
		return 0;
	while (**p && **p != ' ' && **p != '\t' && **p != '\n') {
		if (n + 1 < size)
			out[n++] = **p;
		else
			*too_long = 1;
		(*p)++;
	}
	out[n] = '\0';
	return 1;
}

static int add(struct crypttab *t, const struct crypttab_entry *e, struct failure *f)
{
	if (t->count == CRYPTTAB_MAX)
		return fail(f, STATUS_USAGE, "more than %d volumes", CRYPTTAB_MAX);
	t->entry[t->count++] = *e;
	return STATUS_OK;
}

int crypttab_parse(const char *text, struct crypttab *t, struct failure *f)
{
	struct crypttab_entry e;
	const char *p = text;
	unsigned int line = 0;
	int too_long, ret;

	t->count = 0;
	while (*p) {
		line++;
		memset(&e, 0, sizeof(e));
		too_long = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '#' && word(&p, e.name, sizeof(e.name), &too_long)) {
			word(&p, e.source, sizeof(e.source), &too_long);
			word(&p, e.key, sizeof(e.key), &too_long);
			word(&p, e.options, sizeof(e.options), &too_long);
			if (too_long)
				return fail(f, STATUS_USAGE, "line %u is too long", line);
			ret = add(t, &e, f);
			if (ret)
				return ret;
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return STATUS_OK;
}

const struct crypttab_entry *crypttab_find(const struct crypttab *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!strcmp(t->entry[i].name, name))
			return &t->entry[i];
	return NULL;
}

/* rd.luks.name=UUID=NAME, rd.luks.uuid=[luks-]UUID and the forms without rd. */
static int cmdline_volume(const char *w, struct crypttab *t, struct failure *f)
{
	struct crypttab_entry e;
	const char *v, *eq;

	memset(&e, 0, sizeof(e));
	if (!strncmp(w, "rd.", 3))
		w += 3;
	if (!strncmp(w, "luks.name=", 10)) {
		v = w + 10;
		eq = strchr(v, '=');
		if (!eq || eq == v || (size_t)(eq - v) + 6 > sizeof(e.source) ||
		    strlen(eq + 1) >= sizeof(e.name) || !eq[1])
			return STATUS_OK;
		snprintf(e.source, sizeof(e.source), "UUID=%.*s", (int)(eq - v), v);
		snprintf(e.name, sizeof(e.name), "%s", eq + 1);
	} else if (!strncmp(w, "luks.uuid=", 10)) {
		v = w + 10;
		if (!strncmp(v, "luks-", 5))
			v += 5;
		if (!*v || strlen(v) + 6 > sizeof(e.name))
			return STATUS_OK;
		snprintf(e.source, sizeof(e.source), "UUID=%s", v);
		snprintf(e.name, sizeof(e.name), "luks-%s", v);
	} else {
		return STATUS_OK;
	}
	if (crypttab_find(t, e.name))
		return STATUS_OK;
	return add(t, &e, f);
}

int crypttab_add_cmdline(const char *cmdline, struct crypttab *t, struct failure *f)
{
	char w[CRYPTTAB_FIELD + 16] = "";
	const char *p = cmdline;
	int too_long = 0, ret;

	while (word(&p, w, sizeof(w), &too_long)) {
		ret = too_long ? STATUS_OK : cmdline_volume(w, t, f);
		if (ret)
			return ret;
		too_long = 0;
		/* A command line is one line; word() stops at a newline. */
		while (*p == '\n')
			p++;
	}
	return STATUS_OK;
}

int crypttab_option(const char *options, const char *opt, char *out, size_t size)
{
	size_t n = strlen(opt), len;
	const char *p = options, *end;

	while (*p) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if (len > n && !strncmp(p, opt, n) && p[n] == '=') {
			snprintf(out, size, "%.*s", (int)(len - n - 1), p + n + 1);
			return 1;
		}
		if (len == n && !strncmp(p, opt, n)) {
			if (size)
				out[0] = '\0';
			return 1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}
