/* allowdir.c - see allowdir.h */
#include "allowdir.h"
#include "err.h"
#include "fileio.h"
#include "metainfo.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- allowed_dir ---- */

/* What a file looked like when it was last read. */
struct stamp {
	int64_t mtime_s, size;
	long mtime_ns;
	int ok;			/* stat() worked and it is a regular file */
	int serr;		/* errno of a failed stat(), or 0 */
};

struct entry {
	char *path;
	struct stamp st;
	int ok;			/* parsed as a torrent */
	uint8_t hash[20];
	char *name;
	char *failure, *warning;	/* the torrent's own control keys */
	char **trackers;		/* its announce-list URLs */
	size_t ntrackers;
	int multitracker;
	int64_t total;
	unsigned nfiles;
	uint8_t is_dup;		/* a duplicate at the last scan */
	uint8_t fresh;		/* (during a scan) parsed in this scan */
};

struct bt_allowdir {
	char *dir;
	struct bt_allowdir_opts o;
	struct entry *e;	/* sorted by path (strcmp) */
	size_t n;
	struct bt_allowed *list;
	size_t nlist;
	int limit_hit;		/* the last scan hit a limit (reported once) */
};

struct bt_allowdir *
bt_allowdir_new(const char *dir, const struct bt_allowdir_opts *o)
{
	struct bt_allowdir *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o)
		d->o = *o;
	if (!d->o.max_files)
		d->o.max_files = BT_ALLOWDIR_MAX_FILES;
	if (!d->o.max_size)
		d->o.max_size = BT_ALLOWDIR_MAX_SIZE;
	if (!d->o.max_depth)
		d->o.max_depth = BT_ALLOWDIR_MAX_DEPTH;
	d->dir = strdup(dir);
	if (!d->dir) {
		free(d);
		return NULL;
	}
	/* "dir/" and "dir" scan the same and name files the same. */
	for (size_t n = strlen(d->dir); n > 1 && d->dir[n - 1] == '/'; n--)
		d->dir[n - 1] = 0;
	return d;
}

/* Every URL of the torrent's announce-list, for tracker-to-tracker polls
 * (at most 64). */
static int
keep_trackers(struct entry *e, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	int al = m->announce_list;
	e->multitracker = 1;
	for (int tier = bt_benc_first(d, al); tier >= 0; tier = bt_benc_next(d, al, tier))
		for (int u = bt_benc_first(d, tier); u >= 0; u = bt_benc_next(d, tier, u)) {
			if (e->ntrackers == 64)
				return 0;
			char *s = bt_meta_strdup(m, u);
			char **nt = s ? realloc(e->trackers, (e->ntrackers + 1) * sizeof(*nt)) : NULL;
			if (!nt) {
				free(s);
				return BT_E_NOMEM;
			}
			e->trackers = nt;
			e->trackers[e->ntrackers++] = s;
		}
	return 0;
}

static void
entry_free(struct entry *e)
{
	free(e->path);
	free(e->name);
	free(e->failure);
	free(e->warning);
	for (size_t k = 0; k < e->ntrackers; k++)
		free(e->trackers[k]);
	free(e->trackers);
	e->trackers = NULL;
	e->ntrackers = 0;
}

void
bt_allowdir_free(struct bt_allowdir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		entry_free(&d->e[i]);
	free(d->e);
	free(d->list);
	free(d->dir);
	free(d);
}

const struct bt_allowed *
bt_allowdir_list(const struct bt_allowdir *d, size_t *n)
{
	*n = d->nlist;
	return d->list;
}

static void
warn(const struct bt_allowdir *d, int kind, const char *path, const char *other,
	int code, const char *what)
{
	struct bt_allowdir_warning w = {
		.kind = kind, .path = path, .other = other, .code = code, .what = what,
	};
	if (d->o.warn)
		d->o.warn(d->o.ud, &w);
}

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

