/* test_infopage.c - number formats, the tracker's info page and its
 * Prometheus statistics. */
#include "check.h"
#include "err.h"
#include "http.h"
#include "infopage.h"
#include "rand.h"
#include "str.h"
#include "tracker.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000		/* 2023-11-14 22:13:20 UTC */

static uint64_t rng_state = 7;	/* random info hashes */

/* A table row's start: the hash cell, with the hex digits twice. */
#define HASH_ROW "<tr><td class=\"hash\" title=\"%s\"><code>%s</code></td>"

/* ---- number formats ---- */

/* fn (a bt_fmt_* function) writes want for n. */
#define FMT_IS(fn, n, want) do { \
	char s_[BT_FMT_MAX]; \
	CHECK_STR(fn(s_, sizeof(s_), (n)), (want)); \
} while (0)

static void
test_formats(void)
{
	FMT_IS(bt_fmt_size, 0, "0 B");
	FMT_IS(bt_fmt_size, 1, "1 B");
	FMT_IS(bt_fmt_size, 999, "999 B");
	FMT_IS(bt_fmt_size, 1000, "0.98KiB");
	FMT_IS(bt_fmt_size, 1024, "1.00KiB");
	FMT_IS(bt_fmt_size, 120000, "117.19KiB");
	FMT_IS(bt_fmt_size, 1023999, "1000.00KiB");
	FMT_IS(bt_fmt_size, 1024000, "0.98MiB");	/* 1000 KiB */
	FMT_IS(bt_fmt_size, 3000000, "2.86MiB");
	FMT_IS(bt_fmt_size, 1048576, "1.00MiB");
	FMT_IS(bt_fmt_size, 1000ull << 20, "0.98GiB");
	FMT_IS(bt_fmt_size, 5ull << 30, "5.00GiB");
	FMT_IS(bt_fmt_size, 1000ull << 30, "0.98TiB");
	FMT_IS(bt_fmt_size, 3ull << 40, "3.00TiB");
	FMT_IS(bt_fmt_size, 1ull << 50, "1.00PiB");
	FMT_IS(bt_fmt_size, 1000ull << 50, "0.98EiB");
	FMT_IS(bt_fmt_size, UINT64_MAX, "16.00EiB");

	char small[5];
	CHECK_STR(bt_fmt_size(small, sizeof(small), 120000), "117.");
	CHECK(bt_fmt_size(small, sizeof(small), 5) == small);

	FMT_IS(bt_fmt_clock, 0, "<unknown>");
	FMT_IS(bt_fmt_clock, -1, "<unknown>");
	FMT_IS(bt_fmt_clock, 1, "0:00:01");
	FMT_IS(bt_fmt_clock, 59, "0:00:59");
	FMT_IS(bt_fmt_clock, 61, "0:01:01");
	FMT_IS(bt_fmt_clock, 3599, "0:59:59");
	FMT_IS(bt_fmt_clock, 3600, "1:00:00");
	FMT_IS(bt_fmt_clock, 100000, "27:46:40");
	FMT_IS(bt_fmt_clock, 5183999, "1439:59:59");
	FMT_IS(bt_fmt_clock, 5184000, "<unknown>");

	FMT_IS(bt_fmt_text_time, 0, "complete");
	FMT_IS(bt_fmt_text_time, -5, "complete");
	FMT_IS(bt_fmt_text_time, 1, "0 min 01 sec");
	FMT_IS(bt_fmt_text_time, 65, "1 min 05 sec");
	FMT_IS(bt_fmt_text_time, 3599, "59 min 59 sec");
	FMT_IS(bt_fmt_text_time, 3600, "1 hour 00 min 00 sec");
	FMT_IS(bt_fmt_text_time, 7199, "1 hour 59 min 59 sec");
	FMT_IS(bt_fmt_text_time, 7200, "2 hours 00 min 00 sec");
	FMT_IS(bt_fmt_text_time, 9861, "2 hours 44 min 21 sec");
	FMT_IS(bt_fmt_text_time, 5183999, "1439 hours 59 min 59 sec");
	FMT_IS(bt_fmt_text_time, 5184000, "<unknown>");
}

/* ---- helpers ---- */

static void
hash_of(int k, uint8_t h[20])
{
	for (int j = 0; j < 20; j++)
		h[j] = (uint8_t)(k * 37 + j * 11 + 0x80);
	h[0] = (uint8_t)k;
}

/* Setup, not a check: only a failure is counted. */
static void
store_announce(struct bt_tracker *t, const struct bt_store_req *r)
{
	uint8_t out[64];
	struct bt_store_reply rep;
	if (bt_store_announce(bt_tracker_store(t), r, out, &rep))
		check_true_(0, __FILE__, __LINE__, "announce failed");
}

