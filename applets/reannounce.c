//applet: reannounce - change the tracker of .torrent files (btreannounce)
//usage: reannounce [-v] [-a TIERS] <announce> file.torrent [file.torrent...] (flags anywhere)
//usage: reannounce [-v] [-A URL] [-d URL] [-r OLD NEW] file.torrent [file.torrent...]
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_HELP = 'h', OPT_LIST = 'a', OPT_VERBOSE = 'v' };

static const struct bt_flag flags[] = {
	{ OPT_LIST, "announce_list", "TIERS", TX("also set the announce-list (else it is removed)"), 0 },
	{ OPT_VERBOSE, "verbose", NULL, TX("print the old announce data"), 0 },
	BT_CLI_TRACKER_FLAGS
	{ OPT_HELP, "help", NULL, TX("show this help"), 0 },
};

struct cfg {
	const char *list;
	int verbose, help;
	struct bt_tr_ops ops;	/* -A, -d, -r */
};

static int
on_flag(int key, const char *arg, void *ud)
{
	struct cfg *c = ud;
	if (bt_cli_tracker_flag(&c->ops, key, arg))
		return 0;
	switch (key) {
	case OPT_LIST: c->list = arg; break;
	case OPT_VERBOSE: c->verbose = 1; break;
	case OPT_HELP: c->help = 1; break;
	}
	return 0;
}

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "<announce> [--announce_list <arg>] file1.torrent [file2.torrent...]",
		.about = TX("Sets the announce URL of each .torrent to <announce>. Without\n"
			"--announce_list (or --announce-list) any announce-list is removed;\n"
			"with it the list is replaced: tiers separated by '|', URLs within a\n"
			"tier by ',', e.g.\n"
			"    http://a/announce,http://b/announce|http://backup/announce\n"
			"The info dictionary (and so the info hash) is never changed.\n"
			"Or, with -A URL, -d URL or -r OLD NEW (and no <announce>): adds,\n"
			"removes or replaces one tracker at a time and keeps the others\n"
			"(as transmission-edit -a, -d, -r); each change is printed.\n"
			"Options may also come after the file names."),
		.flags = flags, .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	bt_cli_help(f, &h);
}

int
reannounce_main(int argc, char **argv)
{
	struct cfg c = { 0 };
	struct bt_tr_ops *ops = &c.ops;
	char err[160];
	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
		on_flag, &c, err, sizeof(err));
	const char *bad = first < 0 ? err : bt_cli_tracker_check(ops);

	if (!bad && ops->n && c.list)
		bad = "-a/--announce_list sets the whole list: it does not go with -A, -d or -r";
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
	if (ops->n) {
		int rc = argc - first < 1 ? bt_usage_error("too few arguments: at least one .torrent is needed")
			: bt_cli_edit_trackers_files(argv + first, argc - first, NULL, ops, c.verbose);
		free(ops->v);
		return rc;
	}
	if (argc - first < 2)
		return bt_usage_error("too few arguments: an announce URL and at least one .torrent are needed");
	const char *announce = argv[first];
	struct bt_buf ann, list;
	bt_buf_init(&ann, 0);
	bt_buf_init(&list, 0);
	bt_cli_enc_str(&ann, announce);
	/* No tiers (or only empty ones): no announce-list. */
	int have_list = c.list && bt_cli_enc_tiers(&list, c.list) > 0;
	struct bt_benc_set sets[2] = {
		{ "announce", ann.p, ann.len },
		{ "announce-list", have_list ? list.p : NULL, list.len },
	};
	int rc = bt_cli_edit_files(argv + first + 1, argc - first - 1, sets, 2,
		c.verbose ? bt_cli_print_old_announce : NULL, NULL);
	bt_buf_free(&ann);
	bt_buf_free(&list);
	return rc;
}
