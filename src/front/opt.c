/* opt.c - see opt.h */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
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

/* How typed a[0..len) names the option or flag called b ('-' and '_'
 * the same): 2 equal, 1 the start of b, 0 neither. */
static int
name_match(const char *a, size_t len, const char *b)
{
	size_t k = 0;

	for (; k < len; k++) {
		char x = a[k] == '-' ? '_' : a[k], y = b[k] == '-' ? '_' : b[k];
		if (!b[k] || x != y)
			return 0;
	}
	return b[k] ? 1 : 2;
}

static int
opt_find_len(const struct bt_opt *opts, size_t n, const char *name, size_t len)
{
	for (size_t k = 0; k < n; k++)
		if (name_match(name, len, opts[k].name) == 2)
			return (int)k;
	return -1;
}

int
bt_opt_find(const struct bt_opt *opts, size_t n, const char *name)
{
	return opt_find_len(opts, n, name, strlen(name));
}

static int
opt_find_letter(const struct bt_opt *opts, size_t n, char c)
{
	for (size_t k = 0; k < n; k++)
		if (BT_OPT_LETTER_OF(opts[k].type) && BT_OPT_LETTER_OF(opts[k].type) == c)
			return (int)k;
	return -1;
}

int
bt_opt_value(const struct bt_opt *o, const char *s, union bt_optv *v)
{
	switch (BT_OPT_TYPE(o->type)) {
	case BT_OPT_INT:
	case BT_OPT_BOOL:
		return parse_int(s, &v->i);
	case BT_OPT_FLOAT:
		return parse_float(s, &v->f);
	default:
		v->s = s;
		return 0;
	}
}

size_t
bt_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX / 2;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *
bt_nearest(const char *word, const void *names, size_t n, size_t stride)
{
	const char *best = NULL;
	size_t len = strlen(word);
	size_t bestd = len <= 4 ? 2 : 3;	/* one edit in a short word, two in a longer */

	for (size_t k = 0; k < n; k++) {
		const char *name = *(const char *const *)(const void *)((const char *)names + k * stride);
		size_t d = bt_edit_distance(word, name);
		if (d < bestd) {
			bestd = d;
			best = name;
		}
	}
	return best;
}

int
bt_opt_wants_help(int argc, char **argv)
{
	for (int a = 1; a < argc && argv[a]; a++) {
		if (strcmp(argv[a], "--") == 0)
			return 0;
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return 1;
	}
	return 0;
}

/* What one step over the command line found. */
enum { W_POS, W_OPT, W_SKIP, W_HELP };

struct word {
	int k;			/* W_OPT: the option */
	const char *val;	/* its value, or the positional */
};

/* A boolean's value: the next word when it is a whole number (moving *a
 * past it), else "1" (it stands alone). */
static const char *
bool_value(int argc, char **argv, int *a)
{
	long long x;

	return *a < argc && parse_int(argv[*a], &x) == 0 ? argv[(*a)++] : "1";
}

/* "--name[=value]" at argv[*a] (*a already past it): the option and its
 * value.  W_OPT, W_HELP, or -1 with err set. */
static int
step_long(const struct bt_opt *opts, size_t n, int argc, char **argv, int *a,
	struct word *w, char *err, size_t errlen)
{
	const char *arg = argv[*a - 1], *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);

	w->k = opt_find_len(opts, n, name, len);
	if (w->k < 0 && !eq && strcmp(name, "help") == 0)
		return W_HELP;
	if (w->k < 0) {
		char word[64];
		snprintf(word, sizeof(word), "%.*s", (int)(len < 63 ? len : 63), name);
		const char *near = bt_nearest(word, opts, n, sizeof(*opts));
		snprintf(err, errlen, "--%.*s: unknown option%s%s%s", (int)len, name,
			near ? " (did you mean --" : "", near ? near : "", near ? "?)" : "");
		return -1;
	}
	if (eq) {
		w->val = eq + 1;
		return W_OPT;
	}
	if (BT_OPT_TYPE(opts[w->k].type) == BT_OPT_BOOL) {
		w->val = bool_value(argc, argv, a);
		return W_OPT;
	}
	if (*a >= argc) {
		snprintf(err, errlen, "%s: needs a value", arg);
		return -1;
	}
	w->val = argv[(*a)++];
	return W_OPT;
}

