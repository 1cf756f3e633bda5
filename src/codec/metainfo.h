/* metainfo.h - a validated view of a .torrent file (BEP 3, 12, 17, 19, 27).
 *
 * bt_meta_parse() checks the bencode strictly, then the torrent's meaning:
 * a name and every path component that is safe to create on disk (not
 * empty, not "." or "..", no '/' or '\', no NUL), lengths >= 0, a positive
 * piece length, exactly as many piece hashes as the size needs, no
 * duplicate paths and no file that is also a directory.  The info hash is
 * the SHA-1 of the `info` dictionary's bytes exactly as they are in the
 * file, so unknown keys count as they should.
 *
 * Hybrid v1+v2 torrents (BEP 52) are read through their v1 part; padding
 * files (BEP 47) are flagged. */
#ifndef BT_METAINFO_H
#define BT_METAINFO_H

#include <stddef.h>
#include <stdint.h>

#include "benc.h"

#define BT_META_MAX_FILES	(1u << 20)
#define BT_META_MAX_PATH	4096	/* bytes in a joined path */
#define BT_META_MAX_DEPTH	256	/* components in a path */
#define BT_META_MAX_PIECE_LEN	(1 << 30)
#define BT_META_MAX_COMPONENT	255	/* bytes in a name or path component (NAME_MAX) */

struct bt_meta_file {
	int64_t length;
	int64_t offset;		/* where the file starts in the torrent's data */
	char *path;		/* components joined by '/' */
	int tok;		/* its dictionary in the document, -1 if single */
	uint8_t pad;		/* BEP 47 padding file */
};

struct bt_meta {
	struct bt_benc doc;	/* tokens over the caller's buffer */
	int info;		/* token of the info dictionary */
	uint8_t info_hash[20];
	char *name;
	int64_t piece_len;
	const uint8_t *pieces;	/* npieces * 20 bytes, inside the buffer */
	size_t npieces;
	int64_t total;
	int multi;		/* 1: a `files` list, 0: a single `length` */
	struct bt_meta_file *files;
	size_t nfiles;
	int priv;		/* BEP 27 `private`: -1 absent, else its value */
	int meta_version;	/* BEP 52 `meta version`, 0 when absent */
	/* Top-level tokens, -1 when absent (types already checked). */
	int announce, announce_list, httpseeds, url_list;
	int comment, created_by, creation_date;
};

struct bt_meta_err {
	int code;		/* BT_E_* */
	size_t off;		/* byte offset the problem refers to */
	char what[160];		/* what is wrong, in words (terminal-safe) */
};

/* Piece arithmetic, for every user of a torrent's layout: total bytes
 * (>= 0) cut into pieces of piece_len bytes (> 0), each full but the
 * last; a piece is fetched in blocks of block_len bytes (> 0), each full
 * but its last. */

/* The number of pieces: total / piece_len rounded up (0 for no data). */
static inline uint64_t
bt_meta_piece_count(int64_t total, int64_t piece_len)
{
	return (uint64_t)(total / piece_len) + (total % piece_len != 0);
}

/* The bytes in piece i: piece_len, or less for the last; 0 past the end. */
static inline int64_t
bt_meta_piece_size(int64_t total, int64_t piece_len, uint64_t i)
{
	if (i >= bt_meta_piece_count(total, piece_len))
		return 0;
	int64_t left = total - (int64_t)i * piece_len;
	return left < piece_len ? left : piece_len;
}

/* The number of blocks in a piece of size bytes. */
static inline uint64_t
bt_meta_block_count(uint64_t size, uint32_t block_len)
{
	return size / block_len + (size % block_len != 0);
}

/* The bytes in block b of a piece of size bytes: block_len, or less for
 * the last; 0 past the end. */
static inline uint32_t
bt_meta_block_size(uint32_t size, uint32_t block_len, uint32_t b)
{
	uint64_t off = (uint64_t)b * block_len;
	if (off >= size)
		return 0;
	return size - off < block_len ? (uint32_t)(size - off) : block_len;
}

/* Parse and check buf[0..len), which must outlive m.  Returns 0, or a
 * BT_E_* code with err filled. m must be released with bt_meta_free()
 * either way. */
int bt_meta_parse(struct bt_meta *m, const uint8_t *buf, size_t len,
	struct bt_meta_err *err);
void bt_meta_free(struct bt_meta *m);

/* Why p[0..n) cannot be a name or path component, one directory entry
 * safe to create ("is empty", "is '.' or '..'", "contains a path
 * separator", "contains a NUL byte"), or NULL when it can. */
const char *bt_meta_name_problem(const uint8_t *p, size_t n);

/* Why the torrent's data cannot be saved on disk as the torrent names it,
 * or NULL when it can: the rules of bt_meta_name_problem for the name
 * and every component of every file's path, plus at most
 * BT_META_MAX_COMPONENT bytes per component, BT_META_MAX_PATH per path
 * and BT_META_MAX_DEPTH components.  with_name: the name is used too (as
 * the file or top directory; 0 when the user chose another).  Padding
 * files (never written) are not checked.  The reason names the file and
 * the rule, e.g. "file 3 'a/xxx...': a path component is 300 bytes, more
 * than 255", terminal-safe, in why[0..cap) (cap > 0), which is returned. */
const char *bt_meta_disk_problem(const struct bt_meta *m, int with_name, char *why,
	size_t cap);

/* The file holding byte off of the torrent's data (0 <= off < total): the
 * last one starting at or before off, never an empty one; m->nfiles when
 * off is at or past the end. */
size_t bt_meta_file_at(const struct bt_meta *m, int64_t off);

/* The string value of token i as a new NUL-terminated heap copy, or NULL
 * (not a string, contains NUL, or out of memory). */
char *bt_meta_strdup(const struct bt_meta *m, int i);

#endif
