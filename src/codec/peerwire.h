/* peerwire.h - the BitTorrent peer protocol codec (BEP 3, 6, 10).
 *
 * Pure encoding and decoding: no I/O, no policy.  The reader follows the
 * shape of Transmission's peer-msgs.c: a message's length is checked
 * against its id as soon as the length and id are seen, before any wait
 * for the payload, so a hostile length prefix fails at once instead of
 * after buffering.  Parsed messages point into the caller's buffer.
 *
 * Handshake: <19><"BitTorrent protocol"><reserved 8><info_hash 20>
 * <peer_id 20>, 68 bytes.  Messages: <length u32 BE><id u8><payload>;
 * a length of 0 is a keep-alive. */
#ifndef BT_PEERWIRE_H
#define BT_PEERWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define BT_PW_HANDSHAKE_LEN 68
#define BT_PW_PROTOCOL "BitTorrent protocol"

/* Defaults for struct bt_pw_limits fields left at 0. */
#define BT_PW_MAX_MESSAGE (8u << 20)	/* BitTornado's max_message_length */
#define BT_PW_MAX_BLOCK (16u << 10)	/* the usual request size */
#define BT_PW_MAX_MESSAGE_CAP (1u << 30)	/* max_message is clamped to this */

enum bt_pw_id {
	BT_PW_KEEPALIVE = -1,	/* length 0: no id on the wire */
	BT_PW_CHOKE = 0,
	BT_PW_UNCHOKE = 1,
	BT_PW_INTERESTED = 2,
	BT_PW_NOT_INTERESTED = 3,
	BT_PW_HAVE = 4,
	BT_PW_BITFIELD = 5,
	BT_PW_REQUEST = 6,
	BT_PW_PIECE = 7,
	BT_PW_CANCEL = 8,
	BT_PW_PORT = 9,		/* BEP 5 */
	BT_PW_SUGGEST = 13,	/* BEP 6 (fast extension) from here ... */
	BT_PW_HAVE_ALL = 14,
	BT_PW_HAVE_NONE = 15,
	BT_PW_REJECT = 16,
	BT_PW_ALLOWED_FAST = 17,	/* ... to here */
	BT_PW_EXTENDED = 20,	/* BEP 10 */
};

struct bt_pw_handshake {
	uint8_t reserved[8];
	uint8_t info_hash[20];
	uint8_t peer_id[20];
};

/* Write the 68-byte handshake.  reserved may be NULL (all zero). */
void bt_pw_handshake_write(uint8_t out[BT_PW_HANDSHAKE_LEN], const uint8_t info_hash[20],
	const uint8_t peer_id[20], const uint8_t reserved[8]);
/* Parse a handshake at the start of buf.  Returns 68 (bytes consumed),
 * BT_E_PARTIAL (fewer than 68 bytes so far, and those seen are right) or
 * BT_E_PROTO (a wrong first byte or protocol string, reported as soon as
 * it is seen).  Some clients send the peer id later; a caller wanting the
 * first 48 bytes alone can check len >= 48 after BT_E_PARTIAL. */
int bt_pw_handshake_parse(const uint8_t *buf, size_t len, struct bt_pw_handshake *h);

/* Reserved bits.  Extension protocol (BEP 10): reserved[5] & 0x10; fast
 * extension (BEP 6): reserved[7] & 0x04; DHT (BEP 5): reserved[7] & 0x01. */
static inline int
bt_pw_has_ltep(const uint8_t r[8])
{
	return (r[5] & 0x10) != 0;
}

static inline int
bt_pw_has_fast(const uint8_t r[8])
{
	return (r[7] & 0x04) != 0;
}

static inline int
bt_pw_has_dht(const uint8_t r[8])
{
	return (r[7] & 0x01) != 0;
}

static inline void
bt_pw_set_ltep(uint8_t r[8])
{
	r[5] |= 0x10;
}

static inline void
bt_pw_set_fast(uint8_t r[8])
{
	r[7] |= 0x04;
}

static inline void
bt_pw_set_dht(uint8_t r[8])
{
	r[7] |= 0x01;
}

/* What the reader accepts.  Zero means the default for max_message and
 * max_block, "unknown" for npieces, "no" for the flags. */
struct bt_pw_limits {
	uint32_t max_message;	/* largest length prefix (id + payload) */
	uint32_t max_block;	/* largest piece block and request length */
	uint32_t npieces;	/* if known: exact bitfield size, index bound */
	int fast;		/* fast extension negotiated: ids 13-17 allowed */
	int allow_unknown;	/* skip unknown ids instead of failing */
};

/* One parsed message.  Fields not carried by the id are left 0. */
struct bt_pw_msg {
	int id;			/* enum bt_pw_id, or the wire id if unknown */
	int unknown;		/* 1: an unknown id, skipped (allow_unknown) */
	uint32_t index;		/* have, request, piece, cancel, suggest,
				 * reject, allowed fast */
	uint32_t begin;		/* request, piece, cancel, reject */
	uint32_t length;	/* request, cancel, reject: requested length;
				 * piece: block length */
	uint16_t port;		/* port */
	uint8_t ext_id;		/* extended */
	/* Into buf: bitfield bits, piece block, extended payload (after the
	 * ext id), an unknown message's payload (after the id). */
	const uint8_t *payload;
	size_t payload_len;
	const char *why;	/* with BT_E_PROTO: the reason, static text */
};

