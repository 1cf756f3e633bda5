/* announce.c - see announce.h
 *
 * The announcer is a small state machine: a timer (tm_next) starts a
 * round, a round walks order[] (the tiers laid end to end, so "tiers in
 * order, trackers in a tier in order" is just pos = 0, 1, ...) and keeps at
 * most one attempt in flight, HTTP through httpc or UDP through a resolve,
 * the UDP mux (shared, or the announcer's own) and a retransmit timer
 * (tm_udp).  Stopping is a separate path: one attempt to the last tracker
 * that answered, bounded by tm_stop, then cb->stopped from tm_done.
 *
 * State changes are made before any host callback runs, and every
 * function calls the host last, so a callback may call the announcer's
 * other functions (not bt_announcer_free, except from cb->stopped). */
#include "announce.h"
#include "benc.h"
#include "be.h"
#include "err.h"
#include "http.h"
#include "httpc.h"
#include "metainfo.h"
#include "net.h"
#include "rand.h"
#include "str.h"
#include "reactor.h"
#include "resolve.h"
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANN_TRACKERS_MAX	256	/* URLs kept from one torrent */
#define ANN_INTERVAL_DEF	1800	/* seconds, when the reply has none */
#define ANN_INTERVAL_MIN	30
#define ANN_INTERVAL_MAX	(2 * 86400)
#define ANN_RETRY_FIRST		60	/* back-off after a failed round */
#define ANN_RETRY_MAX		1800
#define ANN_HTTP_TIMEOUT_MS	60000u
#define ANN_STOP_TIMEOUT_MS	5000u
#define UDP_CONN_TTL_MS		60000u	/* BEP 15: a connection id lasts 1 min */
#define UDP_RETRANS_MS		15000u	/* BEP 15: 15 * 2^n seconds */
#define UDP_RETRANS_SHIFT	8
#define UDP_PROTOCOL_ID		0x41727101980ULL

/* ---- small helpers ---- */

/* The tracker refused, giving p[0..n) as its reason (maybe none). */
static void
set_failure(struct bt_ann_reply *r, const uint8_t *p, size_t n)
{
	if (n)
		bt_str_printable(r->failure, sizeof(r->failure), p, n);
	else
		snprintf(r->failure, sizeof(r->failure), "(no reason given)");
}

static void
reply_reset(struct bt_ann_reply *r)
{
	r->failure[0] = 0;
	r->warning[0] = 0;
	r->trackerid[0] = 0;
	r->interval = r->min_interval = -1;
	r->complete = r->incomplete = -1;
	r->npeers = 0;
}

/* A peer address worth trying: a port, and an address that is not
 * unspecified, multicast or the broadcast address. */
static int
peer_ok(const struct sockaddr_storage *a)
{
	if (bt_addr_port(a) == 0)
		return 0;
	if (a->ss_family == AF_INET) {
		const uint8_t *ip = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		if (ip[0] == 0 || ip[0] >= 224)
			return 0;
		return 1;
	}
	if (a->ss_family == AF_INET6) {
		const uint8_t *ip = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
		static const uint8_t zero[16];
		return ip[0] != 0xff && memcmp(ip, zero, 16) != 0;
	}
	return 0;
}

static void
add_peer(struct bt_ann_reply *r, struct sockaddr_storage *a)
{
	if (!r->peers || r->npeers >= r->peers_cap)
		return;
	bt_addr_normalize(a);
	if (peer_ok(a))
		r->peers[r->npeers++] = *a;
}

static void
add_compact(struct bt_ann_reply *r, const uint8_t *p, size_t n, size_t stride)
{
	struct sockaddr_storage a;

	for (size_t k = 0; k + stride <= n && r->npeers < r->peers_cap; k += stride)
		if (bt_addr_unpack(&a, p + k, stride) == 0)
			add_peer(r, &a);
}

/* ---- HTTP codec ---- */

/* see announce.h */
void
bt_ann_http_url(struct bt_buf *b, const char *announce_url, const struct bt_ann_req *r)
{
	static const char *const ev[] = { NULL, "completed", "started", "stopped" };
	size_t ul = strcspn(announce_url, "#");	/* a fragment is not sent */
	const char *q = memchr(announce_url, '?', ul);

	bt_buf_add(b, announce_url, ul);
	if (!q)
		bt_buf_addc(b, '?');
	else if (announce_url[ul - 1] != '?' && announce_url[ul - 1] != '&')
		bt_buf_addc(b, '&');
	bt_buf_adds(b, "info_hash=");
	bt_http_encode(b, r->info_hash, 20);
	bt_buf_adds(b, "&peer_id=");
	bt_http_encode(b, r->peer_id, 20);
	bt_buf_printf(b, "&port=%u&uploaded=%llu&downloaded=%llu&left=%llu&compact=1",
		r->crypto == BT_ANN_CRYPTO_STEALTH ? 0u : (unsigned)r->port,
		(unsigned long long)r->uploaded,
		(unsigned long long)r->downloaded, (unsigned long long)r->left);
	if (r->event > BT_ANN_NONE && r->event <= BT_ANN_STOPPED)
		bt_buf_printf(b, "&event=%s", ev[r->event]);
	if (r->ip && *r->ip) {
		bt_buf_adds(b, "&ip=");
		bt_http_encode(b, r->ip, strlen(r->ip));
	}
	if (r->numwant >= 0)
		bt_buf_printf(b, "&numwant=%d", r->numwant);
	bt_buf_printf(b, "&key=%08X", (unsigned)r->key);
	if (r->trackerid && *r->trackerid) {
		bt_buf_adds(b, "&trackerid=");
		bt_http_encode(b, r->trackerid, strlen(r->trackerid));
	}
	if (r->seed_id && *r->seed_id) {
		bt_buf_adds(b, "&seed_id=");
		bt_http_encode(b, r->seed_id, strlen(r->seed_id));
	}
	if (r->crypto == BT_ANN_CRYPTO_NONE) {
		bt_buf_adds(b, "&supportcrypto=0");
		return;
	}
	bt_buf_adds(b, "&supportcrypto=1");
	if (r->crypto >= BT_ANN_CRYPTO_REQUIRE)
		bt_buf_adds(b, "&requirecrypto=1");
	if (r->crypto == BT_ANN_CRYPTO_STEALTH)
		bt_buf_printf(b, "&cryptoport=%u", (unsigned)r->port);
}

