/* phash.h - hashing runs of pieces fast, for making torrents and checking
 * data.
 *
 * The pieces' bytes come from a caller's read function (the concatenated
 * data of the files, by stream position).  Several threads (the caller's
 * and helpers started for the run) each claim two pieces at a time and
 * hash them side by side (bt_sha1_update_x2), reading both a chunk at a
 * time into two small buffers of their own: the bytes are hashed while they
 * are still in the cache, and the memory used is two pieces per thread, at
 * most BT_PHASH_SCRATCH whatever the piece size.  Threads claim pairs in order, so the
 * reads move through the data roughly front to back. */
#ifndef BT_PHASH_H
#define BT_PHASH_H

#include <stddef.h>
#include <stdint.h>

#define BT_PHASH_MAX_THREADS	64
#define BT_PHASH_SKIP		1	/* a read's "this piece cannot be read" */
#define BT_PHASH_SCRATCH	(256u << 10)	/* buffer bytes per thread, at most */

/* Read n bytes at stream position pos into buf.  worker is the calling
 * thread's number in the run, 0 (the caller) to threads - 1, for state
 * kept per thread such as open files.  Returns 0; BT_PHASH_SKIP when the
 * piece holding pos cannot be read (the rest of it is not asked for and
 * it is reported as skipped); or a negative BT_E_* code, which stops the
 * run.  Called from several threads at once unless serial is set. */
typedef int bt_phash_read_fn(void *ud, unsigned worker, int64_t pos, void *buf,
	size_t n);

/* Called on the caller's thread now and then, with the count of pieces
 * hashed so far (never decreasing) and n; last with n, n on success. */
typedef void bt_phash_progress_fn(void *ud, size_t done, size_t total);

struct bt_phash {
	int64_t total;		/* bytes in the stream */
	int64_t plen;		/* piece length, > 0 (the last piece may be shorter) */
	bt_phash_read_fn *read;
	void *ud;
	unsigned threads;	/* from bt_phash_threads(), without a pool */
	int serial;		/* read is called by one thread at a time */
	bt_phash_progress_fn *progress;	/* or NULL */
	void *progress_ud;
	struct bt_phash_pool *pool;	/* threads and buffers kept by a caller
				 * that runs often (bt_phash_pool_new), or
				 * NULL: threads started for this run */
};

/* A caller's hashing threads and their buffers, kept from run to run: a
 * check hashes in many short runs, and starting threads and touching
 * fresh memory for each would cost more than the hashing on a busy
 * machine.  threads counts the caller's (at most BT_PHASH_MAX_THREADS);
 * NULL when out of memory.  One run at a time, from one thread. */
struct bt_phash_pool *bt_phash_pool_new(unsigned threads);
void bt_phash_pool_free(struct bt_phash_pool *p);

/* How many threads a run should use when asked for want (0: one per
 * online CPU), at most BT_PHASH_MAX_THREADS. */
unsigned bt_phash_threads(unsigned want);

/* Hash n pieces: piece list[k] (or first + k when list is NULL) into
 * out + 20 k.  skipped, when not NULL, gets skipped[k] = 1 for a piece
 * whose read said BT_PHASH_SKIP (its digest is then meaningless) and 0 for
 * the others.  Returns 0, a negative code from a read (the first one), or
 * BT_E_NOMEM / BT_E_INVAL.  Fewer threads than h->threads may run (never
 * more); the result is the same. */
int bt_phash_run(const struct bt_phash *h, uint32_t first, const uint32_t *list,
	size_t n, uint8_t *out, uint8_t *skipped);

#endif
