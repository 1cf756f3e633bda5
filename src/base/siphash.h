/* siphash.h - SipHash-2-4, a keyed hash for tables whose keys come from
 * the network (info hashes, addresses): without the key nobody can choose
 * keys that collide.  The specified function on every host: words are
 * read little-endian (k0, k1 are the key's bytes 0-7 and 8-15 read so). */
#ifndef BT_SIPHASH_H
#define BT_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct bt_sipkey {
	uint64_t k0, k1;
};

/* SipHash-2-4 of p[0..n) under k. */
uint64_t bt_siphash(const struct bt_sipkey *k, const void *p, size_t n);
/* A key from /dev/urandom (mixed with the clock should that fail). */
void bt_sipkey_random(struct bt_sipkey *k);

#endif
