/* test_phash.c - bt_phash_run against bt_sha1 piece by piece: piece sizes
 * around its chunk size, last pieces short or whole, 1 to 5 threads, serial
 * reads, a list of pieces, skipped pieces, a failing read and progress; and
 * a pool of threads kept over many runs, as a check uses one. */
#include "check.h"
#include "err.h"
#include "phash.h"
#include "sha1.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct src {
	const uint8_t *data;
	int64_t total, plen;
	int64_t skip_piece;	/* reads in it say BT_PHASH_SKIP; -1 none */
	int64_t fail_at;	/* a read covering it fails; -1 none */
	atomic_int inside;	/* reads running now */
	atomic_int overlap;	/* two at once were seen */
	size_t last_done, calls;
	int backwards;
};

static int
src_read(void *ud, unsigned worker, int64_t pos, void *buf, size_t n)
{
	struct src *s = ud;

	(void)worker;
	if (atomic_fetch_add(&s->inside, 1) > 0)
		atomic_store(&s->overlap, 1);
	int rc = 0;
	if (pos < 0 || pos + (int64_t)n > s->total)
		rc = BT_E_INVAL;
	else if (s->skip_piece >= 0 && pos / s->plen == s->skip_piece)
		rc = BT_PHASH_SKIP;
	else if (s->fail_at >= pos && s->fail_at < pos + (int64_t)n)
		rc = BT_E_IO;
	else
		memcpy(buf, s->data + pos, n);
	atomic_fetch_sub(&s->inside, 1);
	return rc;
}

static void
on_progress(void *ud, size_t done, size_t total)
{
	struct src *s = ud;

	(void)total;
	s->backwards |= done < s->last_done;
	s->last_done = done;
	s->calls++;
}

static void
expect(const struct src *s, uint32_t piece, const uint8_t *got, int line)
{
	uint8_t want[20];
	int64_t off = (int64_t)piece * s->plen;
	int64_t n = s->total - off < s->plen ? s->total - off : s->plen;

	bt_sha1(s->data + off, (size_t)n, want);
	CHECK_MEM_AT(line, got, 20, want, 20);
}

static void
test_sizes(const uint8_t *data)
{
	static const int64_t plens[] = { 64, 1000, 65536, 131072, 262144, 1 << 20 };
	static const int64_t extra[] = { 0, 1, 63 };

	for (size_t i = 0; i < sizeof(plens) / sizeof(plens[0]); i++)
		for (size_t e = 0; e < 3; e++)
			for (unsigned th = 1; th <= 5; th += 2) {
				struct src s = { .data = data, .plen = plens[i], .skip_piece = -1,
					.fail_at = -1 };
				s.total = plens[i] * 5 + extra[e];
				if (s.total > (4 << 20))
					s.total = (4 << 20) - extra[e];
				size_t n = (size_t)((s.total + s.plen - 1) / s.plen);
				uint8_t *out = malloc(n * 20);
				struct bt_phash h = { .total = s.total, .plen = s.plen,
					.read = src_read, .ud = &s, .threads = th,
					.serial = th == 3, .progress = on_progress,
					.progress_ud = &s };
				CHECK_INT(bt_phash_run(&h, 0, NULL, n, out, NULL), ==, 0);
				for (uint32_t p = 0; p < n; p++)
					expect(&s, p, out + 20 * p, __LINE__);
				CHECK_INT(s.last_done, ==, n);
				CHECK(!s.backwards);
				if (th == 3)
					CHECK(!atomic_load(&s.overlap));
				free(out);
			}
}

