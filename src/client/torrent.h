/* torrent.h - one torrent being downloaded and seeded, inside a client
 * (client.h: the process level, with the loop, the listening port, the
 * shared UDP socket and the bandwidth root).
 *
 * A torrent is made from its info hash alone and given its metadata then
 * or later (a magnet link's torrent gets it from peers).  Its life:
 *
 *   bt_torrent_new -> bt_torrent_set_meta -> bt_torrent_start: wait for
 *   the client's hash checker (one torrent at a time, in slices), check
 *   the data (fast resume, or hash what is on disk), announce, connect,
 *   download, seed ... bt_torrent_stop: announce stopped, write the
 *   resume record, close peers; cb->closed when done -> bt_torrent_free.
 *
 * A fatal error (a disk that fills up, a file in the way that is not the
 * torrent's: storage.h) stops the torrent: state BT_TORRENT_FAILED,
 * cb->message('F', ...), the resume record still written when it was
 * running, so nothing verified is lost; other torrents of the client go
 * on.  A seed whose file is cut or removed goes on: the pieces it lost
 * are downloaded again (cb->message('E', ...) names the file).
 *
 * Nothing here prints or exits; what the user should see goes through
 * cb->message with BitTornado's texts. */
#ifndef BT_TORRENT_H
#define BT_TORRENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bt_client;
struct bt_meta;
struct bt_torrent;

enum bt_torrent_state {
	BT_TORRENT_IDLE,	/* made, not started (or waiting for metadata) */
	BT_TORRENT_CHECK_WAIT,	/* waiting for the hash checker */
	BT_TORRENT_CHECKING,	/* hashing existing data */
	BT_TORRENT_DOWNLOADING,
	BT_TORRENT_SEEDING,
	BT_TORRENT_STOPPING,	/* stopped event on its way */
	BT_TORRENT_STOPPED,
	BT_TORRENT_FAILED,
};

struct bt_torrent_opts {
	/* Data: the storage root (storage.h: the file for a single-file
	 * torrent, the directory for a multi-file one). */
	const char *root;
	const char *resume_path;	/* fast-resume record, NULL: none */
	int check_hashes;		/* 1: hash existing data without a
					 * usable resume record; 0: trust it */
	int overwrite;			/* 1: existing files whose data is not
					 * the torrent's may be overwritten
					 * (storage.h); 0: refused */
	/* Identity. */
	uint8_t peer_id[20];
	uint16_t port;			/* for trackers; 0: the client's port */
	const char *ip;			/* --ip for trackers */
	const char *seed_id;		/* --dedicated_seed_id */
	const char *user_agent;		/* trackers and web seeds */
	/* Limits (BitTornado's option names; 0 = BitTornado's default
	 * where noted, else "no limit"). */
	unsigned max_uploads;		/* 0: 7 */
	unsigned max_connections;	/* 0: none */
	unsigned max_initiate;		/* 0: 40 */
	unsigned min_peers;		/* 0: 20; fewer -> ask trackers */
	uint32_t keepalive_ms;		/* 0: 120 s */
	uint32_t timeout_ms;		/* idle peer; 0: 300 s */
	uint32_t snub_ms;		/* 0: 30 s */
	uint32_t round_robin_ms;	/* 0: 30 s */
	uint32_t http_timeout_ms;	/* 0: 60 s */
	uint32_t max_message;		/* 0: 8 MiB */
	uint32_t max_slice;		/* largest request served; 0: 128 KiB */
	uint32_t rarest_first_cutoff;	/* 0: 2 */
	uint64_t max_upload_rate;	/* bytes/s, 0: unlimited (this torrent;
					 * the client may limit all of them) */
	uint64_t max_download_rate;	/* bytes/s, 0: unlimited */
	int super_seeder;		/* BEP 16 */
	int security;			/* 1: one connection per IP */
	int auto_kick;			/* kick/ban peers sending bad data */
	int breakup_seed_bitfield;
	int ipv6;			/* connect to IPv6 peers too */
	int no_trackers;		/* ignore announce/announce-list (tests) */
	int no_webseeds;		/* ignore url-list/httpseeds */
	int log_peers;			/* 'D' message when a peer goes, and why */
	uint64_t seed;			/* randomness; 0: from the clock */
};

/* Fill o with the defaults above (every limit at BitTornado's value). */
void bt_torrent_opts_init(struct bt_torrent_opts *o);

