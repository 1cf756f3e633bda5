//applet: makemetafile - make .torrent files (btmakemetafile)
//usage: makemetafile <trackerurl> <file> [file...] [--option value...]
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f, "Usage: %s <trackerurl> <file> [file...] [params...]\n\n", bt_prog);
	bt_cli_opt_help(f, bt_mk_opts, MK_NOPTS);
	fputs(bt_cli_announce_list_help, f);
}

int
makemetafile_main(int argc, char **argv)
{
	union bt_optv v[MK_NOPTS];
	char **pos;
	char err[256];
	int npos, rc = BT_EXIT_OK;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	if (argc < 3) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	npos = bt_opt_parse(bt_mk_opts, MK_NOPTS, v, argc, argv, pos, err, sizeof(err));
	if (npos >= 0 && npos < 2)
		snprintf(err, sizeof(err), "Must supply at least 2 args.");
	if (npos < 2) {
		fprintf(stderr, "error:  %s\nrun with no args for parameter explanations\n", err);
		free(pos);
		return BT_EXIT_USAGE;
	}
	if (bt_cli_mk_check(v) < 0) {
		free(pos);
		return BT_EXIT_USAGE;
	}
	if (*v[MK_TARGET].s && npos > 2) {
		bt_warn("--target names one file, but %d inputs were given", npos - 1);
		free(pos);
		return BT_EXIT_USAGE;
	}
	for (int k = 1; k < npos; k++) {
		char *target;
		if (*v[MK_TARGET].s) {
			target = xstrdup(v[MK_TARGET].s);
		} else {
			size_t n = strlen(pos[k]);
			while (n > 1 && pos[k][n - 1] == '/')
				n--;
			target = xmalloc(n + 9);
			memcpy(target, pos[k], n);
			memcpy(target + n, ".torrent", 9);
		}
		if (bt_cli_mk_one(pos[0], pos[k], target, v, 1) < 0)
			rc = BT_EXIT_FAIL;
		free(target);
	}
	free(pos);
	return rc;
}
