/* natcheck.c - see natcheck.h */
#include "natcheck.h"
#include "err.h"
#include "net.h"
#include "peerwire.h"
#include "reactor.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What we send: the handshake without a peer id, as BitTornado's check. */
#define HS_SEND (BT_PW_HANDSHAKE_LEN - 20)
#define QUEUE_FIRST 16	/* the queue's first allocation */

/* A check waiting its turn. */
struct waiting {
	uint8_t hash[20], id[20];
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} a;
};

/* A check running. */
struct check {
	struct bt_natcheck *n;
	int fd;
	uint8_t hash[20], id[20];
	struct sockaddr_storage addr;
	uint8_t buf[BT_PW_HANDSHAKE_LEN];	/* the peer's handshake */
	size_t got, sent;
	uint64_t timer;
};

struct bt_natcheck {
	struct bt_loop *loop;
	struct bt_natcheck_opts o;
	bt_natcheck_fn *done;
	void *ud;
	struct check **run;	/* max_running of them */
	size_t nrun;
	struct waiting *q;	/* a ring of qcap, growing up to queue_max */
	size_t qcap, qhead, qlen;
	int stopping;
	int pumping;		/* next_checks is running */
};

static void next_checks(struct bt_natcheck *n);

/* Report, then forget and free the check. */
static void
check_done(struct check *c, int ok)
{
	struct bt_natcheck *n = c->n;
	n->done(n->ud, c->hash, c->id, &c->addr, ok);
	if (c->timer)
		bt_timer_del(n->loop, c->timer);
	if (c->fd >= 0) {
		bt_io_del(n->loop, c->fd);
		close(c->fd);
	}
	for (size_t k = 0; k < n->nrun; k++)
		if (n->run[k] == c) {
			n->run[k] = n->run[--n->nrun];
			break;
		}
	free(c);
	next_checks(n);
}

static uint64_t
check_timeout(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct check *c = ud;
	(void)loop;
	(void)id;
	c->timer = 0;
	check_done(c, 0);
	return BT_TIMER_STOP;
}

/* Connected, or some of our handshake sent: send the rest. */
static void
check_send(struct check *c, int fd)
{
	if (c->sent == 0 && bt_net_connect_finish(fd) < 0) {
		check_done(c, 0);
		return;
	}
	uint8_t hs[BT_PW_HANDSHAKE_LEN];
	bt_pw_handshake_write(hs, c->hash, c->id, NULL);
	ssize_t w = send(fd, hs + c->sent, HS_SEND - c->sent, MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		check_done(c, 0);
		return;
	}
	if (w > 0)
		c->sent += (size_t)w;
	if (c->sent == HS_SEND)
		bt_io_set(c->n->loop, fd, BT_EV_READ);
}

static void
check_event(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct check *c = ud;
	(void)loop;
	if (ev & BT_EV_WRITE) {
		check_send(c, fd);
		return;
	}
	ssize_t r = recv(fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		check_done(c, 0);
		return;
	}
	c->got += (size_t)r;
	if (c->got < sizeof(c->buf))
		return;
	struct bt_pw_handshake hs;
	int ok = bt_pw_handshake_parse(c->buf, c->got, &hs) == BT_PW_HANDSHAKE_LEN &&
		memcmp(hs.info_hash, c->hash, 20) == 0 && memcmp(hs.peer_id, c->id, 20) == 0;
	check_done(c, ok);
}

/* Start the check w; one that cannot start is reported failed at once. */
static void
check_run(struct bt_natcheck *n, const struct waiting *w)
{
	struct check *c = calloc(1, sizeof(*c));
	if (!c)
		return;	/* the peer stays unchecked */
	c->n = n;
	memcpy(c->hash, w->hash, 20);
	memcpy(c->id, w->id, 20);
	memcpy(&c->addr, &w->a, w->a.sa.sa_family == AF_INET ? sizeof(w->a.v4) : sizeof(w->a.v6));
	c->fd = -1;
	n->run[n->nrun++] = c;
	int rc = bt_net_connect_tcp(&c->addr, &c->fd);
	if ((rc < 0 && rc != BT_E_PARTIAL) ||
	    bt_io_add(n->loop, c->fd, BT_EV_WRITE, check_event, c) < 0) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		check_done(c, 0);
		return;
	}
	c->timer = bt_timer_add(n->loop, n->o.timeout_ms, check_timeout, c);
}

