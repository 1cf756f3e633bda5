/* test_view.c - the status model (view) and the texts drawn from it: the
 * headless block (show_block), a peer table row (spew) and the errors
 * btdownloadcurses prints at the end (show_curses); formats pinned to
 * BitTornado's. */
#include "buf.h"
#include "metainfo.h"
#include "show_block.h"
#include "show_curses.h"
#include "spew.h"
#include "torrent.h"
#include "view.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static struct bt_meta m;

/* CHECK that the block of w (no spew) is want. */
static void
block_is(int line, const struct bt_view *w, int blank, int errors, const struct bt_spew *sp,
	const char *want)
{
	struct bt_buf b;

	bt_buf_init(&b, 0);
	bt_show_block(&b, w, blank, errors, sp);
	bt_buf_addc(&b, 0);
	CHECK_STR_AT(line, (char *)b.p, want);
	bt_buf_free(&b);
}

static void
stats(struct bt_torrent_stats *st, enum bt_torrent_state s)
{
	memset(st, 0, sizeof(*st));
	st->state = s;
	st->total = st->wanted = 3 << 20;
	st->left = 1 << 20;
	st->eta = 3725;
	st->down_rate = 2048;
	st->up_rate = 512;
	st->uploaded = 1 << 20;
	st->downloaded = 2 << 20;
	st->peers = 3;
	st->seeds = 1;
	st->webseeds = 1;
	st->copies = 1.5;
	st->peers_done = 0.25;
	st->swarm_rate = 10240;
}

static void
test_headless(void)
{
	struct bt_view w;
	struct bt_torrent_stats st;

	bt_view_init(&w, 0);
	bt_view_torrent(&w, &m, "/data/./dl/../x", 0);
	bt_view_activity(&w, "connecting to peers");
	block_is(__LINE__, &w, 0, 0, NULL,
		"saving:         tor\\x1b? (3.0 MB)\n"
		"percent done:   \n"
		"time left:      connecting to peers\n"
		"download to:    /data/x\n"
		"download rate:  \n"
		"upload rate:    \n"
		"share rating:   \n"
		"seed status:    \n"
		"peer status:    \n");

	stats(&st, BT_TORRENT_DOWNLOADING);
	bt_view_update(&w, &st);
	bt_view_error(&w, "tracker\nsaid no");
	block_is(__LINE__, &w, 1, 1, NULL,
		"\n\n\n\n\n"
		"ERROR:\ntracker\\nsaid no\n\n"
		"saving:         tor\\x1b? (3.0 MB)\n"
		"percent done:   66.6\n"
		"time left:      1 hour 02 min 05 sec\n"
		"download to:    /data/x\n"
		"download rate:  2.0 kB/s\n"
		"upload rate:    0.5 kB/s\n"
		"share rating:   0.500   (1.0 MB up / 2.0 MB down)\n"
		"seed status:    2 seen now, plus 1.500 distributed copies\n"
		"peer status:    3 seen now, 25.0% done at 10.0 kB/s\n");

	/* Finished: 100, the seeds seen recently; an activity no longer shows. */
	bt_view_finished(&w);
	CHECK(w.finished && w.done);
	st.seen_recently = 4;
	st.uploaded = 0;
	st.downloaded = 0;
	bt_view_update(&w, &st);
	bt_view_activity(&w, "shutting down");
	bt_view_failed(&w);
	block_is(__LINE__, &w, 0, 0, NULL,
		"saving:         tor\\x1b? (3.0 MB)\n"
		"percent done:   100\n"
		"time left:      Download Succeeded!\n"
		"download to:    /data/x\n"
		"download rate:  \n"
		"upload rate:    0.5 kB/s\n"
		"share rating:   0.000   (0.0 MB up / 0.0 MB down)\n"
		"seed status:    5 seen recently, plus 1.500 distributed copies\n"
		"peer status:    3 seen now, 25.0% done at 10.0 kB/s\n");

	/* The same error again is not recorded again; after another one it is. */
	bt_view_error(&w, "again");
	bt_view_error(&w, "again");
	CHECK_INT(w.nerr, ==, 2);
	/* 25 errors: the last 20 kept. */
	for (int k = 0; k < 23; k++)
		bt_view_error(&w, k % 2 ? "again" : "other");
	CHECK_INT(w.nerr, ==, 25);
	CHECK_INT(bt_view_errors_first(&w), ==, 5);
	struct bt_buf b;
	bt_buf_init(&b, 0);
	bt_show_block(&b, &w, 0, 1, NULL);
	bt_buf_addc(&b, 0);
	CHECK(strncmp((char *)b.p, "ERROR:\n(5 earlier errors not shown)\n\nERROR:\nagain\n\n", 50) == 0);
	bt_buf_free(&b);
	bt_view_free(&w);
}

