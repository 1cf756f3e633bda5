/* cli_edit.c - the part of the editing applets they share. */
#include "cli.h"
#include "err.h"
#include "msg.h"
#include "str.h"

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

int
bt_cli_edit_files(char **paths, int n, const struct bt_benc_set *sets, size_t nsets,
	bt_cli_show_fn *show, void *ud)
{
	int rc = BT_EXIT_OK;

	for (int k = 0; k < n; k++) {
		struct bt_tfile t;
		if (bt_tfile_load(&t, paths[k]) < 0) {
			bt_tfile_free(&t);
			rc = BT_EXIT_FAIL;
			continue;
		}
		if (show)
			show(&t, ud);
		if (bt_cli_edit(&t, sets, nsets) < 0)
			rc = BT_EXIT_FAIL;
		bt_tfile_free(&t);
	}
	return rc;
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
