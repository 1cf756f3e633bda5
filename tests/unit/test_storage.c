/* test_storage.c - pieces on disk: the piece/file mapping (single and
 * multi-file, empty and padding files), reads and writes across file
 * boundaries, verify and check (missing, short and sparse files), fast
 * resume, skipped files, symlinks planted in the tree, and the LRU of
 * descriptors.  Everything happens in a mkdtemp directory that is removed
 * at the end. */
#define _GNU_SOURCE	/* nftw */
#include "storage.h"
#include "benc.h"
#include "bitfield.h"
#include "buf.h"
#include "err.h"
#include "metainfo.h"
#include "rand.h"
#include "sha1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static char tmp[64];	/* the test's scratch directory */

/* ---- fixtures ---- */

struct tf {
	const char *path;	/* '/'-separated */
	int64_t len;
	int pad;
};

struct fx {
	uint8_t *tor;
	size_t ntor;
	struct bt_meta m;
	uint8_t *data;		/* the torrent's bytes */
	int64_t total;
	int ok;
};

static uint64_t rng = 12345;

static uint8_t
rnd(void)
{
	return (uint8_t)(bt_rand64(&rng) >> 56);
}

/* A torrent over files f (multi) or one file of f[0].len (single, named
 * name), with random contents (zeros in padding files, and in the
 * stretches [zero_from, zero_to) of the data). */
static void
fx_make(struct fx *x, const struct tf *f, size_t nf, int multi, uint32_t plen,
	const char *name, int64_t zero_from, int64_t zero_to)
{
	struct bt_buf b;
	struct bt_bw w;
	struct bt_meta_err e;
	int64_t total = 0, at = 0;

	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < nf; i++)
		total += f[i].len;
	x->total = total;
	x->data = malloc((size_t)total + 1);
	for (size_t i = 0; i < nf; i++) {
		for (int64_t k = 0; k < f[i].len; k++, at++)
			x->data[at] = f[i].pad || (at >= zero_from && at < zero_to) ? 0 : rnd();
	}
	size_t np = (size_t)((total + plen - 1) / plen);
	uint8_t *h = malloc(np * 20 + 1);
	for (size_t p = 0; p < np; p++) {
		int64_t off = (int64_t)p * plen;
		int64_t n = total - off < plen ? total - off : plen;
		bt_sha1(x->data + off, (size_t)n, h + p * 20);
	}

	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	bt_bw_key(&w, "info");
	bt_bw_dict(&w);
	if (multi) {
		bt_bw_key(&w, "files");
		bt_bw_list(&w);
		for (size_t i = 0; i < nf; i++) {
			bt_bw_dict(&w);
			if (f[i].pad) {
				bt_bw_key(&w, "attr");
				bt_bw_strs(&w, "p");
			}
			bt_bw_key(&w, "length");
			bt_bw_int(&w, f[i].len);
			bt_bw_key(&w, "path");
			bt_bw_list(&w);
			for (const char *s = f[i].path;;) {
				const char *sl = strchr(s, '/');
				bt_bw_str(&w, s, sl ? (size_t)(sl - s) : strlen(s));
				if (!sl)
					break;
				s = sl + 1;
			}
			bt_bw_end(&w);
			bt_bw_end(&w);
		}
		bt_bw_end(&w);
	} else {
		bt_bw_key(&w, "length");
		bt_bw_int(&w, total);
	}
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, name);
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, plen);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, h, np * 20);
	bt_bw_end(&w);
	bt_bw_end(&w);
	free(h);
	if (!CHECK_INT(bt_bw_finish(&w), ==, 0))
		return;
	x->tor = b.p;
	x->ntor = b.len;
	int rc = bt_meta_parse(&x->m, x->tor, x->ntor, &e);
	if (!CHECK_INT(rc, ==, 0))
		fprintf(stderr, "    %s\n", e.what);
	x->ok = rc == 0;
}

static void
fx_free(struct fx *x)
{
	bt_meta_free(&x->m);
	free(x->tor);
	free(x->data);
}

/* ---- file system helpers ---- */

static char *
pjoin(const char *a, const char *b)
{
	static char buf[8][512];
	static int k;
	char t[512], *p = buf[k++ & 7];
	int n = snprintf(t, sizeof(t), "%s/%s", a, b);
	CHECK(n > 0 && (size_t)n < sizeof(t));	/* (and gcc 12 sees no truncation) */
	memcpy(p, t, sizeof(t));
	return p;
}

/* A fresh directory under tmp. */
static char *
newdir(const char *name)
{
	static char buf[8][256];
	static int k;
	char *p = buf[k++ & 7];
	snprintf(p, 256, "%s/%s", tmp, name);
	CHECK_INT(mkdir(p, 0755), ==, 0);
	return p;
}

