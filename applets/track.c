//applet: track - a BitTorrent tracker over HTTP and UDP (bttrack)
//usage: track --port 6969 --dfile dstate [--option value...]
#include "allowdir.h"
#include "applets.h"
#include "benc.h"
#include "cli.h"
#include "dfile.h"
#include "err.h"
#include "fileio.h"
#include "http.h"
#include "httpc.h"
#include "infopage.h"
#include "iplist.h"
#include "msg.h"
#include "net.h"
#include "peerwire.h"
#include "reactor.h"
#include "siphash.h"
#include "str.h"
#include "tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

enum {
	O_PORT, O_DFILE, O_BIND, O_IPV6_ENABLED, O_IPV6_BINDS_V4, O_SOCKET_TIMEOUT,
	O_SAVE_DFILE_INTERVAL, O_TIMEOUT_DOWNLOADERS_INTERVAL, O_REANNOUNCE_INTERVAL,
	O_RESPONSE_SIZE, O_TIMEOUT_CHECK_INTERVAL, O_NAT_CHECK, O_LOG_NAT_CHECKS,
	O_MIN_TIME_BETWEEN_LOG_FLUSHES, O_MIN_TIME_BETWEEN_CACHE_REFRESHES, O_ALLOWED_DIR,
	O_ALLOWED_LIST, O_ALLOWED_CONTROLS, O_MULTITRACKER_ENABLED, O_MULTITRACKER_ALLOWED,
	O_MULTITRACKER_REANNOUNCE_INTERVAL, O_MULTITRACKER_MAXPEERS, O_AGGREGATE_FORWARD,
	O_AGGREGATOR, O_HUPMONITOR, O_HTTP_TIMEOUT, O_PARSE_DIR_INTERVAL, O_SHOW_INFOPAGE,
	O_INFOPAGE_REDIRECT, O_SHOW_NAMES, O_FAVICON, O_ALLOWED_IPS, O_BANNED_IPS,
	O_ONLY_LOCAL_OVERRIDE_IP, O_LOGFILE, O_ALLOW_GET, O_KEEP_DEAD, O_SCRAPE_ALLOWED,
	O_DEDICATED_SEED_ID, O_COMPACT_REQD,
	/* ours */
	O_MIN_INTERVAL, O_UDP, O_MAX_CONNECTIONS, O_STATS,
	NOPT
};

static const struct bt_opt opts[NOPT] = {
	[O_PORT] = { "port", BT_OPT_INT, "80", "port to listen on (TCP for HTTP, UDP for BEP 15)" },
	[O_DFILE] = { "dfile", BT_OPT_REQ, NULL, "file to keep the tracker's state in across restarts" },
	[O_BIND] = { "bind", BT_OPT_STR, "", "comma-separated addresses to listen on (default: all)" },
	[O_IPV6_ENABLED] = { "ipv6_enabled", BT_OPT_INT, "0", "1 also listens on IPv6 and serves peers6" },
	[O_IPV6_BINDS_V4] = { "ipv6_binds_v4", BT_OPT_INT, "1", "with a single IPv6 bind address, 1 lets it take IPv4 too" },
	[O_SOCKET_TIMEOUT] = { "socket_timeout", BT_OPT_INT, "15", "seconds before an idle HTTP connection is closed" },
	[O_SAVE_DFILE_INTERVAL] = { "save_dfile_interval", BT_OPT_INT, "300", "seconds between saves of the state file" },
	[O_TIMEOUT_DOWNLOADERS_INTERVAL] = { "timeout_downloaders_interval", BT_OPT_INT, "2700", "seconds between expiry sweeps; a peer silent for a whole period is dropped" },
	[O_REANNOUNCE_INTERVAL] = { "reannounce_interval", BT_OPT_INT, "1800", "seconds clients are told to wait between announces" },
	[O_RESPONSE_SIZE] = { "response_size", BT_OPT_INT, "50", "most peers given in one reply" },
	[O_TIMEOUT_CHECK_INTERVAL] = { "timeout_check_interval", BT_OPT_INT, "5", "seconds between checks for idle connections" },
	[O_NAT_CHECK] = { "nat_check", BT_OPT_INT, "3", "how many times to try connecting back to a peer before taking it as unreachable (0 = do not check)" },
	[O_LOG_NAT_CHECKS] = { "log_nat_checks", BT_OPT_INT, "0", "1 logs the result of every NAT check" },
	[O_MIN_TIME_BETWEEN_LOG_FLUSHES] = { "min_time_between_log_flushes", BT_OPT_FLOAT, "3.0", "least seconds between flushes of the log" },
	[O_MIN_TIME_BETWEEN_CACHE_REFRESHES] = { "min_time_between_cache_refreshes", BT_OPT_FLOAT, "600.0", "accepted for compatibility; peers are picked fresh from the store every time" },
	[O_ALLOWED_DIR] = { "allowed_dir", BT_OPT_STR, "", "serve only the torrents whose .torrent files are in this directory" },
	[O_ALLOWED_LIST] = { "allowed_list", BT_OPT_STR, "", "serve only the info hashes (40 hex digits a line) in this file" },
	[O_ALLOWED_CONTROLS] = { "allowed_controls", BT_OPT_INT, "0", "1 honours 'failure reason' and 'warning message' keys in allowed torrents" },
	[O_MULTITRACKER_ENABLED] = { "multitracker_enabled", BT_OPT_INT, "0", "1 asks the other trackers in allowed torrents' announce-lists for peers (needs allowed_dir)" },
	[O_MULTITRACKER_ALLOWED] = { "multitracker_allowed", BT_OPT_STR, "autodetect", "whether other trackers may announce here: none, autodetect (only for allowed torrents with an announce-list) or all" },
	[O_MULTITRACKER_REANNOUNCE_INTERVAL] = { "multitracker_reannounce_interval", BT_OPT_INT, "120", "seconds between rounds of asking other trackers" },
	[O_MULTITRACKER_MAXPEERS] = { "multitracker_maxpeers", BT_OPT_INT, "20", "peers asked of another tracker at a time" },
	[O_AGGREGATE_FORWARD] = { "aggregate_forward", BT_OPT_STR, "", "URL[,password]: pass every announce on to this tracker (an aggregator)" },
	[O_AGGREGATOR] = { "aggregator", BT_OPT_STR, "0", "1 or a password: act as an aggregator (announces are recorded and answered with response: OK; a password must come as password=)" },
	[O_HUPMONITOR] = { "hupmonitor", BT_OPT_INT, "0", "1 reopens the log file on SIGHUP" },
	[O_HTTP_TIMEOUT] = { "http_timeout", BT_OPT_INT, "60", "seconds to wait for another tracker's answer" },
	[O_PARSE_DIR_INTERVAL] = { "parse_dir_interval", BT_OPT_INT, "60", "seconds between rescans of allowed_dir, allowed_list and the IP lists" },
	[O_SHOW_INFOPAGE] = { "show_infopage", BT_OPT_INT, "1", "1 serves a page of statistics at /" },
	[O_INFOPAGE_REDIRECT] = { "infopage_redirect", BT_OPT_STR, "", "send requests for / to this URL instead" },
	[O_SHOW_NAMES] = { "show_names", BT_OPT_INT, "1", "1 shows torrent names (from allowed_dir) on the info page and in scrapes" },
	[O_FAVICON] = { "favicon", BT_OPT_STR, "", "file to serve as /favicon.ico" },
	[O_ALLOWED_IPS] = { "allowed_ips", BT_OPT_STR, "", "only serve clients from the networks in this file (a.b.c.d/len a line)" },
	[O_BANNED_IPS] = { "banned_ips", BT_OPT_STR, "", "refuse clients from the address ranges in this file (x:y:first-last a line)" },
	[O_ONLY_LOCAL_OVERRIDE_IP] = { "only_local_override_ip", BT_OPT_INT, "2", "who may give another address with ip= or proxy headers: 0 anyone, 1 only clients on local networks, 2 the same as 1 when NAT checks are off, else 0" },
	[O_LOGFILE] = { "logfile", BT_OPT_STR, "", "file to append the access log to (default: standard output)" },
	[O_ALLOW_GET] = { "allow_get", BT_OPT_INT, "0", "1 lets clients download the .torrent files of allowed_dir from /file" },
	[O_KEEP_DEAD] = { "keep_dead", BT_OPT_INT, "0", "1 keeps torrents that have no peers left" },
	[O_SCRAPE_ALLOWED] = { "scrape_allowed", BT_OPT_STR, "full", "scrape access: none, specific or full" },
	[O_DEDICATED_SEED_ID] = { "dedicated_seed_id", BT_OPT_STR, "", "code that marks announces from a dedicated seed (seed_id=); check_seeded=1 then asks whether one serves the torrent" },
	[O_COMPACT_REQD] = { "compact_reqd", BT_OPT_INT, "1", "1 refuses clients that do not ask for compact replies" },
	[O_MIN_INTERVAL] = { "min_interval", BT_OPT_INT, "0", "seconds sent as 'min interval' (0 = half of reannounce_interval)" },
	[O_UDP] = { "udp", BT_OPT_INT, "1", "1 also answers the UDP tracker protocol (BEP 15) on the same port" },
	[O_MAX_CONNECTIONS] = { "max_connections", BT_OPT_INT, "10000", "most HTTP connections open at once" },
	[O_STATS] = { "stats", BT_OPT_INT, "1", "1 serves statistics for monitoring (Prometheus text) at /stats" },
};

