/* fuzz_tracker.c - the tracker core on hostile input: the bytes are used
 * as a UDP datagram (BEP 15, with a valid connection id patched in half
 * the time so announces and scrapes are reached), and as the query of an
 * HTTP announce and scrape.  Replies must be well-formed: every HTTP
 * body parses as bencode, every UDP reply is a known action. */
#include "benc.h"
#include "err.h"
#include "http.h"
#include "net.h"
#include "tracker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct bt_tracker *T;
static struct bt_buf body;

static void
http(const char *path, const uint8_t *q, size_t n, const char *from)
{
	char req[4096];
	struct bt_http_req h;
	struct sockaddr_storage peer;
	size_t pl = strlen(path);
	if (n > sizeof(req) - pl - 64)
		n = sizeof(req) - pl - 64;
	memcpy(req, path, pl);
	size_t k = pl;
	for (size_t i = 0; i < n; i++)	/* keep the request line one line */
		req[k++] = (q[i] > 0x20 && q[i] < 0x7f) ? (char)q[i] : '%';
	memcpy(req + k, " HTTP/1.1\r\n\r\n", 14);
	if (bt_http_parse_request(req, k + 13, &h, BT_HTTP_HDR_MAX) <= 0)
		return;
	bt_addr_parse(&peer, from, strlen(from), 5000);
	struct bt_tracker_req r = { .http = &h, .peer = &peer, .now = 1000 };
	struct bt_tracker_resp resp;
	struct bt_benc d = { 0 };
	body.len = 0;
	if (bt_tracker_http(T, &r, &resp, &body) == 0 && resp.status && body.len &&
	    bt_benc_parse(&d, body.p, body.len, &bt_benc_lim_strict, NULL) != 0)
		abort();	/* a reply that is not canonical bencode */
	bt_benc_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	uint8_t pkt[2048], out[BT_TRACKER_UDP_MAX];
	struct sockaddr_storage from;

	if (!T) {
		struct bt_tracker_cfg c;
		bt_tracker_cfg_default(&c);
		c.nat_check = 0;
		c.compact_reqd = 0;
		T = bt_tracker_new(&c);
		bt_buf_init(&body, 1u << 20);
	}
	bt_addr_parse(&from, "203.0.113.5", 11, 4000);
	/* UDP: ask for a connection id, then use it. */
	uint8_t conn[16] = { 0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4 };
	size_t m = bt_tracker_udp(T, conn, 16, &from, 1000, out, sizeof(out));
	if (m != 16)
		abort();
	size_t pn = n < sizeof(pkt) ? n : sizeof(pkt);
	memcpy(pkt, data, pn);
	if (pn >= 8 && (data[0] & 1))
		memcpy(pkt, out + 8, 8);
	m = bt_tracker_udp(T, pkt, pn, &from, 1000, out, sizeof(out));
	if (m && (m < 8 || out[3] > 3))
		abort();
	http("/announce?", data, n, "203.0.113.9");
	http("/scrape?", data, n, "::1");
	http("/announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14"
		"&peer_id=AAAAAAAAAAAAAAAAAAAA&port=1&left=0&", data, n, "127.0.0.1");
	/* Keep the store from growing without bound across runs. */
	static unsigned runs;
	if (++runs % 4096 == 0) {
		bt_tracker_sweep(T);
		bt_tracker_sweep(T);
	}
	return 0;
}
