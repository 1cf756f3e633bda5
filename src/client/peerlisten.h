/* peerlisten.h - the listening socket(s) for incoming peer connections,
 * shared by every torrent of a client (client.h).
 *
 * Binds a port from [minport, maxport] (random order with random_port, as
 * BitTornado does, else counting up), one socket per --bind address (or
 * 0.0.0.0, plus :: with ipv6), accepts, and hands every new connection
 * to the caller (the client starts its handshake, handshake.h).
 *
 * Nothing here prints or exits. */
#ifndef BT_PEERLISTEN_H
#define BT_PEERLISTEN_H

#include <stdint.h>
#include <sys/socket.h>

struct bt_loop;
struct bt_peerlisten;

/* A new connection: fd (non-blocking, now the callee's) from addr. */
typedef void bt_peerlisten_accept_fn(void *ud, int fd, const struct sockaddr_storage *addr);

struct bt_peerlisten_opts {
	uint16_t minport, maxport;	/* 10000, 60000 in BitTornado */
	int random_port;
	const char *bind;		/* comma list of addresses, NULL/"": any */
	int ipv6;			/* also listen on :: */
	uint64_t seed;
};

/* Returns 0, or BT_E_IO (no port in the range could be bound; errno
 * kept), BT_E_PARSE (a bad --bind address), BT_E_NOMEM. */
int bt_peerlisten_new(struct bt_peerlisten **out, struct bt_loop *loop,
	const struct bt_peerlisten_opts *o, bt_peerlisten_accept_fn *accepted, void *ud);
void bt_peerlisten_free(struct bt_peerlisten *l);
uint16_t bt_peerlisten_port(const struct bt_peerlisten *l);

#endif