#define IN_MAX (16u << 10)	/* largest request head */
#define MAX_LISTEN 16
#define NAT_MAX 64		/* NAT checks running at once */
#define NAT_QUEUE 4096
#define OUT_MAX 64		/* requests to other trackers at once */

/* An announce we send: a T2T poll, or a forwarded announce. */
struct out_req {
	struct bt_httpc *h;
	uint8_t hash[20];
	uint64_t pair;		/* T2T: hash of (torrent, tracker URL), else 0 */
};

struct conn {
	int fd;
	size_t slot;		/* in G.conns */
	struct sockaddr_storage peer;
	struct bt_buf in, out;
	size_t out_off;
	uint64_t last;
	uint64_t head_start;	/* when the unanswered request began, 0 = none */
	int close_after;
	int watched;		/* registered with the loop */
};

struct natcheck {
	int fd;
	uint8_t hash[20], id[20];
	struct sockaddr_storage addr;
	uint8_t buf[BT_PW_HANDSHAKE_LEN];	/* the peer's handshake */
	size_t got, sent;
	uint64_t timer;
};

static struct {
	union bt_optv v[NOPT];
	struct bt_loop *loop;
	struct bt_tracker *t;
	int lfd[MAX_LISTEN], ufd[MAX_LISTEN];
	size_t nlfd, nufd;
	int accept_paused;
	struct conn **conns;
	size_t nconns, capconns;
	FILE *log;
	const char *logpath;
	struct bt_buf body, gz;
	uint8_t *favicon;
	size_t favicon_len;
	struct natcheck *nat[NAT_MAX];
	size_t nnat;
	struct {
		uint8_t hash[20], id[20];
		struct sockaddr_storage addr;
	} natq[NAT_QUEUE];
	size_t natq_head, natq_len;
	time_t started;
	int stopping;
	struct bt_allowdir *adir;
	struct bt_allowlist alist;
	struct bt_iplist allowed_ips, banned_ips;
	const char *alist_path, *aips_path, *bips_path;
	struct out_req *out[OUT_MAX];	/* requests to other trackers */
	size_t nout;
	char *fwd_url, *fwd_pw;		/* aggregate_forward */
	uint64_t *refused;		/* (torrent, tracker) pairs that said no */
	size_t nrefused;
	size_t t2t_next;		/* where the last poll round stopped */
} G;

static const char alas[] = "your file may exist elsewhere in the universe\nbut alas, not here\n";

/* ---- logging ---- */

static void
utc_stamp(char *out, size_t cap, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

static int
open_log(const char *what)
{
	char ts[64];
	if (!G.logpath) {
		G.log = stdout;
		return 0;
	}
	FILE *f = fopen(G.logpath, "a");
	if (!f) {
		bt_pwarn("cannot open log file %s", G.logpath);
		return -1;
	}
	if (G.log && G.log != stdout)
		fclose(G.log);
	G.log = f;
	utc_stamp(ts, sizeof(ts), time(NULL));
	fprintf(G.log, "# %s: %s\n", what, ts);
	fflush(G.log);
	return 0;
}

static void
header_or_dash(const struct bt_http_req *h, const char *name, const char **p, int *n)
{
	const struct bt_http_hdr *x = h ? bt_http_header(h, name) : NULL;
	if (x) {
		*p = x->value;
		*n = (int)x->value_len;
	} else {
		*p = "-";
		*n = 1;
	}
}

/* "DD/Mon/YYYY:HH:MM:SS" in local time, formatted once a second. */
static const char *
log_stamp(void)
{
	static char buf[64];
	static time_t at = -1;
	time_t now = bt_loop_wall(G.loop);
	struct tm tm;
	if (now != at) {
		localtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S", &tm);
		at = now;
	}
	return buf;
}

static void
access_log(const struct conn *c, const struct bt_http_req *h, int status, size_t len, int gz)
{
	char ip[BT_ADDR_STRLEN];
	const char *ref, *ua, *when = log_stamp();
	int rl, ul;

	if (bt_addr_format(&c->peer, ip, sizeof(ip), BT_ADDR_NOPORT) < 0)
		strcpy(ip, "?");
	header_or_dash(h, "Referer", &ref, &rl);
	header_or_dash(h, "User-Agent", &ua, &ul);
	if (h)
		fprintf(G.log, "%s %s - [%s] \"%.*s %.*s HTTP/1.%d\" %d %zu \"%.*s\" \"%.*s\"\n",
			ip, gz ? "gzip" : "-", when, (int)h->method_len, h->method,
			(int)h->path_len, h->path, h->minor, status, len, rl, ref, ul, ua);
	else
		fprintf(G.log, "%s - - [%s] \"-\" %d %zu \"-\" \"-\"\n", ip, when, status, len);
}

/* ---- connections ---- */

static void conn_close(struct conn *c);
static void conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud);

static void
accept_resume(void)
{
	if (G.accept_paused && G.nconns < (size_t)G.v[O_MAX_CONNECTIONS].i) {
		for (size_t k = 0; k < G.nlfd; k++)
			bt_io_set(G.loop, G.lfd[k], BT_EV_READ);
		G.accept_paused = 0;
	}
}

static void
accept_pause(void)
{
	for (size_t k = 0; k < G.nlfd; k++)
		bt_io_set(G.loop, G.lfd[k], 0);
	G.accept_paused = 1;
}

