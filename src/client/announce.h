/* announce.h - the client side of the tracker protocol: HTTP(S) announces
 * (BEP 3, 23, 7), UDP announces (BEP 15, with BEP 41 URL data) and
 * multitracker tiers (BEP 12), on the reactor.
 *
 * Two layers:
 *  - codecs, exported so they can be fuzzed: the announce query builder,
 *    the HTTP reply parser (bencoded dictionary: failure reason, warning
 *    message, interval, min interval, tracker id, complete, incomplete,
 *    peers compact or as a list of dictionaries, peers6) and the UDP
 *    packet builders and reply parsers;
 *  - the announcer: one per torrent.  It holds the tiers (announce-list,
 *    else [[announce]]), each tier shuffled once; tries tiers in order and
 *    trackers in a tier in order; a tracker that answers moves to the
 *    front of its tier (BEP 12).  Schedules: first announce at once
 *    (event=started), then every `interval` from the reply (min interval
 *    honoured for early announces); until a first success, retries with
 *    back-off (60 s, doubling up to 30 min... capped by interval).
 *    Events: started on the first announce, completed once when the
 *    download finishes (not when it was complete at start), stopped at
 *    shutdown (bounded wait).  BitTornado's bugs are not reproduced: the
 *    key is sent as 8 hex digits, trackerid is echoed, UDP event codes are
 *    BEP 15's.  UDP goes through a bt_udp mux (udp.h), normally one for
 *    the whole process: the announcer claims a datagram only when it
 *    comes from the tracker address it sent to and carries the
 *    transaction id it waits for.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes and
 * tracker messages reach the caller through a callback. */
#ifndef BT_ANNOUNCE_H
#define BT_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"

struct bt_loop;
struct bt_meta;
struct bt_udp;

enum bt_ann_event {
	BT_ANN_NONE = 0,
	BT_ANN_COMPLETED = 1,	/* UDP codes, BEP 15 */
	BT_ANN_STARTED = 2,
	BT_ANN_STOPPED = 3,
};

/* Most peers taken from one reply (the rest are ignored). */
#define BT_ANN_PEERS_MAX	1000
/* Largest reply body accepted. */
#define BT_ANN_BODY_MAX		(256u << 10)
#define BT_ANN_MSG_MAX		256	/* failure reason / warning kept */
#define BT_ANN_TRACKERID_MAX	128

struct bt_ann_req {
	uint8_t info_hash[20];
	uint8_t peer_id[20];
	uint16_t port;
	uint64_t uploaded, downloaded, left;
	int event;		/* enum bt_ann_event */
	int numwant;		/* < 0: not sent (UDP: -1) */
	uint32_t key;
	const char *ip;		/* --ip, or NULL */
	const char *trackerid;	/* from an earlier reply, or NULL */
	const char *seed_id;	/* --dedicated_seed_id, or NULL */
	int crypto;		/* BT_ANN_CRYPTO_* */
};

/* What the announce says about encryption (HTTP only). */
enum {
	BT_ANN_CRYPTO_NONE,	/* supportcrypto=0 */
	BT_ANN_CRYPTO_SUPPORT,	/* supportcrypto=1 */
	BT_ANN_CRYPTO_REQUIRE,	/* supportcrypto=1&requirecrypto=1 */
	BT_ANN_CRYPTO_STEALTH,	/* the same, with port=0&cryptoport=PORT */
};

struct bt_ann_reply {
	char failure[BT_ANN_MSG_MAX];	/* non-empty: the tracker refused */
	char warning[BT_ANN_MSG_MAX];
	char trackerid[BT_ANN_TRACKERID_MAX];
	int64_t interval;		/* seconds, -1 absent */
	int64_t min_interval;		/* seconds, -1 absent */
	int64_t complete, incomplete;	/* -1 absent */
	struct sockaddr_storage *peers;	/* caller's array */
	size_t npeers, peers_cap;
};

