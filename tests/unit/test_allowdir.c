/* test_allowdir.c - the allowed_dir scanner and the allowed_list parser. */
#include "allowdir.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "sha1.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pass, fail;
#define CHECK(c) do { if (c) pass++; else { fail++; \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)

#include "reltree.h"

/* A torrent named name with `files` files of len bytes; the info hash is
 * put in hash.  seed varies the pieces so equal names differ. */
static size_t
make_torrent(struct bt_buf *b, const char *name, int files, int64_t len, int seed,
	uint8_t hash[20])
{
	struct bt_bw w;
	int64_t total = files ? files * len : len, plen = 16384;
	size_t np = (size_t)((total + plen - 1) / plen), info_off;
	uint8_t *pieces = calloc(np ? np * 20 : 1, 1);

	for (size_t i = 0; i < np * 20; i++)
		pieces[i] = (uint8_t)(i * 7 + (size_t)seed);
	bt_buf_init(b, 0);
	bt_bw_init(&w, b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "announce");
	bt_bw_strs(&w, "http://tracker.example/announce");
	bt_bw_key(&w, "info");
	info_off = b->len;
	bt_bw_dict(&w);
	if (files) {
		bt_bw_key(&w, "files");
		bt_bw_list(&w);
		for (int i = 0; i < files; i++) {
			char fn[32];
			snprintf(fn, sizeof(fn), "f%d", i);
			bt_bw_dict(&w);
			bt_bw_key(&w, "length");
			bt_bw_int(&w, len);
			bt_bw_key(&w, "path");
			bt_bw_list(&w);
			bt_bw_strs(&w, fn);
			bt_bw_end(&w);
			bt_bw_end(&w);
		}
		bt_bw_end(&w);
	} else {
		bt_bw_key(&w, "length");
		bt_bw_int(&w, len);
	}
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, name);
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, plen);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, pieces, np * 20);
	bt_bw_end(&w);
	size_t info_len = b->len - info_off;
	bt_bw_end(&w);
	if (bt_bw_finish(&w) != 0) {
		fprintf(stderr, "bencode writer failed\n");
		exit(2);
	}
	bt_sha1(b->p + info_off, info_len, hash);
	free(pieces);
	return b->len;
}

/* Write a torrent file; returns its hash in h. */
static void
put_torrent(const char *rel, const char *name, int files, int64_t len, int seed,
	time_t mtime, uint8_t h[20])
{
	struct bt_buf b;
	make_torrent(&b, name, files, len, seed, h);
	write_at(rel, b.p, b.len, mtime);
	bt_buf_free(&b);
}

struct warns {
	int n, kind[64];
	char path[64][512], other[64][512];
};

static void
on_warn(void *ud, const struct bt_allowdir_warning *w)
{
	struct warns *ws = ud;
	if (ws->n >= 64)
		return;
	ws->kind[ws->n] = w->kind;
	snprintf(ws->path[ws->n], sizeof(ws->path[0]), "%s", w->path ? w->path : "");
	snprintf(ws->other[ws->n], sizeof(ws->other[0]), "%s", w->other ? w->other : "");
	CHECK(w->what != NULL);
	ws->n++;
}

/* 1 if the last warnings recorded include kind for rel (relative to root). */
static int
warned(const struct warns *ws, int from, int kind, const char *rel, const char *other_rel)
{
	char p[512], o[512];
	path_of(p, sizeof(p), rel);
	if (other_rel)
		path_of(o, sizeof(o), other_rel);
	for (int i = from; i < ws->n; i++)
		if (ws->kind[i] == kind && strcmp(ws->path[i], p) == 0 &&
		    (!other_rel || strcmp(ws->other[i], o) == 0))
			return 1;
	return 0;
}

static const struct bt_allowed *
find(const struct bt_allowed *a, size_t n, const uint8_t h[20])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(a[i].info_hash, h, 20) == 0)
			return &a[i];
	return NULL;
}

