/* test_torrentdir.c - the .torrent directory scanner: the events between
 * scans, the semi-recursive search, duplicates, warnings given once,
 * limits, taking the bytes, .magnet files, and the inotify wake-up. */
#include "torrentdir.h"
#include "bdsl.h"
#include "check.h"
#include "err.h"
#include "metainfo.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reltree.h"

/* The bytes of a small torrent called name (its info hash in h). */
static uint8_t *
torrent(const char *name, size_t *len, uint8_t h[20])
{
	char txt[256];
	struct bt_meta m;
	snprintf(txt, sizeof(txt),
		"{'announce':'http://t.example/announce', 'info':{'length':10, 'name':'%s',"
		" 'piece length':16, 'pieces':#20}}", name);
	uint8_t *b = bdsl(txt, len);
	if (!b || bt_meta_parse(&m, b, *len, NULL) != 0) {
		fprintf(stderr, "bad fixture %s\n", name);
		exit(2);
	}
	memcpy(h, m.info_hash, 20);
	bt_meta_free(&m);
	return b;
}

/* Write a torrent called name at rel; its hash in h (may be NULL). */
static void
put(const char *rel, const char *name, time_t mtime, uint8_t *h)
{
	size_t len;
	uint8_t hh[20];
	uint8_t *b = torrent(name, &len, h ? h : hh);
	write_at(rel, b, len, mtime);
	free(b);
}

/* ---- what the callbacks saw ---- */

#define MAXEV 64

struct rec {
	int nev;
	struct {
		int kind;
		char path[512];
		uint8_t hash[20];
		size_t len;
	} ev[MAXEV];
	int nw;
	struct {
		int kind;
		char path[512], other[512];
	} w[MAXEV];
	/* the set as the events tell it: hashes in it */
	uint8_t in[MAXEV][20];
	int nin;
	int refuse;		/* refuse this many ADDED */
	int take;		/* take the bytes of ADDED */
	uint8_t *kept_buf;
	size_t kept_len;
	struct bt_meta kept_meta;
	struct bt_magnet kept_mg;
	int kept;		/* 1: kept_meta, 2: kept_mg */
};

static int
in_set(struct rec *r, const uint8_t *h)
{
	for (int i = 0; i < r->nin; i++)
		if (memcmp(r->in[i], h, 20) == 0)
			return i;
	return -1;
}

static int
on_event(void *ud, struct bt_tdir_event *ev)
{
	struct rec *r = ud;
	int k = in_set(r, ev->info_hash);

	if (ev->kind == BT_TDIR_REMOVED) {
		/* it was in the set, and user comes back */
		CHECK(k >= 0);
		CHECK(ev->user && strcmp(ev->user, ev->path) == 0);
		free(ev->user);
		if (k >= 0)
			memcpy(r->in[k], r->in[--r->nin], 20);
	} else {
		CHECK_INT(ev->kind, ==, BT_TDIR_ADDED);
		if (r->refuse > 0) {
			r->refuse--;
			return BT_E_NOMEM;
		}
		/* never two paths with one hash */
		CHECK(k < 0);
		CHECK(ev->data && ev->len > 0 && (ev->meta != NULL) != (ev->magnet != NULL));
		if (ev->meta)
			CHECK_MEM(ev->meta->info_hash, 20, ev->info_hash, 20);
		if (ev->magnet)
			CHECK_MEM(ev->magnet->info_hash, 20, ev->info_hash, 20);
		if (k < 0 && r->nin < MAXEV)
			memcpy(r->in[r->nin++], ev->info_hash, 20);
		ev->user = strdup(ev->path);
		if (r->take && !r->kept && ev->magnet) {
			bt_tdir_take_magnet(ev, &r->kept_buf, &r->kept_len, &r->kept_mg);
			r->kept = 2;
		} else if (r->take && !r->kept) {
			bt_tdir_take(ev, &r->kept_buf, &r->kept_len, &r->kept_meta);
			r->kept = 1;
		}
	}
	if (r->nev < MAXEV) {
		r->ev[r->nev].kind = ev->kind;
		snprintf(r->ev[r->nev].path, sizeof(r->ev[0].path), "%s", ev->path);
		memcpy(r->ev[r->nev].hash, ev->info_hash, 20);
		r->ev[r->nev].len = ev->len;
		r->nev++;
	}
	return 0;
}

