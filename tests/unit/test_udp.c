/* test_udp.c - udp.c, the process-wide UDP socket mux: packet kinds,
 * sending to and receiving from plain sockets on loopback (IPv4, and
 * IPv6 ::1 when the host has it), receivers claiming by content and in
 * order, listen/unlisten/free from inside a receiver, the per-event read
 * bound, oversized datagrams, bind options and the counters. */
#include "udp.h"
#include "err.h"
#include "net.h"
#include "reactor.h"
#include "check.h"
#include "loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct bt_loop *loop;

/* A receiver that counts, keeps the last packet and claims packets
 * starting with its tag (0: claims nothing). */
struct rcv {
	char tag;
	int n, claimed;
	uint8_t last[64];
	size_t lastn;
	struct sockaddr_storage from;
	/* Actions on the next packet. */
	uint64_t self_id, kill_id;	/* unlisten these (once) */
	struct rcv *add;		/* listen this one */
	uint64_t add_id;
	int free_mux;
};

static int
on_rcv(struct bt_udp *u, const struct sockaddr_storage *from, const uint8_t *p, size_t n,
	void *ud)
{
	struct rcv *r = ud;

	r->n++;
	r->lastn = n < sizeof(r->last) ? n : sizeof(r->last);
	memcpy(r->last, p, r->lastn);
	r->from = *from;
	if (r->kill_id) {
		CHECK_INT(bt_udp_unlisten(u, r->kill_id), ==, 0);
		r->kill_id = 0;
	}
	if (r->self_id) {
		CHECK_INT(bt_udp_unlisten(u, r->self_id), ==, 0);
		CHECK_INT(bt_udp_unlisten(u, r->self_id), ==, BT_E_NOENT);
		r->self_id = 0;
	}
	if (r->add) {
		r->add_id = bt_udp_listen(u, on_rcv, r->add);
		CHECK(r->add_id != 0);
		r->add = NULL;
	}
	if (r->free_mux) {
		r->free_mux = 0;
		bt_udp_free(u);
		return 1;
	}
	if (r->tag && n > 0 && p[0] == (uint8_t)r->tag) {
		r->claimed++;
		return 1;
	}
	return 0;
}

/* A plain UDP socket on the loopback address of family. */
static int
plain_socket(int family, struct sockaddr_storage *addr)
{
	int fd;

	bt_addr_loopback(addr, family, 0);
	fd = bt_net_udp_bind(addr, family == AF_INET6 ? BT_NET_V6ONLY : 0);
	if (fd >= 0)
		bt_net_local_addr(fd, addr);
	return fd;
}

/* The mux's address on loopback for family (its socket must be open). */
static void
mux_addr(struct bt_udp *u, int family, struct sockaddr_storage *a)
{
	struct sockaddr_storage l;

	CHECK_INT(bt_udp_local(u, family, &l), ==, 0);
	bt_addr_loopback(a, family, bt_addr_port(&l));
}

static void
send_to(int fd, const struct sockaddr_storage *to, const char *s)
{
	CHECK_INT(sendto(fd, s, strlen(s), 0, (const struct sockaddr *)to, bt_addr_len(to)),
		==, (long long)strlen(s));
}

/* Run the loop until the mux has received want datagrams in all. */
static void
run_received(struct bt_udp *u, uint64_t want)
{
	uint64_t end = loop_now_ms() + 3000;
	struct bt_udp_stats st;

	for (;;) {
		bt_udp_stats(u, &st);
		if (st.received >= want || loop_now_ms() >= end)
			break;
		bt_loop_run_once(loop, 20);
	}
	CHECK_INT(st.received, ==, want);
}

