/* str.c - see str.h */
#include "str.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
bt_str_printable(char *dst, size_t cap, const void *p, size_t n)
{
	struct bt_buf b;
	size_t k;

	bt_buf_init(&b, 0);
	bt_str_escape(&b, p, n);
	k = b.err ? 0 : b.len < cap - 1 ? b.len : cap - 1;
	if (k < b.len) {
		/* Not in the middle of a UTF-8 sequence or of an escape. */
		while (k > 0 && (b.p[k] & 0xc0) == 0x80)
			k--;
		for (size_t back = 1; back <= 3 && back <= k; back++)
			if (b.p[k - back] == '\\') {
				k -= back;
				break;
			}
	}
	if (k)
		memcpy(dst, b.p, k);
	dst[k] = 0;
	bt_buf_free(&b);
}

/* The length of the valid UTF-8 sequence at p[0..n) and its code point,
 * or 0 when p[0] does not start one (overlong forms, surrogates and code
 * points past U+10FFFF are not valid). */
static size_t
utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	uint32_t c;

	if (p[0] >= 0xf5 || len == 0 || len > n)
		return 0;
	c = p[0] & (0x7fu >> len);
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3fu);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points a terminal would act on or that reorder what is shown. */
static int
unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x200e || c == 0x200f ||
		(c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void
bt_str_escape(struct bt_buf *out, const void *p, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	const uint8_t *q = p;
	size_t k = 0;

	while (k < n) {
		uint8_t c = q[k];
		uint32_t cp = 0;
		size_t len = c >= 0x80 ? utf8_seq(q + k, n - k, &cp) : 0;
		if (c >= 0x20 && c < 0x7f) {
			bt_buf_addc(out, c);
			k++;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			bt_buf_adds(out, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
			k++;
		} else if (len && !unsafe_cp(cp)) {
			bt_buf_add(out, q + k, len);
			k += len;
		} else {
			/* Every byte of an unsafe character, or the one bad byte. */
			for (size_t end = k + (len ? len : 1); k < end; k++) {
				char e[4] = { '\\', 'x', hexd[q[k] >> 4], hexd[q[k] & 15] };
				bt_buf_add(out, e, 4);
			}
		}
	}
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
bt_str_ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || lower((uint8_t)p[i]) != lower((uint8_t)s[i]))
			return 0;
	return s[i] == 0;
}

int
bt_str_utc(char *out, size_t cap, int64_t t, int seconds)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt == t && gmtime_r(&tt, &tm) &&
	    strftime(out, cap, seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC", &tm))
		return 0;
	snprintf(out, cap, "unknown");
	return -1;
}

int
bt_str_port(const char *p, size_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

void
bt_hex(char *out, const uint8_t *p, size_t n)
{
	static const char dig[] = "0123456789abcdef";
	for (size_t k = 0; k < n; k++) {
		out[2 * k] = dig[p[k] >> 4];
		out[2 * k + 1] = dig[p[k] & 15];
	}
	out[2 * n] = 0;
}

int
bt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bt_unhex(uint8_t *out, const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int hi = bt_hexval((unsigned char)s[2 * k]);
		int lo = hi < 0 ? -1 : bt_hexval((unsigned char)s[2 * k + 1]);
		if (lo < 0)
			return -1;
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
bt_strv_split(struct bt_strv *out, const char *s, char sep)
{
	out->v = NULL;
	out->n = 0;
	while (*s) {
		const char *e = strchr(s, sep);
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len) {
			char **nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
			char *item = malloc(len + 1);
			if (!nv || !item) {
				free(item);
				if (nv)
					out->v = nv;
				bt_strv_free(out);
				return BT_E_NOMEM;
			}
			memcpy(item, s, len);
			item[len] = 0;
			out->v = nv;
			out->v[out->n++] = item;
		}
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

void
bt_strv_free(struct bt_strv *v)
{
	for (size_t k = 0; k < v->n; k++)
		free(v->v[k]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

int
bt_tiers_parse(struct bt_tiers *out, const char *s)
{
	struct bt_strv tiers;
	int rc = bt_strv_split(&tiers, s, '|');

	out->t = NULL;
	out->n = 0;
	if (rc)
		return rc;
	out->t = calloc(tiers.n ? tiers.n : 1, sizeof(*out->t));
	if (!out->t) {
		bt_strv_free(&tiers);
		return BT_E_NOMEM;
	}
	for (size_t k = 0; k < tiers.n; k++) {
		rc = bt_strv_split(&out->t[out->n], tiers.v[k], ',');
		if (rc)
			break;
		if (out->t[out->n].n)
			out->n++;
	}
	bt_strv_free(&tiers);
	if (rc)
		bt_tiers_free(out);
	return rc;
}

void
bt_tiers_free(struct bt_tiers *t)
{
	for (size_t k = 0; k < t->n; k++)
		bt_strv_free(&t->t[k]);
	free(t->t);
	t->t = NULL;
	t->n = 0;
}

char *
bt_fmt_size(char *out, size_t cap, uint64_t n)
{
	static const char unit[] = "KMGTPE";
	if (n < 1000) {
		snprintf(out, cap, "%u B", (unsigned)n);
		return out;
	}
	/* Unit k (1 = KiB) covers [1000 * 1024^(k-1), 1000 * 1024^k). */
	unsigned k = 1;
	while (k < 6 && n >= 1000ull << (10 * k))
		k++;
	snprintf(out, cap, "%.2f%ciB", (double)n / (double)(1ull << (10 * k)), unit[k - 1]);
	return out;
}

char *
bt_fmt_clock(char *out, size_t cap, int64_t secs)
{
	if (secs <= 0 || secs >= BT_FMT_MAX_SECS)
		snprintf(out, cap, "<unknown>");
	else
		snprintf(out, cap, "%u:%02u:%02u", (unsigned)(secs / 3600),
			(unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	return out;
}

char *
bt_fmt_text_time(char *out, size_t cap, int64_t secs)
{
	unsigned h = (unsigned)(secs / 3600), m = (unsigned)(secs / 60 % 60),
		s = (unsigned)(secs % 60);
	if (secs < 1)
		snprintf(out, cap, "complete");
	else if (secs >= BT_FMT_MAX_SECS)
		snprintf(out, cap, "<unknown>");
	else if (secs >= 7200)
		snprintf(out, cap, "%u hours %02u min %02u sec", h, m, s);
	else if (secs >= 3600)
		snprintf(out, cap, "%u hour %02u min %02u sec", h, m, s);
	else
		snprintf(out, cap, "%u min %02u sec", m, s);
	return out;
}
