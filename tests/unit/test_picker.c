/* test_picker.c - the piece and block picker. */
#include "bitfield.h"
#include "check.h"
#include "picker.h"
#include "rand.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BL BT_PICK_BLOCK

static struct bt_picker *
mk(uint32_t npieces, uint32_t piece_len, uint64_t total, uint32_t cutoff, uint64_t seed)
{
	struct bt_picker_opts o = { .npieces = npieces, .piece_len = piece_len,
		.total = total, .random_cutoff = cutoff, .seed = seed };
	return bt_picker_new(&o);
}

static void
bf_mk(struct bt_bitfield *bf, uint32_t n)
{
	if (bt_bitfield_init(bf, n) != 0)
		abort();
}

static int
none_out(void *ud, uint32_t piece, uint32_t begin)
{
	(void)ud;
	(void)piece;
	(void)begin;
	return 0;
}

static int
all_out(void *ud, uint32_t piece, uint32_t begin)
{
	(void)ud;
	(void)piece;
	(void)begin;
	return 1;
}

static void
test_new(void)
{
	struct bt_picker_opts o = { .npieces = 2, .piece_len = 100, .total = 150 };
	struct bt_picker *p = bt_picker_new(&o);
	CHECK(p != NULL);
	bt_picker_free(p);
	bt_picker_free(NULL);
	CHECK(bt_picker_new(NULL) == NULL);
	o.total = 100;	/* the last piece would be empty */
	CHECK(bt_picker_new(&o) == NULL);
	o.total = 201;
	CHECK(bt_picker_new(&o) == NULL);
	o.total = 200;
	p = bt_picker_new(&o);
	CHECK(p != NULL);
	bt_picker_free(p);
	o.npieces = 0;
	o.total = 0;
	CHECK(bt_picker_new(&o) == NULL);
	o.npieces = 1;
	o.piece_len = 0;
	CHECK(bt_picker_new(&o) == NULL);
	o.npieces = BT_BITFIELD_MAX + 1;
	o.piece_len = 1;
	o.total = BT_BITFIELD_MAX + 1;
	CHECK(bt_picker_new(&o) == NULL);
	/* Too many blocks per piece. */
	o.npieces = 1;
	o.piece_len = 1u << 30;
	o.total = 1u << 30;
	o.block_len = 1;
	CHECK(bt_picker_new(&o) == NULL);
	/* 64 MiB pieces: 4096 blocks. */
	o.block_len = 0;
	o.piece_len = 64u << 20;
	o.total = 64u << 20;
	p = bt_picker_new(&o);
	CHECK(p != NULL);
	if (p) {
		static struct bt_block out[5000];
		CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 5000), ==, 4096);
		CHECK_INT(out[4095].begin, ==, 4095u * BL);
		bt_picker_free(p);
	}
}

static void
test_single(void)
{
	struct bt_picker *p = mk(1, 2 * BL + 100, 2 * BL + 100, 0, 1);
	struct bt_block out[8];
	CHECK_INT(bt_picker_wanted(p), ==, 1);
	CHECK_INT(bt_picker_interesting(p, NULL), ==, 1);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 0), ==, 0);
	size_t n = bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 8);
	CHECK_INT(n, ==, 3);
	CHECK_INT(out[0].piece, ==, 0);
	CHECK_INT(out[0].begin, ==, 0);
	CHECK_INT(out[0].len, ==, BL);
	CHECK_INT(out[1].begin, ==, BL);
	CHECK_INT(out[1].len, ==, BL);
	CHECK_INT(out[2].begin, ==, 2 * BL);
	CHECK_INT(out[2].len, ==, 100);
	CHECK_INT(bt_picker_active(p), ==, 1);
	CHECK_INT(bt_picker_endgame(p), ==, 1);

	/* Bad ranges. */
	CHECK_INT(bt_picker_received(p, 0, 1, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, 0, 0, BL - 1), ==, -1);
	CHECK_INT(bt_picker_received(p, 0, 2 * BL, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, 0, 3 * BL, 100), ==, -1);
	CHECK_INT(bt_picker_received(p, 1, 0, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, UINT32_MAX, 0, BL), ==, -1);

	CHECK_INT(bt_picker_received(p, 0, 2 * BL, 100), ==, 0);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 100);
	CHECK_INT(bt_picker_received(p, 0, 0, BL), ==, 0);
	CHECK_INT(bt_picker_received(p, 0, 0, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, 0, BL, BL), ==, 1);
	CHECK_INT(bt_picker_received(p, 0, BL, BL), ==, -1);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 2 * BL + 100);
	CHECK_INT(bt_picker_check(p), ==, 0);

	bt_picker_have(p, 0);
	CHECK_INT(bt_picker_has(p, 0), ==, 1);
	CHECK_INT(bt_picker_has(p, 1), ==, 0);
	CHECK_INT(bt_picker_have_count(p), ==, 1);
	CHECK_INT(bt_picker_wanted(p), ==, 0);
	CHECK_INT(bt_picker_active(p), ==, 0);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 0);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	CHECK_INT(bt_picker_interesting(p, NULL), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 8), ==, 0);
	CHECK_INT(bt_picker_received(p, 0, 0, BL), ==, -1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_picker_free(p);
}