/* Append announce_url + "?"/"&" + the query for r to b (info_hash,
 * peer_id, port, uploaded, downloaded, left, compact=1, [event], [ip],
 * [numwant], key, [trackerid], [seed_id], supportcrypto=0|1,
 * [requirecrypto=1], [cryptoport]: see BT_ANN_CRYPTO_*). */
void bt_ann_http_url(struct bt_buf *b, const char *announce_url,
	const struct bt_ann_req *r);
/* Parse an HTTP announce reply body.  The caller sets r->peers and
 * r->peers_cap (NULL/0: peers are not kept); every other field is set
 * here.  Peers (compact IPv4 `peers`, dictionary-list `peers` with
 * numeric `ip`s, compact IPv6 `peers6`) are stored from r->peers[0] up
 * to peers_cap and counted in npeers; entries with a bad address
 * (unspecified, multicast, broadcast) or port 0 are skipped, as are
 * dictionary peers with host names.  IPv4-mapped addresses become IPv4.
 * Texts are truncated to the buffers, control bytes shown as '?'; a
 * tracker id that does not fit is dropped.  Returns 0 (failure[] set
 * when the tracker refused: then no peers), or BT_E_PARSE / BT_E_NOMEM
 * with *why set (static text: "not a dictionary", ...). */
int bt_ann_http_parse(const uint8_t *body, size_t n, struct bt_ann_reply *r,
	const char **why);

/* UDP (BEP 15).  Builders write into out (room for BT_ANN_UDP_MAX bytes)
 * and return the length.  The announce carries url_path (the path and
 * query of the udp:// URL; NULL or "" for none) as BEP 41 URLData options
 * of <= 255 bytes each, cut at BT_ANN_UDP_PATH_MAX bytes; the IP field
 * is r->ip when that is a dotted IPv4 address, else 0. */
#define BT_ANN_UDP_MAX		1024
#define BT_ANN_UDP_PATH_MAX	900
size_t bt_ann_udp_connect(uint8_t *out, uint32_t tid);
size_t bt_ann_udp_announce(uint8_t *out, uint64_t conn_id, uint32_t tid,
	const struct bt_ann_req *r, const char *url_path);
/* Parse a reply for transaction tid: returns the action (0 connect: sets
 * *conn_id; 1 announce: fills r, interval, leechers as incomplete and
 * seeders as complete; 3 error: r->failure, also for the little-endian
 * action some trackers send), or BT_E_PARSE (short, wrong transaction,
 * unknown action).  Compact peers are IPv4 for an IPv4 tracker and IPv6
 * for an IPv6 tracker (v6 true), kept as bt_ann_http_parse keeps them.
 * conn_id and r may be NULL. */
int bt_ann_udp_parse(const uint8_t *p, size_t n, uint32_t tid, int v6,
	uint64_t *conn_id, struct bt_ann_reply *r);

/* ---- the announcer ---- */

struct bt_announcer;

/* What the session tells the announcer when it is about to announce. */
struct bt_ann_stats {
	uint64_t uploaded, downloaded, left;
	int numwant;		/* -1: default */
};

/* The callbacks may call bt_announcer_completed, _more_peers and _stop
 * (not bt_announcer_free, except from stopped); stats must not call
 * into the announcer at all. */
struct bt_announcer_cb {
	/* Fill the counters for the next announce. */
	void (*stats)(void *ud, struct bt_ann_stats *s);
	/* New peers from a reply (also after a failure reason: no). */
	void (*peers)(void *ud, const struct sockaddr_storage *p, size_t n);
	/* A message for the user: kind 'E' (could not reach or refused:
	 * text is BitTornado's "rejected by tracker - ...", "Problem
	 * connecting to tracker - ...", "bad data from tracker - ..."), 'W'
	 * ("warning from tracker - ...", and once, URLs skipped because
	 * their scheme is not http, https or udp or they are malformed),
	 * 'I' (a successful announce: text is the URL), 'R' (the same after
	 * a round that failed: the trackers answer again).  Refusals and bad
	 * data are told at once; a tracker that cannot be reached only when
	 * no tracker of the round answered. */
	void (*message)(void *ud, int kind, const char *text);
	/* bt_announcer_stop finished (stopped sent or given up). */
	void (*stopped)(void *ud);
};

