/* http.h - HTTP/1.x server side: request-head parser (zero-copy,
 * picohttpparser style), percent-decoding, query iteration and a response
 * writer; and what both sides share: the header-line parser, byte classes
 * and header lookup (httpc reads response heads with them).
 *
 * Parsing.  bt_http_parse_request() looks at buf[0..len), which need not be
 * NUL-terminated, and fills a bt_http_req whose strings all point into buf
 * (nothing is copied, nothing is NUL-terminated).  It returns the number of
 * bytes the request head took, so a second pipelined request starts at
 * buf + rc.  The total head size is bounded by the caller's buffer: when
 * the buffer is full and the result is still BT_E_PARTIAL, answer 431 (or
 * just close).  Re-parsing from the start after each read is fine for
 * tracker-sized heads; to avoid rescanning on every byte, call again only
 * when the new bytes contain a '\n' (a head cannot end without one).
 *
 * Accepted: "METHOD SP target SP HTTP/1.d CRLF" then header lines and an
 * empty line; LF alone is taken for CRLF; runs of spaces between the three
 * words are allowed; empty lines before the request line are skipped
 * (RFC 9112 2.2).  The old two-word form "GET target CRLF" (HTTP/0.9) is
 * accepted for GET only: it has no headers, ends at its line and sets
 * req->simple.  The target is bytes 0x21-0x7e or 0x80-0xff; header names
 * are RFC tokens; values are HTAB, 0x20-0x7e or 0x80-0xff, with surrounding
 * blanks trimmed.  Refused as BT_E_PARSE: control bytes (NUL included),
 * space before the colon, folded (continuation) lines, a CR not followed by
 * LF.
 *
 * Request bodies are not supported: a Content-Length other than 0 (or one
 * that is not a number), or any Transfer-Encoding, is BT_E_PARSE.  Answer
 * 400 and close, since the body bytes would otherwise be read as the next
 * request.  A major version other than 1 is BT_E_UNSUPPORTED (505). */
#ifndef BT_HTTP_H
#define BT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Most headers a bt_http_req can hold; larger max_headers are clamped. */
#define BT_HTTP_HDR_MAX	64

