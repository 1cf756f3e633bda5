//applet: track - a BitTorrent tracker over HTTP and UDP (bttrack)
//usage: track --port 6969 --dfile dstate [--option value...]
/* The tracker itself is src/tracker/trackd.c; this file reads the options,
 * writes the access log and the messages, and handles the signals. */
#include "applets.h"
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "msg.h"
#include "net.h"
#include "reactor.h"
#include "str.h"
#include "trackd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	[O_PORT] = { "port", BT_OPT_INT | BT_OPT_COMMON, "80", TX("port to listen on (TCP for HTTP, UDP for BEP 15)") },
	[O_DFILE] = { "dfile", BT_OPT_REQ | BT_OPT_COMMON, NULL, TX("file to keep the tracker's state in across restarts") },
	[O_BIND] = { "bind", BT_OPT_STR | BT_OPT_COMMON, "", TX("comma-separated addresses to listen on (default: all)") },
	[O_IPV6_ENABLED] = { "ipv6_enabled", BT_OPT_BOOL, "0", TX("1 also listens on IPv6 and serves peers6") },
	[O_IPV6_BINDS_V4] = { "ipv6_binds_v4", BT_OPT_BOOL, "1", TX("with a single IPv6 bind address, 1 lets it take IPv4 too") },
	[O_SOCKET_TIMEOUT] = { "socket_timeout", BT_OPT_INT, "15", TX("seconds before an idle HTTP connection is closed") },
	[O_SAVE_DFILE_INTERVAL] = { "save_dfile_interval", BT_OPT_INT, "300", TX("seconds between saves of the state file") },
	[O_TIMEOUT_DOWNLOADERS_INTERVAL] = { "timeout_downloaders_interval", BT_OPT_INT, "2700", TX("seconds between expiry sweeps; a peer silent for a whole period is dropped") },
	[O_REANNOUNCE_INTERVAL] = { "reannounce_interval", BT_OPT_INT | BT_OPT_COMMON, "1800", TX("seconds clients are told to wait between announces") },
	[O_RESPONSE_SIZE] = { "response_size", BT_OPT_INT, "50", TX("most peers given in one reply") },
	[O_TIMEOUT_CHECK_INTERVAL] = { "timeout_check_interval", BT_OPT_INT, "5", TX("seconds between checks for idle connections") },
	[O_NAT_CHECK] = { "nat_check", BT_OPT_INT, "3", TX("how many times to try connecting back to a peer before taking it as unreachable (0 = do not check)") },
	[O_LOG_NAT_CHECKS] = { "log_nat_checks", BT_OPT_BOOL, "0", TX("1 logs the result of every NAT check") },
	[O_MIN_TIME_BETWEEN_LOG_FLUSHES] = { "min_time_between_log_flushes", BT_OPT_FLOAT, "3.0", TX("least seconds between flushes of the log") },
	[O_MIN_TIME_BETWEEN_CACHE_REFRESHES] = { "min_time_between_cache_refreshes", BT_OPT_FLOAT | BT_OPT_COMPAT, "600.0", TX("accepted for compatibility; peers are picked fresh from the store every time") },
	[O_ALLOWED_DIR] = { "allowed_dir", BT_OPT_STR | BT_OPT_COMMON, "", TX("serve only the torrents whose .torrent files are in this directory") },
	[O_ALLOWED_LIST] = { "allowed_list", BT_OPT_STR, "", TX("serve only the info hashes (40 hex digits a line) in this file") },
	[O_ALLOWED_CONTROLS] = { "allowed_controls", BT_OPT_BOOL, "0", TX("1 honours 'failure reason' and 'warning message' keys in allowed torrents") },
	[O_MULTITRACKER_ENABLED] = { "multitracker_enabled", BT_OPT_BOOL, "0", TX("1 asks the other trackers in allowed torrents' announce-lists for peers (needs allowed_dir)") },
	[O_MULTITRACKER_ALLOWED] = { "multitracker_allowed", BT_OPT_STR, "autodetect", TX("whether other trackers may announce here: none, autodetect (only for allowed torrents with an announce-list) or all") },
	[O_MULTITRACKER_REANNOUNCE_INTERVAL] = { "multitracker_reannounce_interval", BT_OPT_INT, "120", TX("seconds between rounds of asking other trackers") },
	[O_MULTITRACKER_MAXPEERS] = { "multitracker_maxpeers", BT_OPT_INT, "20", TX("peers asked of another tracker at a time") },
	[O_AGGREGATE_FORWARD] = { "aggregate_forward", BT_OPT_STR, "", TX("URL[,password]: pass every announce on to this tracker (an aggregator)") },
	[O_AGGREGATOR] = { "aggregator", BT_OPT_STR, "0", TX("1 or a password: act as an aggregator (announces are recorded and answered with response: OK; a password must come as password=)") },
	[O_HUPMONITOR] = { "hupmonitor", BT_OPT_BOOL, "0", TX("1 reopens the log file on SIGHUP") },
	[O_HTTP_TIMEOUT] = { "http_timeout", BT_OPT_INT, "60", TX("seconds to wait for another tracker's answer") },
	[O_PARSE_DIR_INTERVAL] = { "parse_dir_interval", BT_OPT_INT, "60", TX("seconds between rescans of allowed_dir, allowed_list and the IP lists") },
	[O_SHOW_INFOPAGE] = { "show_infopage", BT_OPT_BOOL, "1", TX("1 serves a page of statistics at /") },
	[O_INFOPAGE_REDIRECT] = { "infopage_redirect", BT_OPT_STR, "", TX("send requests for / to this URL instead") },
	[O_SHOW_NAMES] = { "show_names", BT_OPT_BOOL, "1", TX("1 shows torrent names (from allowed_dir) on the info page and in scrapes") },
	[O_FAVICON] = { "favicon", BT_OPT_STR, "", TX("file to serve as /favicon.ico") },
	[O_ALLOWED_IPS] = { "allowed_ips", BT_OPT_STR, "", TX("only serve clients from the networks in this file (a.b.c.d/len a line)") },
	[O_BANNED_IPS] = { "banned_ips", BT_OPT_STR, "", TX("refuse clients from the address ranges in this file (x:y:first-last a line)") },
	[O_ONLY_LOCAL_OVERRIDE_IP] = { "only_local_override_ip", BT_OPT_INT, "2", TX("who may give another address with ip= or proxy headers: 0 anyone, 1 only clients on local networks, 2 the same as 1 when NAT checks are off, else 0") },
	[O_LOGFILE] = { "logfile", BT_OPT_STR | BT_OPT_COMMON, "", TX("file to append the access log to (default: standard output)") },
	[O_ALLOW_GET] = { "allow_get", BT_OPT_BOOL, "0", TX("1 lets clients download the .torrent files of allowed_dir from /file") },
	[O_KEEP_DEAD] = { "keep_dead", BT_OPT_BOOL, "0", TX("1 keeps torrents that have no peers left") },
	[O_SCRAPE_ALLOWED] = { "scrape_allowed", BT_OPT_STR, "full", TX("scrape access: none, specific or full") },
	[O_DEDICATED_SEED_ID] = { "dedicated_seed_id", BT_OPT_STR, "", TX("code that marks announces from a dedicated seed (seed_id=); check_seeded=1 then asks whether one serves the torrent") },
	[O_COMPACT_REQD] = { "compact_reqd", BT_OPT_BOOL, "1", TX("1 refuses clients that do not ask for compact replies") },
	[O_MIN_INTERVAL] = { "min_interval", BT_OPT_INT, "0", TX("seconds sent as 'min interval' (0 = half of reannounce_interval)") },
	[O_UDP] = { "udp", BT_OPT_BOOL, "1", TX("1 also answers the UDP tracker protocol (BEP 15) on the same port") },
	[O_MAX_CONNECTIONS] = { "max_connections", BT_OPT_INT, "0", TX("most HTTP connections served at once (0 = as many as the open-file limit allows); past it the longest-idle one is closed, or the new client gets 503") },
	[O_STATS] = { "stats", BT_OPT_BOOL, "1", TX("1 serves statistics for monitoring (Prometheus text) at /stats") },
};

