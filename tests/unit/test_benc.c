/* test_benc.c - the bencode parser (tokens, spans, accessors, every error
 * code with its offset, strict and lenient limits), the writer (canonical
 * output, latched errors, round trips) and bt_benc_dict_edit. */
#define _POSIX_C_SOURCE 200809L
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "rand.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static struct bt_benc doc;	/* reused by every parse, as callers may */

static int
parse_n(const void *p, size_t n, const struct bt_benc_lim *lim, struct bt_benc_err *e)
{
	return bt_benc_parse(&doc, p, n, lim, e);
}

static int
parse_s(const char *s, const struct bt_benc_lim *lim, struct bt_benc_err *e)
{
	return parse_n(s, strlen(s), lim, e);
}

/* The return code bt_benc_parse gives with an error code. */
static int
rc_of(int code)
{
	switch (code) {
	case BT_BENC_OK: return 0;
	case BT_BENC_DEPTH: case BT_BENC_TOKENS: case BT_BENC_STRING_LIMIT:
	case BT_BENC_TOO_BIG: return BT_E_LIMIT;
	case BT_BENC_NOMEM: return BT_E_NOMEM;
	}
	return BT_E_PARSE;
}

/* Parsing p[0..n) with lim fails with exactly this code at this offset. */
static void
expect_err(int line, const void *p, size_t n, const struct bt_benc_lim *lim, int code,
	size_t off)
{
	struct bt_benc_err e = { -1, (size_t)-1 };
	int rc = parse_n(p, n, lim, &e);
	int ok = rc == rc_of(code) && e.code == code && e.off == off;
	if (!CHECK_AT(line, ok)) {
		fprintf(stderr, "    input: \"%.*s\" -> rc %d, code %d (%s) at %zu;"
			" want code %d (%s) at %zu\n", (int)(n > 80 ? 80 : n), (const char *)p,
			rc, e.code, bt_benc_errstr(e.code), e.off, code, bt_benc_errstr(code), off);
	}
	/* Without an error report the code is the same. */
	CHECK_INT_AT(line, parse_n(p, n, lim, NULL), ==, rc_of(code));
}

#define EXPECT_ERR(s, lim, code, off) expect_err(__LINE__, s, strlen(s), lim, code, off)

/* ---- good input ---- */

static void
check_tok(int line, int i, uint32_t off, uint32_t len, uint32_t next, int type, int hdr)
{
	if (!CHECK_AT(line, (uint32_t)i < doc.ntok))
		return;
	const struct bt_btok *t = &doc.tok[i];
	CHECK_INT_AT(line, t->off, ==, off);
	CHECK_INT_AT(line, t->len, ==, len);
	CHECK_INT_AT(line, t->next, ==, next);
	CHECK_INT_AT(line, t->type, ==, type);
	CHECK_INT_AT(line, t->hdr, ==, hdr);
}

#define CHECK_TOK(i, off, len, next, type, hdr) check_tok(__LINE__, i, off, len, next, type, hdr)

static void
expect_int(int line, const char *s, int64_t want)
{
	int64_t v = 12345;
	if (!CHECK_INT_AT(line, parse_s(s, &bt_benc_lim_strict, NULL), ==, 0))
		return;
	CHECK_INT_AT(line, doc.ntok, ==, 1);
	CHECK_INT_AT(line, bt_benc_type(&doc, 0), ==, BT_BENC_INT);
	CHECK_INT_AT(line, bt_benc_int(&doc, 0, &v), ==, 0);
	CHECK_AT(line, v == want);
	CHECK_INT_AT(line, doc.len, ==, strlen(s));
	check_tok(line, 0, 0, (uint32_t)strlen(s), 1, BT_BENC_INT, 0);
}

