/* ext_metadata.c - BEP 9 ut_metadata, both ways.
 *
 * Serving: we advertise metadata_size (the bytes of our info dictionary
 * as they are in the .torrent) and answer a request for piece i (16 KiB
 * each, the last shorter) with the data, or a reject when we have no
 * metadata or the piece is past the end.
 *
 * Fetching, for a started torrent without metadata: the first peer that
 * advertises a size in 1..META_MAX_SIZE fixes it; every peer with that
 * size is asked for one piece at a time (not asked anywhere in the last
 * META_ASK_MS, given up after META_WAIT_MS).  A piece of the wrong size
 * drops the peer; when all are in, the SHA-1 must be the info hash, else
 * every peer that sent a piece is dropped and the fetch starts over.  The
 * info dictionary is then wrapped as a .torrent with the magnet's
 * trackers and web seeds and handed on (nometa_deliver). */
#include "torrent_int.h"

#include <stdlib.h>
#include <string.h>

#include "benc.h"
#include "err.h"
#include "metainfo.h"
#include "sha1.h"
#include "utmeta.h"

#define META_ASK_MS	10000	/* a piece asked for is left to that peer */
#define META_WAIT_MS	30000	/* a peer that does not answer: given up */
#define META_REJECTS	4	/* rejects before a peer is not asked again */
#define META_OUT_MAX	(4u << 20)	/* queued output above which we reject */

enum { MT_REQUEST = BT_UTMETA_REQUEST, MT_DATA = BT_UTMETA_DATA, MT_REJECT = BT_UTMETA_REJECT };

/* p->ext_data[EXT_METADATA] */
struct meta_peer {
	int64_t size;		/* the peer's metadata_size, -1: none usable */
	int64_t want;		/* the piece asked for, -1: none */
	uint64_t asked_ms;
	unsigned rejects;
};

struct meta_fetch {
	uint8_t *buf;
	uint32_t size, npieces, ngot;
	uint8_t *got;		/* per piece */
	uint64_t *asked_ms;	/* per piece, 0: never */
	uint32_t *from;		/* per piece: the serial of the peer that sent it */
};

static struct meta_peer *
mp_of(struct peer *p)
{
	return p->ext_data[EXT_METADATA];
}

void
meta_fetch_free(struct bt_torrent *s)
{
	struct meta_fetch *f = s->mf;

	if (!f)
		return;
	free(f->buf);
	free(f->got);
	free(f->asked_ms);
	free(f->from);
	free(f);
	s->mf = NULL;
}

static struct meta_fetch *
fetch_new(struct bt_torrent *s, uint32_t size)
{
	struct meta_fetch *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	s->mf = f;
	f->size = size;
	f->npieces = (size + META_PIECE - 1) / META_PIECE;
	f->buf = malloc(size);
	f->got = calloc(f->npieces, 1);
	f->asked_ms = calloc(f->npieces, sizeof(*f->asked_ms));
	f->from = calloc(f->npieces, sizeof(*f->from));
	if (!f->buf || !f->got || !f->asked_ms || !f->from) {
		meta_fetch_free(s);
		return NULL;
	}
	return f;
}

static uint32_t
piece_len(uint32_t size, uint32_t i)
{
	uint32_t off = i * META_PIECE;
	return size - off < META_PIECE ? size - off : META_PIECE;
}

/* Our info dictionary's bytes, or NULL. */
static const uint8_t *
our_info(const struct bt_torrent *s, size_t *n)
{
	if (!s->m)
		return NULL;
	return bt_benc_raw(&s->m->doc, s->m->info, n);
}

static void
send_msg(struct peer *p, int type, int64_t piece, int64_t total, const uint8_t *data,
	size_t n)
{
	struct bt_buf b;
	struct bt_bw w;

	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "msg_type");
	bt_bw_int(&w, type);
	bt_bw_key(&w, "piece");
	bt_bw_int(&w, piece);
	if (total >= 0) {
		bt_bw_key(&w, "total_size");
		bt_bw_int(&w, total);
	}
	bt_bw_end(&w);
	if (bt_bw_finish(&w) == 0) {
		bt_buf_add(&b, data, n);
		if (!b.err)
			ext_send(p, EXT_METADATA, b.p, b.len);
	}
	bt_buf_free(&b);
}

/* Ask p for the next piece nobody was asked for lately. */
static void
ask_next(struct peer *p)
{
	struct bt_torrent *s = p->s;
	struct meta_peer *mp = mp_of(p);
	struct meta_fetch *f = s->mf;
	uint64_t now = tor_now(s);

	if (!mp || p->dead || !tor_fetching(s) || mp->size < 0 || mp->want >= 0)
		return;
	if (!f && !(f = fetch_new(s, (uint32_t)mp->size)))
		return;
	if (f->size != mp->size)
		return;	/* another size than the first peer's: not asked */
	for (uint32_t i = 0; i < f->npieces; i++) {
		if (f->got[i] || (f->asked_ms[i] && now - f->asked_ms[i] < META_ASK_MS))
			continue;
		f->asked_ms[i] = now;
		mp->want = i;
		mp->asked_ms = now;
		send_msg(p, MT_REQUEST, i, -1, NULL, 0);
		peer_flush(p);
		return;
	}
}

static void
advertise(struct peer *p, struct bt_pw_exthandshake *h)
{
	size_t n;

	if (our_info(p->s, &n))
		h->metadata_size = (int64_t)n;
}

static void
hello(struct peer *p, const struct bt_pw_exthandshake *h)
{
	struct meta_peer *mp = mp_of(p);

	if (!mp && !(mp = p->ext_data[EXT_METADATA] = calloc(1, sizeof(*mp))))
		return;
	mp->want = -1;
	mp->size = h->metadata_size > 0 && h->metadata_size <= META_MAX_SIZE ?
		h->metadata_size : -1;
	ask_next(p);
}