static void
test_list_skip_fail(const uint8_t *data)
{
	struct src s = { .data = data, .total = 40 * 4096 + 17, .plen = 4096,
		.skip_piece = 7, .fail_at = -1 };
	uint32_t list[] = { 40, 3, 7, 8, 0, 39 };
	uint8_t out[6 * 20], skipped[6];
	struct bt_phash h = { .total = s.total, .plen = s.plen, .read = src_read, .ud = &s,
		.threads = 2 };

	memset(skipped, 0xee, sizeof(skipped));
	CHECK_INT(bt_phash_run(&h, 0, list, 6, out, skipped), ==, 0);
	for (size_t k = 0; k < 6; k++) {
		CHECK_INT(skipped[k], ==, list[k] == 7);
		if (list[k] != 7)
			expect(&s, list[k], out + 20 * k, __LINE__);
	}
	/* first + k without a list */
	CHECK_INT(bt_phash_run(&h, 30, NULL, 3, out, skipped), ==, 0);
	for (size_t k = 0; k < 3; k++)
		expect(&s, 30 + (uint32_t)k, out + 20 * k, __LINE__);

	/* A failing read stops the run with its code, on any thread count. */
	s.skip_piece = -1;
	s.fail_at = 20 * 4096 + 5;
	uint8_t *all = malloc(41 * 20);
	for (unsigned th = 1; th <= 4; th++) {
		h.threads = th;
		CHECK_INT(bt_phash_run(&h, 0, NULL, 41, all, NULL), ==, BT_E_IO);
	}
	free(all);
	/* Nothing to do, and bad arguments. */
	CHECK_INT(bt_phash_run(&h, 0, NULL, 0, out, NULL), ==, 0);
	h.plen = 0;
	CHECK_INT(bt_phash_run(&h, 0, NULL, 1, out, NULL), ==, BT_E_INVAL);
	CHECK_INT(bt_phash_threads(3), ==, 3);
	CHECK_INT(bt_phash_threads(1000), ==, BT_PHASH_MAX_THREADS);
	CHECK(bt_phash_threads(0) >= 1);
}

/* One pool for runs of every size (none, one piece, fewer pieces than
 * threads, many), serial or not, with a failure in the middle, and piece
 * lengths that change from run to run (a thread's buffers follow them, up
 * to BT_PHASH_SCRATCH): each run's result is its own, and the pool's
 * threads wait between runs. */
static void
test_pool(const uint8_t *data)
{
	struct src s = { .data = data, .total = 300 * 4096 + 99, .plen = 4096,
		.skip_piece = -1, .fail_at = -1 };
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 301 };
	static const int64_t plens[] = { 4096, 1000, 200 << 10, 4096, 1 << 17, 1 };
	size_t most = (size_t)s.total;	/* pieces, when plen is 1 */
	uint8_t *out = malloc(most * 20), *skipped = malloc(most);

	CHECK(out && skipped);
	for (unsigned th = 1; th <= 3; th++) {
		struct bt_phash_pool *pool = bt_phash_pool_new(th);
		struct bt_phash h = { .total = s.total, .read = src_read, .ud = &s, .pool = pool };
		CHECK(pool != NULL);
		for (unsigned round = 0; round < 40; round++) {
			h.plen = s.plen = plens[round % 6];
			size_t pieces = (size_t)((s.total + s.plen - 1) / s.plen);
			size_t n = sizes[round % 7] < pieces ? sizes[round % 7] : pieces;
			uint32_t first = (uint32_t)(pieces - n) / 2;
			h.serial = round % 3 == 0;
			s.fail_at = round == 20 ? (int64_t)(first + n / 2) * s.plen : -1;
			int rc = bt_phash_run(&h, first, NULL, n, out, skipped);
			if (s.fail_at >= 0 && n) {
				CHECK_INT(rc, ==, BT_E_IO);
				continue;
			}
			CHECK_INT(rc, ==, 0);
			for (size_t k = 0; k < n; k++) {
				CHECK_INT(skipped[k], ==, 0);
				expect(&s, first + (uint32_t)k, out + 20 * k, __LINE__);
			}
		}
		bt_phash_pool_free(pool);
	}
	bt_phash_pool_free(NULL);
	free(out);
	free(skipped);
}

int
main(void)
{
	size_t n = 4u << 20;
	uint8_t *data = malloc(n);
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 24);
	}
	test_sizes(data);
	test_list_skip_fail(data);
	test_pool(data);
	free(data);
	return check_summary("phash");
}
