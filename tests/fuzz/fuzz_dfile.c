/* fuzz_dfile.c - libFuzzer target: load the input as a tracker state file
 * (ours or BitTornado's) into a fresh store.  A failed load must leave the
 * store empty; a successful one must encode, load again into another fresh
 * store, and encode to the same bytes. */
#include "buf.h"
#include "dfile.h"
#include "err.h"
#include "store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_store_opts o = { .keep_ids = (int)(size & 1) };
	struct bt_store *s = bt_store_new(&o), *s2 = NULL;
	struct bt_dfile_err err;
	struct bt_buf a, b;
	struct bt_store_stats st;

	if (!s)
		return 0;
	bt_buf_init(&a, 0);
	bt_buf_init(&b, 0);
	int r = bt_dfile_load(s, data, size, &err);
	if (r < 0) {
		if (r == BT_E_NOMEM)
			goto out;
		bt_store_stats(s, &st);
		if (st.torrents != 0 || err.code != r || !err.what[0])
			abort();
		goto out;
	}
	if (err.format != BT_DFILE_FMT_BT && err.format != BT_DFILE_FMT_BITTORNADO)
		abort();
	if (bt_dfile_encode(s, &a) < 0)
		goto out;
	s2 = bt_store_new(NULL);
	if (!s2)
		goto out;
	r = bt_dfile_load(s2, a.p, a.len, &err);
	if (r == BT_E_NOMEM)
		goto out;
	if (r < 0 || err.format != BT_DFILE_FMT_BT)
		abort();
	if (bt_dfile_encode(s2, &b) < 0)
		goto out;
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
out:
	bt_buf_free(&a);
	bt_buf_free(&b);
	bt_store_free(s);
	bt_store_free(s2);
	return 0;
}
