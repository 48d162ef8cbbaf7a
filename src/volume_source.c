#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "luks_header.h"
#include "volume_source.h"

enum field { BY_UUID, BY_LABEL };

/*
 * Every block device with a LUKS header whose UUID (or LUKS2 label) is
 * `want`: how many there are, and the first one's path.
 */
static unsigned int scan(enum field by, const char *want, char path[PATH_MAX])
{
	struct luks_header h;
	struct dirent *d;
	unsigned int n = 0;
	char sys[PATH_MAX], dev[PATH_MAX], size[32];
	FILE *s;
	DIR *dir;
	int fd;

	dir = opendir("/sys/class/block");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		/* Empty drives and loop devices with nothing behind them. */
		snprintf(sys, sizeof(sys), "/sys/class/block/%s/size", d->d_name);
		s = fopen(sys, "re");
		if (!s)
			continue;
		if (!fgets(size, sizeof(size), s) || !strcmp(size, "0\n")) {
			fclose(s);
			continue;
		}
		fclose(s);
		snprintf(dev, sizeof(dev), "/dev/%s", d->d_name);
		fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (!luks_header_probe(fd, &h) && h.version &&
		    !strcasecmp(by == BY_UUID ? h.uuid : h.label, want) && !n++)
			snprintf(path, PATH_MAX, "%s", dev);
		close(fd);
	}
	closedir(dir);
	return n;
}

/* udev's link for the tag, when there is one. */
static int by_link(const char *folder, const char *value, char path[PATH_MAX])
{
	char link[PATH_MAX];

	if (strchr(value, '/') || !*value)
		return -1;
	snprintf(link, sizeof(link), "/dev/disk/%s/%s", folder, value);
	return realpath(link, path) ? 0 : -1;
}

int volume_source(const char *spec, char path[PATH_MAX], bool *absent, struct failure *f)
{
	static const struct {
		const char *prefix, *folder;
		int scan;
		enum field by;
	} tags[] = {
		{ "UUID=", "by-uuid", 1, BY_UUID },
		{ "LABEL=", "by-label", 1, BY_LABEL },
		{ "PARTUUID=", "by-partuuid", 0, BY_UUID },
		{ "PARTLABEL=", "by-partlabel", 0, BY_UUID },
	};
	unsigned int n;
	size_t i, len;

	*absent = false;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		len = strlen(tags[i].prefix);
		if (strncmp(spec, tags[i].prefix, len) != 0)
			continue;
		if (tags[i].scan) {
			n = scan(tags[i].by, spec + len, path);
			if (n > 1)
				return fail(f, STATUS_VERIFY, "%u devices carry %s: which one "
					    "opens is not known", n, spec);
			if (n == 1)
				return STATUS_OK;
		}
		if (by_link(tags[i].folder, spec + len, path)) {
			*absent = true;
			return fail(f, STATUS_VERIFY, "no device carries %s", spec);
		}
		return STATUS_OK;
	}
	if (spec[0] != '/')
		return fail(f, STATUS_VERIFY, "cannot tell which device \"%s\" is", spec);
	if (!realpath(spec, path)) {
		*absent = true;
		return fail(f, STATUS_VERIFY, "%s is not there", spec);
	}
	return STATUS_OK;
}
