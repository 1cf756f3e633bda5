/* benc.c - see benc.h */
#include "benc.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#define STACK_MAX 256

const struct bt_benc_lim bt_benc_lim_strict = {
	.depth = 64, .tokens = 1u << 22, .str_max = UINT32_MAX,
	.strict = 1, .trailing_ok = 0,
};

const struct bt_benc_lim bt_benc_lim_lenient = {
	.depth = 32, .tokens = 1u << 16, .str_max = 1u << 20,
	.strict = 0, .trailing_ok = 0,
};

static const char *const errstr[] = {
	[BT_BENC_OK] = "no error",
	[BT_BENC_EOF] = "truncated (input ends inside a value)",
	[BT_BENC_EMPTY] = "empty input",
	[BT_BENC_EXPECTED_VALUE] = "expected a value",
	[BT_BENC_EXPECTED_COLON] = "expected ':' after string length",
	[BT_BENC_BAD_INT] = "bad integer",
	[BT_BENC_BAD_LENGTH] = "bad string length",
	[BT_BENC_KEY_NOT_STRING] = "dictionary key is not a string",
	[BT_BENC_KEY_ORDER] = "dictionary keys not sorted",
	[BT_BENC_KEY_DUP] = "duplicate dictionary key",
	[BT_BENC_MISSING_VALUE] = "dictionary key without a value",
	[BT_BENC_DEPTH] = "nesting too deep",
	[BT_BENC_TOKENS] = "too many values",
	[BT_BENC_STRING_LIMIT] = "string too long",
	[BT_BENC_TRAILING] = "trailing data after the value",
	[BT_BENC_TOO_BIG] = "input too large",
	[BT_BENC_NOMEM] = "out of memory",
};

const char *
bt_benc_errstr(int code)
{
	if (code < 0 || (size_t)code >= sizeof(errstr) / sizeof(errstr[0]))
		return "unknown bencode error";
	return errstr[code];
}

void
bt_benc_free(struct bt_benc *d)
{
	free(d->tok);
	memset(d, 0, sizeof(*d));
}

static int
fail(struct bt_benc_err *err, int code, size_t off)
{
	if (err) {
		err->code = code;
		err->off = off;
	}
	switch (code) {
	case BT_BENC_NOMEM: return BT_E_NOMEM;
	case BT_BENC_DEPTH: case BT_BENC_TOKENS: case BT_BENC_STRING_LIMIT:
	case BT_BENC_TOO_BIG: return BT_E_LIMIT;
	}
	return BT_E_PARSE;
}

/* Scan the digits of an integer starting at p[i] up to terminator `term`.
 * Returns the index of the terminator, or (size_t)-1 with *code set. */
static size_t
scan_int(const uint8_t *p, size_t n, size_t i, uint8_t term, int strict,
	int allow_neg, int64_t *out, int *code)
{
	/* What a malformed number is: a bad length before ':', else a bad
	 * integer. */
	int bad = term == ':' ? BT_BENC_BAD_LENGTH : BT_BENC_BAD_INT;
	int neg = 0;
	uint64_t v = 0;
	uint64_t lim = (uint64_t)INT64_MAX;

	if (allow_neg && i < n && p[i] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		i++;
	}
	size_t digits = i;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		uint64_t dgt = p[i] - '0';
		if (v > (lim - dgt) / 10) {
			*code = bad;
			return (size_t)-1;
		}
		v = v * 10 + dgt;
		i++;
	}
	if (i >= n) {
		*code = BT_BENC_EOF;
		return (size_t)-1;
	}
	if (i == digits || p[i] != term) {
		*code = i == digits || term != ':' ? bad : BT_BENC_EXPECTED_COLON;
		return (size_t)-1;
	}
	/* Canonical form: no leading zeros, no "-0". Lenient mode lets
	 * leading zeros of integers pass but never of negative zero. */
	if (p[digits] == '0' && i - digits > 1 && strict) {
		*code = bad;
		return (size_t)-1;
	}
	if (neg && v == 0) {
		*code = BT_BENC_BAD_INT;
		return (size_t)-1;
	}
	if (out)
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return i;
}

