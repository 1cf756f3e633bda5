/* test_sha1.c - SHA-1 module: known vectors, and every implementation
 * checked against BearSSL's own br_sha1_* over many lengths and ways of
 * splitting the input; bt_sha1_x2 checked against two bt_sha1 calls and
 * BearSSL. */
#define _POSIX_C_SOURCE 200809L
#include "sha1.h"
#include "rand.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "check.h"

/* One check, reported with the implementation and the input length. */
#define CHECK_SHA(ok, impl, what, len) do { \
	if (!CHECK(ok)) \
		fprintf(stderr, "    [%s] %s (len %zu)\n", (impl), (what), (size_t)(len)); \
} while (0)

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rng(void)
{
	return (uint32_t)(bt_rand64(&rng_state) >> 32);
}

static void
ref_sha1(const void *p, size_t n, uint8_t out[20])
{
	br_sha1_context bc;

	br_sha1_init(&bc);
	br_sha1_update(&bc, p, n);
	br_sha1_out(&bc, out);
}

/* Feed p[0..n) to c in pieces; mode 0: 1-byte pieces, 1: 1..9 bytes,
 * 2: 1..150 bytes, 3: mix of tiny and multi-block pieces. */
static void
feed_pieces(struct bt_sha1 *c, const uint8_t *p, size_t n, int mode)
{
	size_t off = 0, k;

	while (off < n) {
		switch (mode) {
		case 0:
			k = 1;
			break;
		case 1:
			k = 1 + rng() % 9;
			break;
		case 2:
			k = 1 + rng() % 150;
			break;
		default:
			k = (rng() & 1) ? rng() % 4 : 60 + rng() % 300;
			break;
		}
		if (k > n - off)
			k = n - off;
		bt_sha1_update(c, p + off, k);	/* k may be 0 in mode 3 */
		off += k;
	}
}

static void
test_vectors(const char *impl)
{
	static const struct {
		const char *msg;
		const char *hex;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	static const char million_a[] =
		"34aa973cd4c4daa4f61eeb2bdbad27316534016f";
	uint8_t d[20];
	char hex[41];
	size_t i;
	uint8_t *a;
	struct bt_sha1 c;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].msg);

		bt_sha1(v[i].msg, n, d);
		bt_hex(hex, d, 20);
		CHECK_SHA(!strcmp(hex, v[i].hex), impl, "known vector", n);
	}
	bt_sha1(NULL, 0, d);
	bt_hex(hex, d, 20);
	CHECK_SHA(!strcmp(hex, v[0].hex), impl, "NULL, 0", 0);

	a = malloc(1000000);
	if (!a) {
		CHECK_SHA(0, impl, "malloc", 1000000);
		return;
	}
	memset(a, 'a', 1000000);
	bt_sha1(a, 1000000, d);
	bt_hex(hex, d, 20);
	CHECK_SHA(!strcmp(hex, million_a), impl, "million 'a' one shot",
		1000000);
	bt_sha1_init(&c);
	for (i = 0; i < 1000; i++)
		bt_sha1_update(&c, a, 1000);
	bt_sha1_out(&c, d);
	bt_hex(hex, d, 20);
	CHECK_SHA(!strcmp(hex, million_a), impl, "million 'a' in 1000s",
		1000000);
	free(a);
}

#define MAXLEN 1100

static void
test_against_bearssl(const char *impl, const uint8_t *buf)
{
	uint8_t ref[20], d[20], mid_ref[20];
	struct bt_sha1 c;
	size_t len, cut;
	int mode;

	for (len = 0; len <= MAXLEN; len++) {
		ref_sha1(buf, len, ref);

		bt_sha1(buf, len, d);
		CHECK_SHA(!memcmp(d, ref, 20), impl, "one shot", len);

		for (mode = 0; mode < 4; mode++) {
			bt_sha1_init(&c);
			feed_pieces(&c, buf, len, mode);
			bt_sha1_out(&c, d);
			CHECK_SHA(!memcmp(d, ref, 20), impl, "pieces", len);
		}

		/* Snapshot mid-stream, then carry on. */
		cut = len ? rng() % (len + 1) : 0;
		bt_sha1_init(&c);
		feed_pieces(&c, buf, cut, 3);
		bt_sha1_out(&c, d);
		ref_sha1(buf, cut, mid_ref);
		CHECK_SHA(!memcmp(d, mid_ref, 20), impl, "mid-stream out", cut);
		bt_sha1_out(&c, d);
		CHECK_SHA(!memcmp(d, mid_ref, 20), impl, "mid-stream out twice",
			cut);
		feed_pieces(&c, buf + cut, len - cut, 2);
		bt_sha1_out(&c, d);
		CHECK_SHA(!memcmp(d, ref, 20), impl, "out then continue", len);
	}
}

/* Unaligned source, large multi-block updates and a switch of
 * implementation in the middle of one context. */
static void
test_large(const char *impl, const char *other)
{
	size_t n = (1u << 20) + 77, off;
	uint8_t *big = malloc(n + 1), ref[20], d[20];
	struct bt_sha1 c;

	if (!big) {
		CHECK_SHA(0, impl, "malloc", n);
		return;
	}
	for (off = 0; off <= n; off++)
		big[off] = (uint8_t)rng();
	ref_sha1(big + 1, n, ref);
	bt_sha1(big + 1, n, d);
	CHECK_SHA(!memcmp(d, ref, 20), impl, "large unaligned one shot", n);

	bt_sha1_init(&c);
	bt_sha1_update(&c, big + 1, 12345);
	if (other)
		bt_sha1_set_impl(other);
	bt_sha1_update(&c, big + 1 + 12345, n - 12345);
	bt_sha1_set_impl(impl);
	bt_sha1_out(&c, d);
	CHECK_SHA(!memcmp(d, ref, 20), impl, "switch impl mid-stream", n);
	free(big);
}

