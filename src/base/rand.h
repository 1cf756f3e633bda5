/* rand.h - the small seeded generator the engine uses for its random
 * choices (piece ties, peer order, tracker shuffles, transaction ids):
 * splitmix64, one uint64_t of state.  Not for secrets. */
#ifndef BT_RAND_H
#define BT_RAND_H

#include <stdint.h>

static inline uint64_t
bt_rand64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