static void
test_short_last(void)
{
	/* 3 pieces of 64 KiB, the last 20000 bytes: blocks 16384 + 3616. */
	struct bt_picker *p = mk(3, 4 * BL, 8 * BL + 20000, 0, 2);
	struct bt_bitfield has;
	struct bt_block out[8];
	bf_mk(&has, 3);
	bt_bitfield_set(&has, 2);
	CHECK_INT(bt_picker_interesting(p, &has), ==, 1);
	size_t n = bt_picker_pick(p, &has, NULL, none_out, NULL, out, 8);
	CHECK_INT(n, ==, 2);
	CHECK_INT(out[0].piece, ==, 2);
	CHECK_INT(out[0].len, ==, BL);
	CHECK_INT(out[1].begin, ==, BL);
	CHECK_INT(out[1].len, ==, 20000 - BL);
	CHECK_INT(bt_picker_received(p, 2, BL, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, 2, BL, 20000 - BL), ==, 0);
	CHECK_INT(bt_picker_received(p, 2, 0, BL), ==, 1);
	CHECK_INT(bt_picker_pick(p, &has, NULL, none_out, NULL, out, 8), ==, 0);
	bt_picker_have(p, 2);
	CHECK_INT(bt_picker_interesting(p, &has), ==, 0);
	/* A bitfield of the wrong size is never interesting nor picked from. */
	struct bt_bitfield bad;
	bf_mk(&bad, 4);
	bt_bitfield_set_all(&bad);
	CHECK_INT(bt_picker_interesting(p, &bad), ==, 0);
	CHECK_INT(bt_picker_pick(p, &bad, NULL, none_out, NULL, out, 8), ==, 0);
	bt_picker_peer_bitfield(p, &bad, 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_bitfield_fini(&bad);
	bt_bitfield_fini(&has);
	bt_picker_free(p);
}

/* Every block handed out once, and only then endgame. */
static void
test_each_once(void)
{
	enum { NP = 37, BPP = 5 };
	uint64_t total = (uint64_t)(NP - 1) * BPP * BL + 3 * BL + 1;
	struct bt_picker *p = mk(NP, BPP * BL, total, 4, 3);
	static uint8_t seen[NP][BPP];
	struct bt_block out[7];
	size_t got = 0, n;
	memset(seen, 0, sizeof(seen));
	int dup = 0, bad = 0, early_endgame = 0;
	while ((n = bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 7)) > 0) {
		for (size_t i = 0; i < n; i++) {
			uint32_t b = out[i].begin / BL;
			if (out[i].piece >= NP || b >= BPP || out[i].begin % BL)
				bad++;
			else if (seen[out[i].piece][b]++)
				dup++;
		}
		got += n;
		if (got < (NP - 1) * BPP + 4 && bt_picker_endgame(p))
			early_endgame++;
		if (bt_picker_endgame(p))
			break;
	}
	CHECK_INT(dup, ==, 0);
	CHECK_INT(bad, ==, 0);
	CHECK_INT(early_endgame, ==, 0);
	CHECK_INT(got, ==, (NP - 1) * BPP + 4);
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	CHECK_INT(bt_picker_active(p), ==, NP);
	/* The last piece's last block is one byte. */
	CHECK_INT(seen[NP - 1][3], ==, 1);
	CHECK_INT(seen[NP - 1][4], ==, 0);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_picker_free(p);
}

