/* test_http.c - HTTP/1.x request parser, percent-decoding, query iteration
 * and the response writer. */
#define _POSIX_C_SOURCE 200809L
#include "http.h"
#include "buf.h"
#include "err.h"
#include "rand.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rng(void)
{
	return (uint32_t)(bt_rand64(&rng_state) >> 32);
}

static struct bt_http_req req;

static int
parse(const char *s)
{
	return bt_http_parse_request(s, strlen(s), &req, BT_HTTP_HDR_MAX);
}

/* ---- good requests ---- */

static void
test_good(void)
{
	static const char r1[] =
		"GET /announce?info_hash=%12%34&port=6881&compact=1 HTTP/1.1\r\n"
		"Host: tracker.example:6969\r\n"
		"User-Agent:  bt/0.1 \t\r\n"
		"Accept-Encoding: gzip\r\n"
		"X-Empty:\r\n"
		"X-Bin: \xff\xfe ok\r\n"
		"\r\n";
	const struct bt_http_hdr *h;

	CHECK_INT(parse(r1), ==, sizeof(r1) - 1);
	CHECK_MEMS(req.method, req.method_len, "GET");
	CHECK_INT(req.meth, ==, BT_HTTP_GET);
	CHECK_MEMS(req.path, req.path_len,
		"/announce?info_hash=%12%34&port=6881&compact=1");
	CHECK_MEMS(req.query, req.query_len, "info_hash=%12%34&port=6881&compact=1");
	CHECK_INT(req.path_len - req.query_len - 1, ==, 9);	/* "/announce" */
	CHECK(bt_http_path_is(&req, "/announce"));
	CHECK(!bt_http_path_is(&req, "/announc"));
	CHECK(!bt_http_path_is(&req, "/announce?"));
	CHECK_INT(req.minor, ==, 1);
	CHECK_INT(req.simple, ==, 0);
	CHECK_INT(req.nhdr, ==, 5);
	CHECK_MEMS(req.hdr[0].name, req.hdr[0].name_len, "Host");
	CHECK_MEMS(req.hdr[0].value, req.hdr[0].value_len, "tracker.example:6969");
	CHECK_MEMS(req.hdr[1].value, req.hdr[1].value_len, "bt/0.1");
	CHECK_INT(req.hdr[3].value_len, ==, 0);
	CHECK_MEMS(req.hdr[4].value, req.hdr[4].value_len, "\xff\xfe ok");
	h = bt_http_header(&req, "HOST");
	CHECK(h == &req.hdr[0]);
	CHECK(bt_http_header(&req, "user-agent") == &req.hdr[1]);
	CHECK(bt_http_header(&req, "Hos") == NULL);
	CHECK(bt_http_header(&req, "Hostx") == NULL);
	CHECK(bt_http_keep_alive(&req));
	CHECK(bt_http_accepts_gzip(&req));

	/* No query; empty query. */
	CHECK_INT(parse("GET /scrape HTTP/1.0\r\n\r\n"), >, 0);
	CHECK(req.query == NULL && req.query_len == 0);
	CHECK_INT(req.minor, ==, 0);
	CHECK(!bt_http_keep_alive(&req));
	CHECK(bt_http_path_is(&req, "/scrape"));
	CHECK(!bt_http_path_is(&req, "/scrape/"));
	CHECK_INT(parse("GET /scrape? HTTP/1.0\r\n\r\n"), >, 0);
	CHECK(req.query != NULL && req.query_len == 0);
	CHECK(bt_http_path_is(&req, "/scrape"));
	CHECK_INT(parse("GET /a?b?c HTTP/1.0\r\n\r\n"), >, 0);
	CHECK_MEMS(req.query, req.query_len, "b?c");
	CHECK(bt_http_path_is(&req, "/a"));

	/* Bare LF, extra spaces, empty lines before the request line. */
	CHECK_INT(parse("GET / HTTP/1.0\nHost: x\n\n"), ==, 24);
	CHECK_INT(req.nhdr, ==, 1);
	CHECK_INT(parse("GET  /x   HTTP/1.1  \r\n\r\n"), ==, 24);
	CHECK_MEMS(req.path, req.path_len, "/x");
	CHECK_INT(parse("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n"), ==, 23);
	CHECK_MEMS(req.method, req.method_len, "GET");

	/* Other methods parse; only GET/HEAD get an id.  Methods are
	 * case-sensitive. */
	CHECK_INT(parse("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), >, 0);
	CHECK_INT(req.meth, ==, BT_HTTP_OTHER);
	CHECK_INT(parse("get /x HTTP/1.1\r\n\r\n"), >, 0);
	CHECK_INT(req.meth, ==, BT_HTTP_OTHER);
	CHECK_INT(parse("HEAD /x HTTP/1.1\r\n\r\n"), >, 0);
	CHECK_INT(req.meth, ==, BT_HTTP_HEAD);
	CHECK_INT(parse("HEADER /x HTTP/1.1\r\n\r\n"), >, 0);
	CHECK_INT(req.meth, ==, BT_HTTP_OTHER);

	/* HTTP/1.x minor versions. */
	CHECK_INT(parse("GET / HTTP/1.9\r\n\r\n"), >, 0);
	CHECK_INT(req.minor, ==, 9);
	CHECK(bt_http_keep_alive(&req));

	/* The old two-word form: one line, no headers, GET only. */
	CHECK_INT(parse("GET /announce?x=1\r\nHost: a\r\n\r\n"), ==, 19);
	CHECK_INT(req.simple, ==, 1);
	CHECK_INT(req.minor, ==, 0);
	CHECK_INT(req.nhdr, ==, 0);
	CHECK_MEMS(req.query, req.query_len, "x=1");
	CHECK(!bt_http_keep_alive(&req));
	CHECK_INT(parse("GET /x \n"), ==, 8);
	CHECK_INT(req.simple, ==, 1);
	CHECK_INT(parse("HEAD /x\r\n"), ==, BT_E_PARSE);
	CHECK_INT(parse("POST /x\r\n"), ==, BT_E_PARSE);

	/* Content-Length: 0 is no body. */
	CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), >, 0);
	CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: 000\r\n\r\n"), >, 0);
}

