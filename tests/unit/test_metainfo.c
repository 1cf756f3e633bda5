/* test_metainfo.c - bt_meta_parse on valid torrents (single, multi, padding
 * files, hybrid v1+v2) and on broken ones: each broken one must give the
 * right code, say what is wrong, and point at the offending value. */
#define _GNU_SOURCE	/* memmem() */
#include "metainfo.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "sha1.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "bdsl.h"

/* Position in p[0..n) that `at` names: the first match of `at` with its
 * '^' removed, plus the index of the '^' (0 when there is none).  -1 when
 * it does not occur. */
static long
find_at(const uint8_t *p, size_t n, const char *at)
{
	char pat[256];
	size_t k = 0, caret = 0;
	for (const char *s = at; *s && k + 1 < sizeof(pat); s++) {
		if (*s == '^')
			caret = k;
		else
			pat[k++] = *s;
	}
	const uint8_t *hit = memmem(p, n, pat, k);
	return hit ? (long)(hit - p) + (long)caret : -1;
}

/* SHA-1 of the bytes between "4:info" and the end of the root, which is
 * the info dictionary when `info` is the last top-level key. */
static void
info_hash_of_last(const uint8_t *p, size_t n, uint8_t out[20])
{
	long at = find_at(p, n, "4:info^d");
	memset(out, 0, 20);
	if (at > 0)
		bt_sha1(p + at, n - (size_t)at - 1, out);
}

/* ---- valid torrents ---- */

static void
test_single(void)
{
	size_t n;
	uint8_t *t = bdsl("{'announce':'http://tr.example/ann', 'comment':'hello',"
		" 'creation date':1700000000,"
		" 'info':{'length':100, 'name':'file.bin', 'piece length':32, 'pieces':#80}}", &n);
	struct bt_meta m;
	struct bt_meta_err e;
	uint8_t h[20];

	if (!CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0)) {
		fprintf(stderr, "    %s at %zu\n", e.what, e.off);
		goto out;
	}
	CHECK_STR(m.name, "file.bin");
	CHECK_INT(m.total, ==, 100);
	CHECK_INT(m.piece_len, ==, 32);
	CHECK_INT(m.npieces, ==, 4);
	CHECK(m.pieces == t + find_at(t, n, "6:pieces80:^"));
	CHECK_INT(m.multi, ==, 0);
	CHECK_INT(m.nfiles, ==, 1);
	CHECK_STR(m.files[0].path, "file.bin");
	CHECK_INT(m.files[0].length, ==, 100);
	CHECK_INT(m.files[0].offset, ==, 0);
	CHECK_INT(m.files[0].tok, ==, -1);
	CHECK_INT(m.files[0].pad, ==, 0);
	CHECK_INT(m.priv, ==, -1);
	CHECK_INT(m.meta_version, ==, 0);
	CHECK(bt_benc_str_eq(&m.doc, m.announce, "http://tr.example/ann"));
	CHECK(bt_benc_str_eq(&m.doc, m.comment, "hello"));
	int64_t date = 0;
	CHECK_INT(bt_benc_int(&m.doc, m.creation_date, &date), ==, 0);
	CHECK_INT(date, ==, 1700000000);
	CHECK_INT(m.announce_list, ==, -1);
	CHECK_INT(m.httpseeds, ==, -1);
	CHECK_INT(m.url_list, ==, -1);
	CHECK_INT(m.created_by, ==, -1);
	CHECK_INT(bt_benc_type(&m.doc, m.info), ==, BT_BENC_DICT);
	CHECK_INT(m.doc.tok[m.info].off, ==, find_at(t, n, "4:info^d"));
	info_hash_of_last(t, n, h);
	CHECK_MEM(m.info_hash, 20, h, 20);

	/* bt_meta_strdup: strings only, and no NULs. */
	char *s = bt_meta_strdup(&m, m.comment);
	CHECK_STR(s, "hello");
	free(s);
	CHECK(bt_meta_strdup(&m, m.creation_date) == NULL);
	CHECK(bt_meta_strdup(&m, m.info) == NULL);
