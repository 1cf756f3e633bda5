/* mse.c - the MSE/PE handshake state machine (see mse.h). */
#define _GNU_SOURCE
#include "mse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "be.h"
#include "dh768.h"
#include "err.h"
#include "sha1.h"

#define Y_LEN		BT_DH768_LEN
#define VC_LEN		8
#define REQ1_WINDOW	(BT_MSE_PAD_MAX + 20)		/* PadA, then req1 */
#define VC_WINDOW	(BT_MSE_PAD_MAX + VC_LEN)	/* PadB, then VC */

enum mse_state {
	/* initiator */
	I_YB,		/* waiting for Yb */
	I_VC,		/* searching for B's encrypted VC */
	I_SELECT,	/* crypto_select, len(PadD) */
	I_PADD,
	/* responder */
	R_YA,		/* waiting for Ya */
	R_REQ1,		/* searching for HASH('req1', S) */
	R_REQ23,	/* HASH('req2', SKEY) ^ HASH('req3', S) */
	R_PROVIDE,	/* VC, crypto_provide, len(PadC) */
	R_PADC,		/* PadC, len(IA) */
	R_IA,
	DONE,
};

struct bt_mse {
	enum mse_state st;
	uint32_t methods;	/* initiator: provided; responder: allowed */
	uint32_t selected;
	bt_mse_find_fn find;
	void *find_ud;
	struct bt_dh768 key;
	uint8_t s[Y_LEN];	/* the shared secret */
	uint8_t skey[20];
	struct bt_rc4 enc, dec;
	size_t need;		/* length of the variable field next */
	uint8_t ia[BT_MSE_IA_MAX];
	size_t ia_len;
};

static int
rand_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t got = getrandom(b, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += got;
		n -= (size_t)got;
	}
	return 0;
}

/* SHA-1 of the 4-byte tag, a, b (b may be NULL). */
static void
hash3(const char tag[4], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	uint8_t out[20])
{
	struct bt_sha1 c;

	bt_sha1_init(&c);
	bt_sha1_update(&c, tag, 4);
	bt_sha1_update(&c, a, alen);
	bt_sha1_update(&c, b, blen);
	bt_sha1_out(&c, out);
}

void
bt_mse_req2(const uint8_t skey[20], uint8_t out[20])
{
	hash3("req2", skey, 20, NULL, 0, out);
}

/* Our public key and a random pad of 0..512 bytes. */
static int
send_y_pad(struct bt_mse *m, struct bt_buf *out)
{
	uint8_t pad[BT_MSE_PAD_MAX];
	uint16_t r;

	if (rand_bytes(&r, sizeof r) < 0)
		return BT_E_IO;
	size_t n = r % (BT_MSE_PAD_MAX + 1);
	if (rand_bytes(pad, n) < 0)
		return BT_E_IO;
	bt_buf_add(out, m->key.pub, Y_LEN);
	bt_buf_add(out, pad, n);
	return out->err ? BT_E_NOMEM : 0;
}

/* The RC4 streams once S and SKEY are known: A's out is keyA. */
static void
start_rc4(struct bt_mse *m, int initiator)
{
	uint8_t ka[20], kb[20];

	hash3("keyA", m->s, Y_LEN, m->skey, 20, ka);
	hash3("keyB", m->s, Y_LEN, m->skey, 20, kb);
	bt_rc4_init_mse(&m->enc, initiator ? ka : kb);
	bt_rc4_init_mse(&m->dec, initiator ? kb : ka);
}

