/* tracker.h - the tracker's logic: announce and scrape over HTTP (BEP 3,
 * 23, 7, 24, 48) and UDP (BEP 15), with no I/O of its own.
 *
 * The applet owns sockets, files and logs; it hands each request here and
 * sends back what it gets.  The compact announce reply is written straight
 * from the peer store (a fixed bencode prefix, then the peers' bytes).
 *
 * Differences from BitTornado's bttrack, on purpose: supportcrypto=0 means
 * no; non-compact replies work; the requester is never in its own peer
 * list; errors are bencoded `failure reason` dictionaries (with
 * BitTornado's texts) so that clients can show them. */
#ifndef BT_TRACKER_H
#define BT_TRACKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"
#include "http.h"
#include "store.h"

enum bt_scrape_allowed { BT_SCRAPE_NONE, BT_SCRAPE_SPECIFIC, BT_SCRAPE_FULL };

struct bt_tracker_cfg {
	unsigned interval;		/* reannounce_interval, sent as `interval` */
	unsigned min_interval;		/* sent as `min interval` */
	unsigned response_size;		/* most peers in a reply */
	int compact_reqd;		/* refuse non-compact requests */
	int nat_check;			/* connect-back attempts (0 = off) */
	int only_local_override_ip;	/* 0, 1 or 2 (BitTornado's meaning) */
	int scrape_allowed;		/* enum bt_scrape_allowed */
	int keep_dead;
	int restricted;			/* only torrents in the allowed set */
	int show_names;			/* names in scrape and info page */
	unsigned udp_key_period;	/* seconds a UDP connection id lives */
	int allowed_controls;		/* honour the allowed torrents' control keys */
	const char *aggregator;		/* NULL/"0": off; "1": on; else its password */
	const char *dedicated_seed_id;	/* NULL/"": off */
	int multitracker_allowed;	/* enum bt_t2t_allowed */
	uint8_t tracker_id[20];		/* our peer id towards other trackers */
};

enum bt_t2t_allowed { BT_T2T_NONE, BT_T2T_AUTODETECT, BT_T2T_ALL };

/* Defaults as bttrack has them. */
void bt_tracker_cfg_default(struct bt_tracker_cfg *c);

struct bt_tracker;

struct bt_tracker *bt_tracker_new(const struct bt_tracker_cfg *c);
void bt_tracker_free(struct bt_tracker *t);
struct bt_store *bt_tracker_store(struct bt_tracker *t);

/* The allowed set (allowed_dir / allowed_list): torrents the tracker
 * serves when restricted, with what the info page and scrape show. */
struct bt_allowed {
	uint8_t info_hash[20];
	char *name;		/* may be NULL */
	int64_t size;
	unsigned nfiles;
	char *path;		/* the .torrent file, for /file; may be NULL */
	char *failure;		/* allowed_controls: the torrent's `failure reason` */
	char *warning;		/* and `warning message`; both may be NULL */
	char **trackers;	/* every URL of its announce-list (for T2T) */
	size_t ntrackers;
	int multitracker;	/* it has an announce-list */
};
/* Replace the allowed set (the entries are copied). */
int bt_tracker_set_allowed(struct bt_tracker *t, const struct bt_allowed *a, size_t n);
const struct bt_allowed *bt_tracker_allowed(const struct bt_tracker *t,
	const uint8_t *info_hash);
/* When restricted, forget the torrents not in the allowed set (after
 * restoring saved state). */
void bt_tracker_prune(struct bt_tracker *t);
/* The whole allowed set, sorted by info hash. */
const struct bt_allowed *bt_tracker_allowed_list(const struct bt_tracker *t, size_t *n);
/* The configuration in force. */
const struct bt_tracker_cfg *bt_tracker_cfg(const struct bt_tracker *t);

/* An HTTP request, after the head is parsed. */
struct bt_tracker_req {
	const struct bt_http_req *http;
	const struct sockaddr_storage *peer;	/* the connection's address */
	time_t now;
};

/* What to send back: status, content type, body, and extra headers. */
struct bt_tracker_resp {
	int status;
	const char *reason;		/* NULL: the standard phrase */
	const char *ctype;
	int no_cache;			/* add Pragma: no-cache */
	struct bt_http_hdr hdr[2];	/* e.g. Location, Content-Disposition */
	size_t nhdr;
	char hdrbuf[512];		/* storage for hdr values */
	/* Set on announces that are not from another tracker, so that the
	 * applet can pass them on (aggregate_forward). */
	int forward;
	/* Set by announces so the applet can NAT-check a new peer. */
	int check_peer;
	struct sockaddr_storage check_addr;
	uint8_t check_hash[20], check_id[20];
};

/* Most info hashes one HTTP scrape may name: more than fit in a request
 * head of BT_HTTPD_HEAD_MAX (80 KiB; one takes at least 31 bytes), so the
 * head size is the limit that counts. */
#define BT_TRACKER_SCRAPE_MAX 4096

/* The routes: announce, scrape; anything else returns 0 with status 0 so
 * the applet can serve its own pages (info page, favicon, /file, stats).
 * Writes the body into body.  Returns 0 or BT_E_NOMEM. */
int bt_tracker_http(struct bt_tracker *t, const struct bt_tracker_req *r,
	struct bt_tracker_resp *resp, struct bt_buf *body);

/* One UDP datagram in, at most one out (returned length, 0 for none).
 * out needs room for 8 + 6 * response_size * 3 bytes (use
 * BT_TRACKER_UDP_MAX). */
#define BT_TRACKER_UDP_MAX 2048
size_t bt_tracker_udp(struct bt_tracker *t, const uint8_t *pkt, size_t n,
	const struct sockaddr_storage *from, time_t now, uint8_t *out, size_t cap);

/* Tracker-to-tracker (multitracker): peers learned from another tracker
 * for an allowed torrent.  They are kept apart from our own peers (not
 * counted in complete/incomplete, not saved) and fill replies that our
 * own peers leave short.  peers is compact (6 or 18 bytes each). */
void bt_tracker_t2t_add(struct bt_tracker *t, const uint8_t *info_hash,
	const uint8_t *peers, size_t n, size_t addr_len);
/* The query an announce to another tracker carries (without the '?'),
 * asking for `want` peers for us as `port`. */
int bt_tracker_t2t_query(const struct bt_tracker *t, const uint8_t *info_hash,
	uint16_t port, unsigned want, struct bt_buf *out);

/* The expiry sweep, for our peers and those from other trackers. */
size_t bt_tracker_sweep(struct bt_tracker *t);

/* Record a NAT check's outcome. */
void bt_tracker_nat_result(struct bt_tracker *t, const uint8_t *info_hash,
	const struct sockaddr_storage *addr, int ok);

/* Counters for the statistics page. */
struct bt_tracker_counters {
	uint64_t announces, scrapes, full_scrapes, udp_connects, udp_announces,
		udp_scrapes, errors, denied;
};
const struct bt_tracker_counters *bt_tracker_counters(const struct bt_tracker *t);

#endif
