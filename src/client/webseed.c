/* webseed.c - see webseed.h
 *
 * One seed is a small state machine driven by two things: a timer (start
 * the next request: at once after a success or a kick, later after an
 * error) and at most one HTTP request.  The blocks being fetched are kept
 * sorted by their place in the torrent in blk[0..nblk); the response bytes
 * arrive in that same order (a BEP 19 run is contiguous, a BEP 17 answer
 * is its ranges appended), so one cursor (cur, fill) walks them: a block
 * lying whole in a response body is handed over in place, one cut by a
 * file boundary is put together in stage[].
 *
 * Host callbacks may call bt_webseed_bad() and bt_webseed_kick(): every
 * place that calls the host re-checks `dead`, blocks are given back by
 * advancing `cur` before each unrequest so a nested give-back never
 * returns a block twice, and the timer is armed before blocks go back so
 * a nested kick finds the seed waiting. */
#include "webseed.h"
#include "httpc.h"
#include "http.h"
#include "buf.h"
#include "metainfo.h"
#include "reactor.h"
#include "err.h"
#include "str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS_MAX_REQUEST	(4u << 20)
#define WS_MAX_REQUEST_MAX (64u << 20)
#define WS_TIMEOUT_MS	60000u
#define WS_RETRY_MS	30000u
#define WS_BACKOFF_MAX_MS 600000u	/* stretched error delays stop here */
#define WS_BUSY_MAX_S	3600u		/* longest BEP 17 503 delay we honour */
#define WS_BUSY_MIN_MS	5000u		/* and the shortest (BitTornado's) */
#define WS_RANGES_MAX	2048u		/* bytes of a BEP 17 ranges= value */
#define WS_STATUSES	8u		/* distinct HTTP statuses reported */

/* Kinds of failure, each reported once per seed. */
enum {
	WSK_CONNECT,	/* connecting, sending, reading, timeouts, TLS */
	WSK_STATUS,	/* an unexpected HTTP status: one report per status */
	WSK_SHORT,	/* fewer bytes than asked, or cut short */
	WSK_LONG,	/* more bytes than asked (an endless body) */
	WSK_RANGE,	/* 200 with the whole file to a Range request */
	WSK_REDIRECT,	/* a redirect loop or a bad redirect */
	WSK_OTHER,	/* malformed answers and anything else */
};

struct bt_webseed {
	struct bt_loop *loop;
	const struct bt_meta *m;
	struct bt_webseed_host host;
	void *ud;
	char *url, *ua;
	int bep17;
	uint32_t max_request, timeout_ms, retry_ms;

	struct bt_httpc *req;	/* the request out, or NULL */
	uint64_t timer;		/* the start timer, or 0 */
	int busy;		/* blocks held: from pick to the run's end */
	int dead;		/* dropped by bt_webseed_bad() or being freed */
	int working, ever;	/* works now / has worked once */
	unsigned errors;	/* consecutive */
	unsigned reported;	/* 1 << WSK_*: kinds told to the host */
	int statuses[WS_STATUSES];	/* HTTP statuses told */
	uint64_t bytes;

	size_t cap;		/* room in blk[] and spare[] */
	struct bt_block *blk, *spare;
	size_t nblk, cur;	/* blocks of the run; the next one to fill */
	uint32_t fill;		/* bytes of blk[cur] already in stage */
	uint8_t *stage;
	uint32_t stage_cap;

	uint64_t pos, end;	/* BEP 19: torrent bytes still to fetch */
	size_t file;		/* BEP 19: the file being asked for */
	uint64_t seg_len, file_off;	/* its request: bytes and offset */
	uint64_t want;		/* BEP 17: bytes asked for */
};

static uint8_t zeros[16384];	/* in bss, not stored in the file; never written */

/* ---- blocks ---- */

static uint64_t
piece_size(const struct bt_meta *m, uint32_t piece)
{
	return (uint64_t)bt_meta_piece_size(m->total, m->piece_len, piece);
}

static uint64_t
blk_off(const struct bt_webseed *ws, const struct bt_block *b)
{
	return (uint64_t)b->piece * (uint64_t)ws->m->piece_len + b->begin;
}

static int
blk_valid(const struct bt_webseed *ws, const struct bt_block *b)
{
	uint32_t most = ws->max_request > BT_PICK_BLOCK ? ws->max_request : BT_PICK_BLOCK;

	return b->piece < ws->m->npieces && b->len > 0 && b->len <= most &&
		(uint64_t)b->begin + b->len <= piece_size(ws->m, b->piece);
}

