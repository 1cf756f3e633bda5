/* show_many.c - see show_many.h */
#include "show_many.h"
#include "buf.h"
#include "cli.h"
#include "show_curses.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* BT_HAVE_CURSES comes from the build (src/meson.build). */
#if BT_HAVE_CURSES
#include <curses.h>
#endif

void
bt_show_many_line(struct bt_buf *out, const struct bt_many_row *r)
{
	bt_buf_printf(out, "\"%s\": \"%s\" (%.1f%%) - %uP%u%c%.3fD u%.1fK/s-d%.1fK/s "
		"u%lluK-d%lluK \"%s\"\n", r->name, r->status, r->progress, r->peers, r->seeds,
		r->seeding ? 's' : 'S', r->copies, r->up_rate / 1024, r->down_rate / 1024,
		(unsigned long long)(r->uploaded / 1024),
		(unsigned long long)(r->downloaded / 1024), r->msg);
}

void
bt_show_many_message(struct bt_show_many *m, const char *text)
{
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t k = m->nmsgs % BT_SHOW_MANY_MSGS;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%x %X", &tm);
	free(m->msgs[k]);
	m->msgs[k] = xfmt("%s - %s", stamp, text);
	m->nmsgs++;
}

void
bt_show_many_free(struct bt_show_many *m)
{
	for (size_t k = 0; k < BT_SHOW_MANY_MSGS; k++)
		free(m->msgs[k]);
	memset(m, 0, sizeof(*m));
}

#if BT_HAVE_CURSES

static void
fmt_rate(char *out, size_t cap, double bps)
{
	snprintf(out, cap, "%.1f KB/s", bps / 1024);
}

/* The three lines of torrent i at row y (inside the border). */
static void
draw_torrent(int y, int cols, size_t i, const struct bt_many_row *r)
{
	char size[BT_FMT_MAX], up[BT_FMT_MAX], dn[BT_FMT_MAX], ur[32], dr[32];
	int namew = cols - 2 - 4 - 9 - 11 - 11;

	bt_fmt_size(size, sizeof(size), r->size);
	fmt_rate(dr, sizeof(dr), r->down_rate);
	fmt_rate(ur, sizeof(ur), r->up_rate);
	attron(A_BOLD);
	mvprintw(y, 1, "%3zu %-*.*s %8s %10s %10s", i + 1, namew > 1 ? namew : 1,
		namew > 1 ? namew : 1, r->name, size, dr, ur);
	attroff(A_BOLD);
	bt_fmt_size(up, sizeof(up), r->uploaded);
	bt_fmt_size(dn, sizeof(dn), r->downloaded);
	if (r->peers || r->seeds)
		mvprintw(y + 1, 1, "    (%.1f%%) %.30s - %s up %s dn - %u peers %u seeds %.3f dist copies",
			r->progress, r->status, up, dn, r->peers, r->seeds, r->copies);
	else
		mvprintw(y + 1, 1, "    (%.1f%%) %.30s - %s up %s dn", r->progress, r->status, up, dn);
	mvprintw(y + 2, 1, "    %.*s", cols > 8 ? cols - 8 : 1, r->msg);
}

/* Which torrent comes first: the list scrolls a line a second when it
 * does not fit. */
static size_t
first_shown(struct bt_show_many *m, size_t n, int fit, uint64_t now_ms)
{
	if ((size_t)fit >= n) {
		m->scroll = 0;
		return 0;
	}
	if (now_ms - m->scroll_ms >= 1000) {
		m->scroll = (m->scroll + 1) % (n - (size_t)fit + 1);
		m->scroll_ms = now_ms;
	}
	return m->scroll;
}

static void
draw_totals(int y, const struct bt_many_row *rows, size_t n)
{
	double up = 0, dn = 0;
	char ur[32], dr[32];

	for (size_t i = 0; i < n; i++) {
		up += rows[i].up_rate;
		dn += rows[i].down_rate;
	}
	fmt_rate(dr, sizeof(dr), dn);
	fmt_rate(ur, sizeof(ur), up);
	attron(A_BOLD);
	mvprintw(y, 1, "Totals: %10s down %10s up   (q quits)", dr, ur);
	attroff(A_BOLD);
}

static void
draw_messages(const struct bt_show_many *m, int top, int rows, int cols)
{
	size_t have = m->nmsgs < BT_SHOW_MANY_MSGS ? m->nmsgs : BT_SHOW_MANY_MSGS;
	size_t show = have < (size_t)rows ? have : (size_t)rows;

	for (size_t k = 0; k < show; k++) {
		size_t idx = (m->nmsgs - show + k) % BT_SHOW_MANY_MSGS;
		mvprintw(top + (int)k, 1, "%.*s", cols - 2, m->msgs[idx]);
	}
}

void
bt_show_many_draw(struct bt_show_curses *c, struct bt_show_many *m,
	const struct bt_many_row *rows, size_t n, uint64_t now_ms)
{
	int lines, cols, pane, listh, fit;
	size_t first;

	if (!c->scr)
		return;
	getmaxyx(stdscr, lines, cols);
	erase();
	if (lines < 12 || cols < 60) {
		mvprintw(0, 0, "window too small: %dx%d, 60x12 needed (q quits)", cols, lines);
		refresh();
		return;
	}
	box(stdscr, 0, 0);
	pane = lines / 4 < 3 ? 3 : lines / 4;
	listh = lines - pane - 5;	/* border, header, totals, separator */
	fit = listh / 3;
	attron(A_BOLD);
	mvprintw(1, 1, "  # %-*s %8s %10s %10s", cols - 37, "Filename", "Size", "Download", "Upload");
	attroff(A_BOLD);
	if (!n)
		mvprintw(2, 5, "no torrents");
	first = first_shown(m, n, fit, now_ms);
	for (size_t i = first; i < n && (int)(i - first) < fit; i++)
		draw_torrent(2 + 3 * (int)(i - first), cols, i, &rows[i]);
	draw_totals(2 + listh, rows, n);
	mvhline(3 + listh, 1, ACS_HLINE, cols - 2);
	draw_messages(m, 4 + listh, pane, cols);
	refresh();
}

#else

void
bt_show_many_draw(struct bt_show_curses *c, struct bt_show_many *m,
	const struct bt_many_row *rows, size_t n, uint64_t now_ms)
{
	(void)c;
	(void)m;
	(void)rows;
	(void)n;
	(void)now_ms;
}

#endif
