/* peer_msgs.c - the message layer of one connection: what we say after
 * the handshake, every message the peer sends and our requests (see
 * torrent_int.h; extension messages are in ext.c).
 *
 * The transport (peer_io.h) hands us bytes; we never touch the socket. */
#include "torrent_int.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "storage.h"

/* BEP 16: offer p the piece seen least (by the HAVEs of every peer) that
 * is not on offer to another peer; ties at random. */
void
peer_superseed_offer(struct peer *p)
{
	struct bt_torrent *s = p->s;
	uint32_t n = s->have.n, best = n, start, bestc = UINT32_MAX;

	if (!s->seen || !n)
		return;
	start = (uint32_t)(tor_rnd(s) % n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (start + k) % n;
		if (s->seen[i] >= bestc || bt_bitfield_test(&p->has, i))
			continue;
		int taken = 0;
		for (size_t j = 0; j < s->nconns && !taken; j++)
			taken = s->conns[j] != p && !s->conns[j]->dead &&
				s->conns[j]->offered == (int64_t)i;
		if (taken)
			continue;
		best = i;
		bestc = s->seen[i];
		if (bestc == 0)
			break;
	}
	if (best == n)
		return;
	p->offered = best;
	bt_pw_write_have(bt_pio_out(p->io), best);
}

/* After the handshake: what we have (BEP 6: the bitfield, or have all /
 * have none, comes first), then our extension handshake. */
void
peer_send_have_state(struct peer *p)
{
	struct bt_torrent *s = p->s;
	int super = s->o.super_seeder && s->state == BT_TORRENT_SEEDING;
	int complete = bt_bitfield_complete(&s->have);
	uint32_t hole[4], nh = 0;

	if (super || s->have.have == 0) {
		/* BEP 16 super-seeding shows nothing at first. */
		if (p->fast)
			bt_pw_write_have_none(bt_pio_out(p->io));
	} else if (p->fast && complete && !s->o.breakup_seed_bitfield) {
		bt_pw_write_have_all(bt_pio_out(p->io));
	} else {
		size_t n;
		const uint8_t *bits = bt_bitfield_to_wire(&s->have, &n);
		bt_pw_write_bitfield(bt_pio_out(p->io), bits, n);
		if (s->o.breakup_seed_bitfield && complete && s->have.n > 4 && !bt_pio_out(p->io)->err) {
			/* BitTornado: a seed's bitfield with 2-4 of the first 32
			 * pieces left out, sent as HAVEs after it, so that a
			 * watcher on the wire cannot tell seeds at a glance. */
			uint8_t *sent = bt_pio_out(p->io)->p + bt_pio_out(p->io)->len - n;
			uint32_t lim = s->have.n < 32 ? s->have.n : 32;
			nh = 2 + (uint32_t)(tor_rnd(s) % 3);
			for (uint32_t k = 0; k < nh; k++) {
				hole[k] = (uint32_t)(tor_rnd(s) % lim);
				sent[hole[k] / 8] &= (uint8_t)~(0x80u >> (hole[k] % 8));
			}
		}
	}
	if (p->ltep)
		ext_send_handshake(p);
	if (super)
		peer_superseed_offer(p);
	for (uint32_t k = 0; k < nh; k++)
		bt_pw_write_have(bt_pio_out(p->io), hole[k]);
}

void
peer_set_interest(struct peer *p, int want)
{
	if (p->am_interested == want)
		return;
	p->am_interested = (uint8_t)want;
	if (want)
		bt_pw_write_interested(bt_pio_out(p->io));
	else
		bt_pw_write_not_interested(bt_pio_out(p->io));
}

void
peer_update_interest(struct peer *p)
{
	struct bt_torrent *s = p->s;
	int want = s->state == BT_TORRENT_DOWNLOADING &&
		bt_picker_interesting(s->pk, &p->has);
	peer_set_interest(p, want);
}

