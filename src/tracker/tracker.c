/* tracker.c - see tracker.h */
#include "tracker.h"
#include "be.h"
#include "err.h"
#include "net.h"
#include "siphash.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UDP_MAX_SCRAPE 74	/* BEP 15 */
#define UDP_MAGIC 0x41727101980ULL

struct bt_tracker {
	struct bt_tracker_cfg c;
	struct bt_store *store;
	struct bt_store *t2t;		/* peers learned from other trackers */
	struct bt_sipkey udp_key;
	struct bt_allowed *allowed;	/* sorted by info hash */
	size_t nallowed;
	struct bt_tracker_counters n;
	uint8_t *peers;			/* reply scratch: response_size records */
	uint8_t *peers2;		/* and addresses from other trackers */
	uint8_t *cflags;		/* and their crypto flags */
	uint8_t (*seeded)[20];		/* torrents a dedicated seed serves, sorted */
	size_t nseeded, capseeded;
};

void
bt_tracker_cfg_default(struct bt_tracker_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->interval = 1800;
	c->min_interval = 900;
	c->response_size = 50;
	c->compact_reqd = 1;
	c->nat_check = 3;
	c->only_local_override_ip = 2;
	c->scrape_allowed = BT_SCRAPE_FULL;
	c->show_names = 1;
	c->udp_key_period = 120;
}

struct bt_tracker *
bt_tracker_new(const struct bt_tracker_cfg *c)
{
	struct bt_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->c = *c;
	if (t->c.response_size == 0)
		t->c.response_size = 1;
	if (t->c.response_size > 1000)
		t->c.response_size = 1000;
	if (!t->c.udp_key_period)
		t->c.udp_key_period = 120;
	struct bt_store_opts so = { .keep_ids = !c->compact_reqd, .keep_dead = c->keep_dead };
	t->store = bt_store_new(&so);
	t->t2t = bt_store_new(NULL);
	t->peers = malloc((size_t)t->c.response_size * (18 + 20));
	t->peers2 = malloc((size_t)t->c.response_size * 18);
	t->cflags = malloc(t->c.response_size);
	if (!t->store || !t->t2t || !t->peers || !t->peers2 || !t->cflags) {
		bt_tracker_free(t);
		return NULL;
	}
	bt_sipkey_random(&t->udp_key);
	return t;
}

static void
free_allowed(struct bt_allowed *a, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(a[k].name);
		free(a[k].path);
		free(a[k].failure);
		free(a[k].warning);
		for (size_t u = 0; u < a[k].ntrackers; u++)
			free(a[k].trackers[u]);
		free(a[k].trackers);
	}
	free(a);
}

void
bt_tracker_free(struct bt_tracker *t)
{
	if (!t)
		return;
	bt_store_free(t->store);
	bt_store_free(t->t2t);
	free_allowed(t->allowed, t->nallowed);
	free(t->peers);
	free(t->peers2);
	free(t->cflags);
	free(t->seeded);
	free(t);
}

struct bt_store *
bt_tracker_store(struct bt_tracker *t)
{
	return t->store;
}

const struct bt_tracker_counters *
bt_tracker_counters(const struct bt_tracker *t)
{
	return &t->n;
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* Info hashes of the store's torrents, gathered by bt_store_each_torrent. */
struct full {
	uint8_t *h;
	size_t n, cap;
};

/* Add an info hash to the list; -1 when out of memory. */
static int
full_add(struct full *f, const uint8_t *h)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 1024;
		uint8_t *nh = realloc(f->h, nc * 20);
		if (!nh)
			return -1;
		f->h = nh;
		f->cap = nc;
	}
	memcpy(f->h + 20 * f->n++, h, 20);
	return 0;
}

static int
collect(void *ud, const struct bt_store_torrent_info *ti)
{
	return full_add(ud, ti->info_hash) < 0;
}

static int
cmp_allowed(const void *a, const void *b)
{
	return memcmp(((const struct bt_allowed *)a)->info_hash,
		((const struct bt_allowed *)b)->info_hash, 20);
}

