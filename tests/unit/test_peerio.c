/* test_peerio.c - peer_io.c, one connection's transport, over a socket
 * pair: bytes handed over with the parked partial message in front, a
 * data callback that takes part of what came, the send queue and its
 * flush, the end of the stream, and the budget for parked bytes that
 * closes a connection holding too much. */
#include "peer_io.h"
#include "reactor.h"
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the owner saw. */
struct owner {
	size_t take;		/* data: use whole units of this many bytes */
	size_t got, calls, read_done;
	uint8_t first;		/* first byte of the last data taken */
	const char *closed;
};

static ssize_t
on_data(void *ud, const uint8_t *buf, size_t len)
{
	struct owner *o = ud;
	size_t use = o->take ? len / o->take * o->take : 0;

	o->calls++;
	if (use)
		o->first = buf[0];
	o->got += use;
	return (ssize_t)use;
}

static void
on_read_done(void *ud)
{
	((struct owner *)ud)->read_done++;
}

static void
on_closed(void *ud, const char *why)
{
	((struct owner *)ud)->closed = why;
}

static const struct bt_pio_cb cb = { NULL, on_data, on_read_done, NULL, on_closed };

static void
run(struct bt_loop *loop, int rounds)
{
	for (int i = 0; i < rounds; i++)
		bt_loop_run_once(loop, 10);
}

static int
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return 0;
}

/* Whole units are taken, the rest waits in front of the next bytes. */
static void
test_partial(struct bt_loop *loop, struct bt_pio_rbuf *rb)
{
	struct owner o = { .take = 10 };
	struct bt_peer_io *io;
	int sv[2];

	CHECK(pair(sv) == 0);
	io = bt_pio_new(loop, sv[0], 0, rb, &cb, &o);
	CHECK(io != NULL);
	CHECK(write(sv[1], "abcdefghijklmno", 15) == 15);	/* 10 used, 5 kept */
	run(loop, 5);
	CHECK_INT(o.got, ==, 10);
	CHECK_INT(o.read_done, >=, 1);
	CHECK(write(sv[1], "pqrstuvwxyz", 11) == 11);	/* the 5 kept go first */
	run(loop, 5);
	CHECK_INT(o.got, ==, 20);
	CHECK_INT(o.first, ==, 'k');
	/* The send queue goes out on flush. */
	bt_buf_add(bt_pio_out(io), "hello", 5);
	CHECK_INT(bt_pio_queued(io), ==, 5);
	CHECK_INT(bt_pio_flush(io), ==, 0);
	CHECK_INT(bt_pio_queued(io), ==, 0);
	{
		char b[8] = { 0 };
		CHECK(read(sv[1], b, sizeof(b)) == 5 && memcmp(b, "hello", 5) == 0);
	}
	/* The peer hangs up. */
	close(sv[1]);
	run(loop, 5);
	CHECK(o.closed && strcmp(o.closed, "closed") == 0);
	CHECK(bt_pio_is_closed(io));
	bt_pio_free(io);
}

/* A connection parking more than the budget allows is closed, and what
 * it held is given back. */
static void
test_budget(struct bt_loop *loop, struct bt_pio_rbuf *rb)
{
	struct owner o = { .take = 0 };		/* never takes anything */
	struct bt_peer_io *io;
	static uint8_t big[96 << 10];
	size_t sent = 0;
	int sv[2];

	CHECK(pair(sv) == 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	io = bt_pio_new(loop, sv[0], 0, rb, &cb, &o);
	CHECK(io != NULL);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 200 && sent < sizeof(big) && !o.closed; i++) {
		ssize_t n = write(sv[1], big + sent, sizeof(big) - sent);
		if (n > 0)
			sent += (size_t)n;
		run(loop, 1);
	}
	run(loop, 5);
	CHECK(o.closed && strcmp(o.closed, "receive budget") == 0);
	bt_pio_free(io);
	CHECK_INT(rb->parked, ==, 0);
	close(sv[1]);
}

int
main(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	static uint8_t buf[256 << 10];
	struct bt_pio_rbuf rb = { buf, sizeof(buf), 0, 32u << 10 };

	test_partial(loop, &rb);
	CHECK_INT(rb.parked, ==, 0);
	test_budget(loop, &rb);
	bt_loop_free(loop);
	return check_summary("peerio");
}