/* Parse one message at the start of buf[0..len).  Returns the bytes it
 * spans (4 + length prefix), BT_E_PARTIAL, or BT_E_PROTO with m->why set.
 * Length checks are exact per id: 1 for choke, unchoke, interested, not
 * interested, have all, have none; 5 for have, suggest, allowed fast; 13
 * for request, cancel, reject; 3 for port; 1 + ceil(npieces/8) for
 * bitfield when npieces is known (and spare bits must be zero), else
 * >= 1; 9 + block for piece with block <= max_block; >= 2 for extended.
 * Piece indices must be < npieces when it is known; request, cancel and
 * reject lengths must be 1..max_block.  Whether begin + length fits the
 * piece is for the caller, who knows the piece size.  lim may be NULL. */
int bt_pw_parse(const uint8_t *buf, size_t len, const struct bt_pw_limits *lim,
	struct bt_pw_msg *m);

/* Writers.  Each appends one whole message to b and returns b->err (0, or
 * the latched BT_E_NOMEM / BT_E_LIMIT; BT_E_INVAL for a payload that
 * cannot be framed). */
int bt_pw_write_keepalive(struct bt_buf *b);
/* An id-only message: choke, unchoke, interested, not interested, have
 * all, have none. */
int bt_pw_write_simple(struct bt_buf *b, uint8_t id);
int bt_pw_write_choke(struct bt_buf *b);
int bt_pw_write_unchoke(struct bt_buf *b);
int bt_pw_write_interested(struct bt_buf *b);
int bt_pw_write_not_interested(struct bt_buf *b);
int bt_pw_write_have_all(struct bt_buf *b);
int bt_pw_write_have_none(struct bt_buf *b);
int bt_pw_write_have(struct bt_buf *b, uint32_t index);
int bt_pw_write_suggest(struct bt_buf *b, uint32_t index);
int bt_pw_write_allowed_fast(struct bt_buf *b, uint32_t index);
int bt_pw_write_bitfield(struct bt_buf *b, const uint8_t *bits, size_t n);
int bt_pw_write_request(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len);
int bt_pw_write_cancel(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len);
int bt_pw_write_reject(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len);
/* Only the 13-byte header of a piece message carrying len block bytes;
 * the block itself is sent from elsewhere. */
int bt_pw_write_piece_header(struct bt_buf *b, uint32_t index, uint32_t begin,
	uint32_t len);
/* Header and block. */
int bt_pw_write_piece(struct bt_buf *b, uint32_t index, uint32_t begin,
	const uint8_t *block, size_t len);
int bt_pw_write_port(struct bt_buf *b, uint16_t port);
int bt_pw_write_extended(struct bt_buf *b, uint8_t ext_id, const uint8_t *payload,
	size_t n);

/* BEP 10 extended handshake (extended message id 0).  Bounded: at most
 * BT_PW_EXT_MAX names in `m`, each at most BT_PW_EXT_NAME_MAX bytes; `v`
 * is cut to BT_PW_EXT_V_MAX bytes.  Absent values are 0 (-1 for
 * metadata_size). */
#define BT_PW_EXT_MAX 32
#define BT_PW_EXT_NAME_MAX 63
#define BT_PW_EXT_V_MAX 127

struct bt_pw_ext {
	char name[BT_PW_EXT_NAME_MAX + 1];	/* NUL-terminated */
	uint8_t id;		/* 0: the peer disabled it */
};

struct bt_pw_exthandshake {
	struct bt_pw_ext m[BT_PW_EXT_MAX];
	unsigned nm;
	char v[BT_PW_EXT_V_MAX + 1];	/* client name, NUL-terminated */
	uint16_t port;		/* p: listen port, 0 if absent */
	uint32_t reqq;		/* outstanding requests, 0 if absent */
	uint8_t yourip[16];	/* how the peer sees us */
	uint8_t yourip_len;	/* 0, 4 or 16 */
	int64_t metadata_size;	/* BEP 9, -1 if absent */
};

/* Empty handshake (no names, metadata_size -1). */
void bt_pw_exthandshake_init(struct bt_pw_exthandshake *h);
/* Parse the payload of an extended message with ext id 0 (the bencoded
 * dictionary).  Unknown keys and values of the wrong type or range are
 * ignored; names that are too long, contain NUL or are past
 * BT_PW_EXT_MAX are dropped.  Returns 0, BT_E_PROTO (not a bencoded
 * dictionary), or BT_E_NOMEM. */
int bt_pw_exthandshake_parse(const uint8_t *p, size_t n, struct bt_pw_exthandshake *h);
/* Append ours as canonical bencode (sorted keys, `m` always present).
 * Returns 0, BT_E_INVAL (duplicate names) or the buffer's error. */
int bt_pw_exthandshake_write(struct bt_buf *b, const struct bt_pw_exthandshake *h);
/* Id the peer gave name in `m`, or 0 if absent or disabled. */
uint8_t bt_pw_ext_lookup(const struct bt_pw_exthandshake *h, const char *name);
/* Add or replace name -> id.  Returns 0, BT_E_INVAL (name too long or
 * empty) or BT_E_LIMIT (table full). */
int bt_pw_ext_add(struct bt_pw_exthandshake *h, const char *name, uint8_t id);

#endif