static int
has_path(const struct bt_allowed *a, size_t n, const char *rel)
{
	char p[512];
	path_of(p, sizeof(p), rel);
	for (size_t i = 0; i < n; i++)
		if (a[i].path && strcmp(a[i].path, p) == 0)
			return 1;
	return 0;
}

static void
rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

/* ---- allowed_dir ---- */

static void
test_scan_basic(void)
{
	struct warns ws = { 0 };
	struct bt_allowdir_opts o = { .warn = on_warn, .ud = &ws };
	char dir[512];
	uint8_t ha[20], hb[20], hc[20], hx[20];
	const struct bt_allowed *l;
	size_t n;
	int changed = -1, w0;

	mkdir_rel("d");
	path_of(dir, sizeof(dir), "d/");	/* a trailing slash is fine */
	struct bt_allowdir *d = bt_allowdir_new(dir, &o);
	CHECK(d != NULL);

	/* empty */
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 0);

	/* new files */
	put_torrent("d/a.torrent", "alpha", 0, 100000, 1, 1000, ha);
	put_torrent("d/b.torrent", "beta", 3, 5000, 2, 1000, hb);
	write_at("d/notes.txt", "hello", 5, 1000);
	write_at("d/c.TORRENT", "x", 1, 1000);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 2);
	const struct bt_allowed *a = find(l, n, ha), *b = find(l, n, hb);
	CHECK(a && b);
	if (a && b) {
		CHECK(a->name && strcmp(a->name, "alpha") == 0);
		CHECK(a->size == 100000 && a->nfiles == 1);
		CHECK(b->name && strcmp(b->name, "beta") == 0);
		CHECK(b->size == 15000 && b->nfiles == 3);
		char p[512];
		path_of(p, sizeof(p), "d/a.torrent");
		CHECK(a->path && strcmp(a->path, p) == 0);
		CHECK(a < b);		/* path order */
	}
	CHECK(ws.n == 0);

	/* nothing changed */
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);

	/* same size and mtime: not read again (so the old hash stays) */
	put_torrent("d/a.torrent", "alphx", 0, 100000, 1, 1000, hx);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	l = bt_allowdir_list(d, &n);
	CHECK(find(l, n, ha) != NULL && find(l, n, hx) == NULL);

	/* a new mtime: read again */
	put_torrent("d/a.torrent", "alphx", 0, 100000, 1, 1001, hx);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 2 && find(l, n, ha) == NULL && find(l, n, hx) != NULL);

	/* a new size, same mtime: read again */
	put_torrent("d/a.torrent", "alpha-long-name", 0, 100000, 1, 1001, ha);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 2 && find(l, n, ha) != NULL);

	/* broken files: reported once, until they change */
	w0 = ws.n;
	write_at("d/broken.torrent", "d4:spam", 7, 1000);
	write_at("d/empty.torrent", "", 0, 1000);
	put_torrent("d/c.torrent", "gamma", 0, 10, 3, 1000, hc);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3 && find(l, n, hc) != NULL);
	CHECK(ws.n == w0 + 2);
	CHECK(warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/broken.torrent", NULL));
	CHECK(warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/empty.torrent", NULL));
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	CHECK(ws.n == w0);
	write_at("d/broken.torrent", "d4:spame", 8, 1000);	/* still no torrent */
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	CHECK(ws.n == w0 + 1 && warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/broken.torrent", NULL));
	uint8_t hbr[20];
	put_torrent("d/broken.torrent", "fixed", 0, 10, 4, 1000, hbr);	/* fixed */
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 4 && find(l, n, hbr) != NULL && ws.n == w0);
	rm_rel("d/empty.torrent");

	/* a dangling link: reported once */
	char link[512];
	path_of(link, sizeof(link), "d/dangling.torrent");
	CHECK(symlink("/nonexistent/x.torrent", link) == 0);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	CHECK(ws.n == w0 + 1 && warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/dangling.torrent", NULL));
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0 && ws.n == w0 + 1);
	unlink(link);

	/* a FIFO is not opened */
	char fifo[512];
	path_of(fifo, sizeof(fifo), "d/fifo.torrent");
	CHECK(mkfifo(fifo, 0644) == 0);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	CHECK(ws.n == w0 + 1 && warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/fifo.torrent", NULL));
	unlink(fifo);

	/* duplicates: the first path in order wins; reported once */
	struct bt_buf tb;
	uint8_t hdup[20];
	make_torrent(&tb, "alpha-long-name", 0, 100000, 1, hdup);
	CHECK(memcmp(hdup, ha, 20) == 0);
	write_at("d/z-copy.torrent", tb.p, tb.len, 1000);
	write_at("d/0-copy.torrent", tb.p, tb.len, 1000);
	bt_buf_free(&tb);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);	/* path now 0-copy */
	l = bt_allowdir_list(d, &n);
	CHECK(n == 4 && has_path(l, n, "d/0-copy.torrent") && !has_path(l, n, "d/a.torrent"));
	CHECK(ws.n == w0 + 2);
	CHECK(warned(&ws, w0, BT_ALLOWDIR_DUPLICATE, "d/a.torrent", "d/0-copy.torrent"));
	CHECK(warned(&ws, w0, BT_ALLOWDIR_DUPLICATE, "d/z-copy.torrent", "d/0-copy.torrent"));
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0 && ws.n == w0);
	rm_rel("d/0-copy.torrent");
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1 && ws.n == w0);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 4 && has_path(l, n, "d/a.torrent") && !has_path(l, n, "d/z-copy.torrent"));
	rm_rel("d/z-copy.torrent");

	/* dot names are ignored, so are sub-directories here (there are
	 * torrents at this level) */
	uint8_t hh[20], hs[20];
	put_torrent("d/.hidden.torrent", "hidden", 0, 10, 5, 1000, hh);
	mkdir_rel("d/sub");
	put_torrent("d/sub/s.torrent", "sub", 0, 10, 6, 1000, hs);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0 && ws.n == w0);
	l = bt_allowdir_list(d, &n);
	CHECK(find(l, n, hh) == NULL && find(l, n, hs) == NULL);

	/* removed files */
	rm_rel("d/b.torrent");
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3 && find(l, n, hb) == NULL);

	/* too big */
	bt_allowdir_free(d);
	o.max_size = 200;
	d = bt_allowdir_new(dir, &o);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 2);		/* c and broken are small; a is not */
	CHECK(warned(&ws, w0, BT_ALLOWDIR_ERRORS, "d/a.torrent", NULL));

	/* the directory goes away: an error, the set stays */
	bt_allowdir_free(d);
	o.max_size = 0;
	char gone[512];
	path_of(gone, sizeof(gone), "nonexistent");
	d = bt_allowdir_new(gone, &o);
	CHECK(bt_allowdir_scan(d, &changed) == BT_E_IO && changed == 0);
	bt_allowdir_free(d);
}

