/* store.c - see store.h */
#include "store.h"
#include "err.h"
#include "rand.h"
#include "siphash.h"

#include <stdlib.h>
#include <string.h>

/* Flag byte 0 of a record. */
#define F_CRYPTO_OK	0x01u
#define F_CRYPTO_REQ	0x02u
#define F_REACHABLE	0x04u
#define F_SEED		0x08u
#define F_ALIVE		0x10u	/* announced since the last sweep */
#define F_COUNTED	0x20u	/* its completion is in `downloaded` */
#define F_KEYED		0x40u	/* keys[] holds its key */
/* Flag byte 1: failed NAT checks. */

#define INDEX_FROM	32	/* a list this long gets a hash index */
#define INDEX_UNTIL	16	/* and loses it again below this */

struct pext {			/* what only some lists need */
	uint32_t *index;	/* open addressing: slot + 1, 0 = empty */
	uint32_t icap;		/* power of two */
	uint32_t *keys;		/* per slot, valid where F_KEYED */
};

struct v6list {
	uint32_t n, cap, nseeds;
	struct pext *ext;
	uint8_t *rec;
};

struct trk {
	uint8_t hash[20];
	uint32_t downloaded;
	uint32_t n, cap, nseeds;	/* IPv4 list, records in rec[] */
	uint8_t keep;
	struct pext *ext;
	struct v6list *v6;
	uint8_t rec[];
};

struct bt_store {
	struct trk **tab;
	size_t tcap, tn;	/* slots (power of two), torrents */
	struct bt_sipkey key;	/* for both tables */
	uint64_t rng;
	size_t rs4, rs6;	/* record sizes */
	struct bt_store_opts o;
	uint64_t downloads;	/* completions ever recorded: never goes down */
};

/* A family's list, seen the same way for IPv4 and IPv6. */
struct view {
	uint32_t *n, *cap, *nseeds;
	struct pext **ext;
	uint8_t *rec;
	size_t rsz, alen;
	const struct bt_store *s;
};

/* ---- hashing ---- */

static uint64_t
rnd(struct bt_store *s)
{
	return bt_rand64(&s->rng);
}

/* ---- a peer list ---- */

static uint8_t *
rec_at(const struct view *v, uint32_t i)
{
	return v->rec + (size_t)i * v->rsz;
}

static uint32_t
idx_home(const struct view *v, const uint8_t *addr, uint32_t icap)
{
	return (uint32_t)bt_siphash(&v->s->key, addr, v->alen) & (icap - 1);
}

static void
idx_put(const struct view *v, uint32_t slot)
{
	struct pext *e = *v->ext;
	uint32_t m = e->icap - 1, h = idx_home(v, rec_at(v, slot), e->icap);
	while (e->index[h])
		h = (h + 1) & m;
	e->index[h] = slot + 1;
}

/* Position in the index of the entry for addr, or UINT32_MAX. */
static uint32_t
idx_find(const struct view *v, const uint8_t *addr)
{
	struct pext *e = *v->ext;
	uint32_t m = e->icap - 1, h = idx_home(v, addr, e->icap);
	while (e->index[h]) {
		if (memcmp(rec_at(v, e->index[h] - 1), addr, v->alen) == 0)
			return h;
		h = (h + 1) & m;
	}
	return UINT32_MAX;
}

/* Remove index position h, shifting later entries of the run back. */
static void
idx_remove_at(const struct view *v, uint32_t h)
{
	struct pext *e = *v->ext;
	uint32_t m = e->icap - 1, j = h;
	e->index[h] = 0;
	for (;;) {
		j = (j + 1) & m;
		if (!e->index[j])
			return;
		uint32_t home = idx_home(v, rec_at(v, e->index[j] - 1), e->icap);
		/* Move j back to h unless its home lies cyclically in (h, j]. */
		if (((j - home) & m) >= ((j - h) & m)) {
			e->index[h] = e->index[j];
			e->index[j] = 0;
			h = j;
		}
	}
}

static int
ext_get(struct view *v)
{
	if (!*v->ext && !(*v->ext = calloc(1, sizeof(struct pext))))
		return BT_E_NOMEM;
	return 0;
}