static void
peer_became_seed_check(struct peer *p)
{
	struct bt_torrent *s = p->s;

	p->seed = bt_bitfield_complete(&p->has);
	if (p->seed && s->state == BT_TORRENT_SEEDING)
		peer_kill(p, "both seeds");
}

static int
find_request(const struct peer *p, uint32_t piece, uint32_t begin, uint32_t len)
{
	for (unsigned i = 0; i < p->nrq; i++)
		if (p->rq[i].piece == piece && p->rq[i].begin == begin &&
			(len == 0 || p->rq[i].len == len))
			return (int)i;
	return -1;
}

static void
remove_request(struct peer *p, unsigned i)
{
	memmove(p->rq + i, p->rq + i + 1, (p->nrq - i - 1) * sizeof(p->rq[0]));
	p->nrq--;
}

/* A block came: if it answers the probe, a round-trip sample. */
static void
rtt_sample(struct peer *p, uint32_t piece, uint32_t begin)
{
	uint64_t d;

	if (!p->probe_ms || p->probe.piece != piece || p->probe.begin != begin)
		return;
	d = tor_now(p->s) - p->probe_ms;
	if (d > 60000)
		d = 60000;
	p->rtt_ms = p->rtt_ms ? (uint32_t)((7 * (uint64_t)p->rtt_ms + d) / 8) : (uint32_t)d + 1;
	p->probe_ms = 0;
}

/* Cancel and give back the requests out to p for piece. */
void
peer_drop_piece_requests(struct peer *p, uint32_t piece)
{
	unsigned j = 0;

	for (unsigned i = 0; i < p->nrq; i++) {
		struct bt_block *b = &p->rq[i];
		if (b->piece != piece) {
			p->rq[j++] = *b;
			continue;
		}
		bt_pw_write_cancel(bt_pio_out(p->io), b->piece, b->begin, b->len);
		bt_picker_unrequest(p->s->pk, b->piece, b->begin);
	}
	p->nrq = j;
}

/* Give back every request out to p. */
void
peer_drop_requests(struct peer *p)
{
	for (unsigned i = 0; i < p->nrq; i++)
		bt_picker_unrequest(p->s->pk, p->rq[i].piece, p->rq[i].begin);
	p->nrq = 0;
}

static int
handle_request(struct peer *p, const struct bt_pw_msg *m)
{
	struct bt_torrent *s = p->s;
	uint32_t psize;

	if (m->index >= s->m->npieces)
		return -1;
	psize = bt_storage_piece_size(s->st, m->index);
	if (m->length > s->o.max_slice || m->begin > psize ||
		m->length > psize - m->begin)
		return -1;
	if (!p->up && !p->am_choking)
		p->up = malloc(UPQ_MAX * sizeof(*p->up));
	if (!bt_bitfield_test(&s->have, m->index) || p->am_choking || !p->up ||
		p->nup == UPQ_MAX || (s->seen && p->offered != (int64_t)m->index)) {
		if (p->fast)
			bt_pw_write_reject(bt_pio_out(p->io), m->index, m->begin, m->length);
		return 0;
	}
	struct bt_block *b = &p->up[(p->up_head + p->nup) % UPQ_MAX];
	b->piece = m->index;
	b->begin = m->begin;
	b->len = m->length;
	p->nup++;
	upload_pump(p);
	return 0;
}

static void
handle_cancel(struct peer *p, const struct bt_pw_msg *m)
{
	for (unsigned k = 0; k < p->nup; k++) {
		struct bt_block *b = &p->up[(p->up_head + k) % UPQ_MAX];
		if (b->piece == m->index && b->begin == m->begin && b->len == m->length) {
			/* Shift the rest down over it. */
			for (unsigned j = k; j + 1 < p->nup; j++)
				p->up[(p->up_head + j) % UPQ_MAX] =
					p->up[(p->up_head + j + 1) % UPQ_MAX];
			p->nup--;
			return;
		}
	}
}

