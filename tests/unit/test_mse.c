/* test_mse.c - the MSE/PE handshake state machine: an initiator and a
 * responder talking in memory (whole buffers and a byte at a time), RC4
 * and plaintext selected, the payload streams pairing up, a wrong SKEY,
 * no common method, and a hand-built initiator sending bad lengths. */
#define _GNU_SOURCE
#include "buf.h"
#include "dh768.h"
#include "err.h"
#include "mse.h"
#include "rc4.h"
#include "sha1.h"

#include <stdint.h>
#include <string.h>

#include "check.h"

static const uint8_t torrent_a[20] = "AAAAAAAAAAAAAAAAAAAA";
static const uint8_t torrent_b[20] = "BBBBBBBBBBBBBBBBBBBB";

/* The responder's lookup: it serves torrent_a only. */
static int
find_a(void *ud, const uint8_t req2[20], uint8_t skey[20])
{
	uint8_t h[24], x[20];

	(void)ud;
	memcpy(h, "req2", 4);
	memcpy(h + 4, torrent_a, 20);
	bt_sha1(h, sizeof h, x);
	if (memcmp(x, req2, 20) != 0)
		return -1;
	memcpy(skey, torrent_a, 20);
	return 0;
}

/* Feed what is waiting in *in to m (step bytes at a time; 0: all),
 * dropping what was consumed.  Returns the feed's result. */
static ssize_t
give(struct bt_mse *m, struct bt_buf *in, struct bt_buf *out, size_t step)
{
	size_t n = step && step < in->len ? step : in->len;
	ssize_t rc = bt_mse_feed(m, in->p, n, out);

	if (rc > 0)
		bt_buf_consume(in, (size_t)rc);
	return rc;
}

struct pair {
	struct bt_mse *a, *b;
	struct bt_buf a2b, b2a;
	ssize_t ra, rb;
};

/* Run both sides until both are done or one fails (step: see give; with
 * a step the parked bytes grow a byte per round, as a slow socket). */
static void
pump(struct pair *p, size_t step)
{
	size_t wa = 0, wb = 0;	/* bytes visible to each side */

	for (int round = 0; round < 20000; round++) {
		if (bt_mse_done(p->a) && bt_mse_done(p->b))
			return;
		if (!bt_mse_done(p->b)) {
			wb = step ? wb + step : p->a2b.len;
			p->rb = give(p->b, &p->a2b, &p->b2a, wb);
			if (p->rb < 0)
				return;
			if (p->rb > 0)
				wb = 0;
		}
		if (!bt_mse_done(p->a)) {
			wa = step ? wa + step : p->b2a.len;
			p->ra = give(p->a, &p->b2a, &p->a2b, wa);
			if (p->ra < 0)
				return;
			if (p->ra > 0)
				wa = 0;
		}
	}
}

static void
pair_init(struct pair *p, const uint8_t skey[20], uint32_t provide, uint32_t allow,
	const uint8_t *ia, size_t ia_len)
{
	memset(p, 0, sizeof(*p));
	bt_buf_init(&p->a2b, 0);
	bt_buf_init(&p->b2a, 0);
	p->a = bt_mse_initiator(skey, provide, ia, ia_len, &p->a2b);
	p->b = bt_mse_responder(allow, find_a, NULL);
}

static void
pair_free(struct pair *p)
{
	bt_mse_free(p->a);
	bt_mse_free(p->b);
	bt_buf_free(&p->a2b);
	bt_buf_free(&p->b2a);
}

/* A's payload stream reaches B and B's reaches A. */
static void
check_streams(int line, const struct bt_mse_result *ra, const struct bt_mse_result *rb)
{
	struct bt_rc4 ae = ra->enc, ad = ra->dec, be = rb->enc, bd = rb->dec;
	uint8_t msg[100], orig[100];

	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = orig[i] = (uint8_t)(i * 3);
	bt_rc4_crypt(&ae, msg, sizeof msg);
	CHECK_AT(line, memcmp(msg, orig, sizeof msg) != 0);
	bt_rc4_crypt(&bd, msg, sizeof msg);
	CHECK_MEM_AT(line, msg, sizeof msg, orig, sizeof orig);
	bt_rc4_crypt(&be, msg, sizeof msg);
	bt_rc4_crypt(&ad, msg, sizeof msg);
	CHECK_MEM_AT(line, msg, sizeof msg, orig, sizeof orig);
}

