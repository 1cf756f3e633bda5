/* files.h - small file helpers the unit tests share: make a file's
 * parent directories, write a file, compare a file with bytes. */
#ifndef BT_TEST_FILES_H
#define BT_TEST_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every directory above path (not path itself). */
static inline void
files_mkdirs(const char *path)
{
	char b[4096];

	snprintf(b, sizeof(b), "%s", path);
	for (char *p = b + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(b, 0755);
			*p = '/';
		}
}

/* path holds p[0..n) afterwards (its directories made); 0 or -1. */
static inline int
files_write(const char *path, const void *p, size_t n)
{
	FILE *f;
	int ok;

	files_mkdirs(path);
	if (!(f = fopen(path, "wb")))
		return -1;
	ok = n == 0 || fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* 1 if path holds exactly p[0..n). */
static inline int
files_same(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	size_t got;
	int ok;

	if (!f)
		return 0;
	b = malloc(n + 1);
	got = b ? fread(b, 1, n + 1, f) : 0;
	fclose(f);
	ok = b && got == n && memcmp(b, p, n) == 0;
	free(b);
	return ok;
}

#endif
