/* test_statedir.c - the per-user state directory (statedir): its path
 * from HOME or --state_dir, the config and resume paths, and the expiry of old resume
 * records. */
#include "statedir.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* A resume record for hash byte b, last touched age_days ago. */
static void
record(const char *state, uint8_t b, int age_days, char *path, size_t cap)
{
	uint8_t h[20];
	char why[256];
	char *p;
	FILE *f;
	struct timeval tv[2];

	memset(h, b, sizeof(h));
	p = bt_statedir_resume(state, h, why, sizeof(why));
	if (!CHECK(p != NULL))
		return;
	f = fopen(p, "w");
	if (CHECK(f != NULL))
		fclose(f);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= (time_t)age_days * 86400;
	tv[1] = tv[0];
	CHECK_INT(utimes(p, tv), ==, 0);
	snprintf(path, cap, "%s", p);
	free(p);
}

int
main(void)
{
	char why[256], *state, *p, a[256], b[256], c[256], d[256];
	uint8_t keep[40];

	snprintf(dir, sizeof(dir), "/tmp/test_statedir.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	unsetenv("HOME");
	CHECK(bt_statedir_path(why, sizeof(why)) == NULL);
	CHECK_STR(why, "HOME is not set");
	setenv("HOME", "", 1);
	CHECK(bt_statedir_path(why, sizeof(why)) == NULL);
	setenv("HOME", dir, 1);
	state = bt_statedir_path(why, sizeof(why));
	snprintf(a, sizeof(a), "%s/.BitTornado", dir);
	CHECK_STR(state, a);

	p = bt_statedir_config(state, "downloadheadless");
	snprintf(a, sizeof(a), "%s/.BitTornado/config.downloadheadless.ini", dir);
	CHECK_STR(p, a);
	free(p);

	/* The resume path makes the directories. */
	uint8_t h[20];
	memset(h, 0xab, sizeof(h));
	p = bt_statedir_resume(state, h, why, sizeof(why));
	snprintf(a, sizeof(a), "%s/.BitTornado/datacache/%s", dir,
		"abababababababababababababababababababab");
	CHECK_STR(p, a);
	free(p);
	struct stat st;
	CHECK(stat(state, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK_INT(bt_statedir_make(state, why, sizeof(why)), ==, 0);

	/* Expiry: old records go, except those kept; recent ones stay. */
	record(state, 0x01, 20, a, sizeof(a));
	record(state, 0x02, 20, b, sizeof(b));
	record(state, 0x03, 2, c, sizeof(c));
	record(state, 0x04, 20, d, sizeof(d));
	memset(keep, 0x02, 20);
	memset(keep + 20, 0x04, 20);
	bt_statedir_expire(state, 0, NULL, 0);
	CHECK_INT(access(a, F_OK), ==, 0);
	bt_statedir_expire(state, 10, keep, 2);
	CHECK_INT(access(a, F_OK), ==, -1);
	CHECK_INT(access(b, F_OK), ==, 0);
	CHECK_INT(access(c, F_OK), ==, 0);
	CHECK_INT(access(d, F_OK), ==, 0);
	bt_statedir_expire(state, 10, keep, 1);
	CHECK_INT(access(d, F_OK), ==, -1);

	/* --state_dir from a command line, before it is parsed: the last
	 * one; a value of another option is not taken for it, nor is a word
	 * after a boolean that stands alone; "" or none gives ~/.BitTornado. */
	{
		static const struct bt_opt t[] = {
			{ "ip", BT_OPT_STR, "", "" },
			{ "spew", BT_OPT_BOOL, "0", "" },
			{ "state_dir", BT_OPT_STR, "", "" },
		};
		char *v1[] = { "bt", "x.torrent", "--state_dir", "/s1", "--ip", "--state_dir",
			"--state_dir", "/s2", NULL };
		char *v2[] = { "bt", "--ip", "--state_dir", "x", NULL };
		char *v3[] = { "bt", "--state_dir", "/s1", "--state_dir", "", NULL };
		char *v4[] = { "bt", "--state_dir", NULL };
		char *v5[] = { "bt", "--spew", "--state-dir", "/s5", NULL };
		char *v6[] = { "bt", "--state_dir=/s6", "--", "--state_dir", "/no", NULL };
		snprintf(a, sizeof(a), "%s/.BitTornado", dir);
		p = bt_statedir_find(t, 3, 8, v1, why, sizeof(why));
		CHECK_STR(p, "/s2");
		free(p);
		p = bt_statedir_find(t, 3, 4, v2, why, sizeof(why));
		CHECK_STR(p, a);
		free(p);
		p = bt_statedir_find(t, 3, 5, v3, why, sizeof(why));
		CHECK_STR(p, a);
		free(p);
		p = bt_statedir_find(t, 3, 2, v4, why, sizeof(why));
		CHECK_STR(p, a);
		free(p);
		p = bt_statedir_find(t, 3, 4, v5, why, sizeof(why));
		CHECK_STR(p, "/s5");
		free(p);
		p = bt_statedir_find(t, 3, 5, v6, why, sizeof(why));
		CHECK_STR(p, "/s6");
		free(p);
	}

	/* A state directory that cannot be made. */
	p = bt_statedir_resume("/proc/no/such", h, why, sizeof(why));
	CHECK(p == NULL && strncmp(why, "cannot make /proc/no/such", 25) == 0);

	free(state);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), ==, 0);
	return check_summary("statedir");
}
