/* udp.c - see udp.h
 *
 * Receivers sit in an array in registration order.  During a dispatch an
 * unlisten only clears the entry's fn (the loop skips it) and the array
 * is compacted once the read is over; a listen appends, and the dispatch
 * only walks the entries that were there when it began, so neither moves
 * an entry under the loop's feet (the array itself may move: the loop
 * indexes it afresh each step). */
#include "udp.h"
#include "be.h"
#include "err.h"
#include "net.h"
#include "reactor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rx {
	bt_udp_recv_fn *fn;	/* NULL: unlistened during a dispatch */
	void *ud;
	uint64_t id;
};

struct bt_udp {
	struct bt_loop *loop;
	struct bt_udp_opts o;
	int fd[2];		/* IPv4, IPv6; -1 not open */
	struct rx *rx;
	size_t nrx, caprx;
	uint64_t next_id;
	int dispatching;	/* inside on_read */
	int dead;		/* entries unlistened during the dispatch */
	int free_pending;	/* bt_udp_free was called from a receiver */
	struct bt_udp_stats st;
	uint8_t buf[BT_UDP_DGRAM_MAX];
};

static int
slot(int family)
{
	return family == AF_INET6;
}

static void
close_sockets(struct bt_udp *u)
{
	for (int k = 0; k < 2; k++)
		if (u->fd[k] >= 0) {
			bt_io_del(u->loop, u->fd[k]);
			close(u->fd[k]);
			u->fd[k] = -1;
		}
}

/* see udp.h */
int
bt_udp_new(struct bt_udp **out, struct bt_loop *loop, const struct bt_udp_opts *o)
{
	struct bt_udp *u;
	int rc;

	if (!out)
		return BT_E_INVAL;
	*out = NULL;
	if (!loop)
		return BT_E_INVAL;
	if (o && ((o->bind4.ss_family && o->bind4.ss_family != AF_INET) ||
	    (o->bind6.ss_family && o->bind6.ss_family != AF_INET6) ||
	    (o->flags & BT_UDP_OPEN6 && o->flags & BT_UDP_NO_V6)))
		return BT_E_INVAL;
	if (!(u = calloc(1, sizeof(*u))))
		return BT_E_NOMEM;
	u->loop = loop;
	if (o)
		u->o = *o;
	u->fd[0] = u->fd[1] = -1;
	u->next_id = 1;
	if ((u->o.flags & BT_UDP_OPEN4 && (rc = bt_udp_open(u, AF_INET)) < 0) ||
	    (u->o.flags & BT_UDP_OPEN6 && (rc = bt_udp_open(u, AF_INET6)) < 0)) {
		int e = errno;
		bt_udp_free(u);
		errno = e;
		return rc;
	}
	*out = u;
	return 0;
}

static void
release(struct bt_udp *u)
{
	free(u->rx);
	free(u);
}

/* see udp.h */
void
bt_udp_free(struct bt_udp *u)
{
	if (!u)
		return;
	close_sockets(u);
	if (u->dispatching)
		u->free_pending = 1;	/* on_read finishes the job */
	else
		release(u);
}

/* The address to bind for family: the configured one or the wildcard,
 * with the configured port if there is one. */
static int
bind_addr(const struct bt_udp *u, int family, struct sockaddr_storage *a)
{
	const struct sockaddr_storage *b = family == AF_INET ? &u->o.bind4 : &u->o.bind6;
	int rc = 0;

	if (b->ss_family == family)
		*a = *b;
	else
		rc = bt_addr_any(a, family, 0);
	if (rc == 0 && u->o.port)
		bt_addr_set_port(a, u->o.port);
	return rc;
}

static void on_read(struct bt_loop *loop, int fd, unsigned revents, void *ud);