static void
test_semi_recursive(void)
{
	struct warns ws = { 0 };
	struct bt_allowdir_opts o = { .warn = on_warn, .ud = &ws };
	char dir[512];
	uint8_t h1[20], h2[20], h3[20], h4[20], htop[20], hdot[20];
	const struct bt_allowed *l;
	size_t n;
	int changed;

	mkdir_rel("r");
	mkdir_rel("r/s1");
	mkdir_rel("r/s2");
	mkdir_rel("r/s2/deep");
	mkdir_rel("r/s2/deep/deeper");	/* not searched: deep has a torrent */
	mkdir_rel("r/s3.torrent");	/* a directory, whatever its name */
	mkdir_rel("r/.dot");
	put_torrent("r/s1/one.torrent", "one", 0, 10, 11, 1000, h1);
	put_torrent("r/s2/deep/two.torrent", "two", 0, 10, 12, 1000, h2);
	put_torrent("r/s2/deep/deeper/four.torrent", "four", 0, 10, 14, 1000, h4);
	put_torrent("r/s3.torrent/three.torrent", "three", 0, 10, 13, 1000, h3);
	put_torrent("r/.dot/dot.torrent", "dot", 0, 10, 15, 1000, hdot);
	write_at("r/s2/readme", "x", 1, 1000);
	path_of(dir, sizeof(dir), "r");
	struct bt_allowdir *d = bt_allowdir_new(dir, &o);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3);
	CHECK(find(l, n, h1) && find(l, n, h2) && find(l, n, h3));
	CHECK(!find(l, n, h4) && !find(l, n, hdot));
	CHECK(ws.n == 0);

	/* a torrent at the top: sub-directories are no longer searched */
	put_torrent("r/top.torrent", "top", 0, 10, 16, 1000, htop);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 1 && find(l, n, htop));
	rm_rel("r/top.torrent");
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3);

	/* a symbolic link loop is entered once */
	char link[512], target[512];
	path_of(link, sizeof(link), "r/loop");
	path_of(target, sizeof(target), "r");
	CHECK(symlink(target, link) == 0);
	path_of(link, sizeof(link), "r/s1/back");
	CHECK(symlink(target, link) == 0);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3);
	bt_allowdir_free(d);

	/* depth limit: reported once */
	o.max_depth = 1;
	d = bt_allowdir_new(dir, &o);
	int w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 2 && find(l, n, h1) && find(l, n, h3));	/* s2/deep is too deep */
	CHECK(ws.n == w0 + 1 && ws.kind[w0] == BT_ALLOWDIR_LIMIT);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 0 && ws.n == w0 + 1);
	bt_allowdir_free(d);

	/* file count limit */
	o.max_depth = 0;
	o.max_files = 3;
	mkdir_rel("m");
	for (int i = 0; i < 6; i++) {
		char rel[32];
		uint8_t h[20];
		snprintf(rel, sizeof(rel), "m/%d.torrent", i);
		put_torrent(rel, rel + 2, 0, 10, 20 + i, 1000, h);
	}
	path_of(dir, sizeof(dir), "m");
	d = bt_allowdir_new(dir, &o);
	w0 = ws.n;
	CHECK(bt_allowdir_scan(d, &changed) == 0);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 3 && has_path(l, n, "m/0.torrent") && has_path(l, n, "m/2.torrent"));
	CHECK(ws.n == w0 + 1 && ws.kind[w0] == BT_ALLOWDIR_LIMIT);
	bt_allowdir_free(d);
}

