/* torrentdir.h - a directory of .torrent files, scanned again and again:
 * which torrents came, changed or went since the last look.  The tracker's
 * --allowed_dir and `launchmany DIR` both stand on it.
 *
 * The directory is searched "semi-recursively", as BitTornado does: every
 * *.torrent file in it; only when it holds none, each sub-directory the
 * same way, down to a bounded depth.  Names starting with '.' are ignored;
 * symbolic links are followed, each directory is entered at most once per
 * scan.  A file is read again only when its modification time, size or
 * identity (device, inode) change.
 *
 * With opts.magnets, *.magnet files count too: a magnet link on the first
 * line (BT_TDIR_MAX_MAGNET bytes at most), keyed by its info hash like a
 * torrent (launchmany fetches their metadata).
 *
 * The set: every file that is a valid torrent and is not a duplicate, that
 * is, whose info hash no earlier path (in byte order) gives.  Each scan
 * reports the differences with the previous one as events:
 *   REMOVED  a file left the set: deleted, changed, or now a duplicate;
 *   ADDED    a file joined the set: new, changed (after its REMOVED), or a
 *            duplicate whose original went.  The event carries the bytes
 *            read and their parsed view, which the caller may keep
 *            (bt_tdir_take), so it never reads a file that changed since.
 * Files that went or changed are reported first, in path order; then the
 * paths in order, a file that became a duplicate just before the ADDED of
 * the path that took its hash.  So for one info hash a REMOVED always
 * comes before an ADDED, and the set never holds two paths with the same
 * hash, even within a scan.
 *
 * Problems are warned about once: a file that cannot be read or is not a
 * valid torrent, and a duplicate, until the file changes; an unreadable
 * sub-directory until it is readable again; a limit hit, until a scan hits
 * none.  A file that changes while it is read (being written) is not
 * warned about: it is read again at the next scan.
 *
 * A wake-up (Linux inotify) tells when to scan sooner than a timer would:
 * the fd becomes readable when something changes in a directory the last
 * scan entered.
 *
 * Nothing here prints: problems and events go to the caller's callbacks. */
#ifndef BT_TORRENTDIR_H
#define BT_TORRENTDIR_H

#include <stddef.h>
#include <stdint.h>

#include "magnet.h"
#include "metainfo.h"

#define BT_TDIR_MAX_FILES	1000000u	/* .torrent files (and directories) */
#define BT_TDIR_MAX_SIZE	((size_t)64 << 20)	/* bytes of one .torrent */
#define BT_TDIR_MAX_MAGNET	8192u		/* bytes of one .magnet */
#define BT_TDIR_MAX_DEPTH	32u		/* sub-directory levels */
#define BT_TDIR_MAX_PATH	4096		/* bytes of a path */

enum bt_tdir_warn_kind {
	BT_TDIR_ERRORS = 1,	/* a file cannot be read or is not a valid torrent */
	BT_TDIR_DUPLICATE,	/* a file gives the info hash of an earlier path */
	BT_TDIR_DIR,		/* a sub-directory could not be read (skipped) */
	BT_TDIR_LIMIT,		/* too many files, too deep or a path too long:
				 * the rest is ignored */
};

struct bt_tdir_warning {
	int kind;		/* enum bt_tdir_warn_kind */
	const char *path;	/* the file or directory concerned */
	const char *other;	/* DUPLICATE: the path whose torrent is used */
	int code;		/* ERRORS, DIR: the BT_E_* code (BT_E_IO keeps errno) */
	const char *what;	/* what is wrong, in words */
};
typedef void bt_tdir_warn_fn(void *ud, const struct bt_tdir_warning *w);

enum bt_tdir_event_kind {
	BT_TDIR_ADDED = 1,
	BT_TDIR_REMOVED,
};

struct bt_tdir_event {
	int kind;		/* enum bt_tdir_event_kind */
	const char *path;	/* the .torrent file (valid during the call) */
	uint8_t info_hash[20];
	/* ADDED: the file's bytes and the checked view over them, valid
	 * during the call unless taken (bt_tdir_take). */
	const uint8_t *data;
	size_t len;
	const struct bt_meta *meta;	/* NULL for a .magnet file */
	const struct bt_magnet *magnet;	/* a .magnet file's link, else NULL */
	/* ADDED: the callback may set it, to have it back in the file's
	 * REMOVED event and in bt_tdir_list().  REMOVED: what it was set
	 * to (the callback releases it). */
	void *user;
	int taken;		/* (set by bt_tdir_take) */
};
/* An event.  For ADDED, a negative return (say BT_E_NOMEM) refuses the
 * file: it stays out of the set and is offered again at the next scan;
 * refuse only for passing trouble.  For REMOVED the return is ignored.
 * The callback must not call bt_tdir_* on the scanner. */
typedef int bt_tdir_event_fn(void *ud, struct bt_tdir_event *ev);

struct bt_tdir_opts {
	size_t max_files;	/* 0: BT_TDIR_MAX_FILES */
	size_t max_size;	/* 0: BT_TDIR_MAX_SIZE */
	unsigned max_depth;	/* 0: BT_TDIR_MAX_DEPTH */
	int magnets;		/* take *.magnet files too */
	bt_tdir_warn_fn *warn;	/* may be NULL */
	bt_tdir_event_fn *event;	/* may be NULL */
	void *ud;		/* for both */
};

/* One file of the set. */
struct bt_tdir_entry {
	const char *path;
	uint8_t info_hash[20];
	void *user;		/* as the ADDED callback left it */
};

struct bt_tdir;

/* A scanner for directory dir (nothing is read yet; a trailing '/' does
 * not count).  NULL when out of memory. */
struct bt_tdir *bt_tdir_new(const char *dir, const struct bt_tdir_opts *o);
/* Frees the scanner and closes its wake-up fd.  No events: release what
 * the callbacks attached (bt_tdir_list) before. */
void bt_tdir_free(struct bt_tdir *d);

/* Rescan and report the differences.  Returns 0; 1 when some files were
 * left for the next scan (out of memory, refused by the callback, being
 * written: rescan soon); or, with no event and nothing changed, BT_E_IO
 * when the directory itself cannot be read (errno kept) or BT_E_NOMEM. */
int bt_tdir_scan(struct bt_tdir *d);

/* The set after the last successful scan, in path order.  The array and
 * its strings stay valid until the next scan or free. */
const struct bt_tdir_entry *bt_tdir_list(const struct bt_tdir *d, size_t *n);

/* From an ADDED callback: take the file's bytes and their parsed view.
 * They are the caller's from then on: *meta's tokens point into *buf, and
 * they are released with bt_meta_free(meta) then free(*buf). */
void bt_tdir_take(struct bt_tdir_event *ev, uint8_t **buf, size_t *len,
	struct bt_meta *meta);

/* The same for a .magnet file's event: its bytes and its parsed link,
 * released with bt_magnet_free(mg) and free(*buf). */
void bt_tdir_take_magnet(struct bt_tdir_event *ev, uint8_t **buf, size_t *len,
	struct bt_magnet *mg);

/* A descriptor that becomes readable when something changes in the
 * directories the last scan entered (files written, moved, deleted,
 * touched), or -1 where inotify is missing or failed (then rely on
 * periodic scans).  Created at the first call, watching the top directory;
 * the next scan watches the sub-directories it enters.  It belongs to the
 * scanner.  Changes to the targets of symbolic links are not seen. */
int bt_tdir_watch_fd(struct bt_tdir *d);
/* Read and forget what made the descriptor readable (call it before
 * rescanning). */
void bt_tdir_watch_drain(struct bt_tdir *d);

#endif
