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
 * MSE/PE (mse.h) comes first when the crypto mode says so
 * (bt_hs_set_crypto): an incoming connection that does not start with
 * "\x13BitTorrent protocol" is taken as MSE (found by the host's
 * find_skey), an outgoing one starts MSE with our handshake as its IA.
 * Once MSE is done the transport encrypts (peer_io.h) and the plaintext
 * handshake goes on as before, so the torrent never sees the difference.
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
	/* Incoming MSE: req2 is SHA-1('req2', info hash); fill skey with
	 * the info hash of a torrent we serve and return 0, or -1.  NULL:
	 * no torrent is found. */
	int (*find_skey)(void *ud, const uint8_t req2[20], uint8_t skey[20]);
};

/* Crypto modes (bt_hs_set_crypto). */
enum {
	BT_HS_CRYPTO_OFF,	/* plaintext only: incoming MSE refused */
	BT_HS_CRYPTO_ACCEPT,	/* incoming either way; outgoing plaintext */
	BT_HS_CRYPTO_PREFER,	/* incoming either way; outgoing MSE offering
				 * RC4 and plaintext */
	BT_HS_CRYPTO_ONLY,	/* MSE with RC4 both ways; plaintext refused */
};

/* An incoming connection (fd just accepted, owned from now on). */
struct bt_hs *bt_hs_incoming(struct bt_loop *loop, int fd,
	const struct sockaddr_storage *from, struct bt_pio_rbuf *rbuf,
	const struct bt_hs_host *host, void *ud);
/* An outgoing one: fd connected or connecting (connecting != 0). */
struct bt_hs *bt_hs_outgoing(struct bt_loop *loop, int fd, int connecting,
	const struct sockaddr_storage *to, void *owner, const struct bt_hs_ident *me,
	struct bt_pio_rbuf *rbuf, const struct bt_hs_host *host, void *ud);
/* The crypto mode (BT_HS_CRYPTO_*; OFF unless set), before any bytes
 * move (right after bt_hs_incoming / bt_hs_outgoing). */
void bt_hs_set_crypto(struct bt_hs *hs, int mode);
/* It failed inside the MSE handshake (an outgoing one may be retried in
 * plaintext when the policy allows). */
int bt_hs_mse_failed(const struct bt_hs *hs);
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
