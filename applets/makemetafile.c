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
	int npos, rc = BT_EXIT_OK;

	npos = bt_cli_mk_args(argc, argv, usage, v, &pos, &rc);
	if (npos < 0)
		return rc;
	rc = BT_EXIT_OK;
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