static struct {
	union bt_optv v[NOPT];
	struct bt_loop *loop;
	struct bt_trackd *d;
	FILE *log;
	const char *logpath;
	uint8_t *favicon;
	size_t favicon_len;
	char *fwd_url, *fwd_pw;		/* aggregate_forward */
	char stamp[64];			/* log_stamp()'s, made once a second */
	time_t stamp_at;
} G;

/* ---- logging ---- */

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
	bt_str_utc(ts, sizeof(ts), time(NULL), 0);
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
	time_t now = bt_loop_wall(G.loop);
	struct tm tm;
	if (now != G.stamp_at || !G.stamp[0]) {
		localtime_r(&now, &tm);
		strftime(G.stamp, sizeof(G.stamp), "%d/%b/%Y:%H:%M:%S", &tm);
		G.stamp_at = now;
	}
	return G.stamp;
}

static void
access_log(void *ud, const struct bt_httpd_log *l)
{
	const struct bt_http_req *h = l->req;
	char ip[BT_ADDR_STRLEN];
	const char *ref, *ua, *when = log_stamp();
	int rl, ul;
	(void)ud;

	if (bt_addr_format(l->peer, ip, sizeof(ip), BT_ADDR_NOPORT) < 0)
		strcpy(ip, "?");
	header_or_dash(h, "Referer", &ref, &rl);
	header_or_dash(h, "User-Agent", &ua, &ul);
	if (h)
		fprintf(G.log, "%s %s - [%s] \"%.*s %.*s HTTP/1.%d\" %d %zu \"%.*s\" \"%.*s\"\n",
			ip, l->gzip ? "gzip" : "-", when, (int)h->method_len, h->method,
			(int)h->path_len, h->path, h->minor, l->status, l->len, rl, ref, ul, ua);
	else
		fprintf(G.log, "%s - - [%s] \"-\" %d %zu \"-\" \"-\"\n", ip, when, l->status, l->len);
}

