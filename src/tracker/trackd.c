/* trackd.c - see trackd.h */
#include "trackd.h"
#include "allowdir.h"
#include "buf.h"
#include "dfile.h"
#include "err.h"
#include "fileio.h"
#include "infopage.h"
#include "iplist.h"
#include "net.h"
#include "reactor.h"
#include "str.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct bt_trackd {
	struct bt_loop *loop;
	struct bt_trackd_cfg c;
	struct bt_trackd_hooks h;
	struct bt_tracker *t;
	struct bt_httpd *http;
	struct bt_natcheck *nat;
	struct bt_t2t *t2t;
	size_t nlisten;				/* TCP listening sockets */
	int ufd[BT_HTTPD_LISTEN_MAX];		/* UDP sockets */
	size_t nufd;
	struct bt_allowdir *adir;
	struct bt_allowlist alist;
	struct bt_iplist allowed_ips, banned_ips;
	const char *alist_path, *aips_path, *bips_path;
	struct bt_buf body;			/* the reply being made */
	time_t started;
	uint64_t timer[3];			/* save, expire, rescan */
};

static const char alas[] = "your file may exist elsewhere in the universe\nbut alas, not here\n";

/* ---- warnings ---- */

/* Give the user a warning; err (an errno, or 0) adds ": <strerror>". */
static void __attribute__((format(printf, 3, 4)))
tell(struct bt_trackd *d, int err, const char *fmt, ...)
{
	char small[1024], *text = small;
	const char *es = err ? strerror(err) : NULL;
	va_list ap;
	if (!d->h.warn)
		return;
	va_start(ap, fmt);
	int n = bt_vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t cap = sizeof(small), need = (n > 0 ? (size_t)n : 0) + (es ? strlen(es) + 2 : 0) + 1;
	if (need > cap && (text = malloc(need)))
		cap = need;
	else
		text = small;
	va_start(ap, fmt);
	bt_vsnprintf(text, cap, fmt, ap);
	va_end(ap);
	if (es) {
		size_t l = strlen(text);
		snprintf(text + l, cap - l, ": %s", es);
	}
	d->h.warn(d->h.ud, text);
	if (text != small)
		free(text);
}

static void
warn_allowdir(void *ud, const struct bt_allowdir_warning *w)
{
	struct bt_trackd *d = ud;
	if (w->kind == BT_ALLOWDIR_DUPLICATE)
		tell(d, 0, "**warning** %s is a duplicate torrent for %s", w->path, w->other);
	else if (w->kind == BT_ALLOWDIR_ERRORS)
		tell(d, 0, "**warning** %s has errors (%s)", w->path, w->what ? w->what : "unreadable");
	else
		tell(d, 0, "**warning** %s: %s", w->path, w->what ? w->what : "skipped");
}

struct line_ctx {
	struct bt_trackd *d;
	const char *path;
};

static void
warn_line(void *ud, unsigned long line, const char *text, size_t len, const char *why)
{
	const struct line_ctx *x = ud;
	tell(x->d, 0, "*** WARNING *** %s line %lu: %s:  %.*s", x->path, line, why,
		(int)(len > 200 ? 200 : len), text);
}

/* ---- access lists ---- */

static int
ip_refused(const struct bt_trackd *d, const struct sockaddr_storage *a)
{
	return (d->aips_path && !bt_iplist_contains(&d->allowed_ips, a)) ||
		(d->bips_path && bt_iplist_contains(&d->banned_ips, a));
}

static void
rescan_allowdir(struct bt_trackd *d)
{
	int changed = 0;
	if (bt_allowdir_scan(d->adir, &changed) < 0)
		tell(d, errno, "**warning** cannot read --allowed_dir %s", d->c.allowed_dir);
	if (changed) {
		size_t n;
		const struct bt_allowed *a = bt_allowdir_list(d->adir, &n);
		if (bt_tracker_set_allowed(d->t, a, n) < 0)
			tell(d, 0, "**warning** out of memory updating allowed torrents");
	}
}