/* An optional integer: -1 absent or negative; BT_E_PARSE when present
 * with another type. */
static int
get_int(const struct bt_benc *d, const char *key, int64_t *out)
{
	int v = bt_benc_dict_get(d, 0, key);
	int64_t x;

	*out = -1;
	if (v < 0)
		return 0;
	if (bt_benc_int(d, v, &x) < 0)
		return BT_E_PARSE;
	if (x >= 0)
		*out = x;
	return 0;
}

static void
dict_peers(const struct bt_benc *d, int list, struct bt_ann_reply *r)
{
	for (int j = bt_benc_first(d, list); j >= 0 && r->npeers < r->peers_cap;
	     j = bt_benc_next(d, list, j)) {
		const uint8_t *ip;
		size_t n;
		int64_t port;
		struct sockaddr_storage a;

		if (bt_benc_str(d, bt_benc_dict_get(d, j, "ip"), &ip, &n) < 0 ||
		    bt_benc_int(d, bt_benc_dict_get(d, j, "port"), &port) < 0 ||
		    port <= 0 || port > 65535 ||
		    bt_addr_parse(&a, (const char *)ip, n, (uint16_t)port) < 0)
			continue;	/* names, bad addresses, bad ports */
		add_peer(r, &a);
	}
}

/* see announce.h */
int
bt_ann_http_parse(const uint8_t *body, size_t n, struct bt_ann_reply *r, const char **why)
{
	static const struct bt_benc_lim lim = {
		.depth = 16, .tokens = 1u << 15, .str_max = BT_ANN_BODY_MAX,
		.strict = 0, .trailing_ok = 1,
	};
	struct bt_benc d = { 0 };
	struct bt_benc_err err;
	const char *w = NULL;
	const uint8_t *p;
	size_t len;
	int rc, v;

	reply_reset(r);
	if (n > BT_ANN_BODY_MAX) {
		w = "reply too large";
		goto bad;
	}
	rc = bt_benc_parse(&d, body, n, &lim, &err);
	if (rc == BT_E_NOMEM) {
		bt_benc_free(&d);
		*why = "out of memory";
		return BT_E_NOMEM;
	}
	if (rc < 0) {
		w = err.code == BT_BENC_EMPTY ? "empty reply" : bt_benc_errstr(err.code);
		goto bad;
	}
	if (bt_benc_type(&d, 0) != BT_BENC_DICT) {
		w = "not a dictionary";
		goto bad;
	}
	if ((v = bt_benc_dict_get(&d, 0, "failure reason")) >= 0) {
		if (bt_benc_str(&d, v, &p, &len) < 0) {
			w = "failure reason is not a string";
			goto bad;
		}
		set_failure(r, p, len);
	}
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "warning message"), &p, &len) == 0 && len)
		bt_str_printable(r->warning, sizeof(r->warning), p, len);
	if (r->failure[0])
		goto out;
	if (get_int(&d, "interval", &r->interval) < 0) {
		w = "interval is not an integer";
		goto bad;
	}
	if (get_int(&d, "min interval", &r->min_interval) < 0) {
		w = "min interval is not an integer";
		goto bad;
	}
	if (get_int(&d, "complete", &r->complete) < 0 ||
	    get_int(&d, "incomplete", &r->incomplete) < 0) {
		w = "complete/incomplete is not an integer";
		goto bad;
	}
	/* A tracker id that does not fit, or holds a NUL, could not be
	 * echoed faithfully: it is left out. */
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "tracker id"), &p, &len) == 0 &&
	    len < sizeof(r->trackerid) && !memchr(p, 0, len)) {
		memcpy(r->trackerid, p, len);
		r->trackerid[len] = 0;
	}
	v = bt_benc_dict_get(&d, 0, "peers");
	if (bt_benc_type(&d, v) == BT_BENC_STR) {
		bt_benc_str(&d, v, &p, &len);
		add_compact(r, p, len, BT_ADDR_COMPACT4);
	} else if (bt_benc_type(&d, v) == BT_BENC_LIST) {
		dict_peers(&d, v, r);
	} else if (v >= 0) {
		w = "peers is not a string or a list";
		goto bad;
	}
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "peers6"), &p, &len) == 0)
		add_compact(r, p, len, BT_ADDR_COMPACT6);
out:
	bt_benc_free(&d);
	return 0;
bad:
	bt_benc_free(&d);
	reply_reset(r);
	*why = w;
	return BT_E_PARSE;
}

/* ---- UDP codec ---- */

/* see announce.h */
size_t
bt_ann_udp_connect(uint8_t *out, uint32_t tid)
{
	put64(out, UDP_PROTOCOL_ID);
	put32(out + 8, 0);
	put32(out + 12, tid);
	return 16;
}

/* see announce.h */
size_t
bt_ann_udp_announce(uint8_t *out, uint64_t conn_id, uint32_t tid,
	const struct bt_ann_req *r, const char *url_path)
{
	struct in_addr ip4;
	size_t n = 98, left;

	put64(out, conn_id);
	put32(out + 8, 1);
	put32(out + 12, tid);
	memcpy(out + 16, r->info_hash, 20);
	memcpy(out + 36, r->peer_id, 20);
	put64(out + 56, r->downloaded);
	put64(out + 64, r->left);
	put64(out + 72, r->uploaded);
	put32(out + 80, r->event >= 0 && r->event <= BT_ANN_STOPPED ? (uint32_t)r->event : 0);
	if (r->ip && inet_pton(AF_INET, r->ip, &ip4) == 1)
		memcpy(out + 84, &ip4, 4);	/* already network order */
	else
		put32(out + 84, 0);
	put32(out + 88, r->key);
	put32(out + 92, r->numwant < 0 ? UINT32_MAX : (uint32_t)r->numwant);
	put16(out + 96, r->port);
	/* BEP 41 URLData: the path and query in chunks of <= 255 bytes. */
	left = url_path ? strlen(url_path) : 0;
	if (left > BT_ANN_UDP_PATH_MAX)
		left = BT_ANN_UDP_PATH_MAX;
	while (left) {
		size_t c = left > 255 ? 255 : left;
		out[n++] = 2;
		out[n++] = (uint8_t)c;
		memcpy(out + n, url_path, c);
		n += c;
		url_path += c;
		left -= c;
	}
	return n;
}

