/* httpc.c - see httpc.h */
#define _GNU_SOURCE	/* MSG_NOSIGNAL */
#include "httpc.h"
#include "reactor.h"
#include "resolve.h"
#include "net.h"
#include "tls.h"
#include "err.h"
#include "str.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- small helpers ---- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- URLs ---- */

int
bt_url_parse(const char *url, struct bt_url *u)
{
	size_t len, i, a, e, hs, he, pe, plen;
	int https;

	if (!url || !u)
		return BT_E_INVAL;
	len = strnlen(url, BT_URL_MAX + 1);
	if (len > BT_URL_MAX)
		return BT_E_LIMIT;
	u->host[0] = 0;
	u->path[0] = 0;

	/* scheme "://" */
	for (i = 0; i < len && (is_alpha((unsigned char)url[i]) ||
		(i > 0 && (is_digit((unsigned char)url[i]) || url[i] == '+' ||
		url[i] == '-' || url[i] == '.'))); i++)
		;
	if (i == 0 || i + 3 > len || memcmp(url + i, "://", 3) != 0)
		return BT_E_PARSE;
	if (bt_str_ieq(url, i, "http"))
		https = 0;
	else if (bt_str_ieq(url, i, "https"))
		https = 1;
	else
		return BT_E_UNSUPPORTED;

	/* authority */
	a = i + 3;
	for (e = a; e < len && url[e] != '/' && url[e] != '?' && url[e] != '#'; e++)
		if (url[e] == '@')
			return BT_E_UNSUPPORTED;
	u->https = https;
	u->ipv6 = 0;
	u->port = https ? 443 : 80;
	u->port_given = 0;
	if (a < e && url[a] == '[') {
		const char *close = memchr(url + a, ']', e - a);
		char tmp[64];
		struct in6_addr a6;

		if (!close)
			return BT_E_PARSE;
		hs = a + 1;
		he = (size_t)(close - url);
		if (he - hs >= sizeof(tmp) || he == hs)
			return BT_E_PARSE;
		memcpy(tmp, url + hs, he - hs);
		tmp[he - hs] = 0;
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return BT_E_PARSE;
		u->ipv6 = 1;
		i = he + 1;
		if (i < e && url[i] != ':')
			return BT_E_PARSE;
	} else {
		hs = a;
		for (he = hs; he < e && url[he] != ':'; he++) {
			int c = (unsigned char)url[he];
			if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
				return BT_E_PARSE;
		}
		if (he == hs)
			return BT_E_PARSE;
		if (he - hs > BT_URL_HOST_MAX)
			return BT_E_LIMIT;
		i = he;
	}
	if (i < e) {	/* ':' port */
		unsigned long port = 0;
		size_t nd = 0;

		for (i++; i < e; i++, nd++) {
			if (!is_digit((unsigned char)url[i]) || nd >= 5)
				return BT_E_PARSE;
			port = port * 10 + (unsigned long)(url[i] - '0');
		}
		if (nd) {
			if (port == 0 || port > 65535)
				return BT_E_PARSE;
			u->port = (uint16_t)port;
			u->port_given = 1;
		}
	}

	/* path and query, fragment dropped */
	pe = e;
	while (pe < len && url[pe] != '#')
		pe++;
	for (i = e; i < pe; i++)
		if (!bt_http_is_target((unsigned char)url[i]))
			return BT_E_PARSE;
	plen = pe - e;
	if (plen == 0 || url[e] != '/') {
		if (plen + 2 > BT_URL_PATH_MAX)
			return BT_E_LIMIT;
		u->path[0] = '/';
		memcpy(u->path + 1, url + e, plen);
		u->path[plen + 1] = 0;
	} else {
		if (plen + 1 > BT_URL_PATH_MAX)
			return BT_E_LIMIT;
		memcpy(u->path, url + e, plen);
		u->path[plen] = 0;
	}
	memcpy(u->host, url + hs, he - hs);
	u->host[he - hs] = 0;
	return 0;
}

/* ---- response heads ---- */

/* The next line from pos: [*ls, *ls + *ll) without its CR LF (or LF).
 * Returns the position after the LF, or 0 if there is no LF yet. */
static size_t
next_line(const char *buf, size_t lim, size_t pos, size_t *ls, size_t *ll)
{
	const char *lf = memchr(buf + pos, '\n', lim - pos);
	size_t end;

	if (!lf)
		return 0;
	end = (size_t)(lf - buf);
	*ls = pos;
	*ll = end - pos;
	if (*ll && buf[end - 1] == '\r')
		(*ll)--;
	return end + 1;
}