static void
rescan_allowlist(struct bt_trackd *d)
{
	struct line_ctx x = { d, d->alist_path };
	int rc = bt_allowlist_reload(&d->alist, d->alist_path, warn_line, &x);
	if (rc < 0)
		tell(d, 0, "**warning** cannot read --allowed_list %s: %s", d->alist_path,
			rc == BT_E_IO ? strerror(errno) : bt_strerror(rc));
	if (rc > 0) {
		struct bt_allowed *a = bt_allowlist_entries(&d->alist);
		if ((a || d->alist.n == 0) && bt_tracker_set_allowed(d->t, a, d->alist.n) < 0)
			tell(d, 0, "**warning** out of memory updating allowed torrents");
		free(a);
	}
}

static void
rescan_iplist(struct bt_trackd *d, struct bt_iplist *l, int format, const char *path,
	const char *option)
{
	struct line_ctx x = { d, path };
	int rc = bt_iplist_reload(l, format, path, warn_line, &x);
	if (rc < 0)
		tell(d, 0, "**warning** cannot read --%s %s: %s", option, path, bt_strerror(rc));
}

/* Re-read allowed_dir / allowed_list and the IP lists when they changed. */
static void
rescan_lists(struct bt_trackd *d)
{
	if (d->adir)
		rescan_allowdir(d);
	else if (d->alist_path)
		rescan_allowlist(d);
	if (d->aips_path)
		rescan_iplist(d, &d->allowed_ips, BT_IPLIST_ALLOWED, d->aips_path, "allowed_ips");
	if (d->bips_path)
		rescan_iplist(d, &d->banned_ips, BT_IPLIST_BANNED, d->bips_path, "banned_ips");
}

static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static int
lists_init(struct bt_trackd *d)
{
	bt_allowlist_init(&d->alist);
	bt_iplist_init(&d->allowed_ips);
	bt_iplist_init(&d->banned_ips);
	d->alist_path = nonempty(d->c.allowed_list);
	d->aips_path = nonempty(d->c.allowed_ips);
	d->bips_path = nonempty(d->c.banned_ips);
	if (nonempty(d->c.allowed_dir) && d->alist_path) {
		tell(d, 0, "**warning** allowed_dir and allowed_list options cannot be used together");
		tell(d, 0, "**warning** disregarding allowed_dir");
	} else if (nonempty(d->c.allowed_dir)) {
		struct bt_allowdir_opts ao = { .warn = warn_allowdir, .ud = d };
		if (!(d->adir = bt_allowdir_new(d->c.allowed_dir, &ao)))
			return BT_E_NOMEM;
	}
	return 0;
}

/* ---- the state file ---- */

int
bt_trackd_save(struct bt_trackd *d)
{
	struct bt_buf b;
	int rc = 0;
	bt_buf_init(&b, 0);
	if (bt_dfile_encode(bt_tracker_store(d->t), &b) < 0 || b.err) {
		tell(d, 0, "cannot encode the state: out of memory");
		rc = BT_E_NOMEM;
	} else if (bt_file_write_atomic(d->c.dfile, b.p, b.len) < 0) {
		tell(d, errno, "cannot write state file %s", d->c.dfile);
		rc = BT_E_IO;
	}
	bt_buf_free(&b);
	return rc;
}

static int
keep_addr(void *ud, const struct sockaddr_storage *a)
{
	return !ip_refused(ud, a);
}

/* Restore the saved state; a corrupt file is moved aside and we start
 * clean rather than die. */
static void
load_state(struct bt_trackd *d)
{
	const char *path = d->c.dfile;
	uint8_t *buf;
	size_t len;
	struct bt_dfile_err e = { 0 };
	int rc = bt_file_read(path, BT_DFILE_MAX_BYTES, &buf, &len);

	if (rc == BT_E_IO && errno == ENOENT)
		return;
	if (rc == 0)
		rc = bt_dfile_load_filtered(bt_tracker_store(d->t), buf, len, keep_addr, d, &e);
	else
		snprintf(e.what, sizeof(e.what), "%s", rc == BT_E_IO ? strerror(errno) : bt_strerror(rc));
	free(buf);
	if (rc < 0) {
		char aside[4096];
		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		tell(d, 0, "**warning** statefile %s corrupt; resetting (%s at byte %zu; kept as %s)",
			path, e.what, rc == BT_E_IO ? 0 : e.off, aside);
		if (rename(path, aside) < 0)
			tell(d, errno, "cannot move %s aside", path);
		return;	/* the whole file is checked before anything is loaded */
	}
	bt_tracker_prune(d->t);
}

