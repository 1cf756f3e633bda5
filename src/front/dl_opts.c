/* dl_opts.c - see dl_opts.h */
#include "dl_opts.h"
#include "client.h"
#include "err.h"
#include "metainfo.h"
#include "ini.h"
#include "msg.h"
#include "peerlisten.h"
#include "siphash.h"
#include "torrent.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* BitTornado's 59 options (download_bt1.py), in its order, then ours. */
#define IGN " (accepted for compatibility and ignored: "

const struct bt_opt bt_dl_opts[DL_NOPTS] = {
	[DL_MAX_UPLOADS] = { "max_uploads", BT_OPT_INT, "7", TX("the maximum number of uploads to allow at once.") },
	[DL_KEEPALIVE_INTERVAL] = { "keepalive_interval", BT_OPT_FLOAT, "120.0", TX("number of seconds to pause between sending keepalives") },
	[DL_DOWNLOAD_SLICE_SIZE] = { "download_slice_size", BT_OPT_INT | BT_OPT_COMPAT, "16384", TX("How many bytes to query for per request." IGN "blocks are always 16384 bytes, the size every client serves)") },
	[DL_UPLOAD_UNIT_SIZE] = { "upload_unit_size", BT_OPT_INT | BT_OPT_COMPAT, "1460", TX("when limiting upload rate, how many bytes to send at a time" IGN "the rate limiter meters whole sends)") },
	[DL_REQUEST_BACKLOG] = { "request_backlog", BT_OPT_INT | BT_OPT_COMPAT, "10", TX("maximum number of requests to keep in a single pipe at once." IGN "the pipeline depth follows each peer's rate, as in BitTornado)") },
	[DL_MAX_MESSAGE_LENGTH] = { "max_message_length", BT_OPT_INT, "8388608", TX("maximum length prefix encoding you'll accept over the wire - larger values get the connection dropped.") },
	[DL_IP] = { "ip", BT_OPT_STR, "", TX("ip to report you have to the tracker.") },
	[DL_MINPORT] = { "minport", BT_OPT_INT | BT_OPT_COMMON, "10000", TX("minimum port to listen on, counts up if unavailable") },
	[DL_MAXPORT] = { "maxport", BT_OPT_INT | BT_OPT_COMMON, "60000", TX("maximum port to listen on") },
	[DL_RANDOM_PORT] = { "random_port", BT_OPT_BOOL, "1", TX("whether to choose randomly inside the port range instead of counting up linearly") },
	[DL_METAFILE] = { "metafile", BT_OPT_STR, "", TX("the .torrent file to download, alternative to url") },
	[DL_URL] = { "url", BT_OPT_STR, "", TX("url to get the .torrent file from, alternative to metafile") },
	[DL_CRYPTO_ALLOWED] = { "crypto_allowed", BT_OPT_BOOL, "0", TX("whether to allow the client to accept encrypted connections") },
	[DL_CRYPTO_ONLY] = { "crypto_only", BT_OPT_BOOL, "0", TX("whether to only create or allow encrypted connections") },
	[DL_CRYPTO_STEALTH] = { "crypto_stealth", BT_OPT_BOOL, "0", TX("whether to prevent all non-encrypted connection attempts; will result in an effectively firewalled state on older trackers") },
	[DL_SELECTOR_ENABLED] = { "selector_enabled", BT_OPT_BOOL, "1", TX("whether to enable the file selector and fast resume function") },
	[DL_EXPIRE_CACHE_DATA] = { "expire_cache_data", BT_OPT_INT, "10", TX("the number of days after which you wish to expire old cache data (0 = disabled)") },
	[DL_PRIORITY] = { "priority", BT_OPT_STR | BT_OPT_COMMON, "", TX("a list of file priorities separated by commas, must be one per file, 0 = highest, 1 = normal, 2 = lowest, -1 = download disabled") },
	[DL_SAVEAS] = { "saveas", BT_OPT_STR | BT_OPT_COMMON, "", TX("local file name to save the file as (default: the name in the torrent, in the current directory)") },
	[DL_TIMEOUT] = { "timeout", BT_OPT_FLOAT, "300.0", TX("time to wait between closing sockets which nothing has been received on") },
	[DL_TIMEOUT_CHECK_INTERVAL] = { "timeout_check_interval", BT_OPT_FLOAT | BT_OPT_COMPAT, "60.0", TX("time to wait between checking if any connections have timed out" IGN "idle connections are checked by the engine's own timers)") },
	[DL_MAX_SLICE_LENGTH] = { "max_slice_length", BT_OPT_INT, "131072", TX("maximum length slice to send to peers, larger requests are ignored") },
	[DL_MAX_RATE_PERIOD] = { "max_rate_period", BT_OPT_FLOAT | BT_OPT_COMPAT, "20.0", TX("maximum amount of time to guess the current rate estimate represents" IGN "the rate meters have a fixed window)") },
	[DL_BIND] = { "bind", BT_OPT_STR, "", TX("comma-separated list of ips/hostnames to bind to locally") },
	[DL_IPV6_ENABLED] = { "ipv6_enabled", BT_OPT_BOOL, "0", TX("allow the client to connect to peers via IPv6") },
	[DL_IPV6_BINDS_V4] = { "ipv6_binds_v4", BT_OPT_BOOL | BT_OPT_COMPAT, "1", TX("set if an IPv6 server socket won't also field IPv4 connections" IGN "IPv4 and IPv6 get a socket each)") },
	[DL_UPNP_NAT_ACCESS] = { "upnp_nat_access", BT_OPT_INT | BT_OPT_COMPAT, "1", TX("attempt to autoconfigure a UPnP router to forward a server port (0 = disabled, 1 = mode 1 [fast], 2 = mode 2 [slow])" IGN "there is no UPnP support, as in BitTornado outside Windows)") },
	[DL_UPLOAD_RATE_FUDGE] = { "upload_rate_fudge", BT_OPT_FLOAT | BT_OPT_COMPAT, "5.0", TX("time equivalent of writing to kernel-level TCP buffer, for rate adjustment" IGN "rates are measured on what was sent)") },
	[DL_TCP_ACK_FUDGE] = { "tcp_ack_fudge", BT_OPT_FLOAT | BT_OPT_COMPAT, "0.03", TX("how much TCP ACK download overhead to add to upload rate calculations (0 = disabled)" IGN "the upload limit counts payload only)") },
	[DL_DISPLAY_INTERVAL] = { "display_interval", BT_OPT_FLOAT, "0.5", TX("time between updates of displayed information (when the output is not a terminal, a log line at most every 5 seconds)") },
	[DL_REREQUEST_INTERVAL] = { "rerequest_interval", BT_OPT_INT | BT_OPT_COMPAT, "300", TX("time to wait between requesting more peers" IGN "the tracker's interval and min_peers decide)") },
	[DL_MIN_PEERS] = { "min_peers", BT_OPT_INT, "20", TX("minimum number of peers to not do rerequesting") },
	[DL_HTTP_TIMEOUT] = { "http_timeout", BT_OPT_INT, "60", TX("number of seconds to wait before assuming that an http connection has timed out") },
	[DL_MAX_INITIATE] = { "max_initiate", BT_OPT_INT, "40", TX("number of peers at which to stop initiating new connections") },
	[DL_CHECK_HASHES] = { "check_hashes", BT_OPT_BOOL, "1", TX("whether to check hashes on disk") },
	[DL_MAX_UPLOAD_RATE] = { "max_upload_rate", BT_OPT_INT | BT_OPT_COMMON, "0", TX("maximum kB/s (1 kB = 1000 bytes) to upload at (0 = no limit, -1 = automatic; automatic is not implemented yet and means no limit)") },
	[DL_MAX_DOWNLOAD_RATE] = { "max_download_rate", BT_OPT_INT | BT_OPT_COMMON, "0", TX("maximum kB/s (1 kB = 1000 bytes) to download at (0 = no limit)") },
	[DL_ALLOC_TYPE] = { "alloc_type", BT_OPT_STR | BT_OPT_COMPAT, "normal", TX("allocation type (may be normal, background, pre-allocate or sparse); checked, then ignored: pieces are always written in place, files grow as they are written") },
	[DL_ALLOC_RATE] = { "alloc_rate", BT_OPT_FLOAT | BT_OPT_COMPAT, "2.0", TX("rate (in MiB/s) to allocate space at using background allocation" IGN "there is no background allocation)") },
	[DL_BUFFER_READS] = { "buffer_reads", BT_OPT_BOOL | BT_OPT_COMPAT, "1", TX("whether to buffer disk reads" IGN "the system's page cache buffers reads)") },
	[DL_WRITE_BUFFER_SIZE] = { "write_buffer_size", BT_OPT_INT | BT_OPT_COMPAT, "4", TX("the maximum amount of space to use for buffering disk writes (in megabytes, 0 = disabled)" IGN "blocks are written as they arrive; the system's page cache buffers them)") },
	[DL_BREAKUP_SEED_BITFIELD] = { "breakup_seed_bitfield", BT_OPT_BOOL, "1", TX("sends an incomplete bitfield and then fills with have messages, in order to get around stupid ISP manipulation") },
	[DL_SNUB_TIME] = { "snub_time", BT_OPT_FLOAT, "30.0", TX("seconds to wait for data to come in over a connection before assuming it's semi-permanently choked") },
	[DL_SPEW] = { "spew", BT_OPT_BOOL | BT_OPT_COMMON, "0", TX("whether to display diagnostic info (a table of the connected peers) on the terminal") },
	[DL_RAREST_FIRST_CUTOFF] = { "rarest_first_cutoff", BT_OPT_INT, "2", TX("number of downloads at which to switch from random to rarest first") },
	[DL_RAREST_FIRST_PRIORITY_CUTOFF] = { "rarest_first_priority_cutoff", BT_OPT_INT | BT_OPT_COMPAT, "5", TX("the number of peers which need to have a piece before other partials take priority over rarest first" IGN "the picker finishes started pieces first)") },
	[DL_MIN_UPLOADS] = { "min_uploads", BT_OPT_INT | BT_OPT_COMPAT, "4", TX("the number of uploads to fill out to with extra optimistic unchokes" IGN "BitTornado's choker did not use it either)") },
	[DL_MAX_FILES_OPEN] = { "max_files_open", BT_OPT_INT, "50", TX("the maximum number of files to keep open at a time, 0 means no limit") },
	[DL_ROUND_ROBIN_PERIOD] = { "round_robin_period", BT_OPT_INT, "30", TX("the number of seconds between the client's switching upload targets") },
	[DL_SUPER_SEEDER] = { "super_seeder", BT_OPT_BOOL, "0", TX("whether to use special upload-efficiency-maximizing routines (only for dedicated seeds)") },
	[DL_SECURITY] = { "security", BT_OPT_BOOL, "1", TX("whether to enable extra security features intended to prevent abuse") },
	[DL_MAX_CONNECTIONS] = { "max_connections", BT_OPT_INT, "0", TX("the absolute maximum number of peers to connect with (0 = no limit)") },
	[DL_AUTO_KICK] = { "auto_kick", BT_OPT_BOOL, "1", TX("whether to allow the client to automatically kick/ban peers that send bad data") },
	[DL_DOUBLE_CHECK] = { "double_check", BT_OPT_BOOL | BT_OPT_COMPAT, "1", TX("whether to double-check data being written to the disk for errors (may increase CPU load)" IGN "pieces are never moved on disk, and each is verified once when complete)") },
	[DL_TRIPLE_CHECK] = { "triple_check", BT_OPT_BOOL | BT_OPT_COMPAT, "0", TX("whether to thoroughly check data being written to the disk (may slow disk access)" IGN "see double_check)") },
	[DL_LOCK_FILES] = { "lock_files", BT_OPT_BOOL | BT_OPT_COMPAT, "1", TX("whether to lock files the client is working with" IGN "files are not locked)") },
	[DL_LOCK_WHILE_READING] = { "lock_while_reading", BT_OPT_BOOL | BT_OPT_COMPAT, "0", TX("whether to lock access to files being read" IGN "files are not locked)") },
	[DL_AUTO_FLUSH] = { "auto_flush", BT_OPT_INT | BT_OPT_COMPAT, "0", TX("minutes between automatic flushes to disk (0 = disabled)" IGN "writes go straight to the system)") },
	[DL_DEDICATED_SEED_ID] = { "dedicated_seed_id", BT_OPT_STR, "", TX("code to send to tracker identifying as a dedicated seed") },
	[DL_DOWNLOAD_DIR] = { "download_dir", BT_OPT_STR | BT_OPT_COMMON | BT_OPT_LETTER('d'), "", TX("directory to save the data in, under the torrent's name (as --saveas <dir>/<name> would; not together with --saveas)") },
	[DL_STATE_DIR] = { "state_dir", BT_OPT_STR | BT_OPT_COMMON, "", TX("directory for resume records and the configuration file, instead of ~/.BitTornado (never saved in the configuration file)") },
	[DL_SEED_RATIO] = { "seed_ratio", BT_OPT_FLOAT | BT_OPT_COMMON, "0", TX("stop seeding once the torrent has uploaded this many times its size (0 = no limit); download then exits, launchmany stops that torrent") },
	[DL_SEED_TIME] = { "seed_time", BT_OPT_FLOAT | BT_OPT_COMMON, "0", TX("stop seeding after this many minutes of seeding (0 = no limit)") },
	[DL_SEED_IDLE] = { "seed_idle", BT_OPT_FLOAT, "0", TX("stop seeding after this many minutes without uploading (0 = no limit)") },
	[DL_ON_COMPLETE] = { "on_complete", BT_OPT_STR | BT_OPT_COMMON, "", TX("a command run by /bin/sh (not waited for) when a torrent finishes downloading, with BT_TORRENT, BT_NAME, BT_PATH and BT_INFO_HASH set") },
	[DL_SYSLOG] = { "syslog", BT_OPT_BOOL, "0", TX("whether to send messages (events and errors, not the status lines) to syslog as well, facility daemon") },
	[DL_LOG_PEERS] = { "log_peers", BT_OPT_BOOL, "0", TX("whether to log every peer connection that ends, with the reason") },
	[DL_OVERWRITE] = { "overwrite", BT_OPT_BOOL, "0", TX("whether to overwrite (and cut to size) existing files in the save location that do not hold the torrent's data; without it such files are left alone and the torrent fails, naming the file") },
	[DL_SCROLL_DISPLAY] = { "scroll_display", BT_OPT_BOOL, "0", TX("download on a terminal: print the whole status block again every display_interval, scrolling, as BitTornado did, instead of drawing it over itself in place (output that is not a terminal gets log lines either way)") },
	[DL_LSD] = { "lsd", BT_OPT_BOOL, "0", TX("whether to find peers on the local network by local service discovery (multicast; never for private torrents)") },
};

