/* test_magnet.c - magnet URIs (BEP 9, BEP 53): parsing and writing. */
#include "buf.h"
#include "check.h"
#include "err.h"
#include "magnet.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

static int
parse(struct bt_magnet *mg, const char *s, const char **why)
{
	return bt_magnet_parse(mg, s, strlen(s), why);
}

static void
test_full(void)
{
	struct bt_magnet mg;
	const char *why = NULL;
	char hex[41];

	CHECK_INT(parse(&mg, "magnet:?xt=urn:btih:0123456789ABCDEF0123456789abcdef01234567"
		"&dn=My%20File+x&tr=http%3A%2F%2Ft.example%2Fannounce&tr.1=udp://u:80"
		"&tr=udp://u:80&x.pe=10.0.0.1:6881&x.pe=%5B::1%5D:51413&x.pe=host.name:1"
		"&ws=http://w/f&so=0,2,4-6&unknown=1&&#frag&tr=x", &why), ==, 0);
	bt_hex(hex, mg.info_hash, 20);
	CHECK_STR(hex, "0123456789abcdef0123456789abcdef01234567");
	CHECK_STR(mg.dn, "My File+x");
	CHECK_INT(mg.ntr, ==, 2);
	CHECK_STR(mg.tr[0], "http://t.example/announce");
	CHECK_STR(mg.tr[1], "udp://u:80");
	CHECK_INT(mg.npeers, ==, 3);
	CHECK_STR(mg.peers[0].host, "10.0.0.1");
	CHECK_INT(mg.peers[0].port, ==, 6881);
	CHECK_STR(mg.peers[1].host, "::1");
	CHECK_INT(mg.peers[1].port, ==, 51413);
	CHECK_STR(mg.peers[2].host, "host.name");
	CHECK_INT(mg.nws, ==, 1);
	CHECK_STR(mg.ws[0], "http://w/f");
	CHECK_INT(mg.nso, ==, 3);
	CHECK(bt_magnet_selected(&mg, 0));
	CHECK(!bt_magnet_selected(&mg, 1));
	CHECK(bt_magnet_selected(&mg, 2));
	CHECK(!bt_magnet_selected(&mg, 3));
	CHECK(bt_magnet_selected(&mg, 5));
	CHECK(!bt_magnet_selected(&mg, 7));
	bt_magnet_free(&mg);
}

static void
test_base32(void)
{
	struct bt_magnet mg;
	char hex[41];

	/* base32 of 00 01 02 ... 13 */
	CHECK_INT(parse(&mg, "MAGNET:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT", NULL), ==, 0);
	bt_hex(hex, mg.info_hash, 20);
	CHECK_STR(hex, "000102030405060708090a0b0c0d0e0f10111213");
	CHECK(mg.dn == NULL);
	CHECK(bt_magnet_selected(&mg, 12345));
	bt_magnet_free(&mg);
	/* the same hash twice, hex and base32: fine */
	CHECK_INT(parse(&mg, "magnet:?xt=urn:btih:aaaqeayeaudaocajbifqydiob4ibceqt"
		"&xt.1=urn:btih:000102030405060708090a0b0c0d0e0f10111213"
		"&xt.2=urn:btmh:1220abcd", NULL), ==, 0);
	bt_magnet_free(&mg);
}