static int64_t
fsize(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* The bytes of a file equal p[0..n). */
static int
file_is(const char *path, const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n + 1);
	int fd = open(path, O_RDONLY);
	ssize_t r = fd >= 0 ? pread(fd, b, n + 1, 0) : -1;
	int ok = b && r >= 0 && (size_t)r == n && memcmp(b, p, n) == 0;
	if (fd >= 0)
		close(fd);
	free(b);
	return ok;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
open_fds(void)
{
	return count_entries("/proc/self/fd");
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void
rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write every piece in blocks of blk bytes (blocks cross file ends). */
static int
write_all(struct bt_storage *st, const struct fx *x, uint32_t blk)
{
	uint32_t plen = (uint32_t)x->m.piece_len;
	for (uint32_t p = 0; p < x->m.npieces; p++) {
		uint32_t size = bt_storage_piece_size(st, p);
		for (uint32_t at = 0; at < size; at += blk) {
			uint32_t n = size - at < blk ? size - at : blk;
			int r = bt_storage_write(st, p, at, x->data + (int64_t)p * plen + at, n);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static struct bt_storage *
st_open(const struct fx *x, const char *root, const int8_t *prio, unsigned max_open,
	int sparse)
{
	struct bt_storage *st = NULL;
	struct bt_storage_opts o = { .root = root, .prio = prio, .max_open = max_open,
		.sparse = sparse };
	CHECK_INT(bt_storage_open(&st, &x->m, &o), ==, 0);
	return st;
}

static int64_t
check_all(struct bt_storage *st, struct bt_bitfield *have)
{
	return bt_storage_check(st, have, NULL, NULL);
}

/* The same by ranges of n pieces: smaller check batches. */
static int64_t
check_by(struct bt_storage *st, struct bt_bitfield *have, uint32_t n)
{
	int64_t total = 0, r;

	bt_bitfield_clear_all(have);
	for (uint32_t p = 0; p < have->n; p += n) {
		if ((r = bt_storage_check_range(st, have, p, p + n < have->n ? p + n : have->n)) < 0)
			return r;
		total += r;
	}
	return total;
}

/* ---- tests ---- */

/* Files a(10) b(0) c(3) d/e(25) d/f(0) g(7) with 16-byte pieces: piece 0
 * is a + (b) + c + the first 3 bytes of d/e. */
static const struct tf multi_files[] = {
	{ "a", 10, 0 }, { "b", 0, 0 }, { "c", 3, 0 }, { "d/e", 25, 0 },
	{ "d/f", 0, 0 }, { "g", 7, 0 },
};

static void
test_multi_roundtrip(void)
{
	struct fx x;
	fx_make(&x, multi_files, 6, 1, 16, "multi", 0, 0);
	if (!x.ok)
		return;
	char root[512];
	snprintf(root, sizeof(root), "%s/multi", newdir("rt"));
	struct bt_storage *st = st_open(&x, root, NULL, 0, 0);
	struct bt_bitfield have;
	uint8_t buf[64];

	CHECK_INT(x.m.npieces, ==, 3);
	CHECK_INT(bt_storage_piece_size(st, 0), ==, 16);
	CHECK_INT(bt_storage_piece_size(st, 2), ==, 45 - 32);
	CHECK_INT(bt_storage_piece_size(st, 3), ==, 0);
	CHECK_INT(fsize(root), ==, -1);		/* open creates nothing */
	CHECK_STR(bt_storage_file_path(st, 3), "d/e");
	CHECK(bt_storage_file_path(st, 6) == NULL);

	/* Reading before anything exists: not there. */
	CHECK_INT(bt_storage_read(st, 0, 0, buf, 4), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	CHECK_INT(bt_storage_verify(st, 0), ==, 0);
	bt_bitfield_init(&have, 3);
	CHECK_INT(check_all(st, &have), ==, 0);
	CHECK_INT(fsize(root), ==, -1);		/* check creates nothing */

	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(root, "a")), ==, 0);
	CHECK_INT(fsize(pjoin(root, "b")), ==, 0);
	CHECK_INT(fsize(pjoin(root, "d/f")), ==, 0);

	/* Out of range. */
	CHECK_INT(bt_storage_write(st, 2, 10, buf, 4), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_read(st, 3, 0, buf, 1), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_read(st, 0, 0xffffffffu, buf, 2), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_verify(st, 3), ==, BT_E_INVAL);

	/* One write spanning a, b, c and d/e. */
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 16), ==, 0);
	CHECK(file_is(pjoin(root, "a"), x.data, 10));
	CHECK(file_is(pjoin(root, "c"), x.data + 10, 3));
	CHECK(file_is(pjoin(root, "d/e"), x.data + 13, 3));
	CHECK_INT(bt_storage_verify(st, 0), ==, 1);
	CHECK_INT(bt_storage_verify(st, 1), ==, 0);	/* d/e still short */
	CHECK_INT(bt_storage_read(st, 1, 0, buf, 16), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, 3);

	/* The rest in 5-byte blocks. */
	CHECK_INT(write_all(st, &x, 5), ==, 0);
	CHECK(file_is(pjoin(root, "d/e"), x.data + 13, 25));
	CHECK(file_is(pjoin(root, "g"), x.data + 38, 7));
	for (uint32_t p = 0; p < 3; p++) {
		uint32_t n = bt_storage_piece_size(st, p);
		CHECK_INT(bt_storage_read(st, p, 0, buf, n), ==, 0);
		CHECK_MEM(buf, n, x.data + p * 16, n);
		CHECK_INT(bt_storage_verify(st, p), ==, 1);
	}
	CHECK_INT(bt_storage_read(st, 1, 7, buf, 9), ==, 0);
	CHECK_MEM(buf, 9, x.data + 23, 9);
	CHECK_INT(bt_storage_sync(st), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK(bt_bitfield_complete(&have));

	/* A corrupted byte on disk. */
	int fd = open(pjoin(root, "d/e"), O_WRONLY);
	CHECK_INT(pwrite(fd, "\xff\x00", 1, 20), ==, 1);
	close(fd);
	int bad = x.data[33] == 0xff ? -1 : 1;	/* piece 2 holds byte 33 */
	if (bad > 0) {
		CHECK_INT(bt_storage_verify(st, 2), ==, 0);
		CHECK_INT(check_all(st, &have), ==, 2);
		CHECK(!bt_bitfield_test(&have, 2));
		CHECK(bt_bitfield_test(&have, 1));
	}
	/* A file longer than it should be is cut by create. */
	fd = open(pjoin(root, "g"), O_WRONLY | O_APPEND);
	CHECK_INT(write(fd, "tail", 4), ==, 4);
	close(fd);
	CHECK_INT(fsize(pjoin(root, "g")), ==, 11);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(root, "g")), ==, 7);

	bt_bitfield_fini(&have);
	bt_storage_close(st);
	fx_free(&x);
}

/* Many pieces whose file spans vary, checked against a plain copy; with
 * 3 open files at most every check batch reads one thread at a time, with
 * 64 those spanning few files are read by all hashing threads at once. */
static void
test_many_files(unsigned max_open)
{
	struct tf f[40];
	char names[40][16];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "x/%02d/f", i);
		f[i].path = names[i];
		f[i].len = (i * 37) % 53;	/* some zero */
		f[i].pad = 0;
	}
	struct fx x;
	fx_make(&x, f, 40, 1, 32, "many", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir(max_open > 3 ? "many64" : "many");
	struct bt_storage *st = st_open(&x, root, NULL, max_open, 0);
	struct bt_bitfield have;
	uint8_t buf[32];

	CHECK_INT(write_all(st, &x, 7), ==, 0);
	for (uint32_t p = 0; p < x.m.npieces; p++) {
		uint32_t n = bt_storage_piece_size(st, p);
		for (uint32_t a = 0; a < n; a += 11) {
			uint32_t k = n - a < 13 ? n - a : 13;
			if (bt_storage_read(st, p, a, buf, k) != 0 ||
				memcmp(buf, x.data + p * 32 + a, k) != 0) {
				CHECK(!"read back");
				break;
			}
		}
	}
	for (int i = 0; i < 40; i++) {
		char *p = pjoin(root, names[i]);
		/* Empty files were never written: not created without create. */
		if (f[i].len)
			CHECK(file_is(p, x.data + x.m.files[i].offset, (size_t)f[i].len));
	}
	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(check_all(st, &have), ==, (int64_t)x.m.npieces);
	CHECK_INT(check_by(st, &have, 3), ==, (int64_t)x.m.npieces);
	/* File 20 cut to 25 bytes: exactly the pieces over its lost end
	 * fail, the same whichever way they were read. */
	int64_t cut = x.m.files[20].offset + 25, end = x.m.files[20].offset + f[20].len;
	CHECK_INT(truncate(pjoin(root, names[20]), 25), ==, 0);
	CHECK_INT(check_all(st, &have), ==,
		(int64_t)x.m.npieces - ((end - 1) / 32 - cut / 32 + 1));
	CHECK_INT(check_by(st, &have, 3), ==,
		(int64_t)x.m.npieces - ((end - 1) / 32 - cut / 32 + 1));
	CHECK(!bt_bitfield_test(&have, (uint32_t)(cut / 32)));
	CHECK(bt_bitfield_test(&have, (uint32_t)(cut / 32) - 1));
	bt_bitfield_fini(&have);
	bt_storage_close(st);
	fx_free(&x);
}

