/* reactor.c - see reactor.h */
#define _GNU_SOURCE	/* pipe2() */
#include "reactor.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Signal numbers we handle: 1 .. NSIGS-1 (Linux has 64 plus 0). */
#define NSIGS 65
/* Events taken from epoll_wait() per pass; more wait for the next pass. */
#define EPOLL_BATCH 512

struct watch {
	bt_io_fn *fn;		/* NULL: deleted during this pass */
	void *ud;
	uint32_t gen;		/* epoll: tells a re-added fd from the old watch */
};

enum { T_FREE, T_ARMED, T_RUNNING, T_RUNNING_DEL };

struct tmr {
	bt_timer_fn *fn;
	void *ud;
	uint32_t gen;		/* bumped when the slot is freed */
	uint32_t pos;		/* heap position (armed) or next free slot */
	uint8_t state;
};

struct hent {
	uint64_t when;		/* due time, monotonic ms */
	uint64_t seq;		/* arming order: ties fire first-armed first */
	uint32_t slot;
};

struct sigent {
	bt_signal_fn *fn;
	void *ud;
	struct sigaction old;
};

struct bt_loop {
	/* fd watches: pfd[i] and w[i] describe slot i; idx[fd] = slot + 1 */
	struct pollfd *pfd;
	struct watch *w;
	uint32_t *dead;		/* slots deleted during the pass */
	uint32_t n, cap, ndead;
	uint32_t nlive;		/* watches, the signal pipe included */
	uint32_t max;		/* most user watches */
	int32_t *idx;
	uint32_t idx_cap;
	uint32_t npolled;	/* slots handed to poll() this pass */
	int in_pass;		/* dispatching fd events */
	int epfd;		/* epoll backend, or -1 for poll() */
	uint32_t gen;		/* next watch generation (epoll) */
	struct epoll_event *evs;
	int running;		/* inside bt_loop_run_once */
	int stop;

	uint64_t now_ms;
	uint64_t skew_ms;	/* bt_loop_advance's, added to the clock */
	time_t wall;

	struct tmr *t;
	uint32_t t_cap, t_free;	/* t_free: first free slot + 1, 0 = none */
	uint32_t t_used;
	struct hent *heap;
	uint32_t nheap, heap_cap;
	uint64_t seq;

	struct sigent *sig;	/* NSIGS entries, allocated on first use */
	int sig_rfd, sig_wfd;
};

/* Per-signal state shared with the handler.  wfd holds fd + 1 (0 = none). */
static volatile sig_atomic_t sig_pending[NSIGS];
static volatile sig_atomic_t sig_wfd[NSIGS];
static struct bt_loop *sig_owner[NSIGS];

/* ---- time ---- */

void
bt_loop_update_time(struct bt_loop *loop)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		loop->now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u +
			loop->skew_ms;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		loop->wall = ts.tv_sec;
}

uint64_t
bt_loop_now_ms(const struct bt_loop *loop)
{
	return loop->now_ms;
}

time_t
bt_loop_wall(const struct bt_loop *loop)
{
	return loop->wall;
}

void
bt_loop_advance(struct bt_loop *loop, uint64_t ms)
{
	loop->skew_ms += ms;
	loop->now_ms += ms;
}

int64_t
bt_loop_next_timer_ms(const struct bt_loop *loop)
{
	if (!loop->nheap)
		return -1;
	return loop->heap[0].when <= loop->now_ms ? 0 :
		(int64_t)(loop->heap[0].when - loop->now_ms);
}

/* ---- loop ---- */

struct bt_loop *
bt_loop_new_ex(unsigned max_fds, unsigned flags)
{
	struct bt_loop *loop;

	if (max_fds == 0 || max_fds > BT_LOOP_FD_LIMIT)
		return NULL;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->max = max_fds;
	loop->sig_rfd = loop->sig_wfd = -1;
	loop->epfd = -1;
	if (flags & BT_LOOP_EPOLL) {
		loop->evs = calloc(EPOLL_BATCH, sizeof(*loop->evs));
		loop->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (!loop->evs || loop->epfd < 0) {
			bt_loop_free(loop);
			return NULL;
		}
	}
	bt_loop_update_time(loop);
	return loop;
}

struct bt_loop *
bt_loop_new(unsigned max_fds)
{
	return bt_loop_new_ex(max_fds, 0);
}