static void
on_warn(void *ud, const struct bt_tdir_warning *w)
{
	struct rec *r = ud;
	CHECK(w->what != NULL && w->path != NULL);
	if (r->nw >= MAXEV)
		return;
	r->w[r->nw].kind = w->kind;
	snprintf(r->w[r->nw].path, sizeof(r->w[0].path), "%s", w->path ? w->path : "");
	snprintf(r->w[r->nw].other, sizeof(r->w[0].other), "%s", w->other ? w->other : "");
	r->nw++;
}

static void
reset(struct rec *r)
{
	r->nev = 0;
	r->nw = 0;
}

/* Event i is kind for rel (and hash h when not NULL). */
static int
ev_is(const struct rec *r, int i, int kind, const char *rel, const uint8_t *h)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	return i < r->nev && r->ev[i].kind == kind && strcmp(r->ev[i].path, p) == 0 &&
		(!h || memcmp(r->ev[i].hash, h, 20) == 0);
}

static int
warned(const struct rec *r, int kind, const char *rel, const char *other_rel)
{
	char p[512], o[512];
	path_of(p, sizeof(p), rel);
	if (other_rel)
		path_of(o, sizeof(o), other_rel);
	for (int i = 0; i < r->nw; i++)
		if (r->w[i].kind == kind && strcmp(r->w[i].path, p) == 0 &&
		    (!other_rel || strcmp(r->w[i].other, o) == 0))
			return 1;
	return 0;
}

/* The scanner's list is the set the events built, in path order, with the
 * user pointers; rel is in it (when not NULL). */
static void
check_list_at(int line, struct bt_tdir *d, struct rec *r, size_t want)
{
	size_t n;
	const struct bt_tdir_entry *l = bt_tdir_list(d, &n);
	CHECK_INT_AT(line, n, ==, want);
	CHECK_INT_AT(line, n, ==, r->nin);
	for (size_t i = 0; i < n; i++) {
		CHECK_AT(line, in_set(r, l[i].info_hash) >= 0);
		CHECK_AT(line, l[i].user && strcmp(l[i].user, l[i].path) == 0);
		if (i)
			CHECK_AT(line, strcmp(l[i - 1].path, l[i].path) < 0);
	}
}
#define CHECK_LIST(d, r, n) check_list_at(__LINE__, d, r, n)

static int
listed(struct bt_tdir *d, const char *rel)
{
	char p[512];
	size_t n;
	const struct bt_tdir_entry *l = bt_tdir_list(d, &n);
	path_of(p, sizeof(p), rel);
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].path, p) == 0)
			return 1;
	return 0;
}

static struct bt_tdir *
open_dir(const char *rel, struct rec *r, const struct bt_tdir_opts *base)
{
	char dir[512];
	struct bt_tdir_opts o = { 0 };
	if (base)
		o = *base;
	o.warn = on_warn;
	o.event = on_event;
	o.ud = r;
	path_of(dir, sizeof(dir), rel);
	memset(r, 0, sizeof(*r));
	struct bt_tdir *d = bt_tdir_new(dir, &o);
	if (!d) {
		fprintf(stderr, "bt_tdir_new failed\n");
		exit(2);
	}
	return d;
}

/* Release what the events attached, then the scanner. */
static void
close_dir(struct bt_tdir *d)
{
	size_t n;
	const struct bt_tdir_entry *l = bt_tdir_list(d, &n);
	for (size_t i = 0; i < n; i++)
		free(l[i].user);
	bt_tdir_free(d);
}

/* ---- tests ---- */

