/* torrent.c - one torrent's download and seeding engine (see torrent.h).
 *
 * Layout of this file:
 *   peers      connection life (connect, handshake, kill, reap)
 *   receive    reading and dispatching peer messages
 *   requests   asking peers for blocks, pipelining, endgame cancels
 *   pieces     blocks arriving, hash checks, bad-data defence
 *   upload     serving requests under the upload rate limit
 *   choker     BitTornado's rechoke and optimistic rotation
 *   tick       rates, budgets, time-outs, snubbing, new connections
 *   trackers   announcer and web seed glue
 *   life       new, start (check / resume), stop, free, stats
 *
 * Peers never free themselves from inside a loop over peers: peer_kill()
 * closes the socket at once and returns the peer's requests, and the
 * struct is reaped later (next pass), so any loop over s->conns stays
 * valid; dead peers are skipped. */
#include "torrent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "benc.h"
#include "bitfield.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "metainfo.h"
#include "net.h"
#include "peerwire.h"
#include "picker.h"
#include "rand.h"
#include "reactor.h"
#include "sha1.h"
#include "storage.h"
#include "webseed.h"

#define TICK_MS			250
#define RECHOKE_MS		10000
#define HANDSHAKE_MS		30000
#define RESUME_SAVE_MS		(5 * 60 * 1000)
#define SCRATCH			(256u << 10)	/* shared receive buffer */
#define OUT_LOW			(64u << 10)	/* refill uploads below this */
#define UPQ_MAX			256		/* requests queued per peer */
#define RQ_MAX			512		/* our requests out per peer */
#define RQ_MIN			8
#define PENDING_MAX		1000		/* addresses waiting to be tried */
#define HALF_OPEN_MAX		8
#define CONNS_CAP		500		/* whatever max_connections says */
#define BANS_MAX		256
#define SEEN_MAX		64		/* seeds remembered for an hour */
#define CONTRIB_MAX		4
#define STRIKE_BAN		4

enum { P_CONNECTING, P_HANDSHAKE, P_ACTIVE };

struct peer {
	struct bt_torrent *s;
	int fd;
	struct sockaddr_storage addr;
	uint32_t serial;
	uint8_t state, incoming, dead, fast, ltep, sent_hs;
	uint8_t am_choking, am_interested, peer_choking, peer_interested;
	uint8_t snubbed, seed, got_bf, pref, refill;
	uint8_t peer_id[20];
	char client[32];
	struct bt_bitfield has;
	int64_t offered;	/* super-seeding: the piece offered, -1 none */
	/* Leftover of a partial message between reads. */
	uint8_t *in;
	size_t in_len, in_cap;
	/* Bytes waiting to be sent: out.p[out_off .. out.len). */
	struct bt_buf out;
	size_t out_off;
	/* Our requests to the peer, oldest first. */
	struct bt_block rq[RQ_MAX];
	unsigned nrq;
	unsigned reqq;		/* the peer's own queue limit (BEP 10) */
	/* The peer's requests to us, a ring. */
	struct bt_block up[UPQ_MAX];
	unsigned up_head, nup;
	uint64_t born_ms, last_recv_ms, last_send_ms, last_block_ms;
	uint64_t dl_tick, ul_tick, downloaded, uploaded;
	double dl_rate, ul_rate;
};

struct contrib {
	uint32_t piece;
	uint32_t serial[CONTRIB_MAX];
	struct sockaddr_storage addr[CONTRIB_MAX];
	uint8_t n, many;
};

struct ban {
	struct sockaddr_storage addr;
	int strikes;
};

struct bt_torrent {
	struct bt_loop *loop;
	const struct bt_meta *m;
	struct bt_torrent_opts o;
	struct bt_torrent_cb cb;
	void *ud;
	char *root, *resume_path, *ip, *seed_id, *ua;
	int8_t *prio;

	enum bt_torrent_state state;
	struct bt_storage *st;
	struct bt_picker *pk;
	struct bt_bitfield have;
	struct bt_announcer *ann;
	struct bt_webseed **ws;
	size_t nws;

	struct peer **conns;
	size_t nconns, conns_cap;
	unsigned half_open, ever_incoming;
	uint32_t next_serial;
	struct sockaddr_storage *pending;
	size_t npending;
	struct ban bans[BANS_MAX];
	size_t nbans;
	uint64_t seen_ms[SEEN_MAX];
	struct contrib *contrib;
	size_t ncontrib, contrib_cap;

	uint16_t *seen;		/* super-seeding: HAVEs seen per piece */
	uint8_t *wbuf;		/* the write run (run_add) */
	uint32_t wcap, run_piece, run_begin, run_len;
	uint8_t *scratch;
	size_t scratch_len;	/* >= the largest message accepted + 68 */
	struct bt_pw_limits lim;
	uint8_t bf_reserved[8];

	uint64_t tick_timer, reap_timer;
	uint64_t once_timer;	/* one shot: the start, or the closed callback */
	uint64_t last_rechoke_ms, last_rotate_ms, last_resume_ms, last_more_ms;
	uint64_t uploaded, downloaded, dl_tick, ul_tick;
	double up_rate, down_rate, eta_rate;
	double ul_budget, dl_budget;
	size_t ul_rr;		/* where the next upload turn starts */
	uint64_t wanted_bytes, have_bytes;
	uint32_t hash_fails;
	uint64_t swarm_have_tick;
	double swarm_rate;
	int complete_at_start, finished_sent, failed;
	uint64_t rng;
};

/* ---- small helpers ---- */

static uint64_t
rnd(struct bt_torrent *s)
{
	return bt_rand64(&s->rng);
}

static uint64_t
now_ms(const struct bt_torrent *s)
{
	return bt_loop_now_ms(s->loop);
}

static void
say(struct bt_torrent *s, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(struct bt_torrent *s, int kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->cb.message)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cb.message(s->ud, kind, msg);
}

static char *
dupstr(const char *p)
{
	return p ? strdup(p) : NULL;
}

/* Same host for "one connection per IP": loopback peers are told apart
 * by port as well, so that swarms on one machine work. */
static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sockaddr_storage x = *a, y = *b;

	if (bt_addr_is_local(a) && bt_addr_is_local(b))
		return bt_addr_equal(a, b);
	bt_addr_set_port(&x, 0);
	bt_addr_set_port(&y, 0);
	return bt_addr_equal(&x, &y);
}

static struct ban *
ban_find(struct bt_torrent *s, const struct sockaddr_storage *a, int add)
{
	for (size_t i = 0; i < s->nbans; i++)
		if (same_host(&s->bans[i].addr, a))
			return &s->bans[i];
	if (!add || s->nbans == BANS_MAX)
		return NULL;
	s->bans[s->nbans].addr = *a;
	s->bans[s->nbans].strikes = 0;
	return &s->bans[s->nbans++];
}

static int
banned(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	struct ban *b = ban_find(s, a, 0);
	return b && b->strikes >= STRIKE_BAN;
}

static int
live(const struct peer *p)
{
	return !p->dead && p->state == P_ACTIVE;
}

static void peer_kill(struct peer *p, const char *why);
static void peer_flush(struct peer *p);
static void fill_requests(struct peer *p);
static void pump_upload(struct peer *p);
static void rechoke(struct bt_torrent *s);
static void session_fail(struct bt_torrent *s, int rc, const char *what);
static void kick_webseeds(struct bt_torrent *s);

/* ---- peers ---- */

static uint64_t
reap_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;
	size_t j = 0;

	(void)loop;
	(void)id;
	s->reap_timer = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead) {
			bt_bitfield_fini(&p->has);
			free(p->in);
			bt_buf_free(&p->out);
			free(p);
		} else {
			s->conns[j++] = p;
		}
	}
	s->nconns = j;
	return BT_TIMER_STOP;
}

