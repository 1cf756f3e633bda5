/* help.h - an applet's help, from its option table, in three forms: the
 * text of --help, a manual page (roff) and the words shell completion
 * offers.  The applets describe themselves once (struct bt_help); `bt
 * --man APPLET` and `bt --completion` (main.c) run an applet's --help
 * with bt_help_format set, so the pages and the completion are built
 * from the same tables that drive the parsing and cannot drift. */
#ifndef BT_HELP_H
#define BT_HELP_H

#include <stddef.h>
#include <stdio.h>

#include "opt.h"

enum bt_help_fmt {
	BT_HELP_TEXT,	/* --help */
	BT_HELP_MAN,	/* the body of a manual page: SYNOPSIS, DESCRIPTION, OPTIONS */
	BT_HELP_WORDS,	/* the option spellings, separated by spaces */
};

/* What bt_cli_help writes (BT_HELP_TEXT unless main.c says otherwise). */
extern int bt_help_format;

struct bt_help {
	const char *args;	/* after the program name in the Usage line;
				 * several forms separated by '\n' */
	const char *about;	/* text after the Usage line, or NULL */
	const struct bt_opt *opts;	/* "--name value" options, or NULL */
	size_t nopts;
	const struct bt_flag *flags;	/* or getopt-style flags, or NULL */
	size_t nflags;
	const char *notes;	/* text after the options (kept as laid out), or NULL */
	unsigned cols;		/* width of the option help; 0 for 80 */
};

/* Write h to f in bt_help_format: the text starts "Usage: <prog> ...". */
void bt_cli_help(FILE *f, const struct bt_help *h);

/* Roff for text s: backslashes and dashes escaped, a '.' or '\'' that
 * starts a line made literal. */
void bt_roff(FILE *f, const char *s);

#endif
