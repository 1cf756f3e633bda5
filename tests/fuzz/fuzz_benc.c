/* fuzz_benc.c - libFuzzer target for the bencode parser, writer and editor.
 *
 * The input is parsed strictly, leniently (with and without trailing
 * bytes) and under tight limits taken from its first bytes.  Every parse
 * must fail with a consistent code and offset or give tokens that pass a
 * full walk through the accessors (spans nested, counts, lookups, values).
 * A strict document written again through bt_bw must come out byte for
 * byte the same (when it nests no deeper than the writer allows), and lenient parsing must agree with it whenever it is
 * within the lenient limits.  Its dictionaries are then edited with
 * bt_benc_dict_edit: the result must parse strictly, show the changes and
 * keep every other value's bytes. */
#include "benc.h"
#include "buf.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_benc.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* What a failed parse must look like. */
static void
check_failure(int rc, const struct bt_benc_err *e, size_t size)
{
	ASSERT(rc == BT_E_PARSE || rc == BT_E_LIMIT || rc == BT_E_NOMEM);
	ASSERT(e->code > BT_BENC_OK && e->code <= BT_BENC_NOMEM);
	ASSERT(e->off <= size);
	switch (e->code) {
	case BT_BENC_DEPTH: case BT_BENC_TOKENS: case BT_BENC_STRING_LIMIT:
	case BT_BENC_TOO_BIG:
		ASSERT(rc == BT_E_LIMIT);
		break;
	case BT_BENC_NOMEM:
		ASSERT(rc == BT_E_NOMEM);
		break;
	case BT_BENC_EOF:
		ASSERT(e->off == size);
		ASSERT(rc == BT_E_PARSE);
		break;
	case BT_BENC_EMPTY:
		ASSERT(size == 0);
		ASSERT(rc == BT_E_PARSE);
		break;
	default:
		ASSERT(rc == BT_E_PARSE);
		ASSERT(e->off < size);
	}
	ASSERT(bt_benc_errstr(e->code) != NULL);
}

struct walk_info {
	unsigned max_depth;
	size_t max_str;
};

/* Checks token i and its subtree; depth is its nesting level (the root
 * is at 1). */
static void
walk(const struct bt_benc *d, int i, unsigned depth, int strict, struct walk_info *wi)
{
	const struct bt_btok *t = &d->tok[i];
	const uint8_t *raw;
	size_t rawn;

	ASSERT(t->type >= BT_BENC_INT && t->type <= BT_BENC_DICT);
	ASSERT(t->len > 0 && (size_t)t->off + t->len <= d->len);
	ASSERT(t->next > (uint32_t)i && t->next <= d->ntok);
	raw = bt_benc_raw(d, i, &rawn);
	ASSERT(raw == d->buf + t->off && rawn == t->len);
	if (t->type >= BT_BENC_LIST && depth > wi->max_depth)
		wi->max_depth = depth;	/* containers nested, as the limit counts */

	switch (t->type) {
	case BT_BENC_INT: {
		int64_t v;
		ASSERT(t->next == (uint32_t)i + 1 && t->hdr == 0);
		ASSERT(raw[0] == 'i' && raw[rawn - 1] == 'e');
		ASSERT(bt_benc_int(d, i, &v) == 0);
		if (strict) {
			char s[32];
			int n = snprintf(s, sizeof(s), "i%llde", (long long)v);
			ASSERT((size_t)n == rawn && memcmp(s, raw, rawn) == 0);
		}
		const uint8_t *p;
		size_t n;
		ASSERT(bt_benc_str(d, i, &p, &n) == -1);
		ASSERT(bt_benc_count(d, i) == 0 && bt_benc_first(d, i) == -1);
		break;
	}
	case BT_BENC_STR: {
		const uint8_t *p;
		size_t n, len = 0;
		ASSERT(t->next == (uint32_t)i + 1);
		ASSERT(t->hdr >= 2 && t->hdr <= t->len && raw[t->hdr - 1] == ':');
		for (unsigned k = 0; k + 1 < t->hdr; k++) {
			ASSERT(raw[k] >= '0' && raw[k] <= '9');
			len = len * 10 + (size_t)(raw[k] - '0');
		}
		ASSERT(bt_benc_str(d, i, &p, &n) == 0);
		ASSERT(p == raw + t->hdr && n == len && n == t->len - t->hdr);
		if (n > wi->max_str)
			wi->max_str = n;
		int64_t v;
		ASSERT(bt_benc_int(d, i, &v) == -1);
		if (n < 64 && !memchr(p, 0, n)) {
			char s[64];
			memcpy(s, p, n);
			s[n] = 0;
			ASSERT(bt_benc_str_eq(d, i, s));
			if (n) {
				s[n - 1] ^= 1;
				ASSERT(!bt_benc_str_eq(d, i, s));
			}
		}
		break;
	}
	case BT_BENC_LIST:
	case BT_BENC_DICT: {
		int dict = t->type == BT_BENC_DICT, c = 0;
		size_t end = (size_t)t->off + t->len - 1;	/* the 'e' */
		uint32_t expect = (uint32_t)i + 1;
		ASSERT(raw[0] == (dict ? 'd' : 'l') && raw[rawn - 1] == 'e');
		ASSERT(t->hdr == 0);
		size_t pos = (size_t)t->off + 1;
		for (int j = bt_benc_first(d, i); j >= 0; j = bt_benc_next(d, i, j)) {
			const struct bt_btok *u = &d->tok[j];
			/* Children follow one another with nothing in between. */
			ASSERT((uint32_t)j == expect && u->off == pos);
			ASSERT((size_t)u->off + u->len <= end);
			pos = (size_t)u->off + u->len;
			expect = u->next;
			if (dict && c % 2 == 0) {
				const uint8_t *k;
				size_t kn;
				ASSERT(u->type == BT_BENC_STR);
				ASSERT(bt_benc_str(d, j, &k, &kn) == 0);
				/* The lookup finds this key's value: keys are unique. */
				ASSERT(bt_benc_dict_getn(d, i, k, kn) == j + 1);
			} else {
				walk(d, j, depth + 1, strict, wi);
			}
			c++;
		}
		ASSERT(pos == end && expect == t->next);
		ASSERT(!dict || c % 2 == 0);
		ASSERT(bt_benc_count(d, i) == (dict ? c / 2 : c));
		if (!dict)
			ASSERT(bt_benc_dict_get(d, i, "") == -1);
		break;
	}
	}
}