static int
key_cmp(const uint8_t *buf, const struct bt_btok *a, const struct bt_btok *b)
{
	size_t la = a->len - a->hdr, lb = b->len - b->hdr;
	int c = memcmp(buf + a->off + a->hdr, buf + b->off + b->hdr,
		la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* Key token a before key token b: by bytes, then by position. */
static int
key_lt(const uint8_t *buf, const struct bt_btok *tok, uint32_t a, uint32_t b)
{
	int c = key_cmp(buf, &tok[a], &tok[b]);
	return c ? c < 0 : a < b;
}

static void
key_sift(const uint8_t *buf, const struct bt_btok *tok, uint32_t *h, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && key_lt(buf, tok, h[c], h[c + 1]))
			c++;
		if (!key_lt(buf, tok, h[i], h[c]))
			return;
		uint32_t t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

/* Lenient mode takes keys in any order, so a key may repeat one that is
 * not just before it.  A dictionary whose keys were not ascending is checked
 * when it closes: its keys sorted (heapsort), equal neighbours are
 * duplicates.  *off gets the position of the earliest repeated key, or
 * SIZE_MAX when there is none.  -1 when out of memory. */
static int
find_dup_key(const struct bt_benc *d, uint32_t dict, size_t *off)
{
	const struct bt_btok *tok = d->tok;
	size_t n = 0, m = 0;
	uint32_t k, *h;

	*off = SIZE_MAX;
	for (k = dict + 1; k < d->ntok; k = tok[k + 1].next)
		n++;
	h = malloc((n ? n : 1) * sizeof(*h));
	if (!h)
		return -1;
	for (k = dict + 1; k < d->ntok; k = tok[k + 1].next)
		h[m++] = k;
	for (size_t i = n / 2; i-- > 0;)
		key_sift(d->buf, tok, h, i, n);
	for (size_t end = n; end > 1; end--) {
		uint32_t t = h[0];
		h[0] = h[end - 1];
		h[end - 1] = t;
		key_sift(d->buf, tok, h, 0, end - 1);
	}
	for (size_t i = 1; i < n; i++) {
		if (key_cmp(d->buf, &tok[h[i - 1]], &tok[h[i]]) == 0 && tok[h[i]].off < *off)
			*off = tok[h[i]].off;
	}
	free(h);
	return 0;
}

int
bt_benc_parse(struct bt_benc *d, const uint8_t *p, size_t n,
	const struct bt_benc_lim *lim, struct bt_benc_err *err)
{
	struct {
		uint32_t tok, lastkey;
		uint8_t dict, want_value, unsorted;
	} st[STACK_MAX];
	unsigned depth = 0, maxdepth = lim->depth;
	size_t i = 0;

	if (maxdepth > STACK_MAX)
		maxdepth = STACK_MAX;
	d->buf = p;
	d->len = 0;
	d->ntok = 0;
	if (err) {
		err->code = BT_BENC_OK;
		err->off = 0;
	}
	if (n == 0)
		return fail(err, BT_BENC_EMPTY, 0);
	if (n >= UINT32_MAX)
		return fail(err, BT_BENC_TOO_BIG, 0);

	for (;;) {
		if (i >= n)
			return fail(err, BT_BENC_EOF, n);
		uint8_t c = p[i];

		if (c == 'e') {
			if (depth == 0)
				return fail(err, BT_BENC_EXPECTED_VALUE, i);
			if (st[depth - 1].want_value)
				return fail(err, BT_BENC_MISSING_VALUE, i);
			if (st[depth - 1].unsorted) {
				size_t dup;
				if (find_dup_key(d, st[depth - 1].tok, &dup) < 0)
					return fail(err, BT_BENC_NOMEM, i);
				if (dup != SIZE_MAX)
					return fail(err, BT_BENC_KEY_DUP, dup);
			}
			struct bt_btok *t = &d->tok[st[depth - 1].tok];
			i++;
			t->len = (uint32_t)(i - t->off);
			t->next = d->ntok;
			depth--;
			goto value_done;
		}

		/* A new value: check where it stands. */
		int is_key = depth > 0 && st[depth - 1].dict && !st[depth - 1].want_value;
		if (is_key && !(c >= '0' && c <= '9'))
			return fail(err, BT_BENC_KEY_NOT_STRING, i);
		if (d->ntok >= lim->tokens)
			return fail(err, BT_BENC_TOKENS, i);
		if (d->ntok >= d->cap) {
			uint32_t cap = d->cap ? d->cap * 2 : 64;
			if (cap > lim->tokens)
				cap = lim->tokens;
			struct bt_btok *nt = realloc(d->tok, (size_t)cap * sizeof(*nt));
			if (!nt)
				return fail(err, BT_BENC_NOMEM, i);
			d->tok = nt;
			d->cap = cap;
		}
		uint32_t ti = d->ntok++;
		struct bt_btok *t = &d->tok[ti];
		int code = 0;
		t->off = (uint32_t)i;
		t->hdr = 0;
		t->next = ti + 1;

		if (c == 'i') {
			size_t e = scan_int(p, n, i + 1, 'e', lim->strict, 1, NULL, &code);
			if (e == (size_t)-1)
				return fail(err, code, code == BT_BENC_EOF ? n : i);
			t->type = BT_BENC_INT;
			i = e + 1;
			t->len = (uint32_t)(i - t->off);
		} else if (c >= '0' && c <= '9') {
			int64_t sl;
			size_t e = scan_int(p, n, i, ':', 1, 0, &sl, &code);
			if (e == (size_t)-1)
				return fail(err, code, code == BT_BENC_EOF ? n : i);
			if ((uint64_t)sl > lim->str_max)
				return fail(err, BT_BENC_STRING_LIMIT, i);
			if ((uint64_t)sl > n - e - 1)
				return fail(err, BT_BENC_EOF, n);
			t->type = BT_BENC_STR;
			t->hdr = (uint8_t)(e + 1 - i);
			i = e + 1 + (size_t)sl;
			t->len = (uint32_t)(i - t->off);
			if (is_key) {
				uint32_t lk = st[depth - 1].lastkey;
				if (lk != UINT32_MAX) {
					int cmp = key_cmp(p, &d->tok[lk], t);
					if (cmp == 0)
						return fail(err, BT_BENC_KEY_DUP, t->off);
					if (cmp > 0 && lim->strict)
						return fail(err, BT_BENC_KEY_ORDER, t->off);
					if (cmp > 0)
						st[depth - 1].unsorted = 1;
				}
				st[depth - 1].lastkey = ti;
				st[depth - 1].want_value = 1;
				continue;
			}
		} else if (c == 'l' || c == 'd') {
			if (depth >= maxdepth)
				return fail(err, BT_BENC_DEPTH, i);
			t->type = c == 'l' ? BT_BENC_LIST : BT_BENC_DICT;
			st[depth].tok = ti;
			st[depth].lastkey = UINT32_MAX;
			st[depth].dict = c == 'd';
			st[depth].want_value = 0;
			st[depth].unsorted = 0;
			depth++;
			i++;
			continue;
		} else {
			return fail(err, BT_BENC_EXPECTED_VALUE, i);
		}
value_done:
		if (depth == 0)
			break;
		if (st[depth - 1].dict)
			st[depth - 1].want_value = 0;
	}
	d->len = i;
	if (i != n && (lim->strict || !lim->trailing_ok))
		return fail(err, BT_BENC_TRAILING, i);
	return 0;
}

int
bt_benc_count(const struct bt_benc *d, int i)
{
	int c = 0;
	if (bt_benc_type(d, i) != BT_BENC_LIST && bt_benc_type(d, i) != BT_BENC_DICT)
		return 0;
	for (int j = bt_benc_first(d, i); j >= 0; j = bt_benc_next(d, i, j))
		c++;
	return d->tok[i].type == BT_BENC_DICT ? c / 2 : c;
}

int
bt_benc_dict_getn(const struct bt_benc *d, int i, const void *key, size_t klen)
{
	if (bt_benc_type(d, i) != BT_BENC_DICT)
		return -1;
	for (int k = bt_benc_first(d, i); k >= 0; k = bt_benc_next(d, i, k)) {
		const struct bt_btok *t = &d->tok[k];
		int v = (int)t->next;
		if (t->len - t->hdr == klen &&
		    memcmp(d->buf + t->off + t->hdr, key, klen) == 0)
			return v;
		k = v;
	}
	return -1;
}

int
bt_benc_dict_get(const struct bt_benc *d, int i, const char *key)
{
	return bt_benc_dict_getn(d, i, key, strlen(key));
}

int
bt_benc_int(const struct bt_benc *d, int i, int64_t *v)
{
	int code;
	if (bt_benc_type(d, i) != BT_BENC_INT)
		return -1;
	const struct bt_btok *t = &d->tok[i];
	/* The parser validated it; scanning again cannot fail. */
	if (scan_int(d->buf, t->off + t->len, t->off + 1, 'e', 0, 1, v, &code) == (size_t)-1)
		return -1;
	return 0;
}

int
bt_benc_str(const struct bt_benc *d, int i, const uint8_t **p, size_t *n)
{
	if (bt_benc_type(d, i) != BT_BENC_STR)
		return -1;
	const struct bt_btok *t = &d->tok[i];
	*p = d->buf + t->off + t->hdr;
	*n = t->len - t->hdr;
	return 0;
}

int
bt_benc_str_eq(const struct bt_benc *d, int i, const char *s)
{
	const uint8_t *p;
	size_t n;
	if (bt_benc_str(d, i, &p, &n) < 0)
		return 0;
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

const uint8_t *
bt_benc_raw(const struct bt_benc *d, int i, size_t *n)
{
	*n = d->tok[i].len;
	return d->buf + d->tok[i].off;
}

/* ---- writer ---- */

void
bt_bw_init(struct bt_bw *w, struct bt_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static int
bw_value_ok(struct bt_bw *w)
{
	if (!w->err && w->out->err)
		w->err = w->out->err;	/* the buffer failed: stop here too */
	if (w->err)
		return 0;
	if (w->depth && w->st[w->depth - 1].dict) {
		if (!w->st[w->depth - 1].want_value) {
			w->err = BT_E_INVAL;	/* value where a key belongs */
			return 0;
		}
		w->st[w->depth - 1].want_value = 0;
	}
	return 1;
}

static void
bw_open(struct bt_bw *w, uint8_t c)
{
	if (!bw_value_ok(w))
		return;
	if (w->depth >= BT_BW_MAXDEPTH) {
		w->err = BT_E_LIMIT;
		return;
	}
	w->st[w->depth].dict = c == 'd';
	w->st[w->depth].want_value = 0;
	w->st[w->depth].has_key = 0;
	w->depth++;
	bt_buf_addc(w->out, c);
}

void bt_bw_dict(struct bt_bw *w) { bw_open(w, 'd'); }
void bt_bw_list(struct bt_bw *w) { bw_open(w, 'l'); }

void
bt_bw_end(struct bt_bw *w)
{
	if (w->err)
		return;
	if (!w->depth || w->st[w->depth - 1].want_value) {
		w->err = BT_E_INVAL;
		return;
	}
	w->depth--;
	bt_buf_addc(w->out, 'e');
}

static void
bw_strhdr(struct bt_bw *w, size_t n)
{
	char tmp[24];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	uint8_t *d = bt_buf_reserve(w->out, (size_t)k + 1);
	if (!d)
		return;
	for (int j = 0; j < k; j++)
		d[j] = (uint8_t)tmp[k - 1 - j];
	d[k] = ':';
	bt_buf_commit(w->out, (size_t)k + 1);
}

void
bt_bw_keyn(struct bt_bw *w, const void *key, size_t n)
{
	/* After a buffer failure the previous key may not be in it. */
	if (!w->err && w->out->err)
		w->err = w->out->err;
	if (w->err)
		return;
	if (!w->depth || !w->st[w->depth - 1].dict || w->st[w->depth - 1].want_value) {
		w->err = BT_E_INVAL;
		return;
	}
	struct bt_bw_level *s = &w->st[w->depth - 1];
	if (s->has_key && w->out->p) {
		const uint8_t *prev = w->out->p + s->key_off;
		size_t m = s->key_len < n ? s->key_len : n;
		int c = memcmp(prev, key, m);
		if (c > 0 || (c == 0 && s->key_len >= n)) {
			w->err = BT_E_INVAL;	/* out of order or duplicate */
			return;
		}
	}
	bw_strhdr(w, n);
	s->key_off = w->out->len;
	s->key_len = n;
	s->has_key = 1;
	bt_buf_add(w->out, key, n);
	s->want_value = 1;
}

void
bt_bw_key(struct bt_bw *w, const char *key)
{
	bt_bw_keyn(w, key, strlen(key));
}

void
bt_bw_str(struct bt_bw *w, const void *p, size_t n)
{
	if (!bw_value_ok(w))
		return;
	bw_strhdr(w, n);
	bt_buf_add(w->out, p, n);
}

void
bt_bw_strs(struct bt_bw *w, const char *s)
{
	bt_bw_str(w, s, strlen(s));
}

void
bt_bw_int(struct bt_bw *w, int64_t v)
{
	if (!bw_value_ok(w))
		return;
	bt_buf_printf(w->out, "i%llde", (long long)v);
}

void
bt_bw_raw(struct bt_bw *w, const void *p, size_t n)
{
	if (!bw_value_ok(w))
		return;
	bt_buf_add(w->out, p, n);
}

int
bt_bw_finish(struct bt_bw *w)
{
	if (w->err)
		return w->err;
	if (w->out->err)
		return w->out->err;
	if (w->depth)
		return BT_E_INVAL;
	return 0;
}

/* ---- editing ---- */

static int
cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct bt_benc_set *)a)->key, ((const struct bt_benc_set *)b)->key);
}