/* see announce.h */
int
bt_ann_udp_parse(const uint8_t *p, size_t n, uint32_t tid, int v6, uint64_t *conn_id,
	struct bt_ann_reply *r)
{
	uint32_t action;

	if (n < 8 || get32(p + 4) != tid)
		return BT_E_PARSE;
	action = get32(p);
	switch (action) {
	case 0:
		if (n < 16)
			return BT_E_PARSE;
		if (conn_id)
			*conn_id = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
		return 0;
	case 1:
		if (n < 20)
			return BT_E_PARSE;
		if (r) {
			reply_reset(r);
			r->interval = get32(p + 8) > INT32_MAX ? -1 : (int64_t)get32(p + 8);
			r->incomplete = get32(p + 12) > INT32_MAX ? -1 : (int64_t)get32(p + 12);
			r->complete = get32(p + 16) > INT32_MAX ? -1 : (int64_t)get32(p + 16);
			add_compact(r, p + 20, n - 20,
				v6 ? BT_ADDR_COMPACT6 : BT_ADDR_COMPACT4);
		}
		return 1;
	case 3:
	case 0x03000000u:	/* the little-endian variant some trackers sent */
		if (r) {
			reply_reset(r);
			set_failure(r, p + 8, n - 8);
		}
		return 3;
	}
	return BT_E_PARSE;
}

/* ---- the announcer ---- */

struct trk {
	char *url;
	char *host;		/* UDP: host to resolve */
	char *path;		/* UDP: path and query ("" if none) */
	uint16_t port;		/* UDP */
	uint8_t udp;
	uint8_t started;	/* a started announce succeeded here */
	uint8_t has_conn;	/* UDP connection id known */
	uint64_t conn_id, conn_ms;
	struct sockaddr_storage conn_addr;
	char trackerid[BT_ANN_TRACKERID_MAX];
};

struct bt_announcer {
	struct bt_loop *loop;
	struct bt_announcer_cb cb;
	void *ud;
	char *ip, *seed_id, *ua;	/* owned; req.ip and req.seed_id point here */
	uint32_t http_timeout_ms, stop_timeout_ms;
	int family;
	uint64_t rng;

	struct trk *trk;	/* ntrk trackers */
	struct trk **order;	/* tiers end to end, each in try order */
	size_t *tstart;		/* tier k is order[tstart[k] .. tstart[k + 1]) */
	size_t ntrk, ntiers, cap;
	char *skipped;		/* 'W' text about skipped URLs, until shown */

	int running, stopping, stop_done, completed_called, completed_pending;
	unsigned fails;		/* failed rounds in a row */
	size_t pos;		/* place in order[] of the current attempt */
	int round_reported;	/* an 'E' was given during this round */
	char lasterr[BT_ANN_MSG_MAX + 64];
	struct trk *good;	/* the last tracker that answered */
	int64_t interval, min_interval, seeders, leechers;
	uint64_t due_ms, last_ms;

	/* The attempt in flight.  req's info hash, peer id, port, key, ip
	 * and seed id are set once, by bt_announcer_new. */
	int busy;
	struct trk *cur;
	struct bt_ann_req req;
	struct bt_httpc *http;
	struct bt_resolve *res;
	struct bt_udp *udp;	/* the UDP mux, NULL without UDP trackers */
	int udp_own;		/* made here (no shared one given) */
	uint64_t udp_rx;	/* our receiver on it */
	int uphase;		/* 0 resolving, 1 connect sent, 2 announce sent */
	struct sockaddr_storage uaddr;
	uint32_t utid;
	unsigned un;
	uint64_t udeadline;
	size_t uplen;
	uint8_t upkt[BT_ANN_UDP_MAX];

	uint64_t tm_next, tm_udp, tm_stop, tm_done;
};

static uint64_t
rng_next(struct bt_announcer *a)
{
	return bt_rand64(&a->rng);
}

static void
emit(struct bt_announcer *a, int kind, const char *text)
{
	if (a->cb.message)
		a->cb.message(a->ud, kind, text);
}

static int
has_prefix_ci(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && bt_str_ieq(s, k, pre);
}

/* "udp://host:port[/path][?query][#fragment]": host, port, and the path
 * with the query (BEP 41 URL data). */
static int
parse_udp_url(struct trk *t)
{
	char *s = t->url + 6, *h, *e, *q;
	size_t hl;
	unsigned long port = 0;

	if (*s == '[') {
		h = s + 1;
		e = strchr(h, ']');
		if (!e)
			return BT_E_PARSE;
		hl = (size_t)(e - h);
		s = e + 1;
	} else {
		h = s;
		hl = strcspn(s, ":/?#");
		s += hl;
	}
	if (hl == 0 || hl > BT_RESOLVE_HOST_MAX || memchr(h, '@', hl) || *s != ':')
		return BT_E_PARSE;
	for (q = s + 1; *q >= '0' && *q <= '9' && port <= 65535; q++)
		port = port * 10 + (unsigned long)(*q - '0');
	if (q == s + 1 || port == 0 || port > 65535)
		return BT_E_PARSE;
	if (*q && *q != '/' && *q != '?' && *q != '#')
		return BT_E_PARSE;
	if (strcspn(q, "#") > BT_ANN_UDP_PATH_MAX)
		return BT_E_PARSE;
	t->host = malloc(hl + 1);
	if (!t->host)
		return BT_E_NOMEM;
	memcpy(t->host, h, hl);
	t->host[hl] = 0;
	t->port = (uint16_t)port;
	hl = strcspn(q, "#");
	if (!(t->path = malloc(hl + 1)))
		return BT_E_NOMEM;
	memcpy(t->path, q, hl);
	t->path[hl] = 0;
	return 0;
}