out:
	bt_meta_free(&m);
	free(t);

	t = bdsl("{'info':{'length':3, 'name':'a\\0b', 'piece length':32, 'pieces':#20}}", &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, BT_E_INVAL);
	CHECK(strstr(e.what, "NUL") != NULL);
	CHECK(strstr(e.what, "'a\\x00b'") != NULL);	/* in full, the NUL escaped */
	bt_meta_free(&m);
	free(t);

	/* The exact number of pieces at the boundaries. */
	static const struct { int64_t total, plen; int np; } sizes[] = {
		{ 1, 32, 1 }, { 31, 32, 1 }, { 32, 32, 1 }, { 33, 32, 2 }, { 64, 32, 2 },
		{ 65, 32, 3 }, { 1, 1, 1 }, { 1000, 1, 1000 },
		{ 5000000000LL, 1 << 30, 5 },
	};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char src[200];
		snprintf(src, sizeof(src), "{'info':{'length':%lld, 'name':'n',"
			" 'piece length':%lld, 'pieces':#%d}}", (long long)sizes[k].total,
			(long long)sizes[k].plen, 20 * sizes[k].np);
		t = bdsl(src, &n);
		int rc = bt_meta_parse(&m, t, n, &e);
		if (!CHECK_INT(rc, ==, 0))
			fprintf(stderr, "    %s: %s\n", src, e.what);
		else
			CHECK_INT(m.npieces, ==, sizes[k].np);
		bt_meta_free(&m);
		/* One hash fewer and one more are refused. */
		for (int d = -1; d <= 1; d += 2) {
			if (sizes[k].np + d < 0)
				continue;
			snprintf(src, sizeof(src), "{'info':{'length':%lld, 'name':'n',"
				" 'piece length':%lld, 'pieces':#%d}}", (long long)sizes[k].total,
				(long long)sizes[k].plen, 20 * (sizes[k].np + d));
			free(t);
			t = bdsl(src, &n);
			CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, BT_E_INVAL);
			CHECK(strstr(e.what, "piece hashes") != NULL);
			bt_meta_free(&m);
		}
		free(t);
	}
}

static void
test_piece_math(void)
{
	CHECK_INT(bt_meta_piece_count(0, 16), ==, 0);
	CHECK_INT(bt_meta_piece_count(1, 16), ==, 1);
	CHECK_INT(bt_meta_piece_count(16, 16), ==, 1);
	CHECK_INT(bt_meta_piece_count(17, 16), ==, 2);
	CHECK_INT(bt_meta_piece_count(INT64_MAX, (int64_t)1 << 30), ==, (int64_t)1 << 33);
	CHECK_INT(bt_meta_piece_size(42, 16, 0), ==, 16);
	CHECK_INT(bt_meta_piece_size(42, 16, 2), ==, 10);
	CHECK_INT(bt_meta_piece_size(48, 16, 2), ==, 16);
	CHECK_INT(bt_meta_piece_size(42, 16, 3), ==, 0);
	CHECK_INT(bt_meta_piece_size(0, 16, 0), ==, 0);
	CHECK_INT(bt_meta_block_count(0, 16384), ==, 0);
	CHECK_INT(bt_meta_block_count(16384, 16384), ==, 1);
	CHECK_INT(bt_meta_block_count(16385, 16384), ==, 2);
	CHECK_INT(bt_meta_block_size(40000, 16384, 0), ==, 16384);
	CHECK_INT(bt_meta_block_size(40000, 16384, 2), ==, 40000 - 32768);
	CHECK_INT(bt_meta_block_size(40000, 16384, 3), ==, 0);
	CHECK_INT(bt_meta_block_size(32768, 16384, 1), ==, 16384);
}