static int
blk_cmp(const void *a, const void *b)
{
	const struct bt_block *x = a, *y = b;

	if (x->piece != y->piece)
		return x->piece < y->piece ? -1 : 1;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return 0;
}

/* Give every block of the run not yet delivered back to the host. */
static void
give_back(struct bt_webseed *ws)
{
	ws->fill = 0;
	while (ws->cur < ws->nblk) {
		struct bt_block b = ws->blk[ws->cur++];
		ws->host.unrequest(ws->ud, &b);
	}
	ws->cur = ws->nblk = 0;
	ws->busy = 0;
}

static void
deliver(struct bt_webseed *ws, const uint8_t *data)
{
	struct bt_block b = ws->blk[ws->cur++];

	ws->fill = 0;
	ws->host.block(ws->ud, ws, &b, data);
}

/* The next n bytes of the run, in block order.  0; 1 when the seed was
 * dropped from inside a host callback (nothing more to do); BT_E_NOMEM. */
static int
feed(struct bt_webseed *ws, const uint8_t *p, uint64_t n)
{
	while (n > 0 && ws->cur < ws->nblk) {
		const struct bt_block *b = &ws->blk[ws->cur];
		uint32_t need = b->len - ws->fill;

		if (ws->fill == 0 && n >= b->len) {
			uint32_t len = b->len;
			deliver(ws, p);
			p += len;
			n -= len;
		} else {
			uint32_t take = n < need ? (uint32_t)n : need;
			if (ws->stage_cap < b->len) {
				uint8_t *s = realloc(ws->stage, b->len);
				if (!s)
					return BT_E_NOMEM;
				ws->stage = s;
				ws->stage_cap = b->len;
			}
			memcpy(ws->stage + ws->fill, p, take);
			ws->fill += take;
			p += take;
			n -= take;
			if (ws->fill == b->len)
				deliver(ws, ws->stage);
		}
		if (ws->dead)
			return 1;
	}
	return 0;
}

static int
feed_zeros(struct bt_webseed *ws, uint64_t n)
{
	while (n > 0) {
		uint64_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		int rc = feed(ws, zeros, k);
		if (rc != 0)
			return rc;
		n -= k;
	}
	return 0;
}

/* ---- timing ---- */

static uint64_t on_timer(struct bt_loop *loop, uint64_t id, void *ud);

static void
arm(struct bt_webseed *ws, uint64_t ms)
{
	if (ws->timer)
		bt_timer_del(ws->loop, ws->timer);
	ws->timer = bt_timer_add(ws->loop, ms, on_timer, ws);
	/* Out of timers: the seed stays idle until the next kick. */
}

static void
succeed(struct bt_webseed *ws)
{
	ws->busy = 0;
	ws->cur = ws->nblk = 0;
	ws->errors = 0;
	ws->working = ws->ever = 1;
	arm(ws, 0);
}

static const char norange[] =
	"the server ignored the range request (200 with the whole file, not 206)";

/* 1 the first time a failure of this kind (and HTTP status) happens. */
static int
first_of_kind(struct bt_webseed *ws, int kind, int status)
{
	if (kind == WSK_STATUS) {
		for (unsigned k = 0; k < WS_STATUSES; k++) {
			if (ws->statuses[k] == status)
				return 0;
			if (ws->statuses[k] == 0) {
				ws->statuses[k] = status;
				return 1;
			}
		}
		return 0;	/* enough kinds told */
	}
	if (ws->reported & (1u << kind))
		return 0;
	ws->reported |= 1u << kind;
	return 1;
}

/* The delay after the errors-th failure in a row: retry_ms, doubled
 * after each further failure, at most WS_BACKOFF_MAX_MS (or retry_ms if
 * that is longer). */
static uint64_t
backoff_ms(const struct bt_webseed *ws)
{
	uint64_t cap = ws->retry_ms > WS_BACKOFF_MAX_MS ? ws->retry_ms : WS_BACKOFF_MAX_MS;
	uint64_t ms = ws->retry_ms;

	for (unsigned k = 1; k < ws->errors && ms < cap; k++)
		ms *= 2;
	return ms < cap ? ms : cap;
}

/* The request failed (what, of kind and HTTP status): tell the host the
 * first time this kind happens, wait (backing off), give the blocks
 * back; after BT_WEBSEED_GIVE_UP failures in a row, drop the seed. */