static void
check_doc(const struct bt_benc *d, const uint8_t *data, size_t size, int strict, int trailing,
	struct walk_info *wi)
{
	ASSERT(d->buf == data);
	ASSERT(d->ntok > 0 && d->len > 0 && d->len <= size);
	ASSERT(trailing || d->len == size);
	ASSERT(d->tok[0].off == 0 && d->tok[0].len == d->len && d->tok[0].next == d->ntok);
	memset(wi, 0, sizeof(*wi));
	walk(d, 0, 1, strict, wi);
}

/* Same tokens (field by field: the padding bytes are not set). */
static int
same_tokens(const struct bt_btok *a, const struct bt_btok *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (a[i].off != b[i].off || a[i].len != b[i].len || a[i].next != b[i].next ||
		    a[i].type != b[i].type || a[i].hdr != b[i].hdr)
			return 0;
	}
	return 1;
}

/* Writes token i again through the writer. */
static void
reencode(struct bt_bw *w, const struct bt_benc *d, int i)
{
	const uint8_t *p;
	size_t n;
	int64_t v;

	switch (bt_benc_type(d, i)) {
	case BT_BENC_INT:
		bt_benc_int(d, i, &v);
		bt_bw_int(w, v);
		break;
	case BT_BENC_STR:
		bt_benc_str(d, i, &p, &n);
		bt_bw_str(w, p, n);
		break;
	case BT_BENC_LIST:
		bt_bw_list(w);
		for (int j = bt_benc_first(d, i); j >= 0; j = bt_benc_next(d, i, j))
			reencode(w, d, j);
		bt_bw_end(w);
		break;
	case BT_BENC_DICT:
		bt_bw_dict(w);
		for (int j = bt_benc_first(d, i); j >= 0; j = bt_benc_next(d, i, j)) {
			bt_benc_str(d, j, &p, &n);
			bt_bw_keyn(w, p, n);
			j = bt_benc_next(d, i, j);
			reencode(w, d, j);
		}
		bt_bw_end(w);
		break;
	}
}

