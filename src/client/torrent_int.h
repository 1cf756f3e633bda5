/* torrent_int.h - the engine's insides, shared by the files of the client
 * layer and by nobody else (the public API is client.h and torrent.h).
 *
 *   client.c      the process: listening, handshakes, the torrent table,
 *                 the tick, hash checks one torrent at a time, bandwidth
 *   torrent.c     one torrent's life: metadata, start, check, stop,
 *                 stats, its tick, trackers and web seeds
 *   peer.c        a torrent's connections: attach after the handshake,
 *                 connect out, kill, reap, bans, time-outs
 *   peer_msgs.c   the message layer of one connection
 *   lsd.c         local service discovery (BEP 14), the client's
 *   ext.c         the extension protocol (BEP 10) and its table; one
 *                 file per extension: ext_upload_only.c (BEP 21),
 *                 ext_metadata.c (BEP 9 ut_metadata, both ways),
 *                 ext_pex.c (BEP 11 ut_pex, both ways),
 *                 ext_donthave.c (BEP 54 lt_donthave, both ways)
 *   nometa.c      a torrent before its metadata (a magnet link's): peers
 *                 taken in, their bitfields kept until it comes
 *   pieces.c      blocks arriving, write runs, hash checks, bad data
 *   upload.c      serving requests, under the bandwidth tree
 *   choker.c      BitTornado's choker
 *
 * Peers never free themselves from inside a loop over peers: peer_kill()
 * closes the transport at once and returns the peer's requests, and the
 * struct is reaped on the next pass, so any loop over t->conns stays
 * valid; dead peers are skipped. */
#ifndef BT_TORRENT_INT_H
#define BT_TORRENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bandwidth.h"
#include "bitfield.h"
#include "handshake.h"
#include "peer_io.h"
#include "peerwire.h"
#include "picker.h"
#include "torrent.h"

struct bt_announcer;
struct bt_storage;
struct bt_webseed;
struct bt_client;
struct bt_udp;
struct bt_meta;
struct meta_fetch;

#define TICK_MS			250
#define IDLE_TICK_MS		5000	/* when no torrent has anything to do */
#define RECHOKE_MS		5000	/* BitTornado's Choker: every 5 s, and when a
					 * peer comes or an unchoked, interested one goes */
#define HANDSHAKE_MS		30000
#define RESUME_SAVE_MS		(5 * 60 * 1000)
/* The peer's requests we queue (our `reqq`, BEP 10): libtorrent says
 * 2000, Transmission 512; Transmission keeps up to what we advertise
 * outstanding (its rate x 10 s), so this caps what it can take from us. */
#define UPQ_MAX			2048
#define RQ_MAX			512		/* our requests out per peer */
#define RQ_MIN			8
#define PENDING_MAX		1000		/* addresses waiting to be tried */
#define HALF_OPEN_MAX		8
#define CONNS_CAP		500		/* whatever max_connections says */
#define BANS_MAX		256
#define SEEN_MAX		64		/* seeds remembered for an hour */
#define CONTRIB_MAX		4
#define STRIKE_BAN		4
#define RETRY_MAX		64		/* dropped peers to dial again */
#define RETRY_TRIES		5
#define RETRY_BASE_MS		15000		/* doubling with each try */

struct peer {
	struct bt_torrent *s;
	struct bt_peer_io *io;
	struct sockaddr_storage addr;
	uint32_t serial;
	uint8_t incoming, dead, fast, ltep;
	uint8_t am_choking, am_interested, peer_choking, peer_interested;
	uint8_t snubbed, seed, got_bf, pref, refill, upload_only;
	uint8_t peer_id[20];
	uint8_t ext_ids[8];	/* the peer's ids for our extensions (ext.c) */
	uint16_t listen_port;	/* `p` of its extended handshake, 0: none */
	void *ext_data[8];	/* an extension's state for this peer, or NULL */
	char client[32];
	struct bt_bitfield has;
	/* Before the metadata (nometa.c): the peer's bitfield as sent, its
	 * HAVEs added; pre_all after HAVE ALL. */
	uint8_t *pre_bits;
	uint32_t pre_len;
	uint8_t pre_all;
	int64_t offered;	/* super-seeding: the piece offered, -1 none */
	/* Our requests to the peer, oldest first. */
	struct bt_block rq[RQ_MAX];
	unsigned nrq;
	unsigned reqq;		/* the peer's own queue limit (BEP 10) */
	/* The round trip: a request sent while none was out (so not queued
	 * behind others at the peer) is timed to its block; rtt_ms is the
	 * average of those, 0 before the first. */
	struct bt_block probe;
	uint64_t probe_ms;	/* 0: no probe out */
	uint32_t rtt_ms;
	/* The peer's requests to us, a ring of UPQ_MAX made at the first
	 * one queued (only unchoked peers have any). */
	struct bt_block *up;
	unsigned up_head, nup;
	uint64_t born_ms, last_block_ms;
	uint64_t dl_tick, ul_tick, downloaded, uploaded;
	double dl_rate, ul_rate;
	uint64_t have_tick;		/* bytes of pieces it announced (HAVE) */
	double have_rate;		/* its own download rate, from its HAVEs */
	double dl_fast;		/* dl_rate that rises at once (the pipeline) */
};

