//applet: launchmany - download and seed every .torrent in a directory (btlaunchmany, btlaunchmanycurses)
//usage: launchmany <directory> [--option value...]
//
// One client (client.h) for all torrents: one listening port, one UDP
// socket, one upload limit over all of them, hash checks one torrent at a
// time.  The directory is watched (torrentdir.h: BitTornado's
// semi-recursive scan every --parse_dir_interval, and at once through
// inotify): a new or changed .torrent starts, a removed one stops.  A
// .magnet file (a magnet link on its first line) starts that torrent
// from the link; its metadata, once fetched, is saved beside the data as
// `download MAGNET` does.
// BitTornado's headless lines and "###" messages, or its curses screen
// when called as btlaunchmanycurses.
#include "applets.h"
#include "cli.h"
#include "client.h"
#include "dl_magnet.h"
#include "dl_opts.h"
#include "err.h"
#include "hook.h"
#include "ini.h"
#include "metainfo.h"
#include "msg.h"
#include "opt.h"
#include "reactor.h"
#include "saveas.h"
#include "seedlimit.h"
#include "show_curses.h"
#include "show_many.h"
#include "statedir.h"
#include "str.h"
#include "syslog_out.h"
#include "torrent.h"
#include "torrentdir.h"
#include "view.h"
#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* launchmany's options after the client's (dl_opts.h: BitTornado's, then
 * download_dir, state_dir, the seeding limits, on_complete and syslog). */
enum {
	LM_PARSE_DIR_INTERVAL = DL_NOPTS, LM_SAVEAS_STYLE, LM_DISPLAY_PATH, LM_SAVE_OPTIONS,
	LM_TORRENT_MAX_UPLOAD_RATE,
	NOPT
};

static const struct bt_opt lm_extra[NOPT - DL_NOPTS] = {
	{ "parse_dir_interval", BT_OPT_INT | BT_OPT_COMMON, "60", TX("how often to rescan the torrent directory, in seconds (changes are also seen at once where the kernel has inotify)") },
	{ "saveas_style", BT_OPT_INT | BT_OPT_COMMON, "1", TX("How to name torrent downloads (1 = rename to torrent name, 2 = save under name in torrent, 3 = save in directory under torrent name)") },
	{ "display_path", BT_OPT_BOOL, "1", TX("whether to display the full path or the torrent contents for each torrent") },
	{ "save_options", BT_OPT_BOOL, "0", TX("whether to save the current options as the new default configuration (only for btlaunchmany)") },
	{ "torrent_max_upload_rate", BT_OPT_INT, "0", TX("maximum kB/s (1 kB = 1000 bytes) each torrent uploads at, within max_upload_rate for all (0 = no limit)") },
};

#define MSG_KEEP_MS	300000	/* a torrent's last error is shown this long */
#define QUIT_MS		10000	/* wait this long for stopped announces */
#define RETRY_MS	1000	/* rescan this soon when files were left */

struct lm;

/* One .torrent of the directory. */
struct item {
	struct lm *lm;
	char *path;			/* the .torrent file */
	char *name;			/* printable torrent name */
	uint8_t *buf;			/* its bytes, under m */
	struct bt_meta m;		/* (zero until a magnet's metadata comes) */
	uint8_t hash[20];		/* the info hash */
	int magnet;			/* from a .magnet file: */
	struct bt_magnet mg;		/* its link */
	int8_t *prio;			/* its so= selection, or NULL */
	struct bt_torrent *t;
	char *root;			/* where its data is */
	char msg[256];			/* last message */
	uint64_t msg_ms;		/* when (0: none) */
	int died;			/* failed: the message stays */
	int done;			/* stopped after seeding enough */
	int dropping;			/* removed from the directory */
	struct bt_seedlimit seed;	/* when to stop seeding */
	struct item *next;
};

