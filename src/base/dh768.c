/* dh768.c - MSE's Diffie-Hellman over the 768-bit MODP prime (see
 * dh768.h): 24 32-bit limbs, least significant first, Montgomery
 * multiplication (CIOS) with R = 2^768. */
#define _GNU_SOURCE
#include "dh768.h"
#include "err.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define NL	24	/* limbs */

/* P, big-endian bytes. */
static const uint8_t p_be[BT_DH768_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc9, 0x0f, 0xda, 0xa2,
	0x21, 0x68, 0xc2, 0x34, 0xc4, 0xc6, 0x62, 0x8b, 0x80, 0xdc, 0x1c, 0xd1,
	0x29, 0x02, 0x4e, 0x08, 0x8a, 0x67, 0xcc, 0x74, 0x02, 0x0b, 0xbe, 0xa6,
	0x3b, 0x13, 0x9b, 0x22, 0x51, 0x4a, 0x08, 0x79, 0x8e, 0x34, 0x04, 0xdd,
	0xef, 0x95, 0x19, 0xb3, 0xcd, 0x3a, 0x43, 0x1b, 0x30, 0x2b, 0x0a, 0x6d,
	0xf2, 0x5f, 0x14, 0x37, 0x4f, 0xe1, 0x35, 0x6d, 0x6d, 0x51, 0xc2, 0x45,
	0xe4, 0x85, 0xb5, 0x76, 0x62, 0x5e, 0x7e, 0xc6, 0xf4, 0x4c, 0x42, 0xe9,
	0xa6, 0x3a, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05, 0x63,
};