/* Availabilities per piece: availability i for piece perm[i]. */
static void
test_rarest(void)
{
	enum { NP = 30 };
	struct bt_picker *p = mk(NP, BL, (uint64_t)NP * BL, 0, 4);
	struct bt_block out[2];
	uint32_t avail[NP];
	for (uint32_t i = 0; i < NP; i++)
		avail[i] = (i * 7) % NP;	/* a permutation of 0..NP-1 */
	/* Half through bitfields, half through haves. */
	struct bt_bitfield bf;
	bf_mk(&bf, NP);
	for (uint32_t k = 0; k < NP; k++) {
		bt_bitfield_clear_all(&bf);
		for (uint32_t i = 0; i < NP; i++)
			if (avail[i] > k)
				bt_bitfield_set(&bf, i);
		if (k & 1) {
			bt_picker_peer_bitfield(p, &bf, 1);
		} else {
			for (uint32_t i = 0; i < NP; i++)
				if (avail[i] > k)
					bt_picker_peer_have(p, i);
		}
	}
	/* And a peer coming and going changes nothing. */
	bt_bitfield_set_all(&bf);
	bt_picker_peer_bitfield(p, &bf, 1);
	bt_picker_peer_bitfield(p, &bf, -1);
	bt_picker_seeds(p, 3);
	uint32_t cnt;
	CHECK_INT(bt_picker_min_avail(p, &cnt), ==, 3);
	CHECK_INT(cnt, ==, 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	int order_ok = 1;
	for (uint32_t k = 0; k < NP; k++) {
		size_t n = bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1);
		if (n != 1 || avail[out[0].piece] != k)
			order_ok = 0;
		CHECK_INT(bt_picker_received(p, out[0].piece, 0, BL), ==, 1);
		bt_picker_have(p, out[0].piece);
	}
	CHECK(order_ok);
	CHECK_INT(bt_picker_min_avail(p, &cnt), ==, 0);
	CHECK_INT(cnt, ==, 0);
	CHECK_INT(bt_picker_wanted(p), ==, 0);
	bt_bitfield_fini(&bf);
	bt_picker_free(p);

	/* Priority classes: level = availability + 20 * prio. */
	p = mk(4, BL, 4 * BL, 0, 5);
	for (int k = 0; k < 25; k++)
		bt_picker_peer_have(p, 0);	/* prio 0, avail 25: level 25 */
	for (int k = 0; k < 3; k++)
		bt_picker_peer_have(p, 1);	/* prio 1, avail 3: level 23 */
	for (int k = 0; k < 10; k++)
		bt_picker_peer_have(p, 2);	/* prio 0, avail 10: level 10 */
	bt_picker_set_prio(p, 0, 0);
	bt_picker_set_prio(p, 2, 0);
	bt_picker_set_prio(p, 3, 2);	/* prio 2, avail 0: level 40 */
	CHECK_INT(bt_picker_check(p), ==, 0);
	static const uint32_t want[4] = { 2, 1, 0, 3 };
	for (int k = 0; k < 4; k++) {
		CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1), ==, 1);
		CHECK_INT(out[0].piece, ==, want[k]);
	}
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_picker_free(p);

	/* Ties are broken at random: over many seeds, each of 4 equally rare
	 * pieces comes first sometimes. */
	int first[4] = { 0, 0, 0, 0 };
	for (uint64_t s = 0; s < 200; s++) {
		p = mk(8, BL, 8 * BL, 0, s);
		for (uint32_t i = 4; i < 8; i++)
			bt_picker_peer_have(p, i);
		if (bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1) == 1 && out[0].piece < 4)
			first[out[0].piece]++;
		bt_picker_free(p);
	}
	CHECK_INT(first[0] + first[1] + first[2] + first[3], ==, 200);
	for (int i = 0; i < 4; i++)
		CHECK_INT(first[i], >, 20);
}

static void
test_skip(void)
{
	enum { NP = 20 };
	struct bt_picker *p = mk(NP, 2 * BL, (uint64_t)NP * 2 * BL, 0, 6);
	struct bt_bitfield bf;
	struct bt_block out[4];
	bf_mk(&bf, NP);
	for (uint32_t i = 0; i < NP; i += 2)
		bt_picker_set_prio(p, i, -1);
	bt_picker_set_prio(p, 1, -5);	/* clamps to skip */
	bt_picker_set_prio(p, 3, 9);	/* clamps to low */
	bt_picker_set_prio(p, NP, 0);	/* out of range: ignored */
	CHECK_INT(bt_picker_wanted(p), ==, NP / 2 - 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	/* A peer with only skipped pieces is not interesting. */
	bt_bitfield_set(&bf, 0);
	bt_bitfield_set(&bf, 1);
	CHECK_INT(bt_picker_interesting(p, &bf), ==, 0);
	CHECK_INT(bt_picker_pick(p, &bf, NULL, none_out, NULL, out, 4), ==, 0);
	bt_bitfield_set(&bf, 3);
	CHECK_INT(bt_picker_interesting(p, &bf), ==, 1);

	int skipped_picked = 0;
	size_t n;
	uint32_t blocks = 0;
	while ((n = bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 3)) > 0 &&
		!bt_picker_endgame(p)) {
		for (size_t i = 0; i < n; i++)
			if (out[i].piece % 2 == 0 || out[i].piece == 1)
				skipped_picked++;
		blocks += (uint32_t)n;
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].piece % 2 == 0 || out[i].piece == 1)
			skipped_picked++;
	blocks += (uint32_t)n;
	CHECK_INT(skipped_picked, ==, 0);
	CHECK_INT(blocks, ==, 2 * (NP / 2 - 1));
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	/* Piece 3 is low priority, so it came last. */
	CHECK_INT(out[n - 1].piece, ==, 3);

	/* Unskip one: no longer endgame; it is picked. */
	bt_picker_set_prio(p, 4, 1);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	CHECK_INT(bt_picker_wanted(p), ==, NP / 2);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 4), ==, 2);
	CHECK_INT(out[0].piece, ==, 4);
	/* Skipping an active piece keeps its blocks, but hands none out. */
	CHECK_INT(bt_picker_received(p, 4, 0, BL), ==, 0);
	bt_picker_unrequest(p, 4, BL);
	bt_picker_set_prio(p, 4, -1);
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 4), >, 0);
	CHECK(out[0].piece != 4);
	CHECK_INT(bt_picker_partial_bytes(p), ==, BL);
	bt_picker_set_prio(p, 4, 0);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 4), ==, 1);
	CHECK_INT(out[0].piece, ==, 4);
	CHECK_INT(out[0].begin, ==, BL);
	CHECK_INT(bt_picker_received(p, 4, BL, BL), ==, 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_bitfield_fini(&bf);
	bt_picker_free(p);
}