static void
test_single(void)
{
	static const struct tf f[] = { { "one.bin", 1000, 0 } };
	struct fx x;
	/* Piece 3 ([192, 256)) is all zeros. */
	fx_make(&x, f, 1, 0, 64, "one.bin", 192, 256);
	if (!x.ok)
		return;
	char *dir = newdir("single");
	char root[512];
	snprintf(root, sizeof(root), "%s/sub/deeper/file.dat", dir);
	struct bt_storage *st = st_open(&x, root, NULL, 0, 1);
	struct bt_bitfield have;
	uint8_t buf[64];

	CHECK_STR(bt_storage_file_path(st, 0), "");
	CHECK_INT(fsize(pjoin(dir, "sub")), ==, -1);
	CHECK_INT(bt_storage_create(st), ==, 0);	/* parents made */
	CHECK_INT(fsize(root), ==, 1000);		/* sparse: full size */
	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	/* All holes: only the zero piece matches, without reading. */
	CHECK_INT(check_all(st, &have), ==, 1);
	CHECK(bt_bitfield_test(&have, 3));
	CHECK_INT(bt_storage_verify(st, 3), ==, 1);
	CHECK_INT(bt_storage_verify(st, 4), ==, 0);

	/* Write every other piece: exactly those (and the zero one) check. */
	for (uint32_t p = 0; p < x.m.npieces; p += 2)
		CHECK_INT(bt_storage_write(st, p, 0, x.data + p * 64,
			bt_storage_piece_size(st, p)), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 8 + 1);
	CHECK(bt_bitfield_test(&have, 0) && !bt_bitfield_test(&have, 1));
	CHECK(bt_bitfield_test(&have, 14) && !bt_bitfield_test(&have, 15));
	CHECK_INT(write_all(st, &x, 64), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 16);
	CHECK_INT(bt_storage_read(st, 15, 0, buf, 1000 - 960), ==, 0);
	CHECK_MEM(buf, 40, x.data + 960, 40);
	CHECK(file_is(root, x.data, 1000));
	bt_storage_close(st);

	/* Non-sparse: the file grows as written; a short file's pieces are
	 * missing. */
	snprintf(root, sizeof(root), "%s/plain.dat", dir);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(root), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 0);	/* even the zero piece */
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 64), ==, 0);
	CHECK_INT(bt_storage_write(st, 1, 0, x.data + 64, 30), ==, 0);
	CHECK_INT(fsize(root), ==, 94);
	CHECK_INT(check_all(st, &have), ==, 1);
	CHECK_INT(bt_storage_write(st, 5, 0, x.data + 320, 64), ==, 0);
	CHECK_INT(fsize(root), ==, 384);		/* a hole before it */
	CHECK_INT(check_all(st, &have), ==, 3);	/* 0, 3 (zeros), 5 */
	CHECK(bt_bitfield_test(&have, 3) && bt_bitfield_test(&have, 5));
	bt_storage_close(st);
	/* The same file again, sparse, checked before create: create still
	 * extends it, and what was there stays good. */
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK_INT(fsize(root), ==, 384);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(root), ==, 1000);
	CHECK_INT(check_all(st, &have), ==, 3);
	bt_storage_close(st);
	bt_bitfield_fini(&have);
	fx_free(&x);
}

static int
on_progress(void *ud, uint32_t done, uint32_t total)
{
	int *calls = ud;
	(*calls)++;
	CHECK_INT(done, <=, total);
	return *calls == 2 ? 99 : 0;
}

static int
count_progress(void *ud, uint32_t done, uint32_t total)
{
	uint32_t *last = ud;
	if (done <= *last || done > total)
		CHECK(!"progress goes forward");
	*last = done;
	return 0;
}

static void
test_check_progress(void)
{
	static const struct tf f[] = { { "p.bin", 200 * 16 + 5, 0 } };
	struct fx x;
	fx_make(&x, f, 1, 0, 16, "p.bin", 0, 0);
	if (!x.ok)
		return;
	char root[512];
	snprintf(root, sizeof(root), "%s/p.bin", newdir("progress"));
	struct bt_storage *st = st_open(&x, root, NULL, 0, 0);
	struct bt_bitfield have;
	int calls = 0;
	uint32_t last = 0;

	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK_INT(bt_storage_check(st, &have, count_progress, &last), ==, 201);
	CHECK_INT(last, ==, 201);
	CHECK_INT(bt_storage_check(st, &have, on_progress, &calls), ==, 99);
	CHECK_INT(calls, ==, 2);
	/* In slices: the range's bits only. */
	bt_bitfield_clear_all(&have);
	CHECK_INT(bt_storage_check_range(st, &have, 10, 15), ==, 5);
	CHECK_INT(bt_bitfield_count(&have), ==, 5);
	CHECK_INT(bt_storage_check_range(st, &have, 195, 201), ==, 6);
	CHECK_INT(bt_storage_check_range(st, &have, 5, 202), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_check_range(st, &have, 5, 4), ==, BT_E_INVAL);
	bt_bitfield_fini(&have);
	bt_bitfield_init(&have, 3);
	CHECK_INT(check_all(st, &have), ==, BT_E_INVAL);	/* wrong size */
	bt_bitfield_fini(&have);
	bt_storage_close(st);
	fx_free(&x);
}

static void
test_pad(void)
{
	static const struct tf f[] = {
		{ "a", 20, 0 }, { ".pad/12", 12, 1 }, { "b", 40, 0 },
		{ ".pad/24", 24, 1 }, { "c", 3, 0 },
	};
	struct fx x;
	fx_make(&x, f, 5, 1, 32, "pad", 0, 0);
	if (!x.ok)
		return;
	CHECK_INT(x.m.files[1].pad, ==, 1);
	char *root = newdir("pad");
	struct bt_storage *st = st_open(&x, root, NULL, 0, 0);
	struct bt_bitfield have;
	uint8_t buf[32];

	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(root, ".pad")), ==, -1);
	CHECK_INT(write_all(st, &x, 9), ==, 0);
	CHECK_INT(fsize(pjoin(root, ".pad")), ==, -1);
	CHECK(file_is(pjoin(root, "b"), x.data + 32, 40));
	CHECK_INT(bt_storage_read(st, 0, 16, buf, 16), ==, 0);
	CHECK_MEM(buf, 16, x.data + 16, 16);
	CHECK_INT(buf[15], ==, 0);
	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(check_all(st, &have), ==, 4);
	CHECK_INT(bt_storage_piece_prio(st, 2), ==, BT_PRIO_NORMAL);
	bt_bitfield_fini(&have);
	bt_storage_close(st);
	fx_free(&x);
}

