/* test_iplist.c - allowed_ips / banned_ips lists: parsing, merging, lookups,
 * reloads. */
#include "err.h"
#include "iplist.h"
#include "rand.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pass, fail;
#define CHECK(c) do { if (c) pass++; else { fail++; \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)

/* Look up text: IPv4 goes in as AF_INET, IPv6 as AF_INET6. */
static int
has(const struct bt_iplist *l, const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(6881);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
	} else {
		fprintf(stderr, "bad test address %s\n", ip);
		exit(2);
	}
	return bt_iplist_contains(l, &ss);
}

struct warns {
	int n;
	unsigned long line[32];
	char text[32][128];
};

static void
on_warn(void *ud, unsigned long line, const char *text, size_t len, const char *why)
{
	struct warns *w = ud;
	CHECK(why && why[0]);
	if (w->n >= 32)
		return;
	w->line[w->n] = line;
	snprintf(w->text[w->n], sizeof(w->text[0]), "%.*s", (int)len, text);
	w->n++;
}

static long
load(struct bt_iplist *l, int fmt, const char *txt, struct warns *w)
{
	return bt_iplist_load(l, fmt, (const uint8_t *)txt, strlen(txt), on_warn, w);
}

static void
test_allowed(void)
{
	struct bt_iplist l;
	struct warns w = { 0 };

	bt_iplist_init(&l);
	CHECK(!has(&l, "1.2.3.4"));		/* empty list */
	const char *txt =
		"# comment\n"
		"10.0.0.0/8 office\n"			/* 2 */
		"\n"
		"   192.168.1.7\r\n"			/* 4: one address */
		"172.16.5.9/12\n"			/* 5: host bits ignored */
		"2001:db8::/32\tlab\n"			/* 6 */
		"fe80::1/128\n"				/* 7 */
		"1.2.3.4/33\n"				/* 8: bad */
		"2001:db8::/129\n"			/* 9: bad */
		"not-an-ip\n"				/* 10: bad */
		"1.2.3.4/\n"				/* 11: bad */
		"1.2.3/24\n"				/* 12: bad */
		"  # indented comment\n"
		"1.2.3.4/-1\n"				/* 14: bad */
		"01.2.3.4\n";				/* 15: bad (leading zero) */
	long n = load(&l, BT_IPLIST_ALLOWED, txt, &w);
	CHECK(n == 5);
	CHECK(w.n == 7);
	CHECK(w.n >= 7 && w.line[0] == 8 && w.line[1] == 9 && w.line[2] == 10 &&
		w.line[3] == 11 && w.line[4] == 12 && w.line[5] == 14 && w.line[6] == 15);
	CHECK(strcmp(w.text[0], "1.2.3.4/33") == 0);

	/* /8 boundaries */
	CHECK(has(&l, "10.0.0.0"));
	CHECK(has(&l, "10.255.255.255"));
	CHECK(!has(&l, "9.255.255.255"));
	CHECK(!has(&l, "11.0.0.0"));
	/* single address */
	CHECK(has(&l, "192.168.1.7"));
	CHECK(!has(&l, "192.168.1.6"));
	CHECK(!has(&l, "192.168.1.8"));
	/* /12 from an address with host bits */
	CHECK(has(&l, "172.16.0.0"));
	CHECK(has(&l, "172.31.255.255"));
	CHECK(!has(&l, "172.32.0.0"));
	CHECK(!has(&l, "172.15.255.255"));
	/* IPv6 */
	CHECK(has(&l, "2001:db8::"));
	CHECK(has(&l, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(!has(&l, "2001:db9::"));
	CHECK(!has(&l, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(has(&l, "fe80::1"));
	CHECK(!has(&l, "fe80::2"));
	CHECK(!has(&l, "fe80::"));
	/* IPv4-mapped IPv6 clients match IPv4 ranges */
	CHECK(has(&l, "::ffff:10.1.2.3"));
	CHECK(has(&l, "::ffff:192.168.1.7"));
	CHECK(!has(&l, "::ffff:11.0.0.0"));
	CHECK(!has(&l, "::10.1.2.3"));		/* IPv4-compatible is not mapped */
	uint8_t m[16] = { 0 };
	m[10] = m[11] = 0xff;
	m[12] = 10;
	CHECK(bt_iplist_contains16(&l, m));

	/* /0 /32 /128 */
	w.n = 0;
	CHECK(load(&l, BT_IPLIST_ALLOWED, "0.0.0.0/0\n", &w) == 1 && w.n == 0);
	CHECK(has(&l, "0.0.0.0") && has(&l, "255.255.255.255") && has(&l, "::ffff:8.8.8.8"));
	CHECK(!has(&l, "::1") && !has(&l, "2001:db8::1"));
	CHECK(!has(&l, "::fffe:ffff:ffff") && !has(&l, "::1:0:0:0"));
	CHECK(load(&l, BT_IPLIST_ALLOWED, "8.8.4.4/32\n", &w) == 1);
	CHECK(has(&l, "8.8.4.4") && !has(&l, "8.8.4.3") && !has(&l, "8.8.4.5"));
	CHECK(load(&l, BT_IPLIST_ALLOWED, "::/0\n", &w) == 1);
	CHECK(has(&l, "::") && has(&l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(has(&l, "1.2.3.4"));		/* ::/0 covers the mapped block */
	CHECK(load(&l, BT_IPLIST_ALLOWED, "2001:db8::5/128\n", &w) == 1);
	CHECK(has(&l, "2001:db8::5") && !has(&l, "2001:db8::4") && !has(&l, "2001:db8::6"));
	CHECK(load(&l, BT_IPLIST_ALLOWED, "::ffff:0:0/96\n", &w) == 1);
	CHECK(has(&l, "0.0.0.0") && has(&l, "255.255.255.255") && !has(&l, "::1"));
	CHECK(load(&l, BT_IPLIST_ALLOWED, "1.2.3.4/31\n", &w) == 1);
	CHECK(has(&l, "1.2.3.4") && has(&l, "1.2.3.5") && !has(&l, "1.2.3.6"));

	/* overlapping and adjacent ranges merge */
	CHECK(load(&l, BT_IPLIST_ALLOWED,
		"10.0.0.0/16\n10.0.128.0/17\n10.1.0.0/16\n10.0.5.5\n"
		"10.3.0.0/16\n10.2.255.255\n"
		"192.168.0.0/24\n192.168.2.0/24\n", &w) == 4);
	CHECK(l.n == 4);
	CHECK(has(&l, "10.1.255.255") && has(&l, "10.2.255.255") && !has(&l, "10.2.255.254"));
	CHECK(has(&l, "10.3.0.0") && !has(&l, "10.4.0.0"));
	CHECK(!has(&l, "192.168.1.0"));
	/* 10/16 + 10.1/16 are adjacent: one range; 10.2.255.255 and 10.3/16 too */
	CHECK(load(&l, BT_IPLIST_ALLOWED, "10.0.0.0/16\n10.1.0.0/16\n", &w) == 1);
	CHECK(load(&l, BT_IPLIST_ALLOWED, "1.1.1.1\n1.1.1.1\n1.1.1.0/24\n", &w) == 1);
	/* the top of the space */
	CHECK(load(&l, BT_IPLIST_ALLOWED, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe\n::/1\n8000::/1\n", &w) == 1);
	CHECK(has(&l, "::") && has(&l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

	/* nothing valid: empty list */
	w.n = 0;
	CHECK(load(&l, BT_IPLIST_ALLOWED, "garbage\n\n# x\n", &w) == 0 && l.n == 0 && w.n == 1);
	CHECK(bt_iplist_load(&l, 99, (const uint8_t *)"", 0, NULL, NULL) == BT_E_INVAL);
	bt_iplist_free(&l);
}

static void
test_banned(void)
{
	struct bt_iplist l;
	struct warns w = { 0 };

	bt_iplist_init(&l);
	const char *txt =
		"# PeerGuardian-style list\n"
		"Some corp:Org:1.2.3.0-1.2.3.255\n"		/* 2 */
		"x:y:5.6.7.8\n"					/* 3: one address */
		"a:b:c:d:9.9.9.1-9.9.9.3 trailing words\n"	/* 4: colons before */
		"v6:net:2001:db8::1-2001:db8::ff\n"		/* 5: IPv6 */
		"v6:one:2001:db8:1::7\n"			/* 6: one IPv6 address */
		"x:y:1.2.3.9-1.2.3.1\n"				/* 7: bad: reversed */
		"x:y:1.2.3.4-2001:db8::1\n"			/* 8: bad: families */
		"x:y:nonsense\n"				/* 9: bad */
		"x:y:10.0.0.0/8\n"				/* 10: bad: no prefixes */
		"8.8.8.8\n";					/* 11: no x:y: at all */
	long n = load(&l, BT_IPLIST_BANNED, txt, &w);
	CHECK(n == 6);
	CHECK(w.n == 4 && w.line[0] == 7 && w.line[1] == 8 && w.line[2] == 9 && w.line[3] == 10);
	CHECK(strcmp(w.text[2], "x:y:nonsense") == 0);
	/* inclusive ends */
	CHECK(has(&l, "1.2.3.0") && has(&l, "1.2.3.255") && has(&l, "1.2.3.128"));
	CHECK(!has(&l, "1.2.2.255") && !has(&l, "1.2.4.0"));
	CHECK(has(&l, "5.6.7.8") && !has(&l, "5.6.7.9") && !has(&l, "5.6.7.7"));
	CHECK(has(&l, "9.9.9.1") && has(&l, "9.9.9.3") && !has(&l, "9.9.9.4") &&
		!has(&l, "9.9.9.0"));
	CHECK(has(&l, "2001:db8::1") && has(&l, "2001:db8::ff") && !has(&l, "2001:db8::100"));
	CHECK(!has(&l, "2001:db8::"));
	CHECK(has(&l, "2001:db8:1::7") && !has(&l, "2001:db8:1::8"));
	CHECK(has(&l, "8.8.8.8"));
	CHECK(has(&l, "::ffff:1.2.3.7"));	/* mapped client */
	/* the IPv6 range after the second colon, even when it ends in ":x" */
	CHECK(load(&l, BT_IPLIST_BANNED, "a:b:::1-::5\n", &w) == 1);
	CHECK(has(&l, "::1") && has(&l, "::5") && !has(&l, "::6"));
	CHECK(load(&l, BT_IPLIST_BANNED, "a:b:::ffff:1.2.3.4\n", &w) == 1);
	CHECK(has(&l, "1.2.3.4") && !has(&l, "1.2.3.5"));
	bt_iplist_free(&l);
}

static void
test_reload(void)
{
	char dir[] = "/tmp/test_iplist.XXXXXX", path[64];
	struct bt_iplist l;
	struct warns w = { 0 };

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/ips", dir);
	bt_iplist_init(&l);
	CHECK(bt_iplist_reload(&l, BT_IPLIST_ALLOWED, path, on_warn, &w) == BT_E_IO);

	FILE *f = fopen(path, "w");
	fputs("10.0.0.0/8\nbad\n", f);
	fclose(f);
	struct timespec ts[2] = { { 5000, 0 }, { 5000, 0 } };
	utimensat(AT_FDCWD, path, ts, 0);
	CHECK(bt_iplist_reload(&l, BT_IPLIST_ALLOWED, path, on_warn, &w) == 1);
	CHECK(l.n == 1 && w.n == 1 && has(&l, "10.9.9.9"));
	CHECK(bt_iplist_reload(&l, BT_IPLIST_ALLOWED, path, on_warn, &w) == 0 && w.n == 1);

	f = fopen(path, "w");
	fputs("11.0.0.0/8\n12.0.0.0/8\n", f);
	fclose(f);
	ts[0].tv_sec = ts[1].tv_sec = 5001;
	utimensat(AT_FDCWD, path, ts, 0);
	CHECK(bt_iplist_reload(&l, BT_IPLIST_ALLOWED, path, on_warn, &w) == 1);
	CHECK(l.n == 1 && !has(&l, "10.9.9.9") && has(&l, "12.255.0.1"));	/* merged */

	unlink(path);
	CHECK(bt_iplist_reload(&l, BT_IPLIST_ALLOWED, path, on_warn, &w) == BT_E_IO);
	CHECK(l.n == 1 && has(&l, "11.0.0.1"));		/* kept */
	bt_iplist_free(&l);
	rmdir(dir);
}

/* Against a plain scan over many random ranges. */
static void
test_random(void)
{
	struct bt_iplist l;
	char txt[64 * 200];
	uint32_t lo[200], hi[200];
	uint64_t rs = 0x123456789abcdefull;
	size_t off = 0;

	bt_iplist_init(&l);
	for (int i = 0; i < 200; i++) {
		uint64_t x = bt_rand64(&rs);
		uint32_t a = (uint32_t)(x & 0xffff), b = a + (uint32_t)((x >> 20) % 300);
		lo[i] = a;
		hi[i] = b;
		off += (size_t)snprintf(txt + off, sizeof(txt) - off,
			"r:r:10.0.%u.%u-10.%u.%u.%u\n", a >> 8 & 255, a & 255,
			b >> 16 & 255, b >> 8 & 255, b & 255);
	}
	struct warns w = { 0 };
	CHECK(load(&l, BT_IPLIST_BANNED, txt, &w) > 0 && w.n == 0);
	int bad = 0;
	for (uint32_t v = 0; v < 0x10200; v++) {
		int want = 0;
		for (int i = 0; i < 200; i++)
			want |= v >= lo[i] && v <= hi[i];
		uint8_t ip[16] = { 0 };
		ip[10] = ip[11] = 0xff;
		ip[12] = 10;
		ip[13] = (uint8_t)(v >> 16);
		ip[14] = (uint8_t)(v >> 8);
		ip[15] = (uint8_t)v;
		if (bt_iplist_contains16(&l, ip) != want)
			bad++;
	}
	CHECK(bad == 0);
	for (size_t i = 1; i < l.n; i++)	/* sorted, apart */
		CHECK(memcmp(l.r[i - 1].hi, l.r[i].lo, 16) < 0);
	bt_iplist_free(&l);
}

int
main(void)
{
	test_allowed();
	test_banned();
	test_reload();
	test_random();
	printf("test_iplist: %d passed, %d failed\n", pass, fail);
	return fail != 0;
}
