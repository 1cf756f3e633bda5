/* dl_magnet.c - see dl_magnet.h */
#include "dl_magnet.h"
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "msg.h"
#include "net.h"
#include "str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
bt_dl_magnet_start(struct bt_torrent **t, struct bt_client *c, const struct bt_magnet *mg,
	const struct bt_torrent_opts *so, const struct bt_torrent_cb *cb, void *ud)
{
	struct bt_torrent_opts o = *so;
	char hex[41];
	int rc;

	bt_hex(hex, mg->info_hash, 20);
	o.root = hex;	/* for now: bt_torrent_set_root when the name is known */
	rc = bt_torrent_new(t, c, mg->info_hash, &o, cb, ud);
	if (rc == 0 && (rc = bt_torrent_set_magnet(*t, (const char *const *)mg->tr, mg->ntr,
		(const char *const *)mg->ws, mg->nws)) == 0)
		rc = bt_torrent_start(*t);
	if (rc < 0 && *t) {
		bt_torrent_free(*t);
		*t = NULL;
	}
	return rc;
}

void
bt_dl_magnet_peers(struct bt_torrent *t, const struct bt_magnet *mg,
	void (*skipped)(void *ud, const char *host), void *ud)
{
	struct sockaddr_storage a[BT_MAGNET_MAX_PEERS];
	size_t n = 0;

	for (size_t i = 0; i < mg->npeers && n < BT_MAGNET_MAX_PEERS; i++) {
		const char *h = mg->peers[i].host;
		if (bt_addr_parse(&a[n], h, strlen(h), mg->peers[i].port) == 0)
			n++;
		else if (skipped)
			skipped(ud, h);
	}
	if (n)
		bt_torrent_add_peers(t, a, n);
}

int8_t *
bt_dl_magnet_prio(const struct bt_magnet *mg, size_t nfiles)
{
	int8_t *prio;

	if (!mg->so)
		return NULL;
	prio = xcalloc(nfiles ? nfiles : 1, 1);
	for (size_t i = 0; i < nfiles; i++)
		prio[i] = bt_magnet_selected(mg, i) ? 1 : -1;
	return prio;
}

char *
bt_dl_magnet_save(const char *root, const uint8_t *torrent, size_t n)
{
	char *path = xfmt("%s.torrent", root);

	if (bt_file_write_atomic(path, torrent, n) < 0) {
		int err = errno;
		free(path);
		errno = err;
		return NULL;
	}
	return path;
}