/* One announce from 10.0.<a>.<b>:6881. */
static void
announce(struct bt_tracker *t, const uint8_t h[20], int a, int seed, int event)
{
	uint8_t addr[6] = { 10, 0, (uint8_t)(a >> 8), (uint8_t)a, 0x1a, 0xe1 };
	uint8_t id[20] = { 0 };
	struct bt_store_req r = { .info_hash = h, .addr = addr, .addr_len = 6,
		.peer_id = id, .event = event, .seed = seed,
		.flags = BT_PEER_REACHABLE | BT_PEER_CRYPTO_OK };
	store_announce(t, &r);
}

static void
announce6(struct bt_tracker *t, const uint8_t h[20], int a)
{
	uint8_t addr[18] = { 0x20, 0x01, 0x0d, 0xb8 };
	addr[15] = (uint8_t)a;
	addr[16] = 0x1a;
	addr[17] = 0xe1;
	struct bt_store_req r = { .info_hash = h, .addr = addr, .addr_len = 18,
		.event = BT_STORE_EV_STARTED, .flags = BT_PEER_REACHABLE };
	store_announce(t, &r);
}

static struct bt_tracker *
new_tracker(int show_names, int restricted)
{
	struct bt_tracker_cfg c;
	bt_tracker_cfg_default(&c);
	c.show_names = show_names;
	c.restricted = restricted;
	struct bt_tracker *t = bt_tracker_new(&c);
	CHECK(t != NULL);
	return t;
}

static char *
render(struct bt_tracker *t, const struct bt_infopage_opts *o, struct bt_buf *b)
{
	bt_buf_init(b, 0);
	CHECK(bt_infopage_html(t, o, b) == 0);
	char *s = bt_buf_cstr(b);
	CHECK(s != NULL);
	return s ? s : (char *)"";
}

static size_t
count(const char *s, const char *sub)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
		n++;
	return n;
}

/* Elements balance: every start tag but the void ones is closed in order,
 * attribute values are quoted, and no stray '<' or '>' is left in text. */
static int
well_formed(const char *s)
{
	static const char *const voids[] = { "meta", "link", "br", "hr", "img", "input" };
	char stack[64][16];
	int depth = 0;
	const char *p = s;
	if (strncmp(p, "<!DOCTYPE html>", 15))
		return 0;
	p += 15;
	int in_style = 0;
	while (*p) {
		if (in_style) {
			p = strstr(p, "</style>");
			if (!p)
				return 0;
		}
		if (*p == '>')
			return 0;
		if (*p != '<') {
			p++;
			continue;
		}
		int close = p[1] == '/';
		const char *n = p + 1 + close;
		size_t len = 0;
		while (isalnum((unsigned char)n[len]))
			len++;
		if (!len || len >= 16)
			return 0;
		const char *q = n + len;
		while (*q && *q != '>') {
			if (*q == '<')
				return 0;
			if (*q == '=') {
				if (q[1] != '"')
					return 0;
				q = strchr(q + 2, '"');
				if (!q)
					return 0;
			}
			q++;
		}
		if (!*q)
			return 0;
		char name[16];
		memcpy(name, n, len);
		name[len] = 0;
		int is_void = 0;
		for (size_t k = 0; k < sizeof(voids) / sizeof(*voids); k++)
			is_void |= !strcmp(name, voids[k]);
		if (close) {
			if (!depth || strcmp(stack[depth - 1], name))
				return 0;
			depth--;
			in_style = 0;
		} else if (!is_void) {
			if (depth == 64)
				return 0;
			strcpy(stack[depth++], name);
			in_style = !strcmp(name, "style");
		}
		p = q + 1;
	}
	return depth == 0;
}

/* The info-hash hex strings in the table body, in order. */
static size_t
body_hashes(const char *s, char (*out)[41], size_t max)
{
	size_t n = 0;
	const char *p = strstr(s, "<tbody>");
	const char *end = p ? strstr(p, "</tbody>") : NULL;
	static const char cell[] = "<tr><td class=\"hash\" title=\"";
	while (p && end && (p = strstr(p, cell)) && p < end && n < max) {
		p += sizeof(cell) - 1;
		memcpy(out[n], p, 40);
		out[n++][40] = 0;
	}
	return n;
}

/* ---- the info page ---- */

