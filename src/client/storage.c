/* storage.c - see storage.h */
#define _GNU_SOURCE	/* SEEK_DATA, SEEK_HOLE */
#include "storage.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "sha1.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_BYTES	255		/* longest path component */
#define CHUNK		(64u << 10)	/* bt_storage_verify reads this much at a time */
#define PAIR_MAX	(4u << 20)	/* check hashes two pieces at once up to this size */
#define CHECK_SLICE	(64u << 20)	/* bytes between progress calls, at most */

/* How bt_file_fd wants a file. */
enum { FD_READ, FD_WRITE };

struct sfile {
	int fd;			/* -1: not open */
	int32_t prev, next;	/* LRU links while open (-1 ends) */
	int8_t prio;
	uint8_t rw;		/* fd is open for writing */
	uint8_t dirty;		/* written since the last fdatasync */
};

/* What a check knows about one file: its size and, for a sparse file, one
 * known stretch: no data in [q, dpos), data in [dpos, hpos). */
struct probe {
	long file;		/* -1: nothing cached */
	int64_t size;		/* -1: missing */
	int sparse;
	int64_t q, dpos, hpos;
};

struct bt_storage {
	const struct bt_meta *m;
	struct sfile *f;
	size_t nf;
	uint32_t npieces;
	uint32_t plen;			/* piece length */
	char *root;			/* multi: the directory; single: its parent */
	char *base;			/* single: the file's name in root */
	int single;
	int rootfd;			/* -1 until opened */
	int dfd;			/* one cached directory below the root */
	char *dpath;			/* its path relative to the root */
	size_t dlen;
	int32_t head, tail;		/* LRU: head most recently used */
	unsigned nopen, max_open;
	int sparse;
	long last;			/* bt_storage_last_file */
	uint8_t *chunk;			/* CHUNK bytes, for verify */
	uint8_t *pair;			/* 2 * plen bytes, during a check */
	struct probe pr;
	uint8_t zh[2][20];		/* SHA-1 of a zero piece: full, last */
	uint8_t zh_done[2];
};

/* ---- small helpers ---- */

static int
fail(struct bt_storage *st, long file, int code)
{
	st->last = file;
	return code;
}

/* Path of file i below the root (for a single-file torrent: its name in
 * the root's parent). */
static const char *
fpath(const struct bt_storage *st, size_t i)
{
	return st->single ? st->base : st->m->files[i].path;
}

static int
comp_ok(const char *c, size_t n)
{
	if (n == 0 || n > NAME_MAX_BYTES)
		return 0;
	if (c[0] == '.' && (n == 1 || (n == 2 && c[1] == '.')))
		return 0;
	return 1;
}

/* Every '/'-separated component safe, not too many, not too long. */
static int
path_ok(const char *p)
{
	size_t len = strlen(p), depth = 0;
	if (len == 0 || len > BT_META_MAX_PATH)
		return 0;
	for (const char *s = p;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (!comp_ok(s, n) || ++depth > BT_META_MAX_DEPTH)
			return 0;
		if (!e)
			return 1;
		s = e + 1;
	}
}

static int64_t
piece_off(const struct bt_storage *st, uint32_t piece)
{
	return (int64_t)piece * st->plen;
}

static ssize_t
full_pread(int fd, void *buf, size_t n, int64_t pos)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)pos + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static int
full_pwrite(int fd, const void *buf, size_t n, int64_t pos)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, (const uint8_t *)buf + done, n - done,
			(off_t)pos + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* mkdir -p: every prefix of path that is missing, as a directory. */