/* Watch the connection for ev, registering it the first time. */
static int
conn_watch(struct conn *c, unsigned ev)
{
	if (c->watched)
		return bt_io_set(G.loop, c->fd, ev);
	if (bt_io_add(G.loop, c->fd, ev, conn_event, c) < 0)
		return -1;
	c->watched = 1;
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->watched)
		bt_io_del(G.loop, c->fd);
	close(c->fd);
	G.conns[c->slot] = G.conns[--G.nconns];
	G.conns[c->slot]->slot = c->slot;
	bt_buf_free(&c->in);
	bt_buf_free(&c->out);
	free(c);
	accept_resume();
}

/* Send what is queued; returns -1 if the connection was closed. */
static int
conn_flush(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (conn_watch(c, BT_EV_WRITE) < 0) {
					conn_close(c);
					return -1;
				}
				return 0;
			}
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out.len = 0;
	c->out_off = 0;
	if (c->out.cap > 64u << 10)
		bt_buf_free(&c->out);
	if (c->close_after) {
		conn_close(c);
		return -1;
	}
	if (conn_watch(c, BT_EV_READ) < 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Compress body into G.gz; 0 when that made it smaller. */
static int
gzip_body(const void *body, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	G.gz.len = 0;
	uint8_t *out = bt_buf_reserve(&G.gz, deflateBound(&z, len));
	if (!out) {
		deflateEnd(&z);
		G.gz.err = 0;
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)deflateBound(&z, len);
	int rc = deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || n >= len)
		return -1;
	bt_buf_commit(&G.gz, n);
	return 0;
}

static void
reply(struct conn *c, const struct bt_http_req *h, int status, const char *reason,
	const char *ctype, int no_cache, const struct bt_http_hdr *extra, size_t nextra,
	const void *body, size_t len, int close_after)
{
	struct bt_http_hdr hdr[7];
	size_t nh = 0;
	int head = h && h->meth == BT_HTTP_HEAD;

	if (ctype)
		hdr[nh++] = (struct bt_http_hdr){ "Content-Type", 12, ctype, strlen(ctype) };
	if (no_cache)
		hdr[nh++] = (struct bt_http_hdr)BT_HTTP_HDR("Pragma", "no-cache");
	for (size_t k = 0; k < nextra && nh < 6; k++)
		hdr[nh++] = extra[k];
	if (h && !bt_http_keep_alive(h))
		close_after = 1;
	/* Large bodies (info page, full scrape, stats) go gzipped when the
	 * client takes it and it saves bytes; announces are too small. */
	int gz = 0;
	if (h && len >= 1024 && bt_http_accepts_gzip(h) && gzip_body(body, len) == 0) {
		body = G.gz.p;
		len = G.gz.len;
		hdr[nh++] = (struct bt_http_hdr)BT_HTTP_HDR("Content-Encoding", "gzip");
		gz = 1;
	}
	struct bt_http_resp r = {
		.minor = h ? h->minor : 0, .status = status, .reason = reason,
		.hdr = hdr, .nhdr = nh, .body = body ? body : "", .body_len = len,
		.flags = (head ? BT_HTTP_RESP_HEAD : 0) |
			(close_after && h && h->minor ? BT_HTTP_RESP_CLOSE : 0) |
			(!close_after && h && !h->minor ? BT_HTTP_RESP_KEEPALIVE : 0) |
			(h && h->simple ? BT_HTTP_RESP_SIMPLE : 0),
	};
	bt_http_resp_write(&c->out, &r);
	if (close_after)
		c->close_after = 1;
	access_log(c, h, status, len, gz);
}

static void
not_found(struct conn *c, const struct bt_http_req *h)
{
	reply(c, h, 404, NULL, "text/plain", 1, NULL, 0, alas, sizeof(alas) - 1, 0);
}

static void nat_start(const uint8_t *hash, const uint8_t *id, const struct sockaddr_storage *a);

static void
serve_file(struct conn *c, const struct bt_http_req *h)
{
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl;
	uint8_t hash[21];
	int have = 0;

	if (!G.v[O_ALLOW_GET].i) {
		static const char msg[] = "get function is not available with this tracker.";
		reply(c, h, 400, "Not Authorized", "text/plain", 1, NULL, 0, msg, sizeof(msg) - 1, 0);
		return;
	}
	bt_http_query_init(&it, h->query, h->query ? h->query_len : 0);
	while (bt_http_query_next(&it, &k, &kl, &v, &vl))
		if (kl == 9 && !memcmp(k, "info_hash", 9) && v &&
		    bt_http_decode(v, vl, hash, sizeof(hash), BT_HTTP_PLUS) == 20)
			have = 1;
	const struct bt_allowed *a = have ? bt_tracker_allowed(G.t, hash) : NULL;
	uint8_t *data;
	size_t len;
	if (!a || !a->path || bt_file_read(a->path, BT_CLI_MAX_TORRENT, &data, &len) < 0) {
		not_found(c, h);
		return;
	}
	const char *base = strrchr(a->path, '/');
	char disp[300];
	snprintf(disp, sizeof(disp), "attachment; filename=%s", base ? base + 1 : a->path);
	for (char *p = disp; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	struct bt_http_hdr x = { "Content-Disposition", 19, disp, strlen(disp) };
	reply(c, h, 200, NULL, "application/x-bittorrent", 0, &x, 1, data, len, 0);
	free(data);
}

static void infopage(struct conn *c, const struct bt_http_req *h);
static void forward_announce(const struct bt_http_req *h);
static void statspage(struct conn *c, const struct bt_http_req *h);
static int ip_refused(const struct sockaddr_storage *a);

static void
handle(struct conn *c, const struct bt_http_req *h)
{
	if (h->meth != BT_HTTP_GET && h->meth != BT_HTTP_HEAD) {
		static const char msg[] = "only GET and HEAD are served here\n";
		struct bt_http_hdr allow = BT_HTTP_HDR("Allow", "GET, HEAD");
		reply(c, h, 405, NULL, "text/plain", 0, &allow, 1, msg, sizeof(msg) - 1, 1);
		return;
	}
	if (ip_refused(&c->peer)) {
		static const char msg[] = "d14:failure reason39:your IP is not allowed on this tracker.e";
		reply(c, h, 400, "Not Authorized", "text/plain", 1, NULL, 0, msg, sizeof(msg) - 1, 0);
		return;
	}
	struct bt_tracker_req tr = { .http = h, .peer = &c->peer, .now = bt_loop_wall(G.loop) };
	struct bt_tracker_resp resp;
	G.body.len = 0;
	G.body.err = 0;
	bt_tracker_http(G.t, &tr, &resp, &G.body);
	if (G.body.err) {
		static const char msg[] = "d14:failure reason13:out of memorye";
		reply(c, h, 500, NULL, "text/plain", 1, NULL, 0, msg, sizeof(msg) - 1, 1);
		return;
	}
	if (resp.status) {
		reply(c, h, resp.status, resp.reason, resp.ctype, resp.no_cache, resp.hdr, resp.nhdr,
			G.body.p, G.body.len, 0);
		if (resp.check_peer)
			nat_start(resp.check_hash, resp.check_id, &resp.check_addr);
		if (resp.forward && resp.status == 200 && G.fwd_url)
			forward_announce(h);
		return;
	}
	if (bt_http_path_is(h, "/") || bt_http_path_is(h, "/index.html")) {
		infopage(c, h);
	} else if (bt_http_path_is(h, "/favicon.ico") && G.favicon) {
		reply(c, h, 200, NULL, "image/x-icon", 0, NULL, 0, G.favicon, G.favicon_len, 0);
	} else if (bt_http_path_is(h, "/file")) {
		serve_file(c, h);
	} else if (bt_http_path_is(h, "/stats") && G.v[O_STATS].i) {
		statspage(c, h);
	} else {
		not_found(c, h);
	}
}

static void
bad_request(struct conn *c, int status)
{
	static const char msg[] = "malformed request\n";
	reply(c, NULL, status, NULL, "text/plain", 0, NULL, 0, msg, sizeof(msg) - 1, 1);
}

/* Answer every complete request in the input (pipelining). */
static void
conn_process(struct conn *c)
{
	struct bt_http_req h;
	size_t done = 0;

	while (done < c->in.len && !c->close_after) {
		int rc = bt_http_parse_request((const char *)c->in.p + done, c->in.len - done, &h,
			BT_HTTP_HDR_MAX);
		if (rc == BT_E_PARTIAL) {
			if (c->in.len - done >= IN_MAX)
				bad_request(c, 431);
			break;
		}
		if (rc < 0) {
			bad_request(c, rc == BT_E_UNSUPPORTED ? 505 : rc == BT_E_LIMIT ? 431 : 400);
			break;
		}
		handle(c, &h);
		done += (size_t)rc;
	}
	bt_buf_consume(&c->in, done);
	if (c->in.len == 0)
		bt_buf_free(&c->in);
	else if (done)
		c->head_start = c->last;	/* a pipelined request has begun */
}

/* Handle events; returns -1 if the connection was closed. */
static int
conn_input(struct conn *c, unsigned ev)
{
	if (ev & BT_EV_WRITE) {
		if (conn_flush(c) < 0)
			return -1;
	}
	if (!(ev & (BT_EV_READ | BT_EV_ERR | BT_EV_HUP)) || c->close_after)
		return 0;
	for (int rounds = 0; rounds < 8; rounds++) {
		uint8_t *p = bt_buf_reserve(&c->in, 4096);
		if (!p) {
			conn_close(c);
			return -1;
		}
		ssize_t n = recv(c->fd, p, 4096, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		if (c->in.len == 0)
			c->head_start = c->last;
		bt_buf_commit(&c->in, (size_t)n);
		if ((size_t)n < 4096)
			break;
	}
	conn_process(c);
	if (c->out.len)
		return conn_flush(c);
	return 0;
}

static void
conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct conn *c = ud;
	(void)fd;
	c->last = bt_loop_now_ms(loop);
	conn_input(c, ev);
}

static void
on_accept(struct bt_loop *loop, int lfd, unsigned ev, void *ud)
{
	(void)ev;
	(void)ud;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		if (G.nconns >= (size_t)G.v[O_MAX_CONNECTIONS].i) {
			accept_pause();
			return;
		}
		int fd = bt_net_accept(lfd, &peer);
		if (fd == BT_E_LIMIT) {
			accept_pause();
			return;
		}
		if (fd < 0)
			return;
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->peer = peer;
		c->last = bt_loop_now_ms(loop);
		bt_buf_init(&c->in, IN_MAX + 4096);
		bt_buf_init(&c->out, 0);
		if (G.nconns == G.capconns) {
			size_t nc = G.capconns ? G.capconns * 2 : 256;
			struct conn **n = realloc(G.conns, nc * sizeof(*n));
			if (!n) {
				close(fd);
				free(c);
				return;
			}
			G.conns = n;
			G.capconns = nc;
		}
		c->slot = G.nconns;
		G.conns[G.nconns++] = c;
		/* A client usually sends its request with the handshake, so try
		 * it at once: a one-request connection is then answered and
		 * closed without ever being registered with the loop.
		 * (TCP_DEFER_ACCEPT would do more, but hides idle connections
		 * from socket_timeout.) */
		if (conn_input(c, BT_EV_READ) == 0 && !c->watched && conn_watch(c, BT_EV_READ) < 0)
			conn_close(c);
	}
}

