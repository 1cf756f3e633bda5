/* fuzz_http.c - libFuzzer target: parse the input as pipelined HTTP
 * requests, iterate each query and percent-decode every key and value (to
 * a buffer and in place), ask the header helpers, write a response from the
 * parsed pieces, and parse the input's start as an address (the tracker
 * takes ip= from requests).  Checks that every span stays in the input and
 * that decoding never grows. */
#define _GNU_SOURCE	/* memmem() */
#include "http.h"
#include "net.h"
#include "buf.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN(p, n, base, len) \
	((const char *)(p) >= (base) && (const char *)(p) + (n) <= (base) + (len))

static void
decode_span(const char *p, size_t n, unsigned flags)
{
	uint8_t out[256];
	char *copy;
	int a, b;

	if (!p)
		return;
	a = bt_http_decode(p, n, out, sizeof(out), flags);
	if (a > (int)n || (a < 0 && a != BT_E_PARSE && a != BT_E_LIMIT))
		abort();
	copy = malloc(n ? n : 1);
	if (!copy)
		return;
	memcpy(copy, p, n);
	b = bt_http_decode_inplace(copy, n, flags);
	if (b > (int)n || (b < 0 && b != BT_E_PARSE))
		abort();
	/* Both agree whenever the buffer was big enough. */
	if (a >= 0 && (b != a || memcmp(copy, out, (size_t)a) != 0))
		abort();
	if (a == BT_E_PARSE && b != BT_E_PARSE)
		abort();
	free(copy);
}

static void
one_request(const char *buf, size_t len, const struct bt_http_req *req)
{
	struct bt_http_query it;
	const char *k, *v;
	size_t kl, vl, n = 0;
	struct bt_http_resp r;
	struct bt_buf b;
	struct bt_http_hdr h[2];

	if (!IN(req->method, req->method_len, buf, len) ||
		!IN(req->path, req->path_len, buf, len) || req->nhdr > BT_HTTP_HDR_MAX)
		abort();
	if (req->query && (!IN(req->query, req->query_len, req->path, req->path_len)))
		abort();
	for (size_t i = 0; i < req->nhdr; i++)
		if (!IN(req->hdr[i].name, req->hdr[i].name_len, buf, len) ||
			!IN(req->hdr[i].value, req->hdr[i].value_len, buf, len))
			abort();

	bt_http_query_init(&it, req->query, req->query_len);
	while (bt_http_query_next(&it, &k, &kl, &v, &vl)) {
		if (!IN(k, kl, req->query, req->query_len) ||
			(v && !IN(v, vl, req->query, req->query_len)) || ++n > req->query_len)
			abort();
		decode_span(k, kl, BT_HTTP_PLUS);
		decode_span(v, vl, BT_HTTP_PLUS);
		decode_span(v, vl, 0);
	}
	decode_span(req->path, req->path_len, 0);
	(void)bt_http_keep_alive(req);
	(void)bt_http_accepts_gzip(req);
	(void)bt_http_header(req, "host");

	/* Echo pieces of the request into a response: header values from
	 * the input must either be refused or come out intact. */
	memset(&r, 0, sizeof(r));
	r.minor = req->minor;
	r.status = 200;
	h[0].name = "X-Path";
	h[0].name_len = 6;
	h[0].value = req->path;
	h[0].value_len = req->path_len;
	r.hdr = h;
	r.nhdr = 1;
	if (req->nhdr) {
		h[1] = req->hdr[0];
		r.nhdr = 2;
	}
	r.body = req->path;
	r.body_len = req->path_len;
	r.flags = req->meth == BT_HTTP_HEAD ? BT_HTTP_RESP_HEAD : 0;
	bt_buf_init(&b, 1u << 20);
	if (bt_http_resp_write(&b, &r) == 0) {
		/* No CR or LF from the input got into the head: its lines end
		 * in CRLF and the first empty line is where the body starts. */
		size_t head = b.len - (r.flags & BT_HTTP_RESP_HEAD ? 0 : r.body_len);
		const uint8_t *end;

		if (head < 4 || memcmp(b.p + head - 4, "\r\n\r\n", 4) != 0)
			abort();
		end = memmem(b.p, head, "\r\n\r\n", 4);
		if (end != b.p + head - 4)
			abort();
		for (size_t i = 0; i < head; i++)
			if ((b.p[i] == '\r' && (i + 1 >= head || b.p[i + 1] != '\n')) ||
				(b.p[i] == '\n' && (i == 0 || b.p[i - 1] != '\r')))
				abort();
	}
	bt_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	struct bt_http_req req;
	size_t max_hdr = size ? data[0] % 40 : 8;

	/* Pipelined requests until the input runs out or breaks. */
	for (int i = 0; i < 64 && off < size; i++) {
		int rc = bt_http_parse_request(buf + off, size - off, &req, max_hdr);
		if (rc <= 0) {
			if (rc != BT_E_PARTIAL && rc != BT_E_PARSE && rc != BT_E_LIMIT &&
				rc != BT_E_UNSUPPORTED)
				abort();
			break;
		}
		if ((size_t)rc > size - off)
			abort();
		one_request(buf + off, size - off, &req);
		off += (size_t)rc;
	}

	/* The whole input as a query string. */
	{
		struct bt_http_query it;
		const char *k, *v;
		size_t kl, vl;
		bt_http_query_init(&it, buf, size);
		while (bt_http_query_next(&it, &k, &kl, &v, &vl)) {
			decode_span(k, kl, BT_HTTP_PLUS);
			decode_span(v, vl, BT_HTTP_PLUS);
		}
	}

	/* The input as an address. */
	{
		struct sockaddr_storage a, c;
		char text[BT_ADDR_STRLEN];
		uint8_t pk[BT_ADDR_COMPACT6];
		int n;
		if (bt_addr_parse(&a, buf, size, 6969) == 0) {
			n = bt_addr_format(&a, text, sizeof(text), 0);
			if (n <= 0 || bt_addr_parse(&c, text, (size_t)n, 1) != 0 ||
				!bt_addr_equal(&a, &c))
				abort();
			(void)bt_addr_is_local(&a);
			n = (int)bt_addr_pack(pk, &a);
			if ((n != 6 && n != 18) || bt_addr_unpack(&c, pk, (size_t)n) != 0 ||
				!bt_addr_equal(&a, &c))
				abort();
		}
	}
	return 0;
}