static void
test_diffs(void)
{
	struct rec r;
	uint8_t ha[20], hb[20], ha2[20];

	mkdir_rel("d");
	struct bt_tdir *d = open_dir("d/", &r, NULL);	/* a trailing slash is fine */

	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK_LIST(d, &r, 0);

	/* new files, reported in path order with their bytes */
	put("d/b.torrent", "beta", 1000, hb);
	put("d/a.torrent", "alpha", 1000, ha);
	write_at("d/notes.txt", "x", 1, 1000);
	write_at("d/c.TORRENT", "x", 1, 1000);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "d/a.torrent", ha));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "d/b.torrent", hb));
	CHECK(r.ev[0].len > 50);
	CHECK_INT(r.nw, ==, 0);
	CHECK_LIST(d, &r, 2);

	/* nothing changed */
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);

	/* same stamp: not read again */
	put("d/a.torrent", "alphx", 1000, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);

	/* changed: removed, then added with the new hash */
	put("d/a.torrent", "alpha2", 1001, ha2);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "d/a.torrent", ha));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "d/a.torrent", ha2));
	CHECK_LIST(d, &r, 2);

	/* touched only: removed and added again, as BitTornado does */
	reset(&r);
	put("d/a.torrent", "alpha2", 1002, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "d/a.torrent", ha2));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "d/a.torrent", ha2));

	/* removed */
	reset(&r);
	rm_rel("d/b.torrent");
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "d/b.torrent", hb));
	CHECK_LIST(d, &r, 1);

	/* a changed file that is no longer a torrent: removed, warned once */
	reset(&r);
	write_at("d/a.torrent", "d4:spam", 7, 1003);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "d/a.torrent", ha2));
	CHECK_INT(r.nw, ==, 1);
	CHECK(warned(&r, BT_TDIR_ERRORS, "d/a.torrent", NULL));
	CHECK_LIST(d, &r, 0);

	/* the directory goes away: an error, no events, the set stays */
	put("d/a.torrent", "alpha", 1004, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_LIST(d, &r, 1);
	char dir[512], moved[512];
	path_of(dir, sizeof(dir), "d");
	path_of(moved, sizeof(moved), "d-moved");
	CHECK(rename(dir, moved) == 0);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, BT_E_IO);
	CHECK_INT(r.nev, ==, 0);
	CHECK_LIST(d, &r, 1);
	CHECK(rename(moved, dir) == 0);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	close_dir(d);
}

static void
test_semi_recursive(void)
{
	struct rec r;
	uint8_t h1[20], h2[20], h3[20], htop[20];

	mkdir_rel("r");
	mkdir_rel("r/s1");
	mkdir_rel("r/s2");
	mkdir_rel("r/s2/deep");
	mkdir_rel("r/s2/deep/deeper");	/* not searched: deep has a torrent */
	mkdir_rel("r/s3.torrent");	/* a directory, whatever its name */
	mkdir_rel("r/.dot");
	put("r/s1/one.torrent", "one", 1000, h1);
	put("r/s2/deep/two.torrent", "two", 1000, h2);
	put("r/s2/deep/deeper/four.torrent", "four", 1000, NULL);
	put("r/s3.torrent/three.torrent", "three", 1000, h3);
	put("r/.dot/dot.torrent", "dot", 1000, NULL);
	put("r/s1/.hidden.torrent", "hidden", 1000, NULL);
	write_at("r/s2/readme", "x", 1, 1000);
	struct bt_tdir *d = open_dir("r", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 3);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "r/s1/one.torrent", h1));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "r/s2/deep/two.torrent", h2));
	CHECK(ev_is(&r, 2, BT_TDIR_ADDED, "r/s3.torrent/three.torrent", h3));
	CHECK_INT(r.nw, ==, 0);
	CHECK_LIST(d, &r, 3);

	/* a torrent at the top: the sub-directories are no longer searched */
	reset(&r);
	put("r/top.torrent", "top", 1000, htop);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 4);
	CHECK(ev_is(&r, 3, BT_TDIR_ADDED, "r/top.torrent", htop));
	CHECK_LIST(d, &r, 1);

	/* and again when it goes */
	reset(&r);
	rm_rel("r/top.torrent");
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 4);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "r/top.torrent", htop));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "r/s1/one.torrent", h1));
	CHECK_LIST(d, &r, 3);

	/* a link loop is entered once */
	char link[512], target[512];
	path_of(link, sizeof(link), "r/s1/back");
	path_of(target, sizeof(target), "r");
	CHECK(symlink(target, link) == 0);
	put("r/s1/one.torrent", "one", 1000, NULL);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	unlink(link);
	close_dir(d);
}

