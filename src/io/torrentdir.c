/* torrentdir.c - see torrentdir.h
 *
 * A scan has two halves.  The first collects the candidate files (path and
 * stat() stamp) and allocates everything the second needs; it may fail,
 * and then nothing changed.  The second cannot fail: it walks the
 * candidates in path order, keeps what did not change, reads the rest one
 * file at a time, decides duplicates as it goes (the first path with a
 * hash wins, so a file's fate is known when it is reached) and reports
 * events at once, then commits.  The files of the set that went or changed
 * are reported first; one that becomes a duplicate is reported just
 * before the ADDED of the path that now has its hash. */
#include "torrentdir.h"
#include "err.h"
#include "fileio.h"
#include "siphash.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
	IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#endif

/* What a file looked like when it was last read. */
struct stamp {
	int64_t mtime_s, size;
	long mtime_ns;
	uint64_t dev, ino;
	int ok;			/* stat() worked and it is a regular file */
	int serr;		/* errno of a failed stat(), or 0 */
};

struct ent {
	char *path;
	struct stamp st;
	uint8_t hash[20];
	uint8_t ok;		/* a valid torrent (or magnet link) */
	uint8_t magnet;		/* a .magnet file */
	uint8_t dup;		/* a duplicate */
	uint8_t active;		/* in the set */
	uint8_t retry;		/* read again at the next scan, whatever its stamp */
	/* during a scan, on the previous scan's entries */
	uint8_t kept;		/* carried over unchanged */
	uint8_t gone;		/* its REMOVED was reported */
	void *user;
};

struct bt_tdir {
	char *dir;
	struct bt_tdir_opts o;
	struct bt_sipkey key;
	struct ent *e;		/* sorted by path (strcmp) */
	size_t n;
	struct bt_tdir_entry *list;
	size_t nlist;
	char **bad;		/* sub-directories unreadable at the last scan, sorted */
	size_t nbad;
	int limit_hit;		/* the last scan hit a limit (reported once) */
	int ifd;		/* inotify, or -1 */
	int ifd_failed;
	int *wd;		/* its watches, sorted */
	size_t nwd;
};

struct bt_tdir *
bt_tdir_new(const char *dir, const struct bt_tdir_opts *o)
{
	struct bt_tdir *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o)
		d->o = *o;
	if (!d->o.max_files)
		d->o.max_files = BT_TDIR_MAX_FILES;
	if (!d->o.max_size)
		d->o.max_size = BT_TDIR_MAX_SIZE;
	if (!d->o.max_depth)
		d->o.max_depth = BT_TDIR_MAX_DEPTH;
	d->ifd = -1;
	d->dir = strdup(dir);
	if (!d->dir) {
		free(d);
		return NULL;
	}
	/* "dir/" and "dir" scan the same and name files the same. */
	for (size_t n = strlen(d->dir); n > 1 && d->dir[n - 1] == '/'; n--)
		d->dir[n - 1] = 0;
	bt_sipkey_random(&d->key);
	return d;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
bt_tdir_free(struct bt_tdir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].path);
	free(d->e);
	free(d->list);
	free_names(d->bad, d->nbad);
	if (d->ifd >= 0)
		close(d->ifd);
	free(d->wd);
	free(d->dir);
	free(d);
}

const struct bt_tdir_entry *
bt_tdir_list(const struct bt_tdir *d, size_t *n)
{
	*n = d->nlist;
	return d->list;
}

void
bt_tdir_take(struct bt_tdir_event *ev, uint8_t **buf, size_t *len, struct bt_meta *meta)
{
	*buf = (uint8_t *)ev->data;	/* the scanner's own allocation */
	*len = ev->len;
	*meta = *ev->meta;
	ev->taken = 1;
}

void
bt_tdir_take_magnet(struct bt_tdir_event *ev, uint8_t **buf, size_t *len,
	struct bt_magnet *mg)
{
	*buf = (uint8_t *)ev->data;
	*len = ev->len;
	*mg = *ev->magnet;
	ev->taken = 1;
}

