/* client.c - the process level of the engine (see client.h). */
#include "client.h"
#include "announce.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "reactor.h"
#include "torrent_int.h"
#include "udp.h"

#define UPLOAD_TURNS	64	/* shared-budget rounds per tick at most */
#define HS_IN_MS	10000	/* an incoming handshake must finish in this */
#define MAX_PEERS	400	/* connections over all torrents, by default */
#define RECV_BUDGET	(16u << 20)	/* partial messages held, by default */

/* A handshake in progress; a spent one is freed on the next pass, never
 * from inside its own callbacks. */
struct hslot {
	struct bt_hs *hs;
	int spent;
};

struct bt_client {
	struct bt_loop *loop;
	struct bt_client_opts o;
	struct bt_peerlisten *pl;
	struct bt_udp *udp;		/* every UDP user's one socket per family */
	struct bt_lsd *lsd;		/* local service discovery, NULL: off */
	struct bt_pio_rbuf rbuf;
	struct bt_band up, down;

	struct bt_torrent **t;		/* in the order they were added */
	size_t nt, tcap;
	size_t up_rr;			/* the torrent whose upload turn is first */

	struct hslot *hs;		/* handshakes in progress */
	size_t nhs, hscap;
	uint64_t hs_reap;		/* timer: spent ones are freed */

	size_t npeers;			/* connections past the handshake */
	uint64_t tick_timer, check_timer, last_tick_ms;
	int idle;			/* the tick runs slowly */
	uint64_t ticks, idle_ticks;
};

/* ---- torrents ---- */

void
client_add_torrent(struct bt_client *c, struct bt_torrent *t)
{
	if (c->nt == c->tcap) {
		size_t cap = c->tcap ? c->tcap * 2 : 8;
		struct bt_torrent **n = realloc(c->t, cap * sizeof(*n));
		if (!n)
			return;	/* not routable: it still works outward */
		c->t = n;
		c->tcap = cap;
	}
	c->t[c->nt++] = t;
}

static void hs_drop_owner(struct bt_client *c, const struct bt_torrent *t);

void
client_remove_torrent(struct bt_client *c, struct bt_torrent *t)
{
	for (size_t i = 0; i < c->nt; i++)
		if (c->t[i] == t) {
			memmove(c->t + i, c->t + i + 1, (c->nt - i - 1) * sizeof(*c->t));
			c->nt--;
			break;
		}
	hs_drop_owner(c, t);
}

struct bt_torrent *
bt_client_find(const struct bt_client *c, const uint8_t info_hash[20])
{
	for (size_t i = 0; i < c->nt; i++)
		if (memcmp(c->t[i]->info_hash, info_hash, 20) == 0)
			return c->t[i];
	return NULL;
}

size_t
bt_client_count(const struct bt_client *c)
{
	return c->nt;
}

/* ---- handshakes ---- */

static uint64_t
hs_reap_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_client *c = ud;
	size_t j = 0;

	(void)loop;
	(void)id;
	for (size_t i = 0; i < c->nhs; i++) {
		if (c->hs[i].spent)
			bt_hs_free(c->hs[i].hs);
		else
			c->hs[j++] = c->hs[i];
	}
	c->nhs = j;
	c->hs_reap = 0;
	return BT_TIMER_STOP;
}

static void
hs_spent(struct bt_client *c, struct bt_hs *hs)
{
	for (size_t i = 0; i < c->nhs; i++)
		if (c->hs[i].hs == hs)
			c->hs[i].spent = 1;
	if (!c->hs_reap)
		c->hs_reap = bt_timer_add(c->loop, 0, hs_reap_cb, c);
}

/* End a handshake from outside its callbacks: closed at once. */
static void
hs_abort(struct bt_client *c, size_t i)
{
	bt_hs_abort(c->hs[i].hs);
	hs_spent(c, c->hs[i].hs);
}

