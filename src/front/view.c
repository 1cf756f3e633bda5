/* view.c - see view.h */
#include "view.h"
#include "cli.h"
#include "metainfo.h"
#include "msg.h"
#include "saveas.h"
#include "torrent.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
bt_view_printable(const char *s)
{
	struct bt_buf b;
	char *o;

	bt_buf_init(&b, 0);
	bt_str_escape(&b, s, strlen(s));
	o = xstrdup(b.err ? "" : bt_buf_cstr(&b));
	bt_buf_free(&b);
	return o;
}

void
bt_view_init(struct bt_view *w, int stamp)
{
	memset(w, 0, sizeof(*w));
	w->frac = -1;
	w->stamp = stamp;
}

void
bt_view_free(struct bt_view *w)
{
	free(w->file);
	free(w->dest);
	for (size_t k = 0; k < BT_VIEW_ERRORS; k++)
		free(w->errors[k]);
	bt_view_init(w, w->stamp);
}

void
bt_view_torrent(struct bt_view *w, const struct bt_meta *m, const char *root, int curses)
{
	struct bt_view keep = *w;
	char *abs;

	free(w->file);
	free(w->dest);
	bt_view_init(w, keep.stamp);
	memcpy(w->errors, keep.errors, sizeof(w->errors));
	w->nerr = keep.nerr;
	w->finished = keep.finished;
	w->curses = curses;
	if (curses) {
		w->file = bt_view_printable(m->name);
		strcpy(w->down, "---");
		strcpy(w->up, "---");
	} else {
		char *f = xfmt("%s (%.1f MB)", m->name, (double)m->total / (1 << 20));
		w->file = bt_view_printable(f);
		free(f);
	}
	bt_fmt_size(w->size, sizeof(w->size), (uint64_t)m->total);
	abs = bt_saveas_abspath(root);
	w->dest = bt_view_printable(abs);
	free(abs);
}

void
bt_view_activity(struct bt_view *w, const char *what)
{
	if (w->done)
		return;
	snprintf(w->time_est, sizeof(w->time_est), "%s", what);
	snprintf(w->activity, sizeof(w->activity), "%s", what);
	snprintf(w->status, sizeof(w->status), "%s", what);
}