static void
warn(const struct bt_tdir *d, int kind, const char *path, const char *other,
	int code, const char *what)
{
	struct bt_tdir_warning w = {
		.kind = kind, .path = path, .other = other, .code = code, .what = what,
	};
	if (d->o.warn)
		d->o.warn(d->o.ud, &w);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

/* Room for one more element (of size sz) after the n in v, whose capacity
 * is *cap: the array, maybe moved, or NULL when out of memory (v is then
 * unchanged). */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : 16;
	if (nc > SIZE_MAX / sz)
		return NULL;
	void *nv = realloc(v, nc * sz);
	if (nv)
		*cap = nc;
	return nv;
}

/* ---- the walk ---- */

/* Directories entered during one scan, by (device, inode). */
struct dirset {
	struct dkey { uint64_t dev, ino; uint8_t used; } *k;
	size_t cap, n;
};

static uint64_t
dhash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full);
	return h ^ (h >> 29);
}

/* 1 if newly added, 0 if already there, BT_E_NOMEM. */
static int
dirset_add(struct dirset *s, uint64_t dev, uint64_t ino)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct dkey *nk = calloc(nc, sizeof(*nk));
		if (!nk)
			return BT_E_NOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->k[i].used)
				continue;
			size_t h = dhash(s->k[i].dev, s->k[i].ino) & (nc - 1);
			while (nk[h].used)
				h = (h + 1) & (nc - 1);
			nk[h] = s->k[i];
		}
		free(s->k);
		s->k = nk;
		s->cap = nc;
	}
	size_t h = dhash(dev, ino) & (s->cap - 1);
	while (s->k[h].used) {
		if (s->k[h].dev == dev && s->k[h].ino == ino)
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->k[h].used = 1;
	s->k[h].dev = dev;
	s->k[h].ino = ino;
	s->n++;
	return 1;
}

/* A .torrent found by the walk. */
struct cand {
	char *path;		/* first member: sorted with cmp_str */
	struct stamp st;
};

/* Info hash -> index of an entry, open addressing; a slot holds index + 1. */
struct htab {
	size_t *slot;
	size_t mask;
};

struct scan {
	struct bt_tdir *d;
	struct cand *c;
	size_t n, cap;
	size_t budget;		/* files and directories left */
	size_t max_names;	/* names read from one directory */
	struct dirset seen;
	int limit;		/* a limit was hit */
	char **bad;		/* unreadable sub-directories */
	size_t nbad, capbad;
	int *wd;		/* watches of the directories entered */
	size_t nwd, capwd;
	/* the second half */
	struct ent *ne;		/* the new entries, parallel to c */
	struct htab win;	/* hash -> ne[] index of the first path with it */
	struct htab old;	/* hash -> d->e[] index of an entry in the set */
	struct bt_tdir_entry *list;
	int deferred;		/* files left for the next scan */
};

static void
hit_limit(struct scan *sc, const char *path, const char *what)
{
	if (sc->limit)
		return;
	sc->limit = 1;
	/* Reported when the previous scan did not hit one. */
	if (!sc->d->limit_hit)
		warn(sc->d, BT_TDIR_LIMIT, path, NULL, BT_E_LIMIT, what);
}

