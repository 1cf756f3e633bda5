//applet: showmetainfo - show what .torrent files hold (btshowmetainfo)
//usage: showmetainfo file.torrent [file.torrent...]
#include "applets.h"
#include "cli.h"
#include "magnet.h"
#include "msg.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Labels are 15 characters with the colon, then one space (BitTornado). */
static void
field(struct bt_buf *o, const char *label)
{
	bt_buf_adds(o, label);
	bt_buf_addc(o, ' ');
}

static void show_magnet(struct bt_buf *o, const struct bt_meta *m);
static void show_ours(struct bt_buf *o, const struct bt_meta *m);

/* Text from the torrent, made terminal-safe. */
static void
text(struct bt_buf *o, const char *s)
{
	bt_str_escape(o, s, strlen(s));
}

static void
show(struct bt_buf *o, const struct bt_tfile *t)
{
	const struct bt_meta *m = &t->m;
	const struct bt_benc *d = &m->doc;
	const char *base = strrchr(t->path, '/');
	char hex[41];

	bt_hex(hex, m->info_hash, 20);
	bt_buf_adds(o, "metainfo file.: ");
	text(o, base ? base + 1 : t->path);
	bt_buf_addc(o, '\n');
	bt_buf_printf(o, "info hash.....: %s\n", hex);
	long long q = (long long)(m->total / m->piece_len);
	long long r = (long long)(m->total % m->piece_len);
	if (!m->multi) {
		bt_buf_adds(o, "file name.....: ");
		text(o, m->name);
		bt_buf_printf(o, "\nfile size.....: %lld (%lld * %lld + %lld)\n",
			(long long)m->total, q, (long long)m->piece_len, r);
	} else {
		bt_buf_adds(o, "directory name: ");
		text(o, m->name);
		bt_buf_adds(o, "\nfiles.........: \n");
		for (size_t k = 0; k < m->nfiles; k++) {
			bt_buf_adds(o, "   ");
			text(o, m->files[k].path);
			bt_buf_printf(o, " (%lld)\n", (long long)m->files[k].length);
		}
		bt_buf_printf(o, "archive size..: %lld (%lld * %lld + %lld)\n",
			(long long)m->total, q, (long long)m->piece_len, r);
	}
	if (m->announce >= 0) {
		field(o, "announce url..:");
		bt_cli_fmt_str(o, d, m->announce);
		bt_buf_addc(o, '\n');
	} else {
		bt_buf_adds(o, "***WARNING*** - no announce key\n");
	}
	if (m->announce_list >= 0) {
		field(o, "announce-list.:");
		bt_cli_fmt_tiers(o, d, m->announce_list);
		bt_buf_addc(o, '\n');
	}
	if (m->httpseeds >= 0) {
		field(o, "http seeds....:");
		bt_cli_fmt_list(o, d, m->httpseeds, '|');
		bt_buf_addc(o, '\n');
	}
	if (m->comment >= 0) {
		field(o, "comment.......:");
		bt_cli_fmt_str(o, d, m->comment);
		bt_buf_addc(o, '\n');
	}
	show_ours(o, m);
}

/* The torrent's magnet link: its name and trackers (announce-list's, else
 * announce). */
static void
show_magnet(struct bt_buf *o, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	char *tr[64];
	size_t ntr = 0;

	if (m->announce_list >= 0)
		for (int t = bt_benc_first(d, m->announce_list); t >= 0;
			t = bt_benc_next(d, m->announce_list, t))
			if (bt_benc_type(d, t) == BT_BENC_LIST)
				for (int u = bt_benc_first(d, t); u >= 0 && ntr < 64;
					u = bt_benc_next(d, t, u))
					if ((tr[ntr] = bt_meta_strdup(m, u)))
						ntr++;
	if (ntr == 0 && m->announce >= 0 && (tr[0] = bt_meta_strdup(m, m->announce)))
		ntr = 1;
	field(o, "magnet link...:");
	bt_magnet_write(o, m->info_hash, m->name, (const char *const *)tr, ntr);
	bt_buf_addc(o, '\n');
	for (size_t i = 0; i < ntr; i++)
		free(tr[i]);
}

