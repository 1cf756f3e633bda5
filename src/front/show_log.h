/* show_log.h - the plain log a download writes when standard output is
 * not a terminal: timestamped lines ("2024-05-01 12:00:00 <text>"), the
 * state changes, and a status line ("12.5% downloading down 10.0 kB/s up
 * 0.0 kB/s peers 3 seeds 1 eta 0:01:05") when it says something new, at
 * most every 5 seconds (or display_interval if longer), and after 10
 * minutes even unchanged. */
#ifndef BT_SHOW_LOG_H
#define BT_SHOW_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include "torrent.h"

/* One torrent's log state (owned by the caller). */
struct bt_show_log {
	uint64_t last_ms;		/* when the last status line went out, 0: never */
	char last[256];			/* its text */
	enum bt_torrent_state last_state;	/* the state last logged */
	int fin_logged;			/* the end of the download was logged */
};

void bt_show_log_init(struct bt_show_log *l);

/* One timestamped line to stdout, flushed. */
void bt_show_log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bt_show_log_vline(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Log what st says: a changed state ("checking existing data",
 * "downloading", once "complete: seeding"), then, unless quiet, the status
 * line when due (now_ms: the loop's clock; display_ms: --display_interval;
 * force: now, whatever the time or text; a state change forces it). */
void bt_show_log_update(struct bt_show_log *l, const struct bt_torrent_stats *st,
	uint64_t now_ms, uint32_t display_ms, int force, int quiet);

#endif