/* see announce.h */
const char *
bt_ann_url_problem(const char *url, size_t n)
{
	struct trk t;
	int rc;

	if (n == 0)
		return "empty";
	if (n >= BT_URL_MAX)
		return "too long";
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)url[k] <= 0x20 || url[k] == 0x7f)
			return url[k] == ' ' ? "has a space in it" : "has a control character in it";
	if (has_prefix_ci(url, n, "http://") || has_prefix_ci(url, n, "https://")) {
		const char *h = memchr(url, ':', n) + 3;
		return h < url + n && *h != '/' && *h != '?' && *h != '#' ? NULL : "names no host";
	}
	if (!has_prefix_ci(url, n, "udp://")) {
		const char *c = memchr(url, ':', n);
		return c && c + 2 < url + n && c[1] == '/' && c[2] == '/' ?
			"not http://, https:// or udp://" : "not a URL";
	}
	memset(&t, 0, sizeof(t));
	if (!(t.url = malloc(n + 1)))
		return NULL;	/* cannot tell: let the announcer try */
	memcpy(t.url, url, n);
	t.url[n] = 0;
	rc = parse_udp_url(&t);
	free(t.url);
	free(t.host);
	free(t.path);
	return rc == BT_E_PARSE ? "a udp:// URL needs a host and a port (udp://host:port)" : NULL;
}

/* Take one URL token: 1 kept, 0 skipped (unsupported or bad: counted),
 * BT_E_NOMEM. */
static int
add_url(struct bt_announcer *a, const struct bt_benc *d, int tok, size_t *nskip,
	char *first_skip, size_t fcap)
{
	const uint8_t *p;
	const char *why;
	size_t n;
	struct trk *t;
	int udp, rc;

	if (bt_benc_str(d, tok, &p, &n) < 0 || a->ntrk >= a->cap)
		return 0;
	if ((why = bt_ann_url_problem((const char *)p, n)) != NULL)
		goto skip;
	udp = has_prefix_ci((const char *)p, n, "udp://");
	for (size_t k = 0; k < a->ntrk; k++)
		if (strlen(a->trk[k].url) == n && memcmp(a->trk[k].url, p, n) == 0)
			return 0;	/* the same URL twice: once is enough */
	t = &a->trk[a->ntrk];
	memset(t, 0, sizeof(*t));
	if (!(t->url = malloc(n + 1)))
		return BT_E_NOMEM;
	memcpy(t->url, p, n);
	t->url[n] = 0;
	if (udp) {
		t->udp = 1;
		if ((rc = parse_udp_url(t)) < 0) {
			free(t->url);
			free(t->host);
			free(t->path);
			memset(t, 0, sizeof(*t));
			if (rc == BT_E_NOMEM)
				return rc;
			why = "malformed";
			goto skip;
		}
	}
	a->order[a->ntrk] = t;
	a->ntrk++;
	return 1;
skip:
	if ((*nskip)++ == 0) {
		size_t k;
		bt_str_printable(first_skip, fcap, p, n < 200 ? n : 200);
		k = strlen(first_skip);
		snprintf(first_skip + k, fcap - k, ": %s", why);
	}
	return 0;
}

static int
collect(struct bt_announcer *a, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	char first[256];
	size_t nskip = 0;
	int rc;

	first[0] = 0;
	if (bt_benc_type(d, m->announce_list) == BT_BENC_LIST) {
		int al = m->announce_list;
		for (int tier = bt_benc_first(d, al); tier >= 0;
		     tier = bt_benc_next(d, al, tier)) {
			size_t before = a->ntrk;
			if (bt_benc_type(d, tier) != BT_BENC_LIST)
				continue;
			for (int u = bt_benc_first(d, tier); u >= 0;
			     u = bt_benc_next(d, tier, u))
				if ((rc = add_url(a, d, u, &nskip, first, sizeof(first))) < 0)
					return rc;
			if (a->ntrk > before)
				a->tstart[++a->ntiers] = a->ntrk;
		}
	}
	/* BEP 12: announce-list replaces announce, but when it gives
	 * nothing usable, announce is better than no tracker. */
	if (a->ntrk == 0 && m->announce >= 0) {
		if ((rc = add_url(a, d, m->announce, &nskip, first, sizeof(first))) < 0)
			return rc;
		if (a->ntrk)
			a->tstart[++a->ntiers] = a->ntrk;
	}
	if (nskip) {
		char msg[sizeof(first) + 64];
		if (nskip > 1)
			snprintf(msg, sizeof(msg), "skipping tracker URL %s (and %zu more unusable)",
				first, nskip - 1);
		else
			snprintf(msg, sizeof(msg), "skipping tracker URL %s", first);
		if (!(a->skipped = strdup(msg)))
			return BT_E_NOMEM;
	}
	return 0;
}

static size_t
count_urls(const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	size_t n = 1;	/* announce */

	if (bt_benc_type(d, m->announce_list) == BT_BENC_LIST) {
		int al = m->announce_list;
		for (int tier = bt_benc_first(d, al); tier >= 0;
		     tier = bt_benc_next(d, al, tier))
			if (bt_benc_type(d, tier) == BT_BENC_LIST)
				n += (size_t)bt_benc_count(d, tier);
	}
	return n > ANN_TRACKERS_MAX ? ANN_TRACKERS_MAX : n;
}

static char *
dup_opt(const char *s, int *bad)
{
	char *c;

	if (!s || !*s)
		return NULL;
	if (!(c = strdup(s)))
		*bad = 1;
	return c;
}

static int udp_attach(struct bt_announcer *a, struct bt_udp *shared);

