/* test_pex.c - the ut_pex message (BEP 11, pex.h): parsing, writing, and
 * one through the other. */
#include "buf.h"
#include "check.h"
#include "err.h"
#include "pex.h"

#include <stdlib.h>
#include <string.h>

static int
parse_str(struct bt_pex_msg *m, const char *s)
{
	return bt_pex_parse(m, (const uint8_t *)s, strlen(s));
}

static struct bt_pex_peer
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port, uint8_t flags)
{
	struct bt_pex_peer p;

	memset(&p, 0, sizeof(p));
	p.len = 4;
	p.ip[0] = a;
	p.ip[1] = b;
	p.ip[2] = c;
	p.ip[3] = d;
	p.port = port;
	p.flags = flags;
	return p;
}

static struct bt_pex_peer
v6(uint8_t last, uint16_t port, uint8_t flags)
{
	struct bt_pex_peer p;

	memset(&p, 0, sizeof(p));
	p.len = 16;
	p.ip[0] = 0x20;
	p.ip[1] = 0x01;
	p.ip[15] = last;
	p.port = port;
	p.flags = flags;
	return p;
}

static void
test_parse(void)
{
	static const uint8_t msg[] = "d5:added12:\x0a\x00\x00\x01\x1a\xe1\x7f\x00\x00\x01\x00\x50"
		"7:added.f2:\x12\x10"
		"6:added618:\x20\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\x07\x01\xbb"
		"7:dropped6:\xc0\xa8\x01\x02\x00\x01"
		"3:zzzli1eee";
	struct bt_pex_msg m;
	struct bt_pex_peer p;

	CHECK_INT(bt_pex_parse(&m, msg, sizeof(msg) - 1), ==, 0);
	CHECK_INT(m.n[BT_PEX_ADDED], ==, 2);
	CHECK_INT(m.n[BT_PEX_ADDED6], ==, 1);
	CHECK_INT(m.n[BT_PEX_DROPPED], ==, 1);
	CHECK_INT(m.n[BT_PEX_DROPPED6], ==, 0);
	bt_pex_get(&m, BT_PEX_ADDED, 0, &p);
	struct bt_pex_peer want = v4(10, 0, 0, 1, 6881, 0x12);
	CHECK(bt_pex_peer_eq(&p, &want) && p.flags == 0x12);
	bt_pex_get(&m, BT_PEX_ADDED, 1, &p);
	want = v4(127, 0, 0, 1, 80, 0x10);
	CHECK(bt_pex_peer_eq(&p, &want) && p.flags == 0x10);
	bt_pex_get(&m, BT_PEX_ADDED6, 0, &p);
	want = v6(7, 443, 0);
	CHECK(bt_pex_peer_eq(&p, &want) && p.flags == 0);	/* no added6.f */
	bt_pex_get(&m, BT_PEX_DROPPED, 0, &p);
	want = v4(192, 168, 1, 2, 1, 0);
	CHECK(bt_pex_peer_eq(&p, &want));

	/* Empty and minimal messages. */
	CHECK_INT(parse_str(&m, "de"), ==, 0);
	CHECK_INT(m.n[BT_PEX_ADDED] + m.n[BT_PEX_DROPPED], ==, 0);
	CHECK_INT(parse_str(&m, "d5:added0:7:dropped0:e"), ==, 0);
	/* Flags of the wrong length are dropped, the peers kept. */
	CHECK_INT(parse_str(&m, "d5:added6:abcdef7:added.f3:xyze"), ==, 0);
	CHECK_INT(m.n[BT_PEX_ADDED], ==, 1);
	CHECK(m.flags[0] == NULL);
}

