/* loop.h - helpers for unit tests that run the reactor or talk to servers
 * on loopback.  Header only, every function static inline: include it
 * from a test program and use what it needs.
 *
 *   loop_now_ms()                    monotonic clock, milliseconds
 *   loop_run_until(lp, c, n, ms)     run passes of lp until *c >= n or ms
 *                                    have passed (c NULL: just for ms)
 *   loop_wait_resolve(ms)            wait until no bt_resolve() worker is
 *                                    busy (before leak checks, at the end)
 *   loop_listen_tcp(fam, bl, fl, &p) a TCP listener on the loopback
 *                                    address, its port in p
 *   loop_closed_port()               a loopback TCP port nobody listens on
 *   loop_spawn(argv, line, cap, ms)  start a child server and read the
 *                                    first line it prints (its ports)
 *   loop_kill(&pid)                  SIGKILL a child and reap it
 *
 * Every wait is bounded by the caller's limit, so a broken test ends
 * instead of hanging. */
#ifndef BT_TEST_LOOP_H
#define BT_TEST_LOOP_H

#include "net.h"
#include "reactor.h"
#include "resolve.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run passes of lp (each waiting at most 20 ms) until *counter >= want
 * or max_ms have passed; with counter NULL, for max_ms. */
static inline void
loop_run_until(struct bt_loop *lp, const int *counter, int want, unsigned max_ms)
{
	uint64_t end = loop_now_ms() + max_ms;

	while ((!counter || *counter < want) && loop_now_ms() < end)
		bt_loop_run_once(lp, 20);
}

/* Wait (sleeping, not running a loop) until bt_resolve_pending() is 0 or
 * max_ms have passed. */
static inline void
loop_wait_resolve(unsigned max_ms)
{
	uint64_t end = loop_now_ms() + max_ms;

	while (bt_resolve_pending() && loop_now_ms() < end)
		usleep(1000);
}

/* A TCP listener on the loopback address of family (AF_INET, AF_INET6)
 * with bt_net_listen_tcp's backlog and flags; *port (if not NULL) gets
 * its port.  Returns the fd or a negative BT_E_* code. */
static inline int
loop_listen_tcp(int family, int backlog, unsigned flags, uint16_t *port)
{
	struct sockaddr_storage a;
	int fd;

	bt_addr_loopback(&a, family, 0);
	fd = bt_net_listen_tcp(&a, backlog, flags);
	if (fd >= 0 && port) {
		bt_net_local_addr(fd, &a);
		*port = bt_addr_port(&a);
	}
	return fd;
}

/* A port on 127.0.0.1 that refuses connections: one the kernel just gave
 * a listener, which is closed again. */
static inline uint16_t
loop_closed_port(void)
{
	uint16_t port = 0;
	int fd = loop_listen_tcp(AF_INET, 1, 0, &port);

	if (fd >= 0)
		close(fd);
	return port;
}

/* SIGKILL the child *pid (if > 0), wait for it, set *pid to -1. */
static inline void
loop_kill(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

/* Start argv[0] (looked up in PATH) with the arguments argv (NULL at the
 * end): its stdout a pipe to us, stderr /dev/null, killed when this
 * process dies.  Its first output line, without the newline, goes into
 * line[0..cap) (NUL-terminated); at most max_ms are spent waiting for it.
 * Returns the child's pid, or -1 when it could not be started or printed
 * no whole line in time (a child that did start is then killed). */
static inline pid_t
loop_spawn(char *const argv[], char *line, size_t cap, unsigned max_ms)
{
	struct pollfd pfd;
	uint64_t end;
	size_t len = 0;
	char *nl = NULL;
	int fds[2];
	pid_t pid;

	line[0] = 0;
	if (cap < 2 || pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	end = loop_now_ms() + max_ms;
	while (!nl && len < cap - 1 && loop_now_ms() < end) {
		ssize_t k;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		k = read(fds[0], line + len, cap - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		line[len] = 0;
		nl = strchr(line, '\n');
	}
	close(fds[0]);
	if (!nl) {
		loop_kill(&pid);
		line[0] = 0;
		return -1;
	}
	*nl = 0;
	return pid;
}

#endif
