/* peer_io.c - one connection's socket, send queue and partial message
 * (see peer_io.h). */
#include "peer_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "rc4.h"
#include "reactor.h"

#define READ_ROUNDS	16	/* recv calls per readable event at most */

struct bt_peer_io {
	struct bt_loop *loop;
	int fd;
	uint8_t connecting;
	struct bt_pio_rbuf *rbuf;
	struct bt_pio_cb cb;
	void *ud;
	/* Leftover of a partial message between reads. */
	uint8_t *in;
	size_t in_len, in_cap;
	/* Bytes waiting to be sent: out.p[out_off .. out.len). */
	struct bt_buf out;
	size_t out_off;
	uint64_t last_recv_ms, last_send_ms;
	/* MSE's RC4 streams (NULL: plaintext).  out.p[enc_off ..
	 * out.len) is still plain; dec_fresh: set during cb->data, the
	 * undelivered rest is still ciphertext. */
	struct pio_rc4 *rc4;
	size_t enc_off;
	uint8_t in_deliver, dec_fresh;
	/* bt_pio_want_drained asked for the next writable event: kept
	 * until it comes, whatever is flushed meanwhile. */
	uint8_t want_write;
	/* Plain bytes to put back in front of the rest (bt_pio_unread). */
	uint8_t *unread;
	size_t unread_len;
};

struct pio_rc4 {
	struct bt_rc4 enc, dec;
	uint8_t has_enc, has_dec;
};

static void on_io(struct bt_loop *loop, int fd, unsigned ev, void *ud);