static void
test_random_first(void)
{
	enum { NP = 100 };
	struct bt_block out[1];
	/* Piece 0 is the rarest: without a cutoff it always comes first,
	 * with one it rarely does. */
	int rarest_first = 0, random_first = 0, then_rarest = 0;
	for (uint64_t s = 0; s < 50; s++) {
		for (int cut = 0; cut < 2; cut++) {
			struct bt_picker *p = mk(NP, BL, NP * BL, cut ? 2 : 0, s);
			for (uint32_t i = 1; i < NP; i++)
				for (int k = 0; k < 5; k++)
					bt_picker_peer_have(p, i);
			bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1);
			if (out[0].piece == 0)
				*(cut ? &random_first : &rarest_first) += 1;
			if (cut) {
				/* Two pieces had: rarest first from now on. */
				uint32_t a = out[0].piece;
				bt_picker_have(p, a);
				bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1);
				bt_picker_have(p, out[0].piece);
				int zero_done = a == 0 || out[0].piece == 0;
				bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1);
				if (zero_done || out[0].piece == 0)
					then_rarest++;
			}
			bt_picker_free(p);
		}
	}
	CHECK_INT(rarest_first, ==, 50);
	CHECK_INT(random_first, <, 5);
	CHECK_INT(then_rarest, ==, 50);

	/* Random first still honours priority classes. */
	int hi_first = 0;
	for (uint64_t s = 0; s < 20; s++) {
		struct bt_picker *p = mk(NP, BL, NP * BL, 5, s);
		bt_picker_set_prio(p, 77, 0);
		bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1);
		hi_first += out[0].piece == 77;
		bt_picker_free(p);
	}
	CHECK_INT(hi_first, ==, 20);
}

struct outset {
	struct bt_block b[16];
	int n;
};

static int
in_outset(void *ud, uint32_t piece, uint32_t begin)
{
	struct outset *o = ud;
	for (int i = 0; i < o->n; i++)
		if (o->b[i].piece == piece && o->b[i].begin == begin)
			return 1;
	return 0;
}

static void
test_endgame(void)
{
	/* 2 pieces x 2 blocks. */
	struct bt_picker *p = mk(2, 2 * BL, 4 * BL, 0, 7);
	struct outset a = { .n = 0 }, b = { .n = 0 }, c = { .n = 0 };
	a.n = (int)bt_picker_pick(p, NULL, NULL, in_outset, &a, a.b, 16);
	CHECK_INT(a.n, ==, 4);
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	/* A has them all out: nothing more for A. */
	CHECK_INT(bt_picker_pick(p, NULL, NULL, in_outset, &a, a.b + a.n, 16 - a.n), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, all_out, NULL, a.b + a.n, 16 - a.n), ==, 0);
	/* Without a callback there are no endgame duplicates. */
	CHECK_INT(bt_picker_pick(p, NULL, NULL, NULL, NULL, b.b, 16), ==, 0);
	/* B gets two duplicates; C then gets the two others (fewer out). */
	b.n = (int)bt_picker_pick(p, NULL, NULL, in_outset, &b, b.b, 2);
	CHECK_INT(b.n, ==, 2);
	c.n = (int)bt_picker_pick(p, NULL, NULL, in_outset, &c, c.b, 2);
	CHECK_INT(c.n, ==, 2);
	int overlap = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			overlap += b.b[i].piece == c.b[j].piece && b.b[i].begin == c.b[j].begin;
	CHECK_INT(overlap, ==, 0);
	/* B asks for more: the two it lacks. */
	int more = (int)bt_picker_pick(p, NULL, NULL, in_outset, &b, b.b + 2, 14);
	CHECK_INT(more, ==, 2);
	b.n += more;
	int bdup = 0;
	for (int i = 0; i < b.n; i++)
		for (int j = i + 1; j < b.n; j++)
			bdup += b.b[i].piece == b.b[j].piece && b.b[i].begin == b.b[j].begin;
	CHECK_INT(bdup, ==, 0);
	/* A peer lacking both pieces gets nothing. */
	struct bt_bitfield none;
	bf_mk(&none, 2);
	struct outset d = { .n = 0 };
	CHECK_INT(bt_picker_pick(p, &none, NULL, in_outset, &d, d.b, 16), ==, 0);
	bt_bitfield_set(&none, 1);
	CHECK_INT(bt_picker_pick(p, &none, NULL, in_outset, &d, d.b, 16), ==, 2);
	CHECK_INT(d.b[0].piece, ==, 1);
	CHECK_INT(d.b[1].piece, ==, 1);
	bt_bitfield_fini(&none);

	/* Blocks arrive: the first copy counts, the rest are duplicates. */
	CHECK_INT(bt_picker_received(p, 0, 0, BL), ==, 0);
	CHECK_INT(bt_picker_received(p, 0, 0, BL), ==, -1);
	CHECK_INT(bt_picker_received(p, 0, BL, BL), ==, 1);
	/* Unrequesting a received block changes nothing. */
	bt_picker_unrequest(p, 0, 0);
	CHECK_INT(bt_picker_check(p), ==, 0);
	/* Piece 1 block 0 is out to A, B, D and maybe C: unrequesting all
	 * of them frees it, and then it is no longer endgame. */
	int outs = 3 + in_outset(&c, 1, 0);
	for (int k = 0; k < outs - 1; k++)
		bt_picker_unrequest(p, 1, 0);
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	bt_picker_unrequest(p, 1, 0);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	bt_picker_unrequest(p, 1, 0);	/* one too many: harmless */
	struct outset e = { .n = 0 };
	CHECK_INT(bt_picker_pick(p, NULL, NULL, in_outset, &e, e.b, 16), ==, 1);
	CHECK_INT(e.b[0].piece, ==, 1);
	CHECK_INT(e.b[0].begin, ==, 0);
	CHECK_INT(bt_picker_endgame(p), ==, 1);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_picker_free(p);
}