static void
test_empty(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	struct bt_infopage_opts o = { .version = "bt 0.1.0", .now = NOW };
	struct bt_buf b;
	char *s = render(t, &o, &b);

	CHECK(!strncmp(s, "<!DOCTYPE html>\n<html lang=\"en\">", 31));
	CHECK(strstr(s, "<meta charset=\"utf-8\">") != NULL);
	CHECK(strstr(s, "<meta name=\"viewport\"") != NULL);
	CHECK(strstr(s, "<title>BitTorrent download info</title>") != NULL);
	CHECK(strstr(s, "<h1>BitTorrent download info</h1>") != NULL);
	CHECK(strstr(s, "<style>") != NULL);
	CHECK(strstr(s, "<li><b>tracker version:</b> bt 0.1.0</li>") != NULL);
	CHECK(strstr(s, "<li><b>server time:</b> 2023-11-14 22:13 UTC</li>") != NULL);
	CHECK(strstr(s, "not tracking any files yet...") != NULL);
	CHECK(strstr(s, "<table") == NULL);
	CHECK(strstr(s, "rel=\"icon\"") == NULL);
	/* Without a start time, refresh or /stats: none of them shown. */
	CHECK(strstr(s, "uptime") == NULL);
	CHECK(strstr(s, "http-equiv") == NULL);
	CHECK(strstr(s, "/stats") == NULL);
	CHECK(strstr(s, "<li><b>scrape:</b> <a href=\"/scrape\">/scrape</a>") != NULL);
	CHECK(well_formed(s));
	bt_buf_free(&b);

	o.start = NOW - 90;
	o.refresh = 60;
	o.stats = 1;
	s = render(t, &o, &b);
	CHECK(strstr(s, "<meta http-equiv=\"refresh\" content=\"60\">\n") != NULL);
	CHECK(strstr(s, "<li><b>uptime:</b> 1 min (since 2023-11-14 22:11 UTC)</li>") != NULL);
	CHECK(strstr(s, "<li><b>statistics:</b> <a href=\"/stats\">/stats</a>") != NULL);
	CHECK(well_formed(s));
	bt_buf_free(&b);
	o.start = o.refresh = o.stats = 0;

	o.favicon = "/srv/favicon.ico";
	o.version = "x<y>";
	s = render(t, &o, &b);
	CHECK(strstr(s, "<link rel=\"icon\" href=\"/favicon.ico\">") != NULL);
	CHECK(strstr(s, "tracker version:</b> x&lt;y&gt;</li>") != NULL);
	CHECK(well_formed(s));
	bt_buf_free(&b);

	/* An allowed set without names (allowed_list): its torrents are
	 * listed by hash even without peers. */
	struct bt_allowed a = { .size = 5 };
	hash_of(1, a.info_hash);
	CHECK(bt_tracker_set_allowed(t, &a, 1) == 0);
	s = render(t, &o, &b);
	CHECK(strstr(s, "not tracking any files yet...") == NULL);
	CHECK(strstr(s, "<th scope=\"row\">1 file</th><td class=\"num\">0</td>"
		"<td class=\"num\">0</td><td class=\"num\">0</td>") != NULL);
	CHECK(strstr(s, "torrent name") == NULL);
	bt_buf_free(&b);
	bt_tracker_free(t);
}

/* The uptime, as people say it. */
static void
test_uptime(void)
{
	static const struct { time_t up; const char *want; } cases[] = {
		{ 0, "less than a minute" }, { 59, "less than a minute" },
		{ 60, "1 min" }, { 3599, "59 min" }, { 3600, "1 h 0 min" },
		{ 86399, "23 h 59 min" }, { 86400 + 60, "1 day 0 h 1 min" },
		{ 2 * 86400 + 3 * 3600 + 4 * 60 + 5, "2 days 3 h 4 min" },
		{ 400 * 86400, "400 days 0 h 0 min" },
	};
	struct bt_tracker *t = new_tracker(1, 0);
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct bt_infopage_opts o = { .now = NOW, .start = NOW - cases[k].up };
		char want[128];
		struct bt_buf b;
		char *s = render(t, &o, &b);
		snprintf(want, sizeof(want), "<li><b>uptime:</b> %s (since ", cases[k].want);
		CHECK(strstr(s, want) != NULL);
		bt_buf_free(&b);
	}
	/* A clock that went back shows no negative time. */
	struct bt_infopage_opts o = { .now = NOW, .start = NOW + 100 };
	struct bt_buf b;
	char *s = render(t, &o, &b);
	CHECK(strstr(s, "<li><b>uptime:</b> less than a minute (since ") != NULL);
	bt_buf_free(&b);
	bt_tracker_free(t);
}