#undef IGN

const char *const bt_dl_not_saved[] = {
	"metafile", "url", "priority", "save_options", "state_dir", "overwrite", NULL
};

size_t
bt_dl_opts_build(struct bt_opt *out, const struct bt_opt *extra, size_t nextra)
{
	memcpy(out, bt_dl_opts, sizeof(bt_dl_opts));
	if (nextra)
		memcpy(out + DL_NOPTS, extra, nextra * sizeof(*extra));
	return DL_NOPTS + nextra;
}

/* The first base option whose value is wrong, with the reason in err;
 * -1 when all are right. */
static int
bad_option(const union bt_optv *v, char *err, size_t errlen)
{
	static const struct { int k; long long lo, hi; } ints[] = {
		{ DL_MAX_UPLOADS, 0, 100000 },
		{ DL_DOWNLOAD_SLICE_SIZE, 1, 1 << 24 },
		{ DL_MAX_MESSAGE_LENGTH, 1, INT32_MAX },
		{ DL_MINPORT, 1, 65535 },
		{ DL_MAXPORT, 1, 65535 },
		{ DL_EXPIRE_CACHE_DATA, 0, 1000000 },
		{ DL_MAX_SLICE_LENGTH, 1, INT32_MAX },
		{ DL_MIN_PEERS, 0, 100000 },
		{ DL_HTTP_TIMEOUT, 1, 86400 },
		{ DL_MAX_INITIATE, 0, 100000 },
		{ DL_MAX_UPLOAD_RATE, -1, 1000000000 },
		{ DL_MAX_DOWNLOAD_RATE, 0, 1000000000 },
		{ DL_RAREST_FIRST_CUTOFF, 0, INT32_MAX },
		{ DL_MAX_FILES_OPEN, 0, 1000000 },
		{ DL_ROUND_ROBIN_PERIOD, 1, 86400 },
		{ DL_MAX_CONNECTIONS, 0, 1000000 },
		{ DL_SYSLOG, 0, 1 },
		{ DL_OVERWRITE, 0, 1 },
		{ DL_SCROLL_DISPLAY, 0, 1 },
		{ DL_LSD, 0, 1 },
	};
	static const struct { int k; double lo, hi; } floats[] = {
		{ DL_KEEPALIVE_INTERVAL, 0.001, 86400 },
		{ DL_TIMEOUT, 0.001, 86400 * 30 },
		{ DL_TIMEOUT_CHECK_INTERVAL, 0, 86400 },
		{ DL_MAX_RATE_PERIOD, 0, 86400 },
		{ DL_UPLOAD_RATE_FUDGE, 0, 86400 },
		{ DL_TCP_ACK_FUDGE, 0, 1000 },
		{ DL_DISPLAY_INTERVAL, 0, 86400 },
		{ DL_ALLOC_RATE, 0, 1e9 },
		{ DL_SNUB_TIME, 0.001, 86400 },
		{ DL_SEED_RATIO, 0, 1e6 },
		{ DL_SEED_TIME, 0, 1e9 },	/* minutes */
		{ DL_SEED_IDLE, 0, 1e9 },
	};
	static const char *const alloc[] = { "normal", "background", "pre-allocate", "sparse" };

	for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
		long long x = v[ints[k].k].i;
		if (x < ints[k].lo || x > ints[k].hi) {
			snprintf(err, errlen, "--%s %lld is out of range (%lld to %lld)",
				bt_dl_opts[ints[k].k].name, x, ints[k].lo, ints[k].hi);
			return ints[k].k;
		}
	}
	for (size_t k = 0; k < sizeof(floats) / sizeof(floats[0]); k++) {
		double x = v[floats[k].k].f;
		if (!isfinite(x) || x < floats[k].lo || x > floats[k].hi) {
			snprintf(err, errlen, "--%s %g is out of range (%g to %g)",
				bt_dl_opts[floats[k].k].name, x, floats[k].lo, floats[k].hi);
			return floats[k].k;
		}
	}
	if (v[DL_MINPORT].i > v[DL_MAXPORT].i) {
		snprintf(err, errlen, "--minport %lld is above --maxport %lld",
			v[DL_MINPORT].i, v[DL_MAXPORT].i);
		return DL_MAXPORT;
	}
	size_t a;
	for (a = 0; a < sizeof(alloc) / sizeof(alloc[0]); a++)
		if (strcmp(v[DL_ALLOC_TYPE].s, alloc[a]) == 0)
			break;
	if (a == sizeof(alloc) / sizeof(alloc[0])) {
		snprintf(err, errlen, "--alloc_type must be normal, background, pre-allocate or sparse, not '%s'",
			v[DL_ALLOC_TYPE].s);
		return DL_ALLOC_TYPE;
	}
	return -1;
}

