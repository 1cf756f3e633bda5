/* udp.h - one UDP socket per address family for the whole process,
 * shared by everything that speaks UDP (Transmission's tr-udp.c shape):
 * the UDP tracker client now, DHT and uTP later.
 *
 * Sending: bt_udp_send() picks the socket of the destination's family,
 * opening it on first use unless it was opened up front (BT_UDP_OPEN4/6).
 * IPv6 sockets are IPv6-only, so IPv4 always goes through the IPv4
 * socket.  A full send buffer (EAGAIN, ENOBUFS) drops the datagram
 * quietly: UDP is lossy and every user retransmits.
 *
 * Receiving: users register a receiver with bt_udp_listen().  Each
 * readable event reads up to BT_UDP_BATCH datagrams into one buffer of
 * BT_UDP_DGRAM_MAX bytes (larger datagrams are dropped, counted as
 * oversized) and offers each datagram to the receivers in the order they
 * were registered, until one returns 1 (its own packet: consumed).
 * Datagrams nobody claims are dropped and counted.
 *
 * Telling packets apart (bt_udp_kind classifies by the first bytes; the
 * three shapes do not overlap):
 *  - UDP tracker reply (BEP 15): at least 8 bytes, a 32-bit action 0..3
 *    (connect, announce, scrape, error; some trackers send the error as
 *    little-endian 3) then the 32-bit transaction id the client chose.
 *    A tracker client claims a reply only if it comes from the address it
 *    sent to and carries the transaction id it waits for.
 *  - DHT (BEP 5): a bencoded dictionary, so the first byte is 'd'.  A DHT
 *    node claims those and then matches the "t" transaction id of its
 *    queries, or answers queries.
 *  - uTP (BEP 29): the first byte is type << 4 | version, version 1 and
 *    type 0..4, and the header is 20 bytes.  A uTP layer claims those and
 *    finds the connection by the connection id and the sender's address.
 * A receiver should check the kind first, so each one costs a few byte
 * compares for packets that are not its own.
 *
 * Receivers may call bt_udp_listen() and bt_udp_unlisten() for any
 * receiver, themselves included, from inside the callback: an unlistened
 * receiver is not offered anything again (it is compacted away after the
 * dispatch), one added during a dispatch first sees the next datagram.
 * bt_udp_free() from inside a callback is deferred to the end of the
 * read.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes. */
#ifndef BT_UDP_H
#define BT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bt_loop;
struct bt_udp;

/* Largest datagram received whole; longer ones are dropped. */
#define BT_UDP_DGRAM_MAX	8192
/* Most datagrams read per readable event (the rest on the next pass). */
#define BT_UDP_BATCH		64

/* bt_udp_opts flags. */
#define BT_UDP_OPEN4	0x1u	/* open the IPv4 socket in bt_udp_new */
#define BT_UDP_OPEN6	0x2u	/* open the IPv6 socket in bt_udp_new */
#define BT_UDP_NO_V6	0x4u	/* never open an IPv6 socket */

/* All zero (or NULL for bt_udp_new) means: ephemeral ports, wildcard
 * addresses, both sockets opened on first send. */
struct bt_udp_opts {
	uint16_t port;			/* 0: ephemeral (per family) */
	struct sockaddr_storage bind4;	/* AF_INET to bind; else 0.0.0.0 */
	struct sockaddr_storage bind6;	/* AF_INET6 to bind; else :: */
	unsigned flags;			/* BT_UDP_* */
};

/* A datagram p[0..n) from `from` (IPv4-mapped made IPv4).  Return 1 if
 * it is this receiver's (no other receiver sees it), else 0.  p is valid
 * only during the call. */
typedef int bt_udp_recv_fn(struct bt_udp *u, const struct sockaddr_storage *from,
	const uint8_t *p, size_t n, void *ud);

/* Counters since bt_udp_new. */
struct bt_udp_stats {
	uint64_t received;	/* datagrams read (oversized ones included) */
	uint64_t unclaimed;	/* no receiver took them: dropped */
	uint64_t oversized;	/* longer than BT_UDP_DGRAM_MAX: dropped */
	uint64_t sent;		/* datagrams handed to bt_udp_send and not failed */
	uint64_t send_dropped;	/* of those, dropped for a full buffer */
	uint64_t send_errors;	/* bt_udp_send failures */
};

/* A mux on loop with options o (NULL: defaults).  Sockets asked for with
 * BT_UDP_OPEN4/6 are opened now.  0, BT_E_INVAL (NULL out or loop, a
 * bind address of the wrong family), BT_E_NOMEM, or what opening a
 * socket gave (BT_E_IO with errno kept, e.g. EADDRINUSE). */
int bt_udp_new(struct bt_udp **out, struct bt_loop *loop, const struct bt_udp_opts *o);
/* Close the sockets and free (receivers are forgotten).  From inside a
 * receiver, the rest of the read is skipped and the free happens after
 * it.  NULL is fine. */
void bt_udp_free(struct bt_udp *u);

/* Open the socket of family (AF_INET or AF_INET6) if it is not open.
 * 0, BT_E_INVAL (other family), BT_E_UNSUPPORTED (AF_INET6 with
 * BT_UDP_NO_V6), BT_E_IO (errno kept), BT_E_NOMEM. */
int bt_udp_open(struct bt_udp *u, int family);
/* The address the socket of family is bound to (port included).  0, or
 * BT_E_NOENT when that socket is not open. */
int bt_udp_local(const struct bt_udp *u, int family, struct sockaddr_storage *addr);

/* Send p[0..n) to `to` (IPv4-mapped IPv6 goes out as IPv4), opening the
 * family's socket if needed.  0 (also when dropped for a full buffer),
 * BT_E_INVAL (unknown family), BT_E_IO (errno kept: EMSGSIZE, EPERM,
 * ENETUNREACH...) or bt_udp_open's errors. */
int bt_udp_send(struct bt_udp *u, const struct sockaddr_storage *to, const void *p,
	size_t n);

/* Offer received datagrams to fn(…, ud) too (after the receivers already
 * there).  Returns the receiver's id, never 0; 0 when out of memory. */
uint64_t bt_udp_listen(struct bt_udp *u, bt_udp_recv_fn *fn, void *ud);
/* Forget receiver id.  0, or BT_E_NOENT (unknown or already gone). */
int bt_udp_unlisten(struct bt_udp *u, uint64_t id);

void bt_udp_stats(const struct bt_udp *u, struct bt_udp_stats *st);

/* What a datagram looks like from its first bytes (see above). */
enum bt_udp_kind {
	BT_UDP_OTHER = 0,
	BT_UDP_TRACKER,		/* a BEP 15 reply: action 0..3, transaction id */
	BT_UDP_DHT,		/* 'd': a bencoded dictionary (BEP 5) */
	BT_UDP_UTP,		/* version 1, type 0..4, 20-byte header (BEP 29) */
};

int bt_udp_kind(const uint8_t *p, size_t n);

#endif
