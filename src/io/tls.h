/* tls.h - a small TLS 1.2 client over BearSSL, independent of sockets.
 *
 * Two parts:
 *
 * Trust anchors: the PEM certificates of a CA bundle file turned into
 * BearSSL trust anchors (subject DN and public key, RSA or EC, copied
 * out).  Each bundle is loaded once per process, when first asked for,
 * and kept (keyed by its path; the loop is single-threaded, so there is
 * no locking).
 *
 * Connections: a br_ssl_client_context (br_ssl_client_init_full: the
 * usual suites, RSA and EC) with a br_x509_minimal_context, so the whole
 * chain is validated against the anchors, with the system time for the
 * validity dates, and the server name is checked against the end
 * certificate (dNSName entries of subjectAltName, else the CN; one
 * leading "*." wildcard).  An IP address as the server name (IPv4, or
 * IPv6 without brackets) is matched against the iPAddress entries
 * instead, and not sent as SNI.  TLS 1.2 only.  The caller moves bytes:
 * plaintext in and out with bt_tls_write() / bt_tls_peek() +
 * bt_tls_consume() (or bt_tls_read()), records in and out either by
 * hand (bt_tls_out*, bt_tls_in*) or with bt_tls_pump() on a non-blocking
 * socket.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes (err.h),
 * and the TLS reason is a short static text (bt_tls_why()). */
#ifndef BT_TLS_H
#define BT_TLS_H

#include <stddef.h>
#include <stdint.h>

/* ---- trust anchors ---- */

#define BT_TLS_CA_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"
#define BT_TLS_CA_ENV		"SSL_CERT_FILE"
#define BT_TLS_CA_FILE_MAX	(4u << 20)	/* largest bundle read */
#define BT_TLS_ANCHORS_MAX	1000u		/* anchors kept from one bundle */
#define BT_TLS_CACHE_MAX	8u		/* bundles kept at once */
#define BT_TLS_PATH_MAX		4096		/* longest bundle path, NUL included */

struct bt_tls_anchors;

/* The bundle path to use: path when not NULL and not empty, else
 * $SSL_CERT_FILE when set and not empty, else BT_TLS_CA_DEFAULT. */
const char *bt_tls_ca_path(const char *path);

/* Parse the PEM certificates ("CERTIFICATE" or "X509 CERTIFICATE"
 * objects) in p[0..n) into a new anchor set (*out, free with
 * bt_tls_anchors_free).  Objects that do not decode, and certificates
 * with a key that is neither RSA nor EC, are skipped; after
 * BT_TLS_ANCHORS_MAX anchors the rest is ignored.  Every anchor may sign
 * (BR_X509_TA_CA), as OpenSSL treats the certificates of a CA file.
 * Returns the number of anchors (> 0), BT_E_NOENT (no usable
 * certificate), BT_E_LIMIT (n over BT_TLS_CA_FILE_MAX) or BT_E_NOMEM. */
int bt_tls_anchors_parse(const uint8_t *p, size_t n, struct bt_tls_anchors **out);
void bt_tls_anchors_free(struct bt_tls_anchors *a);
size_t bt_tls_anchors_count(const struct bt_tls_anchors *a);

/* The anchors of the bundle bt_tls_ca_path(path) names, loaded on first
 * use and cached (failures are not cached: the next call tries again).
 * Returns the number of anchors (> 0) and sets *out, or an error with
 * *why a short static text: BT_E_IO ("CA bundle not readable", errno
 * kept), BT_E_LIMIT ("CA bundle too large", or more than
 * BT_TLS_CACHE_MAX bundles), BT_E_NOENT ("no certificates in CA
 * bundle"), BT_E_INVAL (path too long), BT_E_NOMEM. */
int bt_tls_anchors_get(const char *path, const struct bt_tls_anchors **out,
	const char **why);

/* Free every cached bundle.  Only when no connection uses them (tests,
 * leak checkers). */
void bt_tls_cache_clear(void);

/* ---- connections ---- */

struct bt_tls;

/* Bytes one connection holds: the contexts and the I/O buffer. */
size_t bt_tls_size(void);

