/* test_webseed.c - web seeds (BEP 19 url-list, BEP 17 httpseeds) against
 * webseed_server.py, a Range-capable Python server on loopback serving a
 * temporary directory.  A fake host owns an in-memory picker over the
 * torrent's blocks, hands them out, and checks every delivered byte
 * against the real data.
 *
 * Cases: single-file torrents (full URL, URL ending in '/'); a multi-file
 * torrent with nested directories, zero-length files, a BEP 47 padding
 * file and a piece spanning three files, with names needing
 * percent-encoding (space, '%', non-ASCII), picked in reverse order;
 * 404 (one message, blocks back, doubling backoff, given up after
 * BT_WEBSEED_GIVE_UP in a row); each kind of failure told once (404, 503,
 * a short body, a body cut short, 200 instead of 206, an endless body, a
 * redirect loop); a server ignoring Range (small file accepted, big
 * file refused); BEP 17 with and without ranges= and with a 503 delay;
 * bt_webseed_bad() from inside the block callback and during a request;
 * free and timeout during a slow request; connection refused; kick after losing a piece; invalid blocks from
 * the host. */
#define _GNU_SOURCE
#include "webseed.h"
#include "metainfo.h"
#include "rand.h"
#include "str.h"
#include "reactor.h"
#include "err.h"
#include "check.h"
#include "files.h"
#include "loop.h"
#include "bdsl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct bt_loop *loop;
static char root[64];
static int port;

/* ---- torrents and their files ---- */

struct tor {
	uint8_t *doc;
	struct bt_meta m;
	uint8_t *data;		/* the torrent's bytes, pad bytes zero */
};

static int
tor_load(struct tor *t, const char *text, unsigned seed)
{
	size_t len;
	struct bt_meta_err err;
	uint64_t rs = seed;

	memset(t, 0, sizeof(*t));
	t->doc = bdsl(text, &len);
	if (!CHECK(t->doc != NULL))
		return -1;
	if (!CHECK_INT(bt_meta_parse(&t->m, t->doc, len, &err), ==, 0)) {
		fprintf(stderr, "    %s\n", err.what);
		return -1;
	}
	t->data = calloc(1, (size_t)t->m.total + 1);
	for (size_t i = 0; i < t->m.nfiles; i++) {
		const struct bt_meta_file *f = &t->m.files[i];
		if (f->pad)
			continue;
		for (int64_t k = 0; k < f->length; k++) {
			t->data[f->offset + k] = (uint8_t)(bt_rand64(&rs) >> 56);
		}
	}
	return 0;
}

static void
tor_free(struct tor *t)
{
	bt_meta_free(&t->m);
	free(t->doc);
	free(t->data);
}

static void
write_file(const char *path, const uint8_t *p, size_t n)
{
	CHECK(files_write(path, p, n) == 0);
}

/* Write the torrent's files under root/sub as a web server would serve
 * them (padding files left out), skipping the file whose path is skip. */
static void
tor_write(const struct tor *t, const char *sub, const char *skip)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < t->m.nfiles; i++) {
		const struct bt_meta_file *f = &t->m.files[i];
		if (f->pad || (skip && strcmp(f->path, skip) == 0))
			continue;
		if (t->m.multi)
			snprintf(path, sizeof(path), "%s/%s/%s/%s", root, sub, t->m.name, f->path);
		else
			snprintf(path, sizeof(path), "%s/%s/%s", root, sub, f->path);
		write_file(path, t->data + f->offset, (size_t)f->length);
	}
}

/* ---- the fake host: a tiny picker over all blocks ---- */

#define BLK 16384u

struct fhost {
	const struct tor *t;
	size_t nb;
	struct bt_block *blocks;
	size_t *first;		/* first block of each piece */
	uint8_t *st;		/* 0 free, 1 requested, 2 received */
	int reverse;		/* hand blocks out last first */
	size_t remaining;
	int done;
	struct bt_webseed *ws;
	size_t picks, picked, delivered, unreq, foreign, errs, msgs;
	char msg[700], first_msg[700];
	int bad_at;		/* call bt_webseed_bad() at this delivery */
	int inject;		/* add an invalid block to the next pick */
	uint64_t pick_ms[32];	/* times of the picks that gave blocks */
	size_t npick_ms;
};

