/* resolve.c - see resolve.h */
#define _GNU_SOURCE	/* EAI_SYSTEM, EAI_NODATA, SOCK_CLOEXEC */
#include "resolve.h"
#include "net.h"
#include "reactor.h"
#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bt_resolve {
	struct bt_loop *loop;
	bt_resolve_fn *cb;
	void *ud;
	int fd;			/* loop end of the socketpair, -1 if none */
	int wfd;		/* worker end, closed by the worker */
	uint64_t timer;		/* numeric answers: the 0 ms timer */
	int in_cb;
	struct bt_resolve *qnext;	/* process queue, under qlock */
	atomic_int refs;	/* loop side + worker side */
	atomic_int cancelled;
	atomic_int done;	/* result written (release) */
	int family;
	uint16_t port;
	char host[BT_RESOLVE_HOST_MAX + 1];
	/* The result. */
	int rc;
	size_t n;
	struct sockaddr_storage addr[BT_RESOLVE_ADDRS];
};

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct bt_resolve *qhead, *qtail;
static unsigned nthreads;	/* under qlock */
static atomic_uint npending;	/* queued or running */

static void
unref(struct bt_resolve *r)
{
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		free(r);
}

static void
add_addr(struct bt_resolve *r, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss;

	if (r->n >= BT_RESOLVE_ADDRS)
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		memset(&ss, 0, sizeof(ss));
		a->sin_family = AF_INET;
		a->sin_addr = ((const struct sockaddr_in *)sa)->sin_addr;
		a->sin_port = htons(r->port);
	} else if (sa->sa_family == AF_INET6 &&
		len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		memset(&ss, 0, sizeof(ss));
		a->sin6_family = AF_INET6;
		a->sin6_addr = s->sin6_addr;
		a->sin6_scope_id = s->sin6_scope_id;
		a->sin6_port = htons(r->port);
	} else {
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		if (memcmp(&r->addr[i], &ss, sizeof(ss)) == 0)
			return;
	r->addr[r->n++] = ss;
}

static void
lookup(struct bt_resolve *r)
{
	struct addrinfo hints, *res = NULL, *ai;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = r->family;
	hints.ai_socktype = SOCK_STREAM;
	e = getaddrinfo(r->host, NULL, &hints, &res);
	if (e == 0) {
		for (ai = res; ai; ai = ai->ai_next)
			if (ai->ai_addr)
				add_addr(r, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(res);
		r->rc = r->n ? 0 : BT_E_NOENT;
		return;
	}
	switch (e) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
	case EAI_FAMILY:
		r->rc = BT_E_NOENT;
		break;
	case EAI_MEMORY:
		r->rc = BT_E_NOMEM;
		break;
	default:
		r->rc = BT_E_IO;
	}
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct bt_resolve *r;

		pthread_mutex_lock(&qlock);
		r = qhead;
		if (!r) {
			nthreads--;
			pthread_mutex_unlock(&qlock);
			return NULL;
		}
		qhead = r->qnext;
		if (!qhead)
			qtail = NULL;
		pthread_mutex_unlock(&qlock);

		if (!atomic_load_explicit(&r->cancelled, memory_order_acquire))
			lookup(r);
		atomic_store_explicit(&r->done, 1, memory_order_release);
		close(r->wfd);	/* the loop end sees EOF */
		atomic_fetch_sub_explicit(&npending, 1, memory_order_relaxed);
		unref(r);
	}
}

static void
deliver(struct bt_resolve *r)
{
	r->in_cb = 1;
	r->cb(r->loop, r->rc, r->n ? r->addr : NULL, r->n, r->ud);
}

static void
on_pipe(struct bt_loop *loop, int fd, unsigned revents, void *ud)
{
	struct bt_resolve *r = ud;
	char c[16];
	ssize_t k;

	(void)revents;
	k = read(fd, c, sizeof(c));
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF (or an error, which also means the worker end is gone). */
	bt_io_del(loop, fd);
	close(fd);
	r->fd = -1;
	if (!atomic_load_explicit(&r->done, memory_order_acquire)) {
		r->rc = BT_E_IO;
		r->n = 0;
	}
	deliver(r);
	unref(r);
}

static uint64_t
on_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_resolve *r = ud;

	(void)loop;
	(void)id;
	r->timer = 0;
	deliver(r);
	unref(r);
	return BT_TIMER_STOP;
}

/* host[0..len) as a numeric address ("1.2.3.4", "::1", "[::1]"; no port):
 * 1 and the answer filled in, 0 if it is not numeric. */
