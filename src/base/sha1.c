/* sha1.c - SHA-1 with a run-time chosen block function.
 *
 * The buffering and padding live here; compressing whole blocks is left to
 * a block function of type sha1_blocks_fn:
 *   - sha-ni:  x86 SHA extensions, state kept in xmm registers over all the
 *              blocks of a call;
 *   - bearssl: BearSSL's portable compression.  BearSSL does not export its
 *              block function, so we load our chaining value into a scratch
 *              br_sha1_context with br_sha1_set_state(), feed it the whole
 *              blocks (its buffer stays empty since the count starts at 0
 *              and only multiples of 64 go in) and read the new chaining
 *              value back with br_sha1_state().
 *
 * bt_sha1_update_x2() (and bt_sha1_x2() through it) on sha-ni runs the
 * whole blocks of its two messages through blocks_sha_ni_x2(), which
 * interleaves the two dependency chains, and finishes each message with the
 * ordinary update/out code.
 *
 * The selection is an atomic index: 0 means "not decided yet"; the first
 * user runs cpuid and installs its finding with a compare-and-swap, so a
 * concurrent bt_sha1_set_impl() is never overwritten by a late detection. */
#include "sha1.h"
#include "be.h"

#include <stdatomic.h>
#include <string.h>

#include <bearssl.h>

#if defined(__x86_64__) || defined(__i386__)
#define BT_SHA1_HAVE_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

typedef void (*sha1_blocks_fn)(uint32_t h[5], const uint8_t *blocks,
	size_t nblocks);

/* ---- portable: BearSSL ---- */

static void
blocks_bearssl(uint32_t h[5], const uint8_t *blocks, size_t nblocks)
{
	br_sha1_context bc;
	uint8_t st[20];
	int i;

	for (i = 0; i < 5; i++)
		put32(st + 4 * i, h[i]);
	br_sha1_init(&bc);
	br_sha1_set_state(&bc, st, 0);
	br_sha1_update(&bc, blocks, nblocks * 64);
	br_sha1_state(&bc, st);
	for (i = 0; i < 5; i++)
		h[i] = get32(st + 4 * i);
}

/* ---- x86 SHA extensions ---- */

#ifdef BT_SHA1_HAVE_NI
/*
 * Register layout: abcd holds A,B,C,D with A in the top lane (lane 3), as
 * sha1rnds4 wants; a message register holds four schedule words W[4k..4k+3]
 * with the earliest word in lane 3.
 *
 * sha1rnds4(abcd, x, f) runs four rounds with round function/constant f
 * (0..3 for rounds 0-19, 20-39, 40-59, 60-79), where x is the four
 * message words with E already added to the top one.  After four rounds
 * the E to use is rotl(A, 30) of the state from before them, and
 * sha1nexte(old_abcd, w) computes exactly "w with rotl(old A, 30) added to
 * its top lane".  So every quad after the first needs the abcd from the
 * quad before; we carry it in `prev`.
 *
 * Schedule, four words at a time (M[k] = W[4k..4k+3]):
 *   W[t] = rotl1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])
 *   sha1msg1(M[k-4], M[k-3])  gives the W[t-16] ^ W[t-14] terms,
 *   xor with M[k-2]           adds W[t-8],
 *   sha1msg2(that, M[k-1])    adds W[t-3] (including the words of M[k]
 *                             itself for lane 0) and rotates by one.
 * M[k] overwrites M[k-4], so four registers cycle.
 */
#define NI_SCHED(a, b, c, d) \
	(a) = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32((a), (b)), \
		(c)), (d))

#define NI_QUAD(f, m) do { \
	__m128i x_ = _mm_sha1nexte_epu32(prev, (m)); \
	prev = abcd; \
	abcd = _mm_sha1rnds4_epu32(abcd, x_, (f)); \
} while (0)

/* Quad k (k >= 4): compute M[k] into the register that held M[k-4], then
 * run its four rounds. */
#define NI_SQUAD(f, a, b, c, d) do { \
	NI_SCHED(a, b, c, d); \
	NI_QUAD(f, a); \
} while (0)