static void
fail_as(struct bt_webseed *ws, int kind, int status, const char *what)
{
	char msg[640], url[256];
	int tell = first_of_kind(ws, kind, status);

	bt_str_printable(url, sizeof(url), ws->url, strlen(ws->url));
	ws->working = 0;
	if (ws->errors < UINT32_MAX)
		ws->errors++;
	if (ws->errors >= BT_WEBSEED_GIVE_UP) {
		snprintf(msg, sizeof(msg), "giving up on http seed %s after %u failures in a row "
			"(last: %s)", url, ws->errors, what);
		if (!ws->dead) {
			bt_webseed_bad(ws);
			ws->host.message(ws->ud, ws, msg);
		}
		return;
	}
	snprintf(msg, sizeof(msg), "error accessing http seed %s: %s (retrying later)", url, what);
	arm(ws, backoff_ms(ws));
	give_back(ws);
	if (tell && !ws->dead)
		ws->host.message(ws->ud, ws, msg);
}

static void
fail(struct bt_webseed *ws, const char *what)
{
	fail_as(ws, WSK_OTHER, 0, what);
}

/* A failed request, or an answer with a status we cannot use. */
static void
fail_code(struct bt_webseed *ws, const struct bt_httpc_result *r)
{
	char what[600];
	int kind = WSK_OTHER;

	bt_httpc_describe(r, what, sizeof(what));
	if (r->status >= 0)
		kind = WSK_STATUS;
	else if (r->status == BT_E_IO || r->status == BT_E_NOENT || r->status == BT_E_TLS)
		kind = WSK_CONNECT;
	else if (r->status == BT_E_LIMIT && r->redirects > 0 && r->why &&
		strncmp(r->why, "too many redirects", 18) == 0)
		kind = WSK_REDIRECT;
	else if (r->status == BT_E_LIMIT && r->head_status == 200 && !ws->bep17)
		return fail_as(ws, WSK_RANGE, 0, norange);
	else if (r->status == BT_E_LIMIT)
		kind = WSK_LONG;
	else if (r->status == BT_E_PROTO && r->why && strstr(r->why, "cut short"))
		kind = WSK_SHORT;
	fail_as(ws, kind, r->status, what);
}

/* bt_httpc_get() refused to start (rc). */
static void
fail_start(struct bt_webseed *ws, int rc, int sys_errno)
{
	struct bt_httpc_result r;

	memset(&r, 0, sizeof(r));
	r.status = rc;
	r.sys_errno = sys_errno;
	r.url = ws->url;
	fail_code(ws, &r);
}

static void
fail_len(struct bt_webseed *ws, size_t got, uint64_t want)
{
	char what[96];

	snprintf(what, sizeof(what), "got %zu bytes, expected %llu", got,
		(unsigned long long)want);
	fail_as(ws, got < want ? WSK_SHORT : WSK_LONG, 0, what);
}

/* ---- BEP 19 ---- */

static void on_resp(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud);

/* The URL of file i: see webseed.h. */
static char *
file_url(const struct bt_webseed *ws, size_t i)
{
	struct bt_buf b;
	size_t n = strlen(ws->url);
	const char *p;

	bt_buf_init(&b, BT_URL_MAX + 1);
	bt_buf_add(&b, ws->url, n);
	if (!ws->m->multi) {
		if (n > 0 && ws->url[n - 1] == '/')
			bt_http_encode(&b, ws->m->name, strlen(ws->m->name));
		goto done;
	}
	if (n == 0 || ws->url[n - 1] != '/')
		bt_buf_addc(&b, '/');
	bt_http_encode(&b, ws->m->name, strlen(ws->m->name));
	p = ws->m->files[i].path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		bt_buf_addc(&b, '/');
		bt_http_encode(&b, p, k);
		p += k;
		if (*p == '/')
			p++;
	}