static void
schedule_reap(struct bt_torrent *s)
{
	if (!s->reap_timer)
		s->reap_timer = bt_timer_add(s->loop, 0, reap_cb, s);
}

/* Give back every request out to p. */
static void
drop_requests(struct peer *p)
{
	for (unsigned i = 0; i < p->nrq; i++)
		bt_picker_unrequest(p->s->pk, p->rq[i].piece, p->rq[i].begin);
	p->nrq = 0;
}

static void
peer_kill(struct peer *p, const char *why)
{
	struct bt_torrent *s = p->s;

	(void)why;	/* kept for reading the code and for debuggers */
	if (p->dead)
		return;
	p->dead = 1;
	if (p->fd >= 0) {
		bt_io_del(s->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	if (p->state == P_CONNECTING && !p->incoming && s->half_open)
		s->half_open--;
	if (p->state == P_ACTIVE) {
		drop_requests(p);
		if (p->has.bits)
			bt_picker_peer_bitfield(s->pk, &p->has, -1);
		if (p->seed)
			s->seen_ms[rnd(s) % SEEN_MAX] = now_ms(s);
	}
	p->nup = 0;
	schedule_reap(s);
	if (s->state == BT_TORRENT_DOWNLOADING || s->state == BT_TORRENT_SEEDING)
		kick_webseeds(s);
}

static int
send_bytes(struct peer *p)
{
	while (p->out_off < p->out.len) {
		ssize_t n = send(p->fd, p->out.p + p->out_off, p->out.len - p->out_off,
			MSG_NOSIGNAL);
		if (n > 0) {
			p->out_off += (size_t)n;
			p->last_send_ms = now_ms(p->s);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	p->out.len = p->out_off = 0;
	return 0;
}

/* Send what is queued; wait for writability for the rest. */
static void
peer_flush(struct peer *p)
{
	if (p->dead || p->state == P_CONNECTING)
		return;
	if (p->out.err) {
		peer_kill(p, "out of memory");
		return;
	}
	if (send_bytes(p) < 0) {
		peer_kill(p, "send failed");
		return;
	}
	bt_io_set(p->s->loop, p->fd, BT_EV_READ |
		(p->out.len > p->out_off ? BT_EV_WRITE : 0));
}

static void
send_handshake(struct peer *p)
{
	uint8_t hs[BT_PW_HANDSHAKE_LEN];

	bt_pw_handshake_write(hs, p->s->m->info_hash, p->s->o.peer_id,
		p->s->bf_reserved);
	bt_buf_add(&p->out, hs, sizeof(hs));
	p->sent_hs = 1;
}

static void
send_extended_handshake(struct peer *p)
{
	struct bt_pw_exthandshake h;
	struct bt_buf b;

	bt_pw_exthandshake_init(&h);
	snprintf(h.v, sizeof(h.v), "bt %s", BT_VERSION);
	h.port = p->s->o.port;
	h.reqq = UPQ_MAX;
	bt_buf_init(&b, 4096);
	if (bt_pw_exthandshake_write(&b, &h) == 0)
		bt_pw_write_extended(&p->out, 0, b.p, b.len);
	bt_buf_free(&b);
}

/* BEP 16: offer p the piece seen least (by the HAVEs of every peer) that
 * is not on offer to another peer; ties at random. */
static void
superseed_offer(struct peer *p)
{
	struct bt_torrent *s = p->s;
	uint32_t n = s->have.n, best = n, start, bestc = UINT32_MAX;

	if (!s->seen || !n)
		return;
	start = (uint32_t)(rnd(s) % n);
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
	bt_pw_write_have(&p->out, best);
}

/* After the handshake: what we have (BEP 6: the bitfield, or have all /
 * have none, comes first), then our extension handshake. */
static void
send_have_state(struct peer *p)
{
	struct bt_torrent *s = p->s;
	int super = s->o.super_seeder && s->state == BT_TORRENT_SEEDING;
	int complete = bt_bitfield_complete(&s->have);
	uint32_t hole[4], nh = 0;

	if (super || s->have.have == 0) {
		/* BEP 16 super-seeding shows nothing at first. */
		if (p->fast)
			bt_pw_write_have_none(&p->out);
	} else if (p->fast && complete) {
		bt_pw_write_have_all(&p->out);
	} else {
		size_t n;
		const uint8_t *bits = bt_bitfield_to_wire(&s->have, &n);
		bt_pw_write_bitfield(&p->out, bits, n);
		if (s->o.breakup_seed_bitfield && complete && s->have.n > 4 && !p->out.err) {
			/* BitTornado: a seed's bitfield with 2-4 of the first 32
			 * pieces left out, sent as HAVEs after it, so that a
			 * watcher on the wire cannot tell seeds at a glance. */
			uint8_t *sent = p->out.p + p->out.len - n;
			uint32_t lim = s->have.n < 32 ? s->have.n : 32;
			nh = 2 + (uint32_t)(rnd(s) % 3);
			for (uint32_t k = 0; k < nh; k++) {
				hole[k] = (uint32_t)(rnd(s) % lim);
				sent[hole[k] / 8] &= (uint8_t)~(0x80u >> (hole[k] % 8));
			}
		}
	}
	if (p->ltep)
		send_extended_handshake(p);
	if (super)
		superseed_offer(p);
	for (uint32_t k = 0; k < nh; k++)
		bt_pw_write_have(&p->out, hole[k]);
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

/* The 68-byte handshake has arrived in p->in. */
static int
handshake_done(struct peer *p, const struct bt_pw_handshake *h)
{
	struct bt_torrent *s = p->s;

	if (memcmp(h->info_hash, s->m->info_hash, 20) != 0)
		return -1;
	if (memcmp(h->peer_id, s->o.peer_id, 20) == 0)
		return -1;	/* ourselves */
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		int ours_lower;
		if (q == p || !live(q) || memcmp(q->peer_id, h->peer_id, 20) != 0)
			continue;
		/* Two connections to one peer (both sides dialled at once):
		 * both ends keep the one dialled by the lower peer id, so
		 * exactly one survives. */
		ours_lower = memcmp(s->o.peer_id, h->peer_id, 20) < 0;
		if (q->incoming == p->incoming || (!p->incoming) != ours_lower)
			return -1;
		peer_kill(q, "duplicate");
	}
	memcpy(p->peer_id, h->peer_id, 20);
	client_name(p);
	p->fast = bt_pw_has_fast(h->reserved) != 0;
	p->ltep = bt_pw_has_ltep(h->reserved) != 0;
	if (bt_bitfield_init(&p->has, (uint32_t)s->m->npieces) < 0)
		return -1;
	p->state = P_ACTIVE;
	p->am_choking = p->peer_choking = 1;
	if (!p->sent_hs)
		send_handshake(p);
	send_have_state(p);
	return 0;
}

static struct peer *
peer_new(struct bt_torrent *s, int fd, const struct sockaddr_storage *addr,
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
	p->fd = fd;
	p->addr = *addr;
	p->incoming = (uint8_t)incoming;
	p->serial = ++s->next_serial;
	p->born_ms = p->last_recv_ms = p->last_send_ms = now_ms(s);
	p->reqq = 250;
	p->offered = -1;
	bt_buf_init(&p->out, 0);
	/* New connections go in at a random place biased to the front. */
	size_t at = s->nconns ? (size_t)(rnd(s) % (s->nconns + 1)) : 0;
	at = at / 2;
	memmove(s->conns + at + 1, s->conns + at, (s->nconns - at) * sizeof(*s->conns));
	s->conns[at] = p;
	s->nconns++;
	return p;
}

static size_t
live_count(const struct bt_torrent *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->dead)
			n++;
	return n;
}

static unsigned
conn_limit(const struct bt_torrent *s)
{
	unsigned lim = s->o.max_connections ? s->o.max_connections : CONNS_CAP;
	return lim > CONNS_CAP ? CONNS_CAP : lim;
}

/* ---- receive ---- */

static void on_peer_io(struct bt_loop *loop, int fd, unsigned ev, void *ud);

static void
set_interest(struct peer *p, int want)
{
	if (p->am_interested == want)
		return;
	p->am_interested = (uint8_t)want;
	if (want)
		bt_pw_write_interested(&p->out);
	else
		bt_pw_write_not_interested(&p->out);
}

static void
update_interest(struct peer *p)
{
	struct bt_torrent *s = p->s;
	int want = s->state == BT_TORRENT_DOWNLOADING &&
		bt_picker_interesting(s->pk, &p->has);
	set_interest(p, want);
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

static void got_block(struct bt_torrent *s, struct peer *from, uint32_t piece,
	uint32_t begin, const uint8_t *data, uint32_t len);

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
	if (!bt_bitfield_test(&s->have, m->index) || p->am_choking || p->nup == UPQ_MAX ||
		(s->seen && p->offered != (int64_t)m->index)) {
		if (p->fast)
			bt_pw_write_reject(&p->out, m->index, m->begin, m->length);
		return 0;
	}
	struct bt_block *b = &p->up[(p->up_head + p->nup) % UPQ_MAX];
	b->piece = m->index;
	b->begin = m->begin;
	b->len = m->length;
	p->nup++;
	pump_upload(p);
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
	int first = !p->got_bf;
	int i;

	/* Whether a bitfield (or have all / have none) was seen yet. */
	if (m->id == BT_PW_BITFIELD || m->id == BT_PW_HAVE_ALL || m->id == BT_PW_HAVE_NONE)
		p->got_bf = 1;
	switch (m->id) {
	case BT_PW_KEEPALIVE:
		return 0;
	case BT_PW_CHOKE:
		p->peer_choking = 1;
		if (!p->fast)
			drop_requests(p);
		return 0;
	case BT_PW_UNCHOKE:
		p->peer_choking = 0;
		p->last_block_ms = now_ms(s);
		fill_requests(p);
		return 0;
	case BT_PW_INTERESTED:
		p->peer_interested = 1;
		if (p->am_choking)
			rechoke(s);
		return 0;
	case BT_PW_NOT_INTERESTED:
		p->peer_interested = 0;
		if (!p->am_choking)
			rechoke(s);
		return 0;
	case BT_PW_HAVE:
		if (s->seen && s->seen[m->index] < UINT16_MAX)
			s->seen[m->index]++;
		if (s->seen && p->offered == (int64_t)m->index) {
			p->offered = -1;
			superseed_offer(p);
		}
		if (bt_bitfield_set(&p->has, m->index) == 1) {
			bt_picker_peer_have(s->pk, m->index);
			s->swarm_have_tick += bt_storage_piece_size(s->st, m->index);
			if (!p->am_interested)
				update_interest(p);
			peer_became_seed_check(p);
			if (p->am_interested)
				fill_requests(p);
		}
		return 0;
	case BT_PW_HAVE_ALL:
	case BT_PW_HAVE_NONE:
	case BT_PW_BITFIELD:
		/* BEP 3 wants it first, but some clients (aria2) follow a
		 * have none with a bitfield: take the latest as the truth. */
		if (!first)
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
		update_interest(p);
		peer_became_seed_check(p);
		return 0;
	case BT_PW_REQUEST:
		return handle_request(p, m);
	case BT_PW_CANCEL:
		handle_cancel(p, m);
		return 0;
	case BT_PW_PIECE:
		i = find_request(p, m->index, m->begin, m->length);
		p->last_recv_ms = now_ms(s);
		if (i < 0)
			return 0;	/* not asked for (or cancelled): drop */
		remove_request(p, (unsigned)i);
		p->last_block_ms = now_ms(s);
		p->snubbed = 0;
		p->dl_tick += m->length;
		p->downloaded += m->length;
		got_block(s, p, m->index, m->begin, m->payload, m->length);
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
		if (m->ext_id == 0) {
			struct bt_pw_exthandshake h;
			if (bt_pw_exthandshake_parse(m->payload, m->payload_len, &h) == 0) {
				if (h.reqq)
					p->reqq = h.reqq > RQ_MAX ? RQ_MAX : h.reqq;
				if (h.v[0]) {
					size_t k = strnlen(h.v, sizeof(p->client) - 1);
					memcpy(p->client, h.v, k);
					p->client[k] = 0;
				}
			}
		}
		return 0;
	default:	/* port, suggest, allowed fast, unknown: nothing to do */
		return 0;
	}
}

/* Parse everything complete in buf[0..len); returns bytes used or -1. */
static ssize_t
parse_msgs(struct peer *p, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (p->state == P_HANDSHAKE) {
		struct bt_pw_handshake h;
		int rc = bt_pw_handshake_parse(buf, len, &h);
		if (rc == BT_E_PARTIAL)
			return 0;
		if (rc < 0 || handshake_done(p, &h) < 0)
			return -1;
		off = BT_PW_HANDSHAKE_LEN;
	}
	while (!p->dead && off < len) {
		struct bt_pw_msg m;
		int rc = bt_pw_parse(buf + off, len - off, &p->s->lim, &m);
		if (rc == BT_E_PARTIAL)
			break;
		if (rc < 0)
			return -1;
		if (handle_msg(p, &m) < 0)
			return -1;
		off += (size_t)rc;
	}
	return (ssize_t)off;
}

/* Read and parse until the socket is drained.  A partial message stays
 * at the front of the shared buffer between reads and is parked in p->in
 * only when the event ends. */
static void
peer_read(struct peer *p)
{
	struct bt_torrent *s = p->s;
	uint8_t *buf = s->scratch;
	size_t have = p->in_len;

	if (have)
		memcpy(buf, p->in, have);
	for (int rounds = 0; rounds < 16; rounds++) {
		size_t room = s->scratch_len - have;
		ssize_t n, used;

		n = recv(p->fd, buf + have, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			peer_kill(p, n == 0 ? "closed" : "recv failed");
			return;
		}
		p->last_recv_ms = now_ms(s);
		used = parse_msgs(p, buf, have + (size_t)n);
		if (used < 0) {
			peer_kill(p, "protocol error");
			return;
		}
		if (p->dead)
			return;
		have += (size_t)n - (size_t)used;
		if (have && used)
			memmove(buf, buf + used, have);
		if ((size_t)n < room)
			break;	/* drained */
	}
	if (have > p->in_cap) {
		uint8_t *q = realloc(p->in, have);
		if (!q) {
			peer_kill(p, "out of memory");
			return;
		}
		p->in = q;
		p->in_cap = have;
	}
	if (have)
		memcpy(p->in, buf, have);
	p->in_len = have;
	if (p->refill) {
		p->refill = 0;
		fill_requests(p);	/* flushes too */
	} else {
		peer_flush(p);
	}
}

static void
on_peer_io(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct peer *p = ud;

	(void)loop;
	(void)fd;
	if (p->dead)
		return;
	if (p->state == P_CONNECTING) {
		int rc = bt_net_connect_finish(p->fd);
		if (rc == BT_E_PARTIAL)
			return;
		if (p->s->half_open)
			p->s->half_open--;
		if (rc < 0) {
			p->state = P_HANDSHAKE;	/* not counted as half-open again */
			peer_kill(p, "connect failed");
			return;
		}
		p->state = P_HANDSHAKE;
		send_handshake(p);
		peer_flush(p);
		return;
	}
	if (ev & (BT_EV_READ | BT_EV_HUP | BT_EV_ERR))
		peer_read(p);
	if (!p->dead && (ev & BT_EV_WRITE)) {
		peer_flush(p);
		if (!p->dead && p->out.len - p->out_off < OUT_LOW)
			pump_upload(p);
	}
}

/* ---- requests ---- */

static int
outstanding_cb(void *ud, uint32_t piece, uint32_t begin)
{
	return find_request(ud, piece, begin, 0) >= 0;
}

static unsigned
pipeline_target(const struct peer *p)
{
	/* Enough blocks to cover about a second of the peer's current rate
	 * (at least RQ_MIN), within what the peer says it can queue. */
	double blocks = p->dl_rate / BT_PICK_BLOCK;
	unsigned t = (unsigned)blocks + RQ_MIN;
	if (t > p->reqq)
		t = p->reqq;
	if (t > RQ_MAX)
		t = RQ_MAX;
	return t;
}

static void
fill_requests(struct peer *p)
{
	struct bt_torrent *s = p->s;
	struct bt_block b[64];
	unsigned target;

	if (p->dead || p->peer_choking || !p->am_interested || p->snubbed ||
		s->state != BT_TORRENT_DOWNLOADING)
		return;
	target = pipeline_target(p);
	while (p->nrq < target) {
		size_t want = target - p->nrq, n;
		if (want > 64)
			want = 64;
		if (s->o.max_download_rate) {
			if (s->dl_budget <= 0)
				break;
			size_t afford = (size_t)(s->dl_budget / BT_PICK_BLOCK) + 1;
			if (want > afford)
				want = afford;
		}
		n = bt_picker_pick(s->pk, &p->has, NULL, outstanding_cb, p, b, want);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			p->rq[p->nrq++] = b[i];
			bt_pw_write_request(&p->out, b[i].piece, b[i].begin, b[i].len);
			if (s->o.max_download_rate)
				s->dl_budget -= b[i].len;
		}
	}
	if (p->nrq == 0 && !bt_picker_endgame(s->pk))
		update_interest(p);
	peer_flush(p);
}

/* In endgame a block can be out to several peers: cancel the others. */
static void
cancel_elsewhere(struct bt_torrent *s, struct peer *from, uint32_t piece,
	uint32_t begin)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		int k;
		if (q == from || !live(q))
			continue;
		k = find_request(q, piece, begin, 0);
		if (k < 0)
			continue;
		bt_pw_write_cancel(&q->out, piece, begin, q->rq[k].len);
		bt_picker_unrequest(s->pk, piece, begin);
		remove_request(q, (unsigned)k);
		peer_flush(q);
	}
}

