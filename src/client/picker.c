/* picker.c - which blocks to ask which peer for; see picker.h.
 *
 * Wanted pieces that are not active sit in one array, order[], sorted by
 * level (availability, capped, plus PRIO_STEP times the priority), with
 * lstart[l] the first index of level l (libtorrent keeps its piece list
 * the same way; BitTornado kept one list per level).  A piece moves one
 * level by swapping it with the first or last piece of its level and
 * shifting that one boundary: O(1) for a have or a lost peer.  Inside a
 * level the order is arbitrary; picks scan a level from a random index,
 * which breaks ties at random.
 *
 * Active pieces sit in act[] in the order they were started, each with
 * one state byte per block: 0 free, 1..REQ_MAX requests out, RECEIVED.
 * pc[i].pos is the piece's index in order[] or in act[]. */
#include "picker.h"

#include "metainfo.h"
#include "rand.h"

#include <stdlib.h>
#include <string.h>

#define PRIO_STEP	20	/* BitTornado's priority_step */
#define AVAIL_CAP	1023	/* availability ranks no higher than this */
#define NLEV		(AVAIL_CAP + 1 + 2 * PRIO_STEP)
#define MAX_BLOCKS	(1u << 20)	/* blocks per piece */

#define PRIO_SKIP	(-1)	/* as storage.h's BT_PRIO_* */
#define PRIO_NORMAL	1

#define REQ_MAX		254
#define RECEIVED	255

#define F_HAVE		1	/* we have the piece */
#define F_ACT		2	/* in act[] */
#define F_ORD		4	/* in order[] */

#define NONE		UINT32_MAX

struct pc {
	uint32_t pos;
	uint16_t avail;	/* peers having it, saturating */
	int8_t prio;	/* BT_PRIO_SKIP (-1) .. 2 */
	uint8_t fl;
};

struct act {
	uint32_t piece;
	uint32_t nblocks;
	uint32_t nrecv;		/* blocks received */
	uint32_t nfree;		/* blocks free (no request, not received) */
	uint32_t ffree;		/* no free block below this index */
	uint32_t rbytes;	/* bytes received */
	uint8_t st[];
};

struct bt_picker {
	uint32_t n, piece_len, last_len, block_len, cutoff;
	uint64_t rng;

	struct pc *pc;
	struct bt_bitfield want;	/* not had and not skipped; .have counts them */

	uint32_t *order;
	uint32_t nord;		/* pieces in order[] */
	uint32_t nordp[3];	/* of which at each priority */
	uint32_t hi;		/* levels >= hi are empty */
	uint32_t lstart[NLEV];

	struct act **act;
	uint32_t nact, capact;

	uint32_t nhave;
	uint32_t nfreew;	/* free blocks of active wanted pieces */
	uint32_t seeds;
	uint64_t pbytes;	/* received bytes of active pieces */
};

static uint64_t
rnd(struct bt_picker *p)
{
	return bt_rand64(&p->rng);
}

/* Uniform enough in [0, n), n > 0. */
static uint32_t
rnd_below(struct bt_picker *p, uint32_t n)
{
	return (uint32_t)(((rnd(p) >> 32) * (uint64_t)n) >> 32);
}

static int
bit(const uint8_t *bits, uint32_t i)
{
	return (bits[i >> 3] >> (7 - (i & 7))) & 1;
}

static int
wanted(const struct pc *c)
{
	return !(c->fl & F_HAVE) && c->prio >= 0;
}

static uint32_t
piece_size(const struct bt_picker *p, uint32_t piece)
{
	return piece + 1 == p->n ? p->last_len : p->piece_len;
}

static uint32_t
nblocks_of(const struct bt_picker *p, uint32_t piece)
{
	return (uint32_t)bt_meta_block_count(piece_size(p, piece), p->block_len);
}

static uint32_t
block_size(const struct bt_picker *p, uint32_t piece, uint32_t b)
{
	return bt_meta_block_size(piece_size(p, piece), p->block_len, b);
}

