/* torrent.c - one torrent's life: metadata, start and check, its tick,
 * trackers and web seeds, stop, stats (see torrent.h; the rest of the
 * engine is listed in torrent_int.h). */
#include "torrent_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "benc.h"
#include "client.h"
#include "err.h"
#include "fileio.h"
#include "metainfo.h"
#include "mse.h"
#include "rand.h"
#include "reactor.h"
#include "storage.h"
#include "webseed.h"
#include "text.h"

/* The start-up check runs a slice per loop pass, so the loop stays
 * responsive while a big torrent is checked.  The first slice is about
 * 8 MiB; then the slice doubles while one takes less than CHECK_SLICE_MS
 * and halves when one takes more than four times that: a fast machine
 * hashes in large runs (each run ends waiting for its slower thread),
 * a slow router in short ones. */
#define CHECK_SLICE_BYTES	(8u << 20)
#define CHECK_SLICE_MS		10
#define CHECK_SLICE_MAX		1024u	/* pieces */


uint64_t
tor_rnd(struct bt_torrent *s)
{
	return bt_rand64(&s->rng);
}

uint64_t
tor_now(const struct bt_torrent *s)
{
	return bt_loop_now_ms(s->loop);
}

void
tor_say(struct bt_torrent *s, int kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->cb.message)
		return;
	va_start(ap, fmt);
	bt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cb.message(s->ud, kind, msg);
}

int
tor_running(const struct bt_torrent *s)
{
	return s->state == BT_TORRENT_DOWNLOADING || s->state == BT_TORRENT_SEEDING;
}

int
tor_fetching(const struct bt_torrent *s)
{
	return !s->m && s->start_wanted && s->state == BT_TORRENT_IDLE;
}

int
tor_peers_ok(const struct bt_torrent *s)
{
	return tor_running(s) || tor_fetching(s);
}

static char *
dupstr(const char *p)
{
	return p ? strdup(p) : NULL;
}

void
tor_update_rates(struct bt_torrent *s, double dt)
{
	/* Exponential averages with a time constant of about 4 s. */
	double a = dt / 4.0;

	if (a > 1)
		a = 1;
	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		p->dl_rate += a * (p->dl_tick / dt - p->dl_rate);
		/* Up at once, down as the average: the pipeline grows in a
		 * tick or two, and does not shrink for one slow tick. */
		if (p->dl_tick / dt > p->dl_fast)
			p->dl_fast = p->dl_tick / dt;
		else
			p->dl_fast += a * (p->dl_tick / dt - p->dl_fast);
		p->ul_rate += a * (p->ul_tick / dt - p->ul_rate);
		p->have_rate += a * (p->have_tick / dt - p->have_rate);
		p->dl_tick = p->ul_tick = p->have_tick = 0;
	}
	s->down_rate += a * (s->dl_tick / dt - s->down_rate);
	s->up_rate += a * (s->ul_tick / dt - s->up_rate);
	s->swarm_rate += a * (s->swarm_have_tick / dt - s->swarm_rate);
	/* ETA: a slower average of the download rate. */
	s->eta_rate += (a / 5) * (s->dl_tick / dt - s->eta_rate);
	s->dl_tick = s->ul_tick = s->swarm_have_tick = 0;
}

/* What a torrent's tick does with its peers, with or without metadata:
 * time-outs, redials, new connections, and more peers from the trackers
 * when short of them (only while downloading, for a running torrent).
 * Returns the live peers; *retrying: redials still waiting. */
size_t
tor_tick_peers(struct bt_torrent *s, uint64_t now, int want_more, size_t *retrying)
{
	size_t live = 0;

	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		peer_tick(p, now);
		live += !p->dead;
	}
	*retrying = peer_retry_due(s, now);
	peer_connect_some(s);
	if (want_more && s->ann && live < s->o.min_peers &&
		now - s->last_more_ms >= (live ? 60000u : 30000u)) {
		s->last_more_ms = now;
		bt_announcer_more_peers(s->ann);
	}
	return live;
}

