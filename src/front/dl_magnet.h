/* dl_magnet.h - a magnet link's torrent, as `download MAGNET` and a
 * .magnet file of `launchmany DIR` run it: started from the link's info
 * hash, trackers, web seeds and peers, its data placed when the metadata
 * comes, which is then saved beside the data as <root>.torrent. */
#ifndef BT_DL_MAGNET_H
#define BT_DL_MAGNET_H

#include <stddef.h>
#include <stdint.h>

#include "magnet.h"
#include "torrent.h"

/* Make and start the torrent of mg in client c, with options so (its root
 * is replaced by the info hash in hex: bt_torrent_set_root when the name
 * is known).  cb should have a metadata callback.  Returns 0 or a
 * BT_E_* code (then *t is NULL). */
int bt_dl_magnet_start(struct bt_torrent **t, struct bt_client *c, const struct bt_magnet *mg,
	const struct bt_torrent_opts *so, const struct bt_torrent_cb *cb, void *ud);

/* Give t the link's x.pe peers that are numeric addresses; skipped(ud,
 * host) for each other one (names are not looked up; skipped may be
 * NULL). */
void bt_dl_magnet_peers(struct bt_torrent *t, const struct bt_magnet *mg,
	void (*skipped)(void *ud, const char *host), void *ud);

/* BEP 53: the file priorities of so= for a torrent of nfiles files (1
 * selected, -1 skipped), or NULL when the link selects every file. */
int8_t *bt_dl_magnet_prio(const struct bt_magnet *mg, size_t nfiles);

/* Save the metadata torrent[0..n) as <root>.torrent (atomically): the new
 * path, or NULL with errno set. */
char *bt_dl_magnet_save(const char *root, const uint8_t *torrent, size_t n);

#endif