static void
test_skip(void)
{
	/* 16-byte pieces: a = [0,20) b = [20,50) c = [50,60). */
	static const struct tf f[] = { { "a", 20, 0 }, { "s/b", 30, 0 }, { "c", 10, 0 } };
	static const int8_t prio[] = { BT_PRIO_HIGH, BT_PRIO_SKIP, BT_PRIO_LOW };
	struct fx x;
	fx_make(&x, f, 3, 1, 16, "skip", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("skip");
	struct bt_storage *st = st_open(&x, root, prio, 0, 1);
	struct bt_bitfield have;
	uint8_t buf[16];

	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(root, "a")), ==, 20);
	CHECK_INT(fsize(pjoin(root, "s")), ==, -1);	/* not even its directory */
	CHECK_INT(fsize(pjoin(root, "c")), ==, 10);
	CHECK_INT(bt_storage_prio(st, 1), ==, BT_PRIO_SKIP);
	CHECK_INT(bt_storage_piece_prio(st, 0), ==, BT_PRIO_HIGH);
	CHECK_INT(bt_storage_piece_prio(st, 1), ==, BT_PRIO_HIGH);	/* a + b */
	CHECK_INT(bt_storage_piece_prio(st, 2), ==, BT_PRIO_SKIP);	/* b only */
	CHECK_INT(bt_storage_piece_prio(st, 3), ==, BT_PRIO_LOW);	/* b + c */
	CHECK_INT(bt_storage_piece_prio(st, 4), ==, BT_PRIO_SKIP);	/* out of range */

	/* Pieces 1 and 3 are shared with wanted files: written whole, b's
	 * part in the parts file (b is never made); piece 2 (b only) is
	 * dropped. */
	char parts[512], other[512];
	snprintf(parts, sizeof(parts), "%s/.skip.parts", root);
	snprintf(other, sizeof(other), "%s/skip-other", tmp);
	CHECK_INT(fsize(parts), ==, -1);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK_INT(fsize(pjoin(root, "s")), ==, -1);
	CHECK_INT(fsize(parts), >, 0);
	CHECK(file_is(pjoin(root, "a"), x.data, 20));
	CHECK(file_is(pjoin(root, "c"), x.data + 50, 10));
	CHECK_INT(bt_storage_read(st, 1, 0, buf, 4), ==, 0);	/* inside a */
	CHECK_INT(bt_storage_read(st, 1, 0, buf, 16), ==, 0);	/* a + b */
	CHECK_MEM(buf, 16, x.data + 16, 16);
	CHECK_INT(bt_storage_read(st, 2, 0, buf, 16), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, 1);
	CHECK_INT(bt_storage_verify(st, 1), ==, 1);
	CHECK_INT(bt_storage_verify(st, 3), ==, 1);
	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(check_all(st, &have), ==, 3);		/* 0, 1 and 3 */
	CHECK(!bt_bitfield_test(&have, 2));
	CHECK_INT(bt_storage_piece_present(st, 1), ==, 1);
	CHECK_INT(bt_storage_piece_present(st, 2), ==, 0);
	CHECK_INT(bt_storage_sync(st), ==, 0);
	bt_storage_close(st);
	/* A restart finds them in the parts file. */
	st = st_open(&x, root, prio, 0, 1);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK_INT(bt_storage_present(st, &have), ==, 3);
	/* The parts file gone: its pieces are missing, and it is named. */
	char keep[600];
	snprintf(keep, sizeof(keep), "%s.keep", parts);
	CHECK_INT(rename(parts, keep), ==, 0);
	bt_storage_close(st);
	st = st_open(&x, root, prio, 0, 1);
	CHECK_INT(bt_storage_read(st, 1, 0, buf, 16), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, BT_STORAGE_PARTS);
	CHECK_INT(bt_storage_piece_present(st, 1), ==, 0);
	CHECK_INT(bt_storage_piece_present(st, 3), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 1);
	CHECK_INT(rename(keep, parts), ==, 0);
	bt_storage_close(st);
	st = st_open(&x, root, prio, 0, 1);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(root, "s")), ==, -1);

	/* Wanted again: created (sparse: full size) with its bytes from the
	 * parts file, which goes; now it can be had. */
	CHECK_INT(bt_storage_set_prio(st, 1, BT_PRIO_NORMAL), ==, 0);
	CHECK_INT(fsize(pjoin(root, "s/b")), ==, 30);
	CHECK_INT(fsize(parts), ==, -1);
	CHECK_INT(bt_storage_verify(st, 1), ==, 1);
	CHECK_INT(bt_storage_verify(st, 3), ==, 1);
	CHECK_INT(bt_storage_piece_prio(st, 2), ==, BT_PRIO_NORMAL);
	CHECK_INT(bt_storage_set_prio(st, 1, 3), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_set_prio(st, 9, 0), ==, BT_E_INVAL);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 4);
	/* Skipped again: the data stays; the shared pieces are read from
	 * the file (no parts file), the piece of b alone is not had. */
	CHECK_INT(bt_storage_set_prio(st, 1, BT_PRIO_SKIP), ==, 0);
	CHECK_INT(fsize(pjoin(root, "s/b")), ==, 30);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK(!bt_bitfield_test(&have, 2));
	bt_storage_close(st);
	rm_rf(pjoin(root, "s"));

	/* Something else in the parts file's place: refused, untouched. */
	int fd = open(parts, O_CREAT | O_WRONLY, 0644);
	CHECK_INT(write(fd, "not ours", 8), ==, 8);
	close(fd);
	st = st_open(&x, root, prio, 0, 1);
	CHECK_INT(bt_storage_write(st, 1, 4, x.data + 20, 12), ==, BT_E_EXIST);
	CHECK_INT(bt_storage_last_file(st), ==, BT_STORAGE_PARTS);
	const char *verb = NULL, *why = bt_storage_last_why(st, &verb);
	CHECK(why && strstr(why, "parts file"));
	char path[600];
	CHECK_STR(bt_storage_path(st, BT_STORAGE_PARTS, path, sizeof(path)), parts);
	CHECK(file_is(parts, (const uint8_t *)"not ours", 8));
	bt_storage_close(st);
	/* ... and a hard link to it. */
	CHECK_INT(unlink(parts), ==, 0);
	fd = open(other, O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK_INT(link(other, parts), ==, 0);
	st = st_open(&x, root, prio, 0, 1);
	CHECK_INT(bt_storage_write(st, 1, 4, x.data + 20, 12), ==, BT_E_INVAL);
	CHECK(bt_storage_last_why(st, NULL) != NULL);
	CHECK_INT(fsize(other), ==, 0);
	bt_storage_close(st);
	CHECK_INT(unlink(parts), ==, 0);
	bt_bitfield_fini(&have);
	fx_free(&x);
}