/* The client's tick for this torrent (see torrent_int.h). */
int
tor_tick(struct bt_torrent *s, uint64_t now, double dt)
{
	size_t live, retrying;

	if (tor_fetching(s))
		return nometa_tick(s, now, dt);
	if (!tor_running(s))
		return 0;
	tor_update_rates(s, dt);
	if (pieces_run_flush(s) < 0)
		return 0;
	bt_band_refill(&s->up_band, dt);
	bt_band_refill(&s->down_band, dt);
	if (s->nconns)
		s->ul_rr = (s->ul_rr + 1) % s->nconns;
	live = tor_tick_peers(s, now, s->state == BT_TORRENT_DOWNLOADING, &retrying);
	if (now - s->last_rotate_ms >= s->o.round_robin_ms) {
		choker_rotate(s);
		s->last_rotate_ms = now;
		choker_rechoke(s);
	} else if (now - s->last_rechoke_ms >= RECHOKE_MS) {
		choker_rechoke(s);
	}
	tor_kick_webseeds(s);
	if (s->resume_path && now - s->last_resume_ms >= RESUME_SAVE_MS) {
		s->last_resume_ms = now;
		tor_write_resume(s);
	}
	return live || s->npending || retrying || s->state == BT_TORRENT_DOWNLOADING;
}

static void
ann_stats(void *ud, struct bt_ann_stats *a)
{
	struct bt_torrent *s = ud;

	a->uploaded = s->uploaded;
	a->downloaded = s->downloaded;
	/* Without metadata the size is not known: not a seed, though. */
	a->left = s->m ? s->wanted_bytes - s->have_bytes : META_PIECE;
	a->numwant = peer_live_count(s) >= s->o.max_initiate ? 0 : -1;
}

static void
ann_peers(void *ud, const struct sockaddr_storage *p, size_t n)
{
	bt_torrent_add_peers(ud, p, n);
}

static void
ann_message(void *ud, int kind, const char *text)
{
	struct bt_torrent *s = ud;

	if (kind == 'I')
		return;
	if (kind == 'R')	/* after errors: say that they are over */
		tor_say(s, 'I', "tracker answers again - %s", text);
	else
		tor_say(s, kind, "%s", text);
}

static uint64_t
closed_cb(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct bt_torrent *s = ud;

	(void)loop;
	(void)id;
	s->once_timer = 0;
	if (s->state == BT_TORRENT_STOPPING)
		s->state = BT_TORRENT_STOPPED;
	if (s->cb.closed)
		s->cb.closed(s->ud);
	return BT_TIMER_STOP;
}

static void
ann_stopped(void *ud)
{
	struct bt_torrent *s = ud;

	if (!s->once_timer)
		s->once_timer = bt_timer_add(s->loop, 0, closed_cb, s);
}

static size_t
ws_pick(void *ud, struct bt_block *out, size_t max)
{
	struct bt_torrent *s = ud;

	if (s->state != BT_TORRENT_DOWNLOADING)
		return 0;
	return bt_picker_pick(s->pk, NULL, NULL, NULL, NULL, out, max);
}

static void
ws_block(void *ud, struct bt_webseed *ws, const struct bt_block *b, const uint8_t *data)
{
	struct bt_torrent *s = ud;
	uint32_t fails = s->hash_fails;
	int peers_helped;

	if (s->state != BT_TORRENT_DOWNLOADING) {
		bt_picker_unrequest(s->pk, b->piece, b->begin);
		return;
	}
	peers_helped = pieces_peers_helped(s, b->piece);
	pieces_got_block(s, NULL, b->piece, b->begin, data, b->len);
	if (s->hash_fails != fails) {
		/* The piece this block finished failed: if no peer helped
		 * with it, the seed is to blame. */
		if (!peers_helped) {
			tor_say(s, 'E', "corrupt data from http seed - redownloading");
			bt_webseed_bad(ws);
		}
	}
}

static void
ws_unrequest(void *ud, const struct bt_block *b)
{
	struct bt_torrent *s = ud;
	bt_picker_unrequest(s->pk, b->piece, b->begin);
}

static void
ws_message(void *ud, struct bt_webseed *ws, const char *text)
{
	(void)ws;
	tor_say(ud, 'E', "%s", text);
}

