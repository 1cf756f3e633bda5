/* makemeta.h - making .torrent files: walk the input, hash it, encode it.
 *
 * The walk follows BitTornado: a file gives a single-file torrent; a
 * directory gives every regular file below it, entries sorted by name at
 * each level, depth first, names starting with '.' skipped at every level,
 * symbolic links followed (loops refused).
 *
 * Hashing goes through bt_phash (phash.h): several threads, each reading
 * two pieces a chunk at a time with pread() into small buffers of its own
 * and hashing them side by side; a file that shrinks or goes away while
 * it is read is reported, with its path. */
#ifndef BT_MAKEMETA_H
#define BT_MAKEMETA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "str.h"

struct bt_mkfile {
	char *disk;		/* path to open */
	char *rel;		/* path inside the torrent, '/'-separated */
	int64_t length;
	int64_t offset;		/* where it starts in the torrent's data */
};

struct bt_mktree {
	char *name;		/* default torrent name: the input's base name */
	int single;		/* the input was a file */
	struct bt_mkfile *f;
	size_t n, cap;
	int64_t total;
};

/* What went wrong, for the applet to report. */
struct bt_mkerr {
	int code;		/* BT_E_* */
	int sys_errno;		/* with BT_E_IO */
	char path[4096];	/* the file concerned, if any */
	char what[160];
};

/* Told about entries the walk leaves out (not a file or directory). */
typedef void bt_mk_skip_fn(void *ud, const char *path, const char *why);

/* Walk path into t (zeroed by the caller).  Returns 0 or BT_E_*. */
int bt_mktree_scan(struct bt_mktree *t, const char *path, bt_mk_skip_fn *skip,
	void *ud, struct bt_mkerr *err);
void bt_mktree_free(struct bt_mktree *t);

/* BitTornado's automatic piece size: log2 of the piece length for a total
 * size (32 KiB up to 4 MiB of data, ..., 2 MiB past 8 GiB). */
unsigned bt_mk_auto_pow2(int64_t total);

/* Called on the calling thread as hashing advances. */
typedef void bt_mk_progress_fn(void *ud, size_t done, size_t total);

/* Hash the tree in pieces of piece_len on `threads` threads (0: one per
 * online CPU).  pieces receives 20 bytes per piece.  Returns 0 or BT_E_*
 * (BT_E_IO when a file cannot be read or changed size under us). */
int bt_mk_hash(const struct bt_mktree *t, int64_t piece_len, unsigned threads,
	uint8_t *pieces, bt_mk_progress_fn *progress, void *ud, struct bt_mkerr *err);

/* What goes into the torrent besides the hashes; NULL or "" leaves a
 * field out. */
struct bt_mkmeta {
	const char *announce;
	const struct bt_tiers *announce_list;
	const struct bt_strv *httpseeds;	/* BEP 17 */
	const struct bt_strv *url_list;		/* BEP 19 */
	const char *comment;
	const char *created_by;
	const char *source;			/* info.source (private trackers) */
	const char *name;			/* overrides t->name */
	int64_t creation_date;			/* < 0: leave out */
	int priv;				/* BEP 27: 1 writes private=1 */
};

/* Encode the .torrent into out, and its info hash (the SHA-1 of the info
 * dictionary as written) into info_hash unless NULL.  Returns 0 or BT_E_*. */
int bt_mk_encode(struct bt_buf *out, const struct bt_mktree *t, int64_t piece_len,
	const uint8_t *pieces, const struct bt_mkmeta *mm, uint8_t info_hash[20]);

#endif