static void
nat_log(void *ud, const struct sockaddr_storage *addr, const uint8_t peer_id[20], int ok)
{
	char ip[BT_ADDR_STRLEN];
	struct bt_buf id;
	(void)ud;

	bt_addr_format(addr, ip, sizeof(ip), BT_ADDR_NOPORT);
	bt_buf_init(&id, 0);
	bt_http_encode(&id, peer_id, 20);
	if (bt_buf_cstr(&id))
		fprintf(G.log, "%s - %s [%s] \"!natcheck-%s:%u\" %d 0 - -\n", ip, (char *)id.p,
			log_stamp(), ip, bt_addr_port(addr), ok ? 200 : 503);
	bt_buf_free(&id);
}

static void
warn_text(void *ud, const char *text)
{
	(void)ud;
	bt_warn("%s", text);
}

/* The start-up lines on standard output, one a socket, so that whoever
 * started the tracker sees where to reach it. */
static void
listening(void *ud, const struct sockaddr_storage *addr, int udp, int v4too)
{
	char txt[BT_ADDR_STRLEN];
	(void)ud;
	if (bt_addr_format(addr, txt, sizeof(txt), 0) < 0)
		strcpy(txt, "?");
	printf("# Listening for %s on %s%s\n", udp ? "UDP" : "HTTP", txt,
		v4too ? " (IPv6 and IPv4)" : "");
	fflush(stdout);
}

/* ---- timers and signals ---- */

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
	bt_trackd_stop(G.d);
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

/* ---- options ---- */

static void
usage(FILE *f)
{
	static const struct bt_help h = {
		.args = "--port <port> --dfile <file> [--option value...]",
		.about = TX("Run a BitTorrent tracker (HTTP, and UDP on the same port) until interrupted."),
		.opts = opts, .nopts = NOPT,
	};
	bt_cli_help(f, &h);
}

/* The values of --scrape_allowed and --multitracker_allowed, in the order
 * of enum bt_scrape_allowed and enum bt_t2t_allowed. */