/* Live handshakes: for (i = 0; (hs = hs_at(c, &i)); i++) */
static struct bt_hs *
hs_at(const struct bt_client *c, size_t *i)
{
	for (; *i < c->nhs; (*i)++)
		if (!c->hs[*i].spent)
			return c->hs[*i].hs;
	return NULL;
}

static void *
hs_route(void *ud, const uint8_t info_hash[20], const struct sockaddr_storage *from,
	struct bt_hs_ident *me)
{
	struct bt_client *c = ud;
	struct bt_torrent *t = bt_client_find(c, info_hash);

	if (!t || !peer_may_accept(t, from))
		return NULL;
	memcpy(me->info_hash, t->info_hash, 20);
	memcpy(me->peer_id, t->o.peer_id, 20);
	memcpy(me->reserved, t->bf_reserved, 8);
	return t;
}

static int
hs_done(void *ud, struct bt_hs *hs, const struct bt_hs_result *r)
{
	struct bt_client *c = ud;
	struct bt_torrent *t = r->owner;
	int rc;

	/* A torrent that goes aborts its handshakes first, so t is here;
	 * it may have stopped meanwhile (peer_attach checks). */
	rc = peer_attach(t, r);
	hs_spent(c, hs);
	return rc;
}

/* The handshakes' crypto mode under the client's options. */
static int
crypto_mode(const struct bt_client *c)
{
	if (c->o.crypto_only || c->o.crypto_stealth)
		return BT_HS_CRYPTO_ONLY;
	return c->o.crypto_allowed ? BT_HS_CRYPTO_PREFER : BT_HS_CRYPTO_OFF;
}

static int client_connect_mode(struct bt_client *c, struct bt_torrent *t,
	const struct sockaddr_storage *a, int mode);

static void
hs_failed(void *ud, struct bt_hs *hs, const char *why)
{
	struct bt_client *c = ud;
	struct bt_torrent *t = bt_hs_owner(hs);

	hs_spent(c, hs);
	if (bt_hs_is_incoming(hs) || !t)
		return;
	/* MSE refused by a plaintext peer: once more in plaintext. */
	if (bt_hs_mse_failed(hs) && crypto_mode(c) == BT_HS_CRYPTO_PREFER &&
		client_connect_mode(c, t, bt_hs_addr(hs), BT_HS_CRYPTO_ACCEPT) == 0)
		return;
	peer_lost(t, bt_hs_addr(hs), why);
}

/* Incoming MSE: the torrent whose HASH('req2', info hash) is req2. */
static int
hs_find_skey(void *ud, const uint8_t req2[20], uint8_t skey[20])
{
	struct bt_client *c = ud;

	for (size_t i = 0; i < c->nt; i++) {
		if (memcmp(c->t[i]->req2, req2, 20) == 0) {
			memcpy(skey, c->t[i]->info_hash, 20);
			return 0;
		}
	}
	return -1;
}

static const struct bt_hs_host hs_host = { hs_route, hs_done, hs_failed, hs_find_skey };

static int
hs_add(struct bt_client *c, struct bt_hs *hs)
{
	if (c->nhs == c->hscap) {
		size_t cap = c->hscap ? c->hscap * 2 : 16;
		struct hslot *n = realloc(c->hs, cap * sizeof(*n));
		if (!n) {
			bt_hs_free(hs);
			return BT_E_NOMEM;
		}
		c->hs = n;
		c->hscap = cap;
	}
	c->hs[c->nhs].hs = hs;
	c->hs[c->nhs++].spent = 0;
	return 0;
}

/* Incoming handshakes in progress, and how many of them from addr's host. */
static size_t
hs_incoming(const struct bt_client *c, const struct sockaddr_storage *addr, size_t *host)
{
	const struct bt_hs *hs;
	size_t n = 0;

	*host = 0;
	for (size_t i = 0; (hs = hs_at(c, &i)); i++) {
		if (!bt_hs_is_incoming(hs))
			continue;
		n++;
		*host += peer_same_host(bt_hs_addr(hs), addr) != 0;
	}
	return n;
}

