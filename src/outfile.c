#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "hex.h"
#include "outfile.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int outfile_write(const char *path, const void *data, size_t len,
		  struct failure *f)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	uint8_t rnd[8];
	char suffix[2 * sizeof(rnd) + 1];
	int fd = -1, ret;

	if (!tmp) {
		ret = fail(f, STATUS_USAGE, "out of memory writing %s", path);
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		ret = fail(f, STATUS_USAGE, "random number generator failed");
		goto out;
	}
	hex_encode(rnd, sizeof(rnd), suffix);
	snprintf(tmp, plen + 32, "%s.%s.tmp", path, suffix);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = fail(f, STATUS_USAGE, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, data, len) || fsync(fd)) {
		ret = fail(f, STATUS_USAGE, "cannot write %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(fd)) {
		fd = -1;
		ret = fail(f, STATUS_USAGE, "cannot write %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path)) {
		ret = fail(f, STATUS_USAGE, "cannot replace %s: %s", path, strerror(errno));
		goto out_unlink;
	}
	ret = STATUS_OK;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return ret;
}