struct scan {
	struct bt_allowdir *d;
	struct cand *c;
	size_t n, cap;
	size_t budget;		/* files and directories left */
	size_t max_names;	/* names read from one directory */
	struct dirset seen;
	int limit;		/* a limit was hit */
};

static void
hit_limit(struct scan *sc, const char *path, const char *what)
{
	if (sc->limit)
		return;
	sc->limit = 1;
	/* Reported when the previous scan did not hit one. */
	if (!sc->d->limit_hit)
		warn(sc->d, BT_ALLOWDIR_LIMIT, path, NULL, BT_E_LIMIT, what);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_torrent_name(const char *s)
{
	size_t n = strlen(s);
	return n > 8 && memcmp(s + n - 8, ".torrent", 8) == 0;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
add_cand(struct scan *sc, char *path, const struct stat *st, int serr)
{
	if (sc->n == sc->cap) {
		size_t nc = sc->cap ? sc->cap * 2 : 64;
		struct cand *c = realloc(sc->c, nc * sizeof(*c));
		if (!c)
			return BT_E_NOMEM;
		sc->c = c;
		sc->cap = nc;
	}
	struct cand *c = &sc->c[sc->n++];
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->st.serr = serr;
	if (!serr) {
		c->st.mtime_s = (int64_t)st->st_mtim.tv_sec;
		c->st.mtime_ns = st->st_mtim.tv_nsec;
		c->st.size = (int64_t)st->st_size;
		c->st.ok = S_ISREG(st->st_mode);
	}
	return 0;
}

/* Collect the .torrent files of dir; descend into sub-directories only when
 * there are none.  Returns 0, BT_E_NOMEM, or BT_E_IO for the top directory. */
static int
walk(struct scan *sc, const char *dir, unsigned depth)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL, **subs = NULL;
	size_t nn = 0, cn = 0, ns = 0, found = 0;
	int e = 0;
	struct stat st;

	if (!(dp = opendir(dir))) {
		if (depth == 0)
			return BT_E_IO;
		warn(sc->d, BT_ALLOWDIR_DIR, dir, NULL, BT_E_IO, strerror(errno));
		return 0;
	}
	if (fstat(dirfd(dp), &st) == 0) {
		int r = dirset_add(&sc->seen, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
		if (r <= 0) {
			closedir(dp);
			return r;	/* seen already (a link loop), or no memory */
		}
	}
	errno = 0;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		if (nn >= sc->max_names) {
			hit_limit(sc, dir, "too many names in a directory");
			break;
		}
		if (nn == cn) {
			size_t nc = cn ? cn * 2 : 32;
			char **v = realloc(names, nc * sizeof(*v));
			if (!v) {
				e = BT_E_NOMEM;
				goto out;
			}
			names = v;
			cn = nc;
		}
		if (!(names[nn] = strdup(de->d_name))) {
			e = BT_E_NOMEM;
			goto out;
		}
		nn++;
	}
	closedir(dp);
	dp = NULL;
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_str);
	subs = calloc(nn ? nn : 1, sizeof(*subs));
	if (!subs) {
		e = BT_E_NOMEM;
		goto out;
	}
	size_t dl = strlen(dir);
	for (size_t i = 0; i < nn; i++) {
		size_t pl = dl + 1 + strlen(names[i]);
		if (pl >= BT_ALLOWDIR_MAX_PATH) {
			hit_limit(sc, dir, "path too long");
			continue;
		}
		char *path = malloc(pl + 1);
		if (!path) {
			e = BT_E_NOMEM;
			goto out;
		}
		memcpy(path, dir, dl);
		path[dl] = '/';
		strcpy(path + dl + 1, names[i]);
		int serr = stat(path, &st) < 0 ? errno : 0;
		if (!serr && S_ISDIR(st.st_mode)) {
			subs[ns++] = path;
		} else if (is_torrent_name(names[i])) {
			if (!sc->budget) {
				free(path);
				hit_limit(sc, dir, "too many files");
				continue;
			}
			if ((e = add_cand(sc, path, &st, serr)) < 0) {
				free(path);
				goto out;
			}
			sc->budget--;
			found++;
		} else {
			free(path);
		}
	}
	if (found || !ns)
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
	if (dp)
		closedir(dp);
	free_names(names, nn);
	free_names(subs, ns);
	return e;
}

