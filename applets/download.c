//applet: download - download a torrent, then seed it (btdownloadheadless, btdownloadcurses)
//usage: download <file.torrent | http://url> [--option value...]
//
// The front-end of one session (session.h) on one loop, with one
// listening socket (peerlisten.h).  BitTornado's 59 client options plus
// save_options; its headless status block on a terminal, one log line a
// period when standard output is not a terminal, and its curses screen
// when called as btdownloadcurses.
//
// The first part of the file holds the pieces launchmany will share
// (options and how they map onto the engine, the save-location rules,
// priorities, the peer id, the state directory); the second part is the
// user interface and download_main.
#include "applets.h"
#include "benc.h"
#include "cli.h"
#include "dl_opts.h"
#include "err.h"
#include "fileio.h"
#include "httpc.h"
#include "ini.h"
#include "metainfo.h"
#include "msg.h"
#include "net.h"
#include "opt.h"
#include "peerlisten.h"
#include "reactor.h"
#include "saveas.h"
#include "torrent.h"
#include "siphash.h"
#include "statedir.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The curses front-end needs <curses.h> and the library (meson links
 * ncursesw when it is found).  The build may say BT_HAVE_CURSES=0/1;
 * otherwise the header decides. */
#ifndef BT_HAVE_CURSES
#if defined(__has_include)
#if __has_include(<curses.h>)
#define BT_HAVE_CURSES 1
#endif
#endif
#endif
#ifndef BT_HAVE_CURSES
#define BT_HAVE_CURSES 0
#endif
#if BT_HAVE_CURSES
#include <curses.h>
#endif

/* ================================================================
 * Part 1: options, their meaning for the engine, save location,
 * priorities, peer id, state directory.
 * ================================================================ */

/* download's options: BitTornado's 59 (dl_opts.h), then save_options. */
enum { O_SAVE_OPTIONS = DL_NOPTS, NOPT };

static const struct bt_opt save_options_opt = {
	"save_options", BT_OPT_INT, "0", "whether to save the current options as the new default configuration (in ~/.BitTornado/config.downloadheadless.ini, or config.downloadcurses.ini for btdownloadcurses)"
};

/* ================================================================
 * Part 2: the front-end.
 * ================================================================ */

enum { UI_TTY, UI_LOG, UI_CURSES };

#define ERR_KEEP	20	/* errors kept for display */
#define MSG_MAX		512	/* longest message shown */
#define SPEW_MAX	1000	/* peers listed at most */
#define LOG_MIN_MS	5000	/* log lines at most this often */
#define LOG_IDLE_MS	600000	/* an unchanged log line again after this */

/* What the status block shows, kept between refreshes as BitTornado's
 * displayers do (a value not refreshed keeps its last text). */
struct view {
	char *file;		/* headless "name (x MB)", curses the name */
	char size[BT_FMT_MAX];
	char *dest;		/* absolute path of the data */
	char pct[16];
	char time_est[64];	/* headless: time left or the activity */
	char activity[64];	/* curses */
	char status[96];	/* curses: activity (pct) */
	double frac;		/* curses progress bar, < 0: none yet */
	char down[32], up[32];
	char share[96], seeds[96], peers[96];
	int done;		/* finished or failed: no more percent/time */
};

static struct {
	union bt_optv v[NOPT];
	struct bt_opt opts[NOPT];	/* dl_opts with the configuration file's defaults */
	char *ini_vals[NOPT];
	int curses_name;		/* called as btdownloadcurses */
	int ui;
	struct bt_loop *loop;
	struct bt_tfile t;		/* t.path: the .torrent's path or URL */
	struct bt_torrent *s;
	struct bt_peerlisten *pl;
	char *root;
	int8_t *prio;
	char *state_dir, *resume_path;
	char state_why[256];		/* why there is no state_dir */
	struct view view;
	char *errors[ERR_KEEP];		/* a ring of the last errors */
	size_t nerr;			/* errors ever recorded */
	char *fatal;			/* the first fatal message */
	int finished, stopping, closed, aborted, fin_logged;
	enum bt_torrent_state last_state;
	uint64_t log_last_ms;
	char log_last[256];
	struct bt_httpc *fetch;		/* --url, while it is fetched */
	struct bt_torrent_peer *spew;	/* SPEW_MAX rows */
	int ended;			/* the final output is out */
	/* curses */
	size_t spew_scroll;
	uint64_t spew_scroll_ms;
#if BT_HAVE_CURSES
	SCREEN *scr;			/* while the screen is on */
#endif
} G;

/* Copy text for the screen: control characters (a tracker's or a
 * torrent's text could hold terminal escapes) become '?'. */
static void
clean_copy(char *out, size_t cap, const char *s)
{
	bt_str_printable(out, cap, s, strlen(s));
}

static char *
clean_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *o = xmalloc(n);
	clean_copy(o, n, s);
	return o;
}

static const char *
state_name(enum bt_torrent_state s)
{
	switch (s) {
	case BT_TORRENT_IDLE: return "starting";
	case BT_TORRENT_CHECKING: return "checking";
	case BT_TORRENT_DOWNLOADING: return "downloading";
	case BT_TORRENT_SEEDING: return "seeding";
	case BT_TORRENT_STOPPING: return "stopping";
	case BT_TORRENT_STOPPED: return "stopped";
	case BT_TORRENT_FAILED: return "failed";
	}
	return "?";
}

