/* storage.c - see storage.h */
#define _GNU_SOURCE	/* SEEK_DATA, SEEK_HOLE */
#include "storage.h"
#include "be.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "phash.h"
#include "sha1.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK		(64u << 10)	/* bt_storage_verify reads this much at a time */
#define CHECK_BATCH	256		/* pieces per bt_phash run, at most */
/* Hashing threads of a check, at most: two where the machine has two
 * CPUs (bt_phash_threads), so a check goes as fast as making the torrent;
 * one on a single-core router.  The check runs in slices on the loop's
 * thread; its helper is kept for the whole check (st->hpool) and works
 * on each slice beside the loop's thread.  Both read at once from files
 * the loop's thread opened for the batch (pin_files), or one at a time
 * through the open-file cache, which is the loop's. */
#define CHECK_THREADS	2
#define PIN_MAX		16		/* files a batch may span to be read in parallel */
#define CHECK_SLICE	(64u << 20)	/* bytes between progress calls, at most */
#define PARTS_MAGIC	"btparts1"	/* the parts file's first 8 bytes */
#define PARTS_HEAD	32u		/* magic, info hash, slot count */
#define SLOT_FREE	UINT32_MAX

/* How bt_file_fd wants a file. */
enum { FD_READ, FD_WRITE };

struct sfile {
	int fd;			/* -1: not open */
	int32_t prev, next;	/* LRU links while open (-1 ends) */
	int8_t prio;
	uint8_t rw;		/* fd is open for writing */
	uint8_t wok;		/* fd passed the checks for writing */
	uint8_t dirty;		/* written since the last fdatasync */
	uint8_t claimed;	/* ours to write: made by us, or found to be */
	uint8_t vouched;	/* a verified piece or our resume record
				 * says its data is the torrent's */
};

/* Why a file was refused (bt_storage_last_why).  WHY_KIND: something
 * other than a directory or a regular file where one belongs (the reason
 * is made by refuse_kind). */
enum { WHY_NONE, WHY_FOREIGN, WHY_LONGER, WHY_LINKS, WHY_PARTS, WHY_KIND };

static const struct {
	const char *verb, *reason;
} whys[] = {
	[WHY_FOREIGN] = { "refusing to overwrite",
		"it exists and does not hold this torrent's data (use --overwrite 1)" },
	[WHY_LONGER] = { "refusing to cut",
		"it is longer than the torrent's file (use --overwrite 1)" },
	[WHY_LINKS] = { "refusing to write",
		"it has more than one hard link (writing would change the other names too)" },
	[WHY_PARTS] = { "refusing to overwrite",
		"it is in the way of bt's parts file and is not one" },
	[WHY_KIND] = { "refusing to use", "" },
};

#define WHY_TEXT_MAX	1280	/* a made reason: a path and a sentence */

/* The parts file: the bytes of skipped files in pieces shared with wanted
 * files (see storage.h).  Slots of piece_len bytes after a header and a
 * table saying which piece each slot holds; only "boundary" pieces (those
 * touching two or more real files) can have one. */
struct parts {
	char *name;		/* in the root; NULL until first needed */
	int fd;			/* -1: not open (or none on disk) */
	int loaded;		/* the table is read (or there is no file) */
	uint8_t dirty;
	uint32_t nb;		/* boundary pieces */
	uint32_t *bpiece;	/* sorted */
	int32_t *bslot;		/* per boundary piece: its slot, -1 none */
	uint32_t *owner;	/* per slot: the boundary piece's rank, or
				 * SLOT_FREE */
	uint32_t used;
	uint32_t hint;		/* no free slot below it */
	int64_t data;		/* where slot 0 starts */
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
	int overwrite;			/* the user lets us replace files */
	char *shown;			/* the root as the user gave it */
	long last;			/* bt_storage_last_file */
	int why;			/* WHY_* of the last failure */
	char why_text[WHY_TEXT_MAX];	/* its reason, when made (else "") */
	struct parts pt;
	uint8_t *chunk;			/* CHUNK bytes, for verify */
	struct bt_phash_pool *hpool;	/* hashing threads, during a check */
	struct probe pr;
	uint8_t zh[2][20];		/* SHA-1 of a zero piece: full, last */
	uint8_t zh_done[2];
};

/* ---- small helpers ---- */

static int
fail(struct bt_storage *st, long file, int code)
{
	st->last = file;
	st->why = WHY_NONE;
	return code;
}

/* A refusal already explained (st->why), now said of file. */
static int
refused_as(struct bt_storage *st, long file, int code)
{
	st->last = file;
	return code;
}

/* A failure that is a refusal to touch a file, with its reason. */
static int
refuse(struct bt_storage *st, long file, int code, int why)
{
	st->last = file;
	st->why = why;
	st->why_text[0] = 0;
	return code;
}

/* The user's name for rel[0..n) below the root, in buf. */
static const char *
shown_join(const struct bt_storage *st, const char *rel, size_t n, char *buf, size_t cap)
{
	size_t k = strlen(st->shown);

	snprintf(buf, cap, "%s%s%.*s", st->shown, !n || (k && st->shown[k - 1] == '/') ?
		"" : "/", (int)n, rel);
	return buf;
}

/* 1 if a thing of mode m is what belongs: a directory (dir) or a
 * regular file. */
static int
kind_ok(mode_t m, int dir)
{
	return dir ? S_ISDIR(m) : S_ISREG(m);
}

/* A refusal of file (or of the directory above it, who) because of what
 * lies there (mode m): "<who> is a FIFO where a regular file is needed".
 * who NULL: the file itself ("it"). */
static int
refuse_kind(struct bt_storage *st, long file, const char *who, mode_t m, int dir)
{
	const char *what = S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
		S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISDIR(m) ? "a directory" :
		S_ISREG(m) ? "a file" : "a special file";

	refuse(st, file, BT_E_INVAL, WHY_KIND);
	if (S_ISLNK(m))
		snprintf(st->why_text, sizeof(st->why_text), "%s is a symbolic link "
			"(bt does not write through links inside a download)", who ? who : "it");
	else
		snprintf(st->why_text, sizeof(st->why_text), "%s is %s where a %s is needed",
			who ? who : "it", what, dir ? "directory" : "regular file");
	return BT_E_INVAL;
}