/* ---- pieces ---- */

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

static void
broadcast_have(struct bt_torrent *s, uint32_t piece)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!live(p))
			continue;
		bt_pw_write_have(&p->out, piece);
		if (p->am_interested && !p->nrq)
			update_interest(p);
		peer_flush(p);
	}
}

static void write_resume(struct bt_torrent *s);

/* Super-seeding starts once we are a seed: peers met before are
 * dropped (they saw our bitfield), and reconnect to be offered pieces. */
static void
superseed_start(struct bt_torrent *s)
{
	if (!s->o.super_seeder || s->seen)
		return;
	s->seen = calloc(s->have.n ? s->have.n : 1, sizeof(*s->seen));
	if (!s->seen)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		peer_kill(s->conns[i], "super-seeding");
	say(s, 'I', "        ** SUPER-SEED OPERATION ACTIVE **");
}

static void
became_seed(struct bt_torrent *s)
{
	s->state = BT_TORRENT_SEEDING;
	write_resume(s);
	superseed_start(s);
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!live(p))
			continue;
		set_interest(p, 0);
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
	rechoke(s);
}

static void
piece_failed(struct bt_torrent *s, uint32_t piece)
{
	struct contrib *c = contrib_get(s, piece, 0);

	s->hash_fails++;
	say(s, 'E', "piece %u failed hash check, re-downloading it", piece);
	bt_picker_failed(s->pk, piece);
	if (!c)
		return;
	if (s->o.auto_kick) {
		int pts = (c->n == 1 && !c->many) ? 2 : 1;
		for (unsigned i = 0; i < c->n; i++) {
			struct ban *b = ban_find(s, &c->addr[i], 1);
			if (!b)
				continue;
			b->strikes += pts;
			if (b->strikes < STRIKE_BAN)
				continue;
			for (size_t k = 0; k < s->nconns; k++)
				if (!s->conns[k]->dead &&
					same_host(&s->conns[k]->addr, &c->addr[i]))
					peer_kill(s->conns[k], "banned");
		}
	}
	contrib_drop(s, c);
}