struct lm {
	struct bt_opt opts[NOPT];
	union bt_optv v[NOPT];
	char *ini_vals[NOPT];
	unsigned ini_lines[NOPT];	/* where each came from in it */
	struct bt_ini_src ini_src;	/* the file, to blame its wrong values */
	int curses_name;
	const char *dir;
	char *state_dir;
	char state_why[256];
	struct bt_loop *loop;
	struct bt_client *c;
	struct bt_tdir *tdir;
	uint64_t rescan_timer, soon_timer;
	struct item *items;
	int stopping, quit;
	struct bt_show_curses cs;
	struct bt_show_many many;
	int curses_on;
};

/* ---- messages ---- */

static void
say(struct lm *lm, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A "###" message: stdout (or the curses pane), and syslog if asked. */
static void
say(struct lm *lm, int prio, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	bt_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (lm->v[DL_SYSLOG].i)
		bt_syslog_say(prio, "%s", text);
	if (lm->curses_on)
		bt_show_many_message(&lm->many, text);
	else {
		printf("###  %s\n", text);
		fflush(stdout);
	}
}

static void
item_message(struct item *it, const char *text)
{
	bt_str_printable(it->msg, sizeof(it->msg), text, strlen(text));
	it->msg_ms = bt_loop_now_ms(it->lm->loop);
}

/* ---- one torrent ---- */

static void
item_free(struct item *it)
{
	if (it->t)
		bt_torrent_free(it->t);
	bt_meta_free(&it->m);
	bt_magnet_free(&it->mg);
	free(it->prio);
	free(it->buf);
	free(it->path);
	free(it->name);
	free(it->root);
	free(it);
}

static void
item_unlink(struct item *it)
{
	for (struct item **p = &it->lm->items; *p; p = &(*p)->next)
		if (*p == it) {
			*p = it->next;
			return;
		}
}

static void
cb_message(void *ud, int kind, const char *text)
{
	struct item *it = ud;

	if (kind == 'I')
		return;
	if (kind == 'D') {	/* --log_peers */
		say(it->lm, LOG_DEBUG, "\"%s\": %s", it->path, text);
		return;
	}
	item_message(it, text);
	if (kind == 'F') {
		it->died = 1;
		say(it->lm, LOG_ERR, "DIED: \"%s\"", it->path);
		say(it->lm, LOG_ERR, "FAILURE: %s", it->msg);
	}
}

/* --on_complete: run the hook, not waiting for it (children are reaped
 * by the SIGCHLD watch). */
static void
run_hook(struct item *it)
{
	const char *cmd = it->lm->v[DL_ON_COMPLETE].s;
	struct bt_hook_torrent h = { it->path, it->m.name, it->root, it->m.info_hash };

	if (cmd[0] && bt_hook_run(cmd, &h, it->lm->curses_on) < 0)
		say(it->lm, LOG_ERR, "cannot run --on_complete for \"%s\": %s", it->path,
			strerror(errno));
}

static void
cb_finished(void *ud)
{
	struct item *it = ud;
	struct bt_torrent_stats st;

	bt_torrent_stats(it->t, &st);
	bt_seedlimit_start(&it->seed, st.uploaded, bt_loop_now_ms(it->lm->loop));
	say(it->lm, LOG_INFO, "completed \"%s\"", it->path);
	run_hook(it);
}

static void
cb_closed(void *ud)
{
	struct item *it = ud;

	if (it->dropping) {
		item_unlink(it);
		item_free(it);
	}
}

static const struct bt_torrent_cb item_cb = { cb_message, cb_finished, cb_closed, NULL };

/* Where the data of it goes: saveas_style under --download_dir or
 * --saveas, else next to the .torrent. */
static char *
item_root(struct lm *lm, struct item *it, char *err, size_t cap)
{
	const char *base = lm->v[DL_DOWNLOAD_DIR].s[0] ? lm->v[DL_DOWNLOAD_DIR].s :
		lm->v[DL_SAVEAS].s;

	if (base[0] && bt_saveas_mkdirs(base, 0777) < 0) {
		snprintf(err, cap, "cannot create %s: %s", base, strerror(errno));
		return NULL;
	}
	char *name = bt_saveas_style(it->path, it->m.name, it->m.multi,
		(int)lm->v[LM_SAVEAS_STYLE].i, base, err, cap);
	char *root = name ? bt_saveas_root(&it->m, name, err, cap) : NULL;

	free(name);
	return root;
}

static void cb_metadata(void *ud, const uint8_t *torrent, size_t n);

static const struct bt_torrent_cb magnet_cb = {
	cb_message, cb_finished, cb_closed, cb_metadata
};

/* A torrent that failed to start: its message stays. */
static int
item_failed(struct item *it, int rc)
{
	char err[512];

	bt_dl_start_error(it->magnet ? NULL : &it->m, 1, rc, err, sizeof(err));
	item_message(it, err);
	it->died = 1;
	return -1;
}

static void
peer_skipped(void *ud, const char *host)
{
	struct item *it = ud;

	say(it->lm, LOG_WARNING, "\"%s\": peer %s skipped: not a numeric address", it->path,
		host);
}

/* Options for a torrent of lm, with a resume record when there is a state
 * directory (*resume, freed by the caller). */
static void
item_opts(struct lm *lm, struct item *it, struct bt_torrent_opts *o, char **resume)
{
	char why[256];

	bt_seedlimit_init(&it->seed, lm->v);
	bt_dl_torrent_opts(lm->v, o);
	o->max_upload_rate = (uint64_t)lm->v[LM_TORRENT_MAX_UPLOAD_RATE].i * 1000;
	o->max_download_rate = 0;	/* the client's limit covers all */
	*resume = lm->state_dir ? bt_statedir_resume(lm->state_dir, it->hash, why,
		sizeof(why)) : NULL;
	o->resume_path = *resume;
	bt_dl_peer_id(o->peer_id);	/* a peer id for each torrent */
}

/* A .magnet file's torrent: started without metadata (cb_metadata goes
 * on). */
static int
item_start_magnet(struct lm *lm, struct item *it)
{
	struct bt_torrent_opts o;
	char *resume;
	int rc;

	item_opts(lm, it, &o, &resume);
	rc = bt_dl_magnet_start(&it->t, lm->c, &it->mg, &o, &magnet_cb, it);
	free(resume);
	if (rc < 0)
		return item_failed(it, rc);
	bt_dl_magnet_peers(it->t, &it->mg, peer_skipped, it);
	return 0;
}

static int
item_start(struct lm *lm, struct item *it)
{
	struct bt_torrent_opts o;
	char err[512];
	char *resume;
	int rc;

	if (it->magnet)
		return item_start_magnet(lm, it);
	if (!(it->root = item_root(lm, it, err, sizeof(err)))) {
		item_message(it, err);
		it->died = 1;
		return -1;
	}
	item_opts(lm, it, &o, &resume);
	o.root = it->root;
	rc = bt_torrent_new(&it->t, lm->c, it->m.info_hash, &o, &item_cb, it);
	free(resume);
	if (rc == 0 && (rc = bt_torrent_set_meta(it->t, &it->m, NULL)) == 0)
		rc = bt_torrent_start(it->t);
	if (rc < 0) {
		if (it->t)
			bt_torrent_free(it->t);
		it->t = NULL;
		return item_failed(it, rc);
	}
	return 0;
}

/* A .magnet file's metadata came: place the data, save the .torrent
 * beside it, and go on as for a .torrent file. */
static void
cb_metadata(void *ud, const uint8_t *torrent, size_t n)
{
	struct item *it = ud;
	struct lm *lm = it->lm;
	struct bt_meta_err merr;
	char err[512], *saved;
	int rc;

	it->buf = xmalloc(n ? n : 1);
	memcpy(it->buf, torrent, n);
	if ((rc = bt_meta_parse(&it->m, it->buf, n, &merr)) < 0) {
		item_message(it, bt_strerror(rc));
		goto fail;
	}
	free(it->name);
	it->name = bt_view_printable(it->m.name);
	if (!(it->root = item_root(lm, it, err, sizeof(err)))) {
		item_message(it, err);
		goto fail;
	}
	if (!(saved = bt_dl_magnet_save(it->root, torrent, n)))
		say(lm, LOG_WARNING, "\"%s\": cannot save the metadata: %s", it->path,
			strerror(errno));
	else
		say(lm, LOG_INFO, "\"%s\": got the metadata, saved as %s", it->path, saved);
	free(saved);
	if (!lm->v[DL_SELECTOR_ENABLED].i)
		it->prio = bt_dl_magnet_prio(&it->mg, it->m.nfiles);	/* BEP 53 */
	if ((rc = bt_torrent_set_root(it->t, it->root)) < 0 ||
	    (rc = bt_torrent_set_meta(it->t, &it->m, it->prio)) < 0) {
		item_failed(it, rc);
		goto fail;
	}
	return;
fail:
	it->died = 1;
	say(lm, LOG_ERR, "DIED: \"%s\"", it->path);
	bt_torrent_stop(it->t);
}

/* ---- the directory ---- */

/* A torrent of this info hash that was dropped is still stopping (the
 * client cannot hold two). */
static int
still_running(const struct lm *lm, const uint8_t *hash)
{
	for (const struct item *it = lm->items; it; it = it->next)
		if (it->t && memcmp(it->hash, hash, 20) == 0)
			return 1;
	return 0;
}

/* What a magnet link's torrent is called until its metadata comes: dn=,
 * else the info hash. */
static char *
magnet_name(const struct bt_magnet *mg)
{
	char hex[41];

	if (mg->dn)
		return bt_view_printable(mg->dn);
	bt_hex(hex, mg->info_hash, 20);
	return xstrdup(hex);
}

static int
on_dir_event(void *ud, struct bt_tdir_event *ev)
{
	struct lm *lm = ud;
	struct item *it;
	size_t len;

	if (lm->stopping)
		return BT_E_INVAL;	/* offered again: never, we are going */
	if (ev->kind == BT_TDIR_REMOVED) {
		it = ev->user;
		if (!it)
			return 0;
		say(lm, LOG_INFO, "dropped \"%s\"", it->path);
		it->dropping = 1;
		if (it->t && bt_torrent_state(it->t) != BT_TORRENT_STOPPED &&
			bt_torrent_state(it->t) != BT_TORRENT_FAILED)
			bt_torrent_stop(it->t);
		else
			cb_closed(it);
		return 0;
	}
	if (still_running(lm, ev->info_hash))
		return BT_E_PARTIAL;	/* offered again once it has stopped */
	it = xcalloc(1, sizeof(*it));
	it->lm = lm;
	it->path = xstrdup(ev->path);
	memcpy(it->hash, ev->info_hash, 20);
	if (ev->magnet) {
		it->magnet = 1;
		bt_tdir_take_magnet(ev, &it->buf, &len, &it->mg);
		free(it->buf);	/* (the link is all it needs) */
		it->buf = NULL;
		it->name = magnet_name(&it->mg);
	} else {
		bt_tdir_take(ev, &it->buf, &len, &it->m);
		it->name = bt_view_printable(it->m.name);
	}
	it->next = lm->items;
	lm->items = it;
	ev->user = it;
	say(lm, LOG_INFO, "added \"%s\"", it->path);
	item_start(lm, it);
	return 0;
}

static void
on_dir_warning(void *ud, const struct bt_tdir_warning *w)
{
	struct lm *lm = ud;

	if (w->kind == BT_TDIR_DUPLICATE)
		say(lm, LOG_WARNING, "**warning** %s is a duplicate torrent for %s", w->path, w->other);
	else if (w->kind == BT_TDIR_ERRORS)
		say(lm, LOG_WARNING, "**warning** %s has errors: %s", w->path, w->what);
	else
		say(lm, LOG_WARNING, "**warning** %s: %s", w->path, w->what);
}

static uint64_t on_soon(struct bt_loop *loop, uint64_t id, void *ud);

static void
rescan(struct lm *lm)
{
	int rc;

	bt_tdir_watch_drain(lm->tdir);
	rc = bt_tdir_scan(lm->tdir);
	if (rc == 1 && !lm->soon_timer && !lm->stopping)	/* files left: soon again */
		lm->soon_timer = bt_timer_add(lm->loop, RETRY_MS, on_soon, lm);
	if (rc < 0 && rc != BT_E_NOMEM)
		say(lm, LOG_ERR, "cannot read %s: %s", lm->dir, rc == BT_E_IO ?
			strerror(errno) : bt_strerror(rc));
}

static uint64_t
on_rescan(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct lm *lm = ud;

	(void)loop;
	(void)id;
	rescan(lm);
	return (uint64_t)lm->v[LM_PARSE_DIR_INTERVAL].i * 1000;
}

static uint64_t
on_soon(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct lm *lm = ud;

	(void)loop;
	(void)id;
	lm->soon_timer = 0;
	rescan(lm);
	return BT_TIMER_STOP;
}

/* inotify: something changed; rescan after a short pause, so a file
 * being written is read once it is whole. */
static void
on_watch(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct lm *lm = ud;

	(void)fd;
	(void)ev;
	bt_tdir_watch_drain(lm->tdir);
	if (!lm->soon_timer && !lm->stopping)
		lm->soon_timer = bt_timer_add(loop, 200, on_soon, lm);
}

/* ---- the display ---- */

static const char *
status_text(const struct item *it, const struct bt_torrent_stats *st, char *buf, size_t cap)
{
	if (it->done || !it->t)
		return "stopped";
	if (it->magnet && !bt_torrent_has_meta(it->t) && st->state != BT_TORRENT_STOPPING &&
	    st->state != BT_TORRENT_STOPPED && st->state != BT_TORRENT_FAILED)
		return "fetching metadata";
	switch (st->state) {
	case BT_TORRENT_IDLE:
	case BT_TORRENT_CHECK_WAIT: return "waiting for hash check";
	case BT_TORRENT_CHECKING: return "checking existing data";
	case BT_TORRENT_SEEDING: return "seeding";
	case BT_TORRENT_DOWNLOADING:
		if (!st->peers && !st->seeds && !st->webseeds)
			return "connecting to peers";
		if (st->eta >= 0 && st->eta < BT_FMT_MAX_SECS)
			return bt_fmt_clock(buf, cap, (int64_t)st->eta);
		return "downloading";
	case BT_TORRENT_STOPPING:
	case BT_TORRENT_STOPPED:
	case BT_TORRENT_FAILED: return "stopped";
	}
	return "?";
}

static void
fill_row(struct lm *lm, struct item *it, struct bt_many_row *r, char *sbuf, size_t cap)
{
	struct bt_torrent_stats st;
	uint64_t now = bt_loop_now_ms(lm->loop);

	memset(&st, 0, sizeof(st));
	if (it->t)
		bt_torrent_stats(it->t, &st);
	memset(r, 0, sizeof(*r));
	r->name = lm->v[LM_DISPLAY_PATH].i ? it->path : it->name;
	r->status = status_text(it, &st, sbuf, cap);
	if (st.state == BT_TORRENT_CHECKING && st.check_total)
		r->progress = 100.0 * st.checked / st.check_total;
	else
		r->progress = st.wanted ? 100.0 * (double)st.have / (double)st.wanted : 0;
	r->peers = st.peers;
	r->seeds = st.seeds;
	r->seeding = st.state == BT_TORRENT_SEEDING;
	r->copies = st.copies;
	r->up_rate = st.up_rate;
	r->down_rate = st.down_rate;
	r->uploaded = st.uploaded;
	r->downloaded = st.downloaded;
	r->size = (uint64_t)it->m.total;
	r->msg = it->msg_ms && (it->died || it->done || now - it->msg_ms < MSG_KEEP_MS) ?
		it->msg : "";
}

static size_t
count_items(const struct lm *lm)
{
	size_t n = 0;

	for (const struct item *it = lm->items; it; it = it->next)
		n++;
	return n;
}

static void
show(struct lm *lm)
{
	size_t n = count_items(lm), k = 0;
	struct bt_many_row *rows = xcalloc(n ? n : 1, sizeof(*rows));
	char (*sbuf)[32] = xcalloc(n ? n : 1, sizeof(*sbuf));
	struct bt_buf out;

	/* Oldest first, as they were added. */
	for (struct item *it = lm->items; it; it = it->next, k++)
		fill_row(lm, it, &rows[n - 1 - k], sbuf[n - 1 - k], sizeof(sbuf[0]));
	if (lm->curses_on) {
		bt_show_many_draw(&lm->cs, &lm->many, rows, n, bt_loop_now_ms(lm->loop));
	} else {
		bt_buf_init(&out, 0);
		bt_buf_addc(&out, '\n');
		if (!n)
			bt_buf_adds(&out, "###  no torrents\n");
		for (size_t i = 0; i < n; i++)
			bt_show_many_line(&out, &rows[i]);
		if (!out.err)
			fwrite(out.p, 1, out.len, stdout);
		fflush(stdout);
		bt_buf_free(&out);
	}
	free(rows);
	free(sbuf);
}

/* ---- seeding limits ---- */

static void
check_seeding(struct lm *lm)
{
	uint64_t now = bt_loop_now_ms(lm->loop);

	for (struct item *it = lm->items; it; it = it->next) {
		struct bt_torrent_stats st;
		const char *why;

		if (!it->t || it->done || bt_torrent_state(it->t) != BT_TORRENT_SEEDING)
			continue;
		bt_torrent_stats(it->t, &st);
		if (!(why = bt_seedlimit_check(&it->seed, st.uploaded, st.total, now)))
			continue;
		it->done = 1;
		item_message(it, why);
		say(lm, LOG_INFO, "finished seeding \"%s\": %s", it->path, why);
		bt_torrent_stop(it->t);
	}
}

static uint64_t
on_display(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct lm *lm = ud;

	(void)loop;
	(void)id;
	check_seeding(lm);
	if (!lm->stopping || lm->curses_on)
		show(lm);
	return bt_dl_display_ms(lm->v);
}

/* ---- stopping ---- */

static int
all_closed(const struct lm *lm)
{
	for (const struct item *it = lm->items; it; it = it->next) {
		enum bt_torrent_state s = it->t ? bt_torrent_state(it->t) : BT_TORRENT_STOPPED;
		if (s != BT_TORRENT_STOPPED && s != BT_TORRENT_FAILED)
			return 0;
	}
	return 1;
}

static void
request_stop(struct lm *lm)
{
	if (lm->stopping) {
		lm->quit = 1;	/* a second signal: at once */
		bt_loop_stop(lm->loop);
		return;
	}
	lm->stopping = 1;
	say(lm, LOG_INFO, "shutting down");
	for (struct item *it = lm->items; it; it = it->next) {
		say(lm, LOG_INFO, "dropped \"%s\"", it->path);
		if (it->t)
			bt_torrent_stop(it->t);
	}
}

static void
on_signal(struct bt_loop *loop, int signo, void *ud)
{
	(void)loop;
	if (signo == SIGCHLD) {
		bt_hook_reap();
		return;
	}
	request_stop(ud);
}

static void
on_stdin(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct lm *lm = ud;
	int k;

	(void)loop;
	(void)fd;
	(void)ev;
	while ((k = bt_show_curses_key(&lm->cs)) != BT_SHOW_KEY_NONE) {
		if (k == BT_SHOW_KEY_QUIT)
			request_stop(lm);
		else
			show(lm);
	}
}

/* ---- set-up ---- */

static int
start_client(struct lm *lm)
{
	struct bt_client_opts co;
	int rc;

	bt_dl_client_opts(lm->v, &co);
	co.max_upload_rate = lm->v[DL_MAX_UPLOAD_RATE].i > 0 ?
		(uint64_t)lm->v[DL_MAX_UPLOAD_RATE].i * 1000 : 0;
	co.max_download_rate = (uint64_t)lm->v[DL_MAX_DOWNLOAD_RATE].i * 1000;
	rc = bt_client_new(&lm->c, lm->loop, &co);
	if (rc < 0) {
		char why[512];
		bt_dl_listen_error(lm->v, rc, why, sizeof(why));
		bt_warn("%s", why);
	}
	return rc;
}

static int
start_dir(struct lm *lm)
{
	struct bt_tdir_opts to;
	int wfd;

	memset(&to, 0, sizeof(to));
	to.warn = on_dir_warning;
	to.event = on_dir_event;
	to.magnets = 1;
	to.ud = lm;
	lm->tdir = bt_tdir_new(lm->dir, &to);
	if (!lm->tdir) {
		bt_warn("out of memory");
		return -1;
	}
	rescan(lm);
	if (!lm->items)
		say(lm, LOG_INFO, "no torrents");
	wfd = bt_tdir_watch_fd(lm->tdir);
	if (wfd >= 0)
		bt_io_add(lm->loop, wfd, BT_EV_READ, on_watch, lm);
	lm->rescan_timer = bt_timer_add(lm->loop,
		(uint64_t)lm->v[LM_PARSE_DIR_INTERVAL].i * 1000, on_rescan, lm);
	return 0;
}

static void
start_ui(struct lm *lm)
{
	if (!lm->curses_name)
		return;
	if (bt_show_curses_start(&lm->cs) == 0) {
		lm->curses_on = 1;
		bt_io_add(lm->loop, 0, BT_EV_READ, on_stdin, lm);
	} else {
		bt_warn("cannot start the curses screen (not a terminal, or TERM unknown); plain output");
	}
}

static int
run(struct lm *lm)
{
	uint64_t deadline = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!(lm->loop = bt_loop_new(bt_cli_raise_nofile()))) {
		bt_warn("out of memory");
		return BT_EXIT_FAIL;
	}
	bt_loop_signal(lm->loop, SIGINT, on_signal, lm);
	bt_loop_signal(lm->loop, SIGTERM, on_signal, lm);
	if (!bt_cli_sighup_ignored())	/* under nohup it stays ignored */
		bt_loop_signal(lm->loop, SIGHUP, on_signal, lm);
	bt_loop_signal(lm->loop, SIGCHLD, on_signal, lm);
	if (lm->v[DL_SYSLOG].i)
		bt_syslog_open(lm->curses_name ? "btlaunchmanycurses" : "btlaunchmany");
	if (start_client(lm) < 0)
		return BT_EXIT_FAIL;
	start_ui(lm);
	if (start_dir(lm) < 0)
		return BT_EXIT_FAIL;
	bt_timer_add(lm->loop, bt_dl_display_ms(lm->v), on_display, lm);
	while (!lm->quit) {
		if (lm->stopping && !deadline)
			deadline = bt_loop_now_ms(lm->loop) + QUIT_MS;
		if (lm->stopping && (all_closed(lm) || bt_loop_now_ms(lm->loop) > deadline))
			break;
		/* Events wake the loop; the wait only bounds the stop check. */
		if (bt_loop_run_once(lm->loop, lm->stopping ? 200 : 60000) < 0)
			break;
	}
	return BT_EXIT_OK;
}