/* --- order[]: wanted inactive pieces by level --- */

static uint32_t
level_of(const struct pc *c)
{
	uint32_t a = c->avail < AVAIL_CAP ? c->avail : AVAIL_CAP;
	return a + PRIO_STEP * (uint32_t)c->prio;
}

static uint32_t
lbeg(const struct bt_picker *p, uint32_t l)
{
	return l < p->hi ? p->lstart[l] : p->nord;
}

static void
ord_swap(struct bt_picker *p, uint32_t i, uint32_t j)
{
	uint32_t a = p->order[i], b = p->order[j];
	p->order[i] = b;
	p->pc[b].pos = i;
	p->order[j] = a;
	p->pc[a].pos = j;
}

static void
lev_trim(struct bt_picker *p)
{
	while (p->hi > 0 && p->lstart[p->hi - 1] == p->nord)
		p->hi--;
}

/* The piece at level l (< NLEV - 1) goes to level l + 1. */
static void
lev_up(struct bt_picker *p, uint32_t piece, uint32_t l)
{
	if (l + 1 >= p->hi) {	/* l is the top level: open the next */
		p->lstart[l + 1] = p->nord;
		p->hi = l + 2;
	}
	uint32_t last = p->lstart[l + 1] - 1;
	ord_swap(p, p->pc[piece].pos, last);
	p->lstart[l + 1] = last;
}

/* The piece at level l (> 0) goes to level l - 1. */
static void
lev_down(struct bt_picker *p, uint32_t piece, uint32_t l)
{
	uint32_t first = p->lstart[l];
	ord_swap(p, p->pc[piece].pos, first);
	p->lstart[l] = first + 1;
	lev_trim(p);
}

static void
lev_move(struct bt_picker *p, uint32_t piece, uint32_t from, uint32_t to)
{
	for (; from < to; from++)
		lev_up(p, piece, from);
	for (; from > to; from--)
		lev_down(p, piece, from);
}

static void
ord_insert(struct bt_picker *p, uint32_t piece)
{
	struct pc *c = &p->pc[piece];
	uint32_t l = level_of(c), i = p->nord++;
	p->order[i] = piece;
	c->pos = i;
	c->fl |= F_ORD;
	p->nordp[c->prio]++;
	if (p->hi == 0 || l + 1 >= p->hi) {
		/* Levels hi..l-1 stay empty, l starts here. */
		for (uint32_t k = p->hi; k <= l; k++)
			p->lstart[k] = i;
		if (l + 1 > p->hi)
			p->hi = l + 1;
	} else {
		/* Appended to the top level; walk down. */
		lev_move(p, piece, p->hi - 1, l);
	}
}

static void
ord_remove(struct bt_picker *p, uint32_t piece)
{
	struct pc *c = &p->pc[piece];
	uint32_t l = level_of(c);
	for (; l + 1 < p->hi; l++)
		lev_up(p, piece, l);
	ord_swap(p, c->pos, p->nord - 1);
	p->nord--;
	c->fl &= (uint8_t)~F_ORD;
	p->nordp[c->prio]--;
	lev_trim(p);
}

/* --- active pieces --- */

static void
act_remove(struct bt_picker *p, uint32_t piece)
{
	struct pc *c = &p->pc[piece];
	uint32_t k = c->pos;
	struct act *a = p->act[k];
	if (c->prio >= 0)
		p->nfreew -= a->nfree;
	p->pbytes -= a->rbytes;
	free(a);
	memmove(&p->act[k], &p->act[k + 1], (size_t)(p->nact - k - 1) * sizeof(p->act[0]));
	p->nact--;
	for (; k < p->nact; k++)
		p->pc[p->act[k]->piece].pos = k;
	c->fl &= (uint8_t)~F_ACT;
}

