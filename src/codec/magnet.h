/* magnet.h - magnet URIs (BEP 9, with BEP 53's `so=` file selection).
 *
 *   magnet:?xt=urn:btih:<info hash>&dn=<name>&tr=<tracker>&x.pe=<host:port>
 *          &ws=<web seed>&so=0,2,4-6
 *
 * The info hash is 40 hex digits or 32 base32 letters.  Values are
 * percent-decoded ('+' is kept as it is).  Repeated keys (several tr=)
 * and numbered ones (tr.1=, xt.2=) add up; unknown keys are ignored.
 * Everything is bounded: the URI, each value, and the count of trackers,
 * peers, web seeds and ranges; what passes a bound is an error, not
 * silently cut.  The writer gives the magnet link of a torrent. */
#ifndef BT_MAGNET_H
#define BT_MAGNET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define BT_MAGNET_MAX_LEN	65536	/* the whole URI */
#define BT_MAGNET_VALUE_MAX	4096	/* one value, decoded */
#define BT_MAGNET_MAX_TR	64	/* tr= */
#define BT_MAGNET_MAX_PEERS	64	/* x.pe= */
#define BT_MAGNET_MAX_WS	16	/* ws= */
#define BT_MAGNET_MAX_SO	256	/* ranges in so= */
#define BT_MAGNET_SO_MAX_INDEX	(1u << 20)	/* BT_META_MAX_FILES */

/* x.pe=host:port: host is a name, a dotted IPv4 address or an IPv6
 * address (given in brackets, kept without them). */
struct bt_magnet_peer {
	char *host;
	uint16_t port;
};

/* A BEP 53 range of file indices, first <= last. */
struct bt_magnet_range {
	uint32_t first, last;
};

struct bt_magnet {
	uint8_t info_hash[20];
	char *dn;			/* NULL: none */
	char **tr;
	size_t ntr;
	struct bt_magnet_peer *peers;
	size_t npeers;
	char **ws;
	size_t nws;
	struct bt_magnet_range *so;	/* NULL: every file */
	size_t nso;
};

/* 1 if s[0..n) starts with "magnet:?" (case-insensitive scheme). */
int bt_magnet_is(const char *s, size_t n);

/* Parse uri[0..n) into mg (zeroed first; release with bt_magnet_free
 * either way).  Returns 0, or BT_E_PARSE / BT_E_LIMIT with *why set to
 * a static text ("not a magnet URI", "no urn:btih: info hash", ...), or
 * BT_E_NOMEM. */
int bt_magnet_parse(struct bt_magnet *mg, const char *uri, size_t n, const char **why);
void bt_magnet_free(struct bt_magnet *mg);

/* 1 if file index i is selected (BEP 53; every file when there is no
 * so=). */
int bt_magnet_selected(const struct bt_magnet *mg, size_t i);

/* Append the magnet link for info_hash, with dn=name (NULL: none) and a
 * tr= for each of the ntr trackers, values percent-encoded.  Returns
 * b->err. */
int bt_magnet_write(struct bt_buf *b, const uint8_t info_hash[20], const char *name,
	const char *const *tr, size_t ntr);

#endif
