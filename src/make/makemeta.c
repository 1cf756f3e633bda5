/* makemeta.c - see makemeta.h */
#include "makemeta.h"
#include "benc.h"
#include "err.h"
#include "metainfo.h"
#include "sha1.h"
#include "span.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (4u << 20)	/* bytes read and hashed per step */
#define MAP_MIN (256u << 10)	/* smaller file spans are read, not mapped */
#define MAX_THREADS 64
#define MAX_WALK_DEPTH 128

static int
mkfail(struct bt_mkerr *err, int code, int sys, const char *path, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		err->sys_errno = sys;
		snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
		va_start(ap, fmt);
		vsnprintf(err->what, sizeof(err->what), fmt, ap);
		va_end(ap);
	}
	return code;
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	if (!la)
		memmove(s, s + 1, lb + 1);
	return s;
}

static int
add_file(struct bt_mktree *t, const char *disk, const char *rel, int64_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct bt_mkfile *nf = realloc(t->f, cap * sizeof(*nf));
		if (!nf)
			return BT_E_NOMEM;
		t->f = nf;
		t->cap = cap;
	}
	struct bt_mkfile *f = &t->f[t->n];
	f->disk = strdup(disk);
	f->rel = strdup(rel);
	if (!f->disk || !f->rel) {
		free(f->disk);
		free(f->rel);
		return BT_E_NOMEM;
	}
	f->length = len;
	f->offset = t->total;
	t->total += len;
	t->n++;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	struct bt_mktree *t;
	bt_mk_skip_fn *skip;
	void *ud;
	struct bt_mkerr *err;
	dev_t dev[MAX_WALK_DEPTH];
	ino_t ino[MAX_WALK_DEPTH];
	int depth;
};

static int
walk_dir(struct walk *w, const char *disk, const char *rel, const struct stat *dst)
{
	for (int k = 0; k < w->depth; k++)
		if (w->dev[k] == dst->st_dev && w->ino[k] == dst->st_ino)
			return mkfail(w->err, BT_E_INVAL, 0, disk, "directory loop (symbolic link to a parent)");
	if (w->depth >= MAX_WALK_DEPTH)
		return mkfail(w->err, BT_E_LIMIT, 0, disk, "directories nested too deep");
	w->dev[w->depth] = dst->st_dev;
	w->ino[w->depth] = dst->st_ino;
	w->depth++;

	DIR *dir = opendir(disk);
	if (!dir)
		return mkfail(w->err, BT_E_IO, errno, disk, "cannot open directory");
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				rc = mkfail(w->err, BT_E_NOMEM, 0, disk, "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = mkfail(w->err, BT_E_NOMEM, 0, disk, "out of memory");
			goto out;
		}
		n++;
		errno = 0;
	}
	if (errno) {
		rc = mkfail(w->err, BT_E_IO, errno, disk, "cannot read directory");
		goto out;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t k = 0; k < n && !rc; k++) {
		char *cdisk = join(disk, names[k]);
		char *crel = join(rel, names[k]);
		struct stat st;
		if (!cdisk || !crel)
			rc = mkfail(w->err, BT_E_NOMEM, 0, disk, "out of memory");
		else if (stat(cdisk, &st) < 0)
			rc = mkfail(w->err, BT_E_IO, errno, cdisk, "cannot stat");
		else if (S_ISDIR(st.st_mode))
			rc = walk_dir(w, cdisk, crel, &st);
		else if (S_ISREG(st.st_mode))
			rc = add_file(w->t, cdisk, crel, st.st_size) ?
				mkfail(w->err, BT_E_NOMEM, 0, cdisk, "out of memory") : 0;
		else if (w->skip)
			w->skip(w->ud, cdisk, "neither a file nor a directory");
		free(cdisk);
		free(crel);
	}
out:
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	closedir(dir);
	w->depth--;
	return rc;
}

