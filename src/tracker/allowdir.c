/* allowdir.c - see allowdir.h */
#include "allowdir.h"
#include "err.h"
#include "fileio.h"
#include "metainfo.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- allowed_dir ---- */

/* What the tracker keeps of a torrent in the set (the scanner's user
 * pointer). */
struct info {
	char *path;			/* the .torrent (the scanner's copy goes first) */
	char *name;
	char *failure, *warning;	/* the torrent's own control keys */
	char **trackers;		/* its announce-list URLs */
	size_t ntrackers;
	int multitracker;
	int64_t total;
	unsigned nfiles;
	struct info *next;		/* on the list of those removed */
};

struct bt_allowdir {
	struct bt_tdir *t;
	struct bt_allowdir_opts o;
	struct bt_allowed *list;	/* in path order */
	size_t nlist;
	/* Removed from the set, freed once the list no longer points to
	 * them. */
	struct info *dead;
};

static void
info_free(struct info *x)
{
	if (!x)
		return;
	free(x->path);
	free(x->name);
	free(x->failure);
	free(x->warning);
	for (size_t k = 0; k < x->ntrackers; k++)
		free(x->trackers[k]);
	free(x->trackers);
	free(x);
}

static void
free_dead(struct bt_allowdir *d)
{
	while (d->dead) {
		struct info *x = d->dead;
		d->dead = x->next;
		info_free(x);
	}
}

/* Every URL of the torrent's announce-list, for tracker-to-tracker polls
 * (at most 64). */
static int
keep_trackers(struct info *x, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;
	int al = m->announce_list;
	x->multitracker = 1;
	for (int tier = bt_benc_first(d, al); tier >= 0; tier = bt_benc_next(d, al, tier))
		for (int u = bt_benc_first(d, tier); u >= 0; u = bt_benc_next(d, tier, u)) {
			if (x->ntrackers == 64)
				return 0;
			char *s = bt_meta_strdup(m, u);
			char **nt = s ? realloc(x->trackers, (x->ntrackers + 1) * sizeof(*nt)) : NULL;
			if (!nt) {
				free(s);
				return BT_E_NOMEM;
			}
			x->trackers = nt;
			x->trackers[x->ntrackers++] = s;
		}
	return 0;
}

/* What the tracker keeps of path and m, or NULL when out of memory. */
static struct info *
info_of(const char *path, const struct bt_meta *m)
{
	struct info *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	if (!(x->path = strdup(path))) {
		free(x);
		return NULL;
	}
	x->total = m->total;
	x->nfiles = m->nfiles > UINT32_MAX ? UINT32_MAX : (unsigned)m->nfiles;
	int fr = bt_benc_dict_get(&m->doc, 0, "failure reason");
	int wm = bt_benc_dict_get(&m->doc, 0, "warning message");
	if ((fr >= 0 && !(x->failure = bt_meta_strdup(m, fr))) ||
	    (wm >= 0 && !(x->warning = bt_meta_strdup(m, wm))) ||
	    (m->announce_list >= 0 && keep_trackers(x, m) < 0) ||
	    (m->name && !(x->name = strdup(m->name)))) {
		info_free(x);
		return NULL;
	}
	return x;
}

static int
on_event(void *ud, struct bt_tdir_event *ev)
{
	struct bt_allowdir *d = ud;
	struct info *x;
	if (ev->kind == BT_TDIR_REMOVED) {
		if ((x = ev->user)) {
			x->next = d->dead;
			d->dead = x;
		}
		return 0;
	}
	if (!(x = info_of(ev->path, ev->meta)))
		return BT_E_NOMEM;	/* offered again at the next scan */
	ev->user = x;
	return 0;
}

static void
on_warn(void *ud, const struct bt_tdir_warning *tw)
{
	struct bt_allowdir *d = ud;
	struct bt_allowdir_warning w = {
		.kind = tw->kind, .path = tw->path, .other = tw->other, .code = tw->code,
		.what = tw->what,
	};
	if (d->o.warn)
		d->o.warn(d->o.ud, &w);
}

struct bt_allowdir *
bt_allowdir_new(const char *dir, const struct bt_allowdir_opts *o)
{
	struct bt_allowdir *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o)
		d->o = *o;
	struct bt_tdir_opts to = {
		.max_files = d->o.max_files, .max_size = d->o.max_size,
		.max_depth = d->o.max_depth, .warn = on_warn, .event = on_event, .ud = d,
	};
	if (!(d->t = bt_tdir_new(dir, &to))) {
		free(d);
		return NULL;
	}
	return d;
}

void
bt_allowdir_free(struct bt_allowdir *d)
{
	if (!d)
		return;
	size_t n;
	const struct bt_tdir_entry *te = bt_tdir_list(d->t, &n);
	for (size_t i = 0; i < n; i++)
		info_free(te[i].user);
	bt_tdir_free(d->t);
	free_dead(d);
	free(d->list);
	free(d);
}

const struct bt_allowed *
bt_allowdir_list(const struct bt_allowdir *d, size_t *n)
{
	*n = d->nlist;
	return d->list;
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

/* The allowed set as the scanner has it now, or NULL when out of memory. */
static struct bt_allowed *
build_list(const struct bt_allowdir *d, size_t *nout)
{
	size_t n;
	const struct bt_tdir_entry *te = bt_tdir_list(d->t, &n);
	struct bt_allowed *list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct info *x = te[i].user;
		struct bt_allowed *a = &list[i];
		memcpy(a->info_hash, te[i].info_hash, 20);
		a->path = x->path;
		a->name = x->name;
		a->size = x->total;
		a->nfiles = x->nfiles;
		a->failure = x->failure;
		a->warning = x->warning;
		a->trackers = x->trackers;
		a->ntrackers = x->ntrackers;
		a->multitracker = x->multitracker;
	}
	*nout = n;
	return list;
}

int
bt_allowdir_scan(struct bt_allowdir *d, int *changed)
{
	size_t n;

	if (changed)
		*changed = 0;
	int e = bt_tdir_scan(d->t);
	if (e < 0)
		return e;
	/* Kept until the list is rebuilt: the old one may point into the
	 * removed torrents. */
	struct bt_allowed *list = build_list(d, &n);
	if (!list) {
		/* The next scan gives the whole set again. */
		free(d->list);
		d->list = NULL;
		d->nlist = 0;
		free_dead(d);
		return BT_E_NOMEM;
	}
	if (changed)
		*changed = !list_equal(list, n, d->list, d->nlist);
	free(d->list);
	d->list = list;
	d->nlist = n;
	free_dead(d);
	return 0;
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
