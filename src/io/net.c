/* net.c - see net.h */
#define _GNU_SOURCE	/* accept4() */
#include "net.h"
#include "be.h"
#include "err.h"
#include "str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- addresses ---- */

socklen_t
bt_addr_len(const struct sockaddr_storage *addr)
{
	switch (addr->ss_family) {
	case AF_INET: return sizeof(struct sockaddr_in);
	case AF_INET6: return sizeof(struct sockaddr_in6);
	}
	return 0;
}

uint16_t
bt_addr_port(const struct sockaddr_storage *addr)
{
	switch (addr->ss_family) {
	case AF_INET: return ntohs(((const struct sockaddr_in *)addr)->sin_port);
	case AF_INET6: return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	}
	return 0;
}

void
bt_addr_set_port(struct sockaddr_storage *addr, uint16_t port)
{
	switch (addr->ss_family) {
	case AF_INET:
		((struct sockaddr_in *)addr)->sin_port = htons(port);
		break;
	case AF_INET6:
		((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
		break;
	}
}

static void
set4(struct sockaddr_storage *addr, const uint8_t ip[4], uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)addr;

	memset(addr, 0, sizeof(*addr));
	a->sin_family = AF_INET;
	memcpy(&a->sin_addr, ip, 4);
	a->sin_port = htons(port);
}

static void
set6(struct sockaddr_storage *addr, const uint8_t ip[16], uint16_t port)
{
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	a->sin6_family = AF_INET6;
	memcpy(&a->sin6_addr, ip, 16);
	a->sin6_port = htons(port);
}

int
bt_addr_any(struct sockaddr_storage *addr, int family, uint16_t port)
{
	static const uint8_t zero[16];

	if (family == AF_INET)
		set4(addr, zero, port);
	else if (family == AF_INET6)
		set6(addr, zero, port);
	else
		return BT_E_INVAL;
	return 0;
}

int
bt_addr_loopback(struct sockaddr_storage *addr, int family, uint16_t port)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };

	if (family == AF_INET)
		set4(addr, lo4, port);
	else if (family == AF_INET6)
		set6(addr, lo6, port);
	else
		return BT_E_INVAL;
	return 0;
}

int
bt_addr_parse(struct sockaddr_storage *addr, const char *s, size_t n,
	uint16_t port)
{
	char tmp[64];
	const char *host = s, *colon = NULL;
	size_t hlen = n, ncolon = 0;
	uint8_t ip[16];

	if (n == 0 || n >= sizeof(tmp))
		return BT_E_PARSE;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', n);
		if (!end)
			return BT_E_PARSE;
		host = s + 1;
		hlen = (size_t)(end - host);
		if (end + 1 < s + n) {
			if (end[1] != ':' ||
				bt_str_port(end + 2, (size_t)(s + n - end - 2), &port) < 0)
				return BT_E_PARSE;
		}
		memcpy(tmp, host, hlen);
		tmp[hlen] = 0;
		if (inet_pton(AF_INET6, tmp, ip) != 1)
			return BT_E_PARSE;
		set6(addr, ip, port);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':') {
			ncolon++;
			colon = s + i;
		}
	}
	if (ncolon >= 2) {
		/* Bare IPv6: no port possible. */
		memcpy(tmp, s, n);
		tmp[n] = 0;
		if (inet_pton(AF_INET6, tmp, ip) != 1)
			return BT_E_PARSE;
		set6(addr, ip, port);
		return 0;
	}
	if (ncolon == 1) {
		hlen = (size_t)(colon - s);
		if (bt_str_port(colon + 1, (size_t)(s + n - colon - 1), &port) < 0)
			return BT_E_PARSE;
	}
	memcpy(tmp, host, hlen);
	tmp[hlen] = 0;
	if (inet_pton(AF_INET, tmp, ip) != 1)
		return BT_E_PARSE;
	set4(addr, ip, port);
	return 0;
}

int
bt_addr_format(const struct sockaddr_storage *addr, char *out, size_t cap,
	unsigned flags)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t port = bt_addr_port(addr);
	int v6 = addr->ss_family == AF_INET6, n;
	const void *src;

	if (addr->ss_family == AF_INET)
		src = &((const struct sockaddr_in *)addr)->sin_addr;
	else if (v6)
		src = &((const struct sockaddr_in6 *)addr)->sin6_addr;
	else
		return BT_E_INVAL;
	if (!inet_ntop(addr->ss_family, src, ip, sizeof(ip)))
		return BT_E_INVAL;
	if (flags & BT_ADDR_NOPORT)
		n = snprintf(out, cap, "%s", ip);
	else
		n = snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
	if (n < 0)
		return BT_E_INVAL;
	if ((size_t)n >= cap)
		return BT_E_LIMIT;
	return n;
}

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

void
bt_addr_normalize(struct sockaddr_storage *addr)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
	uint8_t ip[4];
	uint16_t port;

	if (addr->ss_family != AF_INET6 ||
		memcmp(a->sin6_addr.s6_addr, v4mapped, 12) != 0)
		return;
	memcpy(ip, a->sin6_addr.s6_addr + 12, 4);
	port = ntohs(a->sin6_port);
	set4(addr, ip, port);
}

