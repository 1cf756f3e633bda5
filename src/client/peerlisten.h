/* peerlisten.h - the listening socket(s) for incoming peer connections,
 * shared by every session on a loop.
 *
 * Binds a port from [minport, maxport] (random order with random_port, as
 * BitTornado does, else counting up), one socket per --bind address (or
 * 0.0.0.0, plus :: with ipv6), accepts, reads the first 48 bytes of the
 * handshake (protocol string, reserved bits, info hash) with a time limit,
 * and hands the connection to the session that find() names for the info
 * hash; unknown torrents and bad handshakes are closed.
 *
 * Nothing here prints or exits. */
#ifndef BT_PEERLISTEN_H
#define BT_PEERLISTEN_H

#include <stdint.h>

struct bt_loop;
struct bt_torrent;
struct bt_peerlisten;

/* The session for this info hash, or NULL (connection closed). */
typedef struct bt_torrent *bt_peerlisten_find_fn(void *ud, const uint8_t info_hash[20]);

struct bt_peerlisten_opts {
	uint16_t minport, maxport;	/* 10000, 60000 in BitTornado */
	int random_port;
	const char *bind;		/* comma list of addresses, NULL/"": any */
	int ipv6;			/* also listen on :: */
	uint32_t handshake_ms;		/* 0: 30 s */
	unsigned max_pending;		/* connections still in handshake; 0: 64 */
	uint64_t seed;
};

/* Returns 0, or BT_E_IO (no port in the range could be bound; errno
 * kept), BT_E_PARSE (a bad --bind address), BT_E_NOMEM. */
int bt_peerlisten_new(struct bt_peerlisten **out, struct bt_loop *loop,
	const struct bt_peerlisten_opts *o, bt_peerlisten_find_fn *find, void *ud);
void bt_peerlisten_free(struct bt_peerlisten *l);
uint16_t bt_peerlisten_port(const struct bt_peerlisten *l);

#endif