static void
test_multi(void)
{
	size_t n;
	uint8_t *t = bdsl("{'announce-list':[['http://a/1','http://a/2'],['udp://b:1']],"
		" 'created by':'me', 'httpseeds':['http://s/'],"
		" 'info':{'files':["
		"   {'length':10, 'path':['a','b.txt']},"
		"   {'attr':'x', 'length':0, 'md5sum':'0123456789abcdef0123456789abcdef', 'path':['c']},"
		"   {'length':25, 'path':['d','e','f'], 'sha1':#20},"
		"   {'length':7, 'path':['d','ef']}],"
		"  'name':'top', 'piece length':16, 'pieces':#60, 'private':1},"
		" 'url-list':'http://w/'}", &n);
	struct bt_meta m;
	struct bt_meta_err e;
	uint8_t h[20];

	if (!CHECK(t != NULL))
		return;
	if (!CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0)) {
		fprintf(stderr, "    %s at %zu\n", e.what, e.off);
		goto out;
	}
	CHECK_STR(m.name, "top");
	CHECK_INT(m.multi, ==, 1);
	CHECK_INT(m.total, ==, 42);
	CHECK_INT(m.npieces, ==, 3);
	CHECK_INT(m.priv, ==, 1);
	CHECK_INT(m.nfiles, ==, 4);
	static const char *paths[] = { "a/b.txt", "c", "d/e/f", "d/ef" };
	static const int64_t lens[] = { 10, 0, 25, 7 }, offs[] = { 0, 10, 10, 35 };
	for (size_t k = 0; k < 4 && k < m.nfiles; k++) {
		CHECK_STR(m.files[k].path, paths[k]);
		CHECK_INT(m.files[k].length, ==, lens[k]);
		CHECK_INT(m.files[k].offset, ==, offs[k]);
		CHECK_INT(m.files[k].pad, ==, 0);
		CHECK_INT(bt_benc_type(&m.doc, m.files[k].tok), ==, BT_BENC_DICT);
		int len_tok = bt_benc_dict_get(&m.doc, m.files[k].tok, "length");
		int64_t v = -1;
		CHECK_INT(bt_benc_int(&m.doc, len_tok, &v), ==, 0);
		CHECK_INT(v, ==, lens[k]);
	}
	/* Which file holds a byte: never the empty one, nfiles past the end. */
	static const int64_t at[] = { 0, 9, 10, 34, 35, 41, 42, 1000 };
	static const size_t holder[] = { 0, 0, 2, 2, 3, 3, 4, 4 };
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		CHECK_INT(bt_meta_file_at(&m, at[k]), ==, holder[k]);
	CHECK_INT(bt_benc_count(&m.doc, m.announce_list), ==, 2);
	CHECK(bt_benc_str_eq(&m.doc, m.created_by, "me"));
	CHECK_INT(bt_benc_type(&m.doc, m.httpseeds), ==, BT_BENC_LIST);
	CHECK(bt_benc_str_eq(&m.doc, m.url_list, "http://w/"));
	/* info is not last here: hash its raw span. */
	long a = find_at(t, n, "4:info^d"), b = find_at(t, n, "ee^8:url-list");
	CHECK(a > 0 && b > a);
	bt_sha1(t + a, (size_t)(b - a), h);
	CHECK_MEM(m.info_hash, 20, h, 20);
out:
	bt_meta_free(&m);
	free(t);

	/* url-list may be a list; private 0 is kept as 0. */
	t = bdsl("{'info':{'length':1, 'name':'n', 'piece length':16, 'pieces':#20,"
		" 'private':0}, 'url-list':['http://w/1', 'http://w/2']}", &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	CHECK_INT(m.priv, ==, 0);
	CHECK_INT(bt_benc_count(&m.doc, m.url_list), ==, 2);
	bt_meta_free(&m);
	free(t);
}

/* Unknown keys in info are hashed like the rest; outside info they are not. */
static void
test_hash(void)
{
	static const char *const srcs[] = {
		"{'info':{'length':100, 'name':'f', 'piece length':32, 'pieces':#80}}",
		"{'info':{'length':100, 'name':'f', 'piece length':32, 'pieces':#80, 'x-extra':'1'}}",
		"{'info':{'length':100, 'name':'f', 'piece length':32, 'pieces':#80, 'x-extra':'2'}}",
		"{'info':{'length':100, 'name':'f', 'piece length':32, 'pieces':#80, 'source':'S'}}",
		("{'a-unknown':{'z':[1,2]}, 'comment':'c',"
		 " 'info':{'length':100, 'name':'f', 'piece length':32, 'pieces':#80}}"),
	};
	uint8_t hs[5][20];

	for (size_t k = 0; k < 5; k++) {
		size_t n;
		uint8_t *t = bdsl(srcs[k], &n);
		struct bt_meta m;
		struct bt_meta_err e;
		uint8_t h[20];
		if (CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0)) {
			info_hash_of_last(t, n, h);
			CHECK_MEM(m.info_hash, 20, h, 20);
			memcpy(hs[k], m.info_hash, 20);
		} else {
			fprintf(stderr, "    %s: %s\n", srcs[k], e.what);
		}
		bt_meta_free(&m);
		free(t);
	}
	CHECK(memcmp(hs[0], hs[1], 20) != 0);
	CHECK(memcmp(hs[1], hs[2], 20) != 0);
	CHECK(memcmp(hs[0], hs[3], 20) != 0);
	CHECK(memcmp(hs[0], hs[4], 20) == 0);
}

