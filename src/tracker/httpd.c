/* httpd.c - see httpd.h */
#include "httpd.h"
#include "buf.h"
#include "err.h"
#include "net.h"
#include "reactor.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK	(16u << 10)	/* one recv() */
#define READ_ROUNDS	4		/* recv()s per event */
#define FILE_CHUNK	(32u << 10)	/* one pread() of a file body */
#define NOTSENT_LOWAT	(64u << 10)	/* unsent bytes the kernel takes from a file body */

/* The body of a 503: bencoded, so a BitTorrent client shows the reason. */
static const char busy_body[] = "d14:failure reason23:tracker busy, try latere";

struct bt_httpd_conn {
	struct bt_httpd *d;
	int fd;
	size_t slot;		/* in d->conns */
	struct sockaddr_storage peer;
	struct bt_buf in, out;
	size_t out_off;
	size_t in_held, out_held;	/* in.cap and out.cap as counted in d */
	uint64_t last;
	uint64_t head_start;	/* when the unanswered request began */
	unsigned ev;		/* the interest the loop has */
	int watched;		/* registered with the loop */
	int close_after;	/* take no more requests; close when sent */
	int eof;		/* the client has sent all it will */
	int must_linger;	/* its request may still be on the way (refused) */
	int spare;		/* counted in d->nspare: refused or lingering */
	int lingering;		/* write side shut, dropping input */
	int idle;		/* on the idle list */
	int file;		/* the body being sent from disk, or -1 */
	uint64_t file_off;
	size_t file_left;
	uint64_t timer;		/* the end of a lingering close */
	size_t dropped;		/* input dropped while closing */
	struct bt_httpd_conn *prev, *next;	/* the idle list, oldest first */
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
	size_t nspare;		/* refused or lingering connections */
	size_t nfiles;		/* file bodies being sent */
	size_t in_held, out_held;	/* bytes of request / reply buffers */
	struct bt_httpd_conn *idle_head, *idle_tail;
	struct bt_buf gz;	/* the compressed body of the reply being made */
	struct bt_buf busy;	/* the 503 reply, made once */
	uint64_t sweep;		/* the idle sweep's timer */
	uint8_t rbuf[READ_CHUNK];	/* where input is read first */
};

static void conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud);

/* ---- bookkeeping ---- */