/* A sub-directory cannot be read: warned when it could at the last scan. */
static int
bad_dir(struct scan *sc, const char *dir)
{
	int err = errno;
	struct bt_tdir *d = sc->d;
	char *p = strdup(dir);
	char **v = p ? grow(sc->bad, sc->nbad, &sc->capbad, sizeof(*v)) : NULL;
	if (!v) {
		free(p);
		return BT_E_NOMEM;
	}
	sc->bad = v;
	v[sc->nbad++] = p;
	if (!d->nbad || !bsearch(&p, d->bad, d->nbad, sizeof(*d->bad), cmp_str))
		warn(d, BT_TDIR_DIR, dir, NULL, BT_E_IO, strerror(err));
	return 0;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* A file the scanner takes: *.torrent, and *.magnet when asked. */
static int
is_wanted_name(const struct bt_tdir *d, const char *s)
{
	return has_suffix(s, ".torrent") || (d->o.magnets && has_suffix(s, ".magnet"));
}

static void
stamp_of(struct stamp *s, const struct stat *st, int serr)
{
	memset(s, 0, sizeof(*s));
	s->serr = serr;
	if (serr)
		return;
	s->mtime_s = (int64_t)st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
	s->size = (int64_t)st->st_size;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->ok = S_ISREG(st->st_mode);
}

static int
same_stamp(const struct stamp *a, const struct stamp *b)
{
	return a->ok == b->ok && a->serr == b->serr && a->mtime_s == b->mtime_s &&
		a->mtime_ns == b->mtime_ns && a->size == b->size && a->dev == b->dev &&
		a->ino == b->ino;
}

static int
add_cand(struct scan *sc, char *path, const struct stat *st, int serr)
{
	struct cand *v = grow(sc->c, sc->n, &sc->cap, sizeof(*v));
	if (!v)
		return BT_E_NOMEM;
	sc->c = v;
	v[sc->n].path = path;
	stamp_of(&v[sc->n++].st, st, serr);
	return 0;
}

static void
rm_watches(int ifd, const int *wd, size_t n, const int *keep, size_t nkeep)
{
#ifdef __linux__
	for (size_t i = 0; i < n; i++)
		if (!nkeep || !bsearch(&wd[i], keep, nkeep, sizeof(*keep), cmp_int))
			inotify_rm_watch(ifd, wd[i]);
#else
	(void)ifd;
	(void)wd;
	(void)n;
	(void)keep;
	(void)nkeep;
#endif
}

/* Watch a directory the walk entered (when a wake-up fd exists). */
static int
watch_dir(struct scan *sc, const char *dir)
{
#ifdef __linux__
	if (sc->d->ifd < 0)
		return 0;
	int wd = inotify_add_watch(sc->d->ifd, dir, WATCH_MASK);
	if (wd < 0)
		return 0;	/* out of watches: the periodic scans still see it */
	int *v = grow(sc->wd, sc->nwd, &sc->capwd, sizeof(*v));
	if (!v) {
		rm_watches(sc->d->ifd, &wd, 1, sc->d->wd, sc->d->nwd);	/* unless older */
		return BT_E_NOMEM;
	}
	sc->wd = v;
	v[sc->nwd++] = wd;
	return 0;
#else
	(void)sc;
	(void)dir;
	return 0;
#endif
}

/* The names in dp, without dot names, sorted. */
static int
read_names(struct scan *sc, DIR *dp, const char *dir, char ***out, size_t *nout)
{
	char **names = NULL;
	size_t nn = 0, cn = 0;
	struct dirent *de;

	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		if (nn >= sc->max_names) {
			hit_limit(sc, dir, "too many names in a directory");
			break;
		}
		char *s = strdup(de->d_name);
		char **v = s ? grow(names, nn, &cn, sizeof(*v)) : NULL;
		if (!v) {
			free(s);
			free_names(names, nn);
			return BT_E_NOMEM;
		}
		names = v;
		names[nn++] = s;
	}
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_str);
	*out = names;
	*nout = nn;
	return 0;
}

static int walk(struct scan *sc, const char *dir, unsigned depth);

/* Sort dir's names: .torrent files become candidates, sub-directories go
 * to subs.  *found counts the candidates. */
static int
sort_names(struct scan *sc, const char *dir, char **names, size_t nn, char **subs,
	size_t *ns, size_t *found)
{
	size_t dl = strlen(dir);
	struct stat st;

	for (size_t i = 0; i < nn; i++) {
		size_t pl = dl + 1 + strlen(names[i]);
		if (pl >= BT_TDIR_MAX_PATH) {
			hit_limit(sc, dir, "path too long");
			continue;
		}
		char *path = malloc(pl + 1);
		if (!path)
			return BT_E_NOMEM;
		memcpy(path, dir, dl);
		path[dl] = '/';
		strcpy(path + dl + 1, names[i]);
		int serr = stat(path, &st) < 0 ? errno : 0;
		if (!serr && S_ISDIR(st.st_mode)) {
			subs[(*ns)++] = path;
		} else if (is_wanted_name(sc->d, names[i])) {
			if (!sc->budget) {
				free(path);
				hit_limit(sc, dir, "too many files");
				continue;
			}
			if (add_cand(sc, path, &st, serr) < 0) {
				free(path);
				return BT_E_NOMEM;
			}
			sc->budget--;
			(*found)++;
		} else {
			free(path);
		}
	}
	return 0;
}

