/* seedlimit.h - when to stop seeding: --seed_ratio, --seed_time and
 * --seed_idle (dl_opts.h) over one torrent.
 *
 * Fed the torrent's upload count while it seeds, it says when a limit is
 * reached and which.  It keeps no clock: the caller passes the time, in
 * milliseconds from any fixed origin (bt_loop_now_ms).  download has one
 * for its torrent, launchmany one per torrent. */
#ifndef BT_SEEDLIMIT_H
#define BT_SEEDLIMIT_H

#include <stdint.h>

#include "opt.h"

struct bt_seedlimit {
	double ratio;		/* stop at uploaded >= ratio * size; 0: no limit */
	uint64_t time_ms;	/* stop after seeding this long; 0: no limit */
	uint64_t idle_ms;	/* stop after this long without uploading; 0: no limit */
	int seeding;		/* the clock runs (bt_seedlimit_start was called) */
	uint64_t since_ms;	/* seeding since */
	uint64_t up_ms;		/* an upload was last seen at */
	uint64_t last_up;	/* the upload count then */
};

/* The limits from the options v (a table built by bt_dl_opts_build,
 * checked by bt_dl_opts_check): minutes become milliseconds. */
void bt_seedlimit_init(struct bt_seedlimit *s, const union bt_optv *v);

/* Is any limit set? */
int bt_seedlimit_any(const struct bt_seedlimit *s);

/* The torrent is a seed from now (its download finished): the seeding
 * and idle times count from now_ms; uploaded is its upload count. */
void bt_seedlimit_start(struct bt_seedlimit *s, uint64_t uploaded, uint64_t now_ms);

/* Call while the torrent seeds, with its upload count (since it started)
 * and its size in bytes.  The first call starts the clock when
 * bt_seedlimit_start was not called (complete at start).  Returns why to
 * stop ("share ratio reached", "seeding time reached", "idle seeding
 * time reached", first that applies in that order), or NULL. */
const char *bt_seedlimit_check(struct bt_seedlimit *s, uint64_t uploaded, uint64_t total,
	uint64_t now_ms);

#endif
