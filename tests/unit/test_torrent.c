/* test_session.c - the download engine end to end, in one process on
 * loopback: a seed session and leecher sessions on one reactor, each with
 * its own listener, no tracker.  Checks that the data arrives byte for
 * byte across file boundaries, that leechers trade with each other, that
 * a restart resumes, and that a peer sending corrupt data is banned while
 * the download still completes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benc.h"
#include "buf.h"
#include "check.h"
#include "files.h"
#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "client.h"
#include "rand.h"
#include "reactor.h"
#include "torrent.h"
#include "sha1.h"

static char tmp[256];
/* Options for the next node_start. */
static int next_super;
static uint64_t next_up_rate;
static int next_nometa;		/* from the info hash alone (a magnet link) */
/* The next node's client crypto options: allowed, only. */
static int next_crypto_allowed, next_crypto_only;

struct tfile {
	const char *path;
	size_t len;
};

/* The torrent: a piece spanning three files with an empty one inside. */
static const struct tfile files[] = {
	{ "a.bin", 100000 },
	{ "dir/empty", 0 },
	{ "dir/sub/c.bin", 20000 },
	{ "dir/sub/d.bin", 5 },
	{ "z.bin", 1500001 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))
#define PLEN 32768

static uint8_t *data;
static size_t total;




static struct bt_buf torrent;
static struct bt_meta meta;

static void
make_torrent(void)
{
	struct bt_bw w;
	struct bt_meta_err e;
	size_t off = 0, np;
	uint64_t rs = 7;

	for (size_t i = 0; i < NFILES; i++)
		total += files[i].len;
	data = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(bt_rand64(&rs) >> 56);
	np = (total + PLEN - 1) / PLEN;
	bt_buf_init(&torrent, 0);
	bt_bw_init(&w, &torrent);
	bt_bw_dict(&w);
	bt_bw_key(&w, "info");
	bt_bw_dict(&w);
	bt_bw_key(&w, "files");
	bt_bw_list(&w);
	for (size_t i = 0; i < NFILES; i++) {
		char path[128], *save, *tok;
		bt_bw_dict(&w);
		bt_bw_key(&w, "length");
		bt_bw_int(&w, (int64_t)files[i].len);
		bt_bw_key(&w, "path");
		bt_bw_list(&w);
		snprintf(path, sizeof(path), "%s", files[i].path);
		for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
			bt_bw_strs(&w, tok);
		bt_bw_end(&w);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, "multi");
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, PLEN);
	bt_bw_key(&w, "pieces");
	{
		uint8_t *h = malloc(np * 20);
		for (size_t i = 0; i < np; i++) {
			size_t n = total - i * PLEN < PLEN ? total - i * PLEN : PLEN;
			bt_sha1(data + i * PLEN, n, h + i * 20);
		}
		bt_bw_str(&w, h, np * 20);
		free(h);
	}
	bt_bw_end(&w);
	bt_bw_end(&w);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	CHECK_INT(bt_meta_parse(&meta, torrent.p, torrent.len, &e), ==, 0);
	(void)off;
}

static void
write_data(const char *root)
{
	size_t off = 0;
	char path[512];

	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i].path);
		files_write(path, data + off, files[i].len);
		off += files[i].len;
	}
}

static int
check_data(const char *root)
{
	size_t off = 0;
	char path[512];
	int ok = 1;

	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i].path);
		if (!files_same(path, data + off, files[i].len)) {
			fprintf(stderr, "differs: %s\n", path);
			ok = 0;
		}
		off += files[i].len;
	}
	return ok;
}

/* ---- a node: one session with its own listener ---- */

struct node {
	struct bt_torrent *s;
	struct bt_client *l;
	char root[300];
	int finished, closed, fatal;
};

