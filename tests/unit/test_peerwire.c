/* test_peerwire.c - the peer protocol codec and the piece bitfield. */
#include "bitfield.h"
#include "buf.h"
#include "check.h"
#include "err.h"
#include "peerwire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct bt_pw_limits lim_fast = { .fast = 1 };

/* Parse exactly one message from (p, n) and check it spans all of it. */
static int
parse_one(const uint8_t *p, size_t n, const struct bt_pw_limits *lim, struct bt_pw_msg *m,
	int line)
{
	int rc = bt_pw_parse(p, n, lim, m);
	CHECK_INT_AT(line, rc, ==, (long long)n);
	return rc;
}

static void
test_roundtrip(void)
{
	struct bt_buf b;
	struct bt_pw_msg m;
	static const uint8_t block[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t bits[2] = { 0xa5, 0x80 };

	bt_buf_init(&b, 0);
	CHECK_INT(bt_pw_write_keepalive(&b), ==, 0);
	CHECK_MEM(b.p, b.len, "\0\0\0\0", 4);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_INT(m.id, ==, BT_PW_KEEPALIVE);

	static const struct {
		int (*fn)(struct bt_buf *);
		int id;
	} simple[] = {
		{ bt_pw_write_choke, BT_PW_CHOKE },
		{ bt_pw_write_unchoke, BT_PW_UNCHOKE },
		{ bt_pw_write_interested, BT_PW_INTERESTED },
		{ bt_pw_write_not_interested, BT_PW_NOT_INTERESTED },
		{ bt_pw_write_have_all, BT_PW_HAVE_ALL },
		{ bt_pw_write_have_none, BT_PW_HAVE_NONE },
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		b.len = 0;
		CHECK_INT(simple[i].fn(&b), ==, 0);
		CHECK_INT(b.len, ==, 5);
		CHECK_INT(b.p[3], ==, 1);
		CHECK_INT(b.p[4], ==, simple[i].id);
		parse_one(b.p, b.len, &lim_fast, &m, __LINE__);
		CHECK_INT(m.id, ==, simple[i].id);
		CHECK_INT(m.unknown, ==, 0);
	}

	static const struct {
		int (*fn)(struct bt_buf *, uint32_t);
		int id;
	} idx[] = {
		{ bt_pw_write_have, BT_PW_HAVE },
		{ bt_pw_write_suggest, BT_PW_SUGGEST },
		{ bt_pw_write_allowed_fast, BT_PW_ALLOWED_FAST },
	};
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		b.len = 0;
		CHECK_INT(idx[i].fn(&b, 0x01020304), ==, 0);
		CHECK_MEM(b.p, b.len, ((uint8_t[]){ 0, 0, 0, 5, (uint8_t)idx[i].id, 1, 2, 3, 4 }), 9);
		parse_one(b.p, b.len, &lim_fast, &m, __LINE__);
		CHECK_INT(m.id, ==, idx[i].id);
		CHECK_INT(m.index, ==, 0x01020304);
	}

	static const struct {
		int (*fn)(struct bt_buf *, uint32_t, uint32_t, uint32_t);
		int id;
	} tri[] = {
		{ bt_pw_write_request, BT_PW_REQUEST },
		{ bt_pw_write_cancel, BT_PW_CANCEL },
		{ bt_pw_write_reject, BT_PW_REJECT },
	};
	for (size_t i = 0; i < sizeof(tri) / sizeof(tri[0]); i++) {
		b.len = 0;
		CHECK_INT(tri[i].fn(&b, 7, 16384, 16384), ==, 0);
		CHECK_INT(b.len, ==, 17);
		parse_one(b.p, b.len, &lim_fast, &m, __LINE__);
		CHECK_INT(m.id, ==, tri[i].id);
		CHECK_INT(m.index, ==, 7);
		CHECK_INT(m.begin, ==, 16384);
		CHECK_INT(m.length, ==, 16384);
	}

	b.len = 0;
	CHECK_INT(bt_pw_write_piece(&b, 3, 32768, block, sizeof(block)), ==, 0);
	CHECK_MEM(b.p, 13, ((uint8_t[]){ 0, 0, 0, 14, 7, 0, 0, 0, 3, 0, 0, 0x80, 0 }), 13);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_INT(m.id, ==, BT_PW_PIECE);
	CHECK_INT(m.index, ==, 3);
	CHECK_INT(m.begin, ==, 32768);
	CHECK_INT(m.length, ==, 5);
	CHECK_MEM(m.payload, m.payload_len, block, sizeof(block));
	CHECK(m.payload == b.p + 13);	/* zero-copy */

	b.len = 0;
	CHECK_INT(bt_pw_write_piece_header(&b, 3, 32768, 5), ==, 0);
	CHECK_INT(b.len, ==, 13);
	CHECK_INT(bt_pw_parse(b.p, b.len, NULL, &m), ==, BT_E_PARTIAL);
	bt_buf_add(&b, block, 5);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_MEM(m.payload, m.payload_len, block, sizeof(block));

	b.len = 0;
	CHECK_INT(bt_pw_write_bitfield(&b, bits, 2), ==, 0);
	struct bt_pw_limits l9 = { .npieces = 9 };
	parse_one(b.p, b.len, &l9, &m, __LINE__);
	CHECK_INT(m.id, ==, BT_PW_BITFIELD);
	CHECK_MEM(m.payload, m.payload_len, bits, 2);
	parse_one(b.p, b.len, NULL, &m, __LINE__);	/* npieces unknown */

	b.len = 0;
	CHECK_INT(bt_pw_write_port(&b, 6881), ==, 0);
	CHECK_MEM(b.p, b.len, ((uint8_t[]){ 0, 0, 0, 3, 9, 0x1a, 0xe1 }), 7);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_INT(m.id, ==, BT_PW_PORT);
	CHECK_INT(m.port, ==, 6881);

	b.len = 0;
	CHECK_INT(bt_pw_write_extended(&b, 3, (const uint8_t *)"d1:xi1ee", 8), ==, 0);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_INT(m.id, ==, BT_PW_EXTENDED);
	CHECK_INT(m.ext_id, ==, 3);
	CHECK_MEMS(m.payload, m.payload_len, "d1:xi1ee");
	b.len = 0;
	CHECK_INT(bt_pw_write_extended(&b, 1, NULL, 0), ==, 0);
	parse_one(b.p, b.len, NULL, &m, __LINE__);
	CHECK_INT(m.ext_id, ==, 1);
	CHECK_INT(m.payload_len, ==, 0);
	bt_buf_free(&b);
}