static uint64_t
idle_sweep(struct bt_loop *loop, uint64_t id, void *ud)
{
	uint64_t now = bt_loop_now_ms(loop), limit = (uint64_t)G.v[O_SOCKET_TIMEOUT].i * 1000;
	(void)id;
	(void)ud;
	/* Idle connections go, and so do clients that trickle a request
	 * head in slower than the same limit. */
	for (size_t k = G.nconns; k-- > 0;) {
		struct conn *x = G.conns[k];
		if (now - x->last > limit || (x->in.len && now - x->head_start > limit))
			conn_close(x);
	}
	return (uint64_t)G.v[O_TIMEOUT_CHECK_INTERVAL].i * 1000;
}

/* ---- UDP ---- */

static void
on_udp(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	uint8_t in[2048], out[BT_TRACKER_UDP_MAX];
	(void)ev;
	(void)ud;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		struct sockaddr_storage norm = from;
		bt_addr_normalize(&norm);
		if (ip_refused(&norm))
			continue;
		size_t m = bt_tracker_udp(G.t, in, (size_t)n, &from, bt_loop_wall(loop), out, sizeof(out));
		if (m)
			sendto(fd, out, m, MSG_NOSIGNAL, (struct sockaddr *)&from, fl);
	}
}

/* ---- NAT check: connect back and expect the peer's handshake ---- */

static void nat_next(void);

static void
nat_log(const struct natcheck *n, int code)
{
	char ip[BT_ADDR_STRLEN];
	struct bt_buf id;

	if (!G.v[O_LOG_NAT_CHECKS].i)
		return;
	bt_addr_format(&n->addr, ip, sizeof(ip), BT_ADDR_NOPORT);
	bt_buf_init(&id, 0);
	bt_http_encode(&id, n->id, 20);
	if (bt_buf_cstr(&id))
		fprintf(G.log, "%s - %s [%s] \"!natcheck-%s:%u\" %d 0 - -\n", ip, (char *)id.p,
			log_stamp(), ip, bt_addr_port(&n->addr), code);
	bt_buf_free(&id);
}

static void
nat_done(struct natcheck *n, int ok)
{
	nat_log(n, ok ? 200 : 503);
	bt_tracker_nat_result(G.t, n->hash, &n->addr, ok);
	if (n->timer)
		bt_timer_del(G.loop, n->timer);
	if (n->fd >= 0) {
		bt_io_del(G.loop, n->fd);
		close(n->fd);
	}
	for (size_t k = 0; k < G.nnat; k++)
		if (G.nat[k] == n) {
			G.nat[k] = G.nat[--G.nnat];
			break;
		}
	free(n);
	nat_next();
}

static uint64_t
nat_timeout(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct natcheck *n = ud;
	(void)loop;
	(void)id;
	n->timer = 0;
	nat_done(n, 0);
	return BT_TIMER_STOP;
}

/* What we send: the handshake without a peer id, as BitTornado's check. */
#define NAT_HS_SEND (BT_PW_HANDSHAKE_LEN - 20)

static void
nat_event(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct natcheck *n = ud;
	(void)loop;
	if (ev & BT_EV_WRITE) {
		if (n->sent == 0 && bt_net_connect_finish(fd) < 0) {
			nat_done(n, 0);
			return;
		}
		uint8_t hs[BT_PW_HANDSHAKE_LEN];
		bt_pw_handshake_write(hs, n->hash, n->id, NULL);
		ssize_t w = send(fd, hs + n->sent, NAT_HS_SEND - n->sent, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			nat_done(n, 0);
			return;
		}
		if (w > 0)
			n->sent += (size_t)w;
		if (n->sent == NAT_HS_SEND)
			bt_io_set(G.loop, fd, BT_EV_READ);
		return;
	}
	ssize_t r = recv(fd, n->buf + n->got, sizeof(n->buf) - n->got, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		nat_done(n, 0);
		return;
	}
	n->got += (size_t)r;
	if (n->got < sizeof(n->buf))
		return;
	struct bt_pw_handshake hs;
	int ok = bt_pw_handshake_parse(n->buf, n->got, &hs) == BT_PW_HANDSHAKE_LEN &&
		memcmp(hs.info_hash, n->hash, 20) == 0 && memcmp(hs.peer_id, n->id, 20) == 0;
	nat_done(n, ok);
}