struct bt_http_hdr {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* A header from literals, for bt_http_resp.hdr. */
#define BT_HTTP_HDR(n, v) { (n), sizeof(n) - 1, (v), sizeof(v) - 1 }

/* Byte classes (RFC 9110), for c in 0..255: a token byte (methods, header
 * names); a field-value byte (HTAB, 0x20-0x7e, 0x80-0xff); a
 * request-target byte (0x21-0x7e, 0x80-0xff). */
int bt_http_is_tchar(int c);
int bt_http_is_text(int c);
int bt_http_is_target(int c);

/* Parse one header line at buf[0..len), a request's or a response's:
 * "name: value" and its line end (CRLF, or LF alone), into h, which then
 * points into buf.  The name is a token; the value is field-value bytes
 * with the blanks around it trimmed.  Returns the bytes the line took
 * (> 0), BT_E_PARTIAL (no line end yet) or BT_E_PARSE (an empty name, as
 * in a folded line or an empty line; space before the colon; a byte not
 * allowed; a CR not followed by LF). */
int bt_http_parse_header(const char *buf, size_t len, struct bt_http_hdr *h);

/* First of hdr[0..n) called name (any case), or NULL. */
const struct bt_http_hdr *bt_http_hdr_find(const struct bt_http_hdr *hdr, size_t n,
	const char *name);

enum bt_http_method { BT_HTTP_OTHER = 0, BT_HTTP_GET, BT_HTTP_HEAD };

struct bt_http_req {
	const char *method;	/* as sent (methods are case-sensitive) */
	size_t method_len;
	int meth;		/* enum bt_http_method */
	const char *path;	/* the raw target, query included */
	size_t path_len;
	const char *query;	/* after the first '?'; NULL when there is no '?' */
	size_t query_len;	/* (the part before '?' is path_len - query_len - 1) */
	int minor;		/* HTTP/1.minor: 0-9; >= 1 has 1.1 semantics */
	int simple;		/* two-word HTTP/0.9 request: minor 0, no headers */
	size_t nhdr;
	struct bt_http_hdr hdr[BT_HTTP_HDR_MAX];
};

/* Parse one request head.  Returns the bytes consumed (> 0), BT_E_PARTIAL
 * (incomplete so far), BT_E_PARSE (malformed, see above), BT_E_LIMIT (more
 * than max_headers headers) or BT_E_UNSUPPORTED (not HTTP/1.x).  req is
 * only meaningful after a positive return. */
int bt_http_parse_request(const char *buf, size_t len, struct bt_http_req *req,
	size_t max_headers);

/* 1 if the target's path (the part before any '?') is exactly p. */
int bt_http_path_is(const struct bt_http_req *req, const char *p);
/* First header called name (any case), or NULL. */
const struct bt_http_hdr *bt_http_header(const struct bt_http_req *req,
	const char *name);
/* 1 if the connection may stay open after the reply: HTTP/1.1 unless a
 * Connection header lists "close"; HTTP/1.0 only if it lists "keep-alive";
 * never for a two-word request. */
int bt_http_keep_alive(const struct bt_http_req *req);
/* 1 if Accept-Encoding accepts gzip (or x-gzip, or "*" when gzip is not
 * named) with a q-value above 0. */
int bt_http_accepts_gzip(const struct bt_http_req *req);

/* Percent-decoding.  %XX (either case) becomes one byte, %00 included; a
 * '%' without two hex digits after it is BT_E_PARSE.  With BT_HTTP_PLUS a
 * '+' becomes a space (query strings); without it, '+' stays. */
#define BT_HTTP_PLUS	0x1u

/* Decode s[0..len) in place; returns the new length (<= len) or
 * BT_E_PARSE, in which case s is partly rewritten. */
int bt_http_decode_inplace(char *s, size_t len, unsigned flags);
/* Decode in[0..len) into out[0..cap) (binary-safe; out may equal in).
 * Returns the decoded length, BT_E_PARSE, or BT_E_LIMIT when the result
 * would not fit in cap bytes. */
int bt_http_decode(const char *in, size_t len, uint8_t *out, size_t cap,
	unsigned flags);

/* Append p[0..n) percent-encoded for a query value: RFC 3986's
 * unreserved characters stay, every other byte becomes %XX. */
void bt_http_encode(struct bt_buf *b, const void *p, size_t n);

/* Query-string iteration over "k=v&k2=v2": raw, undecoded spans into the
 * query.  Empty items ("a=1&&b=2") are skipped; "k" without '=' gives val
 * NULL and vlen 0; "k=" gives an empty, non-NULL val; the value runs to
 * the next '&' (a later '=' is part of it). */
struct bt_http_query {
	const char *p, *end;
};

void bt_http_query_init(struct bt_http_query *it, const char *q, size_t len);
/* 1 and the next pair, or 0 at the end. */
int bt_http_query_next(struct bt_http_query *it, const char **key,
	size_t *klen, const char **val, size_t *vlen);

/* Responses. */
#define BT_HTTP_RESP_HEAD	0x1u	/* HEAD: full Content-Length, no body */
#define BT_HTTP_RESP_CLOSE	0x2u	/* add "Connection: close" */
#define BT_HTTP_RESP_KEEPALIVE	0x4u	/* add "Connection: keep-alive" (1.0) */
#define BT_HTTP_RESP_SIMPLE	0x8u	/* HTTP/0.9 reply: the body alone */

struct bt_http_resp {
	int minor;		/* 0: "HTTP/1.0", otherwise "HTTP/1.1" */
	int status;		/* 100-999 */
	const char *reason;	/* NULL: bt_http_reason(status) */
	const struct bt_http_hdr *hdr;	/* extra headers (not Content-Length) */
	size_t nhdr;
	const void *body;	/* NULL: write the head only; the caller then */
	size_t body_len;	/* appends exactly body_len bytes itself */
	unsigned flags;		/* BT_HTTP_RESP_* */
};

/* Append the reply to b: status line, the extra headers, Content-Length,
 * Connection if asked, an empty line, then the body (not for HEAD).
 * BT_E_INVAL (nothing written) for a status out of range or CR, LF or
 * other control bytes in the reason or a header; otherwise b->err (0,
 * BT_E_NOMEM or BT_E_LIMIT). */
int bt_http_resp_write(struct bt_buf *b, const struct bt_http_resp *r);
/* Standard reason phrase ("Not Found"), "Unknown" for others. */
const char *bt_http_reason(int status);

#endif