static void
test_kind(void)
{
	static const uint8_t conn[16] = { 0, 0, 0, 0, 1, 2, 3, 4 };
	static const uint8_t err_le[8] = { 3, 0, 0, 0, 1, 2, 3, 4 };
	static const uint8_t scrape[8] = { 0, 0, 0, 2 };
	static const uint8_t act4[8] = { 0, 0, 0, 4 };
	uint8_t utp[20] = { 0x41, 1 };

	CHECK_INT(bt_udp_kind(conn, 16), ==, BT_UDP_TRACKER);
	CHECK_INT(bt_udp_kind(conn, 8), ==, BT_UDP_TRACKER);
	CHECK_INT(bt_udp_kind(conn, 7), ==, BT_UDP_OTHER);
	CHECK_INT(bt_udp_kind(err_le, 8), ==, BT_UDP_TRACKER);
	CHECK_INT(bt_udp_kind(scrape, 8), ==, BT_UDP_TRACKER);
	CHECK_INT(bt_udp_kind(act4, 8), ==, BT_UDP_OTHER);
	CHECK_INT(bt_udp_kind((const uint8_t *)"d1:ad2:id20:", 12), ==, BT_UDP_DHT);
	CHECK_INT(bt_udp_kind(utp, 20), ==, BT_UDP_UTP);	/* ST_SYN */
	utp[0] = 0x01;
	CHECK_INT(bt_udp_kind(utp, 20), ==, BT_UDP_UTP);	/* ST_DATA */
	CHECK_INT(bt_udp_kind(utp, 19), ==, BT_UDP_OTHER);
	utp[0] = 0x51;
	CHECK_INT(bt_udp_kind(utp, 20), ==, BT_UDP_OTHER);	/* no type 5 */
	utp[0] = 0x02;
	CHECK_INT(bt_udp_kind(utp, 20), ==, BT_UDP_OTHER);	/* version 2 */
	CHECK_INT(bt_udp_kind(NULL, 0), ==, BT_UDP_OTHER);
}

/* Two receivers claim by content, in order; a spy in front sees all. */
static void
test_claims(void)
{
	struct bt_udp *u;
	struct bt_udp_stats st;
	struct sockaddr_storage pa, ma, l;
	struct rcv spy = { 0 }, a = { .tag = 'A' }, b = { .tag = 'B' };
	uint64_t ida, idb;
	int fd;

	CHECK_INT(bt_udp_new(&u, loop, NULL), ==, 0);
	CHECK_INT(bt_udp_local(u, AF_INET, &l), ==, BT_E_NOENT);	/* lazy */
	CHECK(bt_udp_listen(u, on_rcv, &spy) != 0);
	ida = bt_udp_listen(u, on_rcv, &a);
	idb = bt_udp_listen(u, on_rcv, &b);
	CHECK(ida != 0 && idb != 0 && ida != idb);
	CHECK(bt_udp_listen(u, NULL, NULL) == 0);

	/* The first send opens the IPv4 socket: the datagram arrives from
	 * its port. */
	fd = plain_socket(AF_INET, &pa);
	CHECK_INT(fd, >=, 0);
	CHECK_INT(bt_udp_send(u, &pa, "hello", 5), ==, 0);
	mux_addr(u, AF_INET, &ma);
	{
		char buf[16];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		uint64_t end = loop_now_ms() + 2000;
		while ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) < 0 &&
		    errno == EAGAIN && loop_now_ms() < end)
			usleep(1000);
		CHECK_MEM(buf, n > 0 ? (size_t)n : 0, "hello", 5);
		CHECK(bt_addr_equal(&from, &ma));
	}

	send_to(fd, &ma, "A1");
	send_to(fd, &ma, "B1");
	send_to(fd, &ma, "C1");
	send_to(fd, &ma, "A2");
	run_received(u, 4);
	CHECK_INT(spy.n, ==, 4);
	CHECK_INT(a.n, ==, 4);		/* offered everything spy passed on */
	CHECK_INT(a.claimed, ==, 2);
	CHECK_INT(b.n, ==, 2);		/* B1 and C1 */
	CHECK_INT(b.claimed, ==, 1);
	CHECK_MEM(a.last, a.lastn, "A2", 2);
	CHECK(bt_addr_equal(&a.from, &pa));
	bt_udp_stats(u, &st);
	CHECK_INT(st.unclaimed, ==, 1);
	CHECK_INT(st.sent, ==, 1);
	CHECK_INT(st.oversized, ==, 0);

	/* Unlisten outside a dispatch: B's packets are now unclaimed. */
	CHECK_INT(bt_udp_unlisten(u, idb), ==, 0);
	CHECK_INT(bt_udp_unlisten(u, idb), ==, BT_E_NOENT);
	CHECK_INT(bt_udp_unlisten(u, 12345), ==, BT_E_NOENT);
	send_to(fd, &ma, "B2");
	run_received(u, 5);
	CHECK_INT(b.n, ==, 2);
	bt_udp_stats(u, &st);
	CHECK_INT(st.unclaimed, ==, 2);
	close(fd);
	bt_udp_free(u);
	bt_udp_free(NULL);
}