done:
	if (!bt_buf_cstr(&b)) {
		bt_buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

static int
start_get(struct bt_webseed *ws, const char *url, uint64_t first, uint64_t last,
	int range, size_t max_body)
{
	struct bt_httpc_opts o;

	bt_httpc_opts_init(&o);
	o.user_agent = ws->ua;
	o.timeout_ms = ws->timeout_ms;
	o.max_body = max_body ? max_body : 1;
	o.range = range;
	o.range_first = first;
	o.range_last = last;
	return bt_httpc_get(ws->loop, url, &o, on_resp, ws, &ws->req);
}

/* Fetch the rest of the run: pad bytes at once, the next file segment
 * with a request. */
static void
next_segment(struct bt_webseed *ws)
{
	const struct bt_meta *m = ws->m;

	while (ws->pos < ws->end) {
		size_t i = bt_meta_file_at(m, (int64_t)ws->pos);
		const struct bt_meta_file *f;
		uint64_t fend, seg, foff;
		char *url;
		int rc;

		/* A file found ends after pos; one starting after it is a gap. */
		if (i >= m->nfiles || (uint64_t)m->files[i].offset > ws->pos) {
			fail(ws, "bad file layout");	/* not from bt_meta_parse */
			return;
		}
		f = &m->files[i];
		fend = (uint64_t)f->offset + (uint64_t)f->length;
		seg = (ws->end < fend ? ws->end : fend) - ws->pos;
		foff = ws->pos - (uint64_t)f->offset;
		if (f->pad) {
			rc = feed_zeros(ws, seg);
			if (rc < 0)
				fail(ws, bt_strerror(rc));
			if (rc != 0)
				return;
			ws->pos += seg;
			continue;
		}
		ws->file = i;
		ws->seg_len = seg;
		ws->file_off = foff;
		url = file_url(ws, i);
		if (!url) {
			fail(ws, "URL too long");
			return;
		}
		/* A server ignoring Range sends the whole file: take it when
		 * it is small, never buffer a big one. */
		rc = start_get(ws, url, foff, foff + seg - 1, 1,
			(uint64_t)f->length <= ws->max_request ? (size_t)f->length : (size_t)seg);
		free(url);
		if (rc < 0)
			fail_start(ws, rc, errno);
		return;
	}
	succeed(ws);
}

static void
resp19(struct bt_webseed *ws, const struct bt_httpc_result *r)
{
	const struct bt_meta_file *f = &ws->m->files[ws->file];
	const uint8_t *p = r->body;
	int rc;

	if (r->status == 206) {
		if (r->body_len != ws->seg_len)
			return fail_len(ws, r->body_len, ws->seg_len);
	} else if (r->status == 200) {
		if ((uint64_t)f->length > ws->max_request)
			return fail_as(ws, WSK_RANGE, 0, norange);
		if (r->body_len != (uint64_t)f->length)
			return fail_len(ws, r->body_len, (uint64_t)f->length);
		p += ws->file_off;
	} else {
		return fail_code(ws, r);
	}
	ws->bytes += r->body_len;
	ws->ever = 1;
	rc = feed(ws, p, ws->seg_len);
	if (rc < 0)
		fail(ws, bt_strerror(rc));
	if (rc != 0)
		return;
	ws->pos += ws->seg_len;
	next_segment(ws);
}

/* ---- BEP 17 ---- */

static void
start17(struct bt_webseed *ws)
{
	struct bt_buf b;
	uint32_t piece = ws->blk[0].piece;
	uint64_t psize = piece_size(ws->m, piece);
	int rc;

	ws->want = 0;
	for (size_t k = 0; k < ws->nblk; k++)
		ws->want += ws->blk[k].len;
	bt_buf_init(&b, BT_URL_MAX + 1);
	bt_buf_adds(&b, ws->url);
	bt_buf_addc(&b, strchr(ws->url, '?') ? '&' : '?');
	bt_buf_adds(&b, "info_hash=");
	bt_http_encode(&b, ws->m->info_hash, 20);
	bt_buf_printf(&b, "&piece=%lu", (unsigned long)piece);
	if (ws->want != psize) {
		/* Blocks are sorted and do not overlap: merge neighbours. */
		char sep = '=';
		bt_buf_adds(&b, "&ranges");
		for (size_t k = 0; k < ws->nblk;) {
			uint64_t a = ws->blk[k].begin, e = a + ws->blk[k].len;
			for (k++; k < ws->nblk && ws->blk[k].begin == e; k++)
				e += ws->blk[k].len;
			bt_buf_printf(&b, "%c%llu-%llu", sep, (unsigned long long)a,
				(unsigned long long)(e - 1));
			sep = ',';
		}
	}
	if (!bt_buf_cstr(&b)) {
		bt_buf_free(&b);
		fail(ws, "URL too long");
		return;
	}
	rc = start_get(ws, (const char *)b.p, 0, 0, 0, (size_t)ws->want);
	bt_buf_free(&b);
	if (rc < 0)
		fail_start(ws, rc, errno);
}

/* A 503 body: seconds to wait, or -1. */
static long
busy_delay(const uint8_t *p, size_t n)
{
	size_t i = 0;
	long v = 0;
	int digits = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (++digits > 9)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return digits && i == n ? v : -1;
}

static void
resp17(struct bt_webseed *ws, const struct bt_httpc_result *r)
{
	int rc;

	if (r->status == 503) {
		long s = busy_delay(r->body, r->body_len);
		uint64_t ms, floor_ms;
		if (s < 0)
			return fail(ws, "bad 503 answer");
		/* Not an error: wait as told (within reason), quietly. */
		ms = (uint64_t)(s > (long)WS_BUSY_MAX_S ? (long)WS_BUSY_MAX_S : s) * 1000;
		floor_ms = ws->retry_ms < WS_BUSY_MIN_MS ? ws->retry_ms : WS_BUSY_MIN_MS;
		arm(ws, ms > floor_ms ? ms : floor_ms);
		give_back(ws);
		return;
	}
	if (r->status != 200)
		return fail_code(ws, r);
	if (r->body_len != ws->want)
		return fail_len(ws, r->body_len, ws->want);
	ws->bytes += r->body_len;
	ws->ever = 1;
	rc = feed(ws, r->body, ws->want);
	if (rc < 0)
		fail(ws, bt_strerror(rc));
	if (rc != 0)
		return;
	succeed(ws);
}

static void
on_resp(struct bt_loop *loop, const struct bt_httpc_result *r, void *ud)
{
	struct bt_webseed *ws = ud;

	(void)loop;
	ws->req = NULL;
	if (ws->dead)
		return;
	if (ws->bep17)
		resp17(ws, r);
	else
		resp19(ws, r);
}

/* ---- starting a request ---- */

/* Choose the run among the picked blocks spare[0..n): the blocks
 * contiguous with the host's first choice (BEP 19), or that piece's
 * blocks (BEP 17), within max_request.  They go to blk[], the rest back
 * to the host. */
#define TAKEN UINT32_MAX	/* never a valid piece number */

static void
choose(struct bt_webseed *ws, size_t n)
{
	struct bt_block *s = ws->spare;
	size_t nv = 0, k, a, e;
	uint64_t key, total;

	/* Keep valid blocks, in pick order. */
	for (k = 0; k < n; k++) {
		if (blk_valid(ws, &s[k])) {
			s[nv++] = s[k];
		} else {
			struct bt_block b = s[k];
			ws->host.unrequest(ws->ud, &b);
		}
	}
	if (nv == 0)
		return;
	key = blk_off(ws, &s[0]);
	qsort(s, nv, sizeof(*s), blk_cmp);
	for (k = 0; blk_off(ws, &s[k]) != key; k++)
		;
	if (!ws->bep17) {
		/* Grow both ways while contiguous, the host's choice first. */
		a = k;
		e = k + 1;
		total = s[k].len;
		while (e < nv && blk_off(ws, &s[e - 1]) + s[e - 1].len == blk_off(ws, &s[e]) &&
			total + s[e].len <= ws->max_request)
			total += s[e++].len;
		while (a > 0 && blk_off(ws, &s[a - 1]) + s[a - 1].len == blk_off(ws, &s[a]) &&
			total + s[a - 1].len <= ws->max_request)
			total += s[--a].len;
		for (k = a; k < e; k++) {
			ws->blk[ws->nblk++] = s[k];
			s[k].piece = TAKEN;
		}
	} else {
		/* That piece's blocks, sorted, without overlaps, within
		 * max_request and a bounded ranges= list. */
		uint32_t piece = s[k].piece;
		size_t nr = 0;

		a = k;
		while (a > 0 && s[a - 1].piece == piece)
			a--;
		total = 0;
		for (k = a; k < nv && s[k].piece == piece; k++) {
			const struct bt_block *last = ws->nblk ? &ws->blk[ws->nblk - 1] : NULL;
			int joins = last && last->begin + last->len == s[k].begin;

			if (last && s[k].begin < last->begin + last->len)
				continue;	/* duplicate or overlap */
			if (last && total + s[k].len > ws->max_request)
				continue;
			if (!joins && (nr + 1) * 22 > WS_RANGES_MAX)
				continue;
			nr += !joins;
			total += s[k].len;
			ws->blk[ws->nblk++] = s[k];
			s[k].piece = TAKEN;
		}
	}
	for (k = 0; k < nv; k++) {
		if (s[k].piece != TAKEN) {
			struct bt_block b = s[k];
			ws->host.unrequest(ws->ud, &b);
		}
	}
}

static void
start(struct bt_webseed *ws)
{
	size_t n, want = ws->cap;

	if (ws->bep17) {
		/* Blocks of one piece are all that can be used. */
		uint64_t per = bt_meta_block_count((uint64_t)ws->m->piece_len, BT_PICK_BLOCK);
		if (per < want)
			want = (size_t)per;
	}
	ws->busy = 1;
	ws->cur = ws->nblk = 0;
	ws->fill = 0;
	n = ws->host.pick(ws->ud, ws->spare, want);
	if (n > want)
		n = want;
	choose(ws, n);
	if (ws->dead) {
		give_back(ws);
		return;
	}
	if (ws->nblk == 0) {
		ws->busy = 0;	/* nothing to do: idle until kicked */
		return;
	}
	if (ws->bep17) {
		start17(ws);
	} else {
		ws->pos = blk_off(ws, &ws->blk[0]);
		ws->end = blk_off(ws, &ws->blk[ws->nblk - 1]) + ws->blk[ws->nblk - 1].len;
		next_segment(ws);
	}
}

static uint64_t
on_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_webseed *ws = ud;

	(void)loop;
	(void)id;
	ws->timer = 0;
	if (!ws->dead && !ws->busy)
		start(ws);
	return BT_TIMER_STOP;
}