/* The parts file's name: next to a torrent path that takes it. */
static void
test_parts_name(void)
{
	static const struct tf f[] = { { ".pn.parts", 20, 0 }, { "b", 30, 0 } };
	static const int8_t prio[] = { BT_PRIO_NORMAL, BT_PRIO_SKIP };
	struct fx x;
	fx_make(&x, f, 2, 1, 16, "pn", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("pn");
	struct bt_storage *st = st_open(&x, root, prio, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK(file_is(pjoin(root, ".pn.parts"), x.data, 20));
	CHECK_INT(fsize(pjoin(root, "..pn.parts")), >, 0);
	CHECK_INT(fsize(pjoin(root, "b")), ==, -1);
	CHECK_INT(bt_storage_verify(st, 1), ==, 1);
	bt_storage_close(st);
	fx_free(&x);
}

/* A file of n random bytes (seeded by n). */
static void
put_file(const char *path, size_t n, const uint8_t *data)
{
	uint8_t *b = malloc(n + 1);
	uint64_t r = n;
	for (size_t k = 0; k < n; k++)
		b[k] = data ? data[k] : (uint8_t)(bt_rand64(&r) >> 56);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK_INT(write(fd, b, n), ==, (ssize_t)n);
	close(fd);
	free(b);
}

/* The bytes of a file, for comparing later (free it). */
static uint8_t *
slurp(const char *path, size_t *n)
{
	int64_t sz = fsize(path);
	uint8_t *b = malloc(sz > 0 ? (size_t)sz : 1);
	int fd = open(path, O_RDONLY);
	*n = sz > 0 && fd >= 0 && pread(fd, b, (size_t)sz, 0) == sz ? (size_t)sz : 0;
	if (fd >= 0)
		close(fd);
	return b;
}

/* Check, then create: what bt download does at its start. */
static int
check_create(struct bt_storage *st, uint32_t npieces)
{
	struct bt_bitfield have;
	bt_bitfield_init(&have, npieces);
	int64_t r = check_all(st, &have);
	bt_bitfield_fini(&have);
	return r < 0 ? (int)r : bt_storage_create(st);
}

/* Existing files that are not the torrent's are neither cut nor
 * overwritten without overwrite; ours (verified pieces, our resume
 * record, empty, all holes) are used. */
static void
test_foreign(void)
{
	static const struct tf f[] = { { "report.pdf", 100, 0 } };
	struct fx x;
	fx_make(&x, f, 1, 0, 64, "report.pdf", 0, 0);
	if (!x.ok)
		return;
	char *dir = newdir("foreign");
	char root[512], path[600];
	snprintf(root, sizeof(root), "%s/report.pdf", dir);
	struct bt_storage *st;
	const char *verb = NULL, *why;
	uint8_t *before;
	size_t nb, n;

	/* The user's 1 MiB report.pdf, a 100-byte torrent of that name. */
	put_file(root, 1 << 20, NULL);
	before = slurp(root, &nb);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, BT_E_EXIST);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	why = bt_storage_last_why(st, &verb);
	CHECK(why && strstr(why, "longer") && strstr(why, "--overwrite 1"));
	CHECK_STR(verb, "refusing to cut");
	CHECK_STR(bt_storage_path(st, 0, path, sizeof(path)), root);
	CHECK_INT(bt_storage_write(st, 1, 0, x.data + 64, 36), ==, BT_E_EXIST);
	CHECK_INT(bt_storage_set_prio(st, 0, BT_PRIO_HIGH), ==, 0);	/* not from skip */
	bt_storage_close(st);
	uint8_t *after = slurp(root, &n);
	CHECK(n == nb && memcmp(before, after, n) == 0);
	free(after);
	free(before);

	/* Shorter, other data: refused too, and never written. */
	put_file(root, 80, NULL);
	before = slurp(root, &nb);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, BT_E_EXIST);
	why = bt_storage_last_why(st, &verb);
	CHECK(why && strstr(why, "does not hold this torrent's data"));
	CHECK_STR(verb, "refusing to overwrite");
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 64), ==, BT_E_EXIST);
	CHECK_INT(bt_storage_write(st, 1, 0, x.data + 64, 36), ==, BT_E_EXIST);
	bt_storage_close(st);
	after = slurp(root, &n);
	CHECK(n == nb && memcmp(before, after, n) == 0);
	free(after);
	free(before);

	/* With overwrite: taken, cut or extended to size, and written. */
	put_file(root, 1 << 20, NULL);
	struct bt_storage_opts o = { .root = root, .sparse = 1, .overwrite = 1 };
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, 0);
	CHECK_INT(check_create(st, 2), ==, 0);
	CHECK_INT(fsize(root), ==, 100);
	CHECK_INT(write_all(st, &x, 64), ==, 0);
	CHECK(file_is(root, x.data, 100));
	bt_storage_close(st);

	/* Ours, partly there (piece 0 verifies): used, extended. */
	put_file(root, 64, x.data);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, 0);
	CHECK_INT(fsize(root), ==, 100);
	CHECK_INT(bt_storage_write(st, 1, 0, x.data + 64, 36), ==, 0);
	CHECK(file_is(root, x.data, 100));
	bt_storage_close(st);
	/* Ours but longer (something was appended): refused all the same. */
	int fd = open(root, O_WRONLY | O_APPEND);
	CHECK_INT(write(fd, "more", 4), ==, 4);
	close(fd);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, BT_E_EXIST);
	CHECK_INT(fsize(root), ==, 104);
	bt_storage_close(st);

	/* Empty, or all holes (what a run of ours leaves before any data):
	 * nothing to lose. */
	CHECK_INT(unlink(root), ==, 0);
	put_file(root, 0, NULL);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, 0);
	CHECK_INT(fsize(root), ==, 100);	/* holes only now */
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, 0);
	bt_storage_close(st);

	/* Written by us, no piece verified yet, then a crash: our resume
	 * record vouches for it; without the record it is refused. */
	CHECK_INT(unlink(root), ==, 0);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, 0);
	struct bt_bitfield have, re;
	struct bt_buf b;
	bt_bitfield_init(&have, 2);
	bt_bitfield_init(&re, 2);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_storage_resume_write(st, &have, &b), ==, 0);
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 32), ==, 0);	/* half a piece */
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, BT_E_EXIST);
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &have, &re), ==, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(bt_storage_write(st, 0, 32, x.data + 32, 32), ==, 0);
	CHECK_INT(bt_storage_verify(st, 0), ==, 1);
	bt_storage_close(st);
	/* The record is the torrent's, not the place's: elsewhere, a file of
	 * that name is not vouched for, unless it is as recorded (a copy
	 * with its size and time kept). */
	char other[512];
	snprintf(other, sizeof(other), "%s/report.pdf", newdir("foreign-elsewhere"));
	put_file(other, 100, NULL);
	st = st_open(&x, other, NULL, 0, 1);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &have, &re), ==, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_EXIST);
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 1);
	bt_buf_free(&b);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_storage_resume_write(st, &have, &b), ==, 0);
	bt_storage_close(st);
	struct stat sb;
	CHECK_INT(stat(root, &sb), ==, 0);
	struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
	CHECK_INT(utimensat(AT_FDCWD, other, ts, 0), ==, 0);
	st = st_open(&x, other, NULL, 0, 1);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &have, &re), ==, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	bt_storage_close(st);
	bt_buf_free(&b);
	bt_bitfield_fini(&have);
	bt_bitfield_fini(&re);

	/* Multi-file: a verified piece vouches for the files it touches
	 * only; a skipped file becoming wanted is refused the same way. */
	static const struct tf mf[] = { { "a", 20, 0 }, { "b", 12, 0 }, { "c", 40, 0 } };
	static const int8_t prio[] = { BT_PRIO_NORMAL, BT_PRIO_NORMAL, BT_PRIO_SKIP };
	struct fx y;
	fx_make(&y, mf, 3, 1, 16, "fm", 0, 0);
	if (y.ok) {
		char *mroot = newdir("foreign-multi");
		char pc[512];
		snprintf(pc, sizeof(pc), "%s/c", mroot);
		put_file(pjoin(mroot, "a"), 20, y.data);
		put_file(pjoin(mroot, "b"), 12, NULL);		/* the user's */
		put_file(pc, 7, NULL);				/* the user's */
		st = st_open(&y, mroot, prio, 0, 1);
		CHECK_INT(check_create(st, (uint32_t)y.m.npieces), ==, BT_E_EXIST);
		CHECK_INT(bt_storage_last_file(st), ==, 1);
		CHECK_STR(bt_storage_path(st, 1, path, sizeof(path)), pjoin(mroot, "b"));
		bt_storage_close(st);
		CHECK_INT(unlink(pjoin(mroot, "b")), ==, 0);
		st = st_open(&y, mroot, prio, 0, 1);
		CHECK_INT(check_create(st, (uint32_t)y.m.npieces), ==, 0);
		CHECK_INT(bt_storage_set_prio(st, 2, BT_PRIO_NORMAL), ==, BT_E_EXIST);
		CHECK_INT(bt_storage_prio(st, 2), ==, BT_PRIO_SKIP);
		CHECK_INT(fsize(pc), ==, 7);
		bt_storage_close(st);
	}
	fx_free(&y);
	fx_free(&x);
}

/* Hard links: never written through; read (a seed's files may have
 * other names). */
static void
test_hardlink(void)
{
	static const struct tf f[] = { { "a", 20, 0 }, { "b", 12, 0 } };
	struct fx x;
	fx_make(&x, f, 2, 1, 16, "hl", 0, 0);
	if (!x.ok)
		return;
	char *outside = newdir("hl-outside");
	char *root = newdir("hl");
	char target[512], ra[512];
	snprintf(target, sizeof(target), "%s/target", outside);
	snprintf(ra, sizeof(ra), "%s/a", root);
	struct bt_storage *st;
	uint8_t buf[16];

	/* Piece 0 of a, verified, in a file linked from outside: the file
	 * is ours, but extending or writing it would change the outside
	 * name too. */
	put_file(target, 16, x.data);
	CHECK_INT(link(target, ra), ==, 0);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	const char *verb = NULL, *why = bt_storage_last_why(st, &verb);
	CHECK_STR(why ? why : "", "it has 2 hard links (writing would change the other names too)");
	CHECK_INT(bt_storage_write(st, 1, 0, x.data + 16, 4), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_read(st, 0, 0, buf, 16), ==, 0);
	bt_storage_close(st);
	CHECK(file_is(target, x.data, 16));

	/* A stranger's file of the right size, with overwrite: taken (no
	 * write needed to create it), but the first write is refused. */
	put_file(target, 20, NULL);
	uint8_t *before;
	size_t nb, n;
	before = slurp(target, &nb);
	struct bt_storage_opts o = { .root = root, .sparse = 1, .overwrite = 1 };
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, 0);
	CHECK_INT(check_create(st, 2), ==, 0);
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 16), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	bt_storage_close(st);
	uint8_t *after = slurp(target, &n);
	CHECK(n == nb && memcmp(before, after, n) == 0);
	free(before);
	free(after);

	/* Complete and linked: a seed reads it. */
	put_file(target, 20, x.data);
	put_file(pjoin(root, "b"), 12, x.data + 20);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(check_create(st, 2), ==, 0);
	CHECK_INT(bt_storage_read(st, 1, 0, buf, 16), ==, 0);
	CHECK_MEM(buf, 16, x.data + 16, 16);
	bt_storage_close(st);
	fx_free(&x);
}

/* A file cut behind our back: reads fail naming it, and exactly the
 * pieces whose bytes are gone are not present. */