static int
key_vs(const struct bt_benc *d, int k, const char *key)
{
	const uint8_t *p = NULL;
	size_t n = 0, kl = strlen(key);
	bt_benc_str(d, k, &p, &n);
	int c = memcmp(p, key, n < kl ? n : kl);
	return c ? c : (n < kl ? -1 : n > kl);
}

/* The key and new value of a set; nothing for a removal. */
static void
put_set(struct bt_buf *out, const struct bt_benc_set *s)
{
	if (!s->val)
		return;
	bt_buf_printf(out, "%zu:", strlen(s->key));
	bt_buf_adds(out, s->key);
	bt_buf_add(out, s->val, s->len);
}

int
bt_benc_dict_edit(const struct bt_benc *d, int dict, const struct bt_benc_set *sets,
	size_t nsets, struct bt_buf *out, int *changed)
{
	struct bt_benc_set *s;
	size_t start = out->len, si = 0, raw_len;
	const uint8_t *raw;

	if (bt_benc_type(d, dict) != BT_BENC_DICT)
		return BT_E_INVAL;
	s = malloc((nsets ? nsets : 1) * sizeof(*s));
	if (!s)
		return BT_E_NOMEM;
	if (nsets)
		memcpy(s, sets, nsets * sizeof(*s));
	qsort(s, nsets, sizeof(*s), cmp_set);

	bt_buf_addc(out, 'd');
	for (int k = bt_benc_first(d, dict); k >= 0; k = bt_benc_next(d, dict, k)) {
		int v = (int)d->tok[k].next;
		/* New keys that sort before this one. */
		while (si < nsets && key_vs(d, k, s[si].key) > 0)
			put_set(out, &s[si++]);
		if (si < nsets && key_vs(d, k, s[si].key) == 0) {
			put_set(out, &s[si++]);
		} else {
			/* Key and value, verbatim. */
			bt_buf_add(out, d->buf + d->tok[k].off,
				d->tok[v].off + d->tok[v].len - d->tok[k].off);
		}
		k = v;
	}
	while (si < nsets)
		put_set(out, &s[si++]);
	bt_buf_addc(out, 'e');
	free(s);
	if (out->err)
		return out->err;
	raw = bt_benc_raw(d, dict, &raw_len);
	*changed = out->len - start != raw_len || memcmp(out->p + start, raw, raw_len) != 0;
	return 0;
}
