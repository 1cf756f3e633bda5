/* fuzz_utmeta.c - libFuzzer target for the ut_metadata message parser
 * (BEP 9, utmeta.h).
 *
 * Any input must parse or fail with BT_E_PARSE / BT_E_NOMEM; a parse must
 * put the dictionary's end inside the input, and parsing the dictionary
 * alone must give the same fields. */
#include "err.h"
#include "utmeta.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_utmeta.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_utmeta_msg m, head;
	int rc = bt_utmeta_parse(&m, data, size);

	if (rc < 0) {
		ASSERT(rc == BT_E_PARSE || rc == BT_E_NOMEM);
		ASSERT(m.type == -1 && m.piece == -1 && m.total == -1 && m.head_len == 0);
		return 0;
	}
	ASSERT(m.head_len >= 2 && m.head_len <= size);
	ASSERT(bt_utmeta_parse(&head, data, m.head_len) == 0);
	ASSERT(head.head_len == m.head_len && head.type == m.type && head.piece == m.piece &&
		head.total == m.total);
	return 0;
}