/* ---- HTTP routes ---- */

static void
reply(struct bt_httpd_conn *c, const struct bt_http_req *h, int status, const char *reason,
	const char *ctype, int no_cache, const void *body, size_t len)
{
	struct bt_httpd_reply r = { .status = status, .reason = reason, .ctype = ctype,
		.no_cache = no_cache, .body = body, .len = len };
	bt_httpd_reply(c, h, &r);
}

static void
not_found(struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	reply(c, h, 404, NULL, "text/plain", 1, alas, sizeof(alas) - 1);
}

/* The info hash of a /file request's query; 0 or -1. */
static int
file_hash(const struct bt_http_req *h, uint8_t hash[21])
{
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl;
	int have = -1;

	bt_http_query_init(&it, h->query, h->query ? h->query_len : 0);
	while (bt_http_query_next(&it, &k, &kl, &v, &vl))
		if (kl == 9 && !memcmp(k, "info_hash", 9) && v &&
		    bt_http_decode(v, vl, hash, 21, BT_HTTP_PLUS) == 20)
			have = 0;
	return have;
}

/* Open a .torrent file to serve: a regular file of at most
 * BT_TRACKD_FILE_MAX bytes.  The fd and its size, or -1. */
static int
file_open(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > BT_TRACKD_FILE_MAX) {
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	return fd;
}