/* see announce.h */
int
bt_announcer_new(struct bt_announcer **out, struct bt_loop *loop, const struct bt_meta *m,
	const struct bt_announcer_opts *o, const struct bt_announcer_cb *cb, void *ud)
{
	struct bt_announcer *a;
	size_t cap;
	int bad = 0, rc;

	if (!out)
		return BT_E_INVAL;
	*out = NULL;
	if (!loop || !m || !o || !cb)
		return BT_E_INVAL;
	if (!(a = calloc(1, sizeof(*a))))
		return BT_E_NOMEM;
	a->loop = loop;
	a->cb = *cb;
	a->ud = ud;
	memcpy(a->req.info_hash, o->info_hash, 20);
	memcpy(a->req.peer_id, o->peer_id, 20);
	a->req.port = o->port;
	a->req.crypto = o->crypto;
	a->req.ip = a->ip = dup_opt(o->ip, &bad);
	a->req.seed_id = a->seed_id = dup_opt(o->seed_id, &bad);
	a->ua = dup_opt(o->user_agent, &bad);
	a->http_timeout_ms = o->http_timeout_ms ? o->http_timeout_ms : ANN_HTTP_TIMEOUT_MS;
	a->stop_timeout_ms = o->stop_timeout_ms ? o->stop_timeout_ms : ANN_STOP_TIMEOUT_MS;
	a->family = o->family == AF_INET ? AF_INET : AF_UNSPEC;
	a->interval = a->min_interval = -1;
	a->seeders = a->leechers = -1;
	a->rng = o->seed ? o->seed : bt_rand_seed(a);
	a->req.key = (uint32_t)rng_next(a);
	a->cap = cap = count_urls(m);
	a->trk = calloc(cap, sizeof(*a->trk));
	a->order = calloc(cap, sizeof(*a->order));
	a->tstart = calloc(cap + 1, sizeof(*a->tstart));
	if (bad || !a->trk || !a->order || !a->tstart) {
		bt_announcer_free(a);
		return BT_E_NOMEM;
	}
	if ((rc = collect(a, m)) < 0) {
		bt_announcer_free(a);
		return rc;
	}
	if (a->ntrk == 0) {
		bt_announcer_free(a);
		return BT_E_NOENT;
	}
	if ((rc = udp_attach(a, o->udp)) < 0) {
		bt_announcer_free(a);
		return rc;
	}
	/* BEP 12: each tier shuffled once. */
	for (size_t k = 0; k < a->ntiers; k++)
		bt_rand_shuffle(&a->rng, a->order + a->tstart[k],
			a->tstart[k + 1] - a->tstart[k], sizeof(*a->order));
	*out = a;
	return 0;
}

/* see announce.h: the URLs as an announce-list of one tier, read as a
 * torrent's would be. */
int
bt_announcer_new_urls(struct bt_announcer **out, struct bt_loop *loop,
	const char *const *urls, size_t n, const struct bt_announcer_opts *o,
	const struct bt_announcer_cb *cb, void *ud)
{
	struct bt_meta m;
	struct bt_buf b;
	struct bt_bw w;
	int rc = BT_E_NOMEM;

	if (!out)
		return BT_E_INVAL;
	*out = NULL;
	if (n == 0)
		return BT_E_NOENT;
	memset(&m, 0, sizeof(m));
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "announce-list");
	bt_bw_list(&w);
	bt_bw_list(&w);
	for (size_t i = 0; i < n && i < ANN_TRACKERS_MAX; i++)
		bt_bw_strs(&w, urls[i]);
	bt_bw_end(&w);
	bt_bw_end(&w);
	bt_bw_end(&w);
	if (bt_bw_finish(&w) == 0 &&
		(rc = bt_benc_parse(&m.doc, b.p, b.len, &bt_benc_lim_lenient, NULL)) == 0) {
		m.announce = -1;
		m.announce_list = bt_benc_dict_get(&m.doc, 0, "announce-list");
		rc = bt_announcer_new(out, loop, &m, o, cb, ud);
	}
	bt_benc_free(&m.doc);
	bt_buf_free(&b);
	return rc;
}

/* End the attempt in flight, if any, without any callback. */
static void
attempt_end(struct bt_announcer *a)
{
	if (a->http) {
		bt_httpc_cancel(a->http);
		a->http = NULL;
	}
	if (a->res) {
		bt_resolve_cancel(a->res);
		a->res = NULL;
	}
	if (a->tm_udp) {
		bt_timer_del(a->loop, a->tm_udp);
		a->tm_udp = 0;
	}
	a->uphase = 0;
	a->busy = 0;
}

/* see announce.h */
void
bt_announcer_free(struct bt_announcer *a)
{
	if (!a)
		return;
	attempt_end(a);
	if (a->tm_next)
		bt_timer_del(a->loop, a->tm_next);
	if (a->tm_stop)
		bt_timer_del(a->loop, a->tm_stop);
	if (a->tm_done)
		bt_timer_del(a->loop, a->tm_done);
	if (a->udp) {
		bt_udp_unlisten(a->udp, a->udp_rx);
		if (a->udp_own)
			bt_udp_free(a->udp);
	}
	for (size_t k = 0; k < a->ntrk; k++) {
		free(a->trk[k].url);
		free(a->trk[k].host);
		free(a->trk[k].path);
	}
	free(a->trk);
	free(a->order);
	free(a->tstart);
	free(a->skipped);
	free(a->ip);
	free(a->seed_id);
	free(a->ua);
	free(a);
}

static uint64_t on_next(struct bt_loop *loop, uint64_t id, void *ud);

static void
schedule(struct bt_announcer *a, uint64_t ms)
{
	if (a->tm_next)
		bt_timer_del(a->loop, a->tm_next);
	a->tm_next = bt_timer_add(a->loop, ms, on_next, a);
	a->due_ms = bt_loop_now_ms(a->loop) + ms;
}

static uint64_t
on_done(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_announcer *a = ud;

	(void)loop;
	(void)id;
	a->tm_done = 0;
	a->stop_done = 1;
	if (a->cb.stopped)
		a->cb.stopped(a->ud);	/* may free a */
	return BT_TIMER_STOP;
}

static void
stop_finish(struct bt_announcer *a)
{
	attempt_end(a);
	if (a->tm_stop) {
		bt_timer_del(a->loop, a->tm_stop);
		a->tm_stop = 0;
	}
	if (!a->tm_done && !a->stop_done)
		a->tm_done = bt_timer_add(a->loop, 0, on_done, a);
}

static void round_next(struct bt_announcer *a);

static void
conn_text(char *out, size_t cap, int rc, int err)
{
	const char *w;

	if (rc == BT_E_IO && err == ETIMEDOUT)
		w = "timeout exceeded";
	else if (rc == BT_E_IO && err)
		w = strerror(err);
	else if (rc == BT_E_NOENT)
		w = "host not found";
	else if (rc == BT_E_UNSUPPORTED)
		w = "unsupported URL";
	else if (rc == BT_E_LIMIT)
		w = "reply too large";
	else if (rc == BT_E_PARSE)
		w = "malformed URL or reply";
	else
		w = bt_strerror(rc);
	snprintf(out, cap, "Problem connecting to tracker - %s", w);
}

/* The attempt failed: text is the message.  A refusal or bad data
 * (immediate) is shown at once; a connection problem only if the whole
 * round fails. */
