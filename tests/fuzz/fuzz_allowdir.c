/* fuzz_allowdir.c - libFuzzer target: the tracker's allowed_dir reader
 * over torrents from the input.  The input, cut at each "#####" (at most
 * three parts), becomes a.torrent, b.torrent and c/d.torrent in a
 * directory made once per process; a fresh bt_allowdir scans it.  The
 * whole input also goes through the allowed_list reader
 * (bt_allowlist_load).
 *
 * Checked: the scan succeeds; the allowed set holds at most one entry per
 * file, with distinct info hashes, a path, at least one file, a size of
 * zero or more and a bounded tracker list; every warning has a path and
 * a reason.  The allowed list's hashes are sorted without repeats, fewer
 * than its lines. */
#define _GNU_SOURCE
#include "allowdir.h"
#include "err.h"
#include "fuzz_tmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const char *const names[3] = { "a.torrent", "b.torrent", "c/d.torrent" };

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

static void
drop(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void
on_warn(void *ud, const struct bt_allowdir_warning *w)
{
	(void)ud;
	if (!w->path || !w->what || !w->what[0])
		abort();
}

static void
on_line(void *ud, unsigned long line, const char *text, size_t len, const char *why)
{
	(void)text;
	(void)len;
	if (line == 0 || line > *(size_t *)ud + 1 || !why)
		abort();
}

static void
allowlist(const uint8_t *data, size_t size)
{
	struct bt_allowlist l;
	size_t lines = 0;
	long n;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	bt_allowlist_init(&l);
	n = bt_allowlist_load(&l, data, size, on_line, &lines);
	if (n >= 0) {
		if ((size_t)n != l.n || l.n > lines + 1)
			abort();
		for (size_t k = 1; k < l.n; k++)
			if (memcmp(l.hash[k - 1], l.hash[k], 20) >= 0)
				abort();
	}
	bt_allowlist_free(&l);
}

/* At exit: the temporary directory goes. */
static void
cleanup(void)
{
	char sub[80];

	for (size_t k = 0; k < 3; k++)
		drop(names[k]);
	snprintf(sub, sizeof(sub), "%s/c", dir);
	rmdir(sub);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_allowdir_opts o = { .warn = on_warn };
	struct bt_allowdir *d;
	const struct bt_allowed *a;
	size_t n, nparts = 0;
	int changed = 0;

	if (!dir[0]) {
		char sub[80];
		fuzz_tmp(dir, sizeof(dir), "fuzz_allowdir.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		snprintf(sub, sizeof(sub), "%s/c", dir);
		if (mkdir(sub, 0755) < 0)
			abort();
	}
	if (size > 1 << 16)
		return 0;
	allowlist(data, size);
	for (const uint8_t *p = data, *end = data + size; nparts < 3; nparts++) {
		const uint8_t *cut = nparts < 2 ? memmem(p, (size_t)(end - p), "#####", 5) : NULL;
		size_t len = cut ? (size_t)(cut - p) : (size_t)(end - p);
		put(names[nparts], p, len);
		if (!cut) {
			nparts++;
			break;
		}
		p = cut + 5;
	}
	for (size_t k = nparts; k < 3; k++)
		drop(names[k]);
	d = bt_allowdir_new(dir, &o);
	if (!d)
		return 0;
	if (bt_allowdir_scan(d, &changed) < 0)
		abort();
	a = bt_allowdir_list(d, &n);
	if (n > nparts || (n && !changed))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!a[i].path || a[i].nfiles == 0 || a[i].size < 0 ||
			a[i].ntrackers > (1u << 16) || (a[i].ntrackers && !a[i].trackers))
			abort();
		for (size_t j = 0; j < i; j++)
			if (memcmp(a[i].info_hash, a[j].info_hash, 20) == 0)
				abort();
	}
	/* Nothing changed: a second scan says so. */
	if (bt_allowdir_scan(d, &changed) < 0 || changed)
		abort();
	bt_allowdir_free(d);
	return 0;
}