/* BEP 52: a hybrid has v2's `file tree` beside v1's keys (a v2-only
 * torrent, without `pieces`, does not load). */
static void
show_version(struct bt_buf *o, const struct bt_meta *m)
{
	if (m->meta_version < 2)
		return;
	if (bt_benc_dict_get(&m->doc, m->info, "file tree") >= 0)
		bt_buf_printf(o, "meta version..: %d, hybrid (v1+v2): shown and used as v1 "
			"(v1 info hash and files; the v2 hash is not computed)\n", m->meta_version);
	else
		bt_buf_printf(o, "meta version..: %d, but no v2 'file tree': shown and used as v1\n",
			m->meta_version);
}

/* What BitTornado did not know about, after its lines. */
static void
show_ours(struct bt_buf *o, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	int src = bt_benc_dict_get(d, m->info, "source");
	char why[512];

	if (m->url_list >= 0) {
		field(o, "web seeds.....:");
		bt_cli_fmt_list(o, d, m->url_list, '|');
		bt_buf_addc(o, '\n');
	}
	if (src >= 0 && bt_benc_type(d, src) == BT_BENC_STR) {
		field(o, "source........:");
		bt_cli_fmt_str(o, d, src);
		bt_buf_addc(o, '\n');
	}
	if (m->priv > 0)
		bt_buf_adds(o, "private.......: yes\n");
	show_version(o, m);
	if (m->created_by >= 0) {
		field(o, "created by....:");
		bt_cli_fmt_str(o, d, m->created_by);
		bt_buf_addc(o, '\n');
	}
	if (m->creation_date >= 0) {
		int64_t when;
		char tbuf[64];
		if (bt_benc_int(d, m->creation_date, &when) == 0 &&
		    bt_str_utc(tbuf, sizeof(tbuf), when, 1) == 0)
			bt_buf_printf(o, "creation date.: %s\n", tbuf);
	}
	show_magnet(o, m);
	if (bt_meta_disk_problem(m, 1, why, sizeof(why)))
		bt_buf_printf(o, "***WARNING*** - cannot be downloaded as is: %s%s\n", why,
			bt_meta_disk_problem(m, 0, why, sizeof(why)) ? ""
			: " (download --saveas can give it another name)");
}

static const struct bt_flag flags[] = {
	{ 'h', "help", NULL, TX("show this help"), 0 },
};

static int
on_flag(int key, const char *arg, void *ud)
{
	(void)key;
	(void)arg;
	*(int *)ud = 1;
	return 0;
}

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "file1.torrent [file2.torrent...]",
		.about = TX("Prints the name, files, sizes, info hash, trackers and seeds of\n"
			"each .torrent file."),
		.flags = flags, .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	bt_cli_help(f, &h);
}

int
showmetainfo_main(int argc, char **argv)
{
	struct bt_buf o;
	int rc = BT_EXIT_OK, help = 0;
	char err[160];
	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
		on_flag, &help, err, sizeof(err));

	if (first < 0)
		return bt_usage_error("%s", err);
	if (help) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	printf("%s 20130326 - decode BitTorrent metainfo files\n\n", bt_prog);
	if (first >= argc) {
		printf("%s file1.torrent file2.torrent file3.torrent ...\n\n", bt_prog);
		return BT_EXIT_USAGE;
	}
	bt_out_flush();
	int shown = 0;
	for (int k = first; k < argc; k++) {
		struct bt_tfile t;
		if (bt_tfile_load(&t, argv[k]) < 0) {
			bt_tfile_free(&t);
			rc = BT_EXIT_FAIL;
			continue;
		}
		bt_buf_init(&o, 0);
		/* Several torrents: a blank line between them. */
		if (shown++)
			bt_buf_addc(&o, '\n');
		show(&o, &t);
		if (o.err)
			bt_die("%s", "out of memory");
		bt_out(o.p, o.len);
		bt_buf_free(&o);
		bt_tfile_free(&t);
	}
	return rc;
}
