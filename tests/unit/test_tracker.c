/* test_tracker.c - the tracker core without sockets: NAT-check decisions
 * for clients on public addresses, which the loopback CLI tests cannot
 * reach (loopback peers are never checked); which seeds are given seeds. */
#define _GNU_SOURCE
#include "check.h"
#include "err.h"
#include "http.h"
#include "net.h"
#include "tracker.h"

#include <stdio.h>
#include <string.h>

static struct bt_tracker *T;

/* One GET of path from addr; returns the status and leaves the body. */
static int
get(const char *addr, const char *path, struct bt_tracker_resp *resp, struct bt_buf *body)
{
	char req[1024];
	struct bt_http_req h;
	struct sockaddr_storage peer;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	CHECK(bt_http_parse_request(req, strlen(req), &h, BT_HTTP_HDR_MAX) > 0);
	CHECK(bt_addr_parse(&peer, addr, strlen(addr), 40000) == 0);
	struct bt_tracker_req r = { .http = &h, .peer = &peer, .now = 1000 };
	body->len = 0;
	CHECK(bt_tracker_http(T, &r, resp, body) == 0);
	return resp->status;
}

#define HASH "%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14"
static const uint8_t hash[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static int
peers_in(const struct bt_buf *b)
{
	const char *p = memmem(b->p, b->len, "5:peers", 7);
	int n = 0;
	if (p && sscanf(p + 7, "%d:", &n) == 1)
		return n / 6;
	return -1;
}

static void
nat_rules(void)
{
	struct bt_tracker_cfg c;
	struct bt_tracker_resp resp;
	struct bt_buf b;
	bt_buf_init(&b, 0);
	bt_tracker_cfg_default(&c);	/* nat_check 3 */
	T = bt_tracker_new(&c);

	/* A public peer is checked before it is handed out. */
	CHECK(get("198.51.100.7", "/announce?info_hash=" HASH "&peer_id=AAAAAAAAAAAAAAAAAAAA&port=6881&left=5&compact=1", &resp, &b) == 200);
	CHECK(resp.check_peer == 1);
	struct sockaddr_storage a7 = resp.check_addr;
	CHECK(bt_addr_port(&a7) == 6881);
	CHECK(get("198.51.100.8", "/announce?info_hash=" HASH "&peer_id=BBBBBBBBBBBBBBBBBBBB&port=6882&left=5&compact=1", &resp, &b) == 200);
	CHECK(peers_in(&b) == 0);	/* .7 is not checked yet */
	/* Port 0: counted, never checked, never handed out. */
	CHECK(get("198.51.100.9", "/announce?info_hash=" HASH "&peer_id=CCCCCCCCCCCCCCCCCCCC&port=0&left=5&compact=1", &resp, &b) == 200);
	CHECK(resp.check_peer == 0);

	/* Failed checks are retried on later announces, nat_check times. */
	for (int k = 0; k < 3; k++) {
		bt_tracker_nat_result(T, hash, &a7, 0);
		get("198.51.100.7", "/announce?info_hash=" HASH "&peer_id=AAAAAAAAAAAAAAAAAAAA&port=6881&left=5&compact=1", &resp, &b);
		CHECK(resp.check_peer == (k < 2));
	}
	/* A success makes it a peer others get. */
	bt_tracker_nat_result(T, hash, &a7, 1);
	CHECK(get("198.51.100.8", "/announce?info_hash=" HASH "&peer_id=BBBBBBBBBBBBBBBBBBBB&port=6882&left=5&compact=1", &resp, &b) == 200);
	CHECK(peers_in(&b) == 1);
	CHECK(resp.check_peer == 0 || resp.check_peer == 1);

	/* A local client needs no check and may give another local address. */
	CHECK(get("192.168.1.5", "/announce?info_hash=" HASH "&peer_id=DDDDDDDDDDDDDDDDDDDD&port=6884&left=5&compact=1&ip=192.168.1.6", &resp, &b) == 200);
	CHECK(resp.check_peer == 0);
	bt_tracker_free(T);

	/* nat_check 0: everyone is handed out at once. */
	c.nat_check = 0;
	T = bt_tracker_new(&c);
	get("198.51.100.7", "/announce?info_hash=" HASH "&peer_id=AAAAAAAAAAAAAAAAAAAA&port=6881&left=5&compact=1", &resp, &b);
	CHECK(resp.check_peer == 0);
	get("198.51.100.8", "/announce?info_hash=" HASH "&peer_id=BBBBBBBBBBBBBBBBBBBB&port=6882&left=5&compact=1", &resp, &b);
	CHECK(peers_in(&b) == 1);
	/* With NAT checks off, only local clients may override their address
	 * (only_local_override_ip 2 -> 1): a public one's ip= is ignored. */
	get("198.51.100.10", "/announce?info_hash=" HASH "&peer_id=EEEEEEEEEEEEEEEEEEEE&port=6885&left=5&compact=1&ip=203.0.113.1", &resp, &b);
	CHECK(memmem(b.p, b.len, "11:external ip4:\xc6\x33\x64\x0a", 20) != NULL);
	bt_tracker_free(T);
	bt_buf_free(&b);
}

/* Seeds get only leechers, except a "started" announce with left=0 (a
 * magnet link's client without metadata says that). */
static void
seeds_for_seeds(void)
{
	struct bt_tracker_cfg c;
	struct bt_tracker_resp resp;
	struct bt_buf b;
	bt_buf_init(&b, 0);
	bt_tracker_cfg_default(&c);
	c.nat_check = 0;
	T = bt_tracker_new(&c);
	get("198.51.100.7", "/announce?info_hash=" HASH "&peer_id=AAAAAAAAAAAAAAAAAAAA&port=6881&left=0&compact=1&event=started", &resp, &b);
	/* A seed's regular announce: no seeds. */
	CHECK(get("198.51.100.8", "/announce?info_hash=" HASH "&peer_id=BBBBBBBBBBBBBBBBBBBB&port=6882&left=0&compact=1", &resp, &b) == 200);
	CHECK(peers_in(&b) == 0);
	/* started with left=0: the seeds too. */
	CHECK(get("198.51.100.9", "/announce?info_hash=" HASH "&peer_id=CCCCCCCCCCCCCCCCCCCC&port=6883&left=0&compact=1&event=started", &resp, &b) == 200);
	CHECK(peers_in(&b) == 2);
	/* ... and only then; a leecher gets everyone. */
	CHECK(get("198.51.100.9", "/announce?info_hash=" HASH "&peer_id=CCCCCCCCCCCCCCCCCCCC&port=6883&left=0&compact=1", &resp, &b) == 200);
	CHECK(peers_in(&b) == 0);
	CHECK(get("198.51.100.10", "/announce?info_hash=" HASH "&peer_id=DDDDDDDDDDDDDDDDDDDD&port=6884&left=9&compact=1&event=started", &resp, &b) == 200);
	CHECK(peers_in(&b) == 3);
	bt_tracker_free(T);
	bt_buf_free(&b);
}

int
main(void)
{
	nat_rules();
	seeds_for_seeds();
	return check_summary("tracker");
}