/* Start waiting checks while there is room.  Not reentrant: a check
 * ending (or queued) meanwhile is picked up by the loop already running. */
static void
next_checks(struct bt_natcheck *n)
{
	if (n->pumping)
		return;
	n->pumping = 1;
	while (n->nrun < n->o.max_running && n->qlen && !n->stopping) {
		struct waiting w = n->q[n->qhead];
		n->qhead = (n->qhead + 1) % n->qcap;
		n->qlen--;
		check_run(n, &w);
	}
	n->pumping = 0;
}

/* Room for one more waiting check: 0, or BT_E_LIMIT / BT_E_NOMEM. */
static int
queue_room(struct bt_natcheck *n)
{
	if (n->qlen < n->qcap)
		return 0;
	if (n->qcap >= n->o.queue_max)
		return BT_E_LIMIT;
	size_t cap = n->qcap ? n->qcap * 2 : QUEUE_FIRST;
	if (cap > n->o.queue_max)
		cap = n->o.queue_max;
	struct waiting *q = malloc(cap * sizeof(*q));
	if (!q)
		return BT_E_NOMEM;
	for (size_t k = 0; k < n->qlen; k++)
		q[k] = n->q[(n->qhead + k) % n->qcap];
	free(n->q);
	n->q = q;
	n->qcap = cap;
	n->qhead = 0;
	return 0;
}

int
bt_natcheck_start(struct bt_natcheck *n, const uint8_t info_hash[20],
	const uint8_t peer_id[20], const struct sockaddr_storage *addr)
{
	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		return BT_E_INVAL;
	int rc = queue_room(n);
	if (rc < 0)
		return rc;	/* overloaded: the peer stays unchecked */
	struct waiting *w = &n->q[(n->qhead + n->qlen++) % n->qcap];
	memset(w, 0, sizeof(*w));
	memcpy(w->hash, info_hash, 20);
	memcpy(w->id, peer_id, 20);
	memcpy(&w->a, addr, addr->ss_family == AF_INET ? sizeof(w->a.v4) : sizeof(w->a.v6));
	next_checks(n);
	return 0;
}

struct bt_natcheck *
bt_natcheck_new(struct bt_loop *loop, const struct bt_natcheck_opts *o, bt_natcheck_fn *done,
	void *ud)
{
	if (!loop || !done)
		return NULL;
	struct bt_natcheck *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	if (o)
		n->o = *o;
	if (!n->o.max_running)
		n->o.max_running = BT_NATCHECK_RUNNING;
	if (!n->o.queue_max)
		n->o.queue_max = BT_NATCHECK_QUEUE;
	if (!n->o.timeout_ms)
		n->o.timeout_ms = 15000;
	n->run = calloc(n->o.max_running, sizeof(*n->run));
	if (!n->run) {
		free(n);
		return NULL;
	}
	n->loop = loop;
	n->done = done;
	n->ud = ud;
	return n;
}

void
bt_natcheck_stop(struct bt_natcheck *n)
{
	n->stopping = 1;
}

size_t
bt_natcheck_running(const struct bt_natcheck *n)
{
	return n->nrun;
}

size_t
bt_natcheck_queued(const struct bt_natcheck *n)
{
	return n->qlen;
}

void
bt_natcheck_free(struct bt_natcheck *n)
{
	if (!n)
		return;
	n->stopping = 1;
	while (n->nrun)
		check_done(n->run[0], 0);
	free(n->run);
	free(n->q);
	free(n);
}