static int
mkdir_p(const char *path)
{
	size_t n = strlen(path);
	char *b = malloc(n + 1);
	if (!b)
		return BT_E_NOMEM;
	memcpy(b, path, n + 1);
	for (size_t k = 1; k <= n; k++) {
		if (k < n && b[k] != '/')
			continue;
		if (k < n && b[k - 1] == '/')
			continue;
		char c = b[k];
		b[k] = 0;
		if (mkdir(b, 0755) < 0 && errno != EEXIST) {
			struct stat sb;
			int e = errno;
			if (stat(b, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
				free(b);
				errno = e;
				return BT_E_IO;
			}
		}
		b[k] = c;
	}
	free(b);
	return 0;
}

/* An errno from opening something inside the tree as a code. */
static int
open_errno(int e)
{
	if (e == ENOENT)
		return BT_E_NOENT;
	if (e == ELOOP || e == ENOTDIR || e == EISDIR || e == ENXIO)
		return BT_E_INVAL;	/* a symlink or a non-regular file */
	return BT_E_IO;
}

/* ---- the root and the directories below it ---- */

static int
open_root(struct bt_storage *st, int create)
{
	if (st->rootfd >= 0)
		return 0;
	if (create) {
		int r = mkdir_p(st->root);
		if (r < 0)
			return r;
	}
	/* Symlinks above the root are the user's business; a multi-file
	 * root itself must be a real directory. */
	int fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		(st->single ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return open_errno(errno);
	st->rootfd = fd;
	return 0;
}

static void
dcache_drop(struct bt_storage *st)
{
	if (st->dfd >= 0)
		close(st->dfd);
	st->dfd = -1;
	st->dlen = 0;
	if (st->dpath)
		st->dpath[0] = 0;
}

/* The directory that holds file i, opened by walking down from the root
 * without following symlinks (and making what is missing when create);
 * *leaf is the file's own name.  The descriptor belongs to the storage. */
static int
walk_dir(struct bt_storage *st, size_t i, int create, int *dfd, const char **leaf)
{
	const char *p = fpath(st, i);
	const char *slash = strrchr(p, '/');
	size_t dl = slash ? (size_t)(slash - p) : 0;
	char name[NAME_MAX_BYTES + 1];
	int r = open_root(st, create);

	if (r < 0)
		return r;
	*leaf = slash ? slash + 1 : p;
	if (dl == 0) {
		*dfd = st->rootfd;
		return 0;
	}
	if (st->dfd >= 0 && st->dlen == dl && memcmp(st->dpath, p, dl) == 0) {
		*dfd = st->dfd;
		return 0;
	}
	int cur = st->rootfd;
	for (const char *s = p; s < p + dl;) {
		const char *e = memchr(s, '/', (size_t)(p + dl - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(p + dl - s);
		if (!comp_ok(s, n)) {		/* checked at open; again */
			r = BT_E_INVAL;
			goto out;
		}
		memcpy(name, s, n);
		name[n] = 0;
		int nfd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST) {
				r = BT_E_IO;
				goto out;
			}
			nfd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			r = open_errno(errno);
			goto out;
		}
		if (cur != st->rootfd)
			close(cur);
		cur = nfd;
		s += n + 1;
	}
	dcache_drop(st);
	char *np = realloc(st->dpath, dl + 1);
	if (!np) {
		r = BT_E_NOMEM;
		goto out;
	}
	st->dpath = np;
	memcpy(np, p, dl);
	np[dl] = 0;
	st->dlen = dl;
	st->dfd = cur;
	*dfd = cur;
	return 0;
out:
	if (cur != st->rootfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	return r;
}

/* ---- the LRU of open files ---- */

static void
lru_unlink(struct bt_storage *st, int32_t i)
{
	struct sfile *f = &st->f[i];
	if (f->prev >= 0)
		st->f[f->prev].next = f->next;
	else
		st->head = f->next;
	if (f->next >= 0)
		st->f[f->next].prev = f->prev;
	else
		st->tail = f->prev;
	f->prev = f->next = -1;
}

static void
lru_front(struct bt_storage *st, int32_t i)
{
	struct sfile *f = &st->f[i];
	f->prev = -1;
	f->next = st->head;
	if (st->head >= 0)
		st->f[st->head].prev = i;
	else
		st->tail = i;
	st->head = i;
}

/* Close file i's descriptor, syncing it first if it was written. */
static int
close_file(struct bt_storage *st, int32_t i)
{
	struct sfile *f = &st->f[i];
	int r = 0, e = 0;
	if (f->fd < 0)
		return 0;
	if (f->dirty && fdatasync(f->fd) < 0) {
		r = BT_E_IO;
		e = errno;
	}
	close(f->fd);
	f->fd = -1;
	f->dirty = 0;
	f->rw = 0;
	lru_unlink(st, i);
	st->nopen--;
	if (st->pr.file == i)
		st->pr.file = -1;
	if (r < 0) {
		errno = e;
		st->last = i;
	}
	return r;
}

#define E_EVICT (-1000)	/* internal: BT_E_IO about an evicted file */

static int
file_fd_(struct bt_storage *st, size_t i, int how)
{
	struct sfile *f = &st->f[i];
	const char *leaf;
	int dfd, r;

	if (f->fd >= 0) {
		if (how == FD_READ || f->rw) {
			if (st->head != (int32_t)i) {
				lru_unlink(st, (int32_t)i);
				lru_front(st, (int32_t)i);
			}
			return f->fd;
		}
		close_file(st, (int32_t)i);	/* read-only: reopen */
	}
	while (st->nopen >= st->max_open && st->tail >= 0) {
		if (close_file(st, st->tail) < 0)
			return E_EVICT;
	}
	r = walk_dir(st, i, how == FD_WRITE, &dfd, &leaf);
	if (r < 0)
		return r;
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
	int fd = openat(dfd, leaf, flags | (how == FD_WRITE ? O_CREAT : 0), 0644);
	int rw = 1;
	if (fd < 0 && how == FD_WRITE && errno == ENOENT && dfd == st->dfd) {
		/* The cached directory may have been removed: walk again. */
		dcache_drop(st);
		r = walk_dir(st, i, 1, &dfd, &leaf);
		if (r < 0)
			return r;
		fd = openat(dfd, leaf, flags | O_CREAT, 0644);
	}
	if (fd < 0 && how == FD_READ && (errno == EACCES || errno == EROFS)) {
		fd = openat(dfd, leaf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		rw = 0;
	}
	if (fd < 0)
		return open_errno(errno);

	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return BT_E_IO;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return BT_E_INVAL;
	}
	if (how == FD_WRITE && st->sparse && sb.st_size < st->m->files[i].length &&
		ftruncate(fd, (off_t)st->m->files[i].length) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return BT_E_IO;
	}
	f->fd = fd;
	f->rw = (uint8_t)rw;
	f->dirty = 0;
	st->nopen++;
	lru_front(st, (int32_t)i);
	return fd;
}

/* A descriptor for file i: for reading (never creates anything; the file
 * may turn out read-only) or for writing (creates directories and file,
 * extends a new sparse file).  BT_E_NOENT when it is not there for
 * reading.  On failure st->last names the file at fault (i, or one whose
 * sync failed as it was evicted). */
static int
file_fd(struct bt_storage *st, size_t i, int how)
{
	int r = file_fd_(st, i, how);
	if (r == E_EVICT)
		return BT_E_IO;
	if (r < 0)
		st->last = (long)i;
	return r;
}

/* ---- open, close, priorities ---- */

int
bt_storage_open(struct bt_storage **out, const struct bt_meta *m,
	const struct bt_storage_opts *o)
{
	*out = NULL;
	if (!m || !o || !o->root || !o->root[0] || strlen(o->root) > BT_META_MAX_PATH)
		return BT_E_INVAL;
	if (m->piece_len <= 0 || m->piece_len > BT_META_MAX_PIECE_LEN || m->nfiles == 0 ||
		m->nfiles > BT_META_MAX_FILES || m->npieces > BT_BITFIELD_MAX ||
		(!m->multi && m->nfiles != 1))
		return BT_E_INVAL;
	/* The mapping relies on files laid end to end and on the piece
	 * count; metainfo made sure, make sure again. */
	int64_t at = 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (o->prio && (o->prio[i] < BT_PRIO_SKIP || o->prio[i] > BT_PRIO_LOW))
			return BT_E_INVAL;
		if (m->multi && !m->files[i].pad && !path_ok(m->files[i].path))
			return BT_E_INVAL;
		if (m->files[i].offset != at || m->files[i].length < 0 ||
			m->files[i].length > INT64_MAX / 2 - at)
			return BT_E_INVAL;
		at += m->files[i].length;
	}
	if (at != m->total || m->npieces != bt_meta_piece_count(m->total, m->piece_len))
		return BT_E_INVAL;

	struct bt_storage *st = calloc(1, sizeof(*st));
	if (!st)
		return BT_E_NOMEM;
	st->m = m;
	st->nf = m->nfiles;
	st->npieces = (uint32_t)m->npieces;
	st->plen = (uint32_t)m->piece_len;
	st->single = !m->multi;
	st->rootfd = st->dfd = -1;
	st->head = st->tail = -1;
	st->max_open = o->max_open ? o->max_open : BT_STORAGE_FILES_OPEN;
	st->sparse = o->sparse != 0;
	st->last = -1;
	st->pr.file = -1;
	st->f = calloc(st->nf, sizeof(*st->f));
	size_t rl = strlen(o->root);
	st->root = malloc(rl + 2);
	if (!st->f || !st->root) {
		bt_storage_close(st);
		return BT_E_NOMEM;
	}
	memcpy(st->root, o->root, rl + 1);
	while (rl > 1 && st->root[rl - 1] == '/')
		st->root[--rl] = 0;
	if (st->single) {
		/* The root is the file: keep its parent and its name apart. */
		char *slash = strrchr(st->root, '/');
		const char *b = slash ? slash + 1 : st->root;
		if (!comp_ok(b, strlen(b))) {
			bt_storage_close(st);
			return BT_E_INVAL;
		}
		st->base = strdup(b);
		if (!st->base) {
			bt_storage_close(st);
			return BT_E_NOMEM;
		}
		if (!slash)
			strcpy(st->root, ".");
		else if (slash == st->root)
			st->root[1] = 0;
		else
			*slash = 0;
	}
	for (size_t i = 0; i < st->nf; i++) {
		st->f[i].fd = -1;
		st->f[i].prev = st->f[i].next = -1;
		st->f[i].prio = o->prio ? o->prio[i] : BT_PRIO_NORMAL;
	}
	*out = st;
	return 0;
}

void
bt_storage_close(struct bt_storage *st)
{
	if (!st)
		return;
	while (st->head >= 0) {
		struct sfile *f = &st->f[st->head];
		f->dirty = 0;		/* closing does not sync */
		close_file(st, st->head);
	}
	dcache_drop(st);
	if (st->rootfd >= 0)
		close(st->rootfd);
	free(st->dpath);
	free(st->f);
	free(st->root);
	free(st->base);
	free(st->chunk);
	free(st->pair);
	free(st);
}

/* Make file i (not skipped, not padding) and cut it to size. */
static int
create_file(struct bt_storage *st, size_t i)
{
	int fd = file_fd(st, i, FD_WRITE);
	struct stat sb;
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0)
		return fail(st, (long)i, BT_E_IO);
	/* Longer: cut.  Shorter and sparse: extend (a file opened earlier
	 * for reading was not). */
	if (sb.st_size > st->m->files[i].length ||
		(st->sparse && sb.st_size < st->m->files[i].length)) {
		if (ftruncate(fd, (off_t)st->m->files[i].length) < 0)
			return fail(st, (long)i, BT_E_IO);
		if (st->pr.file == (long)i)
			st->pr.file = -1;
	}
	return 0;
}

int
bt_storage_create(struct bt_storage *st)
{
	for (size_t i = 0; i < st->nf; i++) {
		if (st->m->files[i].pad || st->f[i].prio == BT_PRIO_SKIP)
			continue;
		int r = create_file(st, i);
		if (r < 0)
			return r;
	}
	return 0;
}

int
bt_storage_set_prio(struct bt_storage *st, size_t file, int prio)
{
	if (file >= st->nf || prio < BT_PRIO_SKIP || prio > BT_PRIO_LOW)
		return fail(st, -1, BT_E_INVAL);
	struct sfile *f = &st->f[file];
	int old = f->prio;
	f->prio = (int8_t)prio;
	if (old == BT_PRIO_SKIP && prio != BT_PRIO_SKIP && !st->m->files[file].pad) {
		int r = create_file(st, file);
		if (r < 0) {
			f->prio = (int8_t)old;
			return r;
		}
	} else if (prio == BT_PRIO_SKIP && f->fd >= 0) {
		if (close_file(st, (int32_t)file) < 0)
			return BT_E_IO;
	}
	return 0;
}

int
bt_storage_prio(const struct bt_storage *st, size_t file)
{
	return file < st->nf ? st->f[file].prio : BT_PRIO_SKIP;
}

uint32_t
bt_storage_piece_size(const struct bt_storage *st, uint32_t piece)
{
	return (uint32_t)bt_meta_piece_size(st->m->total, st->plen, piece);
}

int
bt_storage_piece_prio(const struct bt_storage *st, uint32_t piece)
{
	uint32_t size = bt_storage_piece_size(st, piece);
	if (size == 0)
		return BT_PRIO_SKIP;
	int64_t off = piece_off(st, piece), end = off + size;
	const struct bt_meta_file *mf = st->m->files;
	int best = BT_PRIO_SKIP, real = 0;
	for (size_t i = bt_meta_file_at(st->m, off); i < st->nf && mf[i].offset < end; i++) {
		if (mf[i].pad || mf[i].length == 0)
			continue;
		real = 1;
		int p = st->f[i].prio;
		if (p != BT_PRIO_SKIP && (best == BT_PRIO_SKIP || p < best))
			best = p;
	}
	return real ? best : BT_PRIO_NORMAL;	/* all padding: trivially wanted */
}

/* ---- reading and writing ---- */

/* Bytes [off, off + len) of the torrent from or to buf. */
static int
io_range(struct bt_storage *st, int64_t off, uint8_t *buf, const uint8_t *wbuf,
	uint32_t len)
{
	const struct bt_meta_file *mf = st->m->files;
	size_t i = bt_meta_file_at(st->m, off);
	while (len > 0) {
		if (i >= st->nf)
			return fail(st, -1, BT_E_INVAL);	/* cannot happen */
		int64_t pos = off - mf[i].offset;
		int64_t left = mf[i].length - pos;
		if (left <= 0) {
			i++;
			continue;
		}
		uint32_t n = left < len ? (uint32_t)left : len;
		if (mf[i].pad) {
			if (buf)
				memset(buf, 0, n);
		} else {
			/* A skipped file is only touched here, by a piece it
			 * shares with a wanted file: its part of that piece is
			 * written too (the file is made on demand), so the piece
			 * can be verified, as Transmission does. */
			int fd = file_fd(st, i, buf ? FD_READ : FD_WRITE);
			if (fd < 0)
				return fd;
			if (buf) {
				ssize_t r = full_pread(fd, buf, n, pos);
				if (r < 0)
					return fail(st, (long)i, BT_E_IO);
				if ((uint32_t)r < n)	/* the file is short */
					return fail(st, (long)i, BT_E_NOENT);
			} else {
				st->f[i].dirty = 1;
				if (st->pr.file == (long)i)
					st->pr.file = -1;
				if (full_pwrite(fd, wbuf, n, pos) < 0)
					return fail(st, (long)i, BT_E_IO);
			}
		}
		if (buf)
			buf += n;
		else
			wbuf += n;
		off += n;
		len -= n;
		i++;
	}
	return 0;
}

static int
range_ok(const struct bt_storage *st, uint32_t piece, uint32_t begin, uint32_t len)
{
	return piece < st->npieces &&
		(uint64_t)begin + len <= bt_storage_piece_size(st, piece);
}

int
bt_storage_read(struct bt_storage *st, uint32_t piece, uint32_t begin, void *buf,
	uint32_t len)
{
	if (!range_ok(st, piece, begin, len) || (!buf && len))
		return fail(st, -1, BT_E_INVAL);
	return io_range(st, piece_off(st, piece) + begin, buf, NULL, len);
}

int
bt_storage_write(struct bt_storage *st, uint32_t piece, uint32_t begin,
	const void *buf, uint32_t len)
{
	if (!range_ok(st, piece, begin, len) || (!buf && len))
		return fail(st, -1, BT_E_INVAL);
	if (bt_storage_piece_prio(st, piece) == BT_PRIO_SKIP)
		return 0;	/* all in skipped files: dropped */
	return io_range(st, piece_off(st, piece) + begin, NULL, buf, len);
}

static int
hash_ok(const struct bt_storage *st, uint32_t piece, const uint8_t h[20])
{
	return memcmp(st->m->pieces + (size_t)piece * 20, h, 20) == 0;
}

int
bt_storage_verify(struct bt_storage *st, uint32_t piece)
{
	uint32_t size = bt_storage_piece_size(st, piece);
	struct bt_sha1 c;
	uint8_t h[20];

	if (piece >= st->npieces)
		return fail(st, -1, BT_E_INVAL);
	if (!st->chunk && !(st->chunk = malloc(CHUNK)))
		return fail(st, -1, BT_E_NOMEM);
	bt_sha1_init(&c);
	for (uint32_t at = 0; at < size;) {
		uint32_t n = size - at < CHUNK ? size - at : CHUNK;
		int r = io_range(st, piece_off(st, piece) + at, st->chunk, NULL, n);
		if (r == BT_E_NOENT)
			return 0;	/* not all there */
		if (r < 0)
			return r;
		bt_sha1_update(&c, st->chunk, n);
		at += n;
	}
	bt_sha1_out(&c, h);
	return hash_ok(st, piece, h);
}

int
bt_storage_sync(struct bt_storage *st)
{
	int rc = 0, e = 0;
	for (int32_t i = st->head; i >= 0; i = st->f[i].next) {
		struct sfile *f = &st->f[i];
		if (!f->dirty)
			continue;
		if (fdatasync(f->fd) < 0) {
			if (rc == 0) {
				rc = BT_E_IO;
				e = errno;
				st->last = i;
			}
			continue;
		}
		f->dirty = 0;
	}
	if (rc < 0)
		errno = e;
	return rc;
}

/* ---- checking ---- */

/* Size of file i (-1 missing) and whether it has holes, cached. */
static int
probe(struct bt_storage *st, size_t i, struct probe **out)
{
	struct probe *p = &st->pr;
	if (p->file != (long)i) {
		int fd = file_fd(st, i, FD_READ);
		struct stat sb;
		p->file = -1;
		if (fd == BT_E_NOENT) {
			p->size = -1;
			p->sparse = 0;
		} else if (fd < 0) {
			return fd;
		} else if (fstat(fd, &sb) < 0) {
			return fail(st, (long)i, BT_E_IO);
		} else {
			p->size = sb.st_size;
			p->sparse = (int64_t)sb.st_blocks * 512 < (int64_t)sb.st_size;
		}
		p->q = p->dpos = p->hpos = 0;
		p->file = (long)i;
	}
	*out = p;
	return 0;
}

/* 1 if [a, b) of probed file i may hold data, 0 if it is all hole. */
static int
has_data(struct bt_storage *st, size_t i, struct probe *p, int64_t a, int64_t b)
{
	if (!p->sparse)
		return 1;
	if (p->q <= a && a < p->dpos)
		return b > p->dpos;
	if (p->dpos <= a && a < p->hpos)
		return 1;
	int fd = file_fd(st, i, FD_READ);
	if (fd < 0)
		return 1;	/* let the read find out */
	off_t d = lseek(fd, (off_t)a, SEEK_DATA);
	if (d < 0) {
		if (errno != ENXIO) {
			p->sparse = 0;	/* no SEEK_DATA here */
			return 1;
		}
		p->q = a;
		p->dpos = p->hpos = INT64_MAX;
		return 0;
	}
	off_t h = lseek(fd, d, SEEK_HOLE);
	p->q = a;
	p->dpos = d;
	p->hpos = h < 0 ? INT64_MAX : h;
	return b > d;
}

enum { PS_SKIP, PS_MISSING, PS_ZERO, PS_DATA };

/* What a check must do about piece: nothing (all skipped; some bytes
 * missing), compare with a zero piece (all holes or padding), or read. */
static int
piece_state(struct bt_storage *st, uint32_t piece, uint32_t size)
{
	const struct bt_meta_file *mf = st->m->files;
	int64_t off = piece_off(st, piece), end = off + size;
	size_t first = bt_meta_file_at(st->m, off), i;
	int skipped = 0, wanted = 0, data = 0;

	for (i = first; i < st->nf && mf[i].offset < end; i++) {
		if (mf[i].pad || mf[i].length == 0)
			continue;
		if (st->f[i].prio == BT_PRIO_SKIP)
			skipped = 1;
		else
			wanted = 1;
	}
	if (skipped)
		return wanted ? PS_MISSING : PS_SKIP;
	for (i = first; i < st->nf && mf[i].offset < end; i++) {
		if (mf[i].pad || mf[i].length == 0)
			continue;
		int64_t a = off > mf[i].offset ? off - mf[i].offset : 0;
		int64_t b = end - mf[i].offset;
		if (b > mf[i].length)
			b = mf[i].length;
		struct probe *p;
		int r = probe(st, i, &p);
		if (r < 0)
			return r;
		if (p->size < b)
			return PS_MISSING;
		if (!data && has_data(st, i, p, a, b))
			data = 1;
	}
	return data ? PS_DATA : PS_ZERO;
}

static void
zero_hash(struct bt_storage *st, uint32_t size, int k)
{
	static const uint8_t z[4096];
	struct bt_sha1 c;
	if (st->zh_done[k])
		return;
	bt_sha1_init(&c);
	for (uint32_t at = 0; at < size; at += sizeof(z))
		bt_sha1_update(&c, z, size - at < sizeof(z) ? size - at : sizeof(z));
	bt_sha1_out(&c, st->zh[k]);
	st->zh_done[k] = 1;
}

static void
mark(struct bt_bitfield *have, uint32_t piece, int good, int64_t *count)
{
	if (good) {
		bt_bitfield_set(have, piece);
		(*count)++;
	} else {
		bt_bitfield_clear(have, piece);
	}
}

int64_t
bt_storage_present(struct bt_storage *st, struct bt_bitfield *have)
{
	int64_t count = 0;

	if (have->n != st->npieces)
		return fail(st, -1, BT_E_INVAL);
	for (uint32_t p = 0; p < st->npieces; p++) {
		int s = piece_state(st, p, bt_storage_piece_size(st, p));
		if (s < 0)
			return s;
		mark(have, p, s == PS_DATA, &count);
	}
	return count;
}

int64_t
bt_storage_check_range(struct bt_storage *st, struct bt_bitfield *have, uint32_t from,
	uint32_t to)
{
	int64_t count = 0;
	long pend = -1;		/* piece waiting in pair[0] for a partner */
	uint8_t h[2][20];

	if (have->n != st->npieces || from > to || to > st->npieces)
		return fail(st, -1, BT_E_INVAL);
	if (!st->pair && st->plen <= PAIR_MAX)
		st->pair = malloc((size_t)st->plen * 2);	/* else one at a time */
	for (uint32_t p = from; p < to; p++) {
		uint32_t size = bt_storage_piece_size(st, p);
		int s = piece_state(st, p, size);
		if (s < 0)
			return s;
		if (s == PS_SKIP || s == PS_MISSING) {
			mark(have, p, 0, &count);
			continue;
		}
		if (s == PS_ZERO) {
			int k = size != st->plen;
			zero_hash(st, size, k);
			mark(have, p, hash_ok(st, p, st->zh[k]), &count);
			continue;
		}
		if (!st->pair || size != st->plen) {
			int r = bt_storage_verify(st, p);
			if (r < 0)
				return r;
			mark(have, p, r, &count);
			continue;
		}
		uint8_t *slot = st->pair + (pend < 0 ? 0 : st->plen);
		int r = io_range(st, piece_off(st, p), slot, NULL, size);
		if (r == BT_E_NOENT) {
			mark(have, p, 0, &count);
			continue;
		}
		if (r < 0)
			return r;
		if (pend < 0) {
			pend = p;
			continue;
		}
		bt_sha1_x2(st->pair, st->pair + st->plen, st->plen, h[0], h[1]);
		mark(have, (uint32_t)pend, hash_ok(st, (uint32_t)pend, h[0]), &count);
		mark(have, p, hash_ok(st, p, h[1]), &count);
		pend = -1;
	}
	if (pend >= 0) {
		bt_sha1(st->pair, st->plen, h[0]);
		mark(have, (uint32_t)pend, hash_ok(st, (uint32_t)pend, h[0]), &count);
	}
	if (to == st->npieces) {
		free(st->pair);
		st->pair = NULL;
	}
	return count;
}

int64_t
bt_storage_check(struct bt_storage *st, struct bt_bitfield *have,
	bt_storage_progress_fn *fn, void *ud)
{
	int64_t total = 0, r = 0;
	uint32_t slice = CHECK_SLICE / st->plen;

	if (have->n != st->npieces)
		return fail(st, -1, BT_E_INVAL);
	slice = slice > 64 ? 64 : slice < 2 ? 2 : slice & ~1u;
	bt_bitfield_clear_all(have);
	for (uint32_t p = 0; p < st->npieces && r == 0;) {
		uint32_t to = st->npieces - p < slice ? st->npieces : p + slice;
		r = bt_storage_check_range(st, have, p, to);
		if (r < 0)
			break;
		total += r;
		p = to;
		r = fn ? fn(ud, p, st->npieces) : 0;
	}
	free(st->pair);		/* kept by check_range when stopped early */
	st->pair = NULL;
	return r ? r : total;
}

/* ---- fast resume ---- */

struct fstamp {
	int64_t size, sec, nsec;
};

/* File i as it stands on disk, never following a symlink; anything but
 * a regular file reads as missing. */
static void
stamp_file(struct bt_storage *st, size_t i, struct fstamp *s)
{
	struct stat sb;
	const char *leaf;
	int dfd, ok;

	s->size = -1;
	s->sec = s->nsec = 0;
	if (st->m->files[i].pad)
		return;
	if (st->f[i].fd >= 0)
		ok = fstat(st->f[i].fd, &sb) == 0;
	else
		ok = walk_dir(st, i, 0, &dfd, &leaf) == 0 &&
			fstatat(dfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (ok && S_ISREG(sb.st_mode)) {
		s->size = sb.st_size;
		s->sec = sb.st_mtim.tv_sec;
		s->nsec = sb.st_mtim.tv_nsec;
	}
}

int
bt_storage_resume_write(struct bt_storage *st, const struct bt_bitfield *have,
	struct bt_buf *b)
{
	struct bt_bw w;
	size_t n;
	const uint8_t *bits;

	if (have->n != st->npieces)
		return fail(st, -1, BT_E_INVAL);
	bits = bt_bitfield_to_wire(have, &n);
	bt_bw_init(&w, b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "files");
	bt_bw_list(&w);
	for (size_t i = 0; i < st->nf; i++) {
		struct fstamp s;
		stamp_file(st, i, &s);
		bt_bw_list(&w);
		bt_bw_int(&w, s.size);
		bt_bw_int(&w, s.sec);
		bt_bw_int(&w, s.nsec);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	bt_bw_key(&w, "info hash");
	bt_bw_str(&w, st->m->info_hash, 20);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, bits, n);
	bt_bw_key(&w, "version");
	bt_bw_int(&w, 1);
	bt_bw_end(&w);
	int r = bt_bw_finish(&w);
	return r < 0 ? fail(st, -1, r) : 0;
}

static int
get_int(const struct bt_benc *d, int i, int64_t *v)
{
	return bt_benc_type(d, i) == BT_BENC_INT && bt_benc_int(d, i, v) == 0;
}

int
bt_storage_resume_load(struct bt_storage *st, const uint8_t *rec, size_t n,
	struct bt_bitfield *have, struct bt_bitfield *recheck)
{
	struct bt_benc d = { 0 };
	struct bt_benc_lim lim = { 0 };
	const uint8_t *p;
	size_t len, nbytes = bt_bitfield_bytes(st->npieces);
	int64_t v;
	int r = BT_E_PARSE;

	if (have->n != st->npieces || recheck->n != st->npieces)
		return fail(st, -1, BT_E_INVAL);
	bt_bitfield_clear_all(have);
	bt_bitfield_clear_all(recheck);
	st->last = -1;

	lim.depth = 3;
	lim.tokens = 16 + 4 * (uint32_t)st->nf;
	lim.str_max = nbytes > 20 ? (uint32_t)nbytes : 20;
	lim.strict = 1;
	int pr = bt_benc_parse(&d, rec, n, &lim, NULL);
	if (pr < 0) {
		r = pr == BT_E_NOMEM ? BT_E_NOMEM : BT_E_PARSE;
		goto out;
	}
	if (bt_benc_type(&d, 0) != BT_BENC_DICT)
		goto out;
	if (!get_int(&d, bt_benc_dict_get(&d, 0, "version"), &v) || v != 1)
		goto out;
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "info hash"), &p, &len) < 0 ||
		len != 20 || memcmp(p, st->m->info_hash, 20) != 0)
		goto out;
	if (bt_benc_str(&d, bt_benc_dict_get(&d, 0, "pieces"), &p, &len) < 0 ||
		len != nbytes)
		goto out;
	int fl = bt_benc_dict_get(&d, 0, "files");
	if (bt_benc_type(&d, fl) != BT_BENC_LIST || bt_benc_count(&d, fl) < 0 ||
		(size_t)bt_benc_count(&d, fl) != st->nf)
		goto out;
	/* Check every entry before acting on any. */
	for (int e = bt_benc_first(&d, fl); e >= 0; e = bt_benc_next(&d, fl, e)) {
		int64_t x[3];
		int k = 0;
		if (bt_benc_type(&d, e) != BT_BENC_LIST || bt_benc_count(&d, e) != 3)
			goto out;
		for (int j = bt_benc_first(&d, e); j >= 0; j = bt_benc_next(&d, e, j))
			if (!get_int(&d, j, &x[k++]))
				goto out;
		if (x[0] < -1 || x[2] < 0 || x[2] > 999999999)
			goto out;
	}
	if (bt_bitfield_from_wire(have, p, len) < 0)
		goto out;

	size_t i = 0;
	for (int e = bt_benc_first(&d, fl); e >= 0; e = bt_benc_next(&d, fl, e), i++) {
		const struct bt_meta_file *mf = &st->m->files[i];
		struct fstamp now;
		int64_t x[3];
		int j = bt_benc_first(&d, e);
		for (int k = 0; k < 3; k++, j = bt_benc_next(&d, e, j))
			bt_benc_int(&d, j, &x[k]);
		if (mf->pad || mf->length == 0)
			continue;
		stamp_file(st, i, &now);
		if (now.size == x[0] && now.sec == x[1] && now.nsec == x[2])
			continue;
		/* Changed: its pieces are not trusted; hash them again unless
		 * the file is skipped. */
		uint32_t a = (uint32_t)(mf->offset / st->plen);
		uint32_t b = (uint32_t)((mf->offset + mf->length - 1) / st->plen);
		for (uint32_t q = a; q <= b; q++) {
			bt_bitfield_clear(have, q);
			if (st->f[i].prio != BT_PRIO_SKIP)
				bt_bitfield_set(recheck, q);
		}
	}
	r = 0;
out:
	if (r < 0) {
		bt_bitfield_clear_all(have);
		bt_bitfield_clear_all(recheck);
	}
	bt_benc_free(&d);
	return r;
}

long
bt_storage_last_file(const struct bt_storage *st)
{
	return st->last;
}

const char *
bt_storage_file_path(const struct bt_storage *st, size_t file)
{
	if (file >= st->nf)
		return NULL;
	return st->single ? "" : st->m->files[file].path;
}
