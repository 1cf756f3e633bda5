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
#include <time.h>
#include <unistd.h>

#define CHUNK		(BT_PHASH_SCRATCH / 2)	/* bytes read per piece per step */
#define PROGRESS_BYTES	(4u << 20)	/* progress calls at most this often */
/* A pool's thread waiting for the next run, or the caller waiting for the
 * helpers to finish one, spins this long before it sleeps: a check's runs
 * follow each other a loop pass apart, and a helper that slept (or was
 * just started) may be woken on the busy CPU it shares with the caller or
 * another process, where it waits for the scheduler to move it - measured
 * 2-3 ms a run on a 2-CPU machine with one CPU busy. */
#define SPIN_NS		1000000

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
	size_t chunk;		/* bytes read per piece per step */
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
	struct bt_phash_pool *pool;
	unsigned id;
	unsigned seen;		/* a helper's start: the pool's gen then */
	uint8_t *buf;		/* 2 chunks of the run */
	size_t cap;		/* its bytes */
	pthread_t tid;
};

/* The caller is worker 0; workers 1 .. started - 1 are helper threads,
 * started when a run first has work for them.  They wait for gen to
 * change, and those below active work on the run and count busy down. */
struct bt_phash_pool {
	unsigned threads, started;
	unsigned active;	/* workers in the current run, under lock */
	struct worker *w;	/* threads, each buf sized by the runs it is in */
	pthread_mutex_t lock;
	pthread_cond_t go, idle;
	atomic_uint gen;	/* changed under lock, for each run and to quit */
	atomic_uint busy;	/* helpers still in the current run */
	int quit;		/* under lock */
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
	uint8_t *buf[2] = { w->buf, w->buf + r->chunk };
	size_t len[2];
	int i, rc;

