/* peerlisten.c - the listening sockets for peers (see peerlisten.h). */
#include "peerlisten.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "rand.h"
#include "reactor.h"

#define LISTEN_MAX	16

struct bt_peerlisten {
	struct bt_loop *loop;
	struct bt_peerlisten_opts o;
	bt_peerlisten_accept_fn *accepted;
	void *ud;
	int fds[LISTEN_MAX];
	size_t nfds;
	uint16_t port;
};

static void
on_listen(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_peerlisten *l = ud;

	(void)loop;
	(void)ev;
	for (int k = 0; k < 32; k++) {
		struct sockaddr_storage addr;
		int c = bt_net_accept(fd, &addr);

		if (c < 0)	/* BT_E_PARTIAL: none left */
			return;
		l->accepted(l->ud, c, &addr);
	}
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
	const struct bt_peerlisten_opts *o, bt_peerlisten_accept_fn *accepted, void *ud)
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
	l->accepted = accepted;
	l->ud = ud;
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
		free(l);
		errno = e;
		return rc;
	}
	for (size_t i = 0; i < l->nfds; i++)
		if (bt_io_add(loop, l->fds[i], BT_EV_READ, on_listen, l) < 0) {
			close_all(l);
			free(l);
			return BT_E_NOMEM;
		}
	*out = l;
	return 0;
}

void
bt_peerlisten_free(struct bt_peerlisten *l)
{
	if (!l)
		return;
	close_all(l);
	free(l);
}

uint16_t
bt_peerlisten_port(const struct bt_peerlisten *l)
{
	return l->port;
}
