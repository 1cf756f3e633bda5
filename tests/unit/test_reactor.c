/* test_reactor.c - the poll() reactor (watches, deferred deletion, timers,
 * signals, stop) and the socket/address helpers of net.c.  Also carries
 * the idle-timeout pattern for servers (see "idle-timeout pattern").
 *
 * `test_reactor --bench [idle_fds]` instead measures what one pass costs
 * with many idle fds and a few active ones. */
#define _POSIX_C_SOURCE 200809L
#include "reactor.h"
#include "net.h"
#include "err.h"
#include "rand.h"
#include "check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The backend under test (0 = poll, BT_LOOP_EPOLL). */
static unsigned loop_flags;

static struct bt_loop *
new_loop(unsigned max_fds)
{
	return bt_loop_new_ex(max_fds, loop_flags);
}

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint32_t
rng(void)
{
	return (uint32_t)(bt_rand64(&rng_state) >> 32);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
}

/* ---- basic watches ---- */

struct rec {
	int calls;
	int fd;
	unsigned ev;
};

static void
on_rec(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct rec *r = ud;

	(void)loop;
	r->calls++;
	r->fd = fd;
	r->ev = ev;
}

static void
test_watch_basics(void)
{
	struct bt_loop *loop = new_loop(4);
	struct rec r = { 0, -1, 0 }, w = { 0, -1, 0 };
	int sv[2], sv2[2], sv3[2];

	CHECK(loop);
	CHECK(bt_loop_new(0) == NULL);
	CHECK(bt_loop_new_ex(BT_LOOP_FD_LIMIT + 1u, loop_flags) == NULL);
	CHECK(pair(sv) == 0 && pair(sv2) == 0 && pair(sv3) == 0);
	CHECK_INT(bt_io_add(loop, sv[0], BT_EV_READ, on_rec, &r), ==, 0);
	CHECK_INT(bt_io_add(loop, sv[0], BT_EV_READ, on_rec, &r), ==, BT_E_EXIST);
	CHECK_INT(bt_io_add(loop, -1, BT_EV_READ, on_rec, &r), ==, BT_E_INVAL);
	CHECK_INT(bt_io_add(loop, sv[1], BT_EV_READ, NULL, &r), ==, BT_E_INVAL);
	CHECK_INT(bt_io_set(loop, sv2[0], BT_EV_READ), ==, BT_E_NOENT);
	CHECK_INT(bt_io_del(loop, sv2[0]), ==, BT_E_NOENT);
	CHECK_INT(bt_io_get(loop, sv[0]), ==, BT_EV_READ);

	/* Nothing readable: a pass with a 0 wait makes no call. */
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 0);
	CHECK_INT(r.calls, ==, 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK_INT(bt_loop_run_once(loop, 1000), ==, 1);
	CHECK_INT(r.calls, ==, 1);
	CHECK_INT(r.fd, ==, sv[0]);
	CHECK_INT(r.ev, ==, BT_EV_READ);

	/* WRITE interest on the other end fires at once. */
	CHECK_INT(bt_io_add(loop, sv[1], BT_EV_WRITE, on_rec, &w), ==, 0);
	r.calls = 0;
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 2);
	CHECK_INT(w.calls, ==, 1);
	CHECK_INT(w.ev, ==, BT_EV_WRITE);
	CHECK_INT(r.calls, ==, 1);

	/* Interest 0: quiet, still registered. */
	CHECK_INT(bt_io_set(loop, sv[0], 0), ==, 0);
	CHECK_INT(bt_io_set(loop, sv[1], 0), ==, 0);
	CHECK_INT(bt_io_get(loop, sv[0]), ==, 0);
	r.calls = w.calls = 0;
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 0);
	CHECK_INT(bt_io_count(loop), ==, 2);

	/* The limit counts watches. */
	CHECK_INT(bt_io_add(loop, sv2[0], 0, on_rec, &r), ==, 0);
	CHECK_INT(bt_io_add(loop, sv2[1], 0, on_rec, &r), ==, 0);
	CHECK_INT(bt_io_add(loop, sv3[0], 0, on_rec, &r), ==, BT_E_LIMIT);
	CHECK_INT(bt_io_del(loop, sv2[1]), ==, 0);
	CHECK_INT(bt_io_add(loop, sv3[0], 0, on_rec, &r), ==, 0);

	/* Hang-up arrives whatever the interest. */
	CHECK_INT(bt_io_set(loop, sv[0], 0), ==, 0);
	CHECK_INT(bt_io_del(loop, sv[1]), ==, 0);
	close(sv[1]);
	r.calls = 0;
	CHECK_INT(bt_loop_run_once(loop, 1000), ==, 1);
	CHECK_INT(r.calls, ==, 1);
	CHECK(r.ev & BT_EV_HUP);
	CHECK(!(r.ev & BT_EV_READ));

	/* Clocks. */
	{
		uint64_t t0 = bt_loop_now_ms(loop);
		time_t now = time(NULL);
		CHECK(bt_loop_wall(loop) >= now - 2 && bt_loop_wall(loop) <= now + 2);
		CHECK_INT(bt_loop_run_once(loop, 20), ==, 1);	/* still HUP */
		CHECK(bt_loop_now_ms(loop) >= t0);
	}

	bt_loop_free(loop);
	bt_loop_free(NULL);
	close(sv[0]);
	close(sv2[0]);
	close(sv2[1]);
	close(sv3[0]);
	close(sv3[1]);
}

/* ---- deletion and re-adding inside callbacks ---- */

struct two {
	int fd[2];		/* watched fds */
	int calls[2];
	int mode;
	int newfd;		/* fd re-added by mode 2 */
	int new_calls;
};

static void
on_new(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct two *t = ud;

	(void)loop;
	(void)fd;
	(void)ev;
	t->new_calls++;
}

static void
on_two(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct two *t = ud;
	int me = fd == t->fd[0] ? 0 : 1, other = !me;

	(void)ev;
	t->calls[me]++;
	switch (t->mode) {
	case 0:		/* delete myself */
		CHECK_INT(bt_io_del(loop, fd), ==, 0);
		CHECK_INT(bt_io_del(loop, fd), ==, BT_E_NOENT);
		break;
	case 1:		/* delete the other one (later in the pass, or done) */
		bt_io_del(loop, t->fd[other]);
		break;
	case 2:		/* delete the other and re-add its fd number */
		if (bt_io_del(loop, t->fd[other]) == 0)
			CHECK_INT(bt_io_add(loop, t->fd[other], BT_EV_READ, on_new, t), ==, 0);
		break;
	case 3:		/* drop the other's interest */
		bt_io_set(loop, t->fd[other], 0);
		break;
	}
}

