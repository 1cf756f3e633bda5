/* handshake.c - the BEP 3 handshake in both directions (see handshake.h). */
#include "handshake.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "peer_io.h"
#include "peerwire.h"
#include "reactor.h"

#define HS_PREFIX	48	/* protocol string, reserved, info hash */

struct bt_hs {
	struct bt_peer_io *io;
	const struct bt_hs_host *host;
	void *ud;
	void *owner;
	struct sockaddr_storage addr;
	struct bt_hs_ident me;
	uint64_t born_ms;
	uint8_t incoming, routed, connecting, over;
};

static void
send_ours(struct bt_hs *hs)
{
	uint8_t b[BT_PW_HANDSHAKE_LEN];

	bt_pw_handshake_write(b, hs->me.info_hash, hs->me.peer_id, hs->me.reserved);
	bt_buf_add(bt_pio_out(hs->io), b, sizeof(b));
}

static void
finish(struct bt_hs *hs, const char *why)
{
	if (hs->over)
		return;
	hs->over = 1;
	hs->host->failed(hs->ud, hs, why);
}

/* The first 48 bytes of an incoming handshake: find the torrent. */
static int
route(struct bt_hs *hs, const uint8_t *buf)
{
	uint8_t ih[20];

	memcpy(ih, buf + 28, 20);
	hs->owner = hs->host->route(hs->ud, ih, &hs->addr, &hs->me);
	if (!hs->owner)
		return -1;
	hs->routed = 1;
	send_ours(hs);
	return bt_pio_flush(hs->io);
}

static ssize_t
on_data(void *ud, const uint8_t *buf, size_t len)
{
	struct bt_hs *hs = ud;
	struct bt_pw_handshake h;
	struct bt_hs_result r;
	int rc;

	if (hs->over)
		return 0;
	rc = bt_pw_handshake_parse(buf, len, &h);
	if (rc < 0 && rc != BT_E_PARTIAL)
		return -1;
	if (hs->incoming && !hs->routed && len >= HS_PREFIX && route(hs, buf) < 0) {
		finish(hs, "unknown torrent");
		return 0;
	}
	if (rc == BT_E_PARTIAL)
		return 0;
	if (memcmp(h.info_hash, hs->me.info_hash, 20) != 0) {
		finish(hs, "wrong info hash");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.io = hs->io;
	r.owner = hs->owner;
	r.addr = hs->addr;
	r.incoming = hs->incoming;
	memcpy(r.reserved, h.reserved, 8);
	memcpy(r.peer_id, h.peer_id, 20);
	hs->over = 1;
	if (hs->host->done(hs->ud, hs, &r) < 0) {
		bt_pio_close(hs->io);
		return 0;
	}
	hs->io = NULL;		/* handed over: the rest is the new owner's */
	return BT_PW_HANDSHAKE_LEN;
}

static void
on_connected(void *ud)
{
	struct bt_hs *hs = ud;

	hs->connecting = 0;
	send_ours(hs);
}

static void
on_closed(void *ud, const char *why)
{
	finish(ud, why);
}

static const struct bt_pio_cb hs_cb = {
	.connected = on_connected,
	.data = on_data,
	.closed = on_closed,
};

static struct bt_hs *
hs_new(struct bt_loop *loop, int fd, int connecting, const struct sockaddr_storage *addr,
	struct bt_pio_rbuf *rbuf, const struct bt_hs_host *host, void *ud)
{
	struct bt_hs *hs = calloc(1, sizeof(*hs));

	if (!hs) {
		close(fd);
		return NULL;
	}
	hs->host = host;
	hs->ud = ud;
	hs->addr = *addr;
	hs->connecting = connecting != 0;
	hs->born_ms = bt_loop_now_ms(loop);
	hs->io = bt_pio_new(loop, fd, connecting, rbuf, &hs_cb, hs);
	if (!hs->io) {
		free(hs);
		return NULL;
	}
	return hs;
}

struct bt_hs *
bt_hs_incoming(struct bt_loop *loop, int fd, const struct sockaddr_storage *from,
	struct bt_pio_rbuf *rbuf, const struct bt_hs_host *host, void *ud)
{
	struct bt_hs *hs = hs_new(loop, fd, 0, from, rbuf, host, ud);

	if (hs)
		hs->incoming = 1;
	return hs;
}

struct bt_hs *
bt_hs_outgoing(struct bt_loop *loop, int fd, int connecting, const struct sockaddr_storage *to,
	void *owner, const struct bt_hs_ident *me, struct bt_pio_rbuf *rbuf,
	const struct bt_hs_host *host, void *ud)
{
	/* Connected or not, the handshake goes out when the socket is
	 * first writable (so a failure never comes back from in here). */
	struct bt_hs *hs = hs_new(loop, fd, 1, to, rbuf, host, ud);

	(void)connecting;
	if (!hs)
		return NULL;
	hs->owner = owner;
	hs->me = *me;
	return hs;
}

void
bt_hs_abort(struct bt_hs *hs)
{
	hs->over = 1;
	if (hs->io)
		bt_pio_close(hs->io);
}

void
bt_hs_free(struct bt_hs *hs)
{
	if (!hs)
		return;
	bt_pio_free(hs->io);
	free(hs);
}

void *
bt_hs_owner(const struct bt_hs *hs)
{
	return hs->owner;
}

const struct sockaddr_storage *
bt_hs_addr(const struct bt_hs *hs)
{
	return &hs->addr;
}

int
bt_hs_is_incoming(const struct bt_hs *hs)
{
	return hs->incoming;
}

int
bt_hs_is_connecting(const struct bt_hs *hs)
{
	return hs->connecting;
}

uint64_t
bt_hs_born(const struct bt_hs *hs)
{
	return hs->born_ms;
}