/* The fraction done (BitTornado's fractionDone). */
static void
fraction(struct bt_view *w, double frac)
{
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

void
bt_view_finished(struct bt_view *w)
{
	w->finished = 1;
	if (w->done)
		return;
	if (w->curses) {
		snprintf(w->activity, sizeof(w->activity), "download succeeded!");
		strcpy(w->down, "---");
		fraction(w, 1.0);
	} else {
		strcpy(w->pct, "100");
		snprintf(w->time_est, sizeof(w->time_est), "Download Succeeded!");
		w->down[0] = 0;
	}
	w->done = 1;
}

void
bt_view_failed(struct bt_view *w)
{
	if (w->done)
		return;
	if (w->curses) {
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

void
bt_view_interrupted(struct bt_view *w, int saved)
{
	char t[96];

	if (w->done)
		return;
	snprintf(t, sizeof(t), "interrupted%s (%.1f MB of %.1f MB done)",
		saved ? ", resume data saved" : "", (double)w->have / (1 << 20),
		(double)w->wanted / (1 << 20));
	if (w->curses) {
		snprintf(w->activity, sizeof(w->activity), "%s", t);
		snprintf(w->status, sizeof(w->status), "%s", t);
		strcpy(w->down, "---");
	} else {
		snprintf(w->time_est, sizeof(w->time_est), "%s", t);
		w->down[0] = 0;
	}
	w->done = 1;
}

static void
fmt_rate(const struct bt_view *w, char *out, size_t cap, double bps)
{
	snprintf(out, cap, w->curses ? "%.1f KB/s" : "%.1f kB/s", bps / 1024);
}

double
bt_view_progress(const struct bt_torrent_stats *st, double scale)
{
	if (st->state == BT_TORRENT_CHECKING)
		return st->check_total ? scale * st->checked / st->check_total : 0;
	return st->wanted ? scale * (double)(st->wanted - st->left) / st->wanted : scale;
}

/* Percent, time left or activity, download rate: while not done. */
static void
update_progress(struct bt_view *w, const struct bt_torrent_stats *st)
{
	if (st->eta >= 0) {
		int64_t eta = (int64_t)st->eta;
		char t[64];
		if (!w->curses)
			bt_fmt_text_time(w->time_est, sizeof(w->time_est), eta);
		else if (eta == 0)
			snprintf(w->activity, sizeof(w->activity), "download complete!");
		else
			snprintf(w->activity, sizeof(w->activity), "finishing in %s",
				bt_fmt_clock(t, sizeof(t), eta));
	} else if (w->checking) {	/* the check is over, no estimate yet */
		bt_view_activity(w, "connecting to peers");
	}
	w->checking = 0;
	fraction(w, bt_view_progress(st, 1));
	fmt_rate(w, w->down, sizeof(w->down), st->down_rate);
}

/* Upload rate, share rating, seeds and peers. */
static void
update_swarm(struct bt_view *w, const struct bt_torrent_stats *st)
{
	double ratio;
	char r[32];

	fmt_rate(w, w->up, sizeof(w->up), st->up_rate);
	if (st->downloaded > 0)
		ratio = (double)st->uploaded / st->downloaded;
	else
		ratio = st->uploaded == 0 ? 0.0 : -1.0;
	if (ratio >= 0 && ratio <= 100)
		snprintf(r, sizeof(r), "%.3f", ratio);
	else
		strcpy(r, "oo");
	snprintf(w->share, sizeof(w->share), "%s%s(%.1f MB up / %.1f MB down)", r,
		w->curses ? "  " : "   ", (double)st->uploaded / (1 << 20),
		(double)st->downloaded / (1 << 20));
	if (w->finished || w->done)
		snprintf(w->seeds, sizeof(w->seeds), "%u seen recently, plus %.3f distributed copies",
			st->seen_recently + st->webseeds, st->copies);
	else
		snprintf(w->seeds, sizeof(w->seeds), "%u seen now, plus %.3f distributed copies",
			st->seeds + st->webseeds, st->copies);
	/* st->peers: the peers that are not seeds, as BitTornado counts. */
	snprintf(w->peers, sizeof(w->peers), "%u seen now, %.1f%% done at %.1f kB/s",
		st->peers, st->peers_done * 100, st->swarm_rate / 1024);
}

void
bt_view_update(struct bt_view *w, const struct bt_torrent_stats *st)
{
	switch (st->state) {
	case BT_TORRENT_IDLE:
		return;
	case BT_TORRENT_CHECK_WAIT:
		bt_view_activity(w, "waiting for hash check");
		w->checking = 1;
		return;
	case BT_TORRENT_CHECKING:
		bt_view_activity(w, "checking existing data");
		w->checking = 1;
		fraction(w, bt_view_progress(st, 1));
		return;
	case BT_TORRENT_FAILED:
		bt_view_failed(w);
		return;
	case BT_TORRENT_SEEDING:
		bt_view_finished(w);	/* complete at start: no finished callback */
		break;
	default:
		break;
	}
	w->have = st->wanted - st->left;
	w->wanted = st->wanted;
	if (w->done && w->curses)
		snprintf(w->status, sizeof(w->status), "%s", w->activity);
	if (!w->done)
		update_progress(w, st);
	update_swarm(w, st);
}

void
bt_view_error(struct bt_view *w, const char *text)
{
	char buf[BT_VIEW_MSG_MAX + 16];
	size_t off = 0;

	if (w->stamp) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		off = strftime(buf, sizeof(buf), "[%H:%M:%S] ", &tm);
	}
	bt_str_printable(buf + off, sizeof(buf) - off, text, strlen(text));
	if (w->nerr && strcmp(bt_view_error_at(w, w->nerr - 1) + off, buf + off) == 0)
		return;	/* said already */
	free(w->errors[w->nerr % BT_VIEW_ERRORS]);
	w->errors[w->nerr % BT_VIEW_ERRORS] = xstrdup(buf);
	w->nerr++;
}

size_t
bt_view_errors_first(const struct bt_view *w)
{
	return w->nerr > BT_VIEW_ERRORS ? w->nerr - BT_VIEW_ERRORS : 0;
}

const char *
bt_view_error_at(const struct bt_view *w, size_t k)
{
	return w->errors[k % BT_VIEW_ERRORS];
}