/* Blocks are gathered into runs that are contiguous within one piece and
 * written with one pwrite: 16 KiB writes into a sparse file cost the
 * kernel about ten times more per byte than 1 MiB ones.  A run holding a
 * whole piece is hashed in memory, so a good piece is never read back. */
static int
run_flush(struct bt_torrent *s)
{
	int rc;

	if (!s->run_len)
		return 0;
	rc = bt_storage_write(s->st, s->run_piece, s->run_begin, s->wbuf, s->run_len);
	s->run_len = 0;
	if (rc < 0) {
		bt_picker_failed(s->pk, s->run_piece);
		session_fail(s, rc, "IO Error");
	}
	return rc;
}

static int
run_add(struct bt_torrent *s, uint32_t piece, uint32_t begin, const uint8_t *data,
	uint32_t len)
{
	if (s->run_len && (s->run_piece != piece || s->run_begin + s->run_len != begin ||
		s->run_len + len > s->wcap))
		if (run_flush(s) < 0)
			return -1;	/* reported by run_flush */
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
		else if (run_flush(s) < 0)
			return;
	} else {
		if (s->run_piece == piece && run_flush(s) < 0)
			return;
		rc = bt_storage_verify(s->st, piece);
	}
	if (rc < 0) {
		session_fail(s, rc, "IO Error");
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
	broadcast_have(s, piece);
	if (bt_picker_wanted(s->pk) == 0 && s->state == BT_TORRENT_DOWNLOADING)
		became_seed(s);
}

static void
got_block(struct bt_torrent *s, struct peer *from, uint32_t piece, uint32_t begin,
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
		cancel_elsewhere(s, from, piece, begin);
	if (r == 1)
		piece_done(s, piece);
}

/* ---- upload ---- */

static void pump_once(struct peer *p, int *sentp);

static void
pump_upload(struct peer *p)
{
	for (int round = 0; round < 8 && !p->dead; round++) {
		int sent = 0;
		pump_once(p, &sent);
		if (!sent || p->dead)
			return;
		peer_flush(p);
		if (p->dead || p->out.len > p->out_off)
			return;	/* the socket is full: on to BT_EV_WRITE */
	}
}

static void
pump_once(struct peer *p, int *sentp)
{
	struct bt_torrent *s = p->s;
	int sent = 0;

	while (!p->dead && p->nup && !p->am_choking &&
		p->out.len - p->out_off < OUT_LOW) {
		struct bt_block b = p->up[p->up_head];
		uint8_t *dst;
		int rc;

		if (s->o.max_upload_rate && s->ul_budget <= 0)
			break;
		p->up_head = (p->up_head + 1) % UPQ_MAX;
		p->nup--;
		bt_pw_write_piece_header(&p->out, b.piece, b.begin, b.len);
		dst = bt_buf_reserve(&p->out, b.len);
		if (!dst) {
			peer_kill(p, "out of memory");
			return;
		}
		rc = bt_storage_read(s->st, b.piece, b.begin, dst, b.len);
		if (rc < 0) {
			session_fail(s, rc, "IO Error");
			return;
		}
		bt_buf_commit(&p->out, b.len);
		p->ul_tick += b.len;
		p->uploaded += b.len;
		s->uploaded += b.len;
		s->ul_tick += b.len;
		if (s->o.max_upload_rate)
			s->ul_budget -= b.len;
		sent = 1;
		if (s->o.max_upload_rate)
			break;	/* one block a turn: the tick shares the budget */
	}
	*sentp = sent;
}

