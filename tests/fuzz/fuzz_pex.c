/* fuzz_pex.c - libFuzzer target for the ut_pex message parser (BEP 11).
 *
 * Any input must parse or fail with BT_E_PARSE / BT_E_LIMIT / BT_E_NOMEM;
 * a parse must keep its lists inside the input, and the added and
 * dropped peers written again (up to BT_PEX_WRITE_MAX of each) must parse
 * to the same peers and flags. */
#include "buf.h"
#include "err.h"
#include "pex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_pex.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

static struct bt_pex_peer added[BT_PEX_WRITE_MAX], dropped[BT_PEX_WRITE_MAX];

/* Up to BT_PEX_WRITE_MAX peers of lists a and b of m into out. */
static size_t
collect(const struct bt_pex_msg *m, enum bt_pex_list a, enum bt_pex_list b,
	struct bt_pex_peer *out)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n[a] && n < BT_PEX_WRITE_MAX; i++)
		bt_pex_get(m, a, i, &out[n++]);
	for (size_t i = 0; i < m->n[b] && n < BT_PEX_WRITE_MAX; i++)
		bt_pex_get(m, b, i, &out[n++]);
	return n;
}

static void
check_again(const struct bt_pex_msg *m)
{
	size_t na = collect(m, BT_PEX_ADDED, BT_PEX_ADDED6, added);
	size_t nd = collect(m, BT_PEX_DROPPED, BT_PEX_DROPPED6, dropped);
	struct bt_pex_msg again;
	struct bt_pex_peer p;
	struct bt_buf b;
	size_t k = 0;

	bt_buf_init(&b, 0);
	if (bt_pex_write(&b, added, na, dropped, nd) != 0) {
		ASSERT(b.err);
		bt_buf_free(&b);
		return;
	}
	ASSERT(b.len <= BT_PEX_MSG_MAX);
	ASSERT(bt_pex_parse(&again, b.p, b.len) == 0);
	ASSERT(again.n[BT_PEX_ADDED] + again.n[BT_PEX_ADDED6] == na);
	ASSERT(again.n[BT_PEX_DROPPED] + again.n[BT_PEX_DROPPED6] == nd);
	/* added[] holds the IPv4 peers first, as the writer puts them. */
	for (int l = BT_PEX_ADDED; l <= BT_PEX_ADDED6; l++)
		for (size_t i = 0; i < again.n[l]; i++, k++) {
			bt_pex_get(&again, (enum bt_pex_list)l, i, &p);
			ASSERT(bt_pex_peer_eq(&p, &added[k]) && p.flags == added[k].flags);
		}
	bt_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_pex_msg m;
	int rc = bt_pex_parse(&m, data, size);

	if (rc < 0) {
		ASSERT(rc == BT_E_PARSE || rc == BT_E_LIMIT || rc == BT_E_NOMEM);
		for (int l = 0; l < BT_PEX_NLISTS; l++)
			ASSERT(m.list[l] == NULL && m.n[l] == 0);
		return 0;
	}
	for (int l = 0; l < BT_PEX_NLISTS; l++) {
		size_t es = l == BT_PEX_ADDED || l == BT_PEX_DROPPED ? 6 : 18;
		if (!m.n[l])
			continue;
		ASSERT(m.list[l] >= data && m.list[l] + m.n[l] * es <= data + size);
	}
	check_again(&m);
	return 0;
}