static int
parse_status(const char *s, size_t n, struct bt_httpc_head *h)
{
	size_t i;

	if (n < 5 || memcmp(s, "HTTP/", 5) != 0)
		return BT_E_PARSE;
	if (n < 6 || !is_digit((unsigned char)s[5]))
		return BT_E_PARSE;
	if (s[5] != '1')
		return BT_E_UNSUPPORTED;
	if (n < 8 || s[6] != '.' || !is_digit((unsigned char)s[7]))
		return BT_E_PARSE;
	h->minor = s[7] - '0';
	i = 8;
	if (i >= n || s[i] != ' ')
		return BT_E_PARSE;
	while (i < n && s[i] == ' ')
		i++;
	if (n - i < 3 || !is_digit((unsigned char)s[i]) ||
		!is_digit((unsigned char)s[i + 1]) || !is_digit((unsigned char)s[i + 2]) ||
		s[i] == '0')
		return BT_E_PARSE;
	h->status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	i += 3;
	if (i < n && s[i] != ' ')
		return BT_E_PARSE;
	if (i < n)
		i++;
	for (size_t k = i; k < n; k++)
		if (!bt_http_is_text((unsigned char)s[k]))
			return BT_E_PARSE;
	h->reason = s + i;
	h->reason_len = n - i;
	return 0;
}

static int
header_meaning(struct bt_httpc_head *h, const struct bt_http_hdr *x)
{
	if (bt_str_ieq(x->name, x->name_len, "content-length")) {
		int64_t v = 0;

		if (x->value_len == 0 || x->value_len > 18)
			return x->value_len ? BT_E_LIMIT : BT_E_PARSE;
		for (size_t i = 0; i < x->value_len; i++) {
			if (!is_digit((unsigned char)x->value[i]))
				return BT_E_PARSE;
			v = v * 10 + (x->value[i] - '0');
		}
		if (h->content_length >= 0 && h->content_length != v)
			return BT_E_PARSE;
		h->content_length = v;
	} else if (bt_str_ieq(x->name, x->name_len, "transfer-encoding")) {
		if (!bt_str_ieq(x->value, x->value_len, "chunked"))
			return BT_E_UNSUPPORTED;
		if (h->chunked)
			return BT_E_PARSE;
		h->chunked = 1;
	} else if (bt_str_ieq(x->name, x->name_len, "location")) {
		if (!h->location) {
			h->location = x->value;
			h->location_len = x->value_len;
		}
	}
	return 0;
}

int
bt_httpc_parse_head(const char *buf, size_t len, struct bt_httpc_head *h)
{
	size_t lim = len > BT_HTTPC_HEAD_MAX ? BT_HTTPC_HEAD_MAX : len;
	size_t pos, ls, ll;
	int rc;

	h->minor = 0;
	h->status = 0;
	h->reason = NULL;
	h->reason_len = 0;
	h->nhdr = 0;
	h->content_length = -1;
	h->chunked = 0;
	h->location = NULL;
	h->location_len = 0;

	/* Fail early on something that is not HTTP at all. */
	for (size_t k = 0; k < 5 && k < lim; k++)
		if (buf[k] != "HTTP/"[k])
			return BT_E_PARSE;

	pos = next_line(buf, lim, 0, &ls, &ll);
	if (!pos)
		return lim == BT_HTTPC_HEAD_MAX ? BT_E_LIMIT : BT_E_PARTIAL;
	rc = parse_status(buf + ls, ll, h);
	if (rc < 0)
		return rc;

	for (;;) {
		struct bt_http_hdr x;
		size_t np = next_line(buf, lim, pos, &ls, &ll);

		if (!np)
			return lim == BT_HTTPC_HEAD_MAX ? BT_E_LIMIT : BT_E_PARTIAL;
		pos = np;
		if (ll == 0)
			break;
		/* A whole line: a folded or malformed one is BT_E_PARSE. */
		rc = bt_http_parse_header(buf + ls, np - ls, &x);
		if (rc < 0)
			return rc;
		if (h->nhdr >= BT_HTTP_HDR_MAX)
			return BT_E_LIMIT;
		h->hdr[h->nhdr] = x;
		rc = header_meaning(h, &h->hdr[h->nhdr++]);
		if (rc < 0)
			return rc;
	}
	return (int)pos;
}

const struct bt_http_hdr *
bt_httpc_header(const struct bt_httpc_head *h, const char *name)
{
	return bt_http_hdr_find(h->hdr, h->nhdr, name);
}

/* ---- chunked ---- */

enum {
	CK_SIZE0, CK_SIZE, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF,
	CK_TRL, CK_TRL_LINE, CK_END_LF, CK_DONE,
};

#define CK_LINE_MAX	4096
#define CK_TRAILER_MAX	16384

