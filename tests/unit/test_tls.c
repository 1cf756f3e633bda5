/* test_tls.c - tls.c (CA bundle parsing and caching, the engine driven by
 * hand) and https in httpc.c against loopback servers: a test CA and
 * server certificates made at test time with the openssl command, served
 * by a small python3 https server (a child process, killed at the end).
 * Trusted, untrusted, wrong name, expired, SSL_CERT_FILE, redirects
 * between http and https, bodies of every kind, a non-TLS server, a
 * server that hangs up or never answers, cancel.  Without openssl or
 * python3 the network part is skipped (and says so). */
#define _GNU_SOURCE
#include "tls.h"
#include "httpc.h"
#include "resolve.h"
#include "reactor.h"
#include "net.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "check.h"
#include "loop.h"

#include <bearssl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct bt_loop *loop;
static char dir[64];

static void
path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static int
write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;
	int ok;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A whole file into a new buffer (NULL if it cannot be read). */
static uint8_t *
read_all(const char *path, size_t *n)
{
	uint8_t *p;

	return bt_file_read(path, 64u << 20, &p, n) == 0 ? p : NULL;
}

/* Run a shell command in dir; 0 on success. */
static int
sh(const char *cmd)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "cd '%s' && ( %s ) >/dev/null 2>&1", dir, cmd);
	return system(buf);
}

static int
have(const char *prog)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", prog);
	return system(buf) == 0;
}

/* ---- certificates ---- */

/* ca.pem (EC P-256 test CA); srv.pem for localhost + 127.0.0.1, other.pem
 * for other.example, old.pem for localhost but expired in 2001 (all with
 * srv.key, RSA 2048); rsaca.pem a second CA with an RSA key. */