/* bt_sha1_x2(a, b, len) against bt_sha1 and BearSSL on each message. */
static void
check_x2(const char *impl, const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t da[20], db[20], ra[20], rb[20], sa[20], sb[20];

	memset(da, 0x55, sizeof da);
	memset(db, 0xaa, sizeof db);
	bt_sha1_x2(a, b, len, da, db);
	ref_sha1(a, len, ra);
	ref_sha1(b, len, rb);
	bt_sha1(a, len, sa);
	bt_sha1(b, len, sb);
	CHECK_SHA(!memcmp(da, ra, 20) && !memcmp(db, rb, 20), impl,
		"x2 vs bearssl", len);
	CHECK_SHA(!memcmp(da, sa, 20) && !memcmp(db, sb, 20), impl,
		"x2 vs two bt_sha1", len);
}

static void
test_x2(const char *impl)
{
	static const size_t big[] = { 16384, 512 * 1024, (1u << 20) + 3 };
	size_t maxn = (1u << 20) + 3, len, i;
	uint8_t *a = malloc(maxn + 8), *b = malloc(maxn + 8);
	uint8_t da[20], db[20], r[20];

	if (!a || !b) {
		CHECK_SHA(0, impl, "malloc", maxn);
		free(a);
		free(b);
		return;
	}
	for (i = 0; i < maxn + 8; i++) {
		a[i] = (uint8_t)rng();
		b[i] = (uint8_t)rng();
	}

	/* Every small length; b's start moves so both aligned and
	 * unaligned sources are seen. */
	for (len = 0; len <= MAXLEN; len++)
		check_x2(impl, a, b + len % 8, len);
	for (i = 0; i < sizeof big / sizeof big[0]; i++) {
		check_x2(impl, a, b, big[i]);
		check_x2(impl, a + 1, b + 3, big[i]);
	}

	/* bt_sha1_update_x2 in chunks of odd sizes: the contexts leave and
	 * regain block alignment along the way. */
	{
		static const size_t steps[] = { 1, 63, 64, 100, 4096, 65536, 7 };
		struct bt_sha1 ca, cb;
		size_t at = 0, k = 0, n;

		bt_sha1_init(&ca);
		bt_sha1_init(&cb);
		for (; at < maxn; at += n, k++) {
			n = steps[k % (sizeof steps / sizeof steps[0])];
			n = n < maxn - at ? n : maxn - at;
			bt_sha1_update_x2(&ca, &cb, a + at, b + 5 + at, n);
		}
		bt_sha1_out(&ca, da);
		bt_sha1_out(&cb, db);
		ref_sha1(a, maxn, r);
		CHECK_SHA(!memcmp(da, r, 20), impl, "update_x2 chunks (a)", maxn);
		ref_sha1(b + 5, maxn, r);
		CHECK_SHA(!memcmp(db, r, 20), impl, "update_x2 chunks (b)", maxn);
	}

	/* Same message twice (a == b), and NULL with n == 0. */
	bt_sha1_x2(a, a, 4096, da, db);
	ref_sha1(a, 4096, r);
	CHECK_SHA(!memcmp(da, r, 20) && !memcmp(db, r, 20), impl, "x2 a == b",
		4096);
	bt_sha1_x2(NULL, NULL, 0, da, db);
	ref_sha1(NULL, 0, r);
	CHECK_SHA(!memcmp(da, r, 20) && !memcmp(db, r, 20), impl, "x2 NULL, 0",
		0);
	free(a);
	free(b);
}

int
main(void)
{
	static const char *const names[] = { "sha-ni", "bearssl" };
	uint8_t buf[MAXLEN];
	const char *have_other;
	size_t i;
	int tested = 0, ni;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)rng();

	CHECK_SHA(bt_sha1_set_impl("nonsense") == -1, "-", "unknown name", 0);
	CHECK_SHA(bt_sha1_set_impl(NULL) == -1, "-", "NULL name", 0);
	CHECK_SHA(bt_sha1_set_impl("auto") == 0, "-", "auto", 0);
	CHECK_SHA(!strcmp(bt_sha1_impl(), "sha-ni") ||
		!strcmp(bt_sha1_impl(), "bearssl"), "-", "impl name", 0);

	ni = bt_sha1_set_impl("sha-ni") == 0;
	if (!ni)
		printf("sha1: sha-ni not available on this machine; "
			"checking the portable path only\n");
	CHECK_SHA(!ni || !strcmp(bt_sha1_impl(), "sha-ni"), "-",
		"select sha-ni", 0);

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (bt_sha1_set_impl(names[i]) != 0)
			continue;
		CHECK_SHA(!strcmp(bt_sha1_impl(), names[i]), names[i],
			"bt_sha1_impl after set", 0);
		have_other = NULL;
		if (ni)
			have_other = names[1 - i];
		test_vectors(names[i]);
		test_against_bearssl(names[i], buf);
		test_large(names[i], have_other);
		test_x2(names[i]);
		tested++;
	}
	CHECK_SHA(tested >= 1, "-", "at least one implementation", 0);
	bt_sha1_set_impl("auto");

	return check_summary("sha1");
}