static void
ext_tidy(struct view *v)
{
	struct pext *e = *v->ext;
	if (e && !e->index && !e->keys) {
		free(e);
		*v->ext = NULL;
	}
}

/* Build, grow or drop the index to suit the list's length. */
static int
idx_fit(struct view *v)
{
	struct pext *e = *v->ext;
	uint32_t n = *v->n;

	if (e && e->index && n < INDEX_UNTIL) {
		free(e->index);
		e->index = NULL;
		e->icap = 0;
		ext_tidy(v);
		return 0;
	}
	if (n < INDEX_FROM || (e && e->index && (uint64_t)n * 2 <= e->icap))
		return 0;
	if (ext_get(v) < 0)
		return BT_E_NOMEM;
	e = *v->ext;
	uint32_t cap = 64;
	while (cap < n * 4)
		cap *= 2;
	uint32_t *ni = calloc(cap, sizeof(*ni));
	if (!ni)
		return BT_E_NOMEM;
	free(e->index);
	e->index = ni;
	e->icap = cap;
	for (uint32_t i = 0; i < n; i++)
		idx_put(v, i);
	return 0;
}

static int
find_peer(const struct view *v, const uint8_t *addr)
{
	const struct pext *e = *v->ext;
	if (e && e->index) {
		uint32_t h = idx_find(v, addr);
		return h == UINT32_MAX ? -1 : (int)(e->index[h] - 1);
	}
	for (uint32_t i = 0; i < *v->n; i++)
		if (memcmp(rec_at(v, i), addr, v->alen) == 0)
			return (int)i;
	return -1;
}

/* Move the record in slot `from` to slot `to` (overwriting it). */
static void
move_rec(struct view *v, uint32_t from, uint32_t to)
{
	struct pext *e = *v->ext;
	if (from == to)
		return;
	if (e && e->index) {
		uint32_t h = idx_find(v, rec_at(v, from));
		e->index[h] = to + 1;
	}
	memcpy(rec_at(v, to), rec_at(v, from), v->rsz);
	if (e && e->keys)
		e->keys[to] = e->keys[from];
}

static void
swap_rec(struct view *v, uint32_t a, uint32_t b)
{
	uint8_t tmp[64];
	uint32_t tk = 0;
	struct pext *e = *v->ext;

	if (a == b)
		return;
	if (e && e->index) {
		uint32_t ha = idx_find(v, rec_at(v, a)), hb = idx_find(v, rec_at(v, b));
		e->index[ha] = b + 1;
		e->index[hb] = a + 1;
	}
	memcpy(tmp, rec_at(v, a), v->rsz);
	memcpy(rec_at(v, a), rec_at(v, b), v->rsz);
	memcpy(rec_at(v, b), tmp, v->rsz);
	if (e && e->keys) {
		tk = e->keys[a];
		e->keys[a] = e->keys[b];
		e->keys[b] = tk;
	}
}

/* Remove slot i keeping [leechers | seeds] packed. */
static void
remove_peer(struct view *v, uint32_t i)
{
	uint32_t n = *v->n, lee = n - *v->nseeds;
	struct pext *e = *v->ext;

	if (e && e->index)
		idx_remove_at(v, idx_find(v, rec_at(v, i)));
	if (i < lee) {
		/* The last leecher fills the hole, the last seed fills its place. */
		move_rec(v, lee - 1, i);
		move_rec(v, n - 1, lee - 1);
	} else {
		(*v->nseeds)--;
		move_rec(v, n - 1, i);
	}
	(*v->n)--;
	idx_fit(v);	/* shrinking never fails */
}

/* Turn leecher slot i into a seed; returns its new slot. */
static uint32_t
make_seed(struct view *v, uint32_t i)
{
	uint32_t last_lee = *v->n - *v->nseeds - 1;
	swap_rec(v, i, last_lee);
	(*v->nseeds)++;
	rec_at(v, last_lee)[v->alen] |= F_SEED;
	return last_lee;
}

static uint32_t
make_leecher(struct view *v, uint32_t i)
{
	uint32_t first_seed = *v->n - *v->nseeds;
	swap_rec(v, i, first_seed);
	(*v->nseeds)--;
	rec_at(v, first_seed)[v->alen] &= (uint8_t)~F_SEED;
	return first_seed;
}

