/* cli.h - helpers the applets share (they print; the library does not). */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "help.h"
#include "metainfo.h"
#include "opt.h"

/* Largest .torrent file we read. */
#define BT_CLI_MAX_TORRENT (128u << 20)

/* A loaded .torrent: the bytes and the checked view over them. */
struct bt_tfile {
	const char *path;
	uint8_t *buf;
	size_t len;
	struct bt_meta m;
};

/* Read and check a .torrent.  On failure prints one line,
 * "<prog>: <path>: <what> (at byte N)", and returns -1. */
int bt_tfile_load(struct bt_tfile *t, const char *path);
void bt_tfile_free(struct bt_tfile *t);
/* Write the file's new bytes atomically (bt_file_write_made: flushed to
 * disk when they replace a file); prints and returns -1 on failure. */
int bt_tfile_save(const char *path, const struct bt_buf *b);

/* Append announce-list tiers as "a,b|c" (BitTornado's notation). */
void bt_cli_fmt_tiers(struct bt_buf *out, const struct bt_benc *d, int list);
/* Append a list of strings joined by sep. */
void bt_cli_fmt_list(struct bt_buf *out, const struct bt_benc *d, int list, char sep);
/* Append a string token as text, made terminal-safe (bt_str_escape);
 * the list and tier forms too. */
void bt_cli_fmt_str(struct bt_buf *out, const struct bt_benc *d, int tok);

/* Explanation of the announce-list and httpseeds notations. */
extern const char *const bt_cli_announce_list_help;	/* TX: bt_text() */

/* A new string, printf-style; dies when out of memory (as xmalloc). */
char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Raise the open-file soft limit to the hard one (as far as the loop can
 * use) and return the limit now in force: the fds a bt_loop may watch. */
unsigned bt_cli_raise_nofile(void);

/* 1 if SIGHUP was ignored when we started (nohup): then it stays so,
 * rather than stopping a program the user meant to outlive the terminal. */
int bt_cli_sighup_ignored(void);

#endif

/* ---- making torrents (makemetafile, completedir) ---- */

/* The options both applets take, and their indexes. */
enum {
	MK_ANNOUNCE_LIST, MK_HTTPSEEDS, MK_WEBSEEDS, MK_PIECE_SIZE_POW2, MK_COMMENT,
	MK_TARGET, MK_FILESYSTEM_ENCODING, MK_PRIVATE, MK_SOURCE, MK_NAME,
	MK_CREATED_BY, MK_NO_DATE, MK_THREADS, MK_FORCE, MK_NOPTS
};
extern const struct bt_opt bt_mk_opts[MK_NOPTS];

/* Check the options that do not depend on the input; prints and returns -1
 * when one is wrong. */
int bt_cli_mk_check(const union bt_optv *v);
/* The start makemetafile and completedir share: --help/-h (usage to
 * stdout), too few arguments (usage to stderr), the options into v, at
 * least two positionals, bt_cli_mk_check.  "-f", and "--force" without a
 * number after it, are read as "--force 1".  Returns the number of
 * positionals with *pos set (free it), or -1 with *exit_code set (and
 * what was wrong printed). */
int bt_cli_mk_args(int argc, char **argv, void (*usage)(FILE *f), union bt_optv *v,
	char ***pos, int *exit_code);
/* Make one .torrent for input at out_path (refused when out_path exists,
 * unless --force).  progress: show it on stdout.  Ends with the line
 * "wrote PATH: N pieces of SIZE KiB|MiB, info hash HEX" on stdout.  Prints what
 * went wrong and returns -1 on failure. */
int bt_cli_mk_one(const char *announce, const char *input, const char *out_path,
	const union bt_optv *v, int progress);

/* ---- editing torrents (reannounce, copyannounce, rename, sethttpseeds) ---- */

