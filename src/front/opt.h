/* opt.h - table-driven option parsing; one table also yields the help.
 *
 * Two styles, both BitTornado's:
 *  - bt_opt: "--name value" options (every option takes a value, options
 *    and positionals may be mixed, the last repeat wins, the value's type
 *    is the default's).  Used by makemetafile, completedir, track,
 *    download, launchmany.
 *  - bt_flag: POSIX short/long flags that must precede the positionals
 *    (getopt).  Used by the editing tools. */
#ifndef BT_OPT_H
#define BT_OPT_H

#include <stddef.h>

#include "buf.h"

enum bt_opt_type {
	BT_OPT_STR,	/* any text */
	BT_OPT_INT,	/* a whole number (long long) */
	BT_OPT_FLOAT,	/* a number (double) */
	BT_OPT_REQ,	/* text that must be given (no default) */
};

struct bt_opt {
	const char *name;
	int type;		/* enum bt_opt_type */
	const char *def;	/* default, written as the help shows it */
	const char *help;
};

union bt_optv {
	const char *s;
	long long i;
	double f;
};

/* Parse argv[1..argc) against opts[0..n): values land in v[] (same index
 * as the table; unset options get their default), positionals in pos[]
 * (room for argc entries).  Returns the number of positionals, or -1 with
 * the reason in err (BitTornado's wording: "unknown key --x", ...). */
int bt_opt_parse(const struct bt_opt *opts, size_t n, union bt_optv *v,
	int argc, char **argv, char **pos, char *err, size_t errlen);
/* The index of the option called name (without "--"), or -1. */
int bt_opt_find(const struct bt_opt *opts, size_t n, const char *name);
/* Read text s as a value of o's type into *v, as bt_opt_parse reads a
 * value (strings are kept as the pointer s); 0, or -1 when s is not one. */
int bt_opt_value(const struct bt_opt *o, const char *s, union bt_optv *v);
/* Help text: "--name <arg>", the help wrapped to cols-11 columns and
 * indented 10, " (defaults to X)" unless the default is empty, a blank
 * line after each option. */
void bt_opt_help(const struct bt_opt *opts, size_t n, unsigned cols,
	struct bt_buf *out);

struct bt_flag {
	int key;		/* short letter, also the value given to the handler */
	const char *lname;	/* long name without "--" */
	const char *arg;	/* argument name, or NULL for a plain flag */
	const char *help;
};

typedef int bt_flag_fn(int key, const char *arg, void *ud);

/* Parse leading flags; each one found calls fn (which returns 0, or
 * non-zero to stop with that value).  Returns the index of the first
 * positional, or -1 with the reason in err ("option -x not recognized"),
 * or -(100 + r) when fn returned r. */
int bt_flag_parse(const struct bt_flag *flags, size_t n, int argc, char **argv,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen);
/* "  -a, --long ARG   help" lines. */
void bt_flag_help(const struct bt_flag *flags, size_t n, struct bt_buf *out);

#endif