static void
fh_init(struct fhost *h, const struct tor *t)
{
	const struct bt_meta *m = &t->m;
	size_t k = 0;

	memset(h, 0, sizeof(*h));
	h->t = t;
	h->first = calloc(m->npieces + 1, sizeof(*h->first));
	for (size_t p = 0; p < m->npieces; p++) {
		int64_t ps = m->total - (int64_t)p * m->piece_len;
		if (ps > m->piece_len)
			ps = m->piece_len;
		h->first[p] = h->nb;
		h->nb += (size_t)((ps + BLK - 1) / BLK);
	}
	h->first[m->npieces] = h->nb;
	h->blocks = calloc(h->nb + 1, sizeof(*h->blocks));
	h->st = calloc(h->nb + 1, 1);
	for (size_t p = 0; p < m->npieces; p++) {
		int64_t ps = m->total - (int64_t)p * m->piece_len;
		if (ps > m->piece_len)
			ps = m->piece_len;
		for (int64_t b = 0; b < ps; b += BLK, k++) {
			h->blocks[k].piece = (uint32_t)p;
			h->blocks[k].begin = (uint32_t)b;
			h->blocks[k].len = (uint32_t)(ps - b < BLK ? ps - b : BLK);
		}
	}
	h->remaining = h->nb;
}

static void
fh_free(struct fhost *h)
{
	free(h->first);
	free(h->blocks);
	free(h->st);
}

/* Mark block i received without the seed (from "peers"). */
static void
fh_have(struct fhost *h, size_t i)
{
	h->st[i] = 2;
	h->remaining--;
}

static long
fh_index(const struct fhost *h, const struct bt_block *b)
{
	size_t i;

	if (b->piece >= h->t->m.npieces || b->begin % BLK)
		return -1;
	i = h->first[b->piece] + b->begin / BLK;
	if (i >= h->first[b->piece + 1] || h->blocks[i].len != b->len)
		return -1;
	return (long)i;
}

static size_t
fh_pick(void *ud, struct bt_block *out, size_t max)
{
	struct fhost *h = ud;
	size_t n = 0;

	h->picks++;
	if (h->inject && n < max) {
		/* An invalid block first: the seed must give it back. */
		h->inject = 0;
		out[n].piece = (uint32_t)h->t->m.npieces + 3;
		out[n].begin = 0;
		out[n++].len = BLK;
	}
	for (size_t k = 0; k < h->nb && n < max; k++) {
		size_t i = h->reverse ? h->nb - 1 - k : k;
		if (h->st[i] == 0) {
			h->st[i] = 1;
			out[n++] = h->blocks[i];
		}
	}
	if (n && h->npick_ms < sizeof(h->pick_ms) / sizeof(h->pick_ms[0]))
		h->pick_ms[h->npick_ms++] = loop_now_ms();
	h->picked += n;
	return n;
}

static void
fh_block(void *ud, struct bt_webseed *ws, const struct bt_block *b, const uint8_t *data)
{
	struct fhost *h = ud;
	long i = fh_index(h, b);
	uint64_t off;

	if (ws != h->ws || i < 0 || h->st[i] != 1) {
		h->errs++;
		return;
	}
	off = (uint64_t)b->piece * (uint64_t)h->t->m.piece_len + b->begin;
	if (memcmp(data, h->t->data + off, b->len) != 0) {
		fprintf(stderr, "    bad bytes in block %u/%u\n", b->piece, b->begin);
		h->errs++;
	}
	h->st[i] = 2;
	h->delivered++;
	if (--h->remaining == 0)
		h->done = 1;
	if (h->bad_at && h->delivered == (size_t)h->bad_at)
		bt_webseed_bad(ws);
}