void
bt_httpc_chunked_init(struct bt_httpc_chunked *c)
{
	memset(c, 0, sizeof(*c));
}

int
bt_httpc_chunked_feed(struct bt_httpc_chunked *c, const uint8_t *in, size_t n,
	struct bt_buf *out, size_t *used)
{
	size_t i = 0;

	while (i < n && c->state != CK_DONE) {
		int ch = in[i];

		switch (c->state) {
		case CK_SIZE0:
		case CK_SIZE: {
			int v = bt_hexval(ch);
			if (v >= 0) {
				if (c->left || v)
					c->ndig++;
				if (c->ndig > 15)
					goto limit;
				c->left = c->left * 16 + (uint64_t)v;
				c->state = CK_SIZE;
			} else if (c->state == CK_SIZE0) {
				goto parse;
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = CK_EXT;
				c->line = 1;
			} else if (ch == '\r') {
				c->state = CK_SIZE_LF;
			} else if (ch == '\n') {
				i++;
				goto size_done;
			} else {
				goto parse;
			}
			i++;
			break;
		}
		case CK_EXT:
			if (ch == '\r') {
				c->state = CK_SIZE_LF;
			} else if (ch == '\n') {
				i++;
				goto size_done;
			} else if (!bt_http_is_text(ch)) {
				goto parse;
			} else if (++c->line > CK_LINE_MAX) {
				goto limit;
			}
			i++;
			break;
		case CK_SIZE_LF:
			if (ch != '\n')
				goto parse;
			i++;
			goto size_done;
		case CK_DATA: {
			size_t m = n - i;
			if (m > c->left)
				m = (size_t)c->left;
			bt_buf_add(out, in + i, m);
			if (out->err) {
				*used = i;
				return out->err;
			}
			c->left -= m;
			i += m;
			if (!c->left)
				c->state = CK_DATA_CR;
			break;
		}
		case CK_DATA_CR:
			if (ch == '\r')
				c->state = CK_DATA_LF;
			else if (ch == '\n')
				c->state = CK_SIZE0;
			else
				goto parse;
			i++;
			break;
		case CK_DATA_LF:
			if (ch != '\n')
				goto parse;
			c->state = CK_SIZE0;
			i++;
			break;
		case CK_TRL:
			if (ch == '\r') {
				c->state = CK_END_LF;
			} else if (ch == '\n') {
				c->state = CK_DONE;
			} else if (!bt_http_is_text(ch)) {
				goto parse;
			} else {
				c->state = CK_TRL_LINE;
				c->line = 1;
				if (++c->trailer > CK_TRAILER_MAX)
					goto limit;
			}
			i++;
			break;
		case CK_TRL_LINE:
			if (ch == '\n') {
				c->state = CK_TRL;
			} else if (ch != '\r' && !bt_http_is_text(ch)) {
				goto parse;
			} else if (++c->line > CK_LINE_MAX || ++c->trailer > CK_TRAILER_MAX) {
				goto limit;
			}
			i++;
			break;
		case CK_END_LF:
			if (ch != '\n')
				goto parse;
			c->state = CK_DONE;
			i++;
			break;
		}
		continue;
size_done:
		c->ndig = 0;
		c->line = 0;
		c->state = c->left ? CK_DATA : CK_TRL;
	}
	*used = i;
	return c->state == CK_DONE ? 1 : 0;
parse:
	*used = i;
	return BT_E_PARSE;
limit:
	*used = i;
	return BT_E_LIMIT;
}

/* ---- the client ---- */

enum { ST_RESOLVE, ST_CONNECT, ST_SEND, ST_HEAD, ST_BODY };
enum { BODY_LEN, BODY_CHUNKED, BODY_CLOSE };

#define INTERIM_MAX	8	/* 1xx heads before the real one */
#define READS_PER_EVENT	64

struct bt_httpc {
	struct bt_loop *loop;
	bt_httpc_fn *cb;
	void *ud;
	struct bt_httpc_opts o;
	char ua[BT_HTTPC_UA_MAX + 1];
	char *url;			/* the URL being fetched, absolute */
	struct bt_url u;
	struct bt_resolve *res;
	struct sockaddr_storage addr[BT_RESOLVE_ADDRS];
	size_t naddr, ai;
	int fd;
	int last_errno;
	uint64_t timer;
	int state;
	int in_cb;
	unsigned redirects, interim;
	struct bt_buf req;
	size_t req_off;
	struct bt_httpc_head hd;
	int body_mode;
	uint64_t body_left;
	struct bt_httpc_chunked ck;
	struct bt_buf body;
	struct bt_tls *tls;		/* https only, kept across redirects */
	const struct bt_tls_anchors *ta;	/* cached, not ours */
	char *ca_file;			/* opts' ca_file, copied */
	const char *tls_why;		/* static text for BT_E_TLS */
	int tls_code;			/* BearSSL's error code */
	int fail;			/* failure for the timer to report */
	const char *why;		/* static text for the result's why */
	int head_status;		/* the final head's status, once read */
	size_t hlen;
	char head[BT_HTTPC_HEAD_MAX];
};

