/* dl_opts.h - the client's options (BitTornado's 59, download_bt1.py, then
 * ours) and what they mean for the engine; shared by download and
 * launchmany.
 *
 * The base table bt_dl_opts[DL_NOPTS] holds the options both front-ends
 * take: BitTornado's 59 in its order (indexes below DL_NBITTORNADO), then
 * ours for routers and NAS boxes (download_dir, state_dir, the seeding
 * limits, on_complete, syslog).  An applet builds its own table from it:
 * bt_dl_opts_build() copies the base and appends the applet's extras
 * (download: save_options; launchmany: parse_dir_interval, saveas_style,
 * display_path, save_options, torrent_max_upload_rate), whose indexes then
 * start at DL_NOPTS.  The help lists them in table order.  Every function
 * here reads only the base indexes of a value array, so it works on any
 * table built that way. */
#ifndef BT_DL_OPTS_H
#define BT_DL_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"

struct bt_peerlisten_opts;
struct bt_torrent_opts;

enum {
	DL_MAX_UPLOADS, DL_KEEPALIVE_INTERVAL, DL_DOWNLOAD_SLICE_SIZE, DL_UPLOAD_UNIT_SIZE,
	DL_REQUEST_BACKLOG, DL_MAX_MESSAGE_LENGTH, DL_IP, DL_MINPORT, DL_MAXPORT,
	DL_RANDOM_PORT, DL_METAFILE, DL_URL, DL_CRYPTO_ALLOWED, DL_CRYPTO_ONLY,
	DL_CRYPTO_STEALTH, DL_SELECTOR_ENABLED, DL_EXPIRE_CACHE_DATA, DL_PRIORITY,
	DL_SAVEAS, DL_TIMEOUT, DL_TIMEOUT_CHECK_INTERVAL, DL_MAX_SLICE_LENGTH,
	DL_MAX_RATE_PERIOD, DL_BIND, DL_IPV6_ENABLED, DL_IPV6_BINDS_V4, DL_UPNP_NAT_ACCESS,
	DL_UPLOAD_RATE_FUDGE, DL_TCP_ACK_FUDGE, DL_DISPLAY_INTERVAL, DL_REREQUEST_INTERVAL,
	DL_MIN_PEERS, DL_HTTP_TIMEOUT, DL_MAX_INITIATE, DL_CHECK_HASHES, DL_MAX_UPLOAD_RATE,
	DL_MAX_DOWNLOAD_RATE, DL_ALLOC_TYPE, DL_ALLOC_RATE, DL_BUFFER_READS,
	DL_WRITE_BUFFER_SIZE, DL_BREAKUP_SEED_BITFIELD, DL_SNUB_TIME, DL_SPEW,
	DL_RAREST_FIRST_CUTOFF, DL_RAREST_FIRST_PRIORITY_CUTOFF, DL_MIN_UPLOADS,
	DL_MAX_FILES_OPEN, DL_ROUND_ROBIN_PERIOD, DL_SUPER_SEEDER, DL_SECURITY,
	DL_MAX_CONNECTIONS, DL_AUTO_KICK, DL_DOUBLE_CHECK, DL_TRIPLE_CHECK, DL_LOCK_FILES,
	DL_LOCK_WHILE_READING, DL_AUTO_FLUSH, DL_DEDICATED_SEED_ID,
	/* Ours, after BitTornado's. */
	DL_DOWNLOAD_DIR, DL_STATE_DIR, DL_SEED_RATIO, DL_SEED_TIME, DL_SEED_IDLE,
	DL_ON_COMPLETE, DL_SYSLOG, DL_LOG_PEERS, DL_OVERWRITE, DL_SCROLL_DISPLAY, DL_LSD,
	DL_NOPTS
};

/* How many of the base options are BitTornado's (59). */
enum { DL_NBITTORNADO = DL_DOWNLOAD_DIR };

/* The client's options: BitTornado's in its order, then ours (DL_*). */
extern const struct bt_opt bt_dl_opts[DL_NOPTS];

