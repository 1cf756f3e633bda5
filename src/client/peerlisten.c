/* peerlisten.c - accept peers and route them to sessions by info hash
 * (see peerlisten.h). */
#include "peerlisten.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "peerwire.h"
#include "rand.h"
#include "reactor.h"
#include "torrent.h"

#define LISTEN_MAX	16
#define HS_PREFIX	48	/* protocol string, reserved, info hash */

struct pending {
	struct bt_peerlisten *l;
	int fd;
	struct sockaddr_storage addr;
	uint64_t born_ms;
	size_t n;
	uint8_t buf[BT_PW_HANDSHAKE_LEN];
};

struct bt_peerlisten {
	struct bt_loop *loop;
	struct bt_peerlisten_opts o;
	bt_peerlisten_find_fn *find;
	void *ud;
	int fds[LISTEN_MAX];
	size_t nfds;
	uint16_t port;
	struct pending **pend;
	size_t npend;
	uint64_t timer;
};

static void
pend_close(struct bt_peerlisten *l, size_t i, int close_fd)
{
	struct pending *p = l->pend[i];

	bt_io_del(l->loop, p->fd);
	if (close_fd)
		close(p->fd);
	free(p);
	l->pend[i] = l->pend[--l->npend];
}

static size_t
pend_index(struct bt_peerlisten *l, const struct pending *p)
{
	for (size_t i = 0; i < l->npend; i++)
		if (l->pend[i] == p)
			return i;
	return l->npend;
}

static void
on_pending(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct pending *p = ud;
	struct bt_peerlisten *l = p->l;
	size_t i = pend_index(l, p);
	struct bt_pw_handshake h;
	struct bt_torrent *s;
	ssize_t n;
	int rc;

	(void)loop;
	(void)ev;
	n = recv(fd, p->buf + p->n, sizeof(p->buf) - p->n, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		pend_close(l, i, 1);
		return;
	}
	p->n += (size_t)n;
	rc = bt_pw_handshake_parse(p->buf, p->n, &h);
	if (rc < 0 && rc != BT_E_PARTIAL) {
		pend_close(l, i, 1);
		return;
	}
	if (p->n < HS_PREFIX)
		return;
	/* The info hash is in: find its session. */
	memcpy(h.info_hash, p->buf + 28, 20);
	s = l->find(l->ud, h.info_hash);
	if (!s) {
		pend_close(l, i, 1);
		return;
	}
	{
		struct sockaddr_storage addr = p->addr;
		uint8_t buf[BT_PW_HANDSHAKE_LEN];
		size_t len = p->n;
		memcpy(buf, p->buf, len);
		pend_close(l, i, 0);
		bt_torrent_accept(s, fd, &addr, buf, len);
	}
}

static void
on_listen(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_peerlisten *l = ud;

	(void)ev;
	for (int k = 0; k < 32; k++) {
		struct sockaddr_storage addr;
		struct pending *p;
		int c = bt_net_accept(fd, &addr);

		if (c == BT_E_PARTIAL)
			return;
		if (c < 0)
			return;
		if (l->npend >= l->o.max_pending) {
			close(c);
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			close(c);
			continue;
		}
		p->l = l;
		p->fd = c;
		p->addr = addr;
		p->born_ms = bt_loop_now_ms(loop);
		if (bt_io_add(loop, c, BT_EV_READ, on_pending, p) < 0) {
			close(c);
			free(p);
			continue;
		}
		l->pend[l->npend++] = p;
	}
}

static uint64_t
on_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_peerlisten *l = ud;
	uint64_t now = bt_loop_now_ms(loop);

	(void)id;
	for (size_t i = 0; i < l->npend;) {
		if (now - l->pend[i]->born_ms > l->o.handshake_ms)
			pend_close(l, i, 1);
		else
			i++;
	}
	return 1000;
}