/* Three tracked torrents, no names: hash layout, real file count. */
static void
test_hash_layout(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	uint8_t h[3][20];
	for (int k = 0; k < 3; k++)
		hash_of(3 - k, h[k]);		/* h[2] sorts first */
	announce(t, h[0], 1, 1, BT_STORE_EV_STARTED);
	announce(t, h[0], 2, 0, BT_STORE_EV_STARTED);
	announce(t, h[0], 3, 0, BT_STORE_EV_STARTED);
	announce(t, h[1], 4, 0, BT_STORE_EV_STARTED);
	announce(t, h[1], 4, 1, BT_STORE_EV_COMPLETED);
	announce(t, h[2], 5, 0, BT_STORE_EV_STARTED);
	announce6(t, h[2], 6);

	struct bt_infopage_opts o = { .version = "bt 0.1.0", .now = NOW, .allow_get = 1 };
	struct bt_buf b;
	char *s = render(t, &o, &b);
	char hex[3][41], got[8][41];
	for (int k = 0; k < 3; k++)
		bt_hex(hex[k], h[k], 20);

	CHECK(well_formed(s));
	CHECK(strstr(s, "not tracking") == NULL);
	CHECK(strstr(s, "<th scope=\"col\">info hash</th>") != NULL);
	CHECK(strstr(s, "torrent name") == NULL);
	CHECK(strstr(s, "transferred") == NULL);
	CHECK(strstr(s, "/file?") == NULL);
	CHECK(body_hashes(s, got, 8) == 3);
	CHECK(!strcmp(got[0], hex[2]) && !strcmp(got[1], hex[1]) && !strcmp(got[2], hex[0]));
	/* h[0]: 1 seed, 2 leechers, 0 downloaded. */
	char want[256];
	snprintf(want, sizeof(want), HASH_ROW "<td class=\"num\">1</td>"
		"<td class=\"num\">2</td><td class=\"num\">0</td></tr>", hex[0], hex[0]);
	CHECK(strstr(s, want) != NULL);
	/* h[1]: completed once, now a seed. */
	snprintf(want, sizeof(want), HASH_ROW "<td class=\"num\">1</td>"
		"<td class=\"num\">0</td><td class=\"num\">1</td></tr>", hex[1], hex[1]);
	CHECK(strstr(s, want) != NULL);
	/* h[2]: an IPv4 and an IPv6 leecher. */
	snprintf(want, sizeof(want), HASH_ROW "<td class=\"num\">0</td>"
		"<td class=\"num\">2</td><td class=\"num\">0</td></tr>", hex[2], hex[2]);
	CHECK(strstr(s, want) != NULL);
	CHECK(strstr(s, "<tfoot><tr><th scope=\"row\">3 files</th><td class=\"num\">2</td>"
		"<td class=\"num\">4</td><td class=\"num\">1</td></tr></tfoot>") != NULL);
	CHECK(strstr(s, "<ul class=\"legend\">") != NULL);
	CHECK(strstr(s, "<b>downloading:</b>") != NULL);
	CHECK(strstr(s, "<b>size:</b>") == NULL);
	CHECK(strstr(s, "not listed") == NULL);
	bt_buf_free(&b);

	/* Names switched off: the allowed set's names stay hidden. */
	struct bt_tracker *t2 = new_tracker(0, 0);
	struct bt_allowed a = { .name = (char *)"secret", .size = 1 };
	memcpy(a.info_hash, h[0], 20);
	announce(t2, h[0], 1, 0, BT_STORE_EV_STARTED);
	CHECK(bt_tracker_set_allowed(t2, &a, 1) == 0);
	s = render(t2, &o, &b);
	CHECK(strstr(s, "secret") == NULL);
	CHECK(strstr(s, ">1 file</th>") != NULL);
	bt_buf_free(&b);
	bt_tracker_free(t2);

	/* Restricted with a hash-only allowed set: only allowed torrents. */
	struct bt_tracker *t3 = new_tracker(1, 1);
	struct bt_allowed al[2] = { { .size = 0 }, { .size = 0 } };
	memcpy(al[0].info_hash, h[0], 20);
	memcpy(al[1].info_hash, h[1], 20);
	CHECK(bt_tracker_set_allowed(t3, al, 2) == 0);
	announce(t3, h[0], 1, 0, BT_STORE_EV_STARTED);
	announce(t3, h[2], 2, 0, BT_STORE_EV_STARTED);	/* the store takes it */
	s = render(t3, &o, &b);
	CHECK(body_hashes(s, got, 8) == 2);	/* h[1] has no peers but is allowed */
	CHECK(!strcmp(got[0], hex[1]) && !strcmp(got[1], hex[0]));
	CHECK(strstr(s, ">2 files</th>") != NULL);
	CHECK(strstr(s, hex[2]) == NULL);
	bt_buf_free(&b);
	bt_tracker_free(t3);
	bt_tracker_free(t);
}