void
bt_httpc_opts_init(struct bt_httpc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = BT_HTTPC_TIMEOUT_MS;
	o->max_body = BT_HTTPC_MAX_BODY;
	o->max_redirects = BT_HTTPC_REDIRECTS;
	o->family = AF_UNSPEC;
}

static void
close_conn(struct bt_httpc *h)
{
	if (h->fd >= 0) {
		bt_io_del(h->loop, h->fd);
		close(h->fd);
		h->fd = -1;
	}
}

static void
release(struct bt_httpc *h)
{
	bt_resolve_cancel(h->res);
	h->res = NULL;
	close_conn(h);
	if (h->timer)
		bt_timer_del(h->loop, h->timer);
	bt_buf_free(&h->req);
	bt_buf_free(&h->body);
	bt_tls_free(h->tls);
	free(h->ca_file);
	free(h->url);
	free(h);
}

static const char why_redirects[] = "too many redirects";

/* Call back once and free.  Always "finished": the caller must not touch
 * h afterwards. */
static int
finish(struct bt_httpc *h, int status, int sys_errno)
{
	struct bt_httpc_result r;

	/* Drop the connection and the timer before the callback, so the
	 * callback may start new requests with the fds freed. */
	close_conn(h);
	if (h->timer) {
		bt_timer_del(h->loop, h->timer);
		h->timer = 0;
	}
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.sys_errno = status == BT_E_IO ? sys_errno : 0;
	if (status >= 0 && !h->body.err && h->body.p) {
		r.body = h->body.p;
		r.body_len = h->body.len;
	} else {
		r.body = (const uint8_t *)"";
		r.body_len = 0;
	}
	r.url = h->url;
	r.redirects = h->redirects;
	r.why = status < 0 && status != BT_E_TLS ? h->why : NULL;
	r.head_status = h->head_status;
	if (status == BT_E_TLS) {
		r.tls_error = h->tls_why ? h->tls_why : "TLS error";
		r.tls_code = h->tls_code;
	}
	h->in_cb = 1;
	h->cb(h->loop, &r, h->ud);
	release(h);
	return 1;
}

/* finish() with a failure whose cause is the static text why. */
static int
fail_why(struct bt_httpc *h, int status, const char *why)
{
	h->why = bt_text(why);	/* a deflated text's number too */
	return finish(h, status, 0);
}

/* see httpc.h */
void
bt_httpc_describe(const struct bt_httpc_result *r, char *out, size_t cap)
{
	char url[256];

	if (!cap)
		return;
	if (r->status >= 0) {
		snprintf(out, cap, "HTTP status %d", r->status);
	} else if (r->status == BT_E_TLS) {
		snprintf(out, cap, "TLS: %s", r->tls_error ? r->tls_error : "error");
	} else if (r->why == why_redirects) {
		bt_str_printable(url, sizeof(url), r->url ? r->url : "", r->url ? strlen(r->url) : 0);
		snprintf(out, cap, "%s (%u) at %s", r->why, r->redirects, url);
	} else if (r->why) {
		snprintf(out, cap, "%s", r->why);
	} else if (r->status == BT_E_IO && r->sys_errno == ETIMEDOUT) {
		snprintf(out, cap, "timeout exceeded");
	} else if (r->status == BT_E_IO && r->sys_errno) {
		snprintf(out, cap, "%s", strerror(r->sys_errno));
	} else if (r->status == BT_E_NOENT) {
		snprintf(out, cap, "host not found");
	} else {
		snprintf(out, cap, "%s", bt_strerror(r->status));
	}
}

/* "host[:port]" of u, as in a Host header: IPv6 in brackets, the port
 * only when it is not the scheme's default. */
static void
add_authority(struct bt_buf *b, const struct bt_url *u)
{
	bt_buf_printf(b, u->ipv6 ? "[%s]" : "%s", u->host);
	if (u->port != (u->https ? 443 : 80))
		bt_buf_printf(b, ":%u", (unsigned)u->port);
}

static int try_connect(struct bt_httpc *h);
static void on_resolved(struct bt_loop *loop, int rc,
	const struct sockaddr_storage *addr, size_t n, void *ud);

/* Build the request for h->u and start resolving.  0 or an error (nothing
 * called back). */
