/* upload.c - serving the peers' requests, under the bandwidth tree
 * (see torrent_int.h and bandwidth.h). */
#include "torrent_int.h"

#include "storage.h"


static void pump_once(struct peer *p, int *sentp);

void
upload_pump(struct peer *p)
{
	for (int round = 0; round < 8 && !p->dead; round++) {
		int sent = 0;
		pump_once(p, &sent);
		if (!sent || p->dead)
			return;
		peer_flush(p);
		if (p->dead || bt_pio_queued(p->io))
			return;	/* the socket is full: on to BT_EV_WRITE */
	}
}

static void
pump_once(struct peer *p, int *sentp)
{
	struct bt_torrent *s = p->s;
	int sent = 0;

	int limited = bt_band_limited(&s->up_band);

	while (!p->dead && p->nup && !p->am_choking && bt_pio_queued(p->io) < BT_PIO_LOW) {
		struct bt_block b = p->up[p->up_head];
		uint8_t *dst;
		int rc;

		if (limited && bt_band_allow(&s->up_band) == 0)
			break;
		p->up_head = (p->up_head + 1) % UPQ_MAX;
		p->nup--;
		bt_pw_write_piece_header(bt_pio_out(p->io), b.piece, b.begin, b.len);
		dst = bt_buf_reserve(bt_pio_out(p->io), b.len);
		if (!dst) {
			peer_kill(p, "out of memory");
			return;
		}
		rc = bt_storage_read(s->st, b.piece, b.begin, dst, b.len);
		if (rc < 0) {
			tor_fail(s, rc, "IO Error");
			return;
		}
		bt_buf_commit(bt_pio_out(p->io), b.len);
		p->ul_tick += b.len;
		p->uploaded += b.len;
		s->uploaded += b.len;
		s->ul_tick += b.len;
		sent = 1;
		if (limited) {
			bt_band_use(&s->up_band, b.len);
			break;	/* one block a turn: the tick shares the budget */
		}
	}
	*sentp = sent;
}

/* Under an upload limit the budget is shared round-robin, one block per
 * peer per turn, starting one peer further on each tick (BitTornado's
 * RateLimiter does the same with upload_unit_size slices); the client
 * gives every torrent its turns in rotation, so one limit over all
 * torrents is shared by their peers alike. */
int
upload_turn(struct bt_torrent *s)
{
	size_t n = s->nconns;
	int progress = 0;

	for (size_t k = 0; k < n && bt_band_allow(&s->up_band) > 0; k++) {
		struct peer *p = s->conns[(s->ul_rr + k) % n];
		int sent = 0;
		if (p->dead || !p->nup || p->am_choking)
			continue;
		pump_once(p, &sent);
		if (sent) {
			progress = 1;
			peer_flush(p);
		}
	}
	return progress;
}
