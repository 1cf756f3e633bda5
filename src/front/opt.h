/* opt.h - table-driven option parsing; one table also yields the help,
 * the manual pages and the shell completion (cli.h: bt_cli_help).
 *
 * Two styles:
 *  - bt_opt: BitTornado's "--name value" options, used by makemetafile,
 *    completedir, track, download, launchmany.  Options and positionals
 *    may be mixed, the last repeat wins, the value's type is the
 *    default's.  Beyond BitTornado: "--name=value"; '-' and '_' are the
 *    same in names (--announce-list = --announce_list); an option may
 *    have a one-letter form ("-o FILE"); "--" ends the options; a
 *    boolean (BT_OPT_BOOL) given without a value means 1 (below).
 *  - bt_flag: POSIX short/long flags (getopt style, with GNU getopt's
 *    permutation: flags may come after the positionals, "--" ends them).
 *    Used by the editing tools.
 *
 * Booleans: BitTornado wrote them "--private 1"; that still works.  A
 * boolean takes the next word as its value only when that word is a
 * whole number ("--private 0", "--spew 1"); otherwise it stands alone
 * and means 1 ("--private URL dir" keeps URL a positional).
 * "--private=0" always works. */
#ifndef BT_OPT_H
#define BT_OPT_H

#include <stddef.h>

#include "buf.h"
#include "text.h"

enum bt_opt_type {
	BT_OPT_STR,	/* any text */
	BT_OPT_INT,	/* a whole number (long long) */
	BT_OPT_FLOAT,	/* a number (double) */
	BT_OPT_REQ,	/* text that must be given (no default) */
	BT_OPT_BOOL,	/* a whole number, 0 or 1 by meaning; may stand alone (= 1) */
};

/* Added to the type (kept in one field, so that a table row stays four
 * members): where the help lists the option, and its one-letter form.
 * A table with one group gets no headings. */
enum {
	BT_OPT_OTHER = 0x00,	/* "Other options:" (the default) */
	BT_OPT_COMMON = 0x10,	/* "Common options:", listed first */
	BT_OPT_COMPAT = 0x20,	/* accepted for compatibility, no effect here: last */
};
#define BT_OPT_LETTER(c)	((int)(unsigned char)(c) << 8)	/* "-c" */

#define BT_OPT_TYPE(t)		((t) & 0x0f)	/* enum bt_opt_type */
#define BT_OPT_GROUP(t)		((t) & 0x30)
#define BT_OPT_LETTER_OF(t)	((char)(((t) >> 8) & 0xff))	/* 0 when none */

struct bt_opt {
	const char *name;
	int type;		/* enum bt_opt_type | group | BT_OPT_LETTER(c) */
	const char *def;	/* default, written as the help shows it */
	const char *help;	/* TX("...") (text.h): read it through bt_text() */
};

union bt_optv {
	const char *s;
	long long i;
	double f;
};

/* bt_opt_parse's answer when --help or -h was given (and is not an
 * option of the table). */
#define BT_OPT_HELP (-2)

/* Parse argv[1..argc) against opts[0..n): values land in v[] (same index
 * as the table; unset options get their default), positionals in pos[]
 * (room for argc entries).  Returns the number of positionals, -1 with
 * the reason in err ("--bogus: unknown option", "--x: '2.0' is not a
 * whole number", ...) or BT_OPT_HELP.  Nothing but v, pos and err is
 * touched, so a caller can check everything before it acts. */
int bt_opt_parse(const struct bt_opt *opts, size_t n, union bt_optv *v,
	int argc, char **argv, char **pos, char *err, size_t errlen);
/* What a value of this type (a table's type field) must be, for messages:
 * "a number" or "a whole number". */
const char *bt_opt_type_word(int type);
/* The index of the option called name (without "--"; '-' and '_' match
 * each other), or -1. */
int bt_opt_find(const struct bt_opt *opts, size_t n, const char *name);
/* The value the last "--name" of argv gives, read as bt_opt_parse reads
 * (errors skipped), or NULL when there is none.  For the options needed
 * before parsing (--state_dir finds the file of defaults). */
const char *bt_opt_last(const struct bt_opt *opts, size_t n, int argc, char **argv,
	const char *name);
/* Read text s as a value of o's type into *v, as bt_opt_parse reads a
 * value (strings are kept as the pointer s); 0, or -1 when s is not one. */
int bt_opt_value(const struct bt_opt *o, const char *s, union bt_optv *v);
/* Help text in BitTornado's layout: "--name <arg>" ("-o, --name <arg>",
 * "--name [0|1]" for a boolean), the help wrapped to cols-11 columns and
 * indented 10, " (defaults to X)" unless the default is empty, a blank
 * line after each option.  Grouped under headings (common first,
 * compatibility-only last) when the table has more than one group. */
void bt_opt_help(const struct bt_opt *opts, size_t n, unsigned cols,
	struct bt_buf *out);
/* Call fn for each option in the order the help lists them: common,
 * other, compatibility-only.  title: the group's heading before the first
 * option of each group, else NULL (always NULL for a table with one
 * group). */
typedef void bt_opt_each_fn(const struct bt_opt *o, const char *title, void *ud);
void bt_opt_each(const struct bt_opt *opts, size_t n, bt_opt_each_fn *fn, void *ud);
/* The help's heading for a group ("Common options:"). */
const char *bt_opt_group_title(int group);
/* The left column of an option's help ("-o, --target <arg>") into out. */
void bt_opt_label(const struct bt_opt *o, struct bt_buf *out);

/* 1 when argv[1..argc) asks for help: "--help" or "-h" before any "--". */
int bt_opt_wants_help(int argc, char **argv);

/* Levenshtein distance between a and b, or a large number when either is
 * longer than 64 bytes. */
size_t bt_edit_distance(const char *a, const char *b);
/* The one of names[0..n) nearest to word by edit distance, when near
 * enough to be a typing mistake (one edit in a word of up to 4
 * characters, two in a longer one); else NULL.  stride: bytes from one name pointer to the next
 * (sizeof a table row whose first member is the name). */
const char *bt_nearest(const char *word, const void *names, size_t n, size_t stride);

struct bt_flag {
	int key;		/* short letter, also the value given to the handler */
	const char *lname;	/* long name without "--" */
	const char *arg;	/* argument name(s), or NULL for a plain flag */
	const char *help;	/* TX("...") (text.h): read it through bt_text() */
	int nvals;		/* with arg: 2 for a flag of two values ("-r OLD
				 * NEW"), else one */
};

typedef int bt_flag_fn(int key, const char *arg, void *ud);

/* Parse the flags of argv[1..argc), wherever they are (GNU getopt's
 * permutation: "-v" after a file name is a flag; "--" ends the flags and
 * stays, moved before the positionals).  Each flag
 * found calls fn (which returns 0, or non-zero to stop with that value);
 * a flag of two values calls it twice in a row, with each.
 * argv is reordered: flags (and their values) first, then the
 * positionals in their order.  Returns the index of the first
 * positional, or -1 with the reason in err ("-x: unknown option"), or
 * -(100 + r) when fn returned r. */
int bt_flag_parse(const struct bt_flag *flags, size_t n, int argc, char **argv,
	bt_flag_fn *fn, void *ud, char *err, size_t errlen);
/* "  -a, --long ARG   help" lines. */
void bt_flag_help(const struct bt_flag *flags, size_t n, struct bt_buf *out);

#endif