int
bt_tracker_set_allowed(struct bt_tracker *t, const struct bt_allowed *a, size_t n)
{
	struct bt_allowed *na = calloc(n ? n : 1, sizeof(*na));
	if (!na)
		return BT_E_NOMEM;
	for (size_t k = 0; k < n; k++) {
		na[k] = a[k];
		na[k].name = a[k].name ? strdup(a[k].name) : NULL;
		na[k].path = a[k].path ? strdup(a[k].path) : NULL;
		na[k].failure = a[k].failure ? strdup(a[k].failure) : NULL;
		na[k].warning = a[k].warning ? strdup(a[k].warning) : NULL;
		na[k].trackers = NULL;
		na[k].ntrackers = 0;
		int bad = (a[k].name && !na[k].name) || (a[k].path && !na[k].path) ||
			(a[k].failure && !na[k].failure) || (a[k].warning && !na[k].warning);
		if (!bad && a[k].ntrackers) {
			na[k].trackers = calloc(a[k].ntrackers, sizeof(char *));
			bad = !na[k].trackers;
			for (size_t u = 0; !bad && u < a[k].ntrackers; u++) {
				if (!(na[k].trackers[u] = strdup(a[k].trackers[u])))
					bad = 1;
				na[k].ntrackers = u + 1;
			}
		}
		if (bad) {
			free_allowed(na, k + 1);
			return BT_E_NOMEM;
		}
	}
	qsort(na, n, sizeof(*na), cmp_allowed);
	free_allowed(t->allowed, t->nallowed);
	t->allowed = na;
	t->nallowed = n;
	/* Allowed torrents are always listed, peers or not. */
	for (size_t k = 0; k < n; k++)
		bt_store_touch(t->store, na[k].info_hash, 1, 0);
	return 0;
}

const struct bt_allowed *
bt_tracker_allowed(const struct bt_tracker *t, const uint8_t *info_hash)
{
	struct bt_allowed key;
	if (!t->nallowed)
		return NULL;
	memcpy(key.info_hash, info_hash, 20);
	return bsearch(&key, t->allowed, t->nallowed, sizeof(key), cmp_allowed);
}

void
bt_tracker_prune(struct bt_tracker *t)
{
	struct full f = { 0 };
	if (!t->c.restricted)
		return;
	bt_store_each_torrent(t->store, collect, &f);
	for (size_t k = 0; k < f.n; k++)
		if (!bt_tracker_allowed(t, f.h + 20 * k))
			bt_store_drop(t->store, f.h + 20 * k);
	free(f.h);
}

const struct bt_allowed *
bt_tracker_allowed_list(const struct bt_tracker *t, size_t *n)
{
	*n = t->nallowed;
	return t->allowed;
}

const struct bt_tracker_cfg *
bt_tracker_cfg(const struct bt_tracker *t)
{
	return &t->c;
}

/* ---- replies ---- */

static void
benc_str(struct bt_buf *b, const void *p, size_t n)
{
	bt_buf_printf(b, "%zu:", n);
	bt_buf_add(b, p, n);
}

static void
failure(struct bt_tracker *t, struct bt_tracker_resp *resp, struct bt_buf *body,
	int status, const char *reason, const char *msg)
{
	t->n.errors++;
	resp->status = status;
	resp->reason = reason;
	resp->ctype = "text/plain";
	resp->no_cache = 1;
	bt_buf_adds(body, "d14:failure reason");
	benc_str(body, msg, strlen(msg));
	bt_buf_addc(body, 'e');
}

static void
garbage(struct bt_tracker *t, struct bt_tracker_resp *resp, struct bt_buf *body,
	const char *what)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "you sent me garbage - %s", what);
	failure(t, resp, body, 400, "Bad Request", msg);
}

static const char not_authorized[] =
	"Requested download is not authorized for use with this tracker.";

/* ---- announce ---- */

struct ann {
	uint8_t hash[20], id[20];
	int has_hash, has_id, has_port, has_left, has_key, has_ip, check_seeded, is_t2t;
	char seed_id[64], password[64];
	long port;
	int64_t left;
	int event, compact, no_peer_id, crypto_ok, crypto_req;
	long numwant;
	uint32_t key;
	char ip[64];
};

