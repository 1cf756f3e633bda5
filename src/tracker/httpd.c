/* httpd.c - see httpd.h */
#include "httpd.h"
#include "buf.h"
#include "err.h"
#include "net.h"
#include "reactor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK 4096
#define OUT_KEEP (64u << 10)	/* a send buffer larger than this is freed when empty */

struct bt_httpd_conn {
	struct bt_httpd *d;
	int fd;
	size_t slot;		/* in d->conns */
	struct sockaddr_storage peer;
	struct bt_buf in, out;
	size_t out_off;
	uint64_t last;
	uint64_t head_start;	/* when the unanswered request began */
	int close_after;
	int watched;		/* registered with the loop */
};

struct bt_httpd {
	struct bt_loop *loop;
	struct bt_httpd_opts o;
	bt_httpd_handler_fn *handle;
	bt_httpd_log_fn *log;
	void *ud;
	int lfd[BT_HTTPD_LISTEN_MAX];
	size_t nlfd;
	int accept_paused;
	struct bt_httpd_conn **conns;
	size_t nconns, capconns;
	struct bt_buf gz;	/* the compressed body of the reply being made */
	uint64_t sweep;		/* the idle sweep's timer */
};

static void conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud);

static void
accept_resume(struct bt_httpd *d)
{
	if (d->accept_paused && d->nconns < d->o.max_conns) {
		for (size_t k = 0; k < d->nlfd; k++)
			bt_io_set(d->loop, d->lfd[k], BT_EV_READ);
		d->accept_paused = 0;
	}
}

static void
accept_pause(struct bt_httpd *d)
{
	for (size_t k = 0; k < d->nlfd; k++)
		bt_io_set(d->loop, d->lfd[k], 0);
	d->accept_paused = 1;
}

/* Watch the connection for ev, registering it the first time. */
static int
conn_watch(struct bt_httpd_conn *c, unsigned ev)
{
	if (c->watched)
		return bt_io_set(c->d->loop, c->fd, ev);
	if (bt_io_add(c->d->loop, c->fd, ev, conn_event, c) < 0)
		return -1;
	c->watched = 1;
	return 0;
}

static void
conn_close(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	if (c->watched)
		bt_io_del(d->loop, c->fd);
	close(c->fd);
	d->conns[c->slot] = d->conns[--d->nconns];
	d->conns[c->slot]->slot = c->slot;
	bt_buf_free(&c->in);
	bt_buf_free(&c->out);
	free(c);
	accept_resume(d);
}