static void
attempt_failed(struct bt_announcer *a, int immediate, const char *text)
{
	char msg[sizeof(a->lasterr)];

	attempt_end(a);
	if (a->stopping) {
		stop_finish(a);	/* quietly: we are going anyway */
		return;
	}
	snprintf(msg, sizeof(msg), "%s", text);
	if (immediate)
		a->round_reported = 1;
	else
		snprintf(a->lasterr, sizeof(a->lasterr), "%s", text);
	a->pos++;
	round_next(a);
	if (immediate)
		emit(a, 'E', msg);
}

static int64_t
clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* BEP 12: the tracker at order[pos] moves to the front of its tier. */
static void
move_front(struct bt_announcer *a, size_t pos)
{
	size_t s = 0;
	struct trk *t = a->order[pos];

	for (size_t k = 0; k < a->ntiers; k++)
		if (a->tstart[k] <= pos && pos < a->tstart[k + 1])
			s = a->tstart[k];
	memmove(a->order + s + 1, a->order + s, (pos - s) * sizeof(*a->order));
	a->order[s] = t;
}

static void
attempt_ok(struct bt_announcer *a, struct bt_ann_reply *r)
{
	struct trk *t = a->cur;
	int ev = a->req.event, was_failing = a->fails > 0;
	size_t k, n = 0;

	attempt_end(a);
	if (r->trackerid[0])
		snprintf(t->trackerid, sizeof(t->trackerid), "%s", r->trackerid);
	a->good = t;
	if (a->stopping) {
		t->started = 0;
		stop_finish(a);
		return;
	}
	t->started = 1;
	if (ev == BT_ANN_COMPLETED)
		a->completed_pending = 0;
	a->fails = 0;
	a->interval = clamp64(r->interval < 0 ? ANN_INTERVAL_DEF : r->interval,
		ANN_INTERVAL_MIN, ANN_INTERVAL_MAX);
	a->min_interval = r->min_interval < 0 ? -1 :
		clamp64(r->min_interval, 0, a->interval);
	a->seeders = r->complete;
	a->leechers = r->incomplete;
	move_front(a, a->pos);
	schedule(a, a->completed_pending ? 0 : (uint64_t)a->interval * 1000);
	for (k = 0; k < r->npeers; k++)
		if (a->family != AF_INET || r->peers[k].ss_family == AF_INET)
			r->peers[n++] = r->peers[k];
	/* The host is called last. */
	if (r->warning[0]) {
		char msg[BT_ANN_MSG_MAX + 32];
		snprintf(msg, sizeof(msg), "warning from tracker - %s", r->warning);
		emit(a, 'W', msg);
	}
	emit(a, was_failing ? 'R' : 'I', t->url);
	if (n && a->cb.peers)
		a->cb.peers(a->ud, r->peers, n);
}

/* A reply (HTTP body or UDP announce): ok, refused or bad. */
static void
attempt_reply(struct bt_announcer *a, struct bt_ann_reply *r)
{
	char msg[sizeof(a->lasterr)];

	if (r->failure[0]) {
		snprintf(msg, sizeof(msg), "rejected by tracker - %s", r->failure);
		attempt_failed(a, 1, msg);
	} else {
		attempt_ok(a, r);
	}
}

static struct sockaddr_storage *
peers_alloc(struct bt_ann_reply *r, size_t cap)
{
	if (cap > BT_ANN_PEERS_MAX)
		cap = BT_ANN_PEERS_MAX;
	r->peers = cap ? malloc(cap * sizeof(*r->peers)) : NULL;
	r->peers_cap = r->peers ? cap : 0;
	return r->peers;
}

static void
on_http(struct bt_loop *loop, const struct bt_httpc_result *res, void *ud)
{
	struct bt_announcer *a = ud;
	struct bt_ann_reply r;
	char msg[sizeof(a->lasterr)];
	const char *why = "";
	int rc;

	(void)loop;
	a->http = NULL;	/* freed by httpc when we return */
	if (res->status < 0) {
		if ((res->status == BT_E_TLS && res->tls_error) || res->why) {
			char what[sizeof(msg) - 40];
			bt_httpc_describe(res, what, sizeof(what));
			snprintf(msg, sizeof(msg), "Problem connecting to tracker - %s", what);
		} else {
			conn_text(msg, sizeof(msg), res->status, res->sys_errno);
		}
		attempt_failed(a, 0, msg);
		return;
	}
	peers_alloc(&r, res->body_len / BT_ADDR_COMPACT4);
	rc = bt_ann_http_parse(res->body, res->body_len, &r, &why);
	if (res->status != 200) {
		/* Some trackers refuse with an error status and a reason. */
		if (rc == 0 && r.failure[0]) {
			attempt_reply(a, &r);
		} else {
			snprintf(msg, sizeof(msg), "Problem connecting to tracker - HTTP %d",
				res->status);
			attempt_failed(a, 0, msg);
		}
	} else if (rc < 0) {
		snprintf(msg, sizeof(msg), "bad data from tracker - %s", why);
		attempt_failed(a, 1, msg);
	} else {
		attempt_reply(a, &r);
	}
	free(r.peers);
}

/* How long one attempt may take: the stopped announce gets at most
 * stop_timeout_ms. */
static uint32_t
attempt_timeout_ms(const struct bt_announcer *a)
{
	return a->stopping && a->stop_timeout_ms < a->http_timeout_ms ?
		a->stop_timeout_ms : a->http_timeout_ms;
}

static int
http_start(struct bt_announcer *a)
{
	struct bt_buf u;
	struct bt_httpc_opts o;
	int rc;

	bt_buf_init(&u, BT_URL_MAX);
	bt_ann_http_url(&u, a->cur->url, &a->req);
	if (!bt_buf_cstr(&u)) {
		rc = u.err;
		bt_buf_free(&u);
		if (rc == BT_E_LIMIT)
			snprintf(a->lasterr, sizeof(a->lasterr),
				"Problem connecting to tracker - announce URL too long");
		else
			conn_text(a->lasterr, sizeof(a->lasterr), rc, 0);
		return rc;
	}
	bt_httpc_opts_init(&o);
	o.user_agent = a->ua;
	o.timeout_ms = attempt_timeout_ms(a);
	o.max_body = BT_ANN_BODY_MAX;
	o.family = a->family;
	rc = bt_httpc_get(a->loop, (const char *)u.p, &o, on_http, a, &a->http);
	bt_buf_free(&u);
	if (rc < 0) {
		a->http = NULL;
		conn_text(a->lasterr, sizeof(a->lasterr), rc, errno);
	}
	return rc;
}

