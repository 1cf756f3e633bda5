/* test_saveas.c - the save-location rules (saveas): launchmany's
 * saveas_style naming, abspath, mkdirs, and BitTornado's saveAs over a
 * scratch directory (single file, multi-file, an occupied directory). */
#include "metainfo.h"
#include "saveas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* CHECK that style gives want (NULL: fails). */
static void
style_is(int line, const char *tpath, const char *name, int multi, int style,
	const char *saveas, const char *want)
{
	char err[256] = "";
	char *got = bt_saveas_style(tpath, name, multi, style, saveas, err, sizeof(err));

	if (!want)
		CHECK_AT(line, got == NULL && err[0]);
	else if (CHECK_AT(line, got != NULL))
		CHECK_STR_AT(line, got, want);
	free(got);
}

static void
test_style(void)
{
	/* 1: the .torrent's file name minus .torrent, next to it. */
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 0, 1, "", "lm/a/movie");
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 1, 1, "", "lm/a/movie");
	style_is(__LINE__, "movie.torrent", "Film", 0, 1, "", "movie");
	style_is(__LINE__, "/movie.torrent", "Film", 0, 1, "", "/movie");
	style_is(__LINE__, "/t/x.y.torrent", "Film", 0, 1, "", "/t/x.y");
	style_is(__LINE__, "/t/x.TORRENT", "Film", 0, 1, "", "/t/x.TORRENT");
	/* 2: the torrent's own name, in the .torrent's directory. */
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 0, 2, "", "lm/a/Film");
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 1, 2, "", "lm/a/Film");
	style_is(__LINE__, "movie.torrent", "Film", 1, 2, "", "Film");
	style_is(__LINE__, "/movie.torrent", "Film", 1, 2, "", "/Film");
	/* 3: a directory named after the .torrent holds the content. */
	style_is(__LINE__, "lm/a/movie.torrent", "Film.mkv", 0, 3, "", "lm/a/movie/Film.mkv");
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 1, 3, "", "lm/a/movie");
	/* --saveas DIR replaces the .torrent's directory. */
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 0, 1, "/data", "/data/movie");
	style_is(__LINE__, "lm/a/movie.torrent", "Film", 0, 2, "/data/", "/data/Film");
	style_is(__LINE__, "lm/a/movie.torrent", "F", 0, 3, "out", "out/movie/F");
	style_is(__LINE__, "lm/a/movie.torrent", "F", 1, 3, "out", "out/movie");
	/* Nothing to name it after; no such style. */
	style_is(__LINE__, "lm/.torrent", "F", 0, 1, "", NULL);
	style_is(__LINE__, "lm/..torrent", "F", 0, 3, "", NULL);
	style_is(__LINE__, "lm/.torrent", "F", 0, 2, "", "lm/F");
	style_is(__LINE__, "lm/x.torrent", "F", 0, 0, "", NULL);
	style_is(__LINE__, "lm/x.torrent", "F", 0, 4, "", NULL);
}

static void
test_abspath(void)
{
	char *cwd = getcwd(NULL, 0), *p, want[4200];

	p = bt_saveas_abspath("/a//b/./c/../d/");
	CHECK_STR(p, "/a/b/d");
	free(p);
	p = bt_saveas_abspath("/../..");
	CHECK_STR(p, "/");
	free(p);
	p = bt_saveas_abspath("x/y/..");
	snprintf(want, sizeof(want), "%s/x", strcmp(cwd, "/") ? cwd : "");
	CHECK_STR(p, want);
	free(p);
	free(cwd);
}

/* A meta with just what saveAs reads. */
static void
meta(struct bt_meta *m, struct bt_meta_file *f, const char *name, int multi,
	const char *const *paths, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->name = (char *)name;
	m->multi = multi;
	m->files = f;
	m->nfiles = n;
	for (size_t k = 0; k < n; k++) {
		memset(&f[k], 0, sizeof(f[k]));
		f[k].path = (char *)paths[k];
	}
}

static int
is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
touch(const char *p)
{
	FILE *f = fopen(p, "w");
	if (CHECK(f != NULL))
		fclose(f);
}