/* A connection object (contexts and the full-duplex I/O buffer, in one
 * allocation), idle until bt_tls_start().  0 or BT_E_NOMEM. */
int bt_tls_new(struct bt_tls **out);
void bt_tls_free(struct bt_tls *t);

/* Begin a new handshake (forgetting any previous connection): the chain
 * is checked against a (which must outlive the connection) and the
 * server name against server_name (a host name, also sent as SNI, or an
 * IP address; at most 255 bytes; NULL or "" skips the name check: do
 * not).  The ClientHello is then
 * waiting in bt_tls_out().  0, BT_E_INVAL, or BT_E_TLS (no randomness). */
int bt_tls_start(struct bt_tls *t, const struct bt_tls_anchors *a,
	const char *server_name);

/* The handshake completed (application data may flow). */
int bt_tls_ready(const struct bt_tls *t);

/* ---- plaintext ----
 * These return BT_E_PARTIAL when nothing can be done before more records
 * move, and BT_E_TLS once the connection failed (see bt_tls_why()). */

/* Queue plaintext p[0..n) (n > 0) for sending.  Returns the bytes taken
 * (> 0, maybe fewer than n), BT_E_PARTIAL (handshake not done, or the
 * buffer is full: move records first) or BT_E_TLS. */
int bt_tls_write(struct bt_tls *t, const void *p, size_t n);
/* Seal what bt_tls_write() queued into a record now. */
void bt_tls_flush(struct bt_tls *t);

/* Received plaintext, in place: sets *p and returns its length (> 0);
 * 0 when the peer closed (close_notify, or the transport ended after the
 * handshake: bt_tls_clean_close() tells which); BT_E_PARTIAL; BT_E_TLS
 * (also when the transport ended during the handshake).  Then
 * bt_tls_consume() what was used (up to that length). */
int bt_tls_peek(struct bt_tls *t, const uint8_t **p);
void bt_tls_consume(struct bt_tls *t, size_t n);
/* bt_tls_peek() + copy + bt_tls_consume(): bytes (> 0), 0, or an error
 * as bt_tls_peek(). */
int bt_tls_read(struct bt_tls *t, void *buf, size_t n);
/* 1 if the peer ended with close_notify, 0 if the transport just ended. */
int bt_tls_clean_close(const struct bt_tls *t);

/* ---- records, by hand ---- */

/* Records waiting to be sent: returns a pointer and sets *len (NULL and
 * 0 when none); then bt_tls_out_done(n) for the bytes sent. */
const uint8_t *bt_tls_out(struct bt_tls *t, size_t *len);
void bt_tls_out_done(struct bt_tls *t, size_t n);
/* Room for received record bytes (NULL and 0 when the engine wants none
 * now: read the plaintext first); then bt_tls_in_done(n) for the bytes
 * stored there. */
uint8_t *bt_tls_in(struct bt_tls *t, size_t *len);
void bt_tls_in_done(struct bt_tls *t, size_t n);
/* The transport ended: no more record bytes will come. */
void bt_tls_in_eof(struct bt_tls *t);

/* ---- records, on a non-blocking socket ---- */

#define BT_TLS_WANT_READ	0x1u
#define BT_TLS_WANT_WRITE	0x2u

/* Send and receive records on fd until it would block or the engine
 * waits for the application (plaintext to read).  End of stream is
 * noted (bt_tls_in_eof).  Returns 0, BT_E_IO (errno kept) or BT_E_TLS. */
int bt_tls_pump(struct bt_tls *t, int fd);
/* What to wait for on the socket: BT_TLS_WANT_READ and/or _WRITE
 * (0 when closed or failed). */
unsigned bt_tls_want(const struct bt_tls *t);

/* ---- errors ---- */

/* BearSSL's error code (br_ssl_engine_last_error: BR_ERR_*, 0 none). */
int bt_tls_code(const struct bt_tls *t);
/* Short static text for the failure: "certificate not trusted", "host
 * name mismatch", "certificate expired or not yet valid", "handshake
 * failed", "connection closed during handshake", ...; NULL if none. */
const char *bt_tls_why(const struct bt_tls *t);
/* The text for a BearSSL error code (never NULL; "" for 0). */
const char *bt_tls_strerror(int br_err);

#endif
