/* test_dl_opts.c - the client's option table (dl_opts): the defaults pass
 * the checks, the checks' limits and messages, the mapping onto the
 * engine and the listening socket, --priority, the peer id, and a table
 * built with extras. */
#include "dl_opts.h"
#include "opt.h"
#include "peerlisten.h"
#include "torrent.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Parse "--k v" pairs over the base table; returns the parser's result. */
static int
parse(union bt_optv *v, const char *const *args, int nargs)
{
	char *argv[32], *pos[32], err[256];

	argv[0] = (char *)"bt";
	for (int k = 0; k < nargs && k < 30; k++)
		argv[1 + k] = (char *)args[k];
	return bt_opt_parse(bt_dl_opts, DL_NOPTS, v, nargs + 1, argv, pos, err, sizeof(err));
}

/* The check of one "--name value" against the defaults: 0, or -1 with
 * the message in err. */
static int
check_one(const char *name, const char *val, char *err, size_t cap)
{
	union bt_optv v[DL_NOPTS];
	const char *args[2] = { name, val };

	if (parse(v, args, 2) != 0)
		return -2;
	err[0] = 0;
	return bt_dl_opts_check(v, err, cap);
}

static void
test_table(void)
{
	/* BitTornado's 59 first, in its order; ours after them. */
	CHECK_INT(DL_NBITTORNADO, ==, 59);
	CHECK_INT(DL_NOPTS, ==, 70);
	CHECK_STR(bt_dl_opts[DL_MAX_UPLOADS].name, "max_uploads");
	CHECK_STR(bt_dl_opts[DL_SAVEAS].name, "saveas");
	CHECK_STR(bt_dl_opts[DL_NBITTORNADO - 1].name, "dedicated_seed_id");
	CHECK_STR(bt_dl_opts[DL_DOWNLOAD_DIR].name, "download_dir");
	CHECK_STR(bt_dl_opts[DL_STATE_DIR].name, "state_dir");
	CHECK_STR(bt_dl_opts[DL_SEED_RATIO].name, "seed_ratio");
	CHECK_STR(bt_dl_opts[DL_SEED_TIME].name, "seed_time");
	CHECK_STR(bt_dl_opts[DL_SEED_IDLE].name, "seed_idle");
	CHECK_STR(bt_dl_opts[DL_ON_COMPLETE].name, "on_complete");
	CHECK_STR(bt_dl_opts[DL_SYSLOG].name, "syslog");
	CHECK_STR(bt_dl_opts[DL_LOG_PEERS].name, "log_peers");
	CHECK_STR(bt_dl_opts[DL_SCROLL_DISPLAY].name, "scroll_display");
	CHECK_STR(bt_dl_opts[DL_LSD].name, "lsd");
	for (size_t k = 0; k < DL_NOPTS; k++)
		CHECK(bt_dl_opts[k].name && bt_dl_opts[k].help && bt_dl_opts[k].def);
	CHECK_STR(bt_dl_opts[DL_OVERWRITE].name, "overwrite");
	/* Names are unique. */
	int dup = 0;
	for (size_t a = 0; a < DL_NOPTS; a++)
		for (size_t b = a + 1; b < DL_NOPTS; b++)
			dup += strcmp(bt_dl_opts[a].name, bt_dl_opts[b].name) == 0;
	CHECK_INT(dup, ==, 0);

	/* A table with extras: the base, then the extras in order. */
	static const struct bt_opt extra[] = {
		{ "parse_dir_interval", BT_OPT_INT, "60", "how often to rescan" },
		{ "saveas_style", BT_OPT_INT, "1", "how to name downloads" },
	};
	struct bt_opt t[DL_NOPTS + 2];
	CHECK_INT(bt_dl_opts_build(t, extra, 2), ==, DL_NOPTS + 2);
	CHECK_STR(t[DL_MINPORT].name, "minport");
	CHECK_STR(t[DL_NOPTS].name, "parse_dir_interval");
	CHECK_STR(t[DL_NOPTS + 1].def, "1");
	CHECK_INT(bt_dl_opts_build(t, NULL, 0), ==, DL_NOPTS);

	int skip = 0;
	for (size_t k = 0; bt_dl_not_saved[k]; k++)
		skip++;
	CHECK_INT(skip, ==, 6);
	CHECK_STR(bt_dl_not_saved[4], "state_dir");
	CHECK_STR(bt_dl_not_saved[5], "overwrite");
}