static void
test_pipelined(void)
{
	static const char two[] =
		"GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
		"HEAD /b HTTP/1.1\r\nConnection: close\r\n\r\n"
		"GET /c";
	size_t len = sizeof(two) - 1;
	int a, b;

	a = bt_http_parse_request(two, len, &req, 8);
	CHECK_INT(a, ==, 32);
	CHECK_MEMS(req.path, req.path_len, "/a?x=1");
	CHECK(bt_http_keep_alive(&req));
	b = bt_http_parse_request(two + a, len - (size_t)a, &req, 8);
	CHECK_INT(b, ==, 39);
	CHECK_INT(req.meth, ==, BT_HTTP_HEAD);
	CHECK_MEMS(req.path, req.path_len, "/b");
	CHECK(!bt_http_keep_alive(&req));
	CHECK_INT(bt_http_parse_request(two + a + b, len - (size_t)(a + b), &req, 8),
		==, BT_E_PARTIAL);
}

/* Every proper prefix of a complete request is BT_E_PARTIAL. */
static void
test_partial(void)
{
	static const char *const reqs[] = {
		"GET /announce?info_hash=%00%01 HTTP/1.1\r\nHost: a\r\nX: y z\r\n\r\n",
		"HEAD / HTTP/1.0\nA: b\n\n",
		"\r\n\r\nGET  /x  HTTP/1.1  \r\n\r\n",
		"GET /two-word\r\n",
		"GET /two-word \n",
		"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	};
	int bad = 0;

	for (size_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		size_t len = strlen(reqs[k]);
		int rc = bt_http_parse_request(reqs[k], len, &req, 8);

		CHECK_INT(rc, ==, len);
		for (size_t cut = 0; cut < len; cut++) {
			/* A private copy so ASan catches reads past the cut. */
			char *p = malloc(cut ? cut : 1);
			memcpy(p, reqs[k], cut);
			rc = bt_http_parse_request(p, cut, &req, 8);
			if (rc != BT_E_PARTIAL) {
				bad++;
				fprintf(stderr, "  request %zu cut %zu: %d\n", k, cut, rc);
			}
			free(p);
		}
	}
	CHECK_INT(bad, ==, 0);
	CHECK_INT(bt_http_parse_request("", 0, &req, 8), ==, BT_E_PARTIAL);
	CHECK_INT(bt_http_parse_request(NULL, 0, &req, 8), ==, BT_E_PARTIAL);
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		" GET / HTTP/1.1\r\n\r\n",	/* leading space */
		"GET\r\n\r\n",			/* one word */
		"GET \r\n\r\n",
		"G@T / HTTP/1.1\r\n\r\n",
		"GET\t/ HTTP/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1x\r\n\r\n",
		"GET / HTTP/1.\r\n\r\n",
		"GET / HTTP/11\r\n\r\n",
		"GET / HTTP/1,1\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"GET / FOO/1.1\r\n\r\n",
		"GET / HTTP/1.1\rX\r\n\r\n",	/* CR without LF */
		"\rGET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1 x\r\n\r\n",
		"GET / x HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",	/* space before ':' */
		"GET / HTTP/1.1\r\n Host: a\r\n\r\n",	/* folding */
		"GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost\r\n\r\n",
		"GET / HTTP/1.1\r\n: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nContent-Length: 01\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: -0\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
		"GET / HTTP/1.1\r\ncontent-length: 0\r\nContent-Length: 7\r\n\r\n",
		"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nTRANSFER-ENCODING: identity\r\n\r\n",
	};
	int n = 0;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = parse(bad[k]);
		if (rc != BT_E_PARSE) {
			fprintf(stderr, "  malformed %zu: %d\n", k, rc);
			n++;
		}
	}
	CHECK_INT(n, ==, 0);
	/* NUL bytes. */
	CHECK_INT(bt_http_parse_request("GET /\0 HTTP/1.1\r\n\r\n", 20, &req, 8), ==,
		BT_E_PARSE);
	CHECK_INT(bt_http_parse_request("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24, &req, 8),
		==, BT_E_PARSE);
	CHECK_INT(bt_http_parse_request("\0", 1, &req, 8), ==, BT_E_PARSE);
	/* Not HTTP/1. */
	CHECK_INT(parse("GET / HTTP/2.0\r\n\r\n"), ==, BT_E_UNSUPPORTED);
	CHECK_INT(parse("GET / HTTP/0.9\r\n\r\n"), ==, BT_E_UNSUPPORTED);
	/* Errors show before the head is complete. */
	CHECK_INT(parse("G@T"), ==, BT_E_PARSE);
	CHECK_INT(parse("GET / XTTP"), ==, BT_E_PARSE);
	CHECK_INT(parse("GET / HTTP/1.1\r\nHost : "), ==, BT_E_PARSE);
}

