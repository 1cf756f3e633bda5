/* show_log.c - see show_log.h */
#include "show_log.h"
#include "str.h"
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MIN_MS	5000	/* status lines at most this often */
#define LOG_IDLE_MS	600000	/* an unchanged status line again after this */

void
bt_show_log_init(struct bt_show_log *l)
{
	memset(l, 0, sizeof(*l));
	l->last_state = BT_TORRENT_IDLE;
}

void
bt_show_log_vline(const char *fmt, va_list ap)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s ", ts);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void
bt_show_log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bt_show_log_vline(fmt, ap);
	va_end(ap);
}

static const char *
state_name(enum bt_torrent_state s)
{
	switch (s) {
	case BT_TORRENT_IDLE: return "starting";
	case BT_TORRENT_CHECK_WAIT: return "waiting for hash check";
	case BT_TORRENT_CHECKING: return "checking";
	case BT_TORRENT_DOWNLOADING: return "downloading";
	case BT_TORRENT_SEEDING: return "seeding";
	case BT_TORRENT_STOPPING: return "stopping";
	case BT_TORRENT_STOPPED: return "stopped";
	case BT_TORRENT_FAILED: return "failed";
	}
	return "?";
}

/* The periodic status line: printed when it says something new, or after
 * LOG_IDLE_MS anyway; at most every LOG_MIN_MS (or display_ms if
 * longer). */
static void
status(struct bt_show_log *l, const struct bt_torrent_stats *st, uint64_t now,
	uint32_t display_ms, int force)
{
	uint64_t every = display_ms < LOG_MIN_MS ? LOG_MIN_MS : display_ms;
	char line[256], eta[BT_FMT_MAX];

	if (!force && l->last_ms && now - l->last_ms < every)
		return;
	if (st->state == BT_TORRENT_DOWNLOADING && st->eta >= 0)
		bt_fmt_clock(eta, sizeof(eta), (int64_t)st->eta);
	else
		strcpy(eta, st->state == BT_TORRENT_SEEDING ? "-" : "<unknown>");
	snprintf(line, sizeof(line), "%.1f%% %s down %.1f kB/s up %.1f kB/s peers %u seeds %u eta %s",
		bt_view_progress(st, 100), state_name(st->state), st->down_rate / 1024,
		st->up_rate / 1024, st->peers, st->seeds + st->webseeds, eta);
	if (!force && strcmp(line, l->last) == 0 && now - l->last_ms < LOG_IDLE_MS)
		return;
	snprintf(l->last, sizeof(l->last), "%s", line);
	l->last_ms = now ? now : 1;
	bt_show_log_line("%s", line);
}

void
bt_show_log_update(struct bt_show_log *l, const struct bt_torrent_stats *st,
	uint64_t now_ms, uint32_t display_ms, int force, int quiet)
{
	if (st->state != l->last_state) {
		if (st->state == BT_TORRENT_CHECKING)
			bt_show_log_line("checking existing data");
		else if (st->state == BT_TORRENT_DOWNLOADING)
			bt_show_log_line("downloading");
		else if (st->state == BT_TORRENT_SEEDING && !l->fin_logged) {
			l->fin_logged = 1;
			bt_show_log_line("complete: seeding");
		}
		if (st->state <= BT_TORRENT_SEEDING)
			force = 1;
		l->last_state = st->state;
	}
	if (!quiet)
		status(l, st, now_ms, display_ms, force);
}