static void
test_failed_unrequest(void)
{
	struct bt_picker *p = mk(4, 4 * BL, 16 * BL, 0, 8);
	struct bt_block out[16];
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 4), ==, 4);
	uint32_t piece = out[0].piece;
	for (int i = 0; i < 4; i++)
		CHECK_INT(out[i].piece, ==, piece);
	/* Unrequest frees a block: it is handed out next. */
	bt_picker_unrequest(p, piece, 2 * BL);
	bt_picker_unrequest(p, piece, 2 * BL + 1);	/* not a block */
	bt_picker_unrequest(p, piece + 100, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 1), ==, 1);
	CHECK_INT(out[0].piece, ==, piece);
	CHECK_INT(out[0].begin, ==, 2 * BL);
	/* A block we gave up on may still arrive. */
	bt_picker_unrequest(p, piece, 3 * BL);
	CHECK_INT(bt_picker_received(p, piece, 3 * BL, BL), ==, 0);
	for (uint32_t b = 0; b < 3; b++)
		CHECK_INT(bt_picker_received(p, piece, b * BL, BL), ==, b == 2);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 4 * BL);
	/* It fails the hash check: all free again, and picked first. */
	bt_picker_failed(p, piece);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 0);
	CHECK_INT(bt_picker_check(p), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 6), ==, 6);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_INT(out[i].piece, ==, piece);
		CHECK_INT(out[i].begin, ==, i * BL);
	}
	CHECK(out[4].piece != piece);
	for (uint32_t b = 0; b < 4; b++)
		CHECK_INT(bt_picker_received(p, piece, b * BL, BL), ==, b == 3);
	bt_picker_have(p, piece);
	CHECK_INT(bt_picker_active(p), ==, 1);
	CHECK_INT(bt_picker_partial_bytes(p), ==, 0);
	bt_picker_failed(p, piece);	/* had: ignored */
	/* Lost again (a resume check failed): wanted and picked again. */
	bt_picker_lost(p, piece);
	CHECK_INT(bt_picker_has(p, piece), ==, 0);
	CHECK_INT(bt_picker_wanted(p), ==, 4);
	CHECK_INT(bt_picker_check(p), ==, 0);
	int seen = 0;
	size_t n;
	while ((n = bt_picker_pick(p, NULL, NULL, none_out, NULL, out, 16)) > 0 &&
		!bt_picker_endgame(p))
		;
	for (size_t i = 0; i < n; i++)
		seen += out[i].piece == piece;
	CHECK_INT(seen, ==, 4);
	bt_picker_free(p);
}