int
bt_addr_is_local(const struct sockaddr_storage *addr)
{
	struct sockaddr_storage n = *addr;
	const uint8_t *p;

	bt_addr_normalize(&n);
	if (n.ss_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)&n)->sin_addr;
		return p[0] == 127 || p[0] == 10 ||
			(p[0] == 172 && (p[1] & 0xf0) == 16) ||
			(p[0] == 192 && p[1] == 168) ||
			(p[0] == 169 && p[1] == 254);
	}
	if (n.ss_family == AF_INET6) {
		static const uint8_t lo[16] = { [15] = 1 };
		p = ((const struct sockaddr_in6 *)&n)->sin6_addr.s6_addr;
		return memcmp(p, lo, 16) == 0 ||
			(p[0] == 0xfe && (p[1] & 0xc0) == 0x80) ||
			(p[0] & 0xfe) == 0xfc;
	}
	return 0;
}

int
bt_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t x[BT_ADDR_COMPACT6], y[BT_ADDR_COMPACT6];
	size_t n = bt_addr_pack(x, a);

	/* The compact forms hold exactly what counts: address and port,
	 * IPv4-mapped made IPv4. */
	return n && bt_addr_pack(y, b) == n && memcmp(x, y, n) == 0;
}

size_t
bt_addr_pack(uint8_t *out, const struct sockaddr_storage *addr)
{
	struct sockaddr_storage n = *addr;
	uint16_t port;

	bt_addr_normalize(&n);
	port = bt_addr_port(&n);
	if (n.ss_family == AF_INET) {
		memcpy(out, &((struct sockaddr_in *)&n)->sin_addr, 4);
		put16(out + 4, port);
		return BT_ADDR_COMPACT4;
	}
	if (n.ss_family == AF_INET6) {
		memcpy(out, ((struct sockaddr_in6 *)&n)->sin6_addr.s6_addr, 16);
		put16(out + 16, port);
		return BT_ADDR_COMPACT6;
	}
	return 0;
}

int
bt_addr_unpack(struct sockaddr_storage *addr, const uint8_t *p, size_t n)
{
	if (n == BT_ADDR_COMPACT4)
		set4(addr, p, get16(p + 4));
	else if (n == BT_ADDR_COMPACT6)
		set6(addr, p, get16(p + 16));
	else
		return BT_E_PARSE;
	return 0;
}

/* ---- sockets ---- */

/* Close fd keeping errno; returns BT_E_IO. */
static int
fail_close(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
	return BT_E_IO;
}

static int
v6_opts(int fd, int family, unsigned flags)
{
	int on;

	if (family != AF_INET6 || !(flags & (BT_NET_V6ONLY | BT_NET_DUALSTACK)))
		return 0;
	on = (flags & BT_NET_V6ONLY) ? 1 : 0;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
}

static int
open_bound(const struct sockaddr_storage *addr, int type, unsigned flags,
	int reuse)
{
	socklen_t len = bt_addr_len(addr);
	int fd, on = 1;

	if (!len || (flags & BT_NET_V6ONLY && flags & BT_NET_DUALSTACK))
		return BT_E_INVAL;
	fd = socket(addr->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BT_E_IO;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return fail_close(fd);
	if (v6_opts(fd, addr->ss_family, flags) < 0)
		return fail_close(fd);
	if (bind(fd, (const struct sockaddr *)addr, len) < 0)
		return fail_close(fd);
	return fd;
}

int
bt_net_listen_tcp(const struct sockaddr_storage *addr, int backlog,
	unsigned flags)
{
	int fd = open_bound(addr, SOCK_STREAM, flags, 1);

	if (fd < 0)
		return fd;
	if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0)
		return fail_close(fd);
	return fd;
}

int
bt_net_udp_bind(const struct sockaddr_storage *addr, unsigned flags)
{
	return open_bound(addr, SOCK_DGRAM, flags, 0);
}

int
bt_net_accept(int lfd, struct sockaddr_storage *peer)
{
	struct sockaddr_storage tmp;
	socklen_t len = sizeof(tmp);
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&tmp, &len,
		SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
		case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN:
		case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
		case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
		case EPERM:	/* refused by a firewall rule */
			return BT_E_PARTIAL;
		case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
			return BT_E_LIMIT;
		}
		return BT_E_IO;
	}
	if (peer) {
		*peer = tmp;
		bt_addr_normalize(peer);
	}
	return fd;
}

int
bt_net_connect_tcp(const struct sockaddr_storage *addr, int *fdp)
{
	socklen_t len = bt_addr_len(addr);
	int fd;

	if (!len)
		return BT_E_INVAL;
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BT_E_IO;
	if (connect(fd, (const struct sockaddr *)addr, len) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			return fail_close(fd);
		*fdp = fd;
		return BT_E_PARTIAL;
	}
	*fdp = fd;
	return 0;
}

int
bt_net_connect_finish(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return BT_E_IO;
	if (err) {
		errno = err;
		return BT_E_IO;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return errno == ENOTCONN ? BT_E_PARTIAL : BT_E_IO;
	return 0;
}

int
bt_net_local_addr(int fd, struct sockaddr_storage *addr)
{
	socklen_t len = sizeof(*addr);

	memset(addr, 0, sizeof(*addr));
	if (getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		return BT_E_IO;
	bt_addr_normalize(addr);
	return 0;
}