static const struct bt_webseed_host ws_host = {
	ws_pick, ws_block, ws_unrequest, ws_message,
};

void
tor_kick_webseeds(struct bt_torrent *s)
{
	if (s->state != BT_TORRENT_DOWNLOADING)
		return;
	for (size_t i = 0; i < s->nws; i++)
		bt_webseed_kick(s->ws[i]);
}

static void
add_webseed(struct bt_torrent *s, int tok, int bep17)
{
	struct bt_webseed_opts wo;
	struct bt_webseed *ws, **w;
	char *url = bt_meta_strdup(s->m, tok);

	if (!url || !*url) {
		free(url);
		return;
	}
	memset(&wo, 0, sizeof(wo));
	wo.url = url;
	wo.bep17 = bep17;
	wo.user_agent = s->ua;
	ws = bt_webseed_new(s->loop, s->m, &wo, &ws_host, s);
	if (!ws) {
		tor_say(s, 'W', "http seed url not usable: %s", url);
		free(url);
		return;
	}
	free(url);
	w = realloc(s->ws, (s->nws + 1) * sizeof(*w));
	if (!w) {
		bt_webseed_free(ws);
		return;
	}
	s->ws = w;
	s->ws[s->nws++] = ws;
}

static void
start_webseeds(struct bt_torrent *s)
{
	const struct bt_benc *d = &s->m->doc;
	int tok;

	if (s->o.no_webseeds)
		return;
	tok = s->m->url_list;
	if (tok >= 0 && bt_benc_type(d, tok) == BT_BENC_STR)
		add_webseed(s, tok, 0);
	else if (tok >= 0)
		for (int j = bt_benc_first(d, tok); j >= 0 && s->nws < 16;
			j = bt_benc_next(d, tok, j))
			add_webseed(s, j, 0);
	tok = s->m->httpseeds;
	if (tok >= 0)
		for (int j = bt_benc_first(d, tok); j >= 0 && s->nws < 16;
			j = bt_benc_next(d, tok, j))
			add_webseed(s, j, 1);
}

void
bt_torrent_opts_init(struct bt_torrent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->check_hashes = 1;
	o->max_uploads = 7;
	o->max_initiate = 40;
	o->min_peers = 20;
	o->keepalive_ms = 120000;
	o->timeout_ms = 300000;
	o->snub_ms = 30000;
	o->round_robin_ms = 30000;
	o->http_timeout_ms = 60000;
	o->max_message = BT_PW_MAX_MESSAGE;
	o->max_slice = 131072;
	o->rarest_first_cutoff = 2;
	o->security = 1;
	o->auto_kick = 1;
	o->breakup_seed_bitfield = 1;
}

static void
fill_defaults(struct bt_torrent_opts *o)
{
	struct bt_torrent_opts d;

	bt_torrent_opts_init(&d);
#define DEF(f) if (!o->f) o->f = d.f
	DEF(max_uploads);
	DEF(max_initiate);
	DEF(min_peers);
	DEF(keepalive_ms);
	DEF(timeout_ms);
	DEF(snub_ms);
	DEF(round_robin_ms);
	DEF(http_timeout_ms);
	DEF(max_message);
	DEF(max_slice);
	DEF(rarest_first_cutoff);
#undef DEF
	if (o->max_slice < BT_PICK_BLOCK)
		o->max_slice = BT_PICK_BLOCK;
}

/* ---- life ---- */

/* Copy the caller's strings, so o may go after bt_torrent_new. */
static int
keep_opts(struct bt_torrent *s, const struct bt_torrent_opts *o)
{
	s->o = *o;
	fill_defaults(&s->o);
	s->root = dupstr(o->root);
	s->resume_path = dupstr(o->resume_path);
	s->ip = dupstr(o->ip);
	s->seed_id = dupstr(o->seed_id);
	s->ua = dupstr(o->user_agent);
	if ((o->root && !s->root) || (o->resume_path && !s->resume_path) ||
		(o->ip && !s->ip) || (o->seed_id && !s->seed_id) ||
		(o->user_agent && !s->ua))
		return BT_E_NOMEM;
	s->o.root = s->root;
	s->o.resume_path = s->resume_path;
	s->o.ip = s->ip;
	s->o.seed_id = s->seed_id;
	s->o.user_agent = s->ua;
	return 0;
}

