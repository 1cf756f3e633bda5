/* pex.c - the ut_pex message (BEP 11): parser and writer (see pex.h). */
#include "pex.h"

#include <string.h>

#include "be.h"
#include "benc.h"
#include "err.h"

static const char *const list_key[BT_PEX_NLISTS] = {
	[BT_PEX_ADDED] = "added",
	[BT_PEX_ADDED6] = "added6",
	[BT_PEX_DROPPED] = "dropped",
	[BT_PEX_DROPPED6] = "dropped6",
};

static size_t
entry_size(enum bt_pex_list l)
{
	return l == BT_PEX_ADDED || l == BT_PEX_DROPPED ? 6 : 18;
}

/* The list l of dictionary 0 into m: 0, or BT_E_PARSE. */
static int
get_list(struct bt_pex_msg *m, const struct bt_benc *d, enum bt_pex_list l)
{
	int t = bt_benc_dict_get(d, 0, list_key[l]);
	const uint8_t *p;
	size_t n;

	if (t < 0)
		return 0;
	if (bt_benc_str(d, t, &p, &n) < 0 || n % entry_size(l) != 0)
		return BT_E_PARSE;
	m->list[l] = p;
	m->n[l] = n / entry_size(l);
	return 0;
}

/* The flags of list l (added or added6), if there are as many as peers. */
static const uint8_t *
get_flags(const struct bt_pex_msg *m, const struct bt_benc *d, enum bt_pex_list l)
{
	int t = bt_benc_dict_get(d, 0, l == BT_PEX_ADDED ? "added.f" : "added6.f");
	const uint8_t *p;
	size_t n;

	if (t < 0 || bt_benc_str(d, t, &p, &n) < 0 || n != m->n[l])
		return NULL;
	return p;
}

int
bt_pex_parse(struct bt_pex_msg *m, const uint8_t *p, size_t n)
{
	static const struct bt_benc_lim lim = {
		.depth = 4, .tokens = 64, .str_max = BT_PEX_MSG_MAX,
	};
	struct bt_benc d;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (n > BT_PEX_MSG_MAX)
		return BT_E_LIMIT;
	memset(&d, 0, sizeof(d));
	rc = bt_benc_parse(&d, p, n, &lim, NULL);
	if (rc == 0 && bt_benc_type(&d, 0) != BT_BENC_DICT)
		rc = BT_E_PARSE;
	else if (rc == BT_E_LIMIT)
		rc = BT_E_PARSE;
	for (int l = 0; l < BT_PEX_NLISTS && rc == 0; l++)
		rc = get_list(m, &d, (enum bt_pex_list)l);
	if (rc == 0) {
		m->flags[0] = get_flags(m, &d, BT_PEX_ADDED);
		m->flags[1] = get_flags(m, &d, BT_PEX_ADDED6);
	}
	bt_benc_free(&d);
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

void
bt_pex_get(const struct bt_pex_msg *m, enum bt_pex_list list, size_t i,
	struct bt_pex_peer *out)
{
	size_t es = entry_size(list);
	const uint8_t *e = m->list[list] + i * es;
	const uint8_t *f = list == BT_PEX_ADDED ? m->flags[0] :
		list == BT_PEX_ADDED6 ? m->flags[1] : NULL;

	memset(out, 0, sizeof(*out));
	out->len = (uint8_t)(es - 2);
	memcpy(out->ip, e, out->len);
	out->port = get16(e + out->len);
	out->flags = f ? f[i] : 0;
}

int
bt_pex_peer_eq(const struct bt_pex_peer *a, const struct bt_pex_peer *b)
{
	return a->len == b->len && a->port == b->port && memcmp(a->ip, b->ip, a->len) == 0;
}

/* The peers of family len (4 or 16) of v[0..n) as compact entries into
 * out (or their flags, when flags is set); the count written. */
static size_t
pack(uint8_t *out, const struct bt_pex_peer *v, size_t n, uint8_t len, int flags)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].len != len)
			continue;
		if (flags) {
			out[k++] = v[i].flags;
			continue;
		}
		memcpy(out + k, v[i].ip, len);
		put16(out + k + len, v[i].port);
		k += (size_t)len + 2;
	}
	return k;
}

/* Key and string of v's peers of family len (or their flags); an empty
 * IPv6 one is left out. */
static void
put(struct bt_bw *w, const char *key, const struct bt_pex_peer *v, size_t n, uint8_t len,
	int flags)
{
	uint8_t buf[BT_PEX_WRITE_MAX * 18];
	size_t k = pack(buf, v, n, len, flags);

	if (k == 0 && len == 16)
		return;
	bt_bw_key(w, key);
	bt_bw_str(w, buf, k);
}

static int
valid(const struct bt_pex_peer *v, size_t n)
{
	if (n > BT_PEX_WRITE_MAX)
		return BT_E_LIMIT;
	for (size_t i = 0; i < n; i++)
		if (v[i].len != 4 && v[i].len != 16)
			return BT_E_INVAL;
	return 0;
}

int
bt_pex_write(struct bt_buf *b, const struct bt_pex_peer *added, size_t nadded,
	const struct bt_pex_peer *dropped, size_t ndropped)
{
	struct bt_bw w;
	int rc;

	if ((rc = valid(added, nadded)) < 0 || (rc = valid(dropped, ndropped)) < 0)
		return rc;
	bt_bw_init(&w, b);
	bt_bw_dict(&w);	/* keys in byte order */
	put(&w, "added", added, nadded, 4, 0);
	put(&w, "added.f", added, nadded, 4, 1);
	put(&w, "added6", added, nadded, 16, 0);
	put(&w, "added6.f", added, nadded, 16, 1);
	put(&w, "dropped", dropped, ndropped, 4, 0);
	put(&w, "dropped6", dropped, ndropped, 16, 0);
	bt_bw_end(&w);
	return bt_bw_finish(&w);
}