const char *
bt_loop_backend(const struct bt_loop *loop)
{
	return loop->epfd >= 0 ? "epoll" : "poll";
}

static void signal_release(struct bt_loop *loop, int signo);

void
bt_loop_free(struct bt_loop *loop)
{
	if (!loop)
		return;
	if (loop->sig) {
		for (int s = 1; s < NSIGS; s++)
			if (sig_owner[s] == loop)
				signal_release(loop, s);
		free(loop->sig);
	}
	if (loop->sig_rfd >= 0)
		close(loop->sig_rfd);
	if (loop->sig_wfd >= 0)
		close(loop->sig_wfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->evs);
	free(loop->pfd);
	free(loop->w);
	free(loop->dead);
	free(loop->idx);
	free(loop->t);
	free(loop->heap);
	free(loop);
}

void
bt_loop_stop(struct bt_loop *loop)
{
	loop->stop = 1;
}

/* ---- fd watches ---- */

static short
ev_to_poll(unsigned ev)
{
	short e = 0;

	if (ev & BT_EV_READ)
		e |= POLLIN;
	if (ev & BT_EV_WRITE)
		e |= POLLOUT;
	return e;
}

static unsigned
poll_to_ev(short re)
{
	unsigned ev = 0;

	if (re & (POLLIN | POLLPRI))
		ev |= BT_EV_READ;
	if (re & POLLOUT)
		ev |= BT_EV_WRITE;
	if (re & (POLLERR | POLLNVAL))
		ev |= BT_EV_ERR;
	if (re & POLLHUP)
		ev |= BT_EV_HUP;
	return ev;
}