static void
test_root(void)
{
	struct bt_meta m;
	struct bt_meta_file f[3];
	static const char *const one[] = { "file.bin" };
	static const char *const many[] = { "sub/a", "sub/b", "top.txt" };
	char err[256], path[256];
	char *r;

	CHECK_INT(chdir(dir), ==, 0);

	/* Single file: the name, or --saveas with its parents made. */
	meta(&m, f, "file.bin", 0, one, 1);
	r = bt_saveas_root(&m, "", err, sizeof(err));
	CHECK_STR(r, "file.bin");
	free(r);
	r = bt_saveas_root(&m, "p/q/out.bin", err, sizeof(err));
	CHECK_STR(r, "p/q/out.bin");
	CHECK(is_dir("p/q"));
	free(r);
	touch("plain");
	r = bt_saveas_root(&m, "plain/out.bin", err, sizeof(err));
	CHECK(r == NULL);
	CHECK(strncmp(err, "Couldn't allocate dir - ", 24) == 0);
	/* An existing directory: the file goes inside it; unless the name
	 * there is a directory too. */
	r = bt_saveas_root(&m, "p/q", err, sizeof(err));
	CHECK_STR(r, "p/q/file.bin");
	free(r);
	r = bt_saveas_root(&m, "p/", err, sizeof(err));
	CHECK_STR(r, "p/file.bin");
	free(r);
	CHECK_INT(mkdir("p/q/file.bin", 0777), ==, 0);
	r = bt_saveas_root(&m, "p/q", err, sizeof(err));
	CHECK(r == NULL);
	CHECK_STR(err, "p/q/file.bin is a directory: a single-file torrent needs a file name there (--saveas DIR/NAME)");

	/* Multi-file: the directory, made. */
	meta(&m, f, "tor", 1, many, 3);
	r = bt_saveas_root(&m, "", err, sizeof(err));
	CHECK_STR(r, "tor");
	CHECK(is_dir("tor"));
	free(r);
	/* Existing and empty, or holding one of the entries: used as is. */
	r = bt_saveas_root(&m, "tor", err, sizeof(err));
	CHECK_STR(r, "tor");
	free(r);
	touch("tor/top.txt");
	r = bt_saveas_root(&m, "tor", err, sizeof(err));
	CHECK_STR(r, "tor");
	free(r);
	/* Not empty, none of the entries: <dir>/<name>. */
	CHECK_INT(mkdir("other", 0777), ==, 0);
	touch("other/unrelated");
	r = bt_saveas_root(&m, "other/", err, sizeof(err));
	CHECK_STR(r, "other/tor");
	CHECK(is_dir("other/tor"));
	free(r);
	/* ... where a file called <name> is in the way. */
	CHECK_INT(mkdir("busy", 0777), ==, 0);
	touch("busy/tor");
	r = bt_saveas_root(&m, "busy", err, sizeof(err));
	CHECK(r == NULL);
	CHECK_STR(err, "Can't create dir - tor");
	/* Not a directory at all. */
	r = bt_saveas_root(&m, "plain", err, sizeof(err));
	CHECK(r == NULL);
	CHECK_STR(err, "plain is not a dir");

	/* mkdirs */
	CHECK_INT(bt_saveas_mkdirs("m1/m2/m3", 0700), ==, 0);
	CHECK(is_dir("m1/m2/m3"));
	CHECK_INT(bt_saveas_mkdirs("m1/m2/m3", 0700), ==, 0);
	errno = 0;
	CHECK_INT(bt_saveas_mkdirs("plain", 0700), ==, -1);
	CHECK_INT(errno, ==, ENOTDIR);
	snprintf(path, sizeof(path), "%s/abs/x", dir);
	CHECK_INT(bt_saveas_mkdirs(path, 0700), ==, 0);
	CHECK(is_dir(path));
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_saveas.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_style();
	test_abspath();
	test_root();
	CHECK_INT(chdir("/"), ==, 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), ==, 0);
	return check_summary("saveas");
}