static int
cmp_entry_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct entry *)elem)->path);
}

static int
same_stamp(const struct stamp *a, const struct stamp *b)
{
	return a->ok == b->ok && a->serr == b->serr && a->mtime_s == b->mtime_s &&
		a->mtime_ns == b->mtime_ns && a->size == b->size;
}

/* Read and parse one file into e (path and stamp already set). */
static int
parse_entry(struct bt_allowdir *d, struct entry *e)
{
	uint8_t *buf = NULL;
	size_t len;
	struct bt_meta m;
	struct bt_meta_err merr;
	char what[200];
	int r;

	e->ok = 0;
	if (e->st.serr) {
		errno = e->st.serr;
		warn(d, BT_ALLOWDIR_ERRORS, e->path, NULL, BT_E_IO, strerror(e->st.serr));
		return 0;
	}
	if (!e->st.ok) {
		warn(d, BT_ALLOWDIR_ERRORS, e->path, NULL, BT_E_INVAL, "not a regular file");
		return 0;
	}
	r = bt_file_read(e->path, d->o.max_size, &buf, &len);
	if (r == BT_E_NOMEM)
		return r;
	if (r < 0) {
		if (r == BT_E_IO)
			snprintf(what, sizeof(what), "%s", strerror(errno));
		else
			snprintf(what, sizeof(what), "larger than %zu bytes", d->o.max_size);
		warn(d, BT_ALLOWDIR_ERRORS, e->path, NULL, r, what);
		return 0;
	}
	r = bt_meta_parse(&m, buf, len, &merr);
	if (r == 0) {
		memcpy(e->hash, m.info_hash, 20);
		e->total = m.total;
		e->nfiles = m.nfiles > UINT32_MAX ? UINT32_MAX : (unsigned)m.nfiles;
		int fr = bt_benc_dict_get(&m.doc, 0, "failure reason");
		int wm = bt_benc_dict_get(&m.doc, 0, "warning message");
		if (fr >= 0)
			e->failure = bt_meta_strdup(&m, fr);
		if (wm >= 0)
			e->warning = bt_meta_strdup(&m, wm);
		if (m.announce_list >= 0 && keep_trackers(e, &m) < 0)
			r = BT_E_NOMEM;
		if (m.name && !(e->name = strdup(m.name)))
			r = BT_E_NOMEM;
		else
			e->ok = 1;
	}
	bt_meta_free(&m);
	free(buf);
	if (r == BT_E_NOMEM)
		return r;
	if (r < 0) {
		snprintf(what, sizeof(what), "%s (at byte %zu)", merr.what, merr.off);
		warn(d, BT_ALLOWDIR_ERRORS, e->path, NULL, r, what);
	}
	return 0;
}

struct hidx {
	const uint8_t *hash;
	size_t i;
};

static int
cmp_hidx(const void *a, const void *b)
{
	const struct hidx *x = a, *y = b;
	int c = memcmp(x->hash, y->hash, 20);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int
strv_equal(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t k = 0; k < na; k++)
		if (strcmp(a[k], b[k]) != 0)
			return 0;
	return 1;
}

static int
list_equal(const struct bt_allowed *a, size_t na, const struct bt_allowed *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		if (memcmp(a[i].info_hash, b[i].info_hash, 20) || a[i].size != b[i].size ||
		    a[i].nfiles != b[i].nfiles || !str_eq(a[i].name, b[i].name) ||
		    !str_eq(a[i].path, b[i].path) || !str_eq(a[i].failure, b[i].failure) ||
		    !str_eq(a[i].warning, b[i].warning) || a[i].multitracker != b[i].multitracker ||
		    !strv_equal(a[i].trackers, a[i].ntrackers, b[i].trackers, b[i].ntrackers))
			return 0;
	}
	return 1;
}