static void
test_names_layout(void)
{
	struct bt_tracker *t = new_tracker(1, 1);
	uint8_t h[4][20];
	for (int k = 0; k < 4; k++)
		hash_of(k + 1, h[k]);
	h[1][0] = '/';			/* bytes the link must encode */
	h[1][1] = '&';
	h[1][2] = 'A';
	h[1][3] = '~';
	for (int j = 4; j < 20; j++)
		h[1][j] = (uint8_t)(0xe0 + j);
	struct bt_allowed a[4] = {
		{ .name = (char *)"zeta.iso", .size = 3000000, .nfiles = 1 },
		{ .name = (char *)"<b>&\"'", .size = 120000, .nfiles = 2 },
		{ .name = (char *)"alpha", .size = 999, .nfiles = 1 },
		{ .name = (char *)"bad \xff\xc3(utf8\x01", .size = 1024, .nfiles = 1 },
	};
	for (int k = 0; k < 4; k++)
		memcpy(a[k].info_hash, h[k], 20);
	CHECK(bt_tracker_set_allowed(t, a, 4) == 0);
	announce(t, h[0], 1, 0, BT_STORE_EV_STARTED);
	announce(t, h[0], 1, 1, BT_STORE_EV_COMPLETED);
	announce(t, h[0], 2, 0, BT_STORE_EV_STARTED);
	announce(t, h[0], 2, 1, BT_STORE_EV_COMPLETED);
	announce(t, h[0], 3, 0, BT_STORE_EV_STARTED);
	announce(t, h[1], 4, 0, BT_STORE_EV_STARTED);
	/* h[2] and h[3] have no peers. */

	struct bt_infopage_opts o = { .version = "bt 0.1.0", .now = NOW };
	struct bt_buf b;
	char *s = render(t, &o, &b);
	char hex[4][41], got[8][41];
	for (int k = 0; k < 4; k++)
		bt_hex(hex[k], h[k], 20);

	CHECK(well_formed(s));
	CHECK(strstr(s, "<th scope=\"col\">torrent name</th>") != NULL);
	CHECK(strstr(s, ">transferred</th>") != NULL);
	CHECK(strstr(s, "/file?") == NULL);
	/* Escaped, never raw. */
	CHECK(strstr(s, "<td class=\"name\">&lt;b&gt;&amp;&quot;&#39;</td>") != NULL);
	CHECK(strstr(s, "<b>&") == NULL);
	/* Not UTF-8 and control bytes: U+FFFD each. */
	CHECK(strstr(s, "bad \xef\xbf\xbd\xef\xbf\xbd(utf8\xef\xbf\xbd</td>") != NULL);
	/* Sorted by name (byte order): "<b>..." < "alpha" < "bad..." < "zeta.iso". */
	CHECK(body_hashes(s, got, 8) == 4);
	CHECK(!strcmp(got[0], hex[1]) && !strcmp(got[1], hex[2]) &&
		!strcmp(got[2], hex[3]) && !strcmp(got[3], hex[0]));
	char want[512];
	snprintf(want, sizeof(want), HASH_ROW "<td class=\"name\">zeta.iso"
		"</td><td class=\"num\" title=\"3000000 bytes\">2.86MiB</td><td class=\"num\">2"
		"</td><td class=\"num\">1</td><td class=\"num\">2</td><td class=\"num\" "
		"title=\"6000000 bytes\">5.72MiB</td></tr>", hex[0], hex[0]);
	CHECK(strstr(s, want) != NULL);
	snprintf(want, sizeof(want), HASH_ROW "<td class=\"name\">alpha"
		"</td><td class=\"num\" title=\"999 bytes\">999 B</td><td class=\"num\">0</td>"
		"<td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\" "
		"title=\"0 bytes\">0 B</td></tr>", hex[2], hex[2]);
	CHECK(strstr(s, want) != NULL);
	/* Totals: 4 torrents, 3000000+120000+999+1024 bytes. */
	CHECK(strstr(s, "<tfoot><tr><th scope=\"row\" colspan=\"2\">4 files</th>"
		"<td class=\"num\" title=\"3122023 bytes\">2.98MiB</td><td class=\"num\">2</td>"
		"<td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\" "
		"title=\"6000000 bytes\">5.72MiB</td></tr></tfoot>") != NULL);
	CHECK(strstr(s, "<b>transferred:</b>") != NULL);
	CHECK(strstr(s, "<b>size:</b>") != NULL);
	CHECK(strstr(s, "download the .torrent") == NULL);
	bt_buf_free(&b);

	/* allow_get: names become links with the percent-encoded hash. */
	o.allow_get = 1;
	s = render(t, &o, &b);
	CHECK(well_formed(s));
	CHECK(count(s, "<a href=\"/file?info_hash=") == 4);
	snprintf(want, sizeof(want), "<td class=\"name\"><a href=\"/file?info_hash=%%2F%%26A~");
	for (int j = 4; j < 20; j++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%%%02X", h[1][j]);
	strcat(want, "\">&lt;b&gt;&amp;&quot;&#39;</a></td>");
	CHECK(strstr(s, want) != NULL);
	CHECK(strstr(s, "download the .torrent") != NULL);
	bt_buf_free(&b);

	/* An allowed_list entry without a name among named ones. */
	struct bt_allowed a5[2] = { a[2], { .size = 0 } };
	hash_of(9, a5[1].info_hash);
	CHECK(bt_tracker_set_allowed(t, a5, 2) == 0);
	s = render(t, &o, &b);
	CHECK(strstr(s, "<span class=\"none\">no name</span>") != NULL);
	CHECK(body_hashes(s, got, 8) == 2);
	bt_hex(hex[0], a5[1].info_hash, 20);
	CHECK(!strcmp(got[0], hex[0]));		/* no name sorts first */
	CHECK(well_formed(s));
	bt_buf_free(&b);
	bt_tracker_free(t);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* More torrents than rows: the first ones in order, the totals of all. */
static void
test_bound(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	enum { N = 300, MAX = 40 };
	static char all[N][41];
	for (int k = 0; k < N; k++) {
		uint8_t h[20];
		for (int j = 0; j < 20; j++)
			h[j] = (uint8_t)(bt_rand64(&rng_state) >> 56);
		announce(t, h, k, 0, BT_STORE_EV_STARTED);
		bt_hex(all[k], h, 20);
	}
	qsort(all, N, sizeof(all[0]), cmp_str);

	struct bt_infopage_opts o = { .version = "bt", .now = NOW, .max_rows = MAX };
	struct bt_buf b;
	char *s = render(t, &o, &b);
	static char got[N][41];
	CHECK(body_hashes(s, got, N) == MAX);
	int same = 1;
	for (int k = 0; k < MAX; k++)
		same &= !strcmp(got[k], all[k]);
	CHECK(same);
	CHECK(strstr(s, ">300 files</th>") != NULL);
	CHECK(strstr(s, "260 more torrents are not listed: the page shows at most 40") != NULL);
	CHECK(well_formed(s));
	bt_buf_free(&b);

	/* The default bound lists them all. */
	o.max_rows = 0;
	s = render(t, &o, &b);
	CHECK(body_hashes(s, got, N) == N);
	CHECK(strstr(s, "not listed") == NULL);
	bt_buf_free(&b);

	/* A capped buffer reports the limit. */
	bt_buf_init(&b, 1000);
	CHECK(bt_infopage_html(t, &o, &b) == BT_E_LIMIT);
	bt_buf_free(&b);
	bt_tracker_free(t);
}

/* ---- statistics ---- */

static int
is_name(const char *p, size_t n)
{
	if (!n || isdigit((unsigned char)p[0]))
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!isalnum((unsigned char)p[k]) && p[k] != '_' && p[k] != ':')
			return 0;
	return 1;
}

/* Check the exposition format line by line; returns the number of samples
 * or -1. */
static int
parse_prom(char *s)
{
	char typed[64][64];
	int ntyped = 0, samples = 0;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#') {
			char kw[8], name[64], rest[128];
			if (sscanf(line, "# %7s %63s %127[^\n]", kw, name, rest) != 3)
				return -1;
			if (!is_name(name, strlen(name)))
				return -1;
			if (!strcmp(kw, "TYPE")) {
				if (strcmp(rest, "counter") && strcmp(rest, "gauge"))
					return -1;
				if (ntyped == 64)
					return -1;
				strcpy(typed[ntyped++], name);
			} else if (strcmp(kw, "HELP")) {
				return -1;
			}
			continue;
		}
		/* name{label="value",...} value */
		const char *p = line;
		size_t n = strcspn(p, "{ ");
		if (!is_name(p, n) || n >= 64)
			return -1;
		int known = 0;
		for (int k = 0; k < ntyped; k++)
			known |= strlen(typed[k]) == n && !strncmp(typed[k], p, n);
		if (!known)
			return -1;
		p += n;
		if (*p == '{') {
			p++;
			for (;;) {
				size_t ln = strcspn(p, "=");
				if (!is_name(p, ln) || p[ln] != '=' || p[ln + 1] != '"')
					return -1;
				p += ln + 2;
				while (*p && *p != '"')
					p += *p == '\\' && p[1] ? 2 : 1;
				if (*p != '"')
					return -1;
				p++;
				if (*p == ',') {
					p++;
					continue;
				}
				if (*p != '}')
					return -1;
				p++;
				break;
			}
		}
		if (*p != ' ')
			return -1;
		p++;
		char *end;
		strtod(p, &end);
		if (end == p || *end)
			return -1;
		samples++;
	}
	return samples;
}

