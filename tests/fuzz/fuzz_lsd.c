/* fuzz_lsd.c - libFuzzer target for the BT-SEARCH message parser of local
 * service discovery (BEP 14, lsd.h).
 *
 * Any input must parse or fail with BT_E_PARSE / BT_E_LIMIT, leaving the
 * message empty; a parse must give a port, 1..BT_LSD_HASHES_MAX hashes
 * and a bounded cookie, and the message written again must parse to the
 * same port and hashes. */
#include "err.h"
#include "lsd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_lsd.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_lsd_msg m, again;
	char out[BT_LSD_MSG_MAX];
	int rc = bt_lsd_parse(&m, data, size), n;

	if (rc < 0) {
		ASSERT(rc == BT_E_PARSE || rc == BT_E_LIMIT);
		ASSERT(m.nhash == 0 && m.port == 0 && m.cookie_len == 0);
		return 0;
	}
	ASSERT(m.port > 0 && m.nhash >= 1 && m.nhash <= BT_LSD_HASHES_MAX);
	ASSERT(m.cookie_len <= BT_LSD_COOKIE_MAX);
	n = bt_lsd_write(out, sizeof(out), BT_LSD_GROUP4, m.port, (const uint8_t (*)[20])m.hash,
		m.nhash, NULL);
	ASSERT(n > 0);
	ASSERT(bt_lsd_parse(&again, (const uint8_t *)out, (size_t)n) == 0);
	ASSERT(again.port == m.port && again.nhash == m.nhash);
	ASSERT(memcmp(again.hash, m.hash, m.nhash * 20) == 0);
	return 0;
}