/* A file with more than one name: refused, saying how many. */
static int
refuse_links(struct bt_storage *st, long file, nlink_t n)
{
	refuse(st, file, BT_E_INVAL, WHY_LINKS);
	snprintf(st->why_text, sizeof(st->why_text),
		"it has %lu hard links (writing would change the other names too)",
		(unsigned long)n);
	return BT_E_INVAL;
}

/* The first prefix of path (followed through symlinks) that is there but
 * not a directory, in buf, and its mode; 0 when there is none. */
static int
first_nondir(const char *path, char *buf, size_t cap, mode_t *m)
{
	struct stat sb;

	for (size_t k = 1; path[k - 1]; k++) {
		if (path[k] != '/' && path[k] != 0)
			continue;
		if ((size_t)snprintf(buf, cap, "%.*s", (int)k, path) >= cap)
			return 0;
		if (stat(buf, &sb) < 0)
			return 0;
		if (!S_ISDIR(sb.st_mode)) {
			*m = sb.st_mode;
			return 1;
		}
	}
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

/* Opening name in dfd failed with errno e: when something of the wrong
 * kind is there, a refusal naming it (who, NULL for the file itself),
 * else the error as a code. */
static int
refuse_at(struct bt_storage *st, long file, int dfd, const char *name, const char *who,
	int dir, int e)
{
	struct stat sb;

	if ((e == ELOOP || e == ENOTDIR || e == EISDIR || e == ENXIO) &&
		fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !kind_ok(sb.st_mode, dir))
		return refuse_kind(st, file, who, sb.st_mode, dir);
	errno = e;
	return open_errno(e);
}

/* 0 when an open file has no data at all (only holes), 1 otherwise (or
 * when the file system cannot tell). */
static int
holds_data(int fd)
{
	return !(lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO);
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
	if (n == 0 || n > BT_META_MAX_COMPONENT)
		return 0;
	if (c[0] == '.' && (n == 1 || (n == 2 && c[1] == '.')))
		return 0;
	return 1;
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

/* ---- the root and the directories below it ---- */

/* Making or opening the root failed (r, errno e): a refusal when
 * something not a directory is on the way (above the root, symlinks are
 * followed: that part of the path is the user's; the root itself is not
 * followed), else r. */
static int
root_refusal(struct bt_storage *st, int r, int e)
{
	char who[WHY_TEXT_MAX / 2];
	mode_t m;

	if (first_nondir(st->root, who, sizeof(who), &m) && strcmp(who, st->root) != 0)
		return refuse_kind(st, st->last, who, m, 1);
	if (e == ELOOP || e == ENOTDIR || e == EEXIST)
		return refuse_at(st, st->last, AT_FDCWD, st->root, st->root, 1,
			e == EEXIST ? ENOTDIR : e);
	errno = e;
	return r;
}

static int
open_root(struct bt_storage *st, int create)
{
	if (st->rootfd >= 0)
		return 0;
	if (create) {
		int r = mkdir_p(st->root);
		if (r < 0)
			return root_refusal(st, r, errno);
	}
	/* Symlinks above the root are the user's business; a multi-file
	 * root itself must be a real directory. */
	int fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		(st->single ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return root_refusal(st, open_errno(errno), errno);
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
	char name[BT_META_MAX_COMPONENT + 1];
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
			char who[WHY_TEXT_MAX / 2];
			int err = errno;
			shown_join(st, p, (size_t)(s + n - p), who, sizeof(who));
			r = refuse_at(st, (long)i, cur, name, who, 1, err);
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
	f->wok = 0;
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

/* May file i, which exists (sb), be written?  Yes when it is ours
 * already, when the user said so (overwrite), when it holds nothing (empty,
 * or only holes: what an earlier run of ours leaves), or when its data is
 * vouched for (a piece touching it verified, or our resume record lists
 * it).  Never when it is longer than the torrent's file: writing in place
 * would leave it neither the user's nor the torrent's. */
static int
claim(struct bt_storage *st, size_t i, int fd, const struct stat *sb)
{
	struct sfile *f = &st->f[i];

	if (!f->claimed && !st->overwrite) {
		if (sb->st_size > st->m->files[i].length)
			return refuse(st, (long)i, BT_E_EXIST, WHY_LONGER);
		if (sb->st_size > 0 && !f->vouched && holds_data(fd))
			return refuse(st, (long)i, BT_E_EXIST, WHY_FOREIGN);
	}
	f->claimed = 1;
	return 0;
}

/* Before the first write through fd (file i): a regular file with no
 * other name (a hard link planted in the tree would carry our writes
 * elsewhere), ours to write (claim, unless we just made it), and, with
 * sparse, extended to its size. */
static int
write_checks(struct bt_storage *st, size_t i, int fd, int created)
{
	struct stat sb;
	int r;

	if (fstat(fd, &sb) < 0)
		return BT_E_IO;
	if (!S_ISREG(sb.st_mode))
		return refuse_kind(st, (long)i, NULL, sb.st_mode, 0);
	if (sb.st_nlink > 1)
		return refuse_links(st, (long)i, sb.st_nlink);
	if (created)
		st->f[i].claimed = 1;
	else if ((r = claim(st, i, fd, &sb)) < 0)
		return r;
	if (st->sparse && sb.st_size < st->m->files[i].length) {
		if (ftruncate(fd, (off_t)st->m->files[i].length) < 0)
			return BT_E_IO;
		if (st->pr.file == (long)i)
			st->pr.file = -1;
	}
	return 0;
}

/* Open file i's leaf: for reading (read-write when allowed, never
 * creating) or for writing (creating it, and the directories, when
 * missing: *created says so). */
static int
open_leaf(struct bt_storage *st, size_t i, int how, int *created, int *rw)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
	const char *leaf;
	int dfd, fd, r = walk_dir(st, i, how == FD_WRITE, &dfd, &leaf);

	*created = 0;
	*rw = 1;
	if (r < 0)
		return r;
	fd = openat(dfd, leaf, flags);
	if (fd < 0 && errno == ENOENT && how == FD_WRITE) {
		fd = openat(dfd, leaf, flags | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno == ENOENT && dfd == st->dfd) {
			/* The cached directory may have been removed: walk again. */
			dcache_drop(st);
			if ((r = walk_dir(st, i, 1, &dfd, &leaf)) < 0)
				return r;
			fd = openat(dfd, leaf, flags | O_CREAT | O_EXCL, 0644);
		}
		*created = fd >= 0;
	}
	if (fd < 0 && how == FD_READ && (errno == EACCES || errno == EROFS)) {
		fd = openat(dfd, leaf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		*rw = 0;
	}
	return fd < 0 ? refuse_at(st, (long)i, dfd, leaf, NULL, 0, errno) : fd;
}

static void
lru_touch(struct bt_storage *st, int32_t i)
{
	if (st->head != i) {
		lru_unlink(st, i);
		lru_front(st, i);
	}
}

static int
file_fd_(struct bt_storage *st, size_t i, int how)
{
	struct sfile *f = &st->f[i];
	int created, rw, r;
	struct stat sb;

	st->why = WHY_NONE;
	if (f->fd >= 0) {
		if (how == FD_WRITE && f->rw && !f->wok) {
			if ((r = write_checks(st, i, f->fd, 0)) < 0)
				return r;
			f->wok = 1;
		}
		if (how == FD_READ || f->wok) {
			lru_touch(st, (int32_t)i);
			return f->fd;
		}
		close_file(st, (int32_t)i);	/* read-only: reopen */
	}
	while (st->nopen >= st->max_open && st->tail >= 0) {
		if (close_file(st, st->tail) < 0)
			return E_EVICT;
	}
	int fd = open_leaf(st, i, how, &created, &rw);
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0)
		r = BT_E_IO;
	else if (!S_ISREG(sb.st_mode))
		r = refuse_kind(st, (long)i, NULL, sb.st_mode, 0);
	else
		r = how == FD_WRITE ? write_checks(st, i, fd, created) : 0;
	if (r < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return r;
	}
	f->fd = fd;
	f->rw = (uint8_t)rw;
	f->wok = how == FD_WRITE;
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

/* ---- the parts file ---- */

/* 1 if a torrent path is name or lies below it. */
static int
top_taken(const struct bt_storage *st, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < st->nf; i++) {
		const char *p = st->m->files[i].path;
		if (p && strncmp(p, name, n) == 0 && (p[n] == 0 || p[n] == '/'))
			return 1;
	}
	return 0;
}

/* ".<name>.parts" in the root (the info hash in hex for a name that does
 * not fit), with more dots in front while a torrent path takes it. */
static int
parts_name(struct bt_storage *st)
{
	char b[BT_META_MAX_COMPONENT + 1], hex[41];
	const char *base = st->m->name;
	int n;

	if (st->pt.name)
		return 0;
	if (!base || strlen(base) + 7 > BT_META_MAX_COMPONENT || strchr(base, '/')) {
		for (int k = 0; k < 20; k++)
			snprintf(hex + 2 * k, 3, "%02x", st->m->info_hash[k]);
		base = hex;
	}
	n = snprintf(b, sizeof(b), ".%s.parts", base);
	while (top_taken(st, b)) {
		if (n + 1 > BT_META_MAX_COMPONENT)
			return BT_E_INVAL;	/* every shorter name taken: absurd */
		memmove(b + 1, b, (size_t)n + 1);
		b[0] = '.';
		n++;
	}
	st->pt.name = strdup(b);
	return st->pt.name ? 0 : BT_E_NOMEM;
}

static void parts_close(struct bt_storage *st);

/* The boundary pieces (those touching two or more real files), sorted. */
static int
parts_map(struct bt_storage *st)
{
	struct parts *pt = &st->pt;
	const struct bt_meta_file *mf = st->m->files;
	uint32_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		int64_t prev = -1, lastb = -1;
		n = 0;
		for (size_t i = 0; i < st->nf; i++) {
			if (mf[i].pad || mf[i].length == 0)
				continue;
			int64_t a = mf[i].offset / st->plen;
			if (a == prev && a != lastb) {
				if (pass)
					pt->bpiece[n] = (uint32_t)a;
				n++;
				lastb = a;
			}
			prev = (mf[i].offset + mf[i].length - 1) / st->plen;
		}
		if (pass)
			break;
		pt->bpiece = malloc((n ? n : 1) * sizeof(*pt->bpiece));
		pt->bslot = malloc((n ? n : 1) * sizeof(*pt->bslot));
		pt->owner = malloc((n ? n : 1) * sizeof(*pt->owner));
		if (!pt->bpiece || !pt->bslot || !pt->owner) {
			parts_close(st);
			return BT_E_NOMEM;
		}
	}
	pt->nb = n;
	pt->data = ((int64_t)PARTS_HEAD + 4 * (int64_t)n + 4095) & ~(int64_t)4095;
	return 0;
}

/* Rank of piece among the boundary pieces, -1 if it is not one. */
static int64_t
parts_rank(const struct parts *pt, uint32_t piece)
{
	uint32_t lo = 0, hi = pt->nb;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (pt->bpiece[mid] < piece)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pt->nb && pt->bpiece[lo] == piece ? (int64_t)lo : -1;
}

/* A fresh header and table (every slot free). */
static int
parts_init(struct bt_storage *st, int fd)
{
	struct parts *pt = &st->pt;
	size_t n = PARTS_HEAD + 4 * (size_t)pt->nb;
	uint8_t *h = malloc(n);
	int r = 0;

	if (!h)
		return BT_E_NOMEM;
	memcpy(h, PARTS_MAGIC, 8);
	memcpy(h + 8, st->m->info_hash, 20);
	put32(h + 28, pt->nb);
	memset(h + PARTS_HEAD, 0xff, n - PARTS_HEAD);
	if (ftruncate(fd, 0) < 0 || full_pwrite(fd, h, n, 0) < 0)
		r = BT_E_IO;
	free(h);
	pt->dirty = 1;
	return r;
}

/* Read the table of an open parts file of size bytes: ours for this
 * torrent, or ours but stale (made anew), or not ours (refused). */
static int
parts_read(struct bt_storage *st, int fd, int64_t size)
{
	struct parts *pt = &st->pt;
	size_t tn = 4 * (size_t)pt->nb;
	uint8_t h[PARTS_HEAD], *t;

	for (uint32_t k = 0; k < pt->nb; k++) {
		pt->owner[k] = SLOT_FREE;
		pt->bslot[k] = -1;
	}
	pt->used = pt->hint = 0;
	if (size == 0)
		return parts_init(st, fd);
	if (size < 8 || full_pread(fd, h, 8, 0) != 8 || memcmp(h, PARTS_MAGIC, 8) != 0)
		return refuse(st, BT_STORAGE_PARTS, BT_E_EXIST, WHY_PARTS);
	if (size < (int64_t)(PARTS_HEAD + tn) || full_pread(fd, h, PARTS_HEAD, 0) != PARTS_HEAD ||
		memcmp(h + 8, st->m->info_hash, 20) != 0 || get32(h + 28) != pt->nb)
		return parts_init(st, fd);	/* another torrent's, of the same name */
	if (!(t = malloc(tn ? tn : 1)))
		return BT_E_NOMEM;
	if (full_pread(fd, t, tn, PARTS_HEAD) != (ssize_t)tn) {
		free(t);
		return BT_E_IO;
	}
	for (uint32_t k = 0; k < pt->nb; k++) {
		int64_t r = parts_rank(pt, get32(t + 4 * (size_t)k));
		if (r < 0 || pt->bslot[r] >= 0)
			continue;	/* free, or nonsense: free */
		pt->bslot[r] = (int32_t)k;
		pt->owner[k] = (uint32_t)r;
		pt->used++;
	}
	free(t);
	return 0;
}

/* Open the parts file, reading its table; create: make it when missing
 * (else a missing one is fine: no slots).  Like the torrent's files, it
 * must be a regular file with one name. */
static int
parts_open(struct bt_storage *st, int create)
{
	struct parts *pt = &st->pt;
	struct stat sb;
	int r, fd;

	if (pt->fd >= 0 || (pt->loaded && !create))
		return 0;
	st->why = WHY_NONE;
	if ((r = parts_name(st)) < 0 || (!pt->bpiece && (r = parts_map(st)) < 0))
		return fail(st, BT_STORAGE_PARTS, r);
	if ((r = open_root(st, create)) < 0) {
		if (r != BT_E_NOENT && st->why != WHY_NONE)
			return refused_as(st, BT_STORAGE_PARTS, r);
		if (r != BT_E_NOENT)
			return fail(st, BT_STORAGE_PARTS, r);
		pt->loaded = 1;		/* no root, no parts file */
		return 0;
	}
	fd = openat(st->rootfd, pt->name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
		O_NONBLOCK | (create ? O_CREAT : 0), 0644);
	if (fd < 0 && errno == ENOENT && !create) {
		pt->loaded = 1;
		return 0;
	}
	if (fd < 0 && (r = refuse_at(st, BT_STORAGE_PARTS, st->rootfd, pt->name, NULL, 0,
		errno)) < 0 && st->why != WHY_NONE)
		return r;
	if (fd < 0)
		return fail(st, BT_STORAGE_PARTS, r);
	if (fstat(fd, &sb) < 0)
		r = fail(st, BT_STORAGE_PARTS, BT_E_IO);
	else if (!S_ISREG(sb.st_mode))
		r = refuse_kind(st, BT_STORAGE_PARTS, NULL, sb.st_mode, 0);
	else if (sb.st_nlink > 1)
		r = refuse_links(st, BT_STORAGE_PARTS, sb.st_nlink);
	else if ((r = parts_read(st, fd, sb.st_size)) < 0 && st->why == WHY_NONE)
		r = fail(st, BT_STORAGE_PARTS, r);
	if (r < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return r;
	}
	pt->fd = fd;
	pt->loaded = 1;
	return 0;
}

static void
parts_close(struct bt_storage *st)
{
	struct parts *pt = &st->pt;
	if (pt->fd >= 0)
		close(pt->fd);
	pt->fd = -1;
	pt->loaded = 0;
	pt->dirty = 0;
	free(pt->bpiece);
	free(pt->bslot);
	free(pt->owner);
	pt->bpiece = NULL;
	pt->bslot = NULL;
	pt->owner = NULL;
	pt->nb = pt->used = pt->hint = 0;
}

/* The slot of piece in the open parts file (-1: none; with alloc, one
 * is taken for a boundary piece).  0 or BT_E_IO. */
static int
parts_slot(struct bt_storage *st, uint32_t piece, int alloc, int32_t *slot)
{
	struct parts *pt = &st->pt;
	int64_t r = parts_rank(pt, piece);
	uint8_t e[4];
	uint32_t k = pt->hint;

	*slot = r < 0 ? -1 : pt->bslot[r];
	if (*slot >= 0 || r < 0 || !alloc)
		return 0;
	while (k < pt->nb && pt->owner[k] != SLOT_FREE)
		k++;		/* there are as many slots as boundary pieces */
	pt->hint = k + 1;
	put32(e, piece);
	if (full_pwrite(pt->fd, e, 4, PARTS_HEAD + 4 * (int64_t)k) < 0)
		return fail(st, BT_STORAGE_PARTS, BT_E_IO);
	pt->owner[k] = (uint32_t)r;
	pt->bslot[r] = (int32_t)k;
	pt->used++;
	pt->dirty = 1;
	*slot = (int32_t)k;
	return 0;
}

static int
parts_free_slot(struct bt_storage *st, uint32_t k)
{
	struct parts *pt = &st->pt;
	uint8_t e[4];

	put32(e, SLOT_FREE);
	if (full_pwrite(pt->fd, e, 4, PARTS_HEAD + 4 * (int64_t)k) < 0)
		return fail(st, BT_STORAGE_PARTS, BT_E_IO);
	pt->bslot[pt->owner[k]] = -1;
	pt->owner[k] = SLOT_FREE;
	pt->used--;
	if (k < pt->hint)
		pt->hint = k;
	pt->dirty = 1;
	return 0;
}

/* Plain I/O on file i at pos (see io_range). */
static int
file_io(struct bt_storage *st, size_t i, int64_t pos, uint8_t *buf, const uint8_t *wbuf,
	uint32_t n)
{
	int fd = file_fd(st, i, buf ? FD_READ : FD_WRITE);
	if (fd < 0)
		return fd;
	if (buf) {
		ssize_t r = full_pread(fd, buf, n, pos);
		if (r < 0)
			return fail(st, (long)i, BT_E_IO);
		if ((uint32_t)r < n)	/* the file is short */
			return fail(st, (long)i, BT_E_NOENT);
		return 0;
	}
	st->f[i].dirty = 1;
	if (st->pr.file == (long)i)
		st->pr.file = -1;
	if (full_pwrite(fd, wbuf, n, pos) < 0)
		return fail(st, (long)i, BT_E_IO);
	return 0;
}

/* I/O on skipped file i at pos, torrent offset off: in the slot of the
 * piece in the parts file.  A read of a piece with no slot goes to the
 * file itself (it may hold the bytes from when it was wanted). */
static int
parts_io(struct bt_storage *st, size_t i, int64_t pos, int64_t off, uint8_t *buf,
	const uint8_t *wbuf, uint32_t n)
{
	struct parts *pt = &st->pt;
	uint32_t piece = (uint32_t)(off / st->plen);
	int64_t at;
	int32_t slot = -1;
	int r = parts_open(st, wbuf != NULL);

	if (r < 0)
		return r;
	if (pt->fd >= 0 && (r = parts_slot(st, piece, wbuf != NULL, &slot)) < 0)
		return r;
	if (slot < 0 && wbuf)	/* writes come only for boundary pieces */
		return fail(st, (long)i, BT_E_INVAL);
	if (slot < 0) {
		/* Not there either: it is the parts file that lacks them. */
		r = file_io(st, i, pos, buf, NULL, n);
		return r == BT_E_NOENT && pt->bpiece && parts_rank(pt, piece) >= 0 ?
			fail(st, BT_STORAGE_PARTS, r) : r;
	}
	at = pt->data + (int64_t)slot * st->plen + (off - piece_off(st, piece));
	if (buf) {
		ssize_t got = full_pread(pt->fd, buf, n, at);
		if (got < 0)
			return fail(st, BT_STORAGE_PARTS, BT_E_IO);
		return (uint32_t)got < n ? fail(st, BT_STORAGE_PARTS, BT_E_NOENT) : 0;
	}
	pt->dirty = 1;
	if (full_pwrite(pt->fd, wbuf, n, at) < 0)
		return fail(st, BT_STORAGE_PARTS, BT_E_IO);
	return 0;
}

/* Whether piece touches a skipped file and a wanted one (padding and
 * empty files do not count). */
static void
piece_mix(const struct bt_storage *st, uint32_t piece, int *skipped, int *wanted)
{
	const struct bt_meta_file *mf = st->m->files;
	int64_t off = piece_off(st, piece), end = off + bt_storage_piece_size(st, piece);

	*skipped = *wanted = 0;
	for (size_t i = bt_meta_file_at(st->m, off); i < st->nf && mf[i].offset < end; i++) {
		if (mf[i].pad || mf[i].length == 0)
			continue;
		if (st->f[i].prio == BT_PRIO_SKIP)
			*skipped = 1;
		else
			*wanted = 1;
	}
}

/* Copy file i's bytes of slot k into file i. */
static int
parts_copy_out(struct bt_storage *st, size_t i, uint32_t k)
{
	const struct bt_meta_file *mf = &st->m->files[i];
	uint32_t piece = st->pt.bpiece[st->pt.owner[k]];
	int64_t poff = piece_off(st, piece);
	int64_t a = poff > mf->offset ? poff : mf->offset;
	int64_t b = poff + bt_storage_piece_size(st, piece);

	if (b > mf->offset + mf->length)
		b = mf->offset + mf->length;
	if (!st->chunk && !(st->chunk = malloc(CHUNK)))
		return fail(st, -1, BT_E_NOMEM);
	while (a < b) {
		uint32_t n = b - a < CHUNK ? (uint32_t)(b - a) : CHUNK;
		int64_t at = st->pt.data + (int64_t)k * st->plen + (a - poff);
		ssize_t got = full_pread(st->pt.fd, st->chunk, n, at);
		if (got < 0)
			return fail(st, BT_STORAGE_PARTS, BT_E_IO);
		if (got == 0)
			return 0;	/* nothing more was written there */
		int r = file_io(st, i, a - mf->offset, NULL, st->chunk, (uint32_t)got);
		if (r < 0)
			return r;
		a += got;
	}
	return 0;
}

/* File i is wanted again: its bytes in the parts file go into it, slots
 * of pieces that no longer touch a skipped file are freed, and the parts
 * file goes when no slot is left. */
static int
parts_export(struct bt_storage *st, size_t i)
{
	struct parts *pt = &st->pt;
	int r, skipped, wanted;

	if (st->single)
		return 0;
	if ((r = parts_open(st, 0)) < 0 || pt->fd < 0)
		return r;
	for (uint32_t k = 0; k < pt->nb; k++) {
		if (pt->owner[k] == SLOT_FREE)
			continue;
		if ((r = parts_copy_out(st, i, k)) < 0)
			return r;
		piece_mix(st, pt->bpiece[pt->owner[k]], &skipped, &wanted);
		if (!skipped && (r = parts_free_slot(st, k)) < 0)
			return r;
	}
	if (pt->used == 0) {
		parts_close(st);
		if (unlinkat(st->rootfd, pt->name, 0) < 0 && errno != ENOENT)
			return fail(st, BT_STORAGE_PARTS, BT_E_IO);
	}
	return 0;
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
	char why[512];
	if (bt_meta_disk_problem(m, 0, why, sizeof(why)))
		return BT_E_INVAL;
	int64_t at = 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (o->prio && (o->prio[i] < BT_PRIO_SKIP || o->prio[i] > BT_PRIO_LOW))
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
	st->overwrite = o->overwrite != 0;
	st->last = -1;
	st->pr.file = -1;
	st->pt.fd = -1;
	st->f = calloc(st->nf, sizeof(*st->f));
	size_t rl = strlen(o->root);
	st->root = malloc(rl + 2);
	st->shown = malloc(rl + 2);
	if (!st->f || !st->root || !st->shown) {
		bt_storage_close(st);
		return BT_E_NOMEM;
	}
	memcpy(st->root, o->root, rl + 1);
	while (rl > 1 && st->root[rl - 1] == '/')
		st->root[--rl] = 0;
	memcpy(st->shown, st->root, rl + 1);
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
	parts_close(st);
	free(st->pt.name);
	dcache_drop(st);
	if (st->rootfd >= 0)
		close(st->rootfd);
	free(st->dpath);
	free(st->f);
	free(st->root);
	free(st->shown);
	free(st->base);
	free(st->chunk);
	bt_phash_pool_free(st->hpool);
	free(st);
}

/* Make file i (not skipped, not padding), or take the one that is there
 * when it may be written (claim: otherwise BT_E_EXIST, nothing touched);
 * extend it when sparse, cut it when longer (only with overwrite). */
static int
create_file(struct bt_storage *st, size_t i)
{
	int64_t len = st->m->files[i].length;
	struct stat sb;
	int r, fd = file_fd(st, i, FD_READ);

	if (fd == BT_E_NOENT)
		fd = file_fd(st, i, FD_WRITE);		/* made (and extended) */
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0)
		return fail(st, (long)i, BT_E_IO);
	if ((r = claim(st, i, fd, &sb)) < 0)
		return r;
	if (sb.st_size == len || (!st->sparse && sb.st_size < len))
		return 0;	/* nothing to write: no write checks yet */
	if ((fd = file_fd(st, i, FD_WRITE)) < 0)	/* extends a short one */
		return fd;
	if (sb.st_size > len && ftruncate(fd, (off_t)len) < 0)
		return fail(st, (long)i, BT_E_IO);
	if (st->pr.file == (long)i)
		st->pr.file = -1;
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
		if (r == 0)
			r = parts_export(st, file);
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

/* The stretch of [off, off + len) in a file, looking from file i (the
 * one at off, or before it: empty files are passed): the file's index
 * (st->nf when there is none, which cannot happen for a range within the
 * torrent), *pos within it and *n bytes. */
static size_t
span_at(const struct bt_storage *st, size_t i, int64_t off, uint32_t len, int64_t *pos,
	uint32_t *n)
{
	const struct bt_meta_file *mf = st->m->files;

	for (; i < st->nf; i++) {
		int64_t left = mf[i].offset + mf[i].length - off;
		if (left > 0) {
			*pos = off - mf[i].offset;
			*n = left < len ? (uint32_t)left : len;
			return i;
		}
	}
	return st->nf;
}

/* Bytes [off, off + len) of the torrent from or to buf. */
static int
io_range(struct bt_storage *st, int64_t off, uint8_t *buf, const uint8_t *wbuf,
	uint32_t len)
{
	const struct bt_meta_file *mf = st->m->files;
	for (size_t i = bt_meta_file_at(st->m, off); len > 0; i++) {
		int64_t pos = 0;
		uint32_t n = 0;	/* (set by span_at; gcc 12 for ARM cannot tell) */
		if ((i = span_at(st, i, off, len, &pos, &n)) >= st->nf)
			return fail(st, -1, BT_E_INVAL);	/* cannot happen */
		if (mf[i].pad) {
			if (buf)
				memset(buf, 0, n);
		} else {
			/* A skipped file is only written here for a piece it
			 * shares with a wanted file: its part of that piece goes
			 * to the parts file, so the piece can be verified. */
			int r = st->f[i].prio == BT_PRIO_SKIP && !st->single ?
				parts_io(st, i, pos, off, buf, wbuf, n) :
				file_io(st, i, pos, buf, wbuf, n);
			if (r < 0)
				return r;
		}
		if (buf)
			buf += n;
		else
			wbuf += n;
		off += n;
		len -= n;
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

/* Piece is verified (or trusted): the files it touches hold the
 * torrent's data, and may be written (claim). */
static void
vouch(struct bt_storage *st, uint32_t piece)
{
	int64_t off = piece_off(st, piece), end = off + bt_storage_piece_size(st, piece);
	for (size_t i = bt_meta_file_at(st->m, off); i < st->nf && st->m->files[i].offset < end;
		i++)
		st->f[i].vouched = 1;
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
	if (!hash_ok(st, piece, h))
		return 0;
	vouch(st, piece);
	return 1;
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
	if (st->pt.dirty && st->pt.fd >= 0) {
		if (fdatasync(st->pt.fd) == 0)
			st->pt.dirty = 0;
		else if (rc == 0) {
			rc = BT_E_IO;
			e = errno;
			st->last = BT_STORAGE_PARTS;
		}
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

/* 1 if the parts file has a slot for piece (a piece of skipped files
 * shared with wanted ones). */
static int
parts_has(struct bt_storage *st, uint32_t piece)
{
	int32_t slot = -1;
	int r = parts_open(st, 0);
	if (r < 0)
		return r;
	if (st->pt.fd >= 0 && (r = parts_slot(st, piece, 0, &slot)) < 0)
		return r;
	return slot >= 0;
}

/* What a check must do about piece: nothing (all skipped; some bytes
 * missing), compare with a zero piece (all holes or padding), or read
 * (a piece shared by skipped and wanted files is always read: the
 * skipped files' part is in the parts file, or in the files themselves
 * from when they were wanted). */
static int
piece_state(struct bt_storage *st, uint32_t piece, uint32_t size)
{
	const struct bt_meta_file *mf = st->m->files;
	int64_t off = piece_off(st, piece), end = off + size;
	int skipped, wanted, data = 0, inparts = 0, r;

	piece_mix(st, piece, &skipped, &wanted);
	if (skipped && !wanted)
		return PS_SKIP;
	if (skipped && !st->single) {
		if ((inparts = parts_has(st, piece)) < 0)
			return inparts;
		data = 1;
	}
	for (size_t i = bt_meta_file_at(st->m, off); i < st->nf && mf[i].offset < end; i++) {
		if (mf[i].pad || mf[i].length == 0)
			continue;
		if (st->f[i].prio == BT_PRIO_SKIP && inparts)
			continue;	/* in the parts file */
		int64_t a = off > mf[i].offset ? off - mf[i].offset : 0;
		int64_t b = end - mf[i].offset;
		if (b > mf[i].length)
			b = mf[i].length;
		struct probe *p;
		if ((r = probe(st, i, &p)) < 0)
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
	static uint8_t z[4096];	/* zeros in bss, not in the file */
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
mark(struct bt_storage *st, struct bt_bitfield *have, uint32_t piece, int good,
	int64_t *count)
{
	if (good) {
		vouch(st, piece);
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
		mark(st, have, p, s == PS_DATA, &count);
	}
	return count;
}

/* bt_phash_read_fn over the torrent's files.  Two ways:
 * - pinned: the files a batch of pieces spans were opened beforehand on
 *   the loop's thread (pin_files) and every hashing thread reads them at
 *   once with pread, which needs no lock; nothing in st changes meanwhile;
 * - serial: through io_range and the descriptor cache, one thread at a
 *   time (bt_phash's lock), for batches over many files or touching a
 *   skipped file (whose bytes may be in the parts file). */
struct check_rd {
	struct bt_storage *st;
	size_t fa, npin;		/* pinned: files fa .. fa + npin - 1 */
	int fd[PIN_MAX];		/* their descriptors (-1: padding) */
	struct {
		size_t file;		/* read-ahead per thread, in this file */
		int64_t ahead;
	} ra[CHECK_THREADS];
	_Atomic int err;		/* errno of the read that failed */
};

static int
read_pinned(struct check_rd *c, unsigned worker, int64_t off, uint8_t *buf, uint32_t len)
{
	const struct bt_storage *st = c->st;

	for (size_t i = c->fa; len > 0; i++) {
		int64_t pos = 0;
		uint32_t n = 0;	/* (set by span_at; gcc 12 for ARM cannot tell) */
		i = span_at(st, i, off, len, &pos, &n);
		if (i >= c->fa + c->npin)
			return BT_E_INVAL;	/* cannot happen: the batch is pinned */
		int fd = c->fd[i - c->fa];
		if (fd < 0) {
			memset(buf, 0, n);
		} else {
			if (st->m->files[i].length > BT_READ_AHEAD && worker < CHECK_THREADS) {
				if (c->ra[worker].file != i) {
					c->ra[worker].file = i;
					c->ra[worker].ahead = 0;
				}
				bt_file_read_ahead(fd, pos, n, &c->ra[worker].ahead);
			}
			ssize_t r = full_pread(fd, buf, n, pos);
			if (r < 0) {
				atomic_store(&c->err, errno);
				return BT_E_IO;
			}
			if ((uint32_t)r < n)
				return BT_PHASH_SKIP;	/* the file is short */
		}
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int
check_read(void *ud, unsigned worker, int64_t pos, void *buf, size_t n)
{
	struct check_rd *c = ud;
	int r;

	if (c->npin)
		return read_pinned(c, worker, pos, buf, (uint32_t)n);
	r = io_range(c->st, pos, buf, NULL, (uint32_t)n);
	if (r == BT_E_NOENT)
		return BT_PHASH_SKIP;	/* not all there */
	if (r < 0)
		atomic_store(&c->err, errno);
	return r;
}

/* Open the files that pieces list[0 .. n - 1] (ascending) span, for
 * read_pinned; 0 leaves the batch to the serial way (too many files, a
 * skipped one, or one that would not open: io_range then says why). */
static int
pin_files(struct bt_storage *st, struct check_rd *c, const uint32_t *list, size_t n)
{
	const struct bt_meta_file *mf = st->m->files;
	uint32_t last = list[n - 1];
	size_t fa = bt_meta_file_at(st->m, piece_off(st, list[0]));
	size_t fb = bt_meta_file_at(st->m,
		piece_off(st, last) + bt_storage_piece_size(st, last) - 1);

	if (fb < fa || fb >= st->nf || fb - fa >= PIN_MAX || fb - fa >= st->max_open)
		return 0;
	for (size_t i = fa; i <= fb; i++) {
		c->fd[i - fa] = -1;
		if (mf[i].pad || !mf[i].length)
			continue;
		if (st->f[i].prio == BT_PRIO_SKIP && !st->single)
			return 0;
		if ((c->fd[i - fa] = file_fd(st, i, FD_READ)) < 0)
			return 0;
	}
	for (size_t i = fa; i <= fb; i++)	/* none evicted by a later one */
		if (c->fd[i - fa] >= 0 && st->f[i].fd != c->fd[i - fa])
			return 0;
	c->fa = fa;
	c->npin = fb - fa + 1;
	return 1;
}

/* Hash the n (at most CHECK_BATCH) pieces of list and mark them. */
static int
check_hash(struct bt_storage *st, struct bt_bitfield *have, const uint32_t *list,
	size_t n, int64_t *count)
{
	uint8_t out[CHECK_BATCH * 20], skipped[CHECK_BATCH];
	struct check_rd c = { .st = st };
	struct bt_phash h = {
		.total = st->m->total, .plen = st->plen, .read = check_read, .ud = &c,
	};
	int r;

	if (!st->hpool) {	/* started once a check, not per batch */
		unsigned cpus = bt_phash_threads(0);
		if (!(st->hpool = bt_phash_pool_new(cpus < CHECK_THREADS ? cpus : CHECK_THREADS)))
			return fail(st, -1, BT_E_NOMEM);
	}
	h.pool = st->hpool;
	h.serial = !pin_files(st, &c, list, n);
	if ((r = bt_phash_run(&h, 0, list, n, out, skipped)) < 0) {
		if (atomic_load(&c.err))
			errno = atomic_load(&c.err);	/* for the caller's message */
		return r;
	}
	for (size_t k = 0; k < n; k++)
		mark(st, have, list[k], !skipped[k] && hash_ok(st, list[k], out + 20 * k),
			count);
	return 0;
}

int64_t
bt_storage_check_range(struct bt_storage *st, struct bt_bitfield *have, uint32_t from,
	uint32_t to)
{
	uint32_t list[CHECK_BATCH];	/* pieces with data, to hash */
	size_t n = 0;
	int64_t count = 0;
	int r;

	if (have->n != st->npieces || from > to || to > st->npieces)
		return fail(st, -1, BT_E_INVAL);
	for (uint32_t p = from; p < to; p++) {
		uint32_t size = bt_storage_piece_size(st, p);
		int s = piece_state(st, p, size);
		if (s < 0)
			return s;
		if (s == PS_SKIP || s == PS_MISSING) {
			mark(st, have, p, 0, &count);
		} else if (s == PS_ZERO) {
			int k = size != st->plen;
			zero_hash(st, size, k);
			mark(st, have, p, hash_ok(st, p, st->zh[k]), &count);
		} else {
			list[n++] = p;
			if (n == CHECK_BATCH) {
				if ((r = check_hash(st, have, list, n, &count)) < 0)
					return r;
				n = 0;
			}
		}
	}
	if (n && (r = check_hash(st, have, list, n, &count)) < 0)
		return r;
	if (to == st->npieces) {
		bt_phash_pool_free(st->hpool);
		st->hpool = NULL;
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
	bt_phash_pool_free(st->hpool);	/* kept by check_range when stopped early */
	st->hpool = NULL;
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

/* The root directory as it is on disk (not made when missing). */
static int
root_id(struct bt_storage *st, struct stat *rs)
{
	int r = open_root(st, 0);
	if (r < 0)
		return r;
	return fstat(st->rootfd, rs) < 0 ? BT_E_IO : 0;
}

/* 1 if a record's "root" (token rt) is this storage's: the same
 * directory (device and inode), and for a single file the same name. */
static int
same_root(struct bt_storage *st, const struct bt_benc *d, int rt)
{
	struct stat rs;
	int64_t dev, ino;
	int e, e2;

	if (rt < 0 || bt_benc_type(d, rt) != BT_BENC_LIST ||
		bt_benc_count(d, rt) != (st->single ? 3 : 2) || root_id(st, &rs) < 0)
		return 0;
	e = bt_benc_first(d, rt);
	e2 = bt_benc_next(d, rt, e);
	if (bt_benc_type(d, e) != BT_BENC_INT || bt_benc_int(d, e, &dev) < 0 ||
		bt_benc_type(d, e2) != BT_BENC_INT || bt_benc_int(d, e2, &ino) < 0 ||
		dev != (int64_t)rs.st_dev || ino != (int64_t)rs.st_ino)
		return 0;
	return !st->single || bt_benc_str_eq(d, bt_benc_next(d, rt, e2), st->base);
}

int
bt_storage_resume_write(struct bt_storage *st, const struct bt_bitfield *have,
	struct bt_buf *b)
{
	struct stat rs;
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
	if (root_id(st, &rs) == 0) {
		bt_bw_key(&w, "root");
		bt_bw_list(&w);
		bt_bw_int(&w, (int64_t)rs.st_dev);
		bt_bw_int(&w, (int64_t)rs.st_ino);
		if (st->single)
			bt_bw_strs(&w, st->base);
		bt_bw_end(&w);
	}
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
	lim.str_max = nbytes > BT_META_MAX_COMPONENT ? (uint32_t)nbytes : BT_META_MAX_COMPONENT;
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
	int ours = same_root(st, &d, bt_benc_dict_get(&d, 0, "root"));

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
		int same = now.size == x[0] && now.sec == x[1] && now.nsec == x[2];
		/* It was there, ours, then: in this very place, or as it is
		 * now (a copy with its times kept). */
		if (x[0] >= 0 && (ours || same))
			st->f[i].vouched = 1;
		if (same)
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

const char *
bt_storage_last_why(const struct bt_storage *st, const char **verb)
{
	if (st->why == WHY_NONE)
		return NULL;
	if (verb)
		*verb = whys[st->why].verb;
	return st->why_text[0] ? st->why_text : whys[st->why].reason;
}

const char *
bt_storage_path(const struct bt_storage *st, long file, char *buf, size_t cap)
{
	const char *rel;

	if (file == BT_STORAGE_PARTS && st->pt.name)
		rel = st->pt.name;
	else if (file >= 0 && (size_t)file < st->nf)
		rel = st->single ? "" : st->m->files[file].path;
	else
		return NULL;
	return shown_join(st, rel, strlen(rel), buf, cap);
}

int
bt_storage_file_pieces(const struct bt_storage *st, size_t file, uint32_t *first,
	uint32_t *last)
{
	if (file >= st->nf || st->m->files[file].length == 0)
		return BT_E_INVAL;
	*first = (uint32_t)(st->m->files[file].offset / st->plen);
	*last = (uint32_t)((st->m->files[file].offset + st->m->files[file].length - 1) /
		st->plen);
	return 0;
}

int
bt_storage_piece_present(struct bt_storage *st, uint32_t piece)
{
	if (piece >= st->npieces)
		return fail(st, -1, BT_E_INVAL);
	st->pr.file = -1;	/* sizes as they are now */
	int s = piece_state(st, piece, bt_storage_piece_size(st, piece));
	return s < 0 ? s : s == PS_DATA || s == PS_ZERO;
}