struct contrib {
	uint32_t piece;
	uint32_t serial[CONTRIB_MAX];
	struct sockaddr_storage addr[CONTRIB_MAX];
	uint8_t n, many;
};

struct ban {
	struct sockaddr_storage addr;
	int strikes;
};

/* A peer we dialled that went away (or could not be reached): dialled
 * again at due_ms, with back-off, up to RETRY_TRIES times. */
struct retry {
	struct sockaddr_storage addr;
	uint64_t due_ms;
	uint8_t tries, queued;
};

struct bt_torrent {
	struct bt_client *c;
	struct bt_loop *loop;
	uint8_t info_hash[20];
	uint8_t req2[20];		/* HASH('req2', info hash): MSE routing */
	const struct bt_meta *m;	/* NULL until bt_torrent_set_meta */
	struct bt_torrent_opts o;
	struct bt_torrent_cb cb;
	void *ud;
	char *root, *resume_path, *ip, *seed_id, *ua;
	int8_t *prio;
	int start_wanted;		/* bt_torrent_start before the metadata */
	/* A magnet link's torrent (bt_torrent_set_magnet): its trackers and
	 * web seeds, for the announcer and the .torrent made of the fetched
	 * info dictionary; the fetch (ext_metadata.c); the metadata when
	 * the engine parsed it itself (no cb.metadata). */
	char **mtr, **mws;
	size_t nmtr, nmws;
	struct meta_fetch *mf;
	struct bt_meta *own_meta;
	uint8_t *own_buf;

	enum bt_torrent_state state;
	struct bt_storage *st;
	struct bt_picker *pk;
	struct bt_bitfield have;
	struct bt_announcer *ann;
	struct bt_webseed **ws;
	size_t nws;
	uint32_t check_next;		/* the slice check's next piece */
	uint32_t check_step;		/* and its slice, in pieces */

	struct peer **conns;
	size_t nconns, conns_cap;
	unsigned ever_incoming;
	uint32_t next_serial;
	struct sockaddr_storage *pending;
	size_t npending;
	struct ban *bans;		/* BANS_MAX, made at the first strike */
	struct retry *retry;		/* RETRY_MAX, made at the first loss */
	size_t nretry;
	size_t nbans;
	uint64_t seen_ms[SEEN_MAX];
	struct contrib *contrib;
	size_t ncontrib, contrib_cap;

	uint16_t *seen;		/* super-seeding: HAVEs seen per piece */
	uint8_t *wbuf;		/* the write run (pieces.c), while downloading */
	uint32_t wcap, run_piece, run_begin, run_len;
	struct bt_pw_limits lim;
	uint8_t bf_reserved[8];
	struct bt_band up_band, down_band;

	uint64_t reap_timer;
	uint64_t once_timer;	/* one shot: the closed callback */
	uint64_t last_rechoke_ms, last_rotate_ms, last_resume_ms, last_more_ms;
	uint64_t uploaded, downloaded, dl_tick, ul_tick;
	double up_rate, down_rate, eta_rate;
	size_t ul_rr;		/* where the next upload turn starts */
	uint64_t wanted_bytes, have_bytes;
	uint32_t hash_fails;
	uint64_t swarm_have_tick;
	double swarm_rate;
	uint64_t lsd_next_ms;		/* our next local announce (lsd.c) */
	int complete_at_start, finished_sent, failed;
	uint64_t rng;
};

