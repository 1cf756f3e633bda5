/* infopage.c - see infopage.h */
#include "infopage.h"
#include "text.h"
#include "http.h"
#include "err.h"
#include "str.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- escaping ---- */

/* Length of the well-formed UTF-8 sequence at p that HTML may carry as
 * text, or 0: malformed bytes and control characters (C0 but tab, DEL,
 * C1) are not let through. */
static size_t
utf8_ok(const uint8_t *p)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return c == '\t' || (c >= 0x20 && c != 0x7f) ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		if ((p[1] & 0xc0) != 0x80 || (c == 0xc2 && p[1] < 0xa0))
			return 0;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Text from a torrent or the command line, as HTML text or attribute
 * value: the five special characters become references and whatever is
 * not clean UTF-8 becomes U+FFFD, one per byte.  (The checks above stop
 * at the NUL, so they never read past the string.) */
static void
html_text(struct bt_buf *b, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	while (*p) {
		const char *ref = NULL;
		switch (*p) {
		case '&': ref = "&amp;"; break;
		case '<': ref = "&lt;"; break;
		case '>': ref = "&gt;"; break;
		case '"': ref = "&quot;"; break;
		case '\'': ref = "&#39;"; break;
		}
		if (ref) {
			bt_buf_adds(b, ref);
			p++;
			continue;
		}
		size_t n = utf8_ok(p);
		if (n) {
			bt_buf_add(b, p, n);
			p += n;
		} else {
			bt_buf_adds(b, "\xef\xbf\xbd");
			p++;
		}
	}
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* ---- collecting the rows ---- */

struct row {
	uint8_t hash[20];
	const struct bt_allowed *al;	/* names layout only */
	uint32_t complete, incomplete, downloaded;
};

/* By name (no name first) then hash in the names layout, else by hash. */
static int
cmp_row(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	if (a->al && b->al) {
		const char *x = a->al->name, *y = b->al->name;
		int c = x && y ? strcmp(x, y) : (x != NULL) - (y != NULL);
		if (c)
			return c;
	}
	return memcmp(a->hash, b->hash, 20);
}

/* The first `max` rows in order are kept in a max-heap, so the page costs
 * O(max) memory however many torrents there are. */
struct rows {
	struct bt_tracker *t;
	int restricted;
	struct row *heap;
	size_t n, cap, max;
	int err;
	size_t total;			/* torrents seen */
	uint64_t complete, incomplete, downloaded, size, transferred;
};

static void
swap_rows(struct row *a, struct row *b)
{
	struct row tmp = *a;
	*a = *b;
	*b = tmp;
}

static void
rows_add(struct rows *r, const struct row *x)
{
	r->total++;
	r->complete += x->complete;
	r->incomplete += x->incomplete;
	r->downloaded += x->downloaded;
	if (x->al) {
		uint64_t sz = x->al->size > 0 ? (uint64_t)x->al->size : 0;
		r->size = sat_add(r->size, sz);
		r->transferred = sat_add(r->transferred, sat_mul(sz, x->downloaded));
	}
	if (r->n < r->max) {
		if (r->n == r->cap) {
			size_t nc = r->cap ? r->cap * 2 : 64;
			if (nc > r->max)
				nc = r->max;
			struct row *nh = realloc(r->heap, nc * sizeof(*nh));
			if (!nh) {
				r->err = BT_E_NOMEM;
				return;
			}
			r->heap = nh;
			r->cap = nc;
		}
		size_t k = r->n++;
		r->heap[k] = *x;
		while (k && cmp_row(&r->heap[(k - 1) / 2], &r->heap[k]) < 0) {
			swap_rows(&r->heap[(k - 1) / 2], &r->heap[k]);
			k = (k - 1) / 2;
		}
	} else if (r->max && cmp_row(x, &r->heap[0]) < 0) {
		size_t k = 0;
		r->heap[0] = *x;
		for (;;) {
			size_t l = 2 * k + 1, big = k;
			if (l < r->n && cmp_row(&r->heap[l], &r->heap[big]) > 0)
				big = l;
			if (l + 1 < r->n && cmp_row(&r->heap[l + 1], &r->heap[big]) > 0)
				big = l + 1;
			if (big == k)
				break;
			swap_rows(&r->heap[k], &r->heap[big]);
			k = big;
		}
	}
}

static int
collect_tracked(void *ud, const struct bt_store_torrent_info *ti)
{
	struct rows *r = ud;
	if (r->restricted && !bt_tracker_allowed(r->t, ti->info_hash))
		return 0;
	struct row x = { .complete = ti->complete, .incomplete = ti->incomplete,
		.downloaded = ti->downloaded };
	memcpy(x.hash, ti->info_hash, 20);
	rows_add(r, &x);
	return r->err != 0;
}

/* Names are shown when asked for and the allowed set has some (an
 * allowed_dir; an allowed_list has only hashes). */
static int
names_layout(struct bt_tracker *t)
{
	size_t n;
	const struct bt_allowed *a = bt_tracker_allowed_list(t, &n);
	if (!bt_tracker_cfg(t)->show_names)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (a[k].name)
			return 1;
	return 0;
}

static int
collect(struct bt_tracker *t, int names, size_t max, struct rows *r)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->restricted = bt_tracker_cfg(t)->restricted;
	r->max = max;
	if (names) {
		size_t n;
		const struct bt_allowed *a = bt_tracker_allowed_list(t, &n);
		for (size_t k = 0; k < n && !r->err; k++) {
			struct row x = { .al = &a[k] };
			memcpy(x.hash, a[k].info_hash, 20);
			bt_store_counts(bt_tracker_store(t), x.hash, &x.complete,
				&x.incomplete, &x.downloaded);
			rows_add(r, &x);
		}
	} else {
		bt_store_each_torrent(bt_tracker_store(t), collect_tracked, r);
	}
	if (r->err)
		return r->err;
	if (r->n)
		qsort(r->heap, r->n, sizeof(*r->heap), cmp_row);
	return 0;
}