static void
test_lost(void)
{
	static const struct tf f[] = { { "a", 40, 0 }, { "b", 100, 0 } };
	struct fx x;
	fx_make(&x, f, 2, 1, 16, "lost", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("lost");
	struct bt_storage *st = st_open(&x, root, NULL, 0, 1);
	uint8_t buf[16];
	uint32_t a, b;

	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK_INT(bt_storage_file_pieces(st, 0, &a, &b), ==, 0);
	CHECK(a == 0 && b == 2);
	CHECK_INT(bt_storage_file_pieces(st, 1, &a, &b), ==, 0);
	CHECK(a == 2 && b == 8);
	CHECK_INT(bt_storage_file_pieces(st, 2, &a, &b), ==, BT_E_INVAL);
	/* b cut to 50 bytes: pieces 2..5 ([32, 90)) stay, 5 goes ([80, 96)
	 * is b's [40, 56)), 6..8 go. */
	CHECK_INT(truncate(pjoin(root, "b"), 50), ==, 0);
	CHECK_INT(bt_storage_read(st, 7, 0, buf, 16), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, 1);
	for (uint32_t p = 0; p < 9; p++)
		CHECK_INT(bt_storage_piece_present(st, p), ==, p < 5);
	CHECK_INT(bt_storage_read(st, 3, 0, buf, 16), ==, 0);
	CHECK_MEM(buf, 16, x.data + 48, 16);
	/* Gone altogether. */
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "a")), ==, 0);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(bt_storage_read(st, 0, 0, buf, 16), ==, BT_E_NOENT);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	CHECK_INT(bt_storage_piece_present(st, 0), ==, 0);
	CHECK_INT(bt_storage_piece_present(st, 3), ==, 1);
	bt_storage_close(st);
	fx_free(&x);
}

static void
test_resume(void)
{
	struct fx x;
	fx_make(&x, multi_files, 6, 1, 16, "resume", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("resume");
	struct bt_storage *st = st_open(&x, root, NULL, 0, 0);
	struct bt_bitfield have, got, re;
	struct bt_buf b;

	bt_bitfield_init(&have, 3);
	bt_bitfield_init(&got, 3);
	bt_bitfield_init(&re, 3);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	CHECK_INT(bt_storage_sync(st), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 3);
	CHECK_INT(bt_storage_resume_write(st, &have, &b), ==, 0);
	CHECK(b.len > 0 && b.p[0] == 'd');

	/* The record's shape. */
	struct bt_benc d = { 0 };
	const uint8_t *p;
	size_t n;
	int64_t v;
	CHECK_INT(bt_benc_parse(&d, b.p, b.len, &bt_benc_lim_strict, NULL), ==, 0);
	CHECK_INT(bt_benc_int(&d, bt_benc_dict_get(&d, 0, "version"), &v), ==, 0);
	CHECK_INT(v, ==, 1);
	CHECK_INT(bt_benc_str(&d, bt_benc_dict_get(&d, 0, "info hash"), &p, &n), ==, 0);
	CHECK_MEM(p, n, x.m.info_hash, 20);
	CHECK_INT(bt_benc_str(&d, bt_benc_dict_get(&d, 0, "pieces"), &p, &n), ==, 0);
	CHECK_MEM(p, n, "\xe0", 1);
	int fl = bt_benc_dict_get(&d, 0, "files");
	CHECK_INT(bt_benc_count(&d, fl), ==, 6);
	int e3 = bt_benc_first(&d, fl);
	for (int k = 0; k < 3; k++)
		e3 = bt_benc_next(&d, fl, e3);
	CHECK_INT(bt_benc_int(&d, bt_benc_first(&d, e3), &v), ==, 0);
	CHECK_INT(v, ==, 25);
	bt_benc_free(&d);

	/* Loaded as written: all had, nothing to recheck. */
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &got, &re), ==, 0);
	CHECK_INT(bt_bitfield_count(&got), ==, 3);
	CHECK_INT(bt_bitfield_count(&re), ==, 0);

	/* A new storage (a restart) reads it the same. */
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &got, &re), ==, 0);
	CHECK_INT(bt_bitfield_count(&got), ==, 3);
	CHECK_INT(bt_bitfield_count(&re), ==, 0);

	/* Touch d/e (pieces 0, 1 and 2): those must be rechecked. */
	struct timespec ts[2] = { { 1000000, 5 }, { 1000000, 5 } };
	CHECK_INT(utimensat(AT_FDCWD, pjoin(root, "d/e"), ts, 0), ==, 0);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &got, &re), ==, 0);
	CHECK_INT(bt_bitfield_count(&got), ==, 0);
	CHECK_INT(bt_bitfield_count(&re), ==, 3);
	/* Touch g only (piece 2). */
	bt_buf_free(&b);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_storage_resume_write(st, &have, &b), ==, 0);
	CHECK_INT(utimensat(AT_FDCWD, pjoin(root, "g"), ts, 0), ==, 0);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &got, &re), ==, 0);
	CHECK(bt_bitfield_test(&got, 0) && bt_bitfield_test(&got, 1));
	CHECK(!bt_bitfield_test(&got, 2) && bt_bitfield_test(&re, 2));
	CHECK_INT(bt_bitfield_count(&re), ==, 1);
	CHECK_INT(bt_storage_verify(st, 2), ==, 1);
	/* A file that vanished: its pieces are rechecked, and fail. */
	CHECK_INT(unlink(pjoin(root, "a")), ==, 0);
	bt_storage_close(st);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &got, &re), ==, 0);
	CHECK(!bt_bitfield_test(&got, 0) && bt_bitfield_test(&re, 0));
	CHECK_INT(bt_storage_verify(st, 0), ==, 0);

	/* Records that are not for this torrent, or broken. */
	struct bt_bitfield few;
	bt_bitfield_init(&few, 2);
	CHECK_INT(bt_storage_resume_load(st, b.p, b.len, &few, &re), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_resume_write(st, &few, &b), ==, BT_E_INVAL);
	bt_bitfield_fini(&few);
	static const char *const bad[] = {
		"",
		"de",
		"i1e",
		("d5:filesle9:info hash20:xxxxxxxxxxxxxxxxxxxx6:pieces1:\xe0"
		"7:versioni1ee"),
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		bt_bitfield_set(&got, 1);
		CHECK_INT(bt_storage_resume_load(st, (const uint8_t *)bad[k], strlen(bad[k]),
			&got, &re), ==, BT_E_PARSE);
		CHECK_INT(bt_bitfield_count(&got), ==, 0);
	}
	/* Take the good record apart byte by byte: every change is caught or
	 * harmless, never a crash.  Truncations all fail. */
	for (size_t k = 0; k < b.len; k++)
		CHECK_INT(bt_storage_resume_load(st, b.p, k, &got, &re), ==, BT_E_PARSE);
	uint8_t *m = malloc(b.len);
	int caught = 0;
	for (size_t k = 0; k < b.len; k++) {
		memcpy(m, b.p, b.len);
		m[k] ^= 0x55;
		caught += bt_storage_resume_load(st, m, b.len, &got, &re) == BT_E_PARSE;
	}
	CHECK_INT(caught, >, (int)b.len / 2);
	/* Another info hash, a wrong-sized bitfield, a spare bit set, a
	 * wrong file count, a bad nsec. */
	struct {
		const char *from, *to;
	} edits[] = {
		{ "9:info hash20:", NULL },
		{ "6:pieces1:\xe0", "6:pieces2:\xe0" "A" },
		{ "6:pieces1:\xe0", "6:pieces1:\xe1" },
		{ "7:versioni1e", "7:versioni2e" },
	};
	for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
		struct bt_buf c;
		bt_buf_init(&c, 0);
		uint8_t *at = memmem(b.p, b.len, edits[k].from, strlen(edits[k].from));
		if (!CHECK(at != NULL)) {
			bt_buf_free(&c);
			continue;
		}
		size_t pre = (size_t)(at - b.p) + strlen(edits[k].from);
		bt_buf_add(&c, b.p, pre);
		if (edits[k].to) {
			c.len -= strlen(edits[k].from);
			bt_buf_add(&c, edits[k].to, strlen(edits[k].to));
			bt_buf_add(&c, b.p + pre, b.len - pre);
		} else {
			bt_buf_add(&c, b.p + pre, b.len - pre);
			c.p[pre] ^= 1;	/* first byte of the hash */
		}
		CHECK_INT(bt_storage_resume_load(st, c.p, c.len, &got, &re), ==, BT_E_PARSE);
		bt_buf_free(&c);
	}
	free(m);
	bt_buf_free(&b);
	bt_bitfield_fini(&have);
	bt_bitfield_fini(&got);
	bt_bitfield_fini(&re);
	bt_storage_close(st);
	fx_free(&x);
}