static void
nat_run(const uint8_t *hash, const uint8_t *id, const struct sockaddr_storage *a)
{
	struct natcheck *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	memcpy(n->hash, hash, 20);
	memcpy(n->id, id, 20);
	n->addr = *a;
	n->fd = -1;
	int rc = bt_net_connect_tcp(a, &n->fd);
	if ((rc < 0 && rc != BT_E_PARTIAL) ||
	    bt_io_add(G.loop, n->fd, BT_EV_WRITE, nat_event, n) < 0) {
		if (n->fd >= 0)
			close(n->fd);
		n->fd = -1;
		G.nat[G.nnat++] = n;
		nat_done(n, 0);
		return;
	}
	n->timer = bt_timer_add(G.loop, (uint64_t)G.v[O_SOCKET_TIMEOUT].i * 1000, nat_timeout, n);
	G.nat[G.nnat++] = n;
}

static void
nat_next(void)
{
	while (G.nnat < NAT_MAX && G.natq_len && !G.stopping) {
		size_t i = G.natq_head;
		G.natq_head = (G.natq_head + 1) % NAT_QUEUE;
		G.natq_len--;
		nat_run(G.natq[i].hash, G.natq[i].id, &G.natq[i].addr);
	}
}

static void
nat_start(const uint8_t *hash, const uint8_t *id, const struct sockaddr_storage *a)
{
	if (G.natq_len == NAT_QUEUE)
		return;	/* overloaded: the peer stays unchecked (not handed out) */
	size_t i = (G.natq_head + G.natq_len++) % NAT_QUEUE;
	memcpy(G.natq[i].hash, hash, 20);
	memcpy(G.natq[i].id, id, 20);
	G.natq[i].addr = *a;
	nat_next();
}

/* ---- requests to other trackers: T2T polls and aggregate_forward ---- */

static uint64_t
pair_key(const uint8_t *hash, const char *url)
{
	struct bt_sipkey k = { 0x7432747432747432ULL, 0 };
	uint8_t buf[20 + 512];
	size_t n = strlen(url);
	if (n > 512)
		n = 512;
	memcpy(buf, hash, 20);
	memcpy(buf + 20, url, n);
	return bt_siphash(&k, buf, 20 + n) | 1;
}

static int
refused(uint64_t pair)
{
	for (size_t k = 0; k < G.nrefused; k++)
		if (G.refused[k] == pair)
			return 1;
	return 0;
}

static void
out_done(struct out_req *o)
{
	for (size_t k = 0; k < G.nout; k++)
		if (G.out[k] == o) {
			G.out[k] = G.out[--G.nout];
			break;
		}
	free(o);
}

/* Peers from another tracker's reply: compact strings or dictionaries. */
static void
t2t_reply(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	struct out_req *o = ud;
	struct bt_benc d = { 0 };
	(void)loop;
	if (r->status == 200 &&
	    bt_benc_parse(&d, r->body, r->body_len, &bt_benc_lim_lenient, NULL) == 0 &&
	    bt_benc_type(&d, 0) == BT_BENC_DICT) {
		const uint8_t *p;
		size_t n;
		int fr = bt_benc_dict_get(&d, 0, "failure reason");
		int pe = bt_benc_dict_get(&d, 0, "peers");
		int p6 = bt_benc_dict_get(&d, 0, "peers6");
		if (fr >= 0 && G.nrefused < 100000) {
			/* It will not have us: stop asking it about this torrent. */
			G.refused = xrealloc(G.refused, (G.nrefused + 1) * sizeof(*G.refused));
			G.refused[G.nrefused++] = o->pair;
		}
		if (bt_benc_str(&d, pe, &p, &n) == 0)
			bt_tracker_t2t_add(G.t, o->hash, p, n / 6, 6);
		if (bt_benc_str(&d, p6, &p, &n) == 0)
			bt_tracker_t2t_add(G.t, o->hash, p, n / 18, 18);
		if (bt_benc_type(&d, pe) == BT_BENC_LIST) {
			for (int j = bt_benc_first(&d, pe); j >= 0; j = bt_benc_next(&d, pe, j)) {
				int ip = bt_benc_dict_get(&d, j, "ip"), po = bt_benc_dict_get(&d, j, "port");
				int64_t port;
				struct sockaddr_storage a;
				uint8_t cp[18];
				if (bt_benc_str(&d, ip, &p, &n) == 0 && bt_benc_int(&d, po, &port) == 0 &&
				    port > 0 && port < 65536 && bt_addr_parse(&a, (const char *)p, n,
				    (uint16_t)port) == 0) {
					size_t alen = bt_addr_pack(cp, &a);
					bt_tracker_t2t_add(G.t, o->hash, cp, 1, alen);
				}
			}
		}
	}
	bt_benc_free(&d);
	out_done(o);
}

static void
forward_reply(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	(void)loop;
	(void)r;
	out_done(ud);
}

/* Start GET url?query; returns 0, or -1 when at the limit or failing. */
static int
out_start(const char *url, const char *query, size_t qlen, const uint8_t *hash,
	uint64_t pair, bt_httpc_fn *fn)
{
	struct bt_buf u;
	struct bt_httpc_opts o;
	if (G.nout >= OUT_MAX || G.stopping)
		return -1;
	struct out_req *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	if (hash)
		memcpy(r->hash, hash, 20);
	r->pair = pair;
	bt_buf_init(&u, BT_URL_MAX);
	bt_buf_adds(&u, url);
	bt_buf_addc(&u, strchr(url, '?') ? '&' : '?');
	bt_buf_add(&u, query, qlen);
	bt_httpc_opts_init(&o);
	o.user_agent = "bt/" BT_VERSION;
	o.timeout_ms = (uint32_t)G.v[O_HTTP_TIMEOUT].i * 1000;
	o.max_body = 256u << 10;
	if (!bt_buf_cstr(&u) || bt_httpc_get(G.loop, (char *)u.p, &o, fn, r, &r->h) < 0) {
		bt_buf_free(&u);
		free(r);
		return -1;
	}
	bt_buf_free(&u);
	G.out[G.nout++] = r;
	return 0;
}

static void
forward_announce(const struct bt_http_req *h)
{
	struct bt_buf q;
	bt_buf_init(&q, BT_URL_MAX);
	bt_buf_add(&q, h->query, h->query_len);
	if (G.fwd_pw) {
		bt_buf_adds(&q, "&password=");
		bt_buf_adds(&q, G.fwd_pw);
	}
	if (!q.err)
		out_start(G.fwd_url, (const char *)q.p, q.len, NULL, 0, forward_reply);
	bt_buf_free(&q);
}

/* Ask the other trackers of allowed torrents for peers (bounded per round;
 * the next round carries on where this one stopped). */