static void
run_ok(int line, uint32_t provide, uint32_t allow, uint32_t want, size_t step)
{
	uint8_t ia[68];
	struct pair p;
	struct bt_mse_result ra, rb;

	for (size_t i = 0; i < sizeof ia; i++)
		ia[i] = (uint8_t)(0x13 + i);
	pair_init(&p, torrent_a, provide, allow, ia, sizeof ia);
	if (!CHECK_AT(line, p.a && p.b))
		return;
	pump(&p, step);
	CHECK_INT_AT(line, p.ra, >=, 0);
	CHECK_INT_AT(line, p.rb, >=, 0);
	CHECK_AT(line, bt_mse_done(p.a) && bt_mse_done(p.b));
	if (bt_mse_result(p.a, &ra) == 0 && bt_mse_result(p.b, &rb) == 0) {
		CHECK_INT_AT(line, ra.selected, ==, want);
		CHECK_INT_AT(line, rb.selected, ==, want);
		CHECK_MEM_AT(line, rb.skey, 20, torrent_a, 20);
		CHECK_MEM_AT(line, rb.ia, rb.ia_len, ia, sizeof ia);
		CHECK_INT_AT(line, ra.ia_len, ==, 0);
		check_streams(line, &ra, &rb);
	}
	/* Nothing left over on either wire. */
	CHECK_INT_AT(line, p.a2b.len, ==, 0);
	CHECK_INT_AT(line, p.b2a.len, ==, 0);
	pair_free(&p);
}

static void
test_handshakes(void)
{
	run_ok(__LINE__, BT_MSE_RC4 | BT_MSE_PLAIN, BT_MSE_RC4 | BT_MSE_PLAIN, BT_MSE_RC4, 0);
	run_ok(__LINE__, BT_MSE_RC4, BT_MSE_RC4, BT_MSE_RC4, 0);
	run_ok(__LINE__, BT_MSE_PLAIN, BT_MSE_RC4 | BT_MSE_PLAIN, BT_MSE_PLAIN, 0);
	run_ok(__LINE__, BT_MSE_RC4 | BT_MSE_PLAIN, BT_MSE_PLAIN, BT_MSE_PLAIN, 0);
	for (int i = 0; i < 3; i++)
		run_ok(__LINE__, BT_MSE_RC4 | BT_MSE_PLAIN, BT_MSE_RC4, BT_MSE_RC4, 1);
	run_ok(__LINE__, BT_MSE_RC4, BT_MSE_RC4, BT_MSE_RC4, 7);
}

/* The payload that follows step 4 in the same read is left alone. */
static void
test_payload_after(void)
{
	struct pair p;
	struct bt_mse_result ra, rb;

	pair_init(&p, torrent_a, BT_MSE_RC4, BT_MSE_RC4, NULL, 0);
	/* B first: Ya to B, then A gets Yb and sends step 3 to B. */
	give(p.b, &p.a2b, &p.b2a, 0);
	give(p.a, &p.b2a, &p.a2b, 0);
	CHECK_INT(give(p.b, &p.a2b, &p.b2a, 0), >, 0);
	CHECK(bt_mse_done(p.b));
	bt_mse_result(p.b, &rb);
	CHECK_INT(rb.ia_len, ==, 0);
	CHECK(rb.ia == NULL);
	/* B's step 4 and "hello" encrypted in one buffer. */
	uint8_t hello[5] = "hello";
	bt_rc4_crypt(&rb.enc, hello, 5);
	bt_buf_add(&p.b2a, hello, 5);
	size_t before = p.b2a.len;
	ssize_t used = bt_mse_feed(p.a, p.b2a.p, p.b2a.len, &p.a2b);
	CHECK_INT(used, ==, (ssize_t)before - 5);
	CHECK(bt_mse_done(p.a));
	bt_mse_result(p.a, &ra);
	memcpy(hello, p.b2a.p + used, 5);
	bt_rc4_crypt(&ra.dec, hello, 5);
	CHECK_MEM(hello, 5, "hello", 5);
	pair_free(&p);
}

