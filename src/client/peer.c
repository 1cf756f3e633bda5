/* peer.c - a torrent's connections: attach after the handshake, connect
 * out, kill and reap, bans, per-peer time-outs (see torrent_int.h). */
#include "torrent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "rand.h"
#include "reactor.h"
#include "storage.h"


/* Same host for "one connection per IP": loopback peers are told apart
 * by port as well, so that swarms on one machine work. */
int
peer_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sockaddr_storage x = *a, y = *b;

	if (bt_addr_is_local(a) && bt_addr_is_local(b))
		return bt_addr_equal(a, b);
	bt_addr_set_port(&x, 0);
	bt_addr_set_port(&y, 0);
	return bt_addr_equal(&x, &y);
}

struct ban *
peer_ban_find(struct bt_torrent *s, const struct sockaddr_storage *a, int add)
{
	for (size_t i = 0; i < s->nbans; i++)
		if (peer_same_host(&s->bans[i].addr, a))
			return &s->bans[i];
	if (!add || s->nbans == BANS_MAX)
		return NULL;
	if (!s->bans && !(s->bans = malloc(BANS_MAX * sizeof(*s->bans))))
		return NULL;
	s->bans[s->nbans].addr = *a;
	s->bans[s->nbans].strikes = 0;
	return &s->bans[s->nbans++];
}

int
peer_banned(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	struct ban *b = peer_ban_find(s, a, 0);
	return b && b->strikes >= STRIKE_BAN;
}

static uint64_t
reap_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;
	size_t j = 0;
	int freed = 0;

	(void)loop;
	(void)id;
	s->reap_timer = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead) {
			freed |= p->peer_interested && !p->am_choking;
			ext_bye(p);
			bt_bitfield_fini(&p->has);
			bt_pio_free(p->io);
			free(p->up);
			free(p);
		} else {
			s->conns[j++] = p;
		}
	}
	s->nconns = j;
	if (freed && s->m && tor_running(s))
		choker_rechoke(s);	/* its upload slot goes to another */
	return BT_TIMER_STOP;
}

static void
schedule_reap(struct bt_torrent *s)
{
	if (!s->reap_timer)
		s->reap_timer = bt_timer_add(s->loop, 0, reap_cb, s);
}

/* --log_peers: who went, after how long, and why. */
static void
log_gone(const struct peer *p, const char *why)
{
	char a[BT_ADDR_STRLEN];

	bt_addr_format(&p->addr, a, sizeof(a), 0);
	tor_say(p->s, 'D', "peer %s (%s, %s) gone after %llu s: %s", a, p->client,
		p->incoming ? "incoming" : "outgoing",
		(unsigned long long)((tor_now(p->s) - p->born_ms) / 1000), why);
}

void
peer_kill(struct peer *p, const char *why)
{
	struct bt_torrent *s = p->s;

	if (p->dead)
		return;
	p->dead = 1;
	if (s->o.log_peers)
		log_gone(p, why);
	if (!p->incoming)
		peer_lost(s, &p->addr, why);
	client_peer_count(s->c, -1);
	bt_pio_close(p->io);
	peer_drop_requests(p);
	if (p->has.bits)
		bt_picker_peer_bitfield(s->pk, &p->has, -1);
	if (p->seed)
		s->seen_ms[tor_rnd(s) % SEEN_MAX] = tor_now(s);
	p->nup = 0;
	schedule_reap(s);
	if (tor_running(s))
		tor_kick_webseeds(s);
}

/* Send what is queued; a failed send kills the peer. */
void
peer_flush(struct peer *p)
{
	if (p->dead)
		return;
	if (bt_pio_flush(p->io) < 0)
		peer_kill(p, "send failed");
}

static void
client_name(struct peer *p)
{
	const uint8_t *id = p->peer_id;

	if (id[0] == '-' && id[7] == '-') {
		snprintf(p->client, sizeof(p->client), "%c%c %c.%c.%c.%c", id[1], id[2],
			id[3], id[4], id[5], id[6]);
		for (char *c = p->client; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
	} else {
		snprintf(p->client, sizeof(p->client), "unknown");
	}
}

size_t
peer_live_count(const struct bt_torrent *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->dead)
			n++;
	return n;
}