/* Start downloading an inactive wanted piece.  NULL when out of memory. */
static struct act *
act_start(struct bt_picker *p, uint32_t piece)
{
	if (p->nact == p->capact) {
		uint32_t cap = p->capact ? p->capact * 2 : 16;
		struct act **v = realloc(p->act, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		p->act = v;
		p->capact = cap;
	}
	uint32_t nb = nblocks_of(p, piece);
	struct act *a = calloc(1, sizeof(*a) + nb);
	if (!a)
		return NULL;
	a->piece = piece;
	a->nblocks = nb;
	a->nfree = nb;
	ord_remove(p, piece);
	struct pc *c = &p->pc[piece];
	c->fl |= F_ACT;
	c->pos = p->nact;
	p->act[p->nact++] = a;
	p->nfreew += nb;
	return a;
}

static struct act *
act_find(const struct bt_picker *p, uint32_t piece)
{
	if (piece >= p->n || !(p->pc[piece].fl & F_ACT))
		return NULL;
	return p->act[p->pc[piece].pos];
}

/* Hand out up to max free blocks of a (a wanted piece). */
static size_t
take_free(struct bt_picker *p, struct act *a, struct bt_block *out, size_t max)
{
	size_t k = 0;
	uint32_t b = a->ffree;
	for (; b < a->nblocks && k < max && a->nfree > 0; b++) {
		if (a->st[b] != 0)
			continue;
		a->st[b] = 1;
		a->nfree--;
		p->nfreew--;
		out[k].piece = a->piece;
		out[k].begin = b * p->block_len;
		out[k].len = block_size(p, a->piece, b);
		k++;
	}
	a->ffree = b;
	return k;
}

/* --- choosing a new piece --- */

struct filt {
	const uint8_t *has;	/* NULL: a seed */
	const uint8_t *allowed;	/* NULL: any */
};

static int
filt_ok(const struct filt *f, uint32_t piece)
{
	return (!f->has || bit(f->has, piece)) && (!f->allowed || bit(f->allowed, piece));
}

/* Rank of a candidate: lower is better. */
static uint32_t
rank(const struct bt_picker *p, uint32_t piece, int rarest)
{
	const struct pc *c = &p->pc[piece];
	return rarest ? level_of(c) : (uint32_t)c->prio;
}

/* Best rank any piece in order[] can have. */
static uint32_t
best_rank(const struct bt_picker *p, int rarest)
{
	uint32_t r = 0;
	if (rarest) {
		while (r + 1 < p->hi && p->lstart[r + 1] == 0)
			r++;
	} else {
		while (r < 2 && p->nordp[r] == 0)
			r++;
	}
	return r;
}

struct best {
	uint32_t piece, rank, ties;
};

static int
consider(struct bt_picker *p, const struct filt *f, uint32_t piece, int rarest,
	struct best *b, uint32_t stop)
{
	if (!(p->pc[piece].fl & F_ORD) || !filt_ok(f, piece))
		return 0;
	uint32_t r = rank(p, piece, rarest);
	if (r < b->rank) {
		b->piece = piece;
		b->rank = r;
		b->ties = 1;
	} else if (r == b->rank && rnd_below(p, ++b->ties) == 0) {
		b->piece = piece;
	}
	return r <= stop;
}

/* Visit the set bits of bits & p->want in bytes [from, to); 1 when told
 * to stop. */
static int
scan_bits(struct bt_picker *p, const uint8_t *bits, size_t from, size_t to,
	const struct filt *f, int rarest, struct best *b, uint32_t stop)
{
	size_t k = from;
	while (k < to) {
		if (k + 8 <= to) {
			uint64_t w, m;
			memcpy(&w, bits + k, 8);
			memcpy(&m, p->want.bits + k, 8);
			if ((w & m) == 0) {
				k += 8;
				continue;
			}
		}
		for (size_t e = k + 8 < to ? k + 8 : to; k < e; k++) {
			unsigned v = bits[k] & p->want.bits[k];
			for (unsigned j = 0; v && j < 8; j++) {
				if (!(v & (0x80u >> j)))
					continue;
				v &= ~(0x80u >> j);
				uint32_t piece = (uint32_t)(k * 8 + j);
				if (consider(p, f, piece, rarest, b, stop))
					return 1;
			}
		}
	}
	return 0;
}

/* Every candidate: the set bits of bits (the peer's, or the allowed set)
 * that we want, from a random byte on.  O(pieces / 64 + candidates). */
static uint32_t
choose_sparse(struct bt_picker *p, const uint8_t *bits, const struct filt *f, int rarest)
{
	struct best b = { NONE, UINT32_MAX, 0 };
	uint32_t stop = best_rank(p, rarest);
	size_t nb = bt_bitfield_bytes(p->n), start = rnd_below(p, (uint32_t)nb);
	if (!scan_bits(p, bits, start, nb, f, rarest, &b, stop))
		scan_bits(p, bits, 0, start, f, rarest, &b, stop);
	return b.piece;
}

/* First piece in order[lo, hi) from a random index on that f lets
 * through, spending at most *budget tests (NONE when out of budget or
 * there is none). */
static uint32_t
scan_range(struct bt_picker *p, const struct filt *f, uint32_t lo, uint32_t hi,
	uint32_t *budget)
{
	uint32_t r = lo + rnd_below(p, hi - lo);
	for (uint32_t i = r; i < hi && *budget; i++, (*budget)--)
		if (filt_ok(f, p->order[i]))
			return p->order[i];
	for (uint32_t i = lo; i < r && *budget; i++, (*budget)--)
		if (filt_ok(f, p->order[i]))
			return p->order[i];
	return NONE;
}

/* Walk order[]: rarest first level by level, or from a random index for
 * random first.  Gives up (NONE, *budget 0) after *budget tests. */
static uint32_t
choose_dense(struct bt_picker *p, const struct filt *f, int rarest, uint32_t *budget)
{
	if (rarest) {
		for (uint32_t l = 0; l < p->hi && *budget; l++) {
			uint32_t lo = p->lstart[l], hi = lbeg(p, l + 1);
			if (lo == hi)
				continue;
			uint32_t piece = scan_range(p, f, lo, hi, budget);
			if (piece != NONE)
				return piece;
		}
		return NONE;
	}
	/* The first piece of the best priority class there is, else the
	 * best seen. */
	struct best b = { NONE, UINT32_MAX, 0 };
	uint32_t stop = best_rank(p, 0), r = rnd_below(p, p->nord);
	for (uint32_t k = 0; k < p->nord && *budget; k++, (*budget)--) {
		uint32_t i = r + k < p->nord ? r + k : r + k - p->nord;
		uint32_t piece = p->order[i];
		if (!filt_ok(f, piece))
			continue;
		uint32_t pr = (uint32_t)p->pc[piece].prio;
		if (pr < b.rank) {
			b.piece = piece;
			b.rank = pr;
			if (pr <= stop)
				return piece;
		}
	}
	return *budget ? b.piece : NONE;
}

/* A new piece for the peer, or NONE.  A seed takes the first piece of the
 * walk.  For others the walk is tried with a budget of about what a pass
 * over the peer's bitfield costs; a peer that has few pieces we want
 * exhausts it and gets that pass instead.  So a pick costs O(levels +
 * pieces / 64 + pieces the peer has that we want) at worst. */
static uint32_t
choose(struct bt_picker *p, const struct bt_bitfield *has, const struct filt *f)
{
	if (p->nord == 0)
		return NONE;
	int rarest = p->nhave >= p->cutoff;
	if (f->allowed)
		return choose_sparse(p, f->allowed, f, rarest);
	uint32_t budget = has ? (uint32_t)(bt_bitfield_bytes(p->n) / 8) + 64 : UINT32_MAX;
	uint32_t piece = choose_dense(p, f, rarest, &budget);
	if (piece == NONE && budget == 0)
		piece = choose_sparse(p, has->bits, f, rarest);
	return piece;
}

/* --- endgame --- */

static size_t
pick_endgame(struct bt_picker *p, const struct filt *f, bt_picker_outstanding_fn *outstanding,
	void *ud, struct bt_block *out, size_t max)
{
	size_t k = 0;
	uint32_t start = rnd_below(p, p->nact);
	/* Blocks with one request out first, then the rest; the counts go up
	 * only at the end so the two passes do not overlap. */
	for (int pass = 0; pass < 2 && k < max; pass++) {
		for (uint32_t j = 0; j < p->nact && k < max; j++) {
			uint32_t ai = start + j < p->nact ? start + j : start + j - p->nact;
			struct act *a = p->act[ai];
			if (p->pc[a->piece].prio < 0 || a->nrecv == a->nblocks ||
				!filt_ok(f, a->piece))
				continue;
			for (uint32_t b = 0; b < a->nblocks && k < max; b++) {
				uint8_t s = a->st[b];
				if (s == 0 || s == RECEIVED || (pass == 0) != (s == 1))
					continue;
				uint32_t begin = b * p->block_len;
				if (outstanding(ud, a->piece, begin))
					continue;
				out[k].piece = a->piece;
				out[k].begin = begin;
				out[k].len = block_size(p, a->piece, b);
				k++;
			}
		}
	}
	for (size_t i = 0; i < k; i++) {
		struct act *a = act_find(p, out[i].piece);
		uint8_t *s = &a->st[out[i].begin / p->block_len];
		if (*s < REQ_MAX)
			(*s)++;
	}
	return k;
}

/* --- the interface --- */

struct bt_picker *
bt_picker_new(const struct bt_picker_opts *o)
{
	if (!o || o->npieces == 0 || o->npieces > BT_BITFIELD_MAX || o->piece_len == 0)
		return NULL;
	if (o->total > INT64_MAX ||
		bt_meta_piece_count((int64_t)o->total, o->piece_len) != o->npieces)
		return NULL;
	uint32_t bl = o->block_len ? o->block_len : BT_PICK_BLOCK;
	if (o->piece_len / bl >= MAX_BLOCKS)
		return NULL;

	struct bt_picker *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->n = o->npieces;
	p->piece_len = o->piece_len;
	p->last_len = (uint32_t)bt_meta_piece_size((int64_t)o->total, o->piece_len, p->n - 1);
	p->block_len = bl;
	p->cutoff = o->random_cutoff;
	p->rng = o->seed;
	p->pc = calloc(p->n, sizeof(*p->pc));
	p->order = malloc((size_t)p->n * sizeof(*p->order));
	if (!p->pc || !p->order || bt_bitfield_init(&p->want, p->n) < 0) {
		bt_picker_free(p);
		return NULL;
	}
	bt_bitfield_set_all(&p->want);

	/* Everything normal priority, availability 0: one level, shuffled. */
	for (uint32_t i = 0; i < p->n; i++)
		p->order[i] = i;
	for (uint32_t i = p->n - 1; i > 0; i--) {
		uint32_t j = rnd_below(p, i + 1), t = p->order[i];
		p->order[i] = p->order[j];
		p->order[j] = t;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		struct pc *c = &p->pc[p->order[i]];
		c->pos = i;
		c->prio = PRIO_NORMAL;
		c->fl = F_ORD;
	}
	p->nord = p->n;
	p->nordp[PRIO_NORMAL] = p->n;
	p->hi = PRIO_STEP * PRIO_NORMAL + 1;	/* lstart[] all 0 */
	return p;
}

void
bt_picker_free(struct bt_picker *p)
{
	if (!p)
		return;
	for (uint32_t k = 0; k < p->nact; k++)
		free(p->act[k]);
	free(p->act);
	free(p->order);
	bt_bitfield_fini(&p->want);
	free(p->pc);
	free(p);
}

void
bt_picker_have(struct bt_picker *p, uint32_t piece)
{
	if (piece >= p->n || (p->pc[piece].fl & F_HAVE))
		return;
	struct pc *c = &p->pc[piece];
	if (c->fl & F_ACT)
		act_remove(p, piece);
	if (c->fl & F_ORD)
		ord_remove(p, piece);
	if (c->prio >= 0)
		bt_bitfield_clear(&p->want, piece);
	c->fl |= F_HAVE;
	p->nhave++;
}

void
bt_picker_lost(struct bt_picker *p, uint32_t piece)
{
	if (piece >= p->n || !(p->pc[piece].fl & F_HAVE))
		return;
	struct pc *c = &p->pc[piece];
	c->fl &= (uint8_t)~F_HAVE;
	p->nhave--;
	if (c->prio >= 0) {
		bt_bitfield_set(&p->want, piece);
		ord_insert(p, piece);
	}
}

int
bt_picker_has(const struct bt_picker *p, uint32_t piece)
{
	return piece < p->n && (p->pc[piece].fl & F_HAVE) != 0;
}

uint32_t
bt_picker_have_count(const struct bt_picker *p)
{
	return p->nhave;
}

uint32_t
bt_picker_wanted(const struct bt_picker *p)
{
	return p->want.have;
}

void
bt_picker_set_prio(struct bt_picker *p, uint32_t piece, int prio)
{
	if (piece >= p->n)
		return;
	if (prio < 0)
		prio = PRIO_SKIP;
	else if (prio > 2)
		prio = 2;
	struct pc *c = &p->pc[piece];
	int old = c->prio;
	if (old == prio)
		return;
	if (c->fl & F_ORD) {
		if (prio < 0) {
			ord_remove(p, piece);
		} else {
			uint32_t from = level_of(c);
			p->nordp[old]--;
			c->prio = (int8_t)prio;
			p->nordp[prio]++;
			lev_move(p, piece, from, level_of(c));
		}
	}
	c->prio = (int8_t)prio;
	if (c->fl & F_HAVE || (old >= 0) == (prio >= 0))
		return;
	/* Not had, and wanted <-> skipped. */
	if (prio >= 0) {
		bt_bitfield_set(&p->want, piece);
		if (c->fl & F_ACT)
			p->nfreew += p->act[c->pos]->nfree;
		else
			ord_insert(p, piece);
	} else {
		bt_bitfield_clear(&p->want, piece);
		if (c->fl & F_ACT)
			p->nfreew -= p->act[c->pos]->nfree;
	}
}

/* Availability of piece changes by d (non-zero, |d| < 2^16). */
static void
avail_add(struct bt_picker *p, uint32_t piece, int d)
{
	struct pc *c = &p->pc[piece];
	int32_t v = (int32_t)c->avail + d;
	if (v < 0)
		v = 0;
	else if (v > UINT16_MAX)
		v = UINT16_MAX;
	if (!(c->fl & F_ORD)) {
		c->avail = (uint16_t)v;
		return;
	}
	uint32_t from = level_of(c);
	c->avail = (uint16_t)v;
	lev_move(p, piece, from, level_of(c));
}

void
bt_picker_peer_have(struct bt_picker *p, uint32_t piece)
{
	if (piece < p->n)
		avail_add(p, piece, 1);
}

void
bt_picker_peer_donthave(struct bt_picker *p, uint32_t piece)
{
	if (piece < p->n)
		avail_add(p, piece, -1);
}

void
bt_picker_peer_bitfield(struct bt_picker *p, const struct bt_bitfield *bf, int delta)
{
	if (!bf || bf->n != p->n || delta == 0)
		return;
	if (delta > UINT16_MAX)
		delta = UINT16_MAX;
	else if (delta < -UINT16_MAX)
		delta = -UINT16_MAX;
	size_t nb = bt_bitfield_bytes(p->n);
	for (size_t k = 0; k < nb; k++) {
		unsigned v = bf->bits[k];
		for (unsigned j = 0; v && j < 8; j++) {
			if (v & (0x80u >> j)) {
				v &= ~(0x80u >> j);
				uint32_t piece = (uint32_t)(k * 8 + j);
				if (piece < p->n)
					avail_add(p, piece, delta);
			}
		}
	}
}

void
bt_picker_seeds(struct bt_picker *p, int delta)
{
	int64_t v = (int64_t)p->seeds + delta;
	p->seeds = v < 0 ? 0 : v > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)v;
}