/* The base name BitTornado would give: that of the absolute path. */
static char *
base_name(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	if (n - s == 0 || (n - s == 1 && path[s] == '.') ||
	    (n - s == 2 && path[s] == '.' && path[s + 1] == '.')) {
		char *abs = realpath(path, NULL);
		if (!abs)
			return NULL;
		char *r = base_name(abs);
		free(abs);
		return r;
	}
	char *r = malloc(n - s + 1);
	if (r) {
		memcpy(r, path + s, n - s);
		r[n - s] = 0;
	}
	return r;
}

int
bt_mktree_scan(struct bt_mktree *t, const char *path, bt_mk_skip_fn *skip, void *ud,
	struct bt_mkerr *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return mkfail(err, BT_E_IO, errno, path, "cannot stat");
	t->name = base_name(path);
	if (!t->name)
		return mkfail(err, BT_E_NOMEM, errno, path, "cannot name it");
	if (strcmp(t->name, "/") == 0)
		return mkfail(err, BT_E_INVAL, 0, path, "cannot make a torrent of /");
	if (S_ISREG(st.st_mode)) {
		t->single = 1;
		if (add_file(t, path, t->name, st.st_size))
			return mkfail(err, BT_E_NOMEM, 0, path, "out of memory");
	} else if (S_ISDIR(st.st_mode)) {
		struct walk *w = calloc(1, sizeof(*w));
		if (!w)
			return mkfail(err, BT_E_NOMEM, 0, path, "out of memory");
		w->t = t;
		w->skip = skip;
		w->ud = ud;
		w->err = err;
		int rc = walk_dir(w, path, "", &st);
		free(w);
		if (rc)
			return rc;
		if (t->n == 0)
			return mkfail(err, BT_E_INVAL, 0, path, "no files in the directory");
	} else {
		return mkfail(err, BT_E_INVAL, 0, path, "neither a file nor a directory");
	}
	if (t->total == 0)
		return mkfail(err, BT_E_INVAL, 0, path, "no data (total size is 0)");
	return 0;
}

void
bt_mktree_free(struct bt_mktree *t)
{
	for (size_t k = 0; k < t->n; k++) {
		free(t->f[k].disk);
		free(t->f[k].rel);
	}
	free(t->f);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

unsigned
bt_mk_auto_pow2(int64_t total)
{
	const int64_t MiB = 1 << 20;
	if (total > 8192 * MiB) return 21;
	if (total > 2048 * MiB) return 20;
	if (total > 512 * MiB) return 19;
	if (total > 64 * MiB) return 18;
	if (total > 16 * MiB) return 17;
	if (total > 4 * MiB) return 16;
	return 15;
}

/* ---- hashing ---- */

struct hjob {
	const struct bt_mktree *t;
	int64_t plen;
	size_t npieces, batch;
	long page;		/* mappings start at a multiple of it */
	uint8_t *out;
	atomic_size_t next_batch, done;
	atomic_int failed;
	pthread_mutex_t lock;
	struct bt_mkerr *err;
	bt_mk_progress_fn *progress;
	void *ud;
};

struct worker {
	struct hjob *j;
	uint8_t *buf;
	int fd;
	size_t fd_file;
	int is_main;
	pthread_t tid;
};

static void
job_fail(struct hjob *j, int code, int sys, const char *path, const char *what)
{
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->failed))
		mkfail(j->err, code, sys, path, "%s", what);
	atomic_store(&j->failed, 1);
	pthread_mutex_unlock(&j->lock);
}

/* Index of the file holding byte pos (the last one starting at or before it
 * with a non-zero length), t->n past the end. */
static size_t
file_at(const struct bt_mktree *t, int64_t pos)
{
	return bt_span_find(t->f, t->n, sizeof(*t->f), offsetof(struct bt_mkfile, offset),
		offsetof(struct bt_mkfile, length), pos);
}

/* Cuts a stream of data into pieces and hashes them: whole pieces that lie
 * in one buffer are hashed in one call (two at a time when possible),
 * pieces split across buffers go through a running context. */
struct feeder {
	struct hjob *j;
	size_t piece;		/* the piece being hashed */
	int64_t pos;		/* stream position */
	int64_t piece_end;	/* where that piece ends */
	int partial;		/* c holds part of the piece */
	struct bt_sha1 c;
};

