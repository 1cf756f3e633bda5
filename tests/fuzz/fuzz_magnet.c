/* fuzz_magnet.c - libFuzzer target for the magnet URI parser.
 *
 * Any input must parse or fail with a static reason; a parse must keep
 * every bound, give ranges with first <= last, and a link written again
 * from what it found must parse to the same info hash, name and
 * trackers. */
#include "buf.h"
#include "err.h"
#include "magnet.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_magnet.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

static void
check_again(const struct bt_magnet *mg)
{
	struct bt_magnet again;
	struct bt_buf b;

	bt_buf_init(&b, 0);
	if (bt_magnet_write(&b, mg->info_hash, mg->dn, (const char *const *)mg->tr,
		mg->ntr) == 0 && bt_magnet_parse(&again, (const char *)b.p, b.len, NULL) == 0) {
		ASSERT(memcmp(again.info_hash, mg->info_hash, 20) == 0);
		ASSERT((again.dn == NULL) == (mg->dn == NULL));
		ASSERT(!mg->dn || strcmp(again.dn, mg->dn) == 0);
		ASSERT(again.ntr == mg->ntr);
		for (size_t i = 0; i < mg->ntr; i++)
			ASSERT(strcmp(again.tr[i], mg->tr[i]) == 0);
	} else {
		ASSERT(b.err || b.len > BT_MAGNET_MAX_LEN);
	}
	bt_magnet_free(&again);
	bt_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_magnet mg;
	const char *why = NULL;
	int rc = bt_magnet_parse(&mg, (const char *)data, size, &why);

	if (rc == 0) {
		ASSERT(mg.ntr <= BT_MAGNET_MAX_TR && mg.nws <= BT_MAGNET_MAX_WS);
		ASSERT(mg.npeers <= BT_MAGNET_MAX_PEERS && mg.nso <= BT_MAGNET_MAX_SO);
		for (size_t i = 0; i < mg.nso; i++)
			ASSERT(mg.so[i].first <= mg.so[i].last);
		for (size_t i = 0; i < mg.npeers; i++)
			ASSERT(mg.peers[i].port != 0 && mg.peers[i].host[0]);
		check_again(&mg);
	} else {
		ASSERT(rc == BT_E_PARSE || rc == BT_E_LIMIT || rc == BT_E_NOMEM);
		ASSERT(rc == BT_E_NOMEM || (why && why[0]));
	}
	bt_magnet_free(&mg);
	return 0;
}
