/* test_announce.c - announce.c: the HTTP query builder and reply parser,
 * the UDP packet builders and parser (BEP 15, 41), and the announcer on
 * the reactor against trackers written here on loopback: an HTTP tracker
 * (events, peers, tracker id, warnings, refusals, bad data, 404, timeouts,
 * the stop timeout), tier fallback and BEP 12 move-to-front, and a UDP
 * tracker (connect, connection id reuse, stray packets, event codes, URL
 * data, error replies, retransmits), also with several announcers on one
 * shared UDP mux. */
#define _GNU_SOURCE
#include "announce.h"
#include "benc.h"
#include "buf.h"
#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "reactor.h"
#include "udp.h"
#include "check.h"
#include "bdsl.h"
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct bt_loop *loop;

static void
fill_req(struct bt_ann_req *r)
{
	memset(r, 0, sizeof(*r));
	for (int k = 0; k < 20; k++)
		r->info_hash[k] = (uint8_t)k;
	memcpy(r->peer_id, "-BT0001-abcdefghij~.", 20);
	r->port = 6881;
	r->uploaded = 1;
	r->downloaded = 2;
	r->left = 3;
	r->numwant = -1;
	r->key = 0xdeadbeef;
}

#define IH_ENC "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13"

static void
test_query(void)
{
	struct bt_ann_req r;
	struct bt_buf b;

	fill_req(&r);
	bt_buf_init(&b, 0);
	r.event = BT_ANN_STARTED;
	r.ip = "1.2.3.4";
	r.numwant = 50;
	r.trackerid = "t id";
	r.seed_id = "s&1";
	bt_ann_http_url(&b, "http://t.example/ann", &r);
	bt_buf_cstr(&b);
	CHECK_STR((char *)b.p, "http://t.example/ann?info_hash=" IH_ENC
		"&peer_id=-BT0001-abcdefghij~.&port=6881&uploaded=1&downloaded=2&left=3"
		"&compact=1&event=started&ip=1.2.3.4&numwant=50&key=DEADBEEF"
		"&trackerid=t%20id&seed_id=s%261&supportcrypto=0");

	/* No event, no numwant, an URL that has a query, a fragment. */
	fill_req(&r);
	b.len = 0;
	bt_ann_http_url(&b, "http://t/a?passkey=x#frag", &r);
	bt_buf_cstr(&b);
	CHECK_STR((char *)b.p, "http://t/a?passkey=x&info_hash=" IH_ENC
		"&peer_id=-BT0001-abcdefghij~.&port=6881&uploaded=1&downloaded=2&left=3"
		"&compact=1&key=DEADBEEF&supportcrypto=0");
	/* The crypto policies. */
	r.crypto = BT_ANN_CRYPTO_SUPPORT;
	b.len = 0;
	bt_ann_http_url(&b, "http://t/a", &r);
	CHECK(strstr(bt_buf_cstr(&b), "&port=6881&") && strstr((char *)b.p, "&supportcrypto=1") &&
		!strstr((char *)b.p, "requirecrypto"));
	r.crypto = BT_ANN_CRYPTO_REQUIRE;
	b.len = 0;
	bt_ann_http_url(&b, "http://t/a", &r);
	CHECK(strstr(bt_buf_cstr(&b), "&supportcrypto=1&requirecrypto=1") &&
		!strstr((char *)b.p, "cryptoport"));
	r.crypto = BT_ANN_CRYPTO_STEALTH;
	b.len = 0;
	bt_ann_http_url(&b, "http://t/a", &r);
	CHECK(strstr(bt_buf_cstr(&b), "&port=0&") &&
		strstr((char *)b.p, "&supportcrypto=1&requirecrypto=1&cryptoport=6881"));
	r.crypto = BT_ANN_CRYPTO_NONE;

	b.len = 0;
	r.event = BT_ANN_STOPPED;
	r.numwant = 0;
	r.key = 7;
	r.uploaded = UINT64_MAX;
	bt_ann_http_url(&b, "http://t/a?", &r);
	bt_buf_cstr(&b);
	CHECK_STR((char *)b.p, "http://t/a?info_hash=" IH_ENC
		"&peer_id=-BT0001-abcdefghij~.&port=6881&uploaded=18446744073709551615"
		"&downloaded=2&left=3&compact=1&event=stopped&numwant=0&key=00000007"
		"&supportcrypto=0");

	b.len = 0;
	r.event = BT_ANN_COMPLETED;
	bt_ann_http_url(&b, "http://t/a?x=1&", &r);
	bt_buf_cstr(&b);
	CHECK(strncmp((char *)b.p, "http://t/a?x=1&info_hash=", 25) == 0);
	CHECK(strstr((char *)b.p, "&event=completed&") != NULL);
	bt_buf_free(&b);
}

static int
parse(const char *dsl, struct bt_ann_reply *r, const char **why)
{
	size_t n;
	uint8_t *p = bdsl(dsl, &n);
	int rc;

	if (!p)
		return -100;
	rc = bt_ann_http_parse(p, n, r, why);
	free(p);
	return rc;
}

/* Bencode written out, NUL bytes and all. */
#define RAW(s, r, why) bt_ann_http_parse((const uint8_t *)(s), sizeof(s) - 1, (r), (why))

static void
check_peer(const struct sockaddr_storage *a, const char *want, int line)
{
	char buf[BT_ADDR_STRLEN];

	bt_addr_format(a, buf, sizeof(buf), 0);
	CHECK_STR_AT(line, buf, want);
}