static void
test_scalars(void)
{
	const uint8_t *p;
	size_t n;

	expect_int(__LINE__, "i0e", 0);
	expect_int(__LINE__, "i-1e", -1);
	expect_int(__LINE__, "i1e", 1);
	expect_int(__LINE__, "i42e", 42);
	expect_int(__LINE__, "i9223372036854775807e", INT64_MAX);
	expect_int(__LINE__, "i-9223372036854775808e", INT64_MIN);
	expect_int(__LINE__, "i-9223372036854775807e", -INT64_MAX);

	/* The empty string. */
	CHECK_INT(parse_s("0:", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_TOK(0, 0, 2, 1, BT_BENC_STR, 2);
	CHECK_INT(bt_benc_str(&doc, 0, &p, &n), ==, 0);
	CHECK_INT(n, ==, 0);
	CHECK(bt_benc_str_eq(&doc, 0, ""));
	CHECK(!bt_benc_str_eq(&doc, 0, "a"));

	/* Binary bytes, NULs included, and a two-digit length. */
	static const uint8_t bin[] = "12:a\0b\0\xff\x01" "cdefgh";
	CHECK_INT(parse_n(bin, sizeof(bin) - 1, &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_TOK(0, 0, 15, 1, BT_BENC_STR, 3);
	CHECK_INT(bt_benc_str(&doc, 0, &p, &n), ==, 0);
	CHECK_MEM(p, n, bin + 3, 12);
	CHECK(p == bin + 3);	/* zero-copy: it points into the input */
	CHECK(!bt_benc_str_eq(&doc, 0, "a"));
	int64_t v;
	CHECK_INT(bt_benc_int(&doc, 0, &v), ==, -1);
	CHECK_INT(bt_benc_count(&doc, 0), ==, 0);
	CHECK_INT(bt_benc_first(&doc, 0), ==, -1);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "a"), ==, -1);

	/* An integer is not a string. */
	CHECK_INT(parse_s("i7e", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(bt_benc_str(&doc, 0, &p, &n), ==, -1);
	CHECK(!bt_benc_str_eq(&doc, 0, "7"));
	CHECK_INT(bt_benc_type(&doc, -1), ==, 0);

	/* A long string: the header is counted in hdr and len. */
	size_t big = 100000;
	char *s = malloc(big + 16);
	int h = sprintf(s, "%zu:", big);
	memset(s + h, 'z', big);
	CHECK_INT(parse_n(s, (size_t)h + big, &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_TOK(0, 0, (uint32_t)(h + big), 1, BT_BENC_STR, h);
	free(s);
}

static void
test_nested(void)
{
	/*            0         1         2         3
	 *            0123456789012345678901234567890123 */
	const char *s = "d4:dictd1:xi-5ee4:listli1e3:twoee";
	size_t n;
	const uint8_t *raw;
	int64_t v;

	if (!CHECK_INT(parse_s(s, &bt_benc_lim_strict, NULL), ==, 0))
		return;
	CHECK_INT(doc.ntok, ==, 9);
	CHECK_INT(doc.len, ==, strlen(s));
	CHECK(doc.buf == (const uint8_t *)s);
	CHECK_TOK(0, 0, 33, 9, BT_BENC_DICT, 0);
	CHECK_TOK(1, 1, 6, 2, BT_BENC_STR, 2);
	CHECK_TOK(2, 7, 9, 5, BT_BENC_DICT, 0);
	CHECK_TOK(3, 8, 3, 4, BT_BENC_STR, 2);
	CHECK_TOK(4, 11, 4, 5, BT_BENC_INT, 0);
	CHECK_TOK(5, 16, 6, 6, BT_BENC_STR, 2);
	CHECK_TOK(6, 22, 10, 9, BT_BENC_LIST, 0);
	CHECK_TOK(7, 23, 3, 8, BT_BENC_INT, 0);
	CHECK_TOK(8, 26, 5, 9, BT_BENC_STR, 2);

	CHECK_INT(bt_benc_count(&doc, 0), ==, 2);
	CHECK_INT(bt_benc_count(&doc, 2), ==, 1);
	CHECK_INT(bt_benc_count(&doc, 6), ==, 2);
	CHECK_INT(bt_benc_count(&doc, 7), ==, 0);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "dict"), ==, 2);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "list"), ==, 6);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "x"), ==, -1);	/* not at this level */
	CHECK_INT(bt_benc_dict_get(&doc, 0, "lis"), ==, -1);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "lists"), ==, -1);
	CHECK_INT(bt_benc_dict_get(&doc, 0, ""), ==, -1);
	CHECK_INT(bt_benc_dict_get(&doc, 2, "x"), ==, 4);
	CHECK_INT(bt_benc_dict_get(&doc, 6, "x"), ==, -1);	/* a list */
	CHECK_INT(bt_benc_dict_getn(&doc, 0, "listx", 4), ==, 6);
	CHECK_INT(bt_benc_int(&doc, 4, &v), ==, 0);
	CHECK_INT(v, ==, -5);

	/* Iteration: the root's children are key, value, key, value. */
	int want_root[] = { 1, 2, 5, 6 }, k = 0;
	for (int j = bt_benc_first(&doc, 0); j >= 0; j = bt_benc_next(&doc, 0, j), k++)
		CHECK_INT(k < 4 ? want_root[k] : -1, ==, j);
	CHECK_INT(k, ==, 4);
	int want_list[] = { 7, 8 };
	k = 0;
	for (int j = bt_benc_first(&doc, 6); j >= 0; j = bt_benc_next(&doc, 6, j), k++)
		CHECK_INT(k < 2 ? want_list[k] : -1, ==, j);
	CHECK_INT(k, ==, 2);
	CHECK(bt_benc_str_eq(&doc, 8, "two"));
	CHECK(bt_benc_str_eq(&doc, 1, "dict"));

	raw = bt_benc_raw(&doc, 2, &n);
	CHECK_MEMS(raw, n, "d1:xi-5ee");
	raw = bt_benc_raw(&doc, 6, &n);
	CHECK_MEMS(raw, n, "li1e3:twoe");
	raw = bt_benc_raw(&doc, 8, &n);
	CHECK_MEMS(raw, n, "3:two");
	raw = bt_benc_raw(&doc, 0, &n);
	CHECK_MEMS(raw, n, s);

	/* Empty containers and deep but allowed nesting. */
	CHECK_INT(parse_s("le", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_TOK(0, 0, 2, 1, BT_BENC_LIST, 0);
	CHECK_INT(bt_benc_first(&doc, 0), ==, -1);
	CHECK_INT(bt_benc_count(&doc, 0), ==, 0);
	CHECK_INT(parse_s("de", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_TOK(0, 0, 2, 1, BT_BENC_DICT, 0);
	CHECK_INT(bt_benc_dict_get(&doc, 0, ""), ==, -1);
	CHECK_INT(parse_s("lldeleee", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(doc.ntok, ==, 4);
	CHECK_TOK(0, 0, 8, 4, BT_BENC_LIST, 0);
	CHECK_TOK(1, 1, 6, 4, BT_BENC_LIST, 0);
	CHECK_TOK(2, 2, 2, 3, BT_BENC_DICT, 0);
	CHECK_TOK(3, 4, 2, 4, BT_BENC_LIST, 0);
	CHECK_INT(bt_benc_next(&doc, 1, 2), ==, 3);
	CHECK_INT(bt_benc_next(&doc, 1, 3), ==, -1);

	/* Keys compare as unsigned bytes, a prefix first; the empty key is
	 * the smallest. */
	CHECK_INT(parse_s("d0:i0e1:ai1e2:aai2e1:bi3e1:\xffi4ee", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(bt_benc_count(&doc, 0), ==, 5);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "\xff"), ==, 10);
	CHECK_INT(bt_benc_dict_get(&doc, 0, ""), ==, 2);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "aa"), ==, 6);
	/* A key with a NUL in it. */
	static const char nulkey[] = "d3:a\0bi1e3:a\0ci2ee";
	CHECK_INT(parse_n(nulkey, sizeof(nulkey) - 1, &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(bt_benc_dict_getn(&doc, 0, "a\0c", 3), ==, 4);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "a"), ==, -1);
}

/* ---- bad input ---- */

struct bad {
	const char *s;
	int code;
	size_t off;
};

static const struct bad bad_strict[] = {
	{ "i-0e", BT_BENC_BAD_INT, 0 },
	{ "i03e", BT_BENC_BAD_INT, 0 },
	{ "i00e", BT_BENC_BAD_INT, 0 },
	{ "i-03e", BT_BENC_BAD_INT, 0 },
	{ "ie", BT_BENC_BAD_INT, 0 },
	{ "i-e", BT_BENC_BAD_INT, 0 },
	{ "i--1e", BT_BENC_BAD_INT, 0 },
	{ "i+1e", BT_BENC_BAD_INT, 0 },
	{ "i 1e", BT_BENC_BAD_INT, 0 },
	{ "i1 e", BT_BENC_BAD_INT, 0 },
	{ "i1.5e", BT_BENC_BAD_INT, 0 },
	{ "i1-e", BT_BENC_BAD_INT, 0 },
	{ "i0x1e", BT_BENC_BAD_INT, 0 },
	{ "i12", BT_BENC_EOF, 3 },
	{ "i", BT_BENC_EOF, 1 },
	{ "i-", BT_BENC_EOF, 2 },
	{ "i9223372036854775808e", BT_BENC_BAD_INT, 0 },
	{ "i-9223372036854775809e", BT_BENC_BAD_INT, 0 },
	{ "i99999999999999999999999e", BT_BENC_BAD_INT, 0 },
	{ "li1ei03ee", BT_BENC_BAD_INT, 4 },
	{ "02:ab", BT_BENC_BAD_LENGTH, 0 },
	{ "00:", BT_BENC_BAD_LENGTH, 0 },
	{ "l01:ae", BT_BENC_BAD_LENGTH, 1 },
	{ "99999999999999999999:a", BT_BENC_BAD_LENGTH, 0 },
	{ "3:ab", BT_BENC_EOF, 4 },
	{ "1:", BT_BENC_EOF, 2 },
	{ "5", BT_BENC_EOF, 1 },
	{ "2ab", BT_BENC_EXPECTED_COLON, 0 },
	{ "2-:ab", BT_BENC_EXPECTED_COLON, 0 },
	{ "x", BT_BENC_EXPECTED_VALUE, 0 },
	{ ":a", BT_BENC_EXPECTED_VALUE, 0 },
	{ "-1:a", BT_BENC_EXPECTED_VALUE, 0 },
	{ " i1e", BT_BENC_EXPECTED_VALUE, 0 },
	{ "lxe", BT_BENC_EXPECTED_VALUE, 1 },
	{ "e", BT_BENC_EXPECTED_VALUE, 0 },
	{ "l", BT_BENC_EOF, 1 },
	{ "d", BT_BENC_EOF, 1 },
	{ "l1:a", BT_BENC_EOF, 4 },
	{ "d1:a", BT_BENC_EOF, 4 },
	{ "d1:ai1e", BT_BENC_EOF, 7 },
	{ "di1ei2ee", BT_BENC_KEY_NOT_STRING, 1 },
	{ "dlei1ee", BT_BENC_KEY_NOT_STRING, 1 },
	{ "ddei1ee", BT_BENC_KEY_NOT_STRING, 1 },
	{ "d1:ai1ei2ei3ee", BT_BENC_KEY_NOT_STRING, 7 },
	{ "d1:bi1e1:ai2ee", BT_BENC_KEY_ORDER, 7 },
	{ "d2:aai1e1:ai2ee", BT_BENC_KEY_ORDER, 8 },
	{ "d1:\xffi1e1:ai2ee", BT_BENC_KEY_ORDER, 7 },
	{ "d1:ai1e1:ci1e1:bi2ee", BT_BENC_KEY_ORDER, 13 },
	{ "d1:ai1e1:ai2ee", BT_BENC_KEY_DUP, 7 },
	{ "d0:i1e0:i2ee", BT_BENC_KEY_DUP, 6 },
	{ "d1:ae", BT_BENC_MISSING_VALUE, 4 },
	{ "d1:ai1e1:be", BT_BENC_MISSING_VALUE, 10 },
	{ "ld1:aee", BT_BENC_MISSING_VALUE, 5 },
	{ "i1ei2e", BT_BENC_TRAILING, 3 },
	{ "i1ee", BT_BENC_TRAILING, 3 },
	{ "lee", BT_BENC_TRAILING, 2 },
	{ "0:0:", BT_BENC_TRAILING, 2 },
	{ "de\n", BT_BENC_TRAILING, 2 },
	{ "i1e\0", BT_BENC_TRAILING, 3 },	/* strlen stops at the NUL: see below */
};

static void
test_bad(void)
{
	static const uint8_t one = 'i';

	/* Empty input, whatever the pointer. */
	expect_err(__LINE__, "", 0, &bt_benc_lim_strict, BT_BENC_EMPTY, 0);
	expect_err(__LINE__, NULL, 0, &bt_benc_lim_strict, BT_BENC_EMPTY, 0);
	expect_err(__LINE__, NULL, 0, &bt_benc_lim_lenient, BT_BENC_EMPTY, 0);
	expect_err(__LINE__, &one, 1, &bt_benc_lim_strict, BT_BENC_EOF, 1);

	for (size_t k = 0; k < sizeof(bad_strict) / sizeof(bad_strict[0]); k++) {
		const struct bad *b = &bad_strict[k];
		size_t n = strlen(b->s);
		if (b->code == BT_BENC_TRAILING && n == b->off)
			n++;	/* the trailing NUL is the trailing byte */
		expect_err(__LINE__, b->s, n, &bt_benc_lim_strict, b->code, b->off);
	}

	/* A NUL where a value should start. */
	expect_err(__LINE__, "l\0e", 3, &bt_benc_lim_strict, BT_BENC_EXPECTED_VALUE, 1);
	/* A string length that runs past the end by one. */
	expect_err(__LINE__, "l4:abce", 7, &bt_benc_lim_strict, BT_BENC_EOF, 7);

	/* Strict never lets trailing bytes pass, even when asked. */
	struct bt_benc_lim lim = bt_benc_lim_strict;
	lim.trailing_ok = 1;
	EXPECT_ERR("i1ei2e", &lim, BT_BENC_TRAILING, 3);

	/* Every error code has a text. */
	for (int c = BT_BENC_OK; c <= BT_BENC_NOMEM; c++)
		CHECK(bt_benc_errstr(c) && *bt_benc_errstr(c));
	CHECK(bt_benc_errstr(-1) != NULL);
	CHECK(bt_benc_errstr(1000) != NULL);

	/* The document can be reused after a failure. */
	CHECK_INT(parse_s("li1ee", &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(doc.ntok, ==, 2);
	CHECK_INT(doc.len, ==, 5);
}

static void
test_limits(void)
{
	char s[1200];
	struct bt_benc_lim lim;

	/* Depth: 64 nested lists pass the strict limit, 65 do not; the error
	 * is at the list that goes too deep. */
	for (int depth = 63; depth <= 65; depth++) {
		size_t n = 0;
		for (int k = 0; k < depth; k++)
			s[n++] = 'l';
		memcpy(s + n, "i1e", 3);
		n += 3;
		for (int k = 0; k < depth; k++)
			s[n++] = 'e';
		if (depth <= 64) {
			CHECK_INT(parse_n(s, n, &bt_benc_lim_strict, NULL), ==, 0);
			CHECK_INT(doc.ntok, ==, depth + 1);
			CHECK_INT(doc.tok[0].len, ==, n);
			CHECK_INT(doc.tok[depth - 1].next, ==, depth + 1);
		} else {
			expect_err(__LINE__, s, n, &bt_benc_lim_strict, BT_BENC_DEPTH, 64);
		}
	}
	memset(s, 'l', 100);
	expect_err(__LINE__, s, 100, &bt_benc_lim_strict, BT_BENC_DEPTH, 64);
	expect_err(__LINE__, s, 100, &bt_benc_lim_lenient, BT_BENC_DEPTH, 32);
	/* Dictionaries nest too: "d1:a" repeated. */
	size_t n = 0;
	for (int k = 0; k < 70; k++) {
		memcpy(s + n, "d1:a", 4);
		n += 4;
	}
	expect_err(__LINE__, s, n, &bt_benc_lim_strict, BT_BENC_DEPTH, 64 * 4);
	/* A limit above 256 is held to 256. */
	lim = bt_benc_lim_strict;
	lim.depth = 1000;
	memset(s, 'l', 300);
	expect_err(__LINE__, s, 300, &lim, BT_BENC_DEPTH, 256);
	lim.depth = 1;
	EXPECT_ERR("lle", &lim, BT_BENC_DEPTH, 1);
	CHECK_INT(parse_s("li1ee", &lim, NULL), ==, 0);
	lim.depth = 0;
	EXPECT_ERR("le", &lim, BT_BENC_DEPTH, 0);
	CHECK_INT(parse_s("i1e", &lim, NULL), ==, 0);

	/* Tokens: the error is at the first value past the limit. */
	lim = bt_benc_lim_strict;
	lim.tokens = 3;
	CHECK_INT(parse_s("li1ei2ee", &lim, NULL), ==, 0);
	EXPECT_ERR("li1ei2ei3ee", &lim, BT_BENC_TOKENS, 7);
	EXPECT_ERR("d1:ai1ee", &lim, 0, 0);
	EXPECT_ERR("d1:ai1e1:bi2ee", &lim, BT_BENC_TOKENS, 7);
	lim.tokens = 1;
	CHECK_INT(parse_s("i5e", &lim, NULL), ==, 0);
	EXPECT_ERR("le", &lim, 0, 0);
	EXPECT_ERR("lee", &lim, BT_BENC_TRAILING, 2);
	EXPECT_ERR("l0:e", &lim, BT_BENC_TOKENS, 1);
	/* Growing the token array past its first allocation. */
	lim.tokens = 1000;
	n = 0;
	s[n++] = 'l';
	for (int k = 0; k < 999 && n + 4 < sizeof(s); k++)
		s[n++] = '0', s[n++] = ':';
	s[n++] = 'e';
	int nstr = (int)(n - 2) / 2;
	CHECK_INT(parse_n(s, n, &lim, NULL), ==, 0);
	CHECK_INT(doc.ntok, ==, nstr + 1);
	CHECK_INT(bt_benc_count(&doc, 0), ==, nstr);
	lim.tokens = (uint32_t)nstr;
	expect_err(__LINE__, s, n, &lim, BT_BENC_TOKENS, n - 3);

	/* String length: the error is at the string's first byte. */
	lim = bt_benc_lim_strict;
	lim.str_max = 3;
	CHECK_INT(parse_s("3:abc", &lim, NULL), ==, 0);
	EXPECT_ERR("4:abcd", &lim, BT_BENC_STRING_LIMIT, 0);
	EXPECT_ERR("l3:abc4:abcde", &lim, BT_BENC_STRING_LIMIT, 6);
	EXPECT_ERR("4:ab", &lim, BT_BENC_STRING_LIMIT, 0);	/* before running out */
	EXPECT_ERR("d4:abcdi1ee", &lim, BT_BENC_STRING_LIMIT, 1);	/* keys too */
	lim.str_max = 0;
	CHECK_INT(parse_s("0:", &lim, NULL), ==, 0);
	EXPECT_ERR("1:a", &lim, BT_BENC_STRING_LIMIT, 0);
	/* The lenient limit is 1 MiB. */
	EXPECT_ERR("1048577:", &bt_benc_lim_lenient, BT_BENC_STRING_LIMIT, 0);
	EXPECT_ERR("1048576:", &bt_benc_lim_lenient, BT_BENC_EOF, 8);
	/* Strict: longer than 4 GiB is beyond any input we take. */
	EXPECT_ERR("4294967296:", &bt_benc_lim_strict, BT_BENC_STRING_LIMIT, 0);
	EXPECT_ERR("4294967295:", &bt_benc_lim_strict, BT_BENC_EOF, 11);
}

static void
test_lenient(void)
{
	const struct bt_benc_lim *L = &bt_benc_lim_lenient;
	struct bt_benc_lim lim;
	int64_t v;

	/* Unsorted keys pass; lookups still work. */
	CHECK_INT(parse_s("d1:bi1e1:ai2ee", L, NULL), ==, 0);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "a"), ==, 4);
	CHECK_INT(bt_benc_dict_get(&doc, 0, "b"), ==, 2);
	CHECK_INT(parse_s("d1:ci1e1:ai2e1:bi3ee", L, NULL), ==, 0);
	CHECK_INT(bt_benc_count(&doc, 0), ==, 3);
	/* Duplicates never pass, next to each other or not. */
	EXPECT_ERR("d1:ai1e1:ai2ee", L, BT_BENC_KEY_DUP, 7);
	EXPECT_ERR("d1:bi1e1:ai2e1:bi3ee", L, BT_BENC_KEY_DUP, 13);
	EXPECT_ERR("d1:ai1e1:ci2e1:bi3e1:ai4ee", L, BT_BENC_KEY_DUP, 19);
	EXPECT_ERR("d1:ci1e1:bi2e1:ai3e1:ci4e1:bi5ee", L, BT_BENC_KEY_DUP, 19);
	EXPECT_ERR("ld1:bi1e1:ai2e1:bi3eee", L, BT_BENC_KEY_DUP, 14);
	/* Not fooled by prefixes or by the same bytes in values. */
	CHECK_INT(parse_s("d2:aai1e1:a2:aa1:b1:ae", L, NULL), ==, 0);
	CHECK_INT(parse_s("d1:bd1:bi1e1:ai1ee1:ad1:bi1e1:ai1eee", L, NULL), ==, 0);
	/* Trailing bytes only when allowed. */
	EXPECT_ERR("i1exyz", L, BT_BENC_TRAILING, 3);
	lim = *L;
	lim.trailing_ok = 1;
	CHECK_INT(parse_s("i1exyz", &lim, NULL), ==, 0);
	CHECK_INT(doc.len, ==, 3);
	CHECK_INT(doc.tok[0].len, ==, 3);
	CHECK_INT(parse_s("d1:ai1eeGARBAGE", &lim, NULL), ==, 0);
	CHECK_INT(doc.len, ==, 8);
	/* Leading zeros of integers pass, "-0" and leading zeros of lengths
	 * never do. */
	CHECK_INT(parse_s("i03e", L, NULL), ==, 0);
	CHECK_INT(bt_benc_int(&doc, 0, &v), ==, 0);
	CHECK_INT(v, ==, 3);
	CHECK_INT(parse_s("i-007e", L, NULL), ==, 0);
	CHECK_INT(bt_benc_int(&doc, 0, &v), ==, 0);
	CHECK_INT(v, ==, -7);
	EXPECT_ERR("i-0e", L, BT_BENC_BAD_INT, 0);
	EXPECT_ERR("i-00e", L, BT_BENC_BAD_INT, 0);
	EXPECT_ERR("02:ab", L, BT_BENC_BAD_LENGTH, 0);
	EXPECT_ERR("ie", L, BT_BENC_BAD_INT, 0);
	EXPECT_ERR("i9223372036854775808e", L, BT_BENC_BAD_INT, 0);
	/* The rest is as strict. */
	EXPECT_ERR("di1ei1ee", L, BT_BENC_KEY_NOT_STRING, 1);
	EXPECT_ERR("d1:ae", L, BT_BENC_MISSING_VALUE, 4);
	EXPECT_ERR("e", L, BT_BENC_EXPECTED_VALUE, 0);
}

/* A document with every kind of value: each proper prefix is truncated. */
static const char torrent[] =
	"d8:announce15:http://t.io/ann13:announce-listll15:http://t.io/annee"
	"7:comment3:abc13:creation datei1700000000e"
	"4:infod5:filesld6:lengthi5e4:pathl1:a1:beed6:lengthi0e4:pathl1:ceee"
	"4:name3:dir12:piece lengthi16384e6:pieces20:01234567890123456789ee";

static void
test_truncated(void)
{
	size_t n = sizeof(torrent) - 1;
	char *copy;

	if (!CHECK_INT(parse_n(torrent, n, &bt_benc_lim_strict, NULL), ==, 0))
		return;
	CHECK_INT(doc.len, ==, n);
	int info = bt_benc_dict_get(&doc, 0, "info");
	CHECK_INT(bt_benc_type(&doc, info), ==, BT_BENC_DICT);
	int files = bt_benc_dict_get(&doc, info, "files");
	CHECK_INT(bt_benc_count(&doc, files), ==, 2);

	/* Each prefix in a buffer of its own size, so a read past the end is
	 * seen by the sanitizers. */
	int bad = 0;
	for (size_t k = 1; k < n; k++) {
		struct bt_benc_err e;
		copy = malloc(k);
		memcpy(copy, torrent, k);
		for (int mode = 0; mode < 2; mode++) {
			int rc = parse_n(copy, k, mode ? &bt_benc_lim_lenient : &bt_benc_lim_strict, &e);
			if (rc != BT_E_PARSE || e.code != BT_BENC_EOF || e.off != k) {
				if (bad++ < 5)
					fprintf(stderr, "    prefix %zu (mode %d): rc %d code %d off %zu\n",
						k, mode, rc, e.code, e.off);
			}
		}
		free(copy);
	}
	CHECK_INT(bad, ==, 0);

	/* Every single-byte change either fails or spans the whole input. */
	static const uint8_t subst[] = { 0, '0', '1', '9', ':', '-', 'e', 'i', 'l', 'd', 'x', 0xff };
	bad = 0;
	copy = malloc(n);
	for (size_t k = 0; k < n; k++) {
		for (size_t s = 0; s < sizeof(subst); s++) {
			memcpy(copy, torrent, n);
			copy[k] = (char)subst[s];
			int rc = parse_n(copy, n, &bt_benc_lim_strict, NULL);
			if (rc == 0 && (doc.len != n || doc.tok[0].len != n))
				bad++;
			if (rc != 0 && rc != BT_E_PARSE && rc != BT_E_LIMIT)
				bad++;
		}
	}
	free(copy);
	CHECK_INT(bad, ==, 0);
}

/* ---- writer ---- */

static void
test_writer(void)
{
	struct bt_buf b;
	struct bt_bw w;

	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "");
	bt_bw_int(&w, 0);
	bt_bw_key(&w, "a");
	bt_bw_list(&w);
	bt_bw_int(&w, -1);
	bt_bw_int(&w, INT64_MAX);
	bt_bw_int(&w, INT64_MIN);
	bt_bw_strs(&w, "");
	bt_bw_str(&w, "x\0y", 3);
	bt_bw_dict(&w);
	bt_bw_end(&w);
	bt_bw_list(&w);
	bt_bw_end(&w);
	bt_bw_end(&w);
	bt_bw_key(&w, "aa");
	bt_bw_raw(&w, "i03e", 4);	/* verbatim, even if not canonical */
	bt_bw_keyn(&w, "b\0", 2);
	bt_bw_strs(&w, "0123456789");
	bt_bw_key(&w, "b\x01");
	bt_bw_int(&w, 7);
	bt_bw_keyn(&w, "\xff", 1);
	bt_bw_int(&w, 8);
	bt_bw_end(&w);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	static const char want[] = "d0:i0e1:ali-1ei9223372036854775807ei-9223372036854775808e"
		"0:3:x\0ydelee2:aai03e2:b\0" "10:01234567892:b\x01i7e1:\xffi8ee";
	CHECK_MEM(b.p, b.len, want, sizeof(want) - 1);
	bt_buf_free(&b);

	/* A long string's header. */
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	char *big = calloc(1, 123456);
	bt_bw_str(&w, big, 123456);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	CHECK_INT(b.len, ==, 7 + 123456);
	CHECK(b.p && memcmp(b.p, "123456:", 7) == 0);
	free(big);
	bt_buf_free(&b);
}

/* Runs the writer calls of one misuse case: 0 normal, then misuse. */
static void
expect_bw_err(int line, int which, int want)
{
	struct bt_buf b;
	struct bt_bw w;
	size_t len_at_err = 0;

	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	switch (which) {
	case 0:	/* key out of order */
		bt_bw_dict(&w);
		bt_bw_key(&w, "b");
		bt_bw_int(&w, 1);
		len_at_err = b.len;
		bt_bw_key(&w, "a");
		break;
	case 1:	/* duplicate key */
		bt_bw_dict(&w);
		bt_bw_key(&w, "a");
		bt_bw_int(&w, 1);
		len_at_err = b.len;
		bt_bw_key(&w, "a");
		break;
	case 2:	/* a longer key first: "ab" then "a" */
		bt_bw_dict(&w);
		bt_bw_key(&w, "ab");
		bt_bw_int(&w, 1);
		len_at_err = b.len;
		bt_bw_key(&w, "a");
		break;
	case 3:	/* value without a key */
		bt_bw_dict(&w);
		len_at_err = b.len;
		bt_bw_int(&w, 1);
		break;
	case 4:	/* a string value without a key */
		bt_bw_dict(&w);
		bt_bw_key(&w, "a");
		bt_bw_int(&w, 1);
		len_at_err = b.len;
		bt_bw_strs(&w, "x");
		break;
	case 5:	/* a container without a key */
		bt_bw_dict(&w);
		len_at_err = b.len;
		bt_bw_list(&w);
		break;
	case 6:	/* end with nothing open */
		bt_bw_int(&w, 1);
		len_at_err = b.len;
		bt_bw_end(&w);
		break;
	case 7:	/* end after a key */
		bt_bw_dict(&w);
		bt_bw_key(&w, "a");
		len_at_err = b.len;
		bt_bw_end(&w);
		break;
	case 8:	/* a key in a list */
		bt_bw_list(&w);
		len_at_err = b.len;
		bt_bw_key(&w, "a");
		break;
	case 9:	/* two keys in a row */
		bt_bw_dict(&w);
		bt_bw_key(&w, "a");
		len_at_err = b.len;
		bt_bw_key(&w, "b");
		break;
	case 10:	/* a key at the top */
		len_at_err = b.len;
		bt_bw_key(&w, "a");
		break;
	case 11:	/* containers left open */
		bt_bw_list(&w);
		bt_bw_dict(&w);
		bt_bw_end(&w);
		len_at_err = b.len;
		break;
	case 12:	/* too deep */
		for (int k = 0; k < BT_BW_MAXDEPTH; k++)
			bt_bw_list(&w);
		len_at_err = b.len;
		bt_bw_list(&w);
		break;
	case 13:	/* the order of keys is per dictionary, and checked after nesting */
		bt_bw_dict(&w);
		bt_bw_key(&w, "m");
		bt_bw_dict(&w);
		bt_bw_key(&w, "z");
		bt_bw_int(&w, 1);
		bt_bw_end(&w);
		len_at_err = b.len;
		bt_bw_key(&w, "b");
		break;
	}
	/* Whatever comes after an error does nothing. */
	bt_bw_int(&w, 5);
	bt_bw_strs(&w, "more");
	bt_bw_list(&w);
	bt_bw_end(&w);
	bt_bw_key(&w, "zzz");
	bt_bw_end(&w);
	if (!CHECK_INT_AT(line, bt_bw_finish(&w), ==, want))
		fprintf(stderr, "    writer misuse case %d\n", which);
	if (which != 11 && !CHECK_INT_AT(line, b.len, ==, len_at_err))
		fprintf(stderr, "    writer misuse case %d\n", which);
	bt_buf_free(&b);
}

static void
test_writer_errors(void)
{
	for (int k = 0; k <= 13; k++)
		expect_bw_err(__LINE__, k, k == 12 ? BT_E_LIMIT : BT_E_INVAL);

	/* Nested dictionaries each have their own order. */
	struct bt_buf b;
	struct bt_bw w;
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "m");
	bt_bw_dict(&w);
	bt_bw_key(&w, "a");
	bt_bw_int(&w, 1);
	bt_bw_end(&w);
	bt_bw_key(&w, "n");
	bt_bw_int(&w, 2);
	bt_bw_end(&w);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	CHECK_MEMS(b.p, b.len, "d1:md1:ai1ee1:ni2ee");
	bt_buf_free(&b);

	/* The buffer's limit. */
	bt_buf_init(&b, 8);
	bt_bw_init(&w, &b);
	bt_bw_strs(&w, "0123456789");
	CHECK_INT(bt_bw_finish(&w), ==, BT_E_LIMIT);
	bt_buf_free(&b);

	/* Keys after the buffer hit its limit: the previous key never made it
	 * into the buffer, and must not be compared with (it used to be read
	 * past the end of the buffer). */
	char k1[1000], k2[1000];
	memset(k1, 'b', sizeof(k1));
	memset(k2, 'c', sizeof(k2));
	bt_buf_init(&b, 16);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "a");
	bt_bw_int(&w, 1);
	bt_bw_keyn(&w, k1, sizeof(k1));
	bt_bw_int(&w, 2);
	bt_bw_keyn(&w, k2, sizeof(k2));
	bt_bw_int(&w, 3);
	bt_bw_end(&w);
	CHECK_INT(bt_bw_finish(&w), ==, BT_E_LIMIT);
	CHECK_INT(b.len, <=, 16);
	bt_buf_free(&b);

	/* Exactly BT_BW_MAXDEPTH levels are fine. */
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	for (int k = 0; k < BT_BW_MAXDEPTH; k++)
		bt_bw_list(&w);
	for (int k = 0; k < BT_BW_MAXDEPTH; k++)
		bt_bw_end(&w);
	CHECK_INT(bt_bw_finish(&w), ==, 0);
	CHECK_INT(b.len, ==, 2 * BT_BW_MAXDEPTH);
	bt_buf_free(&b);
}

