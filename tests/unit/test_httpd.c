/* test_httpd.c - the tracker's HTTP server: pipelined requests answered in
 * order, keep-alive and close, an oversized head (431), a malformed one
 * (400), gzip for large bodies, the idle limit and the connection cap. */
#include "check.h"
#include "err.h"
#include "httpd.h"
#include "loop.h"

#include <stdlib.h>

struct ctx {
	int logs, gz, last_status;
	int null_req;		/* logs of malformed requests */
};

static char big[3000];

static void
handle(void *ud, struct bt_httpd_conn *c, const struct bt_http_req *h)
{
	char body[64];
	(void)ud;
	CHECK(bt_httpd_peer(c)->ss_family == AF_INET);
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

static void
test_limits(void)
{
	struct bt_loop *loop = bt_loop_new(64);
	struct ctx x = { 0 };
	uint16_t port;
	struct bt_httpd_opts o = { .max_conns = 2, .idle_ms = 100, .sweep_ms = 20 };
	struct bt_httpd *d = server(loop, &o, &x, &port);
	int fd[3];

	for (int k = 0; k < 3; k++)
		fd[k] = client(port);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(bt_httpd_count(d), ==, 2);
	/* The idle two go; then the third is taken, and goes in its turn. */
	loop_run_until(loop, NULL, 0, 160);
	CHECK_INT(bt_httpd_count(d), <=, 1);
	loop_run_until(loop, NULL, 0, 300);
	CHECK_INT(bt_httpd_count(d), ==, 0);
	int closed = 0;
	char buf[64];
	for (int k = 0; k < 3; k++) {
		hear(fd[k], buf, sizeof(buf), &closed);
		CHECK(closed);
		close(fd[k]);
	}
	CHECK_INT(x.logs, ==, 0);
	bt_httpd_free(d);
	bt_loop_free(loop);
}

int
main(void)
{
	memset(big, 'z', sizeof(big));
	test_requests();
	test_limits();
	return check_summary("httpd");
}
