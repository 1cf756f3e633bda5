/* lsd.h - the BT-SEARCH message of local service discovery (BEP 14), as
 * bytes: no policy (when to announce, what to do with what we hear:
 * src/client/lsd.c).
 *
 *   BT-SEARCH * HTTP/1.1\r\n
 *   Host: 239.192.152.143:6771\r\n        (or [ff15::efc0:988f]:6771)
 *   Port: <the sender's listening port>\r\n
 *   Infohash: <40 hex digits>\r\n          (one or more)
 *   cookie: <opaque token>\r\n             (optional: to spot our own)
 *   \r\n
 *
 * The parser takes at most BT_LSD_MSG_MAX bytes and BT_LSD_HDR_MAX header
 * lines (the HTTP head parser's rules, src/codec/http.h), keeps at most
 * BT_LSD_HASHES_MAX info hashes (the rest are ignored) and a cookie of at
 * most BT_LSD_COOKIE_MAX bytes (a longer one is refused).  An Infohash
 * that is not 40 hex digits is skipped; no usable Infohash, no Port or a
 * Port outside 1..65535, or another method or target is BT_E_PARSE. */
#ifndef BT_LSD_H
#define BT_LSD_H

#include <stddef.h>
#include <stdint.h>

#define BT_LSD_PORT		6771
#define BT_LSD_GROUP4		"239.192.152.143"
#define BT_LSD_GROUP6		"ff15::efc0:988f"
#define BT_LSD_MSG_MAX		1400	/* the largest message parsed or written */
#define BT_LSD_HDR_MAX		24	/* header lines parsed */
#define BT_LSD_HASHES_MAX	16	/* info hashes kept from one message */
#define BT_LSD_COOKIE_MAX	32

struct bt_lsd_msg {
	uint16_t port;
	size_t nhash;
	uint8_t hash[BT_LSD_HASHES_MAX][20];
	size_t cookie_len;	/* 0: none */
	char cookie[BT_LSD_COOKIE_MAX];
};

/* Parse p[0..n) into m.  0, or BT_E_PARSE / BT_E_LIMIT (see above). */
int bt_lsd_parse(struct bt_lsd_msg *m, const uint8_t *p, size_t n);

/* Write a message for host (BT_LSD_GROUP4 or "[" BT_LSD_GROUP6 "]", the
 * port appended), port, hash[0..nhash) and cookie (NULL or "": none) into
 * out[0..cap).  Returns its length, or BT_E_LIMIT when it would not fit
 * (or nhash is 0 or over BT_LSD_HASHES_MAX, or the cookie is too long). */
int bt_lsd_write(char *out, size_t cap, const char *host, uint16_t port,
	const uint8_t (*hash)[20], size_t nhash, const char *cookie);

#endif