/* A record with hand-written file entries. */
static void
test_resume_entries(void)
{
	static const struct tf f[] = { { "a", 20, 0 }, { "b", 12, 0 } };
	struct fx x;
	fx_make(&x, f, 2, 1, 16, "ent", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("entries");
	struct bt_storage *st = st_open(&x, root, NULL, 0, 0);
	struct bt_bitfield got, re;
	bt_bitfield_init(&got, 2);
	bt_bitfield_init(&re, 2);
	const char *entries[] = {
		"l li-1ei0ei0ee li-1ei0ei0ee e",		/* ok: both missing */
		"l li-1ei0ei0ee e",				/* too few */
		"l li-1ei0ei0ee li-1ei0ei0ee li-1ei0ei0ee e",	/* too many */
		"l li-1ei0ei0ee li-1ei0eee",			/* short entry */
		"l li-1ei0ei0ee li-1ei0ei1000000000ee e",	/* nsec */
		"l li-1ei0ei0ee li-2ei0ei0ee e",		/* size */
		"l li-1ei0ei0ee l1:ai0ei0ee e",			/* not an int */
		"l li-1ei0ei0ee i5e e",				/* not a list */
	};
	for (size_t k = 0; k < sizeof(entries) / sizeof(entries[0]); k++) {
		struct bt_buf b;
		bt_buf_init(&b, 0);
		bt_buf_adds(&b, "d5:files");
		for (const char *s = entries[k]; *s; s++)
			if (*s != ' ')
				bt_buf_addc(&b, (uint8_t)*s);
		bt_buf_adds(&b, "9:info hash20:");
		bt_buf_add(&b, x.m.info_hash, 20);
		bt_buf_adds(&b, "6:pieces1:\xc0" "7:versioni1ee");
		int rc = bt_storage_resume_load(st, b.p, b.len, &got, &re);
		CHECK_INT(rc, ==, k == 0 ? 0 : BT_E_PARSE);
		if (k == 0) {
			/* Files still missing, as recorded: trusted. */
			CHECK_INT(bt_bitfield_count(&got), ==, 2);
			CHECK_INT(bt_bitfield_count(&re), ==, 0);
		}
		bt_buf_free(&b);
	}
	bt_bitfield_fini(&got);
	bt_bitfield_fini(&re);
	bt_storage_close(st);
	fx_free(&x);
}

#define SYMLINK_WHY "is a symbolic link (bt does not write through links inside a download)"

/* The last failure was a refusal: "refusing to use", and the reason
 * "<who> <what>" (who NULL: "it"). */
static void
why_is_at(int line, const struct bt_storage *st, const char *who, const char *what)
{
	const char *verb = NULL, *why = bt_storage_last_why(st, &verb);
	char want[1200];

	snprintf(want, sizeof(want), "%s %s", who ? who : "it", what);
	CHECK_STR_AT(line, why ? why : "(none)", want);
	CHECK_STR_AT(line, verb ? verb : "(none)", "refusing to use");
}
#define why_is(st, who, what) why_is_at(__LINE__, st, who, what)

static void
test_symlinks(void)
{
	static const struct tf f[] = { { "dir/x", 20, 0 }, { "y", 12, 0 } };
	struct fx x;
	fx_make(&x, f, 2, 1, 16, "sym", 0, 0);
	if (!x.ok)
		return;
	char *outside = newdir("outside");
	char *root = newdir("symroot");
	struct bt_storage *st;
	struct bt_bitfield have;
	bt_bitfield_init(&have, 2);

	/* root/dir -> outside */
	CHECK_INT(symlink(outside, pjoin(root, "dir")), ==, 0);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	why_is(st, pjoin(root, "dir"), SYMLINK_WHY);
	CHECK_INT(bt_storage_write(st, 0, 0, x.data, 16), ==, BT_E_INVAL);
	why_is(st, pjoin(root, "dir"), SYMLINK_WHY);
	CHECK_INT(check_all(st, &have), ==, BT_E_INVAL);
	why_is(st, pjoin(root, "dir"), SYMLINK_WHY);
	CHECK_INT(count_entries(outside), ==, 0);
	/* The other file is fine. */
	CHECK_INT(bt_storage_write(st, 1, 4, x.data + 20, 12), ==, 0);
	CHECK(file_is(pjoin(root, "y"), x.data + 20, 12));
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "dir")), ==, 0);

	/* root/y -> outside/target, an existing file and a dangling link. */
	CHECK_INT(unlink(pjoin(root, "y")), ==, 0);
	int fd = open(pjoin(outside, "target"), O_CREAT | O_WRONLY, 0644);
	CHECK_INT(write(fd, "keep", 4), ==, 4);
	close(fd);
	CHECK_INT(symlink(pjoin(outside, "target"), pjoin(root, "y")), ==, 0);
	st = st_open(&x, root, NULL, 0, 1);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 1);
	why_is(st, NULL, SYMLINK_WHY);
	CHECK_INT(bt_storage_write(st, 1, 4, x.data + 20, 12), ==, BT_E_INVAL);
	uint8_t buf[16];
	CHECK_INT(bt_storage_read(st, 1, 4, buf, 4), ==, BT_E_INVAL);
	why_is(st, NULL, SYMLINK_WHY);
	CHECK(file_is(pjoin(outside, "target"), (const uint8_t *)"keep", 4));
	struct bt_buf b;
	bt_buf_init(&b, 0);
	CHECK_INT(bt_storage_resume_write(st, &have, &b), ==, 0);
	CHECK(memmem(b.p, b.len, "li-1ei0ei0ee", 12) != NULL);	/* not described */
	bt_buf_free(&b);
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "y")), ==, 0);
	CHECK_INT(symlink(pjoin(outside, "nothing"), pjoin(root, "y")), ==, 0);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_write(st, 1, 4, x.data + 20, 12), ==, BT_E_INVAL);
	why_is(st, NULL, SYMLINK_WHY);
	CHECK_INT(fsize(pjoin(outside, "nothing")), ==, -1);
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "y")), ==, 0);

	/* A FIFO where a file belongs: refused, no hang. */
	CHECK_INT(mkfifo(pjoin(root, "y"), 0644), ==, 0);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_read(st, 1, 4, buf, 4), ==, BT_E_INVAL);
	why_is(st, NULL, "is a FIFO where a regular file is needed");
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	why_is(st, NULL, "is a FIFO where a regular file is needed");
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "y")), ==, 0);
	/* A directory where a file belongs. */
	CHECK_INT(mkdir(pjoin(root, "y"), 0755), ==, 0);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 1);
	why_is(st, NULL, "is a directory where a regular file is needed");
	bt_storage_close(st);
	CHECK_INT(rmdir(pjoin(root, "y")), ==, 0);
	/* A file, and a FIFO, where a directory belongs. */
	rm_rf(pjoin(root, "dir"));
	fd = open(pjoin(root, "dir"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	CHECK_INT(bt_storage_last_file(st), ==, 0);
	why_is(st, pjoin(root, "dir"), "is a file where a directory is needed");
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "dir")), ==, 0);
	CHECK_INT(mkfifo(pjoin(root, "dir"), 0644), ==, 0);
	st = st_open(&x, root, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	why_is(st, pjoin(root, "dir"), "is a FIFO where a directory is needed");
	bt_storage_close(st);
	CHECK_INT(unlink(pjoin(root, "dir")), ==, 0);
	/* A file where a directory above the root belongs (the user's part
	 * of the path). */
	fd = open(pjoin(tmp, "plainfile"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	{
		char under[600];
		snprintf(under, sizeof(under), "%s/sub/root", pjoin(tmp, "plainfile"));
		st = st_open(&x, under, NULL, 0, 0);
		CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
		CHECK_INT(bt_storage_last_file(st), ==, 0);
		why_is(st, pjoin(tmp, "plainfile"), "is a file where a directory is needed");
		bt_storage_close(st);
	}
	CHECK_INT(unlink(pjoin(tmp, "plainfile")), ==, 0);

	/* The multi-file root itself a symlink: refused; a symlink above
	 * the root: the user's choice, followed. */
	char *real = newdir("realroot");
	char *lnk = pjoin(tmp, "linkroot");
	CHECK_INT(symlink(real, lnk), ==, 0);
	st = st_open(&x, lnk, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
	why_is(st, lnk, SYMLINK_WHY);
	CHECK_INT(count_entries(real), ==, 0);
	bt_storage_close(st);
	char above[512];
	snprintf(above, sizeof(above), "%s/inner", lnk);
	st = st_open(&x, above, NULL, 0, 0);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(fsize(pjoin(real, "inner/dir/x")), ==, 0);
	bt_storage_close(st);

	/* Single file: the file itself a symlink is refused. */
	static const struct tf one[] = { { "s", 10, 0 } };
	struct fx y;
	fx_make(&y, one, 1, 0, 16, "s", 0, 0);
	if (y.ok) {
		char *sroot = pjoin(root, "single");
		CHECK_INT(symlink(pjoin(outside, "target"), sroot), ==, 0);
		st = st_open(&y, sroot, NULL, 0, 0);
		CHECK_INT(bt_storage_create(st), ==, BT_E_INVAL);
		why_is(st, NULL, SYMLINK_WHY);
		CHECK_INT(bt_storage_write(st, 0, 0, y.data, 10), ==, BT_E_INVAL);
		CHECK(file_is(pjoin(outside, "target"), (const uint8_t *)"keep", 4));
		bt_storage_close(st);
	}
	fx_free(&y);

	bt_bitfield_fini(&have);
	fx_free(&x);
}

static void
test_open_args(void)
{
	static const struct tf f[] = { { "a", 20, 0 }, { "b", 12, 0 } };
	struct fx x, y;
	struct bt_storage *st;
	struct bt_storage_opts o = { 0 };
	fx_make(&x, f, 2, 1, 16, "args", 0, 0);
	fx_make(&y, f, 1, 0, 16, "one", 0, 0);
	if (!x.ok || !y.ok)
		goto out;
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, BT_E_INVAL);	/* no root */
	CHECK(st == NULL);
	o.root = "";
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, BT_E_INVAL);
	o.root = tmp;
	int8_t prio[2] = { 0, 5 };
	o.prio = prio;
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, BT_E_INVAL);
	o.prio = NULL;
	CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, 0);
	bt_storage_close(st);
	/* A single file's root must name a file. */
	o.root = ".";
	CHECK_INT(bt_storage_open(&st, &y.m, &o), ==, BT_E_INVAL);
	o.root = "/";
	CHECK_INT(bt_storage_open(&st, &y.m, &o), ==, BT_E_INVAL);
	o.root = "x/..";
	CHECK_INT(bt_storage_open(&st, &y.m, &o), ==, BT_E_INVAL);
	/* Paths that metainfo would refuse, slipped in after parsing. */
	char *saved = x.m.files[1].path;
	const char *evil[] = { "../b", "/etc/b", "a//b", "./b", "d/..", "" };
	for (size_t k = 0; k < sizeof(evil) / sizeof(evil[0]); k++) {
		x.m.files[1].path = (char *)evil[k];
		o.root = tmp;
		CHECK_INT(bt_storage_open(&st, &x.m, &o), ==, BT_E_INVAL);
	}
	x.m.files[1].path = saved;
	bt_storage_close(NULL);