static void
test_limits(void)
{
	static const char three[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	size_t len = sizeof(three) - 1;
	struct bt_buf b;
	char *big;
	size_t blen;

	CHECK_INT(bt_http_parse_request(three, len, &req, 2), ==, BT_E_LIMIT);
	CHECK_INT(bt_http_parse_request(three, len, &req, 3), ==, len);
	CHECK_INT(bt_http_parse_request(three, len, &req, 0), ==, BT_E_LIMIT);
	CHECK_INT(bt_http_parse_request("GET / HTTP/1.1\r\n\r\n", 18, &req, 0), ==, 18);
	/* The limit shows as soon as the extra header starts. */
	CHECK_INT(bt_http_parse_request(three, 28, &req, 2), ==, BT_E_PARTIAL);
	CHECK_INT(bt_http_parse_request(three, 29, &req, 2), ==, BT_E_LIMIT);

	/* BT_HTTP_HDR_MAX caps larger limits. */
	for (int n = BT_HTTP_HDR_MAX; n <= BT_HTTP_HDR_MAX + 1; n++) {
		bt_buf_init(&b, 0);
		bt_buf_adds(&b, "GET / HTTP/1.1\r\n");
		for (int k = 0; k < n; k++)
			bt_buf_printf(&b, "X-%d: %d\r\n", k, k);
		bt_buf_adds(&b, "\r\n");
		CHECK_INT(bt_http_parse_request((char *)b.p, b.len, &req, 100000), ==,
			n == BT_HTTP_HDR_MAX ? (long long)b.len : BT_E_LIMIT);
		bt_buf_free(&b);
	}

	/* A huge header: fine when complete (the buffer is the bound),
	 * partial when not. */
	blen = 1u << 20;
	big = malloc(blen + 64);
	if (!CHECK(big != NULL))
		return;
	memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
	memset(big + 23, 'v', blen);
	memcpy(big + 23 + blen, "\r\n\r\n", 4);
	CHECK_INT(bt_http_parse_request(big, blen + 27, &req, 8), ==, blen + 27);
	CHECK_INT(req.hdr[0].value_len, ==, blen);
	CHECK_INT(bt_http_parse_request(big, blen + 25, &req, 8), ==, BT_E_PARTIAL);
	/* Huge target and huge header name. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'p', blen);
	memcpy(big + 5 + blen, " HTTP/1.0\r\n\r\n", 13);
	CHECK_INT(bt_http_parse_request(big, blen + 18, &req, 8), ==, blen + 18);
	CHECK_INT(req.path_len, ==, blen + 1);
	memcpy(big, "GET / HTTP/1.0\r\n", 16);
	memset(big + 16, 'N', blen);
	memcpy(big + 16 + blen, ": v\r\n\r\n", 7);
	CHECK_INT(bt_http_parse_request(big, blen + 23, &req, 8), ==, blen + 23);
	CHECK_INT(req.hdr[0].name_len, ==, blen);
	free(big);
}

/* One header line, as both the request and the response parser read it. */
static void
test_header_line(void)
{
	static const struct {
		const char *line;
		int rc;		/* > 0: the bytes taken */
		const char *name, *value;
	} t[] = {
		{ "Host: h\r\n", 9, "Host", "h" },
		{ "Host: h\nX: y\n", 8, "Host", "h" },
		{ "a:\r\n", 4, "a", "" },
		{ "User-Agent: \t bt/0.1 \t\r\nmore", 24, "User-Agent", "bt/0.1" },
		{ "X-Bin:\xff\xfe ok\n", 12, "X-Bin", "\xff\xfe ok" },
		{ "Host: h", BT_E_PARTIAL, NULL, NULL },
		{ "Host: h\r", BT_E_PARTIAL, NULL, NULL },
		{ "Host", BT_E_PARTIAL, NULL, NULL },
		{ "", BT_E_PARTIAL, NULL, NULL },
		{ " Host: h\r\n", BT_E_PARSE, NULL, NULL },	/* folded */
		{ "\tHost: h\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host : h\r\n", BT_E_PARSE, NULL, NULL },
		{ ": h\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host h\r\n", BT_E_PARSE, NULL, NULL },
		{ "\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host: a\x01" "b\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host: a\x7f\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host: a\rb\r\n", BT_E_PARSE, NULL, NULL },
		{ "Host: a\r\r\n", BT_E_PARSE, NULL, NULL },
		{ "Ho\"st: h\r\n", BT_E_PARSE, NULL, NULL },
	};
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct bt_http_hdr h;
		int rc = bt_http_parse_header(t[k].line, strlen(t[k].line), &h);
		if (!CHECK_INT(rc, ==, t[k].rc)) {
			fprintf(stderr, "    line %zu\n", k);
			continue;
		}
		if (rc > 0) {
			CHECK_MEMS(h.name, h.name_len, t[k].name);
			CHECK_MEMS(h.value, h.value_len, t[k].value);
		}
	}
	/* A NUL byte is not text either. */
	{
		struct bt_http_hdr h;
		CHECK_INT(bt_http_parse_header("A: b\0c\n", 7, &h), ==, BT_E_PARSE);
	}
}

/* Random bytes and mutated requests never crash and give a sane result. */
static void
test_garbage(void)
{
	static const char base[] =
		"GET /announce?info_hash=%aa&peer_id=x HTTP/1.1\r\n"
		"Host: h\r\nConnection: keep-alive\r\nAccept-Encoding: gzip;q=0.5\r\n\r\n";
	char buf[512];
	int bad = 0, ok = 0;

	for (int iter = 0; iter < 200000; iter++) {
		size_t len;
		int rc;

		if (iter & 1) {
			len = rng() % sizeof(buf);
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rng();
		} else {
			len = sizeof(base) - 1;
			memcpy(buf, base, len);
			for (int m = (int)(rng() % 4); m >= 0; m--) {
				size_t at = rng() % len;
				static const char pick[] = "\r\n :\t\0\x7f\xff%?&=ab";
				buf[at] = (rng() & 1) ? (char)rng() : pick[rng() % (sizeof(pick) - 1)];
			}
			if (rng() % 4 == 0)
				len = rng() % (len + 1);
		}
		{
			char *p = malloc(len ? len : 1);
			memcpy(p, buf, len);
			rc = bt_http_parse_request(p, len, &req, 8);
			if (rc > 0) {
				ok++;
				if ((size_t)rc > len || req.nhdr > 8 || !req.method ||
					req.path < p || req.path + req.path_len > p + len)
					bad++;
				for (size_t k = 0; k < req.nhdr; k++)
					if (req.hdr[k].value + req.hdr[k].value_len > p + len)
						bad++;
				(void)bt_http_keep_alive(&req);
				(void)bt_http_accepts_gzip(&req);
			} else if (rc != BT_E_PARTIAL && rc != BT_E_PARSE &&
				rc != BT_E_LIMIT && rc != BT_E_UNSUPPORTED) {
				bad++;
			}
			free(p);
		}
	}
	CHECK_INT(bad, ==, 0);
	CHECK(ok > 1000);	/* the mutations do not all break it */
}

/* ---- connection rules ---- */

static void
test_keepalive(void)
{
	static const struct { const char *r; int ka; } t[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: keep-alive, CLOSE\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\nConnection: foo ,  keep-alive  \r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nKeep-Alive: 300\r\n\r\n", 0 },
		{ "GET /\r\n", 0 },
	};

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		CHECK_INT(parse(t[k].r), >, 0);
		CHECK_INT(bt_http_keep_alive(&req), ==, t[k].ka);
	}
}