static void
test_pad_hybrid(void)
{
	size_t n;
	struct bt_meta m;
	struct bt_meta_err e;

	/* BEP 47: attr containing 'p' marks a padding file. */
	uint8_t *t = bdsl("{'info':{'files':["
		"  {'length':10, 'path':['a']},"
		"  {'attr':'p', 'length':6, 'path':['.pad','6']},"
		"  {'attr':'xp', 'length':16, 'path':['b']},"
		"  {'attr':'hx', 'length':1, 'path':['c']},"
		"  {'attr':'', 'length':1, 'path':['d']}],"
		" 'name':'n', 'piece length':16, 'pieces':#60}}", &n);
	if (CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0) && CHECK_INT(m.nfiles, ==, 5)) {
		CHECK_INT(m.files[0].pad, ==, 0);
		CHECK_INT(m.files[1].pad, ==, 1);
		CHECK_STR(m.files[1].path, ".pad/6");
		CHECK_INT(m.files[2].pad, ==, 1);
		CHECK_INT(m.files[3].pad, ==, 0);
		CHECK_INT(m.files[4].pad, ==, 0);
		CHECK_INT(m.files[2].offset, ==, 16);
		CHECK_INT(m.total, ==, 34);
	} else {
		fprintf(stderr, "    %s\n", e.what);
	}
	bt_meta_free(&m);
	free(t);

	/* Hybrid (BEP 52): v2 keys next to a complete v1 part; read as v1. */
	t = bdsl("{'info':{'file tree':{'a':{'':{'length':10, 'pieces root':#32}}},"
		" 'files':[{'length':10, 'path':['a']}],"
		" 'meta version':2, 'name':'n', 'piece length':16384, 'pieces':#20},"
		" 'piece layers':{}}", &n);
	if (CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0)) {
		CHECK_INT(m.meta_version, ==, 2);
		CHECK_INT(m.nfiles, ==, 1);
		CHECK_INT(m.npieces, ==, 1);
		CHECK_INT(m.total, ==, 10);
	} else {
		fprintf(stderr, "    %s\n", e.what);
	}
	bt_meta_free(&m);
	free(t);

	/* Single-file hybrid. */
	t = bdsl("{'info':{'file tree':{'n':{'':{'length':10, 'pieces root':#32}}},"
		" 'length':10, 'meta version':2, 'name':'n', 'piece length':16384, 'pieces':#20}}", &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	bt_meta_free(&m);
	free(t);

	/* v2 only: no v1 pieces. */
	t = bdsl("{'info':{'file tree':{'a':{'':{'length':10, 'pieces root':#32}}},"
		" 'meta version':2, 'name':'n', 'piece length':16384}, 'piece layers':{}}", &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, BT_E_UNSUPPORTED);
	CHECK_INT(e.code, ==, BT_E_UNSUPPORTED);
	CHECK(strstr(e.what, "v2") != NULL);
	CHECK_INT(e.off, ==, find_at(t, n, "4:info^d"));
	bt_meta_free(&m);
	free(t);
}

/* ---- broken torrents ---- */

struct bad {
	int line;
	const char *src;	/* bdsl text */
	int rc;
	const char *what;	/* a part of err.what */
	const char *at;		/* where err.off points (see find_at) */
};

#define I1(s) "{'info':{" s "}}"	/* a torrent whose info is s */
#define PL "'piece length':32"
#define P4 "'pieces':#80"
#define F(s) I1("'files':[" s "], 'name':'n', 'piece length':16, 'pieces':#20")
#define L __LINE__

