/* test_peerio.c - peer_io.c, one connection's transport, over a socket
 * pair: bytes handed over with the parked partial message in front, a
 * data callback that takes part of what came, the send queue and its
 * flush, the end of the stream, and the budget for parked bytes that
 * closes a connection holding too much; RC4 switched on from inside the
 * data callback (as MSE does) with a decrypted IA handed back in front. */
#include "peer_io.h"
#include "rc4.h"
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

/* A sender that stopped with more to send asks for the next writable
 * event; a flush of the empty queue before it comes (as at a read's end)
 * must not take the request back: drained still follows. */
struct drain_owner {
	struct bt_peer_io *io;
	size_t drained, read_done;
	int rearm;		/* drained asks again this many times */
};

static ssize_t
drain_data(void *ud, const uint8_t *buf, size_t len)
{
	(void)ud;
	(void)buf;
	return (ssize_t)len;
}

static void
drain_read_done(void *ud)
{
	struct drain_owner *o = ud;
	o->read_done++;
	bt_pio_flush(o->io);	/* nothing queued */
}

static void
drain_drained(void *ud)
{
	struct drain_owner *o = ud;
	o->drained++;
	if (o->rearm-- > 0) {
		bt_pio_want_drained(o->io);
		bt_pio_flush(o->io);
	}
}

static const struct bt_pio_cb drain_cb = { NULL, drain_data, drain_read_done,
	drain_drained, on_closed };

static void
test_want_drained(struct bt_loop *loop, struct bt_pio_rbuf *rb)
{
	struct drain_owner o = { 0 };
	int sv[2];

	CHECK(pair(sv) == 0);
	o.io = bt_pio_new(loop, sv[0], 0, rb, &drain_cb, &o);
	CHECK(o.io != NULL);
	run(loop, 3);
	CHECK_INT(o.drained, ==, 0);	/* nobody asked */
	bt_pio_want_drained(o.io);
	CHECK_INT(bt_pio_flush(o.io), ==, 0);
	run(loop, 1);
	CHECK_INT(o.drained, ==, 1);
	run(loop, 3);
	CHECK_INT(o.drained, ==, 1);	/* once per request */
	/* Asked again from drained, flushed in between: each request is
	 * served, then it stops. */
	o.rearm = 3;
	bt_pio_want_drained(o.io);
	run(loop, 10);
	CHECK_INT(o.drained, ==, 5);
	/* A flush in passing that takes a full queue (BT_PIO_LOW or more)
	 * below the mark is followed by drained, the refill's moment. */
	{
		static uint8_t big[BT_PIO_LOW + 4096];
		char sink[4096];
		bt_buf_add(bt_pio_out(o.io), big, sizeof(big));
		CHECK_INT(bt_pio_flush(o.io), ==, 0);
		CHECK_INT(bt_pio_queued(o.io), ==, 0);	/* the socket took it all */
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;	/* the peer reads: writable again */
		run(loop, 1);
		CHECK_INT(o.drained, ==, 6);
		/* A small flush does not: no extra wake-ups per message. */
		bt_buf_add(bt_pio_out(o.io), big, 100);
		CHECK_INT(bt_pio_flush(o.io), ==, 0);
		run(loop, 3);
		CHECK_INT(o.drained, ==, 6);
	}
	bt_pio_free(o.io);
	close(sv[1]);
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

/* ---- RC4 ---- */

/* An owner that, like MSE's responder, takes an 8-byte "handshake",
 * turns RC4 on and hands "hello" back as the decrypted IA; everything
 * after is collected. */
struct crypt_owner {
	struct bt_peer_io *io;
	struct bt_rc4 enc, dec;
	int switched;
	uint8_t got[64];
	size_t ngot;
};

static ssize_t
crypt_data(void *ud, const uint8_t *buf, size_t len)
{
	struct crypt_owner *o = ud;

	if (!o->switched) {
		if (len < 8)
			return 0;
		o->switched = 1;
		bt_pio_set_rc4(o->io, &o->enc, &o->dec);
		bt_pio_unread(o->io, (const uint8_t *)"hello", 5);
		return 8;
	}
	if (o->ngot + len > sizeof o->got)
		return -1;
	memcpy(o->got + o->ngot, buf, len);
	o->ngot += len;
	return (ssize_t)len;
}

static const struct bt_pio_cb crypt_cb = { NULL, crypt_data, NULL, NULL, on_closed };

/* together: the encrypted bytes come in the same write as the header. */
static void
test_rc4(struct bt_loop *loop, struct bt_pio_rbuf *rb, int together)
{
	static const uint8_t ka[20] = "keyAkeyAkeyAkeyAkeyA", kb[20] = "keyBkeyBkeyBkeyBkeyB";
	struct crypt_owner o;
	struct bt_rc4 peer_enc, peer_dec;
	uint8_t w[32], r[64];
	int sv[2];

	memset(&o, 0, sizeof(o));
	bt_rc4_init_mse(&o.enc, kb);
	bt_rc4_init_mse(&o.dec, ka);
	bt_rc4_init_mse(&peer_enc, ka);
	bt_rc4_init_mse(&peer_dec, kb);
	CHECK(pair(sv) == 0);
	o.io = bt_pio_new(loop, sv[0], 0, rb, &crypt_cb, &o);
	bt_buf_add(bt_pio_out(o.io), "PLAIN", 5);	/* queued before: sent as is */
	memcpy(w, "HDRxxxxx", 8);
	memcpy(w + 8, "world", 5);
	bt_rc4_crypt(&peer_enc, w + 8, 5);
	if (together) {
		CHECK(write(sv[1], w, 13) == 13);
		run(loop, 5);
	} else {
		CHECK(write(sv[1], w, 8) == 8);
		run(loop, 5);
		/* The IA alone: handed over at once, not held for more. */
		CHECK_MEM(o.got, o.ngot, "hello", 5);
		CHECK(write(sv[1], w + 8, 5) == 5);
		run(loop, 5);
	}
	CHECK_MEM(o.got, o.ngot, "helloworld", 10);
	CHECK(bt_pio_encrypted(o.io));
	bt_buf_add(bt_pio_out(o.io), "ping", 4);
	CHECK_INT(bt_pio_flush(o.io), ==, 0);
	CHECK(read(sv[1], r, sizeof r) == 9);
	CHECK_MEM(r, 5, "PLAIN", 5);
	bt_rc4_crypt(&peer_dec, r + 5, 4);
	CHECK_MEM(r + 5, 4, "ping", 4);
	bt_pio_free(o.io);
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
	test_want_drained(loop, &rb);
	test_rc4(loop, &rb, 0);
	test_rc4(loop, &rb, 1);
	CHECK_INT(rb.parked, ==, 0);
	bt_loop_free(loop);
	return check_summary("peerio");
}
