/* opt.c - see opt.h */
#include "opt.h"

#include <errno.h>
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

/* The flag whose long name is name[0..len): an exact match, else the one
 * flag it is a prefix of (getopt's abbreviations); -1 when none or when
 * the prefix is ambiguous. */
static int
flag_by_long(const struct bt_flag *flags, size_t n, const char *name, size_t len)
{
	int found = -1;

	for (size_t k = 0; k < n; k++) {
		if (strncmp(flags[k].lname, name, len) != 0)
			continue;
		if (flags[k].lname[len] == 0)
			return (int)k;
		if (found >= 0)
			return -1;
		found = (int)k;
	}
	return found;
}

static int
flag_by_key(const struct bt_flag *flags, size_t n, int key)
{
	for (size_t k = 0; k < n; k++)
		if (flags[k].key == key)
			return (int)k;
	return -1;
}

/* One "--name", "--name=value" or "--name value" at argv[*a]; advances *a
 * past what it used.  0, -1 with err set, or the handler's answer + 100. */
static int
flag_long(const struct bt_flag *flags, size_t n, int argc, char **argv, int *a,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	const char *name = argv[*a] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int k = flag_by_long(flags, n, name, len);
	const char *val = NULL;

	(*a)++;
	if (k < 0 || (eq && !flags[k].arg)) {
		snprintf(err, errlen, "option --%.*s not recognized", (int)len, name);
		return -1;
	}
	if (flags[k].arg) {
		if (eq)
			val = eq + 1;
		else if (*a < argc)
			val = argv[(*a)++];
		else {
			snprintf(err, errlen, "option --%.*s requires an argument", (int)len, name);
			return -1;
		}
	}
	int r = fn(flags[k].key, val, ud);
	return r ? 100 + r : 0;
}

/* One cluster of short flags ("-av", "-ofile", "-o file") at argv[*a];
 * advances *a past what it used.  Answers as flag_long. */
static int
flag_short(const struct bt_flag *flags, size_t n, int argc, char **argv, int *a,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	const char *p = argv[(*a)++] + 1;

	for (; *p; p++) {
		int k = flag_by_key(flags, n, (unsigned char)*p);
		const char *val = NULL;
		if (k < 0) {
			snprintf(err, errlen, "option -%c not recognized", *p);
			return -1;
		}
		if (flags[k].arg) {
			if (p[1])
				val = p + 1;
			else if (*a < argc)
				val = argv[(*a)++];
			else {
				snprintf(err, errlen, "option -%c requires an argument", *p);
				return -1;
			}
		}
		int r = fn(flags[k].key, val, ud);
		if (r)
			return 100 + r;
		if (val)
			break;
	}
	return 0;
}

/* Our own parser, not getopt: getopt's state (optind after an error,
 * re-initialisation) differs between C libraries.  Every argv index is
 * checked against argc. */
int
bt_flag_parse(const struct bt_flag *flags, size_t n, int argc, char **argv,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	int a = 1;

	while (a < argc && argv[a]) {
		const char *arg = argv[a];
		int r;
		if (arg[0] != '-' || arg[1] == 0)
			break;		/* the first positional ("-" is one) */
		if (strcmp(arg, "--") == 0)
			return a + 1;
		if (arg[1] == '-')
			r = flag_long(flags, n, argc, argv, &a, fn, ud, err, errlen);
		else
			r = flag_short(flags, n, argc, argv, &a, fn, ud, err, errlen);
		if (r < 0)
			return -1;
		if (r)
			return -r;
	}
	return a;
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