/* ---- UDP attempts ---- */

static uint64_t on_udp_timer(struct bt_loop *loop, uint64_t id, void *ud);

/* Send upkt (again) and arm the retransmit timer.  0, or the errno of a
 * send that failed (the caller decides). */
static int
udp_xmit(struct bt_announcer *a)
{
	uint64_t now = bt_loop_now_ms(a->loop), base, delay;
	unsigned sh;
	int rc;

	/* A full send buffer counts as sent (the mux drops it quietly). */
	if ((rc = bt_udp_send(a->udp, &a->uaddr, a->upkt, a->uplen)) < 0)
		return rc != BT_E_IO ? EAFNOSUPPORT : errno ? errno : EIO;
	/* BEP 15's 15 * 2^n s, with the first step shrunk so that a few
	 * tries fit in the attempt's time. */
	base = a->http_timeout_ms / 4;
	if (base > UDP_RETRANS_MS)
		base = UDP_RETRANS_MS;
	if (base == 0)
		base = 1;
	sh = a->un > UDP_RETRANS_SHIFT ? UDP_RETRANS_SHIFT : a->un;
	delay = base << sh;
	if (now >= a->udeadline)
		delay = 0;
	else if (delay > a->udeadline - now)
		delay = a->udeadline - now;
	a->tm_udp = bt_timer_add(a->loop, delay, on_udp_timer, a);
	return 0;
}

/* A send failed: the attempt has. */
static void
udp_failed(struct bt_announcer *a, int err)
{
	char msg[sizeof(a->lasterr)];

	conn_text(msg, sizeof(msg), BT_E_IO, err);
	attempt_failed(a, 0, msg);
}

static int
udp_send_connect(struct bt_announcer *a)
{
	a->utid = (uint32_t)rng_next(a);
	a->uplen = bt_ann_udp_connect(a->upkt, a->utid);
	a->uphase = 1;
	return udp_xmit(a);
}

static int
udp_send_announce(struct bt_announcer *a)
{
	a->utid = (uint32_t)rng_next(a);
	a->uplen = bt_ann_udp_announce(a->upkt, a->cur->conn_id, a->utid, &a->req,
		a->cur->path);
	a->uphase = 2;
	return udp_xmit(a);
}

static int
conn_valid(const struct bt_announcer *a, const struct trk *t)
{
	return t->has_conn && bt_loop_now_ms(a->loop) - t->conn_ms < UDP_CONN_TTL_MS &&
		bt_addr_equal(&t->conn_addr, &a->uaddr);
}

static uint64_t
on_udp_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_announcer *a = ud;
	int rc;

	(void)id;
	a->tm_udp = 0;
	if (bt_loop_now_ms(loop) >= a->udeadline) {
		attempt_failed(a, 0, "Problem connecting to tracker - timeout exceeded");
		return BT_TIMER_STOP;
	}
	a->un++;
	if (a->uphase == 2 && !conn_valid(a, a->cur))
		rc = udp_send_connect(a);	/* the connection id ran out */
	else
		rc = udp_xmit(a);
	if (rc)
		udp_failed(a, rc);
	return BT_TIMER_STOP;
}

static void
udp_packet(struct bt_announcer *a, const uint8_t *p, size_t n)
{
	struct bt_ann_reply r;
	struct trk *t = a->cur;
	uint64_t cid = 0;
	int rc;

	peers_alloc(&r, n > 20 ? (n - 20) / BT_ADDR_COMPACT4 : 0);
	rc = bt_ann_udp_parse(p, n, a->utid, a->uaddr.ss_family == AF_INET6, &cid, &r);
	if (rc == 0 && a->uphase == 1) {
		t->has_conn = 1;
		t->conn_id = cid;
		t->conn_ms = bt_loop_now_ms(a->loop);
		t->conn_addr = a->uaddr;
		bt_timer_del(a->loop, a->tm_udp);
		a->tm_udp = 0;
		a->un = 0;
		if ((rc = udp_send_announce(a)) != 0)
			udp_failed(a, rc);
	} else if (rc == 1 && a->uphase == 2) {
		attempt_reply(a, &r);
	} else if (rc == 3) {
		t->has_conn = 0;	/* perhaps the id it refused */
		attempt_reply(a, &r);
	}
	free(r.peers);
}

/* The mux offers every datagram: ours is a BEP 15 reply carrying the
 * transaction we wait for, from where we sent it. */
static int
on_udp_recv(struct bt_udp *u, const struct sockaddr_storage *from, const uint8_t *p,
	size_t n, void *ud)
{
	struct bt_announcer *a = ud;

	(void)u;
	if (!a->busy || !a->cur->udp || a->uphase == 0 ||
	    bt_udp_kind(p, n) != BT_UDP_TRACKER || get32(p + 4) != a->utid ||
	    !bt_addr_equal(from, &a->uaddr))
		return 0;
	udp_packet(a, p, n);
	return 1;
}

/* With UDP trackers: listen on the shared mux, or on one of our own. */
static int
udp_attach(struct bt_announcer *a, struct bt_udp *shared)
{
	size_t k;
	int rc;

	for (k = 0; k < a->ntrk && !a->trk[k].udp; k++)
		;
	if (k == a->ntrk)
		return 0;
	if (shared) {
		a->udp = shared;
	} else {
		if ((rc = bt_udp_new(&a->udp, a->loop, NULL)) < 0)
			return rc;
		a->udp_own = 1;
	}
	a->udp_rx = bt_udp_listen(a->udp, on_udp_recv, a);
	return a->udp_rx ? 0 : BT_E_NOMEM;
}