static void
fh_unrequest(void *ud, const struct bt_block *b)
{
	struct fhost *h = ud;
	long i = fh_index(h, b);

	if (i < 0) {
		h->foreign++;
		return;
	}
	if (h->st[i] != 1) {
		h->errs++;
		return;
	}
	h->st[i] = 0;
	h->unreq++;
}

static void
fh_message(void *ud, struct bt_webseed *ws, const char *text)
{
	struct fhost *h = ud;

	if (ws != h->ws)
		h->errs++;
	if (h->msgs++ == 0)
		snprintf(h->first_msg, sizeof(h->first_msg), "%s", text);
	snprintf(h->msg, sizeof(h->msg), "%s", text);
}

static const struct bt_webseed_host fhost_cb = {
	fh_pick, fh_block, fh_unrequest, fh_message,
};

/* A seed for h at url (printf-style with the port filled in). */
static struct bt_webseed *
mk(struct fhost *h, const char *url, int bep17, uint32_t max_request,
	uint32_t timeout_ms, uint32_t retry_ms)
{
	char u[1024];
	struct bt_webseed_opts o = { 0 };

	snprintf(u, sizeof(u), url, port);
	o.url = u;
	o.bep17 = bep17;
	o.user_agent = "test_webseed/1";
	o.max_request = max_request;
	o.timeout_ms = timeout_ms;
	o.retry_ms = retry_ms;
	h->ws = bt_webseed_new(loop, &h->t->m, &o, &fhost_cb, h);
	CHECK(h->ws != NULL);
	if (h->ws)
		CHECK_STR(bt_webseed_url(h->ws), u);
	return h->ws;
}

/* Nothing requested is left behind, nothing went wrong. */
static void
fh_check_clean(const struct fhost *h, int line)
{
	size_t out = 0;

	for (size_t i = 0; i < h->nb; i++)
		out += h->st[i] == 1;
	CHECK_INT_AT(line, out, ==, 0);
	CHECK_INT_AT(line, h->errs, ==, 0);
}

/* ---- the server ---- */

static pid_t srv_pid = -1;
static int srv_in = -1;