/* A message with length prefix n and id, padded with zeros. */
static size_t
mk(uint8_t *out, uint32_t n, uint8_t id)
{
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	out[4] = id;
	memset(out + 5, 0, n > 1 ? n - 1 : 0);
	/* keep requests' length field nonzero where it exists */
	if (n == 13)
		out[15] = 1;
	return 4 + n;
}

static void
test_lengths(void)
{
	static uint8_t buf[4 + 40000];
	struct bt_pw_msg m;
	struct bt_pw_limits lim = { .fast = 1, .npieces = 20 };
	static const struct {
		uint8_t id;
		uint32_t good;	/* 0 = none fixed */
	} t[] = {
		{ 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 5 }, { 5, 4 }, { 6, 13 },
		{ 8, 13 }, { 9, 3 }, { 13, 5 }, { 14, 1 }, { 15, 1 }, { 16, 13 }, { 17, 5 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (uint32_t n = 1; n <= 40; n++) {
			size_t sz = mk(buf, n, t[i].id);
			int rc = bt_pw_parse(buf, sz, &lim, &m);
			if (n == t[i].good) {
				CHECK_INT(rc, ==, (long long)sz);
				CHECK_INT(m.id, ==, t[i].id);
			} else {
				CHECK_INT(rc, ==, BT_E_PROTO);
				CHECK(m.why != NULL);
				/* fails on the id, before the payload is there */
				CHECK_INT(bt_pw_parse(buf, 5, &lim, &m), ==, BT_E_PROTO);
			}
		}
	}
	/* piece: 9 + block, block <= max_block */
	for (uint32_t n = 1; n < 9; n++) {
		size_t sz = mk(buf, n, BT_PW_PIECE);
		CHECK_INT(bt_pw_parse(buf, sz, &lim, &m), ==, BT_E_PROTO);
	}
	size_t sz = mk(buf, 9 + 16384, BT_PW_PIECE);
	CHECK_INT(bt_pw_parse(buf, sz, &lim, &m), ==, (long long)sz);
	sz = mk(buf, 9 + 16385, BT_PW_PIECE);
	CHECK_INT(bt_pw_parse(buf, 5, &lim, &m), ==, BT_E_PROTO);
	struct bt_pw_limits big = { .max_block = 131072 };
	CHECK_INT(bt_pw_parse(buf, sz, &big, &m), ==, (long long)sz);
	CHECK_INT(m.length, ==, 16385);
	/* extended >= 2 */
	sz = mk(buf, 1, BT_PW_EXTENDED);
	CHECK_INT(bt_pw_parse(buf, sz, &lim, &m), ==, BT_E_PROTO);
	sz = mk(buf, 2, BT_PW_EXTENDED);
	CHECK_INT(bt_pw_parse(buf, sz, &lim, &m), ==, (long long)sz);
	/* bitfield with npieces unknown: any length >= 1 */
	sz = mk(buf, 1, BT_PW_BITFIELD);
	CHECK_INT(bt_pw_parse(buf, sz, NULL, &m), ==, (long long)sz);
	CHECK_INT(m.payload_len, ==, 0);
	/* request length 0 or over max_block */
	uint8_t rq[17] = { 0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_INT(bt_pw_parse(rq, 17, &lim, &m), ==, BT_E_PROTO);
	rq[15] = 0x40;	/* 16384 */
	CHECK_INT(bt_pw_parse(rq, 17, &lim, &m), ==, 17);
	rq[16] = 1;	/* 16385 */
	CHECK_INT(bt_pw_parse(rq, 17, &lim, &m), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_parse(rq, 17, &big, &m), ==, 17);
	/* piece index out of range when npieces is known */
	uint8_t hv[9] = { 0, 0, 0, 5, 4, 0, 0, 0, 19 };
	CHECK_INT(bt_pw_parse(hv, 9, &lim, &m), ==, 9);
	hv[8] = 20;
	CHECK_INT(bt_pw_parse(hv, 9, &lim, &m), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_parse(hv, 9, NULL, &m), ==, 9);
}

static void
test_limits(void)
{
	struct bt_pw_msg m;
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	CHECK_INT(bt_pw_parse(huge, 4, NULL, &m), ==, BT_E_PROTO);
	CHECK(m.why != NULL);
	for (size_t k = 0; k < 4; k++)
		CHECK_INT(bt_pw_parse(huge, k, NULL, &m), ==, BT_E_PARTIAL);
	struct bt_pw_limits big = { .max_message = UINT32_MAX };
	CHECK_INT(bt_pw_parse(huge, 4, &big, &m), ==, BT_E_PROTO);
	/* exactly max_message passes the prefix check */
	uint8_t hdr[5] = { 0, 0x80, 0, 0, 20 };	/* 8 MiB, extended */
	CHECK_INT(bt_pw_parse(hdr, 5, NULL, &m), ==, BT_E_PARTIAL);
	hdr[3] = 1;
	CHECK_INT(bt_pw_parse(hdr, 4, NULL, &m), ==, BT_E_PROTO);
	struct bt_pw_limits small = { .max_message = 100 };
	uint8_t h2[4] = { 0, 0, 0, 101 };
	CHECK_INT(bt_pw_parse(h2, 4, &small, &m), ==, BT_E_PROTO);
	h2[3] = 100;
	CHECK_INT(bt_pw_parse(h2, 4, &small, &m), ==, BT_E_PARTIAL);
}

static void
test_unknown_and_fast(void)
{
	struct bt_pw_msg m;
	uint8_t u[8] = { 0, 0, 0, 4, 42, 'a', 'b', 'c' };
	CHECK_INT(bt_pw_parse(u, 8, NULL, &m), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_parse(u, 5, NULL, &m), ==, BT_E_PROTO);
	struct bt_pw_limits la = { .allow_unknown = 1 };
	CHECK_INT(bt_pw_parse(u, 7, &la, &m), ==, BT_E_PARTIAL);
	CHECK_INT(bt_pw_parse(u, 8, &la, &m), ==, 8);
	CHECK_INT(m.unknown, ==, 1);
	CHECK_INT(m.id, ==, 42);
	CHECK_MEMS(m.payload, m.payload_len, "abc");
	/* ids 10-12 and 18, 19 are unknown too */
	for (uint8_t id = 10; id <= 19; id++) {
		if (id >= 13 && id <= 17)
			continue;
		u[4] = id;
		CHECK_INT(bt_pw_parse(u, 8, NULL, &m), ==, BT_E_PROTO);
		CHECK_INT(bt_pw_parse(u, 8, &la, &m), ==, 8);
		CHECK_INT(m.unknown, ==, 1);
	}
	/* fast ids need lim->fast, even with allow_unknown */
	uint8_t ha[5] = { 0, 0, 0, 1, 14 };
	CHECK_INT(bt_pw_parse(ha, 5, NULL, &m), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_parse(ha, 5, &la, &m), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_parse(ha, 5, &lim_fast, &m), ==, 5);
	CHECK_INT(m.id, ==, BT_PW_HAVE_ALL);
}

static void
test_stream(void)
{
	struct bt_buf b;
	struct bt_pw_msg m;
	static const uint8_t blk[100] = { 9 };
	static const int want[] = {
		BT_PW_KEEPALIVE, BT_PW_BITFIELD, BT_PW_UNCHOKE, BT_PW_HAVE, BT_PW_REQUEST,
		BT_PW_PIECE, BT_PW_EXTENDED, BT_PW_HAVE_NONE, BT_PW_PORT, BT_PW_REJECT,
	};
	size_t nwant = sizeof(want) / sizeof(want[0]);
	struct bt_pw_limits lim = { .fast = 1, .npieces = 12 };

	bt_buf_init(&b, 0);
	bt_pw_write_keepalive(&b);
	bt_pw_write_bitfield(&b, (const uint8_t[]){ 0xff, 0xf0 }, 2);
	bt_pw_write_unchoke(&b);
	bt_pw_write_have(&b, 11);
	bt_pw_write_request(&b, 1, 0, 100);
	bt_pw_write_piece(&b, 1, 0, blk, sizeof(blk));
	bt_pw_write_extended(&b, 0, (const uint8_t *)"de", 2);
	bt_pw_write_have_none(&b);
	bt_pw_write_port(&b, 1);
	bt_pw_write_reject(&b, 2, 0, 16384);
	CHECK_INT(b.err, ==, 0);

	/* Every prefix: parse whole messages, then BT_E_PARTIAL (or the end). */
	int bad = 0;
	for (size_t cut = 0; cut <= b.len; cut++) {
		size_t off = 0, k = 0;
		int rc;
		while ((rc = bt_pw_parse(b.p + off, cut - off, &lim, &m)) > 0) {
			if (k >= nwant || m.id != want[k])
				bad++;
			off += (size_t)rc;
			k++;
		}
		if (rc != BT_E_PARTIAL)
			bad++;
		if (cut == b.len && k != nwant)
			bad++;
	}
	CHECK_INT(bad, ==, 0);
	bt_buf_free(&b);
}

static void
test_bitfield_msg(void)
{
	struct bt_pw_msg m;
	/* 12 pieces: 2 bytes, low 4 bits of byte 1 spare */
	uint8_t bf[7] = { 0, 0, 0, 3, 5, 0xff, 0xf0 };
	struct bt_pw_limits lim = { .npieces = 12 };
	CHECK_INT(bt_pw_parse(bf, 7, &lim, &m), ==, 7);
	for (int bit = 0; bit < 4; bit++) {
		bf[6] = (uint8_t)(0xf0 | (1 << bit));
		CHECK_INT(bt_pw_parse(bf, 7, &lim, &m), ==, BT_E_PROTO);
	}
	/* wrong byte count */
	uint8_t bf3[8] = { 0, 0, 0, 4, 5, 0xff, 0xf0, 0 };
	CHECK_INT(bt_pw_parse(bf3, 5, &lim, &m), ==, BT_E_PROTO);
	/* 16 pieces: no spare bits */
	struct bt_pw_limits l16 = { .npieces = 16 };
	uint8_t bf16[7] = { 0, 0, 0, 3, 5, 0xff, 0xff };
	CHECK_INT(bt_pw_parse(bf16, 7, &l16, &m), ==, 7);
}

static void
test_bitfield(void)
{
	struct bt_bitfield a, b, c;
	CHECK_INT(bt_bitfield_init(&a, 12), ==, 0);
	CHECK_INT(bt_bitfield_init(&b, 12), ==, 0);
	CHECK_INT(bt_bitfield_init(&c, 12), ==, 0);
	CHECK_INT(bt_bitfield_bytes(12), ==, 2);
	CHECK_INT(bt_bitfield_bytes(0), ==, 0);
	CHECK_INT(bt_bitfield_bytes(16), ==, 2);
	CHECK_INT(bt_bitfield_bytes(17), ==, 3);
	CHECK_INT(bt_bitfield_count(&a), ==, 0);
	CHECK_INT(bt_bitfield_set(&a, 0), ==, 1);
	CHECK_INT(bt_bitfield_set(&a, 0), ==, 0);
	CHECK_INT(bt_bitfield_set(&a, 11), ==, 1);
	CHECK_INT(bt_bitfield_set(&a, 12), ==, BT_E_INVAL);
	CHECK_INT(bt_bitfield_test(&a, 0), ==, 1);
	CHECK_INT(bt_bitfield_test(&a, 1), ==, 0);
	CHECK_INT(bt_bitfield_test(&a, 12), ==, 0);
	CHECK_INT(bt_bitfield_count(&a), ==, 2);
	size_t n;
	const uint8_t *w = bt_bitfield_to_wire(&a, &n);
	CHECK_MEM(w, n, ((uint8_t[]){ 0x80, 0x10 }), 2);
	CHECK_INT(bt_bitfield_first_missing(&a, 0), ==, 1);
	CHECK_INT(bt_bitfield_first_set(&a, 1), ==, 11);
	CHECK_INT(bt_bitfield_clear(&a, 0), ==, 1);
	CHECK_INT(bt_bitfield_clear(&a, 0), ==, 0);
	CHECK_INT(bt_bitfield_clear(&a, 99), ==, BT_E_INVAL);
	CHECK_INT(bt_bitfield_count(&a), ==, 1);
	bt_bitfield_set_all(&a);
	CHECK_INT(bt_bitfield_count(&a), ==, 12);
	CHECK(bt_bitfield_complete(&a));
	CHECK_INT(bt_bitfield_first_missing(&a, 0), ==, 12);
	w = bt_bitfield_to_wire(&a, &n);
	CHECK_MEM(w, n, ((uint8_t[]){ 0xff, 0xf0 }), 2);
	bt_bitfield_clear_all(&a);
	CHECK_INT(bt_bitfield_count(&a), ==, 0);
	CHECK_INT(bt_bitfield_first_set(&a, 0), ==, 12);

	/* wire: spare bits must be zero, exact length */
	CHECK_INT(bt_bitfield_from_wire(&a, (const uint8_t[]){ 0xf0, 0x30 }, 2), ==, 0);
	CHECK_INT(bt_bitfield_count(&a), ==, 6);
	CHECK_INT(bt_bitfield_from_wire(&a, (const uint8_t[]){ 0xff, 0x38 }, 2), ==,
		BT_E_PROTO);
	CHECK_INT(bt_bitfield_count(&a), ==, 6);	/* unchanged */
	CHECK_INT(bt_bitfield_from_wire(&a, (const uint8_t[]){ 0xff }, 1), ==, BT_E_PROTO);
	CHECK_INT(bt_bitfield_from_wire(&a, (const uint8_t[]){ 0, 0, 0 }, 3), ==, BT_E_PROTO);

	/* they have (a), we lack (not b) */
	CHECK_INT(bt_bitfield_from_wire(&b, (const uint8_t[]){ 0xa0, 0x10 }, 2), ==, 0);
	CHECK_INT(bt_bitfield_andnot(&c, &a, &b), ==, 3);	/* f0 30 & ~a0 10 = 50 20 */
	w = bt_bitfield_to_wire(&c, &n);
	CHECK_MEM(w, n, ((uint8_t[]){ 0x50, 0x20 }), 2);
	CHECK_INT(bt_bitfield_count(&c), ==, 3);
	CHECK_INT(bt_bitfield_and(&c, &a, &b), ==, 3);	/* a0 10 */
	CHECK_INT(bt_bitfield_first_set(&c, 0), ==, 0);
	CHECK_INT(bt_bitfield_first_missing(&c, 0), ==, 1);
	CHECK_INT(bt_bitfield_andnot(&a, &a, &a), ==, 0);	/* in place */

	struct bt_bitfield d;
	CHECK_INT(bt_bitfield_init(&d, 13), ==, 0);
	CHECK_INT(bt_bitfield_andnot(&c, &a, &d), ==, BT_E_INVAL);
	bt_bitfield_set_all(&d);
	w = bt_bitfield_to_wire(&d, &n);
	CHECK_MEM(w, n, ((uint8_t[]){ 0xff, 0xf8 }), 2);
	bt_bitfield_fini(&d);

	/* bigger: first_missing skips full bytes */
	CHECK_INT(bt_bitfield_init(&d, 1000), ==, 0);
	for (uint32_t i = 0; i < 1000; i++)
		if (i != 777)
			bt_bitfield_set(&d, i);
	CHECK_INT(bt_bitfield_first_missing(&d, 0), ==, 777);
	CHECK_INT(bt_bitfield_first_missing(&d, 778), ==, 1000);
	CHECK_INT(bt_bitfield_count(&d), ==, 999);
	bt_bitfield_fini(&d);

	CHECK_INT(bt_bitfield_init(&d, 0), ==, 0);
	CHECK_INT(bt_bitfield_from_wire(&d, NULL, 0), ==, 0);
	bt_bitfield_set_all(&d);
	CHECK(bt_bitfield_complete(&d));
	bt_bitfield_fini(&d);
	CHECK_INT(bt_bitfield_init(&d, BT_BITFIELD_MAX + 1), ==, BT_E_LIMIT);
	bt_bitfield_fini(&d);

	bt_bitfield_fini(&a);
	bt_bitfield_fini(&b);
	bt_bitfield_fini(&c);
}

static void
test_handshake(void)
{
	uint8_t ih[20], pid[20], res[8] = { 0 }, out[68];
	struct bt_pw_handshake h;
	for (int i = 0; i < 20; i++) {
		ih[i] = (uint8_t)i;
		pid[i] = (uint8_t)(0xa0 + i);
	}
	bt_pw_set_ltep(res);
	bt_pw_set_fast(res);
	bt_pw_set_dht(res);
	CHECK_MEM(res, 8, ((uint8_t[]){ 0, 0, 0, 0, 0, 0x10, 0, 0x05 }), 8);
	bt_pw_handshake_write(out, ih, pid, res);
	CHECK_INT(out[0], ==, 19);
	CHECK_MEMS(out + 1, 19, "BitTorrent protocol");
	CHECK_INT(bt_pw_handshake_parse(out, 68, &h), ==, 68);
	CHECK_MEM(h.info_hash, 20, ih, 20);
	CHECK_MEM(h.peer_id, 20, pid, 20);
	CHECK_MEM(h.reserved, 8, res, 8);
	CHECK(bt_pw_has_ltep(h.reserved));
	CHECK(bt_pw_has_fast(h.reserved));
	CHECK(bt_pw_has_dht(h.reserved));
	int bad = 0;
	for (size_t k = 0; k < 68; k++)
		bad += bt_pw_handshake_parse(out, k, &h) != BT_E_PARTIAL;
	CHECK_INT(bad, ==, 0);
	/* more bytes than 68: only 68 consumed */
	uint8_t more[70];
	memcpy(more, out, 68);
	more[68] = more[69] = 0;
	CHECK_INT(bt_pw_handshake_parse(more, 70, &h), ==, 68);

	bt_pw_handshake_write(out, ih, pid, NULL);
	CHECK_INT(bt_pw_handshake_parse(out, 68, &h), ==, 68);
	CHECK(!bt_pw_has_ltep(h.reserved) && !bt_pw_has_fast(h.reserved) &&
		!bt_pw_has_dht(h.reserved));

	/* a wrong byte in the first 20 fails as soon as it is seen */
	for (size_t k = 0; k < 20; k++) {
		uint8_t bad_hs[68];
		memcpy(bad_hs, out, 68);
		bad_hs[k] ^= 0x20;
		CHECK_INT(bt_pw_handshake_parse(bad_hs, k + 1, &h), ==, BT_E_PROTO);
		CHECK_INT(bt_pw_handshake_parse(bad_hs, 68, &h), ==, BT_E_PROTO);
		if (k > 0)
			CHECK_INT(bt_pw_handshake_parse(bad_hs, k, &h), ==, BT_E_PARTIAL);
	}
	CHECK_INT(bt_pw_handshake_parse((const uint8_t *)"\x13" "BitTorrent Protocol", 20,
			  &h), ==, BT_E_PROTO);
}

static void
test_exthandshake(void)
{
	struct bt_pw_exthandshake h, g;
	struct bt_buf b;
	/* build the input with explicit lengths */
	static const uint8_t in[] = "d1:md11:ut_metadatai3e6:ut_pexi1e11:lt_donthavei0ee"
				    "13:metadata_sizei31235e1:pi6881e4:reqqi500e1:v14:uTorrent 3.5.5"
				    "6:yourip4:\x0a\x00\x00\x01" "7:unknownl1:xee";
	CHECK_INT(bt_pw_exthandshake_parse(in, sizeof(in) - 1, &h), ==, 0);
	/* trailing bytes after the dictionary are refused */
	CHECK_INT(bt_pw_exthandshake_parse(in, sizeof(in), &h), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_exthandshake_parse(in, sizeof(in) - 1, &h), ==, 0);
	CHECK_INT(h.nm, ==, 3);
	CHECK_INT(bt_pw_ext_lookup(&h, "ut_metadata"), ==, 3);
	CHECK_INT(bt_pw_ext_lookup(&h, "ut_pex"), ==, 1);
	CHECK_INT(bt_pw_ext_lookup(&h, "lt_donthave"), ==, 0);
	CHECK_INT(bt_pw_ext_lookup(&h, "nope"), ==, 0);
	CHECK_INT(h.metadata_size, ==, 31235);
	CHECK_INT(h.port, ==, 6881);
	CHECK_INT(h.reqq, ==, 500);
	CHECK_STR(h.v, "uTorrent 3.5.5");
	CHECK_MEM(h.yourip, h.yourip_len, "\x0a\x00\x00\x01", 4);

	/* write ours, parse it back, and check it is canonical */
	bt_buf_init(&b, 0);
	CHECK_INT(bt_pw_exthandshake_write(&b, &h), ==, 0);
	CHECK_MEM(b.p, b.len,
		"d1:md11:lt_donthavei0e11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e"
		"1:pi6881e4:reqqi500e1:v14:uTorrent 3.5.56:yourip4:\x0a\x00\x00\x01" "e",
		sizeof("d1:md11:lt_donthavei0e11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e"
		       "1:pi6881e4:reqqi500e1:v14:uTorrent 3.5.56:yourip4:\x0a\x00\x00\x01" "e") - 1);
	CHECK_INT(bt_pw_exthandshake_parse(b.p, b.len, &g), ==, 0);
	CHECK_INT(g.nm, ==, 3);
	CHECK_INT(bt_pw_ext_lookup(&g, "ut_metadata"), ==, 3);
	CHECK_STR(g.v, "uTorrent 3.5.5");
	CHECK_INT(g.port, ==, 6881);
	CHECK_INT(g.reqq, ==, 500);
	CHECK_INT(g.metadata_size, ==, 31235);
	CHECK_INT(g.yourip_len, ==, 4);

	/* minimal */
	bt_pw_exthandshake_init(&g);
	b.len = 0;
	CHECK_INT(bt_pw_exthandshake_write(&b, &g), ==, 0);
	CHECK_MEMS(b.p, b.len, "d1:mdee");
	CHECK_INT(bt_pw_ext_add(&g, "ut_pex", 2), ==, 0);
	CHECK_INT(bt_pw_ext_add(&g, "ut_pex", 4), ==, 0);
	CHECK_INT(g.nm, ==, 1);
	CHECK_INT(bt_pw_ext_add(&g, "", 4), ==, BT_E_INVAL);
	g.port = 1;
	b.len = 0;
	CHECK_INT(bt_pw_exthandshake_write(&b, &g), ==, 0);
	CHECK_MEMS(b.p, b.len, "d1:md6:ut_pexi4ee1:pi1ee");
	/* duplicates made by hand are refused */
	g.m[1] = g.m[0];
	g.nm = 2;
	b.len = 0;
	CHECK_INT(bt_pw_exthandshake_write(&b, &g), ==, BT_E_INVAL);
	/* table full */
	bt_pw_exthandshake_init(&g);
	char nm[8];
	for (int i = 0; i < BT_PW_EXT_MAX; i++) {
		nm[0] = 'a' + (char)(i / 26);
		nm[1] = 'a' + (char)(i % 26);
		nm[2] = 0;
		CHECK_INT(bt_pw_ext_add(&g, nm, (uint8_t)(BT_PW_EXT_MAX - i)), ==, 0);
	}
	CHECK_INT(bt_pw_ext_add(&g, "zz", 1), ==, BT_E_LIMIT);
	b.len = 0;
	CHECK_INT(bt_pw_exthandshake_write(&b, &g), ==, 0);
	CHECK_INT(bt_pw_exthandshake_parse(b.p, b.len, &h), ==, 0);
	CHECK_INT(h.nm, ==, BT_PW_EXT_MAX);
	CHECK_INT(bt_pw_ext_lookup(&h, "ab"), ==, BT_PW_EXT_MAX - 1);

	/* lenient: wrong types and ranges ignored, unsorted keys accepted */
	static const char *odd =
		"d1:v3:abc1:pi70000e4:reqqi-1e13:metadata_sizei-5e6:yourip3:abc"
		"1:md1:ai256e1:bi-1e1:c3:xyz1:di7eee";
	CHECK_INT(bt_pw_exthandshake_parse((const uint8_t *)odd, strlen(odd), &h), ==, 0);
	CHECK_INT(h.nm, ==, 1);
	CHECK_INT(bt_pw_ext_lookup(&h, "d"), ==, 7);
	CHECK_INT(h.port, ==, 0);
	CHECK_INT(h.reqq, ==, 0);
	CHECK_INT(h.metadata_size, ==, -1);
	CHECK_INT(h.yourip_len, ==, 0);
	CHECK_STR(h.v, "abc");
	static const char *noms = "d1:mi5ee";
	CHECK_INT(bt_pw_exthandshake_parse((const uint8_t *)noms, strlen(noms), &h), ==, 0);
	CHECK_INT(h.nm, ==, 0);
	/* not a dictionary, or not bencode */
	CHECK_INT(bt_pw_exthandshake_parse((const uint8_t *)"le", 2, &h), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_exthandshake_parse((const uint8_t *)"d1:m", 4, &h), ==, BT_E_PROTO);
	CHECK_INT(bt_pw_exthandshake_parse((const uint8_t *)"", 0, &h), ==, BT_E_PROTO);
	/* long v is cut */
	struct bt_buf lv;
	bt_buf_init(&lv, 0);
	bt_buf_adds(&lv, "d1:v300:");
	for (int i = 0; i < 300; i++)
		bt_buf_addc(&lv, 'x');
	bt_buf_adds(&lv, "e");
	CHECK_INT(bt_pw_exthandshake_parse(lv.p, lv.len, &h), ==, 0);
	CHECK_INT(strlen(h.v), ==, BT_PW_EXT_V_MAX);
	bt_buf_free(&lv);

	/* through the message layer */
	b.len = 0;
	bt_pw_exthandshake_init(&g);
	bt_pw_ext_add(&g, "ut_metadata", 1);
	struct bt_buf pay;
	bt_buf_init(&pay, 0);
	CHECK_INT(bt_pw_exthandshake_write(&pay, &g), ==, 0);
	CHECK_INT(bt_pw_write_extended(&b, 0, pay.p, pay.len), ==, 0);
	struct bt_pw_msg m;
	CHECK_INT(bt_pw_parse(b.p, b.len, NULL, &m), ==, (long long)b.len);
	CHECK_INT(m.ext_id, ==, 0);
	CHECK_INT(bt_pw_exthandshake_parse(m.payload, m.payload_len, &h), ==, 0);
	CHECK_INT(bt_pw_ext_lookup(&h, "ut_metadata"), ==, 1);
	bt_buf_free(&pay);
	bt_buf_free(&b);
}

int
main(void)
{
	test_roundtrip();
	test_lengths();
	test_limits();
	test_unknown_and_fast();
	test_stream();
	test_bitfield_msg();
	test_bitfield();
	test_handshake();
	test_exthandshake();
	return check_summary("peerwire");
}