/* Collect the .torrent files of dir; descend into sub-directories only when
 * there are none.  Returns 0, BT_E_NOMEM, or BT_E_IO for the top directory. */
static int
walk(struct scan *sc, const char *dir, unsigned depth)
{
	DIR *dp;
	char **names = NULL, **subs = NULL;
	size_t nn = 0, ns = 0, found = 0;
	int e;
	struct stat st;

	if (!(dp = opendir(dir)))
		return depth == 0 ? BT_E_IO : bad_dir(sc, dir);
	if (fstat(dirfd(dp), &st) == 0) {
		e = dirset_add(&sc->seen, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
		if (e <= 0) {
			closedir(dp);
			return e;	/* seen already (a link loop), or no memory */
		}
	}
	e = watch_dir(sc, dir);
	if (e == 0)
		e = read_names(sc, dp, dir, &names, &nn);
	closedir(dp);
	if (e < 0)
		return e;
	if (!(subs = calloc(nn ? nn : 1, sizeof(*subs)))) {
		e = BT_E_NOMEM;
		goto out;
	}
	if ((e = sort_names(sc, dir, names, nn, subs, &ns, &found)) < 0 || found || !ns)
		goto out;
	if (depth >= sc->d->o.max_depth) {
		hit_limit(sc, dir, "directories nested too deep");
		goto out;
	}
	for (size_t i = 0; i < ns; i++) {
		if (!sc->budget) {
			hit_limit(sc, dir, "too many files");
			break;
		}
		sc->budget--;
		if ((e = walk(sc, subs[i], depth + 1)) < 0)
			goto out;
	}
out:
	free_names(names, nn);
	free_names(subs, ns);
	return e;
}

/* ---- hash tables ---- */

static int
htab_init(struct htab *t, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 1) {
		if (cap > SIZE_MAX / 4 / sizeof(*t->slot))
			return BT_E_NOMEM;
		cap *= 2;
	}
	t->slot = calloc(cap, sizeof(*t->slot));
	t->mask = cap - 1;
	return t->slot ? 0 : BT_E_NOMEM;
}

/* The index + 1 of the entry of v with this hash, or 0. */
static size_t
htab_find(const struct htab *t, const struct bt_tdir *d, const struct ent *v,
	const uint8_t *hash)
{
	size_t h = (size_t)bt_siphash(&d->key, hash, 20) & t->mask;
	for (; t->slot[h]; h = (h + 1) & t->mask)
		if (memcmp(v[t->slot[h] - 1].hash, hash, 20) == 0)
			return t->slot[h];
	return 0;
}

/* Room was made by htab_init for every entry. */
static void
htab_put(struct htab *t, const struct bt_tdir *d, const struct ent *v, size_t i)
{
	size_t h = (size_t)bt_siphash(&d->key, v[i].hash, 20) & t->mask;
	while (t->slot[h])
		h = (h + 1) & t->mask;
	t->slot[h] = i + 1;
}

/* ---- reading files ---- */

/* A file read in a scan. */
struct file {
	uint8_t *buf;
	size_t len;
	struct bt_meta m;
	struct bt_magnet mg;
	int parsed;		/* m must be freed */
	int is_magnet;		/* mg must be freed (m is unused) */
};

