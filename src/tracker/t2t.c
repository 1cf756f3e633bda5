/* t2t.c - see t2t.h */
#include "t2t.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "httpc.h"
#include "net.h"
#include "reactor.h"
#include "siphash.h"

#include <stdlib.h>
#include <string.h>

#define REPLY_MAX (256u << 10)	/* largest answer read from another tracker */

/* A request we sent: a poll, or a forwarded announce. */
struct out_req {
	struct bt_t2t *x;
	struct bt_httpc *h;
	uint8_t hash[20];
	uint64_t pair;		/* poll: hash of (torrent, tracker URL), else 0 */
};

struct bt_t2t {
	struct bt_loop *loop;
	struct bt_tracker *t;
	struct bt_t2t_opts o;
	char *fwd_url, *fwd_pw;
	struct out_req *out[BT_T2T_OUT_MAX];
	size_t nout;
	uint64_t *refused;	/* (torrent, tracker) pairs that said no */
	size_t nrefused;
	size_t next;		/* where the last poll round stopped */
	uint64_t timer;
	int stopping;
};

void
bt_t2t_random_id(uint8_t id[20])
{
	static const char az[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	struct bt_sipkey k;

	bt_sipkey_random(&k);
	memcpy(id, "-BTT2T-", 8);	/* the NUL too: the id has always had it */
	for (int i = 8; i < 20; i++) {
		id[i] = (uint8_t)az[(k.k0 ^ (k.k1 >> (i * 3))) % 62];
		k.k0 = k.k0 * 6364136223846793005ULL + 1442695040888963407ULL;
	}
}

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
refused(const struct bt_t2t *x, uint64_t pair)
{
	for (size_t k = 0; k < x->nrefused; k++)
		if (x->refused[k] == pair)
			return 1;
	return 0;
}

static void
refuse(struct bt_t2t *x, uint64_t pair)
{
	if (x->nrefused >= BT_T2T_REFUSED_MAX)
		return;
	uint64_t *n = realloc(x->refused, (x->nrefused + 1) * sizeof(*n));
	if (!n)
		return;
	x->refused = n;
	x->refused[x->nrefused++] = pair;
}

static void
out_done(struct out_req *o)
{
	struct bt_t2t *x = o->x;
	for (size_t k = 0; k < x->nout; k++)
		if (x->out[k] == o) {
			x->out[k] = x->out[--x->nout];
			break;
		}
	free(o);
}

/* Peers given as a list of dictionaries with "ip" and "port". */
static void
add_dict_peers(struct bt_t2t *x, const uint8_t *hash, const struct bt_benc *d, int pe)
{
	for (int j = bt_benc_first(d, pe); j >= 0; j = bt_benc_next(d, pe, j)) {
		int ip = bt_benc_dict_get(d, j, "ip"), po = bt_benc_dict_get(d, j, "port");
		const uint8_t *p;
		size_t n;
		int64_t port;
		struct sockaddr_storage a;
		uint8_t cp[18];
		if (bt_benc_str(d, ip, &p, &n) == 0 && bt_benc_int(d, po, &port) == 0 &&
		    port > 0 && port < 65536 &&
		    bt_addr_parse(&a, (const char *)p, n, (uint16_t)port) == 0) {
			size_t alen = bt_addr_pack(cp, &a);
			bt_tracker_t2t_add(x->t, hash, cp, 1, alen);
		}
	}
}

/* Peers from another tracker's reply: compact strings or dictionaries. */
static void
poll_reply(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	struct out_req *o = ud;
	struct bt_t2t *x = o->x;
	struct bt_benc d = { 0 };
	(void)loop;
	if (r->status == 200 &&
	    bt_benc_parse(&d, r->body, r->body_len, &bt_benc_lim_lenient, NULL) == 0 &&
	    bt_benc_type(&d, 0) == BT_BENC_DICT) {
		const uint8_t *p;
		size_t n;
		int pe = bt_benc_dict_get(&d, 0, "peers");
		int p6 = bt_benc_dict_get(&d, 0, "peers6");
		if (bt_benc_dict_get(&d, 0, "failure reason") >= 0)
			refuse(x, o->pair);	/* it will not have us: stop asking */
		if (bt_benc_str(&d, pe, &p, &n) == 0)
			bt_tracker_t2t_add(x->t, o->hash, p, n / 6, 6);
		if (bt_benc_str(&d, p6, &p, &n) == 0)
			bt_tracker_t2t_add(x->t, o->hash, p, n / 18, 18);
		if (bt_benc_type(&d, pe) == BT_BENC_LIST)
			add_dict_peers(x, o->hash, &d, pe);
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
out_start(struct bt_t2t *x, const char *url, const char *query, size_t qlen,
	const uint8_t *hash, uint64_t pair, bt_httpc_fn *fn)
{
	struct bt_buf u;
	struct bt_httpc_opts o;
	if (x->nout >= BT_T2T_OUT_MAX || x->stopping)
		return -1;
	struct out_req *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->x = x;
	if (hash)
		memcpy(r->hash, hash, 20);
	r->pair = pair;
	bt_buf_init(&u, BT_URL_MAX);
	bt_buf_adds(&u, url);
	bt_buf_addc(&u, strchr(url, '?') ? '&' : '?');
	bt_buf_add(&u, query, qlen);
	bt_httpc_opts_init(&o);
	o.user_agent = "bt/" BT_VERSION;
	o.timeout_ms = x->o.timeout_ms;
	o.max_body = REPLY_MAX;
	if (!bt_buf_cstr(&u) || bt_httpc_get(x->loop, (char *)u.p, &o, fn, r, &r->h) < 0) {
		bt_buf_free(&u);
		free(r);
		return -1;
	}
	bt_buf_free(&u);
	x->out[x->nout++] = r;
	return 0;
}

void
bt_t2t_forward(struct bt_t2t *x, const struct bt_http_req *h)
{
	struct bt_buf q;
	if (!x->fwd_url)
		return;
	bt_buf_init(&q, BT_URL_MAX);
	bt_buf_add(&q, h->query, h->query_len);
	if (x->fwd_pw) {
		bt_buf_adds(&q, "&password=");
		bt_buf_adds(&q, x->fwd_pw);
	}
	if (!q.err)
		out_start(x, x->fwd_url, (const char *)q.p, q.len, NULL, 0, forward_reply);
	bt_buf_free(&q);
}

/* Ask the trackers of one allowed torrent, while there is room. */
static void
poll_torrent(struct bt_t2t *x, const struct bt_allowed *e, struct bt_buf *q)
{
	for (size_t u = 0; u < e->ntrackers && x->nout < BT_T2T_OUT_MAX; u++) {
		const char *url = e->trackers[u];
		uint64_t pair = pair_key(e->info_hash, url);
		if (strncmp(url, "http://", 7) != 0 || refused(x, pair))
			continue;
		q->len = 0;
		bt_tracker_t2t_query(x->t, e->info_hash, x->o.port, x->o.maxpeers, q);
		if (!q->err)
			out_start(x, url, (const char *)q->p, q->len, e->info_hash, pair, poll_reply);
	}
}

/* A polling round (bounded; the next round carries on where this one
 * stopped). */
static uint64_t
poll_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_t2t *x = ud;
	size_t n, seen = 0;
	const struct bt_allowed *a = bt_tracker_allowed_list(x->t, &n);
	struct bt_buf q;
	(void)loop;
	(void)id;
	bt_buf_init(&q, 0);
	for (size_t k = 0; k < n && x->nout < BT_T2T_OUT_MAX; k++) {
		seen = k + 1;
		poll_torrent(x, &a[(x->next + k) % n], &q);
	}
	x->next = n ? (x->next + seen) % n : 0;
	bt_buf_free(&q);
	return x->o.poll_ms;
}

int
bt_t2t_new(struct bt_t2t **out, struct bt_loop *loop, struct bt_tracker *t,
	const struct bt_t2t_opts *o)
{
	if (!out || !loop || !t || !o)
		return BT_E_INVAL;
	if (o->forward_url && strncmp(o->forward_url, "http://", 7) != 0)
		return BT_E_INVAL;
	struct bt_t2t *x = calloc(1, sizeof(*x));
	if (!x)
		return BT_E_NOMEM;
	x->loop = loop;
	x->t = t;
	x->o = *o;
	x->o.forward_url = x->o.forward_password = NULL;
	if (!x->o.first_poll_ms)
		x->o.first_poll_ms = 1000;
	if ((o->forward_url && !(x->fwd_url = strdup(o->forward_url))) ||
	    (o->forward_password && !(x->fwd_pw = strdup(o->forward_password))) ||
	    (o->poll && !(x->timer = bt_timer_add(loop, x->o.first_poll_ms, poll_timer, x)))) {
		bt_t2t_free(x);
		return BT_E_NOMEM;
	}
	*out = x;
	return 0;
}

void
bt_t2t_stop(struct bt_t2t *x)
{
	x->stopping = 1;
}

void
bt_t2t_free(struct bt_t2t *x)
{
	if (!x)
		return;
	while (x->nout) {
		bt_httpc_cancel(x->out[0]->h);
		out_done(x->out[0]);
	}
	if (x->timer)
		bt_timer_del(x->loop, x->timer);
	free(x->fwd_url);
	free(x->fwd_pw);
	free(x->refused);
	free(x);
}
