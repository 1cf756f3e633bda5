/* ini.h - the option configuration file (BitTornado's ConfigDir/inifile):
 * ~/.BitTornado/config.<applet>.ini holds option values that replace the
 * defaults of an option table (opt.h).
 *
 * Layout read: "key = value" or "key: value" lines in the unnamed section
 * (before any "[section]"), '#' comments, a value in matching quotes
 * unquoted, keys case-insensitive.  Layout written: two comment lines, an
 * empty line, then "key = value" sorted by key, strings in double quotes,
 * numbers as Python's str() writes them. */
#ifndef BT_INI_H
#define BT_INI_H

#include <stddef.h>

#include "opt.h"

/* Largest configuration file read or written. */
#define BT_INI_MAX (64u << 10)

/* Read path into the table opts[0..n): each known option not named in
 * skip (NULL-ended list of names, or NULL) with a value of the right type
 * gets that value as its default (opts[k].def = vals[k], vals[k] a new
 * string replacing any earlier one; free each vals[k] after use, vals[]
 * starts zeroed).  A bad value is ignored, as BitTornado does; a missing
 * or unreadable file changes nothing. */
void bt_ini_read(const char *path, struct bt_opt *opts, size_t n, char **vals,
	const char *const *skip);

/* Write the values v[0..n) of the table opts, except those named in skip,
 * to path (atomically).  Returns 0, or -1 with the reason in why (a string
 * value holding a line break cannot be written). */
int bt_ini_write(const char *path, const struct bt_opt *opts, size_t n,
	const union bt_optv *v, const char *const *skip, char *why, size_t cap);

/* A float the way Python's str() writes it: the fewest digits that read
 * back the same, in full with at least one decimal ("120.0", "0.03"), or
 * with an exponent below 1e-4 and from 1e16 on ("1e-05", "1e+16"). */
void bt_ini_fmt_float(char *out, size_t cap, double x);

#endif