static void
on_resolved(struct bt_loop *loop, int rc, const struct sockaddr_storage *addr, size_t n,
	void *ud)
{
	struct bt_announcer *a = ud;
	char msg[sizeof(a->lasterr)];
	int err = 0;

	a->res = NULL;
	if (rc < 0) {
		conn_text(msg, sizeof(msg), rc, 0);
		attempt_failed(a, 0, msg);
		return;
	}
	a->udeadline = bt_loop_now_ms(loop) + attempt_timeout_ms(a);
	/* The first address we can send to (no IPv6 route: the next). */
	for (size_t k = 0; k < n; k++) {
		a->uaddr = addr[k];
		a->un = 0;
		err = conn_valid(a, a->cur) ? udp_send_announce(a) : udp_send_connect(a);
		if (err == 0)
			return;
	}
	udp_failed(a, err ? err : EIO);
}

static int
udp_start(struct bt_announcer *a)
{
	int rc;

	a->uphase = 0;
	rc = bt_resolve(a->loop, a->cur->host, a->cur->port, a->family, on_resolved, a,
		&a->res);
	if (rc < 0) {
		a->res = NULL;
		conn_text(a->lasterr, sizeof(a->lasterr), rc, errno);
	}
	return rc;
}

/* Start an announce with event ev to t: 0 in flight, or < 0 with
 * a->lasterr set. */
static int
attempt_start(struct bt_announcer *a, struct trk *t, int ev)
{
	struct bt_ann_stats s = { 0, 0, 0, -1 };
	int rc;

	if (a->cb.stats)
		a->cb.stats(a->ud, &s);
	a->cur = t;
	a->req.uploaded = s.uploaded;
	a->req.downloaded = s.downloaded;
	a->req.left = s.left;
	a->req.event = ev;
	a->req.numwant = ev == BT_ANN_STOPPED ? 0 : s.numwant < 0 ? -1 : s.numwant;
	a->req.trackerid = t->trackerid[0] ? t->trackerid : NULL;
	a->busy = 1;
	rc = t->udp ? udp_start(a) : http_start(a);
	if (rc < 0)
		a->busy = 0;
	return rc;
}

static void
round_failed(struct bt_announcer *a)
{
	uint64_t d;
	unsigned sh = a->fails < 5 ? a->fails : 5;

	a->fails++;
	d = (uint64_t)ANN_RETRY_FIRST << sh;
	if (d > ANN_RETRY_MAX)
		d = ANN_RETRY_MAX;
	if (a->interval > 0 && d > (uint64_t)a->interval)
		d = (uint64_t)a->interval;
	schedule(a, d * 1000);
	if (!a->round_reported)
		emit(a, 'E', a->lasterr[0] ? a->lasterr :
			"Problem connecting to tracker - unspecified error");
}

/* Try trackers from a->pos on until one is in flight, else the round
 * has failed. */
static void
round_next(struct bt_announcer *a)
{
	while (a->pos < a->ntrk) {
		struct trk *t = a->order[a->pos];
		int ev = !t->started ? BT_ANN_STARTED :
			a->completed_pending ? BT_ANN_COMPLETED : BT_ANN_NONE;
		if (attempt_start(a, t, ev) == 0)
			return;
		a->pos++;
	}
	round_failed(a);
}

static uint64_t
on_next(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_announcer *a = ud;
	char *w;

	(void)id;
	a->tm_next = 0;
	a->due_ms = 0;
	if (a->stopping || a->busy)
		return BT_TIMER_STOP;
	w = a->skipped;
	a->skipped = NULL;
	a->pos = 0;
	a->round_reported = 0;
	a->lasterr[0] = 0;
	a->last_ms = bt_loop_now_ms(loop);
	round_next(a);
	if (w) {
		emit(a, 'W', w);
		free(w);
	}
	return BT_TIMER_STOP;
}

/* see announce.h */
int
bt_announcer_start(struct bt_announcer *a)
{
	if (a->running || a->stopping)
		return 0;
	a->running = 1;
	schedule(a, 0);
	return a->tm_next ? 0 : BT_E_NOMEM;
}

/* see announce.h */
void
bt_announcer_completed(struct bt_announcer *a)
{
	if (a->stopping || a->completed_called)
		return;
	a->completed_called = 1;
	a->completed_pending = 1;
	if (a->running && !a->busy)
		schedule(a, 0);
}

/* see announce.h */
void
bt_announcer_more_peers(struct bt_announcer *a)
{
	uint64_t now, at, gap;

	/* Not while failing (the back-off stands) or before a first answer. */
	if (!a->running || a->stopping || a->busy || a->fails || !a->good || !a->tm_next)
		return;
	gap = (uint64_t)(a->min_interval > ANN_INTERVAL_MIN ? a->min_interval :
		ANN_INTERVAL_MIN) * 1000;
	now = bt_loop_now_ms(a->loop);
	at = a->last_ms + gap;
	if (at < now)
		at = now;
	if (at < a->due_ms)
		schedule(a, at - now);
}

static uint64_t
on_stop_timeout(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_announcer *a = ud;

	(void)loop;
	(void)id;
	a->tm_stop = 0;
	stop_finish(a);
	return BT_TIMER_STOP;
}

/* see announce.h */
void
bt_announcer_stop(struct bt_announcer *a)
{
	if (a->stopping)
		return;
	a->stopping = 1;
	if (a->tm_next) {
		bt_timer_del(a->loop, a->tm_next);
		a->tm_next = 0;
	}
	a->due_ms = 0;
	attempt_end(a);
	if (a->good && a->good->started) {
		a->tm_stop = bt_timer_add(a->loop, a->stop_timeout_ms, on_stop_timeout, a);
		if (a->tm_stop && attempt_start(a, a->good, BT_ANN_STOPPED) == 0)
			return;
	}
	stop_finish(a);
}

/* see announce.h */
int64_t
bt_announcer_next_in(const struct bt_announcer *a)
{
	uint64_t now;

	if (!a->running || a->stopping)
		return -1;
	if (a->busy)
		return 0;
	if (!a->tm_next)
		return -1;
	now = bt_loop_now_ms(a->loop);
	return a->due_ms > now ? (int64_t)((a->due_ms - now + 999) / 1000) : 0;
}

/* see announce.h */
void
bt_announcer_swarm(const struct bt_announcer *a, int64_t *seeders, int64_t *leechers)
{
	if (seeders)
		*seeders = a->seeders;
	if (leechers)
		*leechers = a->leechers;
}

/* see announce.h */
const char *
bt_announcer_tracker(const struct bt_announcer *a)
{
	return a->good ? a->good->url : NULL;
}
