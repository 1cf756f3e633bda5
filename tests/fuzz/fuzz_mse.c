/* fuzz_mse.c - the MSE/PE responder on hostile input.  The first byte
 * picks a mode: even, the bytes are fed raw in chunks (as a scanner or a
 * plaintext peer would send them); odd, a genuine Ya, req1 and req2^req3
 * go first and the bytes follow encrypted with the initiator's stream, so
 * they reach the length fields, pads and IA behind the sync.
 *
 * The exchange's arithmetic (four 768-bit exponentiations, slow under the
 * sanitizers) was nearly all of an execution's time and none of what is
 * tested: the target is linked with --wrap (meson.build) so that the
 * responder's key is a fixed one and an exchange between the two fixed
 * keys is computed once.  A Ya from the input gets the range check of
 * bt_dh768_shared and is taken as the secret, which so still follows from
 * it. */
#include "buf.h"
#include "dh768.h"
#include "err.h"
#include "mse.h"
#include "rc4.h"
#include "sha1.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t skey[20] = "fuzzfuzzfuzzfuzzfuzz";
static const uint8_t ipriv[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };	/* ours */
static const uint8_t rpriv[20] = { 20, 19, 18, 17, 16, 15, 14, 13 };	/* responder's */

int __wrap_bt_dh768_keygen(struct bt_dh768 *k);
int __wrap_bt_dh768_shared(const struct bt_dh768 *k, const uint8_t peer[BT_DH768_LEN],
	uint8_t secret[BT_DH768_LEN]);
int __real_bt_dh768_shared(const struct bt_dh768 *k, const uint8_t peer[BT_DH768_LEN],
	uint8_t secret[BT_DH768_LEN]);

/* MSE's prime P less 1 (BEP 8's P), big-endian. */
static const char pm1_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090562";
static uint8_t pm1[BT_DH768_LEN];

static struct bt_dh768 ikey, rkey;
static uint8_t fixed_secret[BT_DH768_LEN];

static void
keys_once(void)
{
	static int done;

	if (done)
		return;
	for (int i = 0; i < BT_DH768_LEN; i++) {
		char b[3] = { pm1_hex[2 * i], pm1_hex[2 * i + 1], 0 };
		pm1[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	bt_dh768_from_priv(&ikey, ipriv);
	bt_dh768_from_priv(&rkey, rpriv);
	if (__real_bt_dh768_shared(&ikey, rkey.pub, fixed_secret) < 0)
		abort();
	done = 1;
}

int
__wrap_bt_dh768_keygen(struct bt_dh768 *k)
{
	keys_once();
	*k = rkey;
	return 0;
}

int
__wrap_bt_dh768_shared(const struct bt_dh768 *k, const uint8_t peer[BT_DH768_LEN],
	uint8_t secret[BT_DH768_LEN])
{
	keys_once();
	if ((memcmp(k->priv, ipriv, 20) == 0 && memcmp(peer, rkey.pub, BT_DH768_LEN) == 0) ||
	    (memcmp(k->priv, rpriv, 20) == 0 && memcmp(peer, ikey.pub, BT_DH768_LEN) == 0)) {
		memcpy(secret, fixed_secret, BT_DH768_LEN);
		return 0;
	}
	int low = 1;
	for (int i = 0; i < BT_DH768_LEN - 1; i++)
		low &= peer[i] == 0;
	if ((low && peer[BT_DH768_LEN - 1] < 2) || memcmp(peer, pm1, BT_DH768_LEN) >= 0)
		return BT_E_PROTO;
	memcpy(secret, peer, BT_DH768_LEN);
	return 0;
}

static int
find(void *ud, const uint8_t req2[20], uint8_t out[20])
{
	uint8_t h[24], x[20];

	(void)ud;
	memcpy(h, "req2", 4);
	memcpy(h + 4, skey, 20);
	bt_sha1(h, sizeof h, x);
	if (memcmp(x, req2, 20) != 0)
		return -1;
	memcpy(out, skey, 20);
	return 0;
}

static void
tagged(const char *tag, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	uint8_t out[20])
{
	struct bt_sha1 c;

	bt_sha1_init(&c);
	bt_sha1_update(&c, tag, 4);
	bt_sha1_update(&c, a, alen);
	bt_sha1_update(&c, b, blen);
	bt_sha1_out(&c, out);
}

/* Feed in[0..len) in chunks of up to chunk bytes, as a socket would,
 * keeping what the responder leaves for the next round. */
static void
drip(struct bt_mse *m, const uint8_t *in, size_t len, size_t chunk, struct bt_buf *out)
{
	size_t seen = 0, off = 0;

	while (seen < len && !bt_mse_done(m)) {
		seen = seen + chunk < len ? seen + chunk : len;
		ssize_t rc = bt_mse_feed(m, in + off, seen - off, out);
		if (rc < 0)
			return;
		off += (size_t)rc;
	}
	if (bt_mse_done(m)) {
		struct bt_mse_result r;
		if (bt_mse_result(m, &r) == 0 && r.ia_len > BT_MSE_IA_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_buf in, out;
	struct bt_mse *m;

	if (size < 2)
		return 0;
	m = bt_mse_responder(BT_MSE_RC4 | BT_MSE_PLAIN, find, NULL);
	if (!m)
		return 0;
	size_t chunk = (size_t)data[1] * 4 + 1;
	bt_buf_init(&in, 0);
	bt_buf_init(&out, 0);
	if (data[0] & 1) {
		uint8_t s[96], h[20], x[20], ka[20];
		struct bt_rc4 enc;

		keys_once();
		if (bt_mse_feed(m, ikey.pub, 96, &out) != 96 || bt_dh768_shared(&ikey, out.p, s) < 0)
			goto end;
		tagged("req1", s, 96, NULL, 0, h);
		bt_buf_add(&in, h, 20);
		tagged("req2", skey, 20, NULL, 0, h);
		tagged("req3", s, 96, NULL, 0, x);
		for (int i = 0; i < 20; i++)
			h[i] ^= x[i];
		bt_buf_add(&in, h, 20);
		tagged("keyA", s, 96, skey, 20, ka);
		bt_rc4_init_mse(&enc, ka);
		uint8_t *p = bt_buf_reserve(&in, size - 2);
		if (!p)
			goto end;
		memcpy(p, data + 2, size - 2);
		bt_rc4_crypt(&enc, p, size - 2);
		bt_buf_commit(&in, size - 2);
	} else {
		bt_buf_add(&in, data + 2, size - 2);
	}
	if (!in.err)
		drip(m, in.p, in.len, chunk, &out);
end:
	bt_mse_free(m);
	bt_buf_free(&in);
	bt_buf_free(&out);
	return 0;
}
