/* cli_make.c - the part of makemetafile and completedir they share. */
#include "cli.h"
#include "err.h"
#include "makemeta.h"
#include "metainfo.h"
#include "msg.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct bt_opt bt_mk_opts[MK_NOPTS] = {
	[MK_ANNOUNCE_LIST] = { "announce-list", BT_OPT_STR | BT_OPT_COMMON, "",
		TX("a list of announce URLs - explained below") },
	[MK_HTTPSEEDS] = { "httpseeds", BT_OPT_STR, "",
		TX("a list of HTTP seed URLs (BEP 17) - explained below") },
	[MK_WEBSEEDS] = { "webseeds", BT_OPT_STR | BT_OPT_COMMON, "",
		TX("a list of web seed URLs (BEP 19 url-list) - explained below") },
	[MK_PIECE_SIZE_POW2] = { "piece_size_pow2", BT_OPT_INT | BT_OPT_COMMON, "0",
		TX("which power of 2 to set the piece size to (0 = automatic, else 14 to 28)") },
	[MK_COMMENT] = { "comment", BT_OPT_STR | BT_OPT_COMMON, "",
		TX("optional human-readable comment to put in .torrent") },
	[MK_TARGET] = { "target", BT_OPT_STR | BT_OPT_COMMON | BT_OPT_LETTER('o'), "",
		TX("optional target file for the torrent (default: the input's name + .torrent)") },
	[MK_FILESYSTEM_ENCODING] = { "filesystem_encoding", BT_OPT_STR | BT_OPT_COMPAT, "",
		TX("accepted for compatibility and ignored: names are stored as the bytes the file system gives") },
	[MK_PRIVATE] = { "private", BT_OPT_BOOL | BT_OPT_COMMON, "0",
		TX("mark the torrent private (BEP 27): peers come only from its trackers") },
	[MK_SOURCE] = { "source", BT_OPT_STR, "",
		TX("optional source tag stored in the info dictionary (changes the info hash)") },
	[MK_NAME] = { "name", BT_OPT_STR, "",
		TX("name of the torrent's top file or directory instead of the input's name") },
	[MK_CREATED_BY] = { "created_by", BT_OPT_STR, "bt/" BT_VERSION,
		TX("program name written as 'created by'; empty leaves it out") },
	[MK_NO_DATE] = { "no_date", BT_OPT_BOOL, "0",
		TX("leave out the creation date") },
	[MK_THREADS] = { "threads", BT_OPT_INT, "0",
		TX("hashing threads (0 = one per CPU)") },
	[MK_FORCE] = { "force", BT_OPT_BOOL | BT_OPT_COMMON | BT_OPT_LETTER('f'), "0",
		TX("replace an existing .torrent; without it one is never overwritten") },
};

int
bt_cli_mk_check(const union bt_optv *v)
{
	long long p = v[MK_PIECE_SIZE_POW2].i;
	if (p != 0 && (p < 14 || p > 28)) {
		bt_usage_error("--piece_size_pow2 %lld: must be 0 (automatic) or 14 to 28", p);
		return -1;
	}
	if (v[MK_THREADS].i < 0 || v[MK_THREADS].i > 64) {
		bt_usage_error("--threads %lld: must be 0 to 64", v[MK_THREADS].i);
		return -1;
	}
	const char *name = v[MK_NAME].s;
	/* The rule every reader of the torrent applies, ours included. */
	if (*name && bt_meta_name_problem((const uint8_t *)name, strlen(name))) {
		bt_usage_error("--name '%s': must be one file name (no '/' or '\\', not '.' or '..')",
			name);
		return -1;
	}
	return 0;
}

int
bt_cli_mk_args(int argc, char **argv, void (*usage)(FILE *f), union bt_optv *v,
	char ***pos, int *exit_code)
{
	char err[256];
	int npos;

	*pos = NULL;
	*exit_code = BT_EXIT_USAGE;
	if (argc < 3 && !bt_opt_wants_help(argc, argv)) {
		usage(stderr);	/* BitTornado's answer to too few arguments */
		return -1;
	}
	*pos = xcalloc((size_t)argc + 1, sizeof(**pos));
	npos = bt_opt_parse(bt_mk_opts, MK_NOPTS, v, argc, argv, *pos, err, sizeof(err));
	if (npos == BT_OPT_HELP) {
		usage(stdout);
		*exit_code = BT_EXIT_OK;
	} else if (npos < 0) {
		bt_usage_error("%s", err);
	} else if (npos < 2) {
		bt_usage_error("too few arguments: a tracker URL and at least one input are needed");
	} else if (bt_cli_mk_check(v) == 0) {
		return npos;
	}
	free(*pos);
	*pos = NULL;
	return -1;
}

struct progress {
	int tty;
	int last_permille;
	time_t last;
};

static void
show_progress(void *ud, size_t done, size_t total)
{
	struct progress *p = ud;
	int permille = total ? (int)((double)done * 1000.0 / (double)total) : 1000;
	time_t now = time(NULL);

	if (permille == p->last_permille)
		return;
	if (permille < 1000 && now == p->last)
		return;
	p->last_permille = permille;
	p->last = now;
	printf(p->tty ? "\r%.1f%% complete" : "%.1f%% complete\n", permille / 10.0);
	if (p->tty && permille == 1000)
		putchar('\n');
	fflush(stdout);
}