int
bt_allowdir_scan(struct bt_allowdir *d, int *changed)
{
	struct scan sc = { .d = d, .budget = d->o.max_files };

	/* Read more names than files may be taken, so that the files taken
	 * are the first ones in order, not the first ones readdir() gives. */
	sc.max_names = d->o.max_files < SIZE_MAX / 8 ? d->o.max_files * 4 + 1024 : SIZE_MAX / 2;
	struct entry *ne = NULL;
	uint8_t *taken = NULL, *dup = NULL;
	struct hidx *hx = NULL;
	struct bt_allowed *list = NULL;
	size_t nlist = 0, nh = 0, i;
	int e;

	if (changed)
		*changed = 0;
	e = walk(&sc, d->dir, 0);
	free(sc.seen.k);
	if (e < 0)
		goto fail;
	if (sc.n > 1)
		qsort(sc.c, sc.n, sizeof(*sc.c), cmp_str);	/* path is the first member */
	ne = calloc(sc.n ? sc.n : 1, sizeof(*ne));
	taken = calloc(d->n ? d->n : 1, 1);
	dup = calloc(sc.n ? sc.n : 1, 1);
	hx = calloc(sc.n ? sc.n : 1, sizeof(*hx));
	list = calloc(sc.n ? sc.n : 1, sizeof(*list));
	if (!ne || !taken || !dup || !hx || !list) {
		e = BT_E_NOMEM;
		goto fail;
	}
	/* Keep what did not change, parse the rest. */
	for (i = 0; i < sc.n; i++) {
		struct cand *c = &sc.c[i];
		struct entry *old = d->n ? bsearch(c->path, d->e, d->n, sizeof(*d->e),
			cmp_entry_path) : NULL;
		if (old && same_stamp(&old->st, &c->st)) {
			ne[i] = *old;
			ne[i].fresh = 0;
			taken[old - d->e] = 1;
			free(c->path);
		} else {
			ne[i].path = c->path;
			ne[i].st = c->st;
			ne[i].fresh = 1;
			if (old)
				ne[i].is_dup = old->is_dup;
			if ((e = parse_entry(d, &ne[i])) < 0) {
				c->path = NULL;
				goto fail_entries;
			}
		}
		c->path = NULL;
	}
	/* Duplicates: the first path (in order) with a hash wins. */
	for (i = 0; i < sc.n; i++)
		if (ne[i].ok)
			hx[nh++] = (struct hidx){ ne[i].hash, i };
	if (nh > 1)
		qsort(hx, nh, sizeof(*hx), cmp_hidx);
	for (i = 1; i < nh; i++)
		if (memcmp(hx[i].hash, hx[i - 1].hash, 20) == 0)
			dup[hx[i].i] = 1;
	for (i = 0; i < sc.n; i++) {
		if (!ne[i].ok || dup[i])
			continue;
		struct bt_allowed *a = &list[nlist++];
		memcpy(a->info_hash, ne[i].hash, 20);
		a->name = ne[i].name;
		a->size = ne[i].total;
		a->nfiles = ne[i].nfiles;
		a->path = ne[i].path;
		a->failure = ne[i].failure;
		a->warning = ne[i].warning;
		a->trackers = ne[i].trackers;
		a->ntrackers = ne[i].ntrackers;
		a->multitracker = ne[i].multitracker;
	}
	/* Nothing can fail from here: report duplicates and commit. */
	for (i = 1; i < nh; i++) {
		if (!dup[hx[i].i])
			continue;
		size_t first = i;
		while (first > 0 && dup[hx[first].i])
			first--;
		struct entry *x = &ne[hx[i].i];
		if (x->fresh || !x->is_dup)
			warn(d, BT_ALLOWDIR_DUPLICATE, x->path, ne[hx[first].i].path, 0,
				"same info hash");
	}
	for (i = 0; i < sc.n; i++)
		ne[i].is_dup = dup[i];
	if (changed)
		*changed = !list_equal(list, nlist, d->list, d->nlist);
	for (i = 0; i < d->n; i++)
		if (!taken[i])
			entry_free(&d->e[i]);
	free(d->e);
	free(d->list);
	d->e = ne;
	d->n = sc.n;
	d->list = list;
	d->nlist = nlist;
	d->limit_hit = sc.limit;
	free(taken);
	free(dup);
	free(hx);
	free(sc.c);
	return 0;

fail_entries:
	for (size_t j = 0; j <= i && j < sc.n; j++)
		if (ne[j].fresh)
			entry_free(&ne[j]);
fail:
	for (i = 0; i < sc.n; i++)
		free(sc.c[i].path);
	free(sc.c);
	free(ne);
	free(taken);
	free(dup);
	free(hx);
	free(list);
	return e;
}

