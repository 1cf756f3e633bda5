/* test_httpd.c - the tracker's HTTP server: pipelined requests answered in
 * order, keep-alive and close, an oversized head (431, read by the client
 * even when it keeps sending), a malformed one (400), gzip for large
 * bodies, the idle limit, the connection cap (the longest-idle connection
 * makes room, else 503 at once), file bodies streamed with bounded
 * memory, back-pressure on clients that do not read, and the budgets. */
#include "check.h"
#include "err.h"
#include "httpd.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

struct ctx {
	int logs, gz, last_status;
	int null_req;		/* logs of malformed requests */
	int busy;		/* 503s logged */
};

static char big[3000];
static char file_path[64];	/* served at /file */

/* /file: file_path as a streamed body, or 503 when too many are sent. */
static void
serve_file(struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	int fd = open(file_path, O_RDONLY | O_CLOEXEC);
	off_t len = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	CHECK(len >= 0);
	struct bt_httpd_reply r = { .status = 200, .ctype = "application/octet-stream" };
	if (bt_httpd_reply_file(c, h, &r, fd, (size_t)len) == BT_E_LIMIT) {
		struct bt_httpd_reply b = { .status = 503, .body = "busy", .len = 4 };
		bt_httpd_reply(c, h, &b);
	}
}

static void
handle(void *ud, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	char body[64];
	(void)ud;
	CHECK(bt_httpd_peer(c)->ss_family == AF_INET);
	if (bt_http_path_is(h, "/file")) {
		serve_file(c, h);
		return;
	}
	if (bt_http_path_is(h, "/big")) {
		struct bt_httpd_reply r = { .status = 200, .ctype = "text/plain", .body = big,
			.len = sizeof(big) };
		bt_httpd_reply(c, h, &r);
		return;
	}
	int n = snprintf(body, sizeof(body), "ok:%.*s", (int)h->path_len, h->path);
	struct bt_httpd_reply r = { .status = 200, .ctype = "text/plain", .body = body,
		.len = (size_t)n };
	bt_httpd_reply(c, h, &r);
}

static void
on_log(void *ud, const struct bt_httpd_log *l)
{
	struct ctx *x = ud;
	x->logs++;
	x->gz += l->gzip;
	x->last_status = l->status;
	x->null_req += !l->req;
	x->busy += l->status == 503;
}

