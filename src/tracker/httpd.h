/* httpd.h - the tracker's HTTP/1.x server on the reactor: accepting,
 * reading, parsing request heads (http.h), handing each request to a
 * handler, and sending the replies.
 *
 * Connections keep alive as HTTP/1.0 and 1.1 say (bt_http_keep_alive) and
 * may pipeline: every complete request in the input is answered in order.
 * A connection goes when it has been idle for idle_ms, or when the head
 * of a request has been arriving for longer than that (a slow client);
 * the check runs every sweep_ms.  A head that does not fit in head_max
 * bytes is answered 431, a malformed one 400 (505 for another HTTP
 * version) and the connection closes.  At max_conns connections,
 * accepting pauses until one closes.
 *
 * Replies of at least gzip_min bytes go gzip-compressed when the client
 * accepts it and that makes them smaller.  Every reply (malformed
 * requests included) is reported to the log callback, with what an
 * access log line needs.
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

#define BT_HTTPD_HEAD_MAX	(16u << 10)	/* default head_max */
#define BT_HTTPD_GZIP_MIN	1024u		/* default gzip_min */
#define BT_HTTPD_LISTEN_MAX	16		/* listening sockets */
#define BT_HTTPD_HDR_MAX	4		/* extra headers of a reply */

struct bt_httpd_opts {
	size_t max_conns;	/* connections open at once; 0: 10000 */
	uint64_t idle_ms;	/* idle (or slow-head) limit; 0: 15 s */
	uint64_t sweep_ms;	/* how often to check it; 0: 5 s */
	size_t head_max;	/* largest request head; 0: BT_HTTPD_HEAD_MAX */
	size_t gzip_min;	/* smallest body to gzip; 0: BT_HTTPD_GZIP_MIN */
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
/* Reply "malformed request" with status and close, logged as a request
 * that could not be parsed. */
void bt_httpd_error(struct bt_httpd_conn *c, int status);
/* The client's address. */
const struct sockaddr_storage *bt_httpd_peer(const struct bt_httpd_conn *c);
/* Connections open. */
size_t bt_httpd_count(const struct bt_httpd *d);

#endif