static void
log_stamp(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* One line of the log (non-terminal output). */
static void
log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
log_line(const char *fmt, ...)
{
	char ts[32];
	va_list ap;

	if (G.ui != UI_LOG)
		return;
	log_stamp(ts, sizeof(ts));
	printf("%s ", ts);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
add_error(const char *text)
{
	char buf[MSG_MAX + 16];
	size_t off = 0;

	if (G.curses_name) {
		/* btdownloadcurses stamps its errors. */
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		off = strftime(buf, sizeof(buf), "[%H:%M:%S] ", &tm);
	}
	clean_copy(buf + off, sizeof(buf) - off, text);
	free(G.errors[G.nerr % ERR_KEEP]);
	G.errors[G.nerr % ERR_KEEP] = xstrdup(buf);
	G.nerr++;
}

/* ---- the view ---- */

static void
view_init(const struct bt_meta *m, const char *root)
{
	struct view *w = &G.view;
	memset(w, 0, sizeof(*w));
	w->frac = -1;
	if (G.ui == UI_CURSES) {
		w->file = clean_dup(m->name);
		strcpy(w->down, "---");
		strcpy(w->up, "---");
	} else {
		char *f = xfmt("%s (%.1f MB)", m->name, (double)m->total / (1 << 20));
		w->file = clean_dup(f);
		free(f);
	}
	bt_fmt_size(w->size, sizeof(w->size), (uint64_t)m->total);
	char *abs = bt_saveas_abspath(root);
	w->dest = clean_dup(abs);
	free(abs);
}

/* An activity (BitTornado's display(activity=...)): shown unless done. */
static void
view_activity(const char *what)
{
	struct view *w = &G.view;
	if (w->done)
		return;
	snprintf(w->time_est, sizeof(w->time_est), "%s", what);
	snprintf(w->activity, sizeof(w->activity), "%s", what);
	snprintf(w->status, sizeof(w->status), "%s", what);
}

/* The fraction done (BitTornado's fractionDone). */
static void
view_fraction(double frac)
{
	struct view *w = &G.view;
	unsigned k;

	if (!(frac >= 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	/* str(float(int(frac * 1000)) / 10): truncated to one decimal. */
	k = (unsigned)(frac * 1000);
	snprintf(w->pct, sizeof(w->pct), "%u.%u", k / 10, k % 10);
	w->frac = frac;
	snprintf(w->status, sizeof(w->status), "%s (%.1f%%)", w->activity, frac * 100);
}

static void
view_finished(void)
{
	struct view *w = &G.view;
	if (G.ui == UI_CURSES) {
		snprintf(w->activity, sizeof(w->activity), "download succeeded!");
		strcpy(w->down, "---");
		view_fraction(1.0);
	} else {
		strcpy(w->pct, "100");
		snprintf(w->time_est, sizeof(w->time_est), "Download Succeeded!");
		w->down[0] = 0;
	}
	w->done = 1;
}

static void
view_failed(void)
{
	struct view *w = &G.view;
	if (G.ui == UI_CURSES) {
		snprintf(w->activity, sizeof(w->activity), "download failed!");
		snprintf(w->status, sizeof(w->status), "download failed!");
		strcpy(w->down, "---");
	} else {
		strcpy(w->pct, "0");
		snprintf(w->time_est, sizeof(w->time_est), "Download Failed!");
		w->down[0] = 0;
	}
	w->done = 1;
}

static void
fmt_rate(char *out, size_t cap, double bps)
{
	snprintf(out, cap, G.ui == UI_CURSES ? "%.1f KB/s" : "%.1f kB/s", bps / 1024);
}

/* How far along, times scale: the check while checking, else the wanted
 * bytes had.  The view and the log line show the same figure. */
static double
progress(const struct bt_torrent_stats *st, double scale)
{
	if (st->state == BT_TORRENT_CHECKING)
		return st->check_total ? scale * st->checked / st->check_total : 0;
	return st->wanted ? scale * (double)(st->wanted - st->left) / st->wanted : scale;
}

/* Refresh the view from the session's figures. */
static void
view_update(const struct bt_torrent_stats *st)
{
	struct view *w = &G.view;
	int cur = G.ui == UI_CURSES;

	if (st->state == BT_TORRENT_IDLE)
		return;
	if (st->state == BT_TORRENT_CHECKING) {
		view_activity("checking existing data");
		view_fraction(progress(st, 1));
		return;
	}
	if (st->state == BT_TORRENT_FAILED) {
		if (!w->done)
			view_failed();
		return;
	}
	if (st->state == BT_TORRENT_SEEDING) {
		G.finished = 1;		/* complete at start: no finished callback */
		if (!w->done)
			view_finished();
	}
	if (w->done && cur)
		snprintf(w->status, sizeof(w->status), "%s", w->activity);
	if (!w->done) {
		if (st->eta >= 0) {
			int64_t eta = (int64_t)st->eta;
			char t[64];
			if (cur) {
				if (eta == 0)
					snprintf(w->activity, sizeof(w->activity), "download complete!");
				else
					snprintf(w->activity, sizeof(w->activity), "finishing in %s",
						bt_fmt_clock(t, sizeof(t), eta));
			} else {
				bt_fmt_text_time(w->time_est, sizeof(w->time_est), eta);
			}
		}
		view_fraction(progress(st, 1));
		fmt_rate(w->down, sizeof(w->down), st->down_rate);
	}
	fmt_rate(w->up, sizeof(w->up), st->up_rate);

	double ratio;
	if (st->downloaded > 0)
		ratio = (double)st->uploaded / st->downloaded;
	else
		ratio = st->uploaded == 0 ? 0.0 : -1.0;
	char r[32];
	if (ratio >= 0 && ratio <= 100)
		snprintf(r, sizeof(r), "%.3f", ratio);
	else
		strcpy(r, "oo");
	snprintf(w->share, sizeof(w->share), "%s%s(%.1f MB up / %.1f MB down)", r,
		cur ? "  " : "   ", (double)st->uploaded / (1 << 20),
		(double)st->downloaded / (1 << 20));
	if (G.finished || w->done)	/* seeding has set finished above */
		snprintf(w->seeds, sizeof(w->seeds), "%u seen recently, plus %.3f distributed copies",
			st->seen_recently + st->webseeds, st->copies);
	else
		snprintf(w->seeds, sizeof(w->seeds), "%u seen now, plus %.3f distributed copies",
			st->seeds + st->webseeds, st->copies);
	/* st->peers: the peers that are not seeds, as BitTornado counts. */
	snprintf(w->peers, sizeof(w->peers), "%u seen now, %.1f%% done at %.1f kB/s",
		st->peers, st->peers_done * 100, st->swarm_rate / 1024);
}

/* ---- the peer table (--spew) ---- */

/* One row in BitTornado's columns:
 *   #   IP+dir          Upload     flags  Download   flags   Completed */
static void
spew_row(char *out, size_t cap, size_t lineno, const struct bt_torrent_peer *p)
{
	char ip[BT_ADDR_STRLEN], line[128];

	if (bt_addr_format(&p->addr, ip, sizeof(ip), BT_ADDR_NOPORT) < 0)
		strcpy(ip, "?");
	memset(line, ' ', sizeof(line));
	snprintf(line, 4, "%3zu", lineno % 1000);
	line[3] = ' ';
	char tmp[40];
	snprintf(tmp, sizeof(tmp), "%.15s%c", ip, p->incoming ? 'R' : 'L');
	memcpy(line + 4, tmp, strlen(tmp));
	if (p->up_rate > 100) {
		snprintf(tmp, sizeof(tmp), "%6.0f KB/s", p->up_rate / 1000);
		memcpy(line + 20, tmp, strlen(tmp) > 11 ? 11 : strlen(tmp));
	}
	memcpy(line + 32, "-----", 5);
	if (p->peer_interested)
		line[33] = 'I';
	if (p->am_choking)
		line[35] = 'C';
	if (p->down_rate > 100) {
		snprintf(tmp, sizeof(tmp), "%6.0f KB/s", p->down_rate / 1000);
		memcpy(line + 38, tmp, strlen(tmp) > 11 ? 11 : strlen(tmp));
	}
	memcpy(line + 50, "-------", 7);
	if (p->am_interested)
		line[51] = 'I';
	if (p->peer_choking)
		line[53] = 'C';
	if (p->snubbed)
		line[55] = 'S';
	snprintf(tmp, sizeof(tmp), "%5.1f%%", p->done * 100);
	memcpy(line + 58, tmp, strlen(tmp) > 6 ? 6 : strlen(tmp));
	size_t n = 64;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = 0;
	snprintf(out, cap, "%s", line);
}

static const char spew_head[] =
	"  #     IP                 Upload           Download     Completed  Speed";

static struct bt_torrent_peer *
spew_get(size_t *n)
{
	if (!G.spew)
		G.spew = xcalloc(SPEW_MAX, sizeof(*G.spew));
	size_t all = bt_torrent_peers(G.s, G.spew, SPEW_MAX);
	*n = all < SPEW_MAX ? all : SPEW_MAX;
	return G.spew;
}

/* ---- headless output ---- */

static void
headless_block(int blank_lines, int with_errors)
{
	const struct view *w = &G.view;
	struct bt_buf b;
	static const char *const label[] = {
		"saving:", "percent done:", "time left:", "download to:", "download rate:",
		"upload rate:", "share rating:", "seed status:", "peer status:",
	};
	const char *val[] = {
		w->file ? w->file : "", w->pct, w->time_est, w->dest ? w->dest : "",
		w->down, w->up, w->share, w->seeds, w->peers,
	};

	bt_buf_init(&b, 0);
	if (blank_lines)
		bt_buf_adds(&b, "\n\n\n\n\n");
	if (with_errors) {
		size_t first = G.nerr > ERR_KEEP ? G.nerr - ERR_KEEP : 0;
		if (first)
			bt_buf_printf(&b, "ERROR:\n(%zu earlier errors not shown)\n\n", first);
		for (size_t k = first; k < G.nerr; k++)
			bt_buf_printf(&b, "ERROR:\n%s\n\n", G.errors[k % ERR_KEEP]);
	}
	for (size_t k = 0; k < 9; k++)
		bt_buf_printf(&b, "%-15s %s\n", label[k], val[k]);
	if (G.v[DL_SPEW].i && G.s) {
		size_t n;
		struct bt_torrent_peer *rows = spew_get(&n);
		char line[160];
		bt_buf_printf(&b, "\n%s\n", spew_head);
		for (size_t k = 0; k < n; k++) {
			spew_row(line, sizeof(line), k + 1, &rows[k]);
			bt_buf_printf(&b, "%s\n", line);
		}
	}
	if (!b.err)
		fwrite(b.p, 1, b.len, stdout);
	fflush(stdout);
	bt_buf_free(&b);
}

/* The log's periodic line: printed when it says something new, or after
 * LOG_IDLE_MS anyway; at most every LOG_MIN_MS (or display_interval if
 * longer). */
static void
log_status(const struct bt_torrent_stats *st, int force)
{
	uint64_t now = bt_loop_now_ms(G.loop);
	uint64_t every = bt_dl_secs_ms(G.v[DL_DISPLAY_INTERVAL].f);
	char line[256], eta[BT_FMT_MAX];

	if (every < LOG_MIN_MS)
		every = LOG_MIN_MS;
	if (!force && G.log_last_ms && now - G.log_last_ms < every)
		return;
	if (st->state == BT_TORRENT_DOWNLOADING && st->eta >= 0)
		bt_fmt_clock(eta, sizeof(eta), (int64_t)st->eta);
	else
		strcpy(eta, st->state == BT_TORRENT_SEEDING ? "-" : "<unknown>");
	snprintf(line, sizeof(line), "%.1f%% %s down %.1f kB/s up %.1f kB/s peers %u seeds %u eta %s",
		progress(st, 100), state_name(st->state), st->down_rate / 1024, st->up_rate / 1024,
		st->peers, st->seeds + st->webseeds, eta);
	if (!force && strcmp(line, G.log_last) == 0 && now - G.log_last_ms < LOG_IDLE_MS)
		return;
	snprintf(G.log_last, sizeof(G.log_last), "%s", line);
	G.log_last_ms = now ? now : 1;
	log_line("%s", line);
}

/* ---- curses ---- */

#if BT_HAVE_CURSES

static int
curses_start(void)
{
	if (!isatty(0) || !isatty(1))
		return -1;
	setlocale(LC_CTYPE, "");
	G.scr = newterm(NULL, stdout, stdin);
	if (!G.scr)
		return -1;
	set_term(G.scr);
	char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {	/* cannot move the cursor (TERM=dumb) */
		endwin();
		delscreen(G.scr);
		G.scr = NULL;
		return -1;
	}
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	return 0;
}

static void
curses_stop(void)
{
	if (!G.scr)
		return;
	endwin();
	delscreen(G.scr);
	G.scr = NULL;
}

static void
curses_draw(void)
{
	const struct view *w = &G.view;
	int h, wd;
	static const char *const label[] = {
		"file:", "size:", "dest:", "progress:", "status:", "dl speed:", "ul speed:",
		"sharing:", "seeds:", "peers:",
	};

	getmaxyx(stdscr, h, wd);
	erase();
	if (h < 14 || wd < 30) {
		mvaddnstr(0, 0, "window too small", wd);
		refresh();
		return;
	}
	border('|', '|', '-', '-', ' ', ' ', ' ', ' ');
	for (int k = 0; k < 10; k++)
		mvaddstr(1 + k, 2, label[k]);
	int fx = 12, fw = wd - fx - 2;
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

	int sy = 12, sx = 2, sh = h - 13, sw = wd - 3, lw = 9;
	size_t shown = G.nerr < ERR_KEEP ? G.nerr : ERR_KEEP;
	if (!G.v[DL_SPEW].i || !G.s) {
		if (shown) {
			attron(A_BOLD);
			mvaddnstr(sy, sx, "error(s):", sw);
			size_t n = shown < (size_t)sh ? shown : (size_t)sh;
			for (size_t k = 0; k < n; k++)
				mvaddnstr(sy + (int)k, sx + lw,
					G.errors[(G.nerr - n + k) % ERR_KEEP], sw - lw - 1);
			attroff(A_BOLD);
		}
	} else {
		size_t n;
		struct bt_torrent_peer *rows = spew_get(&n);
		char line[160];
		attron(A_BOLD);
		if (shown) {
			mvaddnstr(sy, sx, "error:", sw);
			mvaddnstr(sy, sx + lw, G.errors[(G.nerr - 1) % ERR_KEEP], sw - lw - 1);
		}
		mvaddnstr(sy + 2, sx, spew_head, sw);
		attroff(A_BOLD);
		/* Scroll one row a second when the table does not fit; the
		 * rows and one empty slot go round. */
		size_t fit = sh > 5 ? (size_t)(sh - 5) : 0;
		uint64_t now = bt_loop_now_ms(G.loop);
		if (now - G.spew_scroll_ms >= 1000) {
			G.spew_scroll_ms = now;
			if (n > fit || G.spew_scroll > 0)
				G.spew_scroll++;
		}
		if (G.spew_scroll > n)
			G.spew_scroll = 0;
		for (size_t k = 0; k < fit && k < n + 1; k++) {
			size_t r = (G.spew_scroll + k) % (n + 1);
			if (r == n)
				continue;
			spew_row(line, sizeof(line), r + 1, &rows[r]);
			mvaddnstr(sy + 3 + (int)k, sx, line, sw);
		}
		struct bt_torrent_stats st;
		bt_torrent_stats(G.s, &st);
		snprintf(line, sizeof(line), "downloading %u pieces, %u of %u pieces completed",
			st.active, st.pieces_have, st.pieces);
		mvaddnstr(sy + sh - 1, sx, line, sw - 1);
	}
	refresh();
}

static void request_stop(void);

/* Keys: q/Q quit, Ctrl-L redraw; a resize re-lays the screen. */
static void
curses_keys(void)
{
	int c;
	while (G.scr && (c = getch()) != ERR) {
		if (c == 'q' || c == 'Q')
			request_stop();
		else if (c == 12)
			clearok(curscr, TRUE);
		else if (c == KEY_RESIZE)
			;	/* ncurses has the new size; the draw below uses it */
		else
			continue;
		curses_draw();
	}
}

static void
on_stdin(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	if (ev & (BT_EV_ERR | BT_EV_HUP)) {
		bt_io_del(loop, fd);
		return;
	}
	curses_keys();
}

#else
static int curses_start(void) { return -1; }
static void curses_stop(void) { }
static void curses_draw(void) { }
static void curses_keys(void) { }
#endif

/* Show the current state in whichever way the output wants. */
static void
refresh_display(int force)
{
	struct bt_torrent_stats st;

	if (G.s) {
		bt_torrent_stats(G.s, &st);
		view_update(&st);
	}
	switch (G.ui) {
	case UI_TTY:
		headless_block(1, 1);
		break;
	case UI_CURSES:
		curses_draw();
		break;
	case UI_LOG:
		if (G.s) {
			if (st.state != G.last_state) {
				if (st.state == BT_TORRENT_CHECKING)
					log_line("checking existing data");
				else if (st.state == BT_TORRENT_DOWNLOADING)
					log_line("downloading");
				else if (st.state == BT_TORRENT_SEEDING && !G.fin_logged) {
					G.fin_logged = 1;
					log_line("complete: seeding");
				}
				if (st.state <= BT_TORRENT_SEEDING)
					force = 1;
				G.last_state = st.state;
			}
			if (G.stopping)
				break;
			log_status(&st, force);
		}
		break;
	}
}

/* ---- engine callbacks, signals, timers ---- */

static uint64_t
on_deadline(struct bt_loop *loop, uint64_t id, void *ud)
{
	/* The stopped announce takes too long: leave anyway. */
	G.aborted = 1;
	bt_loop_stop(loop);
	return BT_TIMER_STOP;
}

static void
request_stop(void)
{
	if (!G.s) {
		G.aborted = 1;
		bt_loop_stop(G.loop);
		return;
	}
	if (G.stopping)
		return;
	G.stopping = 1;
	view_activity("shutting down");
	log_line("shutting down (a second interrupt quits at once)");
	refresh_display(1);
	bt_torrent_stop(G.s);
	uint64_t ms = (uint64_t)G.v[DL_HTTP_TIMEOUT].i * 1000 + 5000;
	bt_timer_add(G.loop, ms, on_deadline, NULL);
}

static uint64_t
on_stop_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	request_stop();
	return BT_TIMER_STOP;
}

static void
on_signal(struct bt_loop *loop, int signo, void *ud)
{
	if (G.stopping || !G.s) {
		G.aborted = 1;
		bt_loop_stop(loop);
		return;
	}
	request_stop();
}

static void
cb_message(void *ud, int kind, const char *text)
{
	char clean[MSG_MAX];

	clean_copy(clean, sizeof(clean), text);
	switch (kind) {
	case 'F':
		if (!G.fatal)
			G.fatal = xstrdup(clean);
		add_error(clean);
		log_line("error: %s", clean);
		if (!G.view.done)
			view_failed();
		/* Not from inside the engine's callback. */
		bt_timer_add(G.loop, 0, on_stop_timer, NULL);
		break;
	case 'E':
	case 'W':
		add_error(clean);
		log_line("%s: %s", kind == 'E' ? "error" : "warning", clean);
		break;
	default:
		/* Information (the super-seed banner): BitTornado showed it
		 * with the errors. */
		add_error(clean);
		log_line("%s", clean);
		break;
	}
}

static void
cb_finished(void *ud)
{
	G.finished = 1;
	if (!G.view.done)
		view_finished();
	if (!G.fin_logged)
		log_line("Download Succeeded! Seeding until interrupted.");
	G.fin_logged = 1;
	refresh_display(1);
}

static void
cb_closed(void *ud)
{
	G.closed = 1;
	bt_loop_stop(G.loop);
}

static uint64_t
on_display(struct bt_loop *loop, uint64_t id, void *ud)
{
	curses_keys();
	refresh_display(0);
	return bt_dl_display_ms(G.v);
}

static struct bt_torrent *
find_session(void *ud, const uint8_t info_hash[20])
{
	if (G.s && memcmp(G.t.m.info_hash, info_hash, 20) == 0)
		return G.s;
	return NULL;
}

/* bt_warn for text that may hold a torrent's or a server's bytes. */
static void
warn_clean(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warn_clean(const char *fmt, ...)
{
	char raw[1024], out[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	clean_copy(out, sizeof(out), raw);
	bt_warn("%s", out);
}

/* ---- getting the torrent ---- */

/* Check the bytes in G.t as a torrent; BitTornado's messages. */
static int
parse_torrent(void)
{
	struct bt_meta_err me;

	if (bt_meta_parse(&G.t.m, G.t.buf, G.t.len, &me) == 0)
		return 0;
	if (G.t.m.info >= 0 && bt_benc_type(&G.t.m.doc, G.t.m.info) == BT_BENC_DICT)
		warn_clean("got bad file info - %s", me.what);
	else
		warn_clean("%s is not a valid metafile - %s (at byte %zu)", G.t.path, me.what, me.off);
	return -1;
}

static int
load_file(const char *path)
{
	int rc = bt_file_read(path, BT_CLI_MAX_TORRENT, &G.t.buf, &G.t.len);

	if (rc == BT_E_IO) {
		bt_pwarn("%s", path);
		return -1;
	}
	if (rc == BT_E_LIMIT) {
		bt_warn("%s is not a valid metafile - larger than %u MiB", path,
			BT_CLI_MAX_TORRENT >> 20);
		return -1;
	}
	if (rc < 0) {
		bt_warn("%s: %s", path, bt_strerror(rc));
		return -1;
	}
	return parse_torrent();
}

static void
on_fetched(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	G.fetch = NULL;
	bt_loop_stop(loop);
	if (r->status == 200) {
		G.t.buf = xmalloc(r->body_len ? r->body_len : 1);
		memcpy(G.t.buf, r->body, r->body_len);
		G.t.len = r->body_len;
		return;
	}
	if (r->status > 0)
		bt_warn("problem getting response info - HTTP Error %d", r->status);
	else if (r->status == BT_E_IO && r->sys_errno)
		bt_warn("problem getting response info - %s", strerror(r->sys_errno));
	else if (r->status == BT_E_LIMIT)
		bt_warn("problem getting response info - too large, or too many redirects");
	else
		bt_warn("problem getting response info - %s", bt_strerror(r->status));
}

static int
load_url(const char *url)
{
	struct bt_httpc_opts ho;
	int rc;

	bt_httpc_opts_init(&ho);
	ho.user_agent = "bt/" BT_VERSION;
	ho.timeout_ms = bt_dl_secs_ms((double)G.v[DL_HTTP_TIMEOUT].i);
	ho.max_body = BT_CLI_MAX_TORRENT;
	ho.max_redirects = 10;
	rc = bt_httpc_get(G.loop, url, &ho, on_fetched, NULL, &G.fetch);
	if (rc < 0) {
		bt_warn("problem getting response info - %s: %s", url,
			rc == BT_E_UNSUPPORTED ? "not an http:// or https:// URL" : bt_strerror(rc));
		return -1;
	}
	while (G.fetch && !G.aborted)
		if (bt_loop_run(G.loop) < 0)
			break;
	bt_httpc_cancel(G.fetch);
	G.fetch = NULL;
	if (!G.t.buf)
		return -1;
	return parse_torrent();
}

/* ---- start-up ---- */

static void
print_usage(FILE *f)
{
	struct bt_buf b;

	bt_buf_init(&b, 0);
	if (G.curses_name)
		bt_buf_printf(&b, "Usage: %s <global options>\n\n", bt_prog);
	bt_buf_adds(&b, "Arguments are:\n\n");
	bt_opt_help(G.opts, NOPT, G.curses_name ? 100 : 80, &b);
	bt_buf_addc(&b, '\n');
	if (!b.err)
		fwrite(b.p, 1, b.len, f);
	bt_buf_free(&b);
}

/* BitTornado's headless tool ends every failed run with its status block. */
static void
failed_block(void)
{
	if (G.curses_name)
		return;
	if (!G.view.done)
		view_failed();
	headless_block(G.ui == UI_TTY, 0);
	G.ended = 1;
}

static void
cleanup(void)
{
	if (G.s)
		bt_torrent_free(G.s);
	if (G.pl)
		bt_peerlisten_free(G.pl);
	G.s = NULL;
	G.pl = NULL;
	if (G.loop)
		bt_loop_free(G.loop);
	G.loop = NULL;
	bt_tfile_free(&G.t);
	free(G.root);
	free(G.prio);
	free(G.state_dir);
	free(G.resume_path);
	free(G.fatal);
	free(G.view.file);
	free(G.view.dest);
	free(G.spew);
	for (size_t k = 0; k < ERR_KEEP; k++)
		free(G.errors[k]);
	for (size_t k = 0; k < NOPT; k++)
		free(G.ini_vals[k]);
}

static unsigned
max_fds(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		return 1u << 20;
	return rl.rlim_cur < 256 ? 256 : (unsigned)rl.rlim_cur;
}

/* Everything after the command line: returns the exit code. */
static int
run(const char *input, int is_url)
{
	char why[512];
	struct bt_torrent_opts so;
	struct bt_peerlisten_opts lo;
	struct bt_torrent_cb cb = { cb_message, cb_finished, cb_closed };
	struct bt_sipkey key;
	int rc;

	G.t.path = input;
	signal(SIGPIPE, SIG_IGN);
	G.loop = bt_loop_new(max_fds());
	if (!G.loop) {
		bt_warn("out of memory");
		return BT_EXIT_FAIL;
	}
	bt_loop_signal(G.loop, SIGINT, on_signal, NULL);
	bt_loop_signal(G.loop, SIGTERM, on_signal, NULL);

	if ((is_url ? load_url(input) : load_file(input)) < 0)
		return BT_EXIT_FAIL;

	G.root = bt_saveas_root(&G.t.m, G.v[DL_SAVEAS].s, why, sizeof(why));
	if (!G.root) {
		warn_clean("%s", why);
		return BT_EXIT_FAIL;
	}
	view_init(&G.t.m, G.root);

	/* Priorities; the state directory: resume records, old ones expired. */
	if (!G.v[DL_SELECTOR_ENABLED].i && G.v[DL_PRIORITY].s[0])
		bt_warn("--priority needs --selector_enabled 1; ignored");
	if (G.v[DL_SELECTOR_ENABLED].i) {
		if (G.v[DL_PRIORITY].s[0]) {
			G.prio = bt_dl_priorities(G.v[DL_PRIORITY].s, G.t.m.nfiles);
			if (!G.prio) {
				add_error("bad priority list given, ignored");
				bt_warn("bad priority list given, ignored");
			}
		}
		if (G.state_dir)
			G.resume_path = bt_statedir_resume(G.state_dir, G.t.m.info_hash, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", G.state_why);
		if (!G.resume_path)
			bt_warn("no fast resume (the download starts with a full check next time): %s", why);
		else
			bt_statedir_expire(G.state_dir, G.v[DL_EXPIRE_CACHE_DATA].i,
				G.t.m.info_hash, 1);
	}

	bt_sipkey_random(&key);
	bt_dl_listen_opts(G.v, &lo, key.k0);
	rc = bt_peerlisten_new(&G.pl, G.loop, &lo, find_session, NULL);
	if (rc < 0) {
		if (rc == BT_E_IO)
			bt_warn("Couldn't listen - %s", strerror(errno));
		else if (rc == BT_E_PARSE)
			bt_warn("Couldn't listen - bad --bind address '%s'", G.v[DL_BIND].s);
		else
			bt_warn("Couldn't listen - %s", bt_strerror(rc));
		return BT_EXIT_FAIL;
	}

	bt_dl_torrent_opts(G.v, &so);
	so.root = G.root;
	so.prio = G.prio;
	so.resume_path = G.resume_path;
	so.port = bt_peerlisten_port(G.pl);
	bt_dl_peer_id(so.peer_id);
	rc = bt_torrent_new(&G.s, G.loop, &G.t.m, &so, &cb, NULL);
	if (rc < 0) {
		bt_warn("%s: %s", G.t.path, rc == BT_E_INVAL ? "cannot be downloaded (unsafe paths or bad options)"
			: bt_strerror(rc));
		G.s = NULL;
		return BT_EXIT_FAIL;
	}
	rc = bt_torrent_start(G.s);
	if (rc < 0) {
		if (rc == BT_E_IO)
			bt_pwarn("trouble accessing files - %s", G.root);
		else
			bt_warn("trouble accessing files - %s: %s", G.root, bt_strerror(rc));
		return BT_EXIT_FAIL;
	}

	/* The user interface. */
	if (G.curses_name) {
		if (curses_start() == 0) {
			G.ui = UI_CURSES;
			/* Redo the view in curses' formats. */
			free(G.view.file);
			free(G.view.dest);
			view_init(&G.t.m, G.root);
#if BT_HAVE_CURSES
			bt_io_add(G.loop, 0, BT_EV_READ, on_stdin, NULL);
#endif
		} else {
			G.ui = isatty(1) ? UI_TTY : UI_LOG;
			bt_warn("cannot start the curses screen (not a terminal, or TERM unknown); plain output");
		}
	}
	if (G.ui == UI_LOG) {
		char hex[41];
		char *name = clean_dup(G.t.m.name);
		bt_hex(hex, G.t.m.info_hash, 20);
		log_line("started %s (%s) info hash %s", name, G.view.size, hex);
		free(name);
		log_line("saving to %s, listening on port %u", G.view.dest, (unsigned)so.port);
	}
	if (!G.view.done)
		view_activity("connecting to peers");
	G.last_state = BT_TORRENT_IDLE;
	refresh_display(1);
	bt_timer_add(G.loop, bt_dl_display_ms(G.v), on_display, NULL);

	while (!G.closed && !G.aborted)
		if (bt_loop_run(G.loop) < 0)
			break;

	/* The end. */
	if (G.s) {
		struct bt_torrent_stats st;
		bt_torrent_stats(G.s, &st);
		view_update(&st);	/* seeding sets G.finished */
	}
	if (!G.finished && !G.view.done)
		view_failed();
	curses_stop();
	if (G.ui == UI_CURSES) {
		size_t first = G.nerr > ERR_KEEP ? G.nerr - ERR_KEEP : 0;
		if (G.nerr) {
			printf("These errors occurred during execution:\n");
			if (first)
				printf("(%zu earlier errors not shown)\n", first);
			for (size_t k = first; k < G.nerr; k++)
				printf("%s\n", G.errors[k % ERR_KEEP]);
		}
	} else if (G.ui == UI_LOG) {
		log_line("%s", G.finished ? "stopped" : "stopped before the download was complete");
		headless_block(0, 0);
	} else {
		headless_block(1, 1);
	}
	G.ended = 1;
	fflush(stdout);
	if (G.fatal) {
		bt_warn("%s", G.fatal);
		return BT_EXIT_FAIL;
	}
	return G.finished ? BT_EXIT_OK : BT_EXIT_FAIL;
}

int
download_main(int argc, char **argv)
{
	char err[512];
	char **pos = NULL, *ini = NULL;
	int npos, rc;
	const char *input = NULL;
	int is_url = 0;

	memset(&G, 0, sizeof(G));
	G.curses_name = strstr(bt_prog, "curses") != NULL;
	G.ui = isatty(1) ? UI_TTY : UI_LOG;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("bt %s\n", BT_VERSION);
		return BT_EXIT_OK;
	}

	/* Defaults, then the configuration file's values. */
	bt_dl_opts_build(G.opts, &save_options_opt, 1);
	G.state_dir = bt_statedir_path(G.state_why, sizeof(G.state_why));
	if (G.state_dir) {
		ini = bt_statedir_config(G.state_dir,
			G.curses_name ? "downloadcurses" : "downloadheadless");
		bt_ini_read(ini, G.opts, NOPT, G.ini_vals, bt_dl_not_saved);
	}

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		print_usage(stdout);
		rc = BT_EXIT_OK;
		goto out;
	}
	/* Usage errors go to stderr only (BitTornado also printed its
	 * "Download Failed!" block on stdout and exited 0). */
	if (argc < 2) {
		print_usage(stderr);
		rc = BT_EXIT_USAGE;
		goto out;
	}

	pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	npos = bt_opt_parse(G.opts, NOPT, G.v, argc, argv, pos, err, sizeof(err));
	if (npos > 1)
		snprintf(err, sizeof(err), "Too many args - 1 max.");
	else if (npos == 1 && (G.v[DL_METAFILE].s[0] || G.v[DL_URL].s[0]))
		snprintf(err, sizeof(err), "must have metafile or url as arg or parameter, not both");
	else if (npos == 0 && !G.v[DL_METAFILE].s[0] == !G.v[DL_URL].s[0])
		snprintf(err, sizeof(err), "need metafile or url, must have one, cannot have both");
	else if (npos >= 0 && bt_dl_opts_check(G.v, err, sizeof(err)) == 0)
		err[0] = 0;
	if (npos < 0 || err[0]) {
		fprintf(stderr, "error: %s\n run with no args for parameter explanations\n", err);
		rc = BT_EXIT_USAGE;
		goto out;
	}

	if (npos == 1) {
		struct stat st;
		int found = stat(input = pos[0], &st) == 0;
		int e = errno;
		if (found && S_ISREG(st.st_mode))
			is_url = 0;
		else if (strncasecmp(input, "http://", 7) == 0 || strncasecmp(input, "https://", 8) == 0)
			is_url = 1;
		else {
			if (found)
				bt_warn("%s: %s", input, S_ISDIR(st.st_mode)
					? "is a directory, not a .torrent file" : "not a .torrent file");
			else if (e == ENOENT || e == ENOTDIR)
				bt_warn("%s: no such file", input);
			else
				bt_warn("%s: %s", input, strerror(e));
			failed_block();
			rc = BT_EXIT_FAIL;
			goto out;
		}
	} else if (G.v[DL_METAFILE].s[0]) {
		input = G.v[DL_METAFILE].s;
	} else {
		input = G.v[DL_URL].s;
		is_url = 1;
	}

	if (G.v[O_SAVE_OPTIONS].i) {
		if (!ini)
			bt_warn("cannot save the options: %s", G.state_why);
		else if (bt_statedir_make(G.state_dir, err, sizeof(err)) < 0 ||
		    bt_ini_write(ini, G.opts, NOPT, G.v, bt_dl_not_saved, err, sizeof(err)) < 0)
			bt_warn("cannot save the options: %s", err);
	}
	if (G.v[DL_CRYPTO_ALLOWED].i)
		bt_warn("warning - encryption (MSE/PE) is not implemented; connections are not encrypted");

	rc = run(input, is_url);
	if (!G.ended)
		failed_block();
out:
	free(pos);
	free(ini);
	cleanup();
	return rc;
}
