/* test_natcheck.c - the tracker's NAT checker: a peer that answers its
 * handshake passes, a wrong id, a refused port or silence fails; the
 * queue is bounded, first in first out across its growth, and freeing
 * reports the running checks as failed. */
#include "check.h"
#include "err.h"
#include "loop.h"
#include "natcheck.h"
#include "peerwire.h"

#include <stdlib.h>

static const uint8_t hash[20] = "HHHHHHHHHHHHHHHHHHHH";

/* What the done callback saw. */
struct seen {
	int n, ok, failed;
	int order[64];		/* peer_id[0] of each, in order */
};

static void
on_done(void *ud, const uint8_t info_hash[20], const uint8_t peer_id[20],
	const struct sockaddr_storage *addr, int ok)
{
	struct seen *s = ud;
	CHECK(memcmp(info_hash, hash, 20) == 0);
	CHECK(addr->ss_family == AF_INET);
	if (s->n < 64)
		s->order[s->n] = peer_id[0];
	s->n++;
	if (ok)
		s->ok++;
	else
		s->failed++;
}

/* A peer on the loop: accepts, reads the 48 bytes of the check and
 * answers with a handshake for `reply_id`. */
struct peer {
	struct bt_loop *loop;
	int lfd, fd;
	uint8_t in[48];
	size_t got;
	uint8_t reply_id[20];
};

static void
peer_read(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct peer *p = ud;
	(void)ev;
	ssize_t r = recv(fd, p->in + p->got, sizeof(p->in) - p->got, 0);
	if (r <= 0) {
		bt_io_del(loop, fd);
		close(fd);
		p->fd = -1;
		return;
	}
	p->got += (size_t)r;
	if (p->got == sizeof(p->in)) {
		uint8_t hs[BT_PW_HANDSHAKE_LEN];
		bt_pw_handshake_write(hs, hash, p->reply_id, NULL);
		CHECK(send(fd, hs, sizeof(hs), MSG_NOSIGNAL) == (ssize_t)sizeof(hs));
	}
}

static void
peer_accept(struct bt_loop *loop, int lfd, unsigned ev, void *ud)
{
	struct peer *p = ud;
	struct sockaddr_storage from;
	(void)ev;
	int fd = bt_net_accept(lfd, &from);
	if (fd < 0)
		return;
	p->fd = fd;
	p->got = 0;
	bt_io_add(loop, fd, BT_EV_READ, peer_read, p);
}

static void
addr_at(struct sockaddr_storage *a, uint16_t port)
{
	bt_addr_loopback(a, AF_INET, port);
}

/* One check against a peer answering with reply_id; returns ok. */
static int
check_peer(const uint8_t *want_id, const uint8_t *reply_id)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct peer p = { .loop = loop, .fd = -1 };
	struct seen s = { 0 };
	struct sockaddr_storage a;
	uint16_t port = 0;
	struct bt_natcheck_opts o = { .timeout_ms = 3000 };

	memcpy(p.reply_id, reply_id, 20);
	p.lfd = loop_listen_tcp(AF_INET, 8, 0, &port);
	CHECK(p.lfd >= 0);
	bt_io_add(loop, p.lfd, BT_EV_READ, peer_accept, &p);
	struct bt_natcheck *n = bt_natcheck_new(loop, &o, on_done, &s);
	addr_at(&a, port);
	CHECK_INT(bt_natcheck_start(n, hash, want_id, &a), ==, 0);
	loop_run_until(loop, &s.n, 1, 5000);
	CHECK_INT(s.n, ==, 1);
	CHECK_INT(p.got, ==, 48);
	bt_natcheck_free(n);
	CHECK_INT(s.n, ==, 1);
	if (p.fd >= 0) {
		bt_io_del(loop, p.fd);
		close(p.fd);
	}
	bt_io_del(loop, p.lfd);
	close(p.lfd);
	bt_loop_free(loop);
	return s.ok == 1;
}

static void
test_handshake(void)
{
	static const uint8_t id[20] = "-XX0001-abcdefghijkl", other[20] = "-XX0001-abcdefghijkm";
	CHECK(check_peer(id, id) == 1);
	CHECK(check_peer(id, other) == 0);
}