static uint64_t
t2t_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	size_t n, seen = 0;
	const struct bt_allowed *a = bt_tracker_allowed_list(G.t, &n);
	struct bt_buf q;
	(void)loop;
	(void)id;
	(void)ud;
	bt_buf_init(&q, 0);
	for (size_t k = 0; k < n && G.nout < OUT_MAX; k++) {
		const struct bt_allowed *e = &a[(G.t2t_next + k) % n];
		seen = k + 1;
		for (size_t u = 0; u < e->ntrackers && G.nout < OUT_MAX; u++) {
			const char *url = e->trackers[u];
			uint64_t pair = pair_key(e->info_hash, url);
			if (strncmp(url, "http://", 7) != 0 || refused(pair))
				continue;
			q.len = 0;
			bt_tracker_t2t_query(G.t, e->info_hash, (uint16_t)G.v[O_PORT].i,
				(unsigned)G.v[O_MULTITRACKER_MAXPEERS].i, &q);
			if (!q.err)
				out_start(url, (const char *)q.p, q.len, e->info_hash, pair, t2t_reply);
		}
	}
	G.t2t_next = n ? (G.t2t_next + seen) % n : 0;
	bt_buf_free(&q);
	return (uint64_t)G.v[O_MULTITRACKER_REANNOUNCE_INTERVAL].i * 1000;
}

/* ---- pages (info page, stats), access lists, state file ---- */

static int
ip_refused(const struct sockaddr_storage *a)
{
	return (G.aips_path && !bt_iplist_contains(&G.allowed_ips, a)) ||
		(G.bips_path && bt_iplist_contains(&G.banned_ips, a));
}

static void
warn_allowdir(void *ud, const struct bt_allowdir_warning *w)
{
	(void)ud;
	if (w->kind == BT_ALLOWDIR_DUPLICATE)
		bt_warn("**warning** %s is a duplicate torrent for %s", w->path, w->other);
	else if (w->kind == BT_ALLOWDIR_ERRORS)
		bt_warn("**warning** %s has errors (%s)", w->path, w->what ? w->what : "unreadable");
	else
		bt_warn("**warning** %s: %s", w->path, w->what ? w->what : "skipped");
}

static void
warn_line(void *ud, unsigned long line, const char *text, size_t len, const char *why)
{
	bt_warn("*** WARNING *** %s line %lu: %s:  %.*s", (const char *)ud, line, why,
		(int)(len > 200 ? 200 : len), text);
}

/* Re-read allowed_dir / allowed_list and the IP lists when they changed. */
static void
rescan_lists(void)
{
	int changed = 0, rc;
	if (G.adir) {
		if (bt_allowdir_scan(G.adir, &changed) < 0)
			bt_pwarn("**warning** cannot read --allowed_dir %s", G.v[O_ALLOWED_DIR].s);
		if (changed) {
			size_t n;
			const struct bt_allowed *a = bt_allowdir_list(G.adir, &n);
			if (bt_tracker_set_allowed(G.t, a, n) < 0)
				bt_warn("**warning** out of memory updating allowed torrents");
		}
	} else if (G.alist_path) {
		rc = bt_allowlist_reload(&G.alist, G.alist_path, warn_line, (void *)G.alist_path);
		if (rc < 0)
			bt_warn("**warning** cannot read --allowed_list %s: %s", G.alist_path,
				rc == BT_E_IO ? strerror(errno) : bt_strerror(rc));
		if (rc > 0) {
			struct bt_allowed *a = bt_allowlist_entries(&G.alist);
			if ((a || G.alist.n == 0) && bt_tracker_set_allowed(G.t, a, G.alist.n) < 0)
				bt_warn("**warning** out of memory updating allowed torrents");
			free(a);
		}
	}
	if (G.aips_path && (rc = bt_iplist_reload(&G.allowed_ips, BT_IPLIST_ALLOWED, G.aips_path,
		warn_line, (void *)G.aips_path)) < 0)
		bt_warn("**warning** cannot read --allowed_ips %s: %s", G.aips_path, bt_strerror(rc));
	if (G.bips_path && (rc = bt_iplist_reload(&G.banned_ips, BT_IPLIST_BANNED, G.bips_path,
		warn_line, (void *)G.bips_path)) < 0)
		bt_warn("**warning** cannot read --banned_ips %s: %s", G.bips_path, bt_strerror(rc));
}

static uint64_t
rescan_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	(void)loop;
	(void)id;
	(void)ud;
	rescan_lists();
	return (uint64_t)G.v[O_PARSE_DIR_INTERVAL].i * 1000;
}

static void
infopage(struct conn *c, const struct bt_http_req *h)
{
	if (!G.v[O_SHOW_INFOPAGE].i) {
		not_found(c, h);
		return;
	}
	const char *to = G.v[O_INFOPAGE_REDIRECT].s;
	if (*to) {
		struct bt_http_hdr loc = { "Location", 8, to, strlen(to) };
		G.body.len = 0;
		bt_buf_printf(&G.body, "<A HREF=\"%s\">Click Here</A>", to);
		reply(c, h, 302, NULL, "text/html", 0, &loc, 1, G.body.p, G.body.len, 0);
		return;
	}
	struct bt_infopage_opts o = {
		.version = "bt " BT_VERSION, .now = bt_loop_wall(G.loop), .start = G.started,
		.allow_get = G.v[O_ALLOW_GET].i != 0, .favicon = G.favicon ? "/favicon.ico" : NULL,
	};
	G.body.len = 0;
	G.body.err = 0;
	if (bt_infopage_html(G.t, &o, &G.body) < 0) {
		bad_request(c, 500);
		return;
	}
	reply(c, h, 200, NULL, BT_INFOPAGE_HTML_CTYPE, 1, NULL, 0, G.body.p, G.body.len, 0);
}

static void
statspage(struct conn *c, const struct bt_http_req *h)
{
	struct bt_infopage_opts o = {
		.version = "bt " BT_VERSION, .now = bt_loop_wall(G.loop), .start = G.started,
	};
	G.body.len = 0;
	G.body.err = 0;
	if (bt_infopage_stats(G.t, &o, &G.body) < 0) {
		bad_request(c, 500);
		return;
	}
	reply(c, h, 200, NULL, BT_INFOPAGE_STATS_CTYPE, 1, NULL, 0, G.body.p, G.body.len, 0);
}

/* Write the state file atomically: a crash leaves the previous one. */
static int
save_state(void)
{
	struct bt_buf b;
	int rc = 0;
	bt_buf_init(&b, 0);
	if (bt_dfile_encode(bt_tracker_store(G.t), &b) < 0 || b.err) {
		bt_warn("cannot encode the state: out of memory");
		rc = -1;
	} else if (bt_file_write_atomic(G.v[O_DFILE].s, b.p, b.len) < 0) {
		bt_pwarn("cannot write state file %s", G.v[O_DFILE].s);
		rc = -1;
	}
	bt_buf_free(&b);
	return rc;
}

static int
keep_addr(void *ud, const struct sockaddr_storage *a)
{
	(void)ud;
	return !ip_refused(a);
}

/* Restore the saved state; a corrupt file is moved aside and we start
 * clean rather than die. */
static void
load_state(void)
{
	const char *path = G.v[O_DFILE].s;
	uint8_t *buf;
	size_t len;
	struct bt_dfile_err e;
	int rc = bt_file_read(path, BT_DFILE_MAX_BYTES, &buf, &len);

	if (rc == BT_E_IO && errno == ENOENT)
		return;
	if (rc == 0)
		rc = bt_dfile_load_filtered(bt_tracker_store(G.t), buf, len, keep_addr, NULL, &e);
	else
		snprintf(e.what, sizeof(e.what), "%s", rc == BT_E_IO ? strerror(errno) : bt_strerror(rc));
	free(buf);
	if (rc < 0) {
		char aside[4096];
		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		bt_warn("**warning** statefile %s corrupt; resetting (%s at byte %zu; kept as %s)",
			path, e.what, rc == BT_E_IO ? 0 : e.off, aside);
		if (rename(path, aside) < 0)
			bt_pwarn("cannot move %s aside", path);
		return;	/* the whole file is checked before anything is loaded */
	}
	bt_tracker_prune(G.t);
}