static void
test_failed_and_checking(void)
{
	struct bt_view w;
	struct bt_torrent_stats st;

	bt_view_init(&w, 0);
	bt_view_torrent(&w, &m, "/x", 0);
	stats(&st, BT_TORRENT_CHECKING);
	st.checked = 1;
	st.check_total = 3;
	bt_view_update(&w, &st);
	CHECK_STR(w.time_est, "checking existing data");
	CHECK_STR(w.pct, "33.3");
	CHECK_INT(bt_view_progress(&st, 100) > 33.3, ==, 1);
	st.state = BT_TORRENT_FAILED;
	bt_view_update(&w, &st);
	CHECK_STR(w.pct, "0");
	CHECK_STR(w.time_est, "Download Failed!");
	CHECK(w.done && !w.finished);
	/* Seeding from the start counts as finished. */
	bt_view_torrent(&w, &m, "/x", 0);
	CHECK(!w.done);
	stats(&st, BT_TORRENT_SEEDING);
	st.left = 0;
	bt_view_update(&w, &st);
	CHECK(w.finished && w.done);
	CHECK_STR(w.pct, "100");
	CHECK_INT(bt_view_progress(&st, 100) == 100, ==, 1);
	bt_view_free(&w);
}

/* Stopped by the user: the real percent and amount, not "Failed"; the
 * check's activity gives way once the download runs. */
static void
test_interrupted(void)
{
	struct bt_view w;
	struct bt_torrent_stats st;

	bt_view_init(&w, 0);
	bt_view_torrent(&w, &m, "/x", 0);
	stats(&st, BT_TORRENT_CHECKING);
	bt_view_update(&w, &st);
	stats(&st, BT_TORRENT_DOWNLOADING);
	st.eta = -1;
	bt_view_update(&w, &st);
	CHECK_STR(w.time_est, "connecting to peers");
	bt_view_interrupted(&w, 1);
	bt_view_failed(&w);	/* done already: no effect */
	CHECK_STR(w.pct, "66.6");
	CHECK_STR(w.time_est, "interrupted, resume data saved (2.0 MB of 3.0 MB done)");
	CHECK(w.done && !w.finished);
	bt_view_torrent(&w, &m, "/x", 1);
	bt_view_update(&w, &st);
	bt_view_interrupted(&w, 0);
	CHECK_STR(w.status, "interrupted (2.0 MB of 3.0 MB done)");
	bt_view_free(&w);
}

/* The block drawn in place: cursor up over the last one, erase, errors
 * once above it, lines cut to the width. */
static void
test_redraw(void)
{
	struct bt_view w;
	struct bt_torrent_stats st;
	struct bt_show_tty t = { 0, 0 };
	struct bt_buf b;

	bt_view_init(&w, 0);
	bt_view_torrent(&w, &m, "/x", 0);
	stats(&st, BT_TORRENT_DOWNLOADING);
	bt_view_update(&w, &st);
	bt_view_error(&w, "tracker down");
	bt_buf_init(&b, 0);
	bt_show_block_redraw(&b, &t, &w, NULL, 21, 0);
	bt_buf_addc(&b, 0);
	CHECK_STR((char *)b.p, "\r\033[JERROR: tracker down\n"
		"saving:         tor\\\n" "percent done:   66.6\n" "time left:      1 ho\n"
		"download to:    /x\n" "download rate:  2.0 \n" "upload rate:    0.5 \n"
		"share rating:   0.50\n" "seed status:    2 se\n" "peer status:    3 se\n");
	CHECK_INT(t.lines, ==, 9);
	bt_buf_free(&b);
	bt_view_error(&w, "tracker down");	/* the same: not again */
	bt_buf_init(&b, 0);
	bt_show_block_redraw(&b, &t, &w, NULL, 0, 0);
	bt_buf_addc(&b, 0);
	CHECK(strncmp((char *)b.p, "\r\033[9A\r\033[Jsaving:", 16) == 0);
	CHECK_INT(t.lines, ==, 9);
	bt_buf_free(&b);
	bt_view_free(&w);
}