/* ---- the command line ---- */

static void
print_usage(const struct lm *lm, FILE *f)
{
	const struct bt_help h = {
		.args = "<directory> <global options>",
		.about = TX("<directory> - directory to look for .torrent files (semi-recursive)\n"
			"\n"
			"Arguments are:"),
		.opts = lm->opts, .nopts = NOPT, .cols = lm->curses_name ? 100 : 80,
	};
	bt_cli_help(f, &h);
}

/* Parse and check the command line; the directory in lm->dir. */
static int
parse_args(struct lm *lm, int argc, char **argv, char **pos)
{
	char err[512];
	struct stat st;
	int npos = bt_opt_parse(lm->opts, NOPT, lm->v, argc, argv, pos, err, sizeof(err));

	if (npos == BT_OPT_HELP)
		return bt_usage_error("--help: give it alone");
	if (npos < 0)
		return bt_usage_error("%s", err);
	if (npos != 1)
		return npos ? bt_usage_error("%s: unexpected argument (one directory only)", pos[1])
			: bt_usage_error("a directory is needed");
	int bad = bt_dl_opts_bad(lm->v, err, sizeof(err));
	if (bad >= 0) {
		bt_dl_ini_blame(lm->opts, lm->v, &lm->ini_src, bad, err, sizeof(err));
		return bt_usage_error("%s", err);
	}
	if (lm->v[LM_SAVEAS_STYLE].i < 1 || lm->v[LM_SAVEAS_STYLE].i > 3)
		return bt_usage_error("--saveas_style %lld: must be 1, 2 or 3", lm->v[LM_SAVEAS_STYLE].i);
	if (lm->v[LM_PARSE_DIR_INTERVAL].i < 1 || lm->v[LM_PARSE_DIR_INTERVAL].i > 86400)
		return bt_usage_error("--parse_dir_interval %lld: must be 1 .. 86400 seconds",
			lm->v[LM_PARSE_DIR_INTERVAL].i);
	if (stat(pos[0], &st) < 0 || !S_ISDIR(st.st_mode)) {
		bt_warn("%s: is not a directory", pos[0]);
		return BT_EXIT_FAIL;
	}
	lm->dir = pos[0];
	return 0;
}

