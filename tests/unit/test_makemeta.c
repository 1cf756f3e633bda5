/* test_makemeta.c - making torrents: the walk (order, skipped entries,
 * offsets), hashing on 1, 2 and 4 threads against a plain reference, files
 * that vanish or shrink between the walk and the hashing, and encoding
 * (the result must parse back to the same files). */
#define _GNU_SOURCE
#include "makemeta.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "metainfo.h"
#include "rand.h"
#include "sha1.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"

static char tmp[64];	/* the temporary directory */
static char top[128];	/* the tree inside it */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint8_t
rnd8(void)
{
	return (uint8_t)(bt_rand64(&rng_state) >> 56);
}

/* The files the walk must find, in its order. */
struct want {
	const char *rel;
	size_t len;
	uint8_t *data;
};

static struct want files[] = {
	{ "Z.txt", 5, NULL },		/* upper case sorts first (bytes, not locale) */
	{ "a.txt", 100, NULL },
	{ "b/c.bin", 0, NULL },		/* empty */
	{ "b/d/e.dat", 70, NULL },
	{ "b/f", 50, NULL },
	{ "b.txt", 30, NULL },		/* after b/: sorted per level */
	{ "g", 300, NULL },
	{ "m.bin", (2u << 20) + 123, NULL },	/* big enough to be mapped */
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static int
make_tree(void)
{
	char path[256];
	static const char *const dirs[] = { "", "/b", "/b/d", "/.dotdir" };

	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		snprintf(path, sizeof(path), "%s%s", top, dirs[k]);
		if (mkdir(path, 0755) < 0)
			return -1;
	}
	for (size_t k = 0; k < NFILES; k++) {
		files[k].data = malloc(files[k].len ? files[k].len : 1);
		for (size_t j = 0; j < files[k].len; j++)
			files[k].data[j] = rnd8();
		snprintf(path, sizeof(path), "%s/%s", top, files[k].rel);
		if (files_write(path, files[k].data, files[k].len) < 0)
			return -1;
	}
	/* Left out: dot files at every level, and what is not a file. */
	snprintf(path, sizeof(path), "%s/b/.hidden", top);
	if (files_write(path, "hidden", 6) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.dotdir/x", top);
	if (files_write(path, "x", 1) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.dotfile", top);
	if (files_write(path, "y", 1) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/b/pipe", top);
	if (mkfifo(path, 0644) < 0)
		return -1;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct skips {
	int n;
	char last[256];
};

static void
on_skip(void *ud, const char *path, const char *why)
{
	struct skips *s = ud;
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", path);
	(void)why;
}

static void
test_scan(void)
{
	struct bt_mktree t = { 0 };
	struct bt_mkerr e;
	struct skips sk = { 0 };
	char want[512];

	if (!CHECK_INT(bt_mktree_scan(&t, top, on_skip, &sk, &e), ==, 0)) {
		fprintf(stderr, "    %s: %s\n", e.path, e.what);
		return;
	}
	CHECK_STR(t.name, "top");
	CHECK_INT(t.single, ==, 0);
	CHECK_INT(sk.n, ==, 1);
	snprintf(want, sizeof(want), "%s/b/pipe", top);
	CHECK_STR(sk.last, want);
	if (CHECK_INT(t.n, ==, NFILES)) {
		int64_t off = 0;
		for (size_t k = 0; k < NFILES; k++) {
			CHECK_STR(t.f[k].rel, files[k].rel);
			snprintf(want, sizeof(want), "%s/%s", top, files[k].rel);
			CHECK_STR(t.f[k].disk, want);
			CHECK_INT(t.f[k].length, ==, files[k].len);
			CHECK_INT(t.f[k].offset, ==, off);
			off += (int64_t)files[k].len;
		}
		CHECK_INT(t.total, ==, off);
		/* The tree is laid out so that the first 256-byte piece spans
		 * several files (test_hash hashes it so). */
		int spanned = 0;
		for (size_t k = 0; k < NFILES; k++)
			spanned += t.f[k].length > 0 && t.f[k].offset < 256;
		CHECK_INT(spanned, >=, 3);
	}
	bt_mktree_free(&t);
	CHECK(t.f == NULL && t.n == 0 && t.name == NULL);

	/* The same with a trailing slash, and without a skip callback. */
	snprintf(want, sizeof(want), "%s/", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, 0);
	CHECK_STR(t.name, "top");
	CHECK_INT(t.n, ==, NFILES);
	bt_mktree_free(&t);
	/* "." is named after the directory it is. */
	snprintf(want, sizeof(want), "%s/b/d/.", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, 0);
	CHECK_STR(t.name, "d");
	CHECK_INT(t.n, ==, 1);
	if (t.n == 1)
		CHECK_STR(t.f[0].rel, "e.dat");
	bt_mktree_free(&t);

	/* A single file. */
	snprintf(want, sizeof(want), "%s/g", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, 0);
	CHECK_INT(t.single, ==, 1);
	CHECK_STR(t.name, "g");
	if (CHECK_INT(t.n, ==, 1)) {
		CHECK_STR(t.f[0].rel, "g");
		CHECK_STR(t.f[0].disk, want);
		CHECK_INT(t.f[0].length, ==, 300);
		CHECK_INT(t.f[0].offset, ==, 0);
	}
	CHECK_INT(t.total, ==, 300);
	bt_mktree_free(&t);

	/* Errors: missing, empty directory, no data. */
	snprintf(want, sizeof(want), "%s/nope", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, BT_E_IO);
	CHECK_INT(e.code, ==, BT_E_IO);
	CHECK_INT(e.sys_errno, ==, ENOENT);
	CHECK_STR(e.path, want);
	bt_mktree_free(&t);
	snprintf(want, sizeof(want), "%s/empty", tmp);
	CHECK_INT(mkdir(want, 0755), ==, 0);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, BT_E_INVAL);
	bt_mktree_free(&t);
	snprintf(want, sizeof(want), "%s/empty/zero", tmp);
	CHECK_INT(files_write(want, "", 0), ==, 0);
	snprintf(want, sizeof(want), "%s/empty", tmp);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, BT_E_INVAL);
	bt_mktree_free(&t);
	snprintf(want, sizeof(want), "%s/empty/zero", tmp);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, want, NULL, NULL, &e), ==, BT_E_INVAL);
	bt_mktree_free(&t);
}