/* ---- the HTML page ---- */

/* The page's texts, kept deflated (text.h). */
static void
adds(struct bt_buf *b, const char *tx)
{
	bt_buf_adds(b, bt_text(tx));
}

static void
put_css(struct bt_buf *b)
{
	adds(b, TX(
	":root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;"
	"--line:#d1d9e0;--head:#f0f3f6;--zebra:#f6f8fa;--hover:#eaf1fb;--link:#0b5cad}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;"
	"--bg:#0d1117;--line:#3d444d;--head:#161b22;--zebra:#11161d;--hover:#1c2a3d;"
	"--link:#58a6ff}}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;padding:2rem 1.5rem;background:var(--bg);color:var(--fg);"
	"font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
	"\"DejaVu Sans\",sans-serif}\n"
	"main{max-width:84rem;margin:0 auto}\n"
	"h1{font-size:1.5rem;font-weight:600;margin:0 0 .5rem}\n"
	"ul.about{list-style:none;margin:0 0 1.5rem;padding:0;color:var(--muted)}\n"
	"ul.about b,ul.legend b{font-weight:600;color:var(--fg)}\n"
	".scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}\n"
	"table{border-collapse:collapse;width:100%;font-size:.875rem;"
	"font-variant-numeric:tabular-nums}\n"
	"th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:left;"
	"white-space:nowrap}\n"
	"thead th{background:var(--head);font-weight:600}\n"
	"tbody tr:nth-child(even){background:var(--zebra)}\n"
	"tbody tr:hover{background:var(--hover)}\n"
	"tfoot th,tfoot td{background:var(--head);font-weight:600;border-bottom:0;"
	"border-top:2px solid var(--line)}\n"
	".num{text-align:right}\n"
	/* Numbers and hashes as narrow as they go; names take the rest. */
	"td.hash,.num{width:1%}\n"
	"td.name{white-space:normal;overflow-wrap:anywhere;min-width:10rem}\n"
	/* The full hash is in the cell (to copy or search) and its title; a
	 * narrow screen shows its first digits, so the names stay in view. */
	"td.hash code{display:block;overflow:hidden;text-overflow:ellipsis}\n"
	"code{font:.8rem/1.4 ui-monospace,\"SFMono-Regular\",\"DejaVu Sans Mono\","
	"Menlo,Consolas,monospace}\n"
	"a{color:var(--link);text-decoration:none}\n"
	"a:hover{text-decoration:underline}\n"
	".none{color:var(--muted);font-style:italic}\n"
	"p.note{color:var(--muted);margin:.75rem 0 0}\n"
	"ul.legend{margin:1.5rem 0 0;padding-left:1.25rem;color:var(--muted);"
	"font-size:.9rem}\n"
	"@media (max-width:48rem){body{padding:1rem .75rem}"
	"th,td{padding:.35rem .4rem}td.hash code{max-width:4.6em}"
	"td.name{min-width:8rem}}\n"));
}