static void
skipped(void *ud, const char *path, const char *why)
{
	(void)ud;
	bt_warn("%s: %s, left out", path, why);
}

static void
warn_url(const char *what, const char *url)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8) && strncmp(url, "udp://", 6))
		bt_warn("warning: %s '%s' is not an http, https or udp URL", what, url);
}

/* The closing line: where the torrent went and what it is. */
static void
show_made(const char *out_path, size_t npieces, int64_t plen, const uint8_t info_hash[20])
{
	struct bt_buf o;
	char hex[41];

	bt_hex(hex, info_hash, 20);
	bt_buf_init(&o, 0);
	bt_buf_adds(&o, "wrote ");
	bt_str_escape(&o, out_path, strlen(out_path));
	int mib = plen >= (1 << 20);
	bt_buf_printf(&o, ": %zu piece%s of %lld %s, info hash %s\n", npieces,
		npieces == 1 ? "" : "s", (long long)(plen >> (mib ? 20 : 10)),
		mib ? "MiB" : "KiB", hex);
	if (o.err)
		bt_die("out of memory");
	bt_out(o.p, o.len);
	bt_buf_free(&o);
}

int
bt_cli_mk_one(const char *announce, const char *input, const char *out_path,
	const union bt_optv *v, int progress)
{
	struct bt_mktree t;
	struct bt_mkerr e;
	struct bt_tiers tiers = { 0 };
	struct bt_strv seeds = { 0 }, web = { 0 };
	struct bt_mkmeta mm;
	struct bt_buf out;
	struct progress pr = { isatty(STDOUT_FILENO), -1, 0 };
	uint8_t *pieces = NULL;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	bt_buf_init(&out, 0);
	if (!v[MK_FORCE].i && access(out_path, F_OK) == 0) {
		bt_warn("%s: already exists, not replaced (-f or --force replaces it)", out_path);
		goto out;
	}
	warn_url("announce URL", announce);
	if (bt_tiers_parse(&tiers, v[MK_ANNOUNCE_LIST].s) ||
	    bt_strv_split(&seeds, v[MK_HTTPSEEDS].s, '|') ||
	    bt_strv_split(&web, v[MK_WEBSEEDS].s, '|')) {
		bt_warn("out of memory");
		goto out;
	}
	for (size_t k = 0; k < tiers.n; k++)
		for (size_t u = 0; u < tiers.t[k].n; u++)
			warn_url("announce-list URL", tiers.t[k].v[u]);

	if (bt_mktree_scan(&t, input, skipped, NULL, &e) < 0) {
		if (e.code == BT_E_IO)
			bt_warn("%s: %s: %s", e.path, e.what, strerror(e.sys_errno));
		else
			bt_warn("%s: %s", e.path, e.what);
		goto out;
	}
	unsigned pow2 = v[MK_PIECE_SIZE_POW2].i ? (unsigned)v[MK_PIECE_SIZE_POW2].i
		: bt_mk_auto_pow2(t.total);
	int64_t plen = (int64_t)1 << pow2;
	size_t npieces = (size_t)((t.total + plen - 1) / plen);
	pieces = malloc(npieces * 20);
	if (!pieces) {
		bt_warn("out of memory");
		goto out;
	}
	if (bt_mk_hash(&t, plen, (unsigned)v[MK_THREADS].i, pieces,
		progress ? show_progress : NULL, &pr, &e) < 0) {
		if (pr.tty && pr.last_permille >= 0)
			putchar('\n');
		if (e.sys_errno)
			bt_warn("%s: %s: %s", e.path, e.what, strerror(e.sys_errno));
		else
			bt_warn("%s: %s", e.path[0] ? e.path : input, e.what);
		goto out;
	}
	memset(&mm, 0, sizeof(mm));
	mm.announce = announce;
	mm.announce_list = &tiers;
	mm.httpseeds = &seeds;
	mm.url_list = &web;
	mm.comment = v[MK_COMMENT].s;
	mm.created_by = v[MK_CREATED_BY].s;
	mm.source = v[MK_SOURCE].s;
	mm.name = v[MK_NAME].s;
	mm.creation_date = v[MK_NO_DATE].i ? -1 : (int64_t)time(NULL);
	mm.priv = v[MK_PRIVATE].i != 0;
	uint8_t info_hash[20];
	int erc = bt_mk_encode(&out, &t, plen, pieces, &mm, info_hash);
	if (erc < 0) {
		bt_warn("%s: cannot encode the torrent: %s", input, bt_strerror(erc));
		goto out;
	}
	if (bt_tfile_save(out_path, &out) == 0) {
		show_made(out_path, npieces, plen, info_hash);
		rc = 0;
	}
out:
	bt_buf_free(&out);
	free(pieces);
	bt_mktree_free(&t);
	bt_tiers_free(&tiers);
	bt_strv_free(&seeds);
	bt_strv_free(&web);
	return rc;
}
