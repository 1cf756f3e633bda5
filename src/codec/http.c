/* http.c - see http.h */
#include "http.h"
#include "err.h"
#include "str.h"

#include <limits.h>
#include <string.h>

int
bt_http_is_tchar(int c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	}
	return 0;
}

int
bt_http_is_target(int c)
{
	return c > 0x20 && c != 0x7f && c <= 0xff;
}

int
bt_http_is_text(int c)
{
	return (c >= 0x20 && c != 0x7f && c <= 0xff) || c == '\t';
}

/* Parse one line end at buf[*i]: CRLF or LF.  0 done, or BT_E_*. */
static int
eol(const char *buf, size_t len, size_t *i)
{
	if (*i >= len)
		return BT_E_PARTIAL;
	if (buf[*i] == '\n') {
		(*i)++;
		return 0;
	}
	if (buf[*i] != '\r')
		return BT_E_PARSE;
	if (*i + 1 >= len)
		return BT_E_PARTIAL;
	if (buf[*i + 1] != '\n')
		return BT_E_PARSE;
	*i += 2;
	return 0;
}

/* Check a header that concerns request bodies. */
static int
body_check(const struct bt_http_hdr *h)
{
	if (bt_str_ieq(h->name, h->name_len, "transfer-encoding"))
		return BT_E_PARSE;
	if (bt_str_ieq(h->name, h->name_len, "content-length")) {
		if (h->value_len == 0)
			return BT_E_PARSE;
		for (size_t k = 0; k < h->value_len; k++)
			if (h->value[k] != '0')
				return BT_E_PARSE;	/* a body, or not a number */
	}
	return 0;
}

static int
parse(const char *buf, size_t len, struct bt_http_req *req, size_t max_headers)
{
	size_t i = 0, start;
	int rc;

	/* Empty lines before the request line. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		if ((rc = eol(buf, len, &i)) < 0)
			return rc;

	/* Method. */
	start = i;
	while (i < len && bt_http_is_tchar((uint8_t)buf[i]))
		i++;
	if (i >= len)
		return BT_E_PARTIAL;
	if (i == start || buf[i] != ' ')
		return BT_E_PARSE;
	req->method = buf + start;
	req->method_len = i - start;
	if (req->method_len == 3 && memcmp(req->method, "GET", 3) == 0)
		req->meth = BT_HTTP_GET;
	else if (req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0)
		req->meth = BT_HTTP_HEAD;
	while (i < len && buf[i] == ' ')
		i++;

	/* Target. */
	start = i;
	while (i < len && bt_http_is_target((uint8_t)buf[i]))
		i++;
	if (i >= len)
		return BT_E_PARTIAL;
	if (i == start)
		return BT_E_PARSE;
	req->path = buf + start;
	req->path_len = i - start;
	{
		const char *q = memchr(req->path, '?', req->path_len);
		if (q) {
			req->query = q + 1;
			req->query_len = req->path_len - (size_t)(q + 1 - req->path);
		}
	}
	while (i < len && buf[i] == ' ')
		i++;
	if (i >= len)
		return BT_E_PARTIAL;

	if (buf[i] == '\r' || buf[i] == '\n') {
		/* Two words: HTTP/0.9, GET only, no headers. */
		if ((rc = eol(buf, len, &i)) < 0)
			return rc;
		if (req->meth != BT_HTTP_GET)
			return BT_E_PARSE;
		req->simple = 1;
		req->minor = 0;
		return (int)i;
	}

	/* "HTTP/d.d" */
	{
		static const char pfx[] = "HTTP/";
		for (size_t k = 0; k < 5; k++, i++) {
			if (i >= len)
				return BT_E_PARTIAL;
			if (buf[i] != pfx[k])
				return BT_E_PARSE;
		}
		for (size_t k = 0; k < 3; k++, i++) {
			if (i >= len)
				return BT_E_PARTIAL;
			if (k == 1 ? buf[i] != '.' : (buf[i] < '0' || buf[i] > '9'))
				return BT_E_PARSE;
		}
		if (buf[i - 3] != '1')
			return BT_E_UNSUPPORTED;
		req->minor = buf[i - 1] - '0';
	}
	while (i < len && buf[i] == ' ')
		i++;
	if ((rc = eol(buf, len, &i)) < 0)
		return rc;

	/* Header lines up to an empty one. */
	for (;;) {
		struct bt_http_hdr *h;

		if (i >= len)
			return BT_E_PARTIAL;
		if (buf[i] == '\r' || buf[i] == '\n') {
			if ((rc = eol(buf, len, &i)) < 0)
				return rc;
			return (int)i;
		}
		if (req->nhdr >= max_headers)
			return BT_E_LIMIT;	/* a header line too many */
		h = &req->hdr[req->nhdr];
		if ((rc = bt_http_parse_header(buf + i, len - i, h)) < 0)
			return rc;
		i += (size_t)rc;
		if ((rc = body_check(h)) < 0)
			return rc;
		req->nhdr++;
	}
}

