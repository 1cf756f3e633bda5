/* peerwire.c - the BitTorrent peer protocol codec; see peerwire.h. */
#include "peerwire.h"
#include "benc.h"
#include "bitfield.h"
#include "be.h"
#include "err.h"

#include <string.h>

/* ---- handshake ---- */

void
bt_pw_handshake_write(uint8_t out[BT_PW_HANDSHAKE_LEN], const uint8_t info_hash[20],
	const uint8_t peer_id[20], const uint8_t reserved[8])
{
	out[0] = 19;
	memcpy(out + 1, BT_PW_PROTOCOL, 19);
	if (reserved)
		memcpy(out + 20, reserved, 8);
	else
		memset(out + 20, 0, 8);
	memcpy(out + 28, info_hash, 20);
	memcpy(out + 48, peer_id, 20);
}

int
bt_pw_handshake_parse(const uint8_t *buf, size_t len, struct bt_pw_handshake *h)
{
	if (len == 0)
		return BT_E_PARTIAL;
	if (buf[0] != 19)
		return BT_E_PROTO;
	size_t k = len - 1 < 19 ? len - 1 : 19;
	if (memcmp(buf + 1, BT_PW_PROTOCOL, k) != 0)
		return BT_E_PROTO;
	if (len < BT_PW_HANDSHAKE_LEN)
		return BT_E_PARTIAL;
	memcpy(h->reserved, buf + 20, 8);
	memcpy(h->info_hash, buf + 28, 20);
	memcpy(h->peer_id, buf + 48, 20);
	return BT_PW_HANDSHAKE_LEN;
}

/* ---- reader ---- */

static int
fail(struct bt_pw_msg *m, const char *why)
{
	m->why = why;
	return BT_E_PROTO;
}

static int
is_fast_id(unsigned id)
{
	return id >= BT_PW_SUGGEST && id <= BT_PW_ALLOWED_FAST;
}

/* Check a length prefix n (id + payload) against id: the check made
 * before waiting for the payload (Transmission's
 * messageLengthIsCorrect).  Returns 0 or BT_E_PROTO. */
static int
length_ok(unsigned id, uint32_t n, uint32_t npieces, uint32_t max_block,
	struct bt_pw_msg *m)
{
	switch (id) {
	case BT_PW_CHOKE:
	case BT_PW_UNCHOKE:
	case BT_PW_INTERESTED:
	case BT_PW_NOT_INTERESTED:
	case BT_PW_HAVE_ALL:
	case BT_PW_HAVE_NONE:
		return n == 1 ? 0 : fail(m, "id-only message with a payload");
	case BT_PW_HAVE:
	case BT_PW_SUGGEST:
	case BT_PW_ALLOWED_FAST:
		return n == 5 ? 0 : fail(m, "piece-index message length is not 5");
	case BT_PW_REQUEST:
	case BT_PW_CANCEL:
	case BT_PW_REJECT:
		return n == 13 ? 0 : fail(m, "request/cancel/reject length is not 13");
	case BT_PW_PORT:
		return n == 3 ? 0 : fail(m, "port length is not 3");
	case BT_PW_BITFIELD:
		if (npieces)
			return (uint64_t)n == 1 + bt_bitfield_bytes(npieces) ?
				0 : fail(m, "bitfield length does not match the piece count");
		return n >= 1 ? 0 : fail(m, "bitfield too short");
	case BT_PW_PIECE:
		if (n < 9)
			return fail(m, "piece shorter than its header");
		return n - 9 <= max_block ? 0 : fail(m, "piece block too long");
	case BT_PW_EXTENDED:
		return n >= 2 ? 0 : fail(m, "extended message without an ext id");
	default:
		return 0;
	}
}

int
bt_pw_parse(const uint8_t *buf, size_t len, const struct bt_pw_limits *lim,
	struct bt_pw_msg *m)
{
	static const struct bt_pw_limits dflt;
	if (!lim)
		lim = &dflt;
	uint32_t max_message = lim->max_message ? lim->max_message : BT_PW_MAX_MESSAGE;
	if (max_message > BT_PW_MAX_MESSAGE_CAP)	/* the result must fit an int */
		max_message = BT_PW_MAX_MESSAGE_CAP;
	uint32_t max_block = lim->max_block ? lim->max_block : BT_PW_MAX_BLOCK;
	uint32_t npieces = lim->npieces;