static void
feeder_next(struct feeder *f)
{
	f->piece++;
	f->partial = 0;
	f->piece_end = f->pos + bt_meta_piece_size(f->j->t->total, f->j->plen, f->piece);
}

static void
feed(struct feeder *f, const uint8_t *p, size_t n)
{
	struct hjob *j = f->j;
	while (n) {
		size_t left = (size_t)(f->piece_end - f->pos);
		if (!f->partial && n >= 2 * left && (int64_t)left == j->plen &&
		    f->piece_end + j->plen <= j->t->total) {
			bt_sha1_x2(p, p + left, left, j->out + 20 * f->piece,
				j->out + 20 * (f->piece + 1));
			f->pos += (int64_t)(2 * left);
			f->piece++;
			feeder_next(f);
			p += 2 * left;
			n -= 2 * left;
			continue;
		}
		if (!f->partial && n >= left) {
			bt_sha1(p, left, j->out + 20 * f->piece);
			f->pos += (int64_t)left;
			feeder_next(f);
			p += left;
			n -= left;
			continue;
		}
		size_t take = n < left ? n : left;
		if (!f->partial)
			bt_sha1_init(&f->c);
		f->partial = 1;
		bt_sha1_update(&f->c, p, take);
		f->pos += (int64_t)take;
		p += take;
		n -= take;
		if (f->pos == f->piece_end) {
			bt_sha1_out(&f->c, j->out + 20 * f->piece);
			feeder_next(f);
		}
	}
}

/* A file truncated while it is mapped raises SIGBUS on access: the worker
 * that touched it jumps back and reports the file instead of crashing. */
