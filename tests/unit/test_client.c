/* test_client.c - the process level of the engine (client.h) and the
 * seams between it and its torrents, in one process on loopback, no
 * tracker:
 *
 *   routing     one client seeds two torrents on one listening port;
 *               leechers of either (and one client leeching both) get
 *               byte-identical data; a raw handshake for an unknown info
 *               hash is closed without a reply, one for a known torrent
 *               gets ours back
 *   bandwidth   bt_band_* by itself, and one client-wide upload limit
 *               over two seeding torrents: the total keeps to the limit
 *               and the torrents share it fairly
 *   no meta     a torrent made from its info hash alone stays idle,
 *               refuses peers, rejects another torrent's metadata, then
 *               checks and downloads once given the right one
 *   checker     three complete torrents are hashed one at a time
 *   idle tick   a seed box with no peers ticks every few seconds, and
 *               wakes up when a peer comes
 *   pex         a leecher given one peer learns the seed from its ut_pex
 *               (BEP 11) and connects to it; not for a private torrent
 *   withdraw    a magnet link's torrent offers ut_pex to a raw peer, then
 *               its metadata comes and says private: an extended
 *               handshake switches ut_pex off (id 0, BEP 10)
 *   donthave    a raw seed takes all its pieces but the last back with
 *               lt_donthave (BEP 54): the leecher asks it for the last
 *               alone; a message of the wrong length closes
 *
 * Every wait is bounded. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bandwidth.h"
#include "bitfield.h"
#include "benc.h"
#include "buf.h"
#include "check.h"
#include "files.h"
#include "client.h"
#include "err.h"
#include "loop.h"
#include "metainfo.h"
#include "net.h"
#include "peerwire.h"
#include "rand.h"
#include "reactor.h"
#include "sha1.h"
#include "torrent.h"

static char tmp[256];
static int verbose;

/* ---- torrents made up for the tests ---- */

struct tfile {
	const char *path;
	size_t len;
};

struct tor {
	const char *name;
	const struct tfile *files;	/* multi-file; NULL: one file */
	size_t nfiles;
	uint8_t *data;
	size_t total;
	struct bt_buf buf;
	struct bt_meta meta;
};

/* A piece spanning several files, an empty file inside. */
static const struct tfile multi_files[] = {
	{ "a.bin", 100000 },
	{ "dir/empty", 0 },
	{ "dir/sub/c.bin", 20000 },
	{ "dir/sub/d.bin", 5 },
	{ "z.bin", 1500001 },
};

static void
tor_data(struct tor *t, size_t total, uint64_t seed)
{
	t->total = total;
	t->data = malloc(total ? total : 1);
	for (size_t i = 0; i < total; i++)
		t->data[i] = (uint8_t)(bt_rand64(&seed) >> 56);
}

static void
put_files(struct bt_bw *w, const struct tor *t)
{
	bt_bw_key(w, "files");
	bt_bw_list(w);
	for (size_t i = 0; i < t->nfiles; i++) {
		char path[128], *save, *tok;
		bt_bw_dict(w);
		bt_bw_key(w, "length");
		bt_bw_int(w, (int64_t)t->files[i].len);
		bt_bw_key(w, "path");
		bt_bw_list(w);
		snprintf(path, sizeof(path), "%s", t->files[i].path);
		for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
			bt_bw_strs(w, tok);
		bt_bw_end(w);
		bt_bw_end(w);
	}
	bt_bw_end(w);
}

/* The metadata of t (its data already made), plen bytes a piece. */
static void
tor_meta(struct tor *t, size_t plen)
{
	struct bt_bw w;
	struct bt_meta_err e;
	size_t np = (t->total + plen - 1) / plen;
	uint8_t *h = malloc(np * 20);

	for (size_t i = 0; i < np; i++) {
		size_t n = t->total - i * plen < plen ? t->total - i * plen : plen;
		bt_sha1(t->data + i * plen, n, h + i * 20);
	}
	bt_buf_init(&t->buf, 0);
	bt_bw_init(&w, &t->buf);
	bt_bw_dict(&w);
	bt_bw_key(&w, "info");
	bt_bw_dict(&w);
	if (t->files) {
		put_files(&w, t);
	} else {
		bt_bw_key(&w, "length");
		bt_bw_int(&w, (int64_t)t->total);
	}
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, t->name);
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, (int64_t)plen);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, h, np * 20);
	bt_bw_end(&w);
	bt_bw_end(&w);
	free(h);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	CHECK_INT(bt_meta_parse(&t->meta, t->buf.p, t->buf.len, &e), ==, 0);
}

static void
tor_multi(struct tor *t, const char *name, uint64_t seed)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->files = multi_files;
	t->nfiles = sizeof(multi_files) / sizeof(multi_files[0]);
	for (size_t i = 0; i < t->nfiles; i++)
		total += t->files[i].len;
	tor_data(t, total, seed);
	tor_meta(t, 32768);
}

/* A single-file torrent; data shared with another (NULL: new data). */
static void
tor_single(struct tor *t, const char *name, size_t total, size_t plen, uint64_t seed,
	const struct tor *same_data)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	if (same_data) {
		t->total = same_data->total;
		t->data = malloc(t->total);
		memcpy(t->data, same_data->data, t->total);
	} else {
		tor_data(t, total, seed);
	}
	tor_meta(t, plen);
}

static void
tor_free(struct tor *t)
{
	bt_meta_free(&t->meta);
	bt_buf_free(&t->buf);
	free(t->data);
}




/* The files of t under root (the file itself for a single-file torrent):
 * written, or compared with t's data. */
