/* magnet.c - magnet URIs (BEP 9, BEP 53): the parser and the writer (see
 * magnet.h). */
#include "magnet.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "str.h"

#define BTIH "urn:btih:"

int
bt_magnet_is(const char *s, size_t n)
{
	return n >= 8 && bt_str_ieq(s, 7, "magnet:") && s[7] == '?';
}

/* Percent-decode p[0..n) into a new string.  NULL with *why set when it
 * is malformed, too long or holds a NUL; NULL with *why NULL when out of
 * memory. */
static char *
decode(const char *p, size_t n, const char **why)
{
	char *out;
	size_t k = 0;

	*why = NULL;
	if (n > 3 * BT_MAGNET_VALUE_MAX) {
		*why = "a value is too long";
		return NULL;
	}
	if (!(out = malloc(n + 1)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%') {
			int hi = i + 2 < n ? bt_hexval(p[i + 1]) : -1;
			int lo = i + 2 < n ? bt_hexval(p[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*why = "a bad percent escape";
				goto bad;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0) {
			*why = "a NUL byte in a value";
			goto bad;
		}
		out[k++] = (char)c;
	}
	if (k > BT_MAGNET_VALUE_MAX) {
		*why = "a value is too long";
		goto bad;
	}
	out[k] = 0;
	return out;
bad:
	free(out);
	return NULL;
}

/* 1 if key k[0..n) is name, or name followed by "." and 1-4 digits. */
static int
key_is(const char *k, size_t n, const char *name)
{
	size_t l = strlen(name);

	if (n < l || memcmp(k, name, l) != 0)
		return 0;
	if (n == l)
		return 1;
	if (k[l] != '.' || n - l - 1 < 1 || n - l - 1 > 4)
		return 0;
	for (size_t i = l + 1; i < n; i++)
		if (k[i] < '0' || k[i] > '9')
			return 0;
	return 1;
}

static int
base32_val(int c)
{
	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* 32 base32 letters into 20 bytes; 0 or -1. */
static int
unbase32(uint8_t out[20], const char *s)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < 32; i++) {
		int v = base32_val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return 0;
}

/* xt=: urn:btih: with a hash, else some other kind (ignored). */
static int
take_xt(struct bt_magnet *mg, const char *v, int *have, const char **why)
{
	uint8_t h[20];
	size_t n = strlen(v), hl;

	if (n < strlen(BTIH) || !bt_str_ieq(v, strlen(BTIH), BTIH))
		return 0;	/* urn:btmh: (v2) and others: not ours */
	v += strlen(BTIH);
	hl = n - strlen(BTIH);
	if (hl == 40 && bt_unhex(h, v, 20) == 0)
		;
	else if (hl == 32 && unbase32(h, v) == 0)
		;
	else {
		*why = "the info hash is not 40 hex digits or 32 base32 letters";
		return BT_E_PARSE;
	}
	if (*have && memcmp(h, mg->info_hash, 20) != 0) {
		*why = "two different info hashes";
		return BT_E_PARSE;
	}
	memcpy(mg->info_hash, h, 20);
	*have = 1;
	return 0;
}

/* Append the string v to (*list, *n) of at most max; takes v. */
static int
push_str(char ***list, size_t *n, size_t max, char *v, const char *what, const char **why)
{
	char **l;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], v) == 0) {
			free(v);	/* the same twice: once */
			return 0;
		}
	if (*n >= max) {
		free(v);
		*why = what;
		return BT_E_LIMIT;
	}
	if (!(l = realloc(*list, (*n + 1) * sizeof(*l)))) {
		free(v);
		return BT_E_NOMEM;
	}
	*list = l;
	l[(*n)++] = v;
	return 0;
}

/* x.pe=host:port or [v6]:port; takes v. */
static int
take_peer(struct bt_magnet *mg, char *v, const char **why)
{
	struct bt_magnet_peer *pe;
	char *host = v, *colon;
	uint16_t port;

	if (v[0] == '[') {
		char *end = strchr(v, ']');
		if (!end || end[1] != ':' || end == v + 1)
			goto bad;
		host = v + 1;
		*end = 0;
		colon = end + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || colon == v || memchr(v, ':', (size_t)(colon - v)))
			goto bad;
		*colon = 0;
	}
	/* A port: 1..65535, digits only. */
	if (bt_str_port(colon + 1, strlen(colon + 1), &port) < 0 || port == 0)
		goto bad;
	for (const char *c = host; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == '/' || *c == '[' || *c == ']')
			goto bad;
	if (mg->npeers >= BT_MAGNET_MAX_PEERS) {
		free(v);
		*why = "too many peers (x.pe)";
		return BT_E_LIMIT;
	}
	if (!(pe = realloc(mg->peers, (mg->npeers + 1) * sizeof(*pe)))) {
		free(v);
		return BT_E_NOMEM;
	}
	mg->peers = pe;
	memmove(v, host, strlen(host) + 1);
	pe[mg->npeers].host = v;
	pe[mg->npeers].port = port;
	mg->npeers++;
	return 0;
bad:
	free(v);
	*why = "a peer (x.pe) is not host:port";
	return BT_E_PARSE;
}

/* A file index of so=: digits, <= BT_MAGNET_SO_MAX_INDEX. */
static int
so_index(const char **p, uint32_t *out)
{
	uint32_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > BT_MAGNET_SO_MAX_INDEX)
			return -1;
	}
	*p = s;
	*out = v;
	return 0;
}