static const char *const scrape_names[3] = { "none", "specific", "full" };
static const char *const t2t_names[3] = { "none", "autodetect", "all" };

/* The index of option o's value in names (three of them), or -1 after a
 * warning. */
static int
choice(int o, const char *const names[3])
{
	const char *s = G.v[o].s;
	for (int k = 0; k < 3; k++)
		if (!strcmp(s, names[k]))
			return k;
	bt_usage_error("--%s %s: must be %s, %s or %s", opts[o].name, s, names[0], names[1], names[2]);
	return -1;
}

/* Split --aggregate_forward's "URL[,password]"; 0, or -1 after a warning. */
static int
forward_opt(void)
{
	if (!*G.v[O_AGGREGATE_FORWARD].s)
		return 0;
	G.fwd_url = xstrdup(G.v[O_AGGREGATE_FORWARD].s);
	char *comma = strchr(G.fwd_url, ',');
	if (comma) {
		*comma = 0;
		G.fwd_pw = comma + 1;
	}
	if (strncmp(G.fwd_url, "http://", 7) != 0) {
		bt_usage_error("--aggregate_forward %s: only http:// URLs are supported", G.fwd_url);
		return -1;
	}
	return 0;
}

/* Check the values; 0, or -1 after a warning. */
static int
check_opts(void)
{
	if (G.v[O_PORT].i < 0 || G.v[O_PORT].i > 65535) {
		bt_usage_error("--port %lld: not a port", G.v[O_PORT].i);
		return -1;
	}
	if (choice(O_SCRAPE_ALLOWED, scrape_names) < 0)
		return -1;
	if (G.v[O_RESPONSE_SIZE].i < 0 || G.v[O_RESPONSE_SIZE].i > 1000 ||
	    G.v[O_REANNOUNCE_INTERVAL].i < 1 || G.v[O_SOCKET_TIMEOUT].i < 1 ||
	    G.v[O_SAVE_DFILE_INTERVAL].i < 1 || G.v[O_TIMEOUT_DOWNLOADERS_INTERVAL].i < 1 ||
	    G.v[O_TIMEOUT_CHECK_INTERVAL].i < 1 || G.v[O_PARSE_DIR_INTERVAL].i < 1 ||
	    G.v[O_MAX_CONNECTIONS].i < 0 || G.v[O_MIN_INTERVAL].i < 0) {
		bt_usage_error("an interval, size or limit is out of range");
		return -1;
	}
	if (G.v[O_MULTITRACKER_ENABLED].i && !*G.v[O_ALLOWED_DIR].s)
		bt_warn("--multitracker_enabled needs --allowed_dir (the torrents' announce-lists); ignored");
	if (choice(O_MULTITRACKER_ALLOWED, t2t_names) < 0)
		return -1;
	return forward_opt();
}

/* The tracker's logic, from the checked options. */
static void
tracker_cfg(struct bt_tracker_cfg *c)
{
	bt_tracker_cfg_default(c);
	c->scrape_allowed = choice(O_SCRAPE_ALLOWED, scrape_names);
	c->interval = (unsigned)G.v[O_REANNOUNCE_INTERVAL].i;
	c->min_interval = G.v[O_MIN_INTERVAL].i ? (unsigned)G.v[O_MIN_INTERVAL].i : c->interval / 2;
	c->response_size = (unsigned)G.v[O_RESPONSE_SIZE].i;
	c->compact_reqd = G.v[O_COMPACT_REQD].i != 0;
	c->nat_check = (int)G.v[O_NAT_CHECK].i;
	c->only_local_override_ip = (int)G.v[O_ONLY_LOCAL_OVERRIDE_IP].i;
	c->keep_dead = G.v[O_KEEP_DEAD].i != 0;
	c->show_names = G.v[O_SHOW_NAMES].i != 0;
	c->restricted = *G.v[O_ALLOWED_DIR].s || *G.v[O_ALLOWED_LIST].s;
	c->allowed_controls = G.v[O_ALLOWED_CONTROLS].i != 0;
	c->aggregator = G.v[O_AGGREGATOR].s;
	c->dedicated_seed_id = G.v[O_DEDICATED_SEED_ID].s;
	c->multitracker_allowed = choice(O_MULTITRACKER_ALLOWED, t2t_names);
	bt_t2t_random_id(c->tracker_id);
}

