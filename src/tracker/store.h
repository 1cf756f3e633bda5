/* store.h - the tracker's peer store.
 *
 * Laid out for a small footprint and O(1) announces:
 * - Torrents sit in one open-addressing table keyed by a keyed hash
 *   (SipHash) of the info hash, so chosen info hashes cannot build long
 *   probe chains.
 * - A torrent is one allocation: a small header followed by its IPv4 peer
 *   records, each the 6-byte compact address (what a compact reply
 *   carries) and 2 flag bytes.  IPv6 peers (18-byte compact + flags) live
 *   in a second array made only when needed.
 * - A peer is its address (as in opentracker): leechers first, seeds
 *   after them, so a reply is a window copied out of the array and a seed
 *   is given only leechers.  Small swarms are scanned; a swarm past 32
 *   peers gets a hash index, so finding a peer stays O(1).
 * - Expiry is BitTornado's: a sweep drops the peers that did not announce
 *   since the previous sweep.
 *
 * Nothing here does I/O; the tracker applet owns the network and files. */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <stddef.h>
#include <stdint.h>

enum bt_store_event {
	BT_STORE_EV_NONE = 0,
	BT_STORE_EV_STARTED,
	BT_STORE_EV_COMPLETED,
	BT_STORE_EV_STOPPED,
};

/* Peer flags the caller sets on announce. */
#define BT_PEER_CRYPTO_OK	0x01u	/* supports encryption */
#define BT_PEER_CRYPTO_REQ	0x02u	/* requires encryption */
#define BT_PEER_REACHABLE	0x04u	/* may be handed out (NAT check passed or not needed) */

struct bt_store_opts {
	int keep_ids;		/* keep peer ids (for non-compact replies) */
	int keep_dead;		/* keep torrents that have no peers */
};

struct bt_store;

struct bt_store *bt_store_new(const struct bt_store_opts *o);
void bt_store_free(struct bt_store *s);

/* One announce. */
struct bt_store_req {
	const uint8_t *info_hash;	/* 20 bytes */
	const uint8_t *addr;		/* compact address: 6 (IPv4) or 18 (IPv6) bytes */
	size_t addr_len;
	const uint8_t *peer_id;		/* 20 bytes; kept only with keep_ids */
	int event;			/* enum bt_store_event */
	int seed;			/* left == 0 */
	int seeds_too;			/* a seed that is given seeds as well
					 * (see below) */
	unsigned flags;			/* BT_PEER_* */
	/* The key guards records created for an address the requester does
	 * not own (an ip= override): later announces for that address must
	 * carry the same key. */
	int override;			/* addr is not the requester's own */
	int has_key;
	uint32_t key;
	unsigned numwant;		/* peers wanted in out */
	int no_create;			/* unknown torrent: do not create it */
	int restored;			/* from saved state: gone at the next
					 * sweep unless it announces again */
	uint8_t *crypto_out;		/* if set: one byte per peer given,
					 * 1 when that peer requires crypto */
};

struct bt_store_reply {
	uint32_t complete, incomplete, downloaded;
	size_t npeers;			/* records written to out */
	size_t rec_len;			/* bytes per record in out: addr_len (+20 with ids) */
	int denied;			/* key mismatch: nothing changed */
	int is_new;			/* the peer was not known before */
	int reachable;			/* it may be handed out */
	unsigned nat_failures;		/* failed NAT checks so far */
};

/* Record the announce and write up to numwant peers of the requester's
 * family into out (room for numwant * (addr_len + 20) bytes): each is the
 * compact address, followed by the 20-byte peer id when the store keeps
 * ids.  The requester itself is never among them; a seed gets only
 * leechers (unless seeds_too); a requester without BT_PEER_CRYPTO_OK never gets peers that
 * require crypto, and one with BT_PEER_CRYPTO_REQ only peers that support
 * it.  Returns 0, BT_E_NOENT (no_create and unknown), BT_E_INVAL or
 * BT_E_NOMEM. */
int bt_store_announce(struct bt_store *s, const struct bt_store_req *r, uint8_t *out,
	struct bt_store_reply *rep);

/* Up to want peers of one family of a torrent into out (compact
 * addresses only), without recording anyone; `skip` (an address of
 * addr_len bytes, or NULL) is left out.  Returns the count. */
size_t bt_store_sample(struct bt_store *s, const uint8_t *info_hash, size_t addr_len,
	int seed, unsigned flags, const uint8_t *skip, unsigned want, uint8_t *out);

/* Counts for scrape: 0, or BT_E_NOENT. */
int bt_store_counts(const struct bt_store *s, const uint8_t *info_hash,
	uint32_t *complete, uint32_t *incomplete, uint32_t *downloaded);

/* Set or clear BT_PEER_REACHABLE on a peer after a NAT check; counts a
 * failure.  Returns the number of failed checks so far, or BT_E_NOENT. */
int bt_store_set_reachable(struct bt_store *s, const uint8_t *info_hash,
	const uint8_t *addr, size_t addr_len, int ok);

/* Make a torrent known (allowed lists, dfile): it then stays until
 * bt_store_drop() even without peers when `keep` is set.  A `downloaded`
 * above the torrent's count raises it (and the store's total of
 * downloads by the difference); a lower one is ignored. */
int bt_store_touch(struct bt_store *s, const uint8_t *info_hash, int keep,
	uint32_t downloaded);
void bt_store_drop(struct bt_store *s, const uint8_t *info_hash);

/* Expiry sweep: drop peers that did not announce since the previous sweep,
 * then torrents left without peers (unless kept).  Returns peers dropped. */
size_t bt_store_sweep(struct bt_store *s);

/* Walk every torrent (order unspecified); fn returns non-zero to stop. */
struct bt_store_torrent_info {
	const uint8_t *info_hash;
	uint32_t complete, incomplete, downloaded;
	int keep;
};
typedef int bt_store_torrent_fn(void *ud, const struct bt_store_torrent_info *t);
void bt_store_each_torrent(const struct bt_store *s, bt_store_torrent_fn *fn, void *ud);

/* Walk every peer of one torrent. */
struct bt_store_peer_info {
	const uint8_t *addr;
	size_t addr_len;
	const uint8_t *peer_id;		/* NULL without keep_ids */
	int seed;
	unsigned flags;			/* BT_PEER_* */
};
typedef int bt_store_peer_fn(void *ud, const struct bt_store_peer_info *p);
int bt_store_each_peer(const struct bt_store *s, const uint8_t *info_hash,
	bt_store_peer_fn *fn, void *ud);

struct bt_store_stats {
	size_t torrents, peers4, peers6, seeds, bytes;	/* bytes: heap held */
	uint64_t downloaded;	/* the downloaded counts of the torrents
				 * tracked now, summed: drops when a
				 * torrent expires or is dropped */
	uint64_t downloads;	/* completions recorded since the store was
				 * made (restored counts included): never
				 * goes down */
};
void bt_store_stats(const struct bt_store *s, struct bt_store_stats *st);

#endif
