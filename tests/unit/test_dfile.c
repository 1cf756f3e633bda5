/* test_dfile.c - the tracker's state file: round trips, expiry of restored
 * peers, truncated and corrupt files, BitTornado's format. */
#include "benc.h"
#include "buf.h"
#include "check.h"
#include "dfile.h"
#include "err.h"
#include "net.h"
#include "store.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
hash_of(int t, uint8_t h[20])
{
	memset(h, 0x11 * (t & 7), 20);
	h[0] = (uint8_t)(0xf0 - t);	/* creation order differs from hash order */
	h[19] = (uint8_t)t;
}

static void
addr4(uint8_t p[6], int a, uint16_t port)
{
	p[0] = 10;
	p[1] = 1;
	p[2] = (uint8_t)(a >> 8);
	p[3] = (uint8_t)a;
	p[4] = (uint8_t)(port >> 8);
	p[5] = (uint8_t)port;
}

static void
addr6(uint8_t p[18], int a, uint16_t port)
{
	memset(p, 0, 18);
	p[0] = 0x20;
	p[1] = 0x01;
	p[2] = 0x0d;
	p[3] = 0xb8;
	p[14] = (uint8_t)(a >> 8);
	p[15] = (uint8_t)a;
	p[16] = (uint8_t)(port >> 8);
	p[17] = (uint8_t)port;
}

static int
announce(struct bt_store *s, const uint8_t *h, const uint8_t *a, size_t alen, int seed,
	unsigned flags, int event)
{
	uint8_t out[64 * 40];
	struct bt_store_reply rep;
	uint8_t id[20];
	memset(id, 'p', 20);
	memcpy(id, a, alen < 20 ? alen : 20);
	struct bt_store_req r = {
		.info_hash = h, .addr = a, .addr_len = alen, .peer_id = id,
		.event = event, .seed = seed, .flags = flags, .numwant = 0,
	};
	return bt_store_announce(s, &r, out, &rep);
}

/* A store with IPv4 and IPv6 peers, seeds, flags, kept torrents and
 * download counts. */
static struct bt_store *
sample_store(int keep_ids)
{
	struct bt_store_opts o = { .keep_ids = keep_ids };
	struct bt_store *s = bt_store_new(&o);
	uint8_t h[20], a[18];

	for (int t = 0; t < 6; t++) {
		hash_of(t, h);
		for (int i = 0; i < t * 7 + 3; i++) {
			unsigned fl = (unsigned)i % 8u;	/* every combination of flags */
			int seed = i % 3 == 0;
			addr4(a, 1000 - i * 13, (uint16_t)(6881 + i));
			announce(s, h, a, 6, seed, fl, i % 5 == 0 ? BT_STORE_EV_COMPLETED : 0);
			if (i % 2) {
				addr6(a, 500 + i * 7, (uint16_t)(51413 - i));
				announce(s, h, a, 18, !seed, fl ^ 5u, 0);
			}
		}
	}
	hash_of(6, h);
	bt_store_touch(s, h, 1, 77);		/* kept, no peers */
	hash_of(7, h);
	bt_store_touch(s, h, 0, 4000000000u);	/* not kept, no peers */
	hash_of(2, h);
	bt_store_touch(s, h, 1, 5);
	/* one IPv6-only torrent */
	hash_of(8, h);
	addr6(a, 1, 1);
	announce(s, h, a, 18, 1, BT_PEER_REACHABLE, BT_STORE_EV_COMPLETED);
	return s;
}

static void
encode(const struct bt_store *s, struct bt_buf *b)
{
	bt_buf_init(b, 0);
	CHECK(bt_dfile_encode(s, b) == 0);
}