static void
on_accepted(void *ud, int fd, const struct sockaddr_storage *addr)
{
	struct bt_client *c = ud;
	struct bt_hs *hs;
	size_t host, all = hs_incoming(c, addr, &host);

	if (all >= c->o.max_handshakes || host >= c->o.max_handshakes_host ||
		c->npeers >= c->o.max_peers) {
		close(fd);
		return;
	}
	hs = bt_hs_incoming(c->loop, fd, addr, &c->rbuf, &hs_host, c);
	if (hs)
		bt_hs_set_crypto(hs, crypto_mode(c));
	if (hs && hs_add(c, hs) == 0)
		client_wake(c);
}

int
client_peers_room(const struct bt_client *c)
{
	return c->npeers < c->o.max_peers;
}

void
client_peer_count(struct bt_client *c, int delta)
{
	if (delta > 0)
		c->npeers++;
	else if (c->npeers)
		c->npeers--;
}

int
client_connect(struct bt_client *c, struct bt_torrent *t, const struct sockaddr_storage *a)
{
	return client_connect_mode(c, t, a, crypto_mode(c));
}

static int
client_connect_mode(struct bt_client *c, struct bt_torrent *t, const struct sockaddr_storage *a,
	int mode)
{
	struct bt_hs_ident me;
	struct bt_hs *hs;
	int fd, rc;

	if (!client_peers_room(c))
		return BT_E_LIMIT;
	rc = bt_net_connect_tcp(a, &fd);
	if (rc < 0 && rc != BT_E_PARTIAL)
		return rc;
	memcpy(me.info_hash, t->info_hash, 20);
	memcpy(me.peer_id, t->o.peer_id, 20);
	memcpy(me.reserved, t->bf_reserved, 8);
	hs = bt_hs_outgoing(c->loop, fd, rc == BT_E_PARTIAL, a, t, &me, &c->rbuf, &hs_host, c);
	if (!hs)
		return BT_E_NOMEM;
	bt_hs_set_crypto(hs, mode);
	return hs_add(c, hs);
}

int
client_hs_known(const struct bt_client *c, const struct bt_torrent *t,
	const struct sockaddr_storage *a, int same_host_too)
{
	const struct bt_hs *hs;

	for (size_t i = 0; (hs = hs_at(c, &i)); i++) {
		if (bt_hs_owner(hs) != t || bt_hs_is_incoming(hs))
			continue;
		if (bt_addr_equal(bt_hs_addr(hs), a) ||
			(same_host_too && peer_same_host(bt_hs_addr(hs), a)))
			return 1;
	}
	return 0;
}

void
client_hs_count(const struct bt_client *c, const struct bt_torrent *t,
	unsigned *connecting, unsigned *all)
{
	const struct bt_hs *hs;

	*connecting = *all = 0;
	for (size_t i = 0; (hs = hs_at(c, &i)); i++) {
		if (bt_hs_owner(hs) != t || bt_hs_is_incoming(hs))
			continue;
		(*all)++;
		*connecting += bt_hs_is_connecting(hs) != 0;
	}
}

/* A torrent goes: so do the handshakes made for it. */
static void
hs_drop_owner(struct bt_client *c, const struct bt_torrent *t)
{
	const struct bt_hs *hs;

	for (size_t i = 0; (hs = hs_at(c, &i)); i++)
		if (bt_hs_owner(hs) == t)
			hs_abort(c, i);
}

static void
hs_expire(struct bt_client *c, uint64_t now)
{
	const struct bt_hs *hs;

	for (size_t i = 0; (hs = hs_at(c, &i)); i++)
		if (now - bt_hs_born(hs) > (bt_hs_is_incoming(hs) ? c->o.handshake_ms : HANDSHAKE_MS))
			hs_abort(c, i);
}

/* ---- the tick ---- */

