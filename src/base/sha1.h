/* sha1.h - SHA-1 (FIPS 180-4) for piece and info-hash checking.
 *
 * Whole 64-byte blocks are compressed by one of two block functions,
 * picked once at run time: the x86 SHA extensions ("sha-ni") when the CPU
 * has them, otherwise BearSSL's portable code ("bearssl").  The choice is
 * process-wide and safe to make from several threads at once; a context
 * holds no reference to it, so any context may be used with either.
 *
 * The functions never allocate, print or fail.  A context is plain data:
 * it may be copied, and distinct contexts may be used by distinct threads
 * concurrently (one context must not be shared without locking). */
#ifndef BT_SHA1_H
#define BT_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct bt_sha1 {
	uint32_t h[5];		/* chaining value */
	uint64_t count;		/* bytes so far */
	uint8_t buf[64];	/* partial block: the first count % 64 bytes */
};

/* Start a new hash in c (any previous contents are discarded). */
void bt_sha1_init(struct bt_sha1 *c);

/* Append n bytes at p to the message.  p may be NULL when n is 0.  Whole
 * blocks are hashed straight from p; only a partial head or tail is
 * copied into the context. */
void bt_sha1_update(struct bt_sha1 *c, const void *p, size_t n);

/* Write the 20-byte digest of everything fed so far to out.  c is left
 * untouched, so the caller may take this snapshot and go on updating. */
void bt_sha1_out(const struct bt_sha1 *c, uint8_t out[20]);

/* Digest of the n bytes at p in one call (p may be NULL when n is 0). */
void bt_sha1(const void *p, size_t n, uint8_t out[20]);

/* Hash two independent messages of the same length n at once (n may be any
 * size; a and b may be NULL when n is 0).  Same results as two bt_sha1()
 * calls; faster where the CPU allows (interleaved SHA-NI: the whole blocks
 * of both messages go through one 2-way block function, the tails and
 * padding through the single-stream code), plain two calls otherwise,
 * including when "bearssl" has been selected. */
void bt_sha1_x2(const void *a, const void *b, size_t n, uint8_t out_a[20],
	uint8_t out_b[20]);

/* Append n bytes to each of two independent messages at once: pa to a, pb
 * to b (the same n for both).  Same results as two bt_sha1_update() calls;
 * when both contexts are at a block boundary and sha-ni is selected, the
 * whole blocks go through the 2-way block function.  Lets two pieces be
 * hashed side by side a chunk at a time. */
void bt_sha1_update_x2(struct bt_sha1 *a, struct bt_sha1 *b, const void *pa,
	const void *pb, size_t n);

/* Name of the block function currently used: "sha-ni" or "bearssl".
 * The first call (of this or any hashing function) does the detection. */
const char *bt_sha1_impl(void);

/* Select the block function by name: "sha-ni", "bearssl", or "auto" (the
 * best one this CPU supports).  Returns 0, or -1 when the name is unknown
 * or the implementation cannot run here (the selection is then unchanged).
 * Meant for tests and benchmarks; affects every thread. */
int bt_sha1_set_impl(const char *name);

#endif