static void
test_delete_in_callbacks(void)
{
	int a[2], b[2];
	struct bt_loop *loop;
	struct two t;

	CHECK(pair(a) == 0 && pair(b) == 0);
	CHECK(write(a[1], "x", 1) == 1 && write(b[1], "x", 1) == 1);

	/* Self-deletion: each called once, never again. */
	loop = new_loop(8);
	memset(&t, 0, sizeof(t));
	t.fd[0] = a[0];
	t.fd[1] = b[0];
	t.mode = 0;
	bt_io_add(loop, a[0], BT_EV_READ, on_two, &t);
	bt_io_add(loop, b[0], BT_EV_READ, on_two, &t);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 2);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 0);
	CHECK_INT(t.calls[0], ==, 1);
	CHECK_INT(t.calls[1], ==, 1);
	CHECK_INT(bt_io_count(loop), ==, 0);
	bt_loop_free(loop);

	/* Each deletes the other: exactly one call in the pass. */
	loop = new_loop(8);
	memset(&t, 0, sizeof(t));
	t.fd[0] = a[0];
	t.fd[1] = b[0];
	t.mode = 1;
	bt_io_add(loop, a[0], BT_EV_READ, on_two, &t);
	bt_io_add(loop, b[0], BT_EV_READ, on_two, &t);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(t.calls[0] + t.calls[1], ==, 1);
	CHECK_INT(bt_io_count(loop), ==, 1);
	/* The survivor still works after compaction. */
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(t.calls[0] + t.calls[1], ==, 2);
	bt_loop_free(loop);

	/* Delete + re-add the same fd number in the pass: the new watch does
	 * not get the old watch's events in this pass, only in the next. */
	loop = new_loop(8);
	memset(&t, 0, sizeof(t));
	t.fd[0] = a[0];
	t.fd[1] = b[0];
	t.mode = 2;
	bt_io_add(loop, a[0], BT_EV_READ, on_two, &t);
	bt_io_add(loop, b[0], BT_EV_READ, on_two, &t);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(t.calls[0] + t.calls[1], ==, 1);
	CHECK_INT(t.new_calls, ==, 0);
	CHECK_INT(bt_io_count(loop), ==, 2);
	t.mode = 4;	/* no more changes */
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 2);
	CHECK_INT(t.new_calls, ==, 1);
	bt_loop_free(loop);

	/* Interest dropped by an earlier callback in the same pass. */
	loop = new_loop(8);
	memset(&t, 0, sizeof(t));
	t.fd[0] = a[0];
	t.fd[1] = b[0];
	t.mode = 3;
	bt_io_add(loop, a[0], BT_EV_READ, on_two, &t);
	bt_io_add(loop, b[0], BT_EV_READ, on_two, &t);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(t.calls[0] + t.calls[1], ==, 1);
	bt_loop_free(loop);

	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* The fd number of a readable watch is deleted, closed and reused for a
 * quiet socket within one pass: nothing may be delivered for it. */
struct reuse {
	int victim;		/* readable fd whose number gets reused */
	int quiet;		/* a quiet socket, dup2'd onto victim */
	int victim_calls, new_calls, first;
};

static void
on_reuse_new(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct reuse *r = ud;

	(void)loop;
	(void)fd;
	(void)ev;
	r->new_calls++;
}

static void
on_reuse(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct reuse *r = ud;

	(void)ev;
	if (fd == r->victim) {
		r->victim_calls++;
		return;
	}
	if (r->first++)
		return;
	CHECK_INT(bt_io_del(loop, r->victim), ==, 0);
	CHECK(dup2(r->quiet, r->victim) == r->victim);	/* closes the old one */
	CHECK_INT(bt_io_add(loop, r->victim, BT_EV_READ, on_reuse_new, r), ==, 0);
}

static void
test_fd_reuse_in_pass(void)
{
	int a[2], b[2], q[2];
	struct bt_loop *loop = new_loop(8);
	struct reuse r;

	CHECK(pair(a) == 0 && pair(b) == 0 && pair(q) == 0);
	CHECK(write(a[1], "x", 1) == 1 && write(b[1], "x", 1) == 1);
	memset(&r, 0, sizeof(r));
	r.victim = b[0];
	r.quiet = q[0];
	/* a[0] is added first, so it is dispatched first. */
	bt_io_add(loop, a[0], BT_EV_READ, on_reuse, &r);
	bt_io_add(loop, b[0], BT_EV_READ, on_reuse, &r);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(r.victim_calls, ==, 0);
	CHECK_INT(r.new_calls, ==, 0);
	/* Next pass: the reused number is quiet, a[0] still readable. */
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(r.new_calls, ==, 0);
	CHECK(write(q[1], "y", 1) == 1);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 2);
	CHECK_INT(r.new_calls, ==, 1);
	bt_loop_free(loop);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(q[0]);
	close(q[1]);
}

/* Random adds, deletes and interest changes from inside callbacks, checked
 * against a model of which watch may be called in each pass:
 *   - never one deleted earlier in the pass (even if its fd was re-added);
 *   - never one whose interest is 0 at that moment;
 *   - always one that was ready at poll time and not touched in the pass. */
#define SN 48

static struct {
	struct bt_loop *loop;
	int a[SN], b[SN];
	int watched[SN], interest[SN];
	int present[SN];	/* watched with READ when poll() ran */
	int touched[SN];	/* any change during the pass */
	int deleted[SN];	/* deleted during the pass */
	int called[SN];
	int bad;
} st;

static void on_stress(struct bt_loop *loop, int fd, unsigned ev, void *ud);

static void
stress_op(void)
{
	int j = (int)(rng() % SN);

	switch (rng() % 4) {
	case 0:
		if (st.watched[j]) {
			st.bad += bt_io_del(st.loop, st.a[j]) != 0;
			st.watched[j] = 0;
			st.touched[j] = st.deleted[j] = 1;
		}
		break;
	case 1:
		if (!st.watched[j]) {
			st.bad += bt_io_add(st.loop, st.a[j], BT_EV_READ, on_stress,
				&st.a[j]) != 0;
			st.watched[j] = 1;
			st.interest[j] = 1;
			st.touched[j] = 1;
		}
		break;
	case 2:
		if (st.watched[j]) {
			st.interest[j] = !st.interest[j];
			st.bad += bt_io_set(st.loop, st.a[j],
				st.interest[j] ? BT_EV_READ : 0) != 0;
			st.touched[j] = 1;
		}
		break;
	default:
		break;
	}
}

static void
on_stress(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	int k = (int)((int *)ud - st.a);

	(void)loop;
	if (k < 0 || k >= SN || fd != st.a[k] || !st.present[k] ||
		st.deleted[k] || !st.watched[k] || !st.interest[k] ||
		st.called[k] || !(ev & BT_EV_READ)) {
		st.bad++;
		return;
	}
	st.called[k] = 1;
	for (int n = (int)(rng() % 4); n > 0; n--)
		stress_op();
}

