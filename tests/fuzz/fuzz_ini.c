/* fuzz_ini.c - libFuzzer target: the input as an option configuration
 * file (front/ini.c's bt_ini_read) for a table with options of every
 * type, one of them skipped.
 *
 * Checked: every value taken is a copy that the table's default now
 * points at, is valid for its option's type (bt_opt_value), and no
 * skipped option is set; the values taken, written back with
 * bt_ini_write (which refuses strings holding a line break) and read
 * into a fresh table, read the same (strings exactly, numbers by value). */
#define _GNU_SOURCE
#include "ini.h"
#include "opt.h"
#include "fuzz_tmp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct bt_opt table[] = {
	{ "saveas", BT_OPT_STR, "", "" },
	{ "max_upload_rate", BT_OPT_INT, "0", "" },
	{ "min_peers", BT_OPT_INT, "20", "" },
	{ "timeout", BT_OPT_FLOAT, "300.0", "" },
	{ "ip", BT_OPT_STR, "", "" },
	{ "responsefile", BT_OPT_REQ, NULL, "" },
	{ "skipped", BT_OPT_STR, "keep", "" },
};
#define N (sizeof(table) / sizeof(table[0]))
static const char *const skip[] = { "skipped", NULL };

static char path[64], path2[64];

static void
put(const char *p, const uint8_t *data, size_t size)
{
	FILE *f = fopen(p, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

static int
same_value(const struct bt_opt *o, const char *a, const char *b)
{
	union bt_optv x, y;

	if (BT_OPT_TYPE(o->type) == BT_OPT_STR || BT_OPT_TYPE(o->type) == BT_OPT_REQ)
		return strcmp(a, b) == 0;
	if (bt_opt_value(o, a, &x) < 0 || bt_opt_value(o, b, &y) < 0)
		return 0;
	return BT_OPT_TYPE(o->type) != BT_OPT_FLOAT ? x.i == y.i : x.f == y.f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_opt opts[N], opts2[N];
	char *vals[N] = { 0 }, *vals2[N] = { 0 }, why[256];
	union bt_optv v[N];

	if (!path[0]) {
		char name[40];
		snprintf(name, sizeof(name), "fuzz_ini.%ld.a", (long)getpid());
		fuzz_tmp(path, sizeof(path), name);
		snprintf(name, sizeof(name), "fuzz_ini.%ld.b", (long)getpid());
		fuzz_tmp(path2, sizeof(path2), name);
	}
	if (size > BT_INI_MAX + 16)
		return 0;
	put(path, data, size);
	memcpy(opts, table, sizeof(opts));
	memcpy(opts2, table, sizeof(opts2));
	struct bt_ini_src src = { .path = path }, src2 = { .path = path2 };
	bt_ini_read(&src, opts, N, vals, skip);
	for (size_t k = 0; k < N; k++) {
		if (!vals[k]) {
			if (opts[k].def != table[k].def)
				abort();
			v[k].s = NULL;
			if (table[k].def && bt_opt_value(&table[k], table[k].def, &v[k]) < 0)
				abort();
			continue;
		}
		if (k == N - 1 || opts[k].def != vals[k] ||
			bt_opt_value(&opts[k], vals[k], &v[k]) < 0)
			abort();
		if (BT_OPT_TYPE(opts[k].type) == BT_OPT_FLOAT && !isfinite(v[k].f))
			abort();
	}
	if (!vals[5])
		v[5].s = "";
	if (bt_ini_write(path2, opts, N, v, skip, why, sizeof(why)) == 0) {
		bt_ini_read(&src2, opts2, N, vals2, skip);
		for (size_t k = 0; k + 1 < N; k++) {
			if (!vals[k])
				continue;
			if (!vals2[k] || !same_value(&table[k], vals[k], vals2[k]))
				abort();
		}
	}
	for (size_t k = 0; k < N; k++) {
		free(vals[k]);
		free(vals2[k]);
	}
	unlink(path);
	unlink(path2);
	return 0;
}