/* One message; -1 closes the connection. */
static int
handle_msg(struct peer *p, const struct bt_pw_msg *m)
{
	struct bt_torrent *s = p->s;
	int i;

	if (!s->m)
		return nometa_msg(p, m);
	/* Whether a bitfield (or have all / have none) was seen yet. */
	if (m->id == BT_PW_BITFIELD || m->id == BT_PW_HAVE_ALL || m->id == BT_PW_HAVE_NONE)
		p->got_bf = 1;
	switch (m->id) {
	case BT_PW_KEEPALIVE:
		return 0;
	case BT_PW_CHOKE:
		p->peer_choking = 1;
		if (!p->fast)
			peer_drop_requests(p);
		return 0;
	case BT_PW_UNCHOKE:
		p->peer_choking = 0;
		p->last_block_ms = tor_now(s);
		peer_fill_requests(p);
		return 0;
	case BT_PW_INTERESTED:
		p->peer_interested = 1;
		if (p->am_choking)
			choker_rechoke(s);
		return 0;
	case BT_PW_NOT_INTERESTED:
		p->peer_interested = 0;
		if (!p->am_choking)
			choker_rechoke(s);
		return 0;
	case BT_PW_HAVE:
		if (s->seen && s->seen[m->index] < UINT16_MAX)
			s->seen[m->index]++;
		if (s->seen && p->offered == (int64_t)m->index) {
			p->offered = -1;
			peer_superseed_offer(p);
		}
		if (bt_bitfield_set(&p->has, m->index) == 1) {
			bt_picker_peer_have(s->pk, m->index);
			s->swarm_have_tick += bt_storage_piece_size(s->st, m->index);
			p->have_tick += bt_storage_piece_size(s->st, m->index);
			if (!p->am_interested)
				peer_update_interest(p);
			peer_became_seed_check(p);
			if (p->am_interested)
				peer_fill_requests(p);
		}
		return 0;
	case BT_PW_HAVE_ALL:
	case BT_PW_HAVE_NONE:
	case BT_PW_BITFIELD:
		/* BEP 3 wants it first, but some clients (aria2) follow a
		 * have none with a bitfield: take the latest as the truth. */
		if (p->has.have)	/* HAVEs before it too: counted once */
			bt_picker_peer_bitfield(s->pk, &p->has, -1);
		if (m->id == BT_PW_BITFIELD) {
			if (bt_bitfield_from_wire(&p->has, m->payload, m->payload_len) < 0)
				return -1;
		} else if (m->id == BT_PW_HAVE_ALL) {
			bt_bitfield_set_all(&p->has);
		} else {
			bt_bitfield_clear_all(&p->has);
		}
		bt_picker_peer_bitfield(s->pk, &p->has, +1);
		peer_update_interest(p);
		peer_became_seed_check(p);
		return 0;
	case BT_PW_REQUEST:
		return handle_request(p, m);
	case BT_PW_CANCEL:
		handle_cancel(p, m);
		return 0;
	case BT_PW_PIECE:
		i = find_request(p, m->index, m->begin, m->length);
		if (i < 0)
			return 0;	/* not asked for (or cancelled): drop */
		remove_request(p, (unsigned)i);
		p->last_block_ms = tor_now(s);
		p->snubbed = 0;
		rtt_sample(p, m->index, m->begin);
		p->dl_tick += m->length;
		p->downloaded += m->length;
		pieces_got_block(s, p, m->index, m->begin, m->payload, m->length);
		p->refill = 1;	/* more requests once the batch is parsed */
		return 0;
	case BT_PW_REJECT:
		i = find_request(p, m->index, m->begin, m->length);
		if (i >= 0) {
			bt_picker_unrequest(s->pk, m->index, m->begin);
			remove_request(p, (unsigned)i);
		}
		return 0;
	case BT_PW_EXTENDED:
		return ext_got(p, m);
	default:	/* port, suggest, allowed fast, unknown: nothing to do */
		return 0;
	}
}

