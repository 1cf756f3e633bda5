/* reactor.h - single-threaded event loop: fd watches, timers and signals
 * turned into callbacks on the loop thread.
 *
 * Shape (Redis ae, libowfat io_*): a dense struct pollfd[] plus an fd->slot
 * index, so adding, changing and deleting a watch is O(1); timers sit in a
 * binary min-heap and the poll timeout is the earliest one; signals reach
 * the loop through a self-pipe.  The backend is poll(), or epoll on request
 * (bt_loop_new_ex): a poll() pass costs about 65 ns per watched fd, so
 * 10,000 idle fds add ~0.7 ms to every pass, while an epoll pass only costs
 * for the fds that are ready.
 *
 * Callbacks may add, change or delete any watch or timer, including their
 * own.  A watch deleted during a dispatch pass is never called again, even
 * if it was ready in the same pass; a watch added during a pass (also for
 * an fd number just deleted and reused) first fires on the next pass, so it
 * never sees another watch's events.  Callbacks must not block, must not
 * call bt_loop_run*() recursively and must not free the loop.
 *
 * Close an fd only after bt_io_del(): poll() reports a closed fd as
 * invalid (BT_EV_ERR) on every pass.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes (err.h). */
#ifndef BT_REACTOR_H
#define BT_REACTOR_H

#include <stdint.h>
#include <time.h>

/* Event bits.  READ and WRITE are interests and results; ERR (error or
 * invalid fd) and HUP (peer hung up) are only ever results, and are
 * delivered whatever the interest mask says. */
#define BT_EV_READ	0x1u
#define BT_EV_WRITE	0x2u
#define BT_EV_ERR	0x4u
#define BT_EV_HUP	0x8u

/* Returned by a timer callback to end the timer. */
#define BT_TIMER_STOP	UINT64_MAX

/* Most timers one loop holds at once. */
#define BT_LOOP_TIMERS_MAX	(1u << 22)
/* Largest fd number a watch may have (the fd->slot index grows up to it). */
#define BT_LOOP_FD_LIMIT	(1 << 24)

struct bt_loop;

/* fd is ready: revents is a mask of BT_EV_*. */
typedef void bt_io_fn(struct bt_loop *loop, int fd, unsigned revents, void *ud);
/* Timer fired: return the next delay in ms (0 = on the next pass, never in
 * the same one), or BT_TIMER_STOP to end the timer. */
typedef uint64_t bt_timer_fn(struct bt_loop *loop, uint64_t id, void *ud);
/* A signal arrived (one call per pass however many times it arrived). */
typedef void bt_signal_fn(struct bt_loop *loop, int signo, void *ud);

/* A loop with room for max_fds watches (1 .. BT_LOOP_FD_LIMIT; memory grows
 * with use, not with max_fds).  NULL when out of memory or max_fds is 0.
 * The backend is poll(). */
struct bt_loop *bt_loop_new(unsigned max_fds);

/* bt_loop_new_ex flag: use epoll instead of poll().  Same API and
 * semantics, but a pass costs O(ready fds) instead of O(watched fds), for
 * thousands of mostly idle connections; adding, changing and deleting a
 * watch cost one epoll_ctl() each.  Regular files cannot be watched
 * (bt_io_add gives BT_E_UNSUPPORTED), and deleting the watch before
 * closing the fd is a must: epoll keeps a closed fd that has a dup. */
#define BT_LOOP_EPOLL	0x1u

/* bt_loop_new() with flags (BT_LOOP_EPOLL).  NULL also if epoll_create1()
 * fails. */
struct bt_loop *bt_loop_new_ex(unsigned max_fds, unsigned flags);
/* "poll" or "epoll", for logs. */
const char *bt_loop_backend(const struct bt_loop *loop);
/* Frees the loop: closes the signal pipe and restores the signal actions
 * it replaced, but does not close the watched fds.  NULL is fine. */
void bt_loop_free(struct bt_loop *loop);