/* Send what is queued; returns -1 if the connection was closed. */
static int
conn_flush(struct bt_httpd_conn *c)
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
	if (c->out.cap > OUT_KEEP)
		bt_buf_free(&c->out);
	if (c->close_after || conn_watch(c, BT_EV_READ) < 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Compress body into d->gz; 0 when that made it smaller. */
static int
gzip_body(struct bt_httpd *d, const void *body, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	d->gz.len = 0;
	uint8_t *out = bt_buf_reserve(&d->gz, deflateBound(&z, len));
	if (!out) {
		deflateEnd(&z);
		d->gz.err = 0;
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
	bt_buf_commit(&d->gz, n);
	return 0;
}

void
bt_httpd_reply(struct bt_httpd_conn *c, const struct bt_http_req *h,
	const struct bt_httpd_reply *r)
{
	struct bt_httpd *d = c->d;
	struct bt_http_hdr hdr[3 + BT_HTTPD_HDR_MAX];
	size_t nh = 0, len = r->len;
	const void *body = r->body;
	int close_after = r->close, gz = 0;

	if (r->ctype)
		hdr[nh++] = (struct bt_http_hdr){ "Content-Type", 12, r->ctype, strlen(r->ctype) };
	if (r->no_cache)
		hdr[nh++] = (struct bt_http_hdr)BT_HTTP_HDR("Pragma", "no-cache");
	for (size_t k = 0; k < r->nhdr && nh < 2 + BT_HTTPD_HDR_MAX; k++)
		hdr[nh++] = r->hdr[k];
	if (h && !bt_http_keep_alive(h))
		close_after = 1;
	/* Large bodies (info page, full scrape, stats) go gzipped when the
	 * client takes it and it saves bytes; announces are too small. */
	if (h && len >= d->o.gzip_min && bt_http_accepts_gzip(h) &&
	    gzip_body(d, body, len) == 0) {
		body = d->gz.p;
		len = d->gz.len;
		hdr[nh++] = (struct bt_http_hdr)BT_HTTP_HDR("Content-Encoding", "gzip");
		gz = 1;
	}
	struct bt_http_resp resp = {
		.minor = h ? h->minor : 0, .status = r->status, .reason = r->reason,
		.hdr = hdr, .nhdr = nh, .body = body ? body : "", .body_len = len,
		.flags = (h && h->meth == BT_HTTP_HEAD ? BT_HTTP_RESP_HEAD : 0) |
			(close_after && h && h->minor ? BT_HTTP_RESP_CLOSE : 0) |
			(!close_after && h && !h->minor ? BT_HTTP_RESP_KEEPALIVE : 0) |
			(h && h->simple ? BT_HTTP_RESP_SIMPLE : 0),
	};
	bt_http_resp_write(&c->out, &resp);
	if (close_after)
		c->close_after = 1;
	if (d->log) {
		struct bt_httpd_log l = { &c->peer, h, r->status, len, gz };
		d->log(d->ud, &l);
	}
}

void
bt_httpd_error(struct bt_httpd_conn *c, int status)
{
	static const char msg[] = "malformed request\n";
	struct bt_httpd_reply r = { .status = status, .ctype = "text/plain", .body = msg,
		.len = sizeof(msg) - 1, .close = 1 };
	bt_httpd_reply(c, NULL, &r);
}

const struct sockaddr_storage *
bt_httpd_peer(const struct bt_httpd_conn *c)
{
	return &c->peer;
}

size_t
bt_httpd_count(const struct bt_httpd *d)
{
	return d->nconns;
}

/* Answer every complete request in the input (pipelining). */
static void
conn_process(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	struct bt_http_req h;
	size_t done = 0;

	while (done < c->in.len && !c->close_after) {
		int rc = bt_http_parse_request((const char *)c->in.p + done, c->in.len - done, &h,
			BT_HTTP_HDR_MAX);
		if (rc == BT_E_PARTIAL) {
			if (c->in.len - done >= d->o.head_max)
				bt_httpd_error(c, 431);
			break;
		}
		if (rc < 0) {
			bt_httpd_error(c, rc == BT_E_UNSUPPORTED ? 505 : rc == BT_E_LIMIT ? 431 : 400);
			break;
		}
		d->handle(d->ud, c, &h);
		done += (size_t)rc;
	}
	bt_buf_consume(&c->in, done);
	if (c->in.len == 0)
		bt_buf_free(&c->in);
	else if (done)
		c->head_start = c->last;	/* a pipelined request has begun */
}

/* Read what has arrived; returns -1 if the connection was closed. */
static int
conn_read(struct bt_httpd_conn *c)
{
	for (int rounds = 0; rounds < 8; rounds++) {
		uint8_t *p = bt_buf_reserve(&c->in, READ_CHUNK);
		if (!p) {
			conn_close(c);
			return -1;
		}
		ssize_t n = recv(c->fd, p, READ_CHUNK, 0);
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
		if ((size_t)n < READ_CHUNK)
			break;
	}
	return 0;
}

/* Handle events; returns -1 if the connection was closed. */
static int
conn_input(struct bt_httpd_conn *c, unsigned ev)
{
	if ((ev & BT_EV_WRITE) && conn_flush(c) < 0)
		return -1;
	if (!(ev & (BT_EV_READ | BT_EV_ERR | BT_EV_HUP)) || c->close_after)
		return 0;
	if (conn_read(c) < 0)
		return -1;
	conn_process(c);
	if (c->out.len)
		return conn_flush(c);
	return 0;
}

static void
conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_httpd_conn *c = ud;
	(void)fd;
	c->last = bt_loop_now_ms(loop);
	conn_input(c, ev);
}

/* Take a new connection into d->conns; NULL when out of memory. */
static struct bt_httpd_conn *
conn_new(struct bt_httpd *d, int fd, const struct sockaddr_storage *peer)
{
	if (d->nconns == d->capconns) {
		size_t nc = d->capconns ? d->capconns * 2 : 256;
		struct bt_httpd_conn **n = realloc(d->conns, nc * sizeof(*n));
		if (!n)
			return NULL;
		d->conns = n;
		d->capconns = nc;
	}
	struct bt_httpd_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	c->fd = fd;
	c->peer = *peer;
	c->last = bt_loop_now_ms(d->loop);
	bt_buf_init(&c->in, d->o.head_max + READ_CHUNK);
	bt_buf_init(&c->out, 0);
	c->slot = d->nconns;
	d->conns[d->nconns++] = c;
	return c;
}

static void
on_accept(struct bt_loop *loop, int lfd, unsigned ev, void *ud)
{
	struct bt_httpd *d = ud;
	(void)loop;
	(void)ev;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		if (d->nconns >= d->o.max_conns) {
			accept_pause(d);
			return;
		}
		int fd = bt_net_accept(lfd, &peer);
		if (fd == BT_E_LIMIT) {
			accept_pause(d);
			return;
		}
		if (fd < 0)
			return;
		struct bt_httpd_conn *c = conn_new(d, fd, &peer);
		if (!c) {
			close(fd);
			return;
		}
		/* A client usually sends its request with the handshake, so try
		 * it at once: a one-request connection is then answered and
		 * closed without ever being registered with the loop.
		 * (TCP_DEFER_ACCEPT would do more, but hides idle connections
		 * from the idle limit.) */
		if (conn_input(c, BT_EV_READ) == 0 && !c->watched && conn_watch(c, BT_EV_READ) < 0)
			conn_close(c);
	}
}