/* The transport's bytes: every complete message in buf[0..len). */
static ssize_t
on_data(void *ud, const uint8_t *buf, size_t len)
{
	struct peer *p = ud;
	size_t off = 0;

	while (!p->dead && off < len) {
		struct bt_pw_msg m;
		int rc = bt_pw_parse(buf + off, len - off, &p->s->lim, &m);
		if (rc == BT_E_PARTIAL)
			break;
		if (rc < 0 || handle_msg(p, &m) < 0)
			return -1;
		off += (size_t)rc;
	}
	return (ssize_t)off;
}

static void
on_read_done(void *ud)
{
	struct peer *p = ud;

	if (p->dead)
		return;
	if (p->refill) {
		p->refill = 0;
		peer_fill_requests(p);	/* flushes too */
	} else {
		peer_flush(p);
	}
}

static void
on_drained(void *ud)
{
	upload_pump(ud);
}

static void
on_closed(void *ud, const char *why)
{
	peer_kill(ud, why);
}

const struct bt_pio_cb peer_msgs_cb = {
	.data = on_data,
	.read_done = on_read_done,
	.drained = on_drained,
	.closed = on_closed,
};

static int
outstanding_cb(void *ud, uint32_t piece, uint32_t begin)
{
	return find_request(ud, piece, begin, 0) >= 0;
}

/* The requests to keep out to p: its rate (rising at once, dl_fast)
 * times the round trip plus PIPE_SLACK_S (the peer's own delays: disk,
 * its loop, a client that answers once a second), at least RQ_MIN, within
 * what the peer says it can queue.  From RQ_MIN the pipeline grows
 * about 1 s / round trip times each tick while the peer keeps up. */
#define PIPE_SLACK_S	1.0

static unsigned
pipeline_target(const struct peer *p)
{
	double blocks = p->dl_fast * (p->rtt_ms / 1000.0 + PIPE_SLACK_S) / BT_PICK_BLOCK;
	unsigned t = blocks < RQ_MAX ? (unsigned)blocks + RQ_MIN : RQ_MAX;
	if (t > p->reqq)
		t = p->reqq;
	if (t > RQ_MAX)
		t = RQ_MAX;
	return t;
}

void
peer_fill_requests(struct peer *p)
{
	struct bt_torrent *s = p->s;
	struct bt_block b[64];
	unsigned target;
	int limited = bt_band_limited(&s->down_band);

	if (p->dead || p->peer_choking || !p->am_interested || p->snubbed ||
		s->state != BT_TORRENT_DOWNLOADING)
		return;
	target = pipeline_target(p);
	while (p->nrq < target) {
		size_t want = target - p->nrq, n;
		if (want > 64)
			want = 64;
		if (limited) {
			size_t afford = bt_band_allow(&s->down_band);
			if (afford == 0)
				break;
			afford = afford / BT_PICK_BLOCK + 1;
			if (want > afford)
				want = afford;
		}
		n = bt_picker_pick(s->pk, &p->has, NULL, outstanding_cb, p, b, want);
		if (n == 0)
			break;
		if (p->nrq == 0) {	/* times the round trip */
			p->probe = b[0];
			p->probe_ms = tor_now(s);
		}
		for (size_t i = 0; i < n; i++) {
			p->rq[p->nrq++] = b[i];
			bt_pw_write_request(bt_pio_out(p->io), b[i].piece, b[i].begin, b[i].len);
			if (limited)
				bt_band_use(&s->down_band, b[i].len);
		}
	}
	if (p->nrq == 0 && !bt_picker_endgame(s->pk))
		peer_update_interest(p);
	peer_flush(p);
}

/* In endgame a block can be out to several peers: cancel the others. */
void
peer_cancel_elsewhere(struct bt_torrent *s, struct peer *from, uint32_t piece,
	uint32_t begin)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		int k;
		if (q == from || q->dead)
			continue;
		k = find_request(q, piece, begin, 0);
		if (k < 0)
			continue;
		bt_pw_write_cancel(bt_pio_out(q->io), piece, begin, q->rq[k].len);
		bt_picker_unrequest(s->pk, piece, begin);
		remove_request(q, (unsigned)k);
		peer_flush(q);
	}
}