int
bt_torrent_new(struct bt_torrent **out, struct bt_client *c, const uint8_t info_hash[20],
	const struct bt_torrent_opts *o, const struct bt_torrent_cb *cb, void *ud)
{
	struct bt_torrent *s;
	int rc;

	*out = NULL;
	if (!o->root)
		return BT_E_INVAL;
	if (bt_client_find(c, info_hash))
		return BT_E_EXIST;
	s = calloc(1, sizeof(*s));
	if (!s)
		return BT_E_NOMEM;
	s->c = c;
	s->loop = bt_client_loop(c);
	memcpy(s->info_hash, info_hash, 20);
	bt_mse_req2(info_hash, s->req2);
	if (cb)
		s->cb = *cb;
	s->ud = ud;
	s->rng = o->seed ? o->seed : bt_rand_seed(s);
	if ((rc = keep_opts(s, o)) < 0) {
		bt_torrent_free(s);
		return rc;
	}
	bt_band_init(&s->up_band, client_up_band(c));
	bt_band_init(&s->down_band, client_down_band(c));
	bt_band_set_rate(&s->up_band, s->o.max_upload_rate);
	bt_band_set_rate(&s->down_band, s->o.max_download_rate);
	bt_pw_set_ltep(s->bf_reserved);
	bt_pw_set_fast(s->bf_reserved);
	s->state = BT_TORRENT_IDLE;
	client_add_torrent(c, s);
	*out = s;
	return 0;
}

/* Storage and picker for the metadata just set. */
static int
open_storage(struct bt_torrent *s)
{
	const struct bt_meta *m = s->m;
	struct bt_storage_opts so;
	struct bt_picker_opts po;
	int rc;

	memset(&so, 0, sizeof(so));
	so.root = s->root;
	so.prio = s->prio;
	so.sparse = 1;
	so.overwrite = s->o.overwrite;
	if ((rc = bt_storage_open(&s->st, m, &so)) < 0)
		return rc;
	memset(&po, 0, sizeof(po));
	po.npieces = (uint32_t)m->npieces;
	po.piece_len = (uint32_t)m->piece_len;
	po.total = (uint64_t)m->total;
	po.random_cutoff = s->o.rarest_first_cutoff;
	po.seed = tor_rnd(s);
	if (!(s->pk = bt_picker_new(&po)))
		return BT_E_NOMEM;
	for (uint32_t i = 0; i < m->npieces; i++) {
		int pr = bt_storage_piece_prio(s->st, i);
		if (pr != BT_PRIO_NORMAL)
			bt_picker_set_prio(s->pk, i, pr);
		if (pr != BT_PRIO_SKIP)
			s->wanted_bytes += bt_storage_piece_size(s->st, i);
	}
	return 0;
}

/* Message limits and buffers that follow from the metadata. */
static int
size_buffers(struct bt_torrent *s)
{
	const struct bt_meta *m = s->m;
	/* The shared receive buffer holds the largest message we accept:
	 * a block, the bitfield, or an extended message. */
	size_t need = 256u << 10;

	if (bt_bitfield_bytes((uint32_t)m->npieces) + 1024 > need)
		need = bt_bitfield_bytes((uint32_t)m->npieces) + 1024;
	if (s->o.max_slice + 1024 > need)
		need = s->o.max_slice + 1024;
	if (client_rbuf_need(s->c, need) < 0)
		return BT_E_NOMEM;
	s->lim.max_message = s->o.max_message;
	if (s->lim.max_message > need - BT_PW_HANDSHAKE_LEN - 4)
		s->lim.max_message = (uint32_t)(need - BT_PW_HANDSHAKE_LEN - 4);
	s->lim.max_block = s->o.max_slice;
	s->lim.npieces = (uint32_t)m->npieces;
	s->lim.fast = 1;
	s->lim.allow_unknown = 1;
	/* The write run (allocated when the first block comes): a whole
	 * piece up to 4 MiB, so pieces are hashed in memory; larger pieces
	 * go in 4 MiB runs and are read back. */
	s->wcap = m->piece_len <= (4 << 20) ? (uint32_t)m->piece_len : (4u << 20);
	return bt_bitfield_init(&s->have, (uint32_t)m->npieces) < 0 ? BT_E_NOMEM : 0;
}