int
bt_dl_opts_check(const union bt_optv *v, char *err, size_t errlen)
{
	return bad_option(v, err, errlen) < 0 ? 0 : -1;
}

int
bt_dl_opts_bad(const union bt_optv *v, char *err, size_t errlen)
{
	return bad_option(v, err, errlen);
}

/* Is v[k] the value the configuration file gave (opts[k].def, from line
 * r->lines[k])? */
static int
from_file(const struct bt_opt *opts, const union bt_optv *v, const struct bt_ini_src *r, int k)
{
	union bt_optv f;

	if (!r->lines || !r->lines[k] || bt_opt_value(&opts[k], opts[k].def, &f) < 0)
		return 0;
	if (BT_OPT_TYPE(opts[k].type) == BT_OPT_INT || BT_OPT_TYPE(opts[k].type) == BT_OPT_BOOL)
		return f.i == v[k].i;
	if (BT_OPT_TYPE(opts[k].type) == BT_OPT_FLOAT)
		return f.f == v[k].f;
	return strcmp(f.s, v[k].s) == 0;
}

void
bt_dl_ini_blame(const struct bt_opt *opts, const union bt_optv *v, const struct bt_ini_src *r,
	int k, char *err, size_t cap)
{
	char why[512];

	if (k < 0 || k >= DL_NOPTS || !r || !r->path)
		return;
	/* minport above maxport: perhaps the file's minport. */
	if (k == DL_MAXPORT && v[k].i >= 1 && v[k].i <= 65535 && !from_file(opts, v, r, k))
		k = DL_MINPORT;
	if (!from_file(opts, v, r, k))
		return;
	snprintf(why, sizeof(why), "%s", err);
	snprintf(err, cap, "config file %s line %u: %s", r->path, r->lines[k], why);
}

