/* httpc.h - a small non-blocking HTTP/1.1 client on the reactor, for
 * tracker requests; plus the URL parser, the response-head parser and the
 * chunked decoder it is built from (exported so they can be fuzzed).
 *
 * One request per connection: "GET <path> HTTP/1.1" with Host,
 * User-Agent (if given) and "Connection: close"; no Accept-Encoding, so
 * bodies come unencoded.  The body is read by Content-Length, chunked
 * transfer-coding, or until the server closes.  Redirects (301, 302, 303,
 * 307, 308 with a Location) are followed, relative Locations included,
 * between http and https both ways.
 *
 * https:// runs the same request over TLS 1.2 (tls.h, BearSSL): the
 * server's chain is validated against the CA bundle (opts ca_file, else
 * $SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt; loaded once
 * per process and cached) and its certificate must name the URL's host
 * (a dNSName of subjectAltName or the CN; for an IP-literal host, an
 * iPAddress entry).
 * A TLS connection costs bt_tls_size() bytes (about 40 KiB), allocated
 * when it connects and freed with the request; http costs nothing more.
 * A close-delimited body is accepted when the socket ends without a
 * close_notify, as browsers do.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes (err.h). */
#ifndef BT_HTTPC_H
#define BT_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

struct bt_loop;
struct bt_httpc;

/* ---- URLs ---- */

#define BT_URL_HOST_MAX		253	/* host name or IPv6 text, no brackets */
#define BT_URL_PATH_MAX		8192	/* path and query, NUL included */
#define BT_URL_MAX		9000	/* whole URL text */

struct bt_url {
	int https;			/* 0 http, 1 https */
	int ipv6;			/* host was a [bracketed] IPv6 literal */
	uint16_t port;			/* given, or 80 / 443 */
	int port_given;			/* the URL had an explicit port */
	char host[BT_URL_HOST_MAX + 1];	/* NUL-terminated, without brackets */
	char path[BT_URL_PATH_MAX];	/* "/..." with the query, no fragment */
};

/* Parse "http[s]://host[:port][/path][?query][#fragment]" (scheme in any
 * case).  The host is a name (letters, digits, '-', '.', '_'), a dotted
 * IPv4 address or a bracketed IPv6 address (no zone ids); the port is
 * 1-65535 (an empty port means the default); the path and query are kept
 * verbatim (bytes 0x21-0x7e and 0x80-0xff), "/" added when missing, the
 * fragment dropped.  Returns 0, BT_E_INVAL (NULL), BT_E_PARSE (malformed:
 * no "://", empty host, bad port, bad bytes), BT_E_UNSUPPORTED (another
 * scheme, or userinfo "user@host"), BT_E_LIMIT (url, host or path too
 * long). */
int bt_url_parse(const char *url, struct bt_url *u);

/* ---- response heads ---- */

/* Largest response head the client accepts. */
#define BT_HTTPC_HEAD_MAX	16384

struct bt_httpc_head {
	int minor;			/* HTTP/1.minor */
	int status;			/* 100-999 */
	const char *reason;		/* into the buffer, may be empty */
	size_t reason_len;
	size_t nhdr;
	struct bt_http_hdr hdr[BT_HTTP_HDR_MAX];
	/* What the client needs, taken from the headers: */
	int64_t content_length;		/* -1 when absent */
	int chunked;			/* Transfer-Encoding: chunked */
	const char *location;		/* NULL when absent */
	size_t location_len;
};

/* Parse a response head: "HTTP/1.d SP 3DIGIT [SP reason] CRLF", header
 * lines, an empty line; LF alone counts as CRLF.  Only the first
 * BT_HTTPC_HEAD_MAX bytes of buf[0..len) are looked at.  Returns the bytes
 * the head took (> 0), BT_E_PARTIAL (incomplete), BT_E_PARSE (malformed:
 * control bytes, folded lines, bad or conflicting Content-Length, a
 * chunked coding given twice), BT_E_LIMIT (more than BT_HTTP_HDR_MAX
 * headers, or no end within BT_HTTPC_HEAD_MAX bytes) or BT_E_UNSUPPORTED
 * (not HTTP/1.x, or a transfer-coding other than chunked).  All strings
 * point into buf and are not NUL-terminated. */
int bt_httpc_parse_head(const char *buf, size_t len, struct bt_httpc_head *h);

/* First header called name (any case), or NULL. */
const struct bt_http_hdr *bt_httpc_header(const struct bt_httpc_head *h,
	const char *name);

/* ---- chunked transfer-coding ---- */

/* Streaming decoder state; zero it (or bt_httpc_chunked_init) to start. */
struct bt_httpc_chunked {
	unsigned state;
	unsigned ndig;		/* hex digits of the size so far */
	uint64_t left;		/* data bytes left in this chunk */
	size_t line;		/* bytes in the current extension/trailer line */
	size_t trailer;		/* trailer bytes so far */
};