/* A bt_torrent_set_meta that failed half way leaves nothing behind (not
 * its priorities either), so the next try starts afresh. */
static void
forget_meta(struct bt_torrent *s)
{
	bt_picker_free(s->pk);
	s->pk = NULL;
	bt_storage_close(s->st);
	s->st = NULL;
	bt_bitfield_fini(&s->have);
	free(s->prio);
	s->prio = NULL;
	s->wanted_bytes = 0;
	s->m = NULL;
}

int
bt_torrent_set_meta(struct bt_torrent *s, const struct bt_meta *m, const int8_t *prio)
{
	int rc;

	if (s->m)
		return BT_E_INVAL;
	if (memcmp(m->info_hash, s->info_hash, 20) != 0 || m->npieces == 0 ||
		m->npieces > BT_BITFIELD_MAX)
		return BT_E_INVAL;
	if (prio) {
		free(s->prio);
		if (!(s->prio = malloc(m->nfiles ? m->nfiles : 1)))
			return BT_E_NOMEM;
		memcpy(s->prio, prio, m->nfiles);
	}
	s->m = m;
	if ((rc = size_buffers(s)) < 0 || (rc = open_storage(s)) < 0) {
		forget_meta(s);	/* still waiting for usable metadata */
		return rc;
	}
	meta_fetch_free(s);
	nometa_adopt(s);
	if (s->start_wanted)
		return bt_torrent_start(s);
	return 0;
}

int
bt_torrent_has_meta(const struct bt_torrent *s)
{
	return s->m != NULL;
}

int
bt_torrent_set_root(struct bt_torrent *s, const char *root)
{
	char *r;

	if (s->m || !root)
		return BT_E_INVAL;
	if (!(r = strdup(root)))
		return BT_E_NOMEM;
	free(s->root);
	s->root = r;
	s->o.root = r;
	return 0;
}

static int
copy_strs(char ***out, size_t *nout, const char *const *v, size_t n)
{
	if (n == 0)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return BT_E_NOMEM;
	for (*nout = 0; *nout < n; (*nout)++)
		if (!((*out)[*nout] = strdup(v[*nout])))
			return BT_E_NOMEM;
	return 0;
}

static void
free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
bt_torrent_set_magnet(struct bt_torrent *s, const char *const *tr, size_t ntr,
	const char *const *ws, size_t nws)
{
	if (s->m || s->state != BT_TORRENT_IDLE || s->start_wanted || s->mtr || s->mws)
		return BT_E_INVAL;
	if (copy_strs(&s->mtr, &s->nmtr, tr, ntr) < 0 ||
		copy_strs(&s->mws, &s->nmws, ws, nws) < 0)
		return BT_E_NOMEM;	/* what was copied goes with s */
	return 0;
}

/* The resume record, if it fits: what it lists, re-hashing the pieces of
 * files that changed.  1 if it was used. */
static int
try_resume(struct bt_torrent *s)
{
	struct bt_bitfield recheck;
	uint8_t *rec = NULL;
	size_t n = 0;
	int rc = BT_E_NOMEM;

	if (!s->resume_path || bt_file_read(s->resume_path, 64u << 20, &rec, &n) < 0)
		return 0;
	if (bt_bitfield_init(&recheck, (uint32_t)s->m->npieces) == 0)
		rc = bt_storage_resume_load(s->st, rec, n, &s->have, &recheck);
	free(rec);
	if (rc == 0)
		for (uint32_t i = bt_bitfield_first_set(&recheck, 0); i < recheck.n;
			i = bt_bitfield_first_set(&recheck, i + 1)) {
			if (bt_storage_verify(s->st, i) == 1)
				bt_bitfield_set(&s->have, i);
			else
				bt_bitfield_clear(&s->have, i);
		}
	bt_bitfield_fini(&recheck);
	return rc == 0;
}