int
bt_http_parse_header(const char *buf, size_t len, struct bt_http_hdr *h)
{
	size_t i = 0, start, vend;
	int rc;

	if (len > INT_MAX)
		len = INT_MAX;
	while (i < len && bt_http_is_tchar((uint8_t)buf[i]))
		i++;
	if (i >= len)
		return BT_E_PARTIAL;
	if (i == 0 || buf[i] != ':')
		return BT_E_PARSE;	/* folding, space before ':', junk */
	h->name = buf;
	h->name_len = i;
	i++;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	start = i;
	while (i < len && bt_http_is_text((uint8_t)buf[i]))
		i++;
	vend = i;
	if ((rc = eol(buf, len, &i)) < 0)
		return rc;
	while (vend > start && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
		vend--;
	h->value = buf + start;
	h->value_len = vend - start;
	return (int)i;
}

int
bt_http_parse_request(const char *buf, size_t len, struct bt_http_req *req,
	size_t max_headers)
{
	int rc, capped = 0;

	if (len > INT_MAX) {
		len = INT_MAX;
		capped = 1;
	}
	if (max_headers > BT_HTTP_HDR_MAX)
		max_headers = BT_HTTP_HDR_MAX;
	req->method = req->path = req->query = NULL;
	req->method_len = req->path_len = req->query_len = 0;
	req->meth = BT_HTTP_OTHER;
	req->minor = 0;
	req->simple = 0;
	req->nhdr = 0;
	rc = parse(buf, len, req, max_headers);
	if (rc == BT_E_PARTIAL && capped)
		rc = BT_E_LIMIT;
	return rc;
}

int
bt_http_path_is(const struct bt_http_req *req, const char *p)
{
	size_t n = req->query ? req->path_len - req->query_len - 1 : req->path_len;
	return n == strlen(p) && memcmp(req->path, p, n) == 0;
}

const struct bt_http_hdr *
bt_http_hdr_find(const struct bt_http_hdr *hdr, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (bt_str_ieq(hdr[k].name, hdr[k].name_len, name))
			return &hdr[k];
	return NULL;
}

const struct bt_http_hdr *
bt_http_header(const struct bt_http_req *req, const char *name)
{
	return bt_http_hdr_find(req->hdr, req->nhdr, name);
}

/* Iterate the comma-separated elements of every header called name; each
 * element is trimmed of blanks.  *hi and *off carry the state (start at 0). */
static int
list_next(const struct bt_http_req *req, const char *name, size_t *hi,
	size_t *off, const char **el, size_t *el_len)
{
	for (; *hi < req->nhdr; (*hi)++, *off = 0) {
		const struct bt_http_hdr *h = &req->hdr[*hi];

		if (!bt_str_ieq(h->name, h->name_len, name))
			continue;
		while (*off < h->value_len) {
			size_t s = *off, e;
			const char *comma = memchr(h->value + s, ',', h->value_len - s);

			e = comma ? (size_t)(comma - h->value) : h->value_len;
			*off = comma ? e + 1 : h->value_len;
			while (s < e && (h->value[s] == ' ' || h->value[s] == '\t'))
				s++;
			while (e > s && (h->value[e - 1] == ' ' || h->value[e - 1] == '\t'))
				e--;
			if (e > s) {
				*el = h->value + s;
				*el_len = e - s;
				return 1;
			}
		}
	}
	return 0;
}

int
bt_http_keep_alive(const struct bt_http_req *req)
{
	size_t hi = 0, off = 0, n;
	const char *el;
	int ka = 0;

	if (req->simple)
		return 0;
	while (list_next(req, "connection", &hi, &off, &el, &n)) {
		if (bt_str_ieq(el, n, "close"))
			return 0;
		if (bt_str_ieq(el, n, "keep-alive"))
			ka = 1;
	}
	return req->minor >= 1 || ka;
}

/* The q-value of an Accept-Encoding element "coding;q=0.5": 1 if it is
 * above zero, 0 if it is zero; *name_len gets the coding name's length. */
static int
q_positive(const char *el, size_t n, size_t *name_len)
{
	const char *semi = memchr(el, ';', n);
	size_t k, e;

	e = semi ? (size_t)(semi - el) : n;
	while (e > 0 && (el[e - 1] == ' ' || el[e - 1] == '\t'))
		e--;
	*name_len = e;
	if (!semi)
		return 1;
	k = (size_t)(semi - el) + 1;
	/* Parameters: only q matters. */
	while (k < n) {
		while (k < n && (el[k] == ' ' || el[k] == '\t' || el[k] == ';'))
			k++;
		if (k + 1 < n && (el[k] == 'q' || el[k] == 'Q') && el[k + 1] == '=') {
			k += 2;
			/* q = 0(.000) is "not acceptable"; anything else is fine. */
			for (; k < n && el[k] != ';'; k++)
				if (el[k] >= '1' && el[k] <= '9')
					return 1;
			return 0;
		}
		while (k < n && el[k] != ';')
			k++;
	}
	return 1;
}

int
bt_http_accepts_gzip(const struct bt_http_req *req)
{
	size_t hi = 0, off = 0, n, name_len;
	const char *el;
	int star = -1;

	while (list_next(req, "accept-encoding", &hi, &off, &el, &n)) {
		int ok = q_positive(el, n, &name_len);

		if (bt_str_ieq(el, name_len, "gzip") || bt_str_ieq(el, name_len, "x-gzip"))
			return ok;
		if (bt_str_ieq(el, name_len, "*"))
			star = ok;
	}
	return star == 1;
}

/* ---- percent-decoding ---- */

int
bt_http_decode(const char *in, size_t len, uint8_t *out, size_t cap,
	unsigned flags)
{
	size_t i = 0, o = 0;

	if (len > INT_MAX)
		return BT_E_LIMIT;
	while (i < len) {
		int c = (uint8_t)in[i];

		if (c == '%') {
			int hi, lo;
			if (len - i < 3 || (hi = bt_hexval((uint8_t)in[i + 1])) < 0 ||
				(lo = bt_hexval((uint8_t)in[i + 2])) < 0)
				return BT_E_PARSE;
			c = hi << 4 | lo;
			i += 3;
		} else {
			if (c == '+' && (flags & BT_HTTP_PLUS))
				c = ' ';
			i++;
		}
		if (o >= cap)
			return BT_E_LIMIT;
		out[o++] = (uint8_t)c;
	}
	return (int)o;
}

int
bt_http_decode_inplace(char *s, size_t len, unsigned flags)
{
	/* The output never gets ahead of the input. */
	return bt_http_decode(s, len, (uint8_t *)s, len, flags);
}

/* ---- query iteration ---- */

void
bt_http_query_init(struct bt_http_query *it, const char *q, size_t len)
{
	it->p = q;
	it->end = q ? q + len : q;
}

int
bt_http_query_next(struct bt_http_query *it, const char **key, size_t *klen,
	const char **val, size_t *vlen)
{
	while (it->p && it->p < it->end) {
		const char *s = it->p, *amp, *eq;
		size_t n = (size_t)(it->end - s);

		amp = memchr(s, '&', n);
		if (amp)
			n = (size_t)(amp - s);
		it->p = amp ? amp + 1 : it->end;
		if (n == 0)
			continue;
		eq = memchr(s, '=', n);
		*key = s;
		if (eq) {
			*klen = (size_t)(eq - s);
			*val = eq + 1;
			*vlen = n - *klen - 1;
		} else {
			*klen = n;
			*val = NULL;
			*vlen = 0;
		}
		return 1;
	}
	return 0;
}

/* ---- responses ---- */

const char *
bt_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

/* Text without control bytes but HTAB: what a field value may hold. */
static int
clean(const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!bt_http_is_text((uint8_t)p[k]))
			return 0;
	return 1;
}

