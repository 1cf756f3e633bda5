/* storage.h - a torrent's data on disk: pieces mapped onto files.
 *
 * The torrent's bytes are the concatenation of its files (BEP 3); piece i
 * covers [i * piece_len, min((i + 1) * piece_len, total)).  Storage maps
 * piece ranges onto file ranges and reads and writes them in place with
 * pread/pwrite (no piece shuffling: the layout on disk is the final one
 * from the first byte written).
 *
 * Safety: every file is opened by walking its path one component at a
 * time from the save root with openat(O_NOFOLLOW) and mkdirat, so no path
 * from a torrent can reach outside the root, not through "..", not
 * through an absolute path, not through a symlink planted in the tree.
 * Paths are checked before anything is created (bt_storage_open creates
 * nothing; bt_storage_create makes the directories and files).
 * Symlinks in the user's part of the path (above the root) are followed;
 * the root itself (a multi-file torrent's directory, a single-file
 * torrent's file) and everything below it must not be one: such a path
 * fails with BT_E_INVAL, as does a non-regular file where a file belongs.
 *
 * Existing files: data that is not known to be the torrent's is never
 * cut or overwritten.  A file that is there already is written only when
 * it is empty or all holes, when a piece touching it verified (a check,
 * bt_storage_verify, or bt_storage_present's trust), when our resume
 * record lists it (bt_storage_resume_load), or when opts.overwrite says
 * so; and never, without overwrite, when it is longer than the torrent's
 * file.  Otherwise bt_storage_create (or the write) fails with
 * BT_E_EXIST, touching nothing.  A file is only ever written through a
 * descriptor that is a regular file with a single link (a hard link
 * planted in the tree would carry the writes outside it): BT_E_INVAL.
 * Such refusals say why (bt_storage_last_why).
 *
 * Descriptors: at most max_open files, plus the root's directory, one
 * cached directory below it, and the parts file when there is one.  A
 * file evicted from the LRU while written since the last sync is
 * fdatasync'ed first.
 *
 * Files with priority -1 (skipped) are never created or written.  A
 * write to a piece that lies only in skipped files is dropped; in a piece
 * shared with a wanted file, the skipped files' part goes to the parts
 * file, so that the piece can be verified (as libtorrent's partfile): a
 * multi-file torrent's ".<name>.parts" in the root (more dots in front if
 * a torrent path has that name; the info hash in hex for a name too
 * long), made when first needed, holding a header ("btparts1", the info
 * hash, the slot count), a table of which piece each slot holds, and
 * slots of piece_len bytes.  A read from a skipped file comes from the
 * parts file, or, for a piece without a slot there, from the file itself
 * if it exists (written while it was wanted); else BT_E_NOENT.  A file
 * that becomes wanted gets its bytes from the parts file, which goes when
 * it holds nothing any more.  Padding files (BEP 47) are never
 * created: they read as zeros and writes to them are dropped.
 *
 * Nothing here prints or exits; errors are negative BT_E_* codes and the
 * failing file's index is kept for the message (bt_storage_last_file). */
#ifndef BT_STORAGE_H
#define BT_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bitfield.h"
#include "metainfo.h"

struct bt_storage;

/* File priorities, as BitTornado's --priority has them. */
#define BT_PRIO_SKIP	(-1)
#define BT_PRIO_HIGH	0
#define BT_PRIO_NORMAL	1
#define BT_PRIO_LOW	2

/* Most files held open at once (an LRU of descriptors), default. */
#define BT_STORAGE_FILES_OPEN	50

struct bt_storage_opts {
	/* Where the data goes: for a single-file torrent the file's own
	 * path, for a multi-file torrent the directory that holds the
	 * torrent's paths (the caller has applied BitTornado's saveas
	 * rules). */
	const char *root;
	const int8_t *prio;	/* one per file, NULL: all BT_PRIO_NORMAL */
	unsigned max_open;	/* 0: BT_STORAGE_FILES_OPEN */
	int sparse;		/* 1: extend new files to full size with
				 * ftruncate (holes), 0: grow as written */
	int overwrite;		/* 1: existing files may be written and cut
				 * even when their data is not the torrent's */
};

/* bt_storage_last_file's value when the parts file was at fault. */
#define BT_STORAGE_PARTS	(-2L)

/* Build the mapping for m (which must outlive the storage) and check
 * every path.  Nothing is created.  Returns 0, BT_E_INVAL (a path that
 * is unsafe or too long, bad options), BT_E_NOMEM. */