/* ---- round trips ---- */

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint32_t
rnd(void)
{
	return (uint32_t)(bt_rand64(&rng_state) >> 32);
}

struct key {
	uint8_t b[6];
	size_t n;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->b, y->b, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static void
gen(struct bt_bw *w, int depth)
{
	static const int64_t special[] = { 0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN,
		INT64_MAX - 1, INT64_MIN + 1, 1000000007 };
	static const uint8_t alpha[] = { 'a', 'b', 0, 0xff, '0', 'e' };
	uint8_t s[40];
	unsigned kind = rnd() % (depth >= 5 ? 2 : 4);

	switch (kind) {
	case 0:
		if (rnd() % 2)
			bt_bw_int(w, special[rnd() % (sizeof(special) / sizeof(special[0]))]);
		else {
			uint64_t hi = rnd(), lo = rnd();
			int64_t v = (int64_t)((hi << 32 | lo) >> (1 + rnd() % 63));
			bt_bw_int(w, rnd() % 2 ? v : -v);
		}
		break;
	case 1: {
		size_t n = rnd() % (rnd() % 8 ? 12 : sizeof(s));
		for (size_t k = 0; k < n; k++)
			s[k] = (uint8_t)rnd();
		bt_bw_str(w, s, n);
		break;
	}
	case 2: {
		unsigned n = rnd() % 5;
		bt_bw_list(w);
		for (unsigned k = 0; k < n; k++)
			gen(w, depth + 1);
		bt_bw_end(w);
		break;
	}
	case 3: {
		struct key keys[6];
		unsigned n = rnd() % 6, m = 0;
		for (unsigned k = 0; k < n; k++) {
			keys[k].n = rnd() % 4;
			for (size_t j = 0; j < keys[k].n; j++)
				keys[k].b[j] = alpha[rnd() % sizeof(alpha)];
		}
		qsort(keys, n, sizeof(keys[0]), key_cmp);
		bt_bw_dict(w);
		for (unsigned k = 0; k < n; k++) {
			if (m && key_cmp(&keys[m - 1], &keys[k]) == 0)
				continue;
			keys[m++] = keys[k];
			bt_bw_keyn(w, keys[k].b, keys[k].n);
			gen(w, depth + 1);
		}
		bt_bw_end(w);
		break;
	}
	}
}

/* Writes token i of doc (and its subtree) again through the accessors. */
static void
reencode(struct bt_bw *w, const struct bt_benc *d, int i)
{
	const uint8_t *p;
	size_t n;
	int64_t v;

	switch (bt_benc_type(d, i)) {
	case BT_BENC_INT:
		if (bt_benc_int(d, i, &v) == 0)
			bt_bw_int(w, v);
		break;
	case BT_BENC_STR:
		if (bt_benc_str(d, i, &p, &n) == 0)
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
			/* The lookup finds this very value. */
			if (bt_benc_dict_getn(d, i, p, n) != j)
				bt_bw_int(w, 0x5eed);	/* spoils the comparison */
			else
				reencode(w, d, j);
		}
		bt_bw_end(w);
		break;
	}
}