static int
numeric(struct bt_resolve *r, const char *host, size_t len)
{
	struct sockaddr_storage a;
	size_t ncolon = 0;

	/* bt_addr_parse also takes a port ("1.2.3.4:80", "[::1]:80"), which
	 * a host has not: one colon, or anything after ']', is no address. */
	for (size_t k = 0; k < len; k++)
		ncolon += host[k] == ':';
	if (host[0] == '[' ? host[len - 1] != ']' : ncolon == 1)
		return 0;
	if (bt_addr_parse(&a, host, len, r->port) < 0)
		return 0;
	r->n = 0;
	r->rc = BT_E_NOENT;
	if (r->family == AF_UNSPEC || r->family == a.ss_family) {
		r->addr[0] = a;
		r->n = 1;
		r->rc = 0;
	}
	return 1;
}

static int
start_worker(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int e;

	if (pthread_attr_init(&attr) != 0)
		return BT_E_NOMEM;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&t, &attr, worker, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		errno = e;
		return BT_E_IO;
	}
	return 0;
}

int
bt_resolve(struct bt_loop *loop, const char *host, uint16_t port, int family,
	bt_resolve_fn *cb, void *ud, struct bt_resolve **handle)
{
	struct bt_resolve *r;
	size_t len;
	int sv[2], rc;

	if (handle)
		*handle = NULL;
	if (!loop || !host || !cb ||
		(family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return BT_E_INVAL;
	len = strnlen(host, BT_RESOLVE_HOST_MAX + 3);
	if (len == 0)
		return BT_E_INVAL;
	if (len > BT_RESOLVE_HOST_MAX + 2)
		return BT_E_LIMIT;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f)
			return BT_E_INVAL;
	/* Two more for the brackets of an IPv6 literal. */
	if (len > BT_RESOLVE_HOST_MAX && !(host[0] == '[' && host[len - 1] == ']'))
		return BT_E_LIMIT;

	r = calloc(1, sizeof(*r));
	if (!r)
		return BT_E_NOMEM;
	r->loop = loop;
	r->cb = cb;
	r->ud = ud;
	r->fd = r->wfd = -1;
	r->family = family;
	r->port = port;
	atomic_init(&r->refs, 1);
	atomic_init(&r->cancelled, 0);
	atomic_init(&r->done, 0);

	if (numeric(r, host, len)) {
		r->timer = bt_timer_add(loop, 0, on_timer, r);
		if (!r->timer) {
			free(r);
			return BT_E_NOMEM;
		}
		if (handle)
			*handle = r;
		return 0;
	}
	if (len > BT_RESOLVE_HOST_MAX) {
		free(r);
		return BT_E_LIMIT;
	}
	memcpy(r->host, host, len + 1);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		free(r);
		return BT_E_IO;
	}
	r->fd = sv[0];
	r->wfd = sv[1];
	rc = bt_io_add(loop, r->fd, BT_EV_READ, on_pipe, r);
	if (rc < 0) {
		close(sv[0]);
		close(sv[1]);
		free(r);
		return rc;
	}

	pthread_mutex_lock(&qlock);
	if (atomic_load(&npending) >= BT_RESOLVE_QUEUE_MAX) {
		pthread_mutex_unlock(&qlock);
		rc = BT_E_LIMIT;
		goto fail;
	}
	if (nthreads < BT_RESOLVE_THREADS) {
		rc = start_worker();
		if (rc < 0 && nthreads == 0) {
			pthread_mutex_unlock(&qlock);
			goto fail;
		}
		if (rc == 0)
			nthreads++;
	}
	atomic_fetch_add(&r->refs, 1);	/* the worker's */
	atomic_fetch_add(&npending, 1);
	r->qnext = NULL;
	if (qtail)
		qtail->qnext = r;
	else
		qhead = r;
	qtail = r;
	pthread_mutex_unlock(&qlock);
	if (handle)
		*handle = r;
	return 0;

fail:
	bt_io_del(loop, r->fd);
	close(sv[0]);
	close(sv[1]);
	free(r);
	return rc;
}

void
bt_resolve_cancel(struct bt_resolve *r)
{
	if (!r || r->in_cb)
		return;
	if (r->timer) {
		bt_timer_del(r->loop, r->timer);
		r->timer = 0;
	}
	if (r->fd >= 0) {
		atomic_store_explicit(&r->cancelled, 1, memory_order_release);
		bt_io_del(r->loop, r->fd);
		close(r->fd);
		r->fd = -1;
	}
	unref(r);
}

unsigned
bt_resolve_pending(void)
{
	return atomic_load(&npending);
}