/* Apply sets to the top-level dictionary of t and, only if that changes
 * the bytes, replace the file atomically.  The info dictionary is carried
 * over byte for byte unless a set names "info".  Returns 1 (written),
 * 0 (nothing to change) or -1 (printed why). */
int bt_cli_edit(const struct bt_tfile *t, const struct bt_benc_set *sets, size_t n);
/* Encode a string, an announce-list ("a,b|c") or a '|'-separated list as a
 * bencoded value into out.  The list encoders return how many tiers or
 * items there were (empty items dropped); an empty list should not be
 * written at all. */
void bt_cli_enc_str(struct bt_buf *out, const char *s);
size_t bt_cli_enc_tiers(struct bt_buf *out, const char *tiers);
size_t bt_cli_enc_list(struct bt_buf *out, const char *list, char sep);
/* Something to show about a torrent before it is edited (ud: the
 * caller's). */
typedef void bt_cli_show_fn(const struct bt_tfile *t, void *ud);
/* Load each of paths[0..n), call show (unless NULL), apply sets with
 * bt_cli_edit.  A file that fails is reported and the rest are still
 * done.  Returns BT_EXIT_OK, or BT_EXIT_FAIL if any file failed. */
int bt_cli_edit_files(char **paths, int n, const struct bt_benc_set *sets, size_t nsets,
	bt_cli_show_fn *show, void *ud);
/* One change to a torrent's trackers, as transmission-edit's -a URL,
 * -d URL and -r OLD NEW. */
enum { BT_TR_ADD, BT_TR_DELETE, BT_TR_REPLACE };
struct bt_tr_op {
	int kind;
	const char *url;	/* the URL; for REPLACE the text replaced */
	const char *to;		/* REPLACE: what replaces it */
};
struct bt_tr_ops {
	struct bt_tr_op *v;	/* free() it */
	size_t n;
};
/* The tracker flags, for a bt_flag table; their values go to
 * bt_cli_tracker_flag. */
#define BT_CLI_TRACKER_FLAGS \
	{ 'A', "add", "URL", "add a tracker (as announce, or as a new last tier)", 0 }, \
	{ 'd', "delete", "URL", "remove a tracker from announce and announce-list", 0 }, \
	{ 'r', "replace", "OLD NEW", "replace OLD by NEW in every tracker URL", 2 },
/* From a bt_flag handler: a value of -A, -d or -r (key) goes into ops, in
 * order (-r's two values come one after the other).  1 when key was one
 * of them, else 0. */
int bt_cli_tracker_flag(struct bt_tr_ops *ops, int key, const char *arg);
/* After parsing: NULL, or why ops cannot be used (an empty value). */
const char *bt_cli_tracker_check(const struct bt_tr_ops *ops);
/* Apply ops to the trackers of from (NULL: of t itself) and write the
 * result into t's file if that changes it.  Each change goes to stdout
 * as "PATH: added URL (announce-list tier 2)", "PATH: removed URL
 * (announce)", "PATH: replaced A -> B (announce)", each op that changes
 * nothing as "PATH: unchanged: ...", and "PATH: nothing changed, file not
 * rewritten" when the file stays as it was.  Returns 1 (written), 0 or -1
 * (printed why). */
int bt_cli_edit_trackers(const struct bt_tfile *t, const struct bt_meta *from,
	const struct bt_tr_ops *ops);
/* bt_cli_edit_trackers on each of paths[0..n), after
 * bt_cli_print_old_announce if verbose; a file that fails is reported
 * and the rest are still done.  BT_EXIT_OK, or BT_EXIT_FAIL if any
 * failed. */
int bt_cli_edit_trackers_files(char **paths, int n, const struct bt_meta *from,
	const struct bt_tr_ops *ops, int verbose);
/* Verbose report of a torrent's current announce data (btreannounce's
 * "old announce for F: URL" / "old announce-list for F: TIERS" lines);
 * a bt_cli_show_fn (ud unused). */
void bt_cli_print_old_announce(const struct bt_tfile *t, void *ud);