static int
has_line(const char *s, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = s; (p = strstr(p, line)); p += n)
		if ((p == s || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void
http_get(struct bt_tracker *t, const char *req)
{
	struct bt_http_req hr;
	struct sockaddr_storage peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer;
	memset(&peer, 0, sizeof(peer));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(6881);
	sin->sin_addr.s_addr = htonl(0x0a000001);
	CHECK(bt_http_parse_request(req, strlen(req), &hr, 16) > 0);
	struct bt_tracker_req r = { .http = &hr, .peer = &peer, .now = NOW };
	struct bt_tracker_resp resp;
	struct bt_buf body;
	bt_buf_init(&body, 0);
	CHECK(bt_tracker_http(t, &r, &resp, &body) == 0);
	bt_buf_free(&body);
}

/* A UDP connection id is the sender's IP's, whatever its port (libtorrent
 * shares one id among its sockets): an announce from another port of
 * the same address, or the same address IPv4-mapped, is accepted. */
static void
test_udp_conn_id(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	uint8_t pkt[98] = { 0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4 };
	uint8_t reply[BT_TRACKER_UDP_MAX];
	struct sockaddr_storage from;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&from;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&from;

	memset(&from, 0, sizeof(from));
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(0x7f000001);
	a4->sin_port = htons(1000);
	CHECK(bt_tracker_udp(t, pkt, 16, &from, NOW, reply, sizeof(reply)) == 16);
	memcpy(pkt, reply + 8, 8);		/* the connection id */
	pkt[11] = 1;				/* announce */
	pkt[83] = 2;				/* event started */
	for (int k = 0; k < 2; k++) {
		if (k == 0) {
			a4->sin_port = htons(2000);
		} else {
			memset(&from, 0, sizeof(from));
			a6->sin6_family = AF_INET6;
			memcpy(a6->sin6_addr.s6_addr + 10, "\xff\xff\x7f\x00\x00\x01", 6);
			a6->sin6_port = htons(3000);
		}
		memset(reply, 0, sizeof(reply));
		CHECK(bt_tracker_udp(t, pkt, sizeof(pkt), &from, NOW, reply, sizeof(reply)) >= 20);
		CHECK(reply[3] == 1);		/* an announce reply, not an error */
	}
	bt_tracker_free(t);
}

static void
test_stats(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	uint8_t h[2][20];
	hash_of(1, h[0]);
	hash_of(2, h[1]);
	announce(t, h[0], 1, 0, BT_STORE_EV_STARTED);
	announce(t, h[0], 1, 1, BT_STORE_EV_COMPLETED);
	announce(t, h[0], 2, 0, BT_STORE_EV_STARTED);
	announce(t, h[1], 3, 0, BT_STORE_EV_STARTED);
	announce6(t, h[1], 4);
	struct bt_allowed a = { .name = (char *)"x", .size = 1 };
	memcpy(a.info_hash, h[0], 20);
	CHECK(bt_tracker_set_allowed(t, &a, 1) == 0);

	http_get(t, "GET /scrape HTTP/1.0\r\n\r\n");
	http_get(t, "GET /announce HTTP/1.0\r\n\r\n");	/* no info_hash: an error */
	uint8_t pkt[16] = { 0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4 };
	uint8_t reply[BT_TRACKER_UDP_MAX];
	struct sockaddr_storage from;
	memset(&from, 0, sizeof(from));
	from.ss_family = AF_INET;
	CHECK(bt_tracker_udp(t, pkt, sizeof(pkt), &from, NOW, reply, sizeof(reply)) == 16);

	struct bt_infopage_opts o = { .version = "bt \"0.1\"\\", .now = NOW, .start = NOW - 90 };
	struct bt_buf b;
	bt_buf_init(&b, 0);
	CHECK(bt_infopage_stats(t, &o, &b) == 0);
	char *s = bt_buf_cstr(&b);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(has_line(s, "# TYPE bt_tracker_torrents gauge"));
	CHECK(has_line(s, "# HELP bt_tracker_torrents Torrents tracked."));
	CHECK(has_line(s, "bt_tracker_info{version=\"bt \\\"0.1\\\"\\\\\"} 1"));
	CHECK(has_line(s, "bt_tracker_torrents 2"));
	CHECK(has_line(s, "bt_tracker_allowed_torrents 1"));
	CHECK(has_line(s, "bt_tracker_peers{family=\"ipv4\"} 3"));
	CHECK(has_line(s, "bt_tracker_peers{family=\"ipv6\"} 1"));
	CHECK(has_line(s, "bt_tracker_seeds 1"));
	CHECK(has_line(s, "bt_tracker_leechers 3"));
	CHECK(has_line(s, "# TYPE bt_tracker_downloads_total counter"));
	CHECK(has_line(s, "bt_tracker_downloads_total 1"));
	CHECK(has_line(s, "# TYPE bt_tracker_downloaded gauge"));
	CHECK(has_line(s, "bt_tracker_downloaded 1"));
	CHECK(has_line(s, "bt_tracker_announces_total{proto=\"http\"} 1"));
	CHECK(has_line(s, "bt_tracker_announces_total{proto=\"udp\"} 0"));
	CHECK(has_line(s, "bt_tracker_scrapes_total{proto=\"http\"} 1"));
	CHECK(has_line(s, "bt_tracker_scrapes_total{proto=\"udp\"} 0"));
	CHECK(has_line(s, "bt_tracker_full_scrapes_total 1"));
	CHECK(has_line(s, "bt_tracker_udp_connects_total 1"));
	CHECK(has_line(s, "bt_tracker_errors_total 1"));
	CHECK(has_line(s, "bt_tracker_denied_total 0"));
	CHECK(strstr(s, "\nbt_tracker_store_bytes ") != NULL);
	CHECK(has_line(s, "bt_tracker_uptime_seconds 90"));
	CHECK(has_line(s, "bt_tracker_start_time_seconds 1699999910"));
	CHECK(s[strlen(s) - 1] == '\n');
	CHECK(parse_prom(s) == 20);
	bt_buf_free(&b);

	/* Without a start time there is no uptime. */
	o.start = 0;
	bt_buf_init(&b, 0);
	CHECK(bt_infopage_stats(t, &o, &b) == 0);
	s = bt_buf_cstr(&b);
	CHECK(s && strstr(s, "uptime") == NULL);
	CHECK(s && parse_prom(s) == 18);
	bt_buf_free(&b);

	/* The parser itself rejects what is not the format. */
	char bad1[] = "# TYPE x gauge\nx{a=\"1\" 2\n";
	char bad2[] = "y 1\n";
	char bad3[] = "# TYPE x gauge\nx 1 2 z\n";
	char good[] = "# HELP x a b c\n# TYPE x counter\nx{a=\"q\\\"\",b=\"\"} 3\n";
	CHECK(parse_prom(bad1) == -1);
	CHECK(parse_prom(bad2) == -1);
	CHECK(parse_prom(bad3) == -1);
	CHECK(parse_prom(good) == 1);
	bt_tracker_free(t);
}

/* The value of metric line `name` in the tracker's /stats, or -1. */
static long long
stat_value(struct bt_tracker *t, const char *name)
{
	struct bt_infopage_opts o = { .now = NOW };
	struct bt_buf b;
	long long v = -1;
	size_t n = strlen(name);
	bt_buf_init(&b, 0);
	CHECK(bt_infopage_stats(t, &o, &b) == 0);
	const char *s = bt_buf_cstr(&b);
	for (const char *p = s; p && (p = strstr(p, name)); p += n)
		if ((p == s || p[-1] == '\n') && p[n] == ' ')
			v = strtoll(p + n + 1, NULL, 10);
	bt_buf_free(&b);
	return v;
}

/* bt_tracker_downloads_total is a counter: torrents that expire, are no
 * longer allowed or are restored from a state file never make it go
 * down; the per-torrent sum (a gauge) does. */
static void
test_monotonic(void)
{
	struct bt_tracker *t = new_tracker(1, 0);
	uint8_t h[3][20];
	for (int k = 0; k < 3; k++)
		hash_of(k + 1, h[k]);
	announce(t, h[0], 1, 0, BT_STORE_EV_STARTED);
	announce(t, h[0], 1, 1, BT_STORE_EV_COMPLETED);
	announce(t, h[0], 1, 1, BT_STORE_EV_COMPLETED);	/* counted once */
	announce(t, h[1], 2, 1, BT_STORE_EV_COMPLETED);
	CHECK(stat_value(t, "bt_tracker_downloads_total") == 2);
	CHECK(stat_value(t, "bt_tracker_downloaded") == 2);

	/* Two sweeps without announces: every peer and torrent expires. */
	bt_tracker_sweep(t);
	bt_tracker_sweep(t);
	CHECK(stat_value(t, "bt_tracker_torrents") == 0);
	CHECK(stat_value(t, "bt_tracker_downloaded") == 0);
	CHECK(stat_value(t, "bt_tracker_downloads_total") == 2);

	/* A torrent that comes back counts from there on. */
	announce(t, h[0], 3, 1, BT_STORE_EV_COMPLETED);
	CHECK(stat_value(t, "bt_tracker_downloads_total") == 3);
	CHECK(stat_value(t, "bt_tracker_downloaded") == 1);

	/* Restored counts (a state file) add what they raise, once. */
	struct bt_store *st = bt_tracker_store(t);
	CHECK(bt_store_touch(st, h[2], 0, 5) == 0);
	CHECK(bt_store_touch(st, h[2], 0, 4) == 0);
	CHECK(bt_store_touch(st, h[0], 0, 3) == 0);	/* 1 -> 3 */
	CHECK(stat_value(t, "bt_tracker_downloads_total") == 10);
	CHECK(stat_value(t, "bt_tracker_downloaded") == 8);

	/* Dropped when no longer allowed (restricted): still counted. */
	bt_store_drop(st, h[2]);
	CHECK(stat_value(t, "bt_tracker_downloaded") == 3);
	CHECK(stat_value(t, "bt_tracker_downloads_total") == 10);
	bt_tracker_free(t);
}

int
main(void)
{
	test_formats();
	test_empty();
	test_uptime();
	test_hash_layout();
	test_names_layout();
	test_bound();
	test_stats();
	test_udp_conn_id();
	test_monotonic();
	return check_summary("infopage");
}