static void
test_allowed(void)
{
	enum { NP = 64 };
	struct bt_picker *p = mk(NP, BL, NP * BL, 0, 9);
	struct bt_bitfield has, allowed;
	struct bt_block out[8];
	bf_mk(&has, NP);
	bf_mk(&allowed, NP);
	for (uint32_t i = 0; i < NP; i += 3)
		bt_bitfield_set(&has, i);
	bt_picker_peer_bitfield(p, &has, 1);
	/* Allowed fast: 5 and 9 (the peer lacks 5). */
	bt_bitfield_set(&allowed, 5);
	bt_bitfield_set(&allowed, 9);
	CHECK_INT(bt_picker_pick(p, &has, &allowed, none_out, NULL, out, 8), ==, 1);
	CHECK_INT(out[0].piece, ==, 9);
	CHECK_INT(bt_picker_pick(p, &has, &allowed, none_out, NULL, out, 8), ==, 0);
	CHECK_INT(bt_picker_pick(p, NULL, &allowed, none_out, NULL, out, 8), ==, 1);
	CHECK_INT(out[0].piece, ==, 5);
	bt_bitfield_clear_all(&allowed);
	CHECK_INT(bt_picker_pick(p, NULL, &allowed, none_out, NULL, out, 8), ==, 0);
	/* Sparse peer: only pieces it has. */
	int bad = 0;
	size_t n;
	uint32_t total = 0;
	while ((n = bt_picker_pick(p, &has, NULL, none_out, NULL, out, 8)) > 0) {
		for (size_t i = 0; i < n; i++)
			bad += !bt_bitfield_test(&has, out[i].piece);
		total += (uint32_t)n;
	}
	CHECK_INT(bad, ==, 0);
	CHECK_INT(total, ==, bt_bitfield_count(&has) - 1);
	CHECK_INT(bt_picker_interesting(p, &has), ==, 1);
	for (uint32_t i = 0; i < NP; i += 3)
		bt_picker_have(p, i);
	CHECK_INT(bt_picker_interesting(p, &has), ==, 0);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_bitfield_fini(&has);
	bt_bitfield_fini(&allowed);
	bt_picker_free(p);
}

/* --- the model test --- */

static uint64_t rs;

static uint32_t
rr(uint32_t n)
{
	return (uint32_t)((bt_rand64(&rs) >> 32) * n >> 32);
}

static long endgame_picks;	/* blocks handed out in endgame, all models */

#define MP 12		/* peers */
#define MQ 64		/* requests out per peer at most */

struct mpeer {
	struct bt_bitfield has;	/* has.n == 0: a seed */
	struct bt_block q[MQ];
	int nq;
	int choked;
};

static int
mpeer_out(void *ud, uint32_t piece, uint32_t begin)
{
	struct mpeer *m = ud;
	for (int i = 0; i < m->nq; i++)
		if (m->q[i].piece == piece && m->q[i].begin == begin)
			return 1;
	return 0;
}

