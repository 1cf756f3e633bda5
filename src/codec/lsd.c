/* lsd.c - see lsd.h */
#include "lsd.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "str.h"

static int
take_header(struct bt_lsd_msg *m, const struct bt_http_hdr *h)
{
	if (bt_str_ieq(h->name, h->name_len, "port")) {
		/* A decimal port 1..65535, else none (0). */
		if (bt_str_port(h->value, h->value_len, &m->port) < 0)
			m->port = 0;
	} else if (bt_str_ieq(h->name, h->name_len, "infohash")) {
		if (h->value_len == 40 && m->nhash < BT_LSD_HASHES_MAX &&
			bt_unhex(m->hash[m->nhash], h->value, 20) == 0)
			m->nhash++;
	} else if (bt_str_ieq(h->name, h->name_len, "cookie")) {
		if (h->value_len > BT_LSD_COOKIE_MAX)
			return BT_E_LIMIT;
		memcpy(m->cookie, h->value, h->value_len);
		m->cookie_len = h->value_len;
	}
	return 0;
}

int
bt_lsd_parse(struct bt_lsd_msg *m, const uint8_t *p, size_t n)
{
	struct bt_http_req req;
	int rc;

	memset(m, 0, sizeof(*m));
	if (n > BT_LSD_MSG_MAX)
		return BT_E_LIMIT;
	rc = bt_http_parse_request((const char *)p, n, &req, BT_LSD_HDR_MAX);
	if (rc == BT_E_PARTIAL || rc == BT_E_UNSUPPORTED)
		return BT_E_PARSE;
	if (rc < 0)
		return rc;
	if (req.simple || req.method_len != 9 || memcmp(req.method, "BT-SEARCH", 9) != 0 ||
		req.path_len != 1 || req.path[0] != '*')
		return BT_E_PARSE;
	for (size_t i = 0; i < req.nhdr; i++)
		if ((rc = take_header(m, &req.hdr[i])) < 0) {
			memset(m, 0, sizeof(*m));
			return rc;
		}
	if (!m->port || !m->nhash) {
		memset(m, 0, sizeof(*m));
		return BT_E_PARSE;
	}
	return 0;
}

int
bt_lsd_write(char *out, size_t cap, const char *host, uint16_t port,
	const uint8_t (*hash)[20], size_t nhash, const char *cookie)
{
	size_t len;
	int k;

	if (!nhash || nhash > BT_LSD_HASHES_MAX || (cookie && strlen(cookie) > BT_LSD_COOKIE_MAX))
		return BT_E_LIMIT;
	k = snprintf(out, cap, "BT-SEARCH * HTTP/1.1\r\nHost: %s:%u\r\nPort: %u\r\n",
		host, BT_LSD_PORT, (unsigned)port);
	if (k < 0 || (size_t)k >= cap)
		return BT_E_LIMIT;
	len = (size_t)k;
	for (size_t i = 0; i < nhash; i++) {
		char hex[41];
		bt_hex(hex, hash[i], 20);
		k = snprintf(out + len, cap - len, "Infohash: %s\r\n", hex);
		if (k < 0 || (size_t)k >= cap - len)
			return BT_E_LIMIT;
		len += (size_t)k;
	}
	k = cookie && cookie[0] ? snprintf(out + len, cap - len, "cookie: %s\r\n\r\n\r\n", cookie)
		: snprintf(out + len, cap - len, "\r\n\r\n");
	if (k < 0 || (size_t)k >= cap - len || len + (size_t)k > BT_LSD_MSG_MAX)
		return BT_E_LIMIT;
	return (int)(len + (size_t)k);
}
