//applet: completedir - make a .torrent for every entry of directories (btcompletedir)
//usage: completedir <trackerurl> <dir> [dir...] [--option value...]
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	const struct bt_help h = {
		.args = "<trackerurl> <dir> [dir...] [params...]",
		.about = TX("Make a .torrent file for every file or directory in each given directory."),
		.opts = bt_mk_opts, .nopts = MK_NOPTS, .notes = bt_cli_announce_list_help,
	};
	bt_cli_help(f, &h);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *
path_join(const char *a, const char *b, const char *ext)
{
	return xfmt("%s/%s%s", a, b, ext);
}

/* Entries of dir to make torrents of, sorted, with BitTornado's skips. */
static int
do_dir(const char *announce, const char *dir, const union bt_optv *v)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (!d) {
		bt_pwarn("%s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (nm[0] == '.' || !strcmp(nm, "core") || !strcmp(nm, "CVS") ||
		    ends_with(nm, ".torrent"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(nm);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t k = 0; k < n; k++) {
		char *src = path_join(dir, names[k], "");
		char *sibling = path_join(dir, names[k], ".torrent");
		const char *tdir = *v[MK_TARGET].s ? v[MK_TARGET].s : dir;
		char *out = path_join(tdir, names[k], ".torrent");
		struct stat st;
		/* An entry that already has its .torrent beside it is done. */
		if (stat(sibling, &st) < 0 && bt_cli_mk_one(announce, src, out, v, 0) < 0)
			rc = -1;
		free(src);
		free(sibling);
		free(out);
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	return rc;
}

int
completedir_main(int argc, char **argv)
{
	union bt_optv v[MK_NOPTS];
	char **pos;
	int npos, rc = BT_EXIT_OK;
	struct stat st;

	npos = bt_cli_mk_args(argc, argv, usage, v, &pos, &rc);
	if (npos < 0)
		return rc;
	rc = BT_EXIT_OK;
	if (*v[MK_TARGET].s && (stat(v[MK_TARGET].s, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(pos);
		return bt_usage_error("--target %s: not a directory", v[MK_TARGET].s);
	}
	if (*v[MK_NAME].s) {
		free(pos);
		return bt_usage_error("--name: cannot be used here: every torrent is named after its entry");
	}
	for (int k = 1; k < npos; k++)
		if (do_dir(pos[0], pos[k], v) < 0)
			rc = BT_EXIT_FAIL;
	free(pos);
	return rc;
}
