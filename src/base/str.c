/* str.c - see str.h */
#include "str.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bt_str_printable(char *dst, size_t cap, const void *p, size_t n)
{
	const uint8_t *q = p;
	size_t k;

	if (n > cap - 1)
		n = cap - 1;
	for (k = 0; k < n; k++)
		dst[k] = q[k] < 0x20 || q[k] == 0x7f ? '?' : (char)q[k];
	dst[k] = 0;
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
