/* lsd.c - local service discovery (BEP 14): peers on the same network
 * found by multicast, one socket per address family on the client's loop
 * (the client owns the struct; the message's bytes are src/codec/lsd.c).
 *
 * Telling: every torrent that may use it (below) is announced as soon as
 * it runs and then every LSD_EVERY_MS, to 239.192.152.143:6771 and, with
 * IPv6 on, [ff15::efc0:988f]:6771 (TTL/hops 1, looped back to this host
 * so that clients on one machine find each other).  Torrents due together
 * share a message, at most BT_LSD_HASHES_MAX in one; at most one message
 * goes out every LSD_SEND_GAP_MS.  Each message carries our cookie, a
 * random token made when the client starts, so that our own messages,
 * looped back, are known and ignored.
 *
 * Hearing: a datagram over BT_LSD_MSG_MAX bytes, one that does not parse
 * or one past the rate limit (LSD_RX_BURST, then LSD_RX_PER_S a second) is
 * dropped; at most LSD_RX_BATCH are read per readable event.  For every
 * info hash of ours in it, the sender's address with the message's Port
 * joins that torrent's queue of addresses to try (peer_add_pending: it
 * leaves out ourselves, the connected and the banned).
 *
 * Who may use it: a running (or metadata-fetching) torrent that is not
 * private (BEP 27); a magnet link's torrent whose metadata turns out
 * private stops at once, since its metadata is then set. */
#include "lsd.h"
#include "torrent_int.h"
#include "client.h"

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "reactor.h"
#include "siphash.h"

#define LSD_EVERY_MS	(5 * 60 * 1000)
#define LSD_SEND_GAP_MS	1000
#define LSD_RX_BURST	20
#define LSD_RX_PER_S	5
#define LSD_RX_BATCH	16

struct bt_lsd {
	struct bt_client *c;
	struct bt_loop *loop;
	int fd[2];			/* IPv4, IPv6; -1: not open */
	char cookie[17];
	uint64_t next_send_ms;
	double rx_tokens;
	uint64_t rx_ms;			/* when the tokens were counted */
	uint64_t heard, dropped;
};

int
lsd_usable(const struct bt_torrent *s)
{
	return tor_peers_ok(s) && (!s->m || s->m->priv <= 0);
}

/* ---- hearing ---- */

static int
rx_allowed(struct bt_lsd *l, uint64_t now)
{
	l->rx_tokens += (double)(now - l->rx_ms) * LSD_RX_PER_S / 1000.0;
	if (l->rx_tokens > LSD_RX_BURST)
		l->rx_tokens = LSD_RX_BURST;
	l->rx_ms = now;
	if (l->rx_tokens < 1) {
		l->dropped++;
		return 0;
	}
	l->rx_tokens -= 1;
	return 1;
}

/* 1 for 0.0.0.0 and :: (a sender without an address), not to be dialled. */
static int
unspecified(const struct sockaddr_storage *a)
{
	uint8_t c[BT_ADDR_COMPACT6];
	size_t k = bt_addr_pack(c, a);

	for (size_t i = 0; i + 2 < k; i++)
		if (c[i])
			return 0;
	return 1;
}

static void
take_peer(struct bt_torrent *t, const struct sockaddr_storage *from, uint16_t port)
{
	struct sockaddr_storage a = *from;
	char text[BT_ADDR_STRLEN];

	bt_addr_normalize(&a);
	bt_addr_set_port(&a, port);
	if (unspecified(&a))
		return;
	if (peer_add_pending(t, &a, 1) && t->o.log_peers &&
		bt_addr_format(&a, text, sizeof(text), 0) > 0)
		tor_say(t, 'D', "peer %s found by local service discovery", text);
}

static void
heard(struct bt_lsd *l, const uint8_t *p, size_t n, const struct sockaddr_storage *from)
{
	struct bt_lsd_msg m;

	if (!rx_allowed(l, bt_loop_now_ms(l->loop)) || bt_lsd_parse(&m, p, n) != 0)
		return;
	if (m.cookie_len == strlen(l->cookie) && memcmp(m.cookie, l->cookie, m.cookie_len) == 0)
		return;	/* our own, looped back */
	l->heard++;
	for (size_t i = 0; i < m.nhash; i++) {
		struct bt_torrent *t = bt_client_find(l->c, m.hash[i]);
		if (t && lsd_usable(t))
			take_peer(t, from, m.port);
	}
}

static void
on_read(struct bt_loop *loop, int fd, unsigned revents, void *ud)
{
	struct bt_lsd *l = ud;
	uint8_t buf[BT_LSD_MSG_MAX + 1];

	(void)loop;
	(void)revents;
	for (int i = 0; i < LSD_RX_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t k = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (k < 0)
			return;	/* EAGAIN, or an error for the next event */
		if ((size_t)k > BT_LSD_MSG_MAX)
			continue;	/* too long: cut, dropped */
		heard(l, buf, (size_t)k, &from);
	}
}

