/* test_httpc.c - resolve.c (numeric answers, the worker-thread path,
 * cancel, limits) and httpc.c (URL parser, response-head parser, chunked
 * decoder, and the client against a loopback server on the same loop:
 * Content-Length, chunked and close-delimited bodies, redirects, 404,
 * limits, timeout, refused port, malformed heads, cancel; https is in
 * test_tls). */
#define _GNU_SOURCE
#include "httpc.h"
#include "resolve.h"
#include "reactor.h"
#include "net.h"
#include "buf.h"
#include "err.h"
#include "check.h"
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct bt_loop *loop;

/* ---- URL parser ---- */

static void
test_url(void)
{
	struct bt_url u;
	char big[BT_URL_MAX + 64];

	CHECK_INT(bt_url_parse("http://tracker.example.org/announce?a=1&b=%20", &u), ==, 0);
	CHECK_STR(u.host, "tracker.example.org");
	CHECK_INT(u.port, ==, 80);
	CHECK_INT(u.https, ==, 0);
	CHECK_STR(u.path, "/announce?a=1&b=%20");

	CHECK_INT(bt_url_parse("HTTPS://Example.COM", &u), ==, 0);
	CHECK_INT(u.https, ==, 1);
	CHECK_INT(u.port, ==, 443);
	CHECK_STR(u.path, "/");
	CHECK_STR(u.host, "Example.COM");

	CHECK_INT(bt_url_parse("http://1.2.3.4:6969?x=1#frag", &u), ==, 0);
	CHECK_STR(u.host, "1.2.3.4");
	CHECK_INT(u.port, ==, 6969);
	CHECK_INT(u.port_given, ==, 1);
	CHECK_STR(u.path, "/?x=1");

	CHECK_INT(bt_url_parse("http://[::1]:8080/a/b", &u), ==, 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.ipv6, ==, 1);
	CHECK_INT(u.port, ==, 8080);
	CHECK_STR(u.path, "/a/b");
	CHECK_INT(bt_url_parse("http://[2001:db8::5]/", &u), ==, 0);
	CHECK_INT(u.port, ==, 80);
	CHECK_INT(bt_url_parse("http://host:/x", &u), ==, 0);	/* empty port */
	CHECK_INT(u.port, ==, 80);
	CHECK_INT(bt_url_parse("http://host:65535/x", &u), ==, 0);
	CHECK_INT(u.port, ==, 65535);

	/* Bad ports. */
	CHECK_INT(bt_url_parse("http://host:0/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host:65536/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host:123456/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host:-1/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host:8x/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://[::1]x/", &u), ==, BT_E_PARSE);
	/* Missing host and other malformed ones. */
	CHECK_INT(bt_url_parse("http:///announce", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://:80/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("tracker.example.org/announce", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http:/x", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://[]/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://[::1/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://[fe80::1%25eth0]/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://ho st/", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host/a b", &u), ==, BT_E_PARSE);
	CHECK_INT(bt_url_parse("http://host/a\r\nX: y", &u), ==, BT_E_PARSE);
	/* Userinfo and other schemes. */
	CHECK_INT(bt_url_parse("http://user:pw@host/", &u), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_url_parse("http://good.org@evil.org/", &u), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_url_parse("udp://tracker:80/announce", &u), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_url_parse(NULL, &u), ==, BT_E_INVAL);
	/* Over-long host, path and URL. */
	memset(big, 0, sizeof(big));
	memcpy(big, "http://", 7);
	memset(big + 7, 'a', 253);
	CHECK_INT(bt_url_parse(big, &u), ==, 0);
	CHECK_INT(strlen(u.host), ==, 253);
	big[7 + 253] = 'a';
	CHECK_INT(bt_url_parse(big, &u), ==, BT_E_LIMIT);
	memset(big, 0, sizeof(big));
	memcpy(big, "http://h/", 9);
	memset(big + 9, 'p', BT_URL_PATH_MAX - 2);
	CHECK_INT(bt_url_parse(big, &u), ==, 0);
	CHECK_INT(strlen(u.path), ==, BT_URL_PATH_MAX - 1);
	big[9 + BT_URL_PATH_MAX - 2] = 'p';
	CHECK_INT(bt_url_parse(big, &u), ==, BT_E_LIMIT);
	memset(big + 9, 'p', sizeof(big) - 10);
	big[sizeof(big) - 1] = 0;
	CHECK_INT(bt_url_parse(big, &u), ==, BT_E_LIMIT);
}

/* ---- head parser and chunked decoder ---- */

static void
test_head(void)
{
	struct bt_httpc_head h;
	const char *s;
	int rc;

	s = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-A:  v  \r\n\r\nbody";
	rc = bt_httpc_parse_head(s, strlen(s), &h);
	CHECK_INT(rc, ==, (int)strlen(s) - 4);
	CHECK_INT(h.status, ==, 200);
	CHECK_INT(h.minor, ==, 1);
	CHECK_MEMS(h.reason, h.reason_len, "OK");
	CHECK_INT(h.content_length, ==, 12);
	CHECK_INT(h.nhdr, ==, 2);
	CHECK(bt_httpc_header(&h, "x-a") != NULL);
	CHECK_MEMS(bt_httpc_header(&h, "X-A")->value, bt_httpc_header(&h, "X-A")->value_len, "v");
	CHECK(bt_httpc_header(&h, "x-b") == NULL);
	/* Partial at every cut. */
	for (size_t k = 0; k < strlen(s) - 4; k++)
		if (bt_httpc_parse_head(s, k, &h) != BT_E_PARTIAL)
			CHECK_INT(k, ==, 9999);
	s = "HTTP/1.0 404\nLocation: /x\nTransfer-Encoding: Chunked\n\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, (int)strlen(s));
	CHECK_INT(h.status, ==, 404);
	CHECK_INT(h.reason_len, ==, 0);
	CHECK_INT(h.chunked, ==, 1);
	CHECK_INT(h.content_length, ==, -1);
	CHECK_MEMS(h.location, h.location_len, "/x");

	CHECK_INT(bt_httpc_parse_head("HTP/1.1 200 OK\r\n\r\n", 18, &h), ==, BT_E_PARSE);
	CHECK_INT(bt_httpc_parse_head("X", 1, &h), ==, BT_E_PARSE);
	CHECK_INT(bt_httpc_parse_head("HTTP/2 200\r\n\r\n", 14, &h), ==, BT_E_UNSUPPORTED);
	s = "HTTP/1.1 20 OK\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 2000 OK\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 099 OK\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nA : 1\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nA: 1\r2\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), >, 0);
	s = "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_PARSE);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999999\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_LIMIT);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
	CHECK_INT(bt_httpc_parse_head(s, strlen(s), &h), ==, BT_E_UNSUPPORTED);
	{
		char nul[] = "HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n";
		CHECK_INT(bt_httpc_parse_head(nul, sizeof(nul) - 1, &h), ==, BT_E_PARSE);
	}
	{
		/* Too many headers, then a head that never ends. */
		struct bt_buf b;
		bt_buf_init(&b, 0);
		bt_buf_adds(&b, "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < BT_HTTP_HDR_MAX + 1; i++)
			bt_buf_printf(&b, "H%d: v\r\n", i);
		bt_buf_adds(&b, "\r\n");
		CHECK_INT(bt_httpc_parse_head((char *)b.p, b.len, &h), ==, BT_E_LIMIT);
		b.len = 0;
		bt_buf_adds(&b, "HTTP/1.1 200 OK\r\n");
		while (b.len < BT_HTTPC_HEAD_MAX + 100)
			bt_buf_adds(&b, "X: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
		CHECK_INT(bt_httpc_parse_head((char *)b.p, b.len, &h), ==, BT_E_LIMIT);
		bt_buf_free(&b);
	}
}

static int
chunk_all(const char *in, size_t n, size_t step, struct bt_buf *out, size_t *end)
{
	struct bt_httpc_chunked c;
	size_t off = 0, used;
	int rc = 0;

	bt_httpc_chunked_init(&c);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		rc = bt_httpc_chunked_feed(&c, (const uint8_t *)in + off, k, out, &used);
		if (used > k)
			return -100;
		off += used;
		if (rc != 0)
			break;
	}
	*end = off;
	return rc;
}

static void
test_chunked(void)
{
	const char *s = "5;ext=1\r\nhello\r\n6\r\n world\r\n000\r\nX-T: 1\r\n\r\nrest";
	struct bt_buf b;
	size_t end;

	for (size_t step = 1; step <= strlen(s); step++) {
		bt_buf_init(&b, 0);
		int rc = chunk_all(s, strlen(s), step, &b, &end);
		if (rc != 1 || end != strlen(s) - 4 || b.len != 11 ||
			memcmp(b.p, "hello world", 11) != 0)
			CHECK_INT(step, ==, 0);
		bt_buf_free(&b);
	}
	CHECK(1);
	/* LF alone, upper-case hex, no trailers. */
	bt_buf_init(&b, 0);
	CHECK_INT(chunk_all("A\nabcdefghij\n0\n\n", 16, 100, &b, &end), ==, 1);
	CHECK_MEMS(b.p, b.len, "abcdefghij");
	CHECK_INT(end, ==, 16);
	bt_buf_free(&b);
	/* Errors. */
	bt_buf_init(&b, 0);
	CHECK_INT(chunk_all("x\r\n", 3, 100, &b, &end), ==, BT_E_PARSE);
	CHECK_INT(chunk_all("\r\n", 2, 100, &b, &end), ==, BT_E_PARSE);
	CHECK_INT(chunk_all("3\r\nabcX\r\n", 9, 100, &b, &end), ==, BT_E_PARSE);
	CHECK_INT(chunk_all("1000000000000000\r\n", 18, 100, &b, &end), ==, BT_E_LIMIT);
	CHECK_INT(chunk_all("0000000000000000000001\r\nx\r\n0\r\n\r\n", 32, 100, &b, &end), ==, 1);
	CHECK_INT(chunk_all("3\r\nab", 5, 100, &b, &end), ==, 0);
	bt_buf_free(&b);
	/* The output limit. */
	bt_buf_init(&b, 4);
	CHECK_INT(chunk_all("5\r\nhello\r\n0\r\n\r\n", 15, 100, &b, &end), ==, BT_E_LIMIT);
	bt_buf_free(&b);
}

/* ---- resolver ---- */

struct rres {
	int called, rc;
	size_t n;
	struct sockaddr_storage addr[BT_RESOLVE_ADDRS];
};

static void
on_res(struct bt_loop *l, int rc, const struct sockaddr_storage *addr, size_t n,
	void *ud)
{
	struct rres *r = ud;

	(void)l;
	r->called++;
	r->rc = rc;
	r->n = n;
	if (n)
		memcpy(r->addr, addr, n * sizeof(*addr));
}

static void
test_resolve(void)
{
	struct rres r1, r2, r3, r4, r5, many[24];
	struct bt_resolve *h;
	char text[BT_ADDR_STRLEN];
	char big[300];

	memset(&r1, 0, sizeof(r1));
	CHECK_INT(bt_resolve(loop, "127.0.0.1", 6969, AF_UNSPEC, on_res, &r1, &h), ==, 0);
	CHECK(h != NULL);
	CHECK_INT(r1.called, ==, 0);	/* never re-entrant */
	bt_loop_run_once(loop, 0);
	CHECK_INT(r1.called, ==, 1);
	CHECK_INT(r1.rc, ==, 0);
	CHECK_INT(r1.n, ==, 1);
	bt_addr_format(&r1.addr[0], text, sizeof(text), 0);
	CHECK_STR(text, "127.0.0.1:6969");

	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	memset(&r4, 0, sizeof(r4));
	CHECK_INT(bt_resolve(loop, "[::1]", 80, AF_UNSPEC, on_res, &r2, NULL), ==, 0);
	CHECK_INT(bt_resolve(loop, "::1", 81, AF_INET6, on_res, &r3, NULL), ==, 0);
	CHECK_INT(bt_resolve(loop, "127.0.0.1", 80, AF_INET6, on_res, &r4, NULL), ==, 0);
	CHECK_INT(r2.called + r3.called + r4.called, ==, 0);
	bt_loop_run_once(loop, 0);
	CHECK_INT(r2.called, ==, 1);
	CHECK_INT(r2.n, ==, 1);
	bt_addr_format(&r2.addr[0], text, sizeof(text), 0);
	CHECK_STR(text, "[::1]:80");
	CHECK_INT(r3.rc, ==, 0);
	CHECK_INT(r3.addr[0].ss_family, ==, AF_INET6);
	CHECK_INT(r4.rc, ==, BT_E_NOENT);
	CHECK_INT(r4.n, ==, 0);

	/* Cancel a numeric one: no callback. */
	memset(&r5, 0, sizeof(r5));
	CHECK_INT(bt_resolve(loop, "10.0.0.1", 1, AF_UNSPEC, on_res, &r5, &h), ==, 0);
	bt_resolve_cancel(h);
	bt_loop_run_once(loop, 0);
	CHECK_INT(r5.called, ==, 0);

	/* "localhost" through a worker thread. */
	memset(&r1, 0, sizeof(r1));
	CHECK_INT(bt_resolve(loop, "localhost", 8080, AF_UNSPEC, on_res, &r1, &h), ==, 0);
	CHECK_INT(r1.called, ==, 0);
	loop_run_until(loop, &r1.called, 1, 10000);
	CHECK_INT(r1.called, ==, 1);
	CHECK_INT(r1.rc, ==, 0);
	CHECK_INT(r1.n, >=, 1);
	if (r1.n) {
		CHECK(bt_addr_is_local(&r1.addr[0]));
		CHECK_INT(bt_addr_port(&r1.addr[0]), ==, 8080);
	}
	memset(&r1, 0, sizeof(r1));
	CHECK_INT(bt_resolve(loop, "localhost", 1, AF_INET, on_res, &r1, NULL), ==, 0);
	loop_run_until(loop, &r1.called, 1, 10000);
	CHECK_INT(r1.rc, ==, 0);
	CHECK_INT(r1.addr[0].ss_family, ==, AF_INET);

	/* Cancel while the worker runs: no callback, nothing leaks. */
	memset(&r1, 0, sizeof(r1));
	CHECK_INT(bt_resolve(loop, "localhost", 1, AF_UNSPEC, on_res, &r1, &h), ==, 0);
	bt_resolve_cancel(h);
	loop_wait_resolve(10000);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(r1.called, ==, 0);
	CHECK_INT(bt_resolve_pending(), ==, 0);

	/* More lookups than worker threads: queued, all answered. */
	{
		int total = 0;
		memset(many, 0, sizeof(many));
		for (int i = 0; i < 24; i++)
			CHECK_INT(bt_resolve(loop, "localhost", (uint16_t)i, AF_INET, on_res,
				&many[i], NULL), ==, 0);
		for (uint64_t end = loop_now_ms() + 10000; total < 24 && loop_now_ms() < end;) {
			bt_loop_run_once(loop, 20);
			total = 0;
			for (int i = 0; i < 24; i++)
				total += many[i].called;
		}
		CHECK_INT(total, ==, 24);
		for (int i = 0; i < 24; i++)
			if (many[i].rc != 0 || bt_addr_port(&many[i].addr[0]) != i)
				CHECK_INT(i, ==, -1);
	}

	/* A name that does not exist (may need DNS: allow a failure code). */
	memset(&r1, 0, sizeof(r1));
	CHECK_INT(bt_resolve(loop, "no-such-host.invalid", 1, AF_UNSPEC, on_res, &r1,
		NULL), ==, 0);
	loop_run_until(loop, &r1.called, 1, 15000);
	CHECK_INT(r1.called, ==, 1);
	CHECK(r1.rc == BT_E_NOENT || r1.rc == BT_E_IO);

	/* Arguments. */
	CHECK_INT(bt_resolve(loop, "", 1, AF_UNSPEC, on_res, &r1, NULL), ==, BT_E_INVAL);
	CHECK_INT(bt_resolve(loop, "a b", 1, AF_UNSPEC, on_res, &r1, NULL), ==, BT_E_INVAL);
	CHECK_INT(bt_resolve(loop, "x", 1, 12345, on_res, &r1, NULL), ==, BT_E_INVAL);
	CHECK_INT(bt_resolve(loop, "x", 1, AF_UNSPEC, NULL, &r1, NULL), ==, BT_E_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_INT(bt_resolve(loop, big, 1, AF_UNSPEC, on_res, &r1, NULL), ==, BT_E_LIMIT);
	big[254] = 0;
	CHECK_INT(bt_resolve(loop, big, 1, AF_UNSPEC, on_res, &r1, NULL), ==, BT_E_LIMIT);
	loop_wait_resolve(10000);
}

/* ---- loopback server ---- */

struct sconn {
	int fd;
	char in[8192];
	size_t inlen;
	struct bt_buf out;
	size_t off;
	int hang;
};

static int lfd = -1, lfd6 = -1;
static uint16_t sport, sport6;
static int nrequests;
static char last_req[8192];
static struct sconn *conns[64];

static void
sconn_free(struct sconn *c)
{
	for (int i = 0; i < 64; i++)
		if (conns[i] == c)
			conns[i] = NULL;
	bt_io_del(loop, c->fd);
	close(c->fd);
	bt_buf_free(&c->out);
	free(c);
}

static void
respond(struct sconn *c, const char *path)
{
	struct bt_buf *o = &c->out;

	if (strcmp(path, "/cl") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	} else if (strcmp(path, "/chunked") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
	} else if (strcmp(path, "/close") == 0) {
		bt_buf_adds(o, "HTTP/1.0 200 OK\r\n\r\nuntil close");
	} else if (strcmp(path, "/r1") == 0) {
		bt_buf_adds(o, "HTTP/1.1 302 Found\r\nLocation: /r2?q=1\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/r2?q=1") == 0) {
		bt_buf_printf(o, "HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:%u/d/r3\r\n"
			"Content-Length: 3\r\n\r\nabc", (unsigned)sport);
	} else if (strcmp(path, "/d/r3") == 0) {
		bt_buf_adds(o, "HTTP/1.1 307 Temp\r\nLocation: r4\r\n\r\n");
	} else if (strcmp(path, "/d/r4") == 0) {
		bt_buf_adds(o, "HTTP/1.1 308 Perm\r\nLocation: /cl\r\n\r\n");
	} else if (strcmp(path, "/loop") == 0) {
		bt_buf_adds(o, "HTTP/1.1 302 Found\r\nLocation: /loop\r\n\r\n");
	} else if (strcmp(path, "/tohttps") == 0) {
		bt_buf_adds(o, "HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1/\r\n\r\n");
	} else if (strcmp(path, "/404") == 0) {
		bt_buf_adds(o, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
	} else if (strcmp(path, "/big") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
		for (int i = 0; i < 5000; i++)
			bt_buf_addc(o, 'b');
	} else if (strcmp(path, "/bigclose") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\n\r\n");
		for (int i = 0; i < 5000; i++)
			bt_buf_addc(o, 'b');
	} else if (strcmp(path, "/bigchunk") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n");
		for (int i = 0; i < 5000; i++)
			bt_buf_addc(o, 'b');
		bt_buf_adds(o, "\r\n0\r\n\r\n");
	} else if (strcmp(path, "/large") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n");
		for (int i = 0; i < 300000; i++)
			bt_buf_addc(o, (uint8_t)('a' + i % 26));
	} else if (strcmp(path, "/bad") == 0) {
		bt_buf_adds(o, "HTP/1.1 200 OK\r\n\r\n");
	} else if (strcmp(path, "/bad2") == 0) {
		bt_buf_adds(o, "HTTP/1.1 2x0 OK\r\n\r\n");
	} else if (strcmp(path, "/interim") == 0) {
		bt_buf_adds(o, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
			"Content-Length: 2\r\n\r\nok");
	} else if (strcmp(path, "/trunc") == 0) {
		bt_buf_adds(o, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	} else if (strcmp(path, "/204") == 0) {
		bt_buf_adds(o, "HTTP/1.1 204 No Content\r\n\r\n");
	} else if (strcmp(path, "/empty") == 0) {
		/* close without a byte */
	} else if (strcmp(path, "/hang") == 0) {
		c->hang = 1;
	} else {
		bt_buf_adds(o, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
	}
}

static void
on_sconn(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct sconn *c = ud;

	(void)l;
	(void)revents;
	if (c->out.len == 0 && !c->hang) {
		ssize_t k = read(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		char path[4096];

		if (k <= 0) {
			if (k < 0 && errno == EAGAIN)
				return;
			sconn_free(c);
			return;
		}
		c->inlen += (size_t)k;
		c->in[c->inlen] = 0;
		if (!strstr(c->in, "\r\n\r\n"))
			return;
		nrequests++;
		snprintf(last_req, sizeof(last_req), "%s", c->in);
		if (sscanf(c->in, "GET %4095s HTTP/1.1", path) != 1)
			path[0] = 0;
		respond(c, path);
		if (c->hang)
			return;
		if (c->out.len == 0) {
			sconn_free(c);
			return;
		}
		bt_io_set(loop, fd, BT_EV_WRITE);
	}
	if (c->hang) {
		char tmp[256];
		if (read(fd, tmp, sizeof(tmp)) == 0)
			sconn_free(c);
		return;
	}
	while (c->off < c->out.len) {
		ssize_t k = send(fd, c->out.p + c->off, c->out.len - c->off, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EAGAIN)
				return;
			break;
		}
		c->off += (size_t)k;
	}
	sconn_free(c);
}

static void
on_accept(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	(void)l;
	(void)revents;
	(void)ud;
	for (;;) {
		int cfd = bt_net_accept(fd, NULL);
		struct sconn *c;

		if (cfd < 0)
			return;
		c = calloc(1, sizeof(*c));
		c->fd = cfd;
		bt_buf_init(&c->out, 0);
		for (int i = 0; i < 64; i++)
			if (!conns[i]) {
				conns[i] = c;
				break;
			}
		bt_io_add(loop, cfd, BT_EV_READ, on_sconn, c);
	}
}

static void
server_start(void)
{
	lfd = loop_listen_tcp(AF_INET, 64, 0, &sport);
	CHECK_INT(lfd, >=, 0);
	bt_io_add(loop, lfd, BT_EV_READ, on_accept, NULL);
	lfd6 = loop_listen_tcp(AF_INET6, 16, BT_NET_V6ONLY, &sport6);
	if (lfd6 >= 0)
		bt_io_add(loop, lfd6, BT_EV_READ, on_accept, NULL);
}

static void
server_stop(void)
{
	for (int i = 0; i < 64; i++)
		if (conns[i])
			sconn_free(conns[i]);
	bt_io_del(loop, lfd);
	close(lfd);
	if (lfd6 >= 0) {
		bt_io_del(loop, lfd6);
		close(lfd6);
	}
}

/* ---- client ---- */

struct cres {
	int called, status, sys_errno;
	unsigned redirects;
	const char *tls_error;
	char url[512];
	char desc[600];		/* bt_httpc_describe() */
	struct bt_buf body;
	struct bt_httpc *cancel_other;	/* cancel this from the callback */
	struct bt_httpc *self;
};

static void
on_http(struct bt_loop *l, const struct bt_httpc_result *r, void *ud)
{
	struct cres *c = ud;

	(void)l;
	c->called++;
	c->status = r->status;
	c->sys_errno = r->sys_errno;
	c->redirects = r->redirects;
	c->tls_error = r->tls_error;
	snprintf(c->url, sizeof(c->url), "%s", r->url);
	bt_httpc_describe(r, c->desc, sizeof(c->desc));
	bt_buf_add(&c->body, r->body, r->body_len);
	if (c->cancel_other) {
		bt_httpc_cancel(c->cancel_other);
		c->cancel_other = NULL;
	}
	bt_httpc_cancel(c->self);	/* own handle: a no-op */
}

/* GET path from the test server; returns the result (body freed by the
 * caller through cres_free). */
static void
get(struct cres *c, const char *url, const struct bt_httpc_opts *o)
{
	struct bt_httpc *h = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	bt_buf_init(&c->body, 0);
	rc = bt_httpc_get(loop, url, o, on_http, c, &h);
	CHECK_INT(rc, ==, 0);
	if (rc < 0) {
		c->called = 1;
		c->status = rc;
		return;
	}
	c->self = h;
	CHECK_INT(c->called, ==, 0);
	loop_run_until(loop, &c->called, 1, 10000);
	CHECK_INT(c->called, ==, 1);
}

static void
cres_free(struct cres *c)
{
	bt_buf_free(&c->body);
}

static void
url_of(char *out, size_t cap, const char *path)
{
	snprintf(out, cap, "http://127.0.0.1:%u%s", (unsigned)sport, path);
}

static void
test_client(void)
{
	struct cres c, c2;
	struct bt_httpc_opts o;
	struct bt_httpc *h;
	char url[512], want[512];

	server_start();
	bt_httpc_opts_init(&o);
	o.user_agent = "bt-test/1.0";

	url_of(url, sizeof(url), "/cl");
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello");
	CHECK_STR(c.url, url);
	CHECK(strstr(last_req, "GET /cl HTTP/1.1\r\n") == last_req);
	snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%u\r\n", (unsigned)sport);
	CHECK(strstr(last_req, want) != NULL);
	CHECK(strstr(last_req, "\r\nUser-Agent: bt-test/1.0\r\n") != NULL);
	CHECK(strstr(last_req, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(last_req, "Accept-Encoding") == NULL);
	cres_free(&c);

	url_of(url, sizeof(url), "/chunked");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello world");
	CHECK(strstr(last_req, "User-Agent") == NULL);
	cres_free(&c);

	url_of(url, sizeof(url), "/close");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "until close");
	cres_free(&c);

	url_of(url, sizeof(url), "/large");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 200);
	CHECK_INT(c.body.len, ==, 300000);
	if (c.body.len == 300000)
		CHECK(c.body.p[299999] == 'a' + 299999 % 26 && c.body.p[12345] == 'a' + 12345 % 26);
	cres_free(&c);

	/* Redirect chain: 302 -> 301 (absolute) -> 307 (relative) -> 308. */
	url_of(url, sizeof(url), "/r1");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello");
	CHECK_INT(c.redirects, ==, 4);
	url_of(want, sizeof(want), "/cl");
	CHECK_STR(c.url, want);
	cres_free(&c);
	/* The same chain with too few redirects allowed. */
	o.max_redirects = 3;
	url_of(url, sizeof(url), "/r1");
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	CHECK_INT(c.redirects, ==, 3);
	cres_free(&c);
	o.max_redirects = 0;
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	cres_free(&c);
	o.max_redirects = BT_HTTPC_REDIRECTS;
	/* A loop. */
	url_of(url, sizeof(url), "/loop");
	nrequests = 0;
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	CHECK_INT(c.redirects, ==, BT_HTTPC_REDIRECTS);
	CHECK_INT(nrequests, ==, BT_HTTPC_REDIRECTS + 1);
	CHECK(strncmp(c.desc, "too many redirects (5) at ", 26) == 0);
	CHECK_STR(c.desc + 26, url);
	cres_free(&c);
	/* To https (test_tls has the real thing): with no CA bundle, the
	 * failure comes after the redirect. */
	url_of(url, sizeof(url), "/tohttps");
	o.ca_file = "/nonexistent/ca.pem";
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "CA bundle not found");
	CHECK_INT(c.redirects, ==, 1);
	CHECK_STR(c.url, "https://127.0.0.1/");
	cres_free(&c);
	o.ca_file = NULL;

	url_of(url, sizeof(url), "/404");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 404);
	CHECK_MEMS(c.body.p, c.body.len, "nope");
	CHECK_STR(c.desc, "HTTP status 404");
	cres_free(&c);

	url_of(url, sizeof(url), "/204");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 204);
	CHECK_INT(c.body.len, ==, 0);
	cres_free(&c);

	url_of(url, sizeof(url), "/interim");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 201);
	CHECK_MEMS(c.body.p, c.body.len, "ok");
	cres_free(&c);

	/* Over-limit bodies, by Content-Length, until close and chunked. */
	o.max_body = 1000;
	url_of(url, sizeof(url), "/big");
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	CHECK_STR(c.desc, "reply body too large");
	cres_free(&c);
	url_of(url, sizeof(url), "/bigclose");
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	CHECK_STR(c.desc, "reply body too large");
	cres_free(&c);
	url_of(url, sizeof(url), "/bigchunk");
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_LIMIT);
	CHECK_STR(c.desc, "reply body too large");
	cres_free(&c);
	o.max_body = 5000;
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_INT(c.body.len, ==, 5000);
	cres_free(&c);
	o.max_body = 0;

	url_of(url, sizeof(url), "/bad");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_PARSE);
	CHECK_STR(c.desc, "malformed reply head");
	cres_free(&c);
	url_of(url, sizeof(url), "/bad2");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_PARSE);
	cres_free(&c);
	url_of(url, sizeof(url), "/trunc");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_PROTO);
	CHECK_STR(c.desc, "reply body cut short");
	cres_free(&c);
	url_of(url, sizeof(url), "/empty");
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_PROTO);
	CHECK_STR(c.desc, "connection closed without a reply");
	cres_free(&c);

	/* A server that never answers. */
	o.timeout_ms = 200;
	url_of(url, sizeof(url), "/hang");
	{
		uint64_t t0 = loop_now_ms();
		get(&c, url, &o);
		CHECK_INT(c.status, ==, BT_E_IO);
		CHECK_INT(c.sys_errno, ==, ETIMEDOUT);
		CHECK_STR(c.desc, "timeout exceeded");
		CHECK_INT(loop_now_ms() - t0, >=, 150);
		CHECK_INT(loop_now_ms() - t0, <, 3000);
	}
	cres_free(&c);
	o.timeout_ms = 0;

	/* A refused port. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)loop_closed_port());
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, BT_E_IO);
	CHECK_INT(c.sys_errno, ==, CHECK_REFUSED);
	CHECK_STR(c.desc, strerror(CHECK_REFUSED));
	cres_free(&c);

	/* "localhost" through the resolver thread (and, where localhost is
	 * ::1 first, the fallback to the next address). */
	snprintf(url, sizeof(url), "http://localhost:%u/cl", (unsigned)sport);
	get(&c, url, NULL);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello");
	snprintf(want, sizeof(want), "\r\nHost: localhost:%u\r\n", (unsigned)sport);
	CHECK(strstr(last_req, want) != NULL);
	cres_free(&c);

	/* IPv6 literal, if the host has ::1. */
	if (lfd6 >= 0) {
		snprintf(url, sizeof(url), "http://[::1]:%u/chunked", (unsigned)sport6);
		get(&c, url, NULL);
		CHECK_INT(c.status, ==, 200);
		CHECK_MEMS(c.body.p, c.body.len, "hello world");
		snprintf(want, sizeof(want), "\r\nHost: [::1]:%u\r\n", (unsigned)sport6);
		CHECK(strstr(last_req, want) != NULL);
		cres_free(&c);
	} else {
		printf("test_httpc: no ::1, IPv6 client test skipped\n");
	}

	/* Synchronous errors. */
	{
		char longp[5000];
		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = 0;
		o.ca_file = longp;
		CHECK_INT(bt_httpc_get(loop, "https://127.0.0.1/", &o, on_http, &c, &h), ==,
			BT_E_INVAL);
		CHECK(h == NULL);
		o.ca_file = NULL;
	}
	CHECK_INT(bt_httpc_get(loop, "ftp://x/", NULL, on_http, &c, &h), ==,
		BT_E_UNSUPPORTED);
	CHECK_INT(bt_httpc_get(loop, "http://u@x/", NULL, on_http, &c, &h), ==,
		BT_E_UNSUPPORTED);
	CHECK_INT(bt_httpc_get(loop, "http:///", NULL, on_http, &c, &h), ==, BT_E_PARSE);
	CHECK_INT(bt_httpc_get(loop, NULL, NULL, on_http, &c, &h), ==, BT_E_INVAL);
	o.user_agent = "bad\r\nX-Injected: 1";
	CHECK_INT(bt_httpc_get(loop, "http://127.0.0.1/", &o, on_http, &c, &h), ==,
		BT_E_INVAL);
	o.user_agent = NULL;

	/* Cancel before anything happened (numeric and thread paths). */
	memset(&c, 0, sizeof(c));
	url_of(url, sizeof(url), "/cl");
	CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &c, &h), ==, 0);
	bt_httpc_cancel(h);
	snprintf(url, sizeof(url), "http://localhost:%u/cl", (unsigned)sport);
	CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &c, &h), ==, 0);
	bt_httpc_cancel(h);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(c.called, ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);

	/* Cancel during a request, once the server has it. */
	nrequests = 0;
	url_of(url, sizeof(url), "/hang");
	CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &c, &h), ==, 0);
	loop_run_until(loop, &nrequests, 1, 5000);
	CHECK_INT(nrequests, ==, 1);
	bt_httpc_cancel(h);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(c.called, ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);

	/* Cancel one request from another's callback. */
	{
		struct bt_httpc *ha, *hb;

		memset(&c, 0, sizeof(c));
		memset(&c2, 0, sizeof(c2));
		bt_buf_init(&c.body, 0);
		url_of(url, sizeof(url), "/hang");
		CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &c2, &hb), ==, 0);
		url_of(url, sizeof(url), "/cl");
		CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &c, &ha), ==, 0);
		c.self = ha;
		c.cancel_other = hb;
		loop_run_until(loop, &c.called, 1, 5000);
		CHECK_INT(c.called, ==, 1);
		CHECK_INT(c.status, ==, 200);
		loop_run_until(loop, NULL, 0, 100);
		CHECK_INT(c2.called, ==, 0);
		cres_free(&c);
	}
	CHECK_INT(bt_timer_count(loop), ==, 0);

	/* A callback may start the next request: several at once. */
	{
		struct cres cs[8];
		int done = 0;
		memset(cs, 0, sizeof(cs));
		for (int i = 0; i < 8; i++) {
			bt_buf_init(&cs[i].body, 0);
			url_of(url, sizeof(url), i % 2 ? "/chunked" : "/large");
			CHECK_INT(bt_httpc_get(loop, url, NULL, on_http, &cs[i], NULL), ==, 0);
		}
		for (uint64_t end = loop_now_ms() + 10000; done < 8 && loop_now_ms() < end;) {
			bt_loop_run_once(loop, 20);
			done = 0;
			for (int i = 0; i < 8; i++)
				done += cs[i].called;
		}
		CHECK_INT(done, ==, 8);
		for (int i = 0; i < 8; i++) {
			CHECK_INT(cs[i].status, ==, 200);
			CHECK_INT(cs[i].body.len, ==, i % 2 ? 11 : 300000);
			cres_free(&cs[i]);
		}
	}

	loop_run_until(loop, NULL, 0, 50);
	server_stop();
	loop_wait_resolve(10000);
	CHECK_INT(bt_io_count(loop), ==, 0);
}

int
main(void)
{
	loop = bt_loop_new(1024);
	if (!loop)
		return 1;
	test_url();
	test_head();
	test_chunked();
	test_resolve();
	test_client();
	bt_loop_free(loop);
	return check_summary("httpc");
}