static void
accept_resume(struct bt_httpd *d)
{
	if (d->accept_paused) {
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

static void
idle_unlink(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	if (!c->idle)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		d->idle_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		d->idle_tail = c->prev;
	c->prev = c->next = NULL;
	c->idle = 0;
}

static void
idle_append(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	c->prev = d->idle_tail;
	c->next = NULL;
	if (d->idle_tail)
		d->idle_tail->next = c;
	else
		d->idle_head = c;
	d->idle_tail = c;
	c->idle = 1;
}

/* Bring the server's count of buffer bytes up to date with c's. */
static void
conn_account(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	d->in_held = d->in_held - c->in_held + c->in.cap;
	c->in_held = c->in.cap;
	d->out_held = d->out_held - c->out_held + c->out.cap;
	c->out_held = c->out.cap;
}

/* Connections that count against max_conns. */
static size_t
serving(const struct bt_httpd *d)
{
	return d->nconns - d->nspare;
}

/* Watch the connection for ev, registering it the first time. */
static int
conn_watch(struct bt_httpd_conn *c, unsigned ev)
{
	if (c->watched) {
		if (c->ev != ev && bt_io_set(c->d->loop, c->fd, ev) < 0)
			return -1;
	} else {
		if (bt_io_add(c->d->loop, c->fd, ev, conn_event, c) < 0)
			return -1;
		c->watched = 1;
	}
	c->ev = ev;
	return 0;
}

static void
conn_close(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	idle_unlink(c);
	if (c->watched)
		bt_io_del(d->loop, c->fd);
	close(c->fd);
	if (c->file >= 0) {
		close(c->file);
		d->nfiles--;
	}
	if (c->timer)
		bt_timer_del(d->loop, c->timer);
	if (c->spare)
		d->nspare--;
	bt_buf_free(&c->in);
	bt_buf_free(&c->out);
	conn_account(c);
	d->conns[c->slot] = d->conns[--d->nconns];
	d->conns[c->slot]->slot = c->slot;
	free(c);
	accept_resume(d);
}

/* ---- replies ---- */

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

static void
log_reply(struct bt_httpd *d, const struct sockaddr_storage *peer, const struct bt_http_req *h,
	int status, size_t len, int gz)
{
	if (d->log) {
		struct bt_httpd_log l = { peer, h, status, len, gz };
		d->log(d->ud, &l);
	}
}

/* Queue the head of a reply with a body of len bytes, and the body too
 * unless it is NULL (then the caller sends it); log it. */
static void
queue_reply(struct bt_httpd_conn *c, const struct bt_http_req *h,
	const struct bt_httpd_reply *r, const void *body, size_t len)
{
	struct bt_httpd *d = c->d;
	struct bt_http_hdr hdr[3 + BT_HTTPD_HDR_MAX];
	size_t nh = 0;
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
	if (body && h && len >= d->o.gzip_min && bt_http_accepts_gzip(h) &&
	    gzip_body(d, body, len) == 0) {
		body = d->gz.p;
		len = d->gz.len;
		hdr[nh++] = (struct bt_http_hdr)BT_HTTP_HDR("Content-Encoding", "gzip");
		gz = 1;
	}
	struct bt_http_resp resp = {
		.minor = h ? h->minor : 0, .status = r->status, .reason = r->reason,
		.hdr = hdr, .nhdr = nh, .body = body, .body_len = len,
		.flags = (h && h->meth == BT_HTTP_HEAD ? BT_HTTP_RESP_HEAD : 0) |
			(close_after && h && h->minor ? BT_HTTP_RESP_CLOSE : 0) |
			(!close_after && h && !h->minor ? BT_HTTP_RESP_KEEPALIVE : 0) |
			(h && h->simple ? BT_HTTP_RESP_SIMPLE : 0),
	};
	bt_http_resp_write(&c->out, &resp);
	if (close_after)
		c->close_after = 1;
	log_reply(d, &c->peer, h, r->status, len, gz);
}

void
bt_httpd_reply(struct bt_httpd_conn *c, const struct bt_http_req *h,
	const struct bt_httpd_reply *r)
{
	queue_reply(c, h, r, r->body ? r->body : "", r->len);
}

int
bt_httpd_reply_file(struct bt_httpd_conn *c, const struct bt_http_req *h,
	const struct bt_httpd_reply *r, int fd, size_t len)
{
	struct bt_httpd *d = c->d;
	if (d->nfiles >= d->o.max_files || c->file >= 0) {
		close(fd);
		return BT_E_LIMIT;
	}
	queue_reply(c, h, r, NULL, len);
	if (!len || (h && h->meth == BT_HTTP_HEAD)) {
		close(fd);
		return 0;
	}
	c->file = fd;
	c->file_off = 0;
	c->file_left = len;
	d->nfiles++;
#ifdef TCP_NOTSENT_LOWAT
	/* Writable only once the kernel has sent most of what it holds. */
	int lowat = NOTSENT_LOWAT;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
#endif
	return 0;
}

void
bt_httpd_error(struct bt_httpd_conn *c, int status)
{
	static const char msg[] = "malformed request\n";
	struct bt_httpd_reply r = { .status = status, .ctype = "text/plain", .body = msg,
		.len = sizeof(msg) - 1, .close = 1 };
	bt_httpd_reply(c, NULL, &r);
}

/* Answer 503 and take no more requests. */
static void
conn_busy(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	bt_buf_add(&c->out, d->busy.p, d->busy.len);
	c->close_after = 1;
	c->must_linger = 1;
	log_reply(d, &c->peer, NULL, 503, sizeof(busy_body) - 1, 0);
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

size_t
bt_httpd_buffered(const struct bt_httpd *d)
{
	return d->in_held + d->out_held;
}

/* ---- a connection's life ---- */

/* Send what is queued until the socket is full; -1 if the connection was
 * closed. */
static int
conn_send(struct bt_httpd_conn *c)
{
	if (c->out.err) {
		conn_close(c);
		return -1;
	}
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out.len = 0;
	c->out_off = 0;
	if (c->file < 0) {
		bt_buf_free(&c->out);	/* kept only between chunks of a file */
		conn_account(c);
	}
	return 0;
}

/* Queue the next chunk of the file body: 1 if one was queued, 0 if none
 * is left, -1 if the file ended early or cannot be read. */
static int
file_fill(struct bt_httpd_conn *c)
{
	if (c->file < 0)
		return 0;
	size_t want = c->file_left < FILE_CHUNK ? c->file_left : FILE_CHUNK;
	uint8_t *p = bt_buf_reserve(&c->out, want);
	if (!p)
		return -1;
	ssize_t n;
	do
		n = pread(c->file, p, want, (off_t)c->file_off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	bt_buf_commit(&c->out, (size_t)n);
	c->file_off += (uint64_t)n;
	c->file_left -= (size_t)n;
	if (!c->file_left) {
		close(c->file);
		c->file = -1;
		c->d->nfiles--;
	}
	return 1;
}

/* Read what has arrived, up to one request head's worth; sets c->eof at
 * the end of the stream.  -1 if the connection was closed. */
static int
conn_read(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	for (int k = 0; k < READ_ROUNDS && c->in.len < d->o.head_max; k++) {
		ssize_t n = recv(c->fd, d->rbuf, sizeof(d->rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(c);
			return -1;
		}
		if (n == 0) {
			c->eof = 1;
			break;
		}
		if (c->in.len == 0)
			c->head_start = c->last;
		bt_buf_add(&c->in, d->rbuf, (size_t)n);
		if (c->in.err) {
			conn_close(c);
			return -1;
		}
		if ((size_t)n < sizeof(d->rbuf))
			break;
	}
	conn_account(c);
	return 0;
}

/* Answer the complete requests at the front of the input while fewer
 * than BT_HTTPD_OUT_MAX bytes of replies wait.  1 if it answered any (or
 * refused the connection), 0 if it could not. */
static int
conn_process(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	struct bt_http_req h;
	size_t done = 0;
	int acted = 0;

	while (done < c->in.len && !c->close_after && c->file < 0 &&
	    c->out.len - c->out_off < BT_HTTPD_OUT_MAX) {
		int rc = bt_http_parse_request((const char *)c->in.p + done, c->in.len - done, &h,
			BT_HTTP_HDR_MAX);
		if (rc == BT_E_PARTIAL) {
			if (c->in.len - done >= d->o.head_max) {
				bt_httpd_error(c, 431);
				acted = 1;
			}
			break;
		}
		acted = 1;
		if (rc < 0) {
			bt_httpd_error(c, rc == BT_E_UNSUPPORTED ? 505 : rc == BT_E_LIMIT ? 431 : 400);
			break;
		}
		if (d->out_held > d->o.out_budget) {
			conn_busy(c);
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
	conn_account(c);
	/* Input kept waiting is what the in_budget bounds. */
	if (c->in.len && !c->close_after && d->in_held > d->o.in_budget) {
		conn_busy(c);
		acted = 1;
	}
	return acted;
}

/* Read and drop what input has arrived.  1 if there was some, 0 if none,
 * -1 at the end of the stream, on an error or past BT_HTTPD_LINGER_BYTES. */
static int
conn_drop(struct bt_httpd_conn *c)
{
	int got = 0;
	for (;;) {
		ssize_t n = recv(c->fd, c->d->rbuf, sizeof(c->d->rbuf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return got;
		if (n <= 0)
			return -1;
		c->dropped += (size_t)n;
		if (c->dropped > BT_HTTPD_LINGER_BYTES)
			return -1;
		got = 1;
	}
}

static uint64_t
linger_end(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_httpd_conn *c = ud;
	(void)loop;
	(void)id;
	c->timer = 0;
	conn_close(c);
	return BT_TIMER_STOP;
}

static int conn_rewatch(struct bt_httpd_conn *c);

/* Everything has been sent: close, lingering when input may still be on
 * the way (so that it does not turn the close into a reset).  -1 if the
 * connection was closed. */
static int
conn_finish(struct bt_httpd_conn *c)
{
	struct bt_httpd *d = c->d;
	int unread = c->in.len > 0 || c->must_linger;
	int r = c->eof ? -1 : conn_drop(c);

	if (r < 0 || (!unread && r == 0) || (!c->spare && d->nspare >= BT_HTTPD_SPARE)) {
		conn_close(c);
		return -1;
	}
	shutdown(c->fd, SHUT_WR);
	if (!c->spare) {
		c->spare = 1;
		d->nspare++;
	}
	c->lingering = 1;
	bt_buf_free(&c->in);
	bt_buf_free(&c->out);
	c->out_off = 0;
	if (!(c->timer = bt_timer_add(d->loop, BT_HTTPD_LINGER_MS, linger_end, c))) {
		conn_close(c);
		return -1;
	}
	return conn_rewatch(c);
}

/* Watch for what the connection waits for: room to send while replies
 * wait (input is left unread meanwhile), else input.  -1 if closed. */
static int
conn_rewatch(struct bt_httpd_conn *c)
{
	unsigned ev = BT_EV_READ;
	idle_unlink(c);
	if (!c->lingering && c->out.len)
		ev = BT_EV_WRITE;
	else if (!c->lingering && !c->in.len)
		idle_append(c);
	conn_account(c);
	if (conn_watch(c, ev) < 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Go as far as possible without waiting: send, refill from the file,
 * answer buffered requests, finish; then watch.  -1 if closed. */
static int
conn_advance(struct bt_httpd_conn *c)
{
	for (;;) {
		if (conn_send(c) < 0)
			return -1;
		if (c->out.len)
			break;
		int r = file_fill(c);
		if (r < 0) {
			conn_close(c);
			return -1;
		}
		if (r > 0)
			continue;
		if (c->in.len && conn_process(c))
			continue;
		if (c->close_after || c->eof)
			return conn_finish(c);
		break;
	}
	return conn_rewatch(c);
}

/* New input or room to send; -1 if the connection was closed. */
static int
conn_input(struct bt_httpd_conn *c, unsigned ev)
{
	if (c->lingering) {
		if (conn_drop(c) < 0) {
			conn_close(c);
			return -1;
		}
		return 0;
	}
	if ((ev & (BT_EV_READ | BT_EV_ERR | BT_EV_HUP)) && !c->out.len && conn_read(c) < 0)
		return -1;
	return conn_advance(c);
}

static void
conn_event(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct bt_httpd_conn *c = ud;
	(void)fd;
	c->last = bt_loop_now_ms(loop);
	conn_input(c, ev);
}

/* ---- accepting ---- */

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
	c->file = -1;
	c->peer = *peer;
	c->last = bt_loop_now_ms(d->loop);
	bt_buf_init(&c->in, d->o.head_max + READ_CHUNK);
	bt_buf_init(&c->out, 0);
	c->slot = d->nconns;
	d->conns[d->nconns++] = c;
	return c;
}

/* Answer a client past max_conns 503.  It lingers as a spare connection
 * while there is room for one; past that the reply is sent as it can be
 * and the socket closed at once. */
static void
refuse(struct bt_httpd *d, int fd, const struct sockaddr_storage *peer)
{
	struct bt_httpd_conn *c;
	if (d->nspare < BT_HTTPD_SPARE && (c = conn_new(d, fd, peer))) {
		c->spare = 1;
		d->nspare++;
		conn_busy(c);
		conn_advance(c);
		return;
	}
	send(fd, d->busy.p, d->busy.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	log_reply(d, peer, NULL, 503, sizeof(busy_body) - 1, 0);
	shutdown(fd, SHUT_WR);
	for (int k = 0; k < 4 && recv(fd, d->rbuf, sizeof(d->rbuf), MSG_DONTWAIT) > 0; k++)
		;
	close(fd);
}

static void
on_accept(struct bt_loop *loop, int lfd, unsigned ev, void *ud)
{
	struct bt_httpd *d = ud;
	(void)loop;
	(void)ev;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		int fd = bt_net_accept(lfd, &peer);
		if (fd == BT_E_LIMIT && d->idle_head) {
			conn_close(d->idle_head);	/* out of descriptors: make one */
			continue;
		}
		if (fd == BT_E_LIMIT) {
			accept_pause(d);	/* until a connection closes */
			return;
		}
		if (fd < 0)
			return;
		/* At the cap, the connection idle the longest makes room. */
		if (serving(d) >= d->o.max_conns && d->idle_head)
			conn_close(d->idle_head);
		if (serving(d) >= d->o.max_conns) {
			refuse(d, fd, &peer);
			continue;
		}
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
		conn_input(c, BT_EV_READ);
	}
}

static uint64_t
idle_sweep(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_httpd *d = ud;
	uint64_t now = bt_loop_now_ms(loop), limit = d->o.idle_ms;
	(void)id;
	/* Idle connections go, and so do clients that trickle a request
	 * head in slower than the same limit, or do not take their replies.
	 * Lingering ones have a timer of their own. */
	for (size_t k = d->nconns; k-- > 0;) {
		struct bt_httpd_conn *x = d->conns[k];
		if (!x->lingering &&
		    (now - x->last > limit || (x->in.len && now - x->head_start > limit)))
			conn_close(x);
	}
	return d->o.sweep_ms;
}

/* ---- the server ---- */

static void
opts_default(struct bt_httpd_opts *o)
{
	if (!o->max_conns)
		o->max_conns = BT_HTTPD_CONNS;
	if (!o->idle_ms)
		o->idle_ms = 15000;
	if (!o->sweep_ms)
		o->sweep_ms = 5000;
	if (!o->head_max)
		o->head_max = BT_HTTPD_HEAD_MAX;
	if (!o->gzip_min)
		o->gzip_min = BT_HTTPD_GZIP_MIN;
	if (!o->in_budget)
		o->in_budget = BT_HTTPD_IN_BUDGET;
	if (!o->out_budget)
		o->out_budget = BT_HTTPD_OUT_BUDGET;
	if (!o->max_files)
		o->max_files = BT_HTTPD_FILES;
}

/* The 503 every refusal sends. */
static int
make_busy(struct bt_buf *b)
{
	struct bt_http_hdr hdr[2] = {
		BT_HTTP_HDR("Content-Type", "text/plain"), BT_HTTP_HDR("Connection", "close"),
	};
	struct bt_http_resp resp = { .status = 503, .hdr = hdr, .nhdr = 2, .body = busy_body,
		.body_len = sizeof(busy_body) - 1 };
	bt_buf_init(b, 0);
	return bt_http_resp_write(b, &resp);
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
	opts_default(&d->o);
	d->loop = loop;
	d->handle = handle;
	d->log = log;
	d->ud = ud;
	bt_buf_init(&d->gz, 0);
	if (make_busy(&d->busy) < 0 ||
	    !(d->sweep = bt_timer_add(loop, d->o.sweep_ms, idle_sweep, d))) {
		bt_buf_free(&d->busy);
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
	bt_buf_free(&d->busy);
	free(d->conns);
	free(d);
}
