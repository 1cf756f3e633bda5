/* nometa.c - a torrent before its metadata (a magnet link's): started,
 * it announces to the magnet's trackers and takes peers in and out as a
 * running torrent does, but has nothing to offer (HAVE NONE to fast
 * peers, no bitfield) and cannot place pieces yet, so what peers say
 * they have is kept as sent and applied when the metadata comes
 * (ext_metadata.c fetches it).  See torrent_int.h. */
#include "torrent_int.h"

#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "client.h"
#include "err.h"
#include "metainfo.h"
#include "picker.h"

/* Largest bitfield kept: BT_BITFIELD_MAX pieces. */
#define PRE_BITS_MAX	(BT_BITFIELD_MAX / 8)

void
nometa_start(struct bt_torrent *s)
{
	/* Message limits without a piece count: blocks of the usual size,
	 * the extended messages of ut_metadata, bitfields of any length
	 * the shared receive buffer holds. */
	s->lim.max_message = (256u << 10) - BT_PW_HANDSHAKE_LEN - 4;
	s->lim.max_block = BT_PW_MAX_BLOCK;
	s->lim.npieces = 0;
	s->lim.fast = 1;
	s->lim.allow_unknown = 1;
	s->last_more_ms = tor_now(s);
	tor_start_announcer(s);
	peer_connect_some(s);
	client_wake(s->c);
}

int
nometa_tick(struct bt_torrent *s, uint64_t now, double dt)
{
	size_t retrying;

	tor_update_rates(s, dt);
	tor_tick_peers(s, now, 1, &retrying);
	return 1;	/* waiting for the metadata is something going on */
}

/* Set bit i of the kept bitfield, growing it. */
static int
pre_set(struct peer *p, uint32_t i)
{
	uint32_t need = i / 8 + 1;

	if (i >= BT_BITFIELD_MAX)
		return -1;
	if (need > p->pre_len) {
		uint8_t *b = realloc(p->pre_bits, need);
		if (!b)
			return -1;
		memset(b + p->pre_len, 0, need - p->pre_len);
		p->pre_bits = b;
		p->pre_len = need;
	}
	p->pre_bits[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return 0;
}

static int
pre_bitfield(struct peer *p, const uint8_t *bits, size_t n)
{
	uint8_t *b;

	if (n > PRE_BITS_MAX)
		return -1;
	if (!(b = malloc(n ? n : 1)))
		return -1;
	memcpy(b, bits, n);
	free(p->pre_bits);
	p->pre_bits = b;
	p->pre_len = (uint32_t)n;
	p->pre_all = 0;
	return 0;
}

int
nometa_msg(struct peer *p, const struct bt_pw_msg *m)
{
	switch (m->id) {
	case BT_PW_CHOKE:
		p->peer_choking = 1;
		return 0;
	case BT_PW_UNCHOKE:
		p->peer_choking = 0;
		return 0;
	case BT_PW_INTERESTED:
		p->peer_interested = 1;
		return 0;
	case BT_PW_NOT_INTERESTED:
		p->peer_interested = 0;
		return 0;
	case BT_PW_HAVE:
		return pre_set(p, m->index);
	case BT_PW_HAVE_ALL:
		p->got_bf = 1;
		p->pre_all = 1;
		return 0;
	case BT_PW_HAVE_NONE:
		p->got_bf = 1;
		p->pre_all = 0;
		p->pre_len = 0;
		return 0;
	case BT_PW_BITFIELD:
		p->got_bf = 1;
		return pre_bitfield(p, m->payload, m->payload_len);
	case BT_PW_REQUEST:
		/* We have nothing: a fast peer hears so. */
		if (p->fast)
			bt_pw_write_reject(bt_pio_out(p->io), m->index, m->begin, m->length);
		return 0;
	case BT_PW_EXTENDED:
		return ext_got(p, m);
	default:	/* pieces we did not ask for, cancels, the rest */
		return 0;
	}
}

/* One peer's kept bits into p->has (sized for the metadata). */
static int
adopt_peer(struct peer *p, uint32_t npieces)
{
	struct bt_torrent *s = p->s;

	if (bt_bitfield_init(&p->has, npieces) < 0)
		return -1;
	if (p->pre_all) {
		bt_bitfield_set_all(&p->has);
	} else {
		for (uint32_t k = 0; k < p->pre_len; k++) {
			if (!p->pre_bits[k])
				continue;
			for (uint32_t b = 0; b < 8; b++) {
				uint32_t i = k * 8 + b;
				if (!(p->pre_bits[k] & (0x80u >> b)))
					continue;
				if (i >= npieces)
					return -1;	/* a piece that is not there */
				bt_bitfield_set(&p->has, i);
			}
		}
	}
	free(p->pre_bits);
	p->pre_bits = NULL;
	p->pre_len = 0;
	bt_picker_peer_bitfield(s->pk, &p->has, +1);
	p->seed = bt_bitfield_complete(&p->has);
	return 0;
}

void
nometa_adopt(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!p->dead && !p->has.bits && adopt_peer(p, (uint32_t)s->m->npieces) < 0)
			peer_kill(p, "bad bitfield");
		else if (!p->dead && p->ltep)
			ext_withdraw(p);	/* a private torrent: no ut_pex */
	}
}

void
nometa_live(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		/* Too late for a bitfield: what the check found, as HAVEs. */
		for (uint32_t k = bt_bitfield_first_set(&s->have, 0); k < s->have.n;
			k = bt_bitfield_first_set(&s->have, k + 1))
			bt_pw_write_have(bt_pio_out(p->io), k);
		if (p->seed && s->state == BT_TORRENT_SEEDING) {
			peer_kill(p, "both seeds");
			continue;
		}
		peer_update_interest(p);
		peer_flush(p);
	}
	choker_rechoke(s);
}

void
nometa_deliver(struct bt_torrent *s, const uint8_t *buf, size_t n)
{
	struct bt_meta_err err;
	int rc;

	if (s->cb.metadata) {
		s->cb.metadata(s->ud, buf, n);
		if (!s->m)
			tor_say(s, 'E', "the metadata was fetched but not used");
		return;
	}
	s->own_meta = calloc(1, sizeof(*s->own_meta));
	s->own_buf = malloc(n);
	if (!s->own_meta || !s->own_buf) {
		tor_fail(s, BT_E_NOMEM, "metadata");
		return;
	}
	memcpy(s->own_buf, buf, n);
	if ((rc = bt_meta_parse(s->own_meta, s->own_buf, n, &err)) < 0 ||
		(rc = bt_torrent_set_meta(s, s->own_meta, NULL)) < 0)
		tor_fail(s, rc, "bad metadata");
}