uint32_t
bt_dl_secs_ms(double s)
{
	double ms = s * 1000.0 + 0.5;
	if (!(ms >= 1))
		return 1;
	return ms >= 4294967295.0 ? UINT32_MAX : (uint32_t)ms;
}

uint32_t
bt_dl_display_ms(const union bt_optv *v)
{
	double iv = v[DL_DISPLAY_INTERVAL].f;
	return iv < 0.1 ? 100 : bt_dl_secs_ms(iv);
}

/* See dl_opts.h.  Mapped: max_uploads (0 -> 1), keepalive_interval, max_message_length,
 * ip, timeout, max_slice_length, ipv6_enabled, min_peers, http_timeout,
 * max_initiate, check_hashes, max_upload_rate (kB = 1000 B; -1 =
 * automatic, not implemented: unlimited), max_download_rate,
 * breakup_seed_bitfield, snub_time, rarest_first_cutoff,
 * round_robin_period, super_seeder, security, max_connections, auto_kick,
 * dedicated_seed_id, overwrite.  max_files_open has no field in the engine yet. */
void
bt_dl_torrent_opts(const union bt_optv *v, struct bt_torrent_opts *o)
{
	static const char ua[] = "bt/" BT_VERSION;

	bt_torrent_opts_init(o);
	o->check_hashes = v[DL_CHECK_HASHES].i != 0;
	o->overwrite = v[DL_OVERWRITE].i != 0;
	o->ip = v[DL_IP].s[0] ? v[DL_IP].s : NULL;
	o->seed_id = v[DL_DEDICATED_SEED_ID].s[0] ? v[DL_DEDICATED_SEED_ID].s : NULL;
	o->user_agent = ua;
	o->max_uploads = v[DL_MAX_UPLOADS].i > 0 ? (unsigned)v[DL_MAX_UPLOADS].i : 1;
	o->max_connections = (unsigned)v[DL_MAX_CONNECTIONS].i;
	/* 0 means "the default" to the engine; BitTornado's 0 would mean
	 * none at all, which nobody wants: keep the engine's default. */
	if (v[DL_MAX_INITIATE].i > 0)
		o->max_initiate = (unsigned)v[DL_MAX_INITIATE].i;
	if (v[DL_MIN_PEERS].i > 0)
		o->min_peers = (unsigned)v[DL_MIN_PEERS].i;
	o->keepalive_ms = bt_dl_secs_ms(v[DL_KEEPALIVE_INTERVAL].f);
	o->timeout_ms = bt_dl_secs_ms(v[DL_TIMEOUT].f);
	o->snub_ms = bt_dl_secs_ms(v[DL_SNUB_TIME].f);
	o->round_robin_ms = bt_dl_secs_ms((double)v[DL_ROUND_ROBIN_PERIOD].i);
	o->http_timeout_ms = bt_dl_secs_ms((double)v[DL_HTTP_TIMEOUT].i);
	o->max_message = (uint32_t)v[DL_MAX_MESSAGE_LENGTH].i;
	o->max_slice = (uint32_t)v[DL_MAX_SLICE_LENGTH].i;
	o->rarest_first_cutoff = (uint32_t)v[DL_RAREST_FIRST_CUTOFF].i;
	/* -1 = automatic (BitTornado measures the link and adapts); not
	 * implemented yet, so it means no limit. */
	o->max_upload_rate = v[DL_MAX_UPLOAD_RATE].i > 0 ? (uint64_t)v[DL_MAX_UPLOAD_RATE].i * 1000 : 0;
	o->max_download_rate = (uint64_t)v[DL_MAX_DOWNLOAD_RATE].i * 1000;
	o->super_seeder = v[DL_SUPER_SEEDER].i != 0;
	o->security = v[DL_SECURITY].i != 0;
	o->log_peers = v[DL_LOG_PEERS].i != 0;
	o->auto_kick = v[DL_AUTO_KICK].i != 0;
	o->breakup_seed_bitfield = v[DL_BREAKUP_SEED_BITFIELD].i != 0;
	o->ipv6 = v[DL_IPV6_ENABLED].i != 0;
}

