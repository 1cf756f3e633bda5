/* upload.c - serving the peers' requests, under the bandwidth tree
 * (see torrent_int.h and bandwidth.h). */
#include "torrent_int.h"

#include "err.h"
#include "storage.h"

static void pump_once(struct peer *p, int *sentp);

/* A read of piece found file missing or short (it was cut or deleted
 * behind our back): the pieces of the file whose bytes are no longer all
 * there are not had any more (piece itself in any case), so they are
 * downloaded again; a seed becomes a downloader.  One message, naming
 * the file.  Peers with lt_donthave (BEP 54) are told of each lost piece;
 * of the others, those that want something from us (they were told we
 * have the lost pieces, and would ask for them again and again) are
 * dropped, to come back and see what we have now; the rest stay (they
 * may have what we lost). */
static void
lose_pieces(struct bt_torrent *s, uint32_t piece, long file)
{
	uint32_t a = piece, b = piece, n = 0;
	char path[1024];

	if (file >= 0 && bt_storage_file_pieces(s->st, (size_t)file, &a, &b) < 0)
		a = b = piece;
	if (piece < a || piece > b)
		a = b = piece;
	for (uint32_t q = a; q <= b; q++) {
		if (!bt_bitfield_test(&s->have, q))
			continue;
		int r = q == piece ? 0 : bt_storage_piece_present(s->st, q);
		if (r < 0) {
			tor_fail(s, r, "IO Error");
			return;
		}
		if (r)
			continue;
		bt_bitfield_clear(&s->have, q);
		bt_picker_lost(s->pk, q);
		if (bt_storage_piece_prio(s->st, q) != BT_PRIO_SKIP)
			s->have_bytes -= bt_storage_piece_size(s->st, q);
		donthave_tell(s, q);
		n++;
	}
	if (!n)
		return;
	tor_say(s, 'E', "%s is missing or shorter than the torrent says: "
		"%u piece%s will be downloaded again",
		file >= 0 && bt_storage_path(s->st, file, path, sizeof(path)) ? path : "a file",
		n, n == 1 ? "" : "s");
	if (s->state == BT_TORRENT_SEEDING && bt_picker_wanted(s->pk) > 0) {
		s->state = BT_TORRENT_DOWNLOADING;
		s->last_more_ms = 0;	/* ask the trackers for peers soon */
	}
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		if (!q->dead && q->peer_interested && !q->ext_ids[EXT_DONTHAVE])
			peer_kill(q, "told of pieces we lost");
		if (q->dead || q->am_interested)
			continue;
		peer_update_interest(q);
		if (q->am_interested)
			peer_flush(q);
	}
	client_wake(s->c);
}

/* Blocks are read into the send queue until it holds this much (four
 * times the transport's refill mark): fewer, larger sends and fewer
 * refills.  The transport also asks for a refill at the end of every read
 * (cb->drained), so requests that came while the queue was full are
 * served then, not only when the socket drains. */
#define UP_FILL		(256u << 10)

/* Serve p's queue while the socket takes it, a few rounds; with more
 * left (the socket took everything: loopback, a fast link) the rest goes
 * on the next writable event, after the other connections' turns.
 * Without that, a peer that keeps many requests out and sends new ones
 * only as blocks come (Transmission) would wait for its own time-out. */
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
	if (!p->dead && p->nup && !p->am_choking && !bt_band_limited(&p->s->up_band))
		bt_pio_want_drained(p->io);
}

static void
pump_once(struct peer *p, int *sentp)
{
	struct bt_torrent *s = p->s;
	int sent = 0;

	int limited = bt_band_limited(&s->up_band);

	while (!p->dead && p->nup && !p->am_choking && bt_pio_queued(p->io) < UP_FILL) {
		struct bt_block b = p->up[p->up_head];
		struct bt_buf *out = bt_pio_out(p->io);
		size_t mark = out->len;
		uint8_t *dst;
		int rc;

		if (limited && bt_band_allow(&s->up_band) == 0)
			break;
		p->up_head = (p->up_head + 1) % UPQ_MAX;
		p->nup--;
		if (!bt_bitfield_test(&s->have, b.piece)) {
			/* Lost since it was asked for. */
			if (p->fast)
				bt_pw_write_reject(out, b.piece, b.begin, b.len);
			continue;
		}
		bt_pw_write_piece_header(out, b.piece, b.begin, b.len);
		dst = bt_buf_reserve(out, b.len);
		if (!dst) {
			peer_kill(p, "out of memory");
			return;
		}
		rc = bt_storage_read(s->st, b.piece, b.begin, dst, b.len);
		if (rc == BT_E_NOENT) {
			out->len = mark;	/* take the header back */
			lose_pieces(s, b.piece, bt_storage_last_file(s->st));
			if (s->failed || p->dead)
				return;
			if (p->fast)
				bt_pw_write_reject(out, b.piece, b.begin, b.len);
			continue;
		}
		if (rc < 0) {
			tor_fail(s, rc, "IO Error");
			return;
		}
		bt_buf_commit(out, b.len);
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
