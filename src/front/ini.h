/* ini.h - the option configuration file (BitTornado's ConfigDir/inifile):
 * ~/.BitTornado/config.<applet>.ini holds option values that replace the
 * defaults of an option table (opt.h).
 *
 * Layout read: "key = value" or "key: value" lines in the unnamed section
 * (before any "[section]"), '#' comments, a value in matching quotes
 * unquoted, keys case-insensitive.  Layout written: two comment lines, an
 * empty line, then "key = value" sorted by key, strings in double quotes,
 * numbers plain (bt_ini_fmt_float). */
#ifndef BT_INI_H
#define BT_INI_H

#include <stddef.h>

#include "opt.h"

/* Largest configuration file read or written. */
#define BT_INI_MAX (64u << 10)

/* The file bt_ini_read reads, and what it tells about it. */
struct bt_ini_src {
	const char *path;
	/* NULL, or one per option: the line each value read came from (0:
	 * none); start it zeroed. */
	unsigned *lines;
	/* NULL, or told each line that is not used, as "config file <path>
	 * line <n>: <what>; ignored" (a value of the wrong type, an unknown
	 * option, a line that is not "name = value"). */
	void (*say)(void *ud, const char *line);
	void *ud;
};

/* Read r->path into the table opts[0..n): each known option not named in
 * skip (NULL-ended list of names, or NULL) with a value of the right type
 * gets that value as its default (opts[k].def = vals[k], vals[k] a new
 * string replacing any earlier one; free each vals[k] after use, vals[]
 * starts zeroed) and r->lines[k] its line number.  Other lines are
 * ignored, as BitTornado does, and told to r->say (the options in skip
 * quietly).  A missing or unreadable file changes nothing. */
void bt_ini_read(struct bt_ini_src *r, struct bt_opt *opts, size_t n, char **vals,
	const char *const *skip);

/* Tell r->say (if any) "config file <r->path> line <lineno>: <what>". */
void bt_ini_say(const struct bt_ini_src *r, unsigned lineno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A bt_ini_src.say that prints the line with bt_warn (msg.h). */
void bt_ini_warn(void *ud, const char *line);

/* Write the values v[0..n) of the table opts, except those named in skip,
 * to path (atomically).  Returns 0, or -1 with the reason in why (a string
 * value holding a line break cannot be written). */
int bt_ini_write(const char *path, const struct bt_opt *opts, size_t n,
	const union bt_optv *v, const char *const *skip, char *why, size_t cap);

/* A float as a plain number: the fewest digits that read back the same,
 * in full with at least one decimal as Python's str() writes most
 * ("120.0", "0.03", "0.00001", "10000000000000000.0"); with an exponent
 * only when that does not fit cap. */
void bt_ini_fmt_float(char *out, size_t cap, double x);

#endif
