#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "hex.h"
#include "outfile.h"

#define TMP_RANDOM_HEX 16

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

/* "BASE.<16 hex digits>.tmp": the temporary names outfile_write makes for BASE. */
static int is_our_temporary(const char *entry, const char *base, size_t blen)
{
	size_t i;

	if (strncmp(entry, base, blen) != 0 || entry[blen] != '.')
		return 0;
	entry += blen + 1;
	for (i = 0; i < TMP_RANDOM_HEX; i++)
		if (!((entry[i] >= '0' && entry[i] <= '9') || (entry[i] >= 'a' && entry[i] <= 'f')))
			return 0;
	return strcmp(entry + TMP_RANDOM_HEX, ".tmp") == 0;
}

/*
 * A run killed between creating its temporary file and renaming it (by a
 * signal from outside, or power loss) leaves that file behind: remove such
 * leftovers so that they do not pile up. Best effort; the result never
 * depends on it.
 */
static void sweep_temporaries(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t blen = strlen(base);
	char *dir = NULL;
	DIR *d = NULL;
	struct dirent *e;
	int dfd;

	dir = strndup(dlen ? path : ".", dlen ? dlen : 1);
	if (!dir)
		goto out;
	d = opendir(dir);
	if (!d)
		goto out;
	dfd = dirfd(d);
	while ((e = readdir(d)))
		if (is_our_temporary(e->d_name, base, blen))
			(void)unlinkat(dfd, e->d_name, 0);
out:
	if (d)
		closedir(d);
	free(dir);
}

int outfile_write(const char *path, const void *data, size_t len,
		  struct failure *f)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	uint8_t rnd[TMP_RANDOM_HEX / 2];
	char suffix[TMP_RANDOM_HEX + 1];
	int fd = -1, ret;

	if (!tmp) {
		ret = fail(f, STATUS_USAGE, "out of memory writing %s", path);
		goto out;
	}
	sweep_temporaries(path);
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