static int
make_certs(void)
{
	static const char ca_cnf[] =
		"[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\n"
		"new_certs_dir = .\nserial = serial\ndefault_md = sha256\n"
		"policy = p\nunique_subject = no\n[ p ]\ncommonName = supplied\n";
	static const char ext[] =
		"subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
		"keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
	static const char ext2[] = "subjectAltName=DNS:other.example\n";

	if (write_file("ca.cnf", ca_cnf, strlen(ca_cnf)) ||
		write_file("ext.cnf", ext, strlen(ext)) ||
		write_file("ext2.cnf", ext2, strlen(ext2)) ||
		write_file("index.txt", "", 0) || write_file("serial", "01\n", 3))
		return -1;
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		"-nodes -keyout ca.key -out ca.pem -days 3 -subj '/CN=bt test CA' "
		"-addext basicConstraints=critical,CA:TRUE "
		"-addext keyUsage=critical,keyCertSign,cRLSign"))
		return -1;
	if (sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout rsaca.key "
		"-out rsaca.pem -days 3 -subj '/CN=bt test RSA CA'"))
		return -1;
	if (sh("openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
		"-subj /CN=localhost"))
		return -1;
	if (sh("openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		"-out srv.pem -days 3 -extfile ext.cnf"))
		return -1;
	if (sh("openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		"-out other.pem -days 3 -extfile ext2.cnf"))
		return -1;
	if (sh("openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key "
		"-in srv.csr -out old.pem -startdate 20000101000000Z "
		"-enddate 20010101000000Z -extfile ext.cnf -notext"))
		return -1;
	return 0;
}

/* ---- the python server ---- */

/* Argument: a directory.  Serves plain http and three https ports
 * (srv.pem, other.pem, old.pem); prints the four ports on one line. */
static const char server_py[] =
"import http.server, ssl, sys, threading\n"
"d = sys.argv[1]\n"
"ports = []\n"
"class H(http.server.BaseHTTPRequestHandler):\n"
"    protocol_version = 'HTTP/1.1'\n"
"    def log_message(self, *a):\n"
"        pass\n"
"    def reply(self, code, body, extra=()):\n"
"        self.send_response(code)\n"
"        for k, v in extra:\n"
"            self.send_header(k, v)\n"
"        self.send_header('Content-Length', str(len(body)))\n"
"        self.end_headers()\n"
"        self.wfile.write(body)\n"
"    def do_GET(self):\n"
"        p = self.path\n"
"        if p == '/hello':\n"
"            self.reply(200, b'hello over tls')\n"
"        elif p == '/plain':\n"
"            self.reply(200, b'plain')\n"
"        elif p == '/big':\n"
"            self.reply(200, bytes((i * 7 + i // 977) % 251 for i in range(300000)))\n"
"        elif p == '/chunked':\n"
"            self.send_response(200)\n"
"            self.send_header('Transfer-Encoding', 'chunked')\n"
"            self.end_headers()\n"
"            for part in (b'one ', b'two ', b'three'):\n"
"                self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(part), part))\n"
"            self.wfile.write(b'0\\r\\n\\r\\n')\n"
"        elif p == '/close':\n"
"            self.wfile.write(b'HTTP/1.1 200 OK\\r\\nConnection: close\\r\\n\\r\\nuntil close')\n"
"            self.close_connection = True\n"
"        elif p == '/tohttp':\n"
"            self.reply(302, b'', [('Location', 'http://127.0.0.1:%d/plain' % ports[0])])\n"
"        elif p == '/tohttps':\n"
"            self.reply(302, b'', [('Location', 'https://localhost:%d/hello' % ports[1])])\n"
"        else:\n"
"            self.reply(404, b'no')\n"
"def serve(cert):\n"
"    s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
"    s.daemon_threads = True\n"
"    if cert:\n"
"        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
"        c.load_cert_chain(d + '/' + cert, d + '/srv.key')\n"
"        s.socket = c.wrap_socket(s.socket, server_side=True)\n"
"    ports.append(s.server_address[1])\n"
"    return s\n"
"ss = [serve(None), serve('srv.pem'), serve('other.pem'), serve('old.pem')]\n"
"print(' '.join(str(p) for p in ports), flush=True)\n"
"for s in ss[:-1]:\n"
"    threading.Thread(target=s.serve_forever, daemon=True).start()\n"
"ss[-1].serve_forever()\n";

static pid_t server_pid = -1;
static unsigned port_plain, port_tls, port_other, port_old;

static int
server_start(void)
{
	char path[256], line[128];
	char *argv[] = { "python3", path, dir, NULL };

	if (write_file("server.py", server_py, strlen(server_py)))
		return -1;
	path_of(path, sizeof(path), "server.py");
	server_pid = loop_spawn(argv, line, sizeof(line), 15000);
	if (server_pid < 0 ||
	    sscanf(line, "%u %u %u %u", &port_plain, &port_tls, &port_other, &port_old) != 4)
		return -1;
	return 0;
}

/* ---- anchors ---- */

static void
test_anchors(int certs)
{
	struct bt_tls_anchors *a = NULL;
	const struct bt_tls_anchors *g1 = NULL, *g2 = NULL;
	const char *why = NULL;
	char path[256];
	uint8_t *p;
	size_t n;
	int rc;

	/* Nothing usable. */
	CHECK_INT(bt_tls_anchors_parse((const uint8_t *)"", 0, &a), ==, BT_E_NOENT);
	CHECK(a == NULL);
	{
		static const char junk[] = "hello\n-----BEGIN CERTIFICATE-----\n"
			"!!!!\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n"
			"AAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"
			"AAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAA";
		CHECK_INT(bt_tls_anchors_parse((const uint8_t *)junk, sizeof(junk) - 1, &a),
			==, BT_E_NOENT);
	}
	{
		uint8_t *big = calloc(1, BT_TLS_CA_FILE_MAX + 1);
		CHECK_INT(bt_tls_anchors_parse(big, BT_TLS_CA_FILE_MAX + 1, &a), ==,
			BT_E_LIMIT);
		free(big);
	}
	CHECK_INT(bt_tls_anchors_parse(NULL, 1, &a), ==, BT_E_INVAL);

	/* The bundle path. */
	unsetenv(BT_TLS_CA_ENV);
	CHECK_STR(bt_tls_ca_path(NULL), BT_TLS_CA_DEFAULT);
	CHECK_STR(bt_tls_ca_path(""), BT_TLS_CA_DEFAULT);
	setenv(BT_TLS_CA_ENV, "/x/env.pem", 1);
	CHECK_STR(bt_tls_ca_path(NULL), "/x/env.pem");
	CHECK_STR(bt_tls_ca_path("/x/opt.pem"), "/x/opt.pem");
	setenv(BT_TLS_CA_ENV, "", 1);
	CHECK_STR(bt_tls_ca_path(NULL), BT_TLS_CA_DEFAULT);
	unsetenv(BT_TLS_CA_ENV);

	/* Files that are not bundles. */
	CHECK_INT(bt_tls_anchors_get("/nonexistent/ca.pem", &g1, &why), ==, BT_E_IO);
	CHECK_STR(why, "CA bundle not found");
	CHECK_INT(bt_tls_anchors_get("/", &g1, &why), ==, BT_E_IO);
	CHECK_STR(why, "CA bundle not readable");
	write_file("empty.pem", "", 0);
	path_of(path, sizeof(path), "empty.pem");
	CHECK_INT(bt_tls_anchors_get(path, &g1, &why), ==, BT_E_NOENT);
	CHECK_STR(why, "no certificates in CA bundle");
	{
		char longp[BT_TLS_PATH_MAX + 8];
		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = 0;
		CHECK_INT(bt_tls_anchors_get(longp, &g1, &why), ==, BT_E_INVAL);
	}

	/* The system bundle, if there is one: RSA and EC roots. */
	p = read_all(BT_TLS_CA_DEFAULT, &n);
	if (p) {
		rc = bt_tls_anchors_parse(p, n, &a);
		CHECK_INT(rc, >, 10);
		CHECK_INT(bt_tls_anchors_count(a), ==, rc);
		bt_tls_anchors_free(a);
		/* Without the final newline, and cut in the middle of a
		 * certificate: the complete ones still count. */
		if (n > 2 && p[n - 1] == '\n') {
			CHECK_INT(bt_tls_anchors_parse(p, n - 1, &a), ==, rc);
			bt_tls_anchors_free(a);
			CHECK_INT(bt_tls_anchors_parse(p, n / 2, &a), <, rc);
			bt_tls_anchors_free(a);
		}
		CHECK_INT(bt_tls_anchors_get(NULL, &g1, &why), ==, rc);
		CHECK_INT(bt_tls_anchors_get(BT_TLS_CA_DEFAULT, &g2, &why), ==, rc);
		CHECK(g1 && g1 == g2);	/* cached */
		free(p);
	} else {
		printf("test_tls: no %s, system bundle checks skipped\n", BT_TLS_CA_DEFAULT);
	}

	if (!certs)
		return;
	/* The test CAs: one EC, one RSA, a private key and junk between. */
	{
		struct bt_buf b;
		char ca[256], rsaca[256], key[256];
		uint8_t *x, *y, *z;
		size_t nx, ny, nz;

		path_of(ca, sizeof(ca), "ca.pem");
		path_of(rsaca, sizeof(rsaca), "rsaca.pem");
		path_of(key, sizeof(key), "ca.key");
		x = read_all(ca, &nx);
		y = read_all(rsaca, &ny);
		z = read_all(key, &nz);
		CHECK(x && y && z);
		bt_buf_init(&b, 0);
		bt_buf_add(&b, z, nz);
		bt_buf_adds(&b, "some words\r\n");
		bt_buf_add(&b, x, nx);
		bt_buf_add(&b, y, ny);
		CHECK_INT(bt_tls_anchors_parse(b.p, b.len, &a), ==, 2);
		bt_tls_anchors_free(a);
		CHECK_INT(bt_tls_anchors_parse(x, nx, &a), ==, 1);
		bt_tls_anchors_free(a);
		bt_buf_free(&b);
		free(x);
		free(y);
		free(z);
		CHECK_INT(bt_tls_anchors_get(ca, &g1, &why), ==, 1);
	}
}

/* ---- the engine by hand ---- */

static void
test_engine(void)
{
	struct bt_tls_anchors *a = NULL;
	struct bt_tls *t = NULL;
	const uint8_t *o, *pp;
	uint8_t *in, buf[64];
	size_t n;

	{
		char ca[256];
		size_t len;
		uint8_t *p;

		path_of(ca, sizeof(ca), "ca.pem");
		p = read_all(ca, &len);
		if (!p || bt_tls_anchors_parse(p, len, &a) != 1) {
			free(p);
			CHECK(0);
			return;
		}
		free(p);
	}
	printf("test_tls: %zu bytes per TLS connection\n", bt_tls_size());
	CHECK_INT(bt_tls_size(), >=, BR_SSL_BUFSIZE_BIDI);
	CHECK_INT(bt_tls_size(), <, 48 * 1024);
	CHECK_INT(bt_tls_new(&t), ==, 0);
	/* Not started: nothing moves, and it counts as failed. */
	CHECK(bt_tls_out(t, &n) == NULL && n == 0);
	CHECK_INT(bt_tls_want(t), ==, 0);
	CHECK_INT(bt_tls_write(t, "x", 1), ==, BT_E_TLS);
	CHECK_INT(bt_tls_start(t, a, NULL), ==, 0);
	{
		char name[300];
		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = 0;
		CHECK_INT(bt_tls_start(t, a, name), ==, BT_E_INVAL);
	}

	/* A ClientHello waits: a handshake record, TLS 1.x, with the name
	 * as SNI. */
	CHECK_INT(bt_tls_start(t, a, "example.org"), ==, 0);
	CHECK_INT(bt_tls_ready(t), ==, 0);
	CHECK_INT(bt_tls_want(t) & BT_TLS_WANT_WRITE, !=, 0);
	o = bt_tls_out(t, &n);
	CHECK(o != NULL && n > 50);
	if (o && n > 50) {
		CHECK_INT(o[0], ==, 22);
		CHECK_INT(o[1], ==, 3);
		CHECK(memmem(o, n, "example.org", 11) != NULL);
	}
	CHECK_INT(bt_tls_write(t, "GET", 3), ==, BT_E_PARTIAL);
	CHECK_INT(bt_tls_peek(t, &pp), ==, BT_E_PARTIAL);
	bt_tls_out_done(t, n);
	CHECK(bt_tls_out(t, &n) == NULL);
	CHECK_INT(bt_tls_want(t), ==, BT_TLS_WANT_READ);

	/* The "server" answers in plain HTTP: not TLS. */
	in = bt_tls_in(t, &n);
	CHECK(in != NULL && n >= 5);
	if (in && n >= 5) {
		memcpy(in, "HTTP/", 5);
		bt_tls_in_done(t, 5);
	}
	CHECK_INT(bt_tls_peek(t, &pp), ==, BT_E_TLS);
	CHECK_INT(bt_tls_write(t, "GET", 3), ==, BT_E_TLS);
	CHECK(bt_tls_why(t) != NULL);
	CHECK_INT(bt_tls_code(t), !=, 0);
	printf("test_tls: plain HTTP answer: \"%s\" (BearSSL %d)\n", bt_tls_why(t),
		bt_tls_code(t));

	/* The transport ends during the handshake. */
	CHECK_INT(bt_tls_start(t, a, "example.org"), ==, 0);
	CHECK(bt_tls_why(t) == NULL);
	bt_tls_out(t, &n);
	bt_tls_out_done(t, n);
	bt_tls_in_eof(t);
	CHECK(bt_tls_in(t, &n) == NULL && n == 0);
	CHECK_INT(bt_tls_want(t), ==, 0);
	CHECK_INT(bt_tls_read(t, buf, sizeof(buf)), ==, BT_E_TLS);
	CHECK_STR(bt_tls_why(t), "connection closed during handshake");
	CHECK_INT(bt_tls_clean_close(t), ==, 0);

	/* Texts. */
	CHECK_STR(bt_tls_strerror(BR_ERR_X509_NOT_TRUSTED), "certificate not trusted");
	CHECK_STR(bt_tls_strerror(BR_ERR_X509_BAD_SERVER_NAME), "host name mismatch");
	CHECK_STR(bt_tls_strerror(BR_ERR_X509_EXPIRED),
		"certificate expired or not yet valid");
	CHECK_STR(bt_tls_strerror(0), "");
	CHECK_STR(bt_tls_strerror(BR_ERR_RECV_FATAL_ALERT + 40), "server sent a fatal alert");
	CHECK_STR(bt_tls_strerror(BR_ERR_BAD_CCS), "TLS protocol error");
	CHECK(bt_tls_why(NULL) == NULL);

	bt_tls_free(t);
	bt_tls_anchors_free(a);
	bt_tls_free(NULL);
	bt_tls_anchors_free(NULL);
}

/* ---- small in-process servers for the failure cases ---- */

/* kind 0: answers "HTTP/1.1 400" to anything; 1: reads once, hangs up. */
struct rawsrv {
	int lfd;
	int kind;
	uint16_t port;
};

static void
on_raw_conn(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	char tmp[4096];
	struct rawsrv *s = ud;

	(void)revents;
	if (read(fd, tmp, sizeof(tmp)) > 0 && s->kind == 0) {
		static const char r[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		if (send(fd, r, sizeof(r) - 1, MSG_NOSIGNAL) < 0)
			(void)0;
	}
	bt_io_del(l, fd);
	close(fd);
}

static void
on_raw_accept(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	int c;

	(void)revents;
	while ((c = bt_net_accept(fd, NULL)) >= 0)
		bt_io_add(l, c, BT_EV_READ, on_raw_conn, ud);
}

static int
raw_start(struct rawsrv *s, int kind, int accept_them)
{
	s->kind = kind;
	s->lfd = loop_listen_tcp(AF_INET, 8, 0, &s->port);
	if (s->lfd < 0)
		return -1;
	if (accept_them)
		bt_io_add(loop, s->lfd, BT_EV_READ, on_raw_accept, s);
	return 0;
}

static void
raw_stop(struct rawsrv *s)
{
	bt_io_del(loop, s->lfd);
	close(s->lfd);
}

/* ---- httpc over TLS ---- */

struct cres {
	int called, status, sys_errno, tls_code;
	unsigned redirects;
	const char *tls_error;
	char url[512];
	struct bt_buf body;
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
	c->tls_code = r->tls_code;
	snprintf(c->url, sizeof(c->url), "%s", r->url);
	bt_buf_add(&c->body, r->body, r->body_len);
}

static void
get(struct cres *c, const char *url, const struct bt_httpc_opts *o)
{
	int rc;

	memset(c, 0, sizeof(*c));
	bt_buf_init(&c->body, 0);
	rc = bt_httpc_get(loop, url, o, on_http, c, NULL);
	CHECK_INT(rc, ==, 0);
	if (rc < 0) {
		c->called = 1;
		c->status = rc;
		return;
	}
	CHECK_INT(c->called, ==, 0);
	loop_run_until(loop, &c->called, 1, 15000);
	CHECK_INT(c->called, ==, 1);
}

static void
test_https(void)
{
	struct bt_httpc_opts o;
	struct cres c;
	char url[512], ca[256];
	int sysbundle = access(BT_TLS_CA_DEFAULT, R_OK) == 0;

	path_of(ca, sizeof(ca), "ca.pem");
	bt_httpc_opts_init(&o);
	o.ca_file = ca;
	unsetenv(BT_TLS_CA_ENV);

	/* Trusted, by name, through the resolver. */
	snprintf(url, sizeof(url), "https://localhost:%u/hello", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello over tls");
	CHECK(c.tls_error == NULL);
	bt_buf_free(&c.body);

	/* Larger bodies: many records; chunked; until close. */
	snprintf(url, sizeof(url), "https://localhost:%u/big", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_INT(c.body.len, ==, 300000);
	if (c.body.len == 300000) {
		int bad = 0;
		for (size_t i = 0; i < 300000; i++)
			if (c.body.p[i] != (uint8_t)((i * 7 + i / 977) % 251))
				bad++;
		CHECK_INT(bad, ==, 0);
	}
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://localhost:%u/chunked", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "one two three");
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://localhost:%u/close", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "until close");
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://localhost:%u/nothing", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 404);
	bt_buf_free(&c.body);

	/* The system bundle does not know the test CA. */
	o.ca_file = NULL;
	snprintf(url, sizeof(url), "https://localhost:%u/hello", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	if (sysbundle) {
		CHECK_STR(c.tls_error, "certificate not trusted");
		CHECK_INT(c.tls_code, ==, BR_ERR_X509_NOT_TRUSTED);
	} else {
		CHECK_STR(c.tls_error, "CA bundle not found");
	}
	CHECK_INT(c.body.len, ==, 0);
	bt_buf_free(&c.body);

	/* SSL_CERT_FILE names the test CA. */
	setenv(BT_TLS_CA_ENV, ca, 1);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello over tls");
	bt_buf_free(&c.body);
	unsetenv(BT_TLS_CA_ENV);
	o.ca_file = ca;

	/* A certificate for another name. */
	snprintf(url, sizeof(url), "https://localhost:%u/hello", port_other);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "host name mismatch");
	CHECK_INT(c.tls_code, ==, BR_ERR_X509_BAD_SERVER_NAME);
	bt_buf_free(&c.body);

	/* Expired in 2001. */
	snprintf(url, sizeof(url), "https://localhost:%u/hello", port_old);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "certificate expired or not yet valid");
	CHECK_INT(c.tls_code, ==, BR_ERR_X509_EXPIRED);
	bt_buf_free(&c.body);

	/* An IP-literal host: matched against the iPAddress entries. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hello", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello over tls");
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hello", port_other);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "host name mismatch");
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hello", port_old);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "certificate expired or not yet valid");
	bt_buf_free(&c.body);
	o.ca_file = NULL;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hello", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	if (sysbundle)
		CHECK_STR(c.tls_error, "certificate not trusted");
	bt_buf_free(&c.body);
	o.ca_file = ca;

	/* http -> https and https -> http. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/tohttps", port_plain);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "hello over tls");
	CHECK_INT(c.redirects, ==, 1);
	snprintf(url, sizeof(url), "https://localhost:%u/hello", port_tls);
	CHECK_STR(c.url, url);
	bt_buf_free(&c.body);
	snprintf(url, sizeof(url), "https://localhost:%u/tohttp", port_tls);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, 200);
	CHECK_MEMS(c.body.p, c.body.len, "plain");
	CHECK_INT(c.redirects, ==, 1);
	bt_buf_free(&c.body);
	/* ... and to https with no usable bundle: reported after the
	 * redirect. */
	o.ca_file = "/nonexistent/ca.pem";
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/tohttps", port_plain);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "CA bundle not found");
	CHECK_INT(c.redirects, ==, 1);
	bt_buf_free(&c.body);
	o.ca_file = ca;

	/* Several at once. */
	{
		struct cres cs[4];
		int done = 0;

		memset(cs, 0, sizeof(cs));
		for (int i = 0; i < 4; i++) {
			bt_buf_init(&cs[i].body, 0);
			snprintf(url, sizeof(url), "https://localhost:%u/%s", port_tls,
				i % 2 ? "chunked" : "big");
			CHECK_INT(bt_httpc_get(loop, url, &o, on_http, &cs[i], NULL), ==, 0);
		}
		for (uint64_t end = loop_now_ms() + 15000; done < 4 && loop_now_ms() < end;) {
			bt_loop_run_once(loop, 20);
			done = 0;
			for (int i = 0; i < 4; i++)
				done += cs[i].called;
		}
		CHECK_INT(done, ==, 4);
		for (int i = 0; i < 4; i++) {
			CHECK_INT(cs[i].status, ==, 200);
			CHECK_INT(cs[i].body.len, ==, i % 2 ? 13 : 300000);
			bt_buf_free(&cs[i].body);
		}
	}
}

/* Failures that need no openssl: the CA bundle, a server that is not
 * TLS, one that hangs up, one that never answers. */
static void
test_https_failures(int certs)
{
	struct bt_httpc_opts o;
	struct rawsrv rs;
	struct cres c;
	char url[512], path[256];
	struct bt_httpc *h;

	bt_httpc_opts_init(&o);
	/* No bundle: through the callback, never from inside the call. */
	o.ca_file = "/nonexistent/ca.pem";
	memset(&c, 0, sizeof(c));
	bt_buf_init(&c.body, 0);
	CHECK_INT(bt_httpc_get(loop, "https://127.0.0.1:1/", &o, on_http, &c, &h), ==, 0);
	CHECK_INT(c.called, ==, 0);
	loop_run_until(loop, &c.called, 1, 5000);
	CHECK_INT(c.called, ==, 1);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "CA bundle not found");
	CHECK_INT(c.tls_code, ==, 0);
	bt_buf_free(&c.body);
	/* ... and a cancel before that. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(bt_httpc_get(loop, "https://127.0.0.1:1/", &o, on_http, &c, &h), ==, 0);
	bt_httpc_cancel(h);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(c.called, ==, 0);
	path_of(path, sizeof(path), "empty.pem");
	write_file("empty.pem", "", 0);
	o.ca_file = path;
	get(&c, "https://127.0.0.1:1/", &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK_STR(c.tls_error, "no certificates in CA bundle");
	bt_buf_free(&c.body);
	{
		char longp[BT_TLS_PATH_MAX + 8];
		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = 0;
		o.ca_file = longp;
		CHECK_INT(bt_httpc_get(loop, "https://127.0.0.1:1/", &o, on_http, &c, &h),
			==, BT_E_INVAL);
		CHECK(h == NULL);
	}

	if (certs) {
		path_of(path, sizeof(path), "ca.pem");
		o.ca_file = path;
	} else if (access(BT_TLS_CA_DEFAULT, R_OK) == 0) {
		o.ca_file = NULL;
	} else {
		printf("test_tls: no CA bundle at all, raw server checks skipped\n");
		return;
	}

	/* Not a TLS server. */
	CHECK_INT(raw_start(&rs, 0, 1), ==, 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)rs.port);
	get(&c, url, &o);
	CHECK_INT(c.status, ==, BT_E_TLS);
	CHECK(c.tls_error != NULL);
	printf("test_tls: plain HTTP server: \"%s\"\n", c.tls_error ? c.tls_error : "");
	bt_buf_free(&c.body);
	raw_stop(&rs);

	/* Hangs up after the ClientHello. */
	CHECK_INT(raw_start(&rs, 1, 1), ==, 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)rs.port);
	get(&c, url, &o);
	CHECK(c.status == BT_E_TLS || (c.status == BT_E_IO && c.sys_errno == ECONNRESET));
	if (c.status == BT_E_TLS)
		CHECK_STR(c.tls_error, "connection closed during handshake");
	bt_buf_free(&c.body);
	raw_stop(&rs);

	/* Never answers (the kernel accepts, nobody reads): the timeout. */
	CHECK_INT(raw_start(&rs, 0, 0), ==, 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)rs.port);
	o.timeout_ms = 300;
	{
		uint64_t t0 = loop_now_ms();
		get(&c, url, &o);
		CHECK_INT(c.status, ==, BT_E_IO);
		CHECK_INT(c.sys_errno, ==, ETIMEDOUT);
		CHECK_INT(loop_now_ms() - t0, >=, 250);
		CHECK_INT(loop_now_ms() - t0, <, 5000);
	}
	bt_buf_free(&c.body);
	/* Cancel in the middle of that handshake: no callback, nothing left. */
	o.timeout_ms = 0;
	memset(&c, 0, sizeof(c));
	CHECK_INT(bt_httpc_get(loop, url, &o, on_http, &c, &h), ==, 0);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(c.called, ==, 0);
	bt_httpc_cancel(h);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(c.called, ==, 0);
	raw_stop(&rs);
}

int
main(void)
{
	int certs = 0, server = 0;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/bt_tls_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	loop = bt_loop_new(256);
	if (!loop)
		return 1;

	if (have("openssl")) {
		certs = make_certs() == 0;
		CHECK(certs);
	} else {
		printf("test_tls: SKIP: no openssl command, certificate tests skipped\n");
	}
	test_anchors(certs);
	if (certs)
		test_engine();
	test_https_failures(certs);
	if (certs && have("python3")) {
		server = server_start() == 0;
		CHECK(server);
	} else if (certs) {
		printf("test_tls: SKIP: no python3, https server tests skipped\n");
	}
	if (server)
		test_https();
	loop_kill(&server_pid);

	loop_run_until(loop, NULL, 0, 50);
	loop_wait_resolve(10000);
	CHECK_INT(bt_io_count(loop), ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	bt_loop_free(loop);
	bt_tls_cache_clear();
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("test_tls: could not remove %s\n", dir);
	}
	return check_summary("tls");
}