static int
find_script(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n;
	const char *env = getenv("BT_WEBSEED_SERVER");

	if (env && access(env, R_OK) == 0) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			int k = snprintf(out, cap, "%.*s/../../../tests/unit/webseed_server.py",
				(int)(cap > 64 ? cap - 64 : 0), exe);
			if (k > 0 && (size_t)k < cap && access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, cap, "%s", __FILE__);
	char *slash = strrchr(out, '/');
	if (slash) {
		snprintf(slash + 1, cap - (size_t)(slash + 1 - out), "webseed_server.py");
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int
srv_start(void)
{
	char script[PATH_MAX], line[32];
	int in[2], outp[2];
	size_t got = 0;
	uint64_t end;

	if (find_script(script, sizeof(script)) < 0 || access("/usr/bin/python3", X_OK) != 0)
		return -1;
	if (pipe(in) < 0 || pipe(outp) < 0)
		return -1;
	srv_pid = fork();
	if (srv_pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		execl("/usr/bin/python3", "python3", script, root, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	srv_in = in[1];
	if (srv_pid < 0) {
		close(outp[0]);
		return -1;
	}
	end = loop_now_ms() + 10000;
	while (loop_now_ms() < end && got < sizeof(line) - 1) {
		struct pollfd pfd = { outp[0], POLLIN, 0 };
		ssize_t k;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		k = read(outp[0], line + got, 1);
		if (k <= 0)
			break;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = 0;
	close(outp[0]);
	port = atoi(line);
	return port > 0 && port < 65536 ? 0 : -1;
}

static void
srv_stop(void)
{
	if (srv_in >= 0)
		close(srv_in);	/* the server exits at end of stdin */
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	srv_in = -1;
	srv_pid = -1;
}

/* ---- fixtures ---- */

/* 100000 bytes in pieces of 32 KiB: 4 pieces, 7 blocks. */
static const char single_t[] =
	"{'info':{'length':100000,'name':'one file%.bin','piece length':32768,'pieces':#80}}";

/* Files: a.bin [0,20000), sub dir/zero (empty), sub dir/x%y/b ü.bin
 * [20000,25000), c.bin [25000,28000), a padding file [28000,32768),
 * nested/deep/d é.bin [32768,72768), z_end (empty).  Piece 1 [16384,
 * 32768) spans a, b, c and the padding. */
static const char multi_t[] =
	"{'info':{'files':["
	"{'length':20000,'path':['a.bin']},"
	"{'length':0,'path':['sub dir','zero']},"
	"{'length':5000,'path':['sub dir','x%y','b \xc3\xbc.bin']},"
	"{'length':3000,'path':['c.bin']},"
	"{'attr':'p','length':4768,'path':['.pad','4768']},"
	"{'length':40000,'path':['nested','deep','d \xc3\xa9.bin']},"
	"{'length':0,'path':['z_end']}],"
	"'name':'multi t%\xc3\xa9','piece length':16384,'pieces':#100}}";

/* The same 100000 bytes in pieces of 64 KiB (BEP 17 with ranges). */
static const char single64_t[] =
	"{'info':{'length':100000,'name':'blob.bin','piece length':65536,'pieces':#40}}";

/* ---- cases ---- */

static void
test_offline(void)
{
	struct tor t;
	struct fhost h;
	struct bt_webseed_opts o = { 0 };

	if (tor_load(&t, single_t, 1) < 0)
		return;
	fh_init(&h, &t);
	o.url = "ftp://example.org/x";
	CHECK(bt_webseed_new(loop, &t.m, &o, &fhost_cb, &h) == NULL);
	o.url = "http://";
	CHECK(bt_webseed_new(loop, &t.m, &o, &fhost_cb, &h) == NULL);
	o.url = "not a url";
	CHECK(bt_webseed_new(loop, &t.m, &o, &fhost_cb, &h) == NULL);
	o.url = NULL;
	CHECK(bt_webseed_new(loop, &t.m, &o, &fhost_cb, &h) == NULL);
	o.url = "https://example.org/x";
	h.ws = bt_webseed_new(loop, &t.m, &o, &fhost_cb, &h);
	CHECK(h.ws != NULL);
	CHECK_INT(bt_webseed_working(h.ws), ==, 0);
	CHECK_INT(bt_webseed_bytes(h.ws), ==, 0);
	bt_webseed_free(h.ws);
	bt_webseed_free(NULL);
	bt_webseed_kick(NULL);
	bt_webseed_bad(NULL);
	CHECK_INT(bt_webseed_working(NULL), ==, 0);
	CHECK(bt_webseed_url(NULL) == NULL);
	CHECK_INT(h.picks, ==, 0);
	CHECK_INT(bt_timer_count(loop), ==, 0);
	fh_free(&h);
	tor_free(&t);
}

static void
test_single(void)
{
	struct tor t;
	struct fhost h;
	const char *urls[] = {
		"http://127.0.0.1:%d/r/d/one%%20file%%25.bin",
		"http://127.0.0.1:%d/r/d/",
	};

	if (tor_load(&t, single_t, 2) < 0)
		return;
	tor_write(&t, "d", NULL);
	for (size_t u = 0; u < 2; u++) {
		fh_init(&h, &t);
		h.inject = u == 0;
		if (!mk(&h, urls[u], 0, 65536, 5000, 100))
			break;
		bt_webseed_kick(h.ws);
		bt_webseed_kick(h.ws);	/* twice: still one request */
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.delivered, ==, h.nb);
		CHECK_INT(h.msgs, ==, 0);
		CHECK_INT(bt_webseed_working(h.ws), ==, 1);
		CHECK_INT(bt_webseed_bytes(h.ws), ==, t.m.total);
		/* 7 blocks, runs of at most 4 (64 KiB): 2 requests. */
		CHECK_INT(h.npick_ms, ==, 2);
		CHECK_INT(h.foreign, ==, u == 0);
		CHECK_INT(h.unreq, ==, 0);

		/* Idle now; a lost piece and a kick bring it back. */
		loop_run_until(loop, NULL, 1, 50);
		size_t picks = h.picks;
		CHECK_INT(picks, ==, 3);	/* the last one got nothing */
		for (size_t i = h.first[1]; i < h.first[2]; i++) {
			h.st[i] = 0;
			h.remaining++;
		}
		h.done = 0;
		bt_webseed_kick(h.ws);
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.delivered, ==, h.nb + 2);
		bt_webseed_free(h.ws);
		fh_free(&h);
	}
	tor_free(&t);
}

static void
test_multi(void)
{
	struct tor t;
	struct fhost h;

	if (tor_load(&t, multi_t, 3) < 0)
		return;
	CHECK_INT(t.m.total, ==, 72768);
	tor_write(&t, "d", NULL);
	/* Base with '/', runs of 4 blocks in order; base without '/', one
	 * block per run, picked last first; a big run (all in one pick). */
	static const struct {
		const char *url;
		uint32_t max_request;
		int reverse;
	} c[] = {
		{ "http://127.0.0.1:%d/r/d/", 65536, 0 },
		{ "http://127.0.0.1:%d/r/d", 16384, 1 },
		{ "http://127.0.0.1:%d/r/d/", 0, 1 },
	};
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		fh_init(&h, &t);
		h.reverse = c[k].reverse;
		if (!mk(&h, c[k].url, 0, c[k].max_request, 5000, 100))
			break;
		bt_webseed_kick(h.ws);
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.msgs, ==, 0);
		CHECK_INT(h.unreq, ==, 0);
		CHECK_INT(bt_webseed_working(h.ws), ==, 1);
		/* Padding bytes are not fetched. */
		CHECK_INT(bt_webseed_bytes(h.ws), ==, t.m.total - 4768);
		bt_webseed_free(h.ws);
		fh_free(&h);
	}
	tor_free(&t);
}

static void
test_404(void)
{
	struct tor t, s;
	struct fhost h;

	if (tor_load(&t, multi_t, 4) < 0)
		return;
	tor_write(&t, "m404", "c.bin");

	/* Block 0 works, block 1 (which needs c.bin) fails again and
	 * again: one message, the block back each time, retries after 10,
	 * 20, 40 ... ms, and after BT_WEBSEED_GIVE_UP failures in a row the
	 * seed gives up (and says so). */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/r/m404/", 0, 16384, 5000, 10)) {
		char want[700];
		bt_webseed_kick(h.ws);
		uint64_t end = loop_now_ms() + 6000;
		while (h.msgs < 2 && loop_now_ms() < end)
			bt_loop_run_once(loop, 10);
		CHECK_INT(h.npick_ms, ==, 1 + BT_WEBSEED_GIVE_UP);
		CHECK_INT(h.delivered, ==, 1);
		CHECK_INT(h.st[0], ==, 2);
		CHECK_INT(h.msgs, ==, 2);
		snprintf(want, sizeof(want), "error accessing http seed http://127.0.0.1:%d/r/m404/: "
			"HTTP status 404 (retrying later)", port);
		CHECK_STR(h.first_msg, want);
		snprintf(want, sizeof(want), "giving up on http seed http://127.0.0.1:%d/r/m404/ "
			"after %u failures in a row (last: HTTP status 404)", port, BT_WEBSEED_GIVE_UP);
		CHECK_STR(h.msg, want);
		CHECK_INT(h.unreq, ==, BT_WEBSEED_GIVE_UP);
		CHECK_INT(bt_webseed_working(h.ws), ==, 0);
		if (h.npick_ms == 1 + BT_WEBSEED_GIVE_UP) {
			/* picks: 0 ok, 1 at once (error 1), then 10, 20, 40 ... */
			CHECK_INT(h.pick_ms[1] - h.pick_ms[0], <, 90);
			for (unsigned k = 2; k <= BT_WEBSEED_GIVE_UP; k++)
				CHECK_INT(h.pick_ms[k] - h.pick_ms[k - 1], >=, (10u << (k - 2)) - 2);
		}
		/* Given up: a kick does nothing. */
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 100);
		CHECK_INT(h.npick_ms, ==, 1 + BT_WEBSEED_GIVE_UP);
		CHECK_INT(bt_timer_count(loop), ==, 0);
		bt_webseed_free(h.ws);
		fh_check_clean(&h, __LINE__);
	}
	fh_free(&h);

	/* A seed that never worked says so too (once), and backs off:
	 * picks at 0, 100 and 300 ms (the next would be at 700; on a slow
	 * machine the third may come late). */
	if (tor_load(&s, single_t, 5) == 0) {
		fh_init(&h, &s);
		if (mk(&h, "http://127.0.0.1:%d/r/nothere.bin", 0, 65536, 5000, 100)) {
			bt_webseed_kick(h.ws);
			loop_run_until(loop, NULL, 1, 600);
			CHECK_INT(h.npick_ms, >=, 2);
			CHECK_INT(h.npick_ms, <=, 3);
			CHECK_INT(h.msgs, ==, 1);
			CHECK(strstr(h.msg, "HTTP status 404") != NULL);
			CHECK_INT(h.delivered, ==, 0);
			CHECK_INT(bt_webseed_bytes(h.ws), ==, 0);
			bt_webseed_free(h.ws);
			CHECK_INT(h.unreq, ==, h.picked);
			fh_check_clean(&h, __LINE__);
		}
		fh_free(&h);
		tor_free(&s);
	}
	tor_free(&t);
}