static uint64_t
idle_sweep(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_httpd *d = ud;
	uint64_t now = bt_loop_now_ms(loop), limit = d->o.idle_ms;
	(void)id;
	/* Idle connections go, and so do clients that trickle a request
	 * head in slower than the same limit. */
	for (size_t k = d->nconns; k-- > 0;) {
		struct bt_httpd_conn *x = d->conns[k];
		if (now - x->last > limit || (x->in.len && now - x->head_start > limit))
			conn_close(x);
	}
	return d->o.sweep_ms;
}

int
bt_httpd_new(struct bt_httpd **out, struct bt_loop *loop, const struct bt_httpd_opts *o,
	bt_httpd_handler_fn *handle, bt_httpd_log_fn *log, void *ud)
{
	if (!out || !loop || !handle)
		return BT_E_INVAL;
	struct bt_httpd *d = calloc(1, sizeof(*d));
	if (!d)
		return BT_E_NOMEM;
	if (o)
		d->o = *o;
	if (!d->o.max_conns)
		d->o.max_conns = 10000;
	if (!d->o.idle_ms)
		d->o.idle_ms = 15000;
	if (!d->o.sweep_ms)
		d->o.sweep_ms = 5000;
	if (!d->o.head_max)
		d->o.head_max = BT_HTTPD_HEAD_MAX;
	if (!d->o.gzip_min)
		d->o.gzip_min = BT_HTTPD_GZIP_MIN;
	d->loop = loop;
	d->handle = handle;
	d->log = log;
	d->ud = ud;
	bt_buf_init(&d->gz, 0);
	d->sweep = bt_timer_add(loop, d->o.sweep_ms, idle_sweep, d);
	if (!d->sweep) {
		free(d);
		return BT_E_NOMEM;
	}
	*out = d;
	return 0;
}

int
bt_httpd_listen(struct bt_httpd *d, int fd)
{
	if (d->nlfd == BT_HTTPD_LISTEN_MAX) {
		close(fd);
		return BT_E_LIMIT;
	}
	d->lfd[d->nlfd++] = fd;
	int rc = bt_io_add(d->loop, fd, d->accept_paused ? 0 : BT_EV_READ, on_accept, d);
	if (rc < 0) {
		close(fd);
		d->nlfd--;
	}
	return rc;
}

void
bt_httpd_free(struct bt_httpd *d)
{
	if (!d)
		return;
	while (d->nconns)
		conn_close(d->conns[0]);
	for (size_t k = 0; k < d->nlfd; k++) {
		bt_io_del(d->loop, d->lfd[k]);
		close(d->lfd[k]);
	}
	bt_timer_del(d->loop, d->sweep);
	bt_buf_free(&d->gz);
	free(d->conns);
	free(d);
}
