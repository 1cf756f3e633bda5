/* sha1-speed.c - throughput probe for the SHA-1 module.
 *
 * Hashes a 256 MiB buffer in 1 MiB updates with each implementation this
 * machine can run and prints MiB/s; BearSSL's own br_sha1_update is timed
 * too, as a reference for the cost of our wrapper around it.
 *
 * Then the piece case: the buffer as 512 KiB messages, hashed one at a
 * time with bt_sha1() ("1-way") and two at a time with bt_sha1_x2()
 * ("2-way"; both messages' bytes count), best of REPS passes each.
 *
 *   gcc -std=c11 -O2 -Isrc/base src/base/sha1.c scripts/sha1-speed.c -lbearssl \
 *       -o /tmp/sha1-speed && /tmp/sha1-speed */
#define _POSIX_C_SOURCE 200809L
#include "sha1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>

#define TOTAL	((size_t)256 << 20)
#define CHUNK	((size_t)1 << 20)
#define PIECE	((size_t)512 << 10)
#define REPS	5

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report(const char *name, double secs, const uint8_t d[20])
{
	printf("%-16s %8.1f MiB/s  (%02x%02x%02x%02x...)\n", name,
		(double)(TOTAL >> 20) / secs, d[0], d[1], d[2], d[3]);
}

/* One pass over the buffer as PIECE-sized messages; returns seconds and
 * leaves an XOR of all digests in d (so the work cannot be skipped). */
static double
pass_pieces(const uint8_t *buf, int two, uint8_t d[20])
{
	uint8_t da[20], db[20];
	size_t off;
	double t = now();
	int k;

	memset(d, 0, 20);
	for (off = 0; off < TOTAL; off += (two ? 2 : 1) * PIECE) {
		if (two) {
			bt_sha1_x2(buf + off, buf + off + PIECE, PIECE, da, db);
			for (k = 0; k < 20; k++)
				d[k] ^= da[k] ^ db[k];
		} else {
			bt_sha1(buf + off, PIECE, da);
			for (k = 0; k < 20; k++)
				d[k] ^= da[k];
		}
	}
	return now() - t;
}

static void
bench_pieces(const char *impl, const uint8_t *buf)
{
	double best[2] = { 1e9, 1e9 }, t;
	uint8_t d[2][20];
	int r, two;

	/* Alternate the two so frequency drift hits both alike. */
	for (r = 0; r < REPS; r++) {
		for (two = 0; two < 2; two++) {
			t = pass_pieces(buf, two, d[two]);
			if (t < best[two])
				best[two] = t;
		}
	}
	printf("%-8s 512 KiB 1-way %8.1f MiB/s  2-way %8.1f MiB/s  "
		"(x%.2f)%s\n", impl, (double)(TOTAL >> 20) / best[0],
		(double)(TOTAL >> 20) / best[1], best[0] / best[1],
		memcmp(d[0], d[1], 20) ? "  DIGESTS DIFFER" : "");
}

int
main(void)
{
	static const char *const names[] = { "sha-ni", "bearssl" };
	uint8_t *buf = malloc(TOTAL), d[20];
	struct bt_sha1 c;
	br_sha1_context bc;
	uint32_t x = 12345;
	size_t i, off;
	double t;

	if (!buf) {
		fprintf(stderr, "sha1-speed: out of memory\n");
		return 1;
	}
	for (i = 0; i < TOTAL; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 24);
	}

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (bt_sha1_set_impl(names[i]) != 0) {
			printf("%-16s not available\n", names[i]);
			continue;
		}
		t = now();
		bt_sha1_init(&c);
		for (off = 0; off < TOTAL; off += CHUNK)
			bt_sha1_update(&c, buf + off, CHUNK);
		bt_sha1_out(&c, d);
		report(names[i], now() - t, d);
	}

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (bt_sha1_set_impl(names[i]) == 0)
			bench_pieces(names[i], buf);
	bt_sha1_set_impl("auto");

	t = now();
	br_sha1_init(&bc);
	for (off = 0; off < TOTAL; off += CHUNK)
		br_sha1_update(&bc, buf + off, CHUNK);
	br_sha1_out(&bc, d);
	report("br_sha1 (direct)", now() - t, d);

	free(buf);
	return 0;
}