static int
start(struct bt_httpc *h)
{
	int rc;

	h->state = ST_RESOLVE;
	h->naddr = h->ai = 0;
	h->hlen = 0;
	h->interim = 0;
	h->req_off = 0;
	h->req.len = 0;
	h->req.err = 0;
	h->body.len = 0;
	h->body.err = 0;
	bt_httpc_chunked_init(&h->ck);

	bt_buf_printf(&h->req, "GET %s HTTP/1.1\r\nHost: ", h->u.path);
	add_authority(&h->req, &h->u);
	bt_buf_adds(&h->req, "\r\n");
	if (h->ua[0])
		bt_buf_printf(&h->req, "User-Agent: %s\r\n", h->ua);
	if (h->o.range)
		bt_buf_printf(&h->req, "Range: bytes=%llu-%llu\r\n",
			(unsigned long long)h->o.range_first,
			(unsigned long long)h->o.range_last);
	bt_buf_adds(&h->req, "Connection: close\r\n\r\n");
	if (h->req.err)
		return h->req.err;

	if (h->u.https) {
		const char *why = NULL;

		rc = bt_tls_anchors_get(h->ca_file, &h->ta, &why);
		if (rc < 0) {
			if (rc == BT_E_NOMEM)
				return rc;
			h->tls_why = why ? why : "no CA certificates";
			h->tls_code = 0;
			return BT_E_TLS;
		}
	} else if (h->tls) {
		bt_tls_free(h->tls);	/* redirected to http */
		h->tls = NULL;
	}

	rc = bt_resolve(h->loop, h->u.host, h->u.port, h->o.family, on_resolved, h,
		&h->res);
	if (rc < 0)
		h->res = NULL;
	return rc;
}

static void
on_resolved(struct bt_loop *loop, int rc, const struct sockaddr_storage *addr,
	size_t n, void *ud)
{
	struct bt_httpc *h = ud;

	(void)loop;
	h->res = NULL;
	if (rc < 0) {
		finish(h, rc, 0);
		return;
	}
	if (n > BT_RESOLVE_ADDRS)
		n = BT_RESOLVE_ADDRS;
	memcpy(h->addr, addr, n * sizeof(*addr));
	h->naddr = n;
	h->ai = 0;
	h->last_errno = 0;
	try_connect(h);
}

static void on_io(struct bt_loop *loop, int fd, unsigned revents, void *ud);

/* Connect to the next address; 1 if finished (failed), 0 if going. */
static int
try_connect(struct bt_httpc *h)
{
	while (h->ai < h->naddr) {
		int fd = -1, rc;

		rc = bt_net_connect_tcp(&h->addr[h->ai++], &fd);
		if (rc != 0 && rc != BT_E_PARTIAL) {
			h->last_errno = errno;
			continue;
		}
		rc = bt_io_add(h->loop, fd, BT_EV_WRITE, on_io, h);
		if (rc < 0) {
			int e = errno;
			close(fd);
			return finish(h, rc, e);
		}
		h->fd = fd;
		h->state = ST_CONNECT;
		return 0;
	}
	return finish(h, BT_E_IO, h->last_errno ? h->last_errno : ECONNREFUSED);
}