int
bt_http_resp_write(struct bt_buf *b, const struct bt_http_resp *r)
{
	const char *reason = r->reason ? r->reason : bt_http_reason(r->status);

	if (r->status < 100 || r->status > 999 ||
		!clean(reason, strlen(reason)) || (r->nhdr && !r->hdr))
		return BT_E_INVAL;
	for (size_t k = 0; k < r->nhdr; k++) {
		const struct bt_http_hdr *h = &r->hdr[k];
		if (h->name_len == 0)
			return BT_E_INVAL;
		for (size_t j = 0; j < h->name_len; j++)
			if (!bt_http_is_tchar((uint8_t)h->name[j]))
				return BT_E_INVAL;
		if (!clean(h->value, h->value_len))
			return BT_E_INVAL;
	}
	if (r->flags & BT_HTTP_RESP_SIMPLE) {
		if (r->body && !(r->flags & BT_HTTP_RESP_HEAD))
			bt_buf_add(b, r->body, r->body_len);
		return b->err;
	}
	bt_buf_printf(b, "HTTP/1.%d %d %s\r\n", r->minor ? 1 : 0, r->status, reason);
	for (size_t k = 0; k < r->nhdr; k++) {
		const struct bt_http_hdr *h = &r->hdr[k];
		bt_buf_add(b, h->name, h->name_len);
		bt_buf_add(b, ": ", 2);
		bt_buf_add(b, h->value, h->value_len);
		bt_buf_add(b, "\r\n", 2);
	}
	bt_buf_printf(b, "Content-Length: %zu\r\n", r->body_len);
	if (r->flags & BT_HTTP_RESP_CLOSE)
		bt_buf_adds(b, "Connection: close\r\n");
	else if (r->flags & BT_HTTP_RESP_KEEPALIVE)
		bt_buf_adds(b, "Connection: keep-alive\r\n");
	bt_buf_add(b, "\r\n", 2);
	if (r->body && !(r->flags & BT_HTTP_RESP_HEAD))
		bt_buf_add(b, r->body, r->body_len);
	return b->err;
}

void
bt_http_encode(struct bt_buf *b, const void *data, size_t n)
{
	static const char dig[] = "0123456789ABCDEF";
	const uint8_t *p = data;
	for (size_t k = 0; k < n; k++) {
		uint8_t c = p[k];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			bt_buf_addc(b, c);
		} else {
			char e[3] = { '%', dig[c >> 4], dig[c & 15] };
			bt_buf_add(b, e, 3);
		}
	}
}
