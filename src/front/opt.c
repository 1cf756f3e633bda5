/* opt.c - see opt.h */
#define _GNU_SOURCE
#include "opt.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
parse_int(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return -1;
	*out = x;
	return 0;
}

static int
parse_float(const char *s, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno)
		return -1;
	*out = x;
	return 0;
}

int
bt_opt_find(const struct bt_opt *opts, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(opts[k].name, name) == 0)
			return (int)k;
	return -1;
}

int
bt_opt_value(const struct bt_opt *o, const char *s, union bt_optv *v)
{
	switch (o->type) {
	case BT_OPT_INT:
		return parse_int(s, &v->i);
	case BT_OPT_FLOAT:
		return parse_float(s, &v->f);
	default:
		v->s = s;
		return 0;
	}
}

int
bt_opt_parse(const struct bt_opt *opts, size_t n, union bt_optv *v,
	int argc, char **argv, char **pos, char *err, size_t errlen)
{
	int npos = 0;
	unsigned char *given = calloc(n ? n : 1, 1);

	if (!given) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		v[k].s = NULL;
		if (opts[k].type != BT_OPT_REQ && bt_opt_value(&opts[k], opts[k].def, &v[k]) < 0) {
			snprintf(err, errlen, "bad default for --%s", opts[k].name);
			goto fail;
		}
	}
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (strncmp(arg, "--", 2) != 0) {
			pos[npos++] = argv[a];
			continue;
		}
		if (a + 1 >= argc) {
			snprintf(err, errlen, "parameter passed in at end with no value");
			goto fail;
		}
		int k = bt_opt_find(opts, n, arg + 2);
		if (k < 0) {
			snprintf(err, errlen, "unknown key %s", arg);
			goto fail;
		}
		const char *val = argv[++a];
		if (bt_opt_value(&opts[k], val, &v[k]) < 0) {
			snprintf(err, errlen, "wrong format of %s - %s expected, got '%s'",
				arg, opts[k].type == BT_OPT_INT ? "a whole number" : "a number",
				val);
			goto fail;
		}
		given[k] = 1;
	}
	for (size_t k = 0; k < n; k++) {
		if (opts[k].type == BT_OPT_REQ && !given[k]) {
			snprintf(err, errlen, "Option --%s is required.", opts[k].name);
			goto fail;
		}
	}
	free(given);
	return npos;
fail:
	free(given);
	return -1;
}

/* Append s[0..len) wrapped at width columns, each line indented. */
static void
wrap(struct bt_buf *out, const char *s, size_t len, size_t width, const char *indent)
{
	while (len > width) {
		size_t cut = width;
		while (cut > 0 && s[cut] != ' ')
			cut--;
		if (cut == 0) {		/* one long word: break it */
			bt_buf_adds(out, indent);
			bt_buf_add(out, s, width);
			bt_buf_addc(out, '\n');
			s += width;
			len -= width;
			continue;
		}
		bt_buf_adds(out, indent);
		bt_buf_add(out, s, cut);
		bt_buf_addc(out, '\n');
		s += cut + 1;
		len -= cut + 1;
	}
	if (len) {
		bt_buf_adds(out, indent);
		bt_buf_add(out, s, len);
		bt_buf_addc(out, '\n');
	}
}

void
bt_opt_help(const struct bt_opt *opts, size_t n, unsigned cols, struct bt_buf *out)
{
	size_t width = cols > 26 ? cols - 11 : (cols > 2 ? cols - 2 : 1);
	const char *indent = cols > 26 ? "          " : " ";
	struct bt_buf doc;

	for (size_t k = 0; k < n; k++) {
		bt_buf_printf(out, "--%s <arg>\n", opts[k].name);
		bt_buf_init(&doc, 0);
		bt_buf_adds(&doc, opts[k].help);
		if (opts[k].def && opts[k].def[0] && opts[k].type != BT_OPT_REQ)
			bt_buf_printf(&doc, " (defaults to %s)", opts[k].def);
		if (doc.err)
			out->err = doc.err;
		else
			wrap(out, (const char *)doc.p, doc.len, width, indent);
		bt_buf_free(&doc);
		bt_buf_addc(out, '\n');
	}
}

int
bt_flag_parse(const struct bt_flag *flags, size_t n, int argc, char **argv,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	char shorts[128] = "+:";
	size_t sl = 2;
	struct option *lo = calloc(n + 1, sizeof(*lo));
	int rc = -1;

	if (!lo) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n && sl + 3 < sizeof(shorts); k++) {
		shorts[sl++] = (char)flags[k].key;
		if (flags[k].arg)
			shorts[sl++] = ':';
		lo[k].name = flags[k].lname;
		lo[k].has_arg = flags[k].arg ? required_argument : no_argument;
		lo[k].val = flags[k].key;
	}
	shorts[sl] = 0;
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation */
	for (;;) {
		int prev = optind ? optind : 1;
		int c = getopt_long(argc, argv, shorts, lo, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1 >= prev ? optind - 1 : prev];
			if (optopt && !(what[0] == '-' && what[1] == '-'))
				snprintf(err, errlen, c == ':' ? "option -%c requires an argument"
					: "option -%c not recognized", optopt);
			else {
				const char *eq = strchr(what, '=');
				int len = eq ? (int)(eq - what) : (int)strlen(what);
				snprintf(err, errlen, c == ':' ? "option %.*s requires an argument"
					: "option %.*s not recognized", len, what);
			}
			goto out;
		}
		int r = fn(c, optarg, ud);
		if (r) {
			rc = -(100 + r);
			goto out;
		}
	}
	rc = optind;
out:
	free(lo);
	return rc;
}

void
bt_flag_help(const struct bt_flag *flags, size_t n, struct bt_buf *out)
{
	for (size_t k = 0; k < n; k++) {
		char left[64];
		snprintf(left, sizeof(left), "-%c, --%s%s%s", flags[k].key, flags[k].lname,
			flags[k].arg ? " " : "", flags[k].arg ? flags[k].arg : "");
		bt_buf_printf(out, "  %-28s %s\n", left, flags[k].help);
	}
}