/* The pieces computed the plain way: all the data end to end, hashed
 * piece by piece. */
static uint8_t *
reference_pieces(int64_t plen, size_t *np)
{
	size_t total = 0, at = 0;
	for (size_t k = 0; k < NFILES; k++)
		total += files[k].len;
	uint8_t *all = malloc(total);
	for (size_t k = 0; k < NFILES; k++) {
		if (files[k].len)
			memcpy(all + at, files[k].data, files[k].len);
		at += files[k].len;
	}
	*np = (total + (size_t)plen - 1) / (size_t)plen;
	uint8_t *out = malloc(*np * 20 + 1);
	for (size_t p = 0; p < *np; p++) {
		size_t off = p * (size_t)plen;
		size_t n = total - off < (size_t)plen ? total - off : (size_t)plen;
		bt_sha1(all + off, n, out + 20 * p);
	}
	free(all);
	return out;
}

struct progress {
	size_t calls, last_done, last_total;
	int backwards;
};

static void
on_progress(void *ud, size_t done, size_t total)
{
	struct progress *p = ud;
	if (p->calls && done < p->last_done)
		p->backwards = 1;
	p->calls++;
	p->last_done = done;
	p->last_total = total;
}

static void
test_hash(void)
{
	struct bt_mktree t = { 0 };
	struct bt_mkerr e;
	static const int64_t plens[] = { 256, 1000, 16384, 262144, 1 << 20, 4 << 20 };
	static const unsigned threads[] = { 1, 2, 4, 0 };

	if (!CHECK_INT(bt_mktree_scan(&t, top, NULL, NULL, &e), ==, 0))
		return;
	for (size_t i = 0; i < sizeof(plens) / sizeof(plens[0]); i++) {
		size_t np;
		uint8_t *ref = reference_pieces(plens[i], &np);
		for (size_t j = 0; j < sizeof(threads) / sizeof(threads[0]); j++) {
			uint8_t *got = malloc(np * 20 + 1);
			struct progress pr = { 0 };
			memset(got, 0xee, np * 20);
			int rc = bt_mk_hash(&t, plens[i], threads[j], got, on_progress, &pr, &e);
			if (!CHECK_INT(rc, ==, 0))
				fprintf(stderr, "    piece %lld, %u threads: %s: %s\n",
					(long long)plens[i], threads[j], e.path, e.what);
			if (!CHECK_MEM(got, np * 20, ref, np * 20))
				fprintf(stderr, "    piece %lld, %u threads\n", (long long)plens[i],
					threads[j]);
			CHECK_INT(pr.calls, >, 0);
			CHECK_INT(pr.last_done, ==, np);
			CHECK_INT(pr.last_total, ==, np);
			CHECK_INT(pr.backwards, ==, 0);
			free(got);
		}
		/* Without a progress callback. */
		uint8_t *got = malloc(np * 20 + 1);
		CHECK_INT(bt_mk_hash(&t, plens[i], 3, got, NULL, NULL, NULL), ==, 0);
		CHECK_MEM(got, np * 20, ref, np * 20);
		free(got);
		free(ref);
	}
	uint8_t dummy[20];
	CHECK_INT(bt_mk_hash(&t, 0, 1, dummy, NULL, NULL, &e), ==, BT_E_INVAL);
	CHECK_INT(bt_mk_hash(&t, -5, 1, dummy, NULL, NULL, &e), ==, BT_E_INVAL);
	CHECK_INT(bt_mk_hash(&t, (1 << 30) + 1, 1, dummy, NULL, NULL, &e), ==, BT_E_INVAL);
	bt_mktree_free(&t);

	/* A single file. */
	char path[256];
	snprintf(path, sizeof(path), "%s/m.bin", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, path, NULL, NULL, &e), ==, 0);
	const struct want *m = &files[NFILES - 1];
	size_t np = (m->len + 32767) / 32768;
	uint8_t *got = malloc(np * 20), *ref = malloc(np * 20);
	for (size_t p = 0; p < np; p++) {
		size_t n = m->len - p * 32768 < 32768 ? m->len - p * 32768 : 32768;
		bt_sha1(m->data + p * 32768, n, ref + 20 * p);
	}
	for (unsigned th = 1; th <= 4; th++) {
		memset(got, 0, np * 20);
		CHECK_INT(bt_mk_hash(&t, 32768, th, got, NULL, NULL, &e), ==, 0);
		CHECK_MEM(got, np * 20, ref, np * 20);
	}
	free(got);
	free(ref);
	bt_mktree_free(&t);
}

