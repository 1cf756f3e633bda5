/* fuzz_resume.c - libFuzzer target: the input as a resume record
 * (bt_storage_resume_load) for a small multi-file torrent whose files
 * (one full, one short, one missing, a padding file, one skipped) lie in
 * a temporary directory made once per process.  So that the fuzzer can
 * reach the "same place" and "same file" branches, the integers
 * i1111e, i2222e, i3333e and i4444e in the input are replaced by the
 * root's st_dev and st_ino and the first file's mtime seconds and
 * nanoseconds, and the 20 bytes HASHHASHHASHHASHHASH by the info hash.
 *
 * Checked: a failure is BT_E_PARSE or BT_E_NOMEM with both bitfields
 * clear; on success have and recheck are disjoint, a skipped file's
 * pieces are never in recheck, and the record, written back and loaded
 * again, loads. */
#define _GNU_SOURCE
#include "bitfield.h"
#include "buf.h"
#include "err.h"
#include "metainfo.h"
#include "storage.h"
#include "fuzz_tmp.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PLEN 16
/* a (40 bytes, there), .pad/8 (padding), b (20, 10 there), c (30, missing),
 * d (16, skipped): 114 bytes, 8 pieces. */
static const char torrent[] =
	"d4:infod5:filesl"
	"d6:lengthi40e4:pathl1:aee"
	"d4:attr1:p6:lengthi8e4:pathl4:.pad1:8ee"
	"d6:lengthi20e4:pathl1:bee"
	"d6:lengthi30e4:pathl1:cee"
	"d6:lengthi16e4:pathl1:dee"
	"e4:name1:t12:piece lengthi16e6:pieces160:"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"ee";
static const int8_t prio[5] = { BT_PRIO_NORMAL, BT_PRIO_NORMAL, BT_PRIO_NORMAL,
	BT_PRIO_NORMAL, BT_PRIO_SKIP };

static struct bt_meta meta;
static char root[64];
static char subst[4][32];
static const char *const ph[5] = { "i1111e", "i2222e", "i3333e", "i4444e",
	"HASHHASHHASHHASHHASH" };

static void
put(const char *name, size_t n)
{
	char p[128];
	uint8_t buf[64];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	memset(buf, 'x', sizeof(buf));
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* At exit: the temporary directory goes. */
static void
cleanup(void)
{
	char p[128];

	for (const char *n = "abcd"; *n; n++) {
		snprintf(p, sizeof(p), "%s/%c", root, *n);
		unlink(p);
	}
	rmdir(root);
}

static void
setup(void)
{
	struct bt_meta_err err;
	struct stat sb;
	char p[128];

	if (bt_meta_parse(&meta, (const uint8_t *)torrent, sizeof(torrent) - 1, &err) < 0)
		abort();
	fuzz_tmp(root, sizeof(root), "fuzz_resume.XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(cleanup);
	put("a", 40);
	put("b", 10);
	if (stat(root, &sb) < 0)
		abort();
	snprintf(subst[0], sizeof(subst[0]), "i%" PRIu64 "e", (uint64_t)sb.st_dev);
	snprintf(subst[1], sizeof(subst[1]), "i%" PRIu64 "e", (uint64_t)sb.st_ino);
	snprintf(p, sizeof(p), "%s/a", root);
	if (stat(p, &sb) < 0)
		abort();
	snprintf(subst[2], sizeof(subst[2]), "i%lde", (long)sb.st_mtim.tv_sec);
	snprintf(subst[3], sizeof(subst[3]), "i%lde", (long)sb.st_mtim.tv_nsec);
}

/* data with the placeholders replaced, in b. */
static void
expand(struct bt_buf *b, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size;) {
		int k;
		for (k = 0; k < 5; k++)
			if (size - i >= strlen(ph[k]) && memcmp(data + i, ph[k], strlen(ph[k])) == 0)
				break;
		if (k < 4)
			bt_buf_adds(b, subst[k]);
		else if (k == 4)
			bt_buf_add(b, meta.info_hash, 20);
		if (k < 5) {
			i += strlen(ph[k]);
		} else {
			bt_buf_addc(b, data[i++]);
		}
	}
}

static void
check(const struct bt_bitfield *have, const struct bt_bitfield *recheck)
{
	for (uint32_t q = 0; q < have->n; q++) {
		if (bt_bitfield_test(have, q) && bt_bitfield_test(recheck, q))
			abort();
	}
	/* Piece 7 ([112, 114)) lies in d only, which is skipped. */
	if (bt_bitfield_test(recheck, 7))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct bt_storage_opts o = { .prio = prio };
	struct bt_storage *st = NULL;
	struct bt_bitfield have, recheck;
	struct bt_buf in, out;
	int rc;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size > 4096)
		return 0;
	o.root = root;
	if (bt_storage_open(&st, &meta, &o) < 0)
		abort();
	bt_bitfield_init(&have, (uint32_t)meta.npieces);
	bt_bitfield_init(&recheck, (uint32_t)meta.npieces);
	bt_buf_init(&in, 0);
	bt_buf_init(&out, 0);
	expand(&in, data, size);
	if (in.err)
		goto done;
	rc = bt_storage_resume_load(st, in.p ? in.p : (const uint8_t *)"", in.len, &have,
		&recheck);
	if (rc < 0) {
		if (rc != BT_E_PARSE && rc != BT_E_NOMEM)
			abort();
		if (bt_bitfield_count(&have) || bt_bitfield_count(&recheck))
			abort();
		goto done;
	}
	check(&have, &recheck);
	/* What we would write now loads again. */
	if (bt_storage_resume_write(st, &have, &out) < 0)
		goto done;
	rc = bt_storage_resume_load(st, out.p, out.len, &have, &recheck);
	if (rc < 0 && rc != BT_E_NOMEM)
		abort();
	if (rc == 0)
		check(&have, &recheck);
done:
	bt_buf_free(&in);
	bt_buf_free(&out);
	bt_bitfield_fini(&have);
	bt_bitfield_fini(&recheck);
	bt_storage_close(st);
	return 0;
}