static void
test_http_parse(void)
{
	struct sockaddr_storage peers[8];
	struct bt_ann_reply r = { .peers = peers, .peers_cap = 8 };
	const char *why = NULL;
	struct bt_buf big;

	/* Compact, with everything. */
	CHECK_INT(RAW("d8:completei5e10:incompletei3e8:intervali1800e12:min intervali60e"
		"5:peers12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50"
		"10:tracker id3:abc15:warning message8:hi\nthere" "e", &r, &why), ==, 0);
	CHECK_STR(r.failure, "");
	CHECK_STR(r.warning, "hi\\nthere");
	CHECK_STR(r.trackerid, "abc");
	CHECK_INT(r.interval, ==, 1800);
	CHECK_INT(r.min_interval, ==, 60);
	CHECK_INT(r.complete, ==, 5);
	CHECK_INT(r.incomplete, ==, 3);
	CHECK_INT(r.npeers, ==, 2);
	check_peer(&peers[0], "127.0.0.1:6881", __LINE__);
	check_peer(&peers[1], "10.0.0.2:80", __LINE__);

	/* Keys in any order; absent fields are -1; dictionary peers. */
	CHECK_INT(parse("{'peers':[{'ip':'10.0.0.1','peer id':#20,'port':6881},"
		"{'ip':'::1','port':1}, {'ip':'host.name','port':5}, {'ip':'1.2.3.4','port':0},"
		"{'ip':'1.2.3.4','port':70000}, {'port':5}, 'junk', {'ip':'0.0.0.0','port':5},"
		"{'ip':'::ffff:1.2.3.5','port':9}], 'interval':-5}", &r, &why), ==, 0);
	CHECK_INT(r.interval, ==, -1);
	CHECK_INT(r.min_interval, ==, -1);
	CHECK_INT(r.complete, ==, -1);
	CHECK_INT(r.npeers, ==, 3);
	check_peer(&peers[0], "10.0.0.1:6881", __LINE__);
	check_peer(&peers[1], "[::1]:1", __LINE__);
	check_peer(&peers[2], "1.2.3.5:9", __LINE__);

	/* peers6 (BEP 7), IPv4-mapped made IPv4, multicast skipped; a compact
	 * string that is not a multiple of 6 is cut. */
	CHECK_INT(RAW("d5:peers7:\x01\x02\x03\x04\x00\x07Z"
		"6:peers654:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x1a\xe1"
		"\0\0\0\0\0\0\0\0\0\0\xff\xff\x05\x06\x07\x08\x00\x09"
		"\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x00\x09" "e", &r, &why), ==, 0);
	CHECK_INT(r.npeers, ==, 3);
	check_peer(&peers[0], "1.2.3.4:7", __LINE__);
	check_peer(&peers[1], "[2001:db8::1]:6881", __LINE__);
	check_peer(&peers[2], "5.6.7.8:9", __LINE__);

	/* Bad addresses: unspecified, multicast, broadcast, port 0. */
	CHECK_INT(RAW("d5:peers30:\0\0\0\0\0\1\xe0\0\0\1\0\1\xff\xff\xff\xff\0\1"
		"\1\1\1\1\0\0\1\1\1\1\0\1" "e", &r, &why), ==, 0);
	CHECK_INT(r.npeers, ==, 1);
	check_peer(&peers[0], "1.1.1.1:1", __LINE__);

	/* Bounded by peers_cap; no array at all. */
	r.peers_cap = 2;
	CHECK_INT(RAW("d5:peers24:\1\1\1\1\0\1\1\1\1\2\0\1\1\1\1\3\0\1\1\1\1\4\0\1" "e",
		&r, &why), ==, 0);
	CHECK_INT(r.npeers, ==, 2);
	r.peers = NULL;
	r.peers_cap = 0;
	CHECK_INT(RAW("d5:peers6:\1\1\1\1\0\1" "e", &r, &why), ==, 0);
	CHECK_INT(r.npeers, ==, 0);
	r.peers = peers;
	r.peers_cap = 8;

	/* A refusal: no peers even when there are some. */
	CHECK_INT(RAW("d14:failure reason7:go away5:peers6:\1\1\1\1\0\1" "e", &r, &why), ==, 0);
	CHECK_STR(r.failure, "go away");
	CHECK_INT(r.npeers, ==, 0);
	CHECK_INT(parse("{'failure reason':''}", &r, &why), ==, 0);
	CHECK(r.failure[0] != 0);

	/* Long texts are cut; a tracker id that does not fit is dropped. */
	bt_buf_init(&big, 0);
	bt_buf_adds(&big, "d14:failure reason1000:");
	for (int k = 0; k < 1000; k++)
		bt_buf_addc(&big, 'a');
	bt_buf_adds(&big, "e");
	CHECK_INT(bt_ann_http_parse(big.p, big.len, &r, &why), ==, 0);
	CHECK_INT(strlen(r.failure), ==, BT_ANN_MSG_MAX - 1);
	bt_buf_free(&big);
	CHECK_INT(parse("{'peers':'', 'tracker id':#200}", &r, &why), ==, 0);
	CHECK_STR(r.trackerid, "");
	CHECK_INT(parse("{'peers':'', 'tracker id':'a\\0b'}", &r, &why), ==, 0);
	CHECK_STR(r.trackerid, "");

	/* Bad data. */
	why = NULL;
	CHECK_INT(parse("@garbage@", &r, &why), ==, BT_E_PARSE);
	CHECK(why != NULL);
	CHECK_INT(parse("[1,2]", &r, &why), ==, BT_E_PARSE);
	CHECK_STR(why, "not a dictionary");
	CHECK_INT(parse("{'interval':'x'}", &r, &why), ==, BT_E_PARSE);
	CHECK_STR(why, "interval is not an integer");
	CHECK_INT(parse("{'peers':5}", &r, &why), ==, BT_E_PARSE);
	CHECK_STR(why, "peers is not a string or a list");
	CHECK_INT(parse("{'failure reason':5}", &r, &why), ==, BT_E_PARSE);
	CHECK_INT(parse("{'min interval':[]}", &r, &why), ==, BT_E_PARSE);
	CHECK_INT(parse("{'complete':{}}", &r, &why), ==, BT_E_PARSE);
	CHECK_INT(RAW("", &r, &why), ==, BT_E_PARSE);
	CHECK_STR(why, "empty reply");
	CHECK_INT(RAW("d5:peers", &r, &why), ==, BT_E_PARSE);
	/* Deep nesting is refused, not recursed into. */
	{
		uint8_t deep[400];
		memset(deep, 'l', 200);
		memset(deep + 200, 'e', 200);
		CHECK_INT(bt_ann_http_parse(deep, sizeof(deep), &r, &why), ==, BT_E_PARSE);
	}
	/* Trailing bytes (a newline after the dictionary) are fine. */
	CHECK_INT(RAW("d8:intervali5ee\n", &r, &why), ==, 0);
	CHECK_INT(r.interval, ==, 5);
}

