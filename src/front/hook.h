/* hook.h - --on_complete: a command the user gives, run by /bin/sh when a
 * torrent finishes, told about the torrent through its environment:
 *   BT_TORRENT    the .torrent file (or its URL)
 *   BT_NAME       the torrent's name
 *   BT_PATH       where its data is (the file, or the directory), absolute
 *   BT_INFO_HASH  its info hash, 40 lower-case hex digits
 * The command is not waited for: the caller reaps it (bt_hook_reap, on
 * SIGCHLD). */
#ifndef BT_HOOK_H
#define BT_HOOK_H

#include <stdint.h>

struct bt_hook_torrent {
	const char *torrent;		/* BT_TORRENT */
	const char *name;		/* BT_NAME */
	const char *path;		/* BT_PATH (made absolute) */
	const uint8_t *info_hash;	/* BT_INFO_HASH, 20 bytes */
};

/* Start "/bin/sh -c cmd" with the environment plus the BT_ variables of
 * h, standard input from /dev/null, the default action for SIGPIPE and no
 * signal blocked; standard output and error are ours, or /dev/null when
 * quiet (a curses screen).  Returns 0, or -1 with errno set. */
int bt_hook_run(const char *cmd, const struct bt_hook_torrent *h, int quiet);

/* Reap every child process that has ended, without waiting. */
void bt_hook_reap(void);

#endif
