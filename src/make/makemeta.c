/* makemeta.c - see makemeta.h */
#include "makemeta.h"
#include "benc.h"
#include "err.h"
#include "fileio.h"
#include "metainfo.h"
#include "phash.h"
#include "sha1.h"
#include "span.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		bt_vsnprintf(err->what, sizeof(err->what), fmt, ap);
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

/* The tree takes disk and rel (malloc'd, or NULL: out of memory); on
 * failure they are freed. */
static int
add_file(struct bt_mktree *t, char *disk, char *rel, int64_t len)
{
	if (disk && rel && t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct bt_mkfile *nf = realloc(t->f, cap * sizeof(*nf));
		if (nf) {
			t->f = nf;
			t->cap = cap;
		}
	}
	if (!disk || !rel || t->n == t->cap) {
		free(disk);
		free(rel);
		return BT_E_NOMEM;
	}
	struct bt_mkfile *f = &t->f[t->n];
	f->disk = disk;
	f->rel = rel;
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
		/* By name in the open directory: one path step, not all. */
		if (!cdisk || !crel)
			rc = mkfail(w->err, BT_E_NOMEM, 0, disk, "out of memory");
		else if (fstatat(dirfd(dir), names[k], &st, 0) < 0)
			rc = mkfail(w->err, BT_E_IO, errno, cdisk, "cannot stat");
		else if (S_ISDIR(st.st_mode))
			rc = walk_dir(w, cdisk, crel, &st);
		else if (S_ISREG(st.st_mode)) {
			if (add_file(w->t, cdisk, crel, st.st_size) < 0)
				rc = mkfail(w->err, BT_E_NOMEM, 0, disk, "out of memory");
			continue;	/* the tree has them */
		} else if (w->skip)
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
		if (add_file(t, strdup(path), strdup(t->name), st.st_size))
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

/* The files' bytes as one stream, read by bt_phash's threads: each thread
 * keeps its own open file. */
struct hjob {
	const struct bt_mktree *t;
	struct tfd *fd;		/* one per thread */
	atomic_int failed;
	pthread_mutex_t lock;	/* err */
	struct bt_mkerr *err;
};

struct tfd {
	int fd;
	size_t file;		/* the file fd is open on */
	int64_t ahead;		/* read-ahead asked up to here in it */
};

static int
job_fail(struct hjob *j, int code, int sys, const char *path, const char *what)
{
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->failed))
		mkfail(j->err, code, sys, path, "%s", what);
	atomic_store(&j->failed, 1);
	pthread_mutex_unlock(&j->lock);
	return code;
}

/* Index of the file holding byte pos (the last one starting at or before it
 * with a non-zero length), t->n past the end. */
static size_t
file_at(const struct bt_mktree *t, int64_t pos)
{
	return bt_span_find(t->f, t->n, sizeof(*t->f), offsetof(struct bt_mkfile, offset),
		offsetof(struct bt_mkfile, length), pos);
}

static int
open_file(struct hjob *j, struct tfd *d, size_t fi)
{
	const struct bt_mkfile *f = &j->t->f[fi];
	if (d->fd >= 0 && d->file == fi)
		return 0;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = open(f->disk, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0)
		return job_fail(j, BT_E_IO, errno, f->disk, "cannot open");
	d->file = fi;
	d->ahead = 0;
	return 0;
}

/* bt_phash_read_fn over the tree. */
static int
tree_read(void *ud, unsigned worker, int64_t pos, void *buf, size_t n)
{
	struct hjob *j = ud;
	const struct bt_mktree *t = j->t;
	struct tfd *d = &j->fd[worker];
	uint8_t *p = buf;
	size_t fi = file_at(t, pos);

	while (n) {
		if (fi >= t->n)
			return job_fail(j, BT_E_IO, 0, t->f[t->n - 1].disk,
				"files changed while hashing");
		const struct bt_mkfile *mf = &t->f[fi];
		int64_t in_file = mf->offset + mf->length - pos;
		if (in_file <= 0) {
			fi++;
			continue;
		}
		size_t want = (int64_t)n < in_file ? n : (size_t)in_file;
		int64_t off = pos - mf->offset;
		if (open_file(j, d, fi) < 0)
			return BT_E_IO;
		if (mf->length > BT_READ_AHEAD)
			bt_file_read_ahead(d->fd, off, want, &d->ahead);
		ssize_t r = pread(d->fd, p, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return job_fail(j, BT_E_IO, errno, mf->disk, "read error");
		if (r == 0)
			return job_fail(j, BT_E_IO, 0, mf->disk, "file shrank while hashing");
		p += r;
		pos += r;
		n -= (size_t)r;
	}
	return 0;
}

int
bt_mk_hash(const struct bt_mktree *t, int64_t piece_len, unsigned threads,
	uint8_t *pieces, bt_mk_progress_fn *progress, void *ud, struct bt_mkerr *err)
{
	struct hjob j;
	struct bt_phash h;
	int rc;

	if (piece_len <= 0 || piece_len > (1 << 30))
		return mkfail(err, BT_E_INVAL, 0, NULL, "bad piece length");
	memset(&j, 0, sizeof(j));
	j.t = t;
	j.err = err;
	atomic_init(&j.failed, 0);
	memset(&h, 0, sizeof(h));
	h.total = t->total;
	h.plen = piece_len;
	h.read = tree_read;
	h.ud = &j;
	h.threads = bt_phash_threads(threads);
	h.progress = progress;
	h.progress_ud = ud;
	if (!(j.fd = calloc(h.threads, sizeof(*j.fd))))
		return mkfail(err, BT_E_NOMEM, 0, NULL, "out of memory");
	for (unsigned k = 0; k < h.threads; k++)
		j.fd[k].fd = -1;
	pthread_mutex_init(&j.lock, NULL);
	rc = bt_phash_run(&h, 0, NULL, (size_t)bt_meta_piece_count(t->total, piece_len),
		pieces, NULL);
	if (rc < 0 && !atomic_load(&j.failed))
		mkfail(err, rc, 0, NULL, "%s", bt_strerror(rc));
	for (unsigned k = 0; k < h.threads; k++)
		if (j.fd[k].fd >= 0)
			close(j.fd[k].fd);
	free(j.fd);
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
	const uint8_t *pieces, const struct bt_mkmeta *mm, uint8_t info_hash[20])
{
	struct bt_bw w;
	size_t npieces = (size_t)bt_meta_piece_count(t->total, piece_len);
	size_t info_at;

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
	info_at = out->len;
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
	if (info_hash && out->len > info_at)
		bt_sha1(out->p + info_at, out->len - info_at, info_hash);
	put_opt_strv(&w, "url-list", mm->url_list);
	bt_bw_end(&w);
	return bt_bw_finish(&w);
}