uint32_t
bt_picker_min_avail(const struct bt_picker *p, uint32_t *count)
{
	uint32_t lo = UINT32_MAX, cnt = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct pc *c = &p->pc[i];
		if (!wanted(c))
			continue;
		if (c->avail < lo) {
			lo = c->avail;
			cnt = 1;
		} else if (c->avail == lo) {
			cnt++;
		}
	}
	if (count)
		*count = cnt;
	return cnt ? lo + p->seeds : 0;
}

int
bt_picker_interesting(const struct bt_picker *p, const struct bt_bitfield *has)
{
	if (!has)
		return p->want.have > 0;
	if (has->n != p->n || has->have == 0 || p->want.have == 0)
		return 0;
	size_t nb = bt_bitfield_bytes(p->n), k = 0;
	for (; k + 8 <= nb; k += 8) {
		uint64_t a, b;
		memcpy(&a, has->bits + k, 8);
		memcpy(&b, p->want.bits + k, 8);
		if (a & b)
			return 1;
	}
	for (; k < nb; k++)
		if (has->bits[k] & p->want.bits[k])
			return 1;
	return 0;
}

size_t
bt_picker_pick(struct bt_picker *p, const struct bt_bitfield *has,
	const struct bt_bitfield *allowed, bt_picker_outstanding_fn *outstanding,
	void *ud, struct bt_block *out, size_t max)
{
	if (max == 0 || p->want.have == 0)
		return 0;
	if ((has && (has->n != p->n || has->have == 0)) ||
		(allowed && (allowed->n != p->n || allowed->have == 0)))
		return 0;
	struct filt f = { has ? has->bits : NULL, allowed ? allowed->bits : NULL };
	size_t k = 0;

	/* 1: finish what is started, oldest first. */
	for (uint32_t j = 0; j < p->nact && k < max && p->nfreew > 0; j++) {
		struct act *a = p->act[j];
		if (a->nfree == 0 || p->pc[a->piece].prio < 0 || !filt_ok(&f, a->piece))
			continue;
		k += take_free(p, a, out + k, max - k);
	}
	/* 2, 3: start new pieces, at random or rarest first. */
	while (k < max) {
		uint32_t piece = choose(p, has, &f);
		if (piece == NONE)
			break;
		struct act *a = act_start(p, piece);
		if (!a)
			break;
		k += take_free(p, a, out + k, max - k);
	}
	/* 4: endgame. */
	if (k == 0 && outstanding && bt_picker_endgame(p))
		k = pick_endgame(p, &f, outstanding, ud, out, max);
	return k;
}