/* ---- allowed_list ---- */

void
bt_allowlist_init(struct bt_allowlist *l)
{
	memset(l, 0, sizeof(*l));
}

void
bt_allowlist_free(struct bt_allowlist *l)
{
	free(l->hash);
	bt_allowlist_init(l);
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

long
bt_allowlist_load(struct bt_allowlist *l, const uint8_t *buf, size_t len,
	bt_allowlist_warn_fn *warnf, void *ud)
{
	uint8_t (*h)[20] = NULL;
	size_t n = 0, cap = 0, pos = 0;
	unsigned long line = 0;

	while (pos < len) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t a = pos, b = end;
		pos = nl ? end + 1 : len;
		line++;
		while (a < b && is_space(buf[a]))
			a++;
		while (b > a && is_space(buf[b - 1]))
			b--;
		if (a == b || buf[a] == '#')
			continue;
		const char *why = NULL;
		uint8_t one[20];
		if (b - a != 40)
			why = "not 40 characters long";
		else if (bt_unhex(one, (const char *)buf + a, 20) < 0)
			why = "not a hexadecimal info hash";
		if (why) {
			if (warnf)
				warnf(ud, line, (const char *)buf + a, b - a, why);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			uint8_t (*nh)[20] = realloc(h, nc * sizeof(*nh));
			if (!nh) {
				free(h);
				return BT_E_NOMEM;
			}
			h = nh;
			cap = nc;
		}
		memcpy(h[n++], one, 20);
	}
	if (n > 1)
		qsort(h, n, sizeof(*h), cmp_hash);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || memcmp(h[u - 1], h[i], 20) != 0)
			memmove(h[u++], h[i], 20);
	free(l->hash);
	l->hash = h;
	l->n = u;
	return (long)u;
}

int
bt_allowlist_contains(const struct bt_allowlist *l, const uint8_t *info_hash)
{
	return l->n && bsearch(info_hash, l->hash, l->n, sizeof(*l->hash), cmp_hash) != NULL;
}

int
bt_allowlist_reload(struct bt_allowlist *l, const char *path,
	bt_allowlist_warn_fn *warnf, void *ud)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	int r;

	if (stat(path, &st) < 0)
		return BT_E_IO;
	if (!bt_file_stamp_changed(&l->stamp, &st))
		return 0;
	if ((r = bt_file_read(path, BT_ALLOWLIST_MAX_SIZE, &buf, &len)) < 0)
		return r;
	long k = bt_allowlist_load(l, buf, len, warnf, ud);
	free(buf);
	if (k < 0)
		return (int)k;
	bt_file_stamp_set(&l->stamp, &st);
	return 1;
}

struct bt_allowed *
bt_allowlist_entries(const struct bt_allowlist *l)
{
	struct bt_allowed *a;
	if (!l->n || !(a = calloc(l->n, sizeof(*a))))
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		memcpy(a[i].info_hash, l->hash[i], 20);
	return a;
}
