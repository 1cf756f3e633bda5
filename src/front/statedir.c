/* statedir.c - see statedir.h */
#include "statedir.h"
#include "cli.h"
#include "msg.h"
#include "opt.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *
bt_statedir_path(char *why, size_t cap)
{
	const char *home = getenv("HOME");

	if (!home || !home[0]) {
		snprintf(why, cap, "HOME is not set");
		return NULL;
	}
	return xfmt("%s/.BitTornado", home);
}

char *
bt_statedir_find(const struct bt_opt *opts, size_t n, int argc, char **argv,
	char *why, size_t cap)
{
	const char *dir = bt_opt_last(opts, n, argc, argv, "state_dir");

	return dir && dir[0] ? xstrdup(dir) : bt_statedir_path(why, cap);
}

int
bt_statedir_make(const char *dir, char *why, size_t cap)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, cap, "cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

char *
bt_statedir_config(const char *state, const char *applet)
{
	return xfmt("%s/config.%s.ini", state, applet);
}

char *
bt_statedir_resume(const char *state, const uint8_t hash[20], char *why, size_t cap)
{
	char hex[41];
	char *dir, *path;

	if (bt_statedir_make(state, why, cap) < 0)
		return NULL;
	dir = xfmt("%s/datacache", state);
	if (bt_statedir_make(dir, why, cap) < 0) {
		free(dir);
		return NULL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(why, cap, "cannot write in %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	bt_hex(hex, hash, 20);
	path = xfmt("%s/%s", dir, hex);
	free(dir);
	return path;
}

/* Is hash one of the n in keep? */
static int
kept(const uint8_t hash[20], const uint8_t *keep, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (memcmp(hash, keep + 20 * k, 20) == 0)
			return 1;
	return 0;
}

void
bt_statedir_expire(const char *state, long long days, const uint8_t *keep,
	size_t nkeep)
{
	char *dir;
	DIR *d;
	struct dirent *e;
	time_t limit;

	if (days <= 0)
		return;
	limit = time(NULL) - (time_t)(days * 86400);
	dir = xfmt("%s/datacache", state);
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		uint8_t h[20];
		struct stat st;
		if (strlen(e->d_name) != 40 || bt_unhex(h, e->d_name, 20) < 0 ||
		    kept(h, keep, nkeep))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < limit)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dir);
}
