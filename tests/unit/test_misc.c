/* test_misc.c - the small modules: bt_buf, list splitting and hex (str),
 * option parsing and help (opt), whole-file reads and atomic writes
 * (fileio), the applet table, the automatic piece size, SipHash's
 * reference vectors, and 64-bit time
 * (the build asks for it on 32-bit targets). */
#define _GNU_SOURCE
#include "applets.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"
#if BT_HAVE_MAKETOOLS
#include "makemeta.h"
#endif
#include "opt.h"
#include "rand.h"
#include "siphash.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* ---- bt_buf ---- */

static void
test_buf(void)
{
	struct bt_buf b;

	/* Growth, one byte at a time. */
	bt_buf_init(&b, 0);
	CHECK(b.p == NULL && b.len == 0);
	for (int k = 0; k < 100000; k++)
		bt_buf_addc(&b, (uint8_t)(k * 7));
	CHECK_INT(b.err, ==, 0);
	CHECK_INT(b.len, ==, 100000);
	CHECK_INT(b.cap, >, b.len);
	int bad = 0;
	for (int k = 0; k < 100000; k++)
		bad += b.p[k] != (uint8_t)(k * 7);
	CHECK_INT(bad, ==, 0);
	bt_buf_free(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);

	/* Big appends. */
	bt_buf_init(&b, 0);
	char *big = malloc(1 << 20);
	memset(big, 'q', 1 << 20);
	bt_buf_add(&b, "x", 1);
	bt_buf_add(&b, big, 1 << 20);
	bt_buf_add(&b, NULL, 0);
	CHECK_INT(b.len, ==, (1 << 20) + 1);
	CHECK(b.p[0] == 'x' && b.p[1] == 'q' && b.p[1 << 20] == 'q');
	bt_buf_free(&b);

	/* The limit latches BT_E_LIMIT; nothing is appended after. */
	bt_buf_init(&b, 10);
	bt_buf_adds(&b, "01234567");
	CHECK_INT(b.err, ==, 0);
	bt_buf_adds(&b, "89a");
	CHECK_INT(b.err, ==, BT_E_LIMIT);
	CHECK_INT(b.len, ==, 8);
	bt_buf_adds(&b, "8");
	CHECK_INT(b.len, ==, 8);
	CHECK(bt_buf_reserve(&b, 0) == NULL);
	bt_buf_commit(&b, 1);
	CHECK_INT(b.len, ==, 8);
	CHECK(bt_buf_cstr(&b) == NULL);
	bt_buf_printf(&b, "%d", 1);
	CHECK_INT(b.len, ==, 8);
	CHECK_MEMS(b.p, b.len, "01234567");
	bt_buf_free(&b);
	/* Exactly full is fine, and still has room for the NUL. */
	bt_buf_init(&b, 3);
	bt_buf_adds(&b, "abc");
	CHECK_INT(b.err, ==, 0);
	CHECK_STR(bt_buf_cstr(&b), "abc");
	bt_buf_free(&b);

	/* printf: short, at the 128-byte boundary, and large. */
	for (size_t n = 120; n <= 136; n++) {
		char *s = malloc(n + 1);
		memset(s, 'a' + (int)(n % 26), n);
		s[n] = 0;
		bt_buf_init(&b, 0);
		bt_buf_adds(&b, "<");
		bt_buf_printf(&b, "%s|%zu", s, n);
		char want[200];
		snprintf(want, sizeof(want), "<%s|%zu", s, n);
		CHECK_STR(bt_buf_cstr(&b), want);
		bt_buf_free(&b);
		free(s);
	}
	bt_buf_init(&b, 0);
	big[100000] = 0;
	bt_buf_printf(&b, "[%s] %d", big, -42);
	CHECK_INT(b.len, ==, 100000 + 6);
	CHECK(b.len > 6 && memcmp(b.p + b.len - 5, "] -42", 5) == 0);
	CHECK(b.p[0] == '[' && b.p[1] == 'q' && b.p[100000] == 'q');
	bt_buf_free(&b);
	/* A large printf past the limit latches and leaves the data alone. */
	bt_buf_init(&b, 100);
	bt_buf_adds(&b, "keep");
	bt_buf_printf(&b, "%s", big);
	CHECK_INT(b.err, ==, BT_E_LIMIT);
	CHECK_MEMS(b.p, b.len, "keep");
	bt_buf_free(&b);
	free(big);

	/* reserve / commit. */
	bt_buf_init(&b, 0);
	uint8_t *w = bt_buf_reserve(&b, 5);
	CHECK(w != NULL);
	if (w)
		memcpy(w, "hello", 5);
	CHECK_INT(b.len, ==, 0);
	bt_buf_commit(&b, 3);
	CHECK_MEMS(b.p, b.len, "hel");

	/* consume */
	bt_buf_adds(&b, "lo, world");
	bt_buf_consume(&b, 5);
	CHECK_STR(bt_buf_cstr(&b), ", world");
	bt_buf_consume(&b, 0);
	CHECK_INT(b.len, ==, 7);
	bt_buf_consume(&b, 7);
	CHECK_INT(b.len, ==, 0);
	bt_buf_adds(&b, "ab");
	bt_buf_consume(&b, 100);
	CHECK_INT(b.len, ==, 0);
	CHECK_STR(bt_buf_cstr(&b), "");
	bt_buf_free(&b);
}

/* ---- str ---- */

static void
check_strv(int line, const struct bt_strv *v, const char *const *want, size_t n)
{
	if (!CHECK_INT_AT(line, v->n, ==, n))
		return;
	for (size_t k = 0; k < n; k++)
		CHECK_STR_AT(line, v->v[k], want[k]);
}