/* Under an upload limit the budget is shared round-robin, one block per
 * peer per turn, starting one peer further on each tick (BitTornado's
 * RateLimiter does the same with upload_unit_size slices). */
static void
share_upload(struct bt_torrent *s)
{
	size_t n = s->nconns;
	int progress = 1;

	if (!n)
		return;
	s->ul_rr = (s->ul_rr + 1) % n;
	for (int turn = 0; turn < 64 && progress && s->ul_budget > 0; turn++) {
		progress = 0;
		for (size_t k = 0; k < n && s->ul_budget > 0; k++) {
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
	}
}

/* ---- choker ---- */

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
		bt_pw_write_choke(&p->out);
		if (p->fast)
			for (unsigned k = 0; k < p->nup; k++) {
				struct bt_block *b = &p->up[(p->up_head + k) % UPQ_MAX];
				bt_pw_write_reject(&p->out, b->piece, b->begin, b->len);
			}
		p->nup = 0;
	} else {
		bt_pw_write_unchoke(&p->out);
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

static void
rechoke(struct bt_torrent *s)
{
	struct peer **best;
	size_t nbest = 0;
	unsigned slots = s->o.max_uploads ? s->o.max_uploads : 1, count, hit = 0;

	best = malloc((s->nconns + 1) * sizeof(*best));
	if (!best)
		return;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (live(p) && p->peer_interested && !p->snubbed &&
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
		if (!live(p))
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
	s->last_rechoke_ms = now_ms(s);
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

static void
rotate(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (live(p) && p->am_choking && p->peer_interested) {
			/* Rotate left by i in place: three reversals. */
			reverse(s->conns, i);
			reverse(s->conns + i, s->nconns - i);
			reverse(s->conns, s->nconns);
			return;
		}
	}
}

/* ---- connections out ---- */

static int
known(struct bt_torrent *s, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (bt_addr_equal(&p->addr, a))
			return 1;
		if (s->o.security && same_host(&p->addr, a))
			return 1;
	}
	return 0;
}

static void
connect_some(struct bt_torrent *s)
{
	unsigned limit = conn_limit(s);
	unsigned initiate = s->o.max_initiate;
	size_t outgoing = 0, total = 0;

	if (!s->ever_incoming)
		initiate += initiate / 2;
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->dead) {
			total++;
			if (!s->conns[i]->incoming)
				outgoing++;
		}
	while (s->npending && s->half_open < HALF_OPEN_MAX && total < limit &&
		outgoing < initiate) {
		struct sockaddr_storage a;
		struct peer *p;
		int fd, rc;

		a = s->pending[--s->npending];
		if (known(s, &a) || banned(s, &a))
			continue;
		if (!s->o.ipv6 && a.ss_family == AF_INET6)
			continue;
		rc = bt_net_connect_tcp(&a, &fd);
		if (rc < 0 && rc != BT_E_PARTIAL)
			continue;
		p = peer_new(s, fd, &a, 0);
		if (!p) {
			close(fd);
			return;
		}
		if (bt_io_add(s->loop, fd, BT_EV_WRITE | BT_EV_READ, on_peer_io, p) < 0) {
			p->state = P_HANDSHAKE;
			peer_kill(p, "no room");
			return;
		}
		total++;
		outgoing++;
		if (rc == 0) {
			p->state = P_HANDSHAKE;
			send_handshake(p);
			peer_flush(p);
			if (p->dead) {	/* counted live above: not any more */
				total--;
				outgoing--;
			}
		} else {
			p->state = P_CONNECTING;
			s->half_open++;
		}
	}
}

void
bt_torrent_add_peers(struct bt_torrent *s, const struct sockaddr_storage *a, size_t n)
{
	if (!s->pending) {
		s->pending = malloc(PENDING_MAX * sizeof(*s->pending));
		if (!s->pending)
			return;
	}
	/* The new list replaces the queue (BitTornado), shuffled. */
	s->npending = 0;
	for (size_t i = 0; i < n && s->npending < PENDING_MAX; i++) {
		if (bt_addr_port(&a[i]) == 0)
			continue;
		s->pending[s->npending++] = a[i];
	}
	for (size_t i = s->npending; i > 1; i--) {
		size_t j = (size_t)(rnd(s) % i);
		struct sockaddr_storage t = s->pending[i - 1];
		s->pending[i - 1] = s->pending[j];
		s->pending[j] = t;
	}
	if (s->state == BT_TORRENT_DOWNLOADING || s->state == BT_TORRENT_SEEDING)
		connect_some(s);
}

void
bt_torrent_accept(struct bt_torrent *s, int fd, const struct sockaddr_storage *addr,
	const uint8_t *data, size_t n)
{
	struct peer *p;

	if ((s->state != BT_TORRENT_DOWNLOADING && s->state != BT_TORRENT_SEEDING) ||
		banned(s, addr) || live_count(s) >= conn_limit(s) ||
		(s->o.security && known(s, addr)) ||
		n > BT_PW_HANDSHAKE_LEN) {
		close(fd);
		return;
	}
	p = peer_new(s, fd, addr, 1);
	if (!p) {
		close(fd);
		return;
	}
	s->ever_incoming = 1;
	p->state = P_HANDSHAKE;
	p->in = malloc(n ? n : 1);
	if (!p->in || bt_io_add(s->loop, fd, BT_EV_READ, on_peer_io, p) < 0) {
		peer_kill(p, "no room");
		return;
	}
	memcpy(p->in, data, n);
	p->in_len = p->in_cap = n;
	/* Answer with our handshake at once (the peer may wait for it
	 * before sending its peer id). */
	send_handshake(p);
	peer_flush(p);
	if (!p->dead && n >= BT_PW_HANDSHAKE_LEN) {
		ssize_t used = parse_msgs(p, p->in, p->in_len);
		if (used < 0) {
			peer_kill(p, "bad handshake");
			return;
		}
		memmove(p->in, p->in + used, p->in_len - (size_t)used);
		p->in_len -= (size_t)used;
		peer_flush(p);
	}
}

/* ---- tick ---- */

static void
update_rates(struct bt_torrent *s, double dt)
{
	/* Exponential averages with a time constant of about 4 s. */
	double a = dt / 4.0;

	if (a > 1)
		a = 1;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		p->dl_rate += a * (p->dl_tick / dt - p->dl_rate);
		p->ul_rate += a * (p->ul_tick / dt - p->ul_rate);
		p->dl_tick = p->ul_tick = 0;
	}
	s->down_rate += a * (s->dl_tick / dt - s->down_rate);
	s->up_rate += a * (s->ul_tick / dt - s->up_rate);
	s->swarm_rate += a * (s->swarm_have_tick / dt - s->swarm_rate);
	/* ETA: a slower average of the download rate. */
	s->eta_rate += (a / 5) * (s->dl_tick / dt - s->eta_rate);
	s->dl_tick = s->ul_tick = s->swarm_have_tick = 0;
}

static void
refill(double *budget, uint64_t rate, double dt)
{
	if (!rate)
		return;
	*budget += rate * dt;
	if (*budget > rate * 5.0)
		*budget = rate * 5.0;
}