static void
num_cell(struct bt_buf *b, uint64_t v)
{
	bt_buf_printf(b, "<td class=\"num\">%" PRIu64 "</td>", v);
}

static void
size_cell(struct bt_buf *b, uint64_t v)
{
	char s[BT_FMT_MAX];
	bt_buf_printf(b, "<td class=\"num\" title=\"%" PRIu64 " bytes\">%s</td>", v,
		bt_fmt_size(s, sizeof(s), v));
}

static void
row_html(struct bt_buf *b, const struct row *x, int names, int allow_get)
{
	char hex[41];
	bt_hex(hex, x->hash, 20);
	uint64_t sz = names && x->al->size > 0 ? (uint64_t)x->al->size : 0;
	bt_buf_printf(b, "<tr><td class=\"hash\" title=\"%s\"><code>%s</code></td>", hex, hex);
	if (names) {
		bt_buf_adds(b, "<td class=\"name\">");
		if (allow_get) {
			bt_buf_adds(b, "<a href=\"/file?info_hash=");
			bt_http_encode(b, x->hash, 20);
			bt_buf_adds(b, "\">");
		}
		if (x->al->name)
			html_text(b, x->al->name);
		else
			bt_buf_adds(b, "<span class=\"none\">no name</span>");
		bt_buf_adds(b, allow_get ? "</a></td>" : "</td>");
		size_cell(b, sz);
	}
	num_cell(b, x->complete);
	num_cell(b, x->incomplete);
	num_cell(b, x->downloaded);
	if (names)
		size_cell(b, sat_mul(sz, x->downloaded));
	bt_buf_adds(b, "</tr>\n");
}

static void
table_html(struct bt_buf *b, const struct rows *r, int names, int allow_get)
{
	adds(b, TX("<div class=\"scroll\">\n<table>\n<thead><tr>"
		"<th scope=\"col\">info hash</th>"));
	if (names)
		adds(b, TX("<th scope=\"col\">torrent name</th>"
			"<th scope=\"col\" class=\"num\">size</th>"));
	adds(b, TX("<th scope=\"col\" class=\"num\">complete</th>"
		"<th scope=\"col\" class=\"num\">downloading</th>"
		"<th scope=\"col\" class=\"num\">downloaded</th>"));
	if (names)
		adds(b, TX("<th scope=\"col\" class=\"num\">transferred</th>"));
	bt_buf_adds(b, "</tr></thead>\n<tbody>\n");
	for (size_t k = 0; k < r->n; k++)
		row_html(b, &r->heap[k], names, allow_get);
	bt_buf_adds(b, "</tbody>\n<tfoot><tr>");
	bt_buf_printf(b, "<th scope=\"row\"%s>%zu %s</th>", names ? " colspan=\"2\"" : "",
		r->total, r->total == 1 ? "file" : "files");
	if (names)
		size_cell(b, r->size);
	num_cell(b, r->complete);
	num_cell(b, r->incomplete);
	num_cell(b, r->downloaded);
	if (names)
		size_cell(b, r->transferred);
	bt_buf_adds(b, "</tr></tfoot>\n</table>\n</div>\n");
	if (r->total > r->n)
		bt_buf_printf(b, "<p class=\"note\">%zu more %s not listed: the page "
			"shows at most %zu (the totals count all).</p>\n", r->total - r->n,
			r->total - r->n == 1 ? "torrent is" : "torrents are", r->max);
}

static void
legend_html(struct bt_buf *b, int names, int allow_get)
{
	adds(b, TX("<ul class=\"legend\">\n"
		"<li><b>info hash:</b> the SHA-1 hash of the torrent's info section, "
		"which identifies it</li>\n"));
	if (names) {
		adds(b, TX("<li><b>torrent name:</b> the name given in the torrent"));
		if (allow_get)
			adds(b, TX("; follow it to download the .torrent file"));
		adds(b, TX("</li>\n<li><b>size:</b> the total size of the torrent's "
			"files</li>\n"));
	}
	adds(b, TX("<li><b>complete:</b> peers that have all of it (seeds)</li>\n"
		"<li><b>downloading:</b> peers still downloading (leechers)</li>\n"
		"<li><b>downloaded:</b> downloads reported as finished</li>\n"));
	if (names)
		adds(b, TX("<li><b>transferred:</b> size &times; downloaded, about how "
			"much data the swarm has delivered</li>\n"));
	bt_buf_adds(b, "</ul>\n");
}

