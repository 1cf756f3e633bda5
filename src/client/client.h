/* client.h - the BitTorrent client, one per process (Transmission's
 * tr_session, btpd's net/btpd): the loop it runs on, the listening
 * socket(s) every torrent shares, the one UDP socket (per address family)
 * every user of UDP shares, the handshakes in progress, the torrents
 * indexed by info hash, the root of the bandwidth tree (one upload and one
 * download limit over all torrents), the hash checker that checks one
 * torrent at a time, and one tick for everything.
 *
 * Incoming connections are routed to their torrent by the info hash of
 * the handshake.  When nothing happens (no peers, nothing to download)
 * the tick slows down to one every IDLE_TICK_MS, so an idle seed box
 * does not wake the CPU.
 *
 * Memory is bounded by the options below: incoming handshakes (in all and
 * per host: a host cannot hold every slot), connections over all
 * torrents, and the bytes of partial messages all connections hold.
 *
 * Torrents are made with bt_torrent_new (torrent.h) and must be freed
 * before the client.  Nothing here prints or exits. */
#ifndef BT_CLIENT_H
#define BT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "peerlisten.h"

struct bt_loop;
struct bt_client;
struct bt_torrent;

struct bt_client_opts {
	struct bt_peerlisten_opts listen;	/* the port range and binds */
	int no_listen;			/* no listening socket (tests) */
	uint64_t max_upload_rate;	/* bytes/s over all torrents, 0: none */
	uint64_t max_download_rate;
	unsigned max_handshakes;	/* incoming, in progress; 0: 64 */
	unsigned max_handshakes_host;	/* of those, from one host; 0: 4 */
	uint32_t handshake_ms;		/* incoming, to finish; 0: 10 s */
	unsigned max_peers;		/* connections over all torrents; 0: 400 */
	size_t recv_budget;		/* partial messages held, bytes; 0: 16 MiB */
	/* MSE/PE (BitTornado's crypto_* options): crypto_allowed accepts
	 * encrypted connections and tries them first outgoing (falling
	 * back to plaintext); crypto_only refuses plaintext both ways and
	 * asks for RC4; crypto_stealth is crypto_only here (the tracker
	 * side is the announce's). */
	int crypto_allowed, crypto_only, crypto_stealth;
	/* Local service discovery (BEP 14, lsd.c): announce the torrents
	 * that are not private on the local network by multicast and take
	 * the peers heard there.  Best effort: a host without multicast
	 * leaves it off. */
	int lsd;
};

/* Returns 0, or BT_E_IO (no port in the range could be bound; errno
 * kept), BT_E_PARSE (a bad bind address), BT_E_NOMEM. */
int bt_client_new(struct bt_client **out, struct bt_loop *loop,
	const struct bt_client_opts *o);
void bt_client_free(struct bt_client *c);

struct bt_loop *bt_client_loop(const struct bt_client *c);
/* The listening port (0 without one). */
uint16_t bt_client_port(const struct bt_client *c);
/* The limits over all torrents (bytes/s, 0: none). */
void bt_client_set_rates(struct bt_client *c, uint64_t up, uint64_t down);
/* The torrent with this info hash, or NULL. */
struct bt_torrent *bt_client_find(const struct bt_client *c, const uint8_t info_hash[20]);
size_t bt_client_count(const struct bt_client *c);

struct bt_client_stats {
	size_t torrents, handshakes;
	uint64_t ticks, idle_ticks;	/* ticks run, and those with nothing to do */
	double up_rate, down_rate;	/* over all torrents, bytes/s */
};
void bt_client_stats(const struct bt_client *c, struct bt_client_stats *st);

#endif