/* ---- torrent.c ---- */
uint64_t tor_rnd(struct bt_torrent *s);
uint64_t tor_now(const struct bt_torrent *s);
void tor_say(struct bt_torrent *s, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tor_running(const struct bt_torrent *s);	/* downloading or seeding */
/* Started, waiting for its metadata from peers. */
int tor_fetching(const struct bt_torrent *s);
/* Peers may come and go: running or fetching. */
int tor_peers_ok(const struct bt_torrent *s);
void tor_fail(struct bt_torrent *s, int rc, const char *what);
void tor_write_resume(struct bt_torrent *s);
void tor_kick_webseeds(struct bt_torrent *s);
void tor_update_rates(struct bt_torrent *s, double dt);
/* The trackers: the metadata's, else the magnet link's; once. */
void tor_start_announcer(struct bt_torrent *s);
/* The client's tick: dt seconds since the last.  Returns 1 if the
 * torrent has anything going on (peers, addresses to try, downloads). */
int tor_tick(struct bt_torrent *s, uint64_t now, double dt);
/* The peers' part of it, shared with nometa_tick: returns the live
 * peers, *retrying the redials still waiting. */
size_t tor_tick_peers(struct bt_torrent *s, uint64_t now, int want_more, size_t *retrying);
/* One slice of the start-up check; 1 when the check is over. */
int tor_check_slice(struct bt_torrent *s);

/* ---- peer.c ---- */
int peer_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
struct ban *peer_ban_find(struct bt_torrent *s, const struct sockaddr_storage *a, int add);
int peer_banned(struct bt_torrent *s, const struct sockaddr_storage *a);
void peer_kill(struct peer *p, const char *why);
void peer_flush(struct peer *p);
size_t peer_live_count(const struct bt_torrent *s);
unsigned peer_conn_limit(const struct bt_torrent *s);
/* An incoming connection for s may go on to the handshake's end. */
int peer_may_accept(struct bt_torrent *s, const struct sockaddr_storage *addr);
/* A finished handshake becomes a peer of s. */
int peer_attach(struct bt_torrent *s, const struct bt_hs_result *r);
void peer_connect_some(struct bt_torrent *s);
/* Add a[0..n) to the addresses to try, keeping those already queued
 * (peer exchange), and connect if below the limits.  Left out: port 0,
 * ourselves, banned, connected or being dialled, already queued, IPv6
 * unless allowed, and all past PENDING_MAX.  Returns how many went in. */
size_t peer_add_pending(struct bt_torrent *s, const struct sockaddr_storage *a, size_t n);
void peer_tick(struct peer *p, uint64_t now);
/* An outgoing connection to a ended for why (peer_kill's and the
 * transport's texts): dial it again later if the reason allows. */
void peer_lost(struct bt_torrent *s, const struct sockaddr_storage *a, const char *why);
/* Queue the dropped peers whose time has come; returns how many still
 * wait for theirs. */
size_t peer_retry_due(struct bt_torrent *s, uint64_t now);
void peer_shutdown_all(struct bt_torrent *s);
void peer_free_all(struct bt_torrent *s);

/* ---- peer_msgs.c ---- */
extern const struct bt_pio_cb peer_msgs_cb;
void peer_send_have_state(struct peer *p);
void peer_set_interest(struct peer *p, int want);
void peer_update_interest(struct peer *p);
void peer_fill_requests(struct peer *p);
void peer_drop_requests(struct peer *p);
/* Cancel (to the peer) and give back the requests out to p for piece. */
void peer_drop_piece_requests(struct peer *p, uint32_t piece);
void peer_cancel_elsewhere(struct bt_torrent *s, struct peer *from, uint32_t piece,
	uint32_t begin);
void peer_superseed_offer(struct peer *p);

/* ---- ext.c: extension messages (BEP 10) ---- */
struct ext {
	const char *name;	/* in the `m` dictionary */
	/* Our own keys for the extended handshake (NULL: none). */
	void (*advertise)(struct peer *p, struct bt_pw_exthandshake *h);
	/* The peer's extended handshake says it has this one (NULL: no
	 * need to know). */
	void (*hello)(struct peer *p, const struct bt_pw_exthandshake *h);
	/* A message of this extension; -1 closes the connection. */
	int (*handle)(struct peer *p, const uint8_t *payload, size_t n);
	/* Every tick, for peers that have it (NULL: none). */
	void (*tick)(struct peer *p, uint64_t now);
	/* The peer is going: free p->ext_data[i] (NULL: nothing kept). */
	void (*bye)(struct peer *p);
	/* 0: not offered for s (not advertised, the peer's id ignored);
	 * NULL: always offered. */
	int (*offered)(const struct bt_torrent *s);
};
/* The table's order: our local message id is the index + 1. */
enum { EXT_UPLOAD_ONLY, EXT_METADATA, EXT_PEX, EXT_DONTHAVE, EXT_COUNT };
extern const struct ext ext_upload_only;
extern const struct ext ext_donthave;
extern const struct ext ext_metadata;
extern const struct ext ext_pex;
void ext_send_handshake(struct peer *p);
/* The extensions no longer offered for p's torrent (its metadata came
 * and says private: ut_pex) are switched off with p: an extended
 * handshake that gives them id 0 (BEP 10), and their state dropped. */
void ext_withdraw(struct peer *p);
int ext_got(struct peer *p, const struct bt_pw_msg *m);
/* Send message `which` (EXT_*) to p: 0, or -1 if p has not got it. */
int ext_send(struct peer *p, int which, const uint8_t *payload, size_t n);
void ext_tick(struct peer *p, uint64_t now);
void ext_bye(struct peer *p);

/* ---- lsd.c: local service discovery (BEP 14) ---- */
struct bt_lsd;
/* The multicast sockets on loop (IPv6 too if ipv6): 0, or BT_E_IO
 * (errno kept) when neither family could join its group, BT_E_NOMEM. */
int lsd_new(struct bt_lsd **out, struct bt_client *c, struct bt_loop *loop, int ipv6);
void lsd_free(struct bt_lsd *l);
/* s may announce itself and take peers by LSD: running or fetching, and
 * not private. */
int lsd_usable(const struct bt_torrent *s);
/* Announce the torrents of t[0..nt) that are due (l NULL: LSD is off). */
void lsd_tick(struct bt_lsd *l, struct bt_torrent *const *t, size_t nt, uint64_t now);

/* ---- ext_donthave.c ---- */
/* We lost piece (it was had and told): lt_donthave to the peers that
 * take it. */
void donthave_tell(struct bt_torrent *s, uint32_t piece);

/* ---- ext_metadata.c ---- */
#define META_MAX_SIZE	(8u << 20)	/* largest info dictionary fetched */
#define META_PIECE	16384
void meta_fetch_free(struct bt_torrent *s);

/* ---- nometa.c: a torrent before its metadata ---- */
/* Started without metadata: message limits, the magnet's trackers. */
void nometa_start(struct bt_torrent *s);
int nometa_tick(struct bt_torrent *s, uint64_t now, double dt);
/* A message from a peer while there is no metadata; -1 drops it. */
int nometa_msg(struct peer *p, const struct bt_pw_msg *m);
/* The metadata is set: the peers' bitfields from what they sent. */
void nometa_adopt(struct bt_torrent *s);
/* The torrent went live with peers already there: our HAVEs, interest. */
void nometa_live(struct bt_torrent *s);
/* The fetched metadata (a whole .torrent in buf[0..n)), for the user or
 * set here. */
void nometa_deliver(struct bt_torrent *s, const uint8_t *buf, size_t n);

/* ---- pieces.c ---- */
void pieces_got_block(struct bt_torrent *s, struct peer *from, uint32_t piece,
	uint32_t begin, const uint8_t *data, uint32_t len);
int pieces_run_flush(struct bt_torrent *s);
void pieces_broadcast_have(struct bt_torrent *s, uint32_t piece);
void pieces_superseed_start(struct bt_torrent *s);
void pieces_contrib_free(struct bt_torrent *s);
/* 1 if peers sent blocks of the piece being assembled. */
int pieces_peers_helped(struct bt_torrent *s, uint32_t piece);

/* ---- upload.c ---- */
void upload_pump(struct peer *p);
/* One block for each peer of s that has a request waiting; 1 if any
 * went (the client's shared-budget turns). */
int upload_turn(struct bt_torrent *s);

/* ---- choker.c ---- */
void choker_rechoke(struct bt_torrent *s);
void choker_rotate(struct bt_torrent *s);

/* ---- client.c ---- */
struct bt_loop;
void client_add_torrent(struct bt_client *c, struct bt_torrent *t);
void client_remove_torrent(struct bt_client *c, struct bt_torrent *t);
/* An outgoing connection for t to a (counted in t->half_open/hs_out). */
int client_connect(struct bt_client *c, struct bt_torrent *t,
	const struct sockaddr_storage *a);
/* 1 if an outgoing handshake of t with a is under way. */
int client_hs_known(const struct bt_client *c, const struct bt_torrent *t,
	const struct sockaddr_storage *a, int same_host_too);
/* t's outgoing handshakes: still connecting, and all of them. */
void client_hs_count(const struct bt_client *c, const struct bt_torrent *t,
	unsigned *connecting, unsigned *all);
/* Room for one more connection over all torrents; count one in or out. */
int client_peers_room(const struct bt_client *c);
void client_peer_count(struct bt_client *c, int delta);
/* The shared receive buffer must hold n bytes (0, or BT_E_NOMEM). */
int client_rbuf_need(struct bt_client *c, size_t n);
/* The one UDP mux (udp.h) every announcer of the client shares. */
struct bt_udp *client_udp(struct bt_client *c);
struct bt_band *client_up_band(struct bt_client *c);
struct bt_band *client_down_band(struct bt_client *c);
uint16_t client_port(const struct bt_client *c);
/* The client's crypto policy as the announce tells it (BT_ANN_CRYPTO_*). */
int client_ann_crypto(const struct bt_client *c);
/* Something happened: tick at full rate again. */
void client_wake(struct bt_client *c);
/* s wants its start-up check: queued, one torrent at a time. */
void client_check_queue(struct bt_client *c);

#endif
