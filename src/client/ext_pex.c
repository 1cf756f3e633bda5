/* ext_pex.c - BEP 11 ut_pex, peer exchange, both ways (the message's
 * bytes are src/codec/pex.c).
 *
 * Telling: to each peer that has ut_pex, PEX_FIRST_MS after its extended
 * handshake and then at most once every PEX_EVERY_MS, the change between
 * the peers we are connected to now and what we last told it: at most
 * PEX_PER_MSG added and PEX_PER_MSG dropped.  A peer is told by its
 * listening address: ours for those we dialled (flagged reachable), the
 * address with the `p` of its extended handshake for those that dialled
 * us (left out without one).  What a peer was told is kept per peer, at
 * most PEX_SENT_MAX addresses.
 *
 * Hearing: a message over BT_PEX_MSG_MAX bytes or with a list of the
 * wrong length closes the connection; one sooner than PEX_RX_GAP_MS after
 * the last is ignored; at most PEX_TAKE_MAX added addresses of a message
 * join the torrent's queue (peer_add_pending), dropped ones are ignored.
 *
 * Private torrents (BEP 27) neither offer nor use ut_pex; a torrent that
 * still fetches its metadata offers it (the flag is not known yet) and
 * uses it only once the metadata says the torrent is not private. */
#include "torrent_int.h"

#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "buf.h"
#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "pex.h"

#define PEX_FIRST_MS	3000
#define PEX_EVERY_MS	60000
#define PEX_RX_GAP_MS	30000
#define PEX_PER_MSG	50
#define PEX_SENT_MAX	250
#define PEX_TAKE_MAX	100

/* p->ext_data[EXT_PEX] */
struct pex_state {
	uint64_t next_ms;	/* our next message */
	uint64_t rx_ms;		/* the last message taken, 0: none */
	size_t nsent;
	struct bt_pex_peer sent[PEX_SENT_MAX];	/* what the peer was told */
};

static int
offered(const struct bt_torrent *s)
{
	return !s->m || s->m->priv <= 0;
}

static int
usable(const struct bt_torrent *s)
{
	return s->m && s->m->priv <= 0 && tor_peers_ok(s);
}

/* q's listening address and flags, as we would tell it; 0 if we do not
 * know where it listens. */
static int
listen_addr(const struct peer *q, struct bt_pex_peer *out)
{
	struct sockaddr_storage a = q->addr;
	uint8_t c[BT_ADDR_COMPACT6];
	size_t k;

	if (q->dead || (q->incoming && !q->listen_port))
		return 0;
	if (q->incoming)
		bt_addr_set_port(&a, q->listen_port);
	k = bt_addr_pack(c, &a);
	if (k != 6 && k != 18)
		return 0;
	memset(out, 0, sizeof(*out));
	out->len = (uint8_t)(k - 2);
	memcpy(out->ip, c, out->len);
	out->port = get16(c + out->len);
	out->flags = (uint8_t)((q->seed || q->upload_only ? BT_PEX_F_SEED : 0) |
		(q->incoming ? 0 : BT_PEX_F_REACHABLE));
	return out->port != 0;
}

static int
connected(const struct bt_torrent *s, const struct bt_pex_peer *e)
{
	struct bt_pex_peer x;

	for (size_t i = 0; i < s->nconns; i++)
		if (listen_addr(s->conns[i], &x) && bt_pex_peer_eq(&x, e))
			return 1;
	return 0;
}

static int
told(const struct pex_state *ps, const struct bt_pex_peer *e)
{
	for (size_t i = 0; i < ps->nsent; i++)
		if (bt_pex_peer_eq(&ps->sent[i], e))
			return 1;
	return 0;
}

/* What p was told and is gone now: out of ps->sent into out[]. */
static size_t
diff_dropped(struct peer *p, struct pex_state *ps, struct bt_pex_peer *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->nsent && n < PEX_PER_MSG;) {
		if (connected(p->s, &ps->sent[i])) {
			i++;
			continue;
		}
		out[n++] = ps->sent[i];
		ps->sent[i] = ps->sent[--ps->nsent];
	}
	return n;
}

