/* mse.h - the MSE/PE handshake ("message stream encryption", the
 * de-facto spec Azureus introduced and libtorrent, Transmission, rtorrent
 * and aria2 implement), both roles, as a pure state machine: bytes in,
 * bytes to send out, no sockets.
 *
 *   1 A->B  Ya, PadA
 *   2 B->A  Yb, PadB
 *   3 A->B  HASH('req1', S), HASH('req2', SKEY) ^ HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA), IA)
 *   4 B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD)
 *   then    the payload, RC4-encrypted when crypto_select is 2
 *
 * Y are 768-bit DH public keys (dh768.h), S the shared secret, SKEY the
 * torrent's info hash, HASH SHA-1, VC eight zero bytes, pads random and at
 * most 512 bytes.  A encrypts with RC4(HASH('keyA', S, SKEY)), B with
 * RC4(HASH('keyB', S, SKEY)), both dropping 1024 bytes of keystream.  IA
 * (the initiator's first payload, usually its BitTorrent handshake) is
 * always encrypted.  The responder finds req1 by searching at most 532
 * bytes after Ya and the initiator B's VC within 520 bytes after Yb.
 *
 * bt_mse_feed() consumes whole fields only: bytes it does not take yet
 * must be offered again, with more appended (peer_io's parking does
 * exactly that).  Nothing here prints or exits. */
#ifndef BT_MSE_H
#define BT_MSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "rc4.h"

#define BT_MSE_PLAIN	1u	/* crypto_provide / crypto_select bits */
#define BT_MSE_RC4	2u

#define BT_MSE_PAD_MAX	512	/* PadA .. PadD */
#define BT_MSE_IA_MAX	1024	/* our bound on len(IA) */

/* The responder's way to find SKEY: req2 is HASH('req2', SKEY); fill
 * skey and return 0 when it names a torrent we serve, -1 otherwise. */
typedef int (*bt_mse_find_fn)(void *ud, const uint8_t req2[20], uint8_t skey[20]);
/* HASH('req2', skey): what a responder looks a torrent up by (compute it
 * once per torrent). */
void bt_mse_req2(const uint8_t skey[20], uint8_t out[20]);

struct bt_mse;

/* The initiator for torrent skey offering the methods in provide
 * (BT_MSE_* bits), with ia[0..ia_len) (ia_len <= BT_MSE_IA_MAX) to send
 * in step 3.  Step 1 is appended to out.  NULL when out of memory or
 * without randomness. */
struct bt_mse *bt_mse_initiator(const uint8_t skey[20], uint32_t provide, const uint8_t *ia,
	size_t ia_len, struct bt_buf *out);

/* The responder accepting the methods in allow (when both are offered
 * and allowed it picks RC4), finding SKEY through find.  NULL when out of
 * memory or without randomness. */
struct bt_mse *bt_mse_responder(uint32_t allow, bt_mse_find_fn find, void *ud);

/* Offer in[0..len): returns the bytes consumed (0: more are needed), or
 * BT_E_PROTO (not MSE, or a broken one), BT_E_NOENT (SKEY unknown),
 * BT_E_UNSUPPORTED (no common method) or BT_E_NOMEM.  Bytes to send are
 * appended to out.  Once bt_mse_done(), the rest of the stream is the
 * payload (not consumed here). */
ssize_t bt_mse_feed(struct bt_mse *m, const uint8_t *in, size_t len, struct bt_buf *out);

/* The handshake is over (the result below is valid). */
int bt_mse_done(const struct bt_mse *m);

struct bt_mse_result {
	uint32_t selected;	/* BT_MSE_PLAIN or BT_MSE_RC4 */
	uint8_t skey[20];
	/* The streams for the payload, positioned after the handshake
	 * (meaningful only when selected is BT_MSE_RC4). */
	struct bt_rc4 enc, dec;
	/* Responder: the initiator's IA, decrypted (NULL when empty;
	 * points into m, valid until bt_mse_free). */
	const uint8_t *ia;
	size_t ia_len;
};

/* The outcome once bt_mse_done(); 0, or BT_E_INVAL before that. */
int bt_mse_result(const struct bt_mse *m, struct bt_mse_result *r);

void bt_mse_free(struct bt_mse *m);

#endif