out:
	fx_free(&x);
	fx_free(&y);
}

static void
test_lru(void)
{
	struct tf f[30];
	char names[30][16];
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d/f%02d", i % 3, i);
		f[i].path = names[i];
		f[i].len = 5 + i % 4;
		f[i].pad = 0;
	}
	struct fx x;
	fx_make(&x, f, 30, 1, 16, "lru", 0, 0);
	if (!x.ok)
		return;
	char *root = newdir("lru");
	int base = open_fds();
	struct bt_storage *st = st_open(&x, root, NULL, 1, 0);
	struct bt_bitfield have;

	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(write_all(st, &x, 16), ==, 0);
	/* One file, the root and one cached directory at most. */
	CHECK_INT(open_fds(), <=, base + 3);
	for (uint32_t p = 0; p < x.m.npieces; p++)
		CHECK_INT(bt_storage_verify(st, p), ==, 1);
	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(check_all(st, &have), ==, (int64_t)x.m.npieces);
	CHECK_INT(bt_storage_sync(st), ==, 0);
	CHECK_INT(open_fds(), <=, base + 3);
	for (int i = 0; i < 30; i++)
		CHECK(file_is(pjoin(root, names[i]), x.data + x.m.files[i].offset,
			(size_t)f[i].len));
	bt_storage_close(st);
	CHECK_INT(open_fds(), ==, base);
	bt_bitfield_fini(&have);
	fx_free(&x);
}

/* Bigger pieces (pairs hashed at once, an odd count, a short last one),
 * and a sparse file partly written. */
static void
test_check_pairs(void)
{
	static const struct tf f[] = { { "big", 7 * 65536 + 1000, 0 } };
	struct fx x;
	fx_make(&x, f, 1, 0, 65536, "big", 0, 0);
	if (!x.ok)
		return;
	char root[512];
	snprintf(root, sizeof(root), "%s/big", newdir("pairs"));
	struct bt_storage *st = st_open(&x, root, NULL, 0, 1);
	struct bt_bitfield have;

	bt_bitfield_init(&have, (uint32_t)x.m.npieces);
	CHECK_INT(bt_storage_create(st), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 0);
	CHECK_INT(write_all(st, &x, 16384), ==, 0);
	CHECK_INT(check_all(st, &have), ==, 8);
	/* Damage pieces 2 and 7 (the short one). */
	int fd = open(root, O_WRONLY);
	CHECK_INT(pwrite(fd, "\x01\x02\x03", 3, 2 * 65536 + 100), ==, 3);
	CHECK_INT(pwrite(fd, "\x01\x02\x03", 3, 7 * 65536 + 10), ==, 3);
	close(fd);
	CHECK_INT(check_all(st, &have), ==, 6);
	CHECK(!bt_bitfield_test(&have, 2) && !bt_bitfield_test(&have, 7));
	CHECK(bt_bitfield_test(&have, 3));
	bt_bitfield_fini(&have);
	bt_storage_close(st);
	fx_free(&x);
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/bt_storage_XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	test_multi_roundtrip();
	test_many_files(3);
	test_many_files(64);
	test_single();
	test_check_progress();
	test_pad();
	test_skip();
	test_parts_name();
	test_foreign();
	test_hardlink();
	test_lost();
	test_resume();
	test_resume_entries();
	test_symlinks();
	test_open_args();
	test_lru();
	test_check_pairs();
	/* Disk full (ENOSPC) is not tested here: it needs a small file
	 * system; the lead's tests cover it. */
	rm_rf(tmp);
	return check_summary("storage");
}
