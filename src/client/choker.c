/* choker.c - BitTornado's choker: rate-ranked upload slots, free
 * unchokes for the uninterested, optimistic rotation (see torrent_int.h). */
#include "torrent_int.h"

#include <stdlib.h>


static double
choke_rate(const struct bt_torrent *s, const struct peer *p)
{
	return s->state == BT_TORRENT_SEEDING ? p->ul_rate : p->dl_rate;
}

static void
set_choke(struct peer *p, int choke)
{
	if (p->am_choking == choke)
		return;
	p->am_choking = (uint8_t)choke;
	if (choke) {
		bt_pw_write_choke(bt_pio_out(p->io));
		if (p->fast)
			for (unsigned k = 0; k < p->nup; k++) {
				struct bt_block *b = &p->up[(p->up_head + k) % UPQ_MAX];
				bt_pw_write_reject(bt_pio_out(p->io), b->piece, b->begin, b->len);
			}
		p->nup = 0;
	} else {
		bt_pw_write_unchoke(bt_pio_out(p->io));
	}
	peer_flush(p);
}

/* BitTornado's rule: the best max_uploads-1 interested peers by rate (at
 * least 1000 B/s, not snubbed) are unchoked; then, walking the list in
 * order, further peers are unchoked until max_uploads interested peers
 * are and at least one optimistic one was; uninterested peers passed on
 * the way are unchoked for free; the rest are choked. */
static int
by_rate_desc(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;
	double rx = choke_rate(x->s, x), ry = choke_rate(y->s, y);
	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

void
choker_rechoke(struct bt_torrent *s)
{
	struct peer **best;
	size_t nbest = 0;
	unsigned slots = s->o.max_uploads ? s->o.max_uploads : 1, count, hit = 0;

	best = malloc((s->nconns + 1) * sizeof(*best));
	if (!best)
		return;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!p->dead && p->peer_interested && !p->snubbed &&
			choke_rate(s, p) >= 1000)
			best[nbest++] = p;
	}
	qsort(best, nbest, sizeof(*best), by_rate_desc);
	if (nbest > slots - 1)
		nbest = slots - 1;
	for (size_t i = 0; i < s->nconns; i++)
		s->conns[i]->pref = 0;
	for (size_t k = 0; k < nbest; k++)
		best[k]->pref = 1;
	free(best);
	count = (unsigned)nbest;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (p->pref) {
			set_choke(p, 0);
		} else if (count < slots || !hit) {
			set_choke(p, 0);
			if (p->peer_interested) {
				count++;
				hit = 1;
			}
		} else {
			set_choke(p, 1);
		}
	}
	s->last_rechoke_ms = tor_now(s);
}

/* Optimistic rotation: the first choked, interested peer moves to the
 * front of the list. */
static void
reverse(struct peer **a, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct peer *t = a[i];
		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
}

void
choker_rotate(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!p->dead && p->am_choking && p->peer_interested) {
			/* Rotate left by i in place: three reversals. */
			reverse(s->conns, i);
			reverse(s->conns + i, s->nconns - i);
			reverse(s->conns, s->nconns);
			return;
		}
	}
}