static uint32_t
ev_to_epoll(unsigned ev)
{
	uint32_t e = 0;

	if (ev & BT_EV_READ)
		e |= EPOLLIN;
	if (ev & BT_EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

static unsigned
epoll_to_ev(uint32_t re)
{
	unsigned ev = 0;

	if (re & (EPOLLIN | EPOLLPRI))
		ev |= BT_EV_READ;
	if (re & EPOLLOUT)
		ev |= BT_EV_WRITE;
	if (re & EPOLLERR)
		ev |= BT_EV_ERR;
	if (re & EPOLLHUP)
		ev |= BT_EV_HUP;
	return ev;
}

/* epoll_ctl() for slot s. */
static int
ep_ctl(struct bt_loop *loop, int op, uint32_t s)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev_to_epoll(poll_to_ev(loop->pfd[s].events));
	e.data.u64 = (uint64_t)loop->w[s].gen << 32 | (uint32_t)loop->pfd[s].fd;
	return epoll_ctl(loop->epfd, op, loop->pfd[s].fd, &e);
}

static int
slot_of(const struct bt_loop *loop, int fd)
{
	if (fd < 0 || (uint32_t)fd >= loop->idx_cap)
		return -1;
	return loop->idx[fd] - 1;
}

static int
grow_idx(struct bt_loop *loop, int fd)
{
	uint32_t want = (uint32_t)fd + 1, cap = loop->idx_cap;
	int32_t *p;

	if (want <= cap)
		return 0;
	cap = cap ? cap : 64;
	while (cap < want)
		cap *= 2;
	if (cap > BT_LOOP_FD_LIMIT)
		cap = BT_LOOP_FD_LIMIT;
	p = realloc(loop->idx, (size_t)cap * sizeof(*p));
	if (!p)
		return BT_E_NOMEM;
	memset(p + loop->idx_cap, 0, (size_t)(cap - loop->idx_cap) * sizeof(*p));
	loop->idx = p;
	loop->idx_cap = cap;
	return 0;
}

static int
grow_slots(struct bt_loop *loop)
{
	uint32_t cap;
	void *p;

	if (loop->n < loop->cap)
		return 0;
	/* Live watches are at most max + 1; during a pass at most that many
	 * more dead slots wait for compaction. */
	if (loop->cap >= 2 * (loop->max + 1))
		return BT_E_LIMIT;
	cap = loop->cap ? loop->cap * 2 : 16;
	if (cap > 2 * (loop->max + 1))
		cap = 2 * (loop->max + 1);
	p = realloc(loop->pfd, (size_t)cap * sizeof(*loop->pfd));
	if (!p)
		return BT_E_NOMEM;
	loop->pfd = p;
	p = realloc(loop->w, (size_t)cap * sizeof(*loop->w));
	if (!p)
		return BT_E_NOMEM;
	loop->w = p;
	p = realloc(loop->dead, (size_t)cap * sizeof(*loop->dead));
	if (!p)
		return BT_E_NOMEM;
	loop->dead = p;
	loop->cap = cap;
	return 0;
}

static int
io_add(struct bt_loop *loop, int fd, unsigned ev, bt_io_fn *fn, void *ud,
	int internal)
{
	uint32_t s;
	int rc;

	if (fd < 0 || fd >= BT_LOOP_FD_LIMIT || !fn)
		return BT_E_INVAL;
	if (slot_of(loop, fd) >= 0)
		return BT_E_EXIST;
	if (!internal && bt_io_count(loop) >= loop->max)
		return BT_E_LIMIT;
	if ((rc = grow_idx(loop, fd)) < 0 || (rc = grow_slots(loop)) < 0)
		return rc;
	s = loop->n++;
	loop->pfd[s].fd = fd;
	loop->pfd[s].events = ev_to_poll(ev);
	loop->pfd[s].revents = 0;	/* never dispatched in the current pass */
	loop->w[s].fn = fn;
	loop->w[s].ud = ud;
	loop->w[s].gen = loop->gen++;
	if (loop->epfd >= 0 && ep_ctl(loop, EPOLL_CTL_ADD, s) < 0) {
		loop->n--;
		return errno == EPERM ? BT_E_UNSUPPORTED : BT_E_IO;
	}
	loop->idx[fd] = (int32_t)s + 1;
	loop->nlive++;
	return 0;
}

int
bt_io_add(struct bt_loop *loop, int fd, unsigned ev, bt_io_fn *fn, void *ud)
{
	return io_add(loop, fd, ev, fn, ud, 0);
}

int
bt_io_set(struct bt_loop *loop, int fd, unsigned ev)
{
	int s = slot_of(loop, fd);
	short old;

	if (s < 0)
		return BT_E_NOENT;
	old = loop->pfd[s].events;
	loop->pfd[s].events = ev_to_poll(ev);
	if (loop->epfd >= 0 && old != loop->pfd[s].events &&
		ep_ctl(loop, EPOLL_CTL_MOD, (uint32_t)s) < 0) {
		loop->pfd[s].events = old;
		return BT_E_IO;
	}
	return 0;
}

int
bt_io_get(const struct bt_loop *loop, int fd)
{
	int s = slot_of(loop, fd);

	return s < 0 ? BT_E_NOENT : (int)poll_to_ev(loop->pfd[s].events);
}

unsigned
bt_io_count(const struct bt_loop *loop)
{
	return loop->nlive - (loop->sig_rfd >= 0);
}

/* Move the last slot into slot s (which is gone) and shrink. */
static void
swap_last(struct bt_loop *loop, uint32_t s)
{
	uint32_t last = --loop->n;

	if (s != last) {
		loop->pfd[s] = loop->pfd[last];
		loop->w[s] = loop->w[last];
		loop->idx[loop->pfd[s].fd] = (int32_t)s + 1;
	}
}

int
bt_io_del(struct bt_loop *loop, int fd)
{
	int s = slot_of(loop, fd);

	if (s < 0)
		return BT_E_NOENT;
	if (loop->epfd >= 0) {
		int e = errno;
		/* Fails only if fd was closed already: nothing to undo. */
		ep_ctl(loop, EPOLL_CTL_DEL, (uint32_t)s);
		errno = e;
	}
	loop->idx[fd] = 0;
	loop->nlive--;
	if (loop->in_pass && (uint32_t)s < loop->npolled) {
		/* The pass may still look at this slot: only mark it. */
		loop->w[s].fn = NULL;
		loop->pfd[s].fd = -1;
		loop->dead[loop->ndead++] = (uint32_t)s;
	} else {
		/* Slots past npolled are always live, so the last one can
		 * move down safely even during a pass. */
		swap_last(loop, (uint32_t)s);
	}
	return 0;
}

/* Remove the slots marked during the pass. */
static void
compact(struct bt_loop *loop)
{
	for (uint32_t i = 0; i < loop->ndead; i++) {
		uint32_t s = loop->dead[i];

		while (loop->n > 0 && !loop->w[loop->n - 1].fn)
			loop->n--;
		if (s >= loop->n)
			continue;	/* already dropped off the end */
		swap_last(loop, s);
	}
	loop->ndead = 0;
}

/* ---- timers: a min-heap of (when, seq) ---- */

static int
hless(const struct hent *a, const struct hent *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
hset(struct bt_loop *loop, uint32_t i, struct hent e)
{
	loop->heap[i] = e;
	loop->t[e.slot].pos = i;
}

static void
sift_up(struct bt_loop *loop, uint32_t i)
{
	struct hent e = loop->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!hless(&e, &loop->heap[p]))
			break;
		hset(loop, i, loop->heap[p]);
		i = p;
	}
	hset(loop, i, e);
}