static void
test_gzip(void)
{
	static const struct { const char *ae; int gz; } t[] = {
		{ "gzip", 1 }, { "GZip", 1 }, { "x-gzip", 1 },
		{ "deflate, gzip;q=1.0", 1 }, { "gzip;q=0", 0 }, { "gzip; q=0.000", 0 },
		{ "gzip;q=0.001", 1 }, { "gzip;Q=0.5", 1 }, { "gzip ; q=1", 1 },
		{ "*", 1 }, { "*;q=0", 0 }, { "*, gzip;q=0", 0 }, { "identity", 0 },
		{ "gzipfoo", 0 }, { "deflate", 0 }, { "", 0 }, { " , ,gzip", 1 },
		{ "br;q=1, gzip;level=9", 1 },
	};
	char buf[256];

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAccept-Encoding: %s\r\n\r\n",
			t[k].ae);
		CHECK_INT(parse(buf), >, 0);
		CHECK_INT(bt_http_accepts_gzip(&req), ==, t[k].gz);
		if (bt_http_accepts_gzip(&req) != t[k].gz)
			fprintf(stderr, "  Accept-Encoding: %s\n", t[k].ae);
	}
	CHECK_INT(parse("GET / HTTP/1.1\r\n\r\n"), >, 0);
	CHECK(!bt_http_accepts_gzip(&req));
	/* Two headers: the list continues in the second. */
	CHECK_INT(parse("GET / HTTP/1.1\r\nAccept-Encoding: br\r\n"
		"Accept-Encoding: gzip\r\n\r\n"), >, 0);
	CHECK(bt_http_accepts_gzip(&req));
}