/* ---- the sockets ---- */

static int
opt(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

/* Join fd to the family's LSD group, with TTL/hops 1 and our own
 * messages looped back. */
static int
join_group(int fd, int fam)
{
	if (fam == AF_INET) {
		struct ip_mreq mr;
		memset(&mr, 0, sizeof(mr));
		inet_pton(AF_INET, BT_LSD_GROUP4, &mr.imr_multiaddr);
		mr.imr_interface.s_addr = htonl(INADDR_ANY);
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
			opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1) < 0 ||
			opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1) < 0 ? -1 : 0;
	}
	struct ipv6_mreq mr;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, BT_LSD_GROUP6, &mr.ipv6mr_multiaddr);
	return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0 ||
		opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1) < 0 ||
		opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1) < 0 ? -1 : 0;
}

/* A socket of family fam on port 6771, in the LSD group: fd or BT_E_IO. */
static int
open_group(int fam)
{
	struct sockaddr_storage a;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return BT_E_IO;
	bt_addr_any(&a, fam, BT_LSD_PORT);
	if ((fam == AF_INET6 && opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0) ||
		opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
		bind(fd, (struct sockaddr *)&a, bt_addr_len(&a)) < 0 || join_group(fd, fam) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return BT_E_IO;
	}
	return fd;
}

int
lsd_new(struct bt_lsd **out, struct bt_client *c, struct bt_loop *loop, int ipv6)
{
	struct bt_lsd *l = calloc(1, sizeof(*l));
	struct bt_sipkey k;
	int rc = 0;

	*out = NULL;
	if (!l)
		return BT_E_NOMEM;
	l->c = c;
	l->loop = loop;
	l->fd[0] = open_group(AF_INET);
	l->fd[1] = ipv6 ? open_group(AF_INET6) : -1;
	for (int i = 0; i < 2; i++)
		if (l->fd[i] >= 0 && (rc = bt_io_add(loop, l->fd[i], BT_EV_READ, on_read, l)) < 0) {
			close(l->fd[i]);
			l->fd[i] = -1;
		}
	if (l->fd[0] < 0 && l->fd[1] < 0) {
		free(l);
		return rc < 0 ? rc : BT_E_IO;
	}
	bt_sipkey_random(&k);
	snprintf(l->cookie, sizeof(l->cookie), "%016llx", (unsigned long long)(k.k0 ^ k.k1));
	l->rx_tokens = LSD_RX_BURST;
	l->rx_ms = bt_loop_now_ms(loop);
	*out = l;
	return 0;
}

void
lsd_free(struct bt_lsd *l)
{
	if (!l)
		return;
	for (int i = 0; i < 2; i++)
		if (l->fd[i] >= 0) {
			bt_io_del(l->loop, l->fd[i]);
			close(l->fd[i]);
		}
	free(l);
}

/* ---- telling ---- */

static void
send_group(struct bt_lsd *l, int fam, const uint8_t (*hash)[20], size_t n)
{
	struct sockaddr_storage to;
	char msg[BT_LSD_MSG_MAX];
	int len;
	int fd = l->fd[fam == AF_INET6];

	if (fd < 0)
		return;
	if (bt_addr_parse(&to, fam == AF_INET ? BT_LSD_GROUP4 : BT_LSD_GROUP6,
		strlen(fam == AF_INET ? BT_LSD_GROUP4 : BT_LSD_GROUP6), BT_LSD_PORT) != 0)
		return;
	len = bt_lsd_write(msg, sizeof(msg), fam == AF_INET ? BT_LSD_GROUP4 : "[" BT_LSD_GROUP6 "]",
		client_port(l->c), hash, n, l->cookie);
	if (len > 0)
		(void)sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&to, bt_addr_len(&to));
}

void
lsd_tick(struct bt_lsd *l, struct bt_torrent *const *t, size_t nt, uint64_t now)
{
	uint8_t hash[BT_LSD_HASHES_MAX][20];
	size_t n = 0;

	if (!l || now < l->next_send_ms || !client_port(l->c))
		return;
	for (size_t i = 0; i < nt && n < BT_LSD_HASHES_MAX; i++) {
		if (!lsd_usable(t[i]) || now < t[i]->lsd_next_ms)
			continue;
		memcpy(hash[n++], t[i]->info_hash, 20);
		t[i]->lsd_next_ms = now + LSD_EVERY_MS;
	}
	if (!n)
		return;
	send_group(l, AF_INET, (const uint8_t (*)[20])hash, n);
	send_group(l, AF_INET6, (const uint8_t (*)[20])hash, n);
	l->next_send_ms = now + LSD_SEND_GAP_MS;
}