static _Thread_local sigjmp_buf *bus_jmp;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
open_file(struct worker *w, size_t fi)
{
	const struct bt_mkfile *f = &w->j->t->f[fi];
	if (w->fd >= 0 && w->fd_file == fi)
		return 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = open(f->disk, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0) {
		job_fail(w->j, BT_E_IO, errno, f->disk, "cannot open");
		return -1;
	}
	w->fd_file = fi;
	posix_fadvise(w->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Feed n bytes of file fi from offset off through a mapping (no copy). */
static int
feed_mapped(struct worker *w, struct feeder *f, size_t fi, int64_t off, size_t n)
{
	sigjmp_buf jb;
	uint8_t *volatile map = NULL;
	volatile size_t maplen = 0;

	int64_t base = off - off % w->j->page;
	if (sigsetjmp(jb, 1)) {	/* 1: the jump must unblock SIGBUS again */
		bus_jmp = NULL;
		if (map)
			munmap(map, maplen);
		job_fail(w->j, BT_E_IO, 0, w->j->t->f[fi].disk, "file shrank while hashing");
		return -1;
	}
	maplen = n + (size_t)(off - base);
	map = mmap(NULL, maplen, PROT_READ, MAP_SHARED | MAP_POPULATE, w->fd, (off_t)base);
	if (map == MAP_FAILED) {
		map = NULL;
		return 1;	/* not mappable: the caller reads instead */
	}
	bus_jmp = &jb;
	feed(f, map + (off - base), n);
	bus_jmp = NULL;
	munmap(map, maplen);
	return 0;
}

/* Feed n bytes of file fi from offset off by reading into the buffer. */
static int
feed_read(struct worker *w, struct feeder *f, size_t fi, int64_t off, size_t n)
{
	const char *path = w->j->t->f[fi].disk;
	while (n) {
		size_t want = n < CHUNK ? n : CHUNK;
		ssize_t r = pread(w->fd, w->buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			job_fail(w->j, BT_E_IO, errno, path, "read error");
			return -1;
		}
		if (r == 0) {
			job_fail(w->j, BT_E_IO, 0, path, "file shrank while hashing");
			return -1;
		}
		feed(f, w->buf, (size_t)r);
		off += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
hash_batch(struct worker *w, size_t first, size_t last)
{
	struct hjob *j = w->j;
	const struct bt_mktree *t = j->t;
	struct feeder f = { .j = j, .piece = first, .pos = (int64_t)first * j->plen };
	int64_t end = (int64_t)last * j->plen;

	if (end > t->total)
		end = t->total;
	f.piece_end = f.pos + bt_meta_piece_size(t->total, j->plen, first);
	size_t fi = file_at(t, f.pos);
	while (f.pos < end) {
		if (atomic_load(&j->failed))
			return;
		if (fi >= t->n) {
			job_fail(j, BT_E_IO, 0, t->f[t->n - 1].disk, "files changed while hashing");
			return;
		}
		const struct bt_mkfile *mf = &t->f[fi];
		int64_t in_file = mf->offset + mf->length - f.pos;
		if (in_file <= 0) {
			fi++;
			continue;
		}
		size_t n = (size_t)(end - f.pos < in_file ? end - f.pos : in_file);
		if (n > CHUNK)
			n = CHUNK;
		int64_t off = f.pos - mf->offset;
		if (open_file(w, fi) < 0)
			return;
		int rc = n >= MAP_MIN ? feed_mapped(w, &f, fi, off, n) : 1;
		if (rc > 0)
			rc = feed_read(w, &f, fi, off, n);
		if (rc < 0)
			return;
	}
	atomic_fetch_add(&j->done, last - first);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct hjob *j = w->j;

	for (;;) {
		size_t b = atomic_fetch_add(&j->next_batch, 1);
		size_t first = b * j->batch;
		if (first >= j->npieces || atomic_load(&j->failed))
			break;
		size_t last = first + j->batch;
		if (last > j->npieces)
			last = j->npieces;
		hash_batch(w, first, last);
		if (w->is_main && j->progress && !atomic_load(&j->failed))
			j->progress(j->ud, atomic_load(&j->done), j->npieces);
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return NULL;
}

int
bt_mk_hash(const struct bt_mktree *t, int64_t piece_len, unsigned threads,
	uint8_t *pieces, bt_mk_progress_fn *progress, void *ud, struct bt_mkerr *err)
{
	struct hjob j;
	struct worker *w;
	size_t bufsz;
	unsigned k, started = 1;
	int rc = 0;

	if (piece_len <= 0 || piece_len > (1 << 30))
		return mkfail(err, BT_E_INVAL, 0, NULL, "bad piece length");
	memset(&j, 0, sizeof(j));
	j.t = t;
	j.plen = piece_len;
	j.npieces = (size_t)bt_meta_piece_count(t->total, piece_len);
	j.page = sysconf(_SC_PAGESIZE);
	j.out = pieces;
	j.err = err;
	j.progress = progress;
	j.ud = ud;
	pthread_mutex_init(&j.lock, NULL);
	atomic_init(&j.next_batch, 0);
	atomic_init(&j.done, 0);
	atomic_init(&j.failed, 0);

	if (threads == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (unsigned)c : 1;
	}
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	/* Batches of about CHUNK bytes, but enough of them for every thread. */
	j.batch = piece_len >= CHUNK ? 1 : CHUNK / (size_t)piece_len;
	size_t per_thread = (j.npieces + threads * 4 - 1) / (threads * 4);
	if (per_thread && j.batch > per_thread)
		j.batch = per_thread;
	if (j.batch == 0)
		j.batch = 1;
	size_t nbatches = (j.npieces + j.batch - 1) / j.batch;
	if (threads > nbatches)
		threads = nbatches ? (unsigned)nbatches : 1;
	bufsz = (size_t)piece_len * j.batch;
	if (bufsz > CHUNK)
		bufsz = CHUNK;
	if ((int64_t)bufsz > t->total)
		bufsz = (size_t)t->total;

	w = calloc(threads, sizeof(*w));
	if (!w)
		return mkfail(err, BT_E_NOMEM, 0, NULL, "out of memory");
	for (k = 0; k < threads; k++) {
		w[k].j = &j;
		w[k].fd = -1;
		w[k].is_main = k == 0;
		w[k].buf = malloc(bufsz ? bufsz : 1);
		if (!w[k].buf) {
			rc = mkfail(err, BT_E_NOMEM, 0, NULL, "out of memory");
			goto out;
		}
	}
	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_sa);
	for (k = 1; k < threads; k++) {
		if (pthread_create(&w[k].tid, NULL, worker_run, &w[k]) != 0)
			break;	/* fewer threads is still correct */
		started++;
	}
	worker_run(&w[0]);
	for (k = 1; k < started; k++)
		pthread_join(w[k].tid, NULL);
	sigaction(SIGBUS, &old_sa, NULL);
	if (atomic_load(&j.failed))
		rc = err ? err->code : BT_E_IO;
	else if (progress)
		progress(ud, j.npieces, j.npieces);
out:
	for (k = 0; k < threads; k++)
		free(w[k].buf);
	free(w);
	pthread_mutex_destroy(&j.lock);
	return rc;
}

/* ---- encoding ---- */

static int
set(const char *s)
{
	return s && *s;
}

/* key: s, unless s is NULL or "". */
static void
put_opt_str(struct bt_bw *w, const char *key, const char *s)
{
	if (!set(s))
		return;
	bt_bw_key(w, key);
	bt_bw_strs(w, s);
}

static void
put_strv(struct bt_bw *w, const struct bt_strv *v)
{
	bt_bw_list(w);
	for (size_t k = 0; k < v->n; k++)
		bt_bw_strs(w, v->v[k]);
	bt_bw_end(w);
}

/* key: the list v, unless v is NULL or empty. */
static void
put_opt_strv(struct bt_bw *w, const char *key, const struct bt_strv *v)
{
	if (!v || !v->n)
		return;
	bt_bw_key(w, key);
	put_strv(w, v);
}

static void
put_path(struct bt_bw *w, const char *rel)
{
	bt_bw_list(w);
	while (*rel) {
		const char *e = strchr(rel, '/');
		size_t n = e ? (size_t)(e - rel) : strlen(rel);
		bt_bw_str(w, rel, n);
		rel += n + (e != NULL);
	}
	bt_bw_end(w);
}

int
bt_mk_encode(struct bt_buf *out, const struct bt_mktree *t, int64_t piece_len,
	const uint8_t *pieces, const struct bt_mkmeta *mm)
{
	struct bt_bw w;
	size_t npieces = (size_t)bt_meta_piece_count(t->total, piece_len);

	bt_bw_init(&w, out);
	bt_bw_dict(&w);
	put_opt_str(&w, "announce", mm->announce);
	if (mm->announce_list && mm->announce_list->n) {
		bt_bw_key(&w, "announce-list");
		bt_bw_list(&w);
		for (size_t k = 0; k < mm->announce_list->n; k++)
			put_strv(&w, &mm->announce_list->t[k]);
		bt_bw_end(&w);
	}
	put_opt_str(&w, "comment", mm->comment);
	put_opt_str(&w, "created by", mm->created_by);
	if (mm->creation_date >= 0) {
		bt_bw_key(&w, "creation date");
		bt_bw_int(&w, mm->creation_date);
	}
	put_opt_strv(&w, "httpseeds", mm->httpseeds);
	bt_bw_key(&w, "info");
	bt_bw_dict(&w);
	if (t->single) {
		bt_bw_key(&w, "length");
		bt_bw_int(&w, t->total);
	} else {
		bt_bw_key(&w, "files");
		bt_bw_list(&w);
		for (size_t k = 0; k < t->n; k++) {
			bt_bw_dict(&w);
			bt_bw_key(&w, "length");
			bt_bw_int(&w, t->f[k].length);
			bt_bw_key(&w, "path");
			put_path(&w, t->f[k].rel);
			bt_bw_end(&w);
		}
		bt_bw_end(&w);
	}
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, set(mm->name) ? mm->name : t->name);
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, piece_len);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, pieces, 20 * npieces);
	if (mm->priv) {
		bt_bw_key(&w, "private");
		bt_bw_int(&w, 1);
	}
	put_opt_str(&w, "source", mm->source);
	bt_bw_end(&w);
	put_opt_strv(&w, "url-list", mm->url_list);
	bt_bw_end(&w);
	return bt_bw_finish(&w);
}