static void
test_round_trip(void)
{
	int bad = 0;

	for (int iter = 0; iter < 2000; iter++) {
		struct bt_buf a, b;
		struct bt_bw w;

		bt_buf_init(&a, 0);
		bt_buf_init(&b, 0);
		bt_bw_init(&w, &a);
		gen(&w, 0);
		if (bt_bw_finish(&w) != 0) {
			bad++;
			goto next;
		}
		if (parse_n(a.p, a.len, &bt_benc_lim_strict, NULL) != 0 || doc.len != a.len) {
			if (bad++ < 3)
				check_dump_("unparsable writer output", a.p, a.len);
			goto next;
		}
		/* Every token's span lies within its parent's. */
		for (uint32_t t = 0; t < doc.ntok; t++) {
			if (doc.tok[t].next <= t || doc.tok[t].next > doc.ntok ||
			    doc.tok[t].off + doc.tok[t].len > doc.len)
				bad++;
		}
		bt_bw_init(&w, &b);
		reencode(&w, &doc, 0);
		if (bt_bw_finish(&w) != 0 || a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
			if (bad++ < 3) {
				check_dump_("first ", a.p, a.len);
				check_dump_("second", b.p, b.len);
			}
		}
next:
		bt_buf_free(&a);
		bt_buf_free(&b);
	}
	CHECK_INT(bad, ==, 0);
}