/* Our peers p was not told of (not p itself): into ps->sent and out[]. */
static size_t
diff_added(struct peer *p, struct pex_state *ps, struct bt_pex_peer *out)
{
	struct bt_torrent *s = p->s;
	struct bt_pex_peer e, self;
	int has_self = listen_addr(p, &self);
	size_t n = 0;

	for (size_t i = 0; i < s->nconns && n < PEX_PER_MSG && ps->nsent < PEX_SENT_MAX; i++) {
		struct peer *q = s->conns[i];
		if (q == p || !listen_addr(q, &e) || told(ps, &e) ||
			(has_self && bt_pex_peer_eq(&e, &self)))
			continue;
		out[n++] = e;
		ps->sent[ps->nsent++] = e;
	}
	return n;
}

static void
send_update(struct peer *p, struct pex_state *ps)
{
	struct bt_pex_peer added[PEX_PER_MSG], dropped[PEX_PER_MSG];
	size_t nd = diff_dropped(p, ps, dropped);
	size_t na = diff_added(p, ps, added);
	struct bt_buf b;

	if (!na && !nd)
		return;
	bt_buf_init(&b, 0);
	if (bt_pex_write(&b, added, na, dropped, nd) == 0)
		ext_send(p, EXT_PEX, b.p, b.len);
	bt_buf_free(&b);
	peer_flush(p);
}

static void
hello(struct peer *p, const struct bt_pw_exthandshake *h)
{
	struct pex_state *ps = p->ext_data[EXT_PEX];

	(void)h;
	if (!ps && !(ps = p->ext_data[EXT_PEX] = calloc(1, sizeof(*ps))))
		return;
	ps->next_ms = tor_now(p->s) + PEX_FIRST_MS;
}

static void
tick(struct peer *p, uint64_t now)
{
	struct pex_state *ps = p->ext_data[EXT_PEX];

	if (!ps || !usable(p->s) || now < ps->next_ms)
		return;
	ps->next_ms = now + PEX_EVERY_MS;
	send_update(p, ps);
}

/* The added peers of list l of m, at most room of them, into out. */
static size_t
take(const struct bt_pex_msg *m, enum bt_pex_list l, struct sockaddr_storage *out,
	size_t room)
{
	size_t es = l == BT_PEX_ADDED ? 6 : 18, n = 0;

	for (size_t i = 0; i < m->n[l] && n < room; i++)
		if (bt_addr_unpack(&out[n], m->list[l] + i * es, es) == 0)
			n++;
	return n;
}

static int
handle(struct peer *p, const uint8_t *payload, size_t n)
{
	struct pex_state *ps = p->ext_data[EXT_PEX];
	struct sockaddr_storage *a;
	struct bt_pex_msg m;
	uint64_t now = tor_now(p->s);
	size_t k;
	int rc;

	if (!ps || !usable(p->s))
		return 0;
	if ((rc = bt_pex_parse(&m, payload, n)) < 0)
		return rc == BT_E_NOMEM ? 0 : -1;
	if (ps->rx_ms && now - ps->rx_ms < PEX_RX_GAP_MS)
		return 0;	/* too often: ignored */
	ps->rx_ms = now ? now : 1;
	if (!(a = malloc(PEX_TAKE_MAX * sizeof(*a))))
		return 0;
	k = take(&m, BT_PEX_ADDED, a, PEX_TAKE_MAX);
	k += take(&m, BT_PEX_ADDED6, a + k, PEX_TAKE_MAX - k);
	peer_add_pending(p->s, a, k);
	free(a);
	return 0;
}

static void
bye(struct peer *p)
{
	free(p->ext_data[EXT_PEX]);
	p->ext_data[EXT_PEX] = NULL;
}

const struct ext ext_pex = {
	.name = "ut_pex",
	.hello = hello,
	.handle = handle,
	.tick = tick,
	.bye = bye,
	.offered = offered,
};