void
tor_start_announcer(struct bt_torrent *s)
{
	struct bt_announcer_opts ao;
	static const struct bt_announcer_cb acb = {
		ann_stats, ann_peers, ann_message, ann_stopped
	};

	if (s->o.no_trackers || s->ann)
		return;	/* none, or started before the metadata came */
	memset(&ao, 0, sizeof(ao));
	memcpy(ao.info_hash, s->info_hash, 20);
	memcpy(ao.peer_id, s->o.peer_id, 20);
	ao.port = s->o.port ? s->o.port : client_port(s->c);
	ao.ip = s->ip;
	ao.seed_id = s->seed_id;
	ao.crypto = client_ann_crypto(s->c);
	ao.user_agent = s->ua;
	ao.http_timeout_ms = s->o.http_timeout_ms;
	ao.seed = tor_rnd(s);
	ao.udp = client_udp(s->c);
	if (s->m ? bt_announcer_new(&s->ann, s->loop, s->m, &ao, &acb, s) == 0 :
		bt_announcer_new_urls(&s->ann, s->loop, (const char *const *)s->mtr, s->nmtr,
			&ao, &acb, s) == 0)
		bt_announcer_start(s->ann);
	else
		s->ann = NULL;
}

/* The check is over: create the files (or refuse to touch what is not
 * ours), record them as ours, and go. */
static void
go_live(struct bt_torrent *s)
{
	int rc = bt_storage_create(s->st);

	if (rc < 0) {
		tor_fail(s, rc, "trouble accessing files");
		return;
	}
	/* Now, not in 5 minutes: after a crash, the files we made (and what
	 * we wrote in them before a piece verified) are known to be ours. */
	tor_write_resume(s);
	for (uint32_t i = bt_bitfield_first_set(&s->have, 0); i < s->have.n;
		i = bt_bitfield_first_set(&s->have, i + 1)) {
		bt_picker_have(s->pk, i);
		if (bt_storage_piece_prio(s->st, i) != BT_PRIO_SKIP)
			s->have_bytes += bt_storage_piece_size(s->st, i);
	}
	s->complete_at_start = bt_picker_wanted(s->pk) == 0;
	if (s->complete_at_start)
		pieces_superseed_start(s);
	s->state = s->complete_at_start ? BT_TORRENT_SEEDING : BT_TORRENT_DOWNLOADING;
	s->last_rotate_ms = s->last_rechoke_ms = s->last_resume_ms = tor_now(s);
	s->last_more_ms = tor_now(s);
	tor_start_announcer(s);
	start_webseeds(s);
	nometa_live(s);
	tor_kick_webseeds(s);
	peer_connect_some(s);
	client_wake(s->c);
}

/* The next slice's size in pieces after one of step pieces took ms. */
static uint32_t
check_step(uint32_t step, uint64_t ms)
{
	if (ms < CHECK_SLICE_MS && step <= CHECK_SLICE_MAX / 2)
		return step * 2;
	if (ms > 4 * CHECK_SLICE_MS && step > 1)
		return step / 2;
	return step;
}

int
tor_check_slice(struct bt_torrent *s)
{
	uint32_t n = (uint32_t)s->m->npieces, step, to;
	uint64_t t0;
	int64_t rc = 0;

	if (s->state != BT_TORRENT_CHECKING)
		return 1;
	/* First slice: a usable resume record, or --check_hashes 0, decides
	 * it all at once. */
	if (s->check_next == 0 && try_resume(s)) {
		s->check_next = n;
	} else if (s->check_next == 0 && !s->o.check_hashes) {
		rc = bt_storage_present(s->st, &s->have);	/* trusted */
		s->check_next = n;
	} else {
		step = s->check_step;
		to = n - s->check_next > step ? s->check_next + step : n;
		bt_loop_update_time(s->loop);
		t0 = tor_now(s);
		rc = bt_storage_check_range(s->st, &s->have, s->check_next, to);
		bt_loop_update_time(s->loop);
		s->check_step = check_step(step, tor_now(s) - t0);
		s->check_next = to;
	}
	if (rc < 0) {
		tor_fail(s, (int)rc, "trouble accessing files");
		return 1;
	}
	if (s->check_next < n)
		return 0;
	go_live(s);
	return 1;
}