static int
is_exe(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* A real file from `bt makemetafile`, when the binary is at hand. */
static void
test_makemetafile(void)
{
	const char *bin = getenv("BT_BIN");
	char cmd[2048], data[512], out[512], dir[512];
	const struct bt_allowed *l;
	size_t n;
	int changed;

	/* Run by hand: look for it.  From meson: BT_BIN is set, and empty
	 * when bt has no makemetafile (-Dmaketools=false). */
	if (!bin)
		bin = is_exe("build/bt") ? "build/bt" : "./bt";
	if (!is_exe(bin)) {
		printf("test_allowdir: no bt binary (set BT_BIN); makemetafile case skipped\n");
		return;
	}
	mkdir_rel("mm");
	mkdir_rel("mmdata");
	path_of(data, sizeof(data), "mmdata/payload.bin");
	path_of(out, sizeof(out), "mm/payload.torrent");
	write_at("mmdata/payload.bin", "0123456789abcdef", 16, 1000);
	/* A cross build runs bt through meson's exe wrapper (qemu-user); the
	 * variable holds a shell-quoted command line, or nothing natively. */
	const char *wrap = getenv("MESON_EXE_WRAPPER");
	snprintf(cmd, sizeof(cmd), "%s '%s' makemetafile http://x/announce '%s' --target '%s' >/dev/null 2>&1",
		wrap ? wrap : "", bin, data, out);
	CHECK(system(cmd) == 0);
	path_of(dir, sizeof(dir), "mm");
	struct bt_allowdir *d = bt_allowdir_new(dir, NULL);
	CHECK(bt_allowdir_scan(d, &changed) == 0 && changed == 1);
	l = bt_allowdir_list(d, &n);
	CHECK(n == 1);
	if (n == 1) {
		CHECK(l[0].name && strcmp(l[0].name, "payload.bin") == 0);
		CHECK(l[0].size == 16 && l[0].nfiles == 1);
	}
	bt_allowdir_free(d);
}

/* ---- allowed_list ---- */

struct lwarns {
	int n;
	unsigned long line[16];
	char text[16][64];
};

static void
on_line(void *ud, unsigned long line, const char *text, size_t len, const char *why)
{
	struct lwarns *w = ud;
	CHECK(why && why[0]);
	if (w->n >= 16)
		return;
	w->line[w->n] = line;
	snprintf(w->text[w->n], sizeof(w->text[0]), "%.*s", (int)len, text);
	w->n++;
}

static void
test_allowlist(void)
{
	struct bt_allowlist l;
	struct lwarns w = { 0 };
	uint8_t h[20];
	const char *txt =
		"# allowed torrents\n"
		"0123456789abcdef0123456789abcdef01234567\n"	/* 2 */
		"\n"
		"  89ABCDEF0123456789ABCDEF0123456789abcdef  \r\n"	/* 4 */
		"0123456789abcdef0123456789abcdef0123456\n"	/* 5: 39 */
		"0123456789abcdef0123456789abcdef012345678\n"	/* 6: 41 */
		"0123456789abcdef0123456789abcdef0123456g\n"	/* 7: not hex */
		"\t# indented comment\n"
		"0123456789abcdef0123456789abcdef01234567\r\n"	/* 9: repeat */
		"ffffffffffffffffffffffffffffffffffffffff";	/* 10: no newline */

	bt_allowlist_init(&l);
	CHECK(bt_allowlist_load(&l, (const uint8_t *)txt, strlen(txt), on_line, &w) == 3);
	CHECK(l.n == 3);
	CHECK(w.n == 3 && w.line[0] == 5 && w.line[1] == 6 && w.line[2] == 7);
	CHECK(strcmp(w.text[2], "0123456789abcdef0123456789abcdef0123456g") == 0);
	memcpy(h, "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67", 20);
	CHECK(bt_allowlist_contains(&l, h));
	memcpy(h, "\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 20);
	CHECK(bt_allowlist_contains(&l, h));
	memset(h, 0xff, 20);
	CHECK(bt_allowlist_contains(&l, h));
	memset(h, 0xfe, 20);
	CHECK(!bt_allowlist_contains(&l, h));
	struct bt_allowed *e = bt_allowlist_entries(&l);
	CHECK(e && memcmp(e[0].info_hash, "\x01\x23", 2) == 0 && !e[0].name && !e[0].path);
	CHECK(e && memcmp(e[2].info_hash, "\xff\xff", 2) == 0);
	free(e);

	/* empty input empties the list */
	CHECK(bt_allowlist_load(&l, (const uint8_t *)"", 0, NULL, NULL) == 0 && l.n == 0);
	CHECK(bt_allowlist_entries(&l) == NULL);

	/* reload only on change */
	char path[512];
	path_of(path, sizeof(path), "list.txt");
	CHECK(bt_allowlist_reload(&l, path, on_line, &w) == BT_E_IO);
	write_at("list.txt", txt, strlen(txt), 2000);
	w.n = 0;
	CHECK(bt_allowlist_reload(&l, path, on_line, &w) == 1 && l.n == 3 && w.n == 3);
	CHECK(bt_allowlist_reload(&l, path, on_line, &w) == 0 && w.n == 3);
	write_at("list.txt", "ffffffffffffffffffffffffffffffffffffffff\n", 41, 2001);
	CHECK(bt_allowlist_reload(&l, path, on_line, &w) == 1 && l.n == 1);
	rm_rel("list.txt");
	CHECK(bt_allowlist_reload(&l, path, on_line, &w) == BT_E_IO && l.n == 1);
	bt_allowlist_free(&l);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_allowdir.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	test_scan_basic();
	test_semi_recursive();
	test_makemetafile();
	test_allowlist();
	rm_rf(root);
	printf("test_allowdir: %d passed, %d failed\n", pass, fail);
	return fail != 0;
}