static void
test_stress_model(void)
{
	st.loop = new_loop(SN);
	for (int k = 0; k < SN; k++) {
		int sv[2];
		CHECK(pair(sv) == 0);
		st.a[k] = sv[0];
		st.b[k] = sv[1];
		CHECK(write(sv[1], "x", 1) == 1);	/* always readable */
		CHECK_INT(bt_io_add(st.loop, st.a[k], BT_EV_READ, on_stress, &st.a[k]), ==, 0);
		st.watched[k] = st.interest[k] = 1;
	}
	st.bad = 0;
	for (int pass = 0; pass < 3000; pass++) {
		int got, n = 0, live = 0;

		for (int k = 0; k < SN; k++) {
			st.present[k] = st.watched[k] && st.interest[k];
			st.touched[k] = st.deleted[k] = st.called[k] = 0;
		}
		got = bt_loop_run_once(st.loop, 0);
		for (int k = 0; k < SN; k++) {
			if (st.present[k] && !st.touched[k] && !st.called[k])
				st.bad++;
			n += st.called[k];
			live += st.watched[k];
			if (st.watched[k] != (bt_io_get(st.loop, st.a[k]) >= 0))
				st.bad++;
		}
		if (got != n || (int)bt_io_count(st.loop) != live)
			st.bad++;
		if (live < SN / 4)	/* keep the population up */
			for (int k = 0; k < 8; k++)
				stress_op();
	}
	CHECK_INT(st.bad, ==, 0);
	bt_loop_free(st.loop);
	for (int k = 0; k < SN; k++) {
		close(st.a[k]);
		close(st.b[k]);
	}
}

/* ---- many fds ---- */

static void
test_many_fds(void)
{
	int NP = 5000;
	int (*sv)[2];
	int before = count_open_fds(), ok = 1;
	struct bt_loop *loop;
	struct rec r = { 0, -1, 0 };
	struct rlimit rl;

	/* 10,000 fds: raise the soft limit, or scale down (and say so) where
	 * the hard limit is lower. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)2 * NP + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)2 * NP + 64) {
			NP = (int)(rl.rlim_cur - 64) / 2;
			fprintf(stderr, "note: fd limit %llu, testing %d socketpairs\n",
				(unsigned long long)rl.rlim_cur, NP);
		}
	}
	sv = calloc((size_t)NP, sizeof(*sv));
	loop = new_loop(2 * (unsigned)NP);
	CHECK(sv && loop);
	for (int k = 0; k < NP && ok; k++)
		if (pair(sv[k]) < 0) {
			fprintf(stderr, "socketpair %d: %s (raise ulimit -n)\n", k,
				strerror(errno));
			ok = 0;
			for (int j = 0; j < k; j++) {
				close(sv[j][0]);
				close(sv[j][1]);
			}
		}
	CHECK(ok);
	if (!ok) {
		bt_loop_free(loop);
		free(sv);
		return;
	}
	for (int round = 0; round < 3; round++) {
		int bad = 0;
		for (int k = 0; k < NP; k++) {
			bad += bt_io_add(loop, sv[k][0], BT_EV_READ, on_rec, &r) != 0;
			bad += bt_io_add(loop, sv[k][1], BT_EV_READ, on_rec, &r) != 0;
		}
		CHECK_INT(bad, ==, 0);
		CHECK_INT(bt_io_count(loop), ==, 2 * NP);
		/* A few active ones among them. */
		CHECK(write(sv[17][1], "x", 1) == 1);
		CHECK(write(sv[NP - 1][0], "x", 1) == 1);
		r.calls = 0;
		CHECK_INT(bt_loop_run_once(loop, 1000), ==, 2);
		{
			char c;
			CHECK(read(sv[17][0], &c, 1) == 1);
			CHECK(read(sv[NP - 1][1], &c, 1) == 1);
		}
		/* Delete in a scattered order. */
		for (int k = 0; k < NP; k++) {
			int j = (k * 7919) % NP;
			bad += bt_io_del(loop, sv[j][round & 1]) != 0;
		}
		for (int k = NP; k-- > 0;)
			bad += bt_io_del(loop, sv[k][!(round & 1)]) != 0;
		CHECK_INT(bad, ==, 0);
		CHECK_INT(bt_io_count(loop), ==, 0);
		CHECK_INT(bt_loop_run_once(loop, 0), ==, 0);
	}
	bt_loop_free(loop);
	for (int k = 0; k < NP; k++) {
		close(sv[k][0]);
		close(sv[k][1]);
	}
	free(sv);
	CHECK_INT(count_open_fds(), ==, before);
}

/* ---- timers ---- */

struct tlog {
	int order[16];
	int n;
};

struct tcase {
	struct tlog *log;
	int tag;
	int repeat;		/* returns 5 this many times, then STOP */
	uint64_t del;		/* timer to delete when fired */
	int del_self;
	uint64_t self;
};

static uint64_t
on_timer(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct tcase *c = ud;

	if (c->log->n < 16)
		c->log->order[c->log->n++] = c->tag;
	if (c->del)
		CHECK_INT(bt_timer_del(loop, c->del), ==, 0);
	if (c->del_self) {
		CHECK(id == c->self);
		CHECK_INT(bt_timer_del(loop, id), ==, 0);
		CHECK_INT(bt_timer_del(loop, id), ==, BT_E_NOENT);
		return 1;	/* ignored: deleted */
	}
	if (c->repeat > 0) {
		c->repeat--;
		return 5;
	}
	return BT_TIMER_STOP;
}

static void
run_until_no_timers(struct bt_loop *loop, int limit_ms)
{
	uint64_t t0 = mono_ms();

	while (bt_timer_count(loop) && mono_ms() - t0 < (uint64_t)limit_ms)
		bt_loop_run_once(loop, 100);
}

