/* fuzz_httpc.c - libFuzzer target for the HTTP client's parsers: the
 * input is parsed as a response head (every span must stay inside the
 * input and within BT_HTTPC_HEAD_MAX, and a parse of a prefix must never
 * claim more than the full parse); what follows the head goes through the
 * chunked decoder both in one piece and in pieces whose sizes come from
 * the input, and both must agree on the result, the bytes consumed and the
 * decoded body; the input's start is also parsed as a URL. */
#include "httpc.h"
#include "buf.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN(p, n, base, len) \
	((const char *)(p) >= (base) && (const char *)(p) + (n) <= (base) + (len))

static void
check_head(const char *buf, size_t len, const struct bt_httpc_head *h, int rc)
{
	if (rc <= 0)
		return;
	if ((size_t)rc > len || rc > BT_HTTPC_HEAD_MAX)
		abort();
	if (h->status < 100 || h->status > 999 || h->nhdr > BT_HTTP_HDR_MAX)
		abort();
	if (!IN(h->reason, h->reason_len, buf, (size_t)rc))
		abort();
	if (h->location && !IN(h->location, h->location_len, buf, (size_t)rc))
		abort();
	for (size_t i = 0; i < h->nhdr; i++) {
		if (!IN(h->hdr[i].name, h->hdr[i].name_len, buf, (size_t)rc) ||
			!IN(h->hdr[i].value, h->hdr[i].value_len, buf, (size_t)rc) ||
			h->hdr[i].name_len == 0)
			abort();
		for (size_t k = 0; k < h->hdr[i].value_len; k++)
			if (h->hdr[i].value[k] == '\r' || h->hdr[i].value[k] == '\n')
				abort();
	}
	if (h->content_length < -1)
		abort();
	(void)bt_httpc_header(h, "content-type");
}

static void
chunked(const uint8_t *p, size_t n, const uint8_t *steps, size_t nsteps,
	size_t limit)
{
	struct bt_httpc_chunked c1, c2;
	struct bt_buf o1, o2;
	size_t used1 = 0, off = 0, used, si = 0;
	int r1, r2 = 0;

	bt_buf_init(&o1, limit);
	bt_buf_init(&o2, limit);
	bt_httpc_chunked_init(&c1);
	r1 = bt_httpc_chunked_feed(&c1, p, n, &o1, &used1);
	if (used1 > n || r1 > 1 || (r1 < 0 && r1 != BT_E_PARSE && r1 != BT_E_LIMIT &&
		r1 != BT_E_NOMEM))
		abort();
	if (r1 == 0 && used1 != n)
		abort();

	bt_httpc_chunked_init(&c2);
	while (off < n) {
		size_t k = nsteps ? (size_t)steps[si++ % nsteps] % 17 + 1 : 1;
		if (k > n - off)
			k = n - off;
		r2 = bt_httpc_chunked_feed(&c2, p + off, k, &o2, &used);
		if (used > k)
			abort();
		off += used;
		if (r2 != 0)
			break;
	}
	if (n == 0)
		r2 = 0;
	/* Pieces or one piece: same verdict, same place, same body (a limit
	 * hit may leave different partial bodies, so only compare those when
	 * both finished or both want more). */
	if (r1 != r2 || (r1 >= 0 && off != used1))
		abort();
	if (r1 >= 0 && (o1.len != o2.len || (o1.len && memcmp(o1.p, o2.p, o1.len) != 0)))
		abort();
	if (o1.len > n || (limit && o1.len > limit))
		abort();
	bt_buf_free(&o1);
	bt_buf_free(&o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct bt_httpc_head h, h2;
	size_t body = 0;
	int rc;

	rc = bt_httpc_parse_head(buf, size, &h);
	if (rc <= 0 && rc != BT_E_PARTIAL && rc != BT_E_PARSE && rc != BT_E_LIMIT &&
		rc != BT_E_UNSUPPORTED)
		abort();
	check_head(buf, size, &h, rc);
	if (rc > 0) {
		/* A prefix that still holds the whole head parses the same. */
		int rc2 = bt_httpc_parse_head(buf, (size_t)rc, &h2);
		if (rc2 != rc || h2.status != h.status || h2.nhdr != h.nhdr ||
			h2.content_length != h.content_length || h2.chunked != h.chunked)
			abort();
		/* A shorter one is incomplete. */
		if (bt_httpc_parse_head(buf, (size_t)rc - 1, &h2) != BT_E_PARTIAL)
			abort();
		body = (size_t)rc;
	}

	/* The rest (or all of it) through the chunked decoder. */
	{
		const uint8_t *p = data + body;
		size_t n = size - body;
		size_t limit = size ? (size_t)(data[0] & 3) * 64 : 0;
		chunked(p, n, data, size < 32 ? size : 32, limit);
	}

	/* The start as a URL. */
	{
		struct bt_url *u = malloc(sizeof(*u));
		char *s = malloc(size + 1);
		if (u && s) {
			memcpy(s, data, size);
			s[size] = 0;
			if (bt_url_parse(s, u) == 0) {
				if (u->path[0] != '/' || u->host[0] == 0 || u->port == 0 ||
					strlen(u->host) > BT_URL_HOST_MAX ||
					strlen(u->path) >= BT_URL_PATH_MAX)
					abort();
				for (const char *q = u->path; *q; q++)
					if ((unsigned char)*q <= 0x20 || *q == 0x7f)
						abort();
			}
		}
		free(u);
		free(s);
	}
	return 0;
}