/* ---- percent-decoding and queries ---- */

static int
dec(const char *in, unsigned flags, char *out, size_t cap)
{
	return bt_http_decode(in, strlen(in), (uint8_t *)out, cap, flags);
}

static void
test_decode(void)
{
	char out[64], s[64];
	uint8_t hash[20];
	int n;

	CHECK_INT(dec("", 0, out, sizeof(out)), ==, 0);
	CHECK_INT(dec("abc", 0, out, sizeof(out)), ==, 3);
	CHECK_INT(dec("%", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%4", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("a%4", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%zz", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%4g", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%g4", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%%41", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("% 41", 0, out, sizeof(out)), ==, BT_E_PARSE);
	CHECK_INT(dec("%00", 0, out, sizeof(out)), ==, 1);
	CHECK(out[0] == 0);
	CHECK_INT(dec("%41%42c%4a%4A%7e%ff", 0, out, sizeof(out)), ==, 7);
	CHECK(memcmp(out, "ABcJJ~\xff", 7) == 0);
	CHECK_INT(dec("a+b", 0, out, sizeof(out)), ==, 3);
	CHECK(memcmp(out, "a+b", 3) == 0);
	CHECK_INT(dec("a+b", BT_HTTP_PLUS, out, sizeof(out)), ==, 3);
	CHECK(memcmp(out, "a b", 3) == 0);
	CHECK_INT(dec("+", BT_HTTP_PLUS, out, sizeof(out)), ==, 1);
	CHECK(out[0] == ' ');
	CHECK_INT(dec("%2B", BT_HTTP_PLUS, out, sizeof(out)), ==, 1);
	CHECK(out[0] == '+');
	CHECK_INT(dec("%20", 0, out, sizeof(out)), ==, 1);
	CHECK(out[0] == ' ');

	/* A binary info_hash: exactly 20 bytes, %00 included. */
	{
		static const char ih[] =
			"%00%01%02%03%04%05%06%07%08%09%0a%0B%0c%0D%0e%0F%10%11%12%13";
		n = bt_http_decode(ih, sizeof(ih) - 1, hash, sizeof(hash), 0);
		CHECK_INT(n, ==, 20);
		for (int k = 0; k < 20; k++)
			CHECK_INT(hash[k], ==, k);
		CHECK_INT(bt_http_decode(ih, sizeof(ih) - 1, hash, 19, 0), ==, BT_E_LIMIT);
		/* Mixed raw and escaped bytes. */
		n = bt_http_decode("%124Vx%9a%bc%de%f0%12%34%56%78%9a%bc%de%f0%12%34%56%78",
			54, hash, sizeof(hash), 0);
		CHECK_INT(n, ==, 20);
		CHECK(hash[0] == 0x12 && hash[1] == '4' && hash[2] == 'V' && hash[19] == 0x78);
	}
	CHECK_INT(bt_http_decode("ab", 2, hash, 0, 0), ==, BT_E_LIMIT);
	CHECK_INT(bt_http_decode("", 0, NULL, 0, 0), ==, 0);

	/* In place. */
	strcpy(s, "a%20b+c%00d");
	n = bt_http_decode_inplace(s, strlen(s), BT_HTTP_PLUS);
	CHECK_INT(n, ==, 7);
	CHECK(memcmp(s, "a b c\0d", 7) == 0);
	strcpy(s, "ok%zz");
	CHECK_INT(bt_http_decode_inplace(s, strlen(s), 0), ==, BT_E_PARSE);
	strcpy(s, "%41%42%43");
	CHECK_INT(bt_http_decode_inplace(s, strlen(s), 0), ==, 3);
	CHECK(memcmp(s, "ABC", 3) == 0);
}

static void
test_query(void)
{
	static const char q[] = "a=1&b=&c&&d=x=y&=v&info_hash=%00%ff&";
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl;

	bt_http_query_init(&it, q, sizeof(q) - 1);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(k, kl, "a");
	CHECK_MEMS(v, vl, "1");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(k, kl, "b");
	CHECK(v != NULL && vl == 0);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(k, kl, "c");
	CHECK(v == NULL && vl == 0);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(k, kl, "d");
	CHECK_MEMS(v, vl, "x=y");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK(kl == 0);
	CHECK_MEMS(v, vl, "v");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(k, kl, "info_hash");
	CHECK_MEMS(v, vl, "%00%ff");
	{
		uint8_t out[2];
		CHECK_INT(bt_http_decode(v, vl, out, sizeof(out), 0), ==, 2);
		CHECK(out[0] == 0 && out[1] == 0xff);
	}
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);

	bt_http_query_init(&it, NULL, 0);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);
	bt_http_query_init(&it, "&&&", 3);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);
	/* The length bounds it, not a NUL. */
	bt_http_query_init(&it, "x=1&y=2", 3);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(v, vl, "1");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);

	/* From a parsed request. */
	CHECK_INT(parse("GET /announce?port=6881&event=started HTTP/1.1\r\n\r\n"), >, 0);
	bt_http_query_init(&it, req.query, req.query_len);
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(v, vl, "6881");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 1);
	CHECK_MEMS(v, vl, "started");
	CHECK_INT(bt_http_query_next(&it, &k, &kl, &v, &vl), ==, 0);
}