static int
client(uint16_t port)
{
	struct sockaddr_storage a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bt_addr_loopback(&a, AF_INET, port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, bt_addr_len(&a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
say(int fd, const char *s)
{
	CHECK(send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s));
}

/* What has arrived on fd, NUL-terminated; *closed set at end of stream. */
static size_t
hear(int fd, char *out, size_t cap, int *closed)
{
	size_t len = 0;
	*closed = 0;
	for (;;) {
		ssize_t n = recv(fd, out + len, cap - 1 - len, MSG_DONTWAIT);
		if (n == 0)
			*closed = 1;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	return len;
}

static struct bt_httpd *
server(struct bt_loop *loop, const struct bt_httpd_opts *o, struct ctx *x, uint16_t *port)
{
	struct bt_httpd *d = NULL;
	CHECK_INT(bt_httpd_new(&d, loop, o, handle, on_log, x), ==, 0);
	int lfd = loop_listen_tcp(AF_INET, 16, 0, port);
	CHECK(lfd >= 0);
	CHECK_INT(bt_httpd_listen(d, lfd), ==, 0);
	return d;
}

static void
test_requests(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .head_max = 256 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	static char buf[16384];
	int closed;

	int fd = client(port);
	say(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	loop_run_until(loop, &x.logs, 2, 2000);
	loop_run_until(loop, NULL, 0, 50);
	hear(fd, buf, sizeof(buf), &closed);
	char *a = strstr(buf, "ok:/a"), *b = strstr(buf, "ok:/b");
	CHECK(a && b && a < b);
	CHECK(!closed);
	CHECK_INT(bt_httpd_count(d), ==, 1);

	say(fd, "GET /big HTTP/1.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
	loop_run_until(loop, &x.logs, 3, 2000);
	loop_run_until(loop, NULL, 0, 50);
	hear(fd, buf, sizeof(buf), &closed);
	CHECK(strstr(buf, "Content-Encoding: gzip\r\n") != NULL);
	CHECK(strstr(buf, "Connection: close\r\n") != NULL);
	CHECK_INT(x.gz, ==, 1);
	CHECK(closed);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	close(fd);

	fd = client(port);
	char head[400];
	memset(head, 'a', sizeof(head));
	memcpy(head, "GET /", 5);
	head[sizeof(head) - 1] = 0;
	say(fd, head);
	loop_run_until(loop, &x.logs, 4, 2000);
	loop_run_until(loop, NULL, 0, 50);
	hear(fd, buf, sizeof(buf), &closed);
	CHECK_INT(x.last_status, ==, 431);
	CHECK(strncmp(buf, "HTTP/1.0 431 ", 13) == 0);
	CHECK(closed);
	close(fd);

	fd = client(port);
	say(fd, "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n");
	loop_run_until(loop, &x.logs, 5, 2000);
	CHECK_INT(x.last_status, ==, 400);
	CHECK_INT(x.null_req, ==, 2);
	close(fd);

	bt_httpd_free(d);
	CHECK_INT(bt_io_count(loop), ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	bt_loop_free(loop);
}

/* Run lp while reading fd until the server ends the stream or ms pass:
 * the bytes (NUL-terminated) in out; *end is 1 at a clean end of stream,
 * -1 on a reset or another error, 0 if it is still open. */
static size_t
hear_end(struct bt_loop *lp, int fd, char *out, size_t cap, unsigned ms, int *end)
{
	uint64_t stop = loop_now_ms() + ms;
	size_t len = 0;
	*end = 0;
	while (!*end && loop_now_ms() < stop) {
		bt_loop_run_once(lp, 5);
		for (;;) {
			ssize_t n = recv(fd, out + len, cap - 1 - len, MSG_DONTWAIT);
			if (n > 0 && (len += (size_t)n) < cap - 1)
				continue;
			if (n == 0)
				*end = 1;
			else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				*end = -1;
			break;
		}
	}
	out[len] = 0;
	return len;
}

/* Idle connections go after idle_ms; at the cap the one idle the longest
 * makes room for a new client. */
static void
test_limits(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .max_conns = 2, .idle_ms = 100, .sweep_ms = 20 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	int fd[3];
	static char buf[4096];

	for (int k = 0; k < 3; k++) {
		fd[k] = client(port);
		loop_run_until(loop, NULL, 0, 10);
	}
	loop_run_until(loop, NULL, 0, 30);
	CHECK_INT(bt_httpd_count(d), ==, 2);
	int end, closed;
	hear_end(loop, fd[0], buf, sizeof(buf), 50, &end);
	CHECK_INT(end, ==, 1);		/* the oldest idle one made room */
	hear(fd[1], buf, sizeof(buf), &closed);
	CHECK(!closed);
	say(fd[2], "GET /c HTTP/1.1\r\n\r\n");
	loop_run_until(loop, &x.logs, 1, 2000);
	loop_run_until(loop, NULL, 0, 20);
	hear(fd[2], buf, sizeof(buf), &closed);
	CHECK(strstr(buf, "ok:/c") != NULL);
	/* The idle ones go. */
	loop_run_until(loop, NULL, 0, 300);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	for (int k = 0; k < 3; k++) {
		hear(fd[k], buf, sizeof(buf), &closed);
		CHECK(closed);
		close(fd[k]);
	}
	CHECK_INT(x.logs, ==, 1);
	bt_httpd_free(d);
	bt_loop_free(loop);
}

/* At the cap with no idle connection, new clients get 503 at once and a
 * clean close, however many come; those served are not disturbed. */
static void
test_busy(void)
{
	enum { N = BT_HTTPD_SPARE + 40 };
	struct bt_loop *loop = bt_loop_new(2 * N);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .max_conns = 2 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	static char buf[4096];
	static int fd[N];
	int held[2], end;

	for (int k = 0; k < 2; k++) {
		held[k] = client(port);
		say(held[k], "GET /a HTTP/1.1\r\n");	/* a request under way */
	}
	loop_run_until(loop, NULL, 0, 30);
	CHECK_INT(bt_httpd_count(d), ==, 2);

	uint64_t t0 = loop_now_ms();
	int c = client(port);
	say(c, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	hear_end(loop, c, buf, sizeof(buf), 2000, &end);
	CHECK_INT(loop_now_ms() - t0, <, 1000);
	CHECK(strncmp(buf, "HTTP/1.0 503 ", 13) == 0);
	CHECK(strstr(buf, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(buf, "\r\n\r\nd14:failure reason23:tracker busy, try latere") != NULL);
	CHECK_INT(end, ==, 1);
	CHECK_INT(x.busy, ==, 1);
	CHECK_INT(x.null_req, ==, 1);
	close(c);
	loop_run_until(loop, NULL, 0, 30);
	CHECK_INT(bt_httpd_count(d), ==, 2);	/* the refused one is gone */

	/* More at once than there is room to linger for: all told. */
	for (int k = 0; k < N; k++) {
		fd[k] = client(port);
		send(fd[k], "GET /b HTTP/1.0\r\n\r\n", 19, MSG_NOSIGNAL);
		bt_loop_run_once(loop, 0);
	}
	int told = 0, resets = 0;
	for (int k = 0; k < N; k++) {
		hear_end(loop, fd[k], buf, sizeof(buf), 1000, &end);
		told += strncmp(buf, "HTTP/1.0 503 ", 13) == 0;
		resets += end < 0;
		close(fd[k]);
	}
	CHECK_INT(told, ==, N);
	CHECK_INT(resets, <=, N - BT_HTTPD_SPARE);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(bt_httpd_count(d), ==, 2);

	/* The requests under way are still served. */
	say(held[0], "\r\n");
	loop_run_until(loop, &x.logs, 2 + N, 2000);
	loop_run_until(loop, NULL, 0, 20);
	hear(held[0], buf, sizeof(buf), &end);
	CHECK(strstr(buf, "ok:/a") != NULL);
	close(held[0]);
	close(held[1]);
	bt_httpd_free(d);
	CHECK_INT(bt_io_count(loop), ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	bt_loop_free(loop);
}

/* A head too long is answered 431 and the client reads it, even though it
 * goes on sending: the close lingers instead of resetting. */
static void
test_linger(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .head_max = 256 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	static char buf[65536], out[4096];
	int end;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	int fd = client(port);
	CHECK(send(fd, buf, 48 << 10, MSG_NOSIGNAL) == 48 << 10);
	loop_run_until(loop, &x.logs, 1, 2000);
	CHECK_INT(x.last_status, ==, 431);
	/* More arrives after the reply. */
	CHECK(send(fd, buf, 16 << 10, MSG_NOSIGNAL) == 16 << 10);
	hear_end(loop, fd, out, sizeof(out), 2000, &end);
	CHECK(strncmp(out, "HTTP/1.0 431 ", 13) == 0);
	CHECK_INT(end, ==, 1);
	CHECK_INT(bt_httpd_count(d), ==, 1);	/* lingering until the client closes */
	close(fd);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(bt_httpd_count(d), ==, 0);

	/* A client that keeps the connection open after the 431 is dropped
	 * after BT_HTTPD_LINGER_MS. */
	fd = client(port);
	CHECK(send(fd, buf, 4096, MSG_NOSIGNAL) == 4096);
	loop_run_until(loop, &x.logs, 2, 2000);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(bt_httpd_count(d), ==, 1);
	loop_run_until(loop, NULL, 0, BT_HTTPD_LINGER_MS + 200);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	close(fd);

	/* Connection: close with a pipelined request behind it: the reply
	 * gets through. */
	fd = client(port);
	say(fd, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
	hear_end(loop, fd, out, sizeof(out), 2000, &end);
	CHECK(strstr(out, "ok:/x") != NULL && !strstr(out, "ok:/y"));
	CHECK_INT(end, ==, 1);
	close(fd);
	bt_httpd_free(d);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	bt_loop_free(loop);
}

static void
write_file(size_t len)
{
	char *p = malloc(len);
	for (size_t k = 0; k < len; k++)
		p[k] = (char)(k * 7 + k / 251);
	int fd = open(file_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, p, len) == (ssize_t)len);
	close(fd);
	free(p);
}

/* The end of the first head in r[0..n), or NULL. */
static const char *
head_end(const char *r, size_t n)
{
	for (size_t k = 0; k + 4 <= n; k++)
		if (!memcmp(r + k, "\r\n\r\n", 4))
			return r + k;
	return NULL;
}

/* The body of the reply at the start of r (of n bytes), and its length. */
static const char *
body_of(const char *r, size_t n, size_t *blen)
{
	const char *e = head_end(r, n);
	*blen = e ? n - (size_t)(e + 4 - r) : 0;
	return e ? e + 4 : r;
}

/* File bodies: read from disk as the client takes them, so a client that
 * does not read holds a chunk, not the file; HEAD, max_files, a file that
 * shrinks. */
static void
test_file(void)
{
	enum { LEN = 3 << 20, NREQ = 3 };
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .max_files = 1 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	char *got = malloc(NREQ * (LEN + 1024));
	int end;

	write_file(LEN);
	int fd = client(port);
	for (int k = 0; k < NREQ; k++)
		say(fd, "GET /file HTTP/1.1\r\n\r\n");
	loop_run_until(loop, &x.logs, 1, 2000);
	loop_run_until(loop, NULL, 0, 300);
	CHECK_INT(x.logs, ==, 1);		/* the next waits for this one */
	CHECK_INT(bt_httpd_buffered(d), <=, 2 * BT_HTTPD_OUT_MAX);

	/* Another client meanwhile: only one file at a time here. */
	int other = client(port);
	say(other, "GET /file HTTP/1.1\r\n\r\nHEAD /a HTTP/1.1\r\n\r\n");
	loop_run_until(loop, &x.logs, 3, 2000);
	loop_run_until(loop, NULL, 0, 20);
	static char small[4096];
	int closed;
	hear(other, small, sizeof(small), &closed);
	CHECK(strncmp(small, "HTTP/1.1 503 ", 13) == 0);
	close(other);

	/* Now read everything: three whole copies. */
	size_t n = 0, want = 0;
	uint64_t stop = loop_now_ms() + 10000;
	while (loop_now_ms() < stop && (!want || n < want)) {
		bt_loop_run_once(loop, 2);
		ssize_t r;
		while ((r = recv(fd, got + n, NREQ * (LEN + 1024) - n, MSG_DONTWAIT)) > 0)
			n += (size_t)r;
		const char *e = want ? NULL : head_end(got, n);
		if (e && !want)
			want = NREQ * ((size_t)(e + 4 - got) + LEN);
	}
	CHECK_INT(n, ==, want);
	char *file = malloc(LEN);
	int ffd = open(file_path, O_RDONLY);
	CHECK(read(ffd, file, LEN) == LEN);
	close(ffd);
	size_t blen, head = want / NREQ - LEN;
	const char *b = body_of(got, n, &blen);
	CHECK(blen >= LEN && memcmp(b, file, LEN) == 0);
	CHECK(memcmp(got + 2 * (head + LEN) + head, file, LEN) == 0);
	CHECK(strstr(got, "Content-Length: 3145728\r\n") != NULL);

	/* HEAD: the length, no body. */
	say(fd, "HEAD /file HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
	loop_run_until(loop, &x.logs, NREQ + 4, 2000);
	loop_run_until(loop, NULL, 0, 20);
	hear(fd, small, sizeof(small), &closed);
	CHECK(strstr(small, "Content-Length: 3145728\r\n") != NULL);
	CHECK(strstr(small, "\r\n\r\nHTTP/1.1 200 OK\r\n") != NULL);
	CHECK(strstr(small, "ok:/after") != NULL);
	CHECK_INT(bt_httpd_buffered(d), ==, 0);

	/* A file that shrinks under the reply ends the connection. */
	say(fd, "GET /file HTTP/1.1\r\n\r\n");
	loop_run_until(loop, &x.logs, NREQ + 5, 2000);
	CHECK(truncate(file_path, 100000) == 0);
	n = hear_end(loop, fd, got, NREQ * (LEN + 1024), 5000, &end);
	CHECK(end != 0);
	CHECK_INT(n, <, LEN);
	close(fd);
	loop_run_until(loop, NULL, 0, 20);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	bt_httpd_free(d);
	unlink(file_path);
	free(file);
	free(got);
	bt_loop_free(loop);
}

/* A client that pipelines requests and never reads holds a bounded amount
 * of replies and stalls only itself. */
static void
test_backpressure(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd *d = server(loop, NULL, &x, &port);
	static char req[2000 * 24];
	static char buf[4096];
	size_t len = 0;

	for (int k = 0; k < 2000; k++)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "GET /big HTTP/1.1\r\n\r\n");
	int fd = client(port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t sent = 0;
	for (int k = 0; k < 200 && sent < len; k++) {
		ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		loop_run_until(loop, NULL, 0, 5);
	}
	CHECK_INT(x.logs, <, 2000);
	/* (buffers grow by doubling) */
	CHECK_INT(bt_httpd_buffered(d), <=, 2 * (BT_HTTPD_OUT_MAX + sizeof(big)) +
		2 * (BT_HTTPD_HEAD_MAX + (16 << 10)));
	int logs = x.logs;
	int other = client(port);
	say(other, "GET /o HTTP/1.0\r\n\r\n");
	loop_run_until(loop, &x.logs, logs + 1, 2000);
	loop_run_until(loop, NULL, 0, 20);
	int closed;
	hear(other, buf, sizeof(buf), &closed);
	CHECK(strstr(buf, "ok:/o") != NULL);
	CHECK(closed);
	close(other);
	close(fd);
	bt_httpd_free(d);
	bt_loop_free(loop);
}

/* Past in_budget, a connection that holds a partial head gets 503; past
 * out_budget, so does the next request. */
static void
test_budget(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .in_budget = 1024 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	static char buf[8192];
	char part[901];
	int end;

	memset(part, 'a', sizeof(part) - 1);
	memcpy(part, "GET /", 5);
	part[sizeof(part) - 1] = 0;
	int a = client(port), b = client(port);
	say(a, part);
	loop_run_until(loop, NULL, 0, 30);
	CHECK_INT(x.busy, ==, 0);
	say(b, part + 300);
	hear_end(loop, b, buf, sizeof(buf), 1000, &end);
	CHECK(strncmp(buf, "HTTP/1.0 503 ", 13) == 0);
	CHECK_INT(end, ==, 1);
	close(b);
	close(a);
	loop_run_until(loop, NULL, 0, 30);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	CHECK_INT(bt_httpd_buffered(d), ==, 0);
	bt_httpd_free(d);

	/* A client that does not read its big replies fills the out budget. */
	o = (struct bt_httpd_opts){ .out_budget = 8192 };
	d = server(loop, &o, &x, &port);
	a = client(port);
	for (int k = 0; k < 2000; k++)
		say(a, "GET /big HTTP/1.1\r\n\r\n");
	loop_run_until(loop, NULL, 0, 200);
	CHECK_INT(bt_httpd_buffered(d), >, 8192);
	int busy = x.busy;
	b = client(port);
	say(b, "GET /b HTTP/1.1\r\n\r\n");
	hear_end(loop, b, buf, sizeof(buf), 1000, &end);
	CHECK(strncmp(buf, "HTTP/1.0 503 ", 13) == 0);
	CHECK_INT(x.busy, ==, busy + 1);
	close(b);
	close(a);
	bt_httpd_free(d);
	bt_loop_free(loop);
}

int
main(void)
{
	memset(big, 'z', sizeof(big));
	snprintf(file_path, sizeof(file_path), "/tmp/bt-test-httpd.%d", (int)getpid());
	test_requests();
	test_limits();
	test_busy();
	test_linger();
	test_file();
	test_backpressure();
	test_budget();
	return check_summary("httpd");
}
