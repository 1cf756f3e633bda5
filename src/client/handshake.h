/* handshake.h - the BitTorrent handshake (BEP 3), both directions, over a
 * peer transport (peer_io.h).
 *
 * Outgoing: once connected, send ours, then wait for the peer's 68
 * bytes and check its info hash.  Incoming: wait for the first 48 bytes
 * (protocol, reserved bits, info hash), ask the host which torrent that
 * is (route), answer with our handshake at once (some peers wait for it
 * before sending their peer id), then wait for the peer id.  A finished
 * handshake hands its transport to the host (done); bytes that came
 * after the handshake stay parked in the transport for the new owner.
 *
 * MSE/PE encryption will be a further step here, before the plaintext
 * handshake, so the torrent never sees the difference.
 *
 * Nothing here prints or exits. */
#ifndef BT_HANDSHAKE_H
#define BT_HANDSHAKE_H

#include <stdint.h>
#include <sys/socket.h>

struct bt_loop;
struct bt_peer_io;
struct bt_pio_rbuf;
struct bt_hs;

/* Our side of a handshake. */
struct bt_hs_ident {
	uint8_t info_hash[20];
	uint8_t peer_id[20];
	uint8_t reserved[8];
};

struct bt_hs_result {
	struct bt_peer_io *io;		/* now the receiver's */
	void *owner;			/* what route() returned, or the
					 * outgoing handshake's owner */
	struct sockaddr_storage addr;
	int incoming;
	uint8_t reserved[8];		/* the peer's */
	uint8_t peer_id[20];
};

struct bt_hs_host {
	/* Incoming: the owner (a torrent) for this info hash, with our
	 * identity for it filled in; NULL refuses the connection. */
	void *(*route)(void *ud, const uint8_t info_hash[20],
		const struct sockaddr_storage *from, struct bt_hs_ident *me);
	/* Finished: return 0 to take r->io, -1 to refuse it (the
	 * connection is then closed).  Either way the handshake object is
	 * spent: free it later, not from inside this call. */
	int (*done)(void *ud, struct bt_hs *hs, const struct bt_hs_result *r);
	/* Failed (why: static text); free it later in the same way. */
	void (*failed)(void *ud, struct bt_hs *hs, const char *why);
};

/* An incoming connection (fd just accepted, owned from now on). */
struct bt_hs *bt_hs_incoming(struct bt_loop *loop, int fd,
	const struct sockaddr_storage *from, struct bt_pio_rbuf *rbuf,
	const struct bt_hs_host *host, void *ud);
/* An outgoing one: fd connected or connecting (connecting != 0). */
struct bt_hs *bt_hs_outgoing(struct bt_loop *loop, int fd, int connecting,
	const struct sockaddr_storage *to, void *owner, const struct bt_hs_ident *me,
	struct bt_pio_rbuf *rbuf, const struct bt_hs_host *host, void *ud);
/* End it now (the connection closed, no more callbacks); free it later. */
void bt_hs_abort(struct bt_hs *hs);
/* Free (closing the connection unless it was handed over). */
void bt_hs_free(struct bt_hs *hs);

void *bt_hs_owner(const struct bt_hs *hs);
const struct sockaddr_storage *bt_hs_addr(const struct bt_hs *hs);
int bt_hs_is_incoming(const struct bt_hs *hs);
/* Still connecting (an outgoing connect not answered yet). */
int bt_hs_is_connecting(const struct bt_hs *hs);
/* Loop time (ms) it began. */
uint64_t bt_hs_born(const struct bt_hs *hs);

#endif