/* Under a shared upload limit, torrents take turns, one block per peer
 * per turn, starting one torrent further on each tick. */
static void
share_upload(struct bt_client *c)
{
	int progress = 1;

	if (!c->nt)
		return;
	c->up_rr = (c->up_rr + 1) % c->nt;
	for (int turn = 0; turn < UPLOAD_TURNS && progress && bt_band_allow(&c->up); turn++) {
		progress = 0;
		for (size_t k = 0; k < c->nt && bt_band_allow(&c->up); k++) {
			struct bt_torrent *t = c->t[(c->up_rr + k) % c->nt];
			if (tor_running(t) && bt_band_limited(&t->up_band))
				progress |= upload_turn(t);
		}
	}
}

static uint64_t
tick_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_client *c = ud;
	uint64_t now = bt_loop_now_ms(loop);
	double dt = (now - c->last_tick_ms) / 1000.0;
	int busy = hs_at(c, &(size_t){ 0 }) != NULL;

	(void)id;
	if (dt <= 0)
		dt = TICK_MS / 1000.0;
	c->last_tick_ms = now;
	c->ticks++;
	bt_band_refill(&c->up, dt);
	bt_band_refill(&c->down, dt);
	hs_expire(c, now);
	for (size_t i = 0; i < c->nt; i++)
		busy |= tor_tick(c->t[i], now, dt);
	lsd_tick(c->lsd, c->t, c->nt, now);
	share_upload(c);
	c->idle = !busy;
	c->idle_ticks += c->idle;
	return c->idle ? IDLE_TICK_MS : TICK_MS;
}

void
client_wake(struct bt_client *c)
{
	if (!c->idle)
		return;
	c->idle = 0;
	if (c->tick_timer)
		bt_timer_del(c->loop, c->tick_timer);
	c->tick_timer = bt_timer_add(c->loop, TICK_MS, tick_cb, c);
}

/* ---- the hash checker: one torrent at a time, a slice per pass ---- */

static struct bt_torrent *
checking(const struct bt_client *c)
{
	for (size_t i = 0; i < c->nt; i++)
		if (c->t[i]->state == BT_TORRENT_CHECKING)
			return c->t[i];
	return NULL;
}

/* The next torrent waiting, now checking; NULL if none. */
static struct bt_torrent *
next_check(struct bt_client *c)
{
	for (size_t i = 0; i < c->nt; i++)
		if (c->t[i]->state == BT_TORRENT_CHECK_WAIT) {
			c->t[i]->state = BT_TORRENT_CHECKING;
			return c->t[i];
		}
	return NULL;
}

static uint64_t
check_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_client *c = ud;
	struct bt_torrent *t = checking(c);

	(void)loop;
	(void)id;
	if (!t)
		t = next_check(c);
	if (!t) {
		c->check_timer = 0;
		return BT_TIMER_STOP;
	}
	tor_check_slice(t);
	return 0;	/* the next slice on the next pass */
}

void
client_check_queue(struct bt_client *c)
{
	/* The first in line shows "checking" at once (the check itself
	 * starts on the next pass). */
	if (!checking(c))
		next_check(c);
	if (!c->check_timer)
		c->check_timer = bt_timer_add(c->loop, 0, check_cb, c);
}

/* ---- shared resources ---- */

int
client_rbuf_need(struct bt_client *c, size_t n)
{
	uint8_t *p;

	if (c->rbuf.len >= n)
		return 0;
	p = realloc(c->rbuf.p, n);
	if (!p)
		return BT_E_NOMEM;
	c->rbuf.p = p;
	c->rbuf.len = n;
	return 0;
}

struct bt_udp *
client_udp(struct bt_client *c)
{
	return c->udp;
}

struct bt_band *
client_up_band(struct bt_client *c)
{
	return &c->up;
}

struct bt_band *
client_down_band(struct bt_client *c)
{
	return &c->down;
}