unsigned
peer_conn_limit(const struct bt_torrent *s)
{
	unsigned lim = s->o.max_connections ? s->o.max_connections : CONNS_CAP;
	return lim > CONNS_CAP ? CONNS_CAP : lim;
}

static int
known(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (bt_addr_equal(&p->addr, a))
			return 1;
		if (s->o.security && peer_same_host(&p->addr, a))
			return 1;
	}
	return client_hs_known(s->c, s, a, s->o.security);
}

int
peer_may_accept(struct bt_torrent *s, const struct sockaddr_storage *addr)
{
	return tor_peers_ok(s) && !peer_banned(s, addr) &&
		peer_live_count(s) < peer_conn_limit(s) && !(s->o.security && known(s, addr));
}

static struct peer *
peer_new(struct bt_torrent *s, struct bt_peer_io *io, const struct sockaddr_storage *addr,
	int incoming)
{
	struct peer *p;

	if (s->nconns == s->conns_cap) {
		size_t cap = s->conns_cap ? s->conns_cap * 2 : 16;
		struct peer **c = realloc(s->conns, cap * sizeof(*c));
		if (!c)
			return NULL;
		s->conns = c;
		s->conns_cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->s = s;
	p->io = io;
	p->addr = *addr;
	p->incoming = (uint8_t)incoming;
	p->serial = ++s->next_serial;
	p->born_ms = tor_now(s);
	p->reqq = 250;
	p->offered = -1;
	/* New connections go in at a random place biased to the front. */
	size_t at = s->nconns ? (size_t)(tor_rnd(s) % (s->nconns + 1)) : 0;
	at = at / 2;
	memmove(s->conns + at + 1, s->conns + at, (s->nconns - at) * sizeof(*s->conns));
	s->conns[at] = p;
	s->nconns++;
	return p;
}

/* Both sides dialled at once: both ends keep the connection dialled by
 * the lower peer id, so exactly one survives.  0: go on, -1: refuse. */
static int
dup_check(struct bt_torrent *s, const struct bt_hs_result *r)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		int ours_lower;
		if (q->dead || memcmp(q->peer_id, r->peer_id, 20) != 0)
			continue;
		ours_lower = memcmp(s->o.peer_id, r->peer_id, 20) < 0;
		if (q->incoming == r->incoming || (!r->incoming) != ours_lower)
			return -1;
		peer_kill(q, "duplicate");
	}
	return 0;
}

static int
may_attach(struct bt_torrent *s, const struct bt_hs_result *r)
{
	if (!tor_peers_ok(s) || !client_peers_room(s->c) || peer_banned(s, &r->addr) ||
		memcmp(r->peer_id, s->o.peer_id, 20) == 0)	/* ourselves */
		return 0;
	if (r->incoming && (peer_live_count(s) >= peer_conn_limit(s) ||
		(s->o.security && known(s, &r->addr))))
		return 0;
	return dup_check(s, r) == 0;
}

/* The queue of addresses to dial, made on first use: 0 or -1. */
static int
pending_made(struct bt_torrent *s)
{
	if (!s->pending && !(s->pending = malloc(PENDING_MAX * sizeof(*s->pending))))
		return -1;
	return 0;
}

static struct retry *
retry_find(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < s->nretry; i++)
		if (bt_addr_equal(&s->retry[i].addr, a))
			return &s->retry[i];
	return NULL;
}

static void
retry_drop(struct bt_torrent *s, struct retry *r)
{
	*r = s->retry[--s->nretry];
}

/* Reasons that say nothing against the peer: its network, its restart. */
static int
worth_retrying(const char *why)
{
	static const char *const ok[] = {
		"closed", "recv failed", "send failed", "connect failed", "idle",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(why, ok[i]) == 0)
			return 1;
	return 0;
}