/* Files that change between the walk and the hashing. */
static void
test_hash_changes(void)
{
	struct bt_mktree t = { 0 };
	struct bt_mkerr e;
	char path[256];
	size_t np = ((size_t)(2u << 20) + 1000) / 256 + 1;
	uint8_t *out = malloc(np * 20);

	/* Removed. */
	if (!CHECK_INT(bt_mktree_scan(&t, top, NULL, NULL, &e), ==, 0))
		goto done;
	snprintf(path, sizeof(path), "%s/g", top);
	CHECK_INT(unlink(path), ==, 0);
	for (unsigned th = 1; th <= 4; th *= 2) {
		memset(&e, 0, sizeof(e));
		CHECK_INT(bt_mk_hash(&t, 256, th, out, NULL, NULL, &e), ==, BT_E_IO);
		CHECK_INT(e.code, ==, BT_E_IO);
		CHECK_INT(e.sys_errno, ==, ENOENT);
		CHECK_STR(e.path, path);
	}
	/* Without an error report: still the code. */
	CHECK_INT(bt_mk_hash(&t, 256, 2, out, NULL, NULL, NULL), ==, BT_E_IO);
	CHECK_INT(files_write(path, files[6].data, files[6].len), ==, 0);
	CHECK_INT(bt_mk_hash(&t, 256, 2, out, NULL, NULL, &e), ==, 0);

	/* Shrunk: a small file and a big one. */
	snprintf(path, sizeof(path), "%s/b.txt", top);
	CHECK_INT(truncate(path, 10), ==, 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(bt_mk_hash(&t, 256, 1, out, NULL, NULL, &e), ==, BT_E_IO);
	CHECK_STR(e.path, path);
	CHECK_INT(files_write(path, files[5].data, files[5].len), ==, 0);

	/* A big file that shrank must come back as an error, every time and
	 * on any thread count (hashing once went through mappings, where
	 * the shrink raised SIGBUS).  In a child, so that a crash is one
	 * failure rather than the end of the test. */
	snprintf(path, sizeof(path), "%s/m.bin", top);
	CHECK_INT(truncate(path, 1 << 20), ==, 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		int fails = 0;
		for (int round = 0; round < 3; round++) {
			for (unsigned th = 1; th <= 2; th++) {
				memset(&e, 0, sizeof(e));
				fails += bt_mk_hash(&t, 1 << 20, th, out, NULL, NULL, &e) != BT_E_IO;
				fails += strcmp(e.path, path) != 0;
				memset(&e, 0, sizeof(e));
				fails += bt_mk_hash(&t, 256, th, out, NULL, NULL, &e) != BT_E_IO;
				fails += strcmp(e.path, path) != 0;
			}
		}
		_exit(fails ? 1 : 0);
	}
	int status = -1;
	CHECK_INT(waitpid(pid, &status, 0), ==, pid);
	int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!CHECK(child_ok)) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "    hashing a shrunk mapped file: killed by signal %d\n",
				WTERMSIG(status));
		else
			fprintf(stderr, "    hashing a shrunk mapped file: wrong result\n");
	}
	CHECK_INT(files_write(path, files[7].data, files[7].len), ==, 0);
	CHECK_INT(bt_mk_hash(&t, 1 << 20, 2, out, NULL, NULL, &e), ==, 0);