static void
test_refused(void)
{
	struct bt_pex_msg m;
	uint8_t *big;
	size_t n;

	CHECK_INT(parse_str(&m, "d5:added5:abcdee"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d6:added66:abcdefe"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d7:dropped7:abcdefge"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d8:dropped619:abcdefghijklmnopqrse"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d5:addedi6ee"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "le"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d5:added"), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, ""), ==, BT_E_PARSE);
	CHECK_INT(parse_str(&m, "d5:added0:ex"), ==, BT_E_PARSE);	/* trailing */
	CHECK_INT(parse_str(&m, "d1:xlllllleeeeeee"), ==, BT_E_PARSE);	/* deep */
	CHECK(m.list[BT_PEX_ADDED] == NULL && m.n[BT_PEX_ADDED] == 0);
	/* Over BT_PEX_MSG_MAX: refused unread. */
	n = BT_PEX_MSG_MAX + 1;
	big = calloc(1, n);
	memcpy(big, "d5:added", 8);
	CHECK_INT(bt_pex_parse(&m, big, n), ==, BT_E_LIMIT);
	free(big);
}

static void
test_write(void)
{
	struct bt_pex_peer add[3] = {
		v4(1, 2, 3, 4, 0x1a2b, 0x10), v6(9, 6881, 0x02), v4(5, 6, 7, 8, 1, 0x12),
	};
	struct bt_pex_peer drop[1] = { v6(3, 2, 0x10) };
	struct bt_pex_peer p, many[BT_PEX_WRITE_MAX + 1], bad = v4(1, 1, 1, 1, 1, 0);
	struct bt_pex_msg m;
	struct bt_buf b;

	bt_buf_init(&b, 0);
	CHECK_INT(bt_pex_write(&b, NULL, 0, NULL, 0), ==, 0);
	CHECK_MEMS(b.p, b.len, "d5:added0:7:added.f0:7:dropped0:e");
	b.len = 0;
	CHECK_INT(bt_pex_write(&b, add, 3, drop, 1), ==, 0);
	static const char want[] = "d5:added12:\x01\x02\x03\x04\x1a\x2b\x05\x06\x07\x08\x00\x01"
		"7:added.f2:\x10\x12"
		"6:added618:\x20\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\x09\x1a\xe1"
		"8:added6.f1:\x02"
		"7:dropped0:"
		"8:dropped618:\x20\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\x03\x00\x02" "e";
	CHECK_MEM(b.p, b.len, want, sizeof(want) - 1);
	/* Through the parser again. */
	CHECK_INT(bt_pex_parse(&m, b.p, b.len), ==, 0);
	CHECK_INT(m.n[BT_PEX_ADDED], ==, 2);
	CHECK_INT(m.n[BT_PEX_ADDED6], ==, 1);
	CHECK_INT(m.n[BT_PEX_DROPPED], ==, 0);
	CHECK_INT(m.n[BT_PEX_DROPPED6], ==, 1);
	bt_pex_get(&m, BT_PEX_ADDED, 1, &p);
	CHECK(bt_pex_peer_eq(&p, &add[2]) && p.flags == 0x12);
	bt_pex_get(&m, BT_PEX_ADDED6, 0, &p);
	CHECK(bt_pex_peer_eq(&p, &add[1]) && p.flags == 0x02);
	bt_pex_get(&m, BT_PEX_DROPPED6, 0, &p);
	CHECK(bt_pex_peer_eq(&p, &drop[0]) && p.flags == 0);
	/* Bounds. */
	for (size_t i = 0; i < BT_PEX_WRITE_MAX + 1; i++)
		many[i] = v4(10, 0, (uint8_t)(i >> 8), (uint8_t)i, 1, 0);
	CHECK_INT(bt_pex_write(&b, many, BT_PEX_WRITE_MAX + 1, NULL, 0), ==, BT_E_LIMIT);
	CHECK_INT(bt_pex_write(&b, NULL, 0, many, BT_PEX_WRITE_MAX + 1), ==, BT_E_LIMIT);
	b.len = 0;
	CHECK_INT(bt_pex_write(&b, many, BT_PEX_WRITE_MAX, many, BT_PEX_WRITE_MAX), ==, 0);
	CHECK_INT(b.len, <=, BT_PEX_MSG_MAX);
	CHECK_INT(bt_pex_parse(&m, b.p, b.len), ==, 0);
	CHECK_INT(m.n[BT_PEX_ADDED], ==, BT_PEX_WRITE_MAX);
	bad.len = 5;
	CHECK_INT(bt_pex_write(&b, &bad, 1, NULL, 0), ==, BT_E_INVAL);
	bt_buf_free(&b);
}

int
main(void)
{
	test_parse();
	test_refused();
	test_write();
	return check_summary("pex");
}