void
peer_lost(struct bt_torrent *s, const struct sockaddr_storage *a, const char *why)
{
	struct retry *r;

	if (!tor_peers_ok(s) || !worth_retrying(why) || peer_banned(s, a))
		return;
	if (!(r = retry_find(s, a))) {
		if (!s->retry && !(s->retry = malloc(RETRY_MAX * sizeof(*s->retry))))
			return;
		if (s->nretry == RETRY_MAX)
			return;
		r = &s->retry[s->nretry++];
		memset(r, 0, sizeof(*r));
		r->addr = *a;
	} else if (++r->tries >= RETRY_TRIES) {
		retry_drop(s, r);
		return;
	}
	r->queued = 0;
	r->due_ms = tor_now(s) + ((uint64_t)RETRY_BASE_MS << r->tries);
}

size_t
peer_retry_due(struct bt_torrent *s, uint64_t now)
{
	size_t waiting = 0;

	if (s->nretry && pending_made(s) < 0)
		return 0;
	for (size_t i = 0; i < s->nretry;) {
		struct retry *r = &s->retry[i];
		if (r->queued && now - r->due_ms > RETRY_BASE_MS) {
			retry_drop(s, r);	/* queued, never dialled (known by
						 * then, or crowded out): done */
			continue;
		}
		if (!r->queued && now >= r->due_ms && s->npending < PENDING_MAX) {
			r->queued = 1;
			s->pending[s->npending++] = r->addr;
		}
		waiting += !r->queued;
		i++;
	}
	return waiting;
}

int
peer_attach(struct bt_torrent *s, const struct bt_hs_result *r)
{
	struct retry *rt;
	struct peer *p;

	if (!may_attach(s, r) || !(p = peer_new(s, r->io, &r->addr, r->incoming)))
		return -1;
	client_peer_count(s->c, +1);
	if (r->incoming)
		s->ever_incoming = 1;
	else if ((rt = retry_find(s, &r->addr)))
		retry_drop(s, rt);	/* back: a later loss starts afresh */
	memcpy(p->peer_id, r->peer_id, 20);
	client_name(p);
	p->fast = bt_pw_has_fast(r->reserved) != 0;
	p->ltep = bt_pw_has_ltep(r->reserved) != 0;
	p->am_choking = p->peer_choking = 1;
	bt_pio_set_cb(r->io, &peer_msgs_cb, p);
	/* Without metadata (nometa.c) the bitfield waits for it. */
	if (s->m && bt_bitfield_init(&p->has, (uint32_t)s->m->npieces) < 0) {
		peer_kill(p, "out of memory");
		return 0;	/* the peer owns the transport now */
	}
	peer_send_have_state(p);
	/* A newcomer gets its chance at once (BitTornado's connection_made):
	 * a free slot unchokes it, and a client that waits to be unchoked
	 * before it says it is interested (Transmission) starts now, not at
	 * the next rechoke. */
	if (s->m && tor_running(s))
		choker_rechoke(s);
	peer_flush(p);
	client_wake(s->c);
	return 0;
}

void
peer_connect_some(struct bt_torrent *s)
{
	unsigned limit = peer_conn_limit(s);
	unsigned initiate = s->o.max_initiate;
	size_t outgoing = 0, total = 0;
	unsigned connecting = 0, shaking = 0;

	if (!s->ever_incoming)
		initiate += initiate / 2;
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->dead) {
			total++;
			if (!s->conns[i]->incoming)
				outgoing++;
		}
	client_hs_count(s->c, s, &connecting, &shaking);
	total += shaking;
	outgoing += shaking;
	while (s->npending && connecting < HALF_OPEN_MAX && total < limit &&
		outgoing < initiate) {
		struct sockaddr_storage a = s->pending[--s->npending];

		if (known(s, &a) || peer_banned(s, &a))
			continue;
		if (!s->o.ipv6 && a.ss_family == AF_INET6)
			continue;
		if (client_connect(s->c, s, &a) < 0)
			continue;
		connecting++;
		total++;
		outgoing++;
	}
}

/* New addresses are queued: dial some now, if the torrent talks to peers. */
static void
dial_soon(struct bt_torrent *s)
{
	if (tor_peers_ok(s)) {
		peer_connect_some(s);
		client_wake(s->c);
	}
}