void bt_httpc_chunked_init(struct bt_httpc_chunked *c);
/* Feed in[0..n); the data is appended to out (whose max bounds the body:
 * going past it is BT_E_LIMIT).  *used gets the bytes consumed.  Returns 1
 * when the last chunk and the trailers are complete (bytes after
 * in + *used are not part of the body), 0 when all of in was consumed and
 * more is needed, BT_E_PARSE (bad size line or a chunk not followed by
 * CRLF), BT_E_LIMIT (size over 2^60, an extension or trailer line over 4
 * KiB, trailers over 16 KiB, or out's limit) or out's BT_E_NOMEM. */
int bt_httpc_chunked_feed(struct bt_httpc_chunked *c, const uint8_t *in,
	size_t n, struct bt_buf *out, size_t *used);

/* ---- the client ---- */

struct bt_httpc_opts {
	const char *user_agent;	/* NULL: no User-Agent header */
	uint32_t timeout_ms;	/* whole request, redirects included; 0: 30 s */
	size_t max_body;	/* 0: 1 MiB */
	unsigned max_redirects;	/* redirects followed; default 5, at most 20 */
	int family;		/* AF_UNSPEC (default), AF_INET or AF_INET6 */
	int range;		/* 1: send "Range: bytes=range_first-range_last" */
	uint64_t range_first, range_last;	/* inclusive, as HTTP has it */
	const char *ca_file;	/* PEM CA bundle for https (copied); NULL or
				 * "": $SSL_CERT_FILE, else the system's */
};

#define BT_HTTPC_TIMEOUT_MS	30000u
#define BT_HTTPC_MAX_BODY	(1u << 20)
#define BT_HTTPC_REDIRECTS	5u
#define BT_HTTPC_REDIRECTS_MAX	20u
#define BT_HTTPC_UA_MAX		256	/* longest User-Agent */

/* The defaults above. */
void bt_httpc_opts_init(struct bt_httpc_opts *o);

struct bt_httpc_result {
	/* The final status (100-999, any of them, 404 or 500 included), or
	 * a negative code: BT_E_IO (connect, read or write failed, or the
	 * timeout: sys_errno ETIMEDOUT), BT_E_NOENT (name not found),
	 * BT_E_LIMIT (head or body too large, too many redirects),
	 * BT_E_PARSE / BT_E_UNSUPPORTED (bad head, see
	 * bt_httpc_parse_head; redirect to a bad URL or another scheme),
	 * BT_E_PROTO (body cut short, 101 Switching Protocols, bad chunk),
	 * BT_E_TLS (https failed: see tls_error), BT_E_NOMEM. */
	int status;
	int sys_errno;		/* errno for BT_E_IO, else 0 */
	const uint8_t *body;	/* valid during the callback only */
	size_t body_len;
	const char *url;	/* the last URL asked for (after redirects) */
	unsigned redirects;	/* redirects followed */
	/* For BT_E_TLS (else NULL and 0): a short static text, e.g.
	 * "certificate not trusted", "host name mismatch", "certificate
	 * expired or not yet valid", "handshake failed", "CA bundle not
	 * found", "no certificates in CA bundle"; and BearSSL's BR_ERR_*
	 * code when the engine gave one. */
	const char *tls_error;
	int tls_code;
	/* For other negative statuses, when known (else NULL): a short
	 * static text naming the cause, e.g. "too many redirects", "reply
	 * body too large", "reply head too large", "reply body cut short",
	 * "malformed reply head", "bad chunked coding". */
	const char *why;
	/* The status of the final reply's head when one was read (e.g. 200
	 * for a body found too large), else 0. */
	int head_status;
};

/* What r says, for a user, in out (at most cap bytes, NUL-terminated):
 * "HTTP status 404", "TLS: <tls_error>", "too many redirects (5) at
 * <last URL>", the why text, "timeout exceeded", strerror(sys_errno),
 * "host not found", or bt_strerror(status).  The URL is made printable
 * (bt_str_printable). */
void bt_httpc_describe(const struct bt_httpc_result *r, char *out, size_t cap);

/* Called exactly once per request unless cancelled; the handle is freed
 * right after it returns. */
typedef void bt_httpc_fn(struct bt_loop *loop, const struct bt_httpc_result *r,
	void *ud);

/* Start a GET of url (o NULL: defaults).  Returns 0 and sets *handle (may
 * be NULL), or with no callback: BT_E_INVAL (NULL arguments, control bytes
 * in the User-Agent, a User-Agent over BT_HTTPC_UA_MAX, a ca_file path of
 * BT_TLS_PATH_MAX bytes or more), any bt_url_parse() error, BT_E_NOMEM,
 * or the error of bt_resolve() / bt_timer_add().  A missing or empty CA
 * bundle is reported through the callback (BT_E_TLS).  The callback never
 * runs from inside bt_httpc_get(). */
int bt_httpc_get(struct bt_loop *loop, const char *url,
	const struct bt_httpc_opts *o, bt_httpc_fn *cb, void *ud,
	struct bt_httpc **handle);

/* Abort: closes the connection and frees everything; the callback never
 * happens.  Safe from any loop callback, including other requests'
 * callbacks; inside the request's own callback it does nothing (the
 * handle is freed when the callback returns).  NULL is fine. */
void bt_httpc_cancel(struct bt_httpc *h);

#endif