static int
same(const struct bt_buf *a, const struct bt_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

struct counts {
	size_t torrents, peers, seeds;
};

static int
count_peer(void *ud, const struct bt_store_peer_info *p)
{
	struct counts *c = ud;
	c->peers++;
	c->seeds += p->seed != 0;
	return 0;
}

static const struct bt_store *count_store;

static int
count_torrent(void *ud, const struct bt_store_torrent_info *t)
{
	struct counts *c = ud;
	c->torrents++;
	bt_store_each_peer(count_store, t->info_hash, count_peer, c);
	return 0;
}

static struct counts
counts_of(const struct bt_store *s)
{
	struct counts c = { 0 };
	count_store = s;
	bt_store_each_torrent(s, count_torrent, &c);
	return c;
}

static void
test_empty(void)
{
	struct bt_store *s = bt_store_new(NULL);
	struct bt_buf b;
	const char *want = "d8:torrentsde7:versioni1ee";

	encode(s, &b);
	CHECK(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0);
	struct bt_dfile_err e;
	CHECK(bt_dfile_load(s, b.p, b.len, &e) == 0);
	CHECK(e.format == BT_DFILE_FMT_BT && e.torrents == 0 && e.peers == 0);
	bt_buf_free(&b);
	bt_store_free(s);
}

static void
test_round_trip(int keep_ids)
{
	struct bt_store *s = sample_store(keep_ids);
	struct bt_store *s2 = bt_store_new(NULL);
	struct bt_buf b1, b2;
	struct bt_dfile_err e;
	uint8_t h[20];

	encode(s, &b1);
	CHECK(bt_dfile_load(s2, b1.p, b1.len, &e) == 0);
	CHECK(e.code == 0 && e.format == BT_DFILE_FMT_BT);
	encode(s2, &b2);
	CHECK(same(&b1, &b2));

	struct counts c1 = counts_of(s), c2 = counts_of(s2);
	CHECK(c1.torrents == 9 && c2.torrents == 9);
	CHECK(c1.peers == c2.peers && c1.seeds == c2.seeds);
	CHECK(e.torrents == 9 && e.peers == c1.peers);
	for (int t = 0; t < 9; t++) {
		uint32_t a1, b1c, d1, a2, b2c, d2;
		hash_of(t, h);
		CHECK(bt_store_counts(s, h, &a1, &b1c, &d1) == 0);
		CHECK(bt_store_counts(s2, h, &a2, &b2c, &d2) == 0);
		CHECK(a1 == a2 && b1c == b2c && d1 == d2);
	}
	hash_of(7, h);
	uint32_t c, i, d;
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == 0 && d == 4000000000u);
	hash_of(6, h);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == 0 && d == 77 && c == 0 && i == 0);

	/* Loading the same file again changes nothing. */
	CHECK(bt_dfile_load(s2, b1.p, b1.len, &e) == 0);
	bt_buf_free(&b2);
	encode(s2, &b2);
	CHECK(same(&b1, &b2));

	bt_buf_free(&b1);
	bt_buf_free(&b2);
	bt_store_free(s);
	bt_store_free(s2);
}

/* Restored peers go at the first sweep unless they announce again; kept
 * torrents stay. */
static void
test_expiry(void)
{
	struct bt_store *s = sample_store(0);
	struct bt_store *s2 = bt_store_new(NULL);
	struct bt_buf b;
	uint8_t h[20], a[18];
	uint32_t c, i, d;

	encode(s, &b);
	CHECK(bt_dfile_load(s2, b.p, b.len, NULL) == 0);
	hash_of(5, h);
	addr4(a, 1000, 6881);			/* peer 0 of torrent 5: a seed */
	CHECK(announce(s2, h, a, 6, 1, BT_PEER_REACHABLE, 0) == 0);
	addr6(a, 500 + 7, (uint16_t)(51413 - 1));	/* peer 1's IPv6 twin, a seed */
	CHECK(announce(s2, h, a, 18, 1, 0, 0) == 0);
	size_t before = counts_of(s2).peers;
	size_t dropped = bt_store_sweep(s2);
	CHECK(dropped == before - 2);
	struct counts left = counts_of(s2);
	CHECK(left.peers == 2);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == 0 && c == 2 && i == 0);
	hash_of(6, h);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == 0 && d == 77);	/* kept */
	hash_of(2, h);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == 0);		/* kept */
	hash_of(7, h);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == BT_E_NOENT);	/* not kept */
	hash_of(3, h);
	CHECK(bt_store_counts(s2, h, &c, &i, &d) == BT_E_NOENT);	/* peers gone */
	/* The re-announced peers survive a second sweep only by announcing. */
	CHECK(bt_store_sweep(s2) == 2);
	bt_buf_free(&b);
	bt_store_free(s);
	bt_store_free(s2);
}

