/* rand.h - the small seeded generator the engine uses for its random
 * choices (piece ties, peer order, tracker shuffles, transaction ids):
 * splitmix64, one uint64_t of state.  Not for secrets. */
#ifndef BT_RAND_H
#define BT_RAND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t
bt_rand64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A state for bt_rand64 when the caller has no seed: the wall clock, the
 * monotonic clock's nanoseconds, the process id and salt (the address of
 * the generator's owner, so two made at once differ). */
static inline uint64_t
bt_rand_seed(const void *salt)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)time(NULL) << 32 ^ (uint64_t)ts.tv_nsec ^
		(uint64_t)getpid() << 16 ^ (uint64_t)(uintptr_t)salt;
}

/* Shuffle the n elements of size bytes at v in place (Fisher-Yates: for
 * i from n down to 2, swap element i - 1 with element bt_rand64() % i). */
static inline void
bt_rand_shuffle(uint64_t *state, void *v, size_t n, size_t size)
{
	unsigned char *p = v;

	for (size_t i = n; i > 1; i--) {
		unsigned char *a = p + (i - 1) * size;
		unsigned char *b = p + (size_t)(bt_rand64(state) % i) * size;
		for (size_t k = 0; k < size; k++) {
			unsigned char t = a[k];
			a[k] = b[k];
			b[k] = t;
		}
	}
}

#endif