/* Run passes until bt_loop_stop() (with no watch and no timer a pass
 * waits for a signal).  0, or BT_E_IO (errno kept) if poll()
 * or epoll_wait() fails, or BT_E_INVAL if called from a callback. */
int bt_loop_run(struct bt_loop *loop);
/* One pass: wait up to max_wait_ms (-1 = until something happens; 0 = do
 * not wait) or until the earliest timer, then dispatch.  Returns the number
 * of callbacks made, or BT_E_IO / BT_E_INVAL as bt_loop_run().  An
 * interrupted poll() (EINTR) is a pass with no fd events. */
int bt_loop_run_once(struct bt_loop *loop, int max_wait_ms);
/* Make bt_loop_run() return after the current pass. */
void bt_loop_stop(struct bt_loop *loop);

/* CLOCK_MONOTONIC in milliseconds, read once per pass (after poll()). */
uint64_t bt_loop_now_ms(const struct bt_loop *loop);
/* Wall-clock seconds since the epoch, read once per pass. */
time_t bt_loop_wall(const struct bt_loop *loop);
/* Re-read both clocks now (for long callbacks). */
void bt_loop_update_time(struct bt_loop *loop);
/* For tests and fuzz targets: move the monotonic clock ms ahead, for good
 * (timers due within it fire at the next pass, without the wait). */
void bt_loop_advance(struct bt_loop *loop, uint64_t ms);
/* Milliseconds until the earliest timer is due (0: due now), -1 with
 * none. */
int64_t bt_loop_next_timer_ms(const struct bt_loop *loop);

/* Watch fd for ev (BT_EV_READ|BT_EV_WRITE; 0 = registered but quiet).
 * BT_E_INVAL (fd < 0 or >= BT_LOOP_FD_LIMIT, or fn NULL), BT_E_EXIST
 * (already watched), BT_E_LIMIT (max_fds watches), BT_E_NOMEM; with epoll
 * also BT_E_UNSUPPORTED (regular file) or BT_E_IO (errno kept). */
int bt_io_add(struct bt_loop *loop, int fd, unsigned ev, bt_io_fn *fn, void *ud);
/* Change the interest mask.  Takes effect at once: a later callback in the
 * same pass only sees events still asked for (plus ERR/HUP).  0 or
 * BT_E_NOENT (or BT_E_IO from epoll_ctl). */
int bt_io_set(struct bt_loop *loop, int fd, unsigned ev);
/* The interest mask, or BT_E_NOENT. */
int bt_io_get(const struct bt_loop *loop, int fd);
/* Stop watching fd (does not close it).  0 or BT_E_NOENT. */
int bt_io_del(struct bt_loop *loop, int fd);
/* Number of fd watches (not counting the loop's own signal pipe). */
unsigned bt_io_count(const struct bt_loop *loop);

/* Call fn after delay_ms (then again after each delay it returns).  Returns
 * the timer's id, never 0; 0 means out of memory or BT_LOOP_TIMERS_MAX
 * timers.  Timers due at the same time fire in the order they were armed. */
uint64_t bt_timer_add(struct bt_loop *loop, uint64_t delay_ms, bt_timer_fn *fn,
	void *ud);
/* Cancel a timer (also from inside any callback, its own included: its
 * return value is then ignored).  0, or BT_E_NOENT for an unknown or
 * finished id.  Ids are not reused while the loop lives (2^32 generations
 * per slot). */
int bt_timer_del(struct bt_loop *loop, uint64_t id);
/* Number of timers alive (armed, or running and not yet ended). */
unsigned bt_timer_count(const struct bt_loop *loop);

/* Deliver signo to fn on the loop thread (fn NULL: stop, restoring the
 * previous action).  The handler only sets a flag and writes one byte to a
 * non-blocking O_CLOEXEC self-pipe.  A signal is owned by one loop at a
 * time: BT_E_EXIST if another loop has it; BT_E_INVAL for a bad signo
 * (or SIGKILL/SIGSTOP); BT_E_IO if pipe2() or sigaction() fail. */
int bt_loop_signal(struct bt_loop *loop, int signo, bt_signal_fn *fn, void *ud);

#endif
