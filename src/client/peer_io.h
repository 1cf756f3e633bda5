/* peer_io.h - the transport of one peer connection: the socket, its send
 * queue and its partial-message buffer (Transmission's peer-io, btpd's
 * net.c).
 *
 * The message layer above never calls send() or recv(): it appends
 * messages to bt_pio_out() and calls bt_pio_flush(); bytes that arrive
 * are handed to cb->data together with whatever was left over from the
 * last read, in one shared receive buffer (struct bt_pio_rbuf, one per
 * client), so a peer keeps only its own partial message between reads.
 * MSE/PE's RC4 streams live here too (bt_pio_set_rc4): queued bytes are
 * encrypted when flushed, received bytes decrypted before cb->data sees
 * them, so the protocol code never knows.
 *
 * Life: bt_pio_new -> ... -> bt_pio_close (the socket goes at once; the
 * object stays readable, so a loop over peers may still look at it) ->
 * bt_pio_free.  Nothing here prints or exits. */
#ifndef BT_PEER_IO_H
#define BT_PEER_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct bt_loop;
struct bt_peer_io;
struct bt_rc4;

/* The receive buffer every connection of a client reads into: large
 * enough for the largest message accepted plus a handshake.  It also
 * keeps the budget for partial messages parked between reads: a
 * connection whose parked bytes would take the total past parked_max is
 * closed ("receive budget"), so hostile peers parking large partial
 * messages cannot grow the process without bound. */
struct bt_pio_rbuf {
	uint8_t *p;
	size_t len;
	size_t parked, parked_max;	/* bytes held by all connections */
};

/* Parked bytes a connection keeps without counting against the budget
 * (a small message's worth; its buffer is kept between reads). */
#define BT_PIO_PARK_FREE	(16u << 10)

/* Refill the send queue when it drops below this many bytes. */
#define BT_PIO_LOW	(64u << 10)

struct bt_pio_cb {
	/* Outgoing connect finished (only for connecting connections). */
	void (*connected)(void *ud);
	/* buf[0..len): the parked partial message and what just arrived.
	 * Return the bytes used (the rest is parked for the next read), or
	 * -1 to give up on the connection (cb->closed follows). */
	ssize_t (*data)(void *ud, const uint8_t *buf, size_t len);
	/* The socket was read dry (once per readable event, after the
	 * data calls): a good moment to send. */
	void (*read_done)(void *ud);
	/* Less than BT_PIO_LOW queued, when the socket is writable again
	 * and when a read ends (after the data calls, before read_done),
	 * and on the writable event after any flush that took the queue
	 * below BT_PIO_LOW: a moment to refill the queue. */
	void (*drained)(void *ud);
	/* The connection is gone: why is a static text ("closed",
	 * "connect failed", "recv failed", "send failed", "protocol
	 * error", "out of memory", "receive budget").  The socket is
	 * already closed. */
	void (*closed)(void *ud, const char *why);
};

/* A transport over fd (non-blocking; owned from now on).  connecting:
 * the fd is a connect() in progress.  NULL when out of memory or the
 * loop has no room (fd closed then). */
struct bt_peer_io *bt_pio_new(struct bt_loop *loop, int fd, int connecting,
	struct bt_pio_rbuf *rbuf, const struct bt_pio_cb *cb, void *ud);
/* Hand the connection to a new owner (the handshake gives it to a
 * torrent's peer). */
void bt_pio_set_cb(struct bt_peer_io *io, const struct bt_pio_cb *cb, void *ud);
/* The send queue: append messages, then flush. */
struct bt_buf *bt_pio_out(struct bt_peer_io *io);
/* Send what the socket takes, watch for writability for the rest.
 * Returns 0, or -1 when the connection failed (cb->closed has run). */
int bt_pio_flush(struct bt_peer_io *io);
/* Encrypt and decrypt with RC4 from now on (either may be NULL to leave
 * that direction alone): bytes queued after this call go out through enc
 * (those queued before are sent as they are); bytes not yet delivered go
 * through dec (when called from cb->data: those after the bytes that call
 * returns as used).  Returns 0 or BT_E_NOMEM. */
int bt_pio_set_rc4(struct bt_peer_io *io, const struct bt_rc4 *enc, const struct bt_rc4 *dec);
/* From inside cb->data only: the n plain bytes at p go back in front of
 * the undelivered rest, replacing the last n of the bytes that call
 * returns as used (n must not exceed them).  MSE's responder hands the
 * decrypted IA on this way.  Returns 0, BT_E_INVAL or BT_E_NOMEM. */
int bt_pio_unread(struct bt_peer_io *io, const uint8_t *p, size_t n);
/* Outgoing bytes are RC4-encrypted. */
int bt_pio_encrypted(const struct bt_peer_io *io);
/* Call cb->drained on the next writable event even with nothing queued:
 * for a sender that stopped with more to send, to give others a turn. */
void bt_pio_want_drained(struct bt_peer_io *io);
/* Bytes waiting to be sent. */
size_t bt_pio_queued(const struct bt_peer_io *io);
/* One last non-blocking send of what is queued (shutting down). */
void bt_pio_last_words(struct bt_peer_io *io);

/* Close the socket now (no callback); the object lives until freed. */
void bt_pio_close(struct bt_peer_io *io);
int bt_pio_is_closed(const struct bt_peer_io *io);
void bt_pio_free(struct bt_peer_io *io);

/* Loop times (ms) of the last bytes received and sent. */
uint64_t bt_pio_last_recv(const struct bt_peer_io *io);
uint64_t bt_pio_last_send(const struct bt_peer_io *io);

#endif