/* A duration as people say it, to the minute: "3 days 4 h 5 min",
 * "2 h 0 min", "7 min", "less than a minute". */
static void
duration_html(struct bt_buf *b, time_t secs)
{
	long long m = secs / 60, d = m / 1440, h = m / 60 % 24;
	if (m < 1) {
		bt_buf_adds(b, "less than a minute");
		return;
	}
	if (d)
		bt_buf_printf(b, "%lld %s ", d, d == 1 ? "day" : "days");
	if (d || h)
		bt_buf_printf(b, "%lld h ", h);
	bt_buf_printf(b, "%lld min", m % 60);
}

/* The rest of the list at the top: uptime, and where the other pages are. */
static void
about_html(struct bt_buf *b, struct bt_tracker *t, const struct bt_infopage_opts *o)
{
	if (o->start > 0) {
		char since[32];
		bt_str_utc(since, sizeof(since), o->start, 0);
		bt_buf_adds(b, "<li><b>uptime:</b> ");
		duration_html(b, o->now > o->start ? o->now - o->start : 0);
		bt_buf_printf(b, " (since %s)</li>\n", since);
	}
	if (o->stats)
		adds(b, TX("<li><b>statistics:</b> <a href=\"/stats\">/stats</a> "
			"(counters for monitoring, Prometheus text)</li>\n"));
	if (bt_tracker_cfg(t)->scrape_allowed == BT_SCRAPE_FULL)
		adds(b, TX("<li><b>scrape:</b> <a href=\"/scrape\">/scrape</a> "
			"(every torrent's counts, bencoded)</li>\n"));
}

int
bt_infopage_html(struct bt_tracker *t, const struct bt_infopage_opts *o,
	struct bt_buf *out)
{
	int names = names_layout(t);
	struct rows r;
	int rc = collect(t, names, o->max_rows ? o->max_rows : BT_INFOPAGE_MAX_ROWS, &r);
	if (rc) {
		free(r.heap);
		return rc;
	}

	char when[32];
	bt_str_utc(when, sizeof(when), o->now, 0);

	adds(out, TX("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"));
	if (o->refresh > 0)
		bt_buf_printf(out, "<meta http-equiv=\"refresh\" content=\"%u\">\n", o->refresh);
	bt_buf_adds(out, "<title>BitTorrent download info</title>\n");
	if (o->favicon)
		bt_buf_adds(out, "<link rel=\"icon\" href=\"/favicon.ico\">\n");
	bt_buf_adds(out, "<style>\n");
	put_css(out);
	adds(out, TX("</style>\n</head>\n<body>\n<main>\n"
		"<h1>BitTorrent download info</h1>\n<ul class=\"about\">\n"
		"<li><b>tracker version:</b> "));
	html_text(out, o->version ? o->version : "unknown");
	bt_buf_printf(out, "</li>\n<li><b>server time:</b> %s</li>\n", when);
	about_html(out, t, o);
	bt_buf_adds(out, "</ul>\n");

	if (r.total == 0) {
		bt_buf_adds(out, "<p>not tracking any files yet...</p>\n");
	} else {
		table_html(out, &r, names, o->allow_get);
		legend_html(out, names, o->allow_get);
	}
	bt_buf_adds(out, "</main>\n</body>\n</html>\n");
	free(r.heap);
	return out->err;
}

/* ---- Prometheus text format ---- */

static void
metric(struct bt_buf *b, const char *name, const char *type, const char *help)
{
	name = bt_text(name);	/* a deflated text's number too */
	bt_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, bt_text(help), name, type);
}

/* A label value: backslash, double quote and newline are escaped. */
static void
label_value(struct bt_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			bt_buf_adds(b, "\\\\");
		else if (*s == '"')
			bt_buf_adds(b, "\\\"");
		else if (*s == '\n')
			bt_buf_adds(b, "\\n");
		else
			bt_buf_addc(b, (uint8_t)*s);
	}
}

int
bt_infopage_stats(struct bt_tracker *t, const struct bt_infopage_opts *o,
	struct bt_buf *out)
{
	const struct bt_tracker_counters *n = bt_tracker_counters(t);
	struct bt_store_stats st;
	size_t nallowed;

	bt_store_stats(bt_tracker_store(t), &st);
	bt_tracker_allowed_list(t, &nallowed);
	uint64_t peers = (uint64_t)st.peers4 + st.peers6;