/* "-o VALUE", "-oVALUE" or "-f" at argv[*a] (*a already past it).
 * Answers as step_long. */
static int
step_short(const struct bt_opt *opts, size_t n, int argc, char **argv, int *a,
	struct word *w, char *err, size_t errlen)
{
	const char *arg = argv[*a - 1];

	w->k = opt_find_letter(opts, n, arg[1]);
	if (w->k < 0 && strcmp(arg, "-h") == 0)
		return W_HELP;
	if (w->k < 0 || (arg[2] && BT_OPT_TYPE(opts[w->k].type) == BT_OPT_BOOL)) {
		snprintf(err, errlen, "%s: unknown option", arg);
		return -1;
	}
	if (BT_OPT_TYPE(opts[w->k].type) == BT_OPT_BOOL) {
		w->val = bool_value(argc, argv, a);
	} else if (arg[2]) {
		w->val = arg + 2;
	} else if (*a < argc) {
		w->val = argv[(*a)++];
	} else {
		snprintf(err, errlen, "%s: needs a value", arg);
		return -1;
	}
	return W_OPT;
}

/* Read the word at argv[*a] (and the value it takes) and move *a past
 * them.  *rest: "--" was seen, everything is a positional.  Returns
 * W_POS (w->val: the word), W_OPT, W_SKIP ("--"), W_HELP or -1 with err
 * set.  Every index is checked against argc. */
static int
step(const struct bt_opt *opts, size_t n, int argc, char **argv, int *a, int *rest,
	struct word *w, char *err, size_t errlen)
{
	const char *arg = argv[(*a)++];

	if (*rest || arg[0] != '-' || !(isalpha((unsigned char)arg[1]) || arg[1] == '-')) {
		w->val = arg;	/* "-", "-3", "-.5" are positionals */
		return W_POS;
	}
	if (strcmp(arg, "--") == 0) {
		*rest = 1;
		return W_SKIP;
	}
	if (arg[1] == '-')
		return step_long(opts, n, argc, argv, a, w, err, errlen);
	return step_short(opts, n, argc, argv, a, w, err, errlen);
}

const char *
bt_opt_type_word(int type)
{
	return BT_OPT_TYPE(type) == BT_OPT_FLOAT ? "a number" : "a whole number";
}

int
bt_opt_parse(const struct bt_opt *opts, size_t n, union bt_optv *v,
	int argc, char **argv, char **pos, char *err, size_t errlen)
{
	int npos = 0, rest = 0, a = 1, help = 0;
	unsigned char *given = calloc(n ? n : 1, 1);

	if (!given) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		v[k].s = NULL;
		if (BT_OPT_TYPE(opts[k].type) != BT_OPT_REQ && bt_opt_value(&opts[k], opts[k].def, &v[k]) < 0) {
			snprintf(err, errlen, "bad default for --%s", opts[k].name);
			goto fail;
		}
	}
	while (a < argc && argv[a]) {
		struct word w;
		int r = step(opts, n, argc, argv, &a, &rest, &w, err, errlen);
		if (r < 0)
			goto fail;
		if (r == W_HELP)
			help = 1;
		if (r == W_POS)
			pos[npos++] = (char *)w.val;
		if (r != W_OPT)
			continue;
		if (bt_opt_value(&opts[w.k], w.val, &v[w.k]) < 0) {
			snprintf(err, errlen, "--%s: '%s' is not %s", opts[w.k].name, w.val,
				bt_opt_type_word(opts[w.k].type));
			goto fail;
		}
		given[w.k] = 1;
	}
	for (size_t k = 0; k < n && !help; k++) {
		if (BT_OPT_TYPE(opts[k].type) == BT_OPT_REQ && !given[k]) {
			snprintf(err, errlen, "--%s: required, but not given", opts[k].name);
			goto fail;
		}
	}
	free(given);
	return help ? BT_OPT_HELP : npos;