	memset(m, 0, sizeof(*m));
	if (len < 4)
		return BT_E_PARTIAL;
	uint32_t n = get32(buf);
	if (n == 0) {
		m->id = BT_PW_KEEPALIVE;
		return 4;
	}
	if (n > max_message)
		return fail(m, "message longer than the limit");
	if (len < 5)
		return BT_E_PARTIAL;
	unsigned id = buf[4];
	m->id = (int)id;
	int known = id <= BT_PW_PORT || is_fast_id(id) || id == BT_PW_EXTENDED;
	if (!known) {
		if (!lim->allow_unknown)
			return fail(m, "unknown message id");
	} else if (is_fast_id(id) && !lim->fast) {
		return fail(m, "fast extension message without the fast extension");
	} else if (length_ok(id, n, npieces, max_block, m) != 0) {
		return BT_E_PROTO;
	}
	if (len - 4 < n)
		return BT_E_PARTIAL;

	const uint8_t *p = buf + 5;
	size_t pl = n - 1;
	if (!known) {
		m->unknown = 1;
		m->payload = p;
		m->payload_len = pl;
		return (int)(4 + (size_t)n);
	}
	switch (id) {
	case BT_PW_HAVE:
	case BT_PW_SUGGEST:
	case BT_PW_ALLOWED_FAST:
		m->index = get32(p);
		break;
	case BT_PW_REQUEST:
	case BT_PW_CANCEL:
	case BT_PW_REJECT:
		m->index = get32(p);
		m->begin = get32(p + 4);
		m->length = get32(p + 8);
		if (m->length == 0 || m->length > max_block)
			return fail(m, "request length out of range");
		break;
	case BT_PW_PIECE:
		m->index = get32(p);
		m->begin = get32(p + 4);
		m->length = n - 9;
		m->payload = p + 8;
		m->payload_len = n - 9;
		break;
	case BT_PW_PORT:
		m->port = get16(p);
		break;
	case BT_PW_BITFIELD:
		m->payload = p;
		m->payload_len = pl;
		if (npieces && (p[pl - 1] & bt_bitfield_spare_mask(npieces)))
			return fail(m, "bitfield spare bits set");
		break;
	case BT_PW_EXTENDED:
		m->ext_id = p[0];
		m->payload = p + 1;
		m->payload_len = pl - 1;
		break;
	default:
		break;
	}
	if (npieces && m->index >= npieces &&
		(id == BT_PW_HAVE || id == BT_PW_SUGGEST || id == BT_PW_ALLOWED_FAST ||
			id == BT_PW_REQUEST || id == BT_PW_CANCEL || id == BT_PW_REJECT ||
			id == BT_PW_PIECE))
		return fail(m, "piece index out of range");
	return (int)(4 + (size_t)n);
}

/* ---- writers ---- */

/* Header of a message whose payload (after the id) is n bytes, plus
 * `extra` bytes of room for the caller; returns where to write or NULL. */
static uint8_t *
frame(struct bt_buf *b, uint8_t id, size_t n, size_t extra)
{
	if (n > UINT32_MAX - 1) {
		if (!b->err)
			b->err = BT_E_INVAL;
		return NULL;
	}
	uint8_t *p = bt_buf_reserve(b, 5 + extra);
	if (!p)
		return NULL;
	put32(p, (uint32_t)n + 1);
	p[4] = id;
	return p + 5;
}

int
bt_pw_write_keepalive(struct bt_buf *b)
{
	static const uint8_t z[4];
	bt_buf_add(b, z, 4);
	return b->err;
}

int
bt_pw_write_simple(struct bt_buf *b, uint8_t id)
{
	if (frame(b, id, 0, 0))
		bt_buf_commit(b, 5);
	return b->err;
}

int
bt_pw_write_choke(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_CHOKE);
}

int
bt_pw_write_unchoke(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_UNCHOKE);
}

int
bt_pw_write_interested(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_INTERESTED);
}

int
bt_pw_write_not_interested(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_NOT_INTERESTED);
}

int
bt_pw_write_have_all(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_HAVE_ALL);
}

int
bt_pw_write_have_none(struct bt_buf *b)
{
	return bt_pw_write_simple(b, BT_PW_HAVE_NONE);
}

static int
write_index(struct bt_buf *b, uint8_t id, uint32_t index)
{
	uint8_t *p = frame(b, id, 4, 4);
	if (p) {
		put32(p, index);
		bt_buf_commit(b, 9);
	}
	return b->err;
}