static uint64_t
tick_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;
	uint64_t now = bt_loop_now_ms(loop);
	double dt = TICK_MS / 1000.0;
	size_t n = s->nconns;

	(void)id;
	if (s->state != BT_TORRENT_DOWNLOADING && s->state != BT_TORRENT_SEEDING) {
		s->tick_timer = 0;
		return BT_TIMER_STOP;
	}
	update_rates(s, dt);
	if (run_flush(s) < 0)
		return BT_TIMER_STOP;
	refill(&s->ul_budget, s->o.max_upload_rate, dt);
	refill(&s->dl_budget, s->o.max_download_rate, dt);
	for (size_t i = 0; i < n; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (p->state != P_ACTIVE) {
			if (now - p->born_ms > HANDSHAKE_MS)
				peer_kill(p, "handshake timeout");
			continue;
		}
		if (now - p->last_recv_ms > s->o.timeout_ms) {
			peer_kill(p, "idle");
			continue;
		}
		if (now - p->last_send_ms > s->o.keepalive_ms) {
			bt_pw_write_keepalive(&p->out);
			peer_flush(p);
			if (p->dead)
				continue;
		}
		if (p->nrq && !p->peer_choking && !p->snubbed &&
			now - p->last_block_ms > s->o.snub_ms) {
			p->snubbed = 1;
			for (unsigned k = 0; k < p->nrq; k++)
				bt_pw_write_cancel(&p->out, p->rq[k].piece, p->rq[k].begin,
					p->rq[k].len);
			drop_requests(p);
			peer_flush(p);
			if (p->dead)
				continue;
		} else if (p->snubbed && now - p->last_block_ms > 2 * (uint64_t)s->o.snub_ms) {
			p->snubbed = 0;	/* give it another chance */
			p->last_block_ms = now;
		}
		if (!p->dead && ((!p->nrq && !p->peer_choking) || s->o.max_download_rate))
			fill_requests(p);
	}
	if (now - s->last_rotate_ms >= s->o.round_robin_ms) {
		rotate(s);
		s->last_rotate_ms = now;
		rechoke(s);
	} else if (now - s->last_rechoke_ms >= RECHOKE_MS) {
		rechoke(s);
	}
	if (s->o.max_upload_rate)
		share_upload(s);
	connect_some(s);
	kick_webseeds(s);
	if (s->ann && live_count(s) < s->o.min_peers && s->state == BT_TORRENT_DOWNLOADING &&
		now - s->last_more_ms >= (live_count(s) ? 60000u : 30000u)) {
		s->last_more_ms = now;
		bt_announcer_more_peers(s->ann);
	}
	if (s->resume_path && now - s->last_resume_ms >= RESUME_SAVE_MS) {
		s->last_resume_ms = now;
		write_resume(s);
	}
	return TICK_MS;
}

/* ---- trackers and web seeds ---- */

static void
ann_stats(void *ud, struct bt_ann_stats *a)
{
	struct bt_torrent *s = ud;

	a->uploaded = s->uploaded;
	a->downloaded = s->downloaded;
	a->left = s->wanted_bytes - s->have_bytes;
	a->numwant = live_count(s) >= s->o.max_initiate ? 0 : -1;
}

static void
ann_peers(void *ud, const struct sockaddr_storage *p, size_t n)
{
	bt_torrent_add_peers(ud, p, n);
}

static void
ann_message(void *ud, int kind, const char *text)
{
	struct bt_torrent *s = ud;

	if (kind == 'I')
		return;
	say(s, kind, "%s", text);
}

static uint64_t
closed_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;

	(void)loop;
	(void)id;
	s->once_timer = 0;
	if (s->state == BT_TORRENT_STOPPING)
		s->state = BT_TORRENT_STOPPED;
	if (s->cb.closed)
		s->cb.closed(s->ud);
	return BT_TIMER_STOP;
}

static void
ann_stopped(void *ud)
{
	struct bt_torrent *s = ud;

	if (!s->once_timer)
		s->once_timer = bt_timer_add(s->loop, 0, closed_cb, s);
}

static size_t
ws_pick(void *ud, struct bt_block *out, size_t max)
{
	struct bt_torrent *s = ud;

	if (s->state != BT_TORRENT_DOWNLOADING)
		return 0;
	return bt_picker_pick(s->pk, NULL, NULL, NULL, NULL, out, max);
}

static void
ws_block(void *ud, struct bt_webseed *ws, const struct bt_block *b, const uint8_t *data)
{
	struct bt_torrent *s = ud;
	uint32_t fails = s->hash_fails;
	struct contrib *c;
	int peers_helped;

	if (s->state != BT_TORRENT_DOWNLOADING) {
		bt_picker_unrequest(s->pk, b->piece, b->begin);
		return;
	}
	c = contrib_get(s, b->piece, 0);
	peers_helped = c && c->n;
	got_block(s, NULL, b->piece, b->begin, data, b->len);
	if (s->hash_fails != fails) {
		/* The piece this block finished failed: if no peer helped
		 * with it, the seed is to blame. */
		if (!peers_helped) {
			say(s, 'E', "corrupt data from http seed - redownloading");
			bt_webseed_bad(ws);
		}
	}
}

static void
ws_unrequest(void *ud, const struct bt_block *b)
{
	struct bt_torrent *s = ud;
	bt_picker_unrequest(s->pk, b->piece, b->begin);
}

static void
ws_message(void *ud, struct bt_webseed *ws, const char *text)
{
	(void)ws;
	say(ud, 'E', "%s", text);
}

static const struct bt_webseed_host ws_host = {
	ws_pick, ws_block, ws_unrequest, ws_message,
};

static void
kick_webseeds(struct bt_torrent *s)
{
	if (s->state != BT_TORRENT_DOWNLOADING)
		return;
	for (size_t i = 0; i < s->nws; i++)
		bt_webseed_kick(s->ws[i]);
}

static void
add_webseed(struct bt_torrent *s, int tok, int bep17)
{
	struct bt_webseed_opts wo;
	struct bt_webseed *ws, **w;
	char *url = bt_meta_strdup(s->m, tok);

	if (!url || !*url) {
		free(url);
		return;
	}
	memset(&wo, 0, sizeof(wo));
	wo.url = url;
	wo.bep17 = bep17;
	wo.user_agent = s->ua;
	ws = bt_webseed_new(s->loop, s->m, &wo, &ws_host, s);
	if (!ws) {
		say(s, 'W', "http seed url not usable: %s", url);
		free(url);
		return;
	}
	free(url);
	w = realloc(s->ws, (s->nws + 1) * sizeof(*w));
	if (!w) {
		bt_webseed_free(ws);
		return;
	}
	s->ws = w;
	s->ws[s->nws++] = ws;
}

static void
start_webseeds(struct bt_torrent *s)
{
	const struct bt_benc *d = &s->m->doc;
	int tok;

	if (s->o.no_webseeds)
		return;
	tok = s->m->url_list;
	if (tok >= 0 && bt_benc_type(d, tok) == BT_BENC_STR)
		add_webseed(s, tok, 0);
	else if (tok >= 0)
		for (int j = bt_benc_first(d, tok); j >= 0 && s->nws < 16;
			j = bt_benc_next(d, tok, j))
			add_webseed(s, j, 0);
	tok = s->m->httpseeds;
	if (tok >= 0)
		for (int j = bt_benc_first(d, tok); j >= 0 && s->nws < 16;
			j = bt_benc_next(d, tok, j))
			add_webseed(s, j, 1);
}

/* ---- life ---- */

void
bt_torrent_opts_init(struct bt_torrent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->check_hashes = 1;
	o->max_uploads = 7;
	o->max_initiate = 40;
	o->min_peers = 20;
	o->keepalive_ms = 120000;
	o->timeout_ms = 300000;
	o->snub_ms = 30000;
	o->round_robin_ms = 30000;
	o->http_timeout_ms = 60000;
	o->max_message = BT_PW_MAX_MESSAGE;
	o->max_slice = 131072;
	o->rarest_first_cutoff = 2;
	o->security = 1;
	o->auto_kick = 1;
	o->breakup_seed_bitfield = 1;
}

static void
fill_defaults(struct bt_torrent_opts *o)
{
	struct bt_torrent_opts d;

	bt_torrent_opts_init(&d);
#define DEF(f) if (!o->f) o->f = d.f
	DEF(max_uploads);
	DEF(max_initiate);
	DEF(min_peers);
	DEF(keepalive_ms);
	DEF(timeout_ms);
	DEF(snub_ms);
	DEF(round_robin_ms);
	DEF(http_timeout_ms);
	DEF(max_message);
	DEF(max_slice);
	DEF(rarest_first_cutoff);
#undef DEF
	if (o->max_slice < BT_PICK_BLOCK)
		o->max_slice = BT_PICK_BLOCK;
}