int
bt_torrent_start(struct bt_torrent *s)
{
	if (s->state != BT_TORRENT_IDLE)
		return BT_E_INVAL;
	if (!s->m) {
		s->start_wanted = 1;	/* when the metadata comes */
		nometa_start(s);
		return 0;
	}
	s->start_wanted = 0;
	s->check_next = 0;
	s->check_step = (uint32_t)(CHECK_SLICE_BYTES / (uint64_t)s->m->piece_len);
	s->check_step = s->check_step ? s->check_step : 1;
	s->state = BT_TORRENT_CHECK_WAIT;
	client_check_queue(s->c);
	return 0;
}

void
tor_write_resume(struct bt_torrent *s)
{
	struct bt_buf b;

	if (!s->resume_path || !s->st)
		return;
	if (!s->failed)
		pieces_run_flush(s);
	bt_storage_sync(s->st);
	bt_buf_init(&b, 0);
	if (bt_storage_resume_write(s->st, &s->have, &b) == 0 && !b.err)
		bt_file_write_atomic(s->resume_path, b.p, b.len);
	bt_buf_free(&b);
}

static void
stop_webseeds(struct bt_torrent *s)
{
	for (size_t i = 0; i < s->nws; i++)
		bt_webseed_free(s->ws[i]);
	s->nws = 0;
}

/* Close peers and web seeds, keep what was verified (resume), then tell
 * the tracker; cb->closed follows from the announcer or the next pass. */
static void
wind_down(struct bt_torrent *s, enum bt_torrent_state next, int resume)
{
	peer_shutdown_all(s);
	stop_webseeds(s);
	if (resume)
		tor_write_resume(s);
	s->state = next;
	if (s->ann)
		bt_announcer_stop(s->ann);
	else if (!s->once_timer)
		s->once_timer = bt_timer_add(s->loop, 0, closed_cb, s);
}

/* A fatal error.  The resume record is written only when the torrent
 * was running: during the check it would lose what the old one knew,
 * and before the files are ours it would vouch for a stranger's file. */
void
tor_fail(struct bt_torrent *s, int rc, const char *what)
{
	const char *why = NULL, *verb = "";
	char path[1024];
	long f;

	if (s->failed)
		return;
	s->failed = 1;
	f = s->st ? bt_storage_last_file(s->st) : -1;
	if (s->st && rc != BT_E_IO)
		why = bt_storage_last_why(s->st, &verb);
	if (why && bt_storage_path(s->st, f, path, sizeof(path)))
		tor_say(s, 'F', "%s %s: %s", verb, path, why);
	else if (rc == BT_E_IO)
		tor_say(s, 'F', "%s: %s%s%s", what, strerror(errno), f >= 0 ? " - " : "",
			f >= 0 ? bt_storage_file_path(s->st, (size_t)f) : "");
	else
		tor_say(s, 'F', "%s: %s", what, bt_strerror(rc));
	wind_down(s, BT_TORRENT_FAILED, tor_running(s));
}

void
bt_torrent_stop(struct bt_torrent *s)
{
	int had_data = tor_running(s);

	if (s->state == BT_TORRENT_STOPPING || s->state == BT_TORRENT_STOPPED ||
		s->state == BT_TORRENT_FAILED)
		return;
	s->start_wanted = 0;
	wind_down(s, BT_TORRENT_STOPPING, had_data);
}

void
bt_torrent_free(struct bt_torrent *s)
{
	if (!s)
		return;
	if (s->c)
		client_remove_torrent(s->c, s);
	peer_free_all(s);
	stop_webseeds(s);
	free(s->ws);
	if (s->once_timer)
		bt_timer_del(s->loop, s->once_timer);
	bt_announcer_free(s->ann);
	bt_picker_free(s->pk);
	bt_storage_close(s->st);
	bt_bitfield_fini(&s->have);
	free(s->pending);
	free(s->bans);
	free(s->retry);
	pieces_contrib_free(s);
	free(s->seen);
	free(s->wbuf);
	free(s->prio);
	meta_fetch_free(s);
	free_strs(s->mtr, s->nmtr);
	free_strs(s->mws, s->nmws);
	if (s->own_meta)
		bt_meta_free(s->own_meta);
	free(s->own_meta);
	free(s->own_buf);
	free(s->root);
	free(s->resume_path);
	free(s->ip);
	free(s->seed_id);
	free(s->ua);
	free(s);
}

