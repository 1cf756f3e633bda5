//applet: download - download a torrent, then seed it (btdownloadheadless, btdownloadcurses)
//usage: download <file.torrent | http://url> [--option value...]
//
// One torrent (torrent.h) on one loop, with one listening socket
// (client.h).  What launchmany shares lives in the front library: the
// options and their meaning for the engine (dl_opts.h), the configuration
// file (ini.h), the state directory (statedir.h), the save location
// (saveas.h), the status model (view.h) and its displays: BitTornado's
// headless block on a terminal (show_block.h), a log when standard output
// is not a terminal (show_log.h), the curses screen when called as
// btdownloadcurses (show_curses.h), the peer table (spew.h); the seeding
// limits (seedlimit.h), the --on_complete command (hook.h) and syslog
// (syslog_out.h).  This file is the flow: the command line, getting the
// .torrent, starting the engine, its callbacks, signals and timers, the
// end.
#include "announce.h"
#include "applets.h"
#include "benc.h"
#include "buf.h"
#include "cli.h"
#include "dl_magnet.h"
#include "dl_opts.h"
#include "err.h"
#include "fileio.h"
#include "hook.h"
#include "httpc.h"
#include "ini.h"
#include "magnet.h"
#include "metainfo.h"
#include "msg.h"
#include "net.h"
#include "opt.h"
#include "client.h"
#include "reactor.h"
#include "saveas.h"
#include "seedlimit.h"
#include "show_block.h"
#include "show_curses.h"
#include "show_log.h"
#include "spew.h"
#include "statedir.h"
#include "str.h"
#include "syslog_out.h"
#include "torrent.h"
#include "view.h"
#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* download's options: the client's (dl_opts.h), then save_options. */
enum { O_SAVE_OPTIONS = DL_NOPTS, NOPT };

static const struct bt_opt save_options_opt = {
	"save_options", BT_OPT_BOOL, "0", TX("whether to save the current options as the new default configuration (in ~/.BitTornado/config.downloadheadless.ini, or config.downloadcurses.ini for btdownloadcurses; in --state_dir when given)")
};

#define SEED_CHECK_MS	1000	/* how often the seeding limits are checked */

enum { UI_TTY, UI_LOG, UI_CURSES };

/* One run of the applet: download_main's, the ud of every callback. */
struct dl {
	union bt_optv v[NOPT];
	struct bt_opt opts[NOPT];	/* the table, with the configuration file's defaults */
	char *ini_vals[NOPT];
	unsigned ini_lines[NOPT];	/* where each came from in it */
	struct bt_ini_src ini_src;	/* the file, to blame its wrong values */
	int curses_name;		/* called as btdownloadcurses */
	int ui;				/* UI_* */
	struct bt_loop *loop;
	struct bt_tfile t;		/* t.path: the .torrent's path or URL */
	struct bt_torrent *s;
	struct bt_client *c;
	char *root;
	int8_t *prio;
	char *state_dir, *resume_path;
	char state_why[256];		/* why there is no state_dir */
	struct bt_view view;
	struct bt_show_tty tty;		/* the block drawn in place (UI_TTY) */
	struct bt_show_log log;
	struct bt_show_curses cur;
	struct bt_spew spew;
	struct bt_seedlimit seed;	/* --seed_ratio, --seed_time, --seed_idle */
	int syslog_on;			/* --syslog 1, and syslog is open */
	char *fatal;			/* the first fatal message */
	int stopping, closed, aborted;
	int interrupted;		/* stopped by a signal or q */
	time_t stop_time;		/* when the stop began */
	int ended;			/* the final output is out */
	struct bt_httpc *fetch;		/* --url, while it is fetched */
	struct bt_magnet mg;		/* a magnet link's, while its metadata comes */
	int magnet;
};

enum { IN_FILE, IN_URL, IN_MAGNET };

/* ---- output ---- */