/* ---- timers and signals ---- */

static uint64_t
save_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	(void)loop;
	(void)id;
	(void)ud;
	save_state();
	return (uint64_t)G.v[O_SAVE_DFILE_INTERVAL].i * 1000;
}

static uint64_t
sweep_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	(void)loop;
	(void)id;
	(void)ud;
	bt_tracker_sweep(G.t);
	return (uint64_t)G.v[O_TIMEOUT_DOWNLOADERS_INTERVAL].i * 1000;
}

static uint64_t
flush_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	(void)loop;
	(void)id;
	(void)ud;
	fflush(G.log);
	double s = G.v[O_MIN_TIME_BETWEEN_LOG_FLUSHES].f;
	return s < 0.1 ? 100 : (uint64_t)(s * 1000);
}

static void
on_stop(struct bt_loop *loop, int signo, void *ud)
{
	(void)signo;
	(void)ud;
	G.stopping = 1;
	bt_loop_stop(loop);
}

static void
on_hup(struct bt_loop *loop, int signo, void *ud)
{
	(void)loop;
	(void)signo;
	(void)ud;
	if (G.v[O_HUPMONITOR].i && G.logpath)
		open_log("Log reopened");
}

/* ---- start-up ---- */

static int
listen_on(const struct sockaddr_storage *a, unsigned flags)
{
	char txt[BT_ADDR_STRLEN];
	bt_addr_format(a, txt, sizeof(txt), 0);
	if (G.nlfd == MAX_LISTEN) {
		bt_warn("too many addresses to listen on");
		return -1;
	}
	int fd = bt_net_listen_tcp(a, 1024, flags);
	if (fd < 0) {
		bt_pwarn("cannot listen on %s", txt);
		return -1;
	}
	G.lfd[G.nlfd++] = fd;
	if (bt_io_add(G.loop, fd, BT_EV_READ, on_accept, NULL) < 0)
		return -1;
	if (G.v[O_UDP].i) {
		int ufd = bt_net_udp_bind(a, flags);
		if (ufd < 0) {
			bt_pwarn("cannot bind UDP %s", txt);
			return -1;
		}
		G.ufd[G.nufd++] = ufd;
		if (bt_io_add(G.loop, ufd, BT_EV_READ, on_udp, NULL) < 0)
			return -1;
	}
	return 0;
}

static int
setup_listeners(void)
{
	uint16_t port = (uint16_t)G.v[O_PORT].i;
	struct sockaddr_storage a;
	const char *bind_list = G.v[O_BIND].s;

	if (!*bind_list) {
		if (bt_addr_any(&a, AF_INET, port) < 0 || listen_on(&a, 0) < 0)
			return -1;
		if (G.v[O_IPV6_ENABLED].i &&
		    (bt_addr_any(&a, AF_INET6, port) < 0 || listen_on(&a, BT_NET_V6ONLY) < 0))
			return -1;
		return 0;
	}
	struct bt_strv list;
	if (bt_strv_split(&list, bind_list, ',') < 0)
		return -1;
	int rc = 0;
	for (size_t k = 0; k < list.n && rc == 0; k++) {
		const char *name = list.v[k];
		if (bt_addr_parse(&a, name, strlen(name), port) == 0) {
			if (a.ss_family == AF_INET6 && !G.v[O_IPV6_ENABLED].i) {
				bt_warn("--bind %s: an IPv6 address needs --ipv6_enabled 1", name);
				rc = -1;
				break;
			}
			rc = listen_on(&a, a.ss_family == AF_INET6 ?
				(list.n == 1 && G.v[O_IPV6_BINDS_V4].i ? BT_NET_DUALSTACK : BT_NET_V6ONLY) : 0);
			continue;
		}
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
			.ai_family = G.v[O_IPV6_ENABLED].i ? AF_UNSPEC : AF_INET }, *res, *ai;
		if (getaddrinfo(name, NULL, &hints, &res) != 0) {
			bt_warn("--bind %s: cannot resolve", name);
			rc = -1;
			break;
		}
		for (ai = res; ai && rc == 0; ai = ai->ai_next) {
			memset(&a, 0, sizeof(a));
			memcpy(&a, ai->ai_addr, ai->ai_addrlen);
			bt_addr_set_port(&a, port);
			rc = listen_on(&a, a.ss_family == AF_INET6 ? BT_NET_V6ONLY : 0);
		}
		freeaddrinfo(res);
	}
	bt_strv_free(&list);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "Usage: %s --port <port> --dfile <file> [--option value...]\n\n", bt_prog);
	bt_cli_opt_help(f, opts, NOPT);
}

static void
warn_inconsistent(void)
{
	if (G.v[O_MULTITRACKER_ENABLED].i && !*G.v[O_ALLOWED_DIR].s)
		bt_warn("--multitracker_enabled needs --allowed_dir (the torrents' announce-lists); ignored");
}