/* see udp.h */
int
bt_udp_open(struct bt_udp *u, int family)
{
	struct sockaddr_storage a;
	int fd, rc, e;

	if (family != AF_INET && family != AF_INET6)
		return BT_E_INVAL;
	if (u->fd[slot(family)] >= 0)
		return 0;
	if (family == AF_INET6 && u->o.flags & BT_UDP_NO_V6)
		return BT_E_UNSUPPORTED;
	if ((rc = bind_addr(u, family, &a)) < 0)
		return rc;
	fd = bt_net_udp_bind(&a, family == AF_INET6 ? BT_NET_V6ONLY : 0);
	if (fd < 0)
		return fd;
	if ((rc = bt_io_add(u->loop, fd, BT_EV_READ, on_read, u)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return rc;
	}
	u->fd[slot(family)] = fd;
	return 0;
}

/* see udp.h */
int
bt_udp_local(const struct bt_udp *u, int family, struct sockaddr_storage *addr)
{
	if ((family != AF_INET && family != AF_INET6) || u->fd[slot(family)] < 0)
		return BT_E_NOENT;
	return bt_net_local_addr(u->fd[slot(family)], addr);
}

/* see udp.h */
int
bt_udp_send(struct bt_udp *u, const struct sockaddr_storage *to, const void *p, size_t n)
{
	struct sockaddr_storage a = *to;
	socklen_t len;
	ssize_t k;
	int rc;

	bt_addr_normalize(&a);
	if (!(len = bt_addr_len(&a))) {
		u->st.send_errors++;
		return BT_E_INVAL;
	}
	if ((rc = bt_udp_open(u, a.ss_family)) < 0) {
		u->st.send_errors++;
		return rc;
	}
	do
		k = sendto(u->fd[slot(a.ss_family)], p, n, 0, (const struct sockaddr *)&a, len);
	while (k < 0 && errno == EINTR);
	if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		u->st.send_errors++;
		return BT_E_IO;
	}
	u->st.sent++;
	if (k < 0)
		u->st.send_dropped++;	/* UDP is lossy: the sender retries */
	return 0;
}

/* see udp.h */
uint64_t
bt_udp_listen(struct bt_udp *u, bt_udp_recv_fn *fn, void *ud)
{
	if (!fn)
		return 0;
	if (u->nrx == u->caprx) {
		size_t cap = u->caprx ? u->caprx * 2 : 8;
		struct rx *r = realloc(u->rx, cap * sizeof(*r));
		if (!r)
			return 0;
		u->rx = r;
		u->caprx = cap;
	}
	u->rx[u->nrx].fn = fn;
	u->rx[u->nrx].ud = ud;
	u->rx[u->nrx].id = u->next_id++;
	return u->rx[u->nrx++].id;
}

/* see udp.h */
int
bt_udp_unlisten(struct bt_udp *u, uint64_t id)
{
	for (size_t k = 0; k < u->nrx; k++) {
		if (u->rx[k].id != id || !u->rx[k].fn)
			continue;
		if (u->dispatching) {
			u->rx[k].fn = NULL;
			u->dead++;
		} else {
			memmove(u->rx + k, u->rx + k + 1, (u->nrx - k - 1) * sizeof(*u->rx));
			u->nrx--;
		}
		return 0;
	}
	return BT_E_NOENT;
}

/* Drop the entries unlistened during a dispatch, keeping the order. */
static void
compact(struct bt_udp *u)
{
	size_t n = 0;

	for (size_t k = 0; k < u->nrx; k++)
		if (u->rx[k].fn)
			u->rx[n++] = u->rx[k];
	u->nrx = n;
	u->dead = 0;
}

/* Offer one datagram to the receivers there now, in order. */
static void
dispatch(struct bt_udp *u, const struct sockaddr_storage *from, size_t n)
{
	size_t end = u->nrx;

	for (size_t k = 0; k < end && !u->free_pending; k++) {
		struct rx r = u->rx[k];
		if (r.fn && r.fn(u, from, u->buf, n, r.ud))
			return;
	}
	u->st.unclaimed++;
}

static void
on_read(struct bt_loop *loop, int fd, unsigned revents, void *ud)
{
	struct bt_udp *u = ud;

	(void)loop;
	(void)revents;
	u->dispatching = 1;
	for (int k = 0; k < BT_UDP_BATCH && !u->free_pending; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, u->buf, sizeof(u->buf), MSG_TRUNC,
			(struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;	/* EAGAIN, or an error reported for an old send */
		}
		u->st.received++;
		if ((size_t)n > sizeof(u->buf)) {
			u->st.oversized++;
			continue;
		}
		bt_addr_normalize(&from);
		dispatch(u, &from, (size_t)n);
	}
	u->dispatching = 0;
	if (u->free_pending) {
		release(u);
		return;
	}
	if (u->dead)
		compact(u);
}

/* see udp.h */
void
bt_udp_stats(const struct bt_udp *u, struct bt_udp_stats *st)
{
	*st = u->st;
}

/* see udp.h */
int
bt_udp_kind(const uint8_t *p, size_t n)
{
	if (n >= 8 && (get32(p) <= 3 || get32(p) == 0x03000000u))
		return BT_UDP_TRACKER;
	if (n >= 1 && p[0] == 'd')
		return BT_UDP_DHT;
	if (n >= 20 && (p[0] & 0x0f) == 1 && p[0] >> 4 <= 4)
		return BT_UDP_UTP;
	return BT_UDP_OTHER;
}
