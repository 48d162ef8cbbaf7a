#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"

int infile_read(const char *path, size_t cap, const char *what, uint8_t **data,
		size_t *len, struct failure *f)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t used = 0;
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = fail(f, STATUS_USAGE, "cannot open %s %s: %s", what, path,
			   strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = fail(f, STATUS_USAGE, "cannot stat %s %s: %s", what, path,
			   strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = fail(f, STATUS_USAGE, "%s %s is a directory", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(f, STATUS_USAGE, "%s %s is not a regular file", what, path);
		goto out;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		ret = fail(f, STATUS_USAGE, "out of memory reading %s %s", what, path);
		goto out;
	}
	/* sysfs files stat as 4096 bytes whatever they hold: trust read(), not st_size. */
	for (;;) {
		ssize_t n = read(fd, buf + used, cap + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = fail(f, STATUS_USAGE, "cannot read %s %s: %s", what, path,
				   strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > cap) {
			ret = fail(f, STATUS_USAGE, "%s %s is too large (over %zu bytes)",
				   what, path, cap);
			goto out;
		}
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	buf = NULL;
	ret = STATUS_OK;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

int infile_parse(const char *path, size_t cap, const char *what,
		 int (*parse)(const uint8_t *data, size_t len, void *out, struct failure *f),
		 void *out, struct failure *f)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	ret = infile_read(path, cap, what, &data, &len, f);
	if (ret)
		goto out;
	ret = parse(data, len, out, f);
	if (ret)
		fail_prefix(f, "%s %s", what, path);
out:
	free(data);
	return ret;
}