int
client_ann_crypto(const struct bt_client *c)
{
	if (c->o.crypto_stealth)
		return BT_ANN_CRYPTO_STEALTH;
	if (c->o.crypto_only)
		return BT_ANN_CRYPTO_REQUIRE;
	return c->o.crypto_allowed ? BT_ANN_CRYPTO_SUPPORT : BT_ANN_CRYPTO_NONE;
}

uint16_t
client_port(const struct bt_client *c)
{
	return c->pl ? bt_peerlisten_port(c->pl) : 0;
}

/* ---- life ---- */

int
bt_client_new(struct bt_client **out, struct bt_loop *loop, const struct bt_client_opts *o)
{
	struct bt_client *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return BT_E_NOMEM;
	c->loop = loop;
	c->o = *o;
	c->o.listen.bind = NULL;	/* the caller's: used only while binding */
	if (!c->o.max_handshakes)
		c->o.max_handshakes = 64;
	if (!c->o.max_handshakes_host)
		c->o.max_handshakes_host = 4;
	if (!c->o.handshake_ms)
		c->o.handshake_ms = HS_IN_MS;
	if (!c->o.max_peers)
		c->o.max_peers = MAX_PEERS;
	c->rbuf.parked_max = c->o.recv_budget ? c->o.recv_budget : RECV_BUDGET;
	bt_band_init(&c->up, NULL);
	bt_band_init(&c->down, NULL);
	bt_client_set_rates(c, o->max_upload_rate, o->max_download_rate);
	/* UDP sockets open on first use, on an ephemeral port (DHT and
	 * uTP will want the listening port: then it moves there). */
	if ((rc = client_rbuf_need(c, 256u << 10)) < 0 ||
		(rc = bt_udp_new(&c->udp, loop, NULL)) < 0 ||
		(!o->no_listen &&
		 (rc = bt_peerlisten_new(&c->pl, loop, &o->listen, on_accepted, c)) < 0)) {
		bt_client_free(c);
		return rc;
	}
	/* Best effort: without multicast the client works as before. */
	if (o->lsd && lsd_new(&c->lsd, c, loop, o->listen.ipv6) < 0)
		c->lsd = NULL;
	c->last_tick_ms = bt_loop_now_ms(loop);
	c->tick_timer = bt_timer_add(loop, TICK_MS, tick_cb, c);
	if (!c->tick_timer) {
		bt_client_free(c);
		return BT_E_NOMEM;
	}
	*out = c;
	return 0;
}

void
bt_client_free(struct bt_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nhs; i++)
		bt_hs_free(c->hs[i].hs);
	free(c->hs);
	if (c->hs_reap)
		bt_timer_del(c->loop, c->hs_reap);
	if (c->tick_timer)
		bt_timer_del(c->loop, c->tick_timer);
	if (c->check_timer)
		bt_timer_del(c->loop, c->check_timer);
	bt_peerlisten_free(c->pl);
	lsd_free(c->lsd);
	bt_udp_free(c->udp);
	free(c->t);
	free(c->rbuf.p);
	free(c);
}

struct bt_loop *
bt_client_loop(const struct bt_client *c)
{
	return c->loop;
}

uint16_t
bt_client_port(const struct bt_client *c)
{
	return client_port(c);
}

void
bt_client_set_rates(struct bt_client *c, uint64_t up, uint64_t down)
{
	bt_band_set_rate(&c->up, up);
	bt_band_set_rate(&c->down, down);
}

void
bt_client_stats(const struct bt_client *c, struct bt_client_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->torrents = c->nt;
	for (size_t i = 0; i < c->nhs; i++)
		st->handshakes += !c->hs[i].spent;
	st->ticks = c->ticks;
	st->idle_ticks = c->idle_ticks;
	for (size_t i = 0; i < c->nt; i++) {
		st->up_rate += c->t[i]->up_rate;
		st->down_rate += c->t[i]->down_rate;
	}
}