static int
tor_files(const struct tor *t, const char *root, int write)
{
	char path[512];
	size_t off = 0;
	int ok = 1;

	if (!t->files) {
		if (write)
			files_write(root, t->data, t->total);
		return write || files_same(root, t->data, t->total);
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, t->files[i].path);
		if (write)
			files_write(path, t->data + off, t->files[i].len);
		else if (!files_same(path, t->data + off, t->files[i].len)) {
			fprintf(stderr, "differs: %s\n", path);
			ok = 0;
		}
		off += t->files[i].len;
	}
	return ok;
}

/* ---- clients and their torrents ---- */

struct node {
	struct bt_torrent *t;
	char root[300];
	uint8_t peer_id[20];
	int finished, closed, fatal;
};

static void
on_msg(void *ud, int kind, const char *text)
{
	struct node *n = ud;

	if (kind == 'F')
		n->fatal = 1;
	if (verbose)
		fprintf(stderr, "[%s] %c %s\n", n->root, kind, text);
}

static void
on_finished(void *ud)
{
	((struct node *)ud)->finished = 1;
}

static void
on_closed(void *ud)
{
	((struct node *)ud)->closed = 1;
}

static const struct bt_torrent_cb cbs = { on_msg, on_finished, on_closed, NULL };

static struct bt_client *
client_new(struct bt_loop *loop)
{
	static unsigned serial;
	struct bt_client_opts co;
	struct bt_client *c = NULL;

	memset(&co, 0, sizeof(co));
	co.listen.minport = 20000;
	co.listen.maxport = 60000;
	co.listen.random_port = 1;
	co.listen.bind = "127.0.0.1";
	co.listen.seed = (uint64_t)getpid() * 31 + (uint64_t)++serial * 7919;
	CHECK_INT(bt_client_new(&c, loop, &co), ==, 0);
	CHECK(c && bt_client_port(c) != 0);
	return c;
}

static void
opts_for(struct bt_torrent_opts *o, const char *root)
{
	static unsigned serial;

	bt_torrent_opts_init(o);
	o->root = root;
	memcpy(o->peer_id, "-bt0100-clienttest00", 20);
	serial++;
	o->peer_id[18] = (uint8_t)('a' + serial / 26 % 26);
	o->peer_id[19] = (uint8_t)('a' + serial % 26);
	o->no_trackers = 1;
	o->seed = serial;
}

/* A torrent of c for tr, its data under tmp/dir (written first when
 * seed), started; rate: its upload and download limit in bytes/s (0:
 * none). */
static int
node_add_rate(struct node *n, struct bt_client *c, const struct tor *tr, const char *dir,
	int seed, uint64_t rate)
{
	struct bt_torrent_opts o;
	int rc;

	memset(n, 0, sizeof(*n));
	snprintf(n->root, sizeof(n->root), "%s/%s/%s", tmp, dir, tr->name);
	if (seed)
		tor_files(tr, n->root, 1);
	opts_for(&o, n->root);
	o.max_upload_rate = o.max_download_rate = rate;
	memcpy(n->peer_id, o.peer_id, 20);
	if ((rc = bt_torrent_new(&n->t, c, tr->meta.info_hash, &o, &cbs, n)) < 0 ||
		(rc = bt_torrent_set_meta(n->t, &tr->meta, NULL)) < 0)
		return rc;
	return bt_torrent_start(n->t);
}

static int
node_add(struct node *n, struct bt_client *c, const struct tor *tr, const char *dir, int seed)
{
	return node_add_rate(n, c, tr, dir, seed, 0);
}

static void
node_connect(struct node *n, const struct bt_client *to)
{
	struct sockaddr_storage a;

	bt_addr_parse(&a, "127.0.0.1", 9, bt_client_port(to));
	bt_torrent_add_peers(n->t, &a, 1);
}

/* Stop the torrents of n[0..k) gracefully and free them. */
static void
nodes_stop(struct bt_loop *loop, struct node *n, size_t k)
{
	int open = 1;

	for (size_t i = 0; i < k; i++)
		if (n[i].t)
			bt_torrent_stop(n[i].t);
	for (int pass = 0; pass < 200 && open; pass++) {
		open = 0;
		for (size_t i = 0; i < k; i++)
			open |= n[i].t && !n[i].closed;
		if (open)
			bt_loop_run_once(loop, 20);
	}
	for (size_t i = 0; i < k; i++) {
		CHECK(!n[i].t || n[i].closed);
		bt_torrent_free(n[i].t);
		n[i].t = NULL;
	}
}

static int
all_seeding(struct node *n, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (bt_torrent_state(n[i].t) != BT_TORRENT_SEEDING)
			return 0;
	return 1;
}

/* Run until the torrents of n[0..k) all seed, at most max_ms. */
static void
run_seeding(struct bt_loop *loop, struct node *n, size_t k, unsigned max_ms)
{
	uint64_t end = loop_now_ms() + max_ms;

	while (!all_seeding(n, k) && loop_now_ms() < end)
		bt_loop_run_once(loop, 20);
}

/* ---- a raw peer: our own bytes on a plain socket ---- */