static void
test_refused(void)
{
	struct bt_loop *loop = bt_loop_new(16);
	struct seen s = { 0 };
	struct sockaddr_storage a;
	uint8_t id[20] = { 0 };
	struct bt_natcheck *n = bt_natcheck_new(loop, NULL, on_done, &s);

	addr_at(&a, loop_closed_port());
	CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, 0);
	loop_run_until(loop, &s.n, 1, 5000);
	CHECK_INT(s.failed, ==, 1);
	CHECK_INT(bt_natcheck_running(n), ==, 0);

	struct sockaddr_storage unix_addr = { .ss_family = AF_UNIX };
	CHECK_INT(bt_natcheck_start(n, hash, id, &unix_addr), ==, BT_E_INVAL);
	bt_natcheck_free(n);
	bt_loop_free(loop);
}

/* A listener that never accepts: connects succeed, nothing answers. */
static void
test_queue(void)
{
	struct bt_loop *loop = bt_loop_new(256);
	struct seen s = { 0 };
	struct sockaddr_storage a;
	uint8_t id[20] = { 0 };
	uint16_t port = 0;
	int lfd = loop_listen_tcp(AF_INET, 128, 0, &port);
	struct bt_natcheck_opts o = { .max_running = 1, .queue_max = 3, .timeout_ms = 30 };
	struct bt_natcheck *n = bt_natcheck_new(loop, &o, on_done, &s);

	addr_at(&a, port);
	for (int k = 0; k < 4; k++) {
		id[0] = (uint8_t)k;
		CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, 0);
	}
	CHECK_INT(bt_natcheck_running(n), ==, 1);
	CHECK_INT(bt_natcheck_queued(n), ==, 3);
	CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, BT_E_LIMIT);
	loop_run_until(loop, &s.n, 4, 5000);
	CHECK_INT(s.failed, ==, 4);
	for (int k = 0; k < 4; k++)
		CHECK_INT(s.order[k], ==, k);
	bt_natcheck_free(n);

	/* FIFO across growth while the ring has wrapped. */
	struct bt_natcheck_opts o2 = { .max_running = 1, .queue_max = 40, .timeout_ms = 10 };
	memset(&s, 0, sizeof(s));
	n = bt_natcheck_new(loop, &o2, on_done, &s);
	for (int k = 0; k < 10; k++) {
		id[0] = (uint8_t)k;
		CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, 0);
	}
	loop_run_until(loop, &s.n, 5, 5000);
	int total = 10;
	for (id[0] = 10; bt_natcheck_start(n, hash, id, &a) == 0; id[0]++)
		total++;
	CHECK_INT(bt_natcheck_queued(n), ==, 40);
	CHECK_INT(total, >, 40);
	loop_run_until(loop, &s.n, total, 10000);
	CHECK_INT(s.n, ==, total);
	int in_order = 1;
	for (int k = 0; k < total && k < 64; k++)
		in_order &= s.order[k] == k;
	CHECK(in_order);
	bt_natcheck_free(n);

	/* Stopped: nothing starts, everything waits; freeing drops the
	 * queued checks and reports the running one. */
	struct bt_natcheck_opts o3 = { .max_running = 2, .queue_max = 5, .timeout_ms = 5000 };
	memset(&s, 0, sizeof(s));
	n = bt_natcheck_new(loop, &o3, on_done, &s);
	CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, 0);
	bt_natcheck_stop(n);
	for (int k = 0; k < 5; k++)
		CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, 0);
	CHECK_INT(bt_natcheck_start(n, hash, id, &a), ==, BT_E_LIMIT);
	CHECK_INT(bt_natcheck_running(n), ==, 1);
	CHECK_INT(bt_natcheck_queued(n), ==, 5);
	bt_natcheck_free(n);
	CHECK_INT(s.n, ==, 1);
	CHECK_INT(s.failed, ==, 1);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	CHECK_INT(bt_io_count(loop), ==, 0);

	close(lfd);
	bt_loop_free(loop);
}

int
main(void)
{
	test_handshake();
	test_refused();
	test_queue();
	return check_summary("natcheck");
}