/* Every prefix fails, and a store that already holds state is unchanged. */
static void
test_prefixes(void)
{
	struct bt_store *s = sample_store(0);
	struct bt_store *t = bt_store_new(NULL);
	struct bt_buf full, ref, now;
	uint8_t h[20], a[6];
	int all_failed = 1, all_same = 1, all_msg = 1;

	encode(s, &full);
	hash_of(9, h);
	addr4(a, 3, 3);
	announce(t, h, a, 6, 0, 0, 0);
	encode(t, &ref);
	for (size_t n = 0; n < full.len; n++) {
		struct bt_dfile_err e;
		int r = bt_dfile_load(t, full.p, n, &e);
		if (r >= 0)
			all_failed = 0;
		if (r < 0 && (e.code != r || !e.what[0]))
			all_msg = 0;
		encode(t, &now);
		if (!same(&ref, &now))
			all_same = 0;
		bt_buf_free(&now);
	}
	CHECK(all_failed);
	CHECK(all_msg);
	CHECK(all_same);
	/* Trailing bytes too. */
	bt_buf_add(&full, "x", 1);
	CHECK(bt_dfile_load(t, full.p, full.len, NULL) < 0);
	bt_buf_free(&full);
	bt_buf_free(&ref);
	bt_store_free(s);
	bt_store_free(t);
}

/* Load text; return the result and check the store stayed empty on failure. */
static int
load_str(const char *txt, size_t n, struct bt_dfile_err *e)
{
	struct bt_store *s = bt_store_new(NULL);
	int r = bt_dfile_load(s, (const uint8_t *)txt, n, e);
	if (r < 0) {
		struct bt_store_stats st;
		bt_store_stats(s, &st);
		CHECK(st.torrents == 0);
	}
	bt_store_free(s);
	return r;
}

#define LOAD(lit, e) load_str(lit, sizeof(lit) - 1, e)
#define H20 "aaaaaaaaaaaaaaaaaaaa"