/* The block index of (piece, begin, len) in a, or NONE. */
static uint32_t
block_index(const struct bt_picker *p, const struct act *a, uint32_t begin)
{
	if (begin % p->block_len != 0)
		return NONE;
	uint32_t b = begin / p->block_len;
	return b < a->nblocks ? b : NONE;
}

int
bt_picker_received(struct bt_picker *p, uint32_t piece, uint32_t begin, uint32_t len)
{
	struct act *a = act_find(p, piece);
	if (!a)
		return -1;
	uint32_t b = block_index(p, a, begin);
	if (b == NONE || len != block_size(p, piece, b) || a->st[b] == RECEIVED)
		return -1;
	if (a->st[b] == 0) {	/* arrived after we gave up on it */
		a->nfree--;
		if (p->pc[piece].prio >= 0)
			p->nfreew--;
	}
	a->st[b] = RECEIVED;
	a->nrecv++;
	a->rbytes += len;
	p->pbytes += len;
	return a->nrecv == a->nblocks;
}

void
bt_picker_unrequest(struct bt_picker *p, uint32_t piece, uint32_t begin)
{
	struct act *a = act_find(p, piece);
	if (!a)
		return;
	uint32_t b = block_index(p, a, begin);
	if (b == NONE || a->st[b] == 0 || a->st[b] == RECEIVED)
		return;
	if (--a->st[b] == 0) {
		a->nfree++;
		if (b < a->ffree)
			a->ffree = b;
		if (p->pc[piece].prio >= 0)
			p->nfreew++;
	}
}