int bt_storage_open(struct bt_storage **out, const struct bt_meta *m,
	const struct bt_storage_opts *o);
void bt_storage_close(struct bt_storage *st);

/* Make the directories and (empty or sparse) files of every file not
 * skipped; existing files are kept if they may be written (see the top:
 * else BT_E_EXIST and nothing is touched), a longer one (with overwrite)
 * is cut to size.  Call it after the check or the resume record, which
 * say what existing data is the torrent's.  BT_E_IO (errno kept),
 * BT_E_INVAL (a symlink, a non-regular file or directory, or a file with
 * other hard links in the way). */
int bt_storage_create(struct bt_storage *st);

/* Change one file's priority; a file leaving BT_PRIO_SKIP is created (as
 * bt_storage_create would, BT_E_EXIST included) and gets its bytes from
 * the parts file.  0, BT_E_INVAL, BT_E_IO, BT_E_EXIST. */
int bt_storage_set_prio(struct bt_storage *st, size_t file, int prio);
int bt_storage_prio(const struct bt_storage *st, size_t file);
/* A piece's priority: the best (lowest) of the files it touches that are
 * not skipped, or BT_PRIO_SKIP when all of them are skipped (padding
 * files do not count; a piece of padding only is BT_PRIO_NORMAL), or
 * BT_PRIO_SKIP for a piece out of range. */
int bt_storage_piece_prio(const struct bt_storage *st, uint32_t piece);

/* Bytes in piece (the last one may be short). */
uint32_t bt_storage_piece_size(const struct bt_storage *st, uint32_t piece);

/* Read or write len bytes at offset begin inside piece.  The range must
 * lie inside the piece (BT_E_INVAL otherwise).  Returns 0 or BT_E_IO
 * (errno kept: ENOSPC for a full disk), BT_E_INVAL (a symlink,
 * non-regular file or file with other links in the way), BT_E_EXIST (a
 * write to an existing file not known to be ours: see the top),
 * BT_E_NOENT (a read from a skipped file with nothing for it, a missing
 * file, or past the end of a file that is short: such bytes were never
 * written or are gone, they do not read as zeros; bt_storage_last_file
 * names the file, or BT_STORAGE_PARTS for a skipped file's bytes).  Writes create what is missing (and, with sparse,
 * extend a short file to its size). */
int bt_storage_read(struct bt_storage *st, uint32_t piece, uint32_t begin,
	void *buf, uint32_t len);
int bt_storage_write(struct bt_storage *st, uint32_t piece, uint32_t begin,
	const void *buf, uint32_t len);

/* Hash the whole piece from disk and compare with the torrent's hash.
 * 1 match (the files it touches are then known to be ours), 0 mismatch
 * (also when some of its bytes are not there: the BT_E_NOENT cases of
 * bt_storage_read), or another error of bt_storage_read.  Reads in
 * 64 KiB steps (no piece-sized buffer). */
int bt_storage_verify(struct bt_storage *st, uint32_t piece);

/* Flush written data to disk (fdatasync on every file written since the
 * last sync).  0 or BT_E_IO.  bt_storage_close does not sync. */
int bt_storage_sync(struct bt_storage *st);

/* ---- checking and fast resume ---- */

/* Progress of a check: called every so often with pieces done so far;
 * a non-zero return stops the check with that value. */
typedef int bt_storage_progress_fn(void *ud, uint32_t done, uint32_t total);

/* Hash every piece whose bytes exist on disk and set the bits of those
 * that match in have (sized npieces; cleared first).  Without reading: a
 * piece touching a missing or short file, or a skipped one, is missing;
 * a piece lying wholly in holes of sparse files (SEEK_DATA/SEEK_HOLE) and
 * padding is compared with the hash of a zero piece (holes read as
 * zeros).  The reading and hashing go through bt_phash (phash.h) on the
 * calling thread, two pieces side by side through 256 KiB of buffers (the
 * reads are made one at a time: the storage is not shared between
 * threads, should bt_phash get more of them).  fn is called
 * every 64 pieces (every 64 MiB for large pieces).  Returns the number of
 * good pieces, the callback's non-zero value, or a negative code
 * (BT_E_INVAL: a symlink in the tree; BT_E_IO: a read error). */
int64_t bt_storage_check(struct bt_storage *st, struct bt_bitfield *have,
	bt_storage_progress_fn *fn, void *ud);
