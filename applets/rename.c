//applet: rename - change the name inside a .torrent file (btrename)
//usage: rename [-v] TORRENT NAME | rename [-v] -m TORRENT...
#include "applets.h"
#include "cli.h"
#include "msg.h"
#include "sha1.h"
#include "str.h"

#include <stdio.h>
#include <string.h>

enum { OPT_HELP = 'h', OPT_MATCH = 'm', OPT_VERBOSE = 'v', OPT_VERSION = 'V' };

static const struct bt_flag flags[] = {
	{ OPT_MATCH, "match", NULL, TX("name each torrent after its own file name, less .torrent"), 0 },
	{ OPT_VERBOSE, "verbose", NULL, TX("print each change"), 0 },
	{ OPT_VERSION, "version", NULL, TX("print the version"), 0 },
	{ OPT_HELP, "help", NULL, TX("show this help"), 0 },
};

struct cfg {
	int match, verbose, version, help;
};

static int
on_flag(int key, const char *arg, void *ud)
{
	struct cfg *c = ud;
	(void)arg;
	switch (key) {
	case OPT_MATCH: c->match = 1; break;
	case OPT_VERBOSE: c->verbose = 1; break;
	case OPT_VERSION: c->version = 1; break;
	default: c->help = 1; break;
	}
	return 0;
}

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "[-v] TORRENT NAME\n[-m] TORRENT [...]",
		.about = TX("Sets the name stored in the torrent (the file or top directory the\n"
			"data is saved as). This changes the info hash: the result is a new\n"
			"torrent for trackers and peers."),
		.flags = flags, .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	bt_cli_help(f, &h);
}

static int
rename_one(const char *path, const char *name, int verbose)
{
	struct bt_tfile t;
	struct bt_buf enc, info;
	int changed = 0, rc = -1;

	if (bt_meta_name_problem((const uint8_t *)name, strlen(name))) {
		bt_warn("%s: '%s' cannot be a name (empty, '.', '..' or with a path separator)",
			path, name);
		return -1;
	}
	if (bt_tfile_load(&t, path) < 0) {
		bt_tfile_free(&t);
		return -1;
	}
	bt_buf_init(&enc, 0);
	bt_buf_init(&info, 0);
	bt_cli_enc_str(&enc, name);
	struct bt_benc_set nset = { "name", enc.p, enc.len };
	if (bt_benc_dict_edit(&t.m.doc, t.m.info, &nset, 1, &info, &changed) < 0) {
		bt_warn("%s: out of memory", path);
		goto out;
	}
	if (verbose) {
		struct bt_buf o;
		bt_buf_init(&o, 0);
		bt_buf_printf(&o, "%s: ", path);
		bt_str_escape(&o, t.m.name, strlen(t.m.name));
		bt_buf_adds(&o, " -> ");
		bt_str_escape(&o, name, strlen(name));
		bt_buf_addc(&o, '\n');
		if (o.err)
			bt_die("out of memory");
		bt_out(o.p, o.len);
		bt_buf_free(&o);
	}
	struct bt_benc_set iset = { "info", info.p, info.len };
	if (changed && bt_cli_edit(&t, &iset, 1) < 0)
		goto out;
	if (changed && verbose) {
		uint8_t h[20];
		char hex[41];
		bt_sha1(info.p, info.len, h);
		bt_hex(hex, h, 20);
		printf("%s: new info hash %s\n", path, hex);
	}
	rc = 0;
out:
	bt_buf_free(&enc);
	bt_buf_free(&info);
	bt_tfile_free(&t);
	return rc;
}

int
rename_main(int argc, char **argv)
{
	struct cfg c = { 0 };
	char err[160];
	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
		on_flag, &c, err, sizeof(err));
	int rc = BT_EXIT_OK;

	if (first < 0)
		return bt_usage_error("%s", err);
	if (c.help) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	if (c.version) {
		printf("%s 20130326 (bt %s)\n", bt_prog, BT_VERSION);
		return BT_EXIT_OK;
	}
	int npos = argc - first;
	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	if (c.match && npos < 1)
		return bt_usage_error("too few arguments: -m needs at least one .torrent");
	if (!c.match && npos != 2)
		return bt_usage_error("%s arguments: a .torrent and a name are needed",
			npos < 2 ? "too few" : "too many");
	if (!c.match)
		return rename_one(argv[first], argv[first + 1], c.verbose) < 0 ? BT_EXIT_FAIL : BT_EXIT_OK;
	for (int k = first; k < argc; k++) {
		const char *arg = argv[k];
		size_t n = strlen(arg);
		if (n <= 8 || strcmp(arg + n - 8, ".torrent") != 0) {
			bt_warn("%s does not appear to be a .torrent file", arg);
			rc = BT_EXIT_FAIL;
			continue;
		}
		const char *base = strrchr(arg, '/');
		base = base ? base + 1 : arg;
		char name[4096];
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - 8), base);
		if (rename_one(arg, name, c.verbose) < 0)
			rc = BT_EXIT_FAIL;
	}
	return rc;
}