	while (s[0].on || s[1].on) {
		for (i = 0; i < 2; i++) {
			len[i] = 0;
			if (!s[i].on)
				continue;
			len[i] = s[i].end - s[i].pos < (int64_t)r->chunk ?
				(size_t)(s[i].end - s[i].pos) : r->chunk;
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

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && __ARM_ARCH >= 7)
	__asm__ volatile("yield");
#endif
}

/* Whether (*a == v) == eq: the condition waited on. */
static int
holds(atomic_uint *a, unsigned v, int eq)
{
	return (atomic_load(a) == v) == eq;
}

/* Wait while (*a == v) == eq: spin up to SPIN_NS, then sleep on c, which
 * is signalled under the pool's lock after *a changes. */
static void
wait_while(struct bt_phash_pool *p, atomic_uint *a, unsigned v, int eq, pthread_cond_t *c)
{
	uint64_t t0 = 0;

	for (unsigned i = 1; holds(a, v, eq); i++) {
		if (i % 64 == 0) {
			uint64_t t = now_ns();
			if (!t0)
				t0 = t;
			else if (t - t0 > SPIN_NS)
				break;
		}
		cpu_relax();
	}
	pthread_mutex_lock(&p->lock);
	while (holds(a, v, eq))
		pthread_cond_wait(c, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void *
helper(void *arg)
{
	struct worker *w = arg;
	struct bt_phash_pool *p = w->pool;
	unsigned seen = w->seen;
	int quit, in;

	for (;;) {
		wait_while(p, &p->gen, seen, 1, &p->go);
		/* gen, active and quit change together under the lock: read
		 * together, they say once which run this is and whether it is
		 * ours (a helper started while the pool's gen was past 0 must
		 * not take the run it joins for two). */
		pthread_mutex_lock(&p->lock);
		seen = atomic_load(&p->gen);
		quit = p->quit;
		in = w->id < p->active;
		pthread_mutex_unlock(&p->lock);
		if (quit)
			return NULL;
		if (!in)
			continue;
		work(w);
		if (atomic_fetch_sub(&p->busy, 1) == 1) {
			pthread_mutex_lock(&p->lock);
			pthread_cond_signal(&p->idle);
			pthread_mutex_unlock(&p->lock);
		}
	}
}

struct bt_phash_pool *
bt_phash_pool_new(unsigned threads)
{
	struct bt_phash_pool *p = calloc(1, sizeof(*p));

	threads = threads < 1 ? 1 : threads > BT_PHASH_MAX_THREADS ?
		BT_PHASH_MAX_THREADS : threads;
	if (!p || !(p->w = calloc(threads, sizeof(*p->w)))) {
		free(p);
		return NULL;
	}
	p->threads = threads;
	p->started = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->idle, NULL);
	atomic_init(&p->gen, 0);
	atomic_init(&p->busy, 0);
	for (unsigned k = 0; k < threads; k++) {
		p->w[k].pool = p;
		p->w[k].id = k;
	}
	return p;
}

/* Start helpers up to want workers in all. */
static void
start_helpers(struct bt_phash_pool *p, unsigned want)
{
	sigset_t all, old;

	if (p->started >= want)
		return;
	/* The helpers take no signals: those stay with the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (p->started < want) {
		struct worker *w = &p->w[p->started];
		w->seen = atomic_load(&p->gen);	/* runs before now are not its */
		if (pthread_create(&w->tid, NULL, helper, w) != 0)
			break;	/* fewer threads is still correct */
		p->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
bt_phash_pool_free(struct bt_phash_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	atomic_fetch_add(&p->gen, 1);
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	for (unsigned k = 1; k < p->started; k++)
		pthread_join(p->w[k].tid, NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
	for (unsigned k = 0; k < p->threads; k++)
		free(p->w[k].buf);
	free(p->w);
	free(p);
}

/* Make w's buffer hold need bytes: buffers follow the piece size (a
 * small torrent's check holds a few KiB, not BT_PHASH_SCRATCH a thread).
 * Between runs, when no thread reads it.  0 when out of memory. */
static int
fit_buf(struct worker *w, size_t need)
{
	if (w->cap >= need)
		return 1;
	free(w->buf);
	w->buf = malloc(need);
	w->cap = w->buf ? need : 0;
	return w->buf != NULL;
}

/* Run r to its end on the caller's thread and helpers, one thread per
 * pair of pieces at most: a run of a pair or two wakes no one (a small
 * torrent's check never starts a thread). */
static void
pool_run(struct bt_phash_pool *p, struct run *r)
{
	size_t pairs = (r->n + 1) / 2;
	unsigned want = p->threads;

	if (pairs < want)
		want = pairs ? (unsigned)pairs : 1;
	r->chunk = r->h->plen < CHUNK ? (size_t)r->h->plen : CHUNK;

	start_helpers(p, want);
	if (want > p->started)
		want = p->started;
	for (unsigned k = 0; k < want; k++)
		if (!fit_buf(&p->w[k], 2 * r->chunk)) {
			if (k == 0) {
				atomic_store(&r->rc, BT_E_NOMEM);
				return;
			}
			want = k;	/* fewer threads is still correct */
		}
	for (unsigned k = 0; k < want; k++)
		p->w[k].r = r;
	if (want > 1) {
		pthread_mutex_lock(&p->lock);
		p->active = want;
		atomic_store(&p->busy, want - 1);
		atomic_fetch_add(&p->gen, 1);
		pthread_cond_broadcast(&p->go);
		pthread_mutex_unlock(&p->lock);
	}
	work(&p->w[0]);
	if (want > 1)
		wait_while(p, &p->busy, 0, 0, &p->idle);
}

int
bt_phash_run(const struct bt_phash *h, uint32_t first, const uint32_t *list,
	size_t n, uint8_t *out, uint8_t *skipped)
{
	struct run r = { .h = h, .first = first, .list = list, .n = n, .out = out,
		.skipped = skipped };
	struct bt_phash_pool *own = NULL, *p;
	int rc;

	if (!h || !h->read || h->plen <= 0 || h->total < 0)
		return BT_E_INVAL;
	if (!(p = h->pool) && !(p = own = bt_phash_pool_new(h->threads)))
		return BT_E_NOMEM;	/* (threads for this run only) */
	atomic_init(&r.next, 0);
	atomic_init(&r.done, 0);
	atomic_init(&r.rc, 0);
	pthread_mutex_init(&r.lock, NULL);
	pool_run(p, &r);
	pthread_mutex_destroy(&r.lock);
	rc = atomic_load(&r.rc);
	if (rc == 0 && h->progress)
		h->progress(h->progress_ud, n, n);
	bt_phash_pool_free(own);
	return rc;
}
