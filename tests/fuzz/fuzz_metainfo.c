/* fuzz_metainfo.c - libFuzzer target for bt_meta_parse.
 *
 * A failure must carry its code, a message and an offset inside the
 * input.  A success must hold what the parser promises: at least one
 * file, offsets that follow one another, lengths that add up to the total,
 * ceil(total / piece length) piece hashes inside the input, the info hash
 * of the info dictionary's bytes, names and paths safe to create on disk
 * and no path given twice or both as a file and a directory.  Any proper
 * prefix of an accepted input must be refused.  Messages (the error, the
 * reason bt_meta_disk_problem gives) and text through bt_str_escape are
 * safe for a terminal. */
#include "metainfo.h"
#include "benc.h"
#include "err.h"
#include "sha1.h"
#include "str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_metainfo.c:%d: assertion failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* A path of '/'-joined components, each safe. */
static void
check_path(const char *p)
{
	size_t n = strlen(p);
	ASSERT(n > 0 && n <= BT_META_MAX_PATH);
	ASSERT(p[0] != '/' && p[n - 1] != '/');
	ASSERT(!strchr(p, '\\'));
	const char *c = p;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		ASSERT(len > 0);
		ASSERT(!(len == 1 && c[0] == '.'));
		ASSERT(!(len == 2 && c[0] == '.' && c[1] == '.'));
		if (!e)
			break;
		c = e + 1;
	}
}