const uint8_t *
bt_torrent_info_hash(const struct bt_torrent *s)
{
	return s->info_hash;
}

enum bt_torrent_state
bt_torrent_state(const struct bt_torrent *s)
{
	return s->state;
}

void
bt_torrent_stats(const struct bt_torrent *s, struct bt_torrent_stats *st)
{
	uint64_t now = bt_loop_now_ms(s->loop);
	uint32_t lvl_count = 0, lvl;
	double done = 0;
	unsigned npeers = 0;

	memset(st, 0, sizeof(*st));
	st->state = s->state;
	if (!s->m)
		return;
	st->total = (uint64_t)s->m->total;
	if (s->state == BT_TORRENT_CHECKING || s->state == BT_TORRENT_CHECK_WAIT) {
		st->checked = s->check_next;
		st->check_total = (uint32_t)s->m->npieces;
	}
	st->wanted = s->wanted_bytes;
	st->have = s->have_bytes;
	st->left = s->wanted_bytes > s->have_bytes ? s->wanted_bytes - s->have_bytes : 0;
	st->uploaded = s->uploaded;
	st->downloaded = s->downloaded;
	st->up_rate = s->up_rate;
	st->down_rate = s->down_rate;
	st->eta = -1;
	if (st->left == 0)
		st->eta = 0;
	else if (s->eta_rate > 1)
		st->eta = st->left / s->eta_rate;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		npeers++;
		if (p->seed)
			st->seeds++;
		else
			st->peers++;
		done += (double)p->has.have / (s->m->npieces ? s->m->npieces : 1);
	}
	st->peers_done = npeers ? done / npeers : 0;
	for (size_t i = 0; i < SEEN_MAX; i++)
		if (s->seen_ms[i] && now - s->seen_ms[i] < 3600000)
			st->seen_recently++;
	for (size_t i = 0; i < s->nws; i++)
		if (bt_webseed_working(s->ws[i]))
			st->webseeds++;
	lvl = s->pk ? bt_picker_min_avail(s->pk, &lvl_count) : 0;
	st->copies = lvl;
	if (s->m->npieces)
		st->copies += 1.0 - (double)lvl_count / s->m->npieces;
	st->swarm_rate = s->swarm_rate;
	st->pieces = (uint32_t)s->m->npieces;
	st->pieces_have = s->have.have;
	st->active = s->pk ? bt_picker_active(s->pk) : 0;
	st->fragments = s->pk ? (uint32_t)((bt_picker_partial_bytes(s->pk) + 16383) / 16384) : 0;
	st->hash_fails = s->hash_fails;
	st->endgame = s->pk ? bt_picker_endgame(s->pk) : 0;
	st->complete_at_start = s->complete_at_start;
}

size_t
bt_torrent_peers(const struct bt_torrent *s, struct bt_torrent_peer *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nconns; i++) {
		const struct peer *p = s->conns[i];
		if (p->dead)
			continue;
		if (n < max) {
			struct bt_torrent_peer *r = &out[n];
			memset(r, 0, sizeof(*r));
			r->addr = p->addr;
			snprintf(r->client, sizeof(r->client), "%s", p->client);
			r->incoming = p->incoming;
			r->am_choking = p->am_choking;
			r->am_interested = p->am_interested;
			r->peer_choking = p->peer_choking;
			r->peer_interested = p->peer_interested;
			r->snubbed = p->snubbed;
			r->up_rate = p->ul_rate;
			r->down_rate = p->dl_rate;
			r->speed = p->have_rate;
			r->done = s->m && s->m->npieces ?
				(double)p->has.have / s->m->npieces : 0;
			r->uploaded = p->uploaded;
			r->downloaded = p->downloaded;
		}
		n++;
	}
	return n;
}