int
bt_torrent_new(struct bt_torrent **out, struct bt_loop *loop, const struct bt_meta *m,
	const struct bt_torrent_opts *o, const struct bt_torrent_cb *cb, void *ud)
{
	struct bt_torrent *s;
	struct bt_storage_opts so;
	struct bt_picker_opts po;
	int rc = BT_E_NOMEM;

	*out = NULL;
	if (!o->root || m->npieces == 0 || m->npieces > BT_BITFIELD_MAX)
		return BT_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return BT_E_NOMEM;
	s->loop = loop;
	s->m = m;
	s->o = *o;
	fill_defaults(&s->o);
	if (cb)
		s->cb = *cb;
	s->ud = ud;
	s->rng = o->seed ? o->seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
		(uint64_t)(uintptr_t)s;
	s->root = dupstr(o->root);
	s->resume_path = dupstr(o->resume_path);
	s->ip = dupstr(o->ip);
	s->seed_id = dupstr(o->seed_id);
	s->ua = dupstr(o->user_agent);
	if (!s->root || (o->resume_path && !s->resume_path) || (o->ip && !s->ip) ||
		(o->seed_id && !s->seed_id) || (o->user_agent && !s->ua))
		goto fail;
	s->o.root = s->root;
	s->o.resume_path = s->resume_path;
	s->o.ip = s->ip;
	s->o.seed_id = s->seed_id;
	s->o.user_agent = s->ua;
	if (o->prio) {
		s->prio = malloc(m->nfiles ? m->nfiles : 1);
		if (!s->prio)
			goto fail;
		memcpy(s->prio, o->prio, m->nfiles);
		s->o.prio = s->prio;
	}
	/* The receive buffer holds the largest message we accept: a block,
	 * the bitfield, or an extended message. */
	s->scratch_len = SCRATCH;
	if (bt_bitfield_bytes((uint32_t)m->npieces) + 1024 > s->scratch_len)
		s->scratch_len = bt_bitfield_bytes((uint32_t)m->npieces) + 1024;
	if (s->o.max_slice + 1024 > s->scratch_len)
		s->scratch_len = s->o.max_slice + 1024;
	s->scratch = malloc(s->scratch_len);
	if (!s->scratch)
		goto fail;
	/* The write run: a whole piece up to 4 MiB, so pieces are hashed
	 * in memory; larger pieces go in 4 MiB runs and are read back. */
	s->wcap = m->piece_len <= (4 << 20) ? (uint32_t)m->piece_len : (4u << 20);
	s->wbuf = malloc(s->wcap);
	if (!s->wbuf)
		goto fail;
	if (bt_bitfield_init(&s->have, (uint32_t)m->npieces) < 0)
		goto fail;

	memset(&so, 0, sizeof(so));
	so.root = s->root;
	so.prio = s->prio;
	so.sparse = 1;
	rc = bt_storage_open(&s->st, m, &so);
	if (rc < 0)
		goto fail;

	memset(&po, 0, sizeof(po));
	po.npieces = (uint32_t)m->npieces;
	po.piece_len = (uint32_t)m->piece_len;
	po.total = (uint64_t)m->total;
	po.random_cutoff = s->o.rarest_first_cutoff;
	po.seed = rnd(s);
	rc = BT_E_NOMEM;
	s->pk = bt_picker_new(&po);
	if (!s->pk)
		goto fail;
	for (uint32_t i = 0; i < m->npieces; i++) {
		int pr = bt_storage_piece_prio(s->st, i);
		if (pr != BT_PRIO_NORMAL)
			bt_picker_set_prio(s->pk, i, pr);
		if (pr != BT_PRIO_SKIP)
			s->wanted_bytes += bt_storage_piece_size(s->st, i);
	}

	s->lim.max_message = s->o.max_message;
	if (s->lim.max_message > s->scratch_len - BT_PW_HANDSHAKE_LEN - 4)
		s->lim.max_message = (uint32_t)(s->scratch_len - BT_PW_HANDSHAKE_LEN - 4);
	s->lim.max_block = s->o.max_slice;
	s->lim.npieces = (uint32_t)m->npieces;
	s->lim.fast = 1;
	s->lim.allow_unknown = 1;
	bt_pw_set_ltep(s->bf_reserved);
	bt_pw_set_fast(s->bf_reserved);
	s->state = BT_TORRENT_IDLE;
	*out = s;
	return 0;
fail:
	bt_torrent_free(s);
	return rc;
}

/* Decide what we have: the resume record if it fits, else hash. */
static int
check_data(struct bt_torrent *s)
{
	uint8_t *rec = NULL;
	size_t n = 0;
	int64_t good;

	if (s->resume_path && bt_file_read(s->resume_path, 64u << 20, &rec, &n) == 0) {
		struct bt_bitfield recheck;
		int rc = BT_E_NOMEM;
		if (bt_bitfield_init(&recheck, (uint32_t)s->m->npieces) == 0)
			rc = bt_storage_resume_load(s->st, rec, n, &s->have, &recheck);
		free(rec);
		if (rc == 0) {
			for (uint32_t i = bt_bitfield_first_set(&recheck, 0); i < recheck.n;
				i = bt_bitfield_first_set(&recheck, i + 1)) {
				int v = bt_storage_verify(s->st, i);
				if (v == 1)
					bt_bitfield_set(&s->have, i);
				else
					bt_bitfield_clear(&s->have, i);
			}
			bt_bitfield_fini(&recheck);
			return 0;
		}
		bt_bitfield_fini(&recheck);
	}
	if (!s->o.check_hashes)
		good = bt_storage_present(s->st, &s->have);	/* trusted */
	else
		good = bt_storage_check(s->st, &s->have, NULL, NULL);
	return good < 0 ? (int)good : 0;
}

static uint64_t
start_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;
	struct bt_announcer_opts ao;
	struct bt_announcer_cb acb = { ann_stats, ann_peers, ann_message, ann_stopped };
	int rc;

	(void)loop;
	(void)id;
	s->once_timer = 0;
	if (s->state != BT_TORRENT_CHECKING)
		return BT_TIMER_STOP;
	rc = check_data(s);
	if (rc == 0)
		rc = bt_storage_create(s->st);
	if (rc < 0) {
		session_fail(s, rc, "trouble accessing files");
		return BT_TIMER_STOP;
	}
	for (uint32_t i = bt_bitfield_first_set(&s->have, 0); i < s->have.n;
		i = bt_bitfield_first_set(&s->have, i + 1)) {
		bt_picker_have(s->pk, i);
		if (bt_storage_piece_prio(s->st, i) != BT_PRIO_SKIP)
			s->have_bytes += bt_storage_piece_size(s->st, i);
	}
	s->complete_at_start = bt_picker_wanted(s->pk) == 0;
	if (s->complete_at_start)
		superseed_start(s);
	s->state = s->complete_at_start ? BT_TORRENT_SEEDING : BT_TORRENT_DOWNLOADING;
	s->last_rotate_ms = s->last_rechoke_ms = s->last_resume_ms = now_ms(s);
	s->last_more_ms = now_ms(s);
	s->tick_timer = bt_timer_add(s->loop, TICK_MS, tick_cb, s);

	if (!s->o.no_trackers) {
		memset(&ao, 0, sizeof(ao));
		memcpy(ao.info_hash, s->m->info_hash, 20);
		memcpy(ao.peer_id, s->o.peer_id, 20);
		ao.port = s->o.port;
		ao.ip = s->ip;
		ao.seed_id = s->seed_id;
		ao.user_agent = s->ua;
		ao.http_timeout_ms = s->o.http_timeout_ms;
		ao.seed = rnd(s);
		rc = bt_announcer_new(&s->ann, s->loop, s->m, &ao, &acb, s);
		if (rc == 0)
			bt_announcer_start(s->ann);
		else
			s->ann = NULL;
	}
	start_webseeds(s);
	kick_webseeds(s);
	connect_some(s);
	return BT_TIMER_STOP;
}

