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
 *    BEP 15's.
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
 * [numwant], key, [trackerid], [seed_id], supportcrypto=0). */
void bt_ann_http_url(struct bt_buf *b, const char *announce_url,
	const struct bt_ann_req *r);
/* Parse an HTTP announce reply body.  Peers (compact IPv4 `peers`,
 * dictionary-list `peers`, compact IPv6 `peers6`) are added to
 * r->peers up to peers_cap; entries with a bad address or port 0 are
 * skipped.  Returns 0 (failure[] set when the tracker refused), or
 * BT_E_PARSE with *why set (static text: "not a dictionary", ...). */
int bt_ann_http_parse(const uint8_t *body, size_t n, struct bt_ann_reply *r,
	const char **why);

/* UDP (BEP 15).  Builders write into out (room for 98 + 2 + URL data
 * bytes: BT_ANN_UDP_MAX) and return the length. */
#define BT_ANN_UDP_MAX		1024
size_t bt_ann_udp_connect(uint8_t *out, uint32_t tid);
size_t bt_ann_udp_announce(uint8_t *out, uint64_t conn_id, uint32_t tid,
	const struct bt_ann_req *r, const char *url_path);
/* Parse a reply for transaction tid: returns the action (0 connect: sets
 * *conn_id; 1 announce: fills r; 3 error: r->failure), or BT_E_PARSE
 * (short, wrong transaction, unknown action).  Compact peers are IPv4 for
 * an IPv4 tracker and IPv6 for an IPv6 tracker (v6 true). */
int bt_ann_udp_parse(const uint8_t *p, size_t n, uint32_t tid, int v6,
	uint64_t *conn_id, struct bt_ann_reply *r);

/* ---- the announcer ---- */

struct bt_announcer;

/* What the session tells the announcer when it is about to announce. */
struct bt_ann_stats {
	uint64_t uploaded, downloaded, left;
	int numwant;		/* -1: default */
};

struct bt_announcer_cb {
	/* Fill the counters for the next announce. */
	void (*stats)(void *ud, struct bt_ann_stats *s);
	/* New peers from a reply (also after a failure reason: no). */
	void (*peers)(void *ud, const struct sockaddr_storage *p, size_t n);
	/* A message for the user: kind 'E' (could not reach or refused:
	 * text is BitTornado's "rejected by tracker - ...", "Problem
	 * connecting to tracker - ...", "bad data from tracker - ..."), 'W'
	 * ("warning from tracker - ..."), 'I' (a successful announce:
	 * text is the URL). */
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
	uint64_t seed;			/* randomness for shuffles and keys;
					 * 0: from the clock */
};

/* An announcer for the trackers of m (announce-list, else announce);
 * copies what it needs, m may go.  Returns 0, BT_E_NOENT (no tracker
 * URL: trackerless torrent, fine for web-seed-only downloads) or
 * BT_E_NOMEM. */
int bt_announcer_new(struct bt_announcer **out, struct bt_loop *loop,
	const struct bt_meta *m, const struct bt_announcer_opts *o,
	const struct bt_announcer_cb *cb, void *ud);
/* Frees at once (no stopped event; pending requests are cancelled). */
void bt_announcer_free(struct bt_announcer *a);
/* First announce (event started). */
int bt_announcer_start(struct bt_announcer *a);
/* The download just finished: announce completed now. */
void bt_announcer_completed(struct bt_announcer *a);
/* Ask for more peers soon (respecting min interval). */
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

#endif
