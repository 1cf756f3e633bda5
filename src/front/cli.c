/* cli.c - see cli.h */
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "msg.h"
#include "reactor.h"
#include "str.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

const char *const bt_cli_announce_list_help = TX(
	"--announce-list (or --announce_list) takes tiers of trackers. Tiers are\n"
	"separated by '|' and the trackers within a tier by ','; clients try the\n"
	"tiers in order and the trackers of a tier in a random order, e.g.\n"
	"    http://a/announce,http://b/announce|http://backup/announce\n"
	"\n"
	"--httpseeds and --webseeds take URLs separated by '|':\n"
	"--httpseeds for BitTornado-style HTTP seeds (BEP 17), --webseeds for\n"
	"GetRight-style web seeds (BEP 19, the `url-list` key), e.g.\n"
	"    http://mirror1/file|http://mirror2/file\n");

int
bt_tfile_load(struct bt_tfile *t, const char *path)
{
	struct bt_meta_err me;
	int rc;

	memset(t, 0, sizeof(*t));
	t->path = path;
	rc = bt_file_read(path, BT_CLI_MAX_TORRENT, &t->buf, &t->len);
	if (rc == BT_E_IO) {
		bt_pwarn("%s", path);
		return -1;
	}
	if (rc == BT_E_LIMIT) {
		bt_warn("%s: larger than %u MiB, not a torrent", path, BT_CLI_MAX_TORRENT >> 20);
		return -1;
	}
	if (rc < 0) {
		bt_warn("%s: %s", path, bt_strerror(rc));
		return -1;
	}
	rc = bt_meta_parse(&t->m, t->buf, t->len, &me);
	if (rc < 0) {
		bt_warn("%s: %s (at byte %zu)", path, me.what, me.off);
		return -1;
	}
	return 0;
}

void
bt_tfile_free(struct bt_tfile *t)
{
	bt_meta_free(&t->m);
	free(t->buf);
	t->buf = NULL;
}

int
bt_tfile_save(const char *path, const struct bt_buf *b)
{
	if (b->err) {
		bt_warn("%s: %s", path, bt_strerror(b->err));
		return -1;
	}
	if (bt_file_write_made(path, b->p, b->len) < 0) {
		bt_pwarn("cannot write %s", path);
		return -1;
	}
	return 0;
}

void
bt_cli_fmt_str(struct bt_buf *out, const struct bt_benc *d, int tok)
{
	const uint8_t *p;
	size_t n;
	if (bt_benc_str(d, tok, &p, &n) == 0)
		bt_str_escape(out, p, n);
}

void
bt_cli_fmt_list(struct bt_buf *out, const struct bt_benc *d, int list, char sep)
{
	int first = 1;
	if (bt_benc_type(d, list) == BT_BENC_STR) {
		bt_cli_fmt_str(out, d, list);
		return;
	}
	if (bt_benc_type(d, list) != BT_BENC_LIST)
		return;
	for (int j = bt_benc_first(d, list); j >= 0; j = bt_benc_next(d, list, j)) {
		if (!first)
			bt_buf_addc(out, (uint8_t)sep);
		first = 0;
		bt_cli_fmt_str(out, d, j);
	}
}

void
bt_cli_fmt_tiers(struct bt_buf *out, const struct bt_benc *d, int list)
{
	int first = 1;
	if (bt_benc_type(d, list) != BT_BENC_LIST)
		return;
	for (int j = bt_benc_first(d, list); j >= 0; j = bt_benc_next(d, list, j)) {
		if (!first)
			bt_buf_addc(out, '|');
		first = 0;
		bt_cli_fmt_list(out, d, j, ',');
	}
}

char *
xfmt(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		bt_die("%s", strerror(errno));
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int
bt_cli_sighup_ignored(void)
{
	struct sigaction sa;

	return sigaction(SIGHUP, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

unsigned
bt_cli_raise_nofile(void)
{
	struct rlimit rl;
	/* "unlimited" may be above what the kernel allows (nr_open). */
	rlim_t to[2];

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	to[0] = rl.rlim_max;
	to[1] = 1u << 20;
	for (int k = 0; k < 2 && rl.rlim_cur < rl.rlim_max; k++) {
		struct rlimit up = { to[k] > BT_LOOP_FD_LIMIT ? BT_LOOP_FD_LIMIT : to[k], rl.rlim_max };
		if (up.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = up.rlim_cur;
	}
	return rl.rlim_cur > BT_LOOP_FD_LIMIT ? BT_LOOP_FD_LIMIT : (unsigned)rl.rlim_cur;
}