static void
test_norange(void)
{
	struct tor t;
	struct fhost h;

	if (tor_load(&t, single_t, 2) < 0)	/* the files test_single wrote */
		return;
	/* The file (100000) fits in max_request: the 200 is sliced. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/n/d/", 0, 131072, 5000, 100)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.msgs, ==, 0);
		CHECK_INT(h.unreq, ==, 0);
		bt_webseed_free(h.ws);
	}
	fh_free(&h);

	/* It does not: refused, never buffered. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/n/d/", 0, 65536, 5000, 100)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 250);
		CHECK(!h.done);
		CHECK_INT(h.delivered, ==, 0);
		CHECK_INT(h.npick_ms, >=, 2);
		CHECK_INT(h.msgs, ==, 1);
		CHECK(strstr(h.msg, "ignored the range request") != NULL);
		CHECK_INT(bt_webseed_working(h.ws), ==, 0);
		bt_webseed_free(h.ws);	/* (a retry may be out on a slow machine) */
		CHECK_INT(h.unreq, ==, h.picked);
		fh_check_clean(&h, __LINE__);
	}
	fh_free(&h);
	tor_free(&t);
}

static void
test_bep17(void)
{
	struct tor t;
	struct fhost h;
	char url[256], hex[41];

	if (tor_load(&t, single64_t, 6) < 0)
		return;
	tor_write(&t, "d", NULL);	/* root/d/blob.bin: the torrent's bytes */
	bt_hex(hex, t.m.info_hash, 20);

	/* Whole pieces, no ranges=; a query already in the URL. */
	fh_init(&h, &t);
	snprintf(url, sizeof(url), "http://127.0.0.1:%%d/s/65536/%s/0/d/blob.bin?token=a", hex);
	if (mk(&h, url, 1, 0, 5000, 100)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.msgs, ==, 0);
		CHECK_INT(h.npick_ms, ==, 2);	/* one per piece */
		CHECK_INT(bt_webseed_bytes(h.ws), ==, t.m.total);
		CHECK_INT(bt_webseed_working(h.ws), ==, 1);
		bt_webseed_free(h.ws);
	}
	fh_free(&h);

	/* Blocks 1 and 5 came from peers: ranges=0-16383,32768-65535 and
	 * 0-16383,32768-34463.  The first answer is 503 "1": the blocks go
	 * back quietly and the seed waits a second. */
	fh_init(&h, &t);
	fh_have(&h, 1);
	fh_have(&h, 5);
	snprintf(url, sizeof(url), "http://127.0.0.1:%%d/s/65536/%s/1/d/blob.bin", hex);
	if (mk(&h, url, 1, 0, 5000, 100)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, &h.done, 1, 5000);
		CHECK(h.done);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(h.msgs, ==, 0);
		CHECK_INT(h.delivered, ==, 5);
		CHECK_INT(h.npick_ms, ==, 3);
		if (h.npick_ms >= 2)
			CHECK_INT(h.pick_ms[1] - h.pick_ms[0], >=, 950);
		/* The 503 gave back piece 0's 3 blocks; each pick of 4 gave
		 * back the block of the other piece. */
		CHECK_INT(h.unreq, ==, 3 + 2);
		CHECK_INT(bt_webseed_bytes(h.ws), ==, t.m.total - 2 * 16384);
		bt_webseed_free(h.ws);
	}
	fh_free(&h);

	/* A wrong info_hash: the script says 400, an error. */
	fh_init(&h, &t);
	snprintf(url, sizeof(url),
		"http://127.0.0.1:%%d/s/65536/%040d/0/d/blob.bin", 0);
	if (mk(&h, url, 1, 0, 5000, 100)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 150);
		CHECK_INT(h.delivered, ==, 0);
		CHECK_INT(h.npick_ms, >=, 1);
		bt_webseed_free(h.ws);
		CHECK_INT(h.unreq, ==, h.picked);
		fh_check_clean(&h, __LINE__);
	}
	fh_free(&h);
	tor_free(&t);
}