/* A key of the document as a C string, or NULL if it holds a NUL. */
static char *
key_cstr(const struct bt_benc *d, int k)
{
	const uint8_t *p;
	size_t n;
	if (bt_benc_str(d, k, &p, &n) < 0 || memchr(p, 0, n))
		return NULL;
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* Edits dictionary i of a strict document and checks the result. */
static void
edit_strict(const struct bt_benc *d, int i)
{
	struct bt_buf out;
	size_t rn;
	const uint8_t *raw = bt_benc_raw(d, i, &rn);
	int changed = -1;

	/* No change at all. */
	bt_buf_init(&out, 0);
	ASSERT(bt_benc_dict_edit(d, i, NULL, 0, &out, &changed) == 0);
	ASSERT(changed == 0 && out.len == rn && memcmp(out.p, raw, rn) == 0);
	bt_buf_free(&out);
	bt_buf_init(&out, rn / 2);
	ASSERT(bt_benc_dict_edit(d, i, NULL, 0, &out, &changed) == BT_E_LIMIT);
	ASSERT(out.len <= rn / 2);
	bt_buf_free(&out);

	/* Remove the first key, set "zz" and "", replace the last key's value
	 * with the same bytes. */
	struct bt_benc_set sets[4];
	size_t nsets = 0;
	int first = bt_benc_first(d, i);
	char *del = first >= 0 ? key_cstr(d, first) : NULL;
	char *last_key = NULL;
	int last_val = -1;
	for (int k = first; k >= 0; k = bt_benc_next(d, i, k)) {
		k = bt_benc_next(d, i, k);
		last_val = k;
	}
	if (last_val > first + 1)
		last_key = key_cstr(d, last_val - 1);
	if (del) {
		sets[nsets].key = del;
		sets[nsets].val = NULL;
		sets[nsets++].len = 0;
	}
	if ((!del || strcmp(del, "zz") != 0) && (!last_key || strcmp(last_key, "zz") != 0)) {
		sets[nsets].key = "zz";
		sets[nsets].val = (const uint8_t *)"i1e";
		sets[nsets++].len = 3;
	}
	if ((!del || *del) && (!last_key || *last_key)) {
		sets[nsets].key = "";
		sets[nsets].val = (const uint8_t *)"0:";
		sets[nsets++].len = 2;
	}
	if (last_key) {
		const uint8_t *vr;
		size_t vn;
		vr = bt_benc_raw(d, last_val, &vn);
		sets[nsets].key = last_key;
		sets[nsets].val = vr;
		sets[nsets++].len = vn;
	}

	bt_buf_init(&out, 0);
	ASSERT(bt_benc_dict_edit(d, i, sets, nsets, &out, &changed) == 0);
	ASSERT(changed == 0 || changed == 1);
	if (del)
		ASSERT(changed == 1);
	struct bt_benc e = { 0 };
	struct bt_benc_err err;
	ASSERT(bt_benc_parse(&e, out.p, out.len, &bt_benc_lim_strict, &err) == 0);
	ASSERT(changed == (out.len != rn || memcmp(out.p, raw, rn) != 0));
	for (size_t s = 0; s < nsets; s++) {
		int v = bt_benc_dict_get(&e, 0, sets[s].key);
		if (!sets[s].val) {
			ASSERT(v == -1);
		} else {
			size_t vn;
			const uint8_t *vr = bt_benc_raw(&e, v, &vn);
			ASSERT(v > 0 && vn == sets[s].len && memcmp(vr, sets[s].val, vn) == 0);
		}
	}
	/* Every other key keeps its value's bytes. */
	int kept = 0;
	for (int k = first; k >= 0; k = bt_benc_next(d, i, k)) {
		const uint8_t *kp, *a, *b;
		size_t kn, an, bn;
		int v = k + 1, touched = 0;
		bt_benc_str(d, k, &kp, &kn);
		for (size_t s = 0; s < nsets; s++)
			touched |= strlen(sets[s].key) == kn && memcmp(sets[s].key, kp, kn) == 0;
		k = v;
		if (touched)
			continue;
		kept++;
		int w = bt_benc_dict_getn(&e, 0, kp, kn);
		ASSERT(w > 0);
		a = bt_benc_raw(d, v, &an);
		b = bt_benc_raw(&e, w, &bn);
		ASSERT(an == bn && memcmp(a, b, an) == 0);
	}
	int added = 0;
	for (size_t s = 0; s < nsets; s++)
		added += sets[s].val != NULL;
	ASSERT(bt_benc_count(&e, 0) == kept + added);
	bt_benc_free(&e);
	bt_buf_free(&out);
	free(del);
	free(last_key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_benc d = { 0 };
	struct bt_benc_err e;
	struct walk_info wi;
	struct bt_btok *saved = NULL;
	uint32_t saved_n = 0;
	int rc, strict_ok;

	if (size > (1u << 20))
		return 0;

	/* Strict. */
	rc = bt_benc_parse(&d, data, size, &bt_benc_lim_strict, &e);
	strict_ok = rc == 0;
	if (rc == 0) {
		ASSERT(e.code == BT_BENC_OK);
		check_doc(&d, data, size, 1, 0, &wi);
		/* Written again, it is the same bytes. */
		struct bt_buf b;
		struct bt_bw w;
		bt_buf_init(&b, 0);
		bt_bw_init(&w, &b);
		reencode(&w, &d, 0);
		if (wi.max_depth <= BT_BW_MAXDEPTH) {
			ASSERT(bt_bw_finish(&w) == 0);
			ASSERT(b.len == size && memcmp(b.p, data, size) == 0);
		} else {
			ASSERT(bt_bw_finish(&w) == BT_E_LIMIT);	/* the writer nests less */
		}
		bt_buf_free(&b);
		/* Into a buffer too small: an error, never an overrun. */
		bt_buf_init(&b, size / 2);
		bt_bw_init(&w, &b);
		reencode(&w, &d, 0);
		ASSERT(bt_bw_finish(&w) == BT_E_LIMIT && b.len <= size / 2);
		bt_buf_free(&b);
		/* Edit some dictionaries. */
		int edits = 0;
		for (uint32_t i = 0; i < d.ntok && edits < 8; i++) {
			if (d.tok[i].type == BT_BENC_DICT) {
				edit_strict(&d, (int)i);
				edits++;
			}
		}
		saved_n = d.ntok;
		saved = malloc(saved_n * sizeof(*saved));
		if (saved)
			memcpy(saved, d.tok, saved_n * sizeof(*saved));
		/* Within the lenient limits, lenient parsing must agree. */
		if (!(wi.max_depth <= bt_benc_lim_lenient.depth &&
		      d.ntok <= bt_benc_lim_lenient.tokens && wi.max_str <= bt_benc_lim_lenient.str_max)) {
			free(saved);
			saved = NULL;
		}
	} else {
		check_failure(rc, &e, size);
	}

	/* Lenient, into the same document (reuse). */
	rc = bt_benc_parse(&d, data, size, &bt_benc_lim_lenient, &e);
	if (saved)
		ASSERT(rc == 0 && d.ntok == saved_n && same_tokens(d.tok, saved, saved_n));
	int lenient_ok = rc == 0;
	if (rc == 0) {
		check_doc(&d, data, size, 0, 0, &wi);
		/* Edits of lenient documents are only checked for safety. */
		struct bt_buf out;
		int changed;
		static const struct bt_benc_set set = { "a", (const uint8_t *)"i1e", 3 };
		for (uint32_t i = 0, edits = 0; i < d.ntok && edits < 4; i++) {
			if (d.tok[i].type == BT_BENC_DICT) {
				bt_buf_init(&out, 0);
				ASSERT(bt_benc_dict_edit(&d, (int)i, &set, 1, &out, &changed) == 0);
				bt_buf_free(&out);
				edits++;
			}
		}
	} else {
		check_failure(rc, &e, size);
		ASSERT(!saved);
	}

	/* Lenient with trailing bytes allowed: the value found is a document
	 * of its own. */
	struct bt_benc_lim lim = bt_benc_lim_lenient;
	lim.trailing_ok = 1;
	rc = bt_benc_parse(&d, data, size, &lim, &e);
	if (lenient_ok)
		ASSERT(rc == 0 && d.len == size);
	if (rc == 0) {
		check_doc(&d, data, size, 0, 1, &wi);
		size_t len = d.len;
		struct bt_benc d2 = { 0 };
		ASSERT(bt_benc_parse(&d2, data, len, &bt_benc_lim_lenient, NULL) == 0);
		ASSERT(d2.ntok == d.ntok && same_tokens(d2.tok, d.tok, d.ntok));
		bt_benc_free(&d2);
	} else {
		check_failure(rc, &e, size);
		ASSERT(e.code != BT_BENC_TRAILING);
	}

	/* Tight limits from the input's first bytes. */
	if (size >= 4) {
		lim.depth = data[0] % 8;
		lim.tokens = data[1] % 64;
		lim.str_max = data[2] % 32;
		lim.strict = data[3] & 1;
		lim.trailing_ok = (data[3] >> 1) & 1;
		rc = bt_benc_parse(&d, data, size, &lim, &e);
		if (rc == 0) {
			check_doc(&d, data, size, lim.strict, lim.trailing_ok && !lim.strict, &wi);
			ASSERT(wi.max_depth <= lim.depth);
			ASSERT(d.ntok <= lim.tokens && wi.max_str <= lim.str_max);
		} else {
			check_failure(rc, &e, size);
		}
		if (strict_ok && rc != 0)
			ASSERT(e.code == BT_BENC_DEPTH || e.code == BT_BENC_TOKENS ||
				e.code == BT_BENC_STRING_LIMIT || e.code == BT_BENC_NOMEM);
	}
	free(saved);
	bt_benc_free(&d);
	return 0;
}
