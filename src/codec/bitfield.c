/* bitfield.c - a piece bitfield; see bitfield.h. */
#include "bitfield.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

static unsigned
popcount8(uint8_t x)
{
	x = (uint8_t)(x - ((x >> 1) & 0x55));
	x = (uint8_t)((x & 0x33) + ((x >> 2) & 0x33));
	return (unsigned)((x + (x >> 4)) & 0x0f);
}

int
bt_bitfield_init(struct bt_bitfield *bf, uint32_t n)
{
	bf->bits = NULL;
	bf->n = 0;
	bf->have = 0;
	if (n > BT_BITFIELD_MAX)
		return BT_E_LIMIT;
	/* calloc(0) may return NULL; always ask for at least one byte. */
	uint8_t *p = calloc(bt_bitfield_bytes(n) + 1, 1);
	if (!p)
		return BT_E_NOMEM;
	bf->bits = p;
	bf->n = n;
	return 0;
}

void
bt_bitfield_fini(struct bt_bitfield *bf)
{
	free(bf->bits);
	bf->bits = NULL;
	bf->n = 0;
	bf->have = 0;
}

int
bt_bitfield_set(struct bt_bitfield *bf, uint32_t i)
{
	if (i >= bf->n)
		return BT_E_INVAL;
	uint8_t m = (uint8_t)(0x80 >> (i & 7));
	if (bf->bits[i >> 3] & m)
		return 0;
	bf->bits[i >> 3] |= m;
	bf->have++;
	return 1;
}

int
bt_bitfield_clear(struct bt_bitfield *bf, uint32_t i)
{
	if (i >= bf->n)
		return BT_E_INVAL;
	uint8_t m = (uint8_t)(0x80 >> (i & 7));
	if (!(bf->bits[i >> 3] & m))
		return 0;
	bf->bits[i >> 3] &= (uint8_t)~m;
	bf->have--;
	return 1;
}

int
bt_bitfield_test(const struct bt_bitfield *bf, uint32_t i)
{
	if (i >= bf->n)
		return 0;
	return (bf->bits[i >> 3] >> (7 - (i & 7))) & 1;
}

void
bt_bitfield_set_all(struct bt_bitfield *bf)
{
	size_t nb = bt_bitfield_bytes(bf->n);
	if (nb == 0)
		return;
	memset(bf->bits, 0xff, nb);
	bf->bits[nb - 1] = (uint8_t)~bt_bitfield_spare_mask(bf->n);
	bf->have = bf->n;
}

void
bt_bitfield_clear_all(struct bt_bitfield *bf)
{
	memset(bf->bits, 0, bt_bitfield_bytes(bf->n));
	bf->have = 0;
}

/* Lowest index >= from whose bit equals `want`, or n. */
static uint32_t
find(const struct bt_bitfield *bf, uint32_t from, int want)
{
	uint8_t skip = want ? 0x00 : 0xff;	/* bytes with nothing to find */
	uint32_t i = from;
	while (i < bf->n) {
		if ((i & 7) == 0 && bf->bits[i >> 3] == skip) {
			i += 8;
			continue;
		}
		if (((bf->bits[i >> 3] >> (7 - (i & 7))) & 1) == (unsigned)want)
			return i;
		i++;
	}
	return bf->n;
}

uint32_t
bt_bitfield_first_missing(const struct bt_bitfield *bf, uint32_t from)
{
	return find(bf, from, 0);
}

uint32_t
bt_bitfield_first_set(const struct bt_bitfield *bf, uint32_t from)
{
	return find(bf, from, 1);
}

int
bt_bitfield_from_wire(struct bt_bitfield *bf, const uint8_t *p, size_t len)
{
	size_t nb = bt_bitfield_bytes(bf->n);
	if (len != nb)
		return BT_E_PROTO;
	if (nb && (p[nb - 1] & bt_bitfield_spare_mask(bf->n)))
		return BT_E_PROTO;
	uint32_t have = 0;
	for (size_t k = 0; k < nb; k++)
		have += popcount8(p[k]);
	if (nb)
		memcpy(bf->bits, p, nb);
	bf->have = have;
	return 0;
}

const uint8_t *
bt_bitfield_to_wire(const struct bt_bitfield *bf, size_t *len)
{
	*len = bt_bitfield_bytes(bf->n);
	return bf->bits;
}

static int64_t
combine(struct bt_bitfield *dst, const struct bt_bitfield *a, const struct bt_bitfield *b,
	int invert_b)
{
	if (dst->n != a->n || a->n != b->n)
		return BT_E_INVAL;
	size_t nb = bt_bitfield_bytes(a->n);
	uint32_t have = 0;
	for (size_t k = 0; k < nb; k++) {
		uint8_t y = invert_b ? (uint8_t)~b->bits[k] : b->bits[k];
		uint8_t v = (uint8_t)(a->bits[k] & y);
		dst->bits[k] = v;
		have += popcount8(v);
	}
	/* a's spare bits are zero, so v's are too. */
	dst->have = have;
	return have;
}

int64_t
bt_bitfield_and(struct bt_bitfield *dst, const struct bt_bitfield *a,
	const struct bt_bitfield *b)
{
	return combine(dst, a, b, 0);
}

int64_t
bt_bitfield_andnot(struct bt_bitfield *dst, const struct bt_bitfield *a,
	const struct bt_bitfield *b)
{
	return combine(dst, a, b, 1);
}