/* Turn a Location into an absolute URL (malloc'd) or NULL. */
static char *
absolute_url(const struct bt_httpc *h, const char *loc, size_t n, int *err)
{
	struct bt_buf b;
	size_t k;

	*err = BT_E_LIMIT;
	if (n > BT_URL_MAX)
		return NULL;
	bt_buf_init(&b, BT_URL_MAX + 1);
	for (k = 0; k < n && loc[k] != '/' && loc[k] != '?' && loc[k] != '#'; k++)
		if (loc[k] == ':')
			break;
	if (k < n && loc[k] == ':') {
		bt_buf_add(&b, loc, n);		/* has a scheme */
	} else if (n >= 2 && loc[0] == '/' && loc[1] == '/') {
		bt_buf_adds(&b, h->u.https ? "https:" : "http:");
		bt_buf_add(&b, loc, n);
	} else {
		bt_buf_adds(&b, h->u.https ? "https://" : "http://");
		add_authority(&b, &h->u);
		if (n == 0 || loc[0] != '/') {
			/* Relative: the current path up to its last '/'. */
			size_t q = strcspn(h->u.path, "?"), d = 0;
			for (size_t j = 0; j < q; j++)
				if (h->u.path[j] == '/')
					d = j + 1;
			if (n && loc[0] == '?')
				d = q;
			bt_buf_add(&b, h->u.path, d);
		}
		bt_buf_add(&b, loc, n);
	}
	if (!bt_buf_cstr(&b)) {
		*err = b.err;
		bt_buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

static int
redirect(struct bt_httpc *h)
{
	char *url;
	int err, rc;

	if (h->redirects >= h->o.max_redirects)
		return fail_why(h, BT_E_LIMIT, why_redirects);
	url = absolute_url(h, h->hd.location, h->hd.location_len, &err);
	if (!url)
		return fail_why(h, err, err == BT_E_LIMIT ? "redirect URL too long" : NULL);
	close_conn(h);
	free(h->url);
	h->url = url;
	h->redirects++;
	rc = bt_url_parse(url, &h->u);
	if (rc < 0)
		return fail_why(h, rc, "redirect to a malformed or unsupported URL");
	rc = start(h);
	if (rc < 0)
		return finish(h, rc, errno);
	return 1;	/* stop reading: the connection is gone */
}

/* Body bytes: 1 finished, 0 more wanted. */
/* The body could not be kept: longer than max_body (BT_E_LIMIT), or no
 * memory. */
static int
body_fail(struct bt_httpc *h, int rc)
{
	return fail_why(h, rc, rc == BT_E_LIMIT ? "reply body too large" : NULL);
}

static int
body_feed(struct bt_httpc *h, const uint8_t *p, size_t n)
{
	size_t used;
	int rc;

	switch (h->body_mode) {
	case BODY_LEN:
		if (n > h->body_left)
			n = (size_t)h->body_left;
		bt_buf_add(&h->body, p, n);
		if (h->body.err)
			return body_fail(h, h->body.err);
		h->body_left -= n;
		if (!h->body_left)
			return finish(h, h->hd.status, 0);
		return 0;
	case BODY_CHUNKED:
		rc = bt_httpc_chunked_feed(&h->ck, p, n, &h->body, &used);
		if (rc == 1)
			return finish(h, h->hd.status, 0);
		if (rc == BT_E_PARSE)
			return fail_why(h, BT_E_PROTO, "bad chunked coding");
		if (rc < 0)
			return body_fail(h, rc);
		return 0;
	default:
		bt_buf_add(&h->body, p, n);
		if (h->body.err)
			return body_fail(h, h->body.err);
		return 0;
	}
}

/* The reply head did not parse: rc from bt_httpc_parse_head(). */
static int
head_fail(struct bt_httpc *h, int rc)
{
	if (rc == BT_E_LIMIT)
		return fail_why(h, rc, "reply head too large");
	if (rc == BT_E_UNSUPPORTED)
		return fail_why(h, rc, "not HTTP/1.x or an unknown transfer coding");
	return fail_why(h, rc, "malformed reply head");
}

/* The head buffer has new lines: 1 finished or stop reading, 0 more. */
static int
head_step(struct bt_httpc *h)
{
	int rc, st;
	size_t used;

	for (;;) {
		rc = bt_httpc_parse_head(h->head, h->hlen, &h->hd);
		if (rc == BT_E_PARTIAL)
			return 0;
		if (rc < 0)
			return head_fail(h, rc);
		used = (size_t)rc;
		st = h->hd.status;
		if (st >= 200)
			break;
		if (st == 101 || ++h->interim > INTERIM_MAX)
			return fail_why(h, BT_E_PROTO, st == 101 ?
				"101 Switching Protocols" : "too many interim replies");
		memmove(h->head, h->head + used, h->hlen - used);
		h->hlen -= used;
	}
	if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) &&
		h->hd.location)
		return redirect(h);
	h->head_status = st;
	if (st == 204 || st == 304)
		return finish(h, st, 0);
	if (h->hd.chunked) {
		h->body_mode = BODY_CHUNKED;
	} else if (h->hd.content_length >= 0) {
		if ((uint64_t)h->hd.content_length > h->o.max_body)
			return body_fail(h, BT_E_LIMIT);
		h->body_mode = BODY_LEN;
		h->body_left = (uint64_t)h->hd.content_length;
		if (!h->body_left)
			return finish(h, st, 0);
	} else {
		h->body_mode = BODY_CLOSE;
	}
	h->state = ST_BODY;
	return body_feed(h, (const uint8_t *)h->head + used, h->hlen - used);
}

/* n more bytes were stored at head + hlen: 1 finished or stop reading,
 * 0 more wanted. */
static int
head_grew(struct bt_httpc *h, size_t n)
{
	const char *nl = memchr(h->head + h->hlen, '\n', n);

	h->hlen += n;
	if (nl && head_step(h))
		return 1;
	if (h->state == ST_HEAD && h->hlen >= sizeof(h->head))
		return head_fail(h, BT_E_LIMIT);
	return 0;
}