int
track_main(int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	char err[256];
	struct bt_tracker_cfg cfg;

	memset(&G, 0, sizeof(G));
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		free(pos);
		return BT_EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		free(pos);
		return BT_EXIT_USAGE;
	}
	int npos = bt_opt_parse(opts, NOPT, G.v, argc, argv, pos, err, sizeof(err));
	if (npos > 0)
		snprintf(err, sizeof(err), "Too many args - 0 max.");
	free(pos);
	if (npos != 0) {
		fprintf(stderr, "error:  %s\nrun with no arguments for parameter explanations\n", err);
		return BT_EXIT_USAGE;
	}
	bt_tracker_cfg_default(&cfg);
	if (G.v[O_PORT].i < 0 || G.v[O_PORT].i > 65535) {
		bt_warn("--port %lld: not a port", G.v[O_PORT].i);
		return BT_EXIT_USAGE;
	}
	const char *sa = G.v[O_SCRAPE_ALLOWED].s;
	if (!strcmp(sa, "none"))
		cfg.scrape_allowed = BT_SCRAPE_NONE;
	else if (!strcmp(sa, "specific"))
		cfg.scrape_allowed = BT_SCRAPE_SPECIFIC;
	else if (!strcmp(sa, "full"))
		cfg.scrape_allowed = BT_SCRAPE_FULL;
	else {
		bt_warn("--scrape_allowed %s: must be none, specific or full", sa);
		return BT_EXIT_USAGE;
	}
	if (G.v[O_RESPONSE_SIZE].i < 0 || G.v[O_RESPONSE_SIZE].i > 1000 ||
	    G.v[O_REANNOUNCE_INTERVAL].i < 1 || G.v[O_SOCKET_TIMEOUT].i < 1 ||
	    G.v[O_SAVE_DFILE_INTERVAL].i < 1 || G.v[O_TIMEOUT_DOWNLOADERS_INTERVAL].i < 1 ||
	    G.v[O_TIMEOUT_CHECK_INTERVAL].i < 1 || G.v[O_PARSE_DIR_INTERVAL].i < 1 ||
	    G.v[O_MAX_CONNECTIONS].i < 1 || G.v[O_MIN_INTERVAL].i < 0) {
		bt_warn("an interval, size or limit is out of range (see --help)");
		return BT_EXIT_USAGE;
	}
	warn_inconsistent();
	cfg.interval = (unsigned)G.v[O_REANNOUNCE_INTERVAL].i;
	cfg.min_interval = G.v[O_MIN_INTERVAL].i ? (unsigned)G.v[O_MIN_INTERVAL].i : cfg.interval / 2;
	cfg.response_size = (unsigned)G.v[O_RESPONSE_SIZE].i;
	cfg.compact_reqd = G.v[O_COMPACT_REQD].i != 0;
	cfg.nat_check = (int)G.v[O_NAT_CHECK].i;
	cfg.only_local_override_ip = (int)G.v[O_ONLY_LOCAL_OVERRIDE_IP].i;
	cfg.keep_dead = G.v[O_KEEP_DEAD].i != 0;
	cfg.show_names = G.v[O_SHOW_NAMES].i != 0;
	cfg.restricted = *G.v[O_ALLOWED_DIR].s || *G.v[O_ALLOWED_LIST].s;
	cfg.allowed_controls = G.v[O_ALLOWED_CONTROLS].i != 0;
	cfg.aggregator = G.v[O_AGGREGATOR].s;
	cfg.dedicated_seed_id = G.v[O_DEDICATED_SEED_ID].s;
	const char *ma = G.v[O_MULTITRACKER_ALLOWED].s;
	if (!strcmp(ma, "none"))
		cfg.multitracker_allowed = BT_T2T_NONE;
	else if (!strcmp(ma, "autodetect"))
		cfg.multitracker_allowed = BT_T2T_AUTODETECT;
	else if (!strcmp(ma, "all"))
		cfg.multitracker_allowed = BT_T2T_ALL;
	else {
		bt_warn("--multitracker_allowed %s: must be none, autodetect or all", ma);
		return BT_EXIT_USAGE;
	}
	/* Our peer id towards other trackers; an announce carrying it is our
	 * own coming back round a loop. */
	{
		struct bt_sipkey k;
		bt_sipkey_random(&k);
		static const char az[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
		memcpy(cfg.tracker_id, "-BT" "T2T-", 8);
		for (int i = 8; i < 20; i++) {
			cfg.tracker_id[i] = (uint8_t)az[(k.k0 ^ (k.k1 >> (i * 3))) % 62];
			k.k0 = k.k0 * 6364136223846793005ULL + 1442695040888963407ULL;
		}
	}

	G.logpath = *G.v[O_LOGFILE].s && strcmp(G.v[O_LOGFILE].s, "-") ? G.v[O_LOGFILE].s : NULL;
	if (open_log("Log Started") < 0)
		return BT_EXIT_FAIL;
	if (*G.v[O_FAVICON].s) {
		if (bt_file_read(G.v[O_FAVICON].s, 1u << 20, &G.favicon, &G.favicon_len) < 0) {
			bt_pwarn("--favicon %s", G.v[O_FAVICON].s);
			return BT_EXIT_FAIL;
		}
	}
	G.t = bt_tracker_new(&cfg);
	G.loop = bt_loop_new_ex((unsigned)G.v[O_MAX_CONNECTIONS].i + NAT_MAX + 2 * MAX_LISTEN + 16,
		BT_LOOP_EPOLL);
	if (!G.loop)
		G.loop = bt_loop_new((unsigned)G.v[O_MAX_CONNECTIONS].i + NAT_MAX + 2 * MAX_LISTEN + 16);
	if (!G.t || !G.loop)
		bt_die("out of memory");
	bt_buf_init(&G.body, 0);
	bt_buf_init(&G.gz, 0);
	bt_allowlist_init(&G.alist);
	bt_iplist_init(&G.allowed_ips);
	bt_iplist_init(&G.banned_ips);
	if (*G.v[O_ALLOWED_DIR].s && *G.v[O_ALLOWED_LIST].s) {
		bt_warn("**warning** allowed_dir and allowed_list options cannot be used together");
		bt_warn("**warning** disregarding allowed_dir");
	} else if (*G.v[O_ALLOWED_DIR].s) {
		struct bt_allowdir_opts ao = { .warn = warn_allowdir };
		if (!(G.adir = bt_allowdir_new(G.v[O_ALLOWED_DIR].s, &ao)))
			bt_die("out of memory");
	}
	if (*G.v[O_ALLOWED_LIST].s)
		G.alist_path = G.v[O_ALLOWED_LIST].s;
	if (*G.v[O_ALLOWED_IPS].s)
		G.aips_path = G.v[O_ALLOWED_IPS].s;
	if (*G.v[O_BANNED_IPS].s)
		G.bips_path = G.v[O_BANNED_IPS].s;
	rescan_lists();
	load_state();
	if (setup_listeners() < 0)
		return BT_EXIT_FAIL;
	signal(SIGPIPE, SIG_IGN);
	bt_loop_signal(G.loop, SIGINT, on_stop, NULL);
	bt_loop_signal(G.loop, SIGTERM, on_stop, NULL);
	bt_loop_signal(G.loop, SIGHUP, on_hup, NULL);
	bt_timer_add(G.loop, (uint64_t)G.v[O_TIMEOUT_CHECK_INTERVAL].i * 1000, idle_sweep, NULL);
	bt_timer_add(G.loop, (uint64_t)G.v[O_SAVE_DFILE_INTERVAL].i * 1000, save_timer, NULL);
	bt_timer_add(G.loop, (uint64_t)G.v[O_TIMEOUT_DOWNLOADERS_INTERVAL].i * 1000, sweep_timer, NULL);
	bt_timer_add(G.loop, 100, flush_timer, NULL);
	bt_timer_add(G.loop, (uint64_t)G.v[O_PARSE_DIR_INTERVAL].i * 1000, rescan_timer, NULL);
	if (G.v[O_MULTITRACKER_ENABLED].i && G.adir)
		bt_timer_add(G.loop, 1000, t2t_timer, NULL);
	if (*G.v[O_AGGREGATE_FORWARD].s) {
		G.fwd_url = xstrdup(G.v[O_AGGREGATE_FORWARD].s);
		char *comma = strchr(G.fwd_url, ',');
		if (comma) {
			*comma = 0;
			G.fwd_pw = comma + 1;
		}
		if (strncmp(G.fwd_url, "http://", 7) != 0) {
			bt_warn("--aggregate_forward %s: only http:// URLs are supported", G.fwd_url);
			return BT_EXIT_USAGE;
		}
	}
	G.started = time(NULL);

	int rc = bt_loop_run(G.loop);
	if (rc < 0)
		bt_warn("event loop failed: %s", bt_strerror(rc));
	int saved = save_state();
	char ts[64];
	utc_stamp(ts, sizeof(ts), time(NULL));
	fprintf(G.log, "# Shutting down: %s\n", ts);
	fflush(G.log);
	while (G.nconns)
		conn_close(G.conns[0]);
	while (G.nnat)
		nat_done(G.nat[0], 0);
	while (G.nout) {
		bt_httpc_cancel(G.out[0]->h);
		out_done(G.out[0]);
	}
	free(G.fwd_url);
	free(G.refused);
	for (size_t k = 0; k < G.nlfd; k++)
		close(G.lfd[k]);
	for (size_t k = 0; k < G.nufd; k++)
		close(G.ufd[k]);
	bt_loop_free(G.loop);
	bt_tracker_free(G.t);
	bt_buf_free(&G.body);
	bt_buf_free(&G.gz);
	bt_allowdir_free(G.adir);
	bt_allowlist_free(&G.alist);
	bt_iplist_free(&G.allowed_ips);
	bt_iplist_free(&G.banned_ips);
	free(G.conns);
	free(G.favicon);
	if (G.log && G.log != stdout)
		fclose(G.log);
	return rc < 0 || saved < 0 ? BT_EXIT_FAIL : BT_EXIT_OK;
}
