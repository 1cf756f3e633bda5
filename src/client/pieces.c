/* pieces.c - blocks arriving: write runs, hash checks, bad-data defence,
 * becoming a seed (see torrent_int.h). */
#include "torrent_int.h"

#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "err.h"
#include "metainfo.h"
#include "sha1.h"
#include "storage.h"


static struct contrib *
contrib_get(struct bt_torrent *s, uint32_t piece, int add)
{
	for (size_t i = 0; i < s->ncontrib; i++)
		if (s->contrib[i].piece == piece)
			return &s->contrib[i];
	if (!add)
		return NULL;
	if (s->ncontrib == s->contrib_cap) {
		size_t cap = s->contrib_cap ? s->contrib_cap * 2 : 16;
		struct contrib *c = realloc(s->contrib, cap * sizeof(*c));
		if (!c)
			return NULL;
		s->contrib = c;
		s->contrib_cap = cap;
	}
	struct contrib *c = &s->contrib[s->ncontrib++];
	memset(c, 0, sizeof(*c));
	c->piece = piece;
	return c;
}

static void
contrib_drop(struct bt_torrent *s, struct contrib *c)
{
	*c = s->contrib[--s->ncontrib];
}

static void
contrib_add(struct bt_torrent *s, uint32_t piece, const struct peer *p)
{
	struct contrib *c = contrib_get(s, piece, 1);

	if (!c || !p)
		return;
	for (unsigned i = 0; i < c->n; i++)
		if (c->serial[i] == p->serial)
			return;
	if (c->n == CONTRIB_MAX) {
		c->many = 1;
		return;
	}
	c->serial[c->n] = p->serial;
	c->addr[c->n] = p->addr;
	c->n++;
}

int
pieces_peers_helped(struct bt_torrent *s, uint32_t piece)
{
	struct contrib *c = contrib_get(s, piece, 0);
	return c && c->n;
}

void
pieces_contrib_free(struct bt_torrent *s)
{
	free(s->contrib);
	s->contrib = NULL;
	s->ncontrib = s->contrib_cap = 0;
}

void
pieces_broadcast_have(struct bt_torrent *s, uint32_t piece)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (!p->seed)	/* a seed has no use for it */
			bt_pw_write_have(bt_pio_out(p->io), piece);
		if (p->am_interested && !p->nrq)
			peer_update_interest(p);
		peer_flush(p);
	}
}

/* Super-seeding starts once we are a seed: peers met before are
 * dropped (they saw our bitfield), and reconnect to be offered pieces. */
void
pieces_superseed_start(struct bt_torrent *s)
{
	if (!s->o.super_seeder || s->seen)
		return;
	s->seen = calloc(s->have.n ? s->have.n : 1, sizeof(*s->seen));
	if (!s->seen)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		peer_kill(s->conns[i], "super-seeding");
	tor_say(s, 'I', "        ** SUPER-SEED OPERATION ACTIVE **");
}

static void
became_seed(struct bt_torrent *s)
{
	s->state = BT_TORRENT_SEEDING;
	tor_write_resume(s);
	free(s->wbuf);		/* no more write runs */
	s->wbuf = NULL;
	pieces_superseed_start(s);
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		peer_set_interest(p, 0);
		if (p->seed)
			peer_kill(p, "both seeds");
		else
			peer_flush(p);
	}
	if (!s->complete_at_start && !s->finished_sent) {
		s->finished_sent = 1;
		if (s->ann)
			bt_announcer_completed(s->ann);
		if (s->cb.finished)
			s->cb.finished(s->ud);
	}
	choker_rechoke(s);
}