static void
serve(struct peer *p, int64_t piece)
{
	size_t n;
	const uint8_t *info = our_info(p->s, &n);

	if (!info || piece < 0 || (uint64_t)piece * META_PIECE >= n ||
		bt_pio_out(p->io)->len > META_OUT_MAX) {
		send_msg(p, MT_REJECT, piece, -1, NULL, 0);
		return;
	}
	send_msg(p, MT_DATA, piece, (int64_t)n, info + (size_t)piece * META_PIECE,
		piece_len((uint32_t)n, (uint32_t)piece));
}

/* The metadata failed its hash: everyone who sent a piece goes. */
static void
bad_metadata(struct bt_torrent *s)
{
	struct meta_fetch *f = s->mf;

	for (size_t i = 0; i < s->nconns; i++) {
		struct peer *q = s->conns[i];
		for (uint32_t k = 0; k < f->npieces && !q->dead; k++)
			if (f->from[k] == q->serial)
				peer_kill(q, "bad metadata");
	}
	meta_fetch_free(s);
}

/* Wrap the verified info dictionary as a .torrent and hand it on. */
static void
finish(struct bt_torrent *s)
{
	struct meta_fetch *f = s->mf;
	uint8_t h[20];
	struct bt_buf b;
	struct bt_bw w;

	bt_sha1(f->buf, f->size, h);
	if (memcmp(h, s->info_hash, 20) != 0) {
		tor_say(s, 'W', "metadata from peers failed its hash - fetching again");
		bad_metadata(s);
		return;
	}
	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	if (s->nmtr) {
		bt_bw_key(&w, "announce");
		bt_bw_strs(&w, s->mtr[0]);
	}
	if (s->nmtr > 1) {
		bt_bw_key(&w, "announce-list");
		bt_bw_list(&w);
		bt_bw_list(&w);
		for (size_t i = 0; i < s->nmtr; i++)
			bt_bw_strs(&w, s->mtr[i]);
		bt_bw_end(&w);
		bt_bw_end(&w);
	}
	bt_bw_key(&w, "info");
	bt_bw_raw(&w, f->buf, f->size);
	if (s->nmws) {
		bt_bw_key(&w, "url-list");
		bt_bw_list(&w);
		for (size_t i = 0; i < s->nmws; i++)
			bt_bw_strs(&w, s->mws[i]);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	meta_fetch_free(s);
	if (bt_bw_finish(&w) == 0)
		nometa_deliver(s, b.p, b.len);
	else
		tor_fail(s, BT_E_NOMEM, "metadata");
	bt_buf_free(&b);
}

/* A data message: the piece we asked p for. */
static int
got_data(struct peer *p, int64_t piece, int64_t total, const uint8_t *data, size_t n)
{
	struct bt_torrent *s = p->s;
	struct meta_peer *mp = mp_of(p);
	struct meta_fetch *f = s->mf;

	if (!tor_fetching(s) || !f || !mp || mp->want < 0 || piece != mp->want)
		return 0;	/* not asked for (or late): ignored */
	if ((total >= 0 && total != f->size) || n != piece_len(f->size, (uint32_t)piece)) {
		peer_kill(p, "wrong metadata piece size");
		return 0;
	}
	mp->want = -1;
	if (!f->got[piece]) {
		memcpy(f->buf + (size_t)piece * META_PIECE, data, n);
		f->got[piece] = 1;
		f->from[piece] = p->serial;
		f->ngot++;
	}
	if (f->ngot == f->npieces)
		finish(s);	/* the last thing: s may have its metadata now */
	else
		ask_next(p);
	return 0;
}

static int
handle(struct peer *p, const uint8_t *m, size_t n)
{
	struct bt_utmeta_msg um;
	struct meta_peer *mp = mp_of(p);
	int64_t type, piece, total;
	size_t hl;

	if (bt_utmeta_parse(&um, m, n) < 0)
		return -1;
	type = um.type;
	piece = um.piece;
	total = um.total;
	hl = um.head_len;
	if (piece < 0 || piece > (int64_t)(META_MAX_SIZE / META_PIECE))
		return type == MT_REQUEST || type == MT_DATA ? -1 : 0;
	switch (type) {
	case MT_REQUEST:
		serve(p, piece);
		return 0;
	case MT_DATA:
		return got_data(p, piece, total, m + hl, n - hl);
	case MT_REJECT:
		if (mp && mp->want == piece) {
			mp->want = -1;
			if (++mp->rejects >= META_REJECTS)
				mp->size = -1;	/* it will not give it */
			if (p->s->mf && piece < p->s->mf->npieces)
				p->s->mf->asked_ms[piece] = 0;
		}
		return 0;
	default:
		return 0;
	}
}

static void
tick(struct peer *p, uint64_t now)
{
	struct meta_peer *mp = mp_of(p);

	if (!mp)
		return;
	if (mp->want >= 0 && now - mp->asked_ms > META_WAIT_MS) {
		mp->want = -1;	/* no answer: asked no more */
		mp->size = -1;
	}
	ask_next(p);
}

/* The peer goes: its state, and what nometa.c kept for it. */
static void
bye(struct peer *p)
{
	free(p->ext_data[EXT_METADATA]);
	p->ext_data[EXT_METADATA] = NULL;
	free(p->pre_bits);
	p->pre_bits = NULL;
}

const struct ext ext_metadata = {
	.name = "ut_metadata",
	.advertise = advertise,
	.hello = hello,
	.handle = handle,
	.tick = tick,
	.bye = bye,
};