static const struct bad bad[] = {
	/* The container. */
	{ L, "[1]", BT_E_INVAL, "not a dictionary", "^l" },
	{ L, "'info'", BT_E_INVAL, "not a dictionary", "^4:" },
	{ L, "{}", BT_E_INVAL, "no 'info'", "^de" },
	{ L, "{'announce':'http://a/'}", BT_E_INVAL, "no 'info'", "^d" },
	{ L, "{'info':[]}", BT_E_INVAL, "'info' is not a dictionary", "4:info^le" },
	{ L, "{'info':'x'}", BT_E_INVAL, "'info' is not a dictionary", "4:info^1:x" },
	{ L, "{'info':{}}", BT_E_INVAL, "'name'", "4:info^d" },
	/* Not canonical bencoding. */
	{ L, "{'info':{'name':'n', 'length':100, " PL ", " P4 "}}", BT_E_PARSE, "bad bencoding",
		"^6:length" },
	{ L, "{'info':{'length':@i0100e@, 'name':'n', " PL ", " P4 "}}", BT_E_PARSE,
		"bad bencoding", "^i0100e" },
	{ L, "{'info':{'length':100, 'name':'n', " PL ", " P4 "}}@x@", BT_E_PARSE,
		"trailing", "ee^x" },
	{ L, "{'info':{'length':100, 'name':'n', " PL ", " P4 "}", BT_E_PARSE,
		"truncated", "" },
	/* name */
	{ L, I1("'length':100, " PL ", " P4), BT_E_INVAL, "'name'", "4:info^d" },
	{ L, I1("'length':100, 'name':5, " PL ", " P4), BT_E_INVAL, "'name'", "4:name^i5e" },
	{ L, I1("'length':100, 'name':['a'], " PL ", " P4), BT_E_INVAL, "'name'", "4:name^l" },
	{ L, I1("'length':100, 'name':'..', " PL ", " P4), BT_E_INVAL, "unsafe name '..'", "4:name^2:.." },
	{ L, I1("'length':100, 'name':'.', " PL ", " P4), BT_E_INVAL, "unsafe name '.'", "4:name^1:." },
	{ L, I1("'length':100, 'name':'', " PL ", " P4), BT_E_INVAL, "is empty", "4:name^0:" },
	{ L, I1("'length':100, 'name':'a/b', " PL ", " P4), BT_E_INVAL, "path separator", "4:name^3:a/b" },
	{ L, I1("'length':100, 'name':'/', " PL ", " P4), BT_E_INVAL, "path separator", "4:name^1:/" },
	{ L, I1("'length':100, 'name':'a\\\\b', " PL ", " P4), BT_E_INVAL, "path separator", "4:name^3:a" },
	/* piece length */
	{ L, I1("'length':100, 'name':'n', " P4), BT_E_INVAL, "'piece length'", "4:info^d" },
	{ L, I1("'length':100, 'name':'n', 'piece length':-1, " P4), BT_E_INVAL, "'piece length'", "^i-1e" },
	{ L, I1("'length':100, 'name':'n', 'piece length':0, " P4), BT_E_INVAL, "'piece length'", "length^i0e" },
	{ L, I1("'length':100, 'name':'n', 'piece length':'32', " P4), BT_E_INVAL, "'piece length'", "length^2:32" },
	{ L, I1("'length':100, 'name':'n', 'piece length':1073741825, " P4), BT_E_INVAL,
		"'piece length' 1073741825", "^i1073741825e" },
	/* pieces */
	{ L, I1("'length':100, 'name':'n', " PL), BT_E_INVAL, "no 'pieces'", "4:info^d" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':#30"), BT_E_INVAL, "20-byte", "6:pieces^30:" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':#79"), BT_E_INVAL, "20-byte", "6:pieces^79:" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':80"), BT_E_INVAL, "20-byte", "6:pieces^i80e" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':#60"), BT_E_INVAL, "3 piece hashes for 100 bytes",
		"6:pieces^60:" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':#100"), BT_E_INVAL, "(need 4)", "6:pieces^100:" },
	{ L, I1("'length':100, 'name':'n', " PL ", 'pieces':#0"), BT_E_INVAL, "(need 4)", "6:pieces^0:" },
	/* length / files */
	{ L, I1("'length':-5, 'name':'n', " PL ", 'pieces':#0"), BT_E_INVAL, "bad 'length'", "^i-5e" },
	{ L, I1("'length':'5', 'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL, "bad 'length'", "6:length^1:5" },
	{ L, I1("'length':2305843009213693952, 'name':'n', 'piece length':1073741824, 'pieces':#20"),
		BT_E_INVAL, "bad 'length'", "^i2305843009213693952e" },
	{ L, I1("'files':[{'length':1, 'path':['a']}], 'length':1, 'name':'n', " PL ", 'pieces':#20"),
		BT_E_INVAL, "both 'length' and 'files'", "4:info^d" },
	{ L, I1("'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL, "neither 'length' nor 'files'", "4:info^d" },
	{ L, F(""), BT_E_INVAL, "'files' is empty", "5:files^le" },
	{ L, I1("'files':'a', 'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL, "'files' is not a list",
		"5:files^1:a" },
	{ L, I1("'files':{}, 'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL, "'files' is not a list",
		"5:files^de" },
	{ L, F("1"), BT_E_INVAL, "file entry is not a dictionary", "5:filesl^i1e" },
	{ L, F("{'length':1, 'path':['a']}, ['b']"), BT_E_INVAL, "file entry is not a dictionary", "ee^l1:be" },
	{ L, F("{'path':['a']}"), BT_E_INVAL, "file 0: bad or missing 'length'", "5:filesl^d" },
	{ L, F("{'length':1, 'path':['a']}, {'length':-3, 'path':['b']}"), BT_E_INVAL,
		"file 1: bad or missing 'length'", "^i-3e" },
	{ L, F("{'length':'1', 'path':['a']}"), BT_E_INVAL, "file 0: bad or missing 'length'", "length^1:1" },
	{ L, F("{'length':1}"), BT_E_INVAL, "file 0: bad or missing 'path'", "5:filesl^d" },
	{ L, F("{'length':1, 'path':[]}"), BT_E_INVAL, "file 0: bad or missing 'path'", "4:path^le" },
	{ L, F("{'length':1, 'path':'a'}"), BT_E_INVAL, "file 0: bad or missing 'path'", "4:path^1:a" },
	{ L, F("{'length':1, 'path':['a', 5]}"), BT_E_INVAL, "not a string", "1:a^i5e" },
	{ L, F("{'length':1, 'path':['..']}"), BT_E_INVAL, "unsafe path component '..'", "4:pathl^2:.." },
	{ L, F("{'length':1, 'path':['a', '..', 'b']}"), BT_E_INVAL, "unsafe path component '..'", "^2:.." },
	{ L, F("{'length':1, 'path':['.']}"), BT_E_INVAL, "unsafe path component '.'", "^1:." },
	{ L, F("{'length':1, 'path':['a', '']}"), BT_E_INVAL, "is empty", "1:a^0:" },
	{ L, F("{'length':1, 'path':['a/b']}"), BT_E_INVAL, "path separator", "^3:a/b" },
	{ L, F("{'length':1, 'path':['a\\\\b']}"), BT_E_INVAL, "path separator", "4:pathl^3:" },
	{ L, F("{'length':1, 'path':['a\\0b']}"), BT_E_INVAL, "NUL", "4:pathl^3:" },
	{ L, F("{'length':1, 'path':['a','b']}, {'length':1, 'path':['a','b']}"), BT_E_INVAL,
		"duplicate path 'a/b'", NULL },
	{ L, F("{'length':1, 'path':['a']}, {'length':1, 'path':['a','b']}"), BT_E_INVAL,
		"path 'a' is both a file and a directory", "ee^d6:lengthi1e4:pathl1:a1:bee" },
	{ L, F("{'length':1, 'path':['x','a','b','c']}, {'length':1, 'path':['x','a.b']},"
		" {'length':1, 'path':['x','a']}"), BT_E_INVAL,
		"path 'x/a' is both a file and a directory", "5:filesl^d" },
	{ L, F("{'length':2305843009213693951, 'path':['a']}, {'length':1, 'path':['b']}"),
		BT_E_LIMIT, "total size too large", "6:length^i1e4:pathl1:b" },
	/* The optional top-level keys. */
	{ L, "{'announce':1, 'info':{}}", BT_E_INVAL, "'announce' has the wrong type", "8:announce^i1e" },
	{ L, "{'announce':['a'], 'info':{}}", BT_E_INVAL, "'announce' has the wrong type", "8:announce^l" },
	{ L, "{'announce-list':['http://a/'], 'info':{}}", BT_E_INVAL,
		"'announce-list' is not a list of lists", "13:announce-list^l" },
	{ L, "{'announce-list':[['http://a/'], [1]], 'info':{}}", BT_E_INVAL,
		"'announce-list' is not a list of lists", "13:announce-list^l" },
	{ L, "{'announce-list':[[['x']]], 'info':{}}", BT_E_INVAL,
		"'announce-list' is not a list of lists", "13:announce-list^l" },
	{ L, "{'announce-list':'http://a/', 'info':{}}", BT_E_INVAL,
		"'announce-list' has the wrong type", "13:announce-list^9:" },
	{ L, "{'comment':1, 'info':{}}", BT_E_INVAL, "'comment' has the wrong type", "^i1e" },
	{ L, "{'created by':[], 'info':{}}", BT_E_INVAL, "'created by' has the wrong type", "^le" },
	{ L, "{'creation date':'2020', 'info':{}}", BT_E_INVAL, "'creation date' has the wrong type",
		"date^4:" },
	{ L, "{'httpseeds':'http://s/', 'info':{}}", BT_E_INVAL, "'httpseeds' has the wrong type",
		"seeds^9:" },
	{ L, "{'httpseeds':['http://s/', 1], 'info':{}}", BT_E_INVAL, "'httpseeds' is not a list of URLs",
		"seeds^l" },
	{ L, "{'info':{}, 'url-list':1}", BT_E_INVAL, "'url-list' is not a URL or a list of URLs",
		"list^i1e" },
	{ L, "{'info':{}, 'url-list':{}}", BT_E_INVAL, "'url-list' is not a URL or a list of URLs",
		"list^de" },
	{ L, "{'info':{}, 'url-list':['http://w/', ['x']]}", BT_E_INVAL,
		"'url-list' is not a URL or a list of URLs", "list^l" },
	/* private, meta version */
	{ L, I1("'length':1, 'name':'n', " PL ", 'pieces':#20, 'private':'1'"), BT_E_INVAL,
		"'private' is not an integer", "7:private^1:1" },
	{ L, I1("'length':1, 'meta version':0, 'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL,
		"bad 'meta version'", "version^i0e" },
	{ L, I1("'length':1, 'meta version':'2', 'name':'n', " PL ", 'pieces':#20"), BT_E_INVAL,
		"bad 'meta version'", "version^1:2" },
};

static void
test_bad(void)
{
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		const struct bad *b = &bad[k];
		size_t n;
		uint8_t *t = bdsl(b->src, &n);
		struct bt_meta m;
		struct bt_meta_err e;

		if (!CHECK_AT(b->line, t != NULL))
			continue;
		int rc = bt_meta_parse(&m, t, n, &e);
		CHECK_INT_AT(b->line, rc, ==, b->rc);
		CHECK_INT_AT(b->line, e.code, ==, b->rc);
		if (!CHECK_AT(b->line, strstr(e.what, b->what) != NULL))
			fprintf(stderr, "    what: \"%s\", want \"%s\"\n", e.what, b->what);
		if (b->at && *b->at) {
			long want = find_at(t, n, b->at);
			CHECK_AT(b->line, want >= 0);
			if (!CHECK_INT_AT(b->line, e.off, ==, want))
				fprintf(stderr, "    what: \"%s\"\n", e.what);
		} else if (b->at) {
			CHECK_INT_AT(b->line, e.off, ==, n);	/* "": at the end */
		}
		/* The same without an error report. */
		bt_meta_free(&m);
		CHECK_INT_AT(b->line, bt_meta_parse(&m, t, n, NULL), ==, b->rc);
		bt_meta_free(&m);
		free(t);
	}

	/* A duplicate points at one of the two entries. */
	size_t n;
	uint8_t *t = bdsl(F("{'length':1, 'path':['a','b']}, {'length':2, 'path':['a','b']}"), &n);
	struct bt_meta m;
	struct bt_meta_err e;
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, BT_E_INVAL);
	long first = find_at(t, n, "5:filesl^d"), second = find_at(t, n, "ee^d6:lengthi2e");
	CHECK(e.off == (size_t)first || e.off == (size_t)second);
	bt_meta_free(&m);
	free(t);

	/* Paths too deep and too long. */
	struct bt_buf src;
	bt_buf_init(&src, 0);
	bt_buf_adds(&src, "{'info':{'files':[{'length':1, 'path':[");
	for (int k = 0; k < BT_META_MAX_DEPTH + 1; k++)
		bt_buf_adds(&src, "'d',");
	bt_buf_adds(&src, "]}], 'name':'n', 'piece length':16, 'pieces':#20}}");
	t = bdsl(bt_buf_cstr(&src), &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, BT_E_LIMIT);
	CHECK(strstr(e.what, "too deep") != NULL);
	CHECK_INT(e.off, ==, find_at(t, n, "4:path^l"));
	bt_meta_free(&m);
	free(t);
	/* Exactly the limit is fine. */
	src.len = 0;
	bt_buf_adds(&src, "{'info':{'files':[{'length':1, 'path':[");
	for (int k = 0; k < BT_META_MAX_DEPTH; k++)
		bt_buf_adds(&src, "'d',");
	bt_buf_adds(&src, "]}], 'name':'n', 'piece length':16, 'pieces':#20}}");
	t = bdsl(bt_buf_cstr(&src), &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	bt_meta_free(&m);
	free(t);
	/* 4096 bytes joined: 20 components of 200 bytes and "/"s pass, one more
	 * does not. */
	char comp[256];
	memset(comp, 'c', 200);
	comp[200] = 0;
	for (int extra = 0; extra < 2; extra++) {
		src.len = 0;
		bt_buf_adds(&src, "{'info':{'files':[{'length':1, 'path':[");
		for (int k = 0; k < 20 + extra; k++)
			bt_buf_printf(&src, "'%s',", comp);
		bt_buf_adds(&src, "]}], 'name':'n', 'piece length':16, 'pieces':#20}}");
		t = bdsl(bt_buf_cstr(&src), &n);
		CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, extra ? BT_E_LIMIT : 0);
		if (extra)
			CHECK(strstr(e.what, "too long") != NULL);
		bt_meta_free(&m);
		free(t);
	}
	bt_buf_free(&src);

	/* Every prefix of a valid torrent is refused, cleanly. */
	t = bdsl(F("{'length':1, 'path':['a']}, {'length':2, 'path':['b','c']}"), &n);
	int fails = 0;
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, t, k);
		if (bt_meta_parse(&m, p, k, &e) != BT_E_PARSE)
			fails++;
		bt_meta_free(&m);
		free(p);
	}
	CHECK_INT(fails, ==, 0);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	bt_meta_free(&m);
	free(t);
}

/* Where a parsed torrent cannot be saved: the name, then each file, with
 * the rule broken. */
static void
test_disk_problem(void)
{
	char long_c[301], why[256], src[1024];
	struct bt_meta m;
	struct bt_meta_err e;
	size_t n;
	uint8_t *t;

	memset(long_c, 'a', 300);
	long_c[300] = 0;
	snprintf(src, sizeof(src), "{'info':{'files':[{'length':1, 'path':['ok']},"
		" {'length':1, 'path':['sub', '%s']}], 'name':'top', 'piece length':16,"
		" 'pieces':#20}}", long_c);
	t = bdsl(src, &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	CHECK(bt_meta_disk_problem(&m, 1, why, sizeof(why)) == why);
	CHECK(strstr(why, "file 2 of 2 'sub/aaaa") != NULL);
	CHECK(strstr(why, "a path component is 300 bytes, more than 255") != NULL);
	CHECK(bt_meta_disk_problem(&m, 0, why, sizeof(why)) != NULL);
	bt_meta_free(&m);
	free(t);

	/* 255 bytes is fine; 256 in the name is not, unless it is not used. */
	long_c[255] = 0;
	snprintf(src, sizeof(src), "{'info':{'files':[{'length':1, 'path':['%s']}],"
		" 'name':'%sb', 'piece length':16, 'pieces':#20}}", long_c, long_c);
	t = bdsl(src, &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	CHECK(bt_meta_disk_problem(&m, 0, why, sizeof(why)) == NULL);
	CHECK(bt_meta_disk_problem(&m, 1, why, sizeof(why)) != NULL);
	CHECK(strstr(why, "the name 'aaaa") != NULL && strstr(why, "is 256 bytes") != NULL);
	bt_meta_free(&m);
	free(t);

	/* Control bytes are no rule of the disk's; padding files are skipped. */
	long_c[255] = 'a';
	snprintf(src, sizeof(src), "{'info':{'files':[{'length':1, 'path':['x']},"
		" {'attr':'p', 'length':1, 'path':['.pad', '%s']}], 'name':'e\x1b', "
		"'piece length':16, 'pieces':#20}}", long_c);
	t = bdsl(src, &n);
	CHECK_INT(bt_meta_parse(&m, t, n, &e), ==, 0);
	CHECK(bt_meta_disk_problem(&m, 1, why, sizeof(why)) == NULL);
	bt_meta_free(&m);
	free(t);
}

int
main(void)
{
	test_single();
	test_piece_math();
	test_multi();
	test_hash();
	test_pad_hybrid();
	test_bad();
	test_disk_problem();
	return check_summary("metainfo");
}
