/* view.h - what a torrent's status shows (the model behind BitTornado's
 * displayers): the texts of btdownloadheadless's block and of the curses
 * screen, and the last errors.  One per torrent, owned by the caller,
 * refreshed from bt_torrent_stats and the engine's messages; the displays
 * (show_block.h, show_curses.h) draw it.
 *
 * As in BitTornado, a text not refreshed keeps its last value; once the
 * torrent has finished or failed ("done") the percent and time stay put.
 * All text taken from outside (names, paths, messages) is made printable
 * (control bytes become '?') before it is kept. */
#ifndef BT_VIEW_H
#define BT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "str.h"

struct bt_meta;
struct bt_torrent_stats;

#define BT_VIEW_ERRORS	20	/* errors kept for display */
#define BT_VIEW_MSG_MAX	512	/* longest message kept */

struct bt_view {
	int curses;		/* curses formats ("KB/s", "download succeeded!") */
	int stamp;		/* errors stamped "[HH:MM:SS] " (btdownloadcurses) */
	char *file;		/* headless "name (x MB)", curses the name */
	char size[BT_FMT_MAX];
	char *dest;		/* absolute path of the data */
	char pct[16];
	char time_est[96];	/* headless: time left or the activity */
	char activity[96];	/* curses */
	char status[128];	/* curses: activity (pct) */
	double frac;		/* curses progress bar, < 0: none yet */
	char down[32], up[32];
	char share[96], seeds[96], peers[96];
	int done;		/* finished, failed or interrupted: no more percent/time */
	int finished;		/* every wanted piece verified, or seeding */
	int checking;		/* the last activity was the check's */
	char *errors[BT_VIEW_ERRORS];	/* a ring of the last errors */
	size_t nerr;		/* errors recorded (a repeat of the last one is not) */
	uint64_t have, wanted;	/* bytes, from the last refresh */
};

/* An empty view (nothing to show yet); stamp: see struct bt_view. */
void bt_view_init(struct bt_view *w, int stamp);
/* Release what w holds. */
void bt_view_free(struct bt_view *w);
/* (Re)start the texts for torrent m saved at root, in curses' formats or
 * the headless ones.  The errors and `finished` are kept. */
void bt_view_torrent(struct bt_view *w, const struct bt_meta *m, const char *root, int curses);

/* An activity (BitTornado's display(activity=...)): "connecting to
 * peers", "shutting down"...; shown unless done. */
void bt_view_activity(struct bt_view *w, const char *what);
/* Every wanted piece is verified: `finished`, and unless done the texts
 * say so ("Download Succeeded!"). */
void bt_view_finished(struct bt_view *w);
/* The download failed: unless done, the texts say so ("Download
 * Failed!"). */
void bt_view_failed(struct bt_view *w);
/* The user stopped the download before it was complete: unless done,
 * the percent stays the real one and the texts say "interrupted", with
 * ", resume data saved" when saved, and how much is there ("(21.9 MB of
 * 58.6 MB done)"). */
void bt_view_interrupted(struct bt_view *w, int saved);
/* Refresh from the engine's figures. */
void bt_view_update(struct bt_view *w, const struct bt_torrent_stats *st);

/* Record an error (made printable, stamped if w->stamp); the same text
 * as the last error is not recorded again (a tracker that stays down
 * says so once, and again after something else happened, e.g. it came
 * back). */
void bt_view_error(struct bt_view *w, const char *text);
/* The errors still kept are those numbered bt_view_errors_first(w) to
 * w->nerr - 1, oldest first; bt_view_error_at gives one of them. */
size_t bt_view_errors_first(const struct bt_view *w);
const char *bt_view_error_at(const struct bt_view *w, size_t k);

/* How far along, times scale: the check while checking, else the wanted
 * bytes had.  The view and the log lines show the same figure. */
double bt_view_progress(const struct bt_torrent_stats *st, double scale);

/* A printable copy of outside text (bt_str_printable), new string. */
char *bt_view_printable(const char *s);

#endif
