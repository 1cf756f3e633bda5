/* hook.c - see hook.h */
#include "hook.h"
#include "cli.h"
#include "msg.h"
#include "saveas.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static const char *const names[] = { "BT_TORRENT=", "BT_NAME=", "BT_PATH=", "BT_INFO_HASH=" };
#define NVARS (sizeof(names) / sizeof(names[0]))

/* Is e one of the variables we set? */
static int
ours(const char *e)
{
	for (size_t k = 0; k < NVARS; k++)
		if (strncmp(e, names[k], strlen(names[k])) == 0)
			return 1;
	return 0;
}

/* The child's environment: ours, then the rest of environ; NULL-ended,
 * the first NVARS strings allocated (free_env). */
static char **
make_env(const struct bt_hook_torrent *h)
{
	size_t n = 0, k = 0;
	char hex[41], *path;
	char **env;

	while (environ && environ[n])
		n++;
	env = xcalloc(n + NVARS + 1, sizeof(*env));
	bt_hex(hex, h->info_hash, 20);
	env[k++] = xfmt("%s%s", names[0], h->torrent);
	env[k++] = xfmt("%s%s", names[1], h->name);
	path = bt_saveas_abspath(h->path);
	env[k++] = xfmt("%s%s", names[2], path);
	free(path);
	env[k++] = xfmt("%s%s", names[3], hex);
	for (size_t i = 0; i < n; i++)
		if (!ours(environ[i]))
			env[k++] = environ[i];
	return env;
}

static void
free_env(char **env)
{
	for (size_t k = 0; k < NVARS; k++)
		free(env[k]);
	free(env);
}

/* The file actions and attributes of the child (see hook.h). */
static int
set_up(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int quiet)
{
	sigset_t none, def;
	int rc;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	if ((rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0)) ||
	    (quiet && (rc = posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0))) ||
	    (quiet && (rc = posix_spawn_file_actions_adddup2(fa, 1, 2))) ||
	    (rc = posix_spawnattr_setsigmask(at, &none)) ||
	    (rc = posix_spawnattr_setsigdefault(at, &def)))
		return rc;
	return posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

int
bt_hook_run(const char *cmd, const struct bt_hook_torrent *h, int quiet)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **env;
	pid_t pid;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = rc;
		return -1;
	}
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = rc;
		return -1;
	}
	env = make_env(h);
	rc = set_up(&fa, &at, quiet);
	if (rc == 0)
		rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
	free_env(env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

void
bt_hook_reap(void)
{
	int e = errno;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = e;
}