struct bt_announcer_opts {
	uint8_t info_hash[20];
	uint8_t peer_id[20];
	uint16_t port;
	const char *ip;			/* --ip */
	const char *seed_id;		/* --dedicated_seed_id */
	const char *user_agent;
	uint32_t http_timeout_ms;	/* --http_timeout */
	uint32_t stop_timeout_ms;	/* wait for the stopped event; 0: 5 s */
	int family;			/* AF_UNSPEC, or AF_INET only */
	int crypto;			/* BT_ANN_CRYPTO_* */
	uint64_t seed;			/* randomness for shuffles and keys;
					 * 0: from the clock */
	struct bt_udp *udp;		/* the process's UDP mux, shared by
					 * every announcer (and DHT, uTP); it
					 * must outlive the announcer.  NULL:
					 * the announcer makes its own. */
};

/* Why url[0..n) cannot be a tracker URL here ("not http://, https:// or
 * udp://", "has a space in it", "names no host", ...), or NULL when the
 * announcer can use it.  The announcer skips such URLs (and says so once,
 * 'W'); a front-end can check a torrent's URLs before it starts. */
const char *bt_ann_url_problem(const char *url, size_t n);

/* An announcer for the trackers of m (announce-list, else announce, also
 * when announce-list has no usable URL); copies what it needs, m may go.
 * At most 256 URLs are kept, duplicates once.  Returns 0, BT_E_NOENT (no
 * usable tracker URL: trackerless torrent, fine for web-seed-only
 * downloads), BT_E_INVAL (NULL arguments) or BT_E_NOMEM. */
int bt_announcer_new(struct bt_announcer **out, struct bt_loop *loop,
	const struct bt_meta *m, const struct bt_announcer_opts *o,
	const struct bt_announcer_cb *cb, void *ud);
/* The same for a list of tracker URLs (a magnet link's tr=), all in one
 * tier. */
int bt_announcer_new_urls(struct bt_announcer **out, struct bt_loop *loop,
	const char *const *urls, size_t n, const struct bt_announcer_opts *o,
	const struct bt_announcer_cb *cb, void *ud);
/* Frees at once (no stopped event; pending requests are cancelled). */
void bt_announcer_free(struct bt_announcer *a);
/* First announce (event started), on the next loop pass.  0 or
 * BT_E_NOMEM.  Each tracker gets started on its first announce; a round
 * that fails is retried after 60 s, doubling up to 30 min (at most the
 * last interval); a reply's interval is kept within 30 s .. 2 days
 * (1800 s when absent). */
int bt_announcer_start(struct bt_announcer *a);
/* The download just finished: announce completed now. */
void bt_announcer_completed(struct bt_announcer *a);
/* Ask for more peers soon: not before min interval (at least 30 s) after
 * the last announce, and not while announces are failing. */
void bt_announcer_more_peers(struct bt_announcer *a);
/* Announce stopped to the current tracker; cb->stopped runs when it is
 * answered, failed or after stop_timeout_ms (also at once if no announce
 * ever succeeded). */
void bt_announcer_stop(struct bt_announcer *a);
/* Seconds until the next announce (for the status display), -1 if none. */
int64_t bt_announcer_next_in(const struct bt_announcer *a);
/* Peers the last good reply reported: seeders, leechers (-1 unknown). */
void bt_announcer_swarm(const struct bt_announcer *a, int64_t *seeders,
	int64_t *leechers);
/* URL of the tracker that answered last, or NULL. */
const char *bt_announcer_tracker(const struct bt_announcer *a);

#endif