/* Names of the options never written to or read from a configuration
 * file (BitTornado's defaultsToIgnore, save_options; state_dir: the
 * file is found through it, so a value inside would only contradict the
 * directory it was read from; overwrite: a permission for one run, not a
 * default), NULL-ended. */
extern const char *const bt_dl_not_saved[];

/* Fill out[0..DL_NOPTS + nextra) with the base table followed by
 * extra[0..nextra); returns the total. */
size_t bt_dl_opts_build(struct bt_opt *out, const struct bt_opt *extra, size_t nextra);

/* Check the values the parser cannot (ranges, choices, unsupported
 * features) among the base options; the seeding limits cannot be negative.  Returns 0, or -1 with the reason in
 * err ("--minport 0 is out of range (1 to 65535)", ...). */
int bt_dl_opts_check(const union bt_optv *v, char *err, size_t errlen);

/* bt_dl_opts_check that tells which option is wrong: its index, or -1
 * when all are right. */
int bt_dl_opts_bad(const union bt_optv *v, char *err, size_t errlen);
/* Option k (from bt_dl_opts_bad) is wrong, err says why: when its value
 * is the one the configuration file r gave (read into opts by
 * bt_ini_read, r->lines set) and not one the command line replaced,
 * prefix err with "config file <path> line <n>: ". */
struct bt_ini_src;
void bt_dl_ini_blame(const struct bt_opt *opts, const union bt_optv *v, const struct bt_ini_src *r,
	int k, char *err, size_t cap);

/* Seconds -> milliseconds, rounded, at least 1, at most UINT32_MAX. */
uint32_t bt_dl_secs_ms(double s);
/* --display_interval in ms, at least 100. */
uint32_t bt_dl_display_ms(const union bt_optv *v);

/* Options (already checked) -> engine settings (bt_torrent_opts_init,
 * then every option the engine has a field for).  Leaves root, prio,
 * resume_path, peer_id and port to the caller. */
void bt_dl_torrent_opts(const union bt_optv *v, struct bt_torrent_opts *o);
/* Options -> the listening socket: minport, maxport, random_port, bind,
 * ipv6_enabled; seed: randomness for the port choice. */
void bt_dl_listen_opts(const union bt_optv *v, struct bt_peerlisten_opts *o, uint64_t seed);
/* BitTornado's words for a client that could not listen (rc from
 * bt_client_new; errno kept for BT_E_IO): "Couldn't listen - ...". */
void bt_dl_listen_error(const union bt_optv *v, int rc, char *out, size_t cap);
struct bt_meta;
/* Why a torrent could not be started (rc from bt_torrent_set_meta or
 * bt_torrent_start): for BT_E_INVAL the path that cannot be saved and
 * the rule it breaks (bt_meta_disk_problem, when m is not NULL;
 * with_name: the torrent's own name is used on disk).  "cannot be downloaded: ..." in out[0..cap). */
void bt_dl_start_error(const struct bt_meta *m, int with_name, int rc, char *out, size_t cap);
/* Options -> the client's wire policy: MSE/PE (crypto_allowed,
 * crypto_only, crypto_stealth) and local service discovery (lsd), fields
 * of struct bt_client_opts. */
struct bt_client_opts;
void bt_dl_crypto_opts(const union bt_optv *v, struct bt_client_opts *co);
/* The client's options from v: zeroed, then the listening socket (with a
 * random seed for the port choice) and the wire policy above; the
 * caller adds what is its own (rate limits). */
void bt_dl_client_opts(const union bt_optv *v, struct bt_client_opts *co);

/* --priority: one integer -1..2 per file, separated by commas (Python's
 * int(): surrounding blanks and a sign allowed).  Returns a new array of
 * nfiles (free it), or NULL when s is empty or wrong (the caller says
 * "bad priority list given, ignored" when s was not empty). */
int8_t *bt_dl_priorities(const char *s, size_t nfiles);

/* A new peer id, Azureus style: "-bt" + four version characters ("0.1.0"
 * -> "0100") + "-" + 12 random characters from [0-9A-Za-z]. */
void bt_dl_peer_id(uint8_t id[20]);

#endif
