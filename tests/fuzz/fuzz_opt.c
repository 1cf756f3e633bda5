/* fuzz_opt.c - libFuzzer target for the command-line parsers (opt.h).
 *
 * The input is split into words at NUL and newline bytes (at most 64).
 * bt_opt_parse must answer a count of positionals, -1 with a reason or
 * BT_OPT_HELP, every positional one of the words; bt_opt_last must agree
 * with it on the last value; bt_flag_parse must only reorder the words
 * (the same pointers, flags first) and answer an index inside argv. */
#include "opt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_opt.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

#define MAXW 64

static const struct bt_opt opts[] = {
	{ "name", BT_OPT_STR | BT_OPT_LETTER('n'), "", "" },
	{ "count", BT_OPT_INT | BT_OPT_COMMON, "3", "" },
	{ "rate", BT_OPT_FLOAT | BT_OPT_COMPAT, "1.5", "" },
	{ "announce-list", BT_OPT_STR, "", "" },
	{ "private", BT_OPT_BOOL | BT_OPT_LETTER('p'), "0", "" },
	{ "need", BT_OPT_REQ, NULL, "" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct bt_flag flags[] = {
	{ 'a', "all", NULL, "", 0 },
	{ 'o', "out_file", "FILE", "", 0 },
	{ 'v', "verbose", NULL, "", 0 },
	{ 'r', "replace", "OLD NEW", "", 2 },
};

static int
on_flag(int key, const char *arg, void *ud)
{
	(void)arg;
	return key == 'v' && *(int *)ud ? 1 : 0;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(char *const *)a, y = (uintptr_t)*(char *const *)b;
	return x < y ? -1 : x > y;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[MAXW + 2], *orig[MAXW + 2], *pos[MAXW + 2];
	union bt_optv v[NOPTS];
	char err[96];
	int argc = 1, stop = size > 0 && data[0] & 1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	argv[0] = "prog";
	for (char *p = text; argc <= MAXW && p <= text + size; ) {
		size_t n = strcspn(p, "\n");
		p[n] = 0;
		argv[argc++] = p;
		p += n + 1;
	}
	argv[argc] = NULL;
	memcpy(orig, argv, sizeof(argv));

	int r = bt_opt_parse(opts, NOPTS, v, argc, argv, pos, err, sizeof(err));
	ASSERT(r == -1 || r == BT_OPT_HELP || (r >= 0 && r < argc));
	if (r == -1)
		ASSERT(memchr(err, 0, sizeof(err)) && err[0]);
	for (int k = 0; r > 0 && k < r; k++) {
		int found = 0;
		for (int a = 1; a < argc; a++)
			found |= pos[k] == argv[a];
		ASSERT(found);
	}
	if (r >= 0) {
		const char *last = bt_opt_last(opts, NOPTS, argc, argv, "name");
		ASSERT(last ? strcmp(last, v[0].s) == 0 : v[0].s[0] == 0);
	}
	(void)bt_nearest(argv[argc - 1], opts, NOPTS, sizeof(opts[0]));

	int first = bt_flag_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv, on_flag,
		&stop, err, sizeof(err));
	ASSERT(first == -1 || first == -101 || (first >= 1 && first <= argc));
	qsort(argv + 1, (size_t)argc - 1, sizeof(char *), cmp_ptr);
	qsort(orig + 1, (size_t)argc - 1, sizeof(char *), cmp_ptr);
	ASSERT(memcmp(argv, orig, sizeof(char *) * (size_t)argc) == 0);
	free(text);
	return 0;
}
