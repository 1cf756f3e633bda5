/* test_hook.c - the --on_complete command (hook): it runs under /bin/sh
 * with BT_TORRENT, BT_NAME, BT_PATH (absolute) and BT_INFO_HASH, older
 * values of those replaced, the rest of the environment kept, standard
 * input from /dev/null, SIGPIPE at its default; it is not waited for,
 * and bt_hook_reap collects it. */
#include "hook.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* Wait up to 5 s for path to exist; its text in out. */
static int
wait_text(const char *path, char *out, size_t cap)
{
	for (int k = 0; k < 500; k++) {
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(out, 1, cap - 1, f);
			out[n] = 0;
			fclose(f);
			if (n && out[n - 1] == '\n')
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

int
main(void)
{
	char cmd[1024], out[1024], want[1024], path[96], cwd[512];
	uint8_t hash[20];
	struct bt_hook_torrent h = { "/t/x.torrent", "my name", "data/x", hash };

	snprintf(dir, sizeof(dir), "/tmp/test_hook.XXXXXX");
	if (!mkdtemp(dir) || !getcwd(cwd, sizeof(cwd))) {
		perror("mkdtemp");
		return 2;
	}
	for (int k = 0; k < 20; k++)
		hash[k] = (uint8_t)(0xa0 + k);
	setenv("BT_NAME", "old", 1);
	setenv("HOOK_KEPT", "yes", 1);
	signal(SIGPIPE, SIG_IGN);

	snprintf(path, sizeof(path), "%s/env", dir);
	snprintf(cmd, sizeof(cmd), "{ read x; echo \"$BT_TORRENT|$BT_NAME|$BT_PATH|$BT_INFO_HASH"
		"|$HOOK_KEPT|$x|$(env | grep -c '^BT_NAME=')"
		"|$(grep SigIgn /proc/self/status | cut -f2)\"; } >%s.tmp && mv %s.tmp %s",
		path, path, path);
	CHECK_INT(bt_hook_run(cmd, &h, 0), ==, 0);
	CHECK_INT(wait_text(path, out, sizeof(out)), ==, 0);
	snprintf(want, sizeof(want), "/t/x.torrent|my name|%s/data/x|"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3|yes||", cwd);
	CHECK(strncmp(out, want, strlen(want)) == 0);
	if (strncmp(out, want, strlen(want)) != 0)
		fprintf(stderr, "got  %swant %s\n", out, want);
	/* One BT_NAME, the new one. */
	CHECK(strstr(out, "|yes||1|") != NULL);
	/* SIGPIPE (bit 13) not ignored in the command. */
	char *ign = strrchr(out, '|');
	if (CHECK(ign != NULL)) {
		unsigned long long mask = strtoull(ign + 1, NULL, 16);
		CHECK((mask & (1ull << (SIGPIPE - 1))) == 0);
	}

	/* Not waited for: the child is a zombie until reaped. */
	usleep(100000);
	bt_hook_reap();
	errno = 0;
	CHECK_INT(waitpid(-1, NULL, WNOHANG), ==, -1);
	CHECK_INT(errno, ==, ECHILD);

	/* A command that fails still starts (the shell reports it). */
	CHECK_INT(bt_hook_run("exit 3", &h, 1), ==, 0);
	usleep(100000);
	bt_hook_reap();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), ==, 0);
	return check_summary("hook");
}