static void
sift_down(struct bt_loop *loop, uint32_t i)
{
	struct hent e = loop->heap[i];
	uint32_t n = loop->nheap;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hless(&loop->heap[c + 1], &loop->heap[c]))
			c++;
		if (!hless(&loop->heap[c], &e))
			break;
		hset(loop, i, loop->heap[c]);
		i = c;
	}
	hset(loop, i, e);
}

static void
heap_remove(struct bt_loop *loop, uint32_t i)
{
	uint32_t last = --loop->nheap;

	if (i == last)
		return;
	hset(loop, i, loop->heap[last]);
	if (i > 0 && hless(&loop->heap[i], &loop->heap[(i - 1) / 2]))
		sift_up(loop, i);
	else
		sift_down(loop, i);
}

/* Room for one more entry is reserved when the slot is allocated. */
static void
heap_push(struct bt_loop *loop, uint32_t slot, uint64_t delay)
{
	struct hent e;

	e.when = delay >= UINT64_MAX - 1 - loop->now_ms ? UINT64_MAX - 1 :
		loop->now_ms + delay;
	e.seq = loop->seq++;
	e.slot = slot;
	loop->t[slot].state = T_ARMED;
	loop->heap[loop->nheap++] = e;
	sift_up(loop, loop->nheap - 1);
}

static uint64_t
mkid(uint32_t slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)(slot + 1);
}

static void
tmr_release(struct bt_loop *loop, uint32_t s)
{
	struct tmr *t = &loop->t[s];

	t->state = T_FREE;
	t->fn = NULL;
	t->ud = NULL;
	t->gen++;
	t->pos = loop->t_free;
	loop->t_free = s + 1;
	loop->t_used--;
}

uint64_t
bt_timer_add(struct bt_loop *loop, uint64_t delay_ms, bt_timer_fn *fn, void *ud)
{
	uint32_t s;

	if (!fn || delay_ms == BT_TIMER_STOP || loop->t_used >= BT_LOOP_TIMERS_MAX)
		return 0;
	if (!loop->t_free) {
		uint32_t cap = loop->t_cap ? loop->t_cap * 2 : 16, i;
		struct tmr *t;
		struct hent *h;

		if (cap > BT_LOOP_TIMERS_MAX)
			cap = BT_LOOP_TIMERS_MAX;
		t = realloc(loop->t, (size_t)cap * sizeof(*t));
		if (!t)
			return 0;
		loop->t = t;
		h = realloc(loop->heap, (size_t)cap * sizeof(*h));
		if (!h)
			return 0;
		loop->heap = h;
		loop->heap_cap = cap;
		for (i = cap; i-- > loop->t_cap;) {
			t[i].state = T_FREE;
			t[i].gen = 1;	/* ids are never 0 anyway: slot + 1 */
			t[i].fn = NULL;
			t[i].ud = NULL;
			t[i].pos = loop->t_free;
			loop->t_free = i + 1;
		}
		loop->t_cap = cap;
	}
	s = loop->t_free - 1;
	loop->t_free = loop->t[s].pos;
	loop->t_used++;
	loop->t[s].fn = fn;
	loop->t[s].ud = ud;
	heap_push(loop, s, delay_ms);
	return mkid(s, loop->t[s].gen);
}

int
bt_timer_del(struct bt_loop *loop, uint64_t id)
{
	uint32_t s = (uint32_t)id - 1, gen = (uint32_t)(id >> 32);
	struct tmr *t;

	if ((uint32_t)id == 0 || s >= loop->t_cap)
		return BT_E_NOENT;
	t = &loop->t[s];
	if (t->gen != gen)
		return BT_E_NOENT;
	switch (t->state) {
	case T_ARMED:
		heap_remove(loop, t->pos);
		tmr_release(loop, s);
		return 0;
	case T_RUNNING:
		t->state = T_RUNNING_DEL;	/* freed when its callback returns */
		return 0;
	}
	return BT_E_NOENT;
}