void
bt_torrent_add_peers(struct bt_torrent *s, const struct sockaddr_storage *a, size_t n)
{
	if (pending_made(s) < 0)
		return;
	/* The new list replaces the queue (BitTornado), shuffled. */
	s->npending = 0;
	for (size_t i = 0; i < n && s->npending < PENDING_MAX; i++) {
		if (bt_addr_port(&a[i]) == 0)
			continue;
		s->pending[s->npending++] = a[i];
	}
	bt_rand_shuffle(&s->rng, s->pending, s->npending, sizeof(*s->pending));
	dial_soon(s);
}

/* a is our own listening address, as far as we know it: loopback or
 * --ip with our port (other addresses of ours are caught by the
 * handshake's peer id). */
static int
ourselves(const struct bt_torrent *s, const struct sockaddr_storage *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	uint8_t c[BT_ADDR_COMPACT6];
	char host[64];
	size_t k;

	if (bt_addr_port(a) != client_port(s->c))
		return 0;
	k = bt_addr_pack(c, a);
	if ((k == 6 && c[0] == 127) || (k == 18 && memcmp(c, lo6, 16) == 0))
		return 1;
	return s->ip && bt_addr_format(a, host, sizeof(host), BT_ADDR_NOPORT) > 0 &&
		strcmp(host, s->ip) == 0;
}

static int
queued(const struct bt_torrent *s, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < s->npending; i++)
		if (bt_addr_equal(&s->pending[i], a))
			return 1;
	return 0;
}

static int
worth_queueing(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	if (bt_addr_port(a) == 0 || (!s->o.ipv6 && a->ss_family == AF_INET6))
		return 0;
	return !ourselves(s, a) && !peer_banned(s, a) && !known(s, a) && !queued(s, a);
}

size_t
peer_add_pending(struct bt_torrent *s, const struct sockaddr_storage *a, size_t n)
{
	size_t added = 0;

	if (pending_made(s) < 0)
		return 0;
	for (size_t i = 0; i < n && s->npending < PENDING_MAX; i++) {
		if (!worth_queueing(s, &a[i]))
			continue;
		s->pending[s->npending++] = a[i];
		added++;
	}
	if (added)
		dial_soon(s);
	return added;
}

/* Time-outs, keep-alives and snubbing for one live peer. */
void
peer_tick(struct peer *p, uint64_t now)
{
	struct bt_torrent *s = p->s;

	if (now - bt_pio_last_recv(p->io) > s->o.timeout_ms) {
		peer_kill(p, "idle");
		return;
	}
	if (now - bt_pio_last_send(p->io) > s->o.keepalive_ms) {
		bt_pw_write_keepalive(bt_pio_out(p->io));
		peer_flush(p);
		if (p->dead)
			return;
	}
	if (p->nrq && !p->peer_choking && !p->snubbed &&
		now - p->last_block_ms > s->o.snub_ms) {
		p->snubbed = 1;
		for (unsigned k = 0; k < p->nrq; k++)
			bt_pw_write_cancel(bt_pio_out(p->io), p->rq[k].piece, p->rq[k].begin,
				p->rq[k].len);
		peer_drop_requests(p);
		peer_flush(p);
		if (p->dead)
			return;
	} else if (p->snubbed && now - p->last_block_ms > 2 * (uint64_t)s->o.snub_ms) {
		p->snubbed = 0;	/* give it another chance */
		p->last_block_ms = now;
	}
	if (!p->dead)
		ext_tick(p, now);
	if (!p->dead && ((!p->nrq && !p->peer_choking) || bt_band_limited(&s->down_band)))
		peer_fill_requests(p);
}

/* Close every peer (last words, best effort). */
void
peer_shutdown_all(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!p->dead)
			bt_pio_last_words(p->io);
		peer_kill(p, "shutting down");
	}
}

/* Free every peer now (the torrent goes). */
void
peer_free_all(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++)
		peer_kill(s->conns[i], "freed");
	if (s->reap_timer)
		bt_timer_del(s->loop, s->reap_timer);
	reap_cb(s->loop, 0, s);
	free(s->conns);
	s->conns = NULL;
}