fail:
	free(given);
	return -1;
}

const char *
bt_opt_last(const struct bt_opt *opts, size_t n, int argc, char **argv, const char *name)
{
	int want = bt_opt_find(opts, n, name), rest = 0, a = 1;
	const char *val = NULL;
	char err[8];

	while (want >= 0 && a < argc && argv[a]) {
		struct word w;
		if (step(opts, n, argc, argv, &a, &rest, &w, err, sizeof(err)) == W_OPT &&
		    w.k == want)
			val = w.val;
	}
	return val;
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

const char *
bt_opt_group_title(int group)
{
	switch (group) {
	case BT_OPT_COMMON:
		return "Common options:";
	case BT_OPT_COMPAT:
		return "Accepted for compatibility, no effect here:";
	default:
		return "Other options:";
	}
}

void
bt_opt_label(const struct bt_opt *o, struct bt_buf *out)
{
	if (BT_OPT_LETTER_OF(o->type))
		bt_buf_printf(out, "-%c, ", BT_OPT_LETTER_OF(o->type));
	bt_buf_printf(out, "--%s %s", o->name, BT_OPT_TYPE(o->type) == BT_OPT_BOOL ? "[0|1]" : "<arg>");
}

static void
help_one(const struct bt_opt *o, size_t width, const char *indent, struct bt_buf *out)
{
	struct bt_buf doc;

	bt_opt_label(o, out);
	bt_buf_addc(out, '\n');
	bt_buf_init(&doc, 0);
	bt_buf_adds(&doc, bt_text(o->help));
	if (o->def && o->def[0] && BT_OPT_TYPE(o->type) != BT_OPT_REQ)
		bt_buf_printf(&doc, " (defaults to %s)", o->def);
	if (doc.err)
		out->err = doc.err;
	else
		wrap(out, (const char *)doc.p, doc.len, width, indent);
	bt_buf_free(&doc);
	bt_buf_addc(out, '\n');
}

void
bt_opt_each(const struct bt_opt *opts, size_t n, bt_opt_each_fn *fn, void *ud)
{
	static const int order[3] = { BT_OPT_COMMON, BT_OPT_OTHER, BT_OPT_COMPAT };
	int grouped = 0;

	for (size_t k = 1; k < n; k++)
		if (BT_OPT_GROUP(opts[k].type) != BT_OPT_GROUP(opts[0].type))
			grouped = 1;
	if (!grouped) {
		for (size_t k = 0; k < n; k++)
			fn(&opts[k], NULL, ud);
		return;
	}
	for (int g = 0; g < 3; g++) {
		const char *title = bt_opt_group_title(order[g]);
		for (size_t k = 0; k < n; k++) {
			if (BT_OPT_GROUP(opts[k].type) != order[g])
				continue;
			fn(&opts[k], title, ud);
			title = NULL;
		}
	}
}

struct help_ctx {
	size_t width;
	const char *indent;
	struct bt_buf *out;
};

static void
help_each(const struct bt_opt *o, const char *title, void *ud)
{
	struct help_ctx *h = ud;

	if (title)
		bt_buf_printf(h->out, "%s\n\n", title);
	help_one(o, h->width, h->indent, h->out);
}

void
bt_opt_help(const struct bt_opt *opts, size_t n, unsigned cols, struct bt_buf *out)
{
	struct help_ctx h = {
		cols > 26 ? cols - 11 : (cols > 2 ? cols - 2 : 1),
		cols > 26 ? "          " : " ",
		out,
	};

	bt_opt_each(opts, n, help_each, &h);
}

/* The flag whose long name is name[0..len): an exact match, else the one
 * flag it is a prefix of (getopt's abbreviations); -1 when none or when
 * the prefix is ambiguous. */
static int
flag_by_long(const struct bt_flag *flags, size_t n, const char *name, size_t len)
{
	int found = -1;

	for (size_t k = 0; k < n; k++) {
		int m = name_match(name, len, flags[k].lname);
		if (m == 2)
			return (int)k;
		if (!m)
			continue;
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

/* Call fn for flag f with its value val (NULL for a plain flag), and for
 * a flag of two values with the next word too (taken: *a advances).
 * 0, -1 with err set, or the handler's answer + 100. */
static int
call_flag(const struct bt_flag *f, const char *val, int argc, char **argv, int *a,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	const char *second = NULL;
	int r;

	if (val && f->nvals == 2) {
		if (*a >= argc) {	/* arg names both: "OLD NEW" */
			const char *sp = strchr(f->arg, ' ');
			int n1 = sp ? (int)(sp - f->arg) : (int)strlen(f->arg);
			snprintf(err, errlen, "--%s: needs %.*s and %s", f->lname, n1, f->arg,
				sp ? sp + 1 : "a second value");
			return -1;
		}
		second = argv[(*a)++];
	}
	r = fn(f->key, val, ud);
	if (!r && second)
		r = fn(f->key, second, ud);
	return r ? 100 + r : 0;
}

/* One "--name", "--name=value" or "--name value" at argv[*a]; advances *a
 * past what it used.  Answers as call_flag. */
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
	if (k < 0) {
		snprintf(err, errlen, "--%.*s: unknown option", (int)len, name);
		return -1;
	}
	if (eq && !flags[k].arg) {
		snprintf(err, errlen, "--%s: takes no value", flags[k].lname);
		return -1;
	}
	if (flags[k].arg) {
		if (eq)
			val = eq + 1;
		else if (*a < argc)
			val = argv[(*a)++];
		else {
			snprintf(err, errlen, "--%.*s: needs a value", (int)len, name);
			return -1;
		}
	}
	return call_flag(&flags[k], val, argc, argv, a, fn, ud, err, errlen);
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
			snprintf(err, errlen, "-%c: unknown option", *p);
			return -1;
		}
		if (flags[k].arg) {
			if (p[1])
				val = p + 1;
			else if (*a < argc)
				val = argv[(*a)++];
			else {
				snprintf(err, errlen, "-%c: needs a value", *p);
				return -1;
			}
		}
		int r = call_flag(&flags[k], val, argc, argv, a, fn, ud, err, errlen);
		if (r)
			return r;
		if (val)
			break;
	}
	return 0;
}