static void
piece_failed(struct bt_torrent *s, uint32_t piece)
{
	struct contrib *c = contrib_get(s, piece, 0);

	s->hash_fails++;
	tor_say(s, 'E', "piece %u failed hash check, re-downloading it", piece);
	bt_picker_failed(s->pk, piece);
	if (!c)
		return;
	if (s->o.auto_kick) {
		int pts = (c->n == 1 && !c->many) ? 2 : 1;
		for (unsigned i = 0; i < c->n; i++) {
			struct ban *b = peer_ban_find(s, &c->addr[i], 1);
			if (!b)
				continue;
			b->strikes += pts;
			if (b->strikes < STRIKE_BAN)
				continue;
			for (size_t k = 0; k < s->nconns; k++)
				if (!s->conns[k]->dead &&
					peer_same_host(&s->conns[k]->addr, &c->addr[i]))
					peer_kill(s->conns[k], "banned");
		}
	}
	contrib_drop(s, c);
}

/* Blocks are gathered into runs that are contiguous within one piece and
 * written with one pwrite: 16 KiB writes into a sparse file cost the
 * kernel about ten times more per byte than 1 MiB ones.  A run holding a
 * whole piece is hashed in memory, so a good piece is never read back. */
int
pieces_run_flush(struct bt_torrent *s)
{
	int rc;

	if (!s->run_len)
		return 0;
	rc = bt_storage_write(s->st, s->run_piece, s->run_begin, s->wbuf, s->run_len);
	s->run_len = 0;
	if (rc < 0) {
		bt_picker_failed(s->pk, s->run_piece);
		tor_fail(s, rc, "IO Error");
	}
	return rc;
}

static int
run_add(struct bt_torrent *s, uint32_t piece, uint32_t begin, const uint8_t *data,
	uint32_t len)
{
	if (s->run_len && (s->run_piece != piece || s->run_begin + s->run_len != begin ||
		s->run_len + len > s->wcap))
		if (pieces_run_flush(s) < 0)
			return -1;	/* reported by run_flush */
	if (!s->wbuf && !(s->wbuf = malloc(s->wcap))) {
		tor_fail(s, BT_E_NOMEM, "IO Error");
		return -1;
	}
	if (!s->run_len) {
		s->run_piece = piece;
		s->run_begin = begin;
	}
	memcpy(s->wbuf + s->run_len, data, len);
	s->run_len += len;
	return 0;
}

static void
piece_done(struct bt_torrent *s, uint32_t piece)
{
	uint32_t size = bt_storage_piece_size(s->st, piece);
	struct contrib *c;
	int rc;

	if (s->run_len == size && s->run_piece == piece && s->run_begin == 0) {
		uint8_t h[20];
		bt_sha1(s->wbuf, size, h);
		rc = memcmp(h, s->m->pieces + (size_t)piece * 20, 20) == 0;
		if (rc == 0)
			s->run_len = 0;	/* bad data never reaches the disk */
		else if (pieces_run_flush(s) < 0)
			return;
	} else {
		if (s->run_piece == piece && pieces_run_flush(s) < 0)
			return;
		rc = bt_storage_verify(s->st, piece);
	}
	if (rc < 0) {
		tor_fail(s, rc, "IO Error");
		return;
	}
	if (rc == 0) {
		piece_failed(s, piece);
		return;
	}
	c = contrib_get(s, piece, 0);
	if (c)
		contrib_drop(s, c);
	bt_bitfield_set(&s->have, piece);
	bt_picker_have(s->pk, piece);
	s->have_bytes += size;
	pieces_broadcast_have(s, piece);
	if (bt_picker_wanted(s->pk) == 0 && s->state == BT_TORRENT_DOWNLOADING)
		became_seed(s);
}

void
pieces_got_block(struct bt_torrent *s, struct peer *from, uint32_t piece, uint32_t begin,
	const uint8_t *data, uint32_t len)
{
	int r;

	r = bt_picker_received(s->pk, piece, begin, len);
	s->downloaded += len;
	s->dl_tick += len;
	if (r < 0)
		return;	/* a duplicate in endgame */
	if (run_add(s, piece, begin, data, len) < 0)
		return;
	if (from)
		contrib_add(s, piece, from);
	if (bt_picker_endgame(s->pk))
		peer_cancel_elsewhere(s, from, piece, begin);
	if (r == 1)
		piece_done(s, piece);
}