	metric(out, "bt_tracker_info", "gauge", TX("Tracker version (always 1)."));
	bt_buf_adds(out, "bt_tracker_info{version=\"");
	label_value(out, o->version ? o->version : "unknown");
	bt_buf_adds(out, "\"} 1\n");

	metric(out, "bt_tracker_torrents", "gauge", TX("Torrents tracked."));
	bt_buf_printf(out, "bt_tracker_torrents %zu\n", st.torrents);
	metric(out, "bt_tracker_allowed_torrents", "gauge",
		TX("Torrents in the allowed set (allowed_dir or allowed_list)."));
	bt_buf_printf(out, "bt_tracker_allowed_torrents %zu\n", nallowed);
	metric(out, "bt_tracker_peers", "gauge", TX("Peers tracked, by address family."));
	bt_buf_printf(out, "bt_tracker_peers{family=\"ipv4\"} %zu\n", st.peers4);
	bt_buf_printf(out, "bt_tracker_peers{family=\"ipv6\"} %zu\n", st.peers6);
	metric(out, "bt_tracker_seeds", "gauge", TX("Peers that have the whole torrent."));
	bt_buf_printf(out, "bt_tracker_seeds %zu\n", st.seeds);
	metric(out, "bt_tracker_leechers", "gauge", TX("Peers still downloading."));
	bt_buf_printf(out, "bt_tracker_leechers %" PRIu64 "\n",
		peers > st.seeds ? peers - st.seeds : 0);
	metric(out, "bt_tracker_downloads_total", "counter",
		TX("Finished downloads recorded since start (counts restored from the "
		"state file included); never goes down while the tracker runs."));
	bt_buf_printf(out, "bt_tracker_downloads_total %" PRIu64 "\n", st.downloads);
	metric(out, "bt_tracker_downloaded", "gauge",
		TX("Finished downloads recorded for the torrents tracked now (drops when "
		"a torrent expires)."));
	bt_buf_printf(out, "bt_tracker_downloaded %" PRIu64 "\n", st.downloaded);

	metric(out, "bt_tracker_announces_total", "counter", TX("Announce requests."));
	bt_buf_printf(out, "bt_tracker_announces_total{proto=\"http\"} %" PRIu64 "\n",
		n->announces);
	bt_buf_printf(out, "bt_tracker_announces_total{proto=\"udp\"} %" PRIu64 "\n",
		n->udp_announces);
	metric(out, "bt_tracker_scrapes_total", "counter", TX("Scrape requests."));
	bt_buf_printf(out, "bt_tracker_scrapes_total{proto=\"http\"} %" PRIu64 "\n",
		n->scrapes);
	bt_buf_printf(out, "bt_tracker_scrapes_total{proto=\"udp\"} %" PRIu64 "\n",
		n->udp_scrapes);
	metric(out, "bt_tracker_full_scrapes_total", "counter",
		TX("HTTP scrapes of every torrent."));
	bt_buf_printf(out, "bt_tracker_full_scrapes_total %" PRIu64 "\n", n->full_scrapes);
	metric(out, "bt_tracker_udp_connects_total", "counter", TX("UDP connect requests."));
	bt_buf_printf(out, "bt_tracker_udp_connects_total %" PRIu64 "\n", n->udp_connects);
	metric(out, "bt_tracker_errors_total", "counter",
		TX("HTTP requests answered with a failure reason."));
	bt_buf_printf(out, "bt_tracker_errors_total %" PRIu64 "\n", n->errors);
	metric(out, "bt_tracker_denied_total", "counter",
		TX("Announces refused because the torrent is not allowed."));
	bt_buf_printf(out, "bt_tracker_denied_total %" PRIu64 "\n", n->denied);

	metric(out, "bt_tracker_store_bytes", "gauge", TX("Heap held by the peer store."));
	bt_buf_printf(out, "bt_tracker_store_bytes %zu\n", st.bytes);
	if (o->start > 0) {
		metric(out, "bt_tracker_start_time_seconds", "gauge",
			TX("When the tracker started, in seconds since the Unix epoch."));
		bt_buf_printf(out, "bt_tracker_start_time_seconds %lld\n",
			(long long)o->start);
		metric(out, "bt_tracker_uptime_seconds", "gauge",
			TX("Seconds since the tracker started."));
		bt_buf_printf(out, "bt_tracker_uptime_seconds %lld\n",
			o->now > o->start ? (long long)(o->now - o->start) : 0LL);
	}
	return out->err;
}
