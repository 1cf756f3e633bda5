//applet: makemetafile - make .torrent files (btmakemetafile)
//usage: makemetafile <trackerurl> <file> [file...] [--option value...] (options anywhere)
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	const struct bt_help h = {
		.args = "<trackerurl> <file> [file...] [params...]",
		.about = TX("Make a .torrent file for each file or directory, announced at <trackerurl>.\n"
			"Options may come before, between or after the file names."),
		.opts = bt_mk_opts, .nopts = MK_NOPTS, .notes = bt_cli_announce_list_help,
	};
	bt_cli_help(f, &h);
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
		free(pos);
		return bt_usage_error("--target names one file, but %d inputs were given", npos - 1);
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