static void
test_timers(void)
{
	struct bt_loop *loop = new_loop(4);
	struct tlog log = { { 0 }, 0 };
	struct tcase c[8];
	uint64_t id[8];

	memset(c, 0, sizeof(c));
	for (int k = 0; k < 8; k++) {
		c[k].log = &log;
		c[k].tag = k;
	}
	CHECK_INT(bt_timer_add(loop, 10, NULL, NULL), ==, 0);
	CHECK_INT(bt_timer_add(loop, BT_TIMER_STOP, on_timer, &c[0]), ==, 0);

	/* Order by due time; equal times in arming order. */
	id[0] = bt_timer_add(loop, 30, on_timer, &c[0]);
	id[1] = bt_timer_add(loop, 10, on_timer, &c[1]);
	id[2] = bt_timer_add(loop, 20, on_timer, &c[2]);
	id[3] = bt_timer_add(loop, 0, on_timer, &c[3]);
	id[4] = bt_timer_add(loop, 10, on_timer, &c[4]);
	for (int k = 0; k < 5; k++)
		CHECK(id[k] != 0);
	CHECK(id[0] != id[1] && id[1] != id[2] && id[2] != id[3] && id[3] != id[4]);
	CHECK_INT(bt_timer_count(loop), ==, 5);
	run_until_no_timers(loop, 2000);
	CHECK_INT(log.n, ==, 5);
	CHECK_INT(log.order[0], ==, 3);
	CHECK_INT(log.order[1], ==, 1);
	CHECK_INT(log.order[2], ==, 4);
	CHECK_INT(log.order[3], ==, 2);
	CHECK_INT(log.order[4], ==, 0);
	for (int k = 0; k < 5; k++)
		CHECK_INT(bt_timer_del(loop, id[k]), ==, BT_E_NOENT);
	CHECK_INT(bt_timer_del(loop, 0), ==, BT_E_NOENT);
	CHECK_INT(bt_timer_del(loop, 12345), ==, BT_E_NOENT);

	/* Periodic: returns 5 three times, then STOP: four calls. */
	log.n = 0;
	c[5].repeat = 3;
	{
		uint64_t t0 = mono_ms();
		CHECK(bt_timer_add(loop, 5, on_timer, &c[5]) != 0);
		run_until_no_timers(loop, 2000);
		CHECK_INT(log.n, ==, 4);
		CHECK(mono_ms() - t0 >= 19);
	}

	/* A timer deletes another one due in the same pass, and one deletes
	 * itself (its return value is then ignored). */
	log.n = 0;
	memset(c, 0, sizeof(c));
	for (int k = 0; k < 8; k++) {
		c[k].log = &log;
		c[k].tag = k;
	}
	id[0] = bt_timer_add(loop, 0, on_timer, &c[0]);
	id[1] = bt_timer_add(loop, 0, on_timer, &c[1]);
	id[2] = bt_timer_add(loop, 0, on_timer, &c[2]);
	c[0].del = id[1];
	c[2].del_self = 1;
	c[2].self = id[2];
	CHECK_INT(bt_loop_run_once(loop, 100), ==, 2);
	CHECK_INT(log.n, ==, 2);
	CHECK_INT(log.order[0], ==, 0);
	CHECK_INT(log.order[1], ==, 2);
	CHECK_INT(bt_timer_count(loop), ==, 0);

	/* Deleting before it fires. */
	log.n = 0;
	id[0] = bt_timer_add(loop, 1, on_timer, &c[3]);
	CHECK_INT(bt_timer_del(loop, id[0]), ==, 0);
	CHECK_INT(bt_loop_run_once(loop, 5), ==, 0);
	CHECK_INT(log.n, ==, 0);
	/* The slot is reused with a new id. */
	id[1] = bt_timer_add(loop, 1, on_timer, &c[3]);
	CHECK(id[1] != id[0]);
	CHECK_INT(bt_timer_del(loop, id[0]), ==, BT_E_NOENT);
	CHECK_INT(bt_timer_del(loop, id[1]), ==, 0);

	/* No timers and no fds: run_once with a bounded wait returns. */
	{
		uint64_t t0 = mono_ms();
		CHECK_INT(bt_loop_run_once(loop, 30), ==, 0);
		CHECK(mono_ms() - t0 >= 25);
	}
	bt_loop_free(loop);
}

/* A 0-delay periodic timer runs once per pass, not in a loop. */
static uint64_t
on_zero(struct bt_loop *loop, uint64_t id, void *ud)
{
	(void)loop;
	(void)id;
	(*(int *)ud)++;
	return 0;
}

static void
test_timer_zero(void)
{
	struct bt_loop *loop = new_loop(1);
	int n = 0;
	uint64_t id = bt_timer_add(loop, 0, on_zero, &n);

	CHECK_INT(bt_loop_run_once(loop, -1), ==, 1);
	CHECK_INT(bt_loop_run_once(loop, -1), ==, 1);
	CHECK_INT(n, ==, 2);
	CHECK_INT(bt_timer_del(loop, id), ==, 0);
	bt_loop_free(loop);
}

/* bt_loop_advance: a timer an hour away fires at the next pass that waits
 * for nothing, and the clock stays ahead after it is read again. */
static void
test_advance(void)
{
	struct bt_loop *loop = new_loop(1);
	int n = 0;

	CHECK_INT(bt_loop_next_timer_ms(loop), ==, -1);
	bt_timer_add(loop, 3600000, on_zero, &n);
	CHECK(bt_loop_next_timer_ms(loop) > 3599000);
	uint64_t t0 = bt_loop_now_ms(loop);
	bt_loop_advance(loop, 3600000);
	CHECK_INT(bt_loop_next_timer_ms(loop), ==, 0);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 1);
	CHECK_INT(n, ==, 1);
	bt_loop_update_time(loop);
	CHECK(bt_loop_now_ms(loop) >= t0 + 3600000);
	bt_loop_free(loop);
}

/* Many timers with random delays, some deleted up front and some from
 * callbacks: they fire in (due, arming) order and never after deletion. */
#define TN 2000

static struct {
	uint64_t id[TN], due[TN];
	int fired[TN], deleted[TN], victim[TN];
	int last;
	int bad, nfired;
} ts;

static uint64_t
on_tstress(struct bt_loop *loop, uint64_t id, void *ud)
{
	int k = (int)((uint64_t *)ud - ts.id);

	if (ts.fired[k] || ts.deleted[k] || id != ts.id[k] ||
		bt_loop_now_ms(loop) < ts.due[k])
		ts.bad++;
	if (ts.last >= 0 && (ts.due[ts.last] > ts.due[k] ||
		(ts.due[ts.last] == ts.due[k] && ts.last > k)))
		ts.bad++;
	ts.last = k;
	ts.fired[k] = 1;
	ts.nfired++;
	if (ts.victim[k] >= 0) {
		int v = ts.victim[k];
		int rc = bt_timer_del(loop, ts.id[v]);
		if (ts.fired[v] || ts.deleted[v] ? rc != BT_E_NOENT : rc != 0)
			ts.bad++;
		ts.deleted[v] = 1;
	}
	return BT_TIMER_STOP;
}