static int
on_eof(struct bt_httpc *h)
{
	if (h->state == ST_HEAD) {
		int rc = bt_httpc_parse_head(h->head, h->hlen, &h->hd);
		if (rc < 0 && rc != BT_E_PARTIAL)
			return head_fail(h, rc);
		return fail_why(h, BT_E_PROTO, h->hlen ? "connection closed inside the reply head" :
			"connection closed without a reply");
	}
	if (h->body_mode == BODY_CLOSE)
		return finish(h, h->hd.status, 0);
	return fail_why(h, BT_E_PROTO, "reply body cut short");
}

static void
do_read(struct bt_httpc *h)
{
	uint8_t tmp[16384];

	for (int it = 0; it < READS_PER_EVENT; it++) {
		ssize_t k;

		if (h->state == ST_HEAD)
			k = read(h->fd, h->head + h->hlen, sizeof(h->head) - h->hlen);
		else
			k = read(h->fd, tmp, sizeof(tmp));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			finish(h, BT_E_IO, errno);
			return;
		}
		if (k == 0) {
			on_eof(h);
			return;
		}
		if (h->state == ST_HEAD ? head_grew(h, (size_t)k) : body_feed(h, tmp, (size_t)k))
			return;
	}
}

/* ---- https: the same steps over TLS records ---- */

static int
tls_fail(struct bt_httpc *h, int rc)
{
	if (rc == BT_E_IO)
		return finish(h, BT_E_IO, errno);
	if (rc != BT_E_TLS)
		return finish(h, rc, 0);
	h->tls_why = bt_tls_why(h->tls);
	h->tls_code = bt_tls_code(h->tls);
	return finish(h, BT_E_TLS, 0);
}

/* Plaintext p[0..n) from the engine: consumed, or finished (1). */
static int
tls_data(struct bt_httpc *h, const uint8_t *p, size_t n)
{
	if (h->state == ST_HEAD) {
		size_t m = sizeof(h->head) - h->hlen;

		if (m > n)
			m = n;
		memcpy(h->head + h->hlen, p, m);
		bt_tls_consume(h->tls, m);
		return head_grew(h, m);
	}
	if (body_feed(h, p, n))
		return 1;	/* h (and the engine) may be gone */
	bt_tls_consume(h->tls, n);
	return 0;
}

static void
tls_io(struct bt_httpc *h)
{
	unsigned w, ev = 0;

	for (int it = 0; it < READS_PER_EVENT; it++) {
		int rc = bt_tls_pump(h->tls, h->fd), got = 0;

		if (rc < 0) {
			tls_fail(h, rc);
			return;
		}
		if (h->state == ST_SEND) {
			rc = bt_tls_write(h->tls, h->req.p + h->req_off,
				h->req.len - h->req_off);
			if (rc > 0) {
				h->req_off += (size_t)rc;
				if (h->req_off == h->req.len) {
					bt_tls_flush(h->tls);
					h->state = ST_HEAD;
				}
				continue;
			}
			if (rc != BT_E_PARTIAL) {
				tls_fail(h, rc);
				return;
			}
			break;
		}
		for (;;) {
			const uint8_t *p;

			rc = bt_tls_peek(h->tls, &p);
			if (rc == BT_E_PARTIAL)
				break;
			if (rc < 0) {
				tls_fail(h, rc);
				return;
			}
			if (rc == 0) {
				/* close_notify, or the socket ended after the
				 * handshake: a close-delimited body is taken
				 * either way (tracker replies and pieces are
				 * checked above us). */
				on_eof(h);
				return;
			}
			if (tls_data(h, p, (size_t)rc))
				return;
			got = 1;
		}
		if (!got)
			break;
	}
	w = bt_tls_want(h->tls);
	if (w & BT_TLS_WANT_READ)
		ev |= BT_EV_READ;
	if (w & BT_TLS_WANT_WRITE)
		ev |= BT_EV_WRITE;
	if (bt_io_set(h->loop, h->fd, ev) < 0)
		finish(h, BT_E_IO, errno);
}

/* Connected: start the handshake.  1 if finished (failed). */
static int
tls_begin(struct bt_httpc *h)
{
	int rc;

	if (!h->tls && bt_tls_new(&h->tls) < 0)
		return finish(h, BT_E_NOMEM, 0);
	rc = bt_tls_start(h->tls, h->ta, h->u.host);
	if (rc < 0)
		return tls_fail(h, rc);
	return 0;
}