/* See dl_opts.h.  crypto_only and crypto_stealth imply crypto_allowed. */
void
bt_dl_crypto_opts(const union bt_optv *v, struct bt_client_opts *co)
{
	co->crypto_stealth = v[DL_CRYPTO_STEALTH].i != 0;
	co->crypto_only = v[DL_CRYPTO_ONLY].i != 0 || co->crypto_stealth;
	co->crypto_allowed = v[DL_CRYPTO_ALLOWED].i != 0 || co->crypto_only;
	co->lsd = v[DL_LSD].i != 0;
}

void
bt_dl_client_opts(const union bt_optv *v, struct bt_client_opts *co)
{
	struct bt_sipkey key;

	bt_sipkey_random(&key);
	memset(co, 0, sizeof(*co));
	bt_dl_listen_opts(v, &co->listen, key.k0);
	bt_dl_crypto_opts(v, co);
}

/* See dl_opts.h.  (ipv6_binds_v4 and upnp_nat_access are not used.) */
void
bt_dl_listen_opts(const union bt_optv *v, struct bt_peerlisten_opts *o, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->minport = (uint16_t)v[DL_MINPORT].i;
	o->maxport = (uint16_t)v[DL_MAXPORT].i;
	o->random_port = v[DL_RANDOM_PORT].i != 0;
	o->bind = v[DL_BIND].s[0] ? v[DL_BIND].s : NULL;
	o->ipv6 = v[DL_IPV6_ENABLED].i != 0;
	o->seed = seed;
}

