/* httpd.h - the tracker's HTTP/1.x server on the reactor: accepting,
 * reading, parsing request heads (http.h), handing each request to a
 * handler, and sending the replies.
 *
 * Connections keep alive as HTTP/1.0 and 1.1 say (bt_http_keep_alive) and
 * may pipeline: the complete requests in the input are answered in order.
 * A connection goes when it has been idle for idle_ms, or when the head
 * of a request has been arriving for longer than that (a slow client);
 * the check runs every sweep_ms.  A head that does not fit in head_max
 * bytes is answered 431, a malformed one 400 (505 for another HTTP
 * version) and the connection closes.
 *
 * Bounds, whatever the clients do:
 *   - connections: at max_conns, a new client takes the place of the
 *     connection idle the longest (no request under way); when none is
 *     idle, it is answered 503 at once ("Connection: close").  Those
 *     refusals and the lingering closes below hold at most
 *     BT_HTTPD_SPARE more descriptors (past that, a refusal is sent
 *     without lingering);
 *   - replies: requests are taken from a connection only while less than
 *     BT_HTTPD_OUT_MAX bytes of replies wait for it, and input is not read
 *     while any do, so a client that does not read stalls only itself;
 *     file bodies (bt_httpd_reply_file) are read from disk a chunk at a
 *     time as the socket drains (at most max_files at once);
 *   - memory: partial request heads held across connections beyond
 *     in_budget bytes, or replies waiting beyond out_budget bytes, make
 *     the next request (or the connection holding the head) get 503;
 *     idle connections hold no buffer.
 *
 * A connection closed with input not yet read (an error reply, a refusal,
 * "Connection: close" with more behind it) closes lingering: the write
 * side is shut, input is read and dropped for up to BT_HTTPD_LINGER_MS
 * or BT_HTTPD_LINGER_BYTES, then the socket is closed, so the client
 * reads the status instead of a reset.
 *
 * Replies of at least gzip_min bytes go gzip-compressed when the client
 * accepts it and that makes them smaller.  Every reply (malformed
 * requests and refusals included) is reported to the log callback, with
 * what an access log line needs.
 *
 * All the state is in struct bt_httpd; nothing here prints or exits. */
#ifndef BT_HTTPD_H
#define BT_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http.h"

struct bt_loop;
struct bt_httpd;
struct bt_httpd_conn;

/* Default head_max: an HTTP scrape of 1,000 info hashes fits even with
 * every byte percent-encoded (1,000 x "info_hash=" + 60 + "&" is 71,000
 * bytes), with 10 KiB left for the request line and the headers. */
#define BT_HTTPD_HEAD_MAX	(80u << 10)
#define BT_HTTPD_CONNS		10000u		/* default max_conns */
#define BT_HTTPD_GZIP_MIN	1024u		/* default gzip_min */
#define BT_HTTPD_IN_BUDGET	(16u << 20)	/* default in_budget */
#define BT_HTTPD_OUT_BUDGET	(64u << 20)	/* default out_budget */
#define BT_HTTPD_FILES		64u		/* default max_files */
#define BT_HTTPD_OUT_MAX	(64u << 10)	/* replies waiting per connection */
#define BT_HTTPD_SPARE		256u		/* refused or lingering connections */
#define BT_HTTPD_LINGER_MS	2000u		/* a lingering close lasts at most */
#define BT_HTTPD_LINGER_BYTES	(1u << 20)	/* input dropped in a lingering close */
#define BT_HTTPD_LISTEN_MAX	16		/* listening sockets */
#define BT_HTTPD_HDR_MAX	4		/* extra headers of a reply */

/* The descriptors a server may hold at most: its listening sockets, the
 * connections served, the spare ones, and the files being sent. */
#define BT_HTTPD_FDS(max_conns, max_files) \
	((max_conns) + BT_HTTPD_SPARE + 1 + (max_files) + BT_HTTPD_LISTEN_MAX)