static int
is_key(const char *k, size_t kl, const char *name)
{
	return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* A decimal integer; 0 or -1. */
static int
parse_num(const char *v, size_t n, int64_t *out)
{
	int neg = 0;
	uint64_t x = 0;
	size_t i = 0;
	if (!v || !n)
		return -1;
	if (v[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n || n - i > 18)
		return -1;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

/* FNV-1a: the key only has to be compared, not kept. */
static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Fill a from the query; returns NULL or the garbage message. */
static const char *
parse_announce(const char *q, size_t qlen, struct ann *a)
{
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl;
	int64_t x;
	uint8_t tmp[64];
	int n;

	memset(a, 0, sizeof(*a));
	a->numwant = -1;
	bt_http_query_init(&it, q, qlen);
	while (bt_http_query_next(&it, &k, &kl, &v, &vl)) {
		if (is_key(k, kl, "info_hash") || is_key(k, kl, "peer_id")) {
			int hash = k[0] == 'i';
			n = bt_http_decode(v ? v : "", vl, tmp, sizeof(tmp), BT_HTTP_PLUS);
			if (n == BT_E_PARSE)
				return "bad %-escape";
			if (n != 20)
				return hash ? "invalid length for Infohash" : "id not of length 20";
			memcpy(hash ? a->hash : a->id, tmp, 20);
			*(hash ? &a->has_hash : &a->has_id) = 1;
		} else if (is_key(k, kl, "port") || is_key(k, kl, "cryptoport")) {
			if (parse_num(v, vl, &x) < 0 || x < 0 || x > 65535)
				return "invalid port";
			if (!a->has_port || k[0] == 'c')
				a->port = (long)x;
			a->has_port = 1;
		} else if (is_key(k, kl, "left")) {
			if (parse_num(v, vl, &x) < 0)
				return "amount left not sent";
			if (x < 0)
				return "invalid amount left";
			a->left = x;
			a->has_left = 1;
		} else if (is_key(k, kl, "event")) {
			if (!v || vl == 0 || (vl == 7 && !memcmp(v, "snooped", 7)))
				a->event = BT_STORE_EV_NONE;
			else if (vl == 7 && !memcmp(v, "started", 7))
				a->event = BT_STORE_EV_STARTED;
			else if (vl == 9 && !memcmp(v, "completed", 9))
				a->event = BT_STORE_EV_COMPLETED;
			else if (vl == 7 && !memcmp(v, "stopped", 7))
				a->event = BT_STORE_EV_STOPPED;
			else
				return "invalid event";
		} else if (is_key(k, kl, "compact")) {
			a->compact = parse_num(v, vl, &x) == 0 && x != 0;
		} else if (is_key(k, kl, "no_peer_id")) {
			a->no_peer_id = parse_num(v, vl, &x) == 0 && x != 0;
		} else if (is_key(k, kl, "supportcrypto")) {
			a->crypto_ok = parse_num(v, vl, &x) == 0 && x != 0;
		} else if (is_key(k, kl, "requirecrypto")) {
			a->crypto_req = parse_num(v, vl, &x) == 0 && x != 0;
		} else if (is_key(k, kl, "numwant") || is_key(k, kl, "num_want")) {
			if (parse_num(v, vl, &x) == 0 && x >= 0)
				a->numwant = x > 100000 ? 100000 : (long)x;
		} else if (is_key(k, kl, "key")) {
			n = bt_http_decode(v ? v : "", vl, tmp, sizeof(tmp), BT_HTTP_PLUS);
			if (n < 0)
				return "bad key";
			a->key = fnv(tmp, (size_t)n);
			a->has_key = 1;
		} else if (is_key(k, kl, "seed_id") || is_key(k, kl, "password")) {
			char *dst = k[0] == 's' ? a->seed_id : a->password;
			n = bt_http_decode(v ? v : "", vl, (uint8_t *)dst, 63, BT_HTTP_PLUS);
			dst[n > 0 ? n : 0] = 0;
		} else if (is_key(k, kl, "tracker")) {
			a->is_t2t = 1;
		} else if (is_key(k, kl, "check_seeded")) {
			a->check_seeded = parse_num(v, vl, &x) == 0 && x != 0;
		} else if (is_key(k, kl, "ip")) {
			n = bt_http_decode(v ? v : "", vl, (uint8_t *)a->ip, sizeof(a->ip) - 1,
				BT_HTTP_PLUS);
			if (n >= 0) {
				a->ip[n] = 0;
				a->has_ip = n > 0;
			}
		}
	}
	if (!a->has_hash)
		return "no info hash";
	if (!a->has_id)
		return "id not of length 20";
	if (!a->has_port)
		return "invalid port";
	if (!a->has_left)
		return "amount left not sent";
	return NULL;
}

static int
override_allowed(const struct bt_tracker *t, const struct sockaddr_storage *peer)
{
	int mode = t->c.only_local_override_ip;
	if (mode == 2)
		mode = t->c.nat_check ? 0 : 1;
	return mode == 0 || bt_addr_is_local(peer);
}

/* A usable address from a proxy header value, or -1. */
static int
addr_from_text(struct sockaddr_storage *out, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (bt_addr_parse(out, s, n, 0) < 0)
		return -1;
	return bt_addr_is_local(out) ? -1 : 0;
}

/* The address to record for the requester (BitTornado's rules). */
static void
requester_addr(const struct bt_tracker *t, const struct bt_tracker_req *r,
	const struct ann *a, struct sockaddr_storage *out, int *override)
{
	*out = *r->peer;
	bt_addr_normalize(out);
	*override = 0;
	if (!override_allowed(t, r->peer))
		return;
	const struct bt_http_hdr *h = bt_http_header(r->http, "X-Forwarded-For");
	struct sockaddr_storage x;
	if (h) {
		/* The first entry, or else the second. */
		const char *v = h->value, *end = v + h->value_len;
		const char *comma = memchr(v, ',', h->value_len);
		if (addr_from_text(&x, v, (size_t)((comma ? comma : end) - v)) == 0 ||
		    (comma && addr_from_text(&x, comma + 1, (size_t)(end - comma - 1)) == 0))
			*out = x;
	}
	if (a->has_ip && bt_addr_parse(&x, a->ip, strlen(a->ip), 0) == 0) {
		bt_addr_normalize(&x);
		*out = x;
	}
	/* Another address than the connection's; the port does not count
	 * (bt_addr_equal takes IPv4-mapped as IPv4). */
	struct sockaddr_storage a1 = *out, a2 = *r->peer;
	bt_addr_set_port(&a1, 0);
	bt_addr_set_port(&a2, 0);
	*override = !bt_addr_equal(&a1, &a2);
}

/* A non-compact peer: {ip, peer id (if id), port} from a compact address. */
static void
put_peer_dict(struct bt_buf *b, const uint8_t *rec, size_t alen, const uint8_t *id)
{
	struct sockaddr_storage ss;
	char txt[BT_ADDR_STRLEN];
	if (bt_addr_unpack(&ss, rec, alen) < 0 ||
	    bt_addr_format(&ss, txt, sizeof(txt), BT_ADDR_NOPORT) < 0)
		txt[0] = 0;
	bt_buf_adds(b, "d2:ip");
	benc_str(b, txt, strlen(txt));
	if (id) {
		bt_buf_adds(b, "7:peer id");
		benc_str(b, id, 20);
	}
	bt_buf_printf(b, "4:porti%ue", (unsigned)get16(rec + alen - 2));
	bt_buf_addc(b, 'e');
}

/* Seeds are given only leechers (BitTornado), except on a "started"
 * announce with left=0: that is also what a client fetching a magnet
 * link's metadata sends (aria2: it knows no size yet), and it needs
 * whoever has the torrent.  opentracker never leaves seeds out (it puts
 * them last), so a seed starting up and given seeds loses nothing. */
static int
seeds_too(int64_t left, int event)
{
	return left == 0 && event == BT_STORE_EV_STARTED;
}

static int
is_seeded(const struct bt_tracker *t, const uint8_t *hash)
{
	return t->nseeded && bsearch(hash, t->seeded, t->nseeded, 20, cmp_hash) != NULL;
}

static void
mark_seeded(struct bt_tracker *t, const uint8_t *hash)
{
	size_t i = 0;
	if (is_seeded(t, hash))
		return;
	if (t->nseeded == t->capseeded) {
		size_t nc = t->capseeded ? t->capseeded * 2 : 16;
		uint8_t (*ns)[20] = realloc(t->seeded, nc * 20);
		if (!ns)
			return;
		t->seeded = ns;
		t->capseeded = nc;
	}
	while (i < t->nseeded && memcmp(t->seeded[i], hash, 20) < 0)
		i++;
	memmove(t->seeded[i + 1], t->seeded[i], (t->nseeded - i) * 20);
	memcpy(t->seeded[i], hash, 20);
	t->nseeded++;
}

static int
aggregator_on(const struct bt_tracker *t)
{
	const char *g = t->c.aggregator;
	return g && *g && strcmp(g, "0") != 0;
}

static void
announce(struct bt_tracker *t, const struct bt_tracker_req *r, struct bt_tracker_resp *resp,
	struct bt_buf *body)
{
	struct ann a;
	const char *bad = parse_announce(r->http->query, r->http->query_len, &a);
	struct sockaddr_storage addr;
	int override;
	uint8_t compact[18];

	t->n.announces++;
	if (bad) {
		garbage(t, resp, body, bad);
		return;
	}
	const struct bt_allowed *al = bt_tracker_allowed(t, a.hash);
	int agg = aggregator_on(t);
	if ((t->c.restricted && !al) ||
	    (agg && strcmp(t->c.aggregator, "1") != 0 && strcmp(a.password, t->c.aggregator) != 0)) {
		t->n.denied++;
		failure(t, resp, body, 200, "Not Authorized", not_authorized);
		return;
	}
	if (t->c.allowed_controls && al && al->failure) {
		failure(t, resp, body, 200, "Not Authorized", al->failure);
		return;
	}
	if (a.is_t2t) {
		if (!memcmp(a.id, t->c.tracker_id, 20) || t->c.multitracker_allowed == BT_T2T_NONE) {
			failure(t, resp, body, 200, "Not Authorized", "disallowed");
			return;
		}
		if (t->c.multitracker_allowed == BT_T2T_AUTODETECT && !(al && al->multitracker)) {
			failure(t, resp, body, 200, "Not Authorized",
				"Requested download is not authorized for multitracker use.");
			return;
		}
	} else {
		resp->forward = 1;
	}
	if (!a.compact && t->c.compact_reqd && !agg) {
		failure(t, resp, body, 400, "Bad Request", "your client is outdated, please upgrade");
		return;
	}
	requester_addr(t, r, &a, &addr, &override);
	bt_addr_set_port(&addr, (uint16_t)a.port);
	size_t alen = bt_addr_pack(compact, &addr);
	if (!alen) {
		garbage(t, resp, body, "unusable address");
		return;
	}

	struct bt_store_req sr = {
		.info_hash = a.hash, .addr = compact, .addr_len = alen, .peer_id = a.id,
		.event = a.event, .seed = a.left == 0,
		.seeds_too = seeds_too(a.left, a.event),
		.override = override, .has_key = a.has_key, .key = a.key,
		.numwant = (unsigned)(a.numwant < 0 || (unsigned long)a.numwant > t->c.response_size
			? t->c.response_size : (unsigned long)a.numwant),
	};
	if (a.crypto_ok || a.crypto_req) {
		sr.flags |= BT_PEER_CRYPTO_OK;
		sr.crypto_out = t->cflags;
	}
	if (a.crypto_req)
		sr.flags |= BT_PEER_CRYPTO_REQ;
	/* Hand a peer out at once when it cannot be checked or need not be
	 * (an aggregator does no NAT checks). */
	int local = bt_addr_is_local(&addr);
	if (a.port != 0 && (local || t->c.nat_check == 0 || agg))
		sr.flags |= BT_PEER_REACHABLE;
	if (agg)
		sr.numwant = 0;
	if (t->c.dedicated_seed_id && *t->c.dedicated_seed_id && a.left == 0 &&
	    strcmp(a.seed_id, t->c.dedicated_seed_id) == 0)
		mark_seeded(t, a.hash);

	struct bt_store_reply rep;
	size_t extra = 0;
	if (a.is_t2t) {
		/* Another tracker asks: answer from our own peers, record nothing. */
		memset(&rep, 0, sizeof(rep));
		rep.rec_len = alen;
		bt_store_counts(t->store, a.hash, &rep.complete, &rep.incomplete, &rep.downloaded);
		rep.npeers = bt_store_sample(t->store, a.hash, alen, 0, sr.flags, NULL,
			sr.numwant, t->peers);
		if (sr.crypto_out)
			memset(t->cflags, 0, rep.npeers);
	} else if (bt_store_announce(t->store, &sr, t->peers, &rep) < 0) {
		failure(t, resp, body, 500, "Internal Server Error", "out of memory");
		return;
	} else if (rep.npeers < sr.numwant && a.event != BT_STORE_EV_STOPPED) {
		extra = bt_store_sample(t->t2t, a.hash, alen, sr.seed && !sr.seeds_too, sr.flags, compact,
			sr.numwant - (unsigned)rep.npeers, t->peers2);
		if (sr.crypto_out)
			memset(t->cflags + rep.npeers, 0, extra);
	}
	/* New peers are checked; unreachable ones again on later announces
	 * until they have failed nat_check times (BitTornado's rule). */
	if (!a.is_t2t && a.port != 0 && !(sr.flags & BT_PEER_REACHABLE) && !rep.reachable &&
	    a.event != BT_STORE_EV_STOPPED && !rep.denied &&
	    (rep.is_new || rep.nat_failures < (unsigned)t->c.nat_check)) {
		resp->check_peer = 1;
		resp->check_addr = addr;
		memcpy(resp->check_hash, a.hash, 20);
		memcpy(resp->check_id, a.id, 20);
	}

	resp->status = 200;
	resp->ctype = "text/plain";
	resp->no_cache = 1;
	if (agg) {
		bt_buf_adds(body, "d8:response2:OKe");
		return;
	}
	bt_buf_printf(body, "d8:completei%ue", rep.complete);
	if (sr.crypto_out) {
		bt_buf_adds(body, "12:crypto_flags");
		benc_str(body, t->cflags, rep.npeers + extra);
	}
	bt_buf_printf(body, "10:downloadedi%ue11:external ip", rep.downloaded);
	benc_str(body, compact, alen - 2);
	bt_buf_printf(body, "10:incompletei%ue8:intervali%ue12:min intervali%ue",
		rep.incomplete, t->c.interval, t->c.min_interval);
	if (a.compact) {
		bt_buf_printf(body, alen == 6 ? "5:peers%zu:" : "5:peers0:6:peers6%zu:",
			(rep.npeers + extra) * alen);
		if (rep.rec_len == alen) {
			bt_buf_add(body, t->peers, rep.npeers * alen);
		} else {	/* records carry peer ids: take the addresses only */
			for (size_t k = 0; k < rep.npeers; k++)
				bt_buf_add(body, t->peers + k * rep.rec_len, alen);
		}
		bt_buf_add(body, t->peers2, extra * alen);
	} else {
		int ids = !a.no_peer_id && rep.rec_len == alen + 20;
		bt_buf_adds(body, "5:peersl");
		for (size_t k = 0; k < rep.npeers; k++) {
			const uint8_t *p = t->peers + k * rep.rec_len;
			put_peer_dict(body, p, alen, ids ? p + alen : NULL);
		}
		for (size_t k = 0; k < extra; k++)	/* from other trackers: no ids */
			put_peer_dict(body, t->peers2 + k * alen, alen, NULL);
		bt_buf_addc(body, 'e');
	}
	if (a.check_seeded)
		bt_buf_printf(body, "6:seededi%de", is_seeded(t, a.hash));
	if (t->c.allowed_controls && al && al->warning) {
		bt_buf_adds(body, "15:warning message");
		benc_str(body, al->warning, strlen(al->warning));
	}
	bt_buf_addc(body, 'e');
}

/* ---- scrape ---- */

static void
scrape_entry(struct bt_tracker *t, struct bt_buf *body, const uint8_t *h,
	uint32_t c, uint32_t i, uint32_t d)
{
	const struct bt_allowed *al;
	benc_str(body, h, 20);
	bt_buf_printf(body, "d8:completei%ue10:downloadedi%ue10:incompletei%ue", c, d, i);
	if (t->c.show_names && (al = bt_tracker_allowed(t, h)) && al->name) {
		bt_buf_adds(body, "4:name");
		benc_str(body, al->name, strlen(al->name));
	}
	bt_buf_addc(body, 'e');
}

/* The info hashes a scrape names, into f; 0, or -1 after a reply. */
static int
scrape_hashes(struct bt_tracker *t, const struct bt_tracker_req *r, struct bt_tracker_resp *resp,
	struct bt_buf *body, struct full *f)
{
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl;

	bt_http_query_init(&it, r->http->query, r->http->query ? r->http->query_len : 0);
	while (bt_http_query_next(&it, &k, &kl, &v, &vl)) {
		if (!is_key(k, kl, "info_hash"))
			continue;
		uint8_t tmp[21];
		int n = bt_http_decode(v ? v : "", vl, tmp, sizeof(tmp), BT_HTTP_PLUS);
		if (n != 20) {
			garbage(t, resp, body, "invalid length for Infohash");
			return -1;
		}
		if (f->n == BT_TRACKER_SCRAPE_MAX) {
			garbage(t, resp, body, "too many info hashes");
			return -1;
		}
		if (full_add(f, tmp) < 0) {
			body->err = BT_E_NOMEM;
			return -1;
		}
	}
	return 0;
}

static void
scrape(struct bt_tracker *t, const struct bt_tracker_req *r, struct bt_tracker_resp *resp,
	struct bt_buf *body)
{
	struct full f = { 0 };

	t->n.scrapes++;
	if (scrape_hashes(t, r, resp, body, &f) < 0)
		goto out;
	if (f.n == 0 && t->c.scrape_allowed != BT_SCRAPE_FULL) {
		failure(t, resp, body, 400, "Not Authorized",
			"full scrape function is not available with this tracker.");
		goto out;
	}
	if (f.n && t->c.scrape_allowed == BT_SCRAPE_NONE) {
		failure(t, resp, body, 400, "Not Authorized",
			"specific scrape function is not available with this tracker.");
		goto out;
	}
	resp->status = 200;
	resp->ctype = "text/plain";
	bt_buf_adds(body, "d5:filesd");
	/* The hashes asked for, or every torrent's; in order, once each. */
	if (!f.n) {
		t->n.full_scrapes++;
		bt_store_each_torrent(t->store, collect, &f);
	}
	if (f.n > 1)
		qsort(f.h, f.n, 20, cmp_hash);
	for (size_t j = 0; j < f.n; j++) {
		const uint8_t *h = f.h + 20 * j;
		uint32_t c, i, d;
		if (j && !memcmp(h, h - 20, 20))
			continue;
		if (t->c.restricted && !bt_tracker_allowed(t, h))
			continue;
		if (bt_store_counts(t->store, h, &c, &i, &d) == 0)
			scrape_entry(t, body, h, c, i, d);
	}
	bt_buf_adds(body, "ee");
out:
	free(f.h);
}

int
bt_tracker_http(struct bt_tracker *t, const struct bt_tracker_req *r,
	struct bt_tracker_resp *resp, struct bt_buf *body)
{
	const struct bt_http_req *h = r->http;
	memset(resp, 0, sizeof(*resp));
	if (bt_http_path_is(h, "/announce") || bt_http_path_is(h, "/announce.php") ||
	    bt_http_path_is(h, "/tracker.php/announce"))
		announce(t, r, resp, body);
	else if (bt_http_path_is(h, "/scrape") || bt_http_path_is(h, "/scrape.php") ||
	    bt_http_path_is(h, "/tracker.php/scrape"))
		scrape(t, r, resp, body);
	return body->err;
}

void
bt_tracker_t2t_add(struct bt_tracker *t, const uint8_t *info_hash,
	const uint8_t *peers, size_t n, size_t addr_len)
{
	struct bt_store_reply rep;
	for (size_t k = 0; k < n; k++) {
		struct bt_store_req r = {
			.info_hash = info_hash, .addr = peers + k * addr_len, .addr_len = addr_len,
			.flags = BT_PEER_REACHABLE,
		};
		if (bt_store_announce(t->t2t, &r, NULL, &rep) < 0)
			return;
	}
}

int
bt_tracker_t2t_query(const struct bt_tracker *t, const uint8_t *info_hash,
	uint16_t port, unsigned want, struct bt_buf *out)
{
	bt_buf_adds(out, "info_hash=");
	bt_http_encode(out, info_hash, 20);
	bt_buf_adds(out, "&peer_id=");
	bt_http_encode(out, t->c.tracker_id, 20);
	bt_buf_printf(out, "&port=%u&uploaded=0&downloaded=0&left=1&compact=1&numwant=%u&tracker=1",
		port, want);
	return out->err;
}

size_t
bt_tracker_sweep(struct bt_tracker *t)
{
	bt_store_sweep(t->t2t);
	return bt_store_sweep(t->store);
}

void
bt_tracker_nat_result(struct bt_tracker *t, const uint8_t *info_hash,
	const struct sockaddr_storage *addr, int ok)
{
	uint8_t c[18];
	size_t n = bt_addr_pack(c, addr);
	if (n)
		bt_store_set_reachable(t->store, info_hash, c, n, ok);
}

/* ---- UDP (BEP 15) ---- */

/* A connection id bound to the sender's IP address (not its port: clients
 * such as libtorrent share one id among all their sockets) and a time
 * slot: nothing is stored, nothing can be guessed without the key. */
static uint64_t
udp_conn_id(const struct bt_tracker *t, const struct sockaddr_storage *from, uint64_t slot)
{
	uint8_t m[18 + 8];
	struct sockaddr_storage ip = *from;
	bt_addr_set_port(&ip, 0);
	size_t n = bt_addr_pack(m, &ip);
	for (int i = 0; i < 8; i++)
		m[n + (size_t)i] = (uint8_t)(slot >> (8 * i));
	return bt_siphash(&t->udp_key, m, n + 8);
}

static size_t
udp_error(uint32_t tid, const char *msg, uint8_t *out, size_t cap)
{
	size_t n = strlen(msg);
	if (8 + n > cap)
		n = cap - 8;
	put32(out, 3);
	put32(out + 4, tid);
	memcpy(out + 8, msg, n);
	return 8 + n;
}

size_t
bt_tracker_udp(struct bt_tracker *t, const uint8_t *pkt, size_t n,
	const struct sockaddr_storage *from, time_t now, uint8_t *out, size_t cap)
{
	struct sockaddr_storage src = *from;
	uint64_t slot = (uint64_t)now / t->c.udp_key_period;

	bt_addr_normalize(&src);
	if (n < 16 || cap < BT_TRACKER_UDP_MAX)
		return 0;
	uint64_t cid = get64(pkt);
	uint32_t action = get32(pkt + 8), tid = get32(pkt + 12);

	if (action == 0) {
		if (cid != UDP_MAGIC)
			return 0;
		t->n.udp_connects++;
		put32(out, 0);
		put32(out + 4, tid);
		put64(out + 8, udp_conn_id(t, &src, slot));
		return 16;
	}
	if (cid != udp_conn_id(t, &src, slot) && cid != udp_conn_id(t, &src, slot - 1))
		return udp_error(tid, "bad connection id", out, cap);

	if (action == 1) {
		if (n < 98)
			return udp_error(tid, "announce too short", out, cap);
		t->n.udp_announces++;
		const uint8_t *hash = pkt + 16, *id = pkt + 36;
		int64_t left = (int64_t)get64(pkt + 64);
		uint32_t ev = get32(pkt + 80), ip = get32(pkt + 84), key = get32(pkt + 88);
		int32_t want = (int32_t)get32(pkt + 92);
		uint16_t port = get16(pkt + 96);
		static const int evmap[] = { BT_STORE_EV_NONE, BT_STORE_EV_COMPLETED,
			BT_STORE_EV_STARTED, BT_STORE_EV_STOPPED };
		if (ev > 3)
			return udp_error(tid, "invalid event", out, cap);
		if (left < 0)
			return udp_error(tid, "invalid amount left", out, cap);
		if (t->c.restricted && !bt_tracker_allowed(t, hash)) {
			t->n.denied++;
			return udp_error(tid, not_authorized, out, cap);
		}
		struct sockaddr_storage addr = src;
		int override = 0;
		if (ip && src.ss_family == AF_INET && override_allowed(t, &src)) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&addr;
			override = sin->sin_addr.s_addr != htonl(ip);
			sin->sin_addr.s_addr = htonl(ip);
		}
		bt_addr_set_port(&addr, port);
		uint8_t compact[18];
		size_t alen = bt_addr_pack(compact, &addr);
		struct bt_store_req sr = {
			.info_hash = hash, .addr = compact, .addr_len = alen, .peer_id = id,
			.event = evmap[ev], .seed = left == 0, .override = override,
			.seeds_too = seeds_too(left, evmap[ev]),
			.has_key = 1, .key = key, .flags = BT_PEER_CRYPTO_OK,
			.numwant = want < 0 || (uint32_t)want > t->c.response_size
				? t->c.response_size : (unsigned)want,
		};
		if (port != 0 && (bt_addr_is_local(&addr) || t->c.nat_check == 0))
			sr.flags |= BT_PEER_REACHABLE;
		struct bt_store_reply rep;
		if (bt_store_announce(t->store, &sr, t->peers, &rep) < 0)
			return udp_error(tid, "out of memory", out, cap);
		/* UDP peers are not NAT-checked: the datagram proves little, and
		 * BEP 15 clients are modern; hand them out. */
		if (rep.is_new && port != 0 && !(sr.flags & BT_PEER_REACHABLE))
			bt_store_set_reachable(t->store, hash, compact, alen, 1);
		put32(out, 1);
		put32(out + 4, tid);
		put32(out + 8, t->c.interval);
		put32(out + 12, rep.incomplete);
		put32(out + 16, rep.complete);
		size_t len = 20;
		for (size_t k = 0; k < rep.npeers && len + alen <= cap; k++) {
			memcpy(out + len, t->peers + k * rep.rec_len, alen);
			len += alen;
		}
		return len;
	}
	if (action == 2) {
		size_t nh = (n - 16) / 20;
		if (nh == 0 || nh > UDP_MAX_SCRAPE)
			return udp_error(tid, "bad scrape", out, cap);
		if (t->c.scrape_allowed == BT_SCRAPE_NONE)
			return udp_error(tid, "specific scrape function is not available with this tracker.",
				out, cap);
		t->n.udp_scrapes++;
		put32(out, 2);
		put32(out + 4, tid);
		for (size_t k = 0; k < nh; k++) {
			uint32_t c = 0, i = 0, d = 0;
			const uint8_t *h = pkt + 16 + 20 * k;
			if (!t->c.restricted || bt_tracker_allowed(t, h))
				bt_store_counts(t->store, h, &c, &i, &d);
			put32(out + 8 + 12 * k, c);
			put32(out + 12 + 12 * k, d);
			put32(out + 16 + 12 * k, i);
		}
		return 8 + 12 * nh;
	}
	return udp_error(tid, "unknown action", out, cap);
}