int8_t *
bt_dl_priorities(const char *s, size_t nfiles)
{
	int8_t *p;
	size_t n = 0;

	if (!s[0] || nfiles == 0)
		return NULL;
	p = xcalloc(nfiles, 1);
	for (;;) {
		char *end;
		long x;
		errno = 0;
		x = strtol(s, &end, 10);
		if (end == s || errno || x < -1 || x > 2 || n >= nfiles)
			goto bad;
		while (*end == ' ' || *end == '\t')
			end++;
		p[n++] = (int8_t)x;
		if (*end == 0)
			break;
		if (*end != ',')
			goto bad;
		s = end + 1;
	}
	if (n == nfiles)
		return p;
bad:
	free(p);
	return NULL;
}

void
bt_dl_peer_id(uint8_t id[20])
{
	static const char an[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *p = BT_VERSION;
	struct bt_sipkey key;
	uint8_t rnd[sizeof(key)];

	memcpy(id, "-bt", 3);
	for (int k = 0; k < 4; k++) {
		unsigned x = 0;
		int any = 0;
		while (*p >= '0' && *p <= '9') {
			x = x * 10 + (unsigned)(*p++ - '0');
			if (x > 61)
				x = 61;
			any = 1;
		}
		id[3 + k] = (uint8_t)(any ? an[x] : '0');
		if (*p == '.')
			p++;
	}
	id[7] = '-';
	bt_sipkey_random(&key);
	memcpy(rnd, &key, sizeof(rnd));
	for (int k = 0; k < 12; k++)
		id[8 + k] = (uint8_t)an[rnd[k] % 62];
}


void
bt_dl_listen_error(const union bt_optv *v, int rc, char *out, size_t cap)
{
	if (rc == BT_E_IO)
		snprintf(out, cap, "Couldn't listen - %s", strerror(errno));
	else if (rc == BT_E_PARSE)
		snprintf(out, cap, "Couldn't listen - bad --bind address '%s'", v[DL_BIND].s);
	else
		snprintf(out, cap, "Couldn't listen - %s", bt_strerror(rc));
}

void
bt_dl_start_error(const struct bt_meta *m, int with_name, int rc, char *out, size_t cap)
{
	char why[512];

	if (rc == BT_E_INVAL && m && bt_meta_disk_problem(m, with_name, why, sizeof(why)))
		snprintf(out, cap, "cannot be downloaded: %s", why);
	else if (rc == BT_E_INVAL)
		snprintf(out, cap, "cannot be downloaded: the torrent or the options are not usable");
	else
		snprintf(out, cap, "cannot be downloaded: %s", bt_strerror(rc));
}
