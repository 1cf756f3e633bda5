/* saveas.c - see saveas.h */
#include "saveas.h"
#include "cli.h"
#include "metainfo.h"
#include "msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
bt_saveas_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *q = p + 1; ; q++) {
		if (*q != '/' && *q != 0)
			continue;
		char c = *q;
		*q = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*q = c;
		if (!c)
			break;
	}
	if (rc == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	free(p);
	return rc;
}

/* 1 if the directory holds any entry, 0 if empty, -1 on error. */
static int
dir_not_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int any = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			any = 1;
			break;
		}
	}
	closedir(d);
	return any;
}

/* Does dir hold any of the torrent's top-level entries? */
static int
has_top_entry(const char *dir, const struct bt_meta *m)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *prev = NULL;
	size_t prevlen = 0;
	int found = 0;

	if (dfd < 0)
		return 0;
	for (size_t i = 0; i < m->nfiles && !found; i++) {
		const char *path = m->files[i].path;
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		char name[NAME_MAX + 1];
		struct stat st;

		if (m->files[i].pad || len == 0 || len > NAME_MAX)
			continue;
		if (prev && prevlen == len && memcmp(prev, path, len) == 0)
			continue;	/* the same top entry as the file before */
		prev = path;
		prevlen = len;
		memcpy(name, path, len);
		name[len] = 0;
		if (fstatat(dfd, name, &st, 0) == 0)
			found = 1;
	}
	close(dfd);
	return found;
}

/* a + "/" + b, without a doubled slash; a "" gives b. */
static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n == 0)
		return xstrdup(b);
	return xfmt("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}

/* BitTornado's saveAs, §5.9 of BITTORNADO.md. */
char *
bt_saveas_root(const struct bt_meta *m, const char *saveas, char *err, size_t errlen)
{
	char *path = xstrdup(saveas[0] ? saveas : m->name);
	struct stat st;

	if (!m->multi && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* An existing directory: the file goes inside it, under the
		 * torrent's name (as cp puts a file into a directory). */
		char *in = join(path, m->name);
		free(path);
		path = in;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s is a directory: a single-file torrent needs a "
				"file name there (--saveas DIR/NAME)", path);
			free(path);
			return NULL;
		}
	}
	if (!m->multi) {
		char *slash = strrchr(path, '/');
		if (slash && slash != path) {
			*slash = 0;
			int rc = bt_saveas_mkdirs(path, 0777);
			*slash = '/';
			if (rc < 0) {
				snprintf(err, errlen, "Couldn't allocate dir - %s", strerror(errno));
				free(path);
				return NULL;
			}
		}
		return path;
	}
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s is not a dir", path);
			free(path);
			return NULL;
		}
		if (dir_not_empty(path) > 0 && !has_top_entry(path, m)) {
			char *sub = xfmt("%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", m->name);
			free(path);
			path = sub;
			if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
				size_t n = strlen(path);
				if (n > 8 && strcmp(path + n - 8, ".torrent") == 0)
					path[n - 8] = 0;
				if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
					snprintf(err, errlen, "Can't create dir - %s", m->name);
					free(path);
					return NULL;
				}
			}
		}
	}
	if (bt_saveas_mkdirs(path, 0777) < 0) {
		snprintf(err, errlen, "Couldn't allocate dir - %s", strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

char *
bt_saveas_abspath(const char *path)
{
	char *full, *out, *seg;
	size_t n = 0;

	if (path[0] == '/') {
		full = xstrdup(path);
	} else {
		char *cwd = getcwd(NULL, 0);
		full = xfmt("%s/%s", cwd ? cwd : ".", path);
		free(cwd);
	}
	out = xmalloc(strlen(full) + 2);
	for (char *save = NULL, *p = full; (seg = strtok_r(p, "/", &save)) != NULL; p = NULL) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		size_t l = strlen(seg);
		memcpy(out + n, seg, l);
		n += l;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	free(full);
	return out;
}

char *
bt_saveas_style(const char *tpath, const char *name, int multi, int style,
	const char *saveas_dir, char *err, size_t errlen)
{
	const char *slash = strrchr(tpath, '/');
	const char *file = slash ? slash + 1 : tpath;
	size_t flen = strlen(file);
	char *base, *stem, *out;

	if (style < 1 || style > 3) {
		snprintf(err, errlen, "--saveas_style must be 1, 2 or 3, not %d", style);
		return NULL;
	}
	if (saveas_dir[0])
		base = xstrdup(saveas_dir);
	else if (!slash)
		base = xstrdup("");
	else if (slash == tpath)
		base = xstrdup("/");
	else
		base = xfmt("%.*s", (int)(slash - tpath), tpath);
	if (style == 2) {
		out = join(base, name);
		free(base);
		return out;
	}
	if (flen >= 8 && strcmp(file + flen - 8, ".torrent") == 0)
		flen -= 8;
	else if (flen >= 7 && strcmp(file + flen - 7, ".magnet") == 0)
		flen -= 7;
	if (flen == 0 || (flen == 1 && file[0] == '.') || (flen == 2 && memcmp(file, "..", 2) == 0)) {
		snprintf(err, errlen, "cannot name a download after %s", tpath);
		free(base);
		return NULL;
	}
	stem = xfmt("%.*s", (int)flen, file);
	out = join(base, stem);
	if (style == 3 && !multi) {
		char *f = join(out, name);
		free(out);
		out = f;
	}
	free(stem);
	free(base);
	return out;
}
