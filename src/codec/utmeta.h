/* utmeta.h - the ut_metadata message (BEP 9), as bytes: a bencoded
 * dictionary { msg_type: 0 request | 1 data | 2 reject, piece: N,
 * total_size: N (data only) }, then, for data, the piece's bytes.  No
 * policy (what to ask for, what to serve: src/client/ext_metadata.c).
 *
 * The dictionary is parsed with small bounds (depth 2, 16 tokens,
 * strings of at most 64 bytes); what follows it is the payload.  Missing
 * or non-integer keys read as -1. */
#ifndef BT_UTMETA_H
#define BT_UTMETA_H

#include <stddef.h>
#include <stdint.h>

enum { BT_UTMETA_REQUEST = 0, BT_UTMETA_DATA = 1, BT_UTMETA_REJECT = 2 };

struct bt_utmeta_msg {
	int64_t type, piece, total;	/* -1: absent */
	size_t head_len;		/* the dictionary's bytes; the payload follows */
};

/* Parse p[0..n) into m.  0, or BT_E_PARSE when it does not start with a
 * bencoded dictionary within the bounds (BT_E_NOMEM when out of memory). */
int bt_utmeta_parse(struct bt_utmeta_msg *m, const uint8_t *p, size_t n);

#endif