static void
test_check(void)
{
	union bt_optv v[DL_NOPTS];
	char err[256];

	CHECK_INT(parse(v, NULL, 0), ==, 0);
	err[0] = 0;
	CHECK_INT(bt_dl_opts_check(v, err, sizeof(err)), ==, 0);
	CHECK_STR(err, "");

	CHECK_INT(check_one("--minport", "0", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--minport 0 is out of range (1 to 65535)");
	CHECK_INT(check_one("--maxport", "65536", err, sizeof(err)), ==, -1);
	CHECK_INT(check_one("--maxport", "65535", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--max_upload_rate", "-1", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--max_upload_rate", "-2", err, sizeof(err)), ==, -1);
	CHECK_INT(check_one("--timeout", "0", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--timeout 0 is out of range (0.001 to 2.592e+06)");
	CHECK_INT(check_one("--snub_time", "nan", err, sizeof(err)), !=, 0);
	CHECK_INT(check_one("--maxport", "9000", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--minport 10000 is above --maxport 9000");
	CHECK_INT(check_one("--alloc_type", "sparse", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--alloc_type", "fast", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--alloc_type must be normal, background, pre-allocate or sparse, not 'fast'");
	CHECK_INT(check_one("--crypto_only", "1", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--crypto_stealth", "1", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--crypto_allowed", "1", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--seed_ratio", "-0.5", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--seed_ratio -0.5 is out of range (0 to 1e+06)");
	CHECK_INT(check_one("--seed_time", "-1", err, sizeof(err)), ==, -1);
	CHECK_INT(check_one("--seed_idle", "inf", err, sizeof(err)), ==, -1);
	CHECK_INT(check_one("--seed_time", "0.05", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--syslog", "2", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--syslog 2 is out of range (0 to 1)");
	CHECK_INT(check_one("--syslog", "1", err, sizeof(err)), ==, 0);
	CHECK_INT(check_one("--overwrite", "2", err, sizeof(err)), ==, -1);
	CHECK_STR(err, "--overwrite 2 is out of range (0 to 1)");
	CHECK_INT(check_one("--overwrite", "1", err, sizeof(err)), ==, 0);
}

static void
test_mapping(void)
{
	union bt_optv v[DL_NOPTS];
	struct bt_torrent_opts o;
	struct bt_peerlisten_opts lo;
	static const char *const args[] = {
		"--max_uploads", "0", "--max_upload_rate", "-1", "--max_download_rate", "50",
		"--ip", "10.0.0.1", "--timeout", "1.5", "--max_initiate", "0", "--bind", "",
		"--minport", "7000", "--maxport", "7010", "--random_port", "0", "--ipv6_enabled", "1",
		"--check_hashes", "0", "--overwrite", "1",
	};
	CHECK_INT(parse(v, args, (int)(sizeof(args) / sizeof(args[0]))), ==, 0);
	bt_dl_torrent_opts(v, &o);
	CHECK_INT(o.max_uploads, ==, 1);
	CHECK_INT(o.max_upload_rate, ==, 0);
	CHECK_INT(o.max_download_rate, ==, 50000);
	CHECK_STR(o.ip, "10.0.0.1");
	CHECK(o.seed_id == NULL);
	CHECK_INT(o.timeout_ms, ==, 1500);
	CHECK_INT(o.keepalive_ms, ==, 120000);
	CHECK_INT(o.max_initiate, ==, 40);	/* 0 keeps the engine's default */
	CHECK_INT(o.check_hashes, ==, 0);
	CHECK_INT(o.overwrite, ==, 1);
	CHECK_INT(o.ipv6, ==, 1);
	CHECK(strncmp(o.user_agent, "bt/", 3) == 0);

	bt_dl_listen_opts(v, &lo, 42);
	CHECK_INT(lo.minport, ==, 7000);
	CHECK_INT(lo.maxport, ==, 7010);
	CHECK_INT(lo.random_port, ==, 0);
	CHECK(lo.bind == NULL);
	CHECK_INT(lo.ipv6, ==, 1);
	CHECK_INT(lo.seed, ==, 42);

	CHECK_INT(bt_dl_secs_ms(0), ==, 1);
	CHECK_INT(bt_dl_secs_ms(0.0004), ==, 1);
	CHECK_INT(bt_dl_secs_ms(2.5), ==, 2500);
	CHECK_INT(bt_dl_secs_ms(1e12), ==, UINT32_MAX);
	CHECK_INT(parse(v, NULL, 0), ==, 0);
	CHECK_INT(bt_dl_display_ms(v), ==, 500);
	v[DL_DISPLAY_INTERVAL].f = 0.01;
	CHECK_INT(bt_dl_display_ms(v), ==, 100);
}

static void
test_priorities(void)
{
	int8_t *p;

	p = bt_dl_priorities("0,1, 2 ,-1", 4);
	CHECK(p && p[0] == 0 && p[1] == 1 && p[2] == 2 && p[3] == -1);
	free(p);
	p = bt_dl_priorities("+1", 1);
	CHECK(p && p[0] == 1);
	free(p);
	CHECK(bt_dl_priorities("", 3) == NULL);
	CHECK(bt_dl_priorities("1", 0) == NULL);
	CHECK(bt_dl_priorities("1,1", 3) == NULL);	/* too few */
	CHECK(bt_dl_priorities("1,1,1,1", 3) == NULL);	/* too many */
	CHECK(bt_dl_priorities("3", 1) == NULL);
	CHECK(bt_dl_priorities("-2", 1) == NULL);
	CHECK(bt_dl_priorities("1,", 1) == NULL);
	CHECK(bt_dl_priorities("1;2", 2) == NULL);
	CHECK(bt_dl_priorities("x", 1) == NULL);
}

static void
test_peer_id(void)
{
	uint8_t a[20], b[20];
	int bad = 0;

	bt_dl_peer_id(a);
	bt_dl_peer_id(b);
	CHECK(memcmp(a, "-bt", 3) == 0 && a[7] == '-');
	for (int k = 3; k < 20; k++)
		if (k != 7 && !((a[k] >= '0' && a[k] <= '9') || (a[k] >= 'A' && a[k] <= 'Z') ||
		    (a[k] >= 'a' && a[k] <= 'z')))
			bad++;
	CHECK_INT(bad, ==, 0);
	CHECK(memcmp(a, b, 8) == 0);
	CHECK(memcmp(a + 8, b + 8, 12) != 0);
}

int
main(void)
{
	test_table();
	test_check();
	test_mapping();
	test_priorities();
	test_peer_id();
	return check_summary("dl_opts");
}