static void
on_msg(void *ud, int kind, const char *text)
{
	struct node *n = ud;
	if (kind == 'F')
		n->fatal = 1;
	if (getenv("TEST_VERBOSE"))
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

static int
node_start(struct node *n, struct bt_loop *loop, const char *name, int idx)
{
	struct bt_torrent_opts o;
	struct bt_client_opts co;
	struct bt_peerlisten_opts lo;
	char resume[400];

	memset(n, 0, sizeof(*n));
	snprintf(n->root, sizeof(n->root), "%s/%s/multi", tmp, name);
	snprintf(resume, sizeof(resume), "%s/%s.resume", tmp, name);
	memset(&lo, 0, sizeof(lo));
	lo.minport = 20000;
	lo.maxport = 60000;
	lo.random_port = 1;
	lo.bind = "127.0.0.1";
	lo.seed = (uint64_t)getpid() * 31 + (uint64_t)idx * 7919;
	memset(&co, 0, sizeof(co));
	co.listen = lo;
	co.crypto_allowed = next_crypto_allowed;
	co.crypto_only = next_crypto_only;
	next_crypto_allowed = next_crypto_only = 0;
	if (bt_client_new(&n->l, loop, &co) < 0)
		return -1;
	bt_torrent_opts_init(&o);
	o.root = n->root;
	o.resume_path = resume;
	memcpy(o.peer_id, "-bt0100-test00000000", 20);
	o.peer_id[19] = (uint8_t)('a' + idx);
	o.no_trackers = 1;
	o.seed = (uint64_t)idx + 1;
	o.super_seeder = next_super;
	o.max_upload_rate = next_up_rate;
	next_super = 0;
	next_up_rate = 0;
	if (bt_torrent_new(&n->s, n->l, meta.info_hash, &o, &cbs, n) < 0)
		return -1;
	if (next_nometa) {
		next_nometa = 0;
		return bt_torrent_start(n->s);
	}
	if (bt_torrent_set_meta(n->s, &meta, NULL) < 0)
		return -1;
	return bt_torrent_start(n->s);
}

static void
node_connect(struct node *from, const struct node *to)
{
	struct sockaddr_storage a;
	bt_addr_parse(&a, "127.0.0.1", 9, bt_client_port(to->l));
	bt_torrent_add_peers(from->s, &a, 1);
}

static void
node_stop(struct bt_loop *loop, struct node *n)
{
	bt_torrent_stop(n->s);
	for (int i = 0; i < 200 && !n->closed; i++)
		bt_loop_run_once(loop, 50);
	bt_torrent_free(n->s);
	bt_client_free(n->l);
	n->s = NULL;
}

static int
all_finished(struct node *n, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (bt_torrent_state(n[i].s) != BT_TORRENT_SEEDING)
			return 0;
	return 1;
}

static void
run_until(struct bt_loop *loop, struct node *n, size_t k, int secs)
{
	for (int i = 0; i < secs * 20 && !all_finished(n, k); i++)
		bt_loop_run_once(loop, 50);
}

static void
test_one_leecher(struct bt_loop *loop)
{
	struct node seed, leech;
	char root[300];
	struct bt_torrent_stats st;

	snprintf(root, sizeof(root), "%s/seed/multi", tmp);
	write_data(root);
	CHECK_INT(node_start(&seed, loop, "seed", 0), ==, 0);
	CHECK_INT(node_start(&leech, loop, "leech", 1), ==, 0);
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	CHECK(bt_torrent_state(seed.s) == BT_TORRENT_SEEDING);
	node_connect(&leech, &seed);
	run_until(loop, &leech, 1, 20);
	CHECK(leech.finished);
	CHECK(check_data(leech.root));
	bt_torrent_stats(leech.s, &st);
	CHECK_INT(st.left, ==, 0);
	CHECK_INT(st.downloaded, >=, total);
	node_stop(loop, &seed);
	node_stop(loop, &leech);
	CHECK(leech.closed);

	/* A restart resumes from the record: complete at once, nothing
	 * downloaded. */
	CHECK_INT(node_start(&leech, loop, "leech", 1), ==, 0);
	for (int i = 0; i < 40 && bt_torrent_state(leech.s) == BT_TORRENT_CHECKING; i++)
		bt_loop_run_once(loop, 10);
	bt_torrent_stats(leech.s, &st);
	CHECK(st.state == BT_TORRENT_SEEDING);
	CHECK(st.complete_at_start);
	CHECK_INT(st.downloaded, ==, 0);
	node_stop(loop, &leech);
}

/* A leecher with the info hash alone gets the metadata from the seed
 * (ut_metadata), then the data; a seed started after it dials in. */
static void
test_magnet(struct bt_loop *loop)
{
	struct node seed, leech;
	char root[300];

	snprintf(root, sizeof(root), "%s/mseed/multi", tmp);
	write_data(root);
	CHECK_INT(node_start(&seed, loop, "mseed", 0), ==, 0);
	next_nometa = 1;
	CHECK_INT(node_start(&leech, loop, "mleech", 1), ==, 0);
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	CHECK(!bt_torrent_has_meta(leech.s));
	CHECK(bt_torrent_state(leech.s) == BT_TORRENT_IDLE);
	node_connect(&leech, &seed);
	run_until(loop, &leech, 1, 20);
	CHECK(bt_torrent_has_meta(leech.s));
	CHECK(leech.finished);
	CHECK(check_data(leech.root));
	node_stop(loop, &seed);
	node_stop(loop, &leech);

	/* The other way round: the seed dials the waiting leecher. */
	CHECK_INT(node_start(&seed, loop, "mseed", 0), ==, 0);
	next_nometa = 1;
	CHECK_INT(node_start(&leech, loop, "mleech2", 2), ==, 0);
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	node_connect(&seed, &leech);
	run_until(loop, &leech, 1, 20);
	CHECK(bt_torrent_has_meta(leech.s));
	CHECK(leech.finished);
	CHECK(check_data(leech.root));
	node_stop(loop, &seed);
	node_stop(loop, &leech);
}

/* A leecher fetching from the seed under the given crypto options (the
 * seed's, the leecher's: 0 off, 1 crypto_allowed, 2 crypto_only);
 * whether it finished within secs. */
static int
crypto_run(struct bt_loop *loop, int seed_mode, int leech_mode, int secs, const char *name)
{
	struct node seed, leech;
	char root[300], lname[64];
	int ok;

	snprintf(root, sizeof(root), "%s/seed/multi", tmp);
	write_data(root);
	next_crypto_allowed = seed_mode == 1;
	next_crypto_only = seed_mode == 2;
	CHECK_INT(node_start(&seed, loop, "seed", 0), ==, 0);
	snprintf(lname, sizeof(lname), "leech-%s", name);
	next_crypto_allowed = leech_mode == 1;
	next_crypto_only = leech_mode == 2;
	CHECK_INT(node_start(&leech, loop, lname, 1), ==, 0);
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	node_connect(&leech, &seed);
	run_until(loop, &leech, 1, secs);
	ok = leech.finished && check_data(leech.root);
	node_stop(loop, &seed);
	node_stop(loop, &leech);
	return ok;
}

static void
test_crypto(struct bt_loop *loop)
{
	/* RC4 both ways (crypto_only offers and accepts nothing else). */
	CHECK(crypto_run(loop, 2, 2, 20, "only-only"));
	/* crypto_allowed on both sides: MSE first, accepted. */
	CHECK(crypto_run(loop, 1, 1, 20, "allowed-allowed"));
	/* An encrypting leecher and a crypto_only seed. */
	CHECK(crypto_run(loop, 2, 1, 20, "only-allowed"));
	/* A plaintext seed: the leecher's MSE is refused, it retries in
	 * plaintext. */
	CHECK(crypto_run(loop, 0, 1, 20, "off-allowed"));
	/* crypto_only refuses plaintext peers, either direction. */
	CHECK(!crypto_run(loop, 2, 0, 3, "only-off"));
	CHECK(!crypto_run(loop, 0, 2, 3, "off-only"));
}

static void
test_swarm(struct bt_loop *loop)
{
	struct node n[4];
	struct bt_torrent_stats st;
	int traded = 0;

	/* n[0] is the seed (its data from the first test), slow enough
	 * that the leechers must trade with each other. */
	next_up_rate = 200000;
	CHECK_INT(node_start(&n[0], loop, "seed", 0), ==, 0);
	for (int i = 1; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof(name), "sw%d", i);
		CHECK_INT(node_start(&n[i], loop, name, 10 + i), ==, 0);
	}
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	/* Leechers know each other and the seed. */
	for (int i = 1; i < 4; i++) {
		struct sockaddr_storage a[3];
		size_t k = 0;
		for (int j = 0; j < 4; j++)
			if (j != i)
				bt_addr_parse(&a[k++], "127.0.0.1", 9,
					bt_client_port(n[j].l));
		bt_torrent_add_peers(n[i].s, a, k);
	}
	run_until(loop, n + 1, 3, 30);
	for (int i = 1; i < 4; i++) {
		CHECK(n[i].finished);
		CHECK(check_data(n[i].root));
		bt_torrent_stats(n[i].s, &st);
		if (st.uploaded > 0)
			traded++;
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "sw%d: up %llu down %llu peers %u seeds %u\n", i,
				(unsigned long long)st.uploaded,
				(unsigned long long)st.downloaded, st.peers, st.seeds);
	}
	CHECK_INT(traded, ==, 3);	/* every leecher uploaded something */
	for (int i = 0; i < 4; i++)
		node_stop(loop, &n[i]);
}