static void
test_udp_codec(void)
{
	uint8_t p[BT_ANN_UDP_MAX], in[256];
	struct bt_ann_req r;
	struct sockaddr_storage peers[4];
	struct bt_ann_reply rep = { .peers = peers, .peers_cap = 4 };
	uint64_t cid = 0;
	char path[2000];
	size_t n;

	n = bt_ann_udp_connect(p, 0x01020304);
	CHECK_MEM(p, n, "\x00\x00\x04\x17\x27\x10\x19\x80\0\0\0\0\x01\x02\x03\x04", 16);

	fill_req(&r);
	r.event = BT_ANN_STARTED;
	r.ip = "1.2.3.4";
	n = bt_ann_udp_announce(p, 0x1122334455667788ULL, 0xa0b0c0d0, &r, "/dir?a=b&c=d");
	CHECK_INT(n, ==, 98 + 2 + 12);
	CHECK_MEM(p, 16, "\x11\x22\x33\x44\x55\x66\x77\x88\0\0\0\1\xa0\xb0\xc0\xd0", 16);
	CHECK_MEM(p + 16, 20, r.info_hash, 20);
	CHECK_MEM(p + 36, 20, r.peer_id, 20);
	CHECK_MEM(p + 56, 24, "\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\3\0\0\0\0\0\0\0\1", 24);
	CHECK_MEM(p + 80, 18, "\0\0\0\2\1\2\3\4\xde\xad\xbe\xef\xff\xff\xff\xff\x1a\xe1", 18);
	CHECK_MEM(p + 98, 14, "\x02\x0c/dir?a=b&c=d", 14);

	r.event = BT_ANN_STOPPED;
	r.ip = "host.name";
	r.numwant = 0;
	n = bt_ann_udp_announce(p, 1, 2, &r, NULL);
	CHECK_INT(n, ==, 98);
	CHECK_MEM(p + 80, 8, "\0\0\0\3\0\0\0\0", 8);
	CHECK_MEM(p + 92, 4, "\0\0\0\0", 4);
	CHECK_INT(bt_ann_udp_announce(p, 1, 2, &r, ""), ==, 98);

	/* URL data in chunks of 255; cut at BT_ANN_UDP_PATH_MAX. */
	memset(path, 'p', sizeof(path));
	path[600] = 0;
	n = bt_ann_udp_announce(p, 1, 2, &r, path);
	CHECK_INT(n, ==, 98 + 6 + 600);
	CHECK_INT(p[98], ==, 2);
	CHECK_INT(p[99], ==, 255);
	CHECK_INT(p[98 + 257], ==, 2);
	CHECK_INT(p[98 + 258], ==, 255);
	CHECK_INT(p[98 + 514], ==, 2);
	CHECK_INT(p[98 + 515], ==, 90);
	memset(path, 'p', sizeof(path));
	path[sizeof(path) - 1] = 0;
	n = bt_ann_udp_announce(p, 1, 2, &r, path);
	CHECK_INT(n, ==, 98 + 8 + BT_ANN_UDP_PATH_MAX);
	CHECK_INT(n, <=, BT_ANN_UDP_MAX);

	/* Replies. */
	memcpy(in, "\0\0\0\0\0\0\0\x09\x11\x22\x33\x44\x55\x66\x77\x88", 16);
	CHECK_INT(bt_ann_udp_parse(in, 16, 9, 0, &cid, &rep), ==, 0);
	CHECK(cid == 0x1122334455667788ULL);
	CHECK_INT(bt_ann_udp_parse(in, 16, 8, 0, &cid, &rep), ==, BT_E_PARSE);
	CHECK_INT(bt_ann_udp_parse(in, 15, 9, 0, &cid, &rep), ==, BT_E_PARSE);
	CHECK_INT(bt_ann_udp_parse(in, 7, 9, 0, &cid, &rep), ==, BT_E_PARSE);

	memcpy(in, "\0\0\0\1\0\0\0\x09\0\0\x07\x08\0\0\0\x02\0\0\0\x03"
		"\x7f\0\0\1\x1a\xe1\x0a\0\0\2\0\x50\0\0\0\0\0\1" "\1\2", 40);
	CHECK_INT(bt_ann_udp_parse(in, 40, 9, 0, &cid, &rep), ==, 1);
	CHECK_INT(rep.interval, ==, 1800);
	CHECK_INT(rep.incomplete, ==, 2);
	CHECK_INT(rep.complete, ==, 3);
	CHECK_INT(rep.npeers, ==, 2);
	check_peer(&peers[0], "127.0.0.1:6881", __LINE__);
	check_peer(&peers[1], "10.0.0.2:80", __LINE__);
	CHECK_INT(bt_ann_udp_parse(in, 19, 9, 0, &cid, &rep), ==, BT_E_PARSE);
	CHECK_INT(bt_ann_udp_parse(in, 20, 9, 0, &cid, &rep), ==, 1);
	CHECK_INT(rep.npeers, ==, 0);
	/* The same bytes read as IPv6: one 18-byte peer. */
	CHECK_INT(bt_ann_udp_parse(in, 38, 9, 1, &cid, &rep), ==, 1);
	CHECK_INT(rep.npeers, ==, 1);
	CHECK_INT(peers[0].ss_family, ==, AF_INET6);
	/* Cap. */
	rep.peers_cap = 1;
	CHECK_INT(bt_ann_udp_parse(in, 40, 9, 0, &cid, &rep), ==, 1);
	CHECK_INT(rep.npeers, ==, 1);
	rep.peers_cap = 4;

	memcpy(in, "\0\0\0\3\0\0\0\x09" "denied\x01", 15);
	CHECK_INT(bt_ann_udp_parse(in, 15, 9, 0, &cid, &rep), ==, 3);
	CHECK_STR(rep.failure, "denied\\x01");
	CHECK_INT(bt_ann_udp_parse(in, 8, 9, 0, &cid, &rep), ==, 3);
	CHECK(rep.failure[0] != 0);
	memcpy(in, "\3\0\0\0\0\0\0\x09no", 10);
	CHECK_INT(bt_ann_udp_parse(in, 10, 9, 0, &cid, &rep), ==, 3);
	CHECK_STR(rep.failure, "no");
	memcpy(in, "\0\0\0\2\0\0\0\x09\0\0\0\0", 12);
	CHECK_INT(bt_ann_udp_parse(in, 12, 9, 0, &cid, &rep), ==, BT_E_PARSE);
	CHECK_INT(bt_ann_udp_parse(in, 12, 9, 0, NULL, NULL), ==, BT_E_PARSE);
	memcpy(in, "\0\0\0\1\0\0\0\x09\0\0\x07\x08\0\0\0\x02\0\0\0\x03", 20);
	CHECK_INT(bt_ann_udp_parse(in, 20, 9, 0, NULL, NULL), ==, 1);
}

/* ---- torrents ---- */

/* A torrent with announce (NULL: none) and an announce-list given as URLs
 * with "|" between tiers (NULL: none). */