/* so=0,2,4-6 (BEP 53). */
static int
take_so(struct bt_magnet *mg, const char *v, const char **why)
{
	struct bt_magnet_range *r;

	for (;;) {
		struct bt_magnet_range x;
		if (so_index(&v, &x.first) < 0)
			goto bad;
		x.last = x.first;
		if (*v == '-' && (v++, so_index(&v, &x.last) < 0 || x.last < x.first))
			goto bad;
		if (mg->nso >= BT_MAGNET_MAX_SO) {
			*why = "too many ranges in so=";
			return BT_E_LIMIT;
		}
		if (!(r = realloc(mg->so, (mg->nso + 1) * sizeof(*r))))
			return BT_E_NOMEM;
		mg->so = r;
		mg->so[mg->nso++] = x;
		if (!*v)
			return 0;
		if (*v++ != ',')
			goto bad;
	}
bad:
	*why = "so= is not a list of file indices and ranges";
	return BT_E_PARSE;
}

/* One key=value pair. */
static int
take_pair(struct bt_magnet *mg, const char *k, size_t kl, char *v, int *have_xt,
	const char **why)
{
	int rc = 0;

	if (key_is(k, kl, "xt")) {
		rc = take_xt(mg, v, have_xt, why);
	} else if (kl == 2 && memcmp(k, "dn", 2) == 0) {
		if (!mg->dn) {
			mg->dn = v;
			return 0;
		}
	} else if (key_is(k, kl, "tr")) {
		if (!*v)
			goto empty;
		return push_str(&mg->tr, &mg->ntr, BT_MAGNET_MAX_TR, v,
			"too many trackers (tr)", why);
	} else if (key_is(k, kl, "ws")) {
		if (!*v)
			goto empty;
		return push_str(&mg->ws, &mg->nws, BT_MAGNET_MAX_WS, v,
			"too many web seeds (ws)", why);
	} else if (key_is(k, kl, "x.pe")) {
		return take_peer(mg, v, why);
	} else if (kl == 2 && memcmp(k, "so", 2) == 0) {
		rc = take_so(mg, v, why);
	}
	free(v);
	return rc;
empty:
	free(v);
	*why = "an empty tracker or web seed";
	return BT_E_PARSE;
}

int
bt_magnet_parse(struct bt_magnet *mg, const char *uri, size_t n, const char **why)
{
	const char *p, *end = uri + n;
	int have_xt = 0, rc;
	static const char *dummy;

	memset(mg, 0, sizeof(*mg));
	if (!why)
		why = &dummy;
	*why = NULL;
	if (n > BT_MAGNET_MAX_LEN) {
		*why = "the magnet URI is too long";
		return BT_E_LIMIT;
	}
	if (!bt_magnet_is(uri, n) || memchr(uri, 0, n)) {
		*why = "not a magnet URI";
		return BT_E_PARSE;
	}
	if ((p = memchr(uri, '#', n)))
		end = p;	/* a fragment is not part of the query */
	for (p = uri + 8; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end, *eq;
		char *v;

		if (stop == p) {	/* "&&": nothing */
			p = stop + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(stop - p));
		if (!eq || eq == p) {
			*why = "a parameter is not key=value";
			return BT_E_PARSE;
		}
		if (!(v = decode(eq + 1, (size_t)(stop - eq - 1), why)))
			return *why ? BT_E_PARSE : BT_E_NOMEM;
		if ((rc = take_pair(mg, p, (size_t)(eq - p), v, &have_xt, why)) < 0)
			return rc;
		if (stop == end)
			break;
		p = stop + 1;
	}
	if (!have_xt) {
		*why = "no urn:btih: info hash (xt)";
		return BT_E_PARSE;
	}
	return 0;
}

void
bt_magnet_free(struct bt_magnet *mg)
{
	free(mg->dn);
	for (size_t i = 0; i < mg->ntr; i++)
		free(mg->tr[i]);
	free(mg->tr);
	for (size_t i = 0; i < mg->npeers; i++)
		free(mg->peers[i].host);
	free(mg->peers);
	for (size_t i = 0; i < mg->nws; i++)
		free(mg->ws[i]);
	free(mg->ws);
	free(mg->so);
	memset(mg, 0, sizeof(*mg));
}

int
bt_magnet_selected(const struct bt_magnet *mg, size_t i)
{
	if (!mg->so)
		return 1;
	for (size_t k = 0; k < mg->nso; k++)
		if (i >= mg->so[k].first && i <= mg->so[k].last)
			return 1;
	return 0;
}

/* Percent-encode s: everything but RFC 3986's unreserved characters. */
static void
put_encoded(struct bt_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			bt_buf_addc(b, c);
		} else {
			bt_buf_addc(b, '%');
			bt_buf_addc(b, (uint8_t)hex[c >> 4]);
			bt_buf_addc(b, (uint8_t)hex[c & 15]);
		}
	}
}

int
bt_magnet_write(struct bt_buf *b, const uint8_t info_hash[20], const char *name,
	const char *const *tr, size_t ntr)
{
	char hex[41];

	bt_hex(hex, info_hash, 20);
	bt_buf_adds(b, "magnet:?xt=" BTIH);
	bt_buf_adds(b, hex);
	if (name) {
		bt_buf_adds(b, "&dn=");
		put_encoded(b, name);
	}
	for (size_t i = 0; i < ntr; i++) {
		bt_buf_adds(b, "&tr=");
		put_encoded(b, tr[i]);
	}
	return b->err;
}