struct bt_torrent_cb {
	/* kind: 'F' fatal (the torrent has failed), 'E' error (shown to
	 * the user, the torrent goes on), 'W' warning, 'I' information,
	 * 'D' detail for a log (a peer that went, with opts log_peers).
	 * Texts are BitTornado's where it had one. */
	void (*message)(void *ud, int kind, const char *text);
	/* Every wanted piece is verified (not called when complete at
	 * start). */
	void (*finished)(void *ud);
	/* bt_torrent_stop has finished: stopped announced (or given up),
	 * resume written, peers closed. */
	void (*closed)(void *ud);
	/* A torrent made without metadata got it from peers: torrent[0..n)
	 * is a whole .torrent (the info dictionary, verified against the
	 * info hash, with the trackers and web seeds of
	 * bt_torrent_set_magnet), valid during the call.  The callback may
	 * call bt_torrent_set_root, then should call bt_torrent_set_meta
	 * with its own parse of a copy.  NULL: the engine parses and sets it
	 * itself, every file wanted. */
	void (*metadata)(void *ud, const uint8_t *torrent, size_t n);
};

/* A torrent of client c for info_hash, without metadata yet; o is copied.
 * Returns 0 or BT_E_INVAL (no root), BT_E_EXIST (the client has this
 * torrent already), BT_E_NOMEM. */
int bt_torrent_new(struct bt_torrent **out, struct bt_client *c,
	const uint8_t info_hash[20], const struct bt_torrent_opts *o,
	const struct bt_torrent_cb *cb, void *ud);
/* The metadata (m, and its buffer, must outlive the torrent; its info
 * hash must be the torrent's), with the file priorities (per file, -1
 * skip .. 2 low, NULL: all normal; copied).  A torrent started before
 * starts now.  Returns 0 or BT_E_INVAL (another info hash, unsafe paths,
 * metadata already set), BT_E_NOMEM. */
int bt_torrent_set_meta(struct bt_torrent *t, const struct bt_meta *m, const int8_t *prio);
int bt_torrent_has_meta(const struct bt_torrent *t);
/* Where the data goes (see opts.root), before the metadata is set.
 * Returns 0 or BT_E_INVAL (metadata set), BT_E_NOMEM. */
int bt_torrent_set_root(struct bt_torrent *t, const char *root);
/* A magnet link's trackers (announced to while the metadata is fetched,
 * and written into the .torrent) and web seeds (into the .torrent), for
 * a torrent without metadata; the strings are copied.  Returns 0 or
 * BT_E_INVAL (metadata set or started), BT_E_NOMEM. */
int bt_torrent_set_magnet(struct bt_torrent *t, const char *const *tr, size_t ntr,
	const char *const *ws, size_t nws);
/* Frees at once (see bt_torrent_stop for a graceful end). */
void bt_torrent_free(struct bt_torrent *t);
/* Check the data, then announce and go (once the metadata is there).
 * Returns 0 or BT_E_INVAL (started already). */
int bt_torrent_start(struct bt_torrent *t);
/* Graceful stop (see top). */
void bt_torrent_stop(struct bt_torrent *t);

const uint8_t *bt_torrent_info_hash(const struct bt_torrent *s);
enum bt_torrent_state bt_torrent_state(const struct bt_torrent *s);

/* Peers to try (from a tracker or the user). */
void bt_torrent_add_peers(struct bt_torrent *s, const struct sockaddr_storage *p,
	size_t n);

struct bt_torrent_stats {
	enum bt_torrent_state state;
	uint32_t checked, check_total;		/* pieces, while checking or
						 * waiting to check */
	uint64_t total;				/* torrent bytes */
	uint64_t wanted;			/* bytes of wanted pieces */
	uint64_t have;				/* verified bytes */
	uint64_t left;				/* wanted bytes not yet had */
	uint64_t uploaded, downloaded;		/* payload since it started */
	double up_rate, down_rate;		/* bytes/s */
	double eta;				/* seconds, -1 unknown */
	unsigned peers, seeds;			/* connected */
	unsigned seen_recently;			/* seeds closed in the last hour */
	unsigned webseeds;			/* working web seeds */
	double copies;				/* distributed copies */
	double peers_done;			/* mean completion of peers, 0..1 */
	double swarm_rate;			/* estimate from HAVEs, bytes/s */
	uint32_t pieces, pieces_have, active, hash_fails;
	uint32_t fragments;			/* 16 KiB blocks held of active pieces */
	int endgame;
	int complete_at_start;
};
void bt_torrent_stats(const struct bt_torrent *s, struct bt_torrent_stats *st);

/* One row of the peer table (--spew). */
struct bt_torrent_peer {
	struct sockaddr_storage addr;
	char client[32];
	int incoming;
	int am_choking, am_interested, peer_choking, peer_interested, snubbed;
	double up_rate, down_rate;
	double speed;			/* its download rate, estimated
					 * from its HAVEs, bytes/s */
	double done;			/* 0..1 */
	uint64_t uploaded, downloaded;
};
/* Fill up to max rows; returns the number of peers. */
size_t bt_torrent_peers(const struct bt_torrent *s, struct bt_torrent_peer *out,
	size_t max);

#endif
