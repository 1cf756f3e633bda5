/* t2t.h - the tracker's requests to other trackers: multitracker polling
 * (BitTornado's T2T) and aggregate_forward.
 *
 * Polling (when asked for): every poll_ms, announce to the other http://
 * trackers in the announce-lists of the allowed torrents, asking for
 * maxpeers peers, and give the peers they send to the tracker
 * (bt_tracker_t2t_add).  At most BT_T2T_OUT_MAX requests are under way at
 * once; a round that runs into that stops, and the next one carries on
 * with the torrent where it stopped.  A tracker that answers a torrent
 * with a failure reason is not asked about that torrent again.
 *
 * Forwarding: bt_t2t_forward passes an announce's query on to the
 * aggregator at forward_url (with "&password=" when one is given); its
 * answers are not read.
 *
 * All the state is in struct bt_t2t; nothing here prints or exits. */
#ifndef BT_T2T_H
#define BT_T2T_H

#include <stdint.h>

#include "http.h"
#include "tracker.h"

struct bt_loop;
struct bt_t2t;

#define BT_T2T_OUT_MAX		64	/* requests under way at once */
#define BT_T2T_REFUSED_MAX	100000	/* (torrent, tracker) refusals kept */

struct bt_t2t_opts {
	int poll;			/* poll the allowed torrents' trackers */
	uint64_t poll_ms;		/* between polling rounds */
	uint32_t first_poll_ms;		/* before the first round; 0: 1 s */
	uint16_t port;			/* ours, sent to the other trackers */
	unsigned maxpeers;		/* peers asked of another tracker */
	uint32_t timeout_ms;		/* per request; 0: bt_httpc's default */
	const char *forward_url;	/* NULL: no forwarding; copied */
	const char *forward_password;	/* NULL: none; copied */
};

/* Requests for the tracker t on loop.  Returns 0 and sets *out, or
 * BT_E_INVAL (forward_url not http://) / BT_E_NOMEM. */
int bt_t2t_new(struct bt_t2t **out, struct bt_loop *loop, struct bt_tracker *t,
	const struct bt_t2t_opts *o);
/* Pass the announce req on to the aggregator, if there is one and fewer
 * than BT_T2T_OUT_MAX requests are under way. */
void bt_t2t_forward(struct bt_t2t *x, const struct bt_http_req *req);
/* Send no more requests (for shutting down). */
void bt_t2t_stop(struct bt_t2t *x);
/* Cancel the requests under way and free.  NULL is fine. */
void bt_t2t_free(struct bt_t2t *x);

/* A random peer id for us towards other trackers ("-BTT2T-" and 12
 * letters or digits); an announce carrying it is our own coming back
 * round a loop. */
void bt_t2t_random_id(uint8_t id[20]);

#endif
