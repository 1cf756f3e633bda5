/* iplist.c - see iplist.h */
#include "iplist.h"
#include "err.h"
#include "fileio.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
bt_iplist_init(struct bt_iplist *l)
{
	memset(l, 0, sizeof(*l));
}

void
bt_iplist_free(struct bt_iplist *l)
{
	free(l->r);
	bt_iplist_init(l);
}

/* ---- parsing ---- */

/* An address as text: 16 bytes out, *v4 tells which family the text was. */
static int
parse_addr(const char *s, size_t n, uint8_t out[16], int *v4)
{
	char tmp[64];

	if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n))
		return BT_E_PARSE;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET, tmp, out + 12) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out) == 1) {
		*v4 = 0;
		return 0;
	}
	return BT_E_PARSE;
}

/* Keep the first `bits` bits of a; lo gets the rest cleared, hi set. */
static void
prefix_range(const uint8_t a[16], unsigned bits, uint8_t lo[16], uint8_t hi[16])
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
		uint8_t mask = (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
		lo[i] = a[i] & mask;
		hi[i] = (uint8_t)(a[i] | (uint8_t)~mask);
	}
}

static int
range_parse(struct bt_iprange *r, const char *s, size_t n, int with_prefix,
	int with_range, int *v4)
{
	const char *slash = with_prefix ? memchr(s, '/', n) : NULL;
	const char *dash = with_range ? memchr(s, '-', n) : NULL;
	uint8_t a[16];
	int fa;

	if (slash) {
		const char *p = slash + 1, *e = s + n;
		unsigned len = 0;
		if (p == e || e - p > 3)
			return BT_E_PARSE;
		for (; p < e; p++) {
			if (*p < '0' || *p > '9')
				return BT_E_PARSE;
			len = len * 10 + (unsigned)(*p - '0');
		}
		if (parse_addr(s, (size_t)(slash - s), a, &fa) < 0 || len > (fa ? 32u : 128u))
			return BT_E_PARSE;
		prefix_range(a, fa ? 96 + len : len, r->lo, r->hi);
		*v4 = fa;
		return 0;
	}
	if (dash) {
		int fb;
		if (parse_addr(s, (size_t)(dash - s), r->lo, &fa) < 0 ||
		    parse_addr(dash + 1, (size_t)(s + n - dash - 1), r->hi, &fb) < 0 ||
		    fa != fb || memcmp(r->lo, r->hi, 16) > 0)
			return BT_E_PARSE;
		*v4 = fa;
		return 0;
	}
	if (parse_addr(s, n, r->lo, &fa) < 0)
		return BT_E_PARSE;
	memcpy(r->hi, r->lo, 16);
	*v4 = fa;
	return 0;
}

int
bt_iprange_parse(struct bt_iprange *r, const char *s, size_t n, int with_prefix,
	int with_range)
{
	int v4;
	return range_parse(r, s, n, with_prefix, with_range, &v4);
}

/* banned_ips: x:y:ip1[-ip2]. */
static int
banned_parse(struct bt_iprange *r, const char *s, size_t n)
{
	const char *last = s, *second = NULL;
	int colons = 0, v4;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != ':')
			continue;
		last = s + i + 1;
		if (++colons == 2)
			second = s + i + 1;
	}
	if (range_parse(r, last, (size_t)(s + n - last), 0, 1, &v4) == 0 && v4)
		return 0;
	if (second && range_parse(r, second, (size_t)(s + n - second), 0, 1, &v4) == 0)
		return 0;
	return BT_E_PARSE;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct bt_iprange *x = a, *y = b;
	int c = memcmp(x->lo, y->lo, 16);
	return c ? c : memcmp(x->hi, y->hi, 16);
}

/* 1 if lo is at most one past hi (the ranges touch or overlap). */
static int
touches(const uint8_t hi[16], const uint8_t lo[16])
{
	uint8_t next[16];
	int i;

	if (memcmp(lo, hi, 16) <= 0)
		return 1;
	memcpy(next, hi, 16);
	for (i = 15; i >= 0 && ++next[i] == 0; i--)
		;
	return i >= 0 && memcmp(lo, next, 16) == 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

long
bt_iplist_load(struct bt_iplist *l, int format, const uint8_t *buf, size_t len,
	bt_iplist_warn_fn *warn, void *ud)
{
	struct bt_iprange *r = NULL;
	size_t n = 0, cap = 0, pos = 0;
	unsigned long line = 0;
	const char *p = (const char *)buf;

	if (format != BT_IPLIST_ALLOWED && format != BT_IPLIST_BANNED)
		return BT_E_INVAL;
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len, a = pos, b, f;
		pos = nl ? end + 1 : len;
		line++;
		while (a < end && is_space(p[a]))
			a++;
		for (f = a; f < end && !is_space(p[f]); f++)
			;
		if (f == a || p[a] == '#')
			continue;
		struct bt_iprange one;
		for (b = end; b > a && is_space(p[b - 1]); b--)
			;
		int e = format == BT_IPLIST_ALLOWED ?
			bt_iprange_parse(&one, p + a, f - a, 1, 0) :
			banned_parse(&one, p + a, f - a);
		/* PeerGuardian-style names hold spaces: "Some Org:x:1.2.3.0-1.2.3.9" */
		if (e < 0 && format == BT_IPLIST_BANNED && f < b)
			e = banned_parse(&one, p + a, b - a);
		if (e < 0) {
			if (warn)
				warn(ud, line, p + a, b - a, format == BT_IPLIST_ALLOWED ?
					"not an address or address/prefix-length" :
					"not an address or address range after x:y:");
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct bt_iprange *nr = realloc(r, nc * sizeof(*nr));
			if (!nr) {
				free(r);
				return BT_E_NOMEM;
			}
			r = nr;
			cap = nc;
		}
		r[n++] = one;
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), cmp_range);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && touches(r[m - 1].hi, r[i].lo)) {
			if (memcmp(r[i].hi, r[m - 1].hi, 16) > 0)
				memcpy(r[m - 1].hi, r[i].hi, 16);
		} else {
			r[m++] = r[i];
		}
	}
	free(l->r);
	l->r = r;
	l->n = m;
	return (long)m;
}

int
bt_iplist_reload(struct bt_iplist *l, int format, const char *path,
	bt_iplist_warn_fn *warn, void *ud)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	int r;

	if (stat(path, &st) < 0)
		return BT_E_IO;
	if (!bt_file_stamp_changed(&l->stamp, &st))
		return 0;
	if ((r = bt_file_read(path, BT_IPLIST_MAX_SIZE, &buf, &len)) < 0)
		return r;
	long k = bt_iplist_load(l, format, buf, len, warn, ud);
	free(buf);
	if (k < 0)
		return (int)k;
	bt_file_stamp_set(&l->stamp, &st);
	return 1;
}

/* ---- lookups ---- */

int
bt_iplist_contains16(const struct bt_iplist *l, const uint8_t ip[16])
{
	size_t lo = 0, hi = l->n;

	/* The first range whose lo is above ip; the one before may hold it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(l->r[mid].lo, ip, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && memcmp(ip, l->r[lo - 1].hi, 16) <= 0;
}

int
bt_iplist_contains(const struct bt_iplist *l, const struct sockaddr_storage *addr)
{
	uint8_t ip[16];

	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)addr;
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &s4->sin_addr, 4);
	} else if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;
		memcpy(ip, &s6->sin6_addr, 16);
	} else {
		return 0;
	}
	return bt_iplist_contains16(l, ip);
}