static void
test_refusals(void)
{
	struct pair p;

	pair_init(&p, torrent_b, BT_MSE_RC4, BT_MSE_RC4 | BT_MSE_PLAIN, NULL, 0);
	pump(&p, 0);
	CHECK_INT(p.rb, ==, BT_E_NOENT);
	pair_free(&p);

	pair_init(&p, torrent_a, BT_MSE_RC4, BT_MSE_PLAIN, NULL, 0);
	pump(&p, 0);
	CHECK_INT(p.rb, ==, BT_E_UNSUPPORTED);
	pair_free(&p);

	pair_init(&p, torrent_a, BT_MSE_PLAIN, BT_MSE_RC4, NULL, 0);
	pump(&p, 0);
	CHECK_INT(p.rb, ==, BT_E_UNSUPPORTED);
	pair_free(&p);

	/* A degenerate Ya. */
	struct bt_buf out;
	uint8_t zero[96] = {0};
	struct bt_mse *b = bt_mse_responder(BT_MSE_RC4, find_a, NULL);
	bt_buf_init(&out, 0);
	CHECK_INT(bt_mse_feed(b, zero, sizeof zero, &out), ==, BT_E_PROTO);
	CHECK_INT(bt_mse_feed(b, zero, 95, &out), ==, 0);
	bt_mse_free(b);
	bt_buf_free(&out);
	/* Too large an IA for the initiator. */
	static uint8_t big[BT_MSE_IA_MAX + 1];
	bt_buf_init(&out, 0);
	CHECK(bt_mse_initiator(torrent_a, BT_MSE_RC4, big, sizeof big, &out) == NULL);
	bt_buf_free(&out);
}

/* ---- a hand-built initiator ---- */

struct evil {
	struct bt_dh768 k;
	struct bt_mse *b;
	struct bt_buf in, out;	/* to B, from B */
	uint8_t s[96];
	struct bt_rc4 enc;
};

static void
hash_tag(const char *tag, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	uint8_t out[20])
{
	struct bt_sha1 c;

	bt_sha1_init(&c);
	bt_sha1_update(&c, tag, 4);
	bt_sha1_update(&c, a, alen);
	bt_sha1_update(&c, b, blen);
	bt_sha1_out(&c, out);
}

/* Ya plus pad bytes of padding, B's answer, S and A's RC4 stream. */
static void
evil_start(struct evil *e, size_t pad)
{
	uint8_t ka[20];

	memset(e, 0, sizeof(*e));
	bt_buf_init(&e->in, 0);
	bt_buf_init(&e->out, 0);
	bt_dh768_keygen(&e->k);
	e->b = bt_mse_responder(BT_MSE_RC4 | BT_MSE_PLAIN, find_a, NULL);
	bt_buf_add(&e->in, e->k.pub, 96);
	for (size_t i = 0; i < pad; i++)
		bt_buf_addc(&e->in, 0xaa);
	CHECK_INT(give(e->b, &e->in, &e->out, 0), ==, 96);
	bt_dh768_shared(&e->k, e->out.p, e->s);
	hash_tag("keyA", e->s, 96, torrent_a, 20, ka);
	bt_rc4_init_mse(&e->enc, ka);
}

/* req1, req2^req3, then VC, provide, len(PadC) = padc, PadC (padc_real
 * bytes), len(IA) = ia, IA (ia_real bytes), all as given. */
static void
evil_step3(struct evil *e, uint32_t provide, size_t padc, size_t padc_real, size_t ia,
	size_t ia_real)
{
	uint8_t h[20], x[20], f[14] = {0};
	static uint8_t junk[4096];

	hash_tag("req1", e->s, 96, NULL, 0, h);
	bt_buf_add(&e->in, h, 20);
	hash_tag("req2", torrent_a, 20, NULL, 0, h);
	hash_tag("req3", e->s, 96, NULL, 0, x);
	for (int i = 0; i < 20; i++)
		h[i] ^= x[i];
	bt_buf_add(&e->in, h, 20);
	f[8] = (uint8_t)(provide >> 24);
	f[11] = (uint8_t)provide;
	f[12] = (uint8_t)(padc >> 8);
	f[13] = (uint8_t)padc;
	bt_rc4_crypt(&e->enc, f, sizeof f);
	bt_buf_add(&e->in, f, sizeof f);
	memset(junk, 0, sizeof junk);
	bt_rc4_crypt(&e->enc, junk, padc_real);
	bt_buf_add(&e->in, junk, padc_real);
	uint8_t l[2] = { (uint8_t)(ia >> 8), (uint8_t)ia };
	bt_rc4_crypt(&e->enc, l, 2);
	bt_buf_add(&e->in, l, 2);
	memset(junk, 0, sizeof junk);
	bt_rc4_crypt(&e->enc, junk, ia_real);
	bt_buf_add(&e->in, junk, ia_real);
}