static void
from_be(uint32_t a[NL], const uint8_t b[BT_DH768_LEN])
{
	for (int i = 0; i < NL; i++) {
		const uint8_t *q = b + BT_DH768_LEN - 4 * (i + 1);
		a[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	}
}

static void
to_be(uint8_t b[BT_DH768_LEN], const uint32_t a[NL])
{
	for (int i = 0; i < NL; i++) {
		uint8_t *q = b + BT_DH768_LEN - 4 * (i + 1);
		q[0] = (uint8_t)(a[i] >> 24);
		q[1] = (uint8_t)(a[i] >> 16);
		q[2] = (uint8_t)(a[i] >> 8);
		q[3] = (uint8_t)a[i];
	}
}

/* a - b into r (may alias); returns the borrow (0 or 1). */
static uint32_t
sub(uint32_t r[NL], const uint32_t a[NL], const uint32_t b[NL])
{
	uint64_t borrow = 0;

	for (int i = 0; i < NL; i++) {
		uint64_t d = (uint64_t)a[i] - b[i] - borrow;
		r[i] = (uint32_t)d;
		borrow = (d >> 32) & 1;
	}
	return (uint32_t)borrow;
}

/* r = ctl ? a : b, ctl 0 or 1, without a branch. */
static void
select_ct(uint32_t r[NL], uint32_t ctl, const uint32_t a[NL], const uint32_t b[NL])
{
	uint32_t m = -ctl;

	for (int i = 0; i < NL; i++)
		r[i] = (a[i] & m) | (b[i] & ~m);
}

/* -P^-1 mod 2^32 (Newton's iteration on the odd low limb). */
static uint32_t
mont_ninv(uint32_t p0)
{
	uint32_t x = p0;

	for (int i = 0; i < 5; i++)
		x *= 2 - p0 * x;
	return (uint32_t)-x;
}

/* r = a * b / R mod P (a, b < P; r may alias either). */
static void
mont_mul(uint32_t r[NL], const uint32_t a[NL], const uint32_t b[NL], const uint32_t p[NL],
	uint32_t ninv)
{
	uint32_t t[NL + 2] = {0};

	for (int i = 0; i < NL; i++) {
		uint64_t c = 0;
		for (int j = 0; j < NL; j++) {
			c += (uint64_t)t[j] + (uint64_t)a[j] * b[i];
			t[j] = (uint32_t)c;
			c >>= 32;
		}
		c += t[NL];
		t[NL] = (uint32_t)c;
		t[NL + 1] = (uint32_t)(c >> 32);
		uint32_t m = t[0] * ninv;
		c = ((uint64_t)t[0] + (uint64_t)m * p[0]) >> 32;
		for (int j = 1; j < NL; j++) {
			c += (uint64_t)t[j] + (uint64_t)m * p[j];
			t[j - 1] = (uint32_t)c;
			c >>= 32;
		}
		c += t[NL];
		t[NL - 1] = (uint32_t)c;
		t[NL] = t[NL + 1] + (uint32_t)(c >> 32);
	}
	/* t < 2P: subtract P unless that borrows past the top limb. */
	uint32_t d[NL];
	uint32_t borrow = sub(d, t, p);
	select_ct(r, (uint32_t)(t[NL] | (borrow ^ 1)) & 1, d, t);
}

/* R^2 mod P, by doubling 1 modulo P 1536 times. */
static void
mont_r2(uint32_t r2[NL], const uint32_t p[NL])
{
	uint32_t d[NL];

	memset(r2, 0, NL * sizeof r2[0]);
	r2[0] = 1;
	for (int k = 0; k < 2 * 32 * NL; k++) {
		uint32_t top = r2[NL - 1] >> 31;
		for (int i = NL - 1; i > 0; i--)
			r2[i] = r2[i] << 1 | r2[i - 1] >> 31;
		r2[0] <<= 1;
		uint32_t borrow = sub(d, r2, p);
		select_ct(r2, (top | (borrow ^ 1)) & 1, d, r2);
	}
}

void
bt_dh768_modexp(const uint8_t base[BT_DH768_LEN], const uint8_t *exp, size_t elen,
	uint8_t r[BT_DH768_LEN])
{
	uint32_t p[NL], r2[NL], b[NL], acc[NL], t[NL], one[NL] = {1};

	from_be(p, p_be);
	uint32_t ninv = mont_ninv(p[0]);
	mont_r2(r2, p);
	from_be(b, base);
	mont_mul(b, b, r2, p, ninv);		/* base in Montgomery form */
	mont_mul(acc, one, r2, p, ninv);	/* 1 in Montgomery form */
	for (size_t i = 0; i < elen; i++) {
		for (int bit = 7; bit >= 0; bit--) {
			mont_mul(acc, acc, acc, p, ninv);
			mont_mul(t, acc, b, p, ninv);
			select_ct(acc, (uint32_t)(exp[i] >> bit) & 1, t, acc);
		}
	}
	mont_mul(acc, acc, one, p, ninv);	/* out of Montgomery form */
	to_be(r, acc);
	memset(t, 0, sizeof t);
	memset(acc, 0, sizeof acc);
}

void
bt_dh768_from_priv(struct bt_dh768 *k, const uint8_t priv[BT_DH768_PRIV])
{
	uint8_t two[BT_DH768_LEN] = {0};

	two[BT_DH768_LEN - 1] = 2;
	memcpy(k->priv, priv, BT_DH768_PRIV);
	bt_dh768_modexp(two, k->priv, BT_DH768_PRIV, k->pub);
}

int
bt_dh768_keygen(struct bt_dh768 *k)
{
	uint8_t priv[BT_DH768_PRIV];
	size_t got = 0;

	while (got < sizeof priv) {
		ssize_t n = getrandom(priv + got, sizeof priv - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return BT_E_IO;
		}
		got += (size_t)n;
	}
	bt_dh768_from_priv(k, priv);
	memset(priv, 0, sizeof priv);
	return 0;
}

/* y in 2 .. P-2 (big-endian compare; public values, branches are fine). */
static int
pub_ok(const uint8_t y[BT_DH768_LEN])
{
	uint8_t pm1[BT_DH768_LEN];
	int nz_high = 0;

	for (int i = 0; i < BT_DH768_LEN - 1; i++)
		nz_high |= y[i];
	if (!nz_high && y[BT_DH768_LEN - 1] < 2)
		return 0;
	memcpy(pm1, p_be, sizeof pm1);
	pm1[BT_DH768_LEN - 1] -= 1;	/* P ends in 0x63: no borrow */
	return memcmp(y, pm1, sizeof pm1) < 0;
}

int
bt_dh768_shared(const struct bt_dh768 *k, const uint8_t peer[BT_DH768_LEN],
	uint8_t secret[BT_DH768_LEN])
{
	if (!pub_ok(peer))
		return BT_E_PROTO;
	bt_dh768_modexp(peer, k->priv, BT_DH768_PRIV, secret);
	return 0;
}