/* A line of the log, when the output is the log. */
static void
dl_log(const struct dl *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
dl_log(const struct dl *d, const char *fmt, ...)
{
	va_list ap;

	if (d->ui != UI_LOG)
		return;
	va_start(ap, fmt);
	bt_show_log_vline(bt_text(fmt), ap);	/* a deflated text's number too */
	va_end(ap);
}

/* An event or an error to syslog, with --syslog 1. */
static void
dl_syslog(const struct dl *d, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
dl_syslog(const struct dl *d, int prio, const char *fmt, ...)
{
	va_list ap;

	if (!d->syslog_on)
		return;
	va_start(ap, fmt);
	bt_syslog_vsay(prio, fmt, ap);
	va_end(ap);
}

/* bt_warn for text that may hold a torrent's or a server's bytes; to
 * syslog as well, with --syslog 1. */
static void
dl_warn(struct dl *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
dl_warn(struct dl *d, const char *fmt, ...)
{
	char raw[1024], out[1024];
	va_list ap;

	va_start(ap, fmt);
	bt_vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	bt_str_printable(out, sizeof(out), raw, strlen(raw));
	if (isatty(2))
		d->tty.lines = 0;	/* the next block goes below this line */
	bt_warn("%s", out);
	dl_syslog(d, LOG_ERR, "%s", out);
}

/* The peer table, when --spew asks for one and there is a torrent. */
static const struct bt_spew *
spew_rows(struct dl *d)
{
	if (!d->v[DL_SPEW].i || !d->s)
		return NULL;
	bt_spew_fetch(&d->spew, d->s);
	return &d->spew;
}

static void
print_buf(struct bt_buf *b)
{
	if (!b->err)
		fwrite(b->p, 1, b->len, stdout);
	fflush(stdout);
	bt_buf_free(b);
}

/* The headless block (show_block.h) to stdout. */
static void
print_block(struct dl *d, int blank_lines, int errors)
{
	struct bt_buf b;

	bt_buf_init(&b, 0);
	bt_show_block(&b, &d->view, blank_lines, errors, spew_rows(d));
	print_buf(&b);
}

/* The headless block on a terminal: drawn over the last one, or with
 * --scroll_display 1 printed anew as BitTornado did. */
static void
draw_tty(struct dl *d)
{
	struct winsize ws;
	struct bt_buf b;

	if (d->v[DL_SCROLL_DISPLAY].i) {
		print_block(d, 1, 1);
		return;
	}
	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0) {
		ws.ws_col = 80;
		ws.ws_row = 0;
	}
	bt_buf_init(&b, 0);
	bt_show_block_redraw(&b, &d->tty, &d->view, spew_rows(d), ws.ws_col, ws.ws_row);
	print_buf(&b);
}

static void
draw_curses(struct dl *d)
{
	struct bt_torrent_stats st;
	const struct bt_spew *sp = spew_rows(d);

	if (sp)
		bt_torrent_stats(d->s, &st);
	bt_show_curses_draw(&d->cur, &d->view, sp, sp ? &st : NULL, bt_loop_now_ms(d->loop));
}

/* Show the current state in whichever way the output wants. */
static void
refresh_display(struct dl *d, int force)
{
	struct bt_torrent_stats st;

	if (d->s) {
		bt_torrent_stats(d->s, &st);
		bt_view_update(&d->view, &st);
	}
	switch (d->ui) {
	case UI_TTY:
		draw_tty(d);
		break;
	case UI_CURSES:
		draw_curses(d);
		break;
	case UI_LOG:
		if (d->s)
			bt_show_log_update(&d->log, &st, bt_loop_now_ms(d->loop),
				bt_dl_display_ms(d->v), force, d->stopping);
		break;
	}
}

/* ---- stopping, engine callbacks, signals, timers ---- */

static uint64_t
on_deadline(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct dl *d = ud;

	/* The stopped announce takes too long: leave anyway. */
	d->aborted = 1;
	bt_loop_stop(loop);
	return BT_TIMER_STOP;
}

static void
request_stop(struct dl *d)
{
	if (!d->s) {
		d->aborted = 1;
		bt_loop_stop(d->loop);
		return;
	}
	if (d->stopping)
		return;
	d->stopping = 1;
	d->stop_time = time(NULL);
	bt_view_activity(&d->view, "shutting down");
	dl_log(d, "shutting down (a second interrupt quits at once)");
	dl_syslog(d, LOG_INFO, "shutting down");
	refresh_display(d, 1);
	bt_torrent_stop(d->s);
	bt_timer_add(d->loop, (uint64_t)d->v[DL_HTTP_TIMEOUT].i * 1000 + 5000, on_deadline, d);
}

static uint64_t
on_stop_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	request_stop(ud);
	return BT_TIMER_STOP;
}

/* SIGINT, SIGTERM, SIGHUP: stop cleanly (stopped announce, resume
 * record); a second one, or one before the torrent runs: at once. */
static void
on_signal(struct bt_loop *loop, int signo, void *ud)
{
	struct dl *d = ud;

	if (signo == SIGCHLD) {
		bt_hook_reap();
		return;
	}
	d->interrupted = 1;
	if (d->stopping || !d->s) {
		d->aborted = 1;
		bt_loop_stop(loop);
		return;
	}
	request_stop(d);
}

static void
cb_message(void *ud, int kind, const char *text)
{
	struct dl *d = ud;
	char clean[BT_VIEW_MSG_MAX];

	bt_str_printable(clean, sizeof(clean), text, strlen(text));
	if (kind == 'D') {	/* --log_peers: the log only */
		dl_syslog(d, LOG_DEBUG, "%s", clean);
		dl_log(d, "%s", clean);
		return;
	}
	bt_view_error(&d->view, clean);
	dl_syslog(d, kind == 'F' || kind == 'E' ? LOG_ERR : kind == 'W' ? LOG_WARNING : LOG_INFO,
		"%s", clean);
	switch (kind) {
	case 'F':
		if (!d->fatal)
			d->fatal = xstrdup(clean);
		dl_log(d, "error: %s", clean);
		bt_view_failed(&d->view);
		/* Not from inside the engine's callback. */
		bt_timer_add(d->loop, 0, on_stop_timer, d);
		break;
	case 'E':
	case 'W':
		dl_log(d, "%s: %s", kind == 'E' ? "error" : "warning", clean);
		break;
	default:
		/* Information (the super-seed banner): BitTornado showed it
		 * with the errors. */
		dl_log(d, "%s", clean);
		break;
	}
}

/* --on_complete, not waited for (reaped on SIGCHLD). */
static void
run_hook(struct dl *d)
{
	const char *cmd = d->v[DL_ON_COMPLETE].s;
	struct bt_hook_torrent h = { d->t.path, d->t.m.name, d->root, d->t.m.info_hash };

	if (cmd[0] && bt_hook_run(cmd, &h, d->ui == UI_CURSES) < 0) {
		char text[256];
		snprintf(text, sizeof(text), "cannot run --on_complete: %s", strerror(errno));
		bt_view_error(&d->view, text);
		dl_log(d, "error: %s", text);
		dl_syslog(d, LOG_ERR, "%s", text);
	}
}

static void
cb_finished(void *ud)
{
	struct dl *d = ud;
	struct bt_torrent_stats st;

	bt_torrent_stats(d->s, &st);
	bt_seedlimit_start(&d->seed, st.uploaded, bt_loop_now_ms(d->loop));
	bt_view_finished(&d->view);
	if (!d->log.fin_logged)
		dl_log(d, "Download Succeeded! Seeding until interrupted.");
	d->log.fin_logged = 1;
	dl_syslog(d, LOG_INFO, "download complete: %s", d->view.dest);
	run_hook(d);
	refresh_display(d, 1);
}

static void
cb_closed(void *ud)
{
	struct dl *d = ud;

	d->closed = 1;
	bt_loop_stop(d->loop);
}

/* Keys on the curses screen: q quits, Ctrl-L and a resize redraw. */
static void
curses_keys(struct dl *d)
{
	int k;

	while ((k = bt_show_curses_key(&d->cur)) != BT_SHOW_KEY_NONE) {
		if (k == BT_SHOW_KEY_QUIT) {
			d->interrupted = 1;
			request_stop(d);
		}
		draw_curses(d);
	}
}

static void
on_stdin(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	if (ev & (BT_EV_ERR | BT_EV_HUP)) {
		bt_io_del(loop, fd);
		return;
	}
	curses_keys(ud);
}

/* The seeding limits: once one is reached, say so and stop (exit 0). */
static uint64_t
on_seed_check(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct dl *d = ud;
	struct bt_torrent_stats st;
	const char *why;
	char text[128];

	if (d->stopping || !d->s)
		return BT_TIMER_STOP;
	bt_torrent_stats(d->s, &st);
	if (st.state != BT_TORRENT_SEEDING ||
	    !(why = bt_seedlimit_check(&d->seed, st.uploaded, st.total, bt_loop_now_ms(loop))))
		return SEED_CHECK_MS;
	snprintf(text, sizeof(text), "finished seeding: %s", why);
	bt_view_error(&d->view, text);
	dl_log(d, "%s", text);
	dl_syslog(d, LOG_INFO, "%s", text);
	request_stop(d);
	return BT_TIMER_STOP;
}

static uint64_t
on_display(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct dl *d = ud;

	curses_keys(d);
	refresh_display(d, 0);
	return bt_dl_display_ms(d->v);
}

/* ---- getting the torrent ---- */

/* Check the bytes in d->t as a torrent; BitTornado's messages. */
static int
parse_torrent(struct dl *d)
{
	struct bt_meta_err me;

	if (bt_meta_parse(&d->t.m, d->t.buf, d->t.len, &me) == 0)
		return 0;
	if (d->t.m.info >= 0 && bt_benc_type(&d->t.m.doc, d->t.m.info) == BT_BENC_DICT)
		dl_warn(d, "got bad file info - %s", me.what);
	else
		dl_warn(d, "%s is not a valid metafile - %s (at byte %zu)", d->t.path, me.what, me.off);
	return -1;
}

static int
load_file(struct dl *d, const char *path)
{
	int rc = bt_file_read(path, BT_CLI_MAX_TORRENT, &d->t.buf, &d->t.len);

	if (rc == BT_E_IO) {
		dl_warn(d, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rc == BT_E_LIMIT) {
		dl_warn(d, "%s is not a valid metafile - larger than %u MiB", path,
			BT_CLI_MAX_TORRENT >> 20);
		return -1;
	}
	if (rc < 0) {
		dl_warn(d, "%s: %s", path, bt_strerror(rc));
		return -1;
	}
	return parse_torrent(d);
}

static void
on_fetched(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	struct dl *d = ud;

	d->fetch = NULL;
	bt_loop_stop(loop);
	if (r->status == 200) {
		d->t.buf = xmalloc(r->body_len ? r->body_len : 1);
		memcpy(d->t.buf, r->body, r->body_len);
		d->t.len = r->body_len;
		return;
	}
	if (r->status > 0)
		dl_warn(d, "problem getting response info - HTTP Error %d", r->status);
	else if (r->status == BT_E_IO && r->sys_errno)
		dl_warn(d, "problem getting response info - %s", strerror(r->sys_errno));
	else if (r->status == BT_E_LIMIT)
		dl_warn(d, "problem getting response info - too large, or too many redirects");
	else
		dl_warn(d, "problem getting response info - %s", bt_strerror(r->status));
}

static int
load_url(struct dl *d, const char *url)
{
	struct bt_httpc_opts ho;
	int rc;

	bt_httpc_opts_init(&ho);
	ho.user_agent = "bt/" BT_VERSION;
	ho.timeout_ms = bt_dl_secs_ms((double)d->v[DL_HTTP_TIMEOUT].i);
	ho.max_body = BT_CLI_MAX_TORRENT;
	ho.max_redirects = 10;
	rc = bt_httpc_get(d->loop, url, &ho, on_fetched, d, &d->fetch);
	if (rc < 0) {
		dl_warn(d, "problem getting response info - %s: %s", url,
			rc == BT_E_UNSUPPORTED ? "not an http:// or https:// URL" : bt_strerror(rc));
		return -1;
	}
	while (d->fetch && !d->aborted)
		if (bt_loop_run(d->loop) < 0)
			break;
	bt_httpc_cancel(d->fetch);
	d->fetch = NULL;
	if (!d->t.buf)
		return -1;
	return parse_torrent(d);
}

/* ---- the run ---- */

/* One tracker URL: 1 when it can be used, else 0 and a line naming it
 * and why. */
static int
tracker_ok(struct dl *d, const uint8_t *p, size_t n)
{
	const char *why = bt_ann_url_problem((const char *)p, n);
	char url[256];

	if (!why)
		return 1;
	bt_str_printable(url, sizeof(url), p, n < 200 ? n : 200);
	dl_warn(d, "tracker URL '%s%s' cannot be used: %s", url, n < 200 ? "" : "...", why);
	return 0;
}

/* The torrent's tracker URLs (announce-list and announce): each one that
 * cannot be used is named at once; returns how many can. */
static size_t
usable_trackers(struct dl *d)
{
	const struct bt_meta *m = &d->t.m;
	const struct bt_benc *b = &m->doc;
	const uint8_t *p;
	size_t n, ok = 0;

	if (bt_benc_type(b, m->announce_list) == BT_BENC_LIST)
		for (int t = bt_benc_first(b, m->announce_list); t >= 0;
		     t = bt_benc_next(b, m->announce_list, t))
			for (int u = bt_benc_type(b, t) == BT_BENC_LIST ? bt_benc_first(b, t) : -1;
			     u >= 0; u = bt_benc_next(b, t, u))
				if (bt_benc_str(b, u, &p, &n) == 0)
					ok += (size_t)tracker_ok(d, p, n);
	if (bt_benc_str(b, m->announce, &p, &n) == 0)
		ok += (size_t)tracker_ok(d, p, n);
	return ok;
}

/* A list (or one string) of URLs that is not empty. */
static int
has_urls(const struct bt_benc *b, int tok)
{
	return bt_benc_type(b, tok) == BT_BENC_STR ||
		(bt_benc_type(b, tok) == BT_BENC_LIST && bt_benc_count(b, tok) > 0);
}

/* Is there a way to find peers: a usable tracker or a web seed (bt has
 * no DHT; PEX needs a first peer)?  0, or -1 with the reason printed. */
static int
peer_source(struct dl *d)
{
	const struct bt_meta *m = &d->t.m;

	if (usable_trackers(d) > 0 || has_urls(&m->doc, m->httpseeds) ||
	    has_urls(&m->doc, m->url_list))
		return 0;
	dl_warn(d, "%s: no usable tracker and no web seed: there is no way to find peers", d->t.path);
	return -1;
}

/* Why the torrent could not be started, told once. */
static void
start_error(struct dl *d, int rc)
{
	char why[640];

	bt_dl_start_error(&d->t.m, !d->v[DL_SAVEAS].s[0], rc, why, sizeof(why));
	dl_warn(d, "%s: %s", d->t.path, why);
}

/* Where the data goes: --saveas, or <--download_dir>/<name> (only one
 * of them is set, parse_args sees to it), else the name here.  A new
 * path, or NULL with BitTornado's message in why. */
static char *
data_root(struct dl *d, char *why, size_t cap)
{
	const struct bt_meta *m = &d->t.m;
	char *saveas, *root;

	if (!d->v[DL_DOWNLOAD_DIR].s[0])
		return bt_saveas_root(m, d->v[DL_SAVEAS].s, why, cap);
	/* Style 2: <dir>/<the torrent's name>. */
	saveas = bt_saveas_style(d->t.path, m->name, m->multi, 2, d->v[DL_DOWNLOAD_DIR].s, why, cap);
	root = saveas ? bt_saveas_root(m, saveas, why, cap) : NULL;
	free(saveas);
	return root;
}

/* Where the data goes, the view, the priorities, the resume record (old
 * ones expired).  0, or -1 when the data has nowhere to go (printed). */
static int
prepare(struct dl *d)
{
	char why[512];

	d->root = data_root(d, why, sizeof(why));
	if (!d->root) {
		dl_warn(d, "%s", why);
		return -1;
	}
	bt_view_torrent(&d->view, &d->t.m, d->root, 0);
	if (!d->v[DL_SELECTOR_ENABLED].i && d->magnet)
		d->prio = bt_dl_magnet_prio(&d->mg, d->t.m.nfiles);	/* BEP 53 */
	if (!d->v[DL_SELECTOR_ENABLED].i) {
		if (d->v[DL_PRIORITY].s[0])
			dl_warn(d, "--priority needs --selector_enabled 1; ignored");
		return 0;
	}
	if (d->v[DL_PRIORITY].s[0]) {
		d->prio = bt_dl_priorities(d->v[DL_PRIORITY].s, d->t.m.nfiles);
		if (!d->prio) {
			bt_view_error(&d->view, "bad priority list given, ignored");
			dl_warn(d, "bad priority list given, ignored");
		}
	}
	if (d->resume_path)
		;	/* a magnet link's, found before the metadata */
	else if (d->state_dir)
		d->resume_path = bt_statedir_resume(d->state_dir, d->t.m.info_hash, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", d->state_why);
	if (!d->resume_path)
		dl_warn(d, "no fast resume (the download starts with a full check next time): %s", why);
	else
		bt_statedir_expire(d->state_dir, d->v[DL_EXPIRE_CACHE_DATA].i, d->t.m.info_hash, 1);
	return 0;
}

/* The client: the listening socket, encryption.  0, or -1 (printed). */
static int
start_client(struct dl *d)
{
	struct bt_client_opts co;
	char why[512];
	int rc;

	bt_dl_client_opts(d->v, &co);
	if ((rc = bt_client_new(&d->c, d->loop, &co)) == 0)
		return 0;
	bt_dl_listen_error(d->v, rc, why, sizeof(why));
	dl_warn(d, "%s", why);
	return -1;
}

/* The engine: the client, then the torrent, started.  0, or -1
 * (printed). */
static int
start_engine(struct dl *d)
{
	static const struct bt_torrent_cb cb = { cb_message, cb_finished, cb_closed, NULL };
	struct bt_torrent_opts so;
	int rc;

	if (start_client(d) < 0)
		return -1;

	bt_dl_torrent_opts(d->v, &so);
	so.root = d->root;
	so.resume_path = d->resume_path;
	bt_dl_peer_id(so.peer_id);
	rc = bt_torrent_new(&d->s, d->c, d->t.m.info_hash, &so, &cb, d);
	if (rc == 0 && (rc = bt_torrent_set_meta(d->s, &d->t.m, d->prio)) < 0)
		bt_torrent_free(d->s);
	if (rc < 0) {
		start_error(d, rc);
		d->s = NULL;
		return -1;
	}
	rc = bt_torrent_start(d->s);
	if (rc < 0) {
		if (rc == BT_E_IO)
			dl_warn(d, "trouble accessing files - %s: %s", d->root, strerror(errno));
		else
			dl_warn(d, "trouble accessing files - %s: %s", d->root, bt_strerror(rc));
		return -1;
	}
	return 0;
}

/* The user interface: the curses screen when asked for and possible, the
 * log's first lines, the first display. */
static void
start_ui(struct dl *d)
{
	if (d->curses_name) {
		if (bt_show_curses_start(&d->cur) == 0) {
			d->ui = UI_CURSES;
			bt_view_torrent(&d->view, &d->t.m, d->root, 1);	/* curses' formats */
			bt_io_add(d->loop, 0, BT_EV_READ, on_stdin, d);
		} else {
			d->ui = isatty(1) ? UI_TTY : UI_LOG;
			dl_warn(d, "cannot start the curses screen (not a terminal, or TERM unknown); plain output");
		}
	}
	if (d->ui == UI_LOG) {
		char hex[41];
		char *name = bt_view_printable(d->t.m.name);
		bt_hex(hex, d->t.m.info_hash, 20);
		dl_log(d, "started %s (%s) info hash %s", name, d->view.size, hex);
		free(name);
		dl_log(d, "saving to %s, listening on port %u", d->view.dest,
			(unsigned)bt_client_port(d->c));
	}
	if (d->syslog_on) {
		char hex[41];
		bt_hex(hex, d->t.m.info_hash, 20);
		dl_syslog(d, LOG_INFO, "started %s (%s) info hash %s, saving to %s", d->t.m.name,
			d->view.size, hex, d->view.dest);
	}
	bt_view_activity(&d->view, "connecting to peers");
	d->log.last_state = BT_TORRENT_IDLE;
	refresh_display(d, 1);
}

/* Was the resume record written since the stop began? */
static int
resume_saved(const struct dl *d)
{
	struct stat st;

	return d->resume_path && d->stopping && stat(d->resume_path, &st) == 0 &&
		st.st_mtime + 1 >= d->stop_time;
}

/* The last refresh and the final output; returns the exit code. */
static int
finish(struct dl *d)
{
	struct bt_buf b;

	if (d->s) {
		struct bt_torrent_stats st;
		bt_torrent_stats(d->s, &st);
		bt_view_update(&d->view, &st);	/* seeding sets finished */
	}
	if (!d->view.finished && d->interrupted && !d->fatal && d->s &&
	    bt_torrent_has_meta(d->s))
		bt_view_interrupted(&d->view, resume_saved(d));
	if (!d->view.finished)
		bt_view_failed(&d->view);
	bt_show_curses_stop(&d->cur);
	if (d->ui == UI_CURSES) {
		bt_buf_init(&b, 0);
		bt_show_curses_errors(&b, &d->view);
		print_buf(&b);
	} else if (d->ui == UI_LOG) {
		dl_log(d, "%s", d->view.finished ? "stopped" : "stopped before the download was complete");
		print_block(d, 0, 0);
	} else {
		draw_tty(d);
	}
	dl_syslog(d, d->view.finished ? LOG_INFO : LOG_WARNING, "%s", d->view.finished ?
		"stopped" : "stopped before the download was complete");
	d->ended = 1;
	fflush(stdout);
	if (d->fatal) {
		bt_warn("%s", d->fatal);	/* in syslog already */
		return BT_EXIT_FAIL;
	}
	return d->view.finished ? BT_EXIT_OK : BT_EXIT_FAIL;
}

/* ---- magnet links ---- */

static void start_ui(struct dl *d);

/* The metadata came: save it beside the data, then go on as for a
 * .torrent file. */
static void
cb_metadata(void *ud, const uint8_t *buf, size_t n)
{
	struct dl *d = ud;
	char *path;
	int rc;

	d->t.buf = xmalloc(n);
	memcpy(d->t.buf, buf, n);
	d->t.len = n;
	if (parse_torrent(d) < 0 || prepare(d) < 0) {
		request_stop(d);
		return;
	}
	if (!(path = bt_dl_magnet_save(d->root, buf, n)))
		bt_view_error(&d->view, "could not save the metadata as a .torrent file");
	else if (d->ui == UI_LOG)
		dl_log(d, "got the metadata from peers, saved as %s", path);
	free(path);
	if ((rc = bt_torrent_set_root(d->s, d->root)) < 0 ||
		(rc = bt_torrent_set_meta(d->s, &d->t.m, d->prio)) < 0) {
		start_error(d, rc);
		request_stop(d);
		return;
	}
	start_ui(d);
	bt_timer_add(d->loop, bt_dl_display_ms(d->v), on_display, d);
}

static void
peer_skipped(void *ud, const char *host)
{
	dl_warn(ud, "peer %s skipped: not a numeric address", host);
}

/* The torrent from the link's info hash, its trackers, web seeds and
 * peers; the data's place waits for the metadata.  0, or -1 (printed). */
static int
start_magnet(struct dl *d, const char *input)
{
	static const struct bt_torrent_cb cb = {
		cb_message, cb_finished, cb_closed, cb_metadata
	};
	struct bt_torrent_opts so;
	const char *why = NULL;
	char hex[41], whyb[256];
	size_t nok = 0;
	int rc;

	if ((rc = bt_magnet_parse(&d->mg, input, strlen(input), &why)) < 0) {
		dl_warn(d, "bad magnet link - %s", why ? why : bt_strerror(rc));
		return -1;
	}
	d->magnet = 1;
	bt_hex(hex, d->mg.info_hash, 20);
	for (size_t k = 0; k < d->mg.ntr; k++)
		nok += (size_t)tracker_ok(d, (const uint8_t *)d->mg.tr[k], strlen(d->mg.tr[k]));
	if (!nok && !d->mg.nws && !d->mg.npeers) {
		dl_warn(d, "magnet link with no usable tracker, web seed or peer: "
			"there is no way to find peers");
		return -1;
	}
	if (start_client(d) < 0)
		return -1;
	if (d->state_dir)
		d->resume_path = bt_statedir_resume(d->state_dir, d->mg.info_hash, whyb,
			sizeof(whyb));
	bt_dl_torrent_opts(d->v, &so);
	so.resume_path = d->resume_path;
	bt_dl_peer_id(so.peer_id);
	if ((rc = bt_dl_magnet_start(&d->s, d->c, &d->mg, &so, &cb, d)) < 0) {
		dl_warn(d, "%s: %s", input, bt_strerror(rc));
		return -1;
	}
	bt_dl_magnet_peers(d->s, &d->mg, peer_skipped, d);
	if (d->ui == UI_LOG)
		dl_log(d, "fetching the metadata of %s from peers, listening on port %u", hex,
			(unsigned)bt_client_port(d->c));
	return 0;
}

/* Everything after the command line: returns the exit code. */
static int
run(struct dl *d, const char *input, int kind)
{
	d->t.path = input;
	signal(SIGPIPE, SIG_IGN);
	d->loop = bt_loop_new(bt_cli_raise_nofile());
	if (!d->loop) {
		bt_warn("out of memory");
		return BT_EXIT_FAIL;
	}
	bt_loop_signal(d->loop, SIGINT, on_signal, d);
	bt_loop_signal(d->loop, SIGTERM, on_signal, d);
	if (!bt_cli_sighup_ignored())	/* under nohup it stays ignored */
		bt_loop_signal(d->loop, SIGHUP, on_signal, d);
	if (d->v[DL_ON_COMPLETE].s[0])
		bt_loop_signal(d->loop, SIGCHLD, on_signal, d);
	if (d->v[DL_SYSLOG].i) {
		bt_syslog_open(d->curses_name ? "btdownloadcurses" : "btdownloadheadless");
		d->syslog_on = 1;
	}
	bt_seedlimit_init(&d->seed, d->v);

	if (kind == IN_MAGNET) {
		if (start_magnet(d, input) < 0)
			return BT_EXIT_FAIL;
	} else {
		if ((kind == IN_URL ? load_url(d, input) : load_file(d, input)) < 0)
			return BT_EXIT_FAIL;
		if (peer_source(d) < 0 || prepare(d) < 0 || start_engine(d) < 0)
			return BT_EXIT_FAIL;
		start_ui(d);
		bt_timer_add(d->loop, bt_dl_display_ms(d->v), on_display, d);
	}
	if (bt_seedlimit_any(&d->seed))
		bt_timer_add(d->loop, SEED_CHECK_MS, on_seed_check, d);
	while (!d->closed && !d->aborted)
		if (bt_loop_run(d->loop) < 0)
			break;
	return finish(d);
}

/* ---- the command line ---- */

static void
print_usage(const struct dl *d, FILE *f)
{
	const struct bt_help h = {
		.args = "<file.torrent | URL | magnet> [options...]",
		.about = TX("Download a torrent, then seed it until interrupted. Options may come\n"
			"before or after the torrent.\n"
			"\n"
			"Arguments are:"),
		.opts = d->opts, .nopts = NOPT, .cols = d->curses_name ? 100 : 80,
	};
	bt_cli_help(f, &h);
}

/* BitTornado's headless tool ends every failed run with its status block. */
static void
failed_block(struct dl *d)
{
	if (d->curses_name)
		return;
	bt_view_failed(&d->view);
	print_block(d, d->ui == UI_TTY, 0);
	d->ended = 1;
}

/* The positional argument: a .torrent file, else an http(s) URL or a
 * magnet link (IN_*).  0, or -1 when it is none of them (printed). */
static int
classify_input(const char *input, int *kind)
{
	struct stat st;
	int found = stat(input, &st) == 0;
	int e = errno;

	if (found && S_ISREG(st.st_mode)) {
		*kind = IN_FILE;
		return 0;
	}
	if (strncasecmp(input, "http://", 7) == 0 || strncasecmp(input, "https://", 8) == 0) {
		*kind = IN_URL;
		return 0;
	}
	if (bt_magnet_is(input, strlen(input))) {
		*kind = IN_MAGNET;
		return 0;
	}
	if (found)
		bt_warn("%s: %s", input, S_ISDIR(st.st_mode)
			? "is a directory, not a .torrent file" : "not a .torrent file");
	else if (e == ENOENT || e == ENOTDIR)
		bt_warn("%s: no such file", input);
	else
		bt_warn("%s: %s", input, strerror(e));
	return -1;
}

/* --download_dir and --saveas name the same thing: one given on the
 * command line wins over the other from the configuration file (a string
 * not given is its default's own pointer, opt.h); both given is an error.
 * 0, or -1 with the message in err. */
static int
one_save_place(struct dl *d, char *err, size_t cap)
{
	int dir_given = d->v[DL_DOWNLOAD_DIR].s != d->opts[DL_DOWNLOAD_DIR].def;
	int saveas_given = d->v[DL_SAVEAS].s != d->opts[DL_SAVEAS].def;

	if (!d->v[DL_DOWNLOAD_DIR].s[0] || !d->v[DL_SAVEAS].s[0])
		return 0;
	if (dir_given != saveas_given) {
		d->v[dir_given ? DL_SAVEAS : DL_DOWNLOAD_DIR].s = "";
		return 0;
	}
	snprintf(err, cap, "--download_dir and --saveas cannot be used together");
	return -1;
}

/* Parse the options (pos: room for argc positionals) and check them and
 * the positionals.  Returns the number of positionals, or -1 with the
 * usage error printed. */
static int
parse_args(struct dl *d, int argc, char **argv, char **pos)
{
	char err[512];
	int npos, bad = -1;

	npos = bt_opt_parse(d->opts, NOPT, d->v, argc, argv, pos, err, sizeof(err));

	if (npos == BT_OPT_HELP)
		snprintf(err, sizeof(err), "--help: give it alone");
	else if (npos > 1)
		snprintf(err, sizeof(err), "%s: unexpected argument (one torrent at a time)", pos[1]);
	else if (npos == 1 && (d->v[DL_METAFILE].s[0] || d->v[DL_URL].s[0]))
		snprintf(err, sizeof(err), "%s: a torrent was also given by --metafile or --url", pos[0]);
	else if (npos == 0 && !d->v[DL_METAFILE].s[0] == !d->v[DL_URL].s[0])
		snprintf(err, sizeof(err), "no torrent given: name a .torrent file, an http(s) URL or a magnet link");
	else if (npos >= 0 && (bad = bt_dl_opts_bad(d->v, err, sizeof(err))) < 0 &&
	    one_save_place(d, err, sizeof(err)) == 0)
		err[0] = 0;
	bt_dl_ini_blame(d->opts, d->v, &d->ini_src, bad, err, sizeof(err));
	if (npos < 0 || err[0]) {
		bt_usage_error("%s", err);
		return -1;
	}
	return npos;
}

/* --save_options 1: the options into the configuration file ini (NULL
 * when there is no state directory). */
static void
save_options(struct dl *d, const char *ini)
{
	char err[512];

	if (!ini)
		bt_warn("cannot save the options: %s", d->state_why);
	else if (bt_statedir_make(d->state_dir, err, sizeof(err)) < 0 ||
	    bt_ini_write(ini, d->opts, NOPT, d->v, bt_dl_not_saved, err, sizeof(err)) < 0)
		bt_warn("cannot save the options: %s", err);
}

static void
cleanup(struct dl *d)
{
	if (d->s)
		bt_torrent_free(d->s);
	if (d->c)
		bt_client_free(d->c);
	if (d->loop)
		bt_loop_free(d->loop);
	bt_tfile_free(&d->t);
	bt_magnet_free(&d->mg);
	free(d->root);
	free(d->prio);
	free(d->state_dir);
	free(d->resume_path);
	free(d->fatal);
	bt_view_free(&d->view);
	bt_spew_free(&d->spew);
	if (d->syslog_on)
		bt_syslog_close();
	for (size_t k = 0; k < NOPT; k++)
		free(d->ini_vals[k]);
	free(d);
}

int
download_main(int argc, char **argv)
{
	struct dl *d;
	char **pos = NULL, *ini = NULL;
	const char *input;
	int npos, rc, kind = IN_FILE;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("bt %s\n", BT_VERSION);
		return BT_EXIT_OK;
	}
	d = xcalloc(1, sizeof(*d));
	d->curses_name = strstr(bt_prog, "curses") != NULL;
	d->ui = isatty(1) ? UI_TTY : UI_LOG;
	bt_view_init(&d->view, d->curses_name);	/* btdownloadcurses stamps its errors */
	bt_show_log_init(&d->log);

	/* Defaults, then the configuration file's values. */
	bt_dl_opts_build(d->opts, &save_options_opt, 1);
	d->state_dir = bt_statedir_find(d->opts, NOPT, argc, argv, d->state_why,
		sizeof(d->state_why));
	if (d->state_dir) {
		ini = bt_statedir_config(d->state_dir,
			d->curses_name ? "downloadcurses" : "downloadheadless");
		struct bt_ini_src src = { ini, d->ini_lines, bt_ini_warn, NULL };
		d->ini_src = src;
		bt_ini_read(&d->ini_src, d->opts, NOPT, d->ini_vals, bt_dl_not_saved);
	}

	if (bt_opt_wants_help(argc, argv)) {
		print_usage(d, stdout);
		rc = BT_EXIT_OK;
		goto out;
	}
	/* Usage errors go to stderr only (BitTornado also printed its
	 * "Download Failed!" block on stdout and exited 0). */
	if (argc < 2) {
		print_usage(d, stderr);
		rc = BT_EXIT_USAGE;
		goto out;
	}
	pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	npos = parse_args(d, argc, argv, pos);
	if (npos < 0) {
		rc = BT_EXIT_USAGE;
		goto out;
	}
	if (npos == 1) {
		input = pos[0];
		if (classify_input(input, &kind) < 0) {
			failed_block(d);
			rc = BT_EXIT_FAIL;
			goto out;
		}
	} else if (d->v[DL_METAFILE].s[0]) {
		input = d->v[DL_METAFILE].s;
	} else {
		input = d->v[DL_URL].s;
		kind = bt_magnet_is(input, strlen(input)) ? IN_MAGNET : IN_URL;
	}

	if (d->v[O_SAVE_OPTIONS].i)
		save_options(d, ini);
	if (d->v[DL_CRYPTO_ALLOWED].i)
		bt_warn("warning - encryption (MSE/PE) is not implemented; connections are not encrypted");

	rc = run(d, input, kind);
	if (!d->ended)
		failed_block(d);
out:
	free(pos);
	free(ini);
	cleanup(d);
	return rc;
}