static void
test_str(void)
{
	struct bt_strv v;
	struct bt_tiers t;

	CHECK_INT(bt_strv_split(&v, "a,,b", ','), ==, 0);
	static const char *const ab[] = { "a", "b" };
	check_strv(__LINE__, &v, ab, 2);
	bt_strv_free(&v);
	CHECK(v.v == NULL && v.n == 0);
	CHECK_INT(bt_strv_split(&v, ",a,b,", ','), ==, 0);
	check_strv(__LINE__, &v, ab, 2);
	bt_strv_free(&v);
	CHECK_INT(bt_strv_split(&v, "", ','), ==, 0);
	CHECK_INT(v.n, ==, 0);
	bt_strv_free(&v);
	CHECK_INT(bt_strv_split(&v, ",,,", ','), ==, 0);
	CHECK_INT(v.n, ==, 0);
	bt_strv_free(&v);
	CHECK_INT(bt_strv_split(&v, "one thing|x", ','), ==, 0);
	static const char *const one[] = { "one thing|x" };
	check_strv(__LINE__, &v, one, 1);
	bt_strv_free(&v);

	CHECK_INT(bt_tiers_parse(&t, "a,,b||c,"), ==, 0);
	if (CHECK_INT(t.n, ==, 2)) {
		check_strv(__LINE__, &t.t[0], ab, 2);
		static const char *const c[] = { "c" };
		check_strv(__LINE__, &t.t[1], c, 1);
	}
	bt_tiers_free(&t);
	CHECK(t.t == NULL && t.n == 0);
	CHECK_INT(bt_tiers_parse(&t, ""), ==, 0);
	CHECK_INT(t.n, ==, 0);
	bt_tiers_free(&t);
	CHECK_INT(bt_tiers_parse(&t, "|,|,,|"), ==, 0);
	CHECK_INT(t.n, ==, 0);
	bt_tiers_free(&t);
	CHECK_INT(bt_tiers_parse(&t, ",|http://a/ann,http://b/ann|http://c/ann"), ==, 0);
	if (CHECK_INT(t.n, ==, 2)) {
		static const char *const t0[] = { "http://a/ann", "http://b/ann" };
		static const char *const t1[] = { "http://c/ann" };
		check_strv(__LINE__, &t.t[0], t0, 2);
		check_strv(__LINE__, &t.t[1], t1, 1);
	}
	bt_tiers_free(&t);

	/* hex */
	static const uint8_t bytes[] = { 0x00, 0xab, 0xff, 0x10, 0x9c };
	char hex[11];
	uint8_t back[5];
	bt_hex(hex, bytes, 5);
	CHECK_STR(hex, "00abff109c");
	bt_hex(hex, bytes, 0);
	CHECK_STR(hex, "");
	CHECK_INT(bt_unhex(back, "00abff109c", 5), ==, 0);
	CHECK_MEM(back, 5, bytes, 5);
	memset(back, 0, 5);
	CHECK_INT(bt_unhex(back, "00ABFF109C", 5), ==, 0);
	CHECK_MEM(back, 5, bytes, 5);
	CHECK_INT(bt_unhex(back, "0g", 1), ==, -1);
	CHECK_INT(bt_unhex(back, "g0", 1), ==, -1);
	CHECK_INT(bt_unhex(back, "abc", 2), ==, -1);	/* too short: stops at the NUL */
	CHECK_INT(bt_unhex(back, " 1", 1), ==, -1);
	CHECK_INT(bt_unhex(back, "", 0), ==, 0);
	/* Every byte both ways. */
	uint8_t all[256], all2[256];
	char allhex[513];
	for (int k = 0; k < 256; k++)
		all[k] = (uint8_t)k;
	bt_hex(allhex, all, 256);
	CHECK_INT(strlen(allhex), ==, 512);
	CHECK_INT(bt_unhex(all2, allhex, 256), ==, 0);
	CHECK_MEM(all2, 256, all, 256);
	/* One digit: every byte value. */
	int digits = 0;
	for (int c = 0; c < 256; c++) {
		int d = bt_hexval(c);
		digits += d >= 0;
		if (c >= '0' && c <= '9')
			CHECK_INT(d, ==, c - '0');
		else if (c >= 'a' && c <= 'f')
			CHECK_INT(d, ==, c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			CHECK_INT(d, ==, c - 'A' + 10);
	}
	CHECK_INT(digits, ==, 22);

	/* Terminal-safe text: every byte shown, none acted on. */
	static const struct { const char *in; size_t n; const char *want; } esc[] = {
		{ "plain text", 10, "plain text" },
		{ "a\x1b[31mred", 9, "a\\x1b[31mred" },
		{ "nul\0name", 8, "nul\\x00name" },
		{ "t\tn\nr\r", 6, "t\\tn\\nr\\r" },
		{ "del\x7f", 4, "del\\x7f" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },		/* UTF-8 kept */
		{ "\xe2\x82\xac\xf0\x9f\x98\x80", 7, "\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "c1\xc2\x9b", 4, "c1\\xc2\\x9b" },		/* U+009B CSI */
		{ "raw\x9b", 4, "raw\\x9b" },			/* a lone C1 byte */
		{ "bidi\xe2\x80\xae", 7, "bidi\\xe2\\x80\\xae" },	/* U+202E */
		{ "\xc0\xaf", 2, "\\xc0\\xaf" },			/* overlong '/' */
		{ "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },		/* a surrogate */
		{ "\xe2\x82", 2, "\\xe2\\x82" },			/* cut short */
		{ "\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80" },	/* past U+10FFFF */
		{ "back\\slash", 10, "back\\slash" },
	};
	for (size_t k = 0; k < sizeof(esc) / sizeof(esc[0]); k++) {
		struct bt_buf b;
		bt_buf_init(&b, 0);
		bt_str_escape(&b, esc[k].in, esc[k].n);
		CHECK_STR(bt_buf_cstr(&b), esc[k].want);
		bt_buf_free(&b);
	}
}

/* ---- opt ---- */

enum { O_NAME, O_X, O_RATE, O_TARGET, O_N };

static const struct bt_opt opts[O_N] = {
	[O_NAME] = { "name", BT_OPT_STR, "", "the name" },
	[O_X] = { "x", BT_OPT_INT, "3", "a number" },
	[O_RATE] = { "rate", BT_OPT_FLOAT, "1.5", "a rate" },
	[O_TARGET] = { "target", BT_OPT_REQ, NULL, "where to" },
};

/* Parse argv (NULL-terminated, argv[0] included); returns the count of
 * positionals or -1 with the message in err. */
static int
opt_run(char **argv, union bt_optv *v, char **pos, char *err, size_t errlen)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	err[0] = 0;
	return bt_opt_parse(opts, O_N, v, argc, argv, pos, err, errlen);
}

static void
test_opt_parse(void)
{
	union bt_optv v[O_N];
	char *pos[16];
	char err[200];

	/* Options anywhere among positionals, last repeat wins, defaults. */
	char *a1[] = { "prog", "a", "--x", "5", "b", "--name", "n1", "--x", "7", "--target", "t",
		"c", NULL };
	int n = opt_run(a1, v, pos, err, sizeof(err));
	if (CHECK_INT(n, ==, 3)) {
		CHECK_STR(pos[0], "a");
		CHECK_STR(pos[1], "b");
		CHECK_STR(pos[2], "c");
	}
	CHECK_INT(v[O_X].i, ==, 7);
	CHECK_STR(v[O_NAME].s, "n1");
	CHECK(v[O_RATE].f == 1.5);
	CHECK_STR(v[O_TARGET].s, "t");

	/* Unset options get their defaults; a value may look like an option;
	 * a single dash is a positional; negative numbers are numbers. */
	char *a2[] = { "prog", "--target", "--x", "-", "--rate", "2", "--x", "-3", NULL };
	n = opt_run(a2, v, pos, err, sizeof(err));
	CHECK_INT(n, ==, 1);
	CHECK_STR(v[O_TARGET].s, "--x");
	CHECK_STR(v[O_NAME].s, "");
	CHECK_INT(v[O_X].i, ==, -3);
	CHECK(v[O_RATE].f == 2.0);

	char *a3[] = { "prog", "--target", "t", NULL };
	n = opt_run(a3, v, pos, err, sizeof(err));
	CHECK_INT(n, ==, 0);
	CHECK_INT(v[O_X].i, ==, 3);
	CHECK(v[O_RATE].f == 1.5);

	/* "--name=value", "--" ends the options. */
	char *a4[] = { "prog", "--name=value", "x", "--target=", "--", "--x", "-y", NULL };
	CHECK_INT(opt_run(a4, v, pos, err, sizeof(err)), ==, 3);
	CHECK_STR(v[O_NAME].s, "value");
	CHECK_STR(v[O_TARGET].s, "");
	CHECK_STR(pos[0], "x");
	CHECK_STR(pos[1], "--x");
	CHECK_STR(pos[2], "-y");
	CHECK_INT(v[O_X].i, ==, 3);

	/* The errors: "what: why". */
	char *b1[] = { "prog", "--name=value", "x", "--target", "t", "-q", NULL };
	CHECK_INT(opt_run(b1, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-q: unknown option");
	char *b2[] = { "prog", "--target", "t", "--nope", "1", NULL };
	CHECK_INT(opt_run(b2, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--nope: unknown option");
	char *b2b[] = { "prog", "--target", "t", "--trget", "1", NULL };
	CHECK_INT(opt_run(b2b, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--trget: unknown option (did you mean --target?)");
	char *b3[] = { "prog", "--target", "t", "--x", NULL };
	CHECK_INT(opt_run(b3, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--x: needs a value");
	char *b3b[] = { "prog", "--target", "t", "--unknown", NULL };
	CHECK_INT(opt_run(b3b, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--unknown: unknown option");
	char *b4[] = { "prog", "--x", "2.0", "--target", "t", NULL };
	CHECK_INT(opt_run(b4, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--x: '2.0' is not a whole number");
	char *b5[] = { "prog", "--x", "", "--target", "t", NULL };
	CHECK_INT(opt_run(b5, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--x: '' is not a whole number");
	char *b6[] = { "prog", "--x", "99999999999999999999", "--target", "t", NULL };
	CHECK_INT(opt_run(b6, v, pos, err, sizeof(err)), ==, -1);
	CHECK(strncmp(err, "--x: ", 5) == 0);
	char *b7[] = { "prog", "--x", "12abc", "--target", "t", NULL };
	CHECK_INT(opt_run(b7, v, pos, err, sizeof(err)), ==, -1);
	CHECK(strncmp(err, "--x: ", 5) == 0);
	char *b8[] = { "prog", "--rate", "fast", "--target", "t", NULL };
	CHECK_INT(opt_run(b8, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--rate: 'fast' is not a number");
	char *b9[] = { "prog", "a", "--x", "1", NULL };
	CHECK_INT(opt_run(b9, v, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--target: required, but not given");
	/* A short error buffer is cut, not overrun. */
	char small[8];
	CHECK_INT(opt_run(b9, v, pos, small, sizeof(small)), ==, -1);
	CHECK_STR(small, "--targe");
	/* --help / -h anywhere (the required option then need not be given). */
	char *h1[] = { "prog", "a", "--help", NULL };
	CHECK_INT(opt_run(h1, v, pos, err, sizeof(err)), ==, BT_OPT_HELP);
	char *h2[] = { "prog", "-h", "--x", "1", NULL };
	CHECK_INT(opt_run(h2, v, pos, err, sizeof(err)), ==, BT_OPT_HELP);
	char *h3[] = { "prog", "--target", "t", "--", "--help", NULL };
	CHECK_INT(opt_run(h3, v, pos, err, sizeof(err)), ==, 1);
	CHECK_INT(bt_opt_wants_help(4, h1 + 0), ==, 1);
	CHECK_INT(bt_opt_wants_help(5, h3), ==, 0);
}

/* Booleans, one-letter forms, '-' = '_', bt_opt_last. */
static void
test_opt_bool(void)
{
	static const struct bt_opt t[] = {
		{ "private", BT_OPT_BOOL, "0", "" },
		{ "announce-list", BT_OPT_STR, "", "" },
		{ "target", BT_OPT_STR | BT_OPT_LETTER('o'), "", "" },
		{ "no_date", BT_OPT_BOOL | BT_OPT_LETTER('n'), "0", "" },
	};
	union bt_optv v[4];
	char *pos[16], err[128];

	/* Alone before a word that is not a number: 1, the word a positional. */
	char *a1[] = { "p", "--private", "URL", "dir", "--announce_list", "a|b", "-o", "x.t",
		"--no-date", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 9, a1, pos, err, sizeof(err)), ==, 2);
	CHECK_INT(v[0].i, ==, 1);
	CHECK_STR(v[1].s, "a|b");
	CHECK_STR(v[2].s, "x.t");
	CHECK_INT(v[3].i, ==, 1);
	CHECK_STR(pos[0], "URL");
	CHECK_STR(pos[1], "dir");
	/* With a number: BitTornado's form. */
	char *a2[] = { "p", "URL", "--private", "0", "-n", "1", "-ox.t", "--private=0", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 8, a2, pos, err, sizeof(err)), ==, 1);
	CHECK_INT(v[0].i, ==, 0);
	CHECK_INT(v[3].i, ==, 1);
	CHECK_STR(v[2].s, "x.t");
	char *a3[] = { "p", "--private=x", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 2, a3, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--private: 'x' is not a whole number");
	char *a4[] = { "p", "-nq", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 2, a4, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-nq: unknown option");
	char *a5[] = { "p", "-o", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 2, a5, pos, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-o: needs a value");
	/* Negative numbers and "-" stay positionals. */
	char *a6[] = { "p", "-1", "-", "-.5", NULL };
	CHECK_INT(bt_opt_parse(t, 4, v, 4, a6, pos, err, sizeof(err)), ==, 3);
	CHECK_INT(bt_opt_find(t, 4, "announce_list"), ==, 1);
	CHECK_INT(bt_opt_find(t, 4, "no-date"), ==, 3);
	CHECK_INT(bt_opt_find(t, 4, "no-dat"), ==, -1);
	/* bt_opt_last reads as the parser does. */
	char *l1[] = { "p", "--target", "a", "--private", "-ob", "--", "--target", "c", NULL };
	CHECK_STR(bt_opt_last(t, 4, 8, l1, "target"), "b");
	CHECK(bt_opt_last(t, 4, 8, l1, "announce-list") == NULL);
	CHECK(bt_opt_last(t, 4, 8, l1, "nothing") == NULL);
	char *l2[] = { "p", "--target", "--private", NULL };	/* a value may look like an option */
	CHECK_STR(bt_opt_last(t, 4, 3, l2, "target"), "--private");
	/* The edit distance and the nearest name. */
	CHECK_INT(bt_edit_distance("donwload", "download"), ==, 2);
	CHECK_INT(bt_edit_distance("", "abc"), ==, 3);
	CHECK_INT(bt_edit_distance("kitten", "sitting"), ==, 3);
	CHECK_STR(bt_nearest("privat", t, 4, sizeof(t[0])), "private");
	CHECK(bt_nearest("zzz", t, 4, sizeof(t[0])) == NULL);

	/* Looking an option up, and reading one value the parser's way (a
	 * configuration file's defaults are checked with it). */
	CHECK_INT(bt_opt_find(opts, O_N, "rate"), ==, O_RATE);
	CHECK_INT(bt_opt_find(opts, O_N, "name"), ==, O_NAME);
	CHECK_INT(bt_opt_find(opts, O_N, "nope"), ==, -1);
	CHECK_INT(bt_opt_find(opts, O_N, "--x"), ==, -1);
	union bt_optv x = { .i = 11 };
	CHECK_INT(bt_opt_value(&opts[O_X], "-42", &x), ==, 0);
	CHECK_INT(x.i, ==, -42);
	CHECK_INT(bt_opt_value(&opts[O_X], "4.2", &x), ==, -1);
	CHECK_INT(bt_opt_value(&opts[O_X], "", &x), ==, -1);
	CHECK_INT(bt_opt_value(&opts[O_X], "99999999999999999999", &x), ==, -1);
	CHECK_INT(x.i, ==, -42);	/* left alone on failure */
	CHECK_INT(bt_opt_value(&opts[O_RATE], "0.25", &x), ==, 0);
	CHECK(x.f == 0.25);
	CHECK_INT(bt_opt_value(&opts[O_RATE], "1e999", &x), ==, -1);
	CHECK_INT(bt_opt_value(&opts[O_RATE], "fast", &x), ==, -1);
	const char *text = "any text";
	CHECK_INT(bt_opt_value(&opts[O_NAME], text, &x), ==, 0);
	CHECK(x.s == text);
}

/* Checks one option's help block: the "--name <arg>" line, then lines of
 * at most width columns after an indent of 10 that together are want,
 * broken at single spaces (or inside a word too long for a line, which
 * then fills its line), greedily filled; then an empty line.  Returns
 * where the next block starts. */
static const char *
check_help_block(int line, const char *p, const char *name, const char *want, size_t width)
{
	char head[100];
	snprintf(head, sizeof(head), "--%s <arg>\n", name);
	if (!CHECK_AT(line, strncmp(p, head, strlen(head)) == 0))
		return NULL;
	p += strlen(head);

	const char *q = want;
	size_t prev_len = 0;
	int ok = 1, first = 1;
	while (ok && *p && *p != '\n') {
		const char *e = strchr(p, '\n');
		if (!e || strncmp(p, "          ", 10) != 0 || p[10] == ' ') {
			ok = 0;
			break;
		}
		size_t len = (size_t)(e - p) - 10;
		if (len > width || len == 0)
			ok = 0;
		if (!first) {
			if (*q == ' ')
				q++;		/* broken at a space */
			else if (prev_len != width)
				ok = 0;		/* broken inside a word that fitted */
		}
		if (strncmp(q, p + 10, len) != 0)
			ok = 0;
		/* Greedy: the previous line had no room for this line's first
		 * word. */
		const char *sp = memchr(p + 10, ' ', len);
		size_t w0 = sp ? (size_t)(sp - p - 10) : len;
		if (!first && prev_len + 1 + w0 <= width)
			ok = 0;
		q += strlen(q) < len ? strlen(q) : len;
		prev_len = len;
		first = 0;
		p = e + 1;
	}
	if (*q)
		ok = 0;
	if (!CHECK_AT(line, ok))
		fprintf(stderr, "    help block for --%s is not laid out right\n", name);
	if (!CHECK_AT(line, *p == '\n'))
		return NULL;
	return p + 1;
}

static void
test_opt_help(void)
{
	struct bt_buf out;

	/* The exact layout of a simple table. */
	bt_buf_init(&out, 0);
	bt_opt_help(opts, O_N, 80, &out);
	CHECK_STR(bt_buf_cstr(&out),
		"--name <arg>\n"
		"          the name\n"
		"\n"
		"--x <arg>\n"
		"          a number (defaults to 3)\n"
		"\n"
		"--rate <arg>\n"
		"          a rate (defaults to 1.5)\n"
		"\n"
		"--target <arg>\n"
		"          where to\n"
		"\n");
	bt_buf_free(&out);

	static const char long_help[] = "a list of announce URLs - explained below; each one "
		"is tried in turn and the ones that answer move to the front of their tier, "
		"as BEP 12 says, so that a long text like this one wraps over several lines";
	static const char *const word = "https://a-very-long-address.example/with/a/path/that/does/"
		"not/fit/on/one/line/at/all/0123456789/0123456789/0123456789";
	char mixed[400];
	snprintf(mixed, sizeof(mixed), "see %s for more", word);
	const struct bt_opt o[] = {
		{ "announce_list", BT_OPT_STR, "", long_help },
		{ "piece_size_pow2", BT_OPT_INT, "18", long_help },
		{ "word", BT_OPT_STR, "", word },
		{ "mixed", BT_OPT_STR, "x", mixed },
		{ "exact", BT_OPT_STR, "", "012345678901234567890123456789012345678901234567890123456789012345678" },
		{ "req", BT_OPT_REQ, "ignored", "needed" },
	};
	char want[600];

	bt_buf_init(&out, 0);
	bt_opt_help(o, 6, 80, &out);
	const char *p = bt_buf_cstr(&out);
	if (p)
		p = check_help_block(__LINE__, p, "announce_list", long_help, 69);
	snprintf(want, sizeof(want), "%s (defaults to 18)", long_help);
	if (p)
		p = check_help_block(__LINE__, p, "piece_size_pow2", want, 69);
	if (p)
		p = check_help_block(__LINE__, p, "word", word, 69);
	snprintf(want, sizeof(want), "%s (defaults to x)", mixed);
	if (p)
		p = check_help_block(__LINE__, p, "mixed", want, 69);
	if (p)
		p = check_help_block(__LINE__, p, "exact", o[4].help, 69);
	if (p)
		p = check_help_block(__LINE__, p, "req", "needed", 69);
	CHECK(p && *p == 0);
	bt_buf_free(&out);

	/* A word longer than the width is broken at the width. */
	char xs[200];
	memset(xs, 'x', 150);
	xs[150] = 0;
	const struct bt_opt ox = { "long", BT_OPT_STR, "", xs };
	bt_buf_init(&out, 0);
	bt_opt_help(&ox, 1, 80, &out);
	snprintf(want, sizeof(want), "--long <arg>\n          %.69s\n          %.69s\n          %.12s\n\n",
		xs, xs, xs);
	CHECK_STR(bt_buf_cstr(&out), want);
	bt_buf_free(&out);
	/* Narrow terminals still end. */
	for (unsigned cols = 0; cols < 30; cols++) {
		bt_buf_init(&out, 0);
		bt_opt_help(&ox, 1, cols, &out);
		CHECK_INT(out.err, ==, 0);
		CHECK(out.len > 150);
		bt_buf_free(&out);
	}
	/* Groups: common first, compatibility-only last, under headings;
	 * one-letter forms and booleans in the left column. */
	const struct bt_opt g[] = {
		{ "plain", BT_OPT_STR, "", "p" },
		{ "old", BT_OPT_INT | BT_OPT_COMPAT, "1", "o" },
		{ "out", BT_OPT_STR | BT_OPT_COMMON | BT_OPT_LETTER('o'), "", "w" },
		{ "flag", BT_OPT_BOOL | BT_OPT_COMMON, "0", "f" },
	};
	bt_buf_init(&out, 0);
	bt_opt_help(g, 4, 80, &out);
	CHECK_STR(bt_buf_cstr(&out),
		"Common options:\n\n"
		"-o, --out <arg>\n          w\n\n"
		"--flag [0|1]\n          f (defaults to 0)\n\n"
		"Other options:\n\n"
		"--plain <arg>\n          p\n\n"
		"Accepted for compatibility, no effect here:\n\n"
		"--old <arg>\n          o (defaults to 1)\n\n");
	bt_buf_free(&out);

	/* Other widths: cols - 11. */
	bt_buf_init(&out, 0);
	bt_opt_help(o, 1, 50, &out);
	p = bt_buf_cstr(&out);
	if (p)
		p = check_help_block(__LINE__, p, "announce_list", long_help, 39);
	CHECK(p && *p == 0);
	bt_buf_free(&out);
}

struct flag_log {
	char seen[32];
	const char *args[32];
	int n;
	int stop_at;	/* key that makes the handler return 7 */
};

static int
on_flag(int key, const char *arg, void *ud)
{
	struct flag_log *l = ud;
	if (l->n < 32) {
		l->seen[l->n] = (char)key;
		l->args[l->n] = arg;
		l->n++;
	}
	return key == l->stop_at ? 7 : 0;
}

static const struct bt_flag flags[] = {
	{ 'a', "all", NULL, "everything", 0 },
	{ 'o', "output", "FILE", "where", 0 },
	{ 'v', "verbose", NULL, "more", 0 },
	{ 'r', "replace", "OLD NEW", "two values", 2 },
};

static int
flag_run(char **argv, struct flag_log *l, char *err, size_t errlen)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(l->seen, 0, sizeof(l->seen));
	l->n = 0;
	err[0] = 0;
	return bt_flag_parse(flags, 4, argc, argv, on_flag, l, err, errlen);
}

static void
test_flags(void)
{
	struct flag_log l = { .stop_at = 0 };
	char err[200];

	/* Flags after positionals count (GNU getopt's permutation): argv
	 * is reordered, flags first, then the positionals in their order. */
	char *a1[] = { "prog", "-a", "-o", "out", "--verbose", "p1", "-v", "p2", NULL };
	CHECK_INT(flag_run(a1, &l, err, sizeof(err)), ==, 6);
	CHECK_STR(l.seen, "aovv");
	CHECK_STR(a1[5], "-v");
	CHECK_STR(a1[6], "p1");
	CHECK_STR(a1[7], "p2");
	CHECK_STR(l.args[1], "out");
	CHECK(l.args[0] == NULL);

	char *a2[] = { "prog", "-avo", "f", "--output=g", "--all", "x", NULL };
	CHECK_INT(flag_run(a2, &l, err, sizeof(err)), ==, 5);
	CHECK_STR(l.seen, "avooa");
	CHECK_STR(l.args[2], "f");
	CHECK_STR(l.args[3], "g");

	/* A flag of two values: the handler is called with each in turn,
	 * whatever form the first takes; both words move with the flag. */
	char *r1[] = { "prog", "p1", "-r", "a", "b", "--rep=c", "d", "-rx", "y", "p2", NULL };
	CHECK_INT(flag_run(r1, &l, err, sizeof(err)), ==, 8);
	CHECK_STR(l.seen, "rrrrrr");
	CHECK_STR(l.args[0], "a");
	CHECK_STR(l.args[1], "b");
	CHECK_STR(l.args[2], "c");
	CHECK_STR(l.args[3], "d");
	CHECK_STR(l.args[4], "x");
	CHECK_STR(l.args[5], "y");
	CHECK_STR(r1[7], "y");
	CHECK_STR(r1[8], "p1");
	CHECK_STR(r1[9], "p2");
	char *r2[] = { "prog", "-r", "only", NULL };
	CHECK_INT(flag_run(r2, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--replace: needs OLD and NEW");
	CHECK_INT(l.n, ==, 0);

	char *a3[] = { "prog", "-ofile", "--", "-a", NULL };
	CHECK_INT(flag_run(a3, &l, err, sizeof(err)), ==, 3);
	CHECK_STR(l.seen, "o");
	CHECK_STR(l.args[0], "file");

	char *a4[] = { "prog", "pos", "-a", "x", "--output", "f", "--", "-v", NULL };
	CHECK_INT(flag_run(a4, &l, err, sizeof(err)), ==, 5);
	CHECK_STR(l.seen, "ao");
	CHECK_STR(a4[1], "-a");
	CHECK_STR(a4[2], "--output");
	CHECK_STR(a4[3], "f");
	CHECK_STR(a4[4], "--");
	CHECK_STR(a4[5], "pos");
	CHECK_STR(a4[6], "x");
	CHECK_STR(a4[7], "-v");

	char *a5[] = { "prog", NULL };
	CHECK_INT(flag_run(a5, &l, err, sizeof(err)), ==, 1);

	char *b1[] = { "prog", "-x", "p", NULL };
	CHECK_INT(flag_run(b1, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-x: unknown option");
	char *b2[] = { "prog", "-a", "--xx", "p", NULL };
	CHECK_INT(flag_run(b2, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--xx: unknown option");
	char *b3[] = { "prog", "-ax", NULL };
	CHECK_INT(flag_run(b3, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-x: unknown option");
	char *b4[] = { "prog", "--xx=1", NULL };
	CHECK_INT(flag_run(b4, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--xx: unknown option");
	char *b5[] = { "prog", "-o", NULL };
	CHECK_INT(flag_run(b5, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-o: needs a value");
	char *b6[] = { "prog", "--output", NULL };
	CHECK_INT(flag_run(b6, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--output: needs a value");
	/* A missing argument at the very end (musl's getopt left optind past
	 * argc here, and the old code read argv[argc + 1]). */
	char *b7[] = { "prog", "-v", "-o", NULL };
	CHECK_INT(flag_run(b7, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-o: needs a value");
	char *b8[] = { "prog", "-avo", NULL };
	CHECK_INT(flag_run(b8, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-o: needs a value");
	/* argc is the bound, not the NULL: nothing past argv[argc - 1] is read. */
	char *b9[] = { "prog", "-o", "beyond-argc", NULL };
	l.n = 0;
	err[0] = 0;
	CHECK_INT(bt_flag_parse(flags, 3, 2, b9, on_flag, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "-o: needs a value");
	CHECK_INT(l.n, ==, 0);
	char *b10[] = { "prog", "--all=1", NULL };
	CHECK_INT(flag_run(b10, &l, err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--all: takes no value");
	/* Unique prefixes of long names, an argument that looks like a flag,
	 * "-" as a positional, an empty --name= value. */
	char *c1[] = { "prog", "--verb", "--out", "-a", "--output=", "-", "-v", NULL };
	CHECK_INT(flag_run(c1, &l, err, sizeof(err)), ==, 6);
	CHECK_STR(l.seen, "voov");
	CHECK_STR(l.args[1], "-a");
	CHECK_STR(l.args[2], "");
	char *c2[] = { "prog", "--", NULL };
	CHECK_INT(flag_run(c2, &l, err, sizeof(err)), ==, 2);
	char *c3[] = { "prog", "-o", "--", "x", NULL };
	CHECK_INT(flag_run(c3, &l, err, sizeof(err)), ==, 3);
	CHECK_STR(l.args[0], "--");
	/* Parsing again after an error starts afresh (a1 is reordered now). */
	CHECK_INT(flag_run(a1, &l, err, sizeof(err)), ==, 6);
	CHECK_STR(l.seen, "aovv");

	/* The handler's non-zero answer stops the parse. */
	l.stop_at = 'o';
	CHECK_INT(flag_run(a1, &l, err, sizeof(err)), ==, -107);
	CHECK_STR(l.seen, "ao");
	l.stop_at = 0;

	struct bt_buf out;
	bt_buf_init(&out, 0);
	bt_flag_help(flags, 3, &out);
	const char *h = bt_buf_cstr(&out);
	CHECK(h && strncmp(h, "  -a, --all ", 12) == 0);
	CHECK(h && strstr(h, "everything\n  -o, --output FILE ") != NULL);
	CHECK(h && strstr(h, " where\n  -v, --verbose ") != NULL);
	bt_buf_free(&out);
}

/* ---- fileio ---- */

static char tmpdir[64];

static int
count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* path holds want (a string) with the given mode. */
static void
check_file(const char *path, const char *want, mode_t mode)
{
	uint8_t *p;
	size_t n;
	struct stat st;

	if (CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0)) {
		CHECK_MEMS(p, n, want);
		free(p);
	}
	CHECK_INT(stat(path, &st), ==, 0);
	CHECK_INT(st.st_mode & 07777, ==, mode);
}

static void
test_fileio(void)
{
	char path[128], other[128];
	uint8_t *p;
	size_t n;
	struct stat st;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bt-test-misc-XXXXXX");
	if (!CHECK(mkdtemp(tmpdir) != NULL))
		return;
	mode_t old_umask = umask(022);

	/* A new file: the contents, and mode 0666 less the umask. */
	snprintf(path, sizeof(path), "%s/f.torrent", tmpdir);
	CHECK_INT(bt_file_write_atomic(path, "hello", 5), ==, 0);
	CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0);
	CHECK_MEMS(p, n, "hello");
	free(p);
	/* No limit (the tracker's 4 GiB is SIZE_MAX on 32-bit targets). */
	CHECK_INT(bt_file_read(path, SIZE_MAX, &p, &n), ==, 0);
	CHECK_MEMS(p, n, "hello");
	free(p);
	CHECK_INT(stat(path, &st), ==, 0);
	CHECK_INT(st.st_mode & 07777, ==, 0644);

	/* Replacing keeps the mode and swaps the inode in one step. */
	CHECK_INT(chmod(path, 0600), ==, 0);
	ino_t ino = st.st_ino;
	CHECK_INT(bt_file_write_atomic(path, "world!", 6), ==, 0);
	CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0);
	CHECK_MEMS(p, n, "world!");
	free(p);
	CHECK_INT(stat(path, &st), ==, 0);
	CHECK_INT(st.st_mode & 07777, ==, 0600);
	CHECK(st.st_ino != ino);
	/* Empty contents. */
	CHECK_INT(bt_file_write_atomic(path, "", 0), ==, 0);
	CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0);
	CHECK(p != NULL);
	CHECK_INT(n, ==, 0);
	free(p);
	CHECK_INT(count_entries(tmpdir, "f.torrent.tmp"), ==, 0);

	/* bt_file_write_made: the same file, new or replaced (it flushes only
	 * the replacing, which a test cannot see). */
	snprintf(other, sizeof(other), "%s/made.torrent", tmpdir);
	CHECK_INT(bt_file_write_made(other, "made", 4), ==, 0);
	check_file(other, "made", 0644);
	CHECK_INT(chmod(other, 0600), ==, 0);
	CHECK_INT(bt_file_write_made(other, "again", 5), ==, 0);
	check_file(other, "again", 0600);
	CHECK_INT(count_entries(tmpdir, "made.torrent.tmp"), ==, 0);
	CHECK_INT(unlink(other), ==, 0);

	/* Into a missing directory: an I/O error, nothing left behind. */
	snprintf(other, sizeof(other), "%s/missing/x.torrent", tmpdir);
	errno = 0;
	CHECK_INT(bt_file_write_atomic(other, "x", 1), ==, BT_E_IO);
	CHECK_INT(errno, ==, ENOENT);
	CHECK_INT(count_entries(tmpdir, "missing"), ==, 0);

	/* Over a directory: the rename fails, the temporary is removed. */
	snprintf(other, sizeof(other), "%s/adir", tmpdir);
	CHECK_INT(mkdir(other, 0755), ==, 0);
	CHECK_INT(bt_file_write_atomic(other, "data", 4), ==, BT_E_IO);
	CHECK_INT(count_entries(tmpdir, "adir.tmp"), ==, 0);
	CHECK_INT(stat(other, &st), ==, 0);
	CHECK(S_ISDIR(st.st_mode));

	/* Through a symbolic link: the target is replaced, the link stays. */
	char link[128];
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	CHECK_INT(symlink("f.torrent", link), ==, 0);
	CHECK_INT(bt_file_write_atomic(link, "via link", 8), ==, 0);
	CHECK_INT(lstat(link, &st), ==, 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0);
	CHECK_MEMS(p, n, "via link");
	free(p);
	CHECK_INT(count_entries(tmpdir, "link.tmp"), ==, 0);
	CHECK_INT(count_entries(tmpdir, "f.torrent.tmp"), ==, 0);

	/* Reading: the limit, missing files, directories, endless files. */
	char data[100];
	memset(data, 'd', sizeof(data));
	CHECK_INT(bt_file_write_atomic(path, data, 100), ==, 0);
	p = (uint8_t *)"untouched";
	CHECK_INT(bt_file_read(path, 99, &p, &n), ==, BT_E_LIMIT);
	CHECK(p == NULL);
	CHECK_INT(bt_file_read(path, 100, &p, &n), ==, 0);
	CHECK_MEM(p, n, data, 100);
	free(p);
	CHECK_INT(bt_file_read(path, 0, &p, &n), ==, BT_E_LIMIT);
	snprintf(other, sizeof(other), "%s/nope", tmpdir);
	errno = 0;
	CHECK_INT(bt_file_read(other, 100, &p, &n), ==, BT_E_IO);
	CHECK_INT(errno, ==, ENOENT);
	snprintf(other, sizeof(other), "%s/adir", tmpdir);
	errno = 0;
	CHECK_INT(bt_file_read(other, 100, &p, &n), ==, BT_E_IO);
	CHECK_INT(errno, ==, EISDIR);
	CHECK_INT(bt_file_read("/dev/zero", 1000, &p, &n), ==, BT_E_LIMIT);
	CHECK_INT(bt_file_read("/dev/null", 1000, &p, &n), ==, 0);
	CHECK_INT(n, ==, 0);
	free(p);

	/* A bigger file, read in several steps. */
	size_t bign = 3 << 20;
	char *big = malloc(bign);
	for (size_t k = 0; k < bign; k++)
		big[k] = (char)(k * 13 + (k >> 12));
	CHECK_INT(bt_file_write_atomic(path, big, bign), ==, 0);
	CHECK_INT(bt_file_read(path, bign, &p, &n), ==, 0);
	CHECK_MEM(p, n, big, bign);
	free(p);
	free(big);

	umask(old_umask);
	unlink(link);
	unlink(path);
	rmdir(other);
	CHECK_INT(rmdir(tmpdir), ==, 0);
}

/* ---- the applet table ---- */

#define APPLET_NAME(name, summary) #name,
static const char *const applet_names[] = { BT_APPLETS(APPLET_NAME) };
#define APPLET_SUMMARY(name, summary) summary,
static const char *const applet_summaries[] = { BT_APPLETS(APPLET_SUMMARY) };
#define LEGACY(legacy, applet) { #legacy, #applet },
static const char *const legacy_names[][2] = { BT_LEGACY_NAMES(LEGACY) };

static void
test_applets(void)
{
	size_t na = sizeof(applet_names) / sizeof(applet_names[0]);
	size_t nl = sizeof(legacy_names) / sizeof(legacy_names[0]);

	CHECK_INT(na, >, 0);
	for (size_t k = 1; k < na; k++) {
		if (!CHECK_INT(strcmp(applet_names[k - 1], applet_names[k]), <, 0))
			fprintf(stderr, "    '%s' before '%s'\n", applet_names[k - 1], applet_names[k]);
	}
	for (size_t k = 0; k < na; k++)
		CHECK(applet_summaries[k][0] != 0);
	for (size_t k = 0; k < nl; k++) {
		int found = 0;
		for (size_t j = 0; j < na; j++)
			found += strcmp(legacy_names[k][1], applet_names[j]) == 0;
		if (!CHECK_INT(found, ==, 1))
			fprintf(stderr, "    legacy '%s' -> '%s'\n", legacy_names[k][0], legacy_names[k][1]);
		CHECK(strncmp(legacy_names[k][0], "bt", 2) == 0);
		for (size_t j = 0; j < k; j++)
			CHECK(strcmp(legacy_names[j][0], legacy_names[k][0]) != 0);
	}
}

/* ---- automatic piece size ---- */

#if BT_HAVE_MAKETOOLS
static void
test_pow2(void)
{
	const int64_t MiB = 1 << 20;
	static const struct { int64_t limit; unsigned below; } steps[] = {
		{ 4, 15 }, { 16, 16 }, { 64, 17 }, { 512, 18 }, { 2048, 19 }, { 8192, 20 },
	};
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		int64_t at = steps[k].limit * MiB;
		CHECK_INT(bt_mk_auto_pow2(at - 1), ==, steps[k].below);
		CHECK_INT(bt_mk_auto_pow2(at), ==, steps[k].below);
		CHECK_INT(bt_mk_auto_pow2(at + 1), ==, steps[k].below + 1);
	}
	CHECK_INT(bt_mk_auto_pow2(0), ==, 15);
	CHECK_INT(bt_mk_auto_pow2(1), ==, 15);
	CHECK_INT(bt_mk_auto_pow2(4 * MiB), ==, 15);
	CHECK_INT(bt_mk_auto_pow2(4 * MiB + 1), ==, 16);
	CHECK_INT(bt_mk_auto_pow2(8192 * MiB), ==, 20);
	CHECK_INT(bt_mk_auto_pow2(8192 * MiB + 1), ==, 21);
	CHECK_INT(bt_mk_auto_pow2(INT64_MAX), ==, 21);
}
#endif

/* ---- rand ---- */

static void
test_rand(void)
{
	/* The shuffle is a permutation, drawn as documented. */
	uint64_t s1 = 42, s2 = 42;
	uint32_t a[50], b[50];
	int seen[50] = { 0 }, moved = 0;
	for (uint32_t k = 0; k < 50; k++)
		a[k] = b[k] = k;
	bt_rand_shuffle(&s1, a, 50, sizeof(a[0]));
	for (size_t i = 50; i > 1; i--) {
		size_t j = (size_t)(bt_rand64(&s2) % i);
		uint32_t t = b[i - 1];
		b[i - 1] = b[j];
		b[j] = t;
	}
	CHECK_MEM(a, sizeof(a), b, sizeof(b));
	CHECK_INT(s1, ==, s2);
	for (uint32_t k = 0; k < 50; k++) {
		if (a[k] < 50)
			seen[a[k]]++;
		moved += a[k] != k;
	}
	for (uint32_t k = 0; k < 50; k++)
		CHECK_INT(seen[k], ==, 1);
	CHECK(moved > 25);
	bt_rand_shuffle(&s1, a, 0, sizeof(a[0]));
	bt_rand_shuffle(&s1, a, 1, sizeof(a[0]));
	CHECK_INT(s1, ==, s2);	/* nothing drawn for fewer than two */
}

/* ---- SipHash-2-4: the reference vectors (key 00..0f, message 00..n-1),
 * which hold on any host byte order and for unaligned input ---- */

static void
test_siphash(void)
{
	static const struct {
		size_t n;
		uint64_t h;
	} want[] = {
		{ 0, 0x726fdb47dd0e0e31ULL }, { 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL }, { 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL }, { 63, 0x958a324ceb064572ULL },
	};
	const struct bt_sipkey key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[1 + 64];

	for (size_t k = 0; k < 64; k++)
		msg[1 + k] = (uint8_t)k;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		CHECK(bt_siphash(&key, msg + 1, want[k].n) == want[k].h);
}

/* ---- 64-bit time and file offsets (meson's _TIME_BITS/_FILE_OFFSET_BITS) ---- */

static void
test_time64(void)
{
	time_t t = (time_t)4102444800LL;	/* 2100-01-01, past 2038 */
	struct tm tm;
	char s[64] = "";

	CHECK_INT(sizeof(time_t), >=, 8);
	CHECK_INT(sizeof(off_t), >=, 8);
	CHECK(gmtime_r(&t, &tm) != NULL);
	CHECK(strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0);
	CHECK_STR(s, "2100-01-01 00:00:00 UTC");
}

int
main(void)
{
	test_buf();
	test_str();
	test_opt_parse();
	test_opt_bool();
	test_opt_help();
	test_flags();
	test_fileio();
	test_applets();
#if BT_HAVE_MAKETOOLS
	test_pow2();
#endif
	test_rand();
	test_siphash();
	test_time64();
	return check_summary("misc");
}
