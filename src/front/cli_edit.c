/* cli_edit.c - the part of the editing applets they share. */
#include "cli.h"
#include "err.h"
#include "msg.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
bt_cli_edit(const struct bt_tfile *t, const struct bt_benc_set *sets, size_t n)
{
	struct bt_buf out;
	int changed = 0, rc;

	bt_buf_init(&out, 0);
	rc = bt_benc_dict_edit(&t->m.doc, 0, sets, n, &out, &changed);
	if (rc < 0) {
		bt_warn("%s: %s", t->path, bt_strerror(rc));
		bt_buf_free(&out);
		return -1;
	}
	rc = changed ? (bt_tfile_save(t->path, &out) < 0 ? -1 : 1) : 0;
	bt_buf_free(&out);
	return rc;
}

void
bt_cli_enc_str(struct bt_buf *out, const char *s)
{
	struct bt_bw w;
	bt_bw_init(&w, out);
	bt_bw_strs(&w, s);
	if (bt_bw_finish(&w) < 0)
		bt_die("out of memory");
}

size_t
bt_cli_enc_tiers(struct bt_buf *out, const char *s)
{
	struct bt_tiers tiers;
	struct bt_bw w;

	if (bt_tiers_parse(&tiers, s) < 0)
		bt_die("out of memory");
	bt_bw_init(&w, out);
	bt_bw_list(&w);
	for (size_t k = 0; k < tiers.n; k++) {
		bt_bw_list(&w);
		for (size_t u = 0; u < tiers.t[k].n; u++)
			bt_bw_strs(&w, tiers.t[k].v[u]);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	size_t n = tiers.n;
	bt_tiers_free(&tiers);
	if (bt_bw_finish(&w) < 0)
		bt_die("out of memory");
	return n;
}

size_t
bt_cli_enc_list(struct bt_buf *out, const char *s, char sep)
{
	struct bt_strv v;
	struct bt_bw w;

	if (bt_strv_split(&v, s, sep) < 0)
		bt_die("out of memory");
	bt_bw_init(&w, out);
	bt_bw_list(&w);
	for (size_t k = 0; k < v.n; k++)
		bt_bw_strs(&w, v.v[k]);
	bt_bw_end(&w);
	size_t n = v.n;
	bt_strv_free(&v);
	if (bt_bw_finish(&w) < 0)
		bt_die("out of memory");
	return n;
}

/* Load each of paths[0..n) and pass it to fn (which returns -1 when it
 * failed, having said why); a file that fails is reported and the rest
 * are still done.  BT_EXIT_OK, or BT_EXIT_FAIL if any failed. */
static int
each_file(char **paths, int n, int (*fn)(const struct bt_tfile *t, void *ud), void *ud)
{
	int rc = BT_EXIT_OK;

	for (int k = 0; k < n; k++) {
		struct bt_tfile t;
		if (bt_tfile_load(&t, paths[k]) < 0 || fn(&t, ud) < 0)
			rc = BT_EXIT_FAIL;
		bt_tfile_free(&t);
	}
	return rc;
}

struct sets_job {
	const struct bt_benc_set *sets;
	size_t nsets;
	bt_cli_show_fn *show;
	void *ud;
};

static int
sets_one(const struct bt_tfile *t, void *ud)
{
	const struct sets_job *j = ud;
	if (j->show)
		j->show(t, j->ud);
	return bt_cli_edit(t, j->sets, j->nsets) < 0 ? -1 : 0;
}

int
bt_cli_edit_files(char **paths, int n, const struct bt_benc_set *sets, size_t nsets,
	bt_cli_show_fn *show, void *ud)
{
	struct sets_job j = { sets, nsets, show, ud };
	return each_file(paths, n, sets_one, &j);
}

void
bt_cli_print_old_announce(const struct bt_tfile *t, void *ud)
{
	struct bt_buf o;

	(void)ud;
	bt_buf_init(&o, 0);
	if (t->m.announce >= 0) {
		bt_buf_printf(&o, "old announce for %s: ", t->path);
		bt_cli_fmt_str(&o, &t->m.doc, t->m.announce);
		bt_buf_addc(&o, '\n');
	} else {
		bt_buf_adds(&o, "No announce found.\n");
	}
	if (t->m.announce_list >= 0) {
		bt_buf_printf(&o, "old announce-list for %s: ", t->path);
		bt_cli_fmt_tiers(&o, &t->m.doc, t->m.announce_list);
		bt_buf_addc(&o, '\n');
	}
	if (o.err)
		bt_die("out of memory");
	bt_out(o.p, o.len);
	bt_buf_free(&o);
}

/* ---- one tracker at a time (-A/--add, -d/--delete, -r/--replace) ---- */

int
bt_cli_tracker_flag(struct bt_tr_ops *ops, int key, const char *arg)
{
	int kind = key == 'A' ? BT_TR_ADD : key == 'd' ? BT_TR_DELETE : key == 'r' ? BT_TR_REPLACE : -1;
	struct bt_tr_op *last = ops->n ? &ops->v[ops->n - 1] : NULL;

	if (kind < 0)
		return 0;
	if (kind == BT_TR_REPLACE && last && last->kind == kind && !last->to) {
		last->to = arg;		/* -r's second value */
		return 1;
	}
	ops->v = xrealloc(ops->v, (ops->n + 1) * sizeof(*ops->v));
	ops->v[ops->n++] = (struct bt_tr_op){ kind, arg, NULL };
	return 1;
}

const char *
bt_cli_tracker_check(const struct bt_tr_ops *ops)
{
	for (size_t k = 0; k < ops->n; k++) {
		const struct bt_tr_op *o = &ops->v[k];
		if (o->kind == BT_TR_REPLACE && (!*o->url || !o->to || !*o->to))
			return "-r/--replace needs OLD and NEW, both not empty";
		if (!*o->url)
			return o->kind == BT_TR_ADD ? "-A/--add needs a URL" : "-d/--delete needs a URL";
	}
	return NULL;
}

/* The trackers of one torrent while they are edited. */
struct trackers {
	char *announce;		/* NULL: none */
	struct bt_tiers tiers;	/* announce-list; n == 0: none */
};

static void
trackers_free(struct trackers *tr)
{
	free(tr->announce);
	tr->announce = NULL;
	bt_tiers_free(&tr->tiers);
}

/* From a torrent's tokens; -1 (printed) when a URL holds a NUL byte. */
static int
trackers_load(struct trackers *tr, const char *path, const struct bt_meta *m)
{
	const struct bt_benc *d = &m->doc;

	memset(tr, 0, sizeof(*tr));
	if (m->announce >= 0 && !(tr->announce = bt_meta_strdup(m, m->announce)))
		goto bad;
	if (m->announce_list < 0)
		return 0;
	for (int t = bt_benc_first(d, m->announce_list); t >= 0; t = bt_benc_next(d, m->announce_list, t)) {
		tr->tiers.t = xrealloc(tr->tiers.t, (tr->tiers.n + 1) * sizeof(*tr->tiers.t));
		struct bt_strv *tier = &tr->tiers.t[tr->tiers.n++];
		memset(tier, 0, sizeof(*tier));
		for (int u = bt_benc_first(d, t); u >= 0; u = bt_benc_next(d, t, u)) {
			char *s = bt_meta_strdup(m, u);
			if (!s)
				goto bad;
			tier->v = xrealloc(tier->v, (tier->n + 1) * sizeof(*tier->v));
			tier->v[tier->n++] = s;
		}
	}
	return 0;
bad:
	bt_warn("%s: a tracker URL holds a NUL byte; not edited", path);
	trackers_free(tr);
	return -1;
}

/* "PATH: " and then the parts, outside text made terminal-safe. */
static void
say(struct bt_buf *o, const char *path, const char *verb, const char *url, const char *rest)
{
	bt_str_escape(o, path, strlen(path));
	bt_buf_adds(o, ": ");
	bt_buf_adds(o, verb);
	if (url) {
		bt_buf_addc(o, ' ');
		bt_str_escape(o, url, strlen(url));
	}
	bt_buf_adds(o, rest);
	bt_buf_addc(o, '\n');
}

static int
tiers_have(const struct bt_tiers *t, const char *url)
{
	for (size_t k = 0; k < t->n; k++)
		for (size_t u = 0; u < t->t[k].n; u++)
			if (!strcmp(t->t[k].v[u], url))
				return 1;
	return 0;
}

/* transmission-edit's -a: the only tracker goes into announce; else it
 * becomes a new last tier of announce-list (started from announce). */
static int
tr_add(struct trackers *tr, const char *url, const char *path, struct bt_buf *o)
{
	char where[64];

	if (!tr->announce && tr->tiers.n == 0) {
		tr->announce = xstrdup(url);
		say(o, path, "added", url, " (announce)");
		return 1;
	}
	if ((tr->announce && !strcmp(tr->announce, url)) || tiers_have(&tr->tiers, url)) {
		say(o, path, "unchanged:", url, " is already a tracker");
		return 0;
	}
	int n = 0;
	if (tr->tiers.n == 0 && tr->announce) {
		tr->tiers.t = xcalloc(1, sizeof(*tr->tiers.t));
		tr->tiers.t[0].v = xmalloc(sizeof(char *));
		tr->tiers.t[0].v[0] = xstrdup(tr->announce);
		tr->tiers.t[0].n = tr->tiers.n = 1;
		say(o, path, "copied", tr->announce, " (announce) to announce-list tier 1");
		n++;
	}
	tr->tiers.t = xrealloc(tr->tiers.t, (tr->tiers.n + 1) * sizeof(*tr->tiers.t));
	struct bt_strv *tier = &tr->tiers.t[tr->tiers.n++];
	tier->v = xmalloc(sizeof(char *));
	tier->v[0] = xstrdup(url);
	tier->n = 1;
	snprintf(where, sizeof(where), " (announce-list tier %zu)", tr->tiers.n);
	say(o, path, "added", url, where);
	return n + 1;
}

/* Take url out of every tier; empty tiers go.  Returns how many. */
static int
tiers_remove(struct bt_tiers *t, const char *url, const char *path, struct bt_buf *o)
{
	int n = 0;
	char where[64];

	for (size_t k = 0; k < t->n; k++) {
		struct bt_strv *tier = &t->t[k];
		size_t keep = 0;
		for (size_t u = 0; u < tier->n; u++) {
			if (strcmp(tier->v[u], url)) {
				tier->v[keep++] = tier->v[u];
				continue;
			}
			free(tier->v[u]);
			snprintf(where, sizeof(where), " (announce-list tier %zu%s)", k + 1,
				keep == 0 && u + 1 == tier->n ? ", now empty: removed" : "");
			say(o, path, "removed", url, where);
			n++;
		}
		tier->n = keep;
	}
	size_t keep = 0;
	for (size_t k = 0; k < t->n; k++) {
		if (t->t[k].n)
			t->t[keep++] = t->t[k];
		else
			bt_strv_free(&t->t[k]);
	}
	t->n = keep;
	return n;
}

/* transmission-edit's -d: from announce and announce-list; announce then
 * becomes the first tracker left, if any. */
static int
tr_delete(struct trackers *tr, const char *url, const char *path, struct bt_buf *o)
{
	int n = tiers_remove(&tr->tiers, url, path, o);

	if (tr->announce && !strcmp(tr->announce, url)) {
		free(tr->announce);
		tr->announce = NULL;
		say(o, path, "removed", url, " (announce)");
		n++;
		if (tr->tiers.n) {
			tr->announce = xstrdup(tr->tiers.t[0].v[0]);
			say(o, path, "announce is now", tr->announce, "");
		} else {
			say(o, path, "no tracker left", NULL, "");
		}
	}
	if (n == 0)
		say(o, path, "unchanged: no tracker", url, "");
	return n;
}

/* s with every old replaced by new, or NULL when old does not occur. */
static char *
replaced(const char *s, const char *old, const char *new)
{
	size_t lo = strlen(old), ln = strlen(new);
	struct bt_buf b;
	const char *hit;

	if (!strstr(s, old))
		return NULL;
	bt_buf_init(&b, 0);
	while ((hit = strstr(s, old)) != NULL) {
		bt_buf_add(&b, s, (size_t)(hit - s));
		bt_buf_add(&b, new, ln);
		s = hit + lo;
	}
	bt_buf_adds(&b, s);
	if (b.err || !bt_buf_cstr(&b))
		bt_die("out of memory");
	return (char *)b.p;
}

/* One URL of the torrent under -r: replaced in place, reported. */
static int
replace_one(char **url, const char *old, const char *new, const char *where,
	const char *path, struct bt_buf *o)
{
	char *r = replaced(*url, old, new);
	if (!r)
		return 0;
	if (!strcmp(r, *url)) {
		free(r);
		return 0;
	}
	bt_str_escape(o, path, strlen(path));
	bt_buf_adds(o, ": replaced ");
	bt_str_escape(o, *url, strlen(*url));
	bt_buf_adds(o, " -> ");
	bt_str_escape(o, r, strlen(r));
	bt_buf_printf(o, " (%s)\n", where);
	free(*url);
	*url = r;
	return 1;
}

/* transmission-edit's -r: OLD replaced by NEW inside every tracker URL
 * (a whole URL, or a part such as a passkey). */
static int
tr_replace(struct trackers *tr, const char *old, const char *new, const char *path,
	struct bt_buf *o)
{
	int n = 0;
	char where[64];

	if (tr->announce)
		n += replace_one(&tr->announce, old, new, "announce", path, o);
	for (size_t k = 0; k < tr->tiers.n; k++) {
		snprintf(where, sizeof(where), "announce-list tier %zu", k + 1);
		for (size_t u = 0; u < tr->tiers.t[k].n; u++)
			n += replace_one(&tr->tiers.t[k].v[u], old, new, where, path, o);
	}
	if (n == 0)
		say(o, path, "unchanged: no tracker contains", old, "");
	return n;
}

/* Write tr over t's announce and announce-list (only if that changes
 * the bytes).  1 written, 0 the same, -1 printed. */
static int
trackers_save(const struct bt_tfile *t, const struct trackers *tr)
{
	struct bt_buf ann, list;
	struct bt_bw w;

	bt_buf_init(&ann, 0);
	bt_buf_init(&list, 0);
	if (tr->announce)
		bt_cli_enc_str(&ann, tr->announce);
	bt_bw_init(&w, &list);
	bt_bw_list(&w);
	for (size_t k = 0; k < tr->tiers.n; k++) {
		bt_bw_list(&w);
		for (size_t u = 0; u < tr->tiers.t[k].n; u++)
			bt_bw_strs(&w, tr->tiers.t[k].v[u]);
		bt_bw_end(&w);
	}
	bt_bw_end(&w);
	if (bt_bw_finish(&w) < 0)
		bt_die("out of memory");
	struct bt_benc_set sets[2] = {
		{ "announce", tr->announce ? ann.p : NULL, ann.len },
		{ "announce-list", tr->tiers.n ? list.p : NULL, list.len },
	};
	int rc = bt_cli_edit(t, sets, 2);
	bt_buf_free(&ann);
	bt_buf_free(&list);
	return rc;
}

int
bt_cli_edit_trackers(const struct bt_tfile *t, const struct bt_meta *from,
	const struct bt_tr_ops *ops)
{
	struct trackers tr;
	struct bt_buf o;
	int changes = 0, rc = 0;

	if (trackers_load(&tr, t->path, from ? from : &t->m) < 0)
		return -1;
	bt_buf_init(&o, 0);
	for (size_t k = 0; k < ops->n; k++) {
		const struct bt_tr_op *op = &ops->v[k];
		if (op->kind == BT_TR_ADD)
			changes += tr_add(&tr, op->url, t->path, &o);
		else if (op->kind == BT_TR_DELETE)
			changes += tr_delete(&tr, op->url, t->path, &o);
		else
			changes += tr_replace(&tr, op->url, op->to, t->path, &o);
	}
	/* Copied data may differ from the file's even with no change here. */
	if (changes || from)
		rc = trackers_save(t, &tr);
	if (rc == 0 && ops->n)
		say(&o, t->path, "nothing changed, file not rewritten", NULL, "");
	if (o.err)
		bt_die("out of memory");
	bt_out(o.p, o.len);
	bt_buf_free(&o);
	trackers_free(&tr);
	return rc < 0 ? -1 : rc;
}

struct trackers_job {
	const struct bt_meta *from;
	const struct bt_tr_ops *ops;
	int verbose;
};

static int
trackers_one(const struct bt_tfile *t, void *ud)
{
	const struct trackers_job *j = ud;
	if (j->verbose)
		bt_cli_print_old_announce(t, NULL);
	return bt_cli_edit_trackers(t, j->from, j->ops) < 0 ? -1 : 0;
}

int
bt_cli_edit_trackers_files(char **paths, int n, const struct bt_meta *from,
	const struct bt_tr_ops *ops, int verbose)
{
	struct trackers_job j = { from, ops, verbose };
	return each_file(paths, n, trackers_one, &j);
}