done:
	bt_mktree_free(&t);
	free(out);
}

static void
check_same_files(int line, const struct bt_meta *m, const struct bt_mktree *t)
{
	if (!CHECK_INT_AT(line, m->nfiles, ==, t->n))
		return;
	for (size_t k = 0; k < t->n; k++) {
		CHECK_STR_AT(line, m->files[k].path, t->single ? m->name : t->f[k].rel);
		CHECK_INT_AT(line, m->files[k].length, ==, t->f[k].length);
		CHECK_INT_AT(line, m->files[k].offset, ==, t->f[k].offset);
	}
	CHECK_INT_AT(line, m->total, ==, t->total);
}

static void
test_encode(void)
{
	struct bt_mktree t = { 0 };
	struct bt_mkerr e;
	struct bt_meta m;
	struct bt_meta_err me;
	struct bt_buf out;
	struct bt_tiers tiers;
	struct bt_strv seeds, webs;
	const int64_t plen = 16384;

	if (!CHECK_INT(bt_mktree_scan(&t, top, NULL, NULL, &e), ==, 0))
		return;
	size_t np = (size_t)((t.total + plen - 1) / plen);
	uint8_t *pieces = malloc(np * 20);
	CHECK_INT(bt_mk_hash(&t, plen, 2, pieces, NULL, NULL, &e), ==, 0);

	/* Everything set. */
	CHECK_INT(bt_tiers_parse(&tiers, "http://a/ann,http://b/ann|udp://c:80"), ==, 0);
	CHECK_INT(bt_strv_split(&seeds, "http://s1/|http://s2/", '|'), ==, 0);
	CHECK_INT(bt_strv_split(&webs, "http://w/", '|'), ==, 0);
	struct bt_mkmeta mm = {
		.announce = "http://a/ann", .announce_list = &tiers, .httpseeds = &seeds,
		.url_list = &webs, .comment = "a comment", .created_by = "test",
		.source = "SRC", .creation_date = 1700000000, .priv = 1,
	};
	uint8_t ih[20];
	bt_buf_init(&out, 0);
	CHECK_INT(bt_mk_encode(&out, &t, plen, pieces, &mm, ih), ==, 0);
	if (CHECK_INT(bt_meta_parse(&m, out.p, out.len, &me), ==, 0)) {
		CHECK_MEM(ih, 20, m.info_hash, 20);	/* the hash it says is the parser's */
		CHECK_STR(m.name, "top");
		CHECK_INT(m.multi, ==, 1);
		CHECK_INT(m.piece_len, ==, plen);
		CHECK_INT(m.npieces, ==, np);
		CHECK_MEM(m.pieces, m.npieces * 20, pieces, np * 20);
		check_same_files(__LINE__, &m, &t);
		CHECK_INT(m.priv, ==, 1);
		CHECK(bt_benc_str_eq(&m.doc, m.announce, "http://a/ann"));
		CHECK(bt_benc_str_eq(&m.doc, m.comment, "a comment"));
		CHECK(bt_benc_str_eq(&m.doc, m.created_by, "test"));
		int64_t v = 0;
		CHECK_INT(bt_benc_int(&m.doc, m.creation_date, &v), ==, 0);
		CHECK_INT(v, ==, 1700000000);
		CHECK(bt_benc_str_eq(&m.doc, bt_benc_dict_get(&m.doc, m.info, "source"), "SRC"));
		CHECK_INT(bt_benc_count(&m.doc, m.announce_list), ==, 2);
		int tier0 = bt_benc_first(&m.doc, m.announce_list);
		CHECK_INT(bt_benc_count(&m.doc, tier0), ==, 2);
		CHECK(bt_benc_str_eq(&m.doc, bt_benc_first(&m.doc, tier0), "http://a/ann"));
		CHECK_INT(bt_benc_count(&m.doc, m.httpseeds), ==, 2);
		CHECK_INT(bt_benc_count(&m.doc, m.url_list), ==, 1);
		/* Empty files are in the torrent too. */
		CHECK_STR(m.files[2].path, "b/c.bin");
		CHECK_INT(m.files[2].length, ==, 0);
	} else {
		fprintf(stderr, "    %s at %zu\n", me.what, me.off);
	}
	bt_meta_free(&m);
	bt_buf_free(&out);

	/* Nothing optional; another name. */
	struct bt_mkmeta bare = { .creation_date = -1, .name = "renamed" };
	bt_buf_init(&out, 0);
	CHECK_INT(bt_mk_encode(&out, &t, plen, pieces, &bare, ih), ==, 0);
	if (CHECK_INT(bt_meta_parse(&m, out.p, out.len, &me), ==, 0)) {
		CHECK_MEM(ih, 20, m.info_hash, 20);
		CHECK_STR(m.name, "renamed");
		check_same_files(__LINE__, &m, &t);
		CHECK_INT(m.announce, ==, -1);
		CHECK_INT(m.announce_list, ==, -1);
		CHECK_INT(m.httpseeds, ==, -1);
		CHECK_INT(m.url_list, ==, -1);
		CHECK_INT(m.comment, ==, -1);
		CHECK_INT(m.created_by, ==, -1);
		CHECK_INT(m.creation_date, ==, -1);
		CHECK_INT(m.priv, ==, -1);
		CHECK_INT(bt_benc_dict_get(&m.doc, m.info, "source"), ==, -1);
	}
	bt_meta_free(&m);
	bt_buf_free(&out);
	bt_tiers_free(&tiers);
	bt_strv_free(&seeds);
	bt_strv_free(&webs);
	free(pieces);
	bt_mktree_free(&t);

	/* A single file. */
	char path[256];
	snprintf(path, sizeof(path), "%s/a.txt", top);
	memset(&t, 0, sizeof(t));
	CHECK_INT(bt_mktree_scan(&t, path, NULL, NULL, &e), ==, 0);
	uint8_t one[3 * 20];
	CHECK_INT(bt_mk_hash(&t, 64, 1, one, NULL, NULL, &e), ==, 0);
	bt_buf_init(&out, 0);
	CHECK_INT(bt_mk_encode(&out, &t, 64, one, &bare, NULL), ==, 0);
	if (CHECK_INT(bt_meta_parse(&m, out.p, out.len, &me), ==, 0)) {
		CHECK_INT(m.multi, ==, 0);
		CHECK_STR(m.name, "renamed");
		check_same_files(__LINE__, &m, &t);
		CHECK_INT(m.npieces, ==, 2);
		CHECK_MEM(m.pieces, 40, one, 40);
		uint8_t h[20];
		bt_sha1(files[1].data, 64, h);
		CHECK_MEM(m.pieces, 20, h, 20);
	}
	bt_meta_free(&m);
	bt_buf_free(&out);
	bt_mktree_free(&t);
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/bt-test-mk-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(top, sizeof(top), "%s/top", tmp);
	if (CHECK_INT(make_tree(), ==, 0)) {
		test_scan();
		test_hash();
		test_hash_changes();
		test_encode();
	}
	CHECK_INT(nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
	for (size_t k = 0; k < NFILES; k++)
		free(files[k].data);
	return check_summary("makemeta");
}
