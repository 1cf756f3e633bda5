/* allowdir.h - the tracker's allowed set: --allowed_dir and --allowed_list.
 *
 * allowed_dir: the directory scanner of torrentdir.h, keeping what the
 * tracker needs of each torrent.  It remembers every .torrent file it has
 * seen with its modification time and size, and re-reads a file only when
 * these change.  The directory is searched "semi-recursively", as
 * BitTornado does: every *.torrent file in it; only when it holds none,
 * each sub-directory the same way, down to a bounded depth.  Names
 * starting with '.' are ignored; symbolic links are followed, each
 * directory is entered at most once per scan.  Files that cannot be read
 * or are not valid torrents are reported once (until they change), and so
 * are duplicates (an info hash already given by an earlier path in byte
 * order) and unreadable sub-directories (until they can be read).
 *
 * allowed_list: a text file of info hashes, 40 hex digits per line;
 * blank lines and lines starting with '#' are skipped, whitespace around
 * a hash (a '\r' included) is ignored.
 *
 * Nothing here prints: problems go to the caller's callback. */
#ifndef BT_ALLOWDIR_H
#define BT_ALLOWDIR_H

#include <stddef.h>
#include <stdint.h>

#include "fileio.h"
#include "torrentdir.h"

#include "tracker.h"	/* struct bt_allowed */

#define BT_ALLOWDIR_MAX_FILES	BT_TDIR_MAX_FILES	/* .torrent files (and directories) */
#define BT_ALLOWDIR_MAX_SIZE	BT_TDIR_MAX_SIZE	/* bytes of one .torrent */
#define BT_ALLOWDIR_MAX_DEPTH	BT_TDIR_MAX_DEPTH	/* sub-directory levels */
#define BT_ALLOWDIR_MAX_PATH	BT_TDIR_MAX_PATH	/* bytes of a path */

enum bt_allowdir_kind {
	BT_ALLOWDIR_ERRORS = BT_TDIR_ERRORS,	/* "**warning** <path> has errors" */
	BT_ALLOWDIR_DUPLICATE = BT_TDIR_DUPLICATE,
				/* "**warning** <path> is a duplicate torrent for <other>" */
	BT_ALLOWDIR_DIR = BT_TDIR_DIR,	/* a sub-directory could not be read (skipped) */
	BT_ALLOWDIR_LIMIT = BT_TDIR_LIMIT,	/* too many files, too deep or a path too
				 * long: the rest is ignored */
};

struct bt_allowdir_warning {
	int kind;		/* enum bt_allowdir_kind */
	const char *path;	/* the file or directory concerned */
	const char *other;	/* DUPLICATE: the path whose torrent is used */
	int code;		/* ERRORS, DIR: the BT_E_* code (BT_E_IO keeps errno) */
	const char *what;	/* what is wrong, in words */
};
typedef void bt_allowdir_warn_fn(void *ud, const struct bt_allowdir_warning *w);

struct bt_allowdir_opts {
	size_t max_files;	/* 0: BT_ALLOWDIR_MAX_FILES */
	size_t max_size;	/* 0: BT_ALLOWDIR_MAX_SIZE */
	unsigned max_depth;	/* 0: BT_ALLOWDIR_MAX_DEPTH */
	bt_allowdir_warn_fn *warn;	/* may be NULL */
	void *ud;
};

struct bt_allowdir;

/* A scanner for directory dir (nothing is read yet).  NULL when out of
 * memory. */
struct bt_allowdir *bt_allowdir_new(const char *dir, const struct bt_allowdir_opts *o);
void bt_allowdir_free(struct bt_allowdir *d);

/* Rescan.  *changed (may be NULL) tells whether the allowed set differs
 * from the previous scan's (always 1 after the first successful scan with
 * torrents).  Returns 0, BT_E_IO when the directory itself cannot be read
 * (errno kept) or BT_E_NOMEM; on failure *changed is 0, so the caller keeps
 * the set it has, and a later scan tells the changes since. */
int bt_allowdir_scan(struct bt_allowdir *d, int *changed);

/* The allowed set of the last successful scan, in path order, without
 * duplicates: info hash, name, total size, number of files and path.  The
 * array and its strings stay valid until the next scan or free.  It can
 * go to bt_tracker_set_allowed() as is. */
const struct bt_allowed *bt_allowdir_list(const struct bt_allowdir *d, size_t *n);

/* ---- allowed_list ---- */

#define BT_ALLOWLIST_MAX_SIZE	((size_t)64 << 20)	/* bytes of the file */

/* A line that is not a hash: its number (from 1), its text without the
 * line end, and why. */
typedef void bt_allowlist_warn_fn(void *ud, unsigned long line, const char *text,
	size_t len, const char *why);

struct bt_allowlist {
	uint8_t (*hash)[20];	/* sorted, no repeats */
	size_t n;
	/* the file as last read by bt_allowlist_reload() */
	struct bt_file_stamp stamp;
};

void bt_allowlist_init(struct bt_allowlist *l);
void bt_allowlist_free(struct bt_allowlist *l);

/* Replace the list with the hashes in buf[0..len).  Bad lines are reported
 * through warn (may be NULL) and skipped.  Returns the number of hashes,
 * or BT_E_NOMEM (the list is then unchanged). */
long bt_allowlist_load(struct bt_allowlist *l, const uint8_t *buf, size_t len,
	bt_allowlist_warn_fn *warn, void *ud);

/* 1 if the hash is listed. */
int bt_allowlist_contains(const struct bt_allowlist *l, const uint8_t *info_hash);

/* Read path again if it changed (modification time, size or inode) since
 * the last successful reload.  Returns 1 (reloaded), 0 (unchanged), or
 * BT_E_IO / BT_E_LIMIT / BT_E_NOMEM with the list unchanged. */
int bt_allowlist_reload(struct bt_allowlist *l, const char *path,
	bt_allowlist_warn_fn *warn, void *ud);

/* The list as bt_tracker_set_allowed() takes it (no names or paths): a new
 * array of l->n entries to free(), or NULL (out of memory, or empty). */
struct bt_allowed *bt_allowlist_entries(const struct bt_allowlist *l);

#endif