static ssize_t
evil_finish(struct evil *e)
{
	ssize_t rc = give(e->b, &e->in, &e->out, 0);

	bt_mse_free(e->b);
	bt_buf_free(&e->in);
	bt_buf_free(&e->out);
	return rc;
}

static void
test_bad_lengths(void)
{
	struct evil e;

	/* The hand-built initiator itself is right. */
	evil_start(&e, 512);
	evil_step3(&e, BT_MSE_RC4, 512, 512, BT_MSE_IA_MAX, BT_MSE_IA_MAX);
	CHECK_INT(evil_finish(&e), >, 0);
	/* PadC too long. */
	evil_start(&e, 0);
	evil_step3(&e, BT_MSE_RC4, 513, 513, 0, 0);
	CHECK_INT(evil_finish(&e), ==, BT_E_PROTO);
	/* IA too long. */
	evil_start(&e, 0);
	evil_step3(&e, BT_MSE_RC4, 0, 0, BT_MSE_IA_MAX + 1, BT_MSE_IA_MAX + 1);
	CHECK_INT(evil_finish(&e), ==, BT_E_LIMIT);
	/* PadA too long: req1 is past the window. */
	evil_start(&e, 513);
	evil_step3(&e, BT_MSE_RC4, 0, 0, 0, 0);
	CHECK_INT(evil_finish(&e), ==, BT_E_PROTO);
	/* No method we know of. */
	evil_start(&e, 0);
	evil_step3(&e, 0x80000000u, 0, 0, 0, 0);
	CHECK_INT(evil_finish(&e), ==, BT_E_UNSUPPORTED);
	/* A short IA: waiting, not done. */
	evil_start(&e, 3);
	evil_step3(&e, BT_MSE_RC4, 0, 0, 68, 60);
	ssize_t rc = give(e.b, &e.in, &e.out, 0);
	CHECK_INT(rc, >, 0);
	CHECK(!bt_mse_done(e.b));
	CHECK_INT(e.in.len, ==, 60);
	evil_finish(&e);
	/* Garbage after Ya (a plaintext peer, a scanner): refused once the
	 * window is past, not before. */
	evil_start(&e, 531);
	CHECK_INT(give(e.b, &e.in, &e.out, 0), ==, 0);
	bt_buf_addc(&e.in, 0);
	CHECK_INT(evil_finish(&e), ==, BT_E_PROTO);
}

/* An initiator whose responder pads beyond 512 gives up. */
static void
test_initiator_window(void)
{
	struct bt_buf out, in;
	struct bt_dh768 k;
	uint8_t pad[600] = {0};

	bt_buf_init(&out, 0);
	bt_buf_init(&in, 0);
	struct bt_mse *a = bt_mse_initiator(torrent_a, BT_MSE_RC4, NULL, 0, &out);
	bt_dh768_keygen(&k);
	bt_buf_add(&in, k.pub, 96);
	bt_buf_add(&in, pad, 519);
	CHECK_INT(give(a, &in, &out, 0), ==, 96);
	CHECK_INT(give(a, &in, &out, 0), ==, 0);
	bt_buf_addc(&in, 0);
	CHECK_INT(give(a, &in, &out, 0), ==, BT_E_PROTO);
	bt_mse_free(a);
	bt_buf_free(&out);
	bt_buf_free(&in);
}

int
main(void)
{
	test_handshakes();
	test_payload_after();
	test_refusals();
	test_bad_lengths();
	test_initiator_window();
	return check_summary("mse");
}