static void
model(uint64_t seed, uint32_t np, uint32_t piece_len, uint32_t block_len, uint32_t cutoff)
{
	rs = seed * 2654435761u + 1;
	uint64_t total = (uint64_t)(np - 1) * piece_len + 1 + rr(piece_len);
	struct bt_picker_opts o = { .npieces = np, .piece_len = piece_len, .total = total,
		.block_len = block_len, .random_cutoff = cutoff, .seed = seed };
	struct bt_picker *p = bt_picker_new(&o);
	if (!CHECK(p != NULL))
		return;
	uint32_t bpp = (piece_len + block_len - 1) / block_len;
	uint8_t *recv = calloc((size_t)np * bpp, 1);	/* received, per block */
	uint8_t *reqs = calloc((size_t)np * bpp, 1);	/* requests out, per block */
	uint8_t *done = calloc(np, 1);		/* completions reported */
	uint8_t *bad = calloc(np, 1);		/* fails its first check */
	int8_t *prio = calloc(np, 1);
	struct mpeer *peers = calloc(MP, sizeof(*peers));
	for (uint32_t i = 0; i < np; i++) {
		bad[i] = rr(8) == 0;
		prio[i] = (int8_t)(rr(10) == 0 ? -1 : (int)rr(3));
		if (prio[i] != 1)
			bt_picker_set_prio(p, i, prio[i]);
	}
	/* Some pieces we have from the start. */
	uint32_t start_have = 0;
	for (uint32_t i = 0; i < np; i++) {
		if (rr(10) == 0) {
			bt_picker_have(p, i);
			start_have++;
		}
	}
	for (int k = 0; k < MP; k++) {
		if (k == 0 && seed % 2) {
			bt_picker_seeds(p, 1);	/* a seed, no bitfield */
			continue;
		}
		bf_mk(&peers[k].has, np);
		uint32_t dens = 1 + rr(9);
		for (uint32_t i = 0; i < np; i++)
			if (rr(10) < dens || k == 0)
				bt_bitfield_set(&peers[k].has, i);
		bt_picker_peer_bitfield(p, &peers[k].has, 1);
	}
	uint32_t want0 = bt_picker_wanted(p);
	int errs = 0, completions = 0, dup_outside = 0, out_violations = 0, not_had = 0;
	int wrong_done = 0;
	long steps;
	for (steps = 0; steps < 200000 && bt_picker_wanted(p) > 0; steps++) {
		struct mpeer *m = &peers[rr(MP)];
		const struct bt_bitfield *has = m->has.n ? &m->has : NULL;
		uint32_t act = rr(16);
		if (act < 6 && !m->choked && m->nq < MQ) {
			/* Ask for blocks. */
			int eg = bt_picker_endgame(p);
			size_t max = 1 + rr(MQ - (uint32_t)m->nq);
			struct bt_block out[MQ];
			size_t n = bt_picker_pick(p, has, NULL, mpeer_out, m, out, max);
			if (n > max)
				errs++;
			if (eg)
				endgame_picks += (long)n;
			for (size_t i = 0; i < n && m->nq < MQ; i++) {
				size_t bi = (size_t)out[i].piece * bpp + out[i].begin / block_len;
				if (has && !bt_bitfield_test(has, out[i].piece))
					not_had++;
				if (mpeer_out(m, out[i].piece, out[i].begin))
					out_violations++;
				if (!eg && (reqs[bi] || recv[bi]))
					dup_outside++;
				reqs[bi]++;
				m->q[m->nq++] = out[i];
			}
		} else if (act < 13 && m->nq > 0) {
			/* A block arrives. */
			int qi = (int)rr((uint32_t)m->nq);
			struct bt_block b = m->q[qi];
			m->q[qi] = m->q[--m->nq];
			size_t bi = (size_t)b.piece * bpp + b.begin / block_len;
			reqs[bi]--;
			int r = bt_picker_received(p, b.piece, b.begin, b.len);
			if (r < 0) {
				if (!recv[bi] && !bt_picker_has(p, b.piece))
					errs++;
				continue;
			}
			if (recv[bi])
				errs++;
			recv[bi] = 1;
			if (r == 1) {
				completions++;
				uint64_t psz = b.piece + 1 == np ?
					total - (uint64_t)(np - 1) * piece_len : piece_len;
				for (uint32_t j = 0; (uint64_t)j * block_len < psz; j++)
					if (!recv[(size_t)b.piece * bpp + j])
						wrong_done++;
				if (bad[b.piece]) {
					bad[b.piece] = 0;
					memset(recv + (size_t)b.piece * bpp, 0, bpp);
					bt_picker_failed(p, b.piece);
					/* The session cancels what is still out. */
					for (int k = 0; k < MP; k++) {
						struct mpeer *x = &peers[k];
						for (int i = 0; i < x->nq;) {
							if (x->q[i].piece != b.piece) {
								i++;
								continue;
							}
							size_t xi = bi - bi % bpp;
							reqs[xi + x->q[i].begin / block_len]--;
							x->q[i] = x->q[--x->nq];
						}
					}
				} else {
					if (done[b.piece]++)
						wrong_done++;
					bt_picker_have(p, b.piece);
				}
			}
		} else if (act == 13) {
			/* Choke: every request of this peer is given up. */
			for (int i = 0; i < m->nq; i++) {
				reqs[(size_t)m->q[i].piece * bpp + m->q[i].begin / block_len]--;
				bt_picker_unrequest(p, m->q[i].piece, m->q[i].begin);
			}
			m->nq = 0;
			m->choked = 1;
		} else if (act == 14) {
			m->choked = 0;
		} else if (has && rr(4) == 0) {
			/* The peer gets a piece. */
			uint32_t i = rr(np);
			if (bt_bitfield_set(&m->has, i) == 1)
				bt_picker_peer_have(p, i);
		}
		if (steps % 997 == 0 && bt_picker_check(p) != 0)
			errs++;
	}
	CHECK_INT(bt_picker_check(p), ==, 0);
	CHECK_INT(errs, ==, 0);
	CHECK_INT(not_had, ==, 0);
	CHECK_INT(out_violations, ==, 0);
	CHECK_INT(dup_outside, ==, 0);
	CHECK_INT(wrong_done, ==, 0);
	CHECK_INT(bt_picker_wanted(p), ==, 0);
	CHECK_INT((uint32_t)completions, >=, want0);
	uint32_t ndone = 0;
	for (uint32_t i = 0; i < np; i++)
		ndone += done[i];
	CHECK_INT(ndone, ==, want0);
	CHECK_INT(bt_picker_have_count(p), ==, want0 + start_have);
	CHECK_INT(bt_picker_endgame(p), ==, 0);
	CHECK_INT(steps, <, 200000);
	/* Peers leave: availability back to the seeds'. */
	for (int k = 0; k < MP; k++) {
		if (peers[k].has.n)
			bt_picker_peer_bitfield(p, &peers[k].has, -1);
		bt_bitfield_fini(&peers[k].has);
	}
	CHECK_INT(bt_picker_check(p), ==, 0);
	/* Unskip everything: the rest is wanted again. */
	for (uint32_t i = 0; i < np; i++)
		bt_picker_set_prio(p, i, 1);
	CHECK_INT(bt_picker_wanted(p), ==, np - bt_picker_have_count(p));
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_picker_free(p);
	free(peers);
	free(prio);
	free(bad);
	free(done);
	free(reqs);
	free(recv);
}

static void
test_model(void)
{
	for (uint64_t s = 1; s <= 12; s++)
		model(s, 5 + (uint32_t)(s * 7 % 60), BL * (1 + (uint32_t)(s % 4)), BL,
			(uint32_t)(s % 3));
	/* Odd block sizes: more blocks per piece, short last blocks. */
	model(101, 30, 10000, 3000, 1);
	model(102, 200, 7, 3, 0);
	model(103, 3, 1 << 20, BL, 0);
	CHECK_INT(endgame_picks, >, 0);
}

