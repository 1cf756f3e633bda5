/* show_curses.c - see show_curses.h */
#include "show_curses.h"
#include "buf.h"
#include "spew.h"
#include "torrent.h"
#include "view.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* BT_HAVE_CURSES comes from the build (src/meson.build). */

void
bt_show_curses_errors(struct bt_buf *out, const struct bt_view *w)
{
	size_t first = bt_view_errors_first(w);

	if (!w->nerr)
		return;
	bt_buf_adds(out, "These errors occurred during execution:\n");
	if (first)
		bt_buf_printf(out, "(%zu earlier errors not shown)\n", first);
	for (size_t k = first; k < w->nerr; k++)
		bt_buf_printf(out, "%s\n", bt_view_error_at(w, k));
}

#if BT_HAVE_CURSES
#include <curses.h>

/* The smallest screen drawn: the ten lines of the upper panel in a
 * border, and the lower panel's first lines. */
#define MIN_LINES	14
#define MIN_COLS	30

int
bt_show_curses_start(struct bt_show_curses *c)
{
	SCREEN *scr;
	char *cup;

	if (!isatty(0) || !isatty(1))
		return -1;
	setlocale(LC_CTYPE, "");
	scr = newterm(NULL, stdout, stdin);
	if (!scr)
		return -1;
	set_term(scr);
	cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {	/* cannot move the cursor (TERM=dumb) */
		endwin();
		delscreen(scr);
		return -1;
	}
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	c->scr = scr;
	return 0;
}

void
bt_show_curses_stop(struct bt_show_curses *c)
{
	if (!c->scr)
		return;
	endwin();
	delscreen(c->scr);
	c->scr = NULL;
}

/* The upper panel: labels and the view's texts, x the values' column, fw
 * their width. */
static void
draw_panel(const struct bt_view *w, int fx, int fw)
{
	static const char *const label[] = {
		"file:", "size:", "dest:", "progress:", "status:", "dl speed:", "ul speed:",
		"sharing:", "seeds:", "peers:",
	};

	border('|', '|', '-', '-', ' ', ' ', ' ', ' ');
	for (int k = 0; k < 10; k++)
		mvaddstr(1 + k, 2, label[k]);
	attron(A_BOLD);
	mvaddnstr(1, fx, w->file ? w->file : "", fw);
	attroff(A_BOLD);
	mvaddnstr(2, fx, w->size, fw);
	mvaddnstr(3, fx, w->dest ? w->dest : "", fw);
	if (w->frac >= 0) {
		int blocks = (int)(fw * w->frac);
		attron(A_BOLD);
		move(4, fx);
		for (int k = 0; k < fw; k++)
			addch(k < blocks ? '#' : '_');
		attroff(A_BOLD);
	}
	mvaddnstr(5, fx, w->status, fw);
	mvaddnstr(6, fx, w->down, fw);
	mvaddnstr(7, fx, w->up, fw);
	mvaddnstr(8, fx, w->share, fw);
	mvaddnstr(9, fx, w->seeds, fw);
	mvaddnstr(10, fx, w->peers, fw);
}

/* The lower panel without the peer table: "error(s):" and the last
 * errors that fit. */
static void
draw_errors(const struct bt_view *w, int sy, int sx, int sh, int sw, int lw)
{
	size_t shown = w->nerr - bt_view_errors_first(w);
	size_t n = shown < (size_t)sh ? shown : (size_t)sh;

	if (!shown)
		return;
	attron(A_BOLD);
	mvaddnstr(sy, sx, "error(s):", sw);
	for (size_t k = 0; k < n; k++)
		mvaddnstr(sy + (int)k, sx + lw, bt_view_error_at(w, w->nerr - n + k), sw - lw - 1);
	attroff(A_BOLD);
}

/* The lower panel with the peer table: the last error, the header, the
 * rows (scrolling one a second when they do not fit; the rows and one
 * empty slot go round), the pieces line. */
static void
draw_spew(struct bt_show_curses *c, const struct bt_view *w, const struct bt_spew *spew,
	const struct bt_torrent_stats *st, uint64_t now, int sy, int sx, int sh, int sw, int lw)
{
	size_t n = spew->n, fit = sh > 5 ? (size_t)(sh - 5) : 0;
	char line[160];

	attron(A_BOLD);
	if (w->nerr) {
		mvaddnstr(sy, sx, "error:", sw);
		mvaddnstr(sy, sx + lw, bt_view_error_at(w, w->nerr - 1), sw - lw - 1);
	}
	mvaddnstr(sy + 2, sx, bt_spew_head, sw);
	attroff(A_BOLD);
	if (now - c->spew_scroll_ms >= 1000) {
		c->spew_scroll_ms = now;
		if (n > fit || c->spew_scroll > 0)
			c->spew_scroll++;
	}
	if (c->spew_scroll > n)
		c->spew_scroll = 0;
	for (size_t k = 0; k < fit && k < n + 1; k++) {
		size_t r = (c->spew_scroll + k) % (n + 1);
		if (r == n)
			continue;
		bt_spew_row(line, sizeof(line), r + 1, &spew->rows[r]);
		mvaddnstr(sy + 3 + (int)k, sx, line, sw);
	}
	snprintf(line, sizeof(line), "downloading %u pieces, have %u fragments, %u of %u pieces completed",
		st->active, st->fragments, st->pieces_have, st->pieces);
	mvaddnstr(sy + sh - 1, sx, line, sw - 1);
}

void
bt_show_curses_draw(struct bt_show_curses *c, const struct bt_view *w,
	const struct bt_spew *spew, const struct bt_torrent_stats *st, uint64_t now_ms)
{
	int h, wd;

	if (!c->scr)
		return;
	getmaxyx(stdscr, h, wd);
	erase();
	if (h < MIN_LINES || wd < MIN_COLS) {
		char msg[128];
		snprintf(msg, sizeof(msg), "window too small (%dx%d): needs %dx%d or more; q quits",
			wd, h, MIN_COLS, MIN_LINES);
		for (int k = 0, n = (int)strlen(msg); k * wd < n && k < h; k++)
			mvaddnstr(k, 0, msg + k * wd, wd);	/* wrapped by hand */
		refresh();
		return;
	}
	draw_panel(w, 12, wd - 14);
	mvaddstr(0, wd - 11, " q quits ");
	if (spew)
		draw_spew(c, w, spew, st, now_ms, 12, 2, h - 13, wd - 3, 9);
	else
		draw_errors(w, 12, 2, h - 13, wd - 3, 9);
	refresh();
}

int
bt_show_curses_key(struct bt_show_curses *c)
{
	int k;

	while (c->scr && (k = getch()) != ERR) {
		if (k == 'q' || k == 'Q')
			return BT_SHOW_KEY_QUIT;
		if (k == 12) {
			clearok(curscr, TRUE);
			return BT_SHOW_KEY_REDRAW;
		}
		if (k == KEY_RESIZE)	/* ncurses has the new size */
			return BT_SHOW_KEY_REDRAW;
	}
	return BT_SHOW_KEY_NONE;
}

#else

int
bt_show_curses_start(struct bt_show_curses *c)
{
	return -1;
}

void
bt_show_curses_stop(struct bt_show_curses *c)
{
}

void
bt_show_curses_draw(struct bt_show_curses *c, const struct bt_view *w,
	const struct bt_spew *spew, const struct bt_torrent_stats *st, uint64_t now_ms)
{
}

int
bt_show_curses_key(struct bt_show_curses *c)
{
	return BT_SHOW_KEY_NONE;
}

#endif