static int
raw_connect(uint16_t port)
{
	struct sockaddr_storage a;
	int fd;

	bt_addr_parse(&a, "127.0.0.1", 9, port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send a handshake for info_hash on a fresh connection to port. */
static int
raw_handshake(uint16_t port, const uint8_t info_hash[20])
{
	uint8_t hs[BT_PW_HANDSHAKE_LEN];
	int fd = raw_connect(port);

	if (fd < 0)
		return -1;
	bt_pw_handshake_write(hs, info_hash, (const uint8_t *)"-XX0000-rawpeer00000", NULL);
	if (send(fd, hs, sizeof(hs), MSG_NOSIGNAL) != (ssize_t)sizeof(hs)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run the loop while reading fd, until want bytes came, the peer closed,
 * or max_ms passed.  Returns 1 if the peer closed, 0 if not; *got: the
 * bytes read (up to cap kept in out). */
static int
raw_read(struct bt_loop *loop, int fd, uint8_t *out, size_t cap, size_t want, size_t *got,
	unsigned max_ms)
{
	uint64_t end = loop_now_ms() + max_ms;
	uint8_t b[4096];

	*got = 0;
	while (loop_now_ms() < end && *got < want) {
		ssize_t k = recv(fd, b, sizeof(b), MSG_DONTWAIT);

		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			errno != EINTR))
			return 1;
		if (k > 0) {
			size_t keep = cap - *got < (size_t)k ? cap - *got : (size_t)k;
			memcpy(out + *got, b, keep);
			*got += (size_t)k;
			continue;
		}
		bt_loop_run_once(loop, 10);
	}
	return 0;
}

/* A handshake for info_hash to port is closed without a byte back. */
static void
expect_refused(struct bt_loop *loop, uint16_t port, const uint8_t info_hash[20], int line)
{
	uint8_t b[128];
	size_t got = 0;
	int fd = raw_handshake(port, info_hash);

	CHECK_AT(line, fd >= 0);
	if (fd < 0)
		return;
	CHECK_AT(line, raw_read(loop, fd, b, sizeof(b), sizeof(b), &got, 3000) == 1);
	CHECK_INT_AT(line, got, ==, 0);
	close(fd);
}

/* A handshake for info_hash to port gets ours back, for the same torrent
 * and with peer_id; the connection is then left open (returned). */
static int
expect_answered(struct bt_loop *loop, uint16_t port, const uint8_t info_hash[20],
	const uint8_t peer_id[20], int line)
{
	uint8_t b[BT_PW_HANDSHAKE_LEN];
	struct bt_pw_handshake h;
	size_t got = 0;
	int fd = raw_handshake(port, info_hash);

	CHECK_AT(line, fd >= 0);
	if (fd < 0)
		return -1;
	raw_read(loop, fd, b, sizeof(b), sizeof(b), &got, 3000);
	CHECK_INT_AT(line, got, >=, BT_PW_HANDSHAKE_LEN);
	if (got >= BT_PW_HANDSHAKE_LEN &&
		CHECK_INT_AT(line, bt_pw_handshake_parse(b, sizeof(b), &h), ==,
			BT_PW_HANDSHAKE_LEN)) {
		CHECK_MEM_AT(line, h.info_hash, 20, info_hash, 20);
		if (peer_id)
			CHECK_MEM_AT(line, h.peer_id, 20, peer_id, 20);
	}
	return fd;
}

/* ---- 1. one listening port, torrents told apart by info hash ---- */

static struct tor ta, tb;	/* A: multi-file, B: one file */

static void
test_routing(struct bt_loop *loop)
{
	struct bt_client *seed = client_new(loop), *l1 = client_new(loop),
		*l2 = client_new(loop), *l3 = client_new(loop);
	struct node s[2], n[4];	/* n: l1 A, l2 B, l3 A, l3 B */
	struct bt_torrent_stats st;
	const struct tor *want[4] = { &ta, &tb, &ta, &tb };
	uint8_t unknown[20];
	int fd;

	CHECK_INT(node_add(&s[0], seed, &ta, "seed", 1), ==, 0);
	CHECK_INT(node_add(&s[1], seed, &tb, "seed", 1), ==, 0);
	CHECK_INT(bt_client_count(seed), ==, 2);
	CHECK(bt_client_find(seed, ta.meta.info_hash) == s[0].t);
	CHECK(bt_client_find(seed, tb.meta.info_hash) == s[1].t);
	run_seeding(loop, s, 2, 10000);
	CHECK(all_seeding(s, 2));

	/* Handshakes at the raw port: an unknown torrent is closed unanswered,
	 * each known one is answered for itself. */
	memset(unknown, 0x5a, sizeof(unknown));
	expect_refused(loop, bt_client_port(seed), unknown, __LINE__);
	fd = expect_answered(loop, bt_client_port(seed), ta.meta.info_hash, s[0].peer_id,
		__LINE__);
	if (fd >= 0)
		close(fd);
	fd = expect_answered(loop, bt_client_port(seed), tb.meta.info_hash, s[1].peer_id,
		__LINE__);
	if (fd >= 0)
		close(fd);

	CHECK_INT(node_add(&n[0], l1, &ta, "l1", 0), ==, 0);
	CHECK_INT(node_add(&n[1], l2, &tb, "l2", 0), ==, 0);
	CHECK_INT(node_add(&n[2], l3, &ta, "l3", 0), ==, 0);
	CHECK_INT(node_add(&n[3], l3, &tb, "l3", 0), ==, 0);
	CHECK_INT(bt_client_count(l3), ==, 2);
	run_seeding(loop, n, 4, 5000);	/* the empty check */
	for (int i = 0; i < 4; i++) {
		CHECK_INT(bt_torrent_state(n[i].t), ==, BT_TORRENT_DOWNLOADING);
		node_connect(&n[i], seed);
	}
	run_seeding(loop, n, 4, 30000);
	for (int i = 0; i < 4; i++) {
		CHECK(n[i].finished);
		CHECK(!n[i].fatal);
		CHECK(tor_files(want[i], n[i].root, 0));
		bt_torrent_stats(n[i].t, &st);
		CHECK_INT(st.left, ==, 0);
		CHECK_INT(st.downloaded, >=, want[i]->total);
	}
	/* Each seed torrent served its own leechers: two copies of A (l1,
	 * l3), two of B (l2, l3), each through the one port. */
	bt_torrent_stats(s[0].t, &st);
	CHECK_INT(st.uploaded, >=, ta.total);
	if (verbose)
		fprintf(stderr, "seed A up %llu\n", (unsigned long long)st.uploaded);
	bt_torrent_stats(s[1].t, &st);
	CHECK_INT(st.uploaded, >=, tb.total);
	if (verbose)
		fprintf(stderr, "seed B up %llu\n", (unsigned long long)st.uploaded);

	nodes_stop(loop, n, 4);
	nodes_stop(loop, s, 2);
	CHECK_INT(bt_client_count(seed), ==, 0);
	/* The torrent gone, its hash is unknown. */
	expect_refused(loop, bt_client_port(seed), ta.meta.info_hash, __LINE__);
	bt_client_free(seed);
	bt_client_free(l1);
	bt_client_free(l2);
	bt_client_free(l3);
}

/* ---- 2. bandwidth ---- */

static void
test_band_unit(void)
{
	struct bt_band root, a, b, lone;

	bt_band_init(&root, NULL);
	bt_band_init(&a, &root);
	bt_band_init(&b, &root);
	bt_band_init(&lone, NULL);
	/* Nothing limits: everything may go, and use changes nothing. */
	CHECK(!bt_band_limited(&a));
	CHECK(bt_band_allow(&a) == SIZE_MAX);
	bt_band_use(&a, 12345);
	CHECK(bt_band_allow(&a) == SIZE_MAX);
	bt_band_refill(&lone, 10);
	CHECK(bt_band_allow(&lone) == SIZE_MAX);

	/* A parent limit limits its children; budgets start empty. */
	bt_band_set_rate(&root, 1000);
	bt_band_set_rate(&b, 300);
	CHECK(bt_band_limited(&a));
	CHECK(bt_band_limited(&b));
	CHECK(!bt_band_limited(&lone));
	CHECK_INT(bt_band_allow(&a), ==, 0);
	bt_band_refill(&root, 1.0);
	CHECK_INT(bt_band_allow(&root), ==, 1000);
	CHECK_INT(bt_band_allow(&a), ==, 1000);
	CHECK_INT(bt_band_allow(&b), ==, 0);	/* its own budget is empty */
	bt_band_refill(&b, 1.0);
	CHECK_INT(bt_band_allow(&b), ==, 300);
	/* A refill adds the node's own share, not its parent's. */
	CHECK_INT(bt_band_allow(&root), ==, 1000);

	/* Use takes from the node and every limited ancestor. */
	bt_band_use(&b, 200);
	CHECK_INT(bt_band_allow(&b), ==, 100);
	CHECK_INT(bt_band_allow(&a), ==, 800);
	bt_band_use(&a, 900);	/* more than the root had: it runs negative */
	CHECK_INT(bt_band_allow(&a), ==, 0);
	CHECK_INT(bt_band_allow(&b), ==, 0);	/* b has 100, the root none */
	bt_band_refill(&root, 0.05);		/* -100 + 50 */
	CHECK_INT(bt_band_allow(&a), ==, 0);
	bt_band_refill(&root, 0.5);		/* -50 + 500 */
	CHECK_INT(bt_band_allow(&a), ==, 450);
	CHECK_INT(bt_band_allow(&b), ==, 100);

	/* The burst cap: an idle spell fills at most BT_BAND_BURST_S. */
	bt_band_refill(&root, 100);
	CHECK_INT(bt_band_allow(&root), ==, (long long)(1000 * BT_BAND_BURST_S));
	bt_band_refill(&b, 100);
	CHECK_INT(bt_band_allow(&b), ==, (long long)(300 * BT_BAND_BURST_S));
	/* A lower rate cuts the budget to the new cap. */
	bt_band_set_rate(&root, 100);
	CHECK_INT(bt_band_allow(&a), ==, (long long)(100 * BT_BAND_BURST_S));
	CHECK_INT(bt_band_allow(&b), ==, (long long)(100 * BT_BAND_BURST_S));

	/* No limit at the root any more: only b's own is left. */
	bt_band_set_rate(&root, 0);
	CHECK(!bt_band_limited(&a));
	CHECK(bt_band_allow(&a) == SIZE_MAX);
	CHECK_INT(bt_band_allow(&b), ==, (long long)(300 * BT_BAND_BURST_S));
	bt_band_use(&b, 1000);
	CHECK_INT(bt_band_allow(&b), ==, (long long)(300 * BT_BAND_BURST_S - 1000));
	bt_band_refill(&root, 10);
	CHECK(bt_band_allow(&a) == SIZE_MAX);
}

#define LIMIT		200000u		/* bytes/s over both torrents */
#define WARMUP_MS	1500
#define WINDOW_MS	5000

static uint64_t
uploaded(const struct node *n)
{
	struct bt_torrent_stats st;

	bt_torrent_stats(n->t, &st);
	return st.uploaded;
}

static void
test_band_shared(struct bt_loop *loop)
{
	struct bt_client *seed = client_new(loop), *l1 = client_new(loop),
		*l2 = client_new(loop);
	struct node s[2], n[2];
	uint64_t end, t0, t1, a0, b0, a1, b1, sum;
	double secs, rate;

	/* The data of the first test. */
	CHECK_INT(node_add(&s[0], seed, &ta, "seed", 0), ==, 0);
	CHECK_INT(node_add(&s[1], seed, &tb, "seed", 0), ==, 0);
	CHECK_INT(node_add(&n[0], l1, &ta, "bw1", 0), ==, 0);
	CHECK_INT(node_add(&n[1], l2, &tb, "bw2", 0), ==, 0);
	run_seeding(loop, s, 2, 10000);
	CHECK(all_seeding(s, 2));
	/* The limit now, so no budget was saved up while checking. */
	bt_client_set_rates(seed, LIMIT, 0);
	node_connect(&n[0], seed);
	node_connect(&n[1], seed);

	end = loop_now_ms() + 5000;
	while (uploaded(&s[0]) + uploaded(&s[1]) == 0 && loop_now_ms() < end)
		bt_loop_run_once(loop, 20);
	CHECK_INT(uploaded(&s[0]) + uploaded(&s[1]), >, 0);
	loop_run_until(loop, NULL, 0, WARMUP_MS);
	t0 = loop_now_ms();
	a0 = uploaded(&s[0]);
	b0 = uploaded(&s[1]);
	loop_run_until(loop, NULL, 0, WINDOW_MS);
	t1 = loop_now_ms();
	a1 = uploaded(&s[0]);
	b1 = uploaded(&s[1]);
	secs = (t1 - t0) / 1000.0;
	sum = (a1 - a0) + (b1 - b0);
	rate = sum / secs;
	if (verbose)
		fprintf(stderr, "shared limit: %.0f B/s over %.2f s (A %llu, B %llu)\n", rate,
			secs, (unsigned long long)(a1 - a0), (unsigned long long)(b1 - b0));
	CHECK_INT(rate, >=, LIMIT * 0.85);
	CHECK_INT(rate, <=, LIMIT * 1.15);
	/* Fair shares between the two torrents. */
	CHECK_INT((a1 - a0) * 100, >=, sum * 35);
	CHECK_INT((a1 - a0) * 100, <=, sum * 65);
	/* Neither leecher could have finished at this rate. */
	CHECK(!n[0].finished && !n[1].finished);

	nodes_stop(loop, n, 2);
	nodes_stop(loop, s, 2);
	bt_client_free(seed);
	bt_client_free(l1);
	bt_client_free(l2);
}

/* ---- 3. a torrent made from its info hash alone ---- */

static void
test_no_meta(struct bt_loop *loop)
{
	struct bt_client *seed = client_new(loop), *c = client_new(loop);
	struct node s, n;
	struct bt_torrent_opts o;
	struct bt_torrent_stats st, zero;
	struct bt_torrent *t2;

	CHECK_INT(node_add(&s, seed, &ta, "seed", 0), ==, 0);

	memset(&n, 0, sizeof(n));
	snprintf(n.root, sizeof(n.root), "%s/nometa/%s", tmp, ta.name);
	opts_for(&o, n.root);
	CHECK_INT(bt_torrent_new(&n.t, c, ta.meta.info_hash, &o, &cbs, &n), ==, 0);
	if (!n.t)
		return;
	CHECK(!bt_torrent_has_meta(n.t));
	CHECK_MEM(bt_torrent_info_hash(n.t), 20, ta.meta.info_hash, 20);
	CHECK(bt_client_find(c, ta.meta.info_hash) == n.t);
	/* One torrent per info hash in a client. */
	t2 = n.t;
	CHECK_INT(bt_torrent_new(&t2, c, ta.meta.info_hash, &o, &cbs, NULL), ==, BT_E_EXIST);
	CHECK(t2 == NULL);
	CHECK_INT(bt_client_count(c), ==, 1);

	/* Not started: peers of the torrent are refused. */
	expect_refused(loop, bt_client_port(c), ta.meta.info_hash, __LINE__);
	/* Started without metadata: it waits for it, quietly. */
	CHECK_INT(bt_torrent_start(n.t), ==, 0);
	loop_run_until(loop, NULL, 0, 600);
	CHECK_INT(bt_torrent_state(n.t), ==, BT_TORRENT_IDLE);
	memset(&zero, 0, sizeof(zero));
	bt_torrent_stats(n.t, &st);
	CHECK_MEM(&st, sizeof(st), &zero, sizeof(zero));
	CHECK_INT(bt_torrent_peers(n.t, NULL, 0), ==, 0);
	/* Started, its peers are answered: they may have the metadata
	 * (BEP 9). */
	{
		int fd = expect_answered(loop, bt_client_port(c), ta.meta.info_hash, NULL, __LINE__);
		if (fd >= 0)
			close(fd);
	}

	/* Another torrent's metadata is not taken. */
	CHECK_INT(bt_torrent_set_meta(n.t, &tb.meta, NULL), ==, BT_E_INVAL);
	CHECK(!bt_torrent_has_meta(n.t));
	CHECK_INT(bt_torrent_state(n.t), ==, BT_TORRENT_IDLE);

	/* The right metadata with priorities storage cannot take: refused,
	 * and nothing of it stays behind for the next try. */
	{
		int8_t bad[sizeof(multi_files) / sizeof(multi_files[0])] = { 0, 0, 9, 0, 0 };
		CHECK_INT(bt_torrent_set_meta(n.t, &ta.meta, bad), ==, BT_E_INVAL);
		CHECK(!bt_torrent_has_meta(n.t));
		CHECK_INT(bt_torrent_state(n.t), ==, BT_TORRENT_IDLE);
		bt_torrent_stats(n.t, &st);
		CHECK_MEM(&st, sizeof(st), &zero, sizeof(zero));
	}

	/* The right metadata: the remembered start goes ahead. */
	CHECK_INT(bt_torrent_set_meta(n.t, &ta.meta, NULL), ==, 0);
	CHECK(bt_torrent_has_meta(n.t));
	CHECK(bt_torrent_state(n.t) == BT_TORRENT_CHECK_WAIT ||
		bt_torrent_state(n.t) == BT_TORRENT_CHECKING);
	CHECK_INT(bt_torrent_set_meta(n.t, &ta.meta, NULL), ==, BT_E_INVAL);	/* once */
	CHECK_INT(bt_torrent_start(n.t), ==, BT_E_INVAL);
	run_seeding(loop, &s, 1, 10000);
	CHECK(all_seeding(&s, 1));
	node_connect(&n, seed);
	run_seeding(loop, &n, 1, 30000);
	CHECK(n.finished);
	CHECK(!n.fatal);
	CHECK(tor_files(&ta, n.root, 0));
	bt_torrent_stats(n.t, &st);
	CHECK_INT(st.total, ==, ta.total);
	CHECK_INT(st.left, ==, 0);
	/* With metadata it is reachable: a handshake is answered. */
	{
		int fd = expect_answered(loop, bt_client_port(c), ta.meta.info_hash,
			o.peer_id, __LINE__);
		if (fd >= 0)
			close(fd);
	}

	nodes_stop(loop, &n, 1);
	nodes_stop(loop, &s, 1);
	bt_client_free(seed);
	bt_client_free(c);
}

/* ---- 6. peer exchange (BEP 11) ---- */

static struct tor tp[2];	/* public, private (BEP 27) */

/* Run until C has at least want peers, at most max_ms; its most peers. */
static size_t
run_peers(struct bt_loop *loop, struct node *c, size_t want, unsigned max_ms)
{
	uint64_t end = loop_now_ms() + max_ms;
	size_t most = 0, k;

	while (most < want && loop_now_ms() < end) {
		bt_loop_run_once(loop, 20);
		k = bt_torrent_peers(c->t, NULL, 0);
		most = k > most ? k : most;
	}
	return most;
}

/* A seeds, B (slow) leeches from A, C is given only B: C must
 * learn A from B's ut_pex and get a connection to it (nobody else is
 * there), then finish.  With a private torrent C stays with B alone. */
static void
test_pex(struct bt_loop *loop, const struct tor *tr, int private)
{
	struct bt_client *a = client_new(loop), *b = client_new(loop), *c = client_new(loop);
	struct node n[3];
	size_t most;

	CHECK_INT(node_add(&n[0], a, tr, private ? "pexp/a" : "pex/a", 1), ==, 0);
	CHECK_INT(node_add_rate(&n[1], b, tr, private ? "pexp/b" : "pex/b", 0, 65536), ==, 0);
	CHECK_INT(node_add(&n[2], c, tr, private ? "pexp/c" : "pex/c", 0), ==, 0);
	run_seeding(loop, n, 1, 10000);
	CHECK(all_seeding(n, 1));
	node_connect(&n[1], a);
	CHECK_INT(run_peers(loop, &n[1], 1, 5000), ==, 1);
	node_connect(&n[2], b);
	most = run_peers(loop, &n[2], 2, private ? 7000 : 12000);
	if (private) {
		CHECK_INT(most, ==, 1);
	} else {
		CHECK_INT(most, ==, 2);
		run_seeding(loop, &n[2], 1, 30000);
		CHECK(n[2].finished && tor_files(tr, n[2].root, 0));
	}
	nodes_stop(loop, n, 3);
	bt_client_free(a);
	bt_client_free(b);
	bt_client_free(c);
}

/* ---- 4. hash checks, one torrent at a time; 5. the idle tick ---- */

static struct tor tc[3];	/* one data set under three names */

static void
test_checker_idle(struct bt_loop *loop)
{
	struct bt_client *c = client_new(loop);
	struct node n[3];
	struct bt_client_stats cs0, cs1;
	int max_checking = 0, bad_state = 0, out_of_order = 0, mid_check = 0, passes = 0;
	int waited[3] = { 0, 0, 0 };
	uint64_t end;
	int fd;

	for (int i = 0; i < 3; i++)
		CHECK_INT(node_add(&n[i], c, &tc[i], "check", 1), ==, 0);
	/* The first shows checking at once, the others wait. */
	CHECK_INT(bt_torrent_state(n[0].t), ==, BT_TORRENT_CHECKING);
	CHECK_INT(bt_torrent_state(n[1].t), ==, BT_TORRENT_CHECK_WAIT);
	CHECK_INT(bt_torrent_state(n[2].t), ==, BT_TORRENT_CHECK_WAIT);
	end = loop_now_ms() + 30000;
	while (!all_seeding(n, 3) && loop_now_ms() < end) {
		int checking = 0;

		bt_loop_run_once(loop, 10);
		passes++;
		for (int i = 0; i < 3; i++) {
			struct bt_torrent_stats st;

			bt_torrent_stats(n[i].t, &st);
			switch (st.state) {
			case BT_TORRENT_CHECKING:
				checking++;
				mid_check |= st.checked > 0 && st.checked < st.check_total;
				break;
			case BT_TORRENT_CHECK_WAIT:
				waited[i] = 1;
				break;
			case BT_TORRENT_SEEDING:
				CHECK(st.complete_at_start);
				break;
			default:
				bad_state++;
			}
			/* In the order they were started. */
			if (i > 0 && st.state != BT_TORRENT_CHECK_WAIT &&
				bt_torrent_state(n[i - 1].t) != BT_TORRENT_SEEDING)
				out_of_order++;
		}
		if (checking > max_checking)
			max_checking = checking;
	}
	if (verbose)
		fprintf(stderr, "checker: %d passes\n", passes);
	CHECK(all_seeding(n, 3));
	CHECK_INT(max_checking, ==, 1);
	CHECK_INT(bad_state, ==, 0);
	CHECK_INT(out_of_order, ==, 0);
	CHECK(waited[1] && waited[2]);
	CHECK(mid_check);	/* checked in slices, progress shown */
	for (int i = 0; i < 3; i++)
		CHECK(!n[i].fatal);

	/* An idle seed box: one torrent, no peers. */
	nodes_stop(loop, n + 1, 2);
	CHECK_INT(bt_client_count(c), ==, 1);
	loop_run_until(loop, NULL, 0, 600);	/* settle: the tick notices */
	bt_client_stats(c, &cs0);
	loop_run_until(loop, NULL, 0, 6000);
	bt_client_stats(c, &cs1);
	if (verbose)
		fprintf(stderr, "idle: %llu ticks, %llu idle in 6 s\n",
			(unsigned long long)(cs1.ticks - cs0.ticks),
			(unsigned long long)(cs1.idle_ticks - cs0.idle_ticks));
	CHECK_INT(cs1.torrents, ==, 1);
	CHECK_INT(cs1.ticks - cs0.ticks, <=, 3);	/* 24 at the full rate */
	CHECK_INT(cs1.idle_ticks - cs0.idle_ticks, >=, 1);
	CHECK_INT(cs1.idle_ticks - cs0.idle_ticks, ==, cs1.ticks - cs0.ticks);

	/* A peer comes: full rate again. */
	fd = expect_answered(loop, bt_client_port(c), tc[0].meta.info_hash, n[0].peer_id,
		__LINE__);
	bt_client_stats(c, &cs0);
	loop_run_until(loop, NULL, 0, 1500);
	bt_client_stats(c, &cs1);
	CHECK_INT(cs1.ticks - cs0.ticks, >=, 4);
	CHECK_INT(cs1.idle_ticks, ==, cs0.idle_ticks);
	if (fd >= 0)
		close(fd);

	nodes_stop(loop, n, 1);
	bt_client_free(c);
}

/* ---- 7. lt_donthave from a raw seed ---- */

/* The messages in b[0..n) after the handshake: the first extended
 * handshake's id for name (0: none) and, for each REQUEST, its piece
 * counted in req[] (npieces entries). */
static uint8_t
scan_msgs(const uint8_t *b, size_t n, const char *name, unsigned *req, uint32_t npieces)
{
	uint8_t id = 0;

	for (size_t o = BT_PW_HANDSHAKE_LEN; o + 4 <= n;) {
		uint32_t len = (uint32_t)b[o] << 24 | (uint32_t)b[o + 1] << 16 |
			(uint32_t)b[o + 2] << 8 | b[o + 3];
		const uint8_t *m = b + o + 4;

		if (len > n - o - 4)
			break;
		if (len >= 2 && m[0] == BT_PW_EXTENDED && m[1] == 0 && !id) {
			struct bt_pw_exthandshake h;
			if (bt_pw_exthandshake_parse(m + 2, len - 2, &h) == 0)
				id = bt_pw_ext_lookup(&h, name);
		}
		if (len == 13 && m[0] == BT_PW_REQUEST) {
			uint32_t piece = (uint32_t)m[1] << 24 | (uint32_t)m[2] << 16 |
				(uint32_t)m[3] << 8 | m[4];
			if (piece < npieces)
				req[piece]++;
		}
		o += 4 + len;
	}
	return id;
}

static void
raw_ext(int fd, uint8_t id, const uint8_t *p, size_t n)
{
	struct bt_buf b;

	bt_buf_init(&b, 0);
	bt_pw_write_extended(&b, id, p, n);
	CHECK(send(fd, b.p, b.len, MSG_NOSIGNAL) == (ssize_t)b.len);
	bt_buf_free(&b);
}

static void
test_donthave(struct bt_loop *loop, const struct tor *tr)
{
	struct bt_client *c = client_new(loop);
	uint32_t np = (uint32_t)tr->meta.npieces;
	uint8_t *buf = malloc(1u << 20), rsv[8] = { 0 }, hs[BT_PW_HANDSHAKE_LEN], piece0[4] = { 0 };
	unsigned *req = calloc(np, sizeof(*req));
	struct bt_pw_exthandshake h;
	struct bt_buf b;
	struct node n;
	size_t got = 0;
	uint8_t id = 0;
	int fd;

	CHECK_INT(node_add(&n, c, tr, "donthave", 0), ==, 0);
	loop_run_until(loop, NULL, 0, 500);	/* checked: nothing there */
	fd = raw_connect(bt_client_port(c));
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	rsv[5] = 0x10;	/* BEP 10 */
	bt_pw_handshake_write(hs, tr->meta.info_hash, (const uint8_t *)"-XX0000-rawseed00000", rsv);
	CHECK(send(fd, hs, sizeof(hs), MSG_NOSIGNAL) == (ssize_t)sizeof(hs));
	bt_buf_init(&b, 0);
	bt_pw_exthandshake_init(&h);
	bt_pw_ext_add(&h, "lt_donthave", 9);
	CHECK_INT(bt_pw_exthandshake_write(&b, &h), ==, 0);
	raw_ext(fd, 0, b.p, b.len);
	bt_buf_free(&b);
	for (int pass = 0; pass < 50 && !id; pass++) {
		size_t k = 0;
		raw_read(loop, fd, buf + got, (1u << 20) - got, 1, &k, 100);
		got += k;
		id = scan_msgs(buf, got, "lt_donthave", req, np);
	}
	CHECK_INT(id, !=, 0);
	/* Every piece, then all but the last taken back, then unchoked. */
	bt_buf_init(&b, 0);
	{
		struct bt_bitfield all;
		bt_bitfield_init(&all, np);
		bt_bitfield_set_all(&all);
		bt_pw_write_bitfield(&b, all.bits, bt_bitfield_bytes(np));
		bt_bitfield_fini(&all);
	}
	CHECK(send(fd, b.p, b.len, MSG_NOSIGNAL) == (ssize_t)b.len);
	bt_buf_free(&b);
	for (uint32_t i = 0; i + 1 < np; i++) {
		uint8_t ix[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
			(uint8_t)i };
		raw_ext(fd, id, ix, 4);
	}
	bt_buf_init(&b, 0);
	bt_pw_write_unchoke(&b);
	CHECK(send(fd, b.p, b.len, MSG_NOSIGNAL) == (ssize_t)b.len);
	bt_buf_free(&b);
	for (int pass = 0; pass < 20; pass++) {
		size_t k = 0;
		raw_read(loop, fd, buf + got, (1u << 20) - got, 1, &k, 100);
		got += k;
	}
	memset(req, 0, np * sizeof(*req));
	scan_msgs(buf, got, "lt_donthave", req, np);
	for (uint32_t i = 0; i + 1 < np; i++)
		CHECK_INT(req[i], ==, 0);
	CHECK_INT(req[np - 1], >, 0);
	/* The wrong length closes. */
	raw_ext(fd, id, piece0, 3);
	{
		size_t k = 0;
		CHECK(raw_read(loop, fd, buf, 1u << 20, 1u << 20, &k, 3000) == 1);
	}
	close(fd);
out:
	nodes_stop(loop, &n, 1);
	bt_client_free(c);
	free(req);
	free(buf);
}

/* ---- 8. a magnet's metadata says private: ut_pex withdrawn ---- */

/* In b[0..n) after the handshake: how many extended handshakes name
 * ut_pex with a non-zero id (*on) and with id 0 (*off). */
static void
scan_pex(const uint8_t *b, size_t n, int *on, int *off)
{
	*on = *off = 0;
	for (size_t o = BT_PW_HANDSHAKE_LEN; o + 4 <= n;) {
		uint32_t len = (uint32_t)b[o] << 24 | (uint32_t)b[o + 1] << 16 |
			(uint32_t)b[o + 2] << 8 | b[o + 3];
		const uint8_t *m = b + o + 4;
		struct bt_pw_exthandshake h;

		if (len > n - o - 4)
			break;
		if (len >= 2 && m[0] == BT_PW_EXTENDED && m[1] == 0 &&
			bt_pw_exthandshake_parse(m + 2, len - 2, &h) == 0)
			for (unsigned k = 0; k < h.nm; k++)
				if (strcmp(h.m[k].name, "ut_pex") == 0)
					*(h.m[k].id ? on : off) += 1;
		o += 4 + len;
	}
}

static void
test_withdraw(struct bt_loop *loop, const struct tor *tr)
{
	struct bt_client *c = client_new(loop);
	uint8_t *buf = malloc(1u << 16), rsv[8] = { 0 }, hs[BT_PW_HANDSHAKE_LEN];
	struct bt_pw_exthandshake h;
	struct bt_torrent_opts o;
	struct bt_buf b;
	struct node n;
	size_t got = 0;
	int on = 0, off = 0, fd;

	memset(&n, 0, sizeof(n));
	snprintf(n.root, sizeof(n.root), "%s/withdraw/%s", tmp, tr->name);
	opts_for(&o, n.root);
	CHECK_INT(bt_torrent_new(&n.t, c, tr->meta.info_hash, &o, &cbs, &n), ==, 0);
	CHECK_INT(bt_torrent_start(n.t), ==, 0);
	fd = raw_connect(bt_client_port(c));
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	rsv[5] = 0x10;
	bt_pw_handshake_write(hs, tr->meta.info_hash, (const uint8_t *)"-XX0000-rawpeer00000", rsv);
	CHECK(send(fd, hs, sizeof(hs), MSG_NOSIGNAL) == (ssize_t)sizeof(hs));
	bt_buf_init(&b, 0);
	bt_pw_exthandshake_init(&h);
	bt_pw_ext_add(&h, "ut_pex", 5);
	CHECK_INT(bt_pw_exthandshake_write(&b, &h), ==, 0);
	raw_ext(fd, 0, b.p, b.len);
	bt_buf_free(&b);
	for (int pass = 0; pass < 30 && !on; pass++) {
		size_t k = 0;
		raw_read(loop, fd, buf + got, (1u << 16) - got, 1, &k, 100);
		got += k;
		scan_pex(buf, got, &on, &off);
	}
	CHECK_INT(on, ==, 1);	/* offered: the flag is not known yet */
	CHECK_INT(off, ==, 0);
	CHECK_INT(bt_torrent_set_meta(n.t, &tr->meta, NULL), ==, 0);
	for (int pass = 0; pass < 30 && !off; pass++) {
		size_t k = 0;
		raw_read(loop, fd, buf + got, (1u << 16) - got, 1, &k, 100);
		got += k;
		scan_pex(buf, got, &on, &off);
	}
	CHECK_INT(off, ==, 1);
	close(fd);
out:
	nodes_stop(loop, &n, 1);
	bt_client_free(c);
	free(buf);
}

int
main(void)
{
	struct bt_loop *loop;
	uint64_t t0 = loop_now_ms();
	char cmd[400];

	verbose = getenv("TEST_VERBOSE") != NULL;
	snprintf(tmp, sizeof(tmp), "%s/bt-client-XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	tor_multi(&ta, "multi", 7);
	tor_single(&tb, "single.bin", 1234567, 65536, 11, NULL);
	CHECK(memcmp(ta.meta.info_hash, tb.meta.info_hash, 20) != 0);
	tor_single(&tc[0], "c0.bin", 9u << 20, 256u << 10, 13, NULL);
	tor_single(&tc[1], "c1.bin", 0, 256u << 10, 0, &tc[0]);
	tor_single(&tc[2], "c2.bin", 0, 256u << 10, 0, &tc[0]);
	tor_single(&tp[0], "pex.bin", 3u << 20, 256u << 10, 17, NULL);
	tor_single(&tp[1], "pexp.bin", 0, 256u << 10, 0, &tp[0]);
	tp[1].meta.priv = 1;	/* the flag is all the engine looks at */

	loop = bt_loop_new(1024);
	test_band_unit();
	test_routing(loop);
	test_band_shared(loop);
	test_no_meta(loop);
	test_checker_idle(loop);
	test_pex(loop, &tp[0], 0);
	test_pex(loop, &tp[1], 1);
	test_donthave(loop, &tb);
	test_withdraw(loop, &tp[1]);
	bt_loop_free(loop);
	if (verbose)
		fprintf(stderr, "%.1f s\n", (loop_now_ms() - t0) / 1000.0);

	tor_free(&ta);
	tor_free(&tb);
	for (int i = 0; i < 3; i++)
		tor_free(&tc[i]);
	tor_free(&tp[0]);
	tor_free(&tp[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_summary("client");
}