static void
test_duplicates(void)
{
	struct rec r;
	uint8_t h[20], hz[20];

	mkdir_rel("u");
	put("u/a.torrent", "same", 1000, h);
	struct bt_tdir *d = open_dir("u", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_LIST(d, &r, 1);

	/* copies before and after it: the first path wins, and the hash is
	 * removed from a.torrent before it is added from 0-copy */
	put("u/0-copy.torrent", "same", 1000, NULL);
	put("u/z-copy.torrent", "same", 1000, NULL);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "u/a.torrent", h));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "u/0-copy.torrent", h));
	CHECK_INT(r.nw, ==, 2);
	CHECK(warned(&r, BT_TDIR_DUPLICATE, "u/a.torrent", "u/0-copy.torrent"));
	CHECK(warned(&r, BT_TDIR_DUPLICATE, "u/z-copy.torrent", "u/0-copy.torrent"));
	CHECK_LIST(d, &r, 1);

	/* warned once */
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev + r.nw, ==, 0);

	/* the winner goes: the next path is added, with its bytes */
	rm_rel("u/0-copy.torrent");
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "u/0-copy.torrent", h));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "u/a.torrent", h));
	CHECK(r.ev[1].len > 50);
	CHECK_INT(r.nw, ==, 0);
	CHECK(listed(d, "u/a.torrent"));

	/* the duplicate changes: warned again */
	put("u/z-copy.torrent", "same", 1001, NULL);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK_INT(r.nw, ==, 1);
	CHECK(warned(&r, BT_TDIR_DUPLICATE, "u/z-copy.torrent", "u/a.torrent"));

	/* the winner becomes something else: both change places in one scan */
	put("u/a.torrent", "other", 1002, NULL);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 3);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "u/a.torrent", h));
	CHECK(ev_is(&r, 2, BT_TDIR_ADDED, "u/z-copy.torrent", h));
	CHECK_LIST(d, &r, 2);

	/* a copy that is refused is offered again, and its duplicate waits */
	put("u/y.torrent", "why", 1000, hz);
	put("u/y2.torrent", "why", 1000, NULL);
	reset(&r);
	r.refuse = 1;
	CHECK_INT(bt_tdir_scan(d), ==, 1);
	CHECK_INT(r.nev, ==, 0);
	CHECK(!listed(d, "u/y.torrent") && !listed(d, "u/y2.torrent"));
	CHECK(warned(&r, BT_TDIR_DUPLICATE, "u/y2.torrent", "u/y.torrent"));
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "u/y.torrent", hz));
	CHECK(listed(d, "u/y.torrent") && !listed(d, "u/y2.torrent"));
	close_dir(d);
}