struct bt_peer_io *
bt_pio_new(struct bt_loop *loop, int fd, int connecting, struct bt_pio_rbuf *rbuf,
	const struct bt_pio_cb *cb, void *ud)
{
	struct bt_peer_io *io = calloc(1, sizeof(*io));

	if (!io) {
		close(fd);
		return NULL;
	}
	io->loop = loop;
	io->fd = fd;
	io->connecting = connecting != 0;
	io->rbuf = rbuf;
	io->cb = *cb;
	io->ud = ud;
	io->last_recv_ms = io->last_send_ms = bt_loop_now_ms(loop);
	bt_buf_init(&io->out, 0);
	/* Requests are small and the queue is flushed once per read: no
	 * waiting for Nagle (harmless on a Unix socket in the tests). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (bt_io_add(loop, fd, BT_EV_READ | (connecting ? BT_EV_WRITE : 0), on_io, io) < 0) {
		close(fd);
		free(io);
		return NULL;
	}
	return io;
}

void
bt_pio_set_cb(struct bt_peer_io *io, const struct bt_pio_cb *cb, void *ud)
{
	io->cb = *cb;
	io->ud = ud;
}

/* The connection failed: close, then tell the owner. */
static void
fail(struct bt_peer_io *io, const char *why)
{
	if (io->fd < 0)
		return;
	bt_pio_close(io);
	if (io->cb.closed)
		io->cb.closed(io->ud, why);
}

/* Give back a parked buffer larger than BT_PIO_PARK_FREE. */
static void
unpark(struct bt_peer_io *io)
{
	if (io->in_cap > BT_PIO_PARK_FREE) {
		io->rbuf->parked -= io->in_cap - BT_PIO_PARK_FREE;
		free(io->in);
		io->in = NULL;
		io->in_cap = 0;
	}
}

/* Keep buf[0..have) for the next read, within the client's budget. */
static int
park_rest(struct bt_peer_io *io, const uint8_t *buf, size_t have)
{
	if (have > io->in_cap) {
		size_t old = io->in_cap > BT_PIO_PARK_FREE ? io->in_cap - BT_PIO_PARK_FREE : 0;
		size_t now = have > BT_PIO_PARK_FREE ? have - BT_PIO_PARK_FREE : 0;
		uint8_t *q;
		if (io->rbuf->parked_max && io->rbuf->parked - old + now > io->rbuf->parked_max)
			return -2;
		if (!(q = realloc(io->in, have)))
			return -1;
		io->in = q;
		io->in_cap = have;
		io->rbuf->parked += now - old;
	} else if (!have) {
		unpark(io);
	}
	if (have)
		memmove(io->in, buf, have);
	io->in_len = have;
	return 0;
}

/* Offer buf[0..*have) to the owner until it takes no more (a handshake
 * hands the rest to its successor, which takes it on the next call).
 * Returns 0, or -1 when the connection is gone. */
static int
deliver(struct bt_peer_io *io, uint8_t *buf, size_t *have)
{
	while (*have) {
		io->in_deliver = 1;
		ssize_t used = io->cb.data(io->ud, buf, *have);
		io->in_deliver = 0;
		if (io->fd < 0)
			return -1;
		if (used < 0 || (size_t)used > *have) {
			fail(io, "protocol error");
			return -1;
		}
		if (io->dec_fresh) {
			/* The stream turned encrypted inside that call. */
			io->dec_fresh = 0;
			bt_rc4_crypt(&io->rc4->dec, buf + used, *have - (size_t)used);
		}
		int replaced = io->unread_len != 0;
		if (replaced) {
			if (io->unread_len > (size_t)used) {
				fail(io, "protocol error");
				return -1;
			}
			used -= (ssize_t)io->unread_len;
			memcpy(buf + used, io->unread, io->unread_len);
			free(io->unread);
			io->unread = NULL;
			io->unread_len = 0;
		}
		if (used == 0 && !replaced)
			return 0;
		*have -= (size_t)used;
		memmove(buf, buf + used, *have);
	}
	return 0;
}

/* Read and hand over until the socket is drained.  A partial message
 * stays at the front of the shared buffer between reads and is parked
 * in io->in only when the event ends. */
static void
read_some(struct bt_peer_io *io)
{
	uint8_t *buf = io->rbuf->p;
	size_t have = io->in_len;

	if (have)
		memcpy(buf, io->in, have);
	for (int rounds = 0; rounds < READ_ROUNDS; rounds++) {
		size_t room = io->rbuf->len - have;
		ssize_t n;

		n = recv(io->fd, buf + have, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			fail(io, n == 0 ? "closed" : "recv failed");
			return;
		}
		io->last_recv_ms = bt_loop_now_ms(io->loop);
		if (io->rc4 && io->rc4->has_dec)
			bt_rc4_crypt(&io->rc4->dec, buf + have, (size_t)n);
		have += (size_t)n;
		if (deliver(io, buf, &have) < 0)
			return;
		if ((size_t)n < room)
			break;	/* drained */
	}
	switch (park_rest(io, buf, have)) {
	case -1:
		fail(io, "out of memory");
		return;
	case -2:
		fail(io, "receive budget");
		return;
	}
	if (io->cb.drained && io->out.len - io->out_off < BT_PIO_LOW) {
		io->cb.drained(io->ud);
		if (io->fd < 0)
			return;
	}
	if (io->cb.read_done)
		io->cb.read_done(io->ud);
}

static int
send_queued(struct bt_peer_io *io)
{
	if (io->rc4 && io->rc4->has_enc && io->enc_off < io->out.len) {
		bt_rc4_crypt(&io->rc4->enc, io->out.p + io->enc_off, io->out.len - io->enc_off);
		io->enc_off = io->out.len;
	}
	while (io->out_off < io->out.len) {
		ssize_t n = send(io->fd, io->out.p + io->out_off, io->out.len - io->out_off,
			MSG_NOSIGNAL);
		if (n > 0) {
			io->out_off += (size_t)n;
			io->last_send_ms = bt_loop_now_ms(io->loop);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	io->out.len = io->out_off = io->enc_off = 0;
	return 0;
}

/* Send what the socket takes.  A flush that takes the queue from
 * BT_PIO_LOW or more to less asks for the next writable event, where
 * cb->drained refills it (arm_drained; on_io calls cb->drained itself):
 * a flush in passing (the end of a read, a message to the peer) may
 * empty a queue that was too full for a refill a moment before, and
 * the owner would otherwise wait for the peer's next message. */
static int
flush(struct bt_peer_io *io, int arm_drained)
{
	size_t before = io->out.len - io->out_off;

	if (io->fd < 0)
		return -1;
	if (io->connecting)
		return 0;	/* sent once connected */
	if (io->out.err) {
		fail(io, "out of memory");
		return -1;
	}
	if (send_queued(io) < 0) {
		fail(io, "send failed");
		return -1;
	}
	if (arm_drained && io->cb.drained && before >= BT_PIO_LOW &&
		io->out.len - io->out_off < BT_PIO_LOW)
		io->want_write = 1;
	bt_io_set(io->loop, io->fd, BT_EV_READ |
		(io->out.len > io->out_off || io->want_write ? BT_EV_WRITE : 0));
	return 0;
}

int
bt_pio_flush(struct bt_peer_io *io)
{
	return flush(io, 1);
}

/* The writable event is asked for until it comes: a flush of an empty
 * queue in between (the read's end, another message) must not take the
 * request back, or a sender with more to send would wait for the peer's
 * next message (Transmission, its pipeline full, sends none). */
void
bt_pio_want_drained(struct bt_peer_io *io)
{
	if (io->fd >= 0 && !io->connecting) {
		io->want_write = 1;
		bt_io_set(io->loop, io->fd, BT_EV_READ | BT_EV_WRITE);
	}
}

static void
on_io(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_peer_io *io = ud;

	(void)loop;
	(void)fd;
	if (io->fd < 0)
		return;
	if (io->connecting) {
		int rc = bt_net_connect_finish(io->fd);
		if (rc == BT_E_PARTIAL)
			return;
		if (rc < 0) {
			fail(io, "connect failed");
			return;
		}
		io->connecting = 0;
		if (io->cb.connected)
			io->cb.connected(io->ud);
		if (io->fd >= 0)
			bt_pio_flush(io);
		return;
	}
	if (ev & (BT_EV_READ | BT_EV_HUP | BT_EV_ERR))
		read_some(io);
	if (io->fd >= 0 && (ev & BT_EV_WRITE)) {
		io->want_write = 0;
		if (flush(io, 0) == 0 && io->out.len - io->out_off < BT_PIO_LOW &&
			io->cb.drained)
			io->cb.drained(io->ud);
	}
}

int
bt_pio_set_rc4(struct bt_peer_io *io, const struct bt_rc4 *enc, const struct bt_rc4 *dec)
{
	if (!io->rc4 && !(io->rc4 = calloc(1, sizeof(*io->rc4))))
		return BT_E_NOMEM;
	if (enc) {
		io->rc4->enc = *enc;
		io->rc4->has_enc = 1;
		io->enc_off = io->out.len;
	}
	if (dec) {
		io->rc4->dec = *dec;
		io->rc4->has_dec = 1;
		if (io->in_deliver)
			io->dec_fresh = 1;
		else
			bt_rc4_crypt(&io->rc4->dec, io->in, io->in_len);
	}
	return 0;
}

int
bt_pio_unread(struct bt_peer_io *io, const uint8_t *p, size_t n)
{
	uint8_t *q;

	if (!io->in_deliver || io->unread_len)
		return BT_E_INVAL;
	if (!n)
		return 0;
	if (!(q = malloc(n)))
		return BT_E_NOMEM;
	memcpy(q, p, n);
	io->unread = q;
	io->unread_len = n;
	return 0;
}

int
bt_pio_encrypted(const struct bt_peer_io *io)
{
	return io->rc4 && io->rc4->has_enc;
}

struct bt_buf *
bt_pio_out(struct bt_peer_io *io)
{
	return &io->out;
}

size_t
bt_pio_queued(const struct bt_peer_io *io)
{
	return io->out.len - io->out_off;
}

void
bt_pio_last_words(struct bt_peer_io *io)
{
	if (io->fd >= 0 && !io->connecting && io->out.len > io->out_off)
		send_queued(io);
}

void
bt_pio_close(struct bt_peer_io *io)
{
	if (io->fd < 0)
		return;
	bt_io_del(io->loop, io->fd);
	close(io->fd);
	io->fd = -1;
}

int
bt_pio_is_closed(const struct bt_peer_io *io)
{
	return io->fd < 0;
}

void
bt_pio_free(struct bt_peer_io *io)
{
	if (!io)
		return;
	bt_pio_close(io);
	unpark(io);
	free(io->in);
	bt_buf_free(&io->out);
	free(io->unread);
	free(io->rc4);
	free(io);
}

uint64_t
bt_pio_last_recv(const struct bt_peer_io *io)
{
	return io->last_recv_ms;
}

uint64_t
bt_pio_last_send(const struct bt_peer_io *io)
{
	return io->last_send_ms;
}