/* No C0 control, DEL or UTF-8-encoded C1 control in p[0..n). */
static void
check_term_safe(const char *p, size_t n)
{
	const uint8_t *q = (const uint8_t *)p;
	for (size_t k = 0; k < n; k++) {
		ASSERT(q[k] >= 0x20 && q[k] != 0x7f);
		ASSERT(!(q[k] == 0xc2 && k + 1 < n && q[k + 1] >= 0x80 && q[k + 1] <= 0x9f));
	}
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
check_meta(const struct bt_meta *m, const uint8_t *data, size_t size)
{
	uint8_t h[20];
	size_t rn;

	ASSERT(m->doc.buf == data && m->doc.len == size);
	ASSERT(bt_benc_type(&m->doc, 0) == BT_BENC_DICT);
	ASSERT(bt_benc_type(&m->doc, m->info) == BT_BENC_DICT);
	ASSERT(bt_benc_dict_get(&m->doc, 0, "info") == m->info);
	const uint8_t *raw = bt_benc_raw(&m->doc, m->info, &rn);
	bt_sha1(raw, rn, h);
	ASSERT(memcmp(h, m->info_hash, 20) == 0);

	ASSERT(m->name != NULL && !strchr(m->name, '/'));
	check_path(m->name);
	ASSERT(m->piece_len > 0 && m->piece_len <= BT_META_MAX_PIECE_LEN);
	ASSERT(m->total >= 0);
	ASSERT(m->npieces == (size_t)((m->total + m->piece_len - 1) / m->piece_len));
	ASSERT(m->npieces == 0 || (m->pieces >= data && m->pieces + 20 * m->npieces <= data + size));
	ASSERT(m->priv >= -1 && m->priv <= 1);
	ASSERT(m->meta_version >= 0);

	ASSERT(m->nfiles > 0 && m->files != NULL);
	int64_t off = 0;
	for (size_t k = 0; k < m->nfiles; k++) {
		const struct bt_meta_file *f = &m->files[k];
		ASSERT(f->length >= 0);
		ASSERT(f->offset == off);
		off += f->length;
		ASSERT(f->pad == 0 || f->pad == 1);
		check_path(f->path);
		if (m->multi)
			ASSERT(bt_benc_type(&m->doc, f->tok) == BT_BENC_DICT);
	}
	ASSERT(off == m->total);
	if (!m->multi) {
		ASSERT(m->nfiles == 1 && strcmp(m->files[0].path, m->name) == 0);
		ASSERT(m->files[0].tok == -1);
	}

	/* No path twice, none both a file and a directory. */
	if (m->nfiles > 1) {
		char **v = malloc(m->nfiles * sizeof(*v));
		ASSERT(v != NULL);
		for (size_t k = 0; k < m->nfiles; k++)
			v[k] = m->files[k].path;
		qsort(v, m->nfiles, sizeof(*v), cmp_path);
		for (size_t k = 1; k < m->nfiles; k++)
			ASSERT(strcmp(v[k - 1], v[k]) != 0);
		for (size_t k = 0; k < m->nfiles; k++) {
			/* A file "a/b/c" makes "a" and "a/b" directories: neither
			 * may be a file. */
			char *dir = strdup(v[k]);
			ASSERT(dir != NULL);
			for (size_t j = 0; dir[j]; j++) {
				if (dir[j] != '/')
					continue;
				dir[j] = 0;
				ASSERT(bsearch(&dir, v, m->nfiles, sizeof(*v), cmp_path) == NULL);
				dir[j] = '/';
			}
			free(dir);
		}
		free(v);
	}

	/* The optional keys have the types the parser checked. */
	if (m->announce >= 0)
		ASSERT(bt_benc_type(&m->doc, m->announce) == BT_BENC_STR);
	if (m->announce_list >= 0)
		ASSERT(bt_benc_type(&m->doc, m->announce_list) == BT_BENC_LIST);
	if (m->httpseeds >= 0)
		ASSERT(bt_benc_type(&m->doc, m->httpseeds) == BT_BENC_LIST);
	if (m->comment >= 0)
		ASSERT(bt_benc_type(&m->doc, m->comment) == BT_BENC_STR);
	if (m->created_by >= 0)
		ASSERT(bt_benc_type(&m->doc, m->created_by) == BT_BENC_STR);
	if (m->creation_date >= 0)
		ASSERT(bt_benc_type(&m->doc, m->creation_date) == BT_BENC_INT);
	if (m->url_list >= 0) {
		int t = bt_benc_type(&m->doc, m->url_list);
		ASSERT(t == BT_BENC_STR || t == BT_BENC_LIST);
	}
	char *s = bt_meta_strdup(m, m->announce >= 0 ? m->announce : m->comment);
	if (s) {
		const uint8_t *p;
		size_t n;
		ASSERT(bt_benc_str(&m->doc, m->announce >= 0 ? m->announce : m->comment, &p, &n) == 0);
		ASSERT(strlen(s) == n && memcmp(s, p, n) == 0);
		free(s);
	}
	ASSERT(bt_meta_strdup(m, m->info) == NULL);

	char why[512];
	for (int with_name = 0; with_name < 2; with_name++) {
		const char *r = bt_meta_disk_problem(m, with_name, why, sizeof(why));
		ASSERT(r == NULL || (r == why && why[0] != 0));
		if (r)
			check_term_safe(why, strlen(why));
	}
	const uint8_t *p;
	size_t n;
	if (bt_benc_str(&m->doc, m->comment >= 0 ? m->comment : m->announce, &p, &n) == 0) {
		struct bt_buf b;
		bt_buf_init(&b, 0);
		bt_str_escape(&b, p, n);
		ASSERT(b.err == 0 && b.len >= n && b.len <= 4 * n);
		check_term_safe((const char *)b.p, b.len);
		bt_buf_free(&b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_meta m;
	struct bt_meta_err e;
	int rc;

	if (size > (1u << 20))
		return 0;
	rc = bt_meta_parse(&m, data, size, &e);
	if (rc == 0) {
		ASSERT(e.code == 0);
		check_meta(&m, data, size);
	} else {
		ASSERT(rc == BT_E_PARSE || rc == BT_E_LIMIT || rc == BT_E_INVAL ||
			rc == BT_E_UNSUPPORTED || rc == BT_E_NOMEM);
		ASSERT(e.code == rc);
		ASSERT(e.what[0] != 0 && memchr(e.what, 0, sizeof(e.what)) != NULL);
		check_term_safe(e.what, strlen(e.what));
		ASSERT(e.off <= size);
	}
	bt_meta_free(&m);

	/* The same without an error report; then a prefix. */
	struct bt_meta m2;
	ASSERT(bt_meta_parse(&m2, data, size, NULL) == rc);
	bt_meta_free(&m2);
	if (rc == 0 && size > 0) {
		size_t cut = size > 1 ? data[0] % size : 0;
		uint8_t *p = malloc(cut ? cut : 1);
		ASSERT(p != NULL);
		memcpy(p, data, cut);
		ASSERT(bt_meta_parse(&m2, p, cut, &e) == BT_E_PARSE);
		bt_meta_free(&m2);
		free(p);
	}
	return 0;
}
