/* utmeta.c - see utmeta.h */
#include "utmeta.h"

#include <string.h>

#include "benc.h"
#include "err.h"

static int64_t
int_of(struct bt_benc *d, const char *key)
{
	int64_t v = -1;
	int t = bt_benc_dict_get(d, 0, key);

	if (t < 0 || bt_benc_int(d, t, &v) < 0)
		return -1;
	return v;
}

int
bt_utmeta_parse(struct bt_utmeta_msg *m, const uint8_t *p, size_t n)
{
	static const struct bt_benc_lim lim = {
		.depth = 2, .tokens = 16, .str_max = 64, .trailing_ok = 1,
	};
	struct bt_benc d;
	int rc;

	memset(m, 0, sizeof(*m));
	m->type = m->piece = m->total = -1;
	memset(&d, 0, sizeof(d));
	rc = bt_benc_parse(&d, p, n, &lim, NULL);
	if (rc < 0 || bt_benc_type(&d, 0) != BT_BENC_DICT) {
		bt_benc_free(&d);
		return rc == BT_E_NOMEM ? BT_E_NOMEM : BT_E_PARSE;
	}
	m->head_len = d.len;
	m->type = int_of(&d, "msg_type");
	m->piece = int_of(&d, "piece");
	m->total = int_of(&d, "total_size");
	bt_benc_free(&d);
	return 0;
}
