/* handshake.c - the BEP 3 handshake in both directions, optionally behind
 * MSE/PE (see handshake.h). */
#include "handshake.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mse.h"
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
	uint8_t crypto;		/* BT_HS_CRYPTO_* */
	uint8_t sniffed;	/* incoming: plaintext or MSE decided */
	uint8_t mse_failed;	/* ended inside the MSE handshake */
	uint8_t encrypted;	/* MSE done (RC4 or plaintext selected) */
	uint8_t skey[20];	/* MSE's SKEY, once done */
	struct bt_mse *mse;	/* the MSE handshake in progress */
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
	if (hs->encrypted && memcmp(ih, hs->skey, 20) != 0)
		return -1;
	hs->owner = hs->host->route(hs->ud, ih, &hs->addr, &hs->me);
	if (!hs->owner)
		return -1;
	hs->routed = 1;
	send_ours(hs);
	return bt_pio_flush(hs->io);
}

/* The methods we offer (initiator) or accept (responder). */
static uint32_t
mse_methods(const struct bt_hs *hs)
{
	return hs->crypto >= BT_HS_CRYPTO_ONLY ? BT_MSE_RC4 : BT_MSE_RC4 | BT_MSE_PLAIN;
}

static int
find_skey(void *ud, const uint8_t req2[20], uint8_t skey[20])
{
	struct bt_hs *hs = ud;

	return hs->host->find_skey ? hs->host->find_skey(hs->ud, req2, skey) : -1;
}

/* The first bytes of an incoming connection: the plaintext handshake's
 * "\x13BitTorrent protocol", or else MSE.  Returns 1 (decided), 0 (more
 * bytes needed) or -1 (refused, finished). */
static int
sniff(struct bt_hs *hs, const uint8_t *buf, size_t len)
{
	static const char proto[] = "\x13" BT_PW_PROTOCOL;
	size_t n = len < sizeof proto - 1 ? len : sizeof proto - 1;

	if (memcmp(buf, proto, n) == 0) {
		if (n < sizeof proto - 1)
			return 0;
		if (hs->crypto >= BT_HS_CRYPTO_ONLY) {
			finish(hs, "plaintext refused");
			return -1;
		}
		hs->sniffed = 1;
		return 1;
	}
	if (hs->crypto == BT_HS_CRYPTO_OFF) {
		finish(hs, "encryption refused");
		return -1;
	}
	hs->mse = bt_mse_responder(mse_methods(hs), find_skey, hs);
	if (!hs->mse) {
		finish(hs, "out of memory");
		return -1;
	}
	hs->sniffed = 1;
	return 1;
}

static const char *
mse_why(ssize_t rc)
{
	switch (rc) {
	case BT_E_NOENT:
		return "unknown torrent (encrypted)";
	case BT_E_UNSUPPORTED:
		return "no common encryption method";
	case BT_E_NOMEM:
		return "out of memory";
	default:
		return "encryption handshake failed";
	}
}

/* MSE finished: switch the transport over, hand the IA on. */
static int
mse_finish(struct bt_hs *hs)
{
	struct bt_mse_result r;

	bt_mse_result(hs->mse, &r);
	if (r.selected == BT_MSE_RC4 && bt_pio_set_rc4(hs->io, &r.enc, &r.dec) < 0)
		return -1;
	if (r.ia_len && bt_pio_unread(hs->io, r.ia, r.ia_len) < 0)
		return -1;
	memcpy(hs->skey, r.skey, 20);
	hs->encrypted = 1;
	bt_mse_free(hs->mse);
	hs->mse = NULL;
	return 0;
}

/* Bytes of the MSE handshake, either role. */
static ssize_t
mse_data(struct bt_hs *hs, const uint8_t *buf, size_t len)
{
	ssize_t used = bt_mse_feed(hs->mse, buf, len, bt_pio_out(hs->io));

	if (used >= 0 && bt_mse_done(hs->mse) && mse_finish(hs) < 0)
		used = BT_E_NOMEM;
	if (used < 0) {
		hs->mse_failed = 1;
		finish(hs, mse_why(used));
		return 0;
	}
	if (bt_pio_flush(hs->io) < 0)
		return 0;
	return used;
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
	if (hs->incoming && !hs->sniffed) {
		if ((rc = sniff(hs, buf, len)) <= 0)
			return rc;
	}
	if (hs->mse)
		return mse_data(hs, buf, len);
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
	if (hs->crypto >= BT_HS_CRYPTO_PREFER) {
		/* MSE first, our handshake inside it as IA. */
		uint8_t b[BT_PW_HANDSHAKE_LEN];
		bt_pw_handshake_write(b, hs->me.info_hash, hs->me.peer_id, hs->me.reserved);
		hs->mse = bt_mse_initiator(hs->me.info_hash, mse_methods(hs), b, sizeof b,
			bt_pio_out(hs->io));
		if (!hs->mse) {
			hs->mse_failed = 1;
			bt_pio_close(hs->io);
			finish(hs, "out of memory");
		}
		return;
	}
	send_ours(hs);
}

static void
on_closed(void *ud, const char *why)
{
	struct bt_hs *hs = ud;

	if (hs->mse)
		hs->mse_failed = 1;
	finish(hs, why);
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
bt_hs_set_crypto(struct bt_hs *hs, int mode)
{
	hs->crypto = (uint8_t)mode;
}

int
bt_hs_mse_failed(const struct bt_hs *hs)
{
	return hs->mse_failed;
}

void
bt_hs_free(struct bt_hs *hs)
{
	if (!hs)
		return;
	bt_mse_free(hs->mse);
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