/* Receivers unlisten themselves and others, and listen new ones, from
 * inside the callback. */
static void
test_reentry(void)
{
	struct bt_udp *u;
	struct bt_udp_stats st;
	struct sockaddr_storage pa, ma;
	struct rcv x = { .tag = 'X' }, y = { 0 }, z = { .tag = 'Z' }, w = { .tag = 'W' };
	uint64_t idx, idy, idz;
	int fd;

	CHECK_INT(bt_udp_new(&u, loop, &(struct bt_udp_opts){ .flags = BT_UDP_OPEN4 }), ==, 0);
	mux_addr(u, AF_INET, &ma);
	fd = plain_socket(AF_INET, &pa);
	idx = bt_udp_listen(u, on_rcv, &x);
	idy = bt_udp_listen(u, on_rcv, &y);
	idz = bt_udp_listen(u, on_rcv, &z);
	(void)idy;

	/* X claims its first packet and unlistens itself on the way. */
	x.self_id = idx;
	send_to(fd, &ma, "X1");
	run_received(u, 1);
	CHECK_INT(x.n, ==, 1);
	CHECK_INT(x.claimed, ==, 1);
	CHECK_INT(y.n, ==, 0);
	send_to(fd, &ma, "X2");		/* nobody's now */
	run_received(u, 2);
	CHECK_INT(x.n, ==, 1);
	CHECK_INT(y.n, ==, 1);
	CHECK_INT(z.n, ==, 1);

	/* Y unlistens Z (after it) and listens W: Z is not offered this
	 * packet, W first sees the next one. */
	y.kill_id = idz;
	y.add = &w;
	send_to(fd, &ma, "Z1");
	run_received(u, 3);
	CHECK_INT(y.n, ==, 2);
	CHECK_INT(z.n, ==, 1);
	CHECK_INT(w.n, ==, 0);
	send_to(fd, &ma, "W1");
	send_to(fd, &ma, "Z2");
	run_received(u, 5);
	CHECK_INT(z.n, ==, 1);
	CHECK_INT(w.n, ==, 2);
	CHECK_INT(w.claimed, ==, 1);
	CHECK_INT(bt_udp_unlisten(u, idz), ==, BT_E_NOENT);
	bt_udp_stats(u, &st);
	CHECK_INT(st.unclaimed, ==, 3);	/* X2, Z1, Z2 */

	/* A receiver frees the mux: the receivers after it and the rest of
	 * the batch are skipped, the free happens after the read. */
	{
		struct rcv f = { .free_mux = 1 }, g = { 0 };
		CHECK_INT(bt_udp_unlisten(u, idy), ==, 0);
		CHECK_INT(bt_udp_unlisten(u, y.add_id), ==, 0);
		bt_udp_listen(u, on_rcv, &f);
		bt_udp_listen(u, on_rcv, &g);
		for (int k = 0; k < 3; k++)
			send_to(fd, &ma, "F");
		usleep(20000);
		bt_loop_run_once(loop, 100);
		CHECK_INT(f.n, ==, 1);
		CHECK_INT(g.n, ==, 0);
		bt_loop_run_once(loop, 20);
		CHECK_INT(f.n, ==, 1);
		CHECK_INT(bt_io_count(loop), ==, 0);	/* its socket is gone */
	}
	close(fd);
}

