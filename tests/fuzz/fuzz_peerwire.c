/* fuzz_peerwire.c - the peer protocol codec on hostile input: the bytes
 * are read as a message stream under several limit sets, as a handshake,
 * as an extended-handshake payload (whose re-encoding must parse back to
 * the same values) and as a wire bitfield. */
#include "bitfield.h"
#include "buf.h"
#include "err.h"
#include "peerwire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct bt_pw_limits lims[] = {
	{ 0 },
	{ .fast = 1, .allow_unknown = 1 },
	{ .fast = 1, .npieces = 13, .max_message = 4096 },
	{ .npieces = 1000, .max_block = 131072, .allow_unknown = 1 },
};

static void
stream(const uint8_t *data, size_t size, const struct bt_pw_limits *lim)
{
	size_t off = 0;
	struct bt_pw_msg m;
	for (;;) {
		int rc = bt_pw_parse(data + off, size - off, lim, &m);
		if (rc == BT_E_PARTIAL || rc == BT_E_PROTO) {
			if (rc == BT_E_PROTO && !m.why)
				abort();
			return;
		}
		if (rc < 4 || (size_t)rc > size - off)
			abort();
		if (m.payload && (m.payload < data + off ||
					 m.payload + m.payload_len > data + off + (size_t)rc))
			abort();
		if (m.id == BT_PW_PIECE && m.length > (lim->max_block ? lim->max_block :
								 BT_PW_MAX_BLOCK))
			abort();
		if (lim->npieces && m.id == BT_PW_HAVE && m.index >= lim->npieces)
			abort();
		off += (size_t)rc;
	}
}

static void
ext_roundtrip(const uint8_t *data, size_t size)
{
	struct bt_pw_exthandshake h, g;
	if (bt_pw_exthandshake_parse(data, size, &h) != 0)
		return;
	struct bt_buf b;
	bt_buf_init(&b, 1u << 20);
	int rc = bt_pw_exthandshake_write(&b, &h);
	if (rc == 0) {
		if (bt_pw_exthandshake_parse(b.p, b.len, &g) != 0)
			abort();
		if (g.nm != h.nm || g.port != h.port || g.reqq != h.reqq ||
			g.metadata_size != h.metadata_size || g.yourip_len != h.yourip_len ||
			strcmp(g.v, h.v) != 0)
			abort();
		for (unsigned i = 0; i < h.nm; i++)
			if (bt_pw_ext_lookup(&g, h.m[i].name) != h.m[i].id)
				abort();
	} else if (rc != BT_E_INVAL) {
		abort();
	}
	bt_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++)
		stream(data, size, &lims[i]);

	struct bt_pw_handshake hs;
	int rc = bt_pw_handshake_parse(data, size, &hs);
	if (rc == BT_PW_HANDSHAKE_LEN) {
		uint8_t out[BT_PW_HANDSHAKE_LEN];
		bt_pw_handshake_write(out, hs.info_hash, hs.peer_id, hs.reserved);
		if (memcmp(out, data, BT_PW_HANDSHAKE_LEN) != 0)
			abort();
	} else if (rc != BT_E_PARTIAL && rc != BT_E_PROTO) {
		abort();
	}

	ext_roundtrip(data, size);

	/* first byte picks a piece count; the rest is the wire bitfield */
	if (size >= 1) {
		struct bt_bitfield bf;
		uint32_t n = (uint32_t)(size - 1) * 8 - (data[0] & 7);
		if (size == 1)
			n = 0;
		if (bt_bitfield_init(&bf, n) == 0) {
			if (bt_bitfield_from_wire(&bf, data + 1, size - 1) == 0) {
				uint32_t c = 0;
				for (uint32_t i = 0; i < n; i++)
					c += (uint32_t)bt_bitfield_test(&bf, i);
				if (c != bt_bitfield_count(&bf))
					abort();
				uint32_t fm = bt_bitfield_first_missing(&bf, 0);
				if (fm < n && bt_bitfield_test(&bf, fm))
					abort();
			}
		}
		bt_bitfield_fini(&bf);
	}
	return 0;
}
