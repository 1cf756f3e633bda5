/* fuzz_announce.c - libFuzzer target for the tracker client's codecs.
 *
 * The first input byte picks the mode, the rest is the data:
 *   bit 0  0: an HTTP announce reply (bt_ann_http_parse),
 *          1: a UDP reply (bt_ann_udp_parse);
 *   bit 1  UDP: the transaction id is the packet's own (1) or a fixed one;
 *   bit 2  UDP: the tracker is IPv6;
 *   bits 3-5  the room for peers: 0, 1, 2, 7, 64 or BT_ANN_PEERS_MAX,
 *          allocated exactly so that any overrun is caught.
 * Every result is checked: peers within the room, each with a family, a
 * port and a usable address; texts NUL-terminated inside their buffers
 * without control bytes; numbers -1 or above; a reason for every
 * refusal.  The data also goes, as ip, tracker id and UDP URL path,
 * through the query and packet builders, whose output must stay
 * bounded. */
#include "announce.h"
#include "buf.h"
#include "err.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t cap)
{
	const char *z = memchr(s, 0, cap);
	if (!z)
		abort();
	for (; s < z; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_reply(const struct bt_ann_reply *r)
{
	check_text(r->failure, sizeof(r->failure));
	check_text(r->warning, sizeof(r->warning));
	if (!memchr(r->trackerid, 0, sizeof(r->trackerid)))
		abort();
	if (r->interval < -1 || r->min_interval < -1 || r->complete < -1 ||
	    r->incomplete < -1)
		abort();
	if (r->npeers > r->peers_cap || (r->failure[0] && r->npeers))
		abort();
	for (size_t k = 0; k < r->npeers; k++) {
		const struct sockaddr_storage *a = &r->peers[k];
		if (a->ss_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)a;
			const uint8_t *ip = (const uint8_t *)&s->sin_addr;
			if (s->sin_port == 0 || ip[0] == 0 || ip[0] >= 224)
				abort();
		} else if (a->ss_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)a;
			if (s->sin6_port == 0 || s->sin6_addr.s6_addr[0] == 0xff)
				abort();
		} else {
			abort();
		}
	}
}

static void
builders(const uint8_t *data, size_t size)
{
	char text[300];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	struct bt_ann_req r;
	struct bt_buf b;
	uint8_t pkt[BT_ANN_UDP_MAX];
	char path[BT_ANN_UDP_PATH_MAX + 200];
	size_t pn = size < sizeof(path) - 1 ? size : sizeof(path) - 1;

	memcpy(text, data, n);
	text[n] = 0;
	memset(&r, 0, sizeof(r));
	r.event = size ? data[0] % 5 : 0;
	r.numwant = size > 1 ? (int8_t)data[1] : -1;
	r.ip = text;
	r.trackerid = text;
	r.seed_id = text;
	bt_buf_init(&b, 0);
	bt_ann_http_url(&b, (const char *)text, &r);
	/* Everything is at most 3 bytes per byte in, plus the fixed part. */
	if (b.err || b.len > n + 3 * (40 + 3 * n) + 400)
		abort();
	bt_buf_free(&b);
	memcpy(path, data, pn);
	path[pn] = 0;
	if (bt_ann_udp_announce(pkt, 1, 2, &r, path) > BT_ANN_UDP_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[8] = { 0, 1, 2, 7, 64, BT_ANN_PEERS_MAX, 3, 6 };
	struct bt_ann_reply r;
	const char *why = NULL;
	uint8_t mode;
	int rc;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	memset(&r, 0x5a, sizeof(r));
	r.peers_cap = caps[(mode >> 3) & 7];
	r.peers = r.peers_cap ? malloc(r.peers_cap * sizeof(*r.peers)) : NULL;
	if (r.peers_cap && !r.peers)
		return 0;
	if (!(mode & 1)) {
		rc = bt_ann_http_parse(data, size, &r, &why);
		if (rc == 0)
			check_reply(&r);
		else if ((rc != BT_E_PARSE && rc != BT_E_NOMEM) || !why)
			abort();
	} else {
		uint32_t tid = 0x12345678;
		uint64_t cid = 0;
		if ((mode & 2) && size >= 8)
			tid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
				(uint32_t)data[6] << 8 | data[7];
		rc = bt_ann_udp_parse(data, size, tid, (mode & 4) != 0, &cid, &r);
		if (rc == 1 || rc == 3)
			check_reply(&r);
		if (rc == 3 && !r.failure[0])
			abort();
		if (rc != 0 && rc != 1 && rc != 3 && rc != BT_E_PARSE)
			abort();
	}
	free(r.peers);
	builders(data, size);
	return 0;
}