static uint8_t *
make_torrent(const char *announce, const char *const *al, size_t *len)
{
	struct bt_buf b;
	struct bt_bw w;
	uint8_t pieces[20] = { 0 };

	bt_buf_init(&b, 0);
	bt_bw_init(&w, &b);
	bt_bw_dict(&w);
	if (announce) {
		bt_bw_key(&w, "announce");
		bt_bw_strs(&w, announce);
	}
	if (al) {
		bt_bw_key(&w, "announce-list");
		bt_bw_list(&w);
		bt_bw_list(&w);
		for (size_t k = 0; al[k]; k++) {
			if (strcmp(al[k], "|") == 0) {
				bt_bw_end(&w);
				bt_bw_list(&w);
			} else {
				bt_bw_strs(&w, al[k]);
			}
		}
		bt_bw_end(&w);
		bt_bw_end(&w);
	}
	bt_bw_key(&w, "info");
	bt_bw_dict(&w);
	bt_bw_key(&w, "length");
	bt_bw_int(&w, 1);
	bt_bw_key(&w, "name");
	bt_bw_strs(&w, "a");
	bt_bw_key(&w, "piece length");
	bt_bw_int(&w, 16384);
	bt_bw_key(&w, "pieces");
	bt_bw_str(&w, pieces, 20);
	bt_bw_end(&w);
	bt_bw_end(&w);
	if (bt_bw_finish(&w) < 0) {
		bt_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- the host side ---- */

struct host {
	int nstats, npeer_calls, stopped;
	size_t npeers;
	struct sockaddr_storage peers[16];
	int nmsg, nerr, nwarn, ninfo;
	int kinds[64];
	char msgs[64][320];
	int stop_in_msg;	/* call bt_announcer_stop from an 'I' message */
	struct bt_announcer *a;
};

static void
h_stats(void *ud, struct bt_ann_stats *s)
{
	struct host *h = ud;

	h->nstats++;
	s->uploaded = 10;
	s->downloaded = 20;
	s->left = 30;
	s->numwant = -1;
}

static void
h_peers(void *ud, const struct sockaddr_storage *p, size_t n)
{
	struct host *h = ud;

	h->npeer_calls++;
	for (size_t k = 0; k < n && h->npeers < 16; k++)
		h->peers[h->npeers++] = p[k];
}

static void
h_message(void *ud, int kind, const char *text)
{
	struct host *h = ud;

	if (h->nmsg < 64) {
		h->kinds[h->nmsg] = kind;
		snprintf(h->msgs[h->nmsg], sizeof(h->msgs[0]), "%s", text);
	}
	h->nmsg++;
	h->nerr += kind == 'E';
	h->nwarn += kind == 'W';
	h->ninfo += kind == 'I';
	if (kind == 'I' && h->stop_in_msg)
		bt_announcer_stop(h->a);
}

static void
h_stopped(void *ud)
{
	struct host *h = ud;

	h->stopped++;
}

static const struct bt_announcer_cb host_cb = { h_stats, h_peers, h_message, h_stopped };

/* The last message of kind, or "". */
static const char *
last_msg(const struct host *h, int kind)
{
	for (int k = (h->nmsg < 64 ? h->nmsg : 64) - 1; k >= 0; k--)
		if (h->kinds[k] == kind)
			return h->msgs[k];
	return "";
}

static void
opts_init(struct bt_announcer_opts *o, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	memset(o->info_hash, 0xab, 20);
	memcpy(o->peer_id, "-BT0001-123456789012", 20);
	o->port = 6881;
	o->user_agent = "bt-test";
	o->http_timeout_ms = 2000;
	o->stop_timeout_ms = 1000;
	o->family = AF_UNSPEC;
	o->seed = seed;
}

/* An announcer for a torrent with these trackers. */
static int
ann_new(struct bt_announcer **a, const char *announce, const char *const *al,
	const struct bt_announcer_opts *o, struct host *h)
{
	struct bt_meta m;
	struct bt_meta_err err;
	size_t len = 0;
	uint8_t *buf = make_torrent(announce, al, &len);
	int rc;

	memset(&m, 0, sizeof(m));
	if (!buf || bt_meta_parse(&m, buf, len, &err) < 0) {
		CHECK(!"torrent");
		bt_meta_free(&m);
		free(buf);
		return BT_E_INVAL;
	}
	memset(h, 0, sizeof(*h));
	rc = bt_announcer_new(a, loop, &m, o, &host_cb, h);
	/* The announcer keeps copies: the torrent goes now. */
	bt_meta_free(&m);
	memset(buf, 0, len);
	free(buf);
	if (rc == 0)
		h->a = *a;
	return rc;
}

/* ann_new (checked on the caller's line) and bt_announcer_start, then the
 * loop until *until (one of h's counters) reaches 1, for at most 3 s. */
static struct bt_announcer *
ann_run(const char *announce, const char *const *al, const struct bt_announcer_opts *o,
	struct host *h, const int *until, int line)
{
	struct bt_announcer *a = NULL;

	if (CHECK_INT_AT(line, ann_new(&a, announce, al, o, h), ==, 0)) {
		bt_announcer_start(a);
		loop_run_until(loop, until, 1, 3000);
	}
	return a;
}

/* ---- an HTTP tracker on the loop ---- */

enum { M_OK, M_CLOSE, M_FAIL, M_404, M_BAD, M_HANG, M_HANG_STOP, M_FAIL404 };

struct hsrv {
	int lfd, mode, nreq, nconn, warn;
	uint16_t port;
	char req[8][1024];	/* request targets */
	struct hconn *conns[16];
};

struct hconn {
	struct hsrv *s;
	int fd;
	size_t len;
	char buf[4096];
};

static void
hconn_free(struct hconn *c)
{
	for (int k = 0; k < 16; k++)
		if (c->s->conns[k] == c)
			c->s->conns[k] = NULL;
	bt_io_del(loop, c->fd);
	close(c->fd);
	free(c);
}

static void
hsend(int fd, const char *status, const void *body, size_t n)
{
	char head[256];
	int hl = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Length: %zu\r\n\r\n",
		status, n);

	if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) < 0 ||
	    (n && send(fd, body, n, MSG_NOSIGNAL) < 0))
		perror("send");
}

static void
on_hconn(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct hconn *c = ud;
	struct hsrv *s = c->s;
	ssize_t k;
	char *sp;

	(void)l;
	(void)revents;
	k = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (k < 0 && errno == EAGAIN)
		return;
	if (k <= 0) {
		hconn_free(c);
		return;
	}
	c->len += (size_t)k;
	c->buf[c->len] = 0;
	if (!strstr(c->buf, "\r\n\r\n"))
		return;
	if (s->nreq < 8) {
		sp = strchr(c->buf + 4, ' ');
		snprintf(s->req[s->nreq], sizeof(s->req[0]), "%.*s",
			sp ? (int)(sp - c->buf - 4) : 0, c->buf + 4);
	}
	s->nreq++;
	if (s->mode == M_HANG || (s->mode == M_HANG_STOP && strstr(c->buf, "event=stopped")))
		return;	/* the connection stays open, unanswered */
	if (s->mode == M_FAIL) {
		static const char b[] = "d14:failure reason7:go awaye";
		hsend(fd, "200 OK", b, sizeof(b) - 1);
	} else if (s->mode == M_FAIL404) {
		static const char b[] = "d14:failure reason8:not heree";
		hsend(fd, "404 Not Found", b, sizeof(b) - 1);
	} else if (s->mode == M_404) {
		hsend(fd, "404 Not Found", "nope", 4);
	} else if (s->mode == M_BAD) {
		hsend(fd, "200 OK", "<html>", 6);
	} else {
		struct bt_buf b;
		bt_buf_init(&b, 0);
		bt_buf_adds(&b, "d8:completei1e10:incompletei2e8:intervali1800e5:peers12:");
		bt_buf_add(&b, "\x7f\x00\x00\x02\x1a\xe1\x0a\x01\x02\x03\x00\x50", 12);
		bt_buf_adds(&b, "10:tracker id5:tid-1");
		if (s->warn)
			bt_buf_adds(&b, "15:warning message4:hmmm");
		bt_buf_adds(&b, "e");
		hsend(fd, "200 OK", b.p, b.len);
		bt_buf_free(&b);
	}
	hconn_free(c);
}

