//applet: copyannounce - copy announce data from one .torrent to others (btcopyannounce)
//usage: copyannounce [-v] [-A URL] [-d URL] [-r OLD NEW] source.torrent file.torrent [file.torrent...]
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_HELP = 'h', OPT_VERBOSE = 'v' };

static const struct bt_flag flags[] = {
	{ OPT_VERBOSE, "verbose", NULL, TX("print the old and new announce data"), 0 },
	BT_CLI_TRACKER_FLAGS
	{ OPT_HELP, "help", NULL, TX("show this help"), 0 },
};

struct cfg {
	int verbose, help;
	struct bt_tr_ops ops;	/* -A, -d, -r */
};

static int
on_flag(int key, const char *arg, void *ud)
{
	struct cfg *c = ud;
	if (bt_cli_tracker_flag(&c->ops, key, arg))
		return 0;
	if (key == OPT_VERBOSE)
		c->verbose = 1;
	else
		c->help = 1;
	return 0;
}

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "<source.torrent> <file1.torrent> [file2.torrent...]",
		.about = TX("Copy announce information from source to all specified torrents.\n"
			"With -A, -d or -r the trackers copied are first changed so, one at a\n"
			"time (as transmission-edit -a, -d, -r); each change is printed."),
		.flags = flags, .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	bt_cli_help(f, &h);
}

int
copyannounce_main(int argc, char **argv)
{
	struct cfg c = { 0 };
	struct bt_tr_ops *ops = &c.ops;
	char err[160];
	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
		on_flag, &c, err, sizeof(err));
	const char *bad = first < 0 ? err : bt_cli_tracker_check(ops);
	struct bt_tfile src;
	struct bt_buf o;

	if (bad) {
		int rc = bt_usage_error("%s", bad);
		free(ops->v);
		return rc;
	}
	if (c.help || argc < 2) {
		free(ops->v);
		usage(c.help ? stdout : stderr);
		return c.help ? BT_EXIT_OK : BT_EXIT_USAGE;
	}
	if (argc - first < 2) {
		free(ops->v);
		return bt_usage_error("too few arguments: a source .torrent and at least one other are needed");
	}
	if (bt_tfile_load(&src, argv[first]) < 0) {
		bt_tfile_free(&src);
		free(ops->v);
		return BT_EXIT_FAIL;
	}
	if (ops->n) {
		int rc = bt_cli_edit_trackers_files(argv + first + 1, argc - first - 1, &src.m, ops,
			c.verbose);
		bt_tfile_free(&src);
		free(ops->v);
		return rc;
	}
	if (src.m.announce < 0) {
		bt_warn("%s: has no announce to copy", argv[first]);
		bt_tfile_free(&src);
		return BT_EXIT_FAIL;
	}
	struct bt_benc_set sets[2] = { { "announce", NULL, 0 }, { "announce-list", NULL, 0 } };
	sets[0].val = bt_benc_raw(&src.m.doc, src.m.announce, &sets[0].len);
	if (src.m.announce_list >= 0)
		sets[1].val = bt_benc_raw(&src.m.doc, src.m.announce_list, &sets[1].len);
	if (c.verbose) {
		bt_buf_init(&o, 0);
		bt_buf_adds(&o, "new announce:  ");
		bt_cli_fmt_str(&o, &src.m.doc, src.m.announce);
		bt_buf_addc(&o, '\n');
		if (src.m.announce_list >= 0) {
			bt_buf_adds(&o, "new announce-list:  ");
			bt_cli_fmt_tiers(&o, &src.m.doc, src.m.announce_list);
			bt_buf_addc(&o, '\n');
		}
		bt_out(o.p, o.len);
		bt_buf_free(&o);
	}
	int rc = bt_cli_edit_files(argv + first + 1, argc - first - 1, sets, 2,
		c.verbose ? bt_cli_print_old_announce : NULL, NULL);
	bt_tfile_free(&src);
	return rc;
}
