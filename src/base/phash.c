/* phash.c - see phash.h
 *
 * A run is a shared counter of claimed pieces, a count of pieces done and
 * the first failure.  Each thread claims two pieces (two consecutive items
 * of the run), reads both CHUNK bytes at a time into its two buffers and
 * feeds the chunks to bt_sha1_update_x2 when they are the same size (all
 * but the last piece's tail), else one at a time. */
#include "phash.h"
#include "err.h"
#include "sha1.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK		(BT_PHASH_SCRATCH / 2)	/* bytes read per piece per step */
#define PROGRESS_BYTES	(4u << 20)	/* progress calls at most this often */

struct run {
	const struct bt_phash *h;
	uint32_t first;
	const uint32_t *list;
	size_t n;
	uint8_t *out, *skipped;
	atomic_size_t next;	/* next item to claim */
	atomic_size_t done;	/* items hashed */
	atomic_int rc;		/* first failure, 0 while none */
	pthread_mutex_t lock;	/* held around reads when serial */
	size_t reported;	/* done at the last progress call */
};

/* One piece being hashed. */
struct stream {
	size_t k;		/* item of the run */
	int64_t pos, end;	/* next byte to read, end of the piece */
	int on;			/* still reading */
	struct bt_sha1 c;
};

struct worker {
	struct run *r;
	unsigned id;
	uint8_t *buf;		/* 2 * CHUNK */
	pthread_t tid;
};

unsigned
bt_phash_threads(unsigned want)
{
	if (want == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		want = c > 0 ? (unsigned)c : 1;
	}
	return want > BT_PHASH_MAX_THREADS ? BT_PHASH_MAX_THREADS : want;
}

static void
stream_start(struct run *r, struct stream *s, size_t k)
{
	uint32_t p = r->list ? r->list[k] : r->first + (uint32_t)k;

	s->k = k;
	s->pos = (int64_t)p * r->h->plen;
	s->end = r->h->total - s->pos < r->h->plen ? r->h->total : s->pos + r->h->plen;
	s->on = 1;
	bt_sha1_init(&s->c);
	if (r->skipped)
		r->skipped[k] = 0;
}

static int
read_chunk(struct worker *w, int64_t pos, uint8_t *buf, size_t n)
{
	const struct bt_phash *h = w->r->h;
	int rc;

	if (h->serial)
		pthread_mutex_lock(&w->r->lock);
	rc = h->read(h->ud, w->id, pos, buf, n);
	if (h->serial)
		pthread_mutex_unlock(&w->r->lock);
	return rc;
}

/* Read and hash the live streams of s[0..1] to their ends. */
static int
hash_streams(struct worker *w, struct stream *s)
{
	struct run *r = w->r;
	uint8_t *buf[2] = { w->buf, w->buf + CHUNK };
	size_t len[2];
	int i, rc;

	while (s[0].on || s[1].on) {
		for (i = 0; i < 2; i++) {
			len[i] = 0;
			if (!s[i].on)
				continue;
			len[i] = s[i].end - s[i].pos < CHUNK ? (size_t)(s[i].end - s[i].pos) : CHUNK;
			if ((rc = read_chunk(w, s[i].pos, buf[i], len[i])) < 0)
				return rc;
			if (rc > 0) {
				s[i].on = 0;
				if (r->skipped)
					r->skipped[s[i].k] = 1;
			}
		}
		if (s[0].on && s[1].on && len[0] == len[1])
			bt_sha1_update_x2(&s[0].c, &s[1].c, buf[0], buf[1], len[0]);
		else
			for (i = 0; i < 2; i++)
				if (s[i].on)
					bt_sha1_update(&s[i].c, buf[i], len[i]);
		for (i = 0; i < 2; i++) {
			if (!s[i].on)
				continue;
			s[i].pos += (int64_t)len[i];
			if (s[i].pos >= s[i].end) {
				bt_sha1_out(&s[i].c, r->out + 20 * s[i].k);
				s[i].on = 0;
			}
		}
	}
	return 0;
}

static void
report(struct run *r, size_t done)
{
	const struct bt_phash *h = r->h;

	if (!h->progress || (int64_t)(done - r->reported) * h->plen < PROGRESS_BYTES)
		return;
	r->reported = done;
	h->progress(h->progress_ud, done, r->n);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct stream s[2];

	while (!atomic_load(&r->rc)) {
		size_t k = atomic_fetch_add(&r->next, 2);
		if (k >= r->n)
			break;
		stream_start(r, &s[0], k);
		s[1].on = 0;
		if (k + 1 < r->n)
			stream_start(r, &s[1], k + 1);
		int rc = hash_streams(w, s);
		if (rc < 0) {
			int none = 0;
			atomic_compare_exchange_strong(&r->rc, &none, rc);
			break;
		}
		size_t d = atomic_fetch_add(&r->done, k + 1 < r->n ? 2 : 1);
		if (w->id == 0)
			report(r, d + (k + 1 < r->n ? 2 : 1));
	}
	return NULL;
}

int
bt_phash_run(const struct bt_phash *h, uint32_t first, const uint32_t *list,
	size_t n, uint8_t *out, uint8_t *skipped)
{
	struct run r = { .h = h, .first = first, .list = list, .n = n, .out = out,
		.skipped = skipped };
	struct worker *w;
	sigset_t all, old;
	unsigned threads, started = 1, k;
	int rc;

	if (!h || !h->read || h->plen <= 0 || h->total < 0)
		return BT_E_INVAL;
	threads = h->threads ? h->threads : 1;
	if (threads > BT_PHASH_MAX_THREADS)
		threads = BT_PHASH_MAX_THREADS;
	if (threads > (n + 1) / 2)
		threads = n > 1 ? (unsigned)((n + 1) / 2) : 1;
	if (!(w = calloc(threads, sizeof(*w))))
		return BT_E_NOMEM;
	for (k = 0; k < threads; k++) {
		w[k].r = &r;
		w[k].id = k;
		w[k].buf = h->scratch ? h->scratch + (size_t)k * BT_PHASH_SCRATCH :
			malloc(BT_PHASH_SCRATCH);
		if (!w[k].buf) {
			rc = BT_E_NOMEM;
			goto out;
		}
	}
	atomic_init(&r.next, 0);
	atomic_init(&r.done, 0);
	atomic_init(&r.rc, 0);
	pthread_mutex_init(&r.lock, NULL);
	/* The helpers take no signals: those stay with the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (k = 1; k < threads; k++) {
		if (pthread_create(&w[k].tid, NULL, work, &w[k]) != 0)
			break;	/* fewer threads is still correct */
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	work(&w[0]);
	for (k = 1; k < started; k++)
		pthread_join(w[k].tid, NULL);
	pthread_mutex_destroy(&r.lock);
	rc = atomic_load(&r.rc);
	if (rc == 0 && h->progress)
		h->progress(h->progress_ud, n, n);
out:
	for (k = 0; k < threads && !h->scratch; k++)
		free(w[k].buf);
	free(w);
	return rc;
}