/* ---- editing ---- */

#define SET(k, v) { (k), (const uint8_t *)(v), sizeof(v) - 1 }
#define DEL(k) { (k), NULL, 0 }

static void
expect_edit(int line, const char *in, int dict, const struct bt_benc_set *sets, size_t n,
	const char *want, int want_changed)
{
	struct bt_buf out;
	int changed = -1;

	if (!CHECK_INT_AT(line, parse_s(in, &bt_benc_lim_strict, NULL), ==, 0))
		return;
	bt_buf_init(&out, 0);
	bt_buf_adds(&out, "PREFIX");	/* appended after what is there */
	CHECK_INT_AT(line, bt_benc_dict_edit(&doc, dict, sets, n, &out, &changed), ==, 0);
	CHECK_AT(line, out.len >= 6 && memcmp(out.p, "PREFIX", 6) == 0);
	if (out.len >= 6)
		CHECK_MEM_AT(line, out.p + 6, out.len - 6, want, strlen(want));
	CHECK_INT_AT(line, changed, ==, want_changed);
	if (!want_changed) {
		size_t rn;
		const uint8_t *raw = bt_benc_raw(&doc, dict, &rn);
		CHECK_MEM_AT(line, out.p + 6, out.len - 6, raw, rn);
	}
	/* The result is canonical again. */
	struct bt_benc d2 = { 0 };
	CHECK_INT_AT(line, bt_benc_parse(&d2, out.p + 6, out.len - 6, &bt_benc_lim_strict, NULL), ==, 0);
	bt_benc_free(&d2);
	bt_buf_free(&out);
}