/* /file: the .torrent file, read from disk as the client takes it. */
static void
serve_file(struct bt_trackd *d, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	uint8_t hash[21];
	size_t len;
	if (!d->c.allow_get) {
		static const char msg[] = "get function is not available with this tracker.";
		reply(c, h, 400, "Not Authorized", "text/plain", 1, msg, sizeof(msg) - 1);
		return;
	}
	const struct bt_allowed *a = file_hash(h, hash) == 0 ? bt_tracker_allowed(d->t, hash) : NULL;
	int fd = a && a->path ? file_open(a->path, &len) : -1;
	if (fd < 0) {
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
	struct bt_httpd_reply r = { .status = 200, .ctype = "application/x-bittorrent",
		.hdr = &x, .nhdr = 1 };
	if (bt_httpd_reply_file(c, h, &r, fd, len) < 0) {
		static const char msg[] = "too many downloads at once; try again later\n";
		struct bt_http_hdr retry = BT_HTTP_HDR("Retry-After", "10");
		struct bt_httpd_reply busy = { .status = 503, .ctype = "text/plain", .no_cache = 1,
			.hdr = &retry, .nhdr = 1, .body = msg, .len = sizeof(msg) - 1 };
		bt_httpd_reply(c, h, &busy);
	}
}

static void
infopage(struct bt_trackd *d, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	const char *to = d->c.infopage_redirect;
	if (!d->c.show_infopage) {
		not_found(c, h);
		return;
	}
	d->body.len = 0;
	d->body.err = 0;
	if (to && *to) {
		struct bt_http_hdr loc = { "Location", 8, to, strlen(to) };
		bt_buf_printf(&d->body, "<A HREF=\"%s\">Click Here</A>", to);
		struct bt_httpd_reply r = { .status = 302, .ctype = "text/html", .hdr = &loc,
			.nhdr = 1, .body = d->body.p, .len = d->body.len };
		bt_httpd_reply(c, h, &r);
		return;
	}
	struct bt_infopage_opts o = {
		.version = "bt " BT_VERSION, .now = bt_loop_wall(d->loop), .start = d->started,
		.allow_get = d->c.allow_get != 0, .favicon = d->c.favicon ? "/favicon.ico" : NULL,
		.refresh = BT_TRACKD_REFRESH_S, .stats = d->c.stats != 0,
	};
	if (bt_infopage_html(d->t, &o, &d->body) < 0) {
		bt_httpd_error(c, 500);
		return;
	}
	reply(c, h, 200, NULL, BT_INFOPAGE_HTML_CTYPE, 1, d->body.p, d->body.len);
}

static void
statspage(struct bt_trackd *d, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	struct bt_infopage_opts o = {
		.version = "bt " BT_VERSION, .now = bt_loop_wall(d->loop), .start = d->started,
	};
	d->body.len = 0;
	d->body.err = 0;
	if (bt_infopage_stats(d->t, &o, &d->body) < 0) {
		bt_httpd_error(c, 500);
		return;
	}
	reply(c, h, 200, NULL, BT_INFOPAGE_STATS_CTYPE, 1, d->body.p, d->body.len);
}

/* Our own pages: anything the tracker did not take. */
static void
serve_page(struct bt_trackd *d, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	if (bt_http_path_is(h, "/") || bt_http_path_is(h, "/index.html"))
		infopage(d, c, h);
	else if (bt_http_path_is(h, "/favicon.ico") && d->c.favicon)
		reply(c, h, 200, NULL, "image/x-icon", 0, d->c.favicon, d->c.favicon_len);
	else if (bt_http_path_is(h, "/file"))
		serve_file(d, c, h);
	else if (bt_http_path_is(h, "/stats") && d->c.stats)
		statspage(d, c, h);
	else
		not_found(c, h);
}

/* Announce and scrape, then what follows from an announce. */
static int
serve_tracker(struct bt_trackd *d, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	struct bt_tracker_req tr = { .http = h, .peer = bt_httpd_peer(c),
		.now = bt_loop_wall(d->loop) };
	struct bt_tracker_resp resp;
	d->body.len = 0;
	d->body.err = 0;
	bt_tracker_http(d->t, &tr, &resp, &d->body);
	if (d->body.err) {
		static const char msg[] = "d14:failure reason13:out of memorye";
		struct bt_httpd_reply r = { .status = 500, .ctype = "text/plain", .no_cache = 1,
			.body = msg, .len = sizeof(msg) - 1, .close = 1 };
		bt_httpd_reply(c, h, &r);
		return 1;
	}
	if (!resp.status)
		return 0;
	struct bt_httpd_reply r = { .status = resp.status, .reason = resp.reason,
		.ctype = resp.ctype, .no_cache = resp.no_cache, .hdr = resp.hdr,
		.nhdr = resp.nhdr, .body = d->body.p, .len = d->body.len };
	bt_httpd_reply(c, h, &r);
	if (resp.check_peer)
		bt_natcheck_start(d->nat, resp.check_hash, resp.check_id, &resp.check_addr);
	if (resp.forward && resp.status == 200)
		bt_t2t_forward(d->t2t, h);
	return 1;
}

static void
handle(void *ud, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	struct bt_trackd *d = ud;
	if (h->meth != BT_HTTP_GET && h->meth != BT_HTTP_HEAD) {
		static const char msg[] = "only GET and HEAD are served here\n";
		struct bt_http_hdr allow = BT_HTTP_HDR("Allow", "GET, HEAD");
		struct bt_httpd_reply r = { .status = 405, .ctype = "text/plain", .hdr = &allow,
			.nhdr = 1, .body = msg, .len = sizeof(msg) - 1, .close = 1 };
		bt_httpd_reply(c, h, &r);
		return;
	}
	if (ip_refused(d, bt_httpd_peer(c))) {
		static const char msg[] = "d14:failure reason39:your IP is not allowed on this tracker.e";
		reply(c, h, 400, "Not Authorized", "text/plain", 1, msg, sizeof(msg) - 1);
		return;
	}
	if (!serve_tracker(d, c, h))
		serve_page(d, c, h);
}

/* ---- UDP ---- */

static void
on_udp(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_trackd *d = ud;
	uint8_t in[2048], out[BT_TRACKER_UDP_MAX];
	(void)ev;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		struct sockaddr_storage norm = from;
		bt_addr_normalize(&norm);
		if (ip_refused(d, &norm))
			continue;
		size_t m = bt_tracker_udp(d->t, in, (size_t)n, &from, bt_loop_wall(loop), out,
			sizeof(out));
		if (m)
			sendto(fd, out, m, MSG_NOSIGNAL, (struct sockaddr *)&from, fl);
	}
}

/* ---- listening ---- */

/* Why a socket could not be bound to txt (what: "listen on", "bind UDP
 * on"); a port below 1024 refused for want of privilege says so. */
static void
tell_bind(struct bt_trackd *d, int err, const char *what, const char *txt, uint16_t port)
{
	if (err == EACCES && port < 1024)
		tell(d, 0, "cannot %s %s: %s: ports below 1024 need root (or the "
			"CAP_NET_BIND_SERVICE capability); use a higher one with --port, "
			"e.g. --port 6969", what, txt, strerror(err));
	else
		tell(d, err, "cannot %s %s", what, txt);
}