static void
file_free(struct file *f)
{
	if (f->is_magnet)
		bt_magnet_free(&f->mg);
	else if (f->parsed)
		bt_meta_free(&f->m);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* 1 if path still has stamp s (so what was read is what stat() saw). */
static int
unchanged(const char *path, const struct stamp *s)
{
	struct stat st;
	struct stamp now;
	if (stat(path, &st) < 0)
		return 0;
	stamp_of(&now, &st, 0);
	return same_stamp(&now, s);
}

/* The magnet link on the first line of f (surrounding blanks and the
 * line end left out) into f->mg; its hash into hash.  0, or a negative
 * code with what filled. */
static int
parse_magnet(struct file *f, uint8_t *hash, char *what, size_t wcap)
{
	const char *p = (const char *)f->buf, *end = p + f->len, *why = NULL;
	const char *nl = memchr(p, '\n', f->len);

	if (nl)
		end = nl;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	f->is_magnet = 1;
	int r = bt_magnet_parse(&f->mg, p, (size_t)(end - p), &why);
	if (r == BT_E_NOMEM)
		return BT_E_PARTIAL;
	if (r < 0) {
		snprintf(what, wcap, "bad magnet link: %s", why ? why : "?");
		return r;
	}
	memcpy(hash, f->mg.info_hash, 20);
	return 0;
}

/* Read and parse e's file into f.  0 when it is a torrent or a magnet
 * link (its hash is then in hash); BT_E_PARTIAL when it changed meanwhile
 * or memory ran out (try again at the next scan); another negative code,
 * with what filled, when it cannot be read or is not a torrent. */
static int
load(struct bt_tdir *d, const struct ent *e, struct file *f, uint8_t *hash,
	char *what, size_t wcap)
{
	struct bt_meta_err merr;
	size_t max = e->magnet ? BT_TDIR_MAX_MAGNET : d->o.max_size;
	int r;

	if (e->st.serr) {
		errno = e->st.serr;
		snprintf(what, wcap, "%s", strerror(e->st.serr));
		return BT_E_IO;
	}
	if (!e->st.ok) {
		snprintf(what, wcap, "not a regular file");
		return BT_E_INVAL;
	}
	r = bt_file_read(e->path, max, &f->buf, &f->len);
	int err = errno;
	if (r == BT_E_NOMEM || !unchanged(e->path, &e->st))
		return BT_E_PARTIAL;
	if (r < 0) {
		errno = err;
		if (r == BT_E_IO)
			snprintf(what, wcap, "%s", strerror(err));
		else
			snprintf(what, wcap, "larger than %zu bytes", max);
		return r;
	}
	if (e->magnet)
		return parse_magnet(f, hash, what, wcap);
	f->parsed = 1;
	r = bt_meta_parse(&f->m, f->buf, f->len, &merr);
	if (r == BT_E_NOMEM)
		return BT_E_PARTIAL;
	if (r < 0) {
		snprintf(what, wcap, "%s (at byte %zu)", merr.what, merr.off);
		return r;
	}
	memcpy(hash, f->m.info_hash, 20);
	return 0;
}

/* ---- the second half ---- */

static int
cmp_ent_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ent *)elem)->path);
}

static void
emit_removed(struct scan *sc, struct ent *old)
{
	struct bt_tdir *d = sc->d;
	if (!old->active || old->gone)
		return;
	old->gone = 1;
	struct bt_tdir_event ev = { .kind = BT_TDIR_REMOVED, .path = old->path, .user = old->user };
	memcpy(ev.info_hash, old->hash, 20);
	if (d->o.event)
		d->o.event(d->o.ud, &ev);
}

/* e joins the set: report it (after the REMOVED of whichever file had its
 * hash).  f holds the file when it was read in this scan. */
static void
join(struct scan *sc, struct ent *e, struct file *f)
{
	struct bt_tdir *d = sc->d;
	uint8_t hash[20];
	char what[200];

	if (!f->parsed && !f->is_magnet) {
		/* A duplicate whose original went: read it again. */
		if (load(d, e, f, hash, what, sizeof(what)) < 0 || memcmp(hash, e->hash, 20)) {
			e->retry = 1;
			sc->deferred = 1;
			return;
		}
	}
	size_t o = d->n ? htab_find(&sc->old, d, d->e, e->hash) : 0;
	if (o)
		emit_removed(sc, &d->e[o - 1]);
	struct bt_tdir_event ev = {
		.kind = BT_TDIR_ADDED, .path = e->path, .data = f->buf, .len = f->len,
		.meta = f->is_magnet ? NULL : &f->m, .magnet = f->is_magnet ? &f->mg : NULL,
	};
	memcpy(ev.info_hash, e->hash, 20);
	int r = d->o.event ? d->o.event(d->o.ud, &ev) : 0;
	if (ev.taken)
		memset(f, 0, sizeof(*f));
	if (r < 0) {
		e->retry = 1;
		sc->deferred = 1;
		return;
	}
	e->active = 1;
	e->user = ev.user;
}