static void
test_superseed(struct bt_loop *loop)
{
	struct node n[3];

	next_super = 1;
	CHECK_INT(node_start(&n[0], loop, "seed", 0), ==, 0);
	CHECK_INT(node_start(&n[1], loop, "ss1", 21), ==, 0);
	CHECK_INT(node_start(&n[2], loop, "ss2", 22), ==, 0);
	for (int i = 0; i < 20; i++)
		bt_loop_run_once(loop, 10);
	for (int i = 1; i < 3; i++) {
		struct sockaddr_storage a[2];
		bt_addr_parse(&a[0], "127.0.0.1", 9, bt_client_port(n[0].l));
		bt_addr_parse(&a[1], "127.0.0.1", 9, bt_client_port(n[3 - i].l));
		bt_torrent_add_peers(n[i].s, a, 2);
	}
	run_until(loop, n + 1, 2, 30);
	for (int i = 1; i < 3; i++) {
		CHECK(n[i].finished);
		CHECK(check_data(n[i].root));
	}
	for (int i = 0; i < 3; i++)
		node_stop(loop, &n[i]);
}

int
main(void)
{
	struct bt_loop *loop;
	char cmd[400];

	snprintf(tmp, sizeof(tmp), "%s/bt-session-XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	make_torrent();
	loop = bt_loop_new(1024);
	test_one_leecher(loop);
	test_magnet(loop);
	test_crypto(loop);
	test_swarm(loop);
	test_superseed(loop);
	bt_loop_free(loop);
	bt_meta_free(&meta);
	bt_buf_free(&torrent);
	free(data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_summary("session");
}
