/* show_many.h - what btlaunchmany and btlaunchmanycurses show: one status
 * line per torrent (headless), or three screen lines per torrent with
 * totals and a message pane (curses), BitTornado's formats
 * (BITTORNADO.md section 7).  The rows are filled by the applet from the
 * engine's statistics; nothing here knows the engine. */
#ifndef BT_SHOW_MANY_H
#define BT_SHOW_MANY_H

#include <stddef.h>
#include <stdint.h>

struct bt_buf;
struct bt_show_curses;

struct bt_many_row {
	const char *name;	/* the .torrent's path or the torrent's name,
				 * already made printable */
	const char *status;	/* "seeding", "0:12:34", "stopped", ... */
	double progress;	/* percent */
	unsigned peers, seeds;
	int seeding;
	double copies;		/* distributed copies */
	double up_rate, down_rate;	/* bytes/s */
	uint64_t uploaded, downloaded;	/* bytes */
	uint64_t size;		/* bytes */
	const char *msg;	/* "" or the message to show */
};

/* Headless: "<name>": "<status>" (<progress>) - <p>P<s><s|S><d>D
 * u<up>K/s-d<down>K/s u<up>K-d<down>K "<msg>", one line with '\n'. */
void bt_show_many_line(struct bt_buf *out, const struct bt_many_row *r);

#define BT_SHOW_MANY_MSGS	64	/* messages kept for the pane */

/* The curses screen's own state, beside struct bt_show_curses (which
 * starts and stops the screen and reads keys). */
struct bt_show_many {
	char *msgs[BT_SHOW_MANY_MSGS];	/* a ring of stamped messages */
	size_t nmsgs;			/* ever added */
	size_t scroll;			/* first torrent shown */
	uint64_t scroll_ms;
};

/* A message for the pane, stamped "<date> <time> - ". */
void bt_show_many_message(struct bt_show_many *m, const char *text);
void bt_show_many_free(struct bt_show_many *m);
/* Draw the whole screen (the screen must be on: c->scr). */
void bt_show_many_draw(struct bt_show_curses *c, struct bt_show_many *m,
	const struct bt_many_row *rows, size_t n, uint64_t now_ms);

#endif