/* ---- API ---- */

struct bt_webseed *
bt_webseed_new(struct bt_loop *loop, const struct bt_meta *m,
	const struct bt_webseed_opts *o, const struct bt_webseed_host *host, void *ud)
{
	struct bt_webseed *ws;
	struct bt_url *u;
	int rc;

	if (!loop || !m || !o || !o->url || !host || !host->pick || !host->block ||
		!host->unrequest || !host->message || m->piece_len <= 0 ||
		m->npieces > UINT32_MAX || !m->files || !m->nfiles || !m->name)
		return NULL;
	u = malloc(sizeof(*u));
	if (!u)
		return NULL;
	rc = bt_url_parse(o->url, u);
	free(u);
	if (rc < 0)
		return NULL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->loop = loop;
	ws->m = m;
	ws->host = *host;
	ws->ud = ud;
	ws->bep17 = o->bep17 != 0;
	ws->max_request = o->max_request ? o->max_request : WS_MAX_REQUEST;
	if (ws->max_request < BT_PICK_BLOCK)
		ws->max_request = BT_PICK_BLOCK;
	if (ws->max_request > WS_MAX_REQUEST_MAX)
		ws->max_request = WS_MAX_REQUEST_MAX;
	ws->timeout_ms = o->timeout_ms ? o->timeout_ms : WS_TIMEOUT_MS;
	ws->retry_ms = o->retry_ms ? o->retry_ms : WS_RETRY_MS;
	ws->cap = ws->max_request / BT_PICK_BLOCK;
	ws->url = strdup(o->url);
	ws->ua = o->user_agent ? strdup(o->user_agent) : NULL;
	ws->blk = malloc(ws->cap * sizeof(*ws->blk));
	ws->spare = malloc(ws->cap * sizeof(*ws->spare));
	if (!ws->url || (o->user_agent && !ws->ua) || !ws->blk || !ws->spare) {
		bt_webseed_free(ws);
		return NULL;
	}
	return ws;
}