/* Descriptors the tracker needs besides its HTTP connections: stdio, the
 * log, the loop's own, the state file and allowed_dir being read, name
 * lookups; the UDP sockets, NAT checks and requests to other trackers;
 * and what the HTTP server holds beyond max_connections (BT_HTTPD_FDS). */
#define FD_RESERVE (32 + BT_HTTPD_LISTEN_MAX + BT_NATCHECK_RUNNING + BT_T2T_OUT_MAX + \
	BT_HTTPD_FDS(0, BT_HTTPD_FILES))

/* Raise the open-file limit to its hard limit and return the HTTP
 * connections it leaves room for: --max_connections, or fewer (with a
 * warning) when the limit is too low for it. */
static size_t
max_connections(void)
{
	size_t want = (size_t)G.v[O_MAX_CONNECTIONS].i, room;
	uint64_t fds = bt_cli_raise_nofile();

	room = fds > FD_RESERVE + 16 ? (size_t)(fds - FD_RESERVE) : 16;
	if (want > room)
		bt_warn("--max_connections %zu: the open-file limit leaves room for %zu; using that",
			want, room);
	return want && want < room ? want : room;
}

/* The server, from the checked options. */
static void
trackd_cfg(struct bt_trackd_cfg *c)
{
	uint64_t socket_ms = (uint64_t)G.v[O_SOCKET_TIMEOUT].i * 1000;

	memset(c, 0, sizeof(*c));
	tracker_cfg(&c->tracker);
	c->dfile = G.v[O_DFILE].s;
	c->save_ms = (uint64_t)G.v[O_SAVE_DFILE_INTERVAL].i * 1000;
	c->expire_ms = (uint64_t)G.v[O_TIMEOUT_DOWNLOADERS_INTERVAL].i * 1000;
	c->rescan_ms = (uint64_t)G.v[O_PARSE_DIR_INTERVAL].i * 1000;
	c->bind = G.v[O_BIND].s;
	c->port = (uint16_t)G.v[O_PORT].i;
	c->ipv6_enabled = G.v[O_IPV6_ENABLED].i != 0;
	c->ipv6_binds_v4 = G.v[O_IPV6_BINDS_V4].i != 0;
	c->udp = G.v[O_UDP].i != 0;
	c->http.max_conns = max_connections();
	c->http.idle_ms = socket_ms;
	c->http.sweep_ms = (uint64_t)G.v[O_TIMEOUT_CHECK_INTERVAL].i * 1000;
	c->show_infopage = G.v[O_SHOW_INFOPAGE].i != 0;
	c->infopage_redirect = G.v[O_INFOPAGE_REDIRECT].s;
	c->allow_get = G.v[O_ALLOW_GET].i != 0;
	c->stats = G.v[O_STATS].i != 0;
	c->favicon = G.favicon;
	c->favicon_len = G.favicon_len;
	c->allowed_dir = G.v[O_ALLOWED_DIR].s;
	c->allowed_list = G.v[O_ALLOWED_LIST].s;
	c->allowed_ips = G.v[O_ALLOWED_IPS].s;
	c->banned_ips = G.v[O_BANNED_IPS].s;
	c->nat.timeout_ms = socket_ms;
	c->t2t.poll = G.v[O_MULTITRACKER_ENABLED].i != 0;
	c->t2t.poll_ms = (uint64_t)G.v[O_MULTITRACKER_REANNOUNCE_INTERVAL].i * 1000;
	c->t2t.port = (uint16_t)G.v[O_PORT].i;
	c->t2t.maxpeers = (unsigned)G.v[O_MULTITRACKER_MAXPEERS].i;
	c->t2t.timeout_ms = (uint32_t)G.v[O_HTTP_TIMEOUT].i * 1000;
	c->t2t.forward_url = G.fwd_url;
	c->t2t.forward_password = G.fwd_pw;
}