__attribute__((target("sha,sse4.1")))
static void
blocks_sha_ni(uint32_t h[5], const uint8_t *blocks, size_t nblocks)
{
	/* Reverses the 16 bytes: big-endian words, first word on top. */
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL,
		0x08090a0b0c0d0e0fLL);
	__m128i abcd, e, abcd0, e0, prev, m0, m1, m2, m3;

	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	e = _mm_set_epi32((int)h[4], 0, 0, 0);

	for (; nblocks > 0; nblocks--, blocks += 64) {
		abcd0 = abcd;
		e0 = e;

		m0 = _mm_shuffle_epi8(_mm_loadu_si128(
			(const __m128i *)(blocks + 0)), bswap);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128(
			(const __m128i *)(blocks + 16)), bswap);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128(
			(const __m128i *)(blocks + 32)), bswap);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128(
			(const __m128i *)(blocks + 48)), bswap);

		/* rounds 0-3: E comes from the chaining value */
		prev = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e, m0), 0);
		NI_QUAD(0, m1);				/* 4-7 */
		NI_QUAD(0, m2);				/* 8-11 */
		NI_QUAD(0, m3);				/* 12-15 */
		NI_SQUAD(0, m0, m1, m2, m3);		/* 16-19 */
		NI_SQUAD(1, m1, m2, m3, m0);		/* 20-23 */
		NI_SQUAD(1, m2, m3, m0, m1);
		NI_SQUAD(1, m3, m0, m1, m2);
		NI_SQUAD(1, m0, m1, m2, m3);
		NI_SQUAD(1, m1, m2, m3, m0);		/* 36-39 */
		NI_SQUAD(2, m2, m3, m0, m1);		/* 40-43 */
		NI_SQUAD(2, m3, m0, m1, m2);
		NI_SQUAD(2, m0, m1, m2, m3);
		NI_SQUAD(2, m1, m2, m3, m0);
		NI_SQUAD(2, m2, m3, m0, m1);		/* 56-59 */
		NI_SQUAD(3, m3, m0, m1, m2);		/* 60-63 */
		NI_SQUAD(3, m0, m1, m2, m3);
		NI_SQUAD(3, m1, m2, m3, m0);
		NI_SQUAD(3, m2, m3, m0, m1);
		NI_SQUAD(3, m3, m0, m1, m2);		/* 76-79 */

		/* Final E is rotl(A, 30) of the state before the last quad;
		 * fold in the feed-forward at the same time. */
		e = _mm_sha1nexte_epu32(prev, e0);
		abcd = _mm_add_epi32(abcd, abcd0);
	}

	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

/*
 * Two independent messages, one block of each per iteration, with the
 * instructions of the two streams alternating.  On its own a stream is a
 * chain of dependent sha1nexte/sha1rnds4 pairs and the CPU waits out
 * their latency; the other stream's pair fills the wait.  Register names
 * end in a or b for the stream; the schedule registers are ma0..ma3 and
 * mb0..mb3, picked by digit in the macros below.
 */
#define X2_QUAD(f, i) do { \
	__m128i xa_ = _mm_sha1nexte_epu32(preva, ma##i); \
	__m128i xb_ = _mm_sha1nexte_epu32(prevb, mb##i); \
	preva = abcda; \
	prevb = abcdb; \
	abcda = _mm_sha1rnds4_epu32(abcda, xa_, (f)); \
	abcdb = _mm_sha1rnds4_epu32(abcdb, xb_, (f)); \
} while (0)

#define X2_SQUAD(f, i, j, k, l) do { \
	NI_SCHED(ma##i, ma##j, ma##k, ma##l); \
	NI_SCHED(mb##i, mb##j, mb##k, mb##l); \
	X2_QUAD(f, i); \
} while (0)

#define X2_LOAD(i) do { \
	ma##i = _mm_shuffle_epi8(_mm_loadu_si128( \
		(const __m128i *)(a + 16 * (i))), bswap); \
	mb##i = _mm_shuffle_epi8(_mm_loadu_si128( \
		(const __m128i *)(b + 16 * (i))), bswap); \
} while (0)