/* Append a record (room is there); returns its slot. */
static uint32_t
insert_peer(struct view *v, const uint8_t *addr, int seed, const uint8_t *peer_id)
{
	uint32_t slot = *v->n;
	uint8_t *r = rec_at(v, slot);

	memset(r, 0, v->rsz);
	memcpy(r, addr, v->alen);
	if (peer_id && v->rsz >= v->alen + 22)
		memcpy(r + v->alen + 2, peer_id, 20);
	(*v->n)++;
	if (*v->ext && (*v->ext)->index)
		idx_put(v, slot);
	if (seed) {
		(*v->nseeds)++;
		r[v->alen] |= F_SEED;
		return slot;
	}
	/* A leecher goes before the first seed. */
	uint32_t first_seed = slot - (*v->nseeds);
	swap_rec(v, slot, first_seed);
	return first_seed;
}

/* ---- torrents ---- */

static struct trk **
tab_slot(const struct bt_store *s, const uint8_t *hash)
{
	size_t m = s->tcap - 1, h = (size_t)bt_siphash(&s->key, hash, 20) & m;
	while (s->tab[h] && memcmp(s->tab[h]->hash, hash, 20) != 0)
		h = (h + 1) & m;
	return &s->tab[h];
}

static int
tab_grow(struct bt_store *s)
{
	size_t ncap = s->tcap ? s->tcap * 2 : 1024;
	struct trk **old = s->tab, **nt = calloc(ncap, sizeof(*nt));
	size_t ocap = s->tcap;

	if (!nt)
		return BT_E_NOMEM;
	s->tab = nt;
	s->tcap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			*tab_slot(s, old[i]->hash) = old[i];
	free(old);
	return 0;
}

static void
view4(const struct bt_store *s, struct trk *t, struct view *v)
{
	v->n = &t->n;
	v->cap = &t->cap;
	v->nseeds = &t->nseeds;
	v->ext = &t->ext;
	v->rec = t->rec;
	v->rsz = s->rs4;
	v->alen = 6;
	v->s = s;
}

static int
view6(const struct bt_store *s, struct trk *t, struct view *v, int create)
{
	if (!t->v6) {
		if (!create)
			return BT_E_NOENT;
		if (!(t->v6 = calloc(1, sizeof(*t->v6))))
			return BT_E_NOMEM;
	}
	v->n = &t->v6->n;
	v->cap = &t->v6->cap;
	v->nseeds = &t->v6->nseeds;
	v->ext = &t->v6->ext;
	v->rec = t->v6->rec;
	v->rsz = s->rs6;
	v->alen = 18;
	v->s = s;
	return 0;
}

static void
free_ext(struct pext *e)
{
	if (e) {
		free(e->index);
		free(e->keys);
		free(e);
	}
}

static void
free_trk(struct trk *t)
{
	if (t->v6) {
		free_ext(t->v6->ext);
		free(t->v6->rec);
		free(t->v6);
	}
	free_ext(t->ext);
	free(t);
}

static uint32_t
grow_cap(uint32_t cap)
{
	return cap < 16 ? cap + 2 : cap + cap / 4;
}

/* Make room for one more IPv4 record; t may move. */
static int
room4(struct bt_store *s, struct trk **slot)
{
	struct trk *t = *slot;
	if (t->n < t->cap)
		return 0;
	uint32_t ncap = grow_cap(t->cap);
	struct trk *nt = realloc(t, sizeof(*t) + (size_t)ncap * s->rs4);
	if (!nt)
		return BT_E_NOMEM;
	nt->cap = ncap;
	*slot = nt;
	return 0;
}

static int
room6(struct bt_store *s, struct trk *t)
{
	struct v6list *l = t->v6;
	if (l->n < l->cap)
		return 0;
	uint32_t ncap = grow_cap(l->cap);
	uint8_t *nr = realloc(l->rec, (size_t)ncap * s->rs6);
	if (!nr)
		return BT_E_NOMEM;
	l->rec = nr;
	l->cap = ncap;
	return 0;
}

