/* dfile.c - see dfile.h */
#include "dfile.h"
#include "benc.h"
#include "err.h"
#include "net.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

struct tsave {
	uint8_t hash[20];
	uint32_t downloaded;
	uint8_t keep;
};

struct tlist {
	struct tsave *t;
	size_t n, cap;
	int err;
};

static int
collect_torrent(void *ud, const struct bt_store_torrent_info *ti)
{
	struct tlist *l = ud;
	if (l->n >= BT_DFILE_MAX_TORRENTS) {
		l->err = BT_E_LIMIT;
		return 1;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct tsave *nt = realloc(l->t, nc * sizeof(*nt));
		if (!nt) {
			l->err = BT_E_NOMEM;
			return 1;
		}
		l->t = nt;
		l->cap = nc;
	}
	struct tsave *t = &l->t[l->n++];
	memcpy(t->hash, ti->info_hash, 20);
	t->downloaded = ti->downloaded;
	t->keep = ti->keep ? 1 : 0;
	return 0;
}

static int
cmp_tsave(const void *a, const void *b)
{
	return memcmp(((const struct tsave *)a)->hash, ((const struct tsave *)b)->hash, 20);
}

static int
cmp_rec4(const void *a, const void *b)
{
	return memcmp(a, b, BT_ADDR_COMPACT4);
}

static int
cmp_rec6(const void *a, const void *b)
{
	return memcmp(a, b, BT_ADDR_COMPACT6);
}

struct plist {
	struct bt_buf b4, b6;
	size_t n4, n6;
};

static uint8_t
flag_byte(int seed, unsigned flags)
{
	return (uint8_t)((seed ? BT_DFILE_F_SEED : 0u) |
		(flags & BT_PEER_CRYPTO_OK ? BT_DFILE_F_CRYPTO_OK : 0u) |
		(flags & BT_PEER_CRYPTO_REQ ? BT_DFILE_F_CRYPTO_REQ : 0u) |
		(flags & BT_PEER_REACHABLE ? BT_DFILE_F_REACHABLE : 0u));
}

static int
collect_peer(void *ud, const struct bt_store_peer_info *p)
{
	struct plist *l = ud;
	struct bt_buf *b;
	size_t *n;

	if (p->addr_len == BT_ADDR_COMPACT4) {
		b = &l->b4;
		n = &l->n4;
	} else if (p->addr_len == BT_ADDR_COMPACT6) {
		b = &l->b6;
		n = &l->n6;
	} else {
		return 0;
	}
	if (*n >= BT_DFILE_MAX_PEERS) {
		b->err = BT_E_LIMIT;
		return 1;
	}
	bt_buf_add(b, p->addr, p->addr_len);
	bt_buf_addc(b, flag_byte(p->seed, p->flags));
	(*n)++;
	return b->err != 0;
}