unsigned
bt_timer_count(const struct bt_loop *loop)
{
	return loop->t_used;
}

/* Fire what is due.  Timers (re-)armed during this pass get a seq at or
 * past `limit`, so even a delay of 0 waits for the next pass. */
static int
run_timers(struct bt_loop *loop)
{
	uint64_t limit = loop->seq;
	int calls = 0;

	while (loop->nheap && loop->heap[0].when <= loop->now_ms &&
		loop->heap[0].seq < limit) {
		uint32_t s = loop->heap[0].slot;
		struct tmr *t = &loop->t[s];
		bt_timer_fn *fn = t->fn;
		void *ud = t->ud;
		uint64_t next;

		heap_remove(loop, 0);
		t->state = T_RUNNING;
		next = fn(loop, mkid(s, t->gen), ud);
		calls++;
		t = &loop->t[s];	/* the array may have moved */
		if (t->state == T_RUNNING_DEL || next == BT_TIMER_STOP)
			tmr_release(loop, s);
		else
			heap_push(loop, s, next);
	}
	return calls;
}

/* ---- one pass ---- */

static int
poll_timeout(const struct bt_loop *loop, int max_wait_ms)
{
	int timeout = max_wait_ms < 0 ? -1 : max_wait_ms;

	if (loop->nheap) {
		uint64_t when = loop->heap[0].when, d;

		d = when <= loop->now_ms ? 0 : when - loop->now_ms;
		if (d > INT_MAX)
			d = INT_MAX;
		if (timeout < 0 || d < (uint64_t)timeout)
			timeout = (int)d;
	}
	return timeout;
}

/* poll(): walk the slots poll() saw.  Deleting marks slots (compacted
 * afterwards); adding appends past npolled, out of this pass's reach. */
static int
pass_poll(struct bt_loop *loop, int timeout)
{
	int nready = poll(loop->pfd, loop->n, timeout), calls = 0;

	if (nready < 0) {
		if (errno != EINTR)
			return BT_E_IO;
		nready = 0;
	}
	bt_loop_update_time(loop);
	loop->npolled = loop->n;
	loop->in_pass = 1;
	for (uint32_t i = 0; i < loop->npolled && nready > 0; i++) {
		short re = loop->pfd[i].revents;
		unsigned ev;
		bt_io_fn *fn;

		if (!re)
			continue;
		nready--;
		fn = loop->w[i].fn;
		if (!fn)
			continue;	/* deleted earlier in this pass */
		ev = poll_to_ev(re) &
			(poll_to_ev(loop->pfd[i].events) | BT_EV_ERR | BT_EV_HUP);
		if (!ev)
			continue;	/* interest dropped earlier in this pass */
		fn(loop, loop->pfd[i].fd, ev, loop->w[i].ud);
		calls++;
	}
	loop->in_pass = 0;
	loop->npolled = 0;
	if (loop->ndead)
		compact(loop);
	return calls;
}

/* epoll: events name (generation, fd); a deleted watch has no slot and a
 * re-added one a new generation, so stale events are dropped.  Deleting
 * needs no marking: nothing walks the slots. */
static int
pass_epoll(struct bt_loop *loop, int timeout)
{
	int nready = epoll_wait(loop->epfd, loop->evs, EPOLL_BATCH, timeout), calls = 0;

	if (nready < 0) {
		if (errno != EINTR)
			return BT_E_IO;
		nready = 0;
	}
	bt_loop_update_time(loop);
	loop->in_pass = 1;
	for (int i = 0; i < nready; i++) {
		uint64_t d = loop->evs[i].data.u64;
		int fd = (int)(uint32_t)d, s = slot_of(loop, fd);
		unsigned ev;

		if (s < 0 || loop->w[s].gen != (uint32_t)(d >> 32))
			continue;	/* deleted, or re-added, in this pass */
		ev = epoll_to_ev(loop->evs[i].events) &
			(poll_to_ev(loop->pfd[s].events) | BT_EV_ERR | BT_EV_HUP);
		if (!ev)
			continue;
		loop->w[s].fn(loop, fd, ev, loop->w[s].ud);
		calls++;
	}
	loop->in_pass = 0;
	return calls;
}