/* --- speed --- */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench(uint32_t np, uint32_t npeers, uint32_t picks)
{
	enum { BPP = 16 };
	struct bt_picker *p = mk(np, BPP * BL, (uint64_t)np * BPP * BL, 0, 42);
	struct bt_bitfield *peers = calloc(npeers, sizeof(*peers));
	struct bt_block out[BPP];
	rs = 12345;
	for (uint32_t k = 0; k < npeers; k++) {
		bf_mk(&peers[k], np);
		uint32_t dens = k % 10 == 0 ? 1 : 5 + rr(5);	/* every tenth sparse */
		for (uint32_t i = 0; i < np; i++)
			if (rr(100) < dens * 10)
				bt_bitfield_set(&peers[k], i);
	}
	double t0 = now_s();
	for (uint32_t k = 0; k < npeers; k++)
		bt_picker_peer_bitfield(p, &peers[k], 1);
	double t1 = now_s();
	/* Start a piece, receive it, have it: the steady state of a download. */
	uint32_t got = 0;
	double tp = 0;
	for (uint32_t k = 0; k < picks; k++) {
		const struct bt_bitfield *has = k % 7 == 0 ? NULL : &peers[rr(npeers)];
		double a = now_s();
		size_t n = bt_picker_pick(p, has, NULL, none_out, NULL, out, BPP);
		tp += now_s() - a;
		for (size_t i = 0; i < n; i++)
			if (bt_picker_received(p, out[i].piece, out[i].begin, out[i].len) == 1) {
				bt_picker_have(p, out[i].piece);
				got++;
			}
		/* Availability churn: a have from some peer. */
		uint32_t i = rr(np);
		bt_picker_peer_have(p, i);
	}
	double t2 = now_s();
	/* A peer with nothing we want left in order[]: the worst case scan. */
	struct bt_bitfield had;
	bf_mk(&had, np);
	for (uint32_t i = 0; i < np; i++)
		if (bt_picker_has(p, i))
			bt_bitfield_set(&had, i);
	double t3 = now_s();
	uint32_t worst = 1000;
	for (uint32_t k = 0; k < worst; k++)
		bt_picker_pick(p, &had, NULL, none_out, NULL, out, BPP);
	double t4 = now_s();
	/* Many pieces in flight: 4 blocks a pick, 4000 blocks out. */
	enum { RING = 4000 };
	struct bt_block *ring = calloc(RING, sizeof(*ring));
	uint32_t head = 0, nring = 0, maxact = 0;
	double t7 = now_s();
	for (uint32_t k = 0; k < picks; k++) {
		const struct bt_bitfield *has = &peers[rr(npeers)];
		size_t n = bt_picker_pick(p, has, NULL, none_out, NULL, out, 4);
		for (size_t i = 0; i < n; i++) {
			if (nring == RING) {
				struct bt_block *b = &ring[head];
				if (bt_picker_received(p, b->piece, b->begin, b->len) == 1)
					bt_picker_have(p, b->piece);
				head = (head + 1) % RING;
				nring--;
			}
			ring[(head + nring++) % RING] = out[i];
		}
		if (bt_picker_active(p) > maxact)
			maxact = bt_picker_active(p);
	}
	double t8 = now_s();
	free(ring);
	uint32_t cnt;
	double t5 = now_s();
	for (int k = 0; k < 100; k++)
		bt_picker_min_avail(p, &cnt);
	for (int k = 0; k < 100; k++)
		bt_picker_interesting(p, &had);
	double t6 = now_s();
	printf("bench %u pieces, %u peers: bitfields %.1f ms, %u picks %.1f ms "
	       "(%.2f us/pick, %.2f us/iteration with receive+have), %u pieces done; "
	       "%u empty picks %.2f us each; min_avail+interesting %.1f us; "
	       "%.2f us/iteration with up to %u pieces active\n",
		np, npeers, (t1 - t0) * 1e3, picks, tp * 1e3, tp * 1e6 / picks,
		(t2 - t1) * 1e6 / picks, got, worst, (t4 - t3) * 1e6 / worst,
		(t6 - t5) * 1e6 / 100, (t8 - t7) * 1e6 / picks, maxact);
	CHECK_INT(got, >, picks / 2);
	CHECK_INT(bt_picker_check(p), ==, 0);
	bt_bitfield_fini(&had);
	for (uint32_t k = 0; k < npeers; k++)
		bt_bitfield_fini(&peers[k]);
	free(peers);
	bt_picker_free(p);
}

int
main(int argc, char **argv)
{
	test_new();
	test_single();
	test_short_last();
	test_each_once();
	test_rarest();
	test_skip();
	test_random_first();
	test_endgame();
	test_failed_unrequest();
	test_allowed();
	test_model();
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		bench(100000, 300, 10000);
	else
		bench(100000, 30, 2000);
	return check_summary("picker");
}
