/* infopage.h - the tracker's pages for people and for monitoring.
 *
 * bt_infopage_html() renders the info page served at "/" (bttrack's
 * "BitTorrent download info"); bt_infopage_stats() renders the counters in
 * the Prometheus text exposition format (version 0.0.4).  Both only read
 * the tracker and append to a buffer; the applet sends the bytes.
 *
 * Differences from BitTornado's page, on purpose: HTML5 in UTF-8 (and
 * declared so), names HTML-escaped, the totals row counts the torrents in
 * both layouts (BitTornado always says "0 files" without names), the
 * page lists at most max_rows torrents (the totals still cover all); it
 * also shows the uptime, links to /stats and /scrape (when served),
 * reloads itself (refresh), and fits a phone: below 48rem the hash column
 * shows only its first digits (the cell and its title keep all 40). */
#ifndef BT_INFOPAGE_H
#define BT_INFOPAGE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "tracker.h"

#define BT_INFOPAGE_MAX_ROWS 10000
#define BT_INFOPAGE_HTML_CTYPE "text/html; charset=utf-8"
#define BT_INFOPAGE_STATS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

struct bt_infopage_opts {
	const char *version;	/* shown as "tracker version", e.g. "bt 0.1.0" */
	time_t now;		/* shown as "server time" */
	time_t start;		/* when the tracker started; 0 = unknown */
	int allow_get;		/* names link to /file?info_hash=... */
	const char *favicon;	/* non-NULL: a favicon is served at /favicon.ico */
	size_t max_rows;	/* torrents listed at most; 0 = BT_INFOPAGE_MAX_ROWS */
	unsigned refresh;	/* seconds: the page reloads itself; 0 = never */
	int stats;		/* /stats is served: the page links to it */
};

/* The info page.  At the top: tracker version, server time, uptime (when
 * start is known) and links to /stats (with o->stats) and /scrape (when
 * full scrapes are allowed).  With show_names and an allowed set that has
 * names (allowed_dir), it lists the allowed torrents by name with info
 * hash, name, size, complete, downloading, downloaded and transferred
 * (size x downloaded); otherwise the tracked torrents (only allowed ones
 * when restricted) by info hash with complete, downloading and
 * downloaded.  A totals row ends the table.  Returns 0, or the buffer's
 * error (BT_E_NOMEM, BT_E_LIMIT). */
int bt_infopage_html(struct bt_tracker *t, const struct bt_infopage_opts *o,
	struct bt_buf *out);

/* Gauges and counters for Prometheus: bt_tracker_torrents,
 * bt_tracker_peers{family}, bt_tracker_seeds, bt_tracker_leechers,
 * bt_tracker_downloads_total, bt_tracker_announces_total{proto},
 * bt_tracker_scrapes_total{proto}, bt_tracker_errors_total, ... (see the
 * HELP lines).  Returns 0 or the buffer's error. */
int bt_infopage_stats(struct bt_tracker *t, const struct bt_infopage_opts *o,
	struct bt_buf *out);

#endif
