/* show_curses.h - btdownloadcurses's screen: a bordered panel of the
 * view's texts with a progress bar, and below it either the last errors
 * or (--spew) the peer table, scrolling a row a second when it does not
 * fit.  Built when <curses.h> is found (the front library links
 * ncursesw); without it bt_show_curses_start always fails, and callers
 * fall back to the plain output. */
#ifndef BT_SHOW_CURSES_H
#define BT_SHOW_CURSES_H

#include <stddef.h>
#include <stdint.h>

struct bt_buf;
struct bt_spew;
struct bt_torrent_stats;
struct bt_view;

/* The screen's state (owned by the caller; zero it before the start). */
struct bt_show_curses {
	void *scr;			/* the curses SCREEN while it is on */
	size_t spew_scroll;		/* first peer row shown */
	uint64_t spew_scroll_ms;	/* when it last moved */
};

/* What a key asks for (bt_show_curses_key). */
enum {
	BT_SHOW_KEY_NONE,	/* no more keys waiting */
	BT_SHOW_KEY_QUIT,	/* q or Q */
	BT_SHOW_KEY_REDRAW,	/* Ctrl-L, or the terminal was resized */
};

/* Take over the terminal (stdin and stdout must be one that can move the
 * cursor).  0, or -1 when there is no curses screen to be had. */
int bt_show_curses_start(struct bt_show_curses *c);
/* Give the terminal back (nothing when the screen is not on). */
void bt_show_curses_stop(struct bt_show_curses *c);
/* Draw w.  spew: the peer table (with st for its bottom line, "downloading
 * N pieces, H of P pieces completed"), or NULL for the errors panel;
 * now_ms: the loop's clock, for the scrolling. */
void bt_show_curses_draw(struct bt_show_curses *c, const struct bt_view *w,
	const struct bt_spew *spew, const struct bt_torrent_stats *st, uint64_t now_ms);
/* The next key waiting on stdin (BT_SHOW_KEY_*); keys that mean nothing
 * are skipped.  Ctrl-L has the next draw repaint the whole screen. */
int bt_show_curses_key(struct bt_show_curses *c);

/* What btdownloadcurses prints once the screen is gone: "These errors
 * occurred during execution:" and each error kept (nothing when there
 * were none). */
void bt_show_curses_errors(struct bt_buf *out, const struct bt_view *w);

#endif
