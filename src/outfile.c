#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* The folder path names, and the last part of it; dir is freed by the caller. */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	return *dir ? 0 : -1;
}

/*
 * A run killed between creating its temporary file and renaming it (by a
 * signal from outside, or power loss) leaves that file behind: remove such
 * leftovers so that they do not pile up. A live run holds a lock on its
 * temporary file until the rename, so only files nobody holds are removed.
 * Best effort; the result never depends on it.
 */
static void sweep_temporaries(const char *path)
{
	const char *base;
	char *dir = NULL;
	DIR *d = NULL;
	struct dirent *e;
	int dfd;

	if (split_path(path, &dir, &base))
		goto out;
	d = opendir(dir);
	if (!d)
		goto out;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd;

		if (!is_our_temporary(e->d_name, base, strlen(base)))
			continue;
		fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!flock(fd, LOCK_EX | LOCK_NB))
			(void)unlinkat(dfd, e->d_name, 0);
		close(fd);
	}
out:
	if (d)
		closedir(d);
	free(dir);
}

static int sync_folder(const char *path, struct failure *f)
{
	const char *base;
	char *dir = NULL;
	int fd = -1, ret = STATUS_OK;

	if (split_path(path, &dir, &base)) {
		ret = fail(f, STATUS_USAGE, "out of memory writing %s", path);
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		ret = fail(f, STATUS_USAGE, "cannot sync the folder of %s: %s", path,
			   strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

/* The file itself when it exists, else its folder and last name. */
struct where {
	dev_t dev;
	ino_t ino;
	const char *base;   /* NULL when the file exists */
};

static int locate(const char *path, struct where *w)
{
	struct stat st;
	char *dir = NULL;
	int ret = 0;

	w->base = NULL;
	if (!stat(path, &st)) {
		w->dev = st.st_dev;
		w->ino = st.st_ino;
		return 0;
	}
	if (split_path(path, &dir, &w->base) || stat(dir, &st))
		ret = -1;
	else {
		w->dev = st.st_dev;
		w->ino = st.st_ino;
	}
	free(dir);
	return ret;
}

bool outfile_same(const char *a, const char *b)
{
	struct where x, y;

	if (!strcmp(a, b))
		return true;
	if (locate(a, &x) || locate(b, &y))
		return false;
	if (x.dev != y.dev || x.ino != y.ino || !x.base != !y.base)
		return false;
	return !x.base || !strcmp(x.base, y.base);
}

int outfile_write(const char *path, const void *data, size_t len,
		  struct failure *f)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	uint8_t rnd[TMP_RANDOM_HEX / 2];
	char suffix[TMP_RANDOM_HEX + 1];
	struct stat st;
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
	/*
	 * Held until the rename, so a concurrent run's sweep leaves the file
	 * alone; a sweep that got in between open and lock has unlinked it.
	 */
	if (flock(fd, LOCK_EX) || fstat(fd, &st) || st.st_nlink == 0) {
		ret = fail(f, STATUS_USAGE, "cannot lock %s: another run removed it", tmp);
		goto out_unlink;
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
	/* The rename is durable only once the folder is. */
	ret = sync_folder(path, f);
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return ret;
}