static void
test_invalid(void)
{
	struct rec r;
	uint8_t h[20];
	size_t len;
	uint8_t *b = torrent("half", &len, h);

	mkdir_rel("v");
	write_at("v/half.torrent", b, len / 2, 1000);	/* half written */
	write_at("v/empty.torrent", "", 0, 1000);
	struct bt_tdir *d = open_dir("v", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK_INT(r.nw, ==, 2);
	CHECK(warned(&r, BT_TDIR_ERRORS, "v/half.torrent", NULL));
	CHECK(warned(&r, BT_TDIR_ERRORS, "v/empty.torrent", NULL));

	/* once */
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev + r.nw, ==, 0);

	/* completed: added at the next scan */
	write_at("v/half.torrent", b, len, 1000);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "v/half.torrent", h));
	CHECK_INT(r.nw, ==, 0);

	/* a dangling link and a FIFO: warned once, the FIFO is not opened */
	char link[512], fifo[512];
	path_of(link, sizeof(link), "v/dangling.torrent");
	path_of(fifo, sizeof(fifo), "v/fifo.torrent");
	CHECK(symlink("/nonexistent/x.torrent", link) == 0);
	CHECK(mkfifo(fifo, 0644) == 0);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nw, ==, 2);
	CHECK(warned(&r, BT_TDIR_ERRORS, "v/dangling.torrent", NULL));
	CHECK(warned(&r, BT_TDIR_ERRORS, "v/fifo.torrent", NULL));
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nw, ==, 0);
	unlink(link);
	unlink(fifo);
	close_dir(d);
	free(b);
}

/* The callback keeps the bytes and the parsed view. */
static void
test_take(void)
{
	struct rec r;
	uint8_t h[20];

	mkdir_rel("k");
	put("k/kept.torrent", "kept", 1000, h);
	struct bt_tdir *d = open_dir("k", &r, NULL);
	r.take = 1;
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.kept, ==, 1);
	close_dir(d);
	if (r.kept) {
		CHECK_STR(r.kept_meta.name, "kept");
		CHECK_MEM(r.kept_meta.info_hash, 20, h, 20);
		CHECK(r.kept_len > 50 && r.kept_buf[0] == 'd');
		bt_meta_free(&r.kept_meta);
		free(r.kept_buf);
	}
}

/* A magnet link for hash h, with a second line after it. */
static void
put_magnet(const char *rel, const uint8_t *h, time_t mtime)
{
	char txt[256], hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	int n = snprintf(txt, sizeof(txt), "  magnet:?xt=urn:btih:%s&dn=m \r\nsecond line\n", hex);
	write_at(rel, txt, (size_t)n, mtime);
}

