/* metainfo.c - see metainfo.h */
#include "metainfo.h"
#include "err.h"
#include "sha1.h"
#include "span.h"
#include "str.h"
#include "text.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
bad(struct bt_meta_err *err, int code, size_t off, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		err->off = off;
		va_start(ap, fmt);
		bt_vsnprintf(err->what, sizeof(err->what), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Outside text p[0..n) for an error message, made terminal-safe
 * (bt_str_escape): its first SHOWN bytes, "..." after them if there were
 * more. */
#define SHOWN 32
static void
shown(char *dst, size_t cap, const void *p, size_t n)
{
	size_t k;

	bt_str_printable(dst, cap, p, n > SHOWN ? SHOWN : n);
	k = strlen(dst);
	if (n > SHOWN)
		snprintf(dst + k, cap - k, "...");
}

static size_t
off_of(const struct bt_meta *m, int i)
{
	return m->doc.tok[i].off;
}

char *
bt_meta_strdup(const struct bt_meta *m, int i)
{
	const uint8_t *p;
	size_t n;
	if (bt_benc_str(&m->doc, i, &p, &n) < 0 || memchr(p, 0, n))
		return NULL;
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

const char *
bt_meta_name_problem(const uint8_t *p, size_t n)
{
	if (n == 0)
		return "is empty";
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return "is '.' or '..'";
	if (memchr(p, '/', n) || memchr(p, '\\', n))
		return "contains a path separator";
	if (memchr(p, 0, n))
		return "contains a NUL byte";
	return NULL;
}

/* Why component p[0..n) cannot be created, or NULL. */
static const char *
component_problem(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	const char *why = bt_meta_name_problem(p, n);
	if (why || n <= BT_META_MAX_COMPONENT)
		return why;
	snprintf(buf, cap, "is %zu bytes, more than %d", n, BT_META_MAX_COMPONENT);
	return buf;
}

/* Why the joined path p cannot be created, or NULL. */
static const char *
path_problem(const char *p, char *buf, size_t cap)
{
	size_t len = strlen(p), depth = 0;
	if (len > BT_META_MAX_PATH) {
		snprintf(buf, cap, "is %zu bytes, more than %d", len, BT_META_MAX_PATH);
		return buf;
	}
	for (const char *s = p;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char inner[64];
		const char *why = component_problem((const uint8_t *)s, n, inner, sizeof(inner));
		if (why) {
			snprintf(buf, cap, "a path component %s", why);
			return buf;
		}
		if (++depth > BT_META_MAX_DEPTH) {
			snprintf(buf, cap, "has more than %d components", BT_META_MAX_DEPTH);
			return buf;
		}
		if (!e)
			return NULL;
		s = e + 1;
	}
}

const char *
bt_meta_disk_problem(const struct bt_meta *m, int with_name, char *why, size_t cap)
{
	char rule[96], q[4 * SHOWN + 4];
	const char *r;

	if (with_name && m->name &&
	    (r = component_problem((const uint8_t *)m->name, strlen(m->name), rule, sizeof(rule)))) {
		shown(q, sizeof(q), m->name, strlen(m->name));
		snprintf(why, cap, "the name '%s' %s", q, r);
		return why;
	}
	for (size_t i = 0; m->multi && i < m->nfiles; i++) {
		if (m->files[i].pad || !(r = path_problem(m->files[i].path, rule, sizeof(rule))))
			continue;
		shown(q, sizeof(q), m->files[i].path, strlen(m->files[i].path));
		snprintf(why, cap, "file %zu of %zu '%s': %s", i + 1, m->nfiles, q, r);
		return why;
	}
	return NULL;
}

/* Compare joined paths component by component ('/' sorts first), so that
 * "a" is next to "a/b" once sorted. */
static int
path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)(*(const struct bt_meta_file *const *)a)->path;
	const unsigned char *y = (const unsigned char *)(*(const struct bt_meta_file *const *)b)->path;
	for (;; x++, y++) {
		unsigned cx = *x == '/' ? 1 : (*x ? *x + 1u : 0);
		unsigned cy = *y == '/' ? 1 : (*y ? *y + 1u : 0);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (!cx)
			return 0;
	}
}

static int
check_str_list(const struct bt_meta *m, int list, int nested)
{
	if (bt_benc_type(&m->doc, list) != BT_BENC_LIST)
		return -1;
	for (int j = bt_benc_first(&m->doc, list); j >= 0; j = bt_benc_next(&m->doc, list, j)) {
		if (nested ? check_str_list(m, j, 0) < 0 : bt_benc_type(&m->doc, j) != BT_BENC_STR)
			return -1;
	}
	return 0;
}

static int
parse_files(struct bt_meta *m, int files, struct bt_meta_err *err)
{
	const struct bt_benc *d = &m->doc;
	int count = bt_benc_count(d, files);
	int rc = 0;

	if ((unsigned)count > BT_META_MAX_FILES)
		return bad(err, BT_E_LIMIT, off_of(m, files), "too many files (%d)", count);
	if (count == 0)
		return bad(err, BT_E_INVAL, off_of(m, files), "'files' is empty");
	m->files = calloc((size_t)count, sizeof(*m->files));
	if (!m->files)
		return bad(err, BT_E_NOMEM, 0, "out of memory");

	char *path = malloc(BT_META_MAX_PATH + 1);
	if (!path)
		return bad(err, BT_E_NOMEM, 0, "out of memory");
	for (int f = bt_benc_first(d, files); f >= 0; f = bt_benc_next(d, files, f)) {
		struct bt_meta_file *mf = &m->files[m->nfiles];
		int len_tok = bt_benc_dict_get(d, f, "length");
		int path_tok = bt_benc_dict_get(d, f, "path");
		int attr_tok = bt_benc_dict_get(d, f, "attr");
		size_t plen = 0;

		if (bt_benc_type(d, f) != BT_BENC_DICT) {
			rc = bad(err, BT_E_INVAL, off_of(m, f), "file entry is not a dictionary");
			break;
		}
		if (bt_benc_int(d, len_tok, &mf->length) < 0 || mf->length < 0) {
			rc = bad(err, BT_E_INVAL, off_of(m, len_tok >= 0 ? len_tok : f),
				"file %zu: bad or missing 'length'", m->nfiles);
			break;
		}
		if (bt_benc_type(d, path_tok) != BT_BENC_LIST || bt_benc_count(d, path_tok) == 0) {
			rc = bad(err, BT_E_INVAL, off_of(m, path_tok >= 0 ? path_tok : f),
				"file %zu: bad or missing 'path'", m->nfiles);
			break;
		}
		if (bt_benc_count(d, path_tok) > BT_META_MAX_DEPTH) {
			rc = bad(err, BT_E_LIMIT, off_of(m, path_tok), "file %zu: path too deep",
				m->nfiles);
			break;
		}
		for (int c = bt_benc_first(d, path_tok); c >= 0; c = bt_benc_next(d, path_tok, c)) {
			const uint8_t *p;
			size_t n;
			const char *why;
			if (bt_benc_str(d, c, &p, &n) < 0)
				rc = bad(err, BT_E_INVAL, off_of(m, c),
					"file %zu: path component is not a string", m->nfiles);
			else if ((why = bt_meta_name_problem(p, n)) != NULL) {
				char q[4 * SHOWN + 4];
				shown(q, sizeof(q), p, n);
				rc = bad(err, BT_E_INVAL, off_of(m, c),
					"file %zu: unsafe path component '%s' (%s)", m->nfiles, q, why);
			}
			else if (plen + n + 1 > BT_META_MAX_PATH)
				rc = bad(err, BT_E_LIMIT, off_of(m, c), "file %zu: path too long",
					m->nfiles);
			if (rc)
				break;
			if (plen)
				path[plen++] = '/';
			memcpy(path + plen, p, n);
			plen += n;
		}
		if (rc)
			break;
		path[plen] = 0;
		mf->path = strdup(path);
		if (!mf->path) {
			rc = bad(err, BT_E_NOMEM, 0, "out of memory");
			break;
		}
		m->nfiles++;	/* from here bt_meta_free() frees its path */
		if (attr_tok >= 0) {
			const uint8_t *p;
			size_t n;
			if (bt_benc_str(d, attr_tok, &p, &n) == 0 && memchr(p, 'p', n))
				mf->pad = 1;
		}
		mf->tok = f;
		mf->offset = m->total;
		if (mf->length > INT64_MAX / 4 - m->total) {
			rc = bad(err, BT_E_LIMIT, off_of(m, len_tok), "total size too large");
			break;
		}
		m->total += mf->length;
	}
	free(path);
	if (rc)
		return rc;

	/* Duplicates, and a file that is also a directory. */
	struct bt_meta_file **idx = malloc(m->nfiles * sizeof(*idx));
	if (!idx)
		return bad(err, BT_E_NOMEM, 0, "out of memory");
	for (size_t k = 0; k < m->nfiles; k++)
		idx[k] = &m->files[k];
	qsort(idx, m->nfiles, sizeof(*idx), path_cmp);
	for (size_t k = 1; k < m->nfiles; k++) {
		const char *a = idx[k - 1]->path, *b = idx[k]->path;
		size_t la = strlen(a);
		if (strcmp(a, b) == 0 || (strncmp(a, b, la) == 0 && b[la] == '/')) {
			char q[4 * SHOWN + 4];
			shown(q, sizeof(q), a, la);
			rc = bad(err, BT_E_INVAL, off_of(m, idx[k]->tok),
				strcmp(a, b) == 0 ? "duplicate path '%s'" : "path '%s' is both a file and a directory",
				q);
			free(idx);
			return rc;
		}
	}
	free(idx);
	return 0;
}

int
bt_meta_parse(struct bt_meta *m, const uint8_t *buf, size_t len, struct bt_meta_err *err)
{
	struct bt_benc_err be;
	const struct bt_benc *d = &m->doc;
	int rc;

	memset(m, 0, sizeof(*m));
	m->info = m->announce = m->announce_list = m->httpseeds = m->url_list = -1;
	m->comment = m->created_by = m->creation_date = -1;
	m->priv = -1;
	if (err) {
		err->code = 0;
		err->off = 0;
		err->what[0] = 0;
	}
	rc = bt_benc_parse(&m->doc, buf, len, &bt_benc_lim_strict, &be);
	if (rc < 0)
		return bad(err, rc, be.off, "bad bencoding: %s", bt_benc_errstr(be.code));
	if (bt_benc_type(d, 0) != BT_BENC_DICT)
		return bad(err, BT_E_INVAL, 0, "not a dictionary");

	/* Top-level keys: each optional, each with a fixed type. */
	static const struct { const char *key; int type; size_t field; } top[] = {
		{ "announce", BT_BENC_STR, offsetof(struct bt_meta, announce) },
		{ "announce-list", BT_BENC_LIST, offsetof(struct bt_meta, announce_list) },
		{ "comment", BT_BENC_STR, offsetof(struct bt_meta, comment) },
		{ "created by", BT_BENC_STR, offsetof(struct bt_meta, created_by) },
		{ "creation date", BT_BENC_INT, offsetof(struct bt_meta, creation_date) },
		{ "httpseeds", BT_BENC_LIST, offsetof(struct bt_meta, httpseeds) },
		{ "url-list", 0, offsetof(struct bt_meta, url_list) },
	};
	for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
		int t = bt_benc_dict_get(d, 0, top[k].key);
		if (t < 0)
			continue;
		if (top[k].type && bt_benc_type(d, t) != top[k].type)
			return bad(err, BT_E_INVAL, off_of(m, t), "'%s' has the wrong type", top[k].key);
		*(int *)((char *)m + top[k].field) = t;
	}
	if (m->announce_list >= 0 && check_str_list(m, m->announce_list, 1) < 0)
		return bad(err, BT_E_INVAL, off_of(m, m->announce_list),
			"'announce-list' is not a list of lists of URLs");
	if (m->httpseeds >= 0 && check_str_list(m, m->httpseeds, 0) < 0)
		return bad(err, BT_E_INVAL, off_of(m, m->httpseeds), "'httpseeds' is not a list of URLs");
	if (m->url_list >= 0 && bt_benc_type(d, m->url_list) != BT_BENC_STR &&
	    check_str_list(m, m->url_list, 0) < 0)
		return bad(err, BT_E_INVAL, off_of(m, m->url_list), "'url-list' is not a URL or a list of URLs");

	m->info = bt_benc_dict_get(d, 0, "info");
	if (m->info < 0)
		return bad(err, BT_E_INVAL, 0, "no 'info' dictionary");
	if (bt_benc_type(d, m->info) != BT_BENC_DICT)
		return bad(err, BT_E_INVAL, off_of(m, m->info), "'info' is not a dictionary");
	size_t info_len;
	const uint8_t *info_raw = bt_benc_raw(d, m->info, &info_len);
	bt_sha1(info_raw, info_len, m->info_hash);

	int info = m->info;
	int name = bt_benc_dict_get(d, info, "name");
	int plen = bt_benc_dict_get(d, info, "piece length");
	int pieces = bt_benc_dict_get(d, info, "pieces");
	int length = bt_benc_dict_get(d, info, "length");
	int files = bt_benc_dict_get(d, info, "files");
	int priv = bt_benc_dict_get(d, info, "private");
	int mver = bt_benc_dict_get(d, info, "meta version");
	const uint8_t *p;
	size_t n;
	const char *why;
	int64_t v;

	if (mver >= 0) {
		if (bt_benc_int(d, mver, &v) < 0 || v < 1 || v > 1000)
			return bad(err, BT_E_INVAL, off_of(m, mver), "bad 'meta version'");
		m->meta_version = (int)v;
	}
	if (name < 0 || bt_benc_str(d, name, &p, &n) < 0)
		return bad(err, BT_E_INVAL, off_of(m, name >= 0 ? name : info), "bad or missing 'name'");
	if ((why = bt_meta_name_problem(p, n)) != NULL) {
		char q[4 * SHOWN + 4];
		shown(q, sizeof(q), p, n);
		return bad(err, BT_E_INVAL, off_of(m, name), "unsafe name '%s' (%s)", q, why);
	}
	m->name = bt_meta_strdup(m, name);
	if (!m->name)
		return bad(err, BT_E_NOMEM, 0, "out of memory");

	if (plen < 0 || bt_benc_int(d, plen, &m->piece_len) < 0)
		return bad(err, BT_E_INVAL, off_of(m, plen >= 0 ? plen : info),
			"bad or missing 'piece length'");
	if (m->piece_len <= 0 || m->piece_len > BT_META_MAX_PIECE_LEN)
		return bad(err, BT_E_INVAL, off_of(m, plen), "illegal 'piece length' %lld",
			(long long)m->piece_len);

	if (pieces < 0) {
		if (m->meta_version >= 2)
			return bad(err, BT_E_UNSUPPORTED, off_of(m, info),
				"v2-only torrent (no v1 'pieces'); not supported yet");
		return bad(err, BT_E_INVAL, off_of(m, info), "no 'pieces'");
	}
	if (bt_benc_str(d, pieces, &m->pieces, &n) < 0 || n % 20)
		return bad(err, BT_E_INVAL, off_of(m, pieces),
			"'pieces' is not a string of 20-byte hashes");
	m->npieces = n / 20;

	if ((length >= 0) == (files >= 0))
		return bad(err, BT_E_INVAL, off_of(m, info),
			length >= 0 ? "both 'length' and 'files'" : "neither 'length' nor 'files'");
	if (length >= 0) {
		if (bt_benc_int(d, length, &m->total) < 0 || m->total < 0 || m->total > INT64_MAX / 4)
			return bad(err, BT_E_INVAL, off_of(m, length), "bad 'length'");
		m->files = calloc(1, sizeof(*m->files));
		if (!m->files || !(m->files[0].path = strdup(m->name)))
			return bad(err, BT_E_NOMEM, 0, "out of memory");
		m->files[0].length = m->total;
		m->files[0].tok = -1;
		m->nfiles = 1;
	} else {
		if (bt_benc_type(d, files) != BT_BENC_LIST)
			return bad(err, BT_E_INVAL, off_of(m, files), "'files' is not a list");
		m->multi = 1;
		if ((rc = parse_files(m, files, err)) < 0)
			return rc;
	}

	uint64_t want = bt_meta_piece_count(m->total, m->piece_len);
	if (want != m->npieces)
		return bad(err, BT_E_INVAL, off_of(m, pieces),
			"%zu piece hashes for %lld bytes in pieces of %lld (need %llu)",
			m->npieces, (long long)m->total, (long long)m->piece_len,
			(unsigned long long)want);

	if (priv >= 0) {
		if (bt_benc_int(d, priv, &v) < 0)
			return bad(err, BT_E_INVAL, off_of(m, priv), "'private' is not an integer");
		m->priv = v != 0;
	}
	return 0;
}

size_t
bt_meta_file_at(const struct bt_meta *m, int64_t off)
{
	return bt_span_find(m->files, m->nfiles, sizeof(*m->files),
		offsetof(struct bt_meta_file, offset), offsetof(struct bt_meta_file, length), off);
}

void
bt_meta_free(struct bt_meta *m)
{
	for (size_t k = 0; k < m->nfiles; k++)
		free(m->files[k].path);
	free(m->files);
	free(m->name);
	bt_benc_free(&m->doc);
	memset(m, 0, sizeof(*m));
}
