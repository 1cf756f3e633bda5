/* test_store.c - the tracker peer store against a naive reference model. */
#include "check.h"
#include "err.h"
#include "rand.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NT 5		/* torrents */
#define NA 300		/* addresses */

struct mpeer {
	int present, seed, counted, reach, alive;
};
static struct mpeer model[NT][NA];
static uint32_t mdown[NT];

static void
hash_of(int t, uint8_t h[20])
{
	memset(h, 0, 20);
	h[0] = (uint8_t)t;
	h[19] = 0xab;
}

static void
addr_of(int a, uint8_t *p, int v6)
{
	if (v6) {
		memset(p, 0, 18);
		p[0] = 0x20;
		p[15] = (uint8_t)a;
		p[14] = (uint8_t)(a >> 8);
		p[16] = 0x1a;
		p[17] = 0xe1;
	} else {
		p[0] = 10;
		p[1] = 0;
		p[2] = (uint8_t)(a >> 8);
		p[3] = (uint8_t)a;
		p[4] = 0x1a;
		p[5] = 0xe1;
	}
}

static int
addr_id(const uint8_t *p)
{
	return p[2] << 8 | p[3];
}

static int
sum_downloaded(void *ud, const struct bt_store_torrent_info *ti)
{
	*(uint64_t *)ud += ti->downloaded;
	return 0;
}

static void
model_test(void)
{
	struct bt_store *s = bt_store_new(NULL);
	uint8_t out[64 * 6], h[20], a[6];
	uint64_t rs = 88172645463325252ULL;

	for (int step = 0; step < 60000; step++) {
		uint64_t x = bt_rand64(&rs);
		int t = (int)(x % NT), ai = (int)((x >> 8) % NA);
		int ev = (int)((x >> 20) % 10);
		int seed = ((x >> 30) % 3) == 0;
		int reach = ((x >> 34) % 4) != 0;
		unsigned want = (unsigned)((x >> 40) % 60);
		struct bt_store_req r = { 0 };
		struct bt_store_reply rep;

		if ((x >> 50) % 5000 == 0) {
			/* Sweep: peers not alive go. */
			size_t dropped = bt_store_sweep(s), mdropped = 0;
			for (int i = 0; i < NT; i++)
				for (int j = 0; j < NA; j++) {
					if (model[i][j].present && !model[i][j].alive) {
						model[i][j].present = 0;
						mdropped++;
					}
					model[i][j].alive = 0;
				}
			CHECK(dropped == mdropped);
			continue;
		}
		hash_of(t, h);
		addr_of(ai, a, 0);
		r.info_hash = h;
		r.addr = a;
		r.addr_len = 6;
		r.seed = seed;
		r.event = ev == 0 ? BT_STORE_EV_STOPPED : ev == 1 ? BT_STORE_EV_COMPLETED :
			ev == 2 ? BT_STORE_EV_STARTED : BT_STORE_EV_NONE;
		r.flags = reach ? BT_PEER_REACHABLE : 0;
		r.numwant = want;
		if (bt_store_announce(s, &r, out, &rep) < 0) {
			CHECK(0);
			break;
		}
		struct mpeer *m = &model[t][ai];
		if (r.event == BT_STORE_EV_STOPPED) {
			m->present = 0;
			CHECK(rep.npeers == 0);
		} else {
			if (!m->present) {
				memset(m, 0, sizeof(*m));
				m->present = 1;
				m->seed = seed;
				if (r.event == BT_STORE_EV_COMPLETED) {
					mdown[t]++;
					m->counted = 1;
				}
			} else {
				if (seed && !m->seed && !m->counted) {
					mdown[t]++;
					m->counted = 1;
				}
				m->seed = seed;
				if (r.event == BT_STORE_EV_COMPLETED && !m->counted) {
					mdown[t]++;
					m->counted = 1;
				}
			}
			/* Reachability, once known, stays until a failed check. */
			m->reach = m->reach || reach;
			m->alive = 1;
		}
		uint32_t seeds = 0, lee = 0;
		for (int j = 0; j < NA; j++)
			if (model[t][j].present)
				model[t][j].seed ? seeds++ : lee++;
		CHECK(rep.complete == seeds);
		CHECK(rep.incomplete == lee);
		CHECK(rep.downloaded == mdown[t]);
		CHECK(rep.npeers <= want);
		for (size_t k = 0; k < rep.npeers; k++) {
			int id = addr_id(out + 6 * k);
			CHECK(id != ai);
			CHECK(id < NA && model[t][id].present && model[t][id].reach);
			if (seed)
				CHECK(!model[t][id].seed);
			for (size_t q = 0; q < k; q++)
				CHECK(memcmp(out + 6 * q, out + 6 * k, 6) != 0);
		}
		/* When enough candidates exist, the reply is full. */
		uint32_t cand = 0;
		for (int j = 0; j < NA; j++)
			if (j != ai && model[t][j].present && model[t][j].reach &&
			    !(seed && model[t][j].seed))
				cand++;
		if (r.event != BT_STORE_EV_STOPPED && want <= cand && cand * 2 > (seed ? lee : lee + seeds))
			CHECK(rep.npeers == want);
	}
	struct bt_store_stats st;
	bt_store_stats(s, &st);
	size_t mp = 0;
	for (int i = 0; i < NT; i++)
		for (int j = 0; j < NA; j++)
			mp += model[i][j].present;
	CHECK(st.peers4 == mp);
	uint64_t down = 0;
	bt_store_each_torrent(s, sum_downloaded, &down);
	CHECK(st.downloaded == down);
	bt_store_free(s);
}