static void
test_timer_stress(void)
{
	struct bt_loop *loop = new_loop(1);
	int live = 0;

	memset(&ts, 0, sizeof(ts));
	ts.last = -1;
	for (int k = 0; k < TN; k++) {
		uint64_t d = rng() % 40;
		ts.due[k] = bt_loop_now_ms(loop) + d;
		ts.id[k] = bt_timer_add(loop, d, on_tstress, &ts.id[k]);
		ts.victim[k] = rng() % 8 == 0 ? (int)(rng() % TN) : -1;
		if (ts.victim[k] == k)
			ts.victim[k] = -1;
		ts.bad += ts.id[k] == 0;
	}
	for (int k = 0; k < TN; k++)
		if (rng() % 4 == 0) {
			CHECK_INT(bt_timer_del(loop, ts.id[k]), ==, 0);
			ts.deleted[k] = 1;
		}
	for (int k = 0; k < TN; k++)
		live += !ts.deleted[k];
	CHECK_INT(bt_timer_count(loop), ==, live);
	run_until_no_timers(loop, 5000);
	CHECK_INT(ts.bad, ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	for (int k = 0; k < TN; k++)
		if (ts.fired[k] == ts.deleted[k] && !(ts.fired[k] && ts.deleted[k]))
			ts.bad++;
	CHECK_INT(ts.bad, ==, 0);
	CHECK(ts.nfired > TN / 2);
	bt_loop_free(loop);
}

/* ---- signals, stop, recursion ---- */

struct sig_seen {
	int n[65];
	int stop_on;
};

static void
on_sig(struct bt_loop *loop, int signo, void *ud)
{
	struct sig_seen *s = ud;

	s->n[signo]++;
	if (signo == s->stop_on)
		bt_loop_stop(loop);
}

static void
test_signals(void)
{
	int fds_before = count_open_fds();
	struct bt_loop *loop = new_loop(4), *other = new_loop(4);
	struct sig_seen s;
	struct sigaction sa, cur;
	int own = loop_flags & BT_LOOP_EPOLL ? 2 : 0;	/* epoll fds */

	memset(&s, 0, sizeof(s));
	/* Ignore SIGHUP first, so we can see it restored afterwards. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);

	CHECK_INT(bt_loop_signal(loop, 0, on_sig, &s), ==, BT_E_INVAL);
	CHECK_INT(bt_loop_signal(loop, SIGKILL, on_sig, &s), ==, BT_E_INVAL);
	CHECK_INT(bt_loop_signal(loop, 65, on_sig, &s), ==, BT_E_INVAL);
	CHECK_INT(bt_loop_signal(loop, SIGINT, on_sig, &s), ==, 0);
	CHECK_INT(bt_loop_signal(loop, SIGTERM, on_sig, &s), ==, 0);
	CHECK_INT(bt_loop_signal(loop, SIGHUP, on_sig, &s), ==, 0);
	CHECK_INT(bt_loop_signal(other, SIGHUP, on_sig, &s), ==, BT_E_EXIST);
	CHECK_INT(bt_loop_signal(other, SIGUSR1, NULL, NULL), ==, BT_E_NOENT);
	CHECK_INT(bt_io_count(loop), ==, 0);	/* the pipe is not counted */
	CHECK_INT(count_open_fds(), ==, fds_before + own + 2);

	raise(SIGHUP);
	raise(SIGTERM);
	raise(SIGTERM);
	CHECK_INT(bt_loop_run_once(loop, 1000), ==, 1);	/* one pipe watch */
	CHECK_INT(s.n[SIGHUP], ==, 1);
	CHECK_INT(s.n[SIGTERM], ==, 1);	/* coalesced */
	CHECK_INT(s.n[SIGINT], ==, 0);
	CHECK_INT(bt_loop_run_once(loop, 0), ==, 0);

	/* SIGINT stops bt_loop_run (raised from a timer on the loop). */
	s.stop_on = SIGINT;
	raise(SIGINT);
	CHECK_INT(bt_loop_run(loop), ==, 0);
	CHECK_INT(s.n[SIGINT], ==, 1);

	/* Unregistering restores the previous action. */
	CHECK_INT(bt_loop_signal(loop, SIGHUP, NULL, NULL), ==, 0);
	CHECK(sigaction(SIGHUP, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN);
	CHECK_INT(bt_loop_signal(other, SIGHUP, on_sig, &s), ==, 0);
	raise(SIGHUP);
	CHECK_INT(bt_loop_run_once(other, 1000), ==, 1);
	CHECK_INT(s.n[SIGHUP], ==, 2);
	bt_loop_free(other);
	CHECK(sigaction(SIGHUP, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN);

	/* Freeing the loop restores SIGTERM/SIGINT and closes the pipe. */
	bt_loop_free(loop);
	CHECK(sigaction(SIGTERM, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL);
	CHECK(sigaction(SIGINT, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL);
	CHECK_INT(count_open_fds(), ==, fds_before);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGHUP, &sa, NULL);
}

static uint64_t
on_stop_after(struct bt_loop *loop, uint64_t id, void *ud)
{
	int *n = ud;

	(void)id;
	if (++*n == 3) {
		bt_loop_stop(loop);
		return BT_TIMER_STOP;
	}
	CHECK_INT(bt_loop_run_once(loop, 0), ==, BT_E_INVAL);
	CHECK_INT(bt_loop_run(loop), ==, BT_E_INVAL);
	return 1;
}

static void
test_stop(void)
{
	struct bt_loop *loop = new_loop(1);
	int n = 0;

	bt_timer_add(loop, 1, on_stop_after, &n);
	CHECK_INT(bt_loop_run(loop), ==, 0);
	CHECK_INT(n, ==, 3);
	/* Stop before run: run resets the flag and runs until stopped again. */
	n = 0;
	bt_loop_stop(loop);
	bt_timer_add(loop, 1, on_stop_after, &n);
	CHECK_INT(bt_loop_run(loop), ==, 0);
	CHECK_INT(n, ==, 3);
	bt_loop_free(loop);
}

/* ---- idle-timeout pattern ----
 *
 * The shape for the tracker (copy it): each connection has one timer and a
 * `last` timestamp.  Reads and writes only store bt_loop_now_ms() in
 * `last`, so activity costs no heap work.  When the timer fires it checks
 * how long the connection has really been idle: if less than IDLE_MS it
 * returns the time left (the timer re-arms itself), otherwise it closes the
 * connection.  One heap operation per IDLE_MS per connection, whatever the
 * traffic.  (The other shape, one periodic timer sweeping a list of
 * connections, costs O(connections) per sweep; prefer this one.)
 *
 * Closing from inside the connection's own timer is safe: conn_close()
 * deletes that timer, and the callback's return value is then ignored. */
#define IDLE_MS 150

struct srv {
	struct bt_loop *loop;
	int lfd;
	int nconn;
	int closed_idle;
};

struct conn {
	struct srv *srv;
	int fd;
	uint64_t last;		/* bt_loop_now_ms() of the last activity */
	uint64_t timer;
};

static void
conn_close(struct conn *c)
{
	bt_io_del(c->srv->loop, c->fd);
	if (c->timer)
		bt_timer_del(c->srv->loop, c->timer);
	close(c->fd);
	c->srv->nconn--;
	free(c);
}

static uint64_t
conn_idle(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct conn *c = ud;
	uint64_t idle = bt_loop_now_ms(loop) - c->last;

	(void)id;
	if (idle < IDLE_MS)
		return IDLE_MS - idle;	/* there was activity: wait the rest */
	c->srv->closed_idle++;
	conn_close(c);			/* deletes this very timer */
	return BT_TIMER_STOP;
}

static void
conn_read(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	struct conn *c = ud;
	char buf[512];
	ssize_t n;

	(void)fd;
	(void)ev;
	n = read(c->fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n > 0)
		c->last = bt_loop_now_ms(loop);
}

static void
srv_accept(struct bt_loop *loop, int lfd, unsigned ev, void *ud)
{
	struct srv *s = ud;

	(void)ev;
	for (int k = 0; k < 64; k++) {	/* bounded: let others run too */
		struct sockaddr_storage peer;
		int fd = bt_net_accept(lfd, &peer);
		struct conn *c;

		if (fd == BT_E_LIMIT) {
			/* Out of fds: a real server pauses the listener
			 * (bt_io_set(loop, lfd, 0)) and re-enables it from a
			 * timer or when a connection closes. */
			return;
		}
		if (fd < 0)
			return;		/* BT_E_PARTIAL: drained */
		c = calloc(1, sizeof(*c));
		if (!c || bt_io_add(loop, fd, BT_EV_READ, conn_read, c) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->last = bt_loop_now_ms(loop);
		c->timer = bt_timer_add(loop, IDLE_MS, conn_idle, c);
		if (!c->timer) {
			conn_close(c);
			continue;
		}
		s->nconn++;
	}
}

struct pinger {
	int *fds;
	int n;
};

static uint64_t
on_ping(struct bt_loop *loop, uint64_t id, void *ud)
{
	struct pinger *p = ud;

	(void)loop;
	(void)id;
	for (int k = 0; k < p->n; k++)
		if (write(p->fds[k], "p", 1) != 1)
			return BT_TIMER_STOP;
	return 25;
}

static void
test_idle_timeout(void)
{
	struct sockaddr_storage a;
	struct srv s;
	int cl[5], active[2], rc;
	struct pinger p = { active, 2 };
	uint64_t t0, ping;

	memset(&s, 0, sizeof(s));
	s.loop = new_loop(64);
	bt_addr_loopback(&a, AF_INET, 0);
	s.lfd = bt_net_listen_tcp(&a, 16, 0);
	CHECK(s.lfd >= 0);
	if (s.lfd < 0)
		return;
	CHECK_INT(bt_net_local_addr(s.lfd, &a), ==, 0);
	CHECK(bt_addr_port(&a) != 0);
	CHECK_INT(bt_io_add(s.loop, s.lfd, BT_EV_READ, srv_accept, &s), ==, 0);
	for (int k = 0; k < 5; k++) {
		rc = bt_net_connect_tcp(&a, &cl[k]);
		CHECK(rc == 0 || rc == BT_E_PARTIAL);
	}
	active[0] = cl[1];
	active[1] = cl[3];
	t0 = mono_ms();
	while (s.nconn < 5 && mono_ms() - t0 < 2000)
		bt_loop_run_once(s.loop, 50);
	CHECK_INT(s.nconn, ==, 5);
	for (int k = 0; k < 5; k++)
		CHECK_INT(bt_net_connect_finish(cl[k]), ==, 0);

	ping = bt_timer_add(s.loop, 25, on_ping, &p);
	t0 = mono_ms();
	while (mono_ms() - t0 < 3 * IDLE_MS)
		bt_loop_run_once(s.loop, 50);
	CHECK_INT(s.nconn, ==, 2);
	CHECK_INT(s.closed_idle, ==, 3);
	for (int k = 0; k < 5; k++) {
		char c;
		ssize_t n = recv(cl[k], &c, 1, MSG_DONTWAIT);
		if (k == 1 || k == 3)
			CHECK(n < 0 && errno == EAGAIN);	/* still open */
		else
			CHECK_INT(n, ==, 0);			/* closed by server */
	}
	/* Active clients stop: they are closed in turn. */
	bt_timer_del(s.loop, ping);
	t0 = mono_ms();
	while (s.nconn > 0 && mono_ms() - t0 < 10 * IDLE_MS)
		bt_loop_run_once(s.loop, 50);
	CHECK_INT(s.nconn, ==, 0);
	CHECK_INT(bt_timer_count(s.loop), ==, 0);
	for (int k = 0; k < 5; k++)
		close(cl[k]);
	bt_io_del(s.loop, s.lfd);
	close(s.lfd);
	bt_loop_free(s.loop);
}

/* ---- net: sockets and addresses ---- */

static int
parse_fmt(const char *in, uint16_t defport, char *out)
{
	struct sockaddr_storage a;
	int rc = bt_addr_parse(&a, in, strlen(in), defport);

	if (rc < 0)
		return rc;
	return bt_addr_format(&a, out, BT_ADDR_STRLEN, 0);
}

static void
test_addr(void)
{
	static const struct { const char *in, *out; } good[] = {
		{ "1.2.3.4", "1.2.3.4:80" },
		{ "1.2.3.4:6969", "1.2.3.4:6969" },
		{ "0.0.0.0:0", "0.0.0.0:0" },
		{ "255.255.255.255:65535", "255.255.255.255:65535" },
		{ "::1", "[::1]:80" },
		{ "[::1]", "[::1]:80" },
		{ "[::1]:6969", "[::1]:6969" },
		{ "[2001:db8::a:b]:1", "[2001:db8::a:b]:1" },
		{ "::ffff:1.2.3.4", "[::ffff:1.2.3.4]:80" },
		{ "fe80::1", "[fe80::1]:80" },
	};
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.4:", "1.2.3.4:65536",
		"1.2.3.4:-1", "1.2.3.4:80x", "[::1", "[::1]x", "[::1]:", "[1.2.3.4]",
		"::1:80:", "localhost", "01.2.3.4x", "[::1]:123456", ":::", "fe80::1%eth0",
		"1.2.3.4 ", " 1.2.3.4",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char out[BT_ADDR_STRLEN];
	struct sockaddr_storage a, b;
	uint8_t pk[BT_ADDR_COMPACT6];

	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		int n = parse_fmt(good[k].in, 80, out);
		CHECK(n > 0 && strcmp(out, good[k].out) == 0);
		if (n <= 0 || strcmp(out, good[k].out))
			fprintf(stderr, "  parse %s -> %d %s\n", good[k].in, n, out);
	}
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = parse_fmt(bad[k], 80, out);
		CHECK_INT(rc, ==, BT_E_PARSE);
		if (rc != BT_E_PARSE)
			fprintf(stderr, "  accepted bad %s\n", bad[k]);
	}
	/* Longest form fits BT_ADDR_STRLEN exactly. */
	{
		static const char lng[] = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
		CHECK_INT(bt_addr_parse(&a, lng, sizeof(lng) - 1, 65535), ==, 0);
		CHECK_INT(bt_addr_format(&a, out, sizeof(out), 0), ==, 47);
		CHECK_INT(bt_addr_format(&a, out, 47, 0), ==, BT_E_LIMIT);
		CHECK_INT(bt_addr_format(&a, out, sizeof(out), BT_ADDR_NOPORT), ==, 39);
	}
	/* A length that stops inside the string. */
	CHECK_INT(bt_addr_parse(&a, "1.2.3.4:99", 7, 5), ==, 0);
	CHECK_INT(bt_addr_format(&a, out, sizeof(out), 0), >, 0);
	CHECK(strcmp(out, "1.2.3.4:5") == 0);

	/* Normalisation of IPv4-mapped IPv6. */
	bt_addr_parse(&a, "[::ffff:10.1.2.3]:99", 20, 0);
	CHECK(a.ss_family == AF_INET6);
	bt_addr_parse(&b, "10.1.2.3:99", 11, 0);
	CHECK(bt_addr_equal(&a, &b));
	bt_addr_normalize(&a);
	CHECK(a.ss_family == AF_INET);
	CHECK_INT(bt_addr_port(&a), ==, 99);
	bt_addr_format(&a, out, sizeof(out), 0);
	CHECK(strcmp(out, "10.1.2.3:99") == 0);
	bt_addr_set_port(&b, 100);
	CHECK(!bt_addr_equal(&a, &b));
	CHECK_INT(bt_addr_len(&a), ==, sizeof(struct sockaddr_in));

	/* Local addresses. */
	{
		static const struct { const char *s; int local; } loc[] = {
			{ "127.0.0.1", 1 }, { "127.255.1.2", 1 }, { "10.9.8.7", 1 },
			{ "172.16.0.1", 1 }, { "172.31.255.255", 1 }, { "172.15.0.1", 0 },
			{ "172.32.0.1", 0 }, { "192.168.1.1", 1 }, { "192.169.1.1", 0 },
			{ "169.254.3.4", 1 }, { "169.253.3.4", 0 }, { "8.8.8.8", 0 },
			{ "::1", 1 }, { "::2", 0 }, { "fe80::1", 1 }, { "febf::1", 1 },
			{ "fec0::1", 0 }, { "fc00::1", 1 }, { "fdff::1", 1 }, { "fe00::1", 0 },
			{ "2001:db8::1", 0 }, { "::ffff:192.168.0.1", 1 },
			{ "::ffff:8.8.8.8", 0 }, { "::", 0 },
		};
		for (size_t k = 0; k < sizeof(loc) / sizeof(loc[0]); k++) {
			CHECK_INT(bt_addr_parse(&a, loc[k].s, strlen(loc[k].s), 0), ==, 0);
			CHECK_INT(bt_addr_is_local(&a), ==, loc[k].local);
			if (bt_addr_is_local(&a) != loc[k].local)
				fprintf(stderr, "  is_local %s\n", loc[k].s);
		}
	}

	/* Compact peers. */
	bt_addr_parse(&a, "1.2.3.4:6881", 12, 0);
	CHECK_INT(bt_addr_pack(pk, &a), ==, 6);
	CHECK(memcmp(pk, "\x01\x02\x03\x04\x1a\xe1", 6) == 0);
	CHECK_INT(bt_addr_unpack(&b, pk, 6), ==, 0);
	CHECK(bt_addr_equal(&a, &b));
	bt_addr_parse(&a, "[::ffff:1.2.3.4]:6881", 21, 0);
	CHECK_INT(bt_addr_pack(pk, &a), ==, 6);
	bt_addr_parse(&a, "[2001:db8::1]:258", 17, 0);
	CHECK_INT(bt_addr_pack(pk, &a), ==, 18);
	CHECK(pk[0] == 0x20 && pk[1] == 0x01 && pk[15] == 1 && pk[16] == 1 && pk[17] == 2);
	CHECK_INT(bt_addr_unpack(&b, pk, 18), ==, 0);
	CHECK(bt_addr_equal(&a, &b));
	CHECK_INT(bt_addr_unpack(&b, pk, 7), ==, BT_E_PARSE);
	memset(&b, 0, sizeof(b));
	b.ss_family = AF_UNIX;
	CHECK_INT(bt_addr_pack(pk, &b), ==, 0);
	CHECK_INT(bt_addr_format(&b, out, sizeof(out), 0), ==, BT_E_INVAL);
	CHECK_INT(bt_addr_any(&b, AF_UNIX, 1), ==, BT_E_INVAL);
}

static void
test_sockets(void)
{
	struct sockaddr_storage a, peer, l6;
	int lfd, cfd, sfd, rc, ufd, l6fd;
	uint64_t t0;

	/* TCP over IPv4 loopback, non-blocking connect + accept. */
	bt_addr_loopback(&a, AF_INET, 0);
	lfd = bt_net_listen_tcp(&a, 0, 0);
	CHECK(lfd >= 0);
	CHECK_INT(bt_net_accept(lfd, &peer), ==, BT_E_PARTIAL);
	bt_net_local_addr(lfd, &a);
	rc = bt_net_connect_tcp(&a, &cfd);
	CHECK(rc == 0 || rc == BT_E_PARTIAL);
	t0 = mono_ms();
	while ((sfd = bt_net_accept(lfd, &peer)) == BT_E_PARTIAL && mono_ms() - t0 < 2000)
		usleep(1000);
	CHECK(sfd >= 0);
	CHECK(peer.ss_family == AF_INET);
	CHECK(bt_addr_is_local(&peer));
	CHECK_INT(bt_net_connect_finish(cfd), ==, 0);
	CHECK(write(cfd, "hi", 2) == 2);
	close(sfd);
	close(cfd);

	/* A refused connect is reported by connect_finish. */
	rc = bt_net_connect_tcp(&a, &cfd);	/* still listening: fine */
	if (rc >= 0 || rc == BT_E_PARTIAL)
		close(cfd);
	close(lfd);
	rc = bt_net_connect_tcp(&a, &cfd);
	if (rc == BT_E_PARTIAL) {
		struct bt_loop *loop = new_loop(1);
		struct rec r = { 0, -1, 0 };
		bt_io_add(loop, cfd, BT_EV_WRITE, on_rec, &r);
		bt_loop_run_once(loop, 1000);
		CHECK_INT(r.calls, ==, 1);
		CHECK_INT(bt_net_connect_finish(cfd), ==, BT_E_IO);
		CHECK_INT(errno, ==, CHECK_REFUSED);
		bt_io_del(loop, cfd);
		bt_loop_free(loop);
		close(cfd);
	} else {
		CHECK_INT(rc, ==, BT_E_IO);
	}

	/* IPv6: dual-stack listener takes IPv4 clients as plain IPv4; a
	 * V6ONLY one on the same port next to an IPv4 one. */
	bt_addr_any(&l6, AF_INET6, 0);
	l6fd = bt_net_listen_tcp(&l6, 0, BT_NET_DUALSTACK);
	if (l6fd < 0 && errno == EAFNOSUPPORT) {
		fprintf(stderr, "note: no IPv6, skipping IPv6 socket checks\n");
	} else {
		int l4fd;
		CHECK(l6fd >= 0);
		bt_net_local_addr(l6fd, &l6);
		bt_addr_loopback(&a, AF_INET, bt_addr_port(&l6));
		rc = bt_net_connect_tcp(&a, &cfd);
		CHECK(rc == 0 || rc == BT_E_PARTIAL);
		t0 = mono_ms();
		while ((sfd = bt_net_accept(l6fd, &peer)) == BT_E_PARTIAL &&
			mono_ms() - t0 < 2000)
			usleep(1000);
		CHECK(sfd >= 0);
		CHECK(peer.ss_family == AF_INET);	/* normalised */
		close(sfd);
		close(cfd);
		close(l6fd);

		bt_addr_any(&l6, AF_INET6, 0);
		l6fd = bt_net_listen_tcp(&l6, 0, BT_NET_V6ONLY);
		CHECK(l6fd >= 0);
		bt_net_local_addr(l6fd, &l6);
		bt_addr_any(&a, AF_INET, bt_addr_port(&l6));
		l4fd = bt_net_listen_tcp(&a, 0, 0);
		CHECK(l4fd >= 0);	/* same port, other family */
		close(l4fd);
		close(l6fd);
		CHECK_INT(bt_net_listen_tcp(&l6, 0, BT_NET_V6ONLY | BT_NET_DUALSTACK),
			==, BT_E_INVAL);
	}

	/* UDP. */
	bt_addr_loopback(&a, AF_INET, 0);
	ufd = bt_net_udp_bind(&a, 0);
	CHECK(ufd >= 0);
	bt_net_local_addr(ufd, &a);
	CHECK(sendto(ufd, "u", 1, 0, (struct sockaddr *)&a, bt_addr_len(&a)) == 1);
	{
		char c = 0;
		t0 = mono_ms();
		while (recv(ufd, &c, 1, 0) < 0 && errno == EAGAIN && mono_ms() - t0 < 1000)
			usleep(1000);
		CHECK(c == 'u');
	}
	/* Binding the same UDP port again fails with errno kept. */
	rc = bt_net_udp_bind(&a, 0);
	CHECK_INT(rc, ==, BT_E_IO);
	CHECK_INT(errno, ==, EADDRINUSE);
	close(ufd);
	memset(&a, 0, sizeof(a));
	CHECK_INT(bt_net_listen_tcp(&a, 0, 0), ==, BT_E_INVAL);
}

/* epoll refuses regular files; poll() takes them (always ready). */
static void
test_epoll_file(void)
{
	struct bt_loop *ep = bt_loop_new_ex(4, BT_LOOP_EPOLL), *pl = bt_loop_new(4);
	struct rec r = { 0, -1, 0 };
	FILE *f = tmpfile();
	int fd = f ? fileno(f) : -1;

	CHECK(ep && pl && f);
	CHECK(strcmp(bt_loop_backend(ep), "epoll") == 0);
	CHECK(strcmp(bt_loop_backend(pl), "poll") == 0);
	CHECK_INT(bt_io_add(ep, fd, BT_EV_READ, on_rec, &r), ==, BT_E_UNSUPPORTED);
	CHECK_INT(bt_io_count(ep), ==, 0);
	CHECK_INT(bt_io_get(ep, fd), ==, BT_E_NOENT);
	CHECK_INT(bt_io_add(pl, fd, BT_EV_READ, on_rec, &r), ==, 0);
	CHECK_INT(bt_loop_run_once(pl, 0), ==, 1);
	bt_io_del(pl, fd);
	bt_loop_free(ep);
	bt_loop_free(pl);
	if (f)
		fclose(f);
}

/* ---- benchmark: the cost of one pass ---- */

static void
on_bench(struct bt_loop *loop, int fd, unsigned ev, void *ud)
{
	(void)loop;
	(void)fd;
	(void)ev;
	(*(long *)ud)++;
}

static double
bench_pass(struct bt_loop *loop, int iters, long *calls)
{
	struct timespec a, b;

	for (int k = 0; k < 100; k++)
		bt_loop_run_once(loop, 0);
	*calls = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < iters; k++)
		bt_loop_run_once(loop, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
		iters / 1000.0;
}

static int
bench(int idle)
{
	enum { ACTIVE = 4 };
	int npair = idle / 2, (*sv)[2] = calloc((size_t)npair + ACTIVE, sizeof(*sv));
	struct bt_loop *loop = new_loop((unsigned)idle + 2 * ACTIVE);
	struct rlimit rl;
	long calls = 0;
	double us_few, us_many;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int k = 0; k < npair + ACTIVE; k++)
		if (pair(sv[k]) < 0) {
			fprintf(stderr, "socketpair: %s\n", strerror(errno));
			return 1;
		}
	/* The active ones: readable on every pass (never drained). */
	for (int k = 0; k < ACTIVE; k++) {
		if (write(sv[npair + k][1], "x", 1) != 1)
			return 1;
		bt_io_add(loop, sv[npair + k][0], BT_EV_READ, on_bench, &calls);
	}
	us_few = bench_pass(loop, 20000, &calls);
	printf("%s: pass with %d active fds only: %.2f us/pass\n",
		bt_loop_backend(loop), ACTIVE, us_few);
	for (int k = 0; k < npair; k++) {
		bt_io_add(loop, sv[k][0], BT_EV_READ, on_bench, &calls);
		bt_io_add(loop, sv[k][1], BT_EV_READ, on_bench, &calls);
	}
	us_many = bench_pass(loop, 2000, &calls);
	printf("%s: pass with %d idle + %d active fds: %.2f us/pass (%ld callbacks)\n",
		bt_loop_backend(loop), 2 * npair, ACTIVE, us_many, calls);
	printf("per idle fd: %.1f ns\n", (us_many - us_few) * 1000.0 / (2 * npair));
	bt_loop_free(loop);
	for (int k = 0; k < npair + ACTIVE; k++) {
		close(sv[k][0]);
		close(sv[k][1]);
	}
	free(sv);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		int idle = argc > 2 ? atoi(argv[2]) : 10000;
		if (idle < 2 || idle > 1000000)
			return 2;
		printf("-- poll\n");
		if (bench(idle))
			return 1;
		loop_flags = BT_LOOP_EPOLL;
		printf("-- epoll\n");
		return bench(idle);
	}
	signal(SIGPIPE, SIG_IGN);
	for (int b = 0; b < 2; b++) {
		int f0 = check_nfail;

		loop_flags = b ? BT_LOOP_EPOLL : 0;
		test_watch_basics();
		test_delete_in_callbacks();
		test_fd_reuse_in_pass();
		test_stress_model();
		test_many_fds();
		test_timers();
		test_timer_zero();
		test_advance();
		test_timer_stress();
		test_signals();
		test_stop();
		test_idle_timeout();
		test_sockets();
		if (check_nfail != f0)
			fprintf(stderr, "(backend %s)\n", b ? "epoll" : "poll");
	}
	test_addr();
	test_epoll_file();
	return check_summary("reactor");
}