/* Parse and check the command line; BT_EXIT_OK to go on, -1 after the
 * help, else the exit code. */
static int
read_args(int argc, char **argv)
{
	char err[256];
	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	int npos = bt_opt_parse(opts, NOPT, G.v, argc, argv, pos, err, sizeof(err));
	if (npos > 0)
		snprintf(err, sizeof(err), "%s: unexpected argument (the tracker takes only options)",
			pos[0]);
	free(pos);
	if (npos == BT_OPT_HELP) {
		usage(stdout);
		return -1;
	}
	if (npos != 0)
		return bt_usage_error("%s", err);
	return check_opts() < 0 ? BT_EXIT_USAGE : BT_EXIT_OK;
}

/* ---- start-up and shut-down ---- */

/* Log, favicon, loop and server; BT_EXIT_OK or the exit code. */
static int
start(void)
{
	struct bt_trackd_cfg cfg;
	struct bt_trackd_hooks hooks = { .access = access_log, .warn = warn_text,
		.natcheck = G.v[O_LOG_NAT_CHECKS].i ? nat_log : NULL, .listening = listening };

	G.logpath = *G.v[O_LOGFILE].s && strcmp(G.v[O_LOGFILE].s, "-") ? G.v[O_LOGFILE].s : NULL;
	if (open_log("Log Started") < 0)
		return BT_EXIT_FAIL;
	if (*G.v[O_FAVICON].s &&
	    bt_file_read(G.v[O_FAVICON].s, 1u << 20, &G.favicon, &G.favicon_len) < 0) {
		bt_pwarn("--favicon %s", G.v[O_FAVICON].s);
		return BT_EXIT_FAIL;
	}
	trackd_cfg(&cfg);
	unsigned max_fds = (unsigned)(cfg.http.max_conns + FD_RESERVE);
	if (!(G.loop = bt_loop_new_ex(max_fds, BT_LOOP_EPOLL)) && !(G.loop = bt_loop_new(max_fds)))
		bt_die("out of memory");
	int rc = bt_trackd_new(&G.d, G.loop, &cfg, &hooks);
	if (rc == BT_E_NOMEM)
		bt_die("out of memory");
	if (rc < 0)
		return BT_EXIT_FAIL;
	signal(SIGPIPE, SIG_IGN);
	bt_loop_signal(G.loop, SIGINT, on_stop, NULL);
	bt_loop_signal(G.loop, SIGTERM, on_stop, NULL);
	bt_loop_signal(G.loop, SIGHUP, on_hup, NULL);
	bt_timer_add(G.loop, 100, flush_timer, NULL);
	return BT_EXIT_OK;
}

/* Save the state, log the end and free everything; 0 or -1 when the
 * state could not be saved. */
static int
finish(void)
{
	char ts[64];
	int saved = 0;
	if (G.d) {
		saved = bt_trackd_save(G.d);
		bt_str_utc(ts, sizeof(ts), time(NULL), 0);
		fprintf(G.log, "# Shutting down: %s\n", ts);
		fflush(G.log);
	}
	bt_trackd_free(G.d);
	bt_loop_free(G.loop);
	free(G.fwd_url);
	free(G.favicon);
	if (G.log && G.log != stdout)
		fclose(G.log);
	return saved;
}

int
track_main(int argc, char **argv)
{
	memset(&G, 0, sizeof(G));
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	int rc = read_args(argc, argv);
	if (rc < 0)
		return BT_EXIT_OK;	/* --help */
	if (rc == BT_EXIT_OK)
		rc = start();
	if (rc != BT_EXIT_OK) {
		finish();
		return rc;
	}
	rc = bt_loop_run(G.loop);
	if (rc < 0)
		bt_warn("event loop failed: %s", bt_strerror(rc));
	int saved = finish();
	return rc < 0 || saved < 0 ? BT_EXIT_FAIL : BT_EXIT_OK;
}