__attribute__((target("sha,sse4.1")))
static void
blocks_sha_ni_x2(uint32_t ha[5], uint32_t hb[5], const uint8_t *a,
	const uint8_t *b, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL,
		0x08090a0b0c0d0e0fLL);
	__m128i abcda, ea, abcda0, preva, ma0, ma1, ma2, ma3;
	__m128i abcdb, eb, abcdb0, prevb, mb0, mb1, mb2, mb3;

	abcda = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)ha), 0x1b);
	abcdb = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)hb), 0x1b);
	ea = _mm_set_epi32((int)ha[4], 0, 0, 0);
	eb = _mm_set_epi32((int)hb[4], 0, 0, 0);

	for (; nblocks > 0; nblocks--, a += 64, b += 64) {
		abcda0 = abcda;
		abcdb0 = abcdb;
		X2_LOAD(0);
		X2_LOAD(1);
		X2_LOAD(2);
		X2_LOAD(3);

		/* rounds 0-3: E comes from the chaining value */
		preva = abcda;
		prevb = abcdb;
		abcda = _mm_sha1rnds4_epu32(abcda, _mm_add_epi32(ea, ma0), 0);
		abcdb = _mm_sha1rnds4_epu32(abcdb, _mm_add_epi32(eb, mb0), 0);
		X2_QUAD(0, 1);				/* 4-7 */
		X2_QUAD(0, 2);				/* 8-11 */
		X2_QUAD(0, 3);				/* 12-15 */
		X2_SQUAD(0, 0, 1, 2, 3);		/* 16-19 */
		X2_SQUAD(1, 1, 2, 3, 0);		/* 20-23 */
		X2_SQUAD(1, 2, 3, 0, 1);
		X2_SQUAD(1, 3, 0, 1, 2);
		X2_SQUAD(1, 0, 1, 2, 3);
		X2_SQUAD(1, 1, 2, 3, 0);		/* 36-39 */
		X2_SQUAD(2, 2, 3, 0, 1);		/* 40-43 */
		X2_SQUAD(2, 3, 0, 1, 2);
		X2_SQUAD(2, 0, 1, 2, 3);
		X2_SQUAD(2, 1, 2, 3, 0);
		X2_SQUAD(2, 2, 3, 0, 1);		/* 56-59 */
		X2_SQUAD(3, 3, 0, 1, 2);		/* 60-63 */
		X2_SQUAD(3, 0, 1, 2, 3);
		X2_SQUAD(3, 1, 2, 3, 0);
		X2_SQUAD(3, 2, 3, 0, 1);
		X2_SQUAD(3, 3, 0, 1, 2);		/* 76-79 */

		/* ea/eb still hold the E of the chaining value: the
		 * feed-forward, as in blocks_sha_ni(). */
		ea = _mm_sha1nexte_epu32(preva, ea);
		eb = _mm_sha1nexte_epu32(prevb, eb);
		abcda = _mm_add_epi32(abcda, abcda0);
		abcdb = _mm_add_epi32(abcdb, abcdb0);
	}

	_mm_storeu_si128((__m128i *)ha, _mm_shuffle_epi32(abcda, 0x1b));
	_mm_storeu_si128((__m128i *)hb, _mm_shuffle_epi32(abcdb, 0x1b));
	ha[4] = (uint32_t)_mm_extract_epi32(ea, 3);
	hb[4] = (uint32_t)_mm_extract_epi32(eb, 3);
}

#undef X2_QUAD
#undef X2_SQUAD
#undef X2_LOAD
#undef NI_SCHED
#undef NI_QUAD
#undef NI_SQUAD

static int
cpu_has_sha_ni(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 19)) || !(c & (1u << 9)))	/* SSE4.1, SSSE3 */
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 29) & 1;				/* SHA */
}
#endif /* BT_SHA1_HAVE_NI */

/* ---- selection ---- */

enum { IMPL_UNSET, IMPL_BEARSSL, IMPL_SHA_NI, IMPL_COUNT };

static const struct {
	const char *name;
	sha1_blocks_fn fn;
} impls[IMPL_COUNT] = {
	[IMPL_BEARSSL] = { "bearssl", blocks_bearssl },
#ifdef BT_SHA1_HAVE_NI
	[IMPL_SHA_NI] = { "sha-ni", blocks_sha_ni },
#endif
};

static _Atomic int impl_sel = IMPL_UNSET;

static int
impl_supported(int id)
{
	switch (id) {
	case IMPL_BEARSSL:
		return 1;
#ifdef BT_SHA1_HAVE_NI
	case IMPL_SHA_NI:
		return cpu_has_sha_ni();
#endif
	default:
		return 0;
	}
}

static int
impl_detect(void)
{
	return impl_supported(IMPL_SHA_NI) ? IMPL_SHA_NI : IMPL_BEARSSL;
}