static void
big_swarm(void)
{
	struct bt_store *s = bt_store_new(NULL);
	uint8_t h[20], a[18], out[50 * 18];
	struct bt_store_reply rep;
	hash_of(1, h);
	for (int v6 = 0; v6 < 2; v6++) {
		for (int i = 0; i < 20000; i++) {
			struct bt_store_req r = { .info_hash = h, .addr = a, .addr_len = v6 ? 18 : 6,
				.seed = i % 3 == 0, .flags = BT_PEER_REACHABLE, .numwant = 50 };
			addr_of(i, a, v6);
			CHECK(bt_store_announce(s, &r, out, &rep) == 0);
		}
	}
	CHECK(rep.complete == 2 * 6667 && rep.incomplete == 2 * 13333);
	/* Re-announce everyone: nobody is duplicated. */
	for (int i = 0; i < 20000; i++) {
		struct bt_store_req r = { .info_hash = h, .addr = a, .addr_len = 6,
			.seed = 1, .flags = BT_PEER_REACHABLE, .numwant = 0 };
		addr_of(i, a, 0);
		bt_store_announce(s, &r, out, &rep);
	}
	CHECK(rep.complete == 20000 + 6667 && rep.incomplete == 13333);
	/* Stop half of the IPv4 peers. */
	for (int i = 0; i < 20000; i += 2) {
		struct bt_store_req r = { .info_hash = h, .addr = a, .addr_len = 6,
			.event = BT_STORE_EV_STOPPED };
		addr_of(i, a, 0);
		bt_store_announce(s, &r, out, &rep);
	}
	CHECK(rep.complete == 10000 + 6667);
	/* The index still finds every survivor. */
	size_t found = 0;
	for (int i = 1; i < 20000; i += 2) {
		addr_of(i, a, 0);
		found += bt_store_set_reachable(s, h, a, 6, 1) >= 0;
	}
	CHECK(found == 10000);
	addr_of(0, a, 0);
	CHECK(bt_store_set_reachable(s, h, a, 6, 1) == BT_E_NOENT);
	/* Two sweeps without announces empty it. */
	bt_store_sweep(s);
	CHECK(bt_store_counts(s, h, &rep.complete, &rep.incomplete, &rep.downloaded) == 0);
	bt_store_sweep(s);
	CHECK(bt_store_counts(s, h, &rep.complete, &rep.incomplete, &rep.downloaded) == BT_E_NOENT);
	bt_store_free(s);
}

static void
keys_and_ids(void)
{
	struct bt_store_opts o = { .keep_ids = 1 };
	struct bt_store *s = bt_store_new(&o);
	uint8_t h[20], a[6], b[6], out[10 * 26], id[20];
	struct bt_store_reply rep;
	hash_of(2, h);
	addr_of(7, a, 0);
	addr_of(8, b, 0);
	memset(id, 'P', 20);
	struct bt_store_req r = { .info_hash = h, .addr = a, .addr_len = 6, .peer_id = id,
		.flags = BT_PEER_REACHABLE, .override = 1, .has_key = 1, .key = 42, .numwant = 5 };
	CHECK(bt_store_announce(s, &r, out, &rep) == 0 && rep.is_new);
	/* Someone else (override) without the key cannot stop it. */
	struct bt_store_req bad = r;
	bad.key = 41;
	bad.event = BT_STORE_EV_STOPPED;
	CHECK(bt_store_announce(s, &bad, out, &rep) == 0 && rep.denied);
	CHECK(rep.incomplete == 1);
	/* The owner of the address may, key or not. */
	struct bt_store_req own = r;
	own.override = 0;
	own.has_key = 0;
	own.addr = b;
	CHECK(bt_store_announce(s, &own, out, &rep) == 0);
	CHECK(rep.npeers == 1 && rep.rec_len == 26 && memcmp(out, a, 6) == 0 &&
		memcmp(out + 6, id, 20) == 0);
	bad.key = 42;
	CHECK(bt_store_announce(s, &bad, out, &rep) == 0 && !rep.denied && rep.incomplete == 1);
	/* Unknown torrent with no_create. */
	uint8_t h2[20];
	hash_of(3, h2);
	struct bt_store_req nc = r;
	nc.info_hash = h2;
	nc.no_create = 1;
	CHECK(bt_store_announce(s, &nc, out, &rep) == BT_E_NOENT);
	bt_store_free(s);
}

int
main(void)
{
	model_test();
	big_swarm();
	keys_and_ids();
	return check_summary("store");
}