/* The same for pieces [from, to) only, for checking in slices on a loop:
 * sets the bits of the good ones, clears the others in the range, and
 * returns how many are good.  The check's buffers are freed when `to` is
 * the last piece (or by bt_storage_close). */
int64_t bt_storage_check_range(struct bt_storage *st, struct bt_bitfield *have,
	uint32_t from, uint32_t to);

/* Without hashing (--check_hashes 0): set in have (cleared first) every
 * piece whose bytes are all on disk (files long enough, no holes).
 * Returns the count, or a negative code. */
int64_t bt_storage_present(struct bt_storage *st, struct bt_bitfield *have);

/* Fast resume.  The resume record is a bencoded dictionary
 *   { "version": 1, "info hash": <20>, "pieces": <bitfield bytes>,
 *     "files": [ [size, mtime_sec, mtime_nsec], ... ],
 *     "root": [st_dev, st_ino (, file name)] }
 * for the files as they stand on disk when it is written (a missing
 * file, a padding file, or anything but a regular file is [-1, 0, 0];
 * sizes and times from fstat/fstatat(AT_SYMLINK_NOFOLLOW), st_mtim), and
 * where they are: the root directory's device and inode (and, for a
 * single-file torrent, the file's name in it), when it exists.  The
 * record vouches for a file that it lists as there (claim, at the top)
 * when it was written for this same place, or when the file's size and
 * time are still the recorded ones (a record is per torrent, not per
 * place: the same torrent saved elsewhere finds strangers' files).
 * Writing it: bt_storage_resume_write into b.
 * Loading it: bt_storage_resume_load takes the record and sets in have
 * (cleared first) the pieces it lists as complete whose files all still
 * have the recorded size and modification time; every piece that touches
 * a file whose size or time changed (and that is not skipped) is set in
 * recheck instead (cleared first), for the caller to hash with
 * bt_storage_verify.  A file's time is taken when the record is written,
 * so a record written after a sync describes the data exactly.  Returns 0
 * or BT_E_PARSE (not a record for this torrent: the caller then runs a
 * full bt_storage_check), BT_E_NOMEM.  A complete piece touching a
 * changed file that is skipped is dropped from have, not rechecked.
 * Both bitfields must be sized npieces (BT_E_INVAL). */
int bt_storage_resume_write(struct bt_storage *st, const struct bt_bitfield *have,
	struct bt_buf *b);
int bt_storage_resume_load(struct bt_storage *st, const uint8_t *rec, size_t n,
	struct bt_bitfield *have, struct bt_bitfield *recheck);

/* The index of the file the last failed call was about, -1 none, or
 * BT_STORAGE_PARTS. */
long bt_storage_last_file(const struct bt_storage *st);
/* Its path relative to the root ("" for a single-file torrent), NULL
 * when file is out of range. */
const char *bt_storage_file_path(const struct bt_storage *st, size_t file);
/* The path of file (an index or BT_STORAGE_PARTS) as the user knows it:
 * opts.root, joined with the file's path for a multi-file torrent; in
 * buf (cut to cap bytes).  NULL for an index out of range. */
const char *bt_storage_path(const struct bt_storage *st, long file, char *buf, size_t cap);
/* When the last failure was a refusal to use a file (see the top), why:
 * e.g. *verb "refusing to overwrite" and the returned reason "it exists
 * and does not hold this torrent's data (use --overwrite 1)", for a
 * message "<verb> <path>: <reason>"; NULL when it was not a refusal.
 * Something of the wrong kind is named, with what it is: "it is a
 * symbolic link (...)", "<dir> is a symbolic link (...)", "it is a FIFO
 * (a socket, a device, a directory) where a regular file is needed",
 * "<path> is a file (a FIFO ...) where a directory is needed" (<dir> and
 * <path> as the user knows them: a directory below the root, the root,
 * or one above it); "it has 2 hard links (...)". */
const char *bt_storage_last_why(const struct bt_storage *st, const char **verb);

/* The pieces file touches, [*first, *last]; BT_E_INVAL for an empty
 * file or an index out of range. */
int bt_storage_file_pieces(const struct bt_storage *st, size_t file, uint32_t *first,
	uint32_t *last);
/* 1 if every byte of piece is on disk now (files long enough, skipped
 * files' part in the parts file), 0 if not: what bt_storage_present
 * counts, for one piece, without hashing.  Negative on errors. */
int bt_storage_piece_present(struct bt_storage *st, uint32_t piece);

#endif