static void
on_haccept(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct hsrv *s = ud;

	(void)l;
	(void)revents;
	for (;;) {
		int cfd = bt_net_accept(fd, NULL);
		struct hconn *c;
		int k;

		if (cfd < 0)
			return;
		s->nconn++;
		if (s->mode == M_CLOSE) {
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		c->s = s;
		c->fd = cfd;
		for (k = 0; k < 16 && s->conns[k]; k++)
			;
		if (k == 16) {
			close(cfd);
			free(c);
			continue;
		}
		s->conns[k] = c;
		bt_io_add(loop, cfd, BT_EV_READ, on_hconn, c);
	}
}

static void
hsrv_start(struct hsrv *s, int mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->lfd = loop_listen_tcp(AF_INET, 16, 0, &s->port);
	CHECK_INT(s->lfd, >=, 0);
	bt_io_add(loop, s->lfd, BT_EV_READ, on_haccept, s);
}

static void
hsrv_stop(struct hsrv *s)
{
	for (int k = 0; k < 16; k++)
		if (s->conns[k])
			hconn_free(s->conns[k]);
	bt_io_del(loop, s->lfd);
	close(s->lfd);
}

static void
hsrv_url(const struct hsrv *s, char *out, size_t cap)
{
	snprintf(out, cap, "http://127.0.0.1:%u/announce", (unsigned)s->port);
}

static void
test_http_announcer(void)
{
	struct hsrv s;
	struct host h;
	struct bt_announcer *a;
	struct bt_announcer_opts o;
	char url[128];
	int64_t seeders, leechers, next;

	hsrv_start(&s, M_OK);
	s.warn = 1;
	hsrv_url(&s, url, sizeof(url));
	opts_init(&o, 1);
	o.ip = "10.9.8.7";
	CHECK_INT(ann_new(&a, url, NULL, &o, &h), ==, 0);
	CHECK_INT(bt_announcer_next_in(a), ==, -1);
	bt_announcer_swarm(a, &seeders, &leechers);
	CHECK_INT(seeders, ==, -1);
	CHECK(bt_announcer_tracker(a) == NULL);
	CHECK_INT(bt_announcer_start(a), ==, 0);
	CHECK_INT(s.nreq, ==, 0);	/* nothing from inside start */
	loop_run_until(loop, &h.npeer_calls, 1, 3000);
	CHECK_INT(s.nreq, ==, 1);
	CHECK(strstr(s.req[0], "/announce?info_hash=%AB%AB") == s.req[0]);
	CHECK(strstr(s.req[0], "&peer_id=-BT0001-123456789012&port=6881&uploaded=10"
		"&downloaded=20&left=30&compact=1&event=started&ip=10.9.8.7&key=") != NULL);
	CHECK(strstr(s.req[0], "trackerid") == NULL);
	CHECK_INT(h.npeers, ==, 2);
	check_peer(&h.peers[0], "127.0.0.2:6881", __LINE__);
	check_peer(&h.peers[1], "10.1.2.3:80", __LINE__);
	CHECK_INT(h.ninfo, ==, 1);
	CHECK_STR(last_msg(&h, 'I'), url);
	CHECK_STR(last_msg(&h, 'W'), "warning from tracker - hmmm");
	CHECK_INT(h.nerr, ==, 0);
	bt_announcer_swarm(a, &seeders, &leechers);
	CHECK_INT(seeders, ==, 1);
	CHECK_INT(leechers, ==, 2);
	CHECK_STR(bt_announcer_tracker(a), url);
	next = bt_announcer_next_in(a);
	CHECK(next >= 1799 && next <= 1800);

	/* More peers: not before 30 s after the last announce. */
	bt_announcer_more_peers(a);
	next = bt_announcer_next_in(a);
	CHECK(next >= 29 && next <= 30);

	/* Completed: at once, with the tracker id echoed. */
	bt_announcer_completed(a);
	loop_run_until(loop, &s.nreq, 2, 3000);
	CHECK_INT(s.nreq, ==, 2);
	CHECK(strstr(s.req[1], "&event=completed&") != NULL);
	CHECK(strstr(s.req[1], "&trackerid=tid-1&") != NULL);
	loop_run_until(loop, &h.ninfo, 2, 3000);
	CHECK_INT(h.ninfo, ==, 2);
	/* Only once. */
	bt_announcer_completed(a);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(s.nreq, ==, 2);

	/* Stopped, then cb->stopped (never from inside stop). */
	bt_announcer_stop(a);
	CHECK_INT(h.stopped, ==, 0);
	CHECK_INT(bt_announcer_next_in(a), ==, -1);
	loop_run_until(loop, &h.stopped, 1, 3000);
	CHECK_INT(h.stopped, ==, 1);
	CHECK_INT(s.nreq, ==, 3);
	CHECK(strstr(s.req[2], "&event=stopped&ip=10.9.8.7&numwant=0&") != NULL);
	bt_announcer_stop(a);
	bt_announcer_completed(a);
	bt_announcer_more_peers(a);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(h.stopped, ==, 1);
	CHECK_INT(s.nreq, ==, 3);
	bt_announcer_free(a);

	/* Stop from inside a message callback. */
	CHECK_INT(ann_new(&a, url, NULL, &o, &h), ==, 0);
	h.stop_in_msg = 1;
	s.nreq = 0;
	bt_announcer_start(a);
	loop_run_until(loop, &h.stopped, 1, 3000);
	CHECK_INT(h.stopped, ==, 1);
	CHECK_INT(s.nreq, ==, 2);
	CHECK(strstr(s.req[1], "&event=stopped&") != NULL);
	bt_announcer_free(a);

	/* Stop before any success: stopped on the next pass, nothing sent. */
	CHECK_INT(ann_new(&a, url, NULL, &o, &h), ==, 0);
	s.nreq = 0;
	bt_announcer_stop(a);
	CHECK_INT(h.stopped, ==, 0);
	loop_run_until(loop, &h.stopped, 1, 1000);
	CHECK_INT(h.stopped, ==, 1);
	CHECK_INT(s.nreq, ==, 0);
	bt_announcer_free(a);

	/* Freed with a request out: no callback, no leak. */
	CHECK_INT(ann_new(&a, url, NULL, &o, &h), ==, 0);
	bt_announcer_start(a);
	bt_loop_run_once(loop, 0);	/* the request starts */
	bt_announcer_free(a);
	loop_run_until(loop, NULL, 0, 100);
	CHECK_INT(h.nmsg, ==, 0);

	/* The stopped announce is not answered: given up after
	 * stop_timeout_ms. */
	s.mode = M_HANG_STOP;
	o.stop_timeout_ms = 300;
	a = ann_run(url, NULL, &o, &h, &h.ninfo, __LINE__);
	{
		uint64_t t0 = loop_now_ms();
		bt_announcer_stop(a);
		loop_run_until(loop, &h.stopped, 1, 3000);
		CHECK_INT(h.stopped, ==, 1);
		CHECK(loop_now_ms() - t0 >= 250);
		CHECK(loop_now_ms() - t0 < 2000);
	}
	bt_announcer_free(a);
	hsrv_stop(&s);
}

static void
test_http_errors(void)
{
	struct hsrv s;
	struct host h;
	struct bt_announcer *a;
	struct bt_announcer_opts o;
	char url[128], url2[128];
	int64_t next;

	opts_init(&o, 1);

	/* Refused connection: told once the round has failed; retried
	 * after 60 s. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/announce", (unsigned)loop_closed_port());
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	/* strerror of the errno a refused connect reads as (check.h). */
	CHECK_STR(last_msg(&h, 'E'), CHECK_REFUSED == ECONNREFUSED ?
		"Problem connecting to tracker - Connection refused" :
		"Problem connecting to tracker - Unknown error 111");
	next = bt_announcer_next_in(a);
	CHECK(next >= 59 && next <= 60);
	bt_announcer_more_peers(a);	/* no effect while failing */
	CHECK(bt_announcer_next_in(a) >= 59);
	bt_announcer_stop(a);
	loop_run_until(loop, &h.stopped, 1, 1000);
	CHECK_INT(h.stopped, ==, 1);
	bt_announcer_free(a);

	/* A refusal, a 404, bad data, a refusal with a 404. */
	hsrv_start(&s, M_FAIL);
	hsrv_url(&s, url, sizeof(url));
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_INT(h.nerr, ==, 1);
	CHECK_STR(last_msg(&h, 'E'), "rejected by tracker - go away");
	CHECK_INT(h.npeer_calls, ==, 0);
	loop_run_until(loop, NULL, 0, 50);
	CHECK_INT(h.nerr, ==, 1);	/* once, not again for the failed round */
	bt_announcer_free(a);

	s.mode = M_404;
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_STR(last_msg(&h, 'E'), "Problem connecting to tracker - HTTP 404");
	/* It answers again (the completed announce goes at once): 'R', not
	 * 'I', so that the user hears the trouble is over. */
	s.mode = M_OK;
	h.ninfo = 0;
	bt_announcer_completed(a);
	loop_run_until(loop, &h.nmsg, h.nmsg + 1, 3000);
	CHECK_STR(last_msg(&h, 'R'), url);
	CHECK_INT(h.ninfo, ==, 0);
	bt_announcer_free(a);

	s.mode = M_FAIL404;
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_STR(last_msg(&h, 'E'), "rejected by tracker - not here");
	bt_announcer_free(a);

	s.mode = M_BAD;
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK(strncmp(last_msg(&h, 'E'), "bad data from tracker - ", 24) == 0);
	bt_announcer_free(a);

	/* No answer within http_timeout. */
	s.mode = M_HANG;
	o.http_timeout_ms = 300;
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_STR(last_msg(&h, 'E'), "Problem connecting to tracker - timeout exceeded");
	bt_announcer_free(a);
	o.http_timeout_ms = 2000;

	/* https to a server that drops the connection: a TLS failure is a
	 * connection problem. */
	s.mode = M_CLOSE;
	s.nconn = 0;
	snprintf(url2, sizeof(url2), "https://127.0.0.1:%u/announce", (unsigned)s.port);
	a = ann_run(url2, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_INT(h.nerr, ==, 1);
	CHECK(strncmp(last_msg(&h, 'E'), "Problem connecting to tracker - ", 32) == 0);
	CHECK_INT(s.nconn, ==, 1);
	bt_announcer_free(a);

	/* A refusal in the first tier, an answer in the second: the refusal
	 * is told, and the round goes on. */
	s.mode = M_FAIL;
	{
		struct hsrv s2;
		hsrv_start(&s2, M_OK);
		hsrv_url(&s2, url2, sizeof(url2));
		const char *al[] = { url, "|", url2, NULL };
		a = ann_run(NULL, al, &o, &h, &h.ninfo, __LINE__);
		CHECK_INT(h.nerr, ==, 1);
		CHECK_STR(last_msg(&h, 'E'), "rejected by tracker - go away");
		CHECK_STR(last_msg(&h, 'I'), url2);
		CHECK_INT(h.npeers, ==, 2);
		bt_announcer_free(a);
		hsrv_stop(&s2);
	}
	hsrv_stop(&s);

	/* No usable tracker. */
	{
		const char *al[] = { "wss://x/y", "dht://z", NULL };
		CHECK_INT(ann_new(&a, NULL, NULL, &o, &h), ==, BT_E_NOENT);
		CHECK_INT(ann_new(&a, NULL, al, &o, &h), ==, BT_E_NOENT);
		CHECK_INT(ann_new(&a, "ftp://x/", NULL, &o, &h), ==, BT_E_NOENT);
		CHECK_INT(ann_new(&a, "udp://x/", NULL, &o, &h), ==, BT_E_NOENT);	/* no port */
		CHECK_INT(ann_new(&a, "udp://x:0/", NULL, &o, &h), ==, BT_E_NOENT);
		CHECK_INT(ann_new(&a, "http://a b/", NULL, &o, &h), ==, BT_E_NOENT);
	}
}

/* BEP 12: tiers in order, trackers in a tier in order, the one that
 * answers moves to the front of its tier. */
static void
test_tiers(void)
{
	struct hsrv live, dead;
	struct host h;
	struct bt_announcer *a;
	struct bt_announcer_opts o;
	char url[128], durl[128], curl[128];
	int first_dead = 0, first_live = 0;

	hsrv_start(&live, M_OK);
	hsrv_url(&live, url, sizeof(url));
	snprintf(curl, sizeof(curl), "http://127.0.0.1:%u/announce", (unsigned)loop_closed_port());

	/* A closed port and a live tracker in one tier, an unsupported URL
	 * told once. */
	for (uint64_t seed = 1; seed <= 4; seed++) {
		const char *al[] = { curl, "wss://x.example/announce", url, "|", "magnet:?x", NULL };
		opts_init(&o, seed);
		live.nreq = 0;
		a = ann_run(NULL, al, &o, &h, &h.ninfo, __LINE__);
		CHECK_INT(h.ninfo, ==, 1);
		CHECK_INT(h.nerr, ==, 0);
		CHECK_STR(bt_announcer_tracker(a), url);
		CHECK_INT(h.nwarn, ==, 1);
		CHECK_STR(last_msg(&h, 'W'), "skipping tracker URL wss://x.example/announce: "
			"not http://, https:// or udp:// (and 1 more unusable)");
		bt_announcer_completed(a);
		loop_run_until(loop, &h.ninfo, 2, 3000);
		CHECK_INT(live.nreq, ==, 2);
		CHECK_INT(h.nwarn, ==, 1);
		bt_announcer_free(a);
	}

	/* A tracker that takes connections and drops them, to count the
	 * tries: after the live one answered it is asked first. */
	hsrv_start(&dead, M_CLOSE);
	hsrv_url(&dead, durl, sizeof(durl));
	for (uint64_t seed = 1; seed <= 8; seed++) {
		const char *al[] = { durl, url, NULL };
		opts_init(&o, seed);
		live.nreq = 0;
		dead.nconn = 0;
		a = ann_run(NULL, al, &o, &h, &h.ninfo, __LINE__);
		bt_announcer_completed(a);
		loop_run_until(loop, &h.ninfo, 2, 3000);
		bt_announcer_stop(a);
		loop_run_until(loop, &h.stopped, 1, 3000);
		CHECK_INT(h.ninfo, ==, 2);
		CHECK_INT(h.stopped, ==, 1);
		CHECK_INT(live.nreq, ==, 3);
		CHECK_INT(dead.nconn, <=, 1);
		CHECK_INT(h.nerr, ==, 0);
		first_dead += dead.nconn == 1;
		first_live += dead.nconn == 0;
		bt_announcer_free(a);
	}
	CHECK_INT(first_dead, >, 0);	/* the shuffle put it first at least once */
	CHECK_INT(first_live, >, 0);

	/* Tiers are not shuffled together: the second tier only when the
	 * first failed. */
	for (uint64_t seed = 1; seed <= 4; seed++) {
		const char *al[] = { url, "|", durl, NULL };
		opts_init(&o, seed);
		dead.nconn = 0;
		a = ann_run(NULL, al, &o, &h, &h.ninfo, __LINE__);
		CHECK_INT(dead.nconn, ==, 0);
		bt_announcer_free(a);
	}
	{
		const char *al[] = { durl, "|", url, NULL };
		opts_init(&o, 1);
		dead.nconn = 0;
		a = ann_run(NULL, al, &o, &h, &h.ninfo, __LINE__);
		bt_announcer_completed(a);
		loop_run_until(loop, &h.ninfo, 2, 3000);
		CHECK_INT(dead.nconn, ==, 2);	/* the first tier is tried every time */
		CHECK_INT(h.nerr, ==, 0);
		bt_announcer_free(a);
	}
	/* announce-list with nothing usable: announce is used. */
	{
		const char *al[] = { "wss://x/y", NULL };
		opts_init(&o, 1);
		a = ann_run(url, al, &o, &h, &h.ninfo, __LINE__);
		CHECK_STR(last_msg(&h, 'I'), url);
		bt_announcer_free(a);
	}
	hsrv_stop(&dead);
	hsrv_stop(&live);
}

/* ---- a UDP tracker on the loop ---- */

enum { U_OK, U_ERR, U_SILENT };

struct usrv {
	int fd, stray_fd, mode, v6;
	uint16_t port;
	int npkt, nconnect, nannounce, stray;
	int events[8];
	uint64_t conn_used[8];
	uint32_t ip[8], key[8];
	int32_t numwant[8];
	char urldata[8][1100];
};

#define GOOD_CID 0x1122334455667788ULL

static void
on_udp(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct usrv *s = ud;
	uint8_t p[2048], out[128];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)l;
	(void)revents;
	while ((n = recvfrom(fd, p, sizeof(p), 0, (struct sockaddr *)&from, &fl)) >= 0) {
		socklen_t al = fl;
		fl = sizeof(from);
		s->npkt++;
		if (s->mode == U_SILENT)
			continue;
		if (n >= 16 && memcmp(p, "\0\0\x04\x17\x27\x10\x19\x80\0\0\0\0", 12) == 0) {
			s->nconnect++;
			memcpy(out, "\0\0\0\0", 4);
			memcpy(out + 4, p + 12, 4);
			if (s->stray) {
				/* The right transaction from another port, a wrong
				 * one from the right port: both ignored. */
				memcpy(out + 8, "\xba\xdb\xad\xba\xdb\xad\xba\xdb", 8);
				sendto(s->stray_fd, out, 16, 0, (struct sockaddr *)&from, al);
				out[7] ^= 1;
				sendto(fd, out, 16, 0, (struct sockaddr *)&from, al);
				out[7] ^= 1;
			}
			memcpy(out + 8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
			sendto(fd, out, 16, 0, (struct sockaddr *)&from, al);
		} else if (n >= 98 && p[11] == 1) {
			int k = s->nannounce++;
			if (k < 8) {
				size_t u = 0;
				s->conn_used[k] = (uint64_t)ntohl(*(uint32_t *)(void *)p) << 32 |
					ntohl(*(uint32_t *)(void *)(p + 4));
				s->events[k] = p[83];
				memcpy(&s->ip[k], p + 84, 4);
				memcpy(&s->key[k], p + 88, 4);
				memcpy(&s->numwant[k], p + 92, 4);
				s->numwant[k] = (int32_t)ntohl((uint32_t)s->numwant[k]);
				for (ssize_t i = 98; i + 1 < n;) {
					if (p[i] == 0)
						break;
					if (p[i] == 1) {
						i++;
						continue;
					}
					if (p[i] == 2 && i + 2 + p[i + 1] <= n) {
						memcpy(s->urldata[k] + u, p + i + 2, p[i + 1]);
						u += p[i + 1];
					}
					i += 2 + p[i + 1];
				}
				s->urldata[k][u] = 0;
			}
			memcpy(out + 4, p + 12, 4);
			if (s->mode == U_ERR) {
				memcpy(out, "\0\0\0\3", 4);
				memcpy(out + 8, "denied", 6);
				sendto(fd, out, 14, 0, (struct sockaddr *)&from, al);
				continue;
			}
			memcpy(out, "\0\0\0\1", 4);
			memcpy(out + 8, "\0\0\x07\x08\0\0\0\4\0\0\0\5", 12);
			if (s->v6) {
				memcpy(out + 20, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07\x1b\x58", 18);
				sendto(fd, out, 38, 0, (struct sockaddr *)&from, al);
			} else {
				memcpy(out + 20, "\x7f\0\0\3\x1b\x58\x0a\0\0\x09\x1b\x59", 12);
				sendto(fd, out, 32, 0, (struct sockaddr *)&from, al);
			}
		}
	}
}

static int
usrv_start(struct usrv *s, int mode, int family)
{
	struct sockaddr_storage a;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->v6 = family == AF_INET6;
	bt_addr_loopback(&a, family, 0);
	s->fd = bt_net_udp_bind(&a, family == AF_INET6 ? BT_NET_V6ONLY : 0);
	if (s->fd < 0)
		return -1;
	s->stray_fd = bt_net_udp_bind(&a, family == AF_INET6 ? BT_NET_V6ONLY : 0);
	bt_net_local_addr(s->fd, &a);
	s->port = bt_addr_port(&a);
	bt_io_add(loop, s->fd, BT_EV_READ, on_udp, s);
	return 0;
}

static void
usrv_stop(struct usrv *s)
{
	bt_io_del(loop, s->fd);
	close(s->fd);
	close(s->stray_fd);
}

static void
test_udp_announcer(void)
{
	struct usrv s;
	struct host h;
	struct bt_announcer *a;
	struct bt_announcer_opts o;
	char url[160];
	int64_t seeders, leechers;

	if (usrv_start(&s, U_OK, AF_INET) < 0) {
		CHECK(!"udp server");
		return;
	}
	s.stray = 1;
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce?auth=x%%20y", (unsigned)s.port);
	opts_init(&o, 3);
	o.ip = "10.9.8.7";
	a = ann_run(url, NULL, &o, &h, &h.npeer_calls, __LINE__);
	CHECK_INT(s.nconnect, ==, 1);
	CHECK_INT(s.nannounce, ==, 1);
	CHECK(s.conn_used[0] == GOOD_CID);
	CHECK_INT(s.events[0], ==, 2);	/* started */
	CHECK_STR(s.urldata[0], "/announce?auth=x%20y");
	CHECK(memcmp(&s.ip[0], "\x0a\x09\x08\x07", 4) == 0);
	CHECK_INT(s.numwant[0], ==, -1);
	CHECK_INT(h.npeers, ==, 2);
	check_peer(&h.peers[0], "127.0.0.3:7000", __LINE__);
	check_peer(&h.peers[1], "10.0.0.9:7001", __LINE__);
	CHECK_STR(last_msg(&h, 'I'), url);
	CHECK_INT(h.nerr, ==, 0);
	bt_announcer_swarm(a, &seeders, &leechers);
	CHECK_INT(seeders, ==, 5);
	CHECK_INT(leechers, ==, 4);
	CHECK(bt_announcer_next_in(a) >= 1799);

	/* Completed and stopped: the connection id is reused, the key is
	 * the same. */
	bt_announcer_completed(a);
	loop_run_until(loop, &s.nannounce, 2, 3000);
	loop_run_until(loop, &h.ninfo, 2, 3000);
	bt_announcer_stop(a);
	loop_run_until(loop, &h.stopped, 1, 3000);
	CHECK_INT(h.stopped, ==, 1);
	CHECK_INT(s.nannounce, ==, 3);
	CHECK_INT(s.nconnect, ==, 1);
	CHECK_INT(s.events[1], ==, 1);	/* completed */
	CHECK_INT(s.events[2], ==, 3);	/* stopped */
	CHECK(s.conn_used[2] == GOOD_CID);
	CHECK(s.key[0] == s.key[2]);
	CHECK_INT(s.numwant[2], ==, 0);
	bt_announcer_free(a);

	/* An error reply. */
	s.mode = U_ERR;
	a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
	CHECK_STR(last_msg(&h, 'E'), "rejected by tracker - denied");
	bt_announcer_free(a);

	/* No answer: retransmits (base http_timeout / 4), then the
	 * timeout.  1.2 s leaves 300 ms between the last retransmit and the
	 * time-out, so a loop held up by a busy machine (ASan, two test
	 * processes on two cores) still sends it first. */
	s.mode = U_SILENT;
	s.npkt = 0;
	o.http_timeout_ms = 1200;
	CHECK_INT(ann_new(&a, url, NULL, &o, &h), ==, 0);
	{
		uint64_t t0 = loop_now_ms();
		bt_announcer_start(a);
		loop_run_until(loop, &h.nerr, 1, 4000);
		CHECK_STR(last_msg(&h, 'E'), "Problem connecting to tracker - timeout exceeded");
		CHECK(loop_now_ms() - t0 >= 1150);
		CHECK(loop_now_ms() - t0 < 2500);
		/* The last retransmit may still wait in the server's socket
		 * when the time-out fires on a busy machine: let it read. */
		{
			int never = 0;
			loop_run_until(loop, &never, 1, 100);
		}
		CHECK_INT(s.npkt, >=, 3);	/* at 0, 300, 900 ms */
		CHECK_INT(s.npkt, <=, 4);
	}
	bt_announcer_free(a);
	usrv_stop(&s);

	/* An IPv6 tracker: 18-byte peers. */
	if (usrv_start(&s, U_OK, AF_INET6) == 0) {
		snprintf(url, sizeof(url), "udp://[::1]:%u", (unsigned)s.port);
		opts_init(&o, 4);
		a = ann_run(url, NULL, &o, &h, &h.npeer_calls, __LINE__);
		CHECK_INT(s.nannounce, ==, 1);
		CHECK_STR(s.urldata[0], "");
		CHECK_INT(h.npeers, ==, 1);
		check_peer(&h.peers[0], "[2001:db8::7]:7000", __LINE__);
		bt_announcer_free(a);
		/* AF_INET only: the tracker's IPv6 address is not used. */
		o.family = AF_INET;
		a = ann_run(url, NULL, &o, &h, &h.nerr, __LINE__);
		CHECK_INT(h.nerr, ==, 1);
		CHECK_INT(h.npeers, ==, 0);
		bt_announcer_free(a);
		usrv_stop(&s);
	}
}

/* Announcers sharing one UDP mux: each takes its own replies (two on one
 * tracker, one on another), stray replies (wrong transaction, wrong port)
 * are claimed by none, and no announcer opens a socket of its own. */
static void
test_udp_shared(void)
{
	struct usrv s1, s2;
	struct host h1, h2, h3;
	struct bt_announcer *a1, *a2, *a3;
	struct bt_announcer_opts o;
	struct bt_udp *u;
	struct bt_udp_stats st;
	struct sockaddr_storage l;
	char url1[160], url2[160];
	unsigned nfd;

	if (usrv_start(&s1, U_OK, AF_INET) < 0 || usrv_start(&s2, U_OK, AF_INET) < 0) {
		CHECK(!"udp server");
		return;
	}
	s1.stray = 1;
	snprintf(url1, sizeof(url1), "udp://127.0.0.1:%u/one", (unsigned)s1.port);
	snprintf(url2, sizeof(url2), "udp://127.0.0.1:%u/two", (unsigned)s2.port);
	CHECK_INT(bt_udp_new(&u, loop, NULL), ==, 0);
	nfd = bt_io_count(loop);
	opts_init(&o, 11);
	o.http_timeout_ms = 8000;	/* first retransmit after 2 s: none here */
	o.udp = u;
	CHECK_INT(ann_new(&a1, url1, NULL, &o, &h1), ==, 0);
	o.seed = 12;
	CHECK_INT(ann_new(&a2, url1, NULL, &o, &h2), ==, 0);
	o.seed = 13;
	CHECK_INT(ann_new(&a3, url2, NULL, &o, &h3), ==, 0);
	bt_announcer_start(a1);
	bt_announcer_start(a2);
	bt_announcer_start(a3);
	loop_run_until(loop, &h1.npeer_calls, 1, 3000);
	loop_run_until(loop, &h2.npeer_calls, 1, 3000);
	loop_run_until(loop, &h3.npeer_calls, 1, 3000);
	CHECK_INT(s1.nconnect, ==, 2);
	CHECK_INT(s1.nannounce, ==, 2);
	CHECK(s1.conn_used[0] == GOOD_CID);	/* the strays were not taken */
	CHECK(s1.conn_used[1] == GOOD_CID);
	CHECK_STR(s1.urldata[0], "/one");
	CHECK_INT(s2.nannounce, ==, 1);
	CHECK_STR(s2.urldata[0], "/two");
	CHECK_INT(h1.npeers, ==, 2);
	CHECK_INT(h2.npeers, ==, 2);
	CHECK_INT(h3.npeers, ==, 2);
	CHECK_INT(h1.nerr + h2.nerr + h3.nerr, ==, 0);
	CHECK_STR(last_msg(&h1, 'I'), url1);
	CHECK_STR(last_msg(&h2, 'I'), url1);
	CHECK_STR(last_msg(&h3, 'I'), url2);
	/* One IPv4 socket for the three, the mux's. */
	CHECK_INT(bt_io_count(loop), ==, nfd + 1);
	CHECK_INT(bt_udp_local(u, AF_INET, &l), ==, 0);
	bt_udp_stats(u, &st);
	CHECK_INT(s1.npkt, ==, 4);	/* no retransmit: nobody took another's reply */
	CHECK_INT(st.unclaimed, ==, 4);	/* two strays per connect to s1 */
	CHECK_INT(st.sent, ==, 6);

	/* One announcer goes; the others still get their replies. */
	bt_announcer_free(a1);
	bt_announcer_completed(a2);
	bt_announcer_completed(a3);
	loop_run_until(loop, &h2.npeer_calls, 2, 3000);
	loop_run_until(loop, &h3.npeer_calls, 2, 3000);
	CHECK_INT(s1.nannounce, ==, 3);
	CHECK_INT(s1.events[2], ==, 1);	/* completed */
	CHECK_INT(s2.nannounce, ==, 2);
	CHECK_INT(h2.nerr + h3.nerr, ==, 0);
	bt_announcer_free(a2);
	bt_announcer_free(a3);
	CHECK_INT(bt_io_count(loop), ==, nfd + 1);	/* the mux stays */
	bt_udp_free(u);
	CHECK_INT(bt_io_count(loop), ==, nfd);
	usrv_stop(&s1);
	usrv_stop(&s2);
}

/* Which URLs the announcer can use, and why not. */
static void
test_url_problem(void)
{
	static const struct { const char *url, *why; } c[] = {
		{ "http://t.example/announce", NULL },
		{ "HTTPS://t.example:8443/a?x=1", NULL },
		{ "udp://t.example:6969/announce", NULL },
		{ "udp://[::1]:6969", NULL },
		{ "x", "not a URL" },
		{ "ftp://t.example/announce", "not http://, https:// or udp://" },
		{ "http://t.example/an nounce", "has a space in it" },
		{ "http://t.example/\x1b[2J", "has a control character in it" },
		{ "http:///announce", "names no host" },
		{ "udp://t.example/announce", "a udp:// URL needs a host and a port (udp://host:port)" },
		{ "", "empty" },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		const char *why = bt_ann_url_problem(c[k].url, strlen(c[k].url));
		if (c[k].why)
			CHECK_STR(why ? why : "(null)", c[k].why);
		else
			CHECK(why == NULL);
	}
}

int
main(void)
{
	loop = bt_loop_new(256);
	if (!loop)
		return 1;
	test_query();
	test_url_problem();
	test_http_parse();
	test_udp_codec();
	test_http_announcer();
	test_http_errors();
	test_tiers();
	test_udp_announcer();
	test_udp_shared();
	bt_loop_free(loop);
	return check_summary("announce");
}