static void
on_io(struct bt_loop *loop, int fd, unsigned revents, void *ud)
{
	struct bt_httpc *h = ud;

	(void)loop;
	(void)fd;
	if (h->state == ST_CONNECT) {
		int rc = bt_net_connect_finish(h->fd);
		if (rc == BT_E_PARTIAL && !(revents & (BT_EV_ERR | BT_EV_HUP)))
			return;
		if (rc < 0) {
			h->last_errno = rc == BT_E_PARTIAL ? ECONNREFUSED : errno;
			close_conn(h);
			try_connect(h);
			return;
		}
		h->state = ST_SEND;
		if (h->u.https && tls_begin(h))
			return;
	}
	if (h->u.https) {
		tls_io(h);
		return;
	}
	if (h->state == ST_SEND) {
		while (h->req_off < h->req.len) {
			ssize_t k = send(h->fd, h->req.p + h->req_off, h->req.len - h->req_off,
				MSG_NOSIGNAL);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				finish(h, BT_E_IO, errno);
				return;
			}
			h->req_off += (size_t)k;
		}
		h->state = ST_HEAD;
		if (bt_io_set(h->loop, h->fd, BT_EV_READ) < 0)
			finish(h, BT_E_IO, errno);
		return;
	}
	do_read(h);
}

static uint64_t
on_timeout(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_httpc *h = ud;

	(void)loop;
	(void)id;
	h->timer = 0;
	finish(h, h->fail ? h->fail : BT_E_IO, ETIMEDOUT);
	return BT_TIMER_STOP;
}

int
bt_httpc_get(struct bt_loop *loop, const char *url, const struct bt_httpc_opts *o,
	bt_httpc_fn *cb, void *ud, struct bt_httpc **handle)
{
	struct bt_httpc *h;
	size_t n;
	int rc;

	if (handle)
		*handle = NULL;
	if (!loop || !url || !cb)
		return BT_E_INVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return BT_E_NOMEM;
	h->loop = loop;
	h->cb = cb;
	h->ud = ud;
	h->fd = -1;
	bt_buf_init(&h->req, BT_URL_MAX + 2 * BT_URL_HOST_MAX + BT_HTTPC_UA_MAX + 256);
	if (o)
		h->o = *o;
	else
		bt_httpc_opts_init(&h->o);
	if (!h->o.timeout_ms)
		h->o.timeout_ms = BT_HTTPC_TIMEOUT_MS;
	if (!h->o.max_body)
		h->o.max_body = BT_HTTPC_MAX_BODY;
	if (h->o.max_redirects > BT_HTTPC_REDIRECTS_MAX)
		h->o.max_redirects = BT_HTTPC_REDIRECTS_MAX;
	bt_buf_init(&h->body, h->o.max_body);
	rc = BT_E_INVAL;
	if (h->o.range && h->o.range_first > h->o.range_last)
		goto fail;
	if (h->o.family != AF_UNSPEC && h->o.family != AF_INET &&
		h->o.family != AF_INET6)
		goto fail;
	if (h->o.user_agent) {
		n = strnlen(h->o.user_agent, BT_HTTPC_UA_MAX + 1);
		if (n > BT_HTTPC_UA_MAX)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)h->o.user_agent[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				goto fail;
		}
		memcpy(h->ua, h->o.user_agent, n + 1);
	}
	h->o.user_agent = NULL;	/* not kept: the copy is in h->ua */
	if (h->o.ca_file && *h->o.ca_file) {
		n = strnlen(h->o.ca_file, BT_TLS_PATH_MAX);
		if (n >= BT_TLS_PATH_MAX)
			goto fail;
		rc = BT_E_NOMEM;
		h->ca_file = malloc(n + 1);
		if (!h->ca_file)
			goto fail;
		memcpy(h->ca_file, h->o.ca_file, n + 1);
	}
	h->o.ca_file = NULL;	/* the copy is in h->ca_file */
	rc = bt_url_parse(url, &h->u);
	if (rc < 0)
		goto fail;
	rc = BT_E_NOMEM;
	h->url = strdup(url);
	if (!h->url)
		goto fail;
	h->timer = bt_timer_add(loop, h->o.timeout_ms, on_timeout, h);
	if (!h->timer)
		goto fail;
	rc = start(h);
	if (rc == BT_E_TLS) {
		/* No usable CA bundle: report it through the callback, which
		 * must not run from here, so from a timer due at once. */
		bt_timer_del(loop, h->timer);
		h->fail = BT_E_TLS;
		h->timer = bt_timer_add(loop, 0, on_timeout, h);
		rc = h->timer ? 0 : BT_E_NOMEM;
	}
	if (rc < 0)
		goto fail;
	if (handle)
		*handle = h;
	return 0;
fail:
	release(h);
	return rc;
}

void
bt_httpc_cancel(struct bt_httpc *h)
{
	if (!h || h->in_cb)
		return;
	release(h);
}
