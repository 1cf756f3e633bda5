/* siphash.c - see siphash.h */
#include "siphash.h"
#include "le.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

uint64_t
bt_siphash(const struct bt_sipkey *k, const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k->k0, v1 = 0x646f72616e646f6dULL ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k->k0, v3 = 0x7465646279746573ULL ^ k->k1;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		m = get_le64(p + i);	/* the specified little-endian words */
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void
bt_sipkey_random(struct bt_sipkey *k)
{
	struct timespec ts;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	memset(k, 0, sizeof(*k));
	if (fd >= 0) {
		if (read(fd, k, sizeof(*k)) != (ssize_t)sizeof(*k))
			memset(k, 0, sizeof(*k));
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	k->k0 ^= (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL;
	k->k1 ^= (uint64_t)(uintptr_t)k ^ (uint64_t)ts.tv_sec;
}
