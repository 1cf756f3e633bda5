/* test_crypto.c - the small ciphers MSE/PE needs: RC4 against RFC 6229's
 * vectors (and MSE's drop of 1024 bytes), the 768-bit Diffie-Hellman
 * against values computed with python3's pow() and against itself
 * ((g^a)^b == (g^b)^a), and its refusal of degenerate public keys. */
#define _GNU_SOURCE
#include "dh768.h"
#include "err.h"
#include "rc4.h"
#include "str.h"

#include <stdint.h>
#include <string.h>

#include "check.h"

/* ---- RC4 ---- */

/* n bytes of keystream at offset off of the key k[0..klen). */
static void
keystream(const char *khex, size_t off, uint8_t *out, size_t n)
{
	uint8_t key[32];
	size_t klen = strlen(khex) / 2;
	struct bt_rc4 c;

	bt_unhex(key, khex, klen);
	bt_rc4_init(&c, key, klen);
	bt_rc4_skip(&c, off);
	memset(out, 0, n);
	bt_rc4_crypt(&c, out, n);
}

static void
check_ks(int line, const char *khex, size_t off, const char *want_hex)
{
	uint8_t got[16], want[16];

	keystream(khex, off, got, sizeof got);
	bt_unhex(want, want_hex, sizeof want);
	CHECK_MEM_AT(line, got, sizeof got, want, sizeof want);
}

static void
test_rc4_rfc6229(void)
{
	/* RFC 6229 section 2, 40-bit key 0x0102030405. */
	check_ks(__LINE__, "0102030405", 0, "b2396305f03dc027ccc3524a0a1118a8");
	check_ks(__LINE__, "0102030405", 16, "6982944f18fc82d589c403a47a0d0919");
	check_ks(__LINE__, "0102030405", 1024, "30abbcc7c20b01609f23ee2d5f6bb7df");
	check_ks(__LINE__, "0102030405", 4096, "ff25b58995996707e51fbdf08b34d875");
	/* 56-bit key 0x01020304050607, offset 0. */
	check_ks(__LINE__, "01020304050607", 0, "293f02d47f37c9b633f2af5285feb46b");
}

static void
test_rc4_mse(void)
{
	uint8_t key[20], a[300], b[300];
	struct bt_rc4 x, y;

	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	/* MSE's init is the plain init with 1024 bytes skipped. */
	bt_rc4_init_mse(&x, key);
	bt_rc4_init(&y, key, 20);
	uint8_t junk[1024] = {0};
	bt_rc4_crypt(&y, junk, sizeof junk);
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = b[i] = (uint8_t)i;
	bt_rc4_crypt(&x, a, sizeof a);
	bt_rc4_crypt(&y, b, sizeof b);
	CHECK_MEM(a, sizeof a, b, sizeof b);
	/* Decrypting in odd pieces gives the plaintext back. */
	bt_rc4_init_mse(&x, key);
	bt_rc4_crypt(&x, a, 1);
	bt_rc4_crypt(&x, a + 1, 130);
	bt_rc4_crypt(&x, a + 131, sizeof a - 131);
	int ok = 1;
	for (size_t i = 0; i < sizeof a; i++)
		ok &= a[i] == (uint8_t)i;
	CHECK(ok);
}

/* ---- DH ---- */

static const char priv_a[] = "0102030405060708090a0b0c0d0e0f1011121314";
static const char priv_b[] = "ffeeddccbbaa99887766554433221100deadbeef";
/* python3: pow(2, a, P), pow(2, b, P), pow(pow(2, b, P), a, P). */
static const char pub_a[] =
	"96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556"
	"b0918db2b4c658e02a87f7e5fb14b18a553e084cbf3dad2d30f16596ccb982d4"
	"06258c61b30c5c1dae2ddc60bdbd48d79896312aad63238c39e1a633821eb693";
static const char pub_b[] =
	"b25c5d63515954422c05bf082d0136c711603a025d4ce232d950a663ad8f1544"
	"41b42de601d3e1af1adfbc197782b1c5a29446dbf94ba671246bf91d66b1cf01"
	"d90151cc98799dfcb63c187478620eef3b12b6a801673b849e7955c47b34f949";
static const char secret_ab[] =
	"689c28a89ce5a303d5d902af129d91fa099d03d24033ab0d67e91c80b636fdd3"
	"c27dfb77726b7708b69245da5a5b68b0557239c37e7b3710c7c466dec51280a3"
	"09195b817e13790aa78054bde4bbee97bb282df7dad0d925d75e8dee77a01357";

static void
test_dh_known(void)
{
	uint8_t pa[20], pb[20], want[96], s1[96], s2[96];
	struct bt_dh768 a, b;

	bt_unhex(pa, priv_a, 20);
	bt_unhex(pb, priv_b, 20);
	bt_dh768_from_priv(&a, pa);
	bt_dh768_from_priv(&b, pb);
	bt_unhex(want, pub_a, 96);
	CHECK_MEM(a.pub, 96, want, 96);
	bt_unhex(want, pub_b, 96);
	CHECK_MEM(b.pub, 96, want, 96);
	CHECK_INT(bt_dh768_shared(&a, b.pub, s1), ==, 0);
	CHECK_INT(bt_dh768_shared(&b, a.pub, s2), ==, 0);
	bt_unhex(want, secret_ab, 96);
	CHECK_MEM(s1, 96, want, 96);
	CHECK_MEM(s2, 96, want, 96);
}

static void
test_dh_random(void)
{
	struct bt_dh768 a, b;
	uint8_t s1[96], s2[96];

	for (int i = 0; i < 4; i++) {
		CHECK_INT(bt_dh768_keygen(&a), ==, 0);
		CHECK_INT(bt_dh768_keygen(&b), ==, 0);
		CHECK(memcmp(a.pub, b.pub, 96) != 0);
		CHECK_INT(bt_dh768_shared(&a, b.pub, s1), ==, 0);
		CHECK_INT(bt_dh768_shared(&b, a.pub, s2), ==, 0);
		CHECK_MEM(s1, 96, s2, 96);
	}
}

static void
test_dh_degenerate(void)
{
	struct bt_dh768 a;
	uint8_t y[96] = {0}, s[96];

	CHECK_INT(bt_dh768_keygen(&a), ==, 0);
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, BT_E_PROTO);	/* 0 */
	y[95] = 1;
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, BT_E_PROTO);	/* 1 */
	y[95] = 2;
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, 0);		/* 2 */
	memset(y, 0xff, sizeof y);
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, BT_E_PROTO);	/* > P */
	/* P - 1 refused, P - 2 taken. */
	bt_unhex(y, "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
		"E485B576625E7EC6F44C42E9A63A36210000000000090562", 96);
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, BT_E_PROTO);
	y[95] = 0x61;
	CHECK_INT(bt_dh768_shared(&a, y, s), ==, 0);
}

int
main(void)
{
	test_rc4_rfc6229();
	test_rc4_mse();
	test_dh_known();
	test_dh_random();
	test_dh_degenerate();
	return check_summary("crypto");
}
