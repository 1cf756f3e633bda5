/* dh768.h - the finite-field Diffie-Hellman exchange of MSE/PE (message
 * stream encryption): the 768-bit MODP prime P (RFC 2409's first Oakley
 * group), generator 2, 160-bit private keys, public keys and shared
 * secrets as 96-byte big-endian numbers.
 *
 * The arithmetic is a small fixed-size Montgomery exponentiation that
 * always multiplies (the private key's bits choose by masking, not by
 * branching).  Nothing allocates or prints. */
#ifndef BT_DH768_H
#define BT_DH768_H

#include <stddef.h>
#include <stdint.h>

#define BT_DH768_LEN	96	/* bytes of a public key or secret */
#define BT_DH768_PRIV	20	/* bytes of a private key */

struct bt_dh768 {
	uint8_t priv[BT_DH768_PRIV];
	uint8_t pub[BT_DH768_LEN];	/* 2^priv mod P */
};

/* A new key pair, the private key from getrandom().  Returns 0, or
 * BT_E_IO when the system has no randomness to give. */
int bt_dh768_keygen(struct bt_dh768 *k);

/* The key pair of a given private key (tests, known answers). */
void bt_dh768_from_priv(struct bt_dh768 *k, const uint8_t priv[BT_DH768_PRIV]);

/* secret = peer^priv mod P.  Returns 0, or BT_E_PROTO when peer is not in
 * 2 .. P-2 (a degenerate key that would give a guessable secret). */
int bt_dh768_shared(const struct bt_dh768 *k, const uint8_t peer[BT_DH768_LEN],
	uint8_t secret[BT_DH768_LEN]);

/* r = base^exp mod P, exp big-endian of elen bytes (elen <= 96), base
 * big-endian below P.  The general form under the two above. */
void bt_dh768_modexp(const uint8_t base[BT_DH768_LEN], const uint8_t *exp, size_t elen,
	uint8_t r[BT_DH768_LEN]);

#endif