int
bt_dfile_encode(const struct bt_store *s, struct bt_buf *out)
{
	struct tlist tl = { 0 };
	struct plist pl;
	struct bt_bw w;
	int err;

	bt_store_each_torrent(s, collect_torrent, &tl);
	if (tl.err) {
		free(tl.t);
		return tl.err;
	}
	if (tl.n > 1)
		qsort(tl.t, tl.n, sizeof(*tl.t), cmp_tsave);
	bt_buf_init(&pl.b4, 0);
	bt_buf_init(&pl.b6, 0);

	bt_bw_init(&w, out);
	bt_bw_dict(&w);
	bt_bw_key(&w, "torrents");
	bt_bw_dict(&w);
	for (size_t i = 0; i < tl.n && !w.err && !out->err; i++) {
		pl.b4.len = pl.b6.len = 0;
		pl.n4 = pl.n6 = 0;
		bt_store_each_peer(s, tl.t[i].hash, collect_peer, &pl);
		if (pl.b4.err || pl.b6.err) {
			w.err = pl.b4.err ? pl.b4.err : pl.b6.err;
			break;
		}
		if (pl.n4 > 1)
			qsort(pl.b4.p, pl.n4, BT_DFILE_REC4, cmp_rec4);
		if (pl.n6 > 1)
			qsort(pl.b6.p, pl.n6, BT_DFILE_REC6, cmp_rec6);
		bt_bw_keyn(&w, tl.t[i].hash, 20);
		bt_bw_dict(&w);
		bt_bw_key(&w, "downloaded");
		bt_bw_int(&w, tl.t[i].downloaded);
		bt_bw_key(&w, "keep");
		bt_bw_int(&w, tl.t[i].keep);
		bt_bw_key(&w, "peers");
		bt_bw_str(&w, pl.b4.p ? pl.b4.p : (const uint8_t *)"", pl.b4.len);
		bt_bw_key(&w, "peers6");
		bt_bw_str(&w, pl.b6.p ? pl.b6.p : (const uint8_t *)"", pl.b6.len);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	bt_bw_key(&w, "version");
	bt_bw_int(&w, BT_DFILE_VERSION);
	bt_bw_end(&w);
	err = bt_bw_finish(&w);
	bt_buf_free(&pl.b4);
	bt_buf_free(&pl.b6);
	free(tl.t);
	return err;
}

/* ---- loading ---- */

/* A `completed` entry of a BitTornado file. */
struct centry {
	const uint8_t *hash;
	uint32_t n;
	uint8_t used;
};

struct ld {
	const struct bt_benc *d;
	struct bt_store *s;		/* NULL while checking */
	bt_dfile_filter_fn *keep;
	void *ud;
	struct bt_dfile_err *err;
	size_t torrents, peers, skipped, filtered;
	size_t cskipped;		/* unusable `completed` entries */
	struct centry *comp;		/* BitTornado: sorted by hash */
	size_t ncomp;
};

static int
fail(struct ld *c, int code, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct ld *c, int code, size_t off, const char *fmt, ...)
{
	if (c->err) {
		va_list ap;
		c->err->code = code;
		c->err->off = off;
		va_start(ap, fmt);
		bt_vsnprintf(c->err->what, sizeof(c->err->what), fmt, ap);
		va_end(ap);
	}
	return code;
}

static size_t
tok_off(const struct ld *c, int i)
{
	return c->d->tok[i].off;
}

/* Where a string token's bytes start. */
static size_t
str_off(const struct ld *c, int i)
{
	return (size_t)c->d->tok[i].off + c->d->tok[i].hdr;
}

/* Put one peer into the store (when applying), after the filter. */
static int
restore_peer(struct ld *c, const uint8_t *hash, const uint8_t *addr, size_t alen,
	const uint8_t *peer_id, int seed, unsigned flags)
{
	if (!c->s)
		return 0;	/* checking: the filter is asked once, when applying */
	if (c->keep) {
		struct sockaddr_storage sa;
		if (bt_addr_unpack(&sa, addr, alen) < 0 || !c->keep(c->ud, &sa)) {
			c->filtered++;
			return 0;
		}
	}
	c->peers++;
	struct bt_store_req r = {
		.info_hash = hash, .addr = addr, .addr_len = alen,
		.peer_id = peer_id, .event = BT_STORE_EV_NONE, .seed = seed,
		.flags = flags, .numwant = 0, .restored = 1,
	};
	struct bt_store_reply rep;
	uint8_t none[BT_ADDR_COMPACT6 + 20];
	int e = bt_store_announce(c->s, &r, none, &rep);
	return e < 0 ? fail(c, e, 0, "restoring a peer: %s", bt_strerror(e)) : 0;
}

/* Our format: a peers or peers6 string of records of alen + 1 bytes. */
static int
load_peers(struct ld *c, const uint8_t *hash, int tor, size_t alen, const char *key)
{
	const uint8_t *p;
	size_t n, rl = alen + 1;
	int tok = bt_benc_dict_get(c->d, tor, key);

	if (tok < 0)
		return fail(c, BT_E_PARSE, tok_off(c, tor), "torrent without %s", key);
	if (bt_benc_str(c->d, tok, &p, &n) < 0)
		return fail(c, BT_E_PARSE, tok_off(c, tok), "%s is not a string", key);
	if (n % rl)
		return fail(c, BT_E_PARSE, str_off(c, tok),
			"%s is %zu bytes, not a multiple of %zu", key, n, rl);
	if (n / rl > BT_DFILE_MAX_PEERS)
		return fail(c, BT_E_LIMIT, str_off(c, tok), "more than %u peers in %s",
			BT_DFILE_MAX_PEERS, key);
	for (size_t i = 0; i < n; i += rl) {
		uint8_t f = p[i + alen];
		if (f & ~BT_DFILE_F_ALL)
			return fail(c, BT_E_PARSE, str_off(c, tok) + i + alen,
				"unknown peer flags 0x%02x in %s", f, key);
		if (i && memcmp(p + i - rl, p + i, alen) >= 0)
			return fail(c, BT_E_PARSE, str_off(c, tok) + i,
				"%s not in ascending order or repeated", key);
		unsigned fl = (f & BT_DFILE_F_CRYPTO_OK ? BT_PEER_CRYPTO_OK : 0u) |
			(f & BT_DFILE_F_CRYPTO_REQ ? BT_PEER_CRYPTO_REQ : 0u) |
			(f & BT_DFILE_F_REACHABLE ? BT_PEER_REACHABLE : 0u);
		int e = restore_peer(c, hash, p + i, alen, NULL, (f & BT_DFILE_F_SEED) != 0, fl);
		if (e < 0)
			return e;
	}
	return 0;
}

static int
get_uint(struct ld *c, int tor, const char *key, uint32_t max, uint32_t *out)
{
	int v = bt_benc_dict_get(c->d, tor, key);
	int64_t x;

	if (v < 0)
		return fail(c, BT_E_PARSE, tok_off(c, tor), "torrent without %s", key);
	if (bt_benc_int(c->d, v, &x) < 0)
		return fail(c, BT_E_PARSE, tok_off(c, v), "%s is not an integer", key);
	if (x < 0 || (uint64_t)x > max)
		return fail(c, BT_E_INVAL, tok_off(c, v), "%s out of range", key);
	*out = (uint32_t)x;
	return 0;
}

static int
load_ours(struct ld *c, int root)
{
	const struct bt_benc *d = c->d;
	int tors = bt_benc_dict_get(d, root, "torrents");
	int k, v = -1, e;

	if (tors < 0)
		return fail(c, BT_E_PARSE, 0, "no torrents dictionary");
	if (bt_benc_type(d, tors) != BT_BENC_DICT)
		return fail(c, BT_E_PARSE, tok_off(c, tors), "torrents is not a dictionary");
	for (k = bt_benc_first(d, tors); k >= 0; k = bt_benc_next(d, tors, v)) {
		const uint8_t *hash;
		size_t hl;
		uint32_t down, keep;

		v = bt_benc_next(d, tors, k);
		bt_benc_str(d, k, &hash, &hl);
		if (hl != 20)
			return fail(c, BT_E_PARSE, tok_off(c, k),
				"info hash of %zu bytes, not 20", hl);
		if (bt_benc_type(d, v) != BT_BENC_DICT)
			return fail(c, BT_E_PARSE, tok_off(c, v), "torrent is not a dictionary");
		if (++c->torrents > BT_DFILE_MAX_TORRENTS)
			return fail(c, BT_E_LIMIT, tok_off(c, k), "more than %u torrents",
				BT_DFILE_MAX_TORRENTS);
		if ((e = get_uint(c, v, "downloaded", UINT32_MAX, &down)) < 0 ||
		    (e = get_uint(c, v, "keep", 1, &keep)) < 0)
			return e;
		if (c->s && (e = bt_store_touch(c->s, hash, (int)keep, down)) < 0)
			return fail(c, e, tok_off(c, k), "restoring a torrent: %s", bt_strerror(e));
		if ((e = load_peers(c, hash, v, BT_ADDR_COMPACT4, "peers")) < 0 ||
		    (e = load_peers(c, hash, v, BT_ADDR_COMPACT6, "peers6")) < 0)
			return e;
	}
	return 0;
}

/* ---- BitTornado's format ---- */

static int
cmp_centry(const void *a, const void *b)
{
	return memcmp(((const struct centry *)a)->hash, ((const struct centry *)b)->hash, 20);
}

/* Collect the valid `completed` entries, sorted, for lookups by hash. */
static int
collect_completed(struct ld *c, int comp)
{
	const struct bt_benc *d = c->d;
	int n = bt_benc_count(d, comp), k, v = -1;

	c->comp = calloc(n > 0 ? (size_t)n : 1, sizeof(*c->comp));
	if (!c->comp)
		return fail(c, BT_E_NOMEM, 0, "out of memory");
	for (k = bt_benc_first(d, comp); k >= 0; k = bt_benc_next(d, comp, v)) {
		const uint8_t *h;
		size_t hl;
		int64_t x;

		v = bt_benc_next(d, comp, k);
		bt_benc_str(d, k, &h, &hl);
		if (hl != 20 || bt_benc_int(d, v, &x) < 0 || x < 0 || x > UINT32_MAX) {
			c->cskipped++;
			continue;
		}
		c->comp[c->ncomp].hash = h;
		c->comp[c->ncomp].n = (uint32_t)x;
		c->ncomp++;
	}
	if (c->ncomp > 1)
		qsort(c->comp, c->ncomp, sizeof(*c->comp), cmp_centry);
	return 0;
}

static struct centry *
find_completed(struct ld *c, const uint8_t *hash)
{
	struct centry key = { .hash = hash };
	if (!c->ncomp)
		return NULL;
	return bsearch(&key, c->comp, c->ncomp, sizeof(key), cmp_centry);
}

/* supportcrypto / requirecrypto: an integer, or a string ("0", "1"). */
static int
truthy(const struct bt_benc *d, int v)
{
	int64_t x;
	const uint8_t *p;
	size_t n;

	if (bt_benc_int(d, v, &x) == 0)
		return x != 0;
	if (bt_benc_str(d, v, &p, &n) == 0)
		return !(n == 0 || (n == 1 && p[0] == '0'));
	return 0;
}

/* An address as text, without a port: "1.2.3.4" or an IPv6 address. */
static size_t
text_addr(const struct bt_benc *d, int v, uint16_t port, uint8_t *compact)
{
	const uint8_t *p;
	size_t n, colons = 0;
	struct sockaddr_storage sa;

	if (bt_benc_str(d, v, &p, &n) < 0 || n == 0 || n > 64 || p[0] == '[')
		return 0;
	for (size_t i = 0; i < n; i++)
		colons += p[i] == ':';
	if (colons == 1 || memchr(p, 0, n))
		return 0;
	if (bt_addr_parse(&sa, (const char *)p, n, port) < 0)
		return 0;
	return bt_addr_pack(compact, &sa);
}

/* One peer of a BitTornado torrent: 0 (restored or skipped) or BT_E_*. */
static int
bittornado_peer(struct ld *c, const uint8_t *hash, int idk, int info,
	size_t *n4, size_t *n6)
{
	const struct bt_benc *d = c->d;
	const uint8_t *id;
	size_t idl, alen;
	int64_t port, left, nat;
	uint8_t addr[BT_ADDR_COMPACT6];
	int v;

	bt_benc_str(d, idk, &id, &idl);
	if (idl != 20 || bt_benc_type(d, info) != BT_BENC_DICT ||
	    bt_benc_int(d, bt_benc_dict_get(d, info, "port"), &port) < 0 ||
	    port < 0 || port > 65535 ||
	    bt_benc_int(d, bt_benc_dict_get(d, info, "left"), &left) < 0 || left < 0)
		goto skip;
	alen = 0;
	if ((v = bt_benc_dict_get(d, info, "given ip")) >= 0 ||
	    (v = bt_benc_dict_get(d, info, "given_ip")) >= 0)
		alen = text_addr(d, v, (uint16_t)port, addr);
	if (!alen)
		alen = text_addr(d, bt_benc_dict_get(d, info, "ip"), (uint16_t)port, addr);
	if (!alen)
		goto skip;
	size_t *cnt = alen == BT_ADDR_COMPACT4 ? n4 : n6;
	if (++*cnt > BT_DFILE_MAX_PEERS)
		return fail(c, BT_E_LIMIT, tok_off(c, idk), "more than %u peers in a torrent",
			BT_DFILE_MAX_PEERS);
	int req = (v = bt_benc_dict_get(d, info, "requirecrypto")) >= 0 && truthy(d, v);
	int sup = req || ((v = bt_benc_dict_get(d, info, "supportcrypto")) >= 0 && truthy(d, v));
	int reach = bt_benc_int(d, bt_benc_dict_get(d, info, "nat"), &nat) == 0 && nat == 0;
	unsigned flags = (sup ? BT_PEER_CRYPTO_OK : 0u) | (req ? BT_PEER_CRYPTO_REQ : 0u) |
		(reach ? BT_PEER_REACHABLE : 0u);
	return restore_peer(c, hash, addr, alen, id, left == 0, flags);
skip:
	c->skipped++;
	return 0;
}

static int
load_bittornado(struct ld *c, int root)
{
	const struct bt_benc *d = c->d;
	int peers = bt_benc_dict_get(d, root, "peers");
	int k, v = -1, e;

	for (size_t i = 0; i < c->ncomp; i++)
		c->comp[i].used = 0;
	if (peers >= 0) {
		for (k = bt_benc_first(d, peers); k >= 0; k = bt_benc_next(d, peers, v)) {
			const uint8_t *hash;
			size_t hl, n4 = 0, n6 = 0;
			int pk, pv = -1;

			v = bt_benc_next(d, peers, k);
			bt_benc_str(d, k, &hash, &hl);
			if (hl != 20 || bt_benc_type(d, v) != BT_BENC_DICT) {
				c->skipped++;
				continue;
			}
			if (++c->torrents > BT_DFILE_MAX_TORRENTS)
				return fail(c, BT_E_LIMIT, tok_off(c, k), "more than %u torrents",
					BT_DFILE_MAX_TORRENTS);
			struct centry *ce = find_completed(c, hash);
			if (ce)
				ce->used = 1;
			if (c->s && (e = bt_store_touch(c->s, hash, 0, ce ? ce->n : 0)) < 0)
				return fail(c, e, tok_off(c, k), "restoring a torrent: %s",
					bt_strerror(e));
			for (pk = bt_benc_first(d, v); pk >= 0; pk = bt_benc_next(d, v, pv)) {
				pv = bt_benc_next(d, v, pk);
				if ((e = bittornado_peer(c, hash, pk, pv, &n4, &n6)) < 0)
					return e;
			}
		}
	}
	/* Torrents known only by their download count. */
	for (size_t i = 0; i < c->ncomp; i++) {
		if (c->comp[i].used)
			continue;
		if (++c->torrents > BT_DFILE_MAX_TORRENTS)
			return fail(c, BT_E_LIMIT, 0, "more than %u torrents", BT_DFILE_MAX_TORRENTS);
		if (c->s && (e = bt_store_touch(c->s, c->comp[i].hash, 0, c->comp[i].n)) < 0)
			return fail(c, e, 0, "restoring a torrent: %s", bt_strerror(e));
	}
	return 0;
}

/* ---- entry ---- */

static int
walk(struct ld *c, int fmt, int root)
{
	c->torrents = c->peers = c->filtered = 0;
	c->skipped = c->cskipped;
	return fmt == BT_DFILE_FMT_BT ? load_ours(c, root) : load_bittornado(c, root);
}

int
bt_dfile_load_filtered(struct bt_store *s, const uint8_t *buf, size_t len,
	bt_dfile_filter_fn *keep, void *ud, struct bt_dfile_err *err)
{
	struct bt_benc doc = { 0 };
	struct bt_benc_err be, be2;
	struct bt_benc_lim lim = bt_benc_lim_strict;
	struct ld c = { .d = &doc, .keep = keep, .ud = ud, .err = err };
	int e, fmt, root = 0, ver, strict_ok;

	if (err)
		memset(err, 0, sizeof(*err));
	if (len > BT_DFILE_MAX_BYTES)
		return fail(&c, BT_E_LIMIT, 0, "file larger than %zu bytes", BT_DFILE_MAX_BYTES);
	lim.depth = 16;
	lim.tokens = len / 2 + 16 < (1u << 28) ? (uint32_t)(len / 2 + 16) : (1u << 28);
	/* Canonical first (ours); BitTornado's writer may not be. */
	e = bt_benc_parse(&doc, buf, len, &lim, &be);
	strict_ok = e == 0;
	if (!strict_ok) {
		lim.strict = 0;
		if ((e = bt_benc_parse(&doc, buf, len, &lim, &be2)) < 0) {
			e = fail(&c, e, be2.off, "%s", bt_benc_errstr(be2.code));
			goto out;
		}
	}
	if (bt_benc_type(&doc, root) != BT_BENC_DICT) {
		e = fail(&c, BT_E_PARSE, 0, "not a dictionary");
		goto out;
	}
	if ((ver = bt_benc_dict_get(&doc, root, "version")) >= 0) {
		int64_t x;
		if (!strict_ok) {
			e = fail(&c, BT_E_PARSE, be.off, "%s", bt_benc_errstr(be.code));
			goto out;
		}
		if (bt_benc_int(&doc, ver, &x) < 0) {
			e = fail(&c, BT_E_PARSE, tok_off(&c, ver), "version is not an integer");
			goto out;
		}
		if (x != BT_DFILE_VERSION) {
			e = fail(&c, BT_E_UNSUPPORTED, tok_off(&c, ver),
				"unsupported version %lld", (long long)x);
			goto out;
		}
		fmt = BT_DFILE_FMT_BT;
	} else {
		int p = bt_benc_dict_get(&doc, root, "peers");
		int cp = bt_benc_dict_get(&doc, root, "completed");
		if (p < 0 && cp < 0) {
			e = fail(&c, BT_E_PARSE, 0, "not a tracker state file");
			goto out;
		}
		if (p >= 0 && bt_benc_type(&doc, p) != BT_BENC_DICT) {
			e = fail(&c, BT_E_PARSE, tok_off(&c, p), "peers is not a dictionary");
			goto out;
		}
		if (cp >= 0 && bt_benc_type(&doc, cp) != BT_BENC_DICT) {
			e = fail(&c, BT_E_PARSE, tok_off(&c, cp), "completed is not a dictionary");
			goto out;
		}
		if (cp >= 0 && (e = collect_completed(&c, cp)) < 0)
			goto out;
		fmt = BT_DFILE_FMT_BITTORNADO;
	}
	/* Check everything, then apply the same walk to the store. */
	if ((e = walk(&c, fmt, root)) < 0)
		goto out;
	c.s = s;
	if ((e = walk(&c, fmt, root)) < 0)
		goto out;
	if (err) {
		err->format = fmt;
		err->torrents = c.torrents;
		err->peers = c.peers;
		err->skipped = c.skipped;
		err->filtered = c.filtered;
	}
out:
	free(c.comp);
	bt_benc_free(&doc);
	return e < 0 ? e : 0;
}

int
bt_dfile_load(struct bt_store *s, const uint8_t *buf, size_t len, struct bt_dfile_err *err)
{
	return bt_dfile_load_filtered(s, buf, len, NULL, NULL, err);
}