/* Bind every address (or the defaults) on port; 0 or the first error. */
static int
bind_all(struct bt_peerlisten *l, const char *b, uint16_t port)
{
	struct sockaddr_storage a;
	int fd;

	l->nfds = 0;
	if (!b || !*b) {
		if (l->o.ipv6) {
			bt_addr_any(&a, AF_INET6, port);
			fd = bt_net_listen_tcp(&a, 64, BT_NET_V6ONLY);
			if (fd < 0)
				return fd;
			l->fds[l->nfds++] = fd;
		}
		bt_addr_any(&a, AF_INET, port);
		fd = bt_net_listen_tcp(&a, 64, 0);
		if (fd < 0)
			return fd;
		l->fds[l->nfds++] = fd;
		return 0;
	}
	while (*b && l->nfds < LISTEN_MAX) {
		const char *e = strchr(b, ',');
		size_t n = e ? (size_t)(e - b) : strlen(b);
		if (n && bt_addr_parse(&a, b, n, port) == 0) {
			fd = bt_net_listen_tcp(&a, 64, a.ss_family == AF_INET6 ?
				BT_NET_V6ONLY : 0);
			if (fd < 0)
				return fd;
			l->fds[l->nfds++] = fd;
		} else if (n) {
			return BT_E_PARSE;
		}
		b += n + (e ? 1 : 0);
	}
	return l->nfds ? 0 : BT_E_PARSE;
}

static void
close_all(struct bt_peerlisten *l)
{
	for (size_t i = 0; i < l->nfds; i++) {
		bt_io_del(l->loop, l->fds[i]);
		close(l->fds[i]);
	}
	l->nfds = 0;
}

int
bt_peerlisten_new(struct bt_peerlisten **out, struct bt_loop *loop,
	const struct bt_peerlisten_opts *o, bt_peerlisten_find_fn *find, void *ud)
{
	struct bt_peerlisten *l;
	unsigned span, tries;
	uint64_t rng;
	int rc = BT_E_IO;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return BT_E_NOMEM;
	l->loop = loop;
	l->o = *o;
	l->o.bind = NULL;	/* the caller's string: used only while binding */
	l->find = find;
	l->ud = ud;
	if (!l->o.handshake_ms)
		l->o.handshake_ms = 30000;
	if (!l->o.max_pending)
		l->o.max_pending = 64;
	l->pend = calloc(l->o.max_pending, sizeof(*l->pend));
	if (!l->pend) {
		free(l);
		return BT_E_NOMEM;
	}
	if (l->o.maxport < l->o.minport)
		l->o.maxport = l->o.minport;
	span = (unsigned)l->o.maxport - l->o.minport + 1;
	tries = span < 1000 ? span : 1000;
	rng = o->seed ? o->seed : (uint64_t)getpid() * 2654435761u;
	for (unsigned t = 0; t < tries; t++) {
		uint16_t port;
		if (l->o.random_port) {
			port = (uint16_t)(l->o.minport + bt_rand64(&rng) % span);
		} else {
			port = (uint16_t)(l->o.minport + t);
		}
		rc = bind_all(l, o->bind, port);
		if (rc == 0) {
			l->port = port;
			break;
		}
		close_all(l);
		if (rc == BT_E_PARSE)
			break;
	}
	if (rc < 0) {
		int e = errno;
		free(l->pend);
		free(l);
		errno = e;
		return rc;
	}
	for (size_t i = 0; i < l->nfds; i++)
		if (bt_io_add(loop, l->fds[i], BT_EV_READ, on_listen, l) < 0) {
			close_all(l);
			free(l->pend);
			free(l);
			return BT_E_NOMEM;
		}
	l->timer = bt_timer_add(loop, 1000, on_timer, l);
	*out = l;
	return 0;
}

void
bt_peerlisten_free(struct bt_peerlisten *l)
{
	if (!l)
		return;
	while (l->npend)
		pend_close(l, 0, 1);
	close_all(l);
	if (l->timer)
		bt_timer_del(l->loop, l->timer);
	free(l->pend);
	free(l);
}

uint16_t
bt_peerlisten_port(const struct bt_peerlisten *l)
{
	return l->port;
}
