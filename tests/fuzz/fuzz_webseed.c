/* fuzz_webseed.c - libFuzzer target: the web seed's reply path.  A seed
 * (BEP 19, or BEP 17 when the first input byte is odd) for a 40000-byte
 * torrent in pieces of 16 KiB asks a server on loopback in this process;
 * the rest of the input, cut at each "#####" (at most four parts), is
 * the raw HTTP reply to each request in turn (head and body as sent),
 * after which the connection is closed.  So the bytes go through httpc
 * (head, Content-Length, chunked, close-delimited, redirects) into the
 * seed's checks (status, length, ranges, BEP 17 503 delays).
 *
 * A fake host hands out blocks and checks every block delivered (valid,
 * asked for, not delivered twice) and given back (asked for); when the
 * seed is freed, no block may still be out.  Every exec ends within a
 * bounded number of loop passes and 2 s of the loop's time, which jumps
 * to the next timer when nothing else is to be done (bt_loop_advance).
 * Inputs naming another host ("//" not followed by "127.0.0.1") are
 * skipped, so that a redirect never leaves the loopback (nor asks a name
 * server). */
#define _GNU_SOURCE
#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "reactor.h"
#include "webseed.h"
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PLEN 16384u
#define TOTAL 40000u
#define NB 3u		/* blocks: 16384, 16384, 7232 (one per piece) */
#define PARTS 4

static const char torrent[] =
	"d4:infod6:lengthi40000e4:name5:f.bin12:piece lengthi16384e6:pieces60:"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"ee";

static struct bt_loop *loop;
static struct bt_meta meta;
static int lfd = -1;
static uint16_t port;

/* ---- the fake host ---- */

static uint8_t st[NB];	/* 0 free, 1 out, 2 delivered */
static size_t
h_pick(void *ud, struct bt_block *out, size_t max)
{
	size_t n = 0;

	(void)ud;
	for (uint32_t i = 0; i < NB && n < max; i++) {
		if (st[i])
			continue;
		st[i] = 1;
		out[n].piece = i;
		out[n].begin = 0;
		out[n++].len = i + 1 < NB ? PLEN : TOTAL - (NB - 1) * PLEN;
	}
	return n;
}

static int
h_index(const struct bt_block *b)
{
	if (b->piece >= NB || b->begin != 0 ||
		b->len != (b->piece + 1 < NB ? PLEN : TOTAL - (NB - 1) * PLEN))
		abort();
	return (int)b->piece;
}

static void
h_block(void *ud, struct bt_webseed *ws, const struct bt_block *b, const uint8_t *data)
{
	int i = h_index(b);

	(void)ud;
	(void)ws;
	(void)data;
	if (st[i] != 1)
		abort();
	st[i] = 2;
}

static void
h_unrequest(void *ud, const struct bt_block *b)
{
	int i = h_index(b);

	(void)ud;
	if (st[i] != 1)
		abort();
	st[i] = 0;
}

static void
h_message(void *ud, struct bt_webseed *ws, const char *text)
{
	(void)ud;
	(void)ws;
	if (!text || !text[0])
		abort();
}

static const struct bt_webseed_host host = { h_pick, h_block, h_unrequest, h_message };

/* ---- the server: one reply per connection ---- */

struct conn {
	int fd;
	const uint8_t *out;
	size_t len, off;
	int got_head, sent;
};

static const uint8_t *part[PARTS];
static size_t part_len[PARTS], nparts, served;
static int open_conns;

static void
conn_end(struct conn *c)
{
	bt_io_del(loop, c->fd);
	close(c->fd);
	open_conns--;
	free(c);
}

static void
on_conn(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct conn *c = ud;
	uint8_t buf[4096];
	ssize_t k;

	(void)l;
	(void)revents;
	if (!c->got_head || c->sent) {
		k = read(fd, buf, sizeof(buf));
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_end(c);
			return;
		}
		if (k > 0)
			c->got_head = 1;	/* the request (or the rest of it) */
		if (c->sent)
			return;
		bt_io_set(loop, fd, BT_EV_READ | BT_EV_WRITE);
	}
	while (c->off < c->len) {
		k = send(fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EAGAIN)
				return;
			conn_end(c);
			return;
		}
		c->off += (size_t)k;
	}
	c->sent = 1;
	shutdown(fd, SHUT_WR);
	bt_io_set(loop, fd, BT_EV_READ);
}