static void
test_corrupt(void)
{
	struct bt_dfile_err e;

	CHECK(LOAD("", &e) == BT_E_PARSE);
	CHECK(LOAD("le", &e) == BT_E_PARSE);
	CHECK(LOAD("de", &e) == BT_E_PARSE);
	CHECK(LOAD("d7:versioni1ee", &e) == BT_E_PARSE);		/* no torrents */
	CHECK(LOAD("d8:torrentsle7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsde7:versioni2ee", &e) == BT_E_UNSUPPORTED);
	CHECK(LOAD("d8:torrentsde7:version1:1e", &e) == BT_E_PARSE);
	/* not canonical: keys out of order */
	CHECK(LOAD("d7:versioni1e8:torrentsdee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsde7:versioni01ee", &e) == BT_E_PARSE);
	const char ok[] = "d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers7:"
		"\x01\x02\x03\x04\x00\x50\x09" "6:peers60:ee7:versioni1ee";
	CHECK(LOAD(ok, &e) == 0 && e.torrents == 1 && e.peers == 1);
	/* 19-byte hash */
	CHECK(LOAD("d8:torrentsd19:aaaaaaaaaaaaaaaaaaad10:downloadedi3e4:keepi1e5:peers0:"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(e.off == 12);
	/* keep 2, negative and huge downloaded */
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi2e5:peers0:"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_INVAL);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi-3e4:keepi0e5:peers0:"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_INVAL);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi4294967296e4:keepi0e5:peers0:"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_INVAL);
	/* missing keys, wrong types */
	CHECK(LOAD("d8:torrentsd20:" H20 "d4:keepi0e5:peers0:6:peers60:ee7:versioni1ee",
		&e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi0e6:peers60:ee"
		"7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi0e5:peersi0e"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsd20:" H20 "le" "e7:versioni1ee", &e) == BT_E_PARSE);
	/* peers of the wrong length */
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers6:"
		"\x01\x02\x03\x04\x00\x50" "6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers0:"
		"6:peers67:\x01\x02\x03\x04\x00\x50\x09" "ee7:versioni1ee", &e) == BT_E_PARSE);
	/* unknown flag bits */
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers7:"
		"\x01\x02\x03\x04\x00\x50\x10" "6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	/* peers repeated or out of order; the second torrent is good, the
	 * first is applied only after everything is checked */
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers0:6:peers60:e"
		"20:bbbbbbbbbbbbbbbbbbbbd10:downloadedi3e4:keepi1e5:peers14:"
		"\x01\x02\x03\x04\x00\x50\x09\x01\x02\x03\x04\x00\x50\x09"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e5:peers14:"
		"\x01\x02\x03\x05\x00\x50\x09\x01\x02\x03\x04\x00\x50\x09"
		"6:peers60:ee7:versioni1ee", &e) == BT_E_PARSE);
	CHECK(e.off > 0 && strstr(e.what, "order") != NULL);
	/* unknown extra keys are ignored */
	CHECK(LOAD("d5:extrai1e8:torrentsd20:" H20 "d10:downloadedi3e4:keepi1e4:more0:"
		"5:peers0:6:peers60:ee7:versioni1ee", &e) == 0);
}

struct id_find {
	const uint8_t *addr;
	const uint8_t *id;
	int found;
};

static int
find_id(void *ud, const struct bt_store_peer_info *p)
{
	struct id_find *f = ud;
	if (p->addr_len == 6 && memcmp(p->addr, f->addr, 6) == 0) {
		f->found = 1;
		f->id = p->peer_id;
		return 1;
	}
	return 0;
}

