/* reltree.h - a scratch directory tree for the directory-scanning tests:
 * files written with a chosen mtime, directories made and files removed
 * by paths relative to root (which the test fills in first). */
#ifndef BT_TEST_RELTREE_H
#define BT_TEST_RELTREE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[256];

static inline void
path_of(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", root, rel);
}

/* root/rel holds p[0..n) with modification time mtime; exits 2 when the
 * file cannot be made (the test cannot go on). */
static inline void
write_at(const char *rel, const void *p, size_t n, time_t mtime)
{
	char path[512];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f;

	path_of(path, sizeof(path), rel);
	if (!(f = fopen(path, "wb"))) {
		perror(path);
		exit(2);
	}
	fwrite(p, 1, n, f);
	fclose(f);
	utimensat(AT_FDCWD, path, ts, 0);
}

static inline void
mkdir_rel(const char *rel)
{
	char path[512];

	path_of(path, sizeof(path), rel);
	mkdir(path, 0755);
}

static inline void
rm_rel(const char *rel)
{
	char path[512];

	path_of(path, sizeof(path), rel);
	unlink(path);
}

#endif