/* Drop the seed for good: no timer, no request, blocks given back. */
static void
stop(struct bt_webseed *ws)
{
	ws->dead = 1;
	if (ws->timer)
		bt_timer_del(ws->loop, ws->timer);
	ws->timer = 0;
	if (ws->req)
		bt_httpc_cancel(ws->req);
	ws->req = NULL;
	give_back(ws);
}

void
bt_webseed_free(struct bt_webseed *ws)
{
	if (!ws)
		return;
	stop(ws);
	free(ws->url);
	free(ws->ua);
	free(ws->blk);
	free(ws->spare);
	free(ws->stage);
	free(ws);
}

void
bt_webseed_kick(struct bt_webseed *ws)
{
	if (ws && !ws->dead && !ws->busy && !ws->timer)
		arm(ws, 0);
}

void
bt_webseed_bad(struct bt_webseed *ws)
{
	if (!ws || ws->dead)
		return;
	ws->working = 0;
	stop(ws);
}

int
bt_webseed_working(const struct bt_webseed *ws)
{
	return ws && ws->working && !ws->dead;
}

uint64_t
bt_webseed_bytes(const struct bt_webseed *ws)
{
	return ws ? ws->bytes : 0;
}

const char *
bt_webseed_url(const struct bt_webseed *ws)
{
	return ws ? ws->url : NULL;
}