int
bt_loop_run_once(struct bt_loop *loop, int max_wait_ms)
{
	int calls, timeout;

	if (loop->running)
		return BT_E_INVAL;
	loop->running = 1;
	bt_loop_update_time(loop);
	timeout = poll_timeout(loop, max_wait_ms);
	calls = loop->epfd >= 0 ? pass_epoll(loop, timeout) : pass_poll(loop, timeout);
	if (calls < 0) {
		loop->running = 0;
		return calls;
	}
	calls += run_timers(loop);
	loop->running = 0;
	return calls;
}

int
bt_loop_run(struct bt_loop *loop)
{
	if (loop->running)
		return BT_E_INVAL;
	loop->stop = 0;
	while (!loop->stop) {
		int rc = bt_loop_run_once(loop, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- signals ---- */

static void
on_signal(int signo)
{
	int saved = errno;

	if (signo > 0 && signo < NSIGS) {
		int fd = sig_wfd[signo] - 1;

		sig_pending[signo] = 1;
		if (fd >= 0) {
			char c = (char)signo;
			/* A full pipe already holds a wake-up: ignore. */
			if (write(fd, &c, 1) < 0)
				(void)0;
		}
	}
	errno = saved;
}

static void
on_sigpipe_read(struct bt_loop *loop, int fd, unsigned revents, void *ud)
{
	char junk[256];

	(void)revents;
	(void)ud;
	/* Drain: bounded, the pipe is non-blocking. */
	for (int i = 0; i < 64 && read(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk); i++)
		;
	for (int s = 1; s < NSIGS; s++) {
		if (sig_owner[s] != loop || !sig_pending[s])
			continue;
		sig_pending[s] = 0;
		if (loop->sig[s].fn)
			loop->sig[s].fn(loop, s, loop->sig[s].ud);
	}
}

static int
sigpipe_open(struct bt_loop *loop)
{
	int p[2], rc;

	if (loop->sig_rfd >= 0)
		return 0;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return BT_E_IO;
	if (p[0] >= BT_LOOP_FD_LIMIT) {
		close(p[0]);
		close(p[1]);
		return BT_E_LIMIT;
	}
	rc = io_add(loop, p[0], BT_EV_READ, on_sigpipe_read, NULL, 1);
	if (rc < 0) {
		close(p[0]);
		close(p[1]);
		return rc;
	}
	loop->sig_rfd = p[0];
	loop->sig_wfd = p[1];
	return 0;
}

static void
signal_release(struct bt_loop *loop, int signo)
{
	sigaction(signo, &loop->sig[signo].old, NULL);
	sig_wfd[signo] = 0;
	sig_pending[signo] = 0;
	sig_owner[signo] = NULL;
	loop->sig[signo].fn = NULL;
	loop->sig[signo].ud = NULL;
}

int
bt_loop_signal(struct bt_loop *loop, int signo, bt_signal_fn *fn, void *ud)
{
	struct sigaction sa;
	int rc;

	if (signo <= 0 || signo >= NSIGS || signo == SIGKILL || signo == SIGSTOP)
		return BT_E_INVAL;
	if (sig_owner[signo] && sig_owner[signo] != loop)
		return BT_E_EXIST;
	if (!fn) {
		if (sig_owner[signo] != loop)
			return BT_E_NOENT;
		signal_release(loop, signo);
		return 0;
	}
	if (!loop->sig && !(loop->sig = calloc(NSIGS, sizeof(*loop->sig))))
		return BT_E_NOMEM;
	if ((rc = sigpipe_open(loop)) < 0)
		return rc;
	loop->sig[signo].fn = fn;
	loop->sig[signo].ud = ud;
	if (sig_owner[signo] == loop)
		return 0;	/* just a new callback */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sig_pending[signo] = 0;
	sig_wfd[signo] = loop->sig_wfd + 1;
	if (sigaction(signo, &sa, &loop->sig[signo].old) < 0) {
		int e = errno;
		sig_wfd[signo] = 0;
		loop->sig[signo].fn = NULL;
		errno = e;
		return BT_E_IO;
	}
	sig_owner[signo] = loop;
	return 0;
}