/* Tell the hook what fd is bound to; with port 0 asked for, the port the
 * system chose becomes the port of every later socket. */
static void
bound(struct bt_trackd *d, int fd, const struct sockaddr_storage *a, int udp, unsigned flags)
{
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	if (getsockname(fd, (struct sockaddr *)&got, &len) < 0)
		got = *a;
	if (!d->c.port)
		d->c.port = bt_addr_port(&got);
	if (d->h.listening)
		d->h.listening(d->h.ud, &got, udp,
			got.ss_family == AF_INET6 && (flags & BT_NET_DUALSTACK));
}

static int
listen_on(struct bt_trackd *d, const struct sockaddr_storage *a, unsigned flags)
{
	char txt[BT_ADDR_STRLEN];
	struct sockaddr_storage at = *a;
	bt_addr_format(a, txt, sizeof(txt), 0);
	if (d->nlisten == BT_HTTPD_LISTEN_MAX) {
		tell(d, 0, "too many addresses to listen on");
		return BT_E_LIMIT;
	}
	int fd = bt_net_listen_tcp(a, 1024, flags);
	if (fd < 0) {
		tell_bind(d, errno, "listen on", txt, bt_addr_port(a));
		return fd;
	}
	d->nlisten++;
	int rc = bt_httpd_listen(d->http, fd);
	if (rc < 0)
		return rc;
	bound(d, fd, a, 0, flags);
	if (!d->c.udp)
		return 0;
	bt_addr_set_port(&at, d->c.port);
	int ufd = bt_net_udp_bind(&at, flags);
	if (ufd < 0) {
		tell_bind(d, errno, "bind UDP on", txt, bt_addr_port(&at));
		return ufd;
	}
	d->ufd[d->nufd++] = ufd;
	if ((rc = bt_io_add(d->loop, ufd, BT_EV_READ, on_udp, d)) < 0)
		return rc;
	bound(d, ufd, &at, 1, flags);
	return 0;
}

/* Listen on every address name resolves to. */
static int
listen_name(struct bt_trackd *d, const char *name)
{
	struct sockaddr_storage a;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_family = d->c.ipv6_enabled ? AF_UNSPEC : AF_INET }, *res, *ai;
	int rc = 0;
	if (getaddrinfo(name, NULL, &hints, &res) != 0) {
		tell(d, 0, "--bind %s: cannot resolve", name);
		return BT_E_NOENT;
	}
	for (ai = res; ai && rc == 0; ai = ai->ai_next) {
		memset(&a, 0, sizeof(a));
		memcpy(&a, ai->ai_addr, ai->ai_addrlen);
		bt_addr_set_port(&a, d->c.port);
		rc = listen_on(d, &a, a.ss_family == AF_INET6 ? BT_NET_V6ONLY : 0);
	}
	freeaddrinfo(res);
	return rc;
}

static int
listen_list(struct bt_trackd *d, const char *bind_list)
{
	struct sockaddr_storage a;
	struct bt_strv list;
	int rc = bt_strv_split(&list, bind_list, ',');
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < list.n && rc == 0; k++) {
		const char *name = list.v[k];
		if (bt_addr_parse(&a, name, strlen(name), d->c.port) != 0) {
			rc = listen_name(d, name);
		} else if (a.ss_family == AF_INET6 && !d->c.ipv6_enabled) {
			tell(d, 0, "--bind %s: an IPv6 address needs --ipv6_enabled 1", name);
			rc = BT_E_INVAL;
		} else {
			rc = listen_on(d, &a, a.ss_family == AF_INET6 ?
				(list.n == 1 && d->c.ipv6_binds_v4 ? BT_NET_DUALSTACK : BT_NET_V6ONLY) : 0);
		}
	}
	bt_strv_free(&list);
	return rc;
}

static int
setup_listeners(struct bt_trackd *d)
{
	struct sockaddr_storage a;
	int rc;
	if (nonempty(d->c.bind))
		return listen_list(d, d->c.bind);
	if ((rc = bt_addr_any(&a, AF_INET, d->c.port)) < 0 || (rc = listen_on(d, &a, 0)) < 0)
		return rc;
	if (d->c.ipv6_enabled && ((rc = bt_addr_any(&a, AF_INET6, d->c.port)) < 0 ||
	    (rc = listen_on(d, &a, BT_NET_V6ONLY)) < 0))
		return rc;
	return 0;
}