/* At most BT_UDP_BATCH datagrams per readable event; oversized ones are
 * dropped. */
static void
test_batch(void)
{
	struct bt_udp *u;
	struct bt_udp_stats st;
	struct sockaddr_storage pa, ma;
	struct rcv r = { .tag = 'p' };
	static uint8_t big[BT_UDP_DGRAM_MAX + 1];
	int fd, sndbuf = 1 << 20;

	CHECK_INT(bt_udp_new(&u, loop, &(struct bt_udp_opts){ .flags = BT_UDP_OPEN4 }), ==, 0);
	mux_addr(u, AF_INET, &ma);
	fd = plain_socket(AF_INET, &pa);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	bt_udp_listen(u, on_rcv, &r);
	for (int k = 0; k < 100; k++)
		send_to(fd, &ma, "ping");
	usleep(20000);
	bt_loop_run_once(loop, 100);
	CHECK_INT(r.n, ==, BT_UDP_BATCH);
	run_received(u, 100);
	CHECK_INT(r.n, ==, 100);

	memset(big, 'p', sizeof(big));
	CHECK_INT(sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&ma, bt_addr_len(&ma)),
		==, (long long)sizeof(big));
	CHECK_INT(sendto(fd, big, BT_UDP_DGRAM_MAX, 0, (struct sockaddr *)&ma,
		bt_addr_len(&ma)), ==, BT_UDP_DGRAM_MAX);
	run_received(u, 102);
	CHECK_INT(r.n, ==, 101);	/* the one that fits */
	bt_udp_stats(u, &st);
	CHECK_INT(st.oversized, ==, 1);
	CHECK_INT(st.unclaimed, ==, 0);
	close(fd);
	bt_udp_free(u);
}

/* IPv6 ::1 (skipped when the host has no IPv6). */
static void
test_ipv6(void)
{
	struct bt_udp *u;
	struct sockaddr_storage pa, ma, pa4, ma4, from;
	struct rcv r = { .tag = '6' };
	char buf[16];
	socklen_t fl = sizeof(from);
	ssize_t n = -1;
	int fd, fd4;

	fd = plain_socket(AF_INET6, &pa);
	if (fd < 0) {
		printf("udp: no IPv6, skipped\n");
		return;
	}
	CHECK_INT(bt_udp_new(&u, loop, NULL), ==, 0);
	bt_udp_listen(u, on_rcv, &r);
	CHECK_INT(bt_udp_send(u, &pa, "six", 3), ==, 0);
	mux_addr(u, AF_INET6, &ma);
	CHECK_INT(bt_udp_local(u, AF_INET, &ma4), ==, BT_E_NOENT);	/* v4 not yet */
	for (uint64_t end = loop_now_ms() + 2000; n < 0 && loop_now_ms() < end; usleep(1000))
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	CHECK_MEM(buf, n > 0 ? (size_t)n : 0, "six", 3);
	CHECK(bt_addr_equal(&from, &ma));
	send_to(fd, &ma, "6a");
	run_received(u, 1);
	CHECK_INT(r.claimed, ==, 1);
	CHECK_INT(r.from.ss_family, ==, AF_INET6);
	CHECK(bt_addr_equal(&r.from, &pa));

	/* IPv4 goes through its own socket, IPv4-mapped destinations too. */
	fd4 = plain_socket(AF_INET, &pa4);
	{
		struct sockaddr_in6 m = { .sin6_family = AF_INET6 };
		struct sockaddr_storage mapped = { 0 };
		m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &((struct sockaddr_in *)&pa4)->sin_addr, 4);
		m.sin6_port = ((struct sockaddr_in *)&pa4)->sin_port;
		memcpy(&mapped, &m, sizeof(m));
		CHECK_INT(bt_udp_send(u, &mapped, "four", 4), ==, 0);
	}
	mux_addr(u, AF_INET, &ma4);
	n = -1;
	fl = sizeof(from);
	for (uint64_t end = loop_now_ms() + 2000; n < 0 && loop_now_ms() < end; usleep(1000))
		n = recvfrom(fd4, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	CHECK_MEM(buf, n > 0 ? (size_t)n : 0, "four", 4);
	CHECK(bt_addr_equal(&from, &ma4));
	send_to(fd4, &ma4, "6b");
	run_received(u, 2);
	CHECK_INT(r.claimed, ==, 2);
	CHECK_INT(r.from.ss_family, ==, AF_INET);
	close(fd4);
	close(fd);
	bt_udp_free(u);
}