void
bt_picker_failed(struct bt_picker *p, uint32_t piece)
{
	struct act *a = act_find(p, piece);
	if (!a)
		return;
	if (p->pc[piece].prio >= 0)
		p->nfreew += a->nblocks - a->nfree;
	memset(a->st, 0, a->nblocks);
	a->nfree = a->nblocks;
	a->nrecv = 0;
	a->ffree = 0;
	p->pbytes -= a->rbytes;
	a->rbytes = 0;
}

int
bt_picker_endgame(const struct bt_picker *p)
{
	return p->want.have > 0 && p->nord == 0 && p->nfreew == 0;
}

uint32_t
bt_picker_active(const struct bt_picker *p)
{
	return p->nact;
}

uint64_t
bt_picker_partial_bytes(const struct bt_picker *p)
{
	return p->pbytes;
}

int
bt_picker_check(const struct bt_picker *p)
{
	uint32_t nord = 0, nordp[3] = { 0, 0, 0 }, nwanted = 0, nhave = 0, nfreew = 0;
	uint64_t pbytes = 0;
	if (p->hi > NLEV || (p->hi == 0) != (p->nord == 0) || (p->hi && p->lstart[0] != 0))
		return -1;
	for (uint32_t l = 0; l + 1 < p->hi; l++)
		if (p->lstart[l] > p->lstart[l + 1])
			return -2;
	if (p->hi && p->lstart[p->hi - 1] >= p->nord)
		return -3;	/* the top level is not empty */
	for (uint32_t i = 0; i < p->n; i++) {
		const struct pc *c = &p->pc[i];
		int ord = (c->fl & F_ORD) != 0, act = (c->fl & F_ACT) != 0;
		if (c->prio < -1 || c->prio > 2 || (ord && act) || bt_bitfield_test(&p->want, i) != wanted(c))
			return -4;
		if (c->fl & F_HAVE) {
			nhave++;
			if (ord || act)
				return -5;
		} else if (c->prio >= 0) {
			nwanted++;
			if (!ord && !act)
				return -6;
		} else if (ord) {
			return -7;
		}
		if (ord) {
			uint32_t l = level_of(c);
			if (c->pos >= p->nord || p->order[c->pos] != i || l >= p->hi ||
				c->pos < p->lstart[l] || c->pos >= lbeg(p, l + 1))
				return -8;
			nord++;
			nordp[c->prio]++;
		}
		if (act) {
			if (c->pos >= p->nact || p->act[c->pos]->piece != i)
				return -9;
		}
	}
	if (nord != p->nord || nhave != p->nhave || nwanted != p->want.have ||
		memcmp(nordp, p->nordp, sizeof(nordp)) != 0)
		return -10;
	for (uint32_t k = 0; k < p->nact; k++) {
		const struct act *a = p->act[k];
		uint32_t nf = 0, nr = 0, rb = 0;
		for (uint32_t b = 0; b < a->nblocks; b++) {
			if (a->st[b] == 0) {
				nf++;
				if (b < a->ffree)
					return -11;
			} else if (a->st[b] == RECEIVED) {
				nr++;
				rb += block_size(p, a->piece, b);
			}
		}
		if (a->nblocks != nblocks_of(p, a->piece) || nf != a->nfree || nr != a->nrecv ||
			rb != a->rbytes)
			return -12;
		if (p->pc[a->piece].prio >= 0)
			nfreew += nf;
		pbytes += rb;
	}
	if (nfreew != p->nfreew || pbytes != p->pbytes)
		return -13;
	return 0;
}
