/* natcheck.h - the tracker's NAT check: connect back to a peer that
 * announced and see whether it answers as a BitTorrent client.
 *
 * As BitTornado's NatCheck: connect to the announced address, send the
 * handshake up to the reserved bytes and the info hash (48 bytes, no peer
 * id), and wait for the peer's whole handshake (68 bytes); the check
 * passes when it names the same info hash and the peer id the peer
 * announced with.  Anything else (refused, closed, wrong hash or id, no
 * answer within timeout_ms) fails.
 *
 * At most max_running checks run at once; the others wait in a queue of
 * at most queue_max, first in first out.  The queue grows as needed and
 * keeps each address in 28 bytes.  A check that does not fit is refused:
 * the peer then stays unchecked.
 *
 * All the state is in struct bt_natcheck; nothing here prints or exits. */
#ifndef BT_NATCHECK_H
#define BT_NATCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bt_loop;
struct bt_natcheck;

#define BT_NATCHECK_RUNNING	64	/* default max_running */
#define BT_NATCHECK_QUEUE	4096	/* default queue_max */

struct bt_natcheck_opts {
	size_t max_running;	/* checks at once; 0: BT_NATCHECK_RUNNING */
	size_t queue_max;	/* checks waiting; 0: BT_NATCHECK_QUEUE */
	uint64_t timeout_ms;	/* per check; 0: 15 s */
};

/* A check has ended: ok is 1 if the peer answered as it should.  The
 * arguments are valid during the call only. */
typedef void bt_natcheck_fn(void *ud, const uint8_t info_hash[20], const uint8_t peer_id[20],
	const struct sockaddr_storage *addr, int ok);

/* A checker on loop (o NULL: defaults) reporting to done (not NULL).
 * NULL when out of memory or done is NULL. */
struct bt_natcheck *bt_natcheck_new(struct bt_loop *loop, const struct bt_natcheck_opts *o,
	bt_natcheck_fn *done, void *ud);
/* Check the peer at addr (AF_INET or AF_INET6) that announced info_hash
 * with peer_id: now, or when a running check ends.  0, BT_E_LIMIT (the
 * queue is full), BT_E_INVAL (another address family) or BT_E_NOMEM. A
 * check that cannot even start is reported (failed) before this returns. */
int bt_natcheck_start(struct bt_natcheck *n, const uint8_t info_hash[20],
	const uint8_t peer_id[20], const struct sockaddr_storage *addr);
/* Start no more checks (for shutting down): queued ones stay queued. */
void bt_natcheck_stop(struct bt_natcheck *n);
/* Checks running, and waiting. */
size_t bt_natcheck_running(const struct bt_natcheck *n);
size_t bt_natcheck_queued(const struct bt_natcheck *n);
/* End the running checks as failed (each reported to done), drop the
 * queued ones and free the checker.  NULL is fine. */
void bt_natcheck_free(struct bt_natcheck *n);

#endif
