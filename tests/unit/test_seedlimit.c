/* test_seedlimit.c - when to stop seeding (seedlimit): the limits from the
 * options, the share ratio, the seeding time from the end of the download
 * or from the first check (complete at start), the idle time reset by
 * uploads, the order of the reasons, and no limit at all. */
#include "dl_opts.h"
#include "opt.h"
#include "seedlimit.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define MB 1000000ull

/* Limits from "--k v" pairs over the client's table. */
static void
limits(struct bt_seedlimit *s, const char *const *args, int nargs)
{
	char *argv[16], *pos[16], err[256];
	union bt_optv v[DL_NOPTS];

	argv[0] = (char *)"bt";
	for (int k = 0; k < nargs && k < 14; k++)
		argv[1 + k] = (char *)args[k];
	CHECK_INT(bt_opt_parse(bt_dl_opts, DL_NOPTS, v, nargs + 1, argv, pos, err, sizeof(err)), ==, 0);
	CHECK_INT(bt_dl_opts_check(v, err, sizeof(err)), ==, 0);
	bt_seedlimit_init(s, v);
}

static void
test_none(void)
{
	struct bt_seedlimit s;

	limits(&s, NULL, 0);
	CHECK(!bt_seedlimit_any(&s));
	CHECK(bt_seedlimit_check(&s, 0, 10 * MB, 1000) == NULL);
	CHECK(bt_seedlimit_check(&s, 100 * MB, 10 * MB, 1000 + 86400000ull * 365) == NULL);
}

static void
test_options(void)
{
	struct bt_seedlimit s;
	static const char *const a[] = { "--seed_ratio", "1.5", "--seed_time", "0.05",
		"--seed_idle", "2" };

	limits(&s, a, 6);
	CHECK(bt_seedlimit_any(&s));
	CHECK(s.ratio == 1.5);
	CHECK_INT(s.time_ms, ==, 3000);		/* 0.05 min */
	CHECK_INT(s.idle_ms, ==, 120000);
	/* A tiny limit is still a limit. */
	static const char *const b[] = { "--seed_time", "1e-9" };
	limits(&s, b, 2);
	CHECK_INT(s.time_ms, ==, 1);
}

static void
test_ratio(void)
{
	struct bt_seedlimit s;
	static const char *const a[] = { "--seed_ratio", "0.5" };

	limits(&s, a, 2);
	bt_seedlimit_start(&s, 0, 5000);
	CHECK(bt_seedlimit_check(&s, 4 * MB, 10 * MB, 6000) == NULL);
	CHECK(bt_seedlimit_check(&s, 5 * MB - 1, 10 * MB, 7000) == NULL);
	CHECK_STR(bt_seedlimit_check(&s, 5 * MB, 10 * MB, 8000), "share ratio reached");
	/* An empty torrent never reaches a ratio. */
	limits(&s, a, 2);
	CHECK(bt_seedlimit_check(&s, 0, 0, 1000) == NULL);
}

static void
test_time(void)
{
	struct bt_seedlimit s;
	static const char *const a[] = { "--seed_time", "0.05" };	/* 3 s */

	/* From the end of the download. */
	limits(&s, a, 2);
	bt_seedlimit_start(&s, 7, 100000);
	CHECK(bt_seedlimit_check(&s, 9, MB, 102999) == NULL);
	CHECK_STR(bt_seedlimit_check(&s, 9, MB, 103000), "seeding time reached");

	/* Complete at start: from the first check. */
	limits(&s, a, 2);
	CHECK(bt_seedlimit_check(&s, 0, MB, 50000) == NULL);
	CHECK(bt_seedlimit_check(&s, 0, MB, 52999) == NULL);
	CHECK_STR(bt_seedlimit_check(&s, 0, MB, 53000), "seeding time reached");
}

static void
test_idle(void)
{
	struct bt_seedlimit s;
	static const char *const a[] = { "--seed_idle", "0.05" };	/* 3 s */

	limits(&s, a, 2);
	bt_seedlimit_start(&s, 100, 0);
	CHECK(bt_seedlimit_check(&s, 100, MB, 2000) == NULL);
	/* An upload at 2.5 s: idle counts from there. */
	CHECK(bt_seedlimit_check(&s, 200, MB, 2500) == NULL);
	CHECK(bt_seedlimit_check(&s, 200, MB, 5000) == NULL);
	CHECK_STR(bt_seedlimit_check(&s, 200, MB, 5500), "idle seeding time reached");
	/* The upload count at the start is not an upload. */
	limits(&s, a, 2);
	bt_seedlimit_start(&s, 500, 10000);
	CHECK_STR(bt_seedlimit_check(&s, 500, MB, 13000), "idle seeding time reached");
}

static void
test_order(void)
{
	struct bt_seedlimit s;
	static const char *const a[] = { "--seed_ratio", "1", "--seed_time", "1",
		"--seed_idle", "1" };

	limits(&s, a, 6);
	bt_seedlimit_start(&s, 0, 0);
	/* All three at once: the ratio is named. */
	CHECK_STR(bt_seedlimit_check(&s, MB, MB, 60000), "share ratio reached");
	limits(&s, a, 6);
	bt_seedlimit_start(&s, 0, 0);
	CHECK_STR(bt_seedlimit_check(&s, 0, MB, 60000), "seeding time reached");
}

int
main(void)
{
	test_none();
	test_options();
	test_ratio();
	test_time();
	test_idle();
	test_order();
	return check_summary("seedlimit");
}