/* Bind options, argument errors, send errors. */
static void
test_opts(void)
{
	struct bt_udp *u, *u2;
	struct bt_udp_opts o;
	struct bt_udp_stats st;
	struct sockaddr_storage a, to;
	uint16_t port;
	int fd;

	CHECK_INT(bt_udp_new(NULL, loop, NULL), ==, BT_E_INVAL);
	CHECK_INT(bt_udp_new(&u, NULL, NULL), ==, BT_E_INVAL);
	CHECK(u == NULL);
	memset(&o, 0, sizeof(o));
	bt_addr_loopback(&o.bind4, AF_INET6, 0);
	CHECK_INT(bt_udp_new(&u, loop, &o), ==, BT_E_INVAL);
	memset(&o, 0, sizeof(o));
	o.flags = BT_UDP_OPEN6 | BT_UDP_NO_V6;
	CHECK_INT(bt_udp_new(&u, loop, &o), ==, BT_E_INVAL);

	/* A fixed port and address. */
	fd = plain_socket(AF_INET, &a);
	port = bt_addr_port(&a);
	close(fd);
	memset(&o, 0, sizeof(o));
	o.port = port;
	bt_addr_loopback(&o.bind4, AF_INET, 0);
	o.flags = BT_UDP_OPEN4 | BT_UDP_NO_V6;
	CHECK_INT(bt_udp_new(&u, loop, &o), ==, 0);
	CHECK_INT(bt_udp_local(u, AF_INET, &a), ==, 0);
	bt_addr_loopback(&to, AF_INET, port);
	CHECK(bt_addr_equal(&a, &to));
	/* The port is taken: the error and its errno come back. */
	errno = 0;
	CHECK_INT(bt_udp_new(&u2, loop, &o), ==, BT_E_IO);
	CHECK_INT(errno, ==, EADDRINUSE);
	CHECK(u2 == NULL);

	/* No IPv6, a bad family. */
	bt_addr_loopback(&to, AF_INET6, 9);
	CHECK_INT(bt_udp_send(u, &to, "x", 1), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_udp_open(u, AF_INET6), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_udp_open(u, AF_UNIX), ==, BT_E_INVAL);
	memset(&to, 0, sizeof(to));
	CHECK_INT(bt_udp_send(u, &to, "x", 1), ==, BT_E_INVAL);
	/* Too big for UDP: the system's error. */
	{
		static uint8_t huge[70000];
		bt_addr_loopback(&to, AF_INET, 9);
		errno = 0;
		CHECK_INT(bt_udp_send(u, &to, huge, sizeof(huge)), ==, BT_E_IO);
		CHECK_INT(errno, ==, EMSGSIZE);
	}
	bt_udp_stats(u, &st);
	CHECK_INT(st.send_errors, ==, 3);
	CHECK_INT(st.sent, ==, 0);
	bt_udp_free(u);
	CHECK_INT(bt_io_count(loop), ==, 0);
}

int
main(void)
{
	loop = bt_loop_new(64);
	if (!loop)
		return 1;
	test_kind();
	test_claims();
	test_reentry();
	test_batch();
	test_ipv6();
	test_opts();
	CHECK_INT(bt_io_count(loop), ==, 0);
	bt_loop_free(loop);
	return check_summary("udp");
}