static void
on_accept(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	(void)l;
	(void)revents;
	(void)ud;
	while (served < nparts) {
		int cfd = bt_net_accept(fd, NULL);
		struct conn *c;

		if (cfd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->fd = cfd;
		c->out = part[served];
		c->len = part_len[served++];
		open_conns++;
		bt_io_add(loop, cfd, BT_EV_READ, on_conn, c);
	}
}

static void
setup(void)
{
	struct bt_meta_err err;

	signal(SIGPIPE, SIG_IGN);
	loop = bt_loop_new(64);
	if (!loop || bt_meta_parse(&meta, (const uint8_t *)torrent, sizeof(torrent) - 1, &err) < 0)
		abort();
	lfd = loop_listen_tcp(AF_INET, 16, 0, &port);
	if (lfd < 0 || bt_io_add(loop, lfd, BT_EV_READ, on_accept, NULL) < 0)
		abort();
}

/* 1 if data may send a redirect elsewhere than 127.0.0.1. */
static int
other_host(const uint8_t *data, size_t size)
{
	for (const uint8_t *p = data, *e = data + size;
		(p = memmem(p, (size_t)(e - p), "//", 2)) != NULL; p += 2) {
		if ((size_t)(e - p) < 11 || memcmp(p + 2, "127.0.0.1", 9) != 0 ||
			((size_t)(e - p) > 11 && p[11] != ':' && p[11] != '/'))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_webseed_opts o = { 0 };
	struct bt_webseed *ws;
	char url[128];
	uint64_t end;
	int bep17;

	if (!loop)
		setup();
	if (size < 1 || size > 1 << 17 || other_host(data, size))
		return 0;
	bep17 = data[0] & 1;
	data++;
	size--;
	nparts = served = 0;
	for (const uint8_t *p = data, *e = data + size; nparts < PARTS;) {
		const uint8_t *cut = nparts + 1 < PARTS ? memmem(p, (size_t)(e - p), "#####", 5) : NULL;
		part[nparts] = p;
		part_len[nparts++] = cut ? (size_t)(cut - p) : (size_t)(e - p);
		if (!cut)
			break;
		p = cut + 5;
	}
	memset(st, 0, sizeof(st));
	snprintf(url, sizeof(url), bep17 ? "http://127.0.0.1:%u/seed?x=1" :
		"http://127.0.0.1:%u/d/", (unsigned)port);
	o.url = url;
	o.bep17 = bep17;
	o.max_request = 32768;
	o.timeout_ms = 1000;
	o.retry_ms = 1;
	ws = bt_webseed_new(loop, &meta, &o, &host, NULL);
	if (!ws)
		abort();
	bt_webseed_kick(ws);
	/* Until every reply is served and its connection closed, or every
	 * block is in; bounded.  Loopback delivers at once, so a pass that
	 * finds nothing to do means all wait for a timer (a backoff, a 503
	 * delay, a timeout): the loop's clock jumps to it. */
	end = loop_now_ms() + 2000;
	for (int pass = 0; pass < 4000 && loop_now_ms() < end; pass++) {
		if (bt_loop_run_once(loop, 0) == 0) {
			int64_t d = bt_loop_next_timer_ms(loop);
			if (d < 0)
				break;
			bt_loop_advance(loop, d > 0 ? (uint64_t)d : 1);
		}
		if (open_conns == 0 && (served == nparts || (st[0] == 2 && st[1] == 2 &&
			st[2] == 2)))
			break;
	}
	bt_loop_run_once(loop, 0);
	bt_webseed_free(ws);
	for (uint32_t i = 0; i < NB; i++)
		if (st[i] == 1)
			abort();
	/* Connections the seed left (cancelled): drain them. */
	for (int pass = 0; open_conns > 0 && pass < 100; pass++)
		bt_loop_run_once(loop, 1);
	/* Anything still queued on the listener is refused next time. */
	for (int cfd; (cfd = bt_net_accept(lfd, NULL)) >= 0;)
		close(cfd);
	return 0;
}