static void
test_bad_and_cancel(void)
{
	struct tor t;
	struct fhost h;

	if (tor_load(&t, single_t, 2) < 0)
		return;

	/* Bad data found at the second block: the rest of the run goes
	 * back at once and the seed never asks again. */
	fh_init(&h, &t);
	h.bad_at = 2;
	if (mk(&h, "http://127.0.0.1:%d/r/d/", 0, 65536, 5000, 50)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 400);
		CHECK_INT(h.delivered, ==, 2);
		CHECK_INT(h.unreq, ==, 2);
		CHECK_INT(h.picks, ==, 1);
		CHECK_INT(bt_webseed_working(h.ws), ==, 0);
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 100);
		CHECK_INT(h.picks, ==, 1);
		fh_check_clean(&h, __LINE__);
		bt_webseed_free(h.ws);
	}
	fh_free(&h);

	/* Freed while the (slow) request is out: blocks back, no callback
	 * later. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/z/d/", 0, 65536, 5000, 50)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 200);
		CHECK_INT(h.picked, ==, 4);
		bt_webseed_free(h.ws);
		h.ws = NULL;
		CHECK_INT(h.unreq, ==, 4);
		loop_run_until(loop, NULL, 1, 100);
		fh_check_clean(&h, __LINE__);
		CHECK_INT(bt_timer_count(loop), ==, 0);
		CHECK_INT(bt_io_count(loop), ==, 0);
	}
	fh_free(&h);

	/* Declared bad while a request is out: cancelled, blocks back. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/z/d/", 0, 65536, 5000, 50)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 200);
		CHECK_INT(h.picked, ==, 4);
		bt_webseed_bad(h.ws);
		bt_webseed_bad(h.ws);
		CHECK_INT(h.unreq, ==, 4);
		CHECK_INT(bt_io_count(loop), ==, 0);
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 100);
		CHECK_INT(h.picks, ==, 1);
		fh_check_clean(&h, __LINE__);
		bt_webseed_free(h.ws);
		CHECK_INT(h.unreq, ==, 4);
	}
	fh_free(&h);

	/* The request times out: an error, blocks back, the retry waits. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:%d/z/d/", 0, 65536, 300, 5000)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 900);
		CHECK_INT(h.picks, ==, 1);
		CHECK_INT(h.unreq, ==, 4);
		CHECK_INT(h.msgs, ==, 1);
		CHECK(strstr(h.msg, ": timeout exceeded (retrying later)") != NULL);
		fh_check_clean(&h, __LINE__);
		bt_webseed_free(h.ws);
		CHECK_INT(bt_timer_count(loop), ==, 0);
	}
	fh_free(&h);

	/* Connection refused (nobody on the port): an error, told. */
	fh_init(&h, &t);
	if (mk(&h, "http://127.0.0.1:1/x", 0, 65536, 1000, 5000)) {
		bt_webseed_kick(h.ws);
		loop_run_until(loop, NULL, 1, 300);
		CHECK_INT(h.picks, ==, 1);
		CHECK_INT(h.unreq, ==, 4);
		/* strerror of the errno a refused connect reads as (check.h:
		 * qemu-user hands MIPS guests the host's 111). */
		CHECK_STR(h.msg, CHECK_REFUSED == ECONNREFUSED ?
			"error accessing http seed http://127.0.0.1:1/x: Connection refused (retrying later)" :
			"error accessing http seed http://127.0.0.1:1/x: Unknown error 111 (retrying later)");
		fh_check_clean(&h, __LINE__);
		bt_webseed_free(h.ws);
	}
	fh_free(&h);
	tor_free(&t);
}

