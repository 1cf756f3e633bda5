/* test_lsd.c - the BT-SEARCH message of local service discovery (BEP 14,
 * lsd.h): parsing what libtorrent and Transmission send, refusing what is
 * wrong, writing, and one through the other. */
#include "check.h"
#include "err.h"
#include "lsd.h"

#include <string.h>

static int
parse_str(struct bt_lsd_msg *m, const char *s)
{
	return bt_lsd_parse(m, (const uint8_t *)s, strlen(s));
}

#define IH1 "0123456789abcdef0123456789abcdef01234567"
#define IH2 "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

static void
test_parse(void)
{
	struct bt_lsd_msg m;

	/* libtorrent's shape: two blank lines at the end, a cookie. */
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\n"
		"Port: 6881\r\nInfohash: " IH1 "\r\ncookie: 6aa5b2\r\n\r\n\r\n"), ==, 0);
	CHECK_INT(m.port, ==, 6881);
	CHECK_INT(m.nhash, ==, 1);
	CHECK_INT(m.hash[0][0], ==, 0x01);
	CHECK_INT(m.hash[0][19], ==, 0x67);
	CHECK_INT(m.cookie_len, ==, 6);
	CHECK(memcmp(m.cookie, "6aa5b2", 6) == 0);
	/* Any case for the names, upper-case hex, several hashes, no cookie,
	 * a bad hash skipped, unknown headers ignored. */
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nHOST: [ff15::efc0:988f]:6771\r\n"
		"port: 51413\r\ninfohash: " IH2 "\r\nInfohash: xyz\r\nX-Other: 1\r\n"
		"Infohash: " IH1 "\r\n\r\n"), ==, 0);
	CHECK_INT(m.port, ==, 51413);
	CHECK_INT(m.nhash, ==, 2);
	CHECK_INT(m.hash[0][0], ==, 0xfe);
	CHECK_INT(m.hash[1][0], ==, 0x01);
	CHECK_INT(m.cookie_len, ==, 0);
}

static void
test_refused(void)
{
	struct bt_lsd_msg m;
	char big[BT_LSD_MSG_MAX + 100];
	char line[80];
	size_t n;

	CHECK_INT(parse_str(&m, ""), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "GET * HTTP/1.1\r\nPort: 1\r\nInfohash: " IH1 "\r\n\r\n"), ==,
		BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH / HTTP/1.1\r\nPort: 1\r\nInfohash: " IH1 "\r\n\r\n"),
		==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nInfohash: " IH1 "\r\n\r\n"), ==,
		BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: " IH1 "\r\n\r\n"),
		==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\nInfohash: " IH1
		"\r\n\r\n"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 1x\r\nInfohash: " IH1 "\r\n\r\n"),
		==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: 0123\r\n\r\n"), ==,
		BT_E_PARSE);
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " IH1), ==,
		BT_E_PARSE);	/* no end */
	CHECK_INT(parse_str(&m, "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " IH1
		"\r\ncookie: 012345678901234567890123456789012\r\n\r\n"), ==, BT_E_LIMIT);
	CHECK_INT(m.nhash, ==, 0);
	/* Too long, too many headers. */
	memset(big, 'a', sizeof(big));
	CHECK_INT(bt_lsd_parse(&m, (const uint8_t *)big, sizeof(big)), ==, BT_E_LIMIT);
	n = (size_t)snprintf(big, sizeof(big), "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n");
	for (int i = 0; i < BT_LSD_HDR_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "Infohash: %s\r\n", IH1);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	CHECK_INT(bt_lsd_parse(&m, (const uint8_t *)big, n), ==, BT_E_LIMIT);
	/* BT_LSD_HASHES_MAX kept, the rest ignored. */
	n = (size_t)snprintf(big, sizeof(big), "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n");
	for (int i = 0; i < BT_LSD_HASHES_MAX + 2; i++) {
		snprintf(line, sizeof(line), "Infohash: %038d%02d\r\n", 0, i);
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", line);
	}
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	CHECK_INT(bt_lsd_parse(&m, (const uint8_t *)big, n), ==, 0);
	CHECK_INT(m.nhash, ==, BT_LSD_HASHES_MAX);
	CHECK_INT(m.hash[BT_LSD_HASHES_MAX - 1][19], ==, 0x15);
}

static void
test_write(void)
{
	uint8_t h[BT_LSD_HASHES_MAX + 1][20];
	char out[BT_LSD_MSG_MAX];
	struct bt_lsd_msg m;
	int n;

	for (int i = 0; i <= BT_LSD_HASHES_MAX; i++)
		memset(h[i], i + 1, 20);
	n = bt_lsd_write(out, sizeof(out), BT_LSD_GROUP4, 6881, (const uint8_t (*)[20])h, 1,
		"abc");
	CHECK_INT(n, >, 0);
	CHECK(n > 0 && strncmp(out, "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\n"
		"Port: 6881\r\nInfohash: 0101010101010101010101010101010101010101\r\n"
		"cookie: abc\r\n\r\n\r\n", (size_t)n) == 0);
	n = bt_lsd_write(out, sizeof(out), "[" BT_LSD_GROUP6 "]", 1, (const uint8_t (*)[20])h,
		BT_LSD_HASHES_MAX, NULL);
	CHECK_INT(n, >, 0);
	CHECK_INT(bt_lsd_parse(&m, (const uint8_t *)out, (size_t)n), ==, 0);
	CHECK_INT(m.nhash, ==, BT_LSD_HASHES_MAX);
	CHECK_INT(m.port, ==, 1);
	CHECK_INT(m.hash[BT_LSD_HASHES_MAX - 1][0], ==, BT_LSD_HASHES_MAX);
	CHECK_INT(bt_lsd_write(out, sizeof(out), BT_LSD_GROUP4, 1, (const uint8_t (*)[20])h,
		BT_LSD_HASHES_MAX + 1, NULL), ==, BT_E_LIMIT);
	CHECK_INT(bt_lsd_write(out, sizeof(out), BT_LSD_GROUP4, 1, (const uint8_t (*)[20])h, 0,
		NULL), ==, BT_E_LIMIT);
	CHECK_INT(bt_lsd_write(out, 60, BT_LSD_GROUP4, 1, (const uint8_t (*)[20])h, 1, NULL), ==,
		BT_E_LIMIT);
}

int
main(void)
{
	test_parse();
	test_refused();
	test_write();
	return check_summary("lsd");
}