/* A BitTornado bttrack state file. */
static void
test_bittornado(void)
{
	struct bt_buf b;
	struct bt_bw w;
	uint8_t h1[20], h2[20], h3[20], h4[20];

	memset(h1, 1, 20);
	memset(h2, 2, 20);
	memset(h3, 3, 20);
	memset(h4, 4, 20);
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "allowed");		/* ignored */
	bt_bw_dict(&w);
	bt_bw_end(&w);
	bt_bw_key(&w, "completed");
	bt_bw_dict(&w);
	bt_bw_keyn(&w, h1, 20);
	bt_bw_int(&w, 12);
	bt_bw_keyn(&w, h3, 20);
	bt_bw_int(&w, 3);
	bt_bw_keyn(&w, h4, 20);
	bt_bw_int(&w, -1);			/* skipped */
	bt_bw_keyn(&w, "short", 5);		/* skipped */
	bt_bw_int(&w, 9);
	bt_bw_end(&w);
	bt_bw_key(&w, "peers");
	bt_bw_dict(&w);
	bt_bw_keyn(&w, h1, 20);
	bt_bw_dict(&w);
	{
		/* peer ids in order: A.. (seed, nat 0), B.. (leech, v6, crypto
		 * "0" strings), C.. (bad ip), D.. (given ip), E.. (bad port),
		 * F.. (no left), G.. (short id) */
		bt_bw_keyn(&w, "AAAAAAAAAAAAAAAAAAAA", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "1.2.3.4");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "nat"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 6881);
		bt_bw_key(&w, "requirecrypto"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "supportcrypto"); bt_bw_int(&w, 1);
		bt_bw_end(&w);
		bt_bw_keyn(&w, "BBBBBBBBBBBBBBBBBBBB", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "2001:db8::5");
		bt_bw_key(&w, "key"); bt_bw_strs(&w, "abcd");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 100);
		bt_bw_key(&w, "nat"); bt_bw_int(&w, 2);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 51413);
		bt_bw_key(&w, "requirecrypto"); bt_bw_strs(&w, "0");
		bt_bw_key(&w, "supportcrypto"); bt_bw_strs(&w, "0");
		bt_bw_end(&w);
		bt_bw_keyn(&w, "CCCCCCCCCCCCCCCCCCCC", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "1.2.3.4:80");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 1);
		bt_bw_end(&w);
		bt_bw_keyn(&w, "DDDDDDDDDDDDDDDDDDDD", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "given ip"); bt_bw_strs(&w, "::ffff:9.8.7.6");
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "192.168.1.1");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 5);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 7000);
		bt_bw_key(&w, "requirecrypto"); bt_bw_int(&w, 1);
		bt_bw_end(&w);
		bt_bw_keyn(&w, "EEEEEEEEEEEEEEEEEEEE", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "5.5.5.5");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 65536);
		bt_bw_end(&w);
		bt_bw_keyn(&w, "FFFFFFFFFFFFFFFFFFFF", 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "6.6.6.6");
		bt_bw_key(&w, "port"); bt_bw_int(&w, 6);
		bt_bw_end(&w);
		bt_bw_keyn(&w, "GGG", 3);
		bt_bw_dict(&w);
		bt_bw_key(&w, "ip"); bt_bw_strs(&w, "7.7.7.7");
		bt_bw_key(&w, "left"); bt_bw_int(&w, 0);
		bt_bw_key(&w, "port"); bt_bw_int(&w, 7);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	bt_bw_keyn(&w, h2, 20);			/* no completed entry */
	bt_bw_dict(&w);
	bt_bw_keyn(&w, "HHHHHHHHHHHHHHHHHHHH", 20);
	bt_bw_dict(&w);
	bt_bw_key(&w, "ip"); bt_bw_strs(&w, "8.8.8.8");
	bt_bw_key(&w, "left"); bt_bw_int(&w, 1);
	bt_bw_key(&w, "port"); bt_bw_int(&w, 8);
	bt_bw_end(&w);
	bt_bw_end(&w);
	bt_bw_keyn(&w, "xx", 2);		/* bad hash: skipped */
	bt_bw_dict(&w);
	bt_bw_end(&w);
	bt_bw_end(&w);
	bt_bw_end(&w);
	CHECK(bt_bw_finish(&w) == 0);

	struct bt_store_opts o = { .keep_ids = 1 };
	struct bt_store *s = bt_store_new(&o);
	struct bt_dfile_err e;
	uint32_t c, i, d;
	CHECK(bt_dfile_load(s, b.p, b.len, &e) == 0);
	CHECK(e.format == BT_DFILE_FMT_BITTORNADO);
	CHECK(e.torrents == 3);			/* h1, h2, h3 */
	CHECK(e.peers == 4);			/* A, B, D, H */
	CHECK(e.skipped == 7);			/* C, E, F, G, xx, 2 completed */
	CHECK(bt_store_counts(s, h1, &c, &i, &d) == 0 && c == 1 && i == 2 && d == 12);
	CHECK(bt_store_counts(s, h2, &c, &i, &d) == 0 && c == 0 && i == 1 && d == 0);
	CHECK(bt_store_counts(s, h3, &c, &i, &d) == 0 && c == 0 && i == 0 && d == 3);
	CHECK(bt_store_counts(s, h4, &c, &i, &d) == BT_E_NOENT);

	/* What the peers look like, through our own format. */
	struct bt_buf out;
	encode(s, &out);
	struct bt_benc doc = { 0 };
	CHECK(bt_benc_parse(&doc, out.p, out.len, &bt_benc_lim_strict, NULL) == 0);
	int tors = bt_benc_dict_get(&doc, 0, "torrents");
	int t1 = bt_benc_dict_getn(&doc, tors, h1, 20);
	const uint8_t *p;
	size_t n;
	CHECK(bt_benc_str(&doc, bt_benc_dict_get(&doc, t1, "peers"), &p, &n) == 0);
	CHECK(n == 14);
	if (n == 14) {
		/* sorted: 1.2.3.4 then 9.8.7.6 (given ip, mapped -> IPv4) */
		CHECK(memcmp(p, "\x01\x02\x03\x04\x1a\xe1", 6) == 0);
		CHECK(p[6] == (BT_DFILE_F_SEED | BT_DFILE_F_CRYPTO_OK | BT_DFILE_F_REACHABLE));
		CHECK(memcmp(p + 7, "\x09\x08\x07\x06\x1b\x58", 6) == 0);
		CHECK(p[13] == (BT_DFILE_F_CRYPTO_OK | BT_DFILE_F_CRYPTO_REQ));
	}
	CHECK(bt_benc_str(&doc, bt_benc_dict_get(&doc, t1, "peers6"), &p, &n) == 0);
	CHECK(n == 19);
	if (n == 19) {
		CHECK(memcmp(p, "\x20\x01\x0d\xb8", 4) == 0 && p[15] == 5);
		CHECK(p[16] == 0xc8 && p[17] == 0xd5);
		CHECK(p[18] == 0);			/* leech, no crypto, NATed */
	}
	bt_benc_free(&doc);
	bt_buf_free(&out);

	/* Peer ids came along (keep_ids). */
	struct id_find f = { .addr = (const uint8_t *)"\x01\x02\x03\x04\x1a\xe1" };
	bt_store_each_peer(s, h1, find_id, &f);
	CHECK(f.found && f.id && memcmp(f.id, "AAAAAAAAAAAAAAAAAAAA", 20) == 0);
	bt_store_free(s);

	/* BitTornado files need not be canonical; ours must be. */
	const char unsorted[] = "d5:peersd20:" H20 "d20:PPPPPPPPPPPPPPPPPPPPd4:porti1e2:ip"
		"7:1.1.1.14:lefti0eeee9:completedd20:" H20 "i4eee";
	s = bt_store_new(NULL);
	CHECK(bt_dfile_load(s, (const uint8_t *)unsorted, sizeof(unsorted) - 1, &e) == 0);
	CHECK(e.format == BT_DFILE_FMT_BITTORNADO && e.peers == 1 && e.torrents == 1);
	CHECK(bt_store_counts(s, (const uint8_t *)H20, &c, &i, &d) == 0 && c == 1 && d == 4);
	bt_store_free(s);
	/* BitTornado's structure errors: peers not a dict */
	CHECK(LOAD("d9:completedde5:peersi1ee", &e) == BT_E_PARSE);
	CHECK(LOAD("d9:completedi0e5:peersdee", &e) == BT_E_PARSE);
	CHECK(LOAD("d9:completeddee", &e) == 0);
	bt_buf_free(&b);
}

static int
not_ten(void *ud, const struct sockaddr_storage *a)
{
	int *calls = ud;
	(*calls)++;
	if (a->ss_family != AF_INET)
		return 1;
	const uint8_t *ip = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	return !(ip[0] == 10 && ip[3] % 2 == 0);
}

static void
test_filter(void)
{
	struct bt_store *s = sample_store(0), *s2 = bt_store_new(NULL);
	struct bt_buf b;
	struct bt_dfile_err e;
	int calls = 0;
	struct counts all = counts_of(s);

	encode(s, &b);
	CHECK(bt_dfile_load_filtered(s2, b.p, b.len, not_ten, &calls, &e) == 0);
	CHECK((size_t)calls == all.peers);
	CHECK(e.filtered > 0 && e.peers + e.filtered == all.peers);
	CHECK(counts_of(s2).peers == e.peers);
	bt_buf_free(&b);
	bt_store_free(s);
	bt_store_free(s2);
}

int
main(void)
{
	test_empty();
	test_round_trip(0);
	test_round_trip(1);
	test_expiry();
	test_prefixes();
	test_corrupt();
	test_bittornado();
	test_filter();
	return check_summary("test_dfile");
}
