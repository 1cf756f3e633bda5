/* resolve.h - asynchronous host name resolution for the reactor.
 *
 * bt_resolve() answers on the loop thread through a callback, never from
 * inside bt_resolve() itself.  Numeric addresses ("1.2.3.4", "::1",
 * "[::1]") are answered on the next loop pass (a 0 ms timer).  Names go to
 * getaddrinfo() on a small pool of detached worker threads (at most
 * BT_RESOLVE_THREADS at once; more lookups wait in a process-wide queue of
 * BT_RESOLVE_QUEUE_MAX).  Each lookup has its own socketpair: the worker
 * fills in the result and closes its end, and the loop watches the other
 * end, so a lookup needs no per-loop state and works with any number of
 * loops.  Workers block all signals.
 *
 * bt_resolve_cancel() guarantees the callback never happens; a worker
 * still inside getaddrinfo() then finishes, drops its reference and the
 * result is discarded.  The handle is valid until the callback starts or
 * until bt_resolve_cancel(); cancelling from inside its own callback is a
 * harmless no-op.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes (err.h). */
#ifndef BT_RESOLVE_H
#define BT_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bt_loop;
struct bt_resolve;

/* Most addresses one answer carries (the first ones getaddrinfo gives,
 * in its order, duplicates dropped). */
#define BT_RESOLVE_ADDRS	8
/* Longest host name (a DNS name is at most 253 characters). */
#define BT_RESOLVE_HOST_MAX	253
/* Most worker threads running getaddrinfo() at once (process-wide). */
#define BT_RESOLVE_THREADS	16
/* Most name lookups queued or running at once (process-wide). */
#define BT_RESOLVE_QUEUE_MAX	256

/* The answer: rc 0 with n (1 .. BT_RESOLVE_ADDRS) addresses, each with
 * the port asked for; or rc < 0 with n 0: BT_E_NOENT (no such name, or no
 * address of the family asked for), BT_E_NOMEM, BT_E_IO (resolver or
 * system failure, temporary failure included).  addr is only valid during
 * the call. */
typedef void bt_resolve_fn(struct bt_loop *loop, int rc,
	const struct sockaddr_storage *addr, size_t n, void *ud);

/* Look up host (a name, an IPv4 address, or an IPv6 address with or
 * without brackets) for family AF_UNSPEC, AF_INET or AF_INET6.  On success
 * returns 0 and sets *handle (may be NULL if the caller never cancels).
 * Errors, with no callback: BT_E_INVAL (NULL arguments, empty host, bad
 * family, control bytes or spaces in host), BT_E_LIMIT (host longer than
 * BT_RESOLVE_HOST_MAX, or BT_RESOLVE_QUEUE_MAX lookups pending),
 * BT_E_NOMEM, BT_E_IO (socketpair, pthread_create or bt_io_add failed).
 * The loop must outlive the lookup (cancel before freeing the loop). */
int bt_resolve(struct bt_loop *loop, const char *host, uint16_t port,
	int family, bt_resolve_fn *cb, void *ud, struct bt_resolve **handle);

/* The callback will not happen; frees what the loop side holds.  NULL is
 * fine. */
void bt_resolve_cancel(struct bt_resolve *r);

/* Name lookups queued or running in worker threads, process-wide
 * (cancelled ones included until their worker lets go).  For tests and
 * orderly shutdown. */
unsigned bt_resolve_pending(void);

#endif