static void
test_magnets(void)
{
	struct rec r;
	struct bt_tdir_opts o = { .magnets = 1 };
	uint8_t ha[20], hb[20];
	size_t len;
	static char big[BT_TDIR_MAX_MAGNET + 1];

	mkdir_rel("g");
	put("g/a.torrent", "alpha", 1000, ha);
	free(torrent("beta", &len, hb));
	put_magnet("g/b.magnet", hb, 1000);
	put("g/b.torrent", "beta", 1000, NULL);	/* as launchmany saves it */
	write_at("g/c.magnet", "not a magnet\n", 13, 1000);
	memset(big, ' ', sizeof(big));
	memcpy(big, "magnet:?xt=urn:btih:", 20);
	write_at("g/d.magnet", big, sizeof(big), 1000);
	put_magnet("g/x.magnet", ha, 1000);	/* same as a.torrent */

	/* without the option: .magnet files are nothing */
	struct bt_tdir *d = open_dir("g", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "g/a.torrent", ha));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "g/b.torrent", hb));
	CHECK_INT(r.nw, ==, 0);
	close_dir(d);

	/* with it: keyed by the link's hash; a .torrent with a magnet's hash
	 * is a silent duplicate; bad and oversized links are warned about */
	d = open_dir("g", &r, &o);
	r.take = 1;
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 2);
	CHECK(ev_is(&r, 0, BT_TDIR_ADDED, "g/a.torrent", ha));
	CHECK(ev_is(&r, 1, BT_TDIR_ADDED, "g/b.magnet", hb));
	CHECK(listed(d, "g/b.magnet") && !listed(d, "g/b.torrent") && !listed(d, "g/x.magnet"));
	CHECK_INT(r.nw, ==, 2);
	CHECK(warned(&r, BT_TDIR_ERRORS, "g/c.magnet", NULL));
	CHECK(warned(&r, BT_TDIR_ERRORS, "g/d.magnet", NULL));
	/* (the first ADDED, a.torrent, was taken; nothing of the magnet) */
	CHECK_INT(r.kept, ==, 1);
	if (r.kept == 1) {
		bt_meta_free(&r.kept_meta);
		free(r.kept_buf);
	}
	/* the .magnet goes: its .torrent takes over */
	reset(&r);
	r.kept = 0;
	rm_rel("g/a.torrent");
	rm_rel("g/b.magnet");
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 4);
	CHECK(ev_is(&r, 0, BT_TDIR_REMOVED, "g/a.torrent", ha));
	CHECK(ev_is(&r, 1, BT_TDIR_REMOVED, "g/b.magnet", hb));
	CHECK(ev_is(&r, 2, BT_TDIR_ADDED, "g/b.torrent", hb));
	CHECK(ev_is(&r, 3, BT_TDIR_ADDED, "g/x.magnet", ha));
	CHECK_INT(r.nw, ==, 0);
	/* (b.torrent, the first ADDED, was taken) */
	CHECK_INT(r.kept, ==, 1);
	close_dir(d);
	if (r.kept == 1) {
		bt_meta_free(&r.kept_meta);
		free(r.kept_buf);
	}
	/* taking a link */
	rm_rel("g/b.torrent");
	d = open_dir("g", &r, &o);
	r.take = 1;
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK_INT(r.kept, ==, 2);
	close_dir(d);
	if (r.kept == 2) {
		CHECK_MEM(r.kept_mg.info_hash, 20, ha, 20);
		CHECK_STR(r.kept_mg.dn, "m");
		CHECK(r.kept_len > 20 && memcmp(r.kept_buf, "  magnet:", 9) == 0);
		bt_magnet_free(&r.kept_mg);
		free(r.kept_buf);
	}
}

static void
test_limits(void)
{
	struct rec r;
	struct bt_tdir_opts o = { .max_files = 3 };

	/* file count: the first ones in path order; warned once */
	mkdir_rel("m");
	for (int i = 0; i < 6; i++) {
		char rel[32], name[8];
		snprintf(rel, sizeof(rel), "m/%d.torrent", i);
		snprintf(name, sizeof(name), "n%d", i);
		put(rel, name, 1000, NULL);
	}
	struct bt_tdir *d = open_dir("m", &r, &o);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 3);
	CHECK(listed(d, "m/0.torrent") && listed(d, "m/2.torrent") && !listed(d, "m/3.torrent"));
	CHECK_INT(r.nw, ==, 1);
	CHECK_INT(r.w[0].kind, ==, BT_TDIR_LIMIT);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev + r.nw, ==, 0);
	close_dir(d);

	/* size */
	o = (struct bt_tdir_opts){ .max_size = 60 };
	mkdir_rel("z");
	put("z/big.torrent", "a-name-long-enough-to-pass-sixty-bytes", 1000, NULL);
	d = open_dir("z", &r, &o);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK(warned(&r, BT_TDIR_ERRORS, "z/big.torrent", NULL));
	close_dir(d);

	/* depth: warned once */
	o = (struct bt_tdir_opts){ .max_depth = 2 };
	mkdir_rel("p");
	mkdir_rel("p/1");
	mkdir_rel("p/1/2");
	mkdir_rel("p/1/2/3");
	put("p/1/2/3/deep.torrent", "deep", 1000, NULL);
	d = open_dir("p", &r, &o);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK_INT(r.nw, ==, 1);
	CHECK_INT(r.w[0].kind, ==, BT_TDIR_LIMIT);
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nw, ==, 0);
	close_dir(d);

	/* path length: directories with long names, made relative to each
	 * other since the whole path is too long for mkdir() */
	mkdir_rel("l");
	char top[512], name[201];
	path_of(top, sizeof(top), "l");
	memset(name, 'x', 200);
	name[200] = 0;
	char lname[201];
	memset(lname, 'y', 192);
	memcpy(lname + 192, ".torrent", 9);
	int fd = open(top, O_RDONLY | O_DIRECTORY);
	size_t plen = strlen(top);
	while (fd >= 0 && plen + 1 + 200 < BT_TDIR_MAX_PATH) {
		mkdirat(fd, name, 0755);
		int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
		plen += 201;
	}
	CHECK(fd >= 0);
	if (fd >= 0) {
		int tf = openat(fd, lname, O_WRONLY | O_CREAT, 0644);
		CHECK(tf >= 0);
		if (tf >= 0)
			close(tf);
		close(fd);
	}
	d = open_dir("l", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 0);
	CHECK_INT(r.nw, ==, 1);
	CHECK_INT(r.w[0].kind, ==, BT_TDIR_LIMIT);
	close_dir(d);
}