/* Our own parser, not getopt: getopt's state (optind after an error,
 * re-initialisation, whether it permutes) differs between C libraries.
 * Every argv index is checked against argc. */
int
bt_flag_parse(const struct bt_flag *flags, size_t n, int argc, char **argv,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen)
{
	int a = 1, nflag = 0, npos = 0, r = 0;
	char **pos = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*pos));

	if (!pos) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (a < argc && argv[a]) {
		const char *arg = argv[a];
		int from = a;
		if (arg[0] != '-' || arg[1] == 0) {
			pos[npos++] = argv[a++];	/* a positional ("-" is one) */
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			argv[1 + nflag++] = argv[a++];	/* kept: argc stays right */
			break;
		}
		if (arg[1] == '-')
			r = flag_long(flags, n, argc, argv, &a, fn, ud, err, errlen);
		else
			r = flag_short(flags, n, argc, argv, &a, fn, ud, err, errlen);
		/* The flag's words move down, before the positionals so far
		 * (saved in pos: every index below a is free to write). */
		for (int k = from; k < a; k++)
			argv[1 + nflag++] = argv[k];
		if (r)
			break;
	}
	/* The positionals so far fill the gap up to a; the words from a on
	 * (after "--", or not read after an error) stay where they are. */
	for (int k = 0; k < npos; k++)
		argv[1 + nflag + k] = pos[k];
	free(pos);
	if (r < 0)
		return -1;
	if (r)
		return -r;
	return 1 + nflag;
}

void
bt_flag_help(const struct bt_flag *flags, size_t n, struct bt_buf *out)
{
	for (size_t k = 0; k < n; k++) {
		char left[64];
		snprintf(left, sizeof(left), "-%c, --%s%s%s", flags[k].key, flags[k].lname,
			flags[k].arg ? " " : "", flags[k].arg ? flags[k].arg : "");
		bt_buf_printf(out, "  %-28s %s\n", left, bt_text(flags[k].help));
	}
}