/* ---- timers and wiring ---- */

static uint64_t
save_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_trackd *d = ud;
	(void)loop;
	(void)id;
	bt_trackd_save(d);
	return d->c.save_ms;
}

static uint64_t
expire_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_trackd *d = ud;
	(void)loop;
	(void)id;
	bt_tracker_sweep(d->t);
	return d->c.expire_ms;
}

static uint64_t
rescan_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_trackd *d = ud;
	(void)loop;
	(void)id;
	rescan_lists(d);
	return d->c.rescan_ms;
}

static void
nat_done(void *ud, const uint8_t info_hash[20], const uint8_t peer_id[20],
	const struct sockaddr_storage *addr, int ok)
{
	struct bt_trackd *d = ud;
	if (d->h.natcheck)
		d->h.natcheck(d->h.ud, addr, peer_id, ok);
	bt_tracker_nat_result(d->t, info_hash, addr, ok);
}

static void
on_access(void *ud, const struct bt_httpd_log *l)
{
	struct bt_trackd *d = ud;
	if (d->h.access)
		d->h.access(d->h.ud, l);
}

static int
start_timers(struct bt_trackd *d)
{
	d->timer[0] = bt_timer_add(d->loop, d->c.save_ms, save_timer, d);
	d->timer[1] = bt_timer_add(d->loop, d->c.expire_ms, expire_timer, d);
	d->timer[2] = bt_timer_add(d->loop, d->c.rescan_ms, rescan_timer, d);
	return d->timer[0] && d->timer[1] && d->timer[2] ? 0 : BT_E_NOMEM;
}

/* Everything after the tracker, in the order bttrack has it. */
static int
trackd_start(struct bt_trackd *d)
{
	struct bt_t2t_opts to = d->c.t2t;
	int rc;
	if ((rc = lists_init(d)) < 0)
		return rc;
	rescan_lists(d);
	load_state(d);
	if ((rc = bt_httpd_new(&d->http, d->loop, &d->c.http, handle, on_access, d)) < 0 ||
	    (rc = setup_listeners(d)) < 0 || (rc = start_timers(d)) < 0)
		return rc;
	if (!(d->nat = bt_natcheck_new(d->loop, &d->c.nat, nat_done, d)))
		return BT_E_NOMEM;
	to.poll = to.poll && d->adir;
	if ((rc = bt_t2t_new(&d->t2t, d->loop, d->t, &to)) < 0)
		return rc;
	d->started = time(NULL);
	return 0;
}

int
bt_trackd_new(struct bt_trackd **out, struct bt_loop *loop, const struct bt_trackd_cfg *c,
	const struct bt_trackd_hooks *h)
{
	if (!out || !loop || !c || !c->dfile)
		return BT_E_INVAL;
	struct bt_trackd *d = calloc(1, sizeof(*d));
	if (!d)
		return BT_E_NOMEM;
	d->loop = loop;
	d->c = *c;
	if (h)
		d->h = *h;
	bt_buf_init(&d->body, 0);
	int rc = (d->t = bt_tracker_new(&c->tracker)) ? trackd_start(d) : BT_E_NOMEM;
	if (rc < 0) {
		bt_trackd_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void
bt_trackd_stop(struct bt_trackd *d)
{
	if (d->nat)
		bt_natcheck_stop(d->nat);
	if (d->t2t)
		bt_t2t_stop(d->t2t);
}

void
bt_trackd_free(struct bt_trackd *d)
{
	if (!d)
		return;
	bt_httpd_free(d->http);
	bt_natcheck_free(d->nat);
	bt_t2t_free(d->t2t);
	for (size_t k = 0; k < d->nufd; k++) {
		bt_io_del(d->loop, d->ufd[k]);
		close(d->ufd[k]);
	}
	for (size_t k = 0; k < 3; k++)
		if (d->timer[k])
			bt_timer_del(d->loop, d->timer[k]);
	bt_tracker_free(d->t);
	bt_buf_free(&d->body);
	bt_allowdir_free(d->adir);
	bt_allowlist_free(&d->alist);
	bt_iplist_free(&d->allowed_ips);
	bt_iplist_free(&d->banned_ips);
	free(d);
}