/* Read a new or changed file: e->ok and e->hash, or a warning, or retry. */
static void
read_new(struct scan *sc, struct ent *e, struct file *f)
{
	char what[200];
	int r = load(sc->d, e, f, e->hash, what, sizeof(what));
	if (r == BT_E_PARTIAL) {
		e->retry = 1;
		sc->deferred = 1;
	} else if (r < 0) {
		warn(sc->d, BT_TDIR_ERRORS, e->path, NULL, r, what);
	} else {
		e->ok = 1;
	}
}

/* Report first the files of the set that went or changed (both lists are
 * in path order). */
static void
drop_gone(struct scan *sc)
{
	struct bt_tdir *d = sc->d;
	size_t j = 0;
	for (size_t i = 0; i < d->n; i++) {
		struct ent *old = &d->e[i];
		int c = 1;
		while (j < sc->n && (c = strcmp(sc->c[j].path, old->path)) < 0)
			j++;
		if (c != 0 || old->retry || !same_stamp(&old->st, &sc->c[j].st))
			emit_removed(sc, old);
	}
}

/* Candidate i: keep it as it was, or read it; then decide whether it is
 * in the set, and report. */
static void
take_cand(struct scan *sc, size_t i)
{
	struct bt_tdir *d = sc->d;
	struct cand *c = &sc->c[i];
	struct ent *e = &sc->ne[i];
	struct ent *old = d->n ? bsearch(c->path, d->e, d->n, sizeof(*d->e), cmp_ent_path) : NULL;
	struct file f = { 0 };

	if (old && !old->retry && same_stamp(&old->st, &c->st)) {
		*e = *old;
		e->active = e->kept = e->gone = 0;
		old->kept = 1;
		free(c->path);
	} else {
		memset(e, 0, sizeof(*e));
		e->path = c->path;
		e->st = c->st;
		e->magnet = (uint8_t)has_suffix(e->path, ".magnet");
		if (old)
			emit_removed(sc, old);
		read_new(sc, e, &f);
	}
	c->path = NULL;
	if (e->ok && !e->retry) {
		size_t w = htab_find(&sc->win, d, sc->ne, e->hash);
		if (w) {
			/* (A .torrent saved from a magnet link's metadata
			 * beside it is expected: not warned about.) */
			if (!e->dup && !e->magnet && !sc->ne[w - 1].magnet)
				warn(d, BT_TDIR_DUPLICATE, e->path, sc->ne[w - 1].path, 0,
					"same info hash");
			e->dup = 1;
			if (old && old->kept)
				emit_removed(sc, old);
		} else {
			htab_put(&sc->win, d, sc->ne, i);
			e->dup = 0;
			if (old && old->kept && old->active && !old->gone)
				e->active = 1;	/* unchanged and still in the set */
			else
				join(sc, e, &f);
		}
	}
	file_free(&f);
}

/* ---- watches ---- */

int
bt_tdir_watch_fd(struct bt_tdir *d)
{
#ifdef __linux__
	if (d->ifd >= 0 || d->ifd_failed)
		return d->ifd;
	d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ifd < 0) {
		d->ifd_failed = 1;
		return -1;
	}
	int wd = inotify_add_watch(d->ifd, d->dir, WATCH_MASK);
	if (wd >= 0 && (d->wd = malloc(sizeof(*d->wd)))) {
		d->wd[0] = wd;
		d->nwd = 1;
	}
	return d->ifd;
#else
	(void)d;
	return -1;
#endif
}

void
bt_tdir_watch_drain(struct bt_tdir *d)
{
	char buf[4096];
	if (d->ifd < 0)
		return;
	while (read(d->ifd, buf, sizeof(buf)) > 0)
		;
}

