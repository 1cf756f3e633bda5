/* dfile.h - the tracker's saved state (bttrack's --dfile).
 *
 * Our format, written by bt_dfile_encode() as canonical bencode:
 *
 *   d 8:torrents d
 *       <20-byte info hash> d
 *         10:downloaded i<n>e
 *         4:keep i0e | i1e
 *         5:peers <7 bytes per IPv4 peer: 6-byte compact address, 1 flag byte>
 *         6:peers6 <19 bytes per IPv6 peer: 18-byte compact address, 1 flag byte>
 *       e ...
 *     e
 *     7:version i1e
 *   e
 *
 * Torrents are sorted by info hash (bencode's key order), peers by their
 * compact address, so equal stores give equal files.  Peer ids and keys
 * are not saved.
 *
 * bt_dfile_load() also reads BitTornado's state file, for migration:
 * `peers` {info hash: {peer id: {ip, port, left, nat, supportcrypto,
 * requirecrypto, given ip, ...}}} and `completed` {info hash: n}; other
 * keys (allowed, allowed_dir_files, allowed_list) are ignored.  Entries
 * that cannot be used (bad hash length, unparsable ip, bad port...) are
 * skipped and counted.
 *
 * Loading checks the whole file before touching the store, so a corrupt
 * file leaves the store as it was.  Restored peers are marked as such: the
 * first bt_store_sweep() drops them unless they announce again. */
#ifndef BT_DFILE_H
#define BT_DFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "store.h"

#define BT_DFILE_VERSION	1

/* Bounds a file must respect to load (the encoder refuses to write more). */
#define BT_DFILE_MAX_TORRENTS	(1u << 24)
#define BT_DFILE_MAX_PEERS	(1u << 24)	/* per torrent and family */
#define BT_DFILE_MAX_BYTES	((size_t)UINT32_MAX)	/* bencode parser's limit */

/* The flag byte after each saved peer's address. */
#define BT_DFILE_F_SEED		0x01u
#define BT_DFILE_F_CRYPTO_OK	0x02u
#define BT_DFILE_F_CRYPTO_REQ	0x04u
#define BT_DFILE_F_REACHABLE	0x08u
#define BT_DFILE_F_ALL		0x0fu

#define BT_DFILE_REC4		7	/* bytes per saved IPv4 peer */
#define BT_DFILE_REC6		19	/* bytes per saved IPv6 peer */

enum bt_dfile_format {
	BT_DFILE_FMT_NONE = 0,
	BT_DFILE_FMT_BT,		/* ours */
	BT_DFILE_FMT_BITTORNADO,	/* BitTornado's bttrack */
};

/* Outcome of a load.  On failure code, off and what tell what is wrong;
 * the counts are filled on success (format, torrents, peers restored,
 * BitTornado entries skipped, peers refused by the filter). */
struct bt_dfile_err {
	int code;		/* 0 or BT_E_* */
	size_t off;		/* byte offset the problem refers to */
	char what[160];		/* what is wrong, in words */
	int format;		/* enum bt_dfile_format */
	size_t torrents, peers, skipped, filtered;
};

/* Write the store's state into out (appended).  Returns 0, BT_E_NOMEM,
 * or BT_E_LIMIT (out->max reached, or more than the bounds above). */
int bt_dfile_encode(const struct bt_store *s, struct bt_buf *out);

/* Restore buf[0..len) into s.  Returns 0, or BT_E_PARSE (not bencode, or
 * not a state file), BT_E_INVAL (a value out of range), BT_E_LIMIT,
 * BT_E_UNSUPPORTED (a newer version) with the store untouched, or
 * BT_E_NOMEM (the store may then hold part of the state). err may be
 * NULL. */
int bt_dfile_load(struct bt_store *s, const uint8_t *buf, size_t len,
	struct bt_dfile_err *err);

/* The same, asking keep(ud, addr) about every peer first: peers for which
 * it returns 0 are not restored (banned or not allowed addresses).  addr
 * is IPv4 for IPv4 peers and IPv6 for the others, with the peer's port. */
typedef int bt_dfile_filter_fn(void *ud, const struct sockaddr_storage *addr);
int bt_dfile_load_filtered(struct bt_store *s, const uint8_t *buf, size_t len,
	bt_dfile_filter_fn *keep, void *ud, struct bt_dfile_err *err);

#endif