static int
impl_current(void)
{
	int id = atomic_load_explicit(&impl_sel, memory_order_relaxed);
	int expect = IMPL_UNSET;

	if (id != IMPL_UNSET)
		return id;
	id = impl_detect();
	/* Keep whatever another thread stored in the meantime. */
	if (!atomic_compare_exchange_strong_explicit(&impl_sel, &expect, id,
		memory_order_relaxed, memory_order_relaxed))
		id = expect;
	return id;
}

static void
compress(uint32_t h[5], const uint8_t *blocks, size_t nblocks)
{
	impls[impl_current()].fn(h, blocks, nblocks);
}

const char *
bt_sha1_impl(void)
{
	return impls[impl_current()].name;
}

int
bt_sha1_set_impl(const char *name)
{
	int id;

	if (!name)
		return -1;
	if (!strcmp(name, "auto"))
		id = impl_detect();
	else if (!strcmp(name, "bearssl"))
		id = IMPL_BEARSSL;
	else if (!strcmp(name, "sha-ni"))
		id = IMPL_SHA_NI;
	else
		return -1;
	if (!impl_supported(id))
		return -1;
	atomic_store_explicit(&impl_sel, id, memory_order_relaxed);
	return 0;
}

/* ---- hashing ---- */

void
bt_sha1_init(struct bt_sha1 *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xefcdab89;
	c->h[2] = 0x98badcfe;
	c->h[3] = 0x10325476;
	c->h[4] = 0xc3d2e1f0;
	c->count = 0;
}

void
bt_sha1_update(struct bt_sha1 *c, const void *p, size_t n)
{
	const uint8_t *src = p;
	size_t used = (size_t)(c->count & 63);
	size_t take;

	if (n == 0)
		return;
	c->count += n;
	if (used) {
		take = 64 - used;
		if (take > n)
			take = n;
		memcpy(c->buf + used, src, take);
		src += take;
		n -= take;
		if (used + take < 64)
			return;
		compress(c->h, c->buf, 1);
	}
	if (n >= 64) {
		compress(c->h, src, n / 64);
		src += n & ~(size_t)63;
		n &= 63;
	}
	if (n)
		memcpy(c->buf, src, n);
}

void
bt_sha1_out(const struct bt_sha1 *c, uint8_t out[20])
{
	uint8_t tail[128];
	uint32_t h[5];
	size_t used = (size_t)(c->count & 63);
	size_t len = used < 56 ? 64 : 128;
	uint64_t bits = c->count << 3;
	int i;

	memcpy(tail, c->buf, used);
	tail[used] = 0x80;
	memset(tail + used + 1, 0, len - used - 1 - 8);
	put64(tail + len - 8, bits);
	memcpy(h, c->h, sizeof h);
	compress(h, tail, len / 64);
	for (i = 0; i < 5; i++)
		put32(out + 4 * i, h[i]);
}

void
bt_sha1(const void *p, size_t n, uint8_t out[20])
{
	struct bt_sha1 c;

	bt_sha1_init(&c);
	bt_sha1_update(&c, p, n);
	bt_sha1_out(&c, out);
}

void
bt_sha1_update_x2(struct bt_sha1 *a, struct bt_sha1 *b, const void *pa,
	const void *pb, size_t n)
{
	const uint8_t *ca = pa, *cb = pb;

#ifdef BT_SHA1_HAVE_NI
	if (n >= 64 && !(a->count & 63) && !(b->count & 63) &&
		impl_current() == IMPL_SHA_NI) {
		size_t whole = n & ~(size_t)63;

		blocks_sha_ni_x2(a->h, b->h, ca, cb, whole / 64);
		a->count += whole;
		b->count += whole;
		ca += whole;
		cb += whole;
		n -= whole;
	}
#endif
	/* The tails (and everything, on the portable path) one at a time. */
	bt_sha1_update(a, ca, n);
	bt_sha1_update(b, cb, n);
}

void
bt_sha1_x2(const void *a, const void *b, size_t n, uint8_t out_a[20],
	uint8_t out_b[20])
{
	struct bt_sha1 ca, cb;

	bt_sha1_init(&ca);
	bt_sha1_init(&cb);
	bt_sha1_update_x2(&ca, &cb, a, b, n);
	bt_sha1_out(&ca, out_a);
	bt_sha1_out(&cb, out_b);
}