/* ---- the scan ---- */

static void
scan_free(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->c[i].path);
	free(sc->c);
	free(sc->seen.k);
	free_names(sc->bad, sc->nbad);
	free(sc->wd);
	free(sc->ne);
	free(sc->win.slot);
	free(sc->old.slot);
	free(sc->list);
}

/* The first half: walk, and make room for the second. */
static int
prepare(struct scan *sc)
{
	struct bt_tdir *d = sc->d;
	int e = walk(sc, d->dir, 0);
	if (e < 0)
		return e;
	if (sc->n > 1)
		qsort(sc->c, sc->n, sizeof(*sc->c), cmp_str);	/* path is the first member */
	if (sc->nbad > 1)
		qsort(sc->bad, sc->nbad, sizeof(*sc->bad), cmp_str);
	if (sc->nwd > 1)
		qsort(sc->wd, sc->nwd, sizeof(*sc->wd), cmp_int);
	sc->ne = calloc(sc->n ? sc->n : 1, sizeof(*sc->ne));
	sc->list = calloc(sc->n ? sc->n : 1, sizeof(*sc->list));
	if (!sc->ne || !sc->list || htab_init(&sc->win, sc->n) < 0 ||
	    htab_init(&sc->old, d->nlist) < 0)
		return BT_E_NOMEM;
	for (size_t i = 0; i < d->n; i++) {
		d->e[i].kept = d->e[i].gone = 0;
		if (d->e[i].active)
			htab_put(&sc->old, d, d->e, i);
	}
	return 0;
}

/* The second half's end: report what went, and keep the new state. */
static void
commit(struct scan *sc)
{
	struct bt_tdir *d = sc->d;
	size_t i, k = 0;

	for (i = 0; i < d->n; i++) {
		struct ent *old = &d->e[i];
		if (!old->kept)
			emit_removed(sc, old);	/* (drop_gone did; so every user comes back) */
	}
	for (i = 0; i < d->n; i++)
		if (!d->e[i].kept)
			free(d->e[i].path);
	for (i = 0; i < sc->n; i++) {
		struct ent *e = &sc->ne[i];
		if (!e->active)
			continue;
		sc->list[k].path = e->path;
		memcpy(sc->list[k].info_hash, e->hash, 20);
		sc->list[k++].user = e->user;
	}
	free(d->e);
	free(d->list);
	d->e = sc->ne;
	d->n = sc->n;
	d->list = sc->list;
	d->nlist = k;
	sc->ne = NULL;
	sc->list = NULL;
	free_names(d->bad, d->nbad);
	d->bad = sc->bad;
	d->nbad = sc->nbad;
	sc->bad = NULL;
	sc->nbad = 0;
	d->limit_hit = sc->limit;
	/* Watch what this scan entered, and no more. */
	rm_watches(d->ifd, d->wd, d->nwd, sc->wd, sc->nwd);
	free(d->wd);
	d->wd = sc->wd;
	d->nwd = sc->nwd;
	sc->wd = NULL;
	sc->nwd = 0;
}

int
bt_tdir_scan(struct bt_tdir *d)
{
	struct scan sc = { .d = d, .budget = d->o.max_files };

	/* Read more names than files may be taken, so that the files taken
	 * are the first ones in order, not the first ones readdir() gives. */
	sc.max_names = d->o.max_files < SIZE_MAX / 8 ? d->o.max_files * 4 + 1024 : SIZE_MAX / 2;
	int e = prepare(&sc);
	if (e < 0) {
		int err = errno;
		/* Drop the watches this scan added. */
		if (sc.nwd > 1)
			qsort(sc.wd, sc.nwd, sizeof(*sc.wd), cmp_int);
		rm_watches(d->ifd, sc.wd, sc.nwd, d->wd, d->nwd);
		scan_free(&sc);
		errno = err;
		return e;
	}
	drop_gone(&sc);
	for (size_t i = 0; i < sc.n; i++)
		take_cand(&sc, i);
	commit(&sc);
	scan_free(&sc);
	return sc.deferred;
}
