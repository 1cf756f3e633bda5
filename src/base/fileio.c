/* fileio.c - see fileio.h */
#include "fileio.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
bt_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *p = NULL;
	size_t cap = 0, n = 0, hint = 4096;
	int rc = BT_E_IO, e;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return BT_E_IO;
	if (fstat(fd, &st) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			rc = BT_E_LIMIT;
			goto out;
		}
		hint = (size_t)st.st_size + 1;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				rc = BT_E_LIMIT;
				goto out;
			}
			size_t nc = cap ? cap * 2 : hint;
			/* max + 1 wraps to 0 when max is SIZE_MAX (a 4 GiB
			 * limit on a 32-bit target). */
			if (max < SIZE_MAX && nc > max + 1)
				nc = max + 1;
			uint8_t *np = realloc(p, nc);
			if (!np) {
				rc = BT_E_NOMEM;
				goto out;
			}
			p = np;
			cap = nc;
		}
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	rc = n > max ? BT_E_LIMIT : 0;
out:
	e = errno;
	close(fd);
	if (rc < 0) {
		free(p);
		errno = e;
		return rc;
	}
	*out = p;
	*len = n;
	return 0;
}

/* Flush the directory holding path to disk, so that a rename into it
 * survives a power loss.  A file system that cannot sync a directory
 * (EINVAL) is taken as done. */
static int
sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	const char *name = ".";
	int fd, rc = 0;

	if (slash == path) {
		name = "/";
	} else if (slash) {
		if (!(dir = malloc((size_t)(slash - path) + 1)))
			return BT_E_NOMEM;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = 0;
		name = dir;
	}
	fd = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
		rc = BT_E_IO;
	int e = errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	errno = e;
	return rc;
}

/* Write into a temporary beside path, flush it, rename it over path and
 * flush the directory; unless !durable and there is nothing at path: then
 * without the flushes. */
static int
write_atomic(const char *path, const void *data, size_t n, int durable)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	struct stat st;
	mode_t mode;
	int fd, e;
	const uint8_t *p = data;

	if (!tmp)
		return BT_E_NOMEM;
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		durable = 1;	/* never a damaged old file */
	} else {
		mode_t um = umask(0);
		umask(um);
		mode = 0666 & ~um;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		errno = e;
		return BT_E_IO;
	}
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || (durable && fsync(fd) < 0))
		goto fail;
	e = close(fd);
	fd = -1;
	if (e < 0 || rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return durable ? sync_dir_of(path) : 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return BT_E_IO;
}

static int
write_through_link(const char *path, const void *data, size_t n, int durable)
{
	struct stat st;
	char *real = NULL;

	/* Through a symbolic link, replace the file it points to. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (!real)
			return BT_E_IO;
		path = real;
	}
	int rc = write_atomic(path, data, n, durable);
	int e = errno;
	free(real);
	errno = e;
	return rc;
}

int
bt_file_write_atomic(const char *path, const void *data, size_t n)
{
	return write_through_link(path, data, n, 1);
}

int
bt_file_write_made(const char *path, const void *data, size_t n)
{
	return write_through_link(path, data, n, 0);
}

int
bt_file_stamp_changed(const struct bt_file_stamp *s, const struct stat *st)
{
	return !s->set || s->mtime_s != (int64_t)st->st_mtim.tv_sec ||
		s->mtime_ns != st->st_mtim.tv_nsec || s->size != (int64_t)st->st_size ||
		s->dev != (uint64_t)st->st_dev || s->ino != (uint64_t)st->st_ino;
}

void
bt_file_stamp_set(struct bt_file_stamp *s, const struct stat *st)
{
	s->set = 1;
	s->mtime_s = (int64_t)st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
	s->size = (int64_t)st->st_size;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
}

void
bt_file_read_ahead(int fd, int64_t off, size_t n, int64_t *ahead)
{
	if (off + (int64_t)n + BT_READ_AHEAD / 2 <= *ahead)
		return;
	off = off > *ahead ? off : *ahead;
	posix_fadvise(fd, (off_t)off, BT_READ_AHEAD, POSIX_FADV_WILLNEED);
	*ahead = off + BT_READ_AHEAD;
}