int
bt_torrent_start(struct bt_torrent *s)
{
	if (s->state != BT_TORRENT_IDLE)
		return BT_E_INVAL;
	s->state = BT_TORRENT_CHECKING;
	/* Check on the next pass, so the caller can show "checking". */
	s->once_timer = bt_timer_add(s->loop, 0, start_cb, s);
	return s->once_timer ? 0 : BT_E_NOMEM;
}

static void
write_resume(struct bt_torrent *s)
{
	struct bt_buf b;

	if (!s->resume_path || !s->st)
		return;
	if (!s->failed)
		run_flush(s);
	bt_storage_sync(s->st);
	bt_buf_init(&b, 0);
	if (bt_storage_resume_write(s->st, &s->have, &b) == 0 && !b.err)
		bt_file_write_atomic(s->resume_path, b.p, b.len);
	bt_buf_free(&b);
}

static void
shutdown_peers(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (!p->dead && p->state == P_ACTIVE && p->out.len > p->out_off)
			send_bytes(p);	/* last words, best effort */
		peer_kill(p, "shutting down");
	}
	for (size_t i = 0; i < s->nws; i++)
		bt_webseed_free(s->ws[i]);
	s->nws = 0;
	if (s->tick_timer) {
		bt_timer_del(s->loop, s->tick_timer);
		s->tick_timer = 0;
	}
}

/* Close peers and web seeds, keep what was verified (resume), then tell
 * the tracker; cb->closed follows from the announcer or the next pass. */
static void
wind_down(struct bt_torrent *s, enum bt_torrent_state next, int resume)
{
	shutdown_peers(s);
	if (resume)
		write_resume(s);
	s->state = next;
	if (s->ann)
		bt_announcer_stop(s->ann);
	else if (!s->once_timer)
		s->once_timer = bt_timer_add(s->loop, 0, closed_cb, s);
}

static void
session_fail(struct bt_torrent *s, int rc, const char *what)
{
	long f;

	if (s->failed)
		return;
	s->failed = 1;
	f = s->st ? bt_storage_last_file(s->st) : -1;
	if (rc == BT_E_IO)
		say(s, 'F', "%s: %s%s%s", what, strerror(errno), f >= 0 ? " - " : "",
			f >= 0 ? bt_storage_file_path(s->st, (size_t)f) : "");
	else
		say(s, 'F', "%s: %s", what, bt_strerror(rc));
	wind_down(s, BT_TORRENT_FAILED, 1);
}

void
bt_torrent_stop(struct bt_torrent *s)
{
	if (s->state == BT_TORRENT_STOPPING || s->state == BT_TORRENT_STOPPED ||
		s->state == BT_TORRENT_FAILED)
		return;
	if (s->once_timer) {	/* a start not yet run */
		bt_timer_del(s->loop, s->once_timer);
		s->once_timer = 0;
	}
	wind_down(s, BT_TORRENT_STOPPING, s->state == BT_TORRENT_DOWNLOADING ||
		s->state == BT_TORRENT_SEEDING);
}

void
bt_torrent_free(struct bt_torrent *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		peer_kill(s->conns[i], "freed");
	if (s->reap_timer)
		bt_timer_del(s->loop, s->reap_timer);
	reap_cb(s->loop, 0, s);
	for (size_t i = 0; i < s->nws; i++)
		bt_webseed_free(s->ws[i]);
	free(s->ws);
	if (s->tick_timer)
		bt_timer_del(s->loop, s->tick_timer);
	if (s->once_timer)
		bt_timer_del(s->loop, s->once_timer);
	bt_announcer_free(s->ann);
	bt_picker_free(s->pk);
	bt_storage_close(s->st);
	bt_bitfield_fini(&s->have);
	free(s->conns);
	free(s->pending);
	free(s->contrib);
	free(s->scratch);
	free(s->seen);
	free(s->wbuf);
	free(s->prio);
	free(s->root);
	free(s->resume_path);
	free(s->ip);
	free(s->seed_id);
	free(s->ua);
	free(s);
}

const uint8_t *
bt_torrent_info_hash(const struct bt_torrent *s)
{
	return s->m->info_hash;
}

enum bt_torrent_state
bt_torrent_state(const struct bt_torrent *s)
{
	return s->state;
}

void
bt_torrent_stats(const struct bt_torrent *s, struct bt_torrent_stats *st)
{
	uint64_t now = bt_loop_now_ms(s->loop);
	uint32_t lvl_count = 0, lvl;
	double done = 0;
	unsigned npeers = 0;

	memset(st, 0, sizeof(*st));
	st->state = s->state;
	st->total = (uint64_t)s->m->total;
	st->wanted = s->wanted_bytes;
	st->have = s->have_bytes;
	st->left = s->wanted_bytes > s->have_bytes ? s->wanted_bytes - s->have_bytes : 0;
	st->uploaded = s->uploaded;
	st->downloaded = s->downloaded;
	st->up_rate = s->up_rate;
	st->down_rate = s->down_rate;
	st->eta = -1;
	if (st->left == 0)
		st->eta = 0;
	else if (s->eta_rate > 1)
		st->eta = st->left / s->eta_rate;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct peer *p = s->conns[i];
		if (!live(p))
			continue;
		npeers++;
		if (p->seed)
			st->seeds++;
		else
			st->peers++;
		done += (double)p->has.have / (s->m->npieces ? s->m->npieces : 1);
	}
	st->peers_done = npeers ? done / npeers : 0;
	for (size_t i = 0; i < SEEN_MAX; i++)
		if (s->seen_ms[i] && now - s->seen_ms[i] < 3600000)
			st->seen_recently++;
	for (size_t i = 0; i < s->nws; i++)
		if (bt_webseed_working(s->ws[i]))
			st->webseeds++;
	lvl = s->pk ? bt_picker_min_avail(s->pk, &lvl_count) : 0;
	st->copies = lvl;
	if (s->m->npieces)
		st->copies += 1.0 - (double)lvl_count / s->m->npieces;
	st->swarm_rate = s->swarm_rate;
	st->pieces = (uint32_t)s->m->npieces;
	st->pieces_have = s->have.have;
	st->active = s->pk ? bt_picker_active(s->pk) : 0;
	st->hash_fails = s->hash_fails;
	st->endgame = s->pk ? bt_picker_endgame(s->pk) : 0;
	st->complete_at_start = s->complete_at_start;
}

size_t
bt_torrent_peers(const struct bt_torrent *s, struct bt_torrent_peer *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nconns; i++) {
		const struct peer *p = s->conns[i];
		if (!live(p))
			continue;
		if (n < max) {
			struct bt_torrent_peer *r = &out[n];
			memset(r, 0, sizeof(*r));
			r->addr = p->addr;
			snprintf(r->client, sizeof(r->client), "%s", p->client);
			r->incoming = p->incoming;
			r->am_choking = p->am_choking;
			r->am_interested = p->am_interested;
			r->peer_choking = p->peer_choking;
			r->peer_interested = p->peer_interested;
			r->snubbed = p->snubbed;
			r->up_rate = p->ul_rate;
			r->down_rate = p->dl_rate;
			r->done = s->m->npieces ? (double)p->has.have / s->m->npieces : 0;
			r->uploaded = p->uploaded;
			r->downloaded = p->downloaded;
		}
		n++;
	}
	return n;
}
