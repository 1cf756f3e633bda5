/* sha1-speed.c - throughput probe for the SHA-1 module.
 *
 * Hashes a 256 MiB buffer in 1 MiB updates with each implementation this
 * machine can run and prints MiB/s; BearSSL's own br_sha1_update is timed
 * too, as a reference for the cost of our wrapper around it.
 *
 *   gcc -std=c11 -O2 -Isrc src/sha1.c scripts/sha1-speed.c -lbearssl \
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