/* ---- responses ---- */

static int
resp_is(const struct bt_http_resp *r, const char *want)
{
	struct bt_buf b;
	int rc, ok;

	bt_buf_init(&b, 0);
	rc = bt_http_resp_write(&b, r);
	ok = rc == 0 && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!ok)
		fprintf(stderr, "  got rc %d: %.*s\n", rc, (int)b.len, b.p ? (char *)b.p : "");
	bt_buf_free(&b);
	return ok;
}

static void
test_response(void)
{
	static const struct bt_http_hdr h[] = {
		BT_HTTP_HDR("Content-Type", "text/plain"),
		BT_HTTP_HDR("Pragma", "no-cache"),
	};
	struct bt_http_resp r;
	struct bt_buf b;

	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.hdr = h;
	r.nhdr = 2;
	r.body = "d8:intervali1800ee";
	r.body_len = 18;
	CHECK(resp_is(&r, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		"Pragma: no-cache\r\nContent-Length: 18\r\n\r\nd8:intervali1800ee"));

	/* HEAD: full length, no body. */
	r.flags = BT_HTTP_RESP_HEAD;
	CHECK(resp_is(&r, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		"Pragma: no-cache\r\nContent-Length: 18\r\n\r\n"));

	/* 1.1 with close; 1.0 with keep-alive; own reason. */
	r.minor = 1;
	r.nhdr = 0;
	r.flags = BT_HTTP_RESP_CLOSE;
	r.status = 404;
	r.body = "nope";
	r.body_len = 4;
	CHECK(resp_is(&r, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n"
		"Connection: close\r\n\r\nnope"));
	r.minor = 0;
	r.flags = BT_HTTP_RESP_KEEPALIVE;
	r.status = 200;
	r.reason = "Not Authorized";
	CHECK(resp_is(&r, "HTTP/1.0 200 Not Authorized\r\nContent-Length: 4\r\n"
		"Connection: keep-alive\r\n\r\nnope"));
	r.reason = NULL;

	/* Two-word request: the body alone. */
	r.flags = BT_HTTP_RESP_SIMPLE;
	CHECK(resp_is(&r, "nope"));

	/* Head only, the caller appends the body. */
	r.flags = 0;
	r.body = NULL;
	r.body_len = 1000;
	CHECK(resp_is(&r, "HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n"));
	r.body_len = 0;
	r.status = 999;
	CHECK(resp_is(&r, "HTTP/1.0 999 Unknown\r\nContent-Length: 0\r\n\r\n"));

	/* Refused, and nothing written. */
	bt_buf_init(&b, 0);
	r.status = 99;
	CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
	r.status = 1000;
	CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
	r.status = 200;
	r.reason = "OK\r\nSet-Cookie: x";
	CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
	r.reason = NULL;
	{
		static const struct bt_http_hdr evil[] = {
			BT_HTTP_HDR("Location", "http://a/\r\nX: y"),
		};
		static const struct bt_http_hdr evil2[] = {
			BT_HTTP_HDR("Bad Name", "v"),
		};
		static const struct bt_http_hdr evil3[] = {
			BT_HTTP_HDR("", "v"),
		};
		r.hdr = evil;
		r.nhdr = 1;
		CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
		r.hdr = evil2;
		CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
		r.hdr = evil3;
		CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
		r.hdr = NULL;
		CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_INVAL);
	}
	CHECK_INT(b.len, ==, 0);
	bt_buf_free(&b);

	/* A capped buffer reports BT_E_LIMIT. */
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.body = "0123456789";
	r.body_len = 10;
	bt_buf_init(&b, 32);
	CHECK_INT(bt_http_resp_write(&b, &r), ==, BT_E_LIMIT);
	bt_buf_free(&b);

	CHECK(strcmp(bt_http_reason(400), "Bad Request") == 0);
	CHECK(strcmp(bt_http_reason(431), "Request Header Fields Too Large") == 0);
	CHECK(strcmp(bt_http_reason(123), "Unknown") == 0);
}

/* A HEAD request answered end to end, as the tracker will. */
static void
test_head_flow(void)
{
	struct bt_http_resp r;
	struct bt_buf b;

	CHECK_INT(parse("HEAD /scrape HTTP/1.1\r\nConnection: close\r\n\r\n"), >, 0);
	memset(&r, 0, sizeof(r));
	r.minor = req.minor;
	r.status = 200;
	r.body = "d5:filesdee";
	r.body_len = 11;
	r.flags = (req.meth == BT_HTTP_HEAD ? BT_HTTP_RESP_HEAD : 0) |
		(bt_http_keep_alive(&req) ? 0 : BT_HTTP_RESP_CLOSE);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_http_resp_write(&b, &r), ==, 0);
	CHECK(bt_buf_cstr(&b) && strcmp((char *)b.p,
		"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n") == 0);
	bt_buf_free(&b);
}

int
main(void)
{
	test_good();
	test_pipelined();
	test_partial();
	test_malformed();
	test_limits();
	test_header_line();
	test_garbage();
	test_keepalive();
	test_gzip();
	test_decode();
	test_query();
	test_response();
	test_head_flow();
	return check_summary("http");
}