static void
test_curses(void)
{
	struct bt_view w;
	struct bt_torrent_stats st;
	struct bt_buf b;

	bt_view_init(&w, 1);
	bt_view_error(&w, "early");		/* kept across a new start */
	bt_view_torrent(&w, &m, "/x", 1);
	CHECK_STR(w.file, "tor\\x1b?");
	CHECK_STR(w.size, "3.00MiB");
	CHECK_STR(w.down, "---");
	CHECK(w.frac < 0);
	bt_view_activity(&w, "connecting to peers");
	stats(&st, BT_TORRENT_DOWNLOADING);
	bt_view_update(&w, &st);
	CHECK_STR(w.status, "finishing in 1:02:05 (66.7%)");
	CHECK_STR(w.down, "2.0 KB/s");
	CHECK_STR(w.share, "0.500  (1.0 MB up / 2.0 MB down)");
	st.eta = 0;
	bt_view_update(&w, &st);
	CHECK_STR(w.activity, "download complete!");
	bt_view_finished(&w);
	CHECK_STR(w.status, "download succeeded! (100.0%)");
	bt_view_update(&w, &st);
	CHECK_STR(w.status, "download succeeded!");
	CHECK_STR(w.down, "---");

	/* The errors printed at the end, stamped "[HH:MM:SS] ". */
	bt_buf_init(&b, 0);
	bt_show_curses_errors(&b, &w);
	bt_buf_addc(&b, 0);
	CHECK(strncmp((char *)b.p, "These errors occurred during execution:\n[", 41) == 0);
	CHECK(strlen((char *)b.p) == 40 + 11 + 6);
	CHECK(strcmp((char *)b.p + 40 + 11, "early\n") == 0);
	bt_buf_free(&b);
	bt_view_free(&w);

	bt_view_init(&w, 1);
	bt_buf_init(&b, 0);
	bt_show_curses_errors(&b, &w);
	CHECK_INT(b.len, ==, 0);
	bt_buf_free(&b);
	bt_view_failed(&w);
	CHECK(w.done);
	bt_view_free(&w);
}

static void
test_spew(void)
{
	struct bt_torrent_peer p[2];
	struct sockaddr_in *a;
	char line[160];
	struct bt_spew sp = { p, 2 };
	struct bt_view w;

	memset(p, 0, sizeof(p));
	a = (struct sockaddr_in *)&p[0].addr;
	a->sin_family = AF_INET;
	a->sin_port = htons(6881);
	inet_pton(AF_INET, "10.1.2.3", &a->sin_addr);
	p[0].incoming = 1;
	p[0].up_rate = 12345;
	p[0].peer_interested = 1;
	p[0].am_choking = 1;
	p[0].down_rate = 50;
	p[0].am_interested = 1;
	p[0].peer_choking = 1;
	p[0].snubbed = 1;
	p[0].done = 0.5;
	bt_spew_row(line, sizeof(line), 1, &p[0]);
	CHECK_STR(line, "  1 10.1.2.3R           12 KB/s -I-C-             -I-C-S-  50.0%");
	p[0].speed = 300 * 1024;	/* its own rate: the Speed column */
	bt_spew_row(line, sizeof(line), 1, &p[0]);
	CHECK_STR(line, "  1 10.1.2.3R           12 KB/s -I-C-             -I-C-S-  50.0%   300 KB/s");
	p[0].speed = 0;
	a = (struct sockaddr_in *)&p[1].addr;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, "192.168.100.200", &a->sin_addr);
	p[1].down_rate = 2000000;
	p[1].done = 1;
	bt_spew_row(line, sizeof(line), 1002, &p[1]);
	CHECK_STR(line, "  2 192.168.100.200L            -----   1953 KB/s ------- 100.0%");

	bt_view_init(&w, 0);
	bt_view_torrent(&w, &m, "/x", 0);
	struct bt_buf b;
	bt_buf_init(&b, 0);
	bt_show_block(&b, &w, 0, 0, &sp);
	bt_buf_addc(&b, 0);
	const char *tail = strstr((char *)b.p, "peer status:    \n\n");
	CHECK(tail && strcmp(tail + 18,
		"  #     IP                 Upload           Download     Completed  Speed\n"
		"  1 10.1.2.3R           12 KB/s -I-C-             -I-C-S-  50.0%\n"
		"  2 192.168.100.200L            -----   1953 KB/s ------- 100.0%\n") == 0);
	bt_buf_free(&b);
	bt_view_free(&w);
}

int
main(void)
{
	m.name = (char *)"tor\x1b?";
	m.total = 3 << 20;
	m.multi = 1;
	test_headless();
	test_failed_and_checking();
	test_interrupted();
	test_redraw();
	test_curses();
	test_spew();
	return check_summary("view");
}
