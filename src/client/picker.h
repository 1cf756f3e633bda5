/* picker.h - which blocks to ask which peer for.
 *
 * Pieces are split into blocks of block_len bytes (16 KiB; the last block
 * of the last piece may be short).  The picker knows, per piece: whether
 * we have it, its availability (how many connected peers have it), its
 * priority; and per piece being downloaded ("active"), the state of each
 * block: free, requested (with a count of requests out), received.  Only
 * active pieces carry block state, so memory is O(pieces) bytes plus
 * O(active pieces x blocks per piece) bytes, not O(blocks).
 *
 * Policy (BitTornado's, BEP 3's usual):
 *  - while we have fewer than `random_cutoff` pieces, new pieces are
 *    picked at random among those the peer has (best priority class
 *    first), to get whole pieces to trade quickly;
 *  - then rarest first: lowest availability, ties broken at random,
 *    pieces of a better priority class first (priority p ranks as if its
 *    availability were 20 * p higher, BitTornado's rule; availability
 *    above 1023 ranks as 1023; skipped pieces are never picked);
 *  - active pieces the peer has are finished before new ones are started
 *    (strict priority for partial pieces keeps few pieces in flight);
 *  - endgame: once every block of every wanted piece is requested or
 *    received, blocks already requested from other peers are handed out
 *    again (the session cancels duplicates as blocks arrive).
 *
 * The picker does not know peers; the caller passes the peer's bitfield
 * and a callback telling which blocks that peer already has outstanding.
 * Nothing here prints, exits or does I/O. */
#ifndef BT_PICKER_H
#define BT_PICKER_H

#include <stddef.h>
#include <stdint.h>

#include "bitfield.h"

#define BT_PICK_BLOCK	16384u

struct bt_picker;

struct bt_block {
	uint32_t piece, begin, len;
};

struct bt_picker_opts {
	uint32_t npieces;
	uint32_t piece_len;	/* every piece but the last */
	uint64_t total;		/* torrent bytes: fixes the last piece's size */
	uint32_t block_len;	/* 0: BT_PICK_BLOCK */
	uint32_t random_cutoff;	/* BitTornado's rarest_first_cutoff; 0 = none */
	uint64_t seed;		/* for the random choices (tests pass a fixed one) */
};

/* NULL when out of memory or the options do not add up (npieces 0 or more
 * than BT_BITFIELD_MAX, piece_len 0, total not inside the last piece,
 * more than 2^20 blocks per piece).  Every piece starts wanted, normal
 * priority, availability 0.  Memory: 12 bytes and a bit per piece, plus
 * one byte per block of each active piece. */
struct bt_picker *bt_picker_new(const struct bt_picker_opts *o);
void bt_picker_free(struct bt_picker *p);

/* We have piece (verified): no longer wanted, its block state dropped.
 * Out-of-range pieces are ignored here and in every call below. */
void bt_picker_have(struct bt_picker *p, uint32_t piece);
/* We lost it (a resume piece failed its lazy check): wanted again. */
void bt_picker_lost(struct bt_picker *p, uint32_t piece);
int bt_picker_has(const struct bt_picker *p, uint32_t piece);
/* Pieces we have, and pieces still wanted (not had, not skipped). */
uint32_t bt_picker_have_count(const struct bt_picker *p);
uint32_t bt_picker_wanted(const struct bt_picker *p);

/* Priority of a piece: BT_PRIO_SKIP (-1), 0 high, 1 normal, 2 low
 * (storage.h); below -1 counts as skip, above 2 as low.  Skipping an
 * active piece keeps its blocks (none are handed out until it is wanted
 * again). */
void bt_picker_set_prio(struct bt_picker *p, uint32_t piece, int prio);

/* Availability: a peer announced one piece (have), or its whole bitfield
 * arrived (+1 on each set bit), or it left (-1 on each set bit).  Seeds
 * can be counted without a bitfield: bt_picker_seeds adds delta to a
 * count added to every piece's availability. */
void bt_picker_peer_have(struct bt_picker *p, uint32_t piece);
/* A peer no longer has piece (BEP 54 lt_donthave): -1 on it. */
void bt_picker_peer_donthave(struct bt_picker *p, uint32_t piece);
void bt_picker_peer_bitfield(struct bt_picker *p, const struct bt_bitfield *bf,
	int delta);
void bt_picker_seeds(struct bt_picker *p, int delta);
/* Lowest availability over wanted pieces (BitTornado's "distributed
 * copies" integer part), and how many pieces sit at that level; 0 and a
 * count of 0 when nothing is wanted.  O(pieces): for status lines. */
uint32_t bt_picker_min_avail(const struct bt_picker *p, uint32_t *count);

/* 1 if the peer with bitfield has (NULL: a seed) has a piece we want
 * (O(pieces / 64)).  A bitfield of the wrong size is never interesting,
 * and pick gives nothing for it. */
int bt_picker_interesting(const struct bt_picker *p, const struct bt_bitfield *has);

/* Does this peer already have a request out for this block?  Used in
 * endgame so a peer is not given the same block twice. */
typedef int bt_picker_outstanding_fn(void *ud, uint32_t piece, uint32_t begin);

/* Fill out[0..max) with blocks to request from a peer having `has`
 * (NULL: a seed), marking them requested.  `allowed` (may be NULL)
 * limits the choice to pieces set in it (BEP 6 allowed-fast while
 * choked).  Returns the number filled (0: nothing to ask this peer).
 * Order: free blocks of active pieces, oldest started first; then new
 * pieces (random or rarest first); only when that gives nothing and we
 * are in endgame, duplicates of requested blocks, those with a single
 * request out first, never one outstanding() says the peer has out.
 * outstanding may be NULL: then no endgame duplicates are given.
 * Cost: O(active pieces + levels) for most peers, O(pieces / 64 +
 * pieces the peer has that we want) at worst. */
size_t bt_picker_pick(struct bt_picker *p, const struct bt_bitfield *has,
	const struct bt_bitfield *allowed, bt_picker_outstanding_fn *outstanding,
	void *ud, struct bt_block *out, size_t max);

/* A block arrived.  Returns 1 if it completes its piece (every block
 * received: hash it now), 0 if not, -1 if the block was not wanted
 * (duplicate in endgame, a piece we have, a piece not active, a range
 * that is not a block).  A block of an active piece is taken even when
 * its request was given up.  Its request count is dropped: other
 * requests for it are duplicates, to cancel; unrequest on it does
 * nothing. */
int bt_picker_received(struct bt_picker *p, uint32_t piece, uint32_t begin,
	uint32_t len);
/* A request of ours was given up (choke, reject, cancel, disconnect,
 * snub): one fewer request out for the block; with none left and the
 * block not received, it is free again. */
void bt_picker_unrequest(struct bt_picker *p, uint32_t piece, uint32_t begin);
/* The piece failed its hash check: all its blocks are free again (it
 * stays active and, being old, is picked first). */
void bt_picker_failed(struct bt_picker *p, uint32_t piece);

/* 1 in endgame. */
int bt_picker_endgame(const struct bt_picker *p);
/* Pieces with block state (started and not yet had). */
uint32_t bt_picker_active(const struct bt_picker *p);
/* Bytes of active pieces received so far (for "left" and progress). */
uint64_t bt_picker_partial_bytes(const struct bt_picker *p);

/* For tests: 0 if the picker's internal bookkeeping is consistent, a
 * negative number telling which check failed if not.  O(pieces + blocks
 * of active pieces). */
int bt_picker_check(const struct bt_picker *p);

#endif
