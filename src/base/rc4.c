/* rc4.c - RC4 (see rc4.h). */
#include "rc4.h"

void
bt_rc4_init(struct bt_rc4 *c, const void *key, size_t len)
{
	const uint8_t *k = key;
	uint8_t j = 0;

	for (int i = 0; i < 256; i++)
		c->s[i] = (uint8_t)i;
	for (int i = 0; i < 256; i++) {
		uint8_t t = c->s[i];
		j = (uint8_t)(j + t + k[(size_t)i % len]);
		c->s[i] = c->s[j];
		c->s[j] = t;
	}
	c->i = 0;
	c->j = 0;
}

/* The next keystream byte. */
static inline uint8_t
rc4_next(struct bt_rc4 *c)
{
	uint8_t i = (uint8_t)(c->i + 1);
	uint8_t ti = c->s[i];
	uint8_t j = (uint8_t)(c->j + ti);
	uint8_t tj = c->s[j];

	c->s[i] = tj;
	c->s[j] = ti;
	c->i = i;
	c->j = j;
	return c->s[(uint8_t)(ti + tj)];
}

void
bt_rc4_skip(struct bt_rc4 *c, size_t n)
{
	while (n--)
		(void)rc4_next(c);
}

void
bt_rc4_crypt(struct bt_rc4 *c, void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t k = 0; k < n; k++)
		b[k] ^= rc4_next(c);
}

void
bt_rc4_init_mse(struct bt_rc4 *c, const uint8_t key[20])
{
	bt_rc4_init(c, key, 20);
	bt_rc4_skip(c, 1024);
}
