/* bitfield.h - a piece bitfield, as carried by the BitTorrent bitfield
 * message (BEP 3).
 *
 * Bit i is piece i; the high bit of byte 0 is piece 0.  On the wire the
 * field is ceil(n/8) bytes and the spare bits after piece n-1 must be
 * zero.  The structure keeps a count of set bits so "how many do we have"
 * is O(1).  The caller owns the struct; the bits are on the heap. */
#ifndef BT_BITFIELD_H
#define BT_BITFIELD_H

#include <stddef.h>
#include <stdint.h>

/* Most pieces a bitfield may hold (2^26: an 8 MiB wire bitfield, the
 * largest that fits in a default-sized peer message). */
#define BT_BITFIELD_MAX (1u << 26)

struct bt_bitfield {
	uint8_t *bits;
	uint32_t n;	/* pieces */
	uint32_t have;	/* bits set */
};

/* Bytes of the wire form for n pieces: ceil(n/8). */
static inline size_t
bt_bitfield_bytes(uint32_t n)
{
	return ((size_t)n + 7) / 8;
}

/* The bits of the last wire byte that stand for no piece (they must be
 * zero): none when n is a multiple of 8. */
static inline uint8_t
bt_bitfield_spare_mask(uint32_t n)
{
	return n & 7 ? (uint8_t)(0xff >> (n & 7)) : 0;
}

/* All clear, room for n pieces (n may be 0).  Returns 0, BT_E_LIMIT
 * (n > BT_BITFIELD_MAX) or BT_E_NOMEM; on failure bf is empty but valid
 * for bt_bitfield_fini(). */
int bt_bitfield_init(struct bt_bitfield *bf, uint32_t n);
void bt_bitfield_fini(struct bt_bitfield *bf);

/* Set or clear bit i.  Return 1 if the bit changed, 0 if not, BT_E_INVAL
 * if i >= n. */
int bt_bitfield_set(struct bt_bitfield *bf, uint32_t i);
int bt_bitfield_clear(struct bt_bitfield *bf, uint32_t i);
/* 1 if bit i is set; 0 if clear or out of range. */
int bt_bitfield_test(const struct bt_bitfield *bf, uint32_t i);
void bt_bitfield_set_all(struct bt_bitfield *bf);
void bt_bitfield_clear_all(struct bt_bitfield *bf);

static inline uint32_t
bt_bitfield_count(const struct bt_bitfield *bf)
{
	return bf->have;
}

static inline int
bt_bitfield_complete(const struct bt_bitfield *bf)
{
	return bf->have == bf->n;
}

/* Lowest clear bit at or after `from`, or n if there is none. */
uint32_t bt_bitfield_first_missing(const struct bt_bitfield *bf, uint32_t from);
/* Lowest set bit at or after `from`, or n if there is none. */
uint32_t bt_bitfield_first_set(const struct bt_bitfield *bf, uint32_t from);

/* Load the wire form p[0..len) into bf (already sized with init).
 * Returns 0, or BT_E_PROTO if len != bt_bitfield_bytes(bf->n) or a spare
 * bit is set; bf is unchanged on failure. */
int bt_bitfield_from_wire(struct bt_bitfield *bf, const uint8_t *p, size_t len);
/* The wire form: bf->bits, bt_bitfield_bytes(bf->n) bytes (spare bits are
 * always zero). */
const uint8_t *bt_bitfield_to_wire(const struct bt_bitfield *bf, size_t *len);

/* dst = a & b, and dst = a & ~b ("they have, we lack" is
 * andnot(dst, theirs, ours)).  All three must have the same n; dst may be
 * a or b.  Return the number of bits set in dst, or BT_E_INVAL. */
int64_t bt_bitfield_and(struct bt_bitfield *dst, const struct bt_bitfield *a,
	const struct bt_bitfield *b);
int64_t bt_bitfield_andnot(struct bt_bitfield *dst, const struct bt_bitfield *a,
	const struct bt_bitfield *b);

#endif