int
bt_pw_write_have(struct bt_buf *b, uint32_t index)
{
	return write_index(b, BT_PW_HAVE, index);
}

int
bt_pw_write_suggest(struct bt_buf *b, uint32_t index)
{
	return write_index(b, BT_PW_SUGGEST, index);
}

int
bt_pw_write_allowed_fast(struct bt_buf *b, uint32_t index)
{
	return write_index(b, BT_PW_ALLOWED_FAST, index);
}

static int
write_triple(struct bt_buf *b, uint8_t id, uint32_t index, uint32_t begin, uint32_t len)
{
	uint8_t *p = frame(b, id, 12, 12);
	if (p) {
		put32(p, index);
		put32(p + 4, begin);
		put32(p + 8, len);
		bt_buf_commit(b, 17);
	}
	return b->err;
}

int
bt_pw_write_request(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len)
{
	return write_triple(b, BT_PW_REQUEST, index, begin, len);
}

int
bt_pw_write_cancel(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len)
{
	return write_triple(b, BT_PW_CANCEL, index, begin, len);
}

int
bt_pw_write_reject(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len)
{
	return write_triple(b, BT_PW_REJECT, index, begin, len);
}

int
bt_pw_write_piece_header(struct bt_buf *b, uint32_t index, uint32_t begin, uint32_t len)
{
	uint8_t *p = frame(b, BT_PW_PIECE, (size_t)len + 8, 8);
	if (p) {
		put32(p, index);
		put32(p + 4, begin);
		bt_buf_commit(b, 13);
	}
	return b->err;
}

int
bt_pw_write_piece(struct bt_buf *b, uint32_t index, uint32_t begin, const uint8_t *block,
	size_t len)
{
	if (len > UINT32_MAX - 9) {
		if (!b->err)
			b->err = BT_E_INVAL;
		return b->err;
	}
	if (bt_pw_write_piece_header(b, index, begin, (uint32_t)len) == 0)
		bt_buf_add(b, block, len);
	return b->err;
}

int
bt_pw_write_bitfield(struct bt_buf *b, const uint8_t *bits, size_t n)
{
	if (frame(b, BT_PW_BITFIELD, n, 0)) {
		bt_buf_commit(b, 5);
		bt_buf_add(b, bits, n);
	}
	return b->err;
}

int
bt_pw_write_port(struct bt_buf *b, uint16_t port)
{
	uint8_t *p = frame(b, BT_PW_PORT, 2, 2);
	if (p) {
		put16(p, port);
		bt_buf_commit(b, 7);
	}
	return b->err;
}

int
bt_pw_write_extended(struct bt_buf *b, uint8_t ext_id, const uint8_t *payload, size_t n)
{
	if (n > UINT32_MAX - 2) {
		if (!b->err)
			b->err = BT_E_INVAL;
		return b->err;
	}
	uint8_t *p = frame(b, BT_PW_EXTENDED, n + 1, 1);
	if (p) {
		p[0] = ext_id;
		bt_buf_commit(b, 6);
		bt_buf_add(b, payload, n);
	}
	return b->err;
}

/* ---- BEP 10 extended handshake ---- */

void
bt_pw_exthandshake_init(struct bt_pw_exthandshake *h)
{
	memset(h, 0, sizeof(*h));
	h->metadata_size = -1;
}

static int
ext_find(const struct bt_pw_exthandshake *h, const void *name, size_t n)
{
	for (unsigned k = 0; k < h->nm; k++)
		if (strlen(h->m[k].name) == n && memcmp(h->m[k].name, name, n) == 0)
			return (int)k;
	return -1;
}

static int
ext_addn(struct bt_pw_exthandshake *h, const void *name, size_t n, uint8_t id)
{
	if (n == 0 || n > BT_PW_EXT_NAME_MAX || memchr(name, 0, n))
		return BT_E_INVAL;
	int k = ext_find(h, name, n);
	if (k < 0) {
		if (h->nm >= BT_PW_EXT_MAX)
			return BT_E_LIMIT;
		k = (int)h->nm++;
		memcpy(h->m[k].name, name, n);
		h->m[k].name[n] = 0;
	}
	h->m[k].id = id;
	return 0;
}

int
bt_pw_ext_add(struct bt_pw_exthandshake *h, const char *name, uint8_t id)
{
	return ext_addn(h, name, strlen(name), id);
}

uint8_t
bt_pw_ext_lookup(const struct bt_pw_exthandshake *h, const char *name)
{
	int k = ext_find(h, name, strlen(name));
	return k < 0 ? 0 : h->m[k].id;
}