/* Each kind of failure, from a seed that never worked: told once (with
 * what went wrong) however often it happens, the blocks back each time. */
static void
test_kinds(void)
{
	static const struct {
		const char *url, *want;
	} c[] = {
		{ "http://127.0.0.1:%d/e/404/d/", ": HTTP status 404 (retrying later)" },
		{ "http://127.0.0.1:%d/e/503/d/", ": HTTP status 503 (retrying later)" },
		{ "http://127.0.0.1:%d/short/d/", ": got 32768 bytes, expected 65536 (retrying" },
		{ "http://127.0.0.1:%d/cut/d/", ": reply body cut short (retrying later)" },
		{ "http://127.0.0.1:%d/n/d/", ": the server ignored the range request (200 with" },
		{ "http://127.0.0.1:%d/endless/d/", ": reply body too large (retrying later)" },
		{ "http://127.0.0.1:%d/loop/d/", ": too many redirects (5) at http://127.0.0.1:" },
	};
	struct tor t;
	struct fhost h;

	if (tor_load(&t, single_t, 2) < 0)	/* the files test_single wrote */
		return;
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		fh_init(&h, &t);
		if (!mk(&h, c[k].url, 0, 65536, 5000, 10))
			break;
		bt_webseed_kick(h.ws);
		uint64_t end = loop_now_ms() + 5000;
		while (h.npick_ms < 4 && loop_now_ms() < end)
			bt_loop_run_once(loop, 10);
		CHECK_INT(h.npick_ms, >=, 4);
		CHECK_INT(h.delivered, ==, 0);
		CHECK_INT(h.msgs, ==, 1);
		if (!strstr(h.msg, c[k].want)) {
			fprintf(stderr, "    %s: message '%s', want '...%s...'\n", c[k].url,
				h.msg, c[k].want);
			CHECK(0);
		}
		bt_webseed_free(h.ws);
		CHECK_INT(h.unreq, ==, h.picked);
		fh_check_clean(&h, __LINE__);
		fh_free(&h);
	}
	tor_free(&t);
}

static void
rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 32];

	if (strncmp(dir, "/tmp/test_webseed.", 18) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	loop = bt_loop_new(64);
	if (!CHECK(loop != NULL))
		return check_summary("webseed");
	snprintf(root, sizeof(root), "/tmp/test_webseed.XXXXXX");
	if (!CHECK(mkdtemp(root) != NULL))
		return check_summary("webseed");

	test_offline();
	if (srv_start() == 0) {
		test_single();
		test_multi();
		test_404();
		test_norange();
		test_kinds();
		test_bep17();
		test_bad_and_cancel();
	} else {
		fprintf(stderr, "webseed: no python3 server, network cases skipped\n");
	}
	srv_stop();
	rm_rf(root);
	bt_loop_free(loop);
	return check_summary("webseed");
}
