//applet: sethttpseeds - set the HTTP seeds of .torrent files (btsethttpseeds)
//usage: sethttpseeds [-v] [-w] <url[|url...]|0> file.torrent [file.torrent...]
#include "applets.h"
#include "cli.h"
#include "msg.h"

#include <stdio.h>
#include <string.h>

enum { OPT_HELP = 'h', OPT_VERBOSE = 'v', OPT_WEB = 'w' };

static const struct bt_flag flags[] = {
	{ OPT_WEB, "webseeds", NULL, TX("set the BEP 19 web seeds (url-list) instead of BEP 17 httpseeds"), 0 },
	{ OPT_VERBOSE, "verbose", NULL, TX("print the old list"), 0 },
	{ OPT_HELP, "help", NULL, TX("show this help"), 0 },
};

struct cfg {
	int verbose, web, help;
};

static int
on_flag(int key, const char *arg, void *ud)
{
	struct cfg *c = ud;
	(void)arg;
	switch (key) {
	case OPT_VERBOSE: c->verbose = 1; break;
	case OPT_WEB: c->web = 1; break;
	default: c->help = 1; break;
	}
	return 0;
}

/* -v: the list as it was. */
static void
show_old(const struct bt_tfile *t, void *ud)
{
	const struct cfg *c = ud;
	int old = c->web ? t->m.url_list : t->m.httpseeds;
	struct bt_buf o;

	if (old < 0)
		return;
	bt_buf_init(&o, 0);
	bt_buf_printf(&o, "old %s list for %s: ", c->web ? "web seed" : "http-seed", t->path);
	bt_cli_fmt_list(&o, &t->m.doc, old, '|');
	bt_buf_addc(&o, '\n');
	bt_out(o.p, o.len);
	bt_buf_free(&o);
}

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "<http-seeds> file1.torrent [file2.torrent...]",
		.about = TX("<http-seeds> is a list of URLs separated by '|', url[|url...],\n"
			"or 0 to remove the list. The info hash is never changed."),
		.flags = flags, .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	bt_cli_help(f, &h);
}

int
sethttpseeds_main(int argc, char **argv)
{
	struct cfg c = { 0 };
	char err[160];
	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
		on_flag, &c, err, sizeof(err));

	if (first < 0)
		return bt_usage_error("%s", err);
	if (c.help) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	if (argc - first < 2)
		return bt_usage_error("too few arguments: the seeds and at least one .torrent are needed");
	const char *key = c.web ? "url-list" : "httpseeds";
	const char *seeds = argv[first];
	struct bt_buf enc;
	bt_buf_init(&enc, 0);
	/* "0", or a list with no URLs in it, removes the key. */
	int remove = strcmp(seeds, "0") == 0 || bt_cli_enc_list(&enc, seeds, '|') == 0;
	struct bt_benc_set set = { key, remove ? NULL : enc.p, enc.len };
	int rc = bt_cli_edit_files(argv + first + 1, argc - first - 1, &set, 1,
		c.verbose ? show_old : NULL, &c);
	bt_buf_free(&enc);
	return rc;
}
