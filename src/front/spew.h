/* spew.h - the peer table (--spew): BitTornado's columns, one row per
 * connected peer, for the headless block and the curses screen. */
#ifndef BT_SPEW_H
#define BT_SPEW_H

#include <stddef.h>

struct bt_torrent;
struct bt_torrent_peer;

#define BT_SPEW_MAX	1000	/* peers listed at most */

/* The rows of one torrent, refreshed by bt_spew_fetch (owned by the
 * caller; zero it before the first use). */
struct bt_spew {
	struct bt_torrent_peer *rows;	/* BT_SPEW_MAX, made on first use */
	size_t n;			/* rows filled */
};

/* The table's header line. */
extern const char bt_spew_head[];

/* Fill sp with t's peers (at most BT_SPEW_MAX). */
void bt_spew_fetch(struct bt_spew *sp, const struct bt_torrent *t);
void bt_spew_free(struct bt_spew *sp);
/* Row lineno (1-based, shown modulo 1000) for peer p, trailing blanks
 * cut:
 *   #   IP+dir          Upload     flags  Download   flags   Completed  Speed
 * rates in KB/s of 1024 bytes (as every rate shown), a rate shown when
 * above 100 B/s; Speed: the peer's own download rate, estimated from the
 * pieces it announces. */
void bt_spew_row(char *out, size_t cap, size_t lineno, const struct bt_torrent_peer *p);

#endif