/* An unreadable sub-directory is warned about once (not as root, whom
 * permissions do not stop). */
static void
test_bad_dir(void)
{
	struct rec r;

	if (geteuid() == 0) {
		printf("test_torrentdir: running as root; unreadable directory case skipped\n");
		return;
	}
	mkdir_rel("b");
	mkdir_rel("b/closed");
	mkdir_rel("b/open");
	put("b/open/x.torrent", "x", 1000, NULL);
	char closed[512];
	path_of(closed, sizeof(closed), "b/closed");
	chmod(closed, 0);
	struct bt_tdir *d = open_dir("b", &r, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);
	CHECK_INT(r.nw, ==, 1);
	CHECK(warned(&r, BT_TDIR_DIR, "b/closed", NULL));
	reset(&r);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nw, ==, 0);
	chmod(closed, 0755);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	chmod(closed, 0);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nw, ==, 1);	/* readable in between: warned again */
	chmod(closed, 0755);
	close_dir(d);
}

/* 1 if fd becomes readable within ms. */
static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void
test_watch(void)
{
	struct rec r;

	mkdir_rel("w");
	mkdir_rel("w/sub");
	mkdir_rel("w/sub2");
	struct bt_tdir *d = open_dir("w", &r, NULL);
	int fd = bt_tdir_watch_fd(d);
	if (fd < 0) {
		printf("test_torrentdir: no inotify; wake-up case skipped\n");
		bt_tdir_free(d);
		return;
	}
	CHECK_INT(bt_tdir_watch_fd(d), ==, fd);
	CHECK_INT(bt_tdir_scan(d), ==, 0);	/* watches the sub-directories */
	bt_tdir_watch_drain(d);
	CHECK(!readable(fd, 0));

	/* a new file in the top directory */
	put("w/new.torrent", "new", 1000, NULL);
	CHECK(readable(fd, 2000));
	bt_tdir_watch_drain(d);
	CHECK(!readable(fd, 0));
	rm_rel("w/new.torrent");
	bt_tdir_watch_drain(d);

	/* in a sub-directory the scan entered */
	put("w/sub/s.torrent", "s", 1000, NULL);
	CHECK(readable(fd, 2000));
	bt_tdir_watch_drain(d);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	CHECK_INT(r.nev, ==, 1);

	/* a touch */
	put("w/sub/s.torrent", "s", 1001, NULL);
	CHECK(readable(fd, 2000));
	bt_tdir_watch_drain(d);

	/* a torrent on top: the sub-directories are no longer watched */
	put("w/top.torrent", "top", 1000, NULL);
	CHECK_INT(bt_tdir_scan(d), ==, 0);
	bt_tdir_watch_drain(d);
	put("w/sub2/t.torrent", "t", 1000, NULL);
	CHECK(!readable(fd, 100));
	close_dir(d);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_torrentdir.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	test_diffs();
	test_semi_recursive();
	test_duplicates();
	test_invalid();
	test_take();
	test_magnets();
	test_limits();
	test_bad_dir();
	test_watch();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_summary("test_torrentdir");
}