static void
test_bad(void)
{
	static const struct {
		const char *uri;
		int rc;
		const char *why;
	} bad[] = {
		{ "http://x/", BT_E_PARSE, "not a magnet URI" },
		{ "magnet:", BT_E_PARSE, "not a magnet URI" },
		{ "magnet:?dn=x", BT_E_PARSE, "no urn:btih: info hash (xt)" },
		{ "magnet:?xt=urn:btmh:1220ab", BT_E_PARSE, "no urn:btih: info hash (xt)" },
		{ "magnet:?xt=urn:btih:0123", BT_E_PARSE,
			"the info hash is not 40 hex digits or 32 base32 letters" },
		{ "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef0123456g", BT_E_PARSE,
			"the info hash is not 40 hex digits or 32 base32 letters" },
		{ "magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQ1", BT_E_PARSE,
			"the info hash is not 40 hex digits or 32 base32 letters" },
		{ "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"
			"&xt=urn:btih:1123456789abcdef0123456789abcdef01234567", BT_E_PARSE,
			"two different info hashes" },
		{ "magnet:?xt", BT_E_PARSE, "a parameter is not key=value" },
		{ "magnet:?=x", BT_E_PARSE, "a parameter is not key=value" },
		{ "magnet:?dn=%4", BT_E_PARSE, "a bad percent escape" },
		{ "magnet:?dn=%zz", BT_E_PARSE, "a bad percent escape" },
		{ "magnet:?dn=a%00b", BT_E_PARSE, "a NUL byte in a value" },
		{ "magnet:?tr=", BT_E_PARSE, "an empty tracker or web seed" },
		{ "magnet:?x.pe=1.2.3.4", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?x.pe=1.2.3.4:0", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?x.pe=1.2.3.4:65536", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?x.pe=::1:80", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?x.pe=[]:80", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?x.pe=:80", BT_E_PARSE, "a peer (x.pe) is not host:port" },
		{ "magnet:?so=", BT_E_PARSE, "so= is not a list of file indices and ranges" },
		{ "magnet:?so=1,", BT_E_PARSE, "so= is not a list of file indices and ranges" },
		{ "magnet:?so=3-1", BT_E_PARSE, "so= is not a list of file indices and ranges" },
		{ "magnet:?so=-1", BT_E_PARSE, "so= is not a list of file indices and ranges" },
		{ "magnet:?so=99999999999", BT_E_PARSE,
			"so= is not a list of file indices and ranges" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bt_magnet mg;
		const char *why = NULL;
		CHECK_INT(parse(&mg, bad[i].uri, &why), ==, bad[i].rc);
		CHECK_STR(why ? why : "(null)", bad[i].why);
		bt_magnet_free(&mg);
	}
}

static void
test_limits(void)
{
	struct bt_buf b;
	struct bt_magnet mg;
	const char *why = NULL;

	bt_buf_init(&b, 0);
	bt_buf_adds(&b, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567");
	for (int i = 0; i <= BT_MAGNET_MAX_TR; i++)
		bt_buf_printf(&b, "&tr=http://t%d/a", i);
	CHECK_INT(bt_magnet_parse(&mg, (char *)b.p, b.len, &why), ==, BT_E_LIMIT);
	CHECK_STR(why, "too many trackers (tr)");
	bt_magnet_free(&mg);
	b.len = 0;
	bt_buf_adds(&b, "magnet:?dn=");
	for (int i = 0; i <= BT_MAGNET_VALUE_MAX; i++)
		bt_buf_adds(&b, "a");
	CHECK_INT(bt_magnet_parse(&mg, (char *)b.p, b.len, &why), ==, BT_E_PARSE);
	CHECK_STR(why, "a value is too long");
	bt_magnet_free(&mg);
	CHECK_INT(bt_magnet_parse(&mg, (char *)b.p, BT_MAGNET_MAX_LEN + 1, &why), ==,
		BT_E_LIMIT);
	bt_magnet_free(&mg);
	bt_buf_free(&b);
}

static void
test_write(void)
{
	struct bt_buf b;
	struct bt_magnet mg;
	uint8_t h[20];
	const char *tr[] = { "http://t/a?x=1&y=2", "udp://u:80" };

	for (int i = 0; i < 20; i++)
		h[i] = (uint8_t)(i * 13);
	bt_buf_init(&b, 0);
	CHECK_INT(bt_magnet_write(&b, h, "a b&c", tr, 2), ==, 0);
	bt_buf_addc(&b, 0);
	CHECK_STR((char *)b.p, "magnet:?xt=urn:btih:000d1a2734414e5b6875828f"
		"9ca9b6c3d0ddeaf7&dn=a%20b%26c&tr=http%3A%2F%2Ft%2Fa%3Fx%3D1%26y%3D2"
		"&tr=udp%3A%2F%2Fu%3A80");
	CHECK_INT(bt_magnet_parse(&mg, (char *)b.p, b.len - 1, NULL), ==, 0);
	CHECK_MEM(mg.info_hash, 20, h, 20);
	CHECK_STR(mg.dn, "a b&c");
	CHECK_INT(mg.ntr, ==, 2);
	CHECK_STR(mg.tr[0], tr[0]);
	bt_magnet_free(&mg);
	bt_buf_free(&b);
}

int
main(void)
{
	test_full();
	test_base32();
	test_bad();
	test_limits();
	test_write();
	return check_summary("magnet");
}