int
bt_pw_exthandshake_parse(const uint8_t *p, size_t n, struct bt_pw_exthandshake *h)
{
	struct bt_benc d = { 0 };
	int64_t v;
	const uint8_t *s;
	size_t sl;

	bt_pw_exthandshake_init(h);
	int rc = bt_benc_parse(&d, p, n, &bt_benc_lim_lenient, NULL);
	if (rc != 0) {
		bt_benc_free(&d);
		return rc == BT_E_NOMEM ? BT_E_NOMEM : BT_E_PROTO;
	}
	if (bt_benc_type(&d, 0) != BT_BENC_DICT) {
		bt_benc_free(&d);
		return BT_E_PROTO;
	}
	int mi = bt_benc_dict_get(&d, 0, "m");
	if (bt_benc_type(&d, mi) == BT_BENC_DICT) {
		for (int k = bt_benc_first(&d, mi); k >= 0;) {
			int val = bt_benc_next(&d, mi, k);
			if (val < 0)
				break;
			if (bt_benc_str(&d, k, &s, &sl) == 0 && bt_benc_int(&d, val, &v) == 0 &&
				v >= 0 && v <= 255)
				(void)ext_addn(h, s, sl, (uint8_t)v);
			k = bt_benc_next(&d, mi, val);
		}
	}
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "v"), &s, &sl) == 0) {
		if (sl > BT_PW_EXT_V_MAX)
			sl = BT_PW_EXT_V_MAX;
		memcpy(h->v, s, sl);
		h->v[sl] = 0;
	}
	if (bt_benc_int(&d, bt_benc_dict_get(&d, 0, "p"), &v) == 0 && v > 0 && v <= 65535)
		h->port = (uint16_t)v;
	if (bt_benc_int(&d, bt_benc_dict_get(&d, 0, "reqq"), &v) == 0 && v > 0 &&
		v <= UINT32_MAX)
		h->reqq = (uint32_t)v;
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "yourip"), &s, &sl) == 0 &&
		(sl == 4 || sl == 16)) {
		memcpy(h->yourip, s, sl);
		h->yourip_len = (uint8_t)sl;
	}
	if (bt_benc_int(&d, bt_benc_dict_get(&d, 0, "metadata_size"), &v) == 0 && v >= 0)
		h->metadata_size = v;
	bt_benc_free(&d);
	return 0;
}

int
bt_pw_exthandshake_write(struct bt_buf *b, const struct bt_pw_exthandshake *h)
{
	struct bt_bw w;
	unsigned ord[BT_PW_EXT_MAX];
	unsigned nm = h->nm < BT_PW_EXT_MAX ? h->nm : BT_PW_EXT_MAX;

	/* Insertion sort of the names: the writer wants ascending keys. */
	for (unsigned i = 0; i < nm; i++) {
		unsigned j = i;
		while (j > 0 && strcmp(h->m[ord[j - 1]].name, h->m[i].name) > 0) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = i;
	}
	for (unsigned i = 1; i < nm; i++)
		if (strcmp(h->m[ord[i - 1]].name, h->m[ord[i]].name) == 0)
			return BT_E_INVAL;

	bt_bw_init(&w, b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "m");
	bt_bw_dict(&w);
	for (unsigned i = 0; i < nm; i++) {
		bt_bw_key(&w, h->m[ord[i]].name);
		bt_bw_int(&w, h->m[ord[i]].id);
	}
	bt_bw_end(&w);
	if (h->metadata_size >= 0) {
		bt_bw_key(&w, "metadata_size");
		bt_bw_int(&w, h->metadata_size);
	}
	if (h->port) {
		bt_bw_key(&w, "p");
		bt_bw_int(&w, h->port);
	}
	if (h->reqq) {
		bt_bw_key(&w, "reqq");
		bt_bw_int(&w, h->reqq);
	}
	if (h->v[0]) {
		bt_bw_key(&w, "v");
		const char *e = memchr(h->v, 0, sizeof(h->v));
		bt_bw_str(&w, h->v, e ? (size_t)(e - h->v) : sizeof(h->v));
	}
	if (h->yourip_len == 4 || h->yourip_len == 16) {
		bt_bw_key(&w, "yourip");
		bt_bw_str(&w, h->yourip, h->yourip_len);
	}
	bt_bw_end(&w);
	return bt_bw_finish(&w);
}