static int
keys_get(struct view *v)
{
	if (ext_get(v) < 0)
		return BT_E_NOMEM;
	struct pext *e = *v->ext;
	if (!e->keys && !(e->keys = calloc(*v->cap ? *v->cap : 1, sizeof(uint32_t))))
		return BT_E_NOMEM;
	return 0;
}

/* keys[] follows the list's capacity. */
static int
keys_fit(struct view *v)
{
	struct pext *e = *v->ext;
	if (!e || !e->keys)
		return 0;
	uint32_t *nk = realloc(e->keys, (size_t)(*v->cap ? *v->cap : 1) * sizeof(uint32_t));
	if (!nk)
		return BT_E_NOMEM;
	e->keys = nk;
	return 0;
}

struct bt_store *
bt_store_new(const struct bt_store_opts *o)
{
	struct bt_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (o)
		s->o = *o;
	s->rs4 = 8 + (s->o.keep_ids ? 20 : 0);
	s->rs6 = 20 + (s->o.keep_ids ? 20 : 0);
	bt_sipkey_random(&s->key);
	s->rng = s->key.k0 ^ s->key.k1;
	if (tab_grow(s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
bt_store_free(struct bt_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->tcap; i++)
		if (s->tab[i])
			free_trk(s->tab[i]);
	free(s->tab);
	free(s);
}

static struct trk **
get_or_create(struct bt_store *s, const uint8_t *hash, int create, int *err)
{
	struct trk **slot = tab_slot(s, hash);
	*err = 0;
	if (*slot || !create)
		return *slot ? slot : NULL;
	if ((s->tn + 1) * 4 > s->tcap * 3) {
		if ((*err = tab_grow(s)) < 0)
			return NULL;
		slot = tab_slot(s, hash);
	}
	struct trk *t = calloc(1, sizeof(*t) + 2 * s->rs4);
	if (!t) {
		*err = BT_E_NOMEM;
		return NULL;
	}
	memcpy(t->hash, hash, 20);
	t->cap = 2;
	*slot = t;
	s->tn++;
	return slot;
}

static void
counts(const struct trk *t, uint32_t *complete, uint32_t *incomplete)
{
	uint32_t seeds = t->nseeds, all = t->n;
	if (t->v6) {
		seeds += t->v6->nseeds;
		all += t->v6->n;
	}
	*complete = seeds;
	*incomplete = all - seeds;
}

/* Copy up to want handable peers out of the list, skipping `self`. */
static size_t
pick(struct bt_store *s, struct view *v, int seed, unsigned flags, long self,
	unsigned want, uint8_t *out, uint8_t *crypto_out)
{
	uint32_t cand = seed ? *v->n - *v->nseeds : *v->n;
	size_t got = 0, outlen = v->alen + (s->o.keep_ids ? 20 : 0);
	uint64_t budget = (uint64_t)want * 8 + 64;

	if (!cand || !want)
		return 0;
	uint32_t i = (uint32_t)(rnd(s) % cand);
	for (uint32_t step = 0; step < cand && got < want && budget; step++, budget--) {
		const uint8_t *r = rec_at(v, i);
		uint8_t f = r[v->alen];
		if ((long)i != self && (f & F_REACHABLE) &&
		    !((flags & BT_PEER_CRYPTO_REQ) && !(f & F_CRYPTO_OK)) &&
		    !(!(flags & BT_PEER_CRYPTO_OK) && (f & F_CRYPTO_REQ))) {
			memcpy(out + got * outlen, r, v->alen);
			if (s->o.keep_ids)
				memcpy(out + got * outlen + v->alen, r + v->alen + 2, 20);
			if (crypto_out)
				crypto_out[got] = (f & F_CRYPTO_REQ) != 0;
			got++;
		}
		if (++i == cand)
			i = 0;
	}
	return got;
}

/* The flags an announce sets: what it says, and alive unless restored.
 * (Crypto flags are replaced; reachability is only ever added here.) */
static uint8_t
req_flags(const struct bt_store_req *r)
{
	return (uint8_t)((r->flags & BT_PEER_CRYPTO_OK ? F_CRYPTO_OK : 0) |
		(r->flags & BT_PEER_CRYPTO_REQ ? F_CRYPTO_REQ : 0) |
		(r->flags & BT_PEER_REACHABLE ? F_REACHABLE : 0) |
		(r->restored ? 0 : F_ALIVE));
}

/* A peer's completion counts once in `downloaded`, and in the store's
 * total. */
static void
count_download(struct bt_store *s, struct trk *t, uint8_t *flags)
{
	if (!(*flags & F_COUNTED)) {
		t->downloaded++;
		s->downloads++;
		*flags |= F_COUNTED;
	}
}

int
bt_store_announce(struct bt_store *s, const struct bt_store_req *r, uint8_t *out,
	struct bt_store_reply *rep)
{
	struct view v;
	int err;
	int v6 = r->addr_len == 18;

	memset(rep, 0, sizeof(*rep));
	if (r->addr_len != 6 && r->addr_len != 18)
		return BT_E_INVAL;
	rep->rec_len = r->addr_len + (s->o.keep_ids ? 20 : 0);
	struct trk **slot = get_or_create(s, r->info_hash,
		!r->no_create && r->event != BT_STORE_EV_STOPPED, &err);
	if (!slot) {
		if (err)
			return err;
		return r->no_create ? BT_E_NOENT : 0;
	}
	struct trk *t = *slot;
	if (v6) {
		if ((err = view6(s, t, &v, r->event != BT_STORE_EV_STOPPED)) < 0)
			goto reply_counts;	/* stopped, no IPv6 list: nothing to do */
	} else {
		view4(s, t, &v);
	}

	long self = find_peer(&v, r->addr);
	if (self >= 0) {
		uint8_t *rec = rec_at(&v, (uint32_t)self);
		struct pext *e = *v.ext;
		if ((rec[v.alen] & F_KEYED) && r->override &&
		    !(r->has_key && e && e->keys && e->keys[self] == r->key)) {
			rep->denied = 1;
			goto reply;
		}
		if (r->event == BT_STORE_EV_STOPPED) {
			remove_peer(&v, (uint32_t)self);
			self = -1;
			goto reply_counts;
		}
		uint8_t f = rec[v.alen];
		if (r->seed && !(f & F_SEED)) {
			self = make_seed(&v, (uint32_t)self);
			rec = rec_at(&v, (uint32_t)self);
			count_download(s, t, rec + v.alen);
		} else if (!r->seed && (f & F_SEED)) {
			self = make_leecher(&v, (uint32_t)self);
			rec = rec_at(&v, (uint32_t)self);
		}
		if (r->event == BT_STORE_EV_COMPLETED)
			count_download(s, t, rec + v.alen);
		rec[v.alen] = (rec[v.alen] & (uint8_t)~(F_CRYPTO_OK | F_CRYPTO_REQ)) | req_flags(r);
		if (s->o.keep_ids && r->peer_id)
			memcpy(rec + v.alen + 2, r->peer_id, 20);
	} else {
		if (r->event == BT_STORE_EV_STOPPED)
			goto reply_counts;
		if (v6) {
			if ((err = room6(s, t)) < 0)
				return err;
			view6(s, t, &v, 0);
		} else {
			if ((err = room4(s, slot)) < 0)
				return err;
			t = *slot;
			view4(s, t, &v);
		}
		if ((err = keys_fit(&v)) < 0)
			return err;
		self = insert_peer(&v, r->addr, r->seed, r->peer_id);
		uint8_t *rec = rec_at(&v, (uint32_t)self);
		rec[v.alen] |= req_flags(r);
		if (r->event == BT_STORE_EV_COMPLETED)
			count_download(s, t, rec + v.alen);
		rep->is_new = 1;
		idx_fit(&v);	/* on failure the list is scanned instead */
	}
	if (r->override && r->has_key) {
		if (keys_get(&v) == 0) {
			(*v.ext)->keys[self] = r->key;
			rec_at(&v, (uint32_t)self)[v.alen] |= F_KEYED;
		}
	}
	if (self >= 0) {
		const uint8_t *rec = rec_at(&v, (uint32_t)self);
		rep->reachable = (rec[v.alen] & F_REACHABLE) != 0;
		rep->nat_failures = rec[v.alen + 1];
	}
reply:
	if (r->event != BT_STORE_EV_STOPPED)
		rep->npeers = pick(s, &v, r->seed && !r->seeds_too, r->flags, self, r->numwant, out, r->crypto_out);
reply_counts:
	counts(t, &rep->complete, &rep->incomplete);
	rep->downloaded = t->downloaded;
	return 0;
}

size_t
bt_store_sample(struct bt_store *s, const uint8_t *info_hash, size_t addr_len,
	int seed, unsigned flags, const uint8_t *skip, unsigned want, uint8_t *out)
{
	struct trk *t = *tab_slot(s, info_hash);
	struct view v;
	if (!t)
		return 0;
	if (addr_len == 18) {
		if (view6(s, t, &v, 0) < 0)
			return 0;
	} else {
		view4(s, t, &v);
	}
	long self = skip ? find_peer(&v, skip) : -1;
	size_t n = pick(s, &v, seed, flags, self, want, out, NULL);
	/* pick() writes peer ids after the addresses when ids are kept. */
	if (s->o.keep_ids)
		for (size_t k = 1; k < n; k++)
			memmove(out + k * v.alen, out + k * (v.alen + 20), v.alen);
	return n;
}

int
bt_store_counts(const struct bt_store *s, const uint8_t *info_hash,
	uint32_t *complete, uint32_t *incomplete, uint32_t *downloaded)
{
	struct trk *t = *tab_slot(s, info_hash);
	if (!t)
		return BT_E_NOENT;
	counts(t, complete, incomplete);
	*downloaded = t->downloaded;
	return 0;
}

int
bt_store_set_reachable(struct bt_store *s, const uint8_t *info_hash,
	const uint8_t *addr, size_t addr_len, int ok)
{
	struct trk *t = *tab_slot(s, info_hash);
	struct view v;
	if (!t)
		return BT_E_NOENT;
	if (addr_len == 18) {
		if (view6(s, t, &v, 0) < 0)
			return BT_E_NOENT;
	} else if (addr_len == 6) {
		view4(s, t, &v);
	} else {
		return BT_E_INVAL;
	}
	int i = find_peer(&v, addr);
	if (i < 0)
		return BT_E_NOENT;
	uint8_t *rec = rec_at(&v, (uint32_t)i);
	if (ok) {
		rec[v.alen] |= F_REACHABLE;
	} else {
		rec[v.alen] &= (uint8_t)~F_REACHABLE;
		if (rec[v.alen + 1] < 255)
			rec[v.alen + 1]++;
	}
	return rec[v.alen + 1];
}

int
bt_store_touch(struct bt_store *s, const uint8_t *info_hash, int keep, uint32_t downloaded)
{
	int err;
	struct trk **slot = get_or_create(s, info_hash, 1, &err);
	if (!slot)
		return err;
	if (keep)
		(*slot)->keep = 1;
	if (downloaded > (*slot)->downloaded) {
		s->downloads += downloaded - (*slot)->downloaded;
		(*slot)->downloaded = downloaded;
	}
	return 0;
}

static void
tab_remove(struct bt_store *s, struct trk **slot)
{
	size_t m = s->tcap - 1, h = (size_t)(slot - s->tab), j = h;
	free_trk(*slot);
	s->tab[h] = NULL;
	s->tn--;
	for (;;) {
		j = (j + 1) & m;
		if (!s->tab[j])
			return;
		size_t home = (size_t)bt_siphash(&s->key, s->tab[j]->hash, 20) & m;
		if (((j - home) & m) >= ((j - h) & m)) {
			s->tab[h] = s->tab[j];
			s->tab[j] = NULL;
			h = j;
		}
	}
}

void
bt_store_drop(struct bt_store *s, const uint8_t *info_hash)
{
	struct trk **slot = tab_slot(s, info_hash);
	if (*slot)
		tab_remove(s, slot);
}

static size_t
sweep_list(struct view *v)
{
	size_t dropped = 0;
	for (uint32_t i = *v->n; i-- > 0;) {
		uint8_t *f = rec_at(v, i) + v->alen;
		if (*f & F_ALIVE) {
			*f &= (uint8_t)~F_ALIVE;
		} else {
			remove_peer(v, i);
			dropped++;
		}
	}
	return dropped;
}

size_t
bt_store_sweep(struct bt_store *s)
{
	size_t dropped = 0;
	for (size_t i = 0; i < s->tcap; i++) {
		struct trk *t = s->tab[i];
		struct view v;
		if (!t)
			continue;
		view4(s, t, &v);
		dropped += sweep_list(&v);
		if (view6(s, t, &v, 0) == 0)
			dropped += sweep_list(&v);
	}
	/* Forget empty torrents: rebuild the table with the survivors. */
	struct trk **old = s->tab;
	size_t ocap = s->tcap, keep = 0;
	for (size_t i = 0; i < ocap; i++) {
		struct trk *t = old[i];
		if (t && !t->keep && t->n == 0 && (!t->v6 || t->v6->n == 0)) {
			free_trk(t);
			old[i] = NULL;
			s->tn--;
		} else if (t) {
			keep++;
		}
	}
	size_t ncap = 1024;
	while (ncap * 3 < keep * 4 + 4)
		ncap *= 2;
	struct trk **nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return dropped;	/* keep the old table; it is still valid */
	s->tab = nt;
	s->tcap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			*tab_slot(s, old[i]->hash) = old[i];
	free(old);
	return dropped;
}

void
bt_store_each_torrent(const struct bt_store *s, bt_store_torrent_fn *fn, void *ud)
{
	for (size_t i = 0; i < s->tcap; i++) {
		const struct trk *t = s->tab[i];
		struct bt_store_torrent_info ti;
		if (!t)
			continue;
		ti.info_hash = t->hash;
		counts(t, &ti.complete, &ti.incomplete);
		ti.downloaded = t->downloaded;
		ti.keep = t->keep;
		if (fn(ud, &ti))
			return;
	}
}

static int
each_in(const struct view *v, int ids, bt_store_peer_fn *fn, void *ud)
{
	for (uint32_t i = 0; i < *v->n; i++) {
		const uint8_t *r = rec_at(v, i);
		struct bt_store_peer_info p = {
			.addr = r, .addr_len = v->alen,
			.peer_id = ids ? r + v->alen + 2 : NULL,
			.seed = (r[v->alen] & F_SEED) != 0,
			.flags = (r[v->alen] & F_CRYPTO_OK ? BT_PEER_CRYPTO_OK : 0u) |
				(r[v->alen] & F_CRYPTO_REQ ? BT_PEER_CRYPTO_REQ : 0u) |
				(r[v->alen] & F_REACHABLE ? BT_PEER_REACHABLE : 0u),
		};
		if (fn(ud, &p))
			return 1;
	}
	return 0;
}

int
bt_store_each_peer(const struct bt_store *s, const uint8_t *info_hash,
	bt_store_peer_fn *fn, void *ud)
{
	struct trk *t = *tab_slot(s, info_hash);
	struct view v;
	if (!t)
		return BT_E_NOENT;
	view4(s, t, &v);
	if (each_in(&v, s->o.keep_ids, fn, ud))
		return 0;
	if (view6(s, t, &v, 0) == 0)
		each_in(&v, s->o.keep_ids, fn, ud);
	return 0;
}

void
bt_store_stats(const struct bt_store *s, struct bt_store_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->downloads = s->downloads;
	st->bytes = sizeof(*s) + s->tcap * sizeof(*s->tab);
	for (size_t i = 0; i < s->tcap; i++) {
		const struct trk *t = s->tab[i];
		if (!t)
			continue;
		st->torrents++;
		st->downloaded += t->downloaded;
		st->peers4 += t->n;
		st->seeds += t->nseeds;
		st->bytes += sizeof(*t) + (size_t)t->cap * s->rs4;
		if (t->ext)
			st->bytes += sizeof(*t->ext) + t->ext->icap * 4u + (t->ext->keys ? t->cap * 4u : 0);
		if (t->v6) {
			st->peers6 += t->v6->n;
			st->seeds += t->v6->nseeds;
			st->bytes += sizeof(*t->v6) + (size_t)t->v6->cap * s->rs6;
		}
	}
}