struct bt_httpd_opts {
	size_t max_conns;	/* connections served at once; 0: BT_HTTPD_CONNS */
	uint64_t idle_ms;	/* idle (or slow-head) limit; 0: 15 s */
	uint64_t sweep_ms;	/* how often to check it; 0: 5 s */
	size_t head_max;	/* largest request head; 0: BT_HTTPD_HEAD_MAX */
	size_t gzip_min;	/* smallest body to gzip; 0: BT_HTTPD_GZIP_MIN */
	size_t in_budget;	/* partial heads held; 0: BT_HTTPD_IN_BUDGET */
	size_t out_budget;	/* replies waiting; 0: BT_HTTPD_OUT_BUDGET */
	size_t max_files;	/* file bodies sent at once; 0: BT_HTTPD_FILES */
};

/* A reply to send.  The body is copied (compressed if it pays). */
struct bt_httpd_reply {
	int status;
	const char *reason;		/* NULL: the standard phrase */
	const char *ctype;		/* Content-Type, NULL: none */
	int no_cache;			/* add "Pragma: no-cache" */
	const struct bt_http_hdr *hdr;	/* extra headers, at most BT_HTTPD_HDR_MAX */
	size_t nhdr;
	const void *body;
	size_t len;
	int close;			/* close the connection after it */
};

/* What an access log line needs, for each reply. */
struct bt_httpd_log {
	const struct sockaddr_storage *peer;
	const struct bt_http_req *req;	/* NULL: the request was malformed */
	int status;
	size_t len;			/* body bytes sent (after compression) */
	int gzip;			/* the body went gzip-compressed */
};

/* A request to answer: call bt_httpd_reply (or bt_httpd_error) once.
 * req and its strings are valid during the call only. */
typedef void bt_httpd_handler_fn(void *ud, struct bt_httpd_conn *c,
	const struct bt_http_req *req);
typedef void bt_httpd_log_fn(void *ud, const struct bt_httpd_log *l);

/* A server on loop with no listening socket yet (o NULL: defaults);
 * handle must not be NULL, log may be.  Returns 0 and sets *out, or
 * BT_E_INVAL / BT_E_NOMEM. */
int bt_httpd_new(struct bt_httpd **out, struct bt_loop *loop, const struct bt_httpd_opts *o,
	bt_httpd_handler_fn *handle, bt_httpd_log_fn *log, void *ud);
/* Accept connections on fd, a listening TCP socket (non-blocking), which
 * the server owns from now on (even on failure).  0, BT_E_LIMIT (already
 * BT_HTTPD_LISTEN_MAX sockets) or the error of bt_io_add(). */
int bt_httpd_listen(struct bt_httpd *d, int fd);
/* Close every connection and listening socket and free the server.  NULL
 * is fine. */
void bt_httpd_free(struct bt_httpd *d);

/* Queue a reply to req (NULL: to a request that could not be parsed) and
 * report it to the log callback.  It is sent when the handler returns. */
void bt_httpd_reply(struct bt_httpd_conn *c, const struct bt_http_req *req,
	const struct bt_httpd_reply *r);
/* Reply to req with the len bytes of fd (a regular file open for reading)
 * from offset 0 as the body: r's body and len are not used, nothing is
 * compressed, and the file is read a chunk at a time as the client takes
 * it.  The server owns fd from now on, also on failure.  0 (queued and
 * logged; a body that turns out shorter than len ends the connection), or
 * BT_E_LIMIT (max_files bodies are being sent: nothing was queued, answer
 * otherwise). */
int bt_httpd_reply_file(struct bt_httpd_conn *c, const struct bt_http_req *req,
	const struct bt_httpd_reply *r, int fd, size_t len);
/* Reply "malformed request" with status and close, logged as a request
 * that could not be parsed. */
void bt_httpd_error(struct bt_httpd_conn *c, int status);
/* The client's address. */
const struct sockaddr_storage *bt_httpd_peer(const struct bt_httpd_conn *c);
/* Connections open (lingering and refused ones included). */
size_t bt_httpd_count(const struct bt_httpd *d);
/* Bytes of request and reply buffers the server holds now. */
size_t bt_httpd_buffered(const struct bt_httpd *d);

#endif
