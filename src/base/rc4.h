/* rc4.h - the RC4 stream cipher, as MSE/PE (message stream encryption)
 * uses it: a 20-byte key from SHA-1 and the first 1024 bytes of keystream
 * thrown away (bt_rc4_init_mse).  RC4 is weak; MSE uses it to obfuscate
 * traffic, not to protect secrets.
 *
 * A context is plain data (may be copied); nothing allocates or fails. */
#ifndef BT_RC4_H
#define BT_RC4_H

#include <stddef.h>
#include <stdint.h>

struct bt_rc4 {
	uint8_t s[256];
	uint8_t i, j;
};

/* Key schedule over key[0..len) (len 1..256). */
void bt_rc4_init(struct bt_rc4 *c, const void *key, size_t len);

/* Skip n bytes of keystream. */
void bt_rc4_skip(struct bt_rc4 *c, size_t n);

/* XOR n bytes of keystream into p (encrypts and decrypts; in place). */
void bt_rc4_crypt(struct bt_rc4 *c, void *p, size_t n);

/* MSE's RC4: the 20-byte key, the first 1024 bytes of keystream dropped. */
void bt_rc4_init_mse(struct bt_rc4 *c, const uint8_t key[20]);

#endif