static struct bt_mse *
mse_new(void)
{
	struct bt_mse *m = calloc(1, sizeof(*m));

	if (m && bt_dh768_keygen(&m->key) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

struct bt_mse *
bt_mse_initiator(const uint8_t skey[20], uint32_t provide, const uint8_t *ia, size_t ia_len,
	struct bt_buf *out)
{
	struct bt_mse *m;

	if (ia_len > BT_MSE_IA_MAX || !(m = mse_new()))
		return NULL;
	m->st = I_YB;
	m->methods = provide;
	memcpy(m->skey, skey, 20);
	if (ia_len)
		memcpy(m->ia, ia, ia_len);
	m->ia_len = ia_len;
	if (send_y_pad(m, out) < 0) {
		bt_mse_free(m);
		return NULL;
	}
	return m;
}

struct bt_mse *
bt_mse_responder(uint32_t allow, bt_mse_find_fn find, void *ud)
{
	struct bt_mse *m = mse_new();

	if (!m)
		return NULL;
	m->st = R_YA;
	m->methods = allow;
	m->find = find;
	m->find_ud = ud;
	return m;
}

/* Step 3, once Yb is in. */
static int
send_step3(struct bt_mse *m, struct bt_buf *out)
{
	uint8_t h[20], x[20], b[VC_LEN + 4 + 2 + 2];

	hash3("req1", m->s, Y_LEN, NULL, 0, h);
	bt_buf_add(out, h, 20);
	bt_mse_req2(m->skey, h);
	hash3("req3", m->s, Y_LEN, NULL, 0, x);
	for (int i = 0; i < 20; i++)
		h[i] ^= x[i];
	bt_buf_add(out, h, 20);
	/* VC, crypto_provide, len(PadC) = 0, (no PadC), len(IA), IA. */
	memset(b, 0, sizeof b);
	put32(b + VC_LEN, m->methods);
	put16(b + VC_LEN + 6, (uint16_t)m->ia_len);
	bt_rc4_crypt(&m->enc, b, sizeof b);
	bt_buf_add(out, b, sizeof b);
	bt_rc4_crypt(&m->enc, m->ia, m->ia_len);
	bt_buf_add(out, m->ia, m->ia_len);
	m->ia_len = 0;
	return out->err ? BT_E_NOMEM : 0;
}

/* Step 4, once the responder has read IA. */
static int
send_step4(struct bt_mse *m, struct bt_buf *out)
{
	uint8_t b[VC_LEN + 4 + 2];

	memset(b, 0, sizeof b);
	put32(b + VC_LEN, m->selected);
	bt_rc4_crypt(&m->enc, b, sizeof b);
	bt_buf_add(out, b, sizeof b);
	return out->err ? BT_E_NOMEM : 0;
}

/* Offset of pat[0..plen) in in[0..len), starting at most at max_off, or
 * -1. */
static ssize_t
find_sync(const uint8_t *in, size_t len, const uint8_t *pat, size_t plen, size_t max_off)
{
	for (size_t i = 0; i <= max_off && i + plen <= len; i++)
		if (memcmp(in + i, pat, plen) == 0)
			return (ssize_t)i;
	return -1;
}

/* The method the responder picks from what was offered. */
static uint32_t
pick(uint32_t offered, uint32_t allowed)
{
	uint32_t both = offered & allowed;

	if (both & BT_MSE_RC4)
		return BT_MSE_RC4;
	if (both & BT_MSE_PLAIN)
		return BT_MSE_PLAIN;
	return 0;
}

/* One step of the initiator; returns bytes consumed, 0 for more, <0. */
static ssize_t
step_initiator(struct bt_mse *m, const uint8_t *in, size_t len, struct bt_buf *out)
{
	uint8_t b[VC_LEN];
	ssize_t at;
	int rc;

	switch (m->st) {
	case I_YB:
		if (len < Y_LEN)
			return 0;
		if ((rc = bt_dh768_shared(&m->key, in, m->s)) < 0)
			return rc;
		start_rc4(m, 1);
		if ((rc = send_step3(m, out)) < 0)
			return rc;
		m->st = I_VC;
		return Y_LEN;
	case I_VC: {
		struct bt_rc4 probe = m->dec;
		memset(b, 0, sizeof b);
		bt_rc4_crypt(&probe, b, sizeof b);
		at = find_sync(in, len, b, sizeof b, BT_MSE_PAD_MAX);
		if (at < 0)
			return len >= VC_WINDOW ? BT_E_PROTO : 0;
		m->dec = probe;
		m->st = I_SELECT;
		return at + VC_LEN;
	}
	case I_SELECT: {
		uint8_t f[6];
		if (len < sizeof f)
			return 0;
		memcpy(f, in, sizeof f);
		bt_rc4_crypt(&m->dec, f, sizeof f);
		m->selected = get32(f);
		m->need = get16(f + 4);
		if ((m->selected != BT_MSE_PLAIN && m->selected != BT_MSE_RC4) ||
			!(m->selected & m->methods))
			return BT_E_UNSUPPORTED;
		if (m->need > BT_MSE_PAD_MAX)
			return BT_E_PROTO;
		m->st = I_PADD;
		return sizeof f;
	}
	case I_PADD:
		if (len < m->need)
			return 0;
		bt_rc4_skip(&m->dec, m->need);
		m->st = DONE;
		return (ssize_t)m->need;
	default:
		return BT_E_INVAL;
	}
}

/* R_REQ23: find the torrent, start the streams. */
static ssize_t
responder_skey(struct bt_mse *m, const uint8_t *in)
{
	uint8_t x[20], req2[20];

	hash3("req3", m->s, Y_LEN, NULL, 0, x);
	for (int i = 0; i < 20; i++)
		req2[i] = in[i] ^ x[i];
	if (!m->find || m->find(m->find_ud, req2, m->skey) < 0)
		return BT_E_NOENT;
	start_rc4(m, 0);
	m->st = R_PROVIDE;
	return 20;
}

/* R_PROVIDE: VC, crypto_provide, len(PadC). */
static ssize_t
responder_provide(struct bt_mse *m, const uint8_t *in)
{
	uint8_t f[VC_LEN + 4 + 2];
	static const uint8_t zero[VC_LEN];

	memcpy(f, in, sizeof f);
	bt_rc4_crypt(&m->dec, f, sizeof f);
	if (memcmp(f, zero, VC_LEN) != 0)
		return BT_E_PROTO;
	if (!(m->selected = pick(get32(f + VC_LEN), m->methods)))
		return BT_E_UNSUPPORTED;
	m->need = get16(f + VC_LEN + 4);
	if (m->need > BT_MSE_PAD_MAX)
		return BT_E_PROTO;
	m->st = R_PADC;
	return sizeof f;
}

/* One step of the responder. */
static ssize_t
step_responder(struct bt_mse *m, const uint8_t *in, size_t len, struct bt_buf *out)
{
	uint8_t h[20];
	ssize_t at;
	int rc;

	switch (m->st) {
	case R_YA:
		if (len < Y_LEN)
			return 0;
		if ((rc = bt_dh768_shared(&m->key, in, m->s)) < 0)
			return rc;
		if ((rc = send_y_pad(m, out)) < 0)
			return rc;
		m->st = R_REQ1;
		return Y_LEN;
	case R_REQ1:
		hash3("req1", m->s, Y_LEN, NULL, 0, h);
		at = find_sync(in, len, h, 20, BT_MSE_PAD_MAX);
		if (at < 0)
			return len >= REQ1_WINDOW ? BT_E_PROTO : 0;
		m->st = R_REQ23;
		return at + 20;
	case R_REQ23:
		return len < 20 ? 0 : responder_skey(m, in);
	case R_PROVIDE:
		return len < VC_LEN + 4 + 2 ? 0 : responder_provide(m, in);
	case R_PADC: {
		uint8_t l[2];
		if (len < m->need + 2)
			return 0;
		bt_rc4_skip(&m->dec, m->need);
		memcpy(l, in + m->need, 2);
		bt_rc4_crypt(&m->dec, l, 2);
		size_t used = m->need + 2;
		m->need = get16(l);
		if (m->need > BT_MSE_IA_MAX)
			return BT_E_LIMIT;
		m->st = R_IA;
		return (ssize_t)used;
	}
	case R_IA:
		if (len < m->need)
			return 0;
		memcpy(m->ia, in, m->need);
		bt_rc4_crypt(&m->dec, m->ia, m->need);
		m->ia_len = m->need;
		if ((rc = send_step4(m, out)) < 0)
			return rc;
		m->st = DONE;
		return (ssize_t)m->need;
	default:
		return BT_E_INVAL;
	}
}

ssize_t
bt_mse_feed(struct bt_mse *m, const uint8_t *in, size_t len, struct bt_buf *out)
{
	size_t used = 0;

	while (m->st != DONE) {
		ssize_t n = m->st < R_YA ? step_initiator(m, in + used, len - used, out) :
			step_responder(m, in + used, len - used, out);
		if (n < 0)
			return n;
		if (n == 0 && m->st != DONE)
			break;
		used += (size_t)n;
	}
	return (ssize_t)used;
}

int
bt_mse_done(const struct bt_mse *m)
{
	return m->st == DONE;
}

int
bt_mse_result(const struct bt_mse *m, struct bt_mse_result *r)
{
	if (m->st != DONE)
		return BT_E_INVAL;
	memset(r, 0, sizeof(*r));
	r->selected = m->selected;
	memcpy(r->skey, m->skey, 20);
	r->enc = m->enc;
	r->dec = m->dec;
	r->ia = m->ia_len ? m->ia : NULL;
	r->ia_len = m->ia_len;
	return 0;
}

void
bt_mse_free(struct bt_mse *m)
{
	if (!m)
		return;
	memset(m, 0, sizeof(*m));
	free(m);
}