static void
save_options(struct lm *lm, const char *ini)
{
	char err[512];

	if (!ini)
		bt_warn("cannot save the options: %s", lm->state_why);
	else if (bt_statedir_make(lm->state_dir, err, sizeof(err)) < 0 ||
	    bt_ini_write(ini, lm->opts, NOPT, lm->v, bt_dl_not_saved, err, sizeof(err)) < 0)
		bt_warn("cannot save the options: %s", err);
}

static void
cleanup(struct lm *lm)
{
	if (lm->curses_on)
		bt_show_curses_stop(&lm->cs);
	while (lm->items) {
		struct item *it = lm->items;
		lm->items = it->next;
		item_free(it);
	}
	bt_tdir_free(lm->tdir);
	bt_client_free(lm->c);
	if (lm->loop)
		bt_loop_free(lm->loop);
	bt_show_many_free(&lm->many);
	for (size_t k = 0; k < NOPT; k++)
		free(lm->ini_vals[k]);
	free(lm->state_dir);
	free(lm);
}

int
launchmany_main(int argc, char **argv)
{
	struct lm *lm = xcalloc(1, sizeof(*lm));
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos)), *ini = NULL;
	int rc;

	lm->curses_name = strstr(bt_prog, "curses") != NULL;
	bt_dl_opts_build(lm->opts, lm_extra, NOPT - DL_NOPTS);
	if (lm->curses_name) {
		lm->opts[LM_SAVEAS_STYLE].def = "2";
		lm->opts[LM_DISPLAY_PATH].def = "0";
	}
	/* launchmany's meaning of two shared options */
	lm->opts[DL_DOWNLOAD_DIR].help = TX("where the data goes (named by saveas_style), "
		"instead of next to each .torrent (or --saveas)");
	lm->opts[DL_SYSLOG].help = TX("whether to send the ### messages to syslog (facility "
		"daemon) as well");
	lm->state_dir = bt_statedir_find(lm->opts, NOPT, argc, argv, lm->state_why,
		sizeof(lm->state_why));
	if (lm->state_dir) {
		ini = bt_statedir_config(lm->state_dir,
			lm->curses_name ? "launchmanycurses" : "launchmany");
		struct bt_ini_src src = { ini, lm->ini_lines, bt_ini_warn, NULL };
		lm->ini_src = src;
		bt_ini_read(&lm->ini_src, lm->opts, NOPT, lm->ini_vals, bt_dl_not_saved);
	}
	if (bt_opt_wants_help(argc, argv)) {
		print_usage(lm, stdout);
		rc = BT_EXIT_OK;
	} else if (argc < 2) {
		print_usage(lm, stderr);
		rc = BT_EXIT_USAGE;
	} else if ((rc = parse_args(lm, argc, argv, pos)) == 0) {
		if (lm->v[LM_SAVE_OPTIONS].i)
			save_options(lm, ini);
		if (lm->state_dir && bt_statedir_make(lm->state_dir, lm->state_why,
			sizeof(lm->state_why)) < 0) {
			bt_warn("no fast resume: %s", lm->state_why);
			free(lm->state_dir);
			lm->state_dir = NULL;
		}
		rc = run(lm);
	}
	free(pos);
	free(ini);
	cleanup(lm);
	return rc;
}
