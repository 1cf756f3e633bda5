/* bandwidth.h - rate limits as a tree (Transmission's bandwidth.h):
 * the client's node is the root, each torrent's node hangs below it, so
 * one upload limit covers every torrent and each torrent may have a
 * tighter one of its own.  A node with rate 0 has no limit of its own.
 *
 * Budgets are in bytes: bt_band_refill() adds rate * dt (capped at a few
 * seconds' worth, so an idle spell is not followed by a burst), and what
 * is sent or asked for is taken from the node and every ancestor with
 * bt_band_use().  bt_band_allow() says how much may go now: the smallest
 * budget on the way to the root.  Nothing here does I/O. */
#ifndef BT_BANDWIDTH_H
#define BT_BANDWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Budget kept at most, in seconds of the rate. */
#define BT_BAND_BURST_S	5.0

struct bt_band {
	struct bt_band *parent;
	uint64_t rate;		/* bytes/s, 0: no limit here */
	double budget;		/* bytes that may go now (may run negative) */
};

void bt_band_init(struct bt_band *b, struct bt_band *parent);
/* A new rate; the budget is kept within the new burst cap. */
void bt_band_set_rate(struct bt_band *b, uint64_t rate);
/* dt seconds have passed: add this node's share (not the parents'). */
void bt_band_refill(struct bt_band *b, double dt);
/* 1 if this node or an ancestor has a limit. */
int bt_band_limited(const struct bt_band *b);
/* Bytes that may go now (SIZE_MAX when nothing on the way limits; 0 when
 * a budget on the way is spent). */
size_t bt_band_allow(const struct bt_band *b);
/* n bytes went (or were asked for): take them from every limited node
 * on the way to the root. */
void bt_band_use(struct bt_band *b, size_t n);

#endif