#define EXPECT_EDIT(in, sets, want, changed) \
	expect_edit(__LINE__, in, 0, sets, sizeof(sets) / sizeof(sets[0]), want, changed)

static void
test_edit(void)
{
	const char *base = "d1:bi1e1:di2e1:fi3ee";

	static const struct bt_benc_set rep[] = { SET("d", "4:four") };
	EXPECT_EDIT(base, rep, "d1:bi1e1:d4:four1:fi3ee", 1);
	static const struct bt_benc_set first[] = { SET("a", "i0e") };
	EXPECT_EDIT(base, first, "d1:ai0e1:bi1e1:di2e1:fi3ee", 1);
	static const struct bt_benc_set empty_key[] = { SET("", "le") };
	EXPECT_EDIT(base, empty_key, "d0:le1:bi1e1:di2e1:fi3ee", 1);
	static const struct bt_benc_set mid[] = { SET("c", "i9e") };
	EXPECT_EDIT(base, mid, "d1:bi1e1:ci9e1:di2e1:fi3ee", 1);
	static const struct bt_benc_set last[] = { SET("g", "de") };
	EXPECT_EDIT(base, last, "d1:bi1e1:di2e1:fi3e1:gdee", 1);
	static const struct bt_benc_set prefix[] = { SET("bb", "i5e"), SET("b\x01", "i4e") };
	EXPECT_EDIT(base, prefix, "d1:bi1e2:b\x01i4e2:bbi5e1:di2e1:fi3ee", 1);
	static const struct bt_benc_set del[] = { DEL("d") };
	EXPECT_EDIT(base, del, "d1:bi1e1:fi3ee", 1);
	static const struct bt_benc_set del_first_last[] = { DEL("f"), DEL("b") };
	EXPECT_EDIT(base, del_first_last, "d1:di2ee", 1);
	static const struct bt_benc_set del_all[] = { DEL("f"), DEL("b"), DEL("d") };
	EXPECT_EDIT(base, del_all, "de", 1);
	static const struct bt_benc_set del_missing[] = { DEL("c"), DEL("zz"), DEL("") };
	EXPECT_EDIT(base, del_missing, base, 0);
	static const struct bt_benc_set same[] = { SET("d", "i2e") };
	EXPECT_EDIT(base, same, base, 0);
	/* Same bytes under another key is a change. */
	static const struct bt_benc_set moved[] = { DEL("d"), SET("e", "i2e") };
	EXPECT_EDIT(base, moved, "d1:bi1e1:ei2e1:fi3ee", 1);
	/* Given in any order, applied in key order. */
	static const struct bt_benc_set many[] = { SET("z", "i26e"), DEL("b"), SET("a", "i0e"),
		SET("e", "i5e"), SET("d", "l1:xe") };
	EXPECT_EDIT(base, many, "d1:ai0e1:dl1:xe1:ei5e1:fi3e1:zi26ee", 1);
	EXPECT_EDIT("de", first, "d1:ai0ee", 1);
	EXPECT_EDIT("de", del, "de", 0);
	expect_edit(__LINE__, base, 0, NULL, 0, base, 0);

	/* An inner dictionary: the output is that dictionary alone. */
	static const struct bt_benc_set inner[] = { SET("n", "1:N") };
	expect_edit(__LINE__, "d4:infod1:mi1e1:oi2ee1:zi0ee", 2, inner,
		1, "d1:mi1e1:n1:N1:oi2ee", 1);

	/* Unknown keys and the bytes of other values are kept exactly, even
	 * when not canonical (a leniently parsed document). */
	static const char odd[] = "d1:bi007e1:cd1:yi1e1:xi2ee1:f3:\0\xff\x01" "5:x-unkl0:i-0012eee";
	struct bt_buf out;
	int changed = -1;
	CHECK_INT(parse_n(odd, sizeof(odd) - 1, &bt_benc_lim_lenient, NULL), ==, 0);
	bt_buf_init(&out, 0);
	CHECK_INT(bt_benc_dict_edit(&doc, 0, first, 1, &out, &changed), ==, 0);
	static const char odd_want[] = "d1:ai0e1:bi007e1:cd1:yi1e1:xi2ee1:f3:\0\xff\x01"
		"5:x-unkl0:i-0012eee";
	CHECK_MEM(out.p, out.len, odd_want, sizeof(odd_want) - 1);
	CHECK_INT(changed, ==, 1);
	bt_buf_free(&out);
	bt_buf_init(&out, 0);
	CHECK_INT(bt_benc_dict_edit(&doc, 0, NULL, 0, &out, &changed), ==, 0);
	CHECK_MEM(out.p, out.len, odd, sizeof(odd) - 1);
	CHECK_INT(changed, ==, 0);
	bt_buf_free(&out);

	/* Not a dictionary. */
	CHECK_INT(parse_s("li1ee", &bt_benc_lim_strict, NULL), ==, 0);
	bt_buf_init(&out, 0);
	CHECK_INT(bt_benc_dict_edit(&doc, 0, first, 1, &out, &changed), ==, BT_E_INVAL);
	CHECK_INT(bt_benc_dict_edit(&doc, 1, first, 1, &out, &changed), ==, BT_E_INVAL);
	bt_buf_free(&out);

	/* A full buffer is reported. */
	CHECK_INT(parse_s(base, &bt_benc_lim_strict, NULL), ==, 0);
	bt_buf_init(&out, 10);
	CHECK_INT(bt_benc_dict_edit(&doc, 0, first, 1, &out, &changed), ==, BT_E_LIMIT);
	bt_buf_free(&out);
}

int
main(void)
{
	test_scalars();
	test_nested();
	test_bad();
	test_limits();
	test_lenient();
	test_truncated();
	test_writer();
	test_writer_errors();
	test_round_trip();
	test_edit();
	bt_benc_free(&doc);
	return check_summary("benc");
}
