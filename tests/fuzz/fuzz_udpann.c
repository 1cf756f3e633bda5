/* fuzz_udpann.c - libFuzzer target: the UDP tracker client's reply path
 * (announce.c over the udp.c mux, BEP 15).  Each exec makes an announcer
 * for udp://127.0.0.1:P/announce, where P is a UDP socket of this
 * process.  The input, cut at each "#####" (at most four parts), gives
 * the replies: each packet the announcer sends (connect, announce,
 * retransmissions) is answered with the next part, its bytes 4-7
 * replaced by the request's transaction id (when the part is that long)
 * so that the fuzzer gets past the id check.  When nothing is left to
 * do but wait for a timer (a retransmission, the give-up), the loop's
 * clock jumps to it (bt_loop_advance).  The exec ends when the announcer
 * reports (a reply, peers, an error), or after 1 s of the loop's time.
 *
 * Checked: peers have a family and a port; messages are non-empty and
 * free of control bytes. */
#define _GNU_SOURCE
#include "announce.h"
#include "err.h"
#include "net.h"
#include "reactor.h"
#include "udp.h"
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARTS 4

static struct bt_loop *loop;
static struct bt_udp *mux;
static int sfd = -1;
static char url[64];
static int reported;

static void
setup(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	loop = bt_loop_new(64);
	if (!loop || bt_udp_new(&mux, loop, NULL) < 0)
		abort();
	sfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		getsockname(sfd, (struct sockaddr *)&a, &al) < 0)
		abort();
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", (unsigned)ntohs(a.sin_port));
}

static void
cb_stats(void *ud, struct bt_ann_stats *s)
{
	(void)ud;
	s->uploaded = 1;
	s->downloaded = 2;
	s->left = 3;
	s->numwant = 50;
}

static void
cb_peers(void *ud, const struct sockaddr_storage *p, size_t n)
{
	(void)ud;
	for (size_t k = 0; k < n; k++)
		if ((p[k].ss_family != AF_INET && p[k].ss_family != AF_INET6) ||
			bt_addr_port(&p[k]) == 0)
			abort();
	reported = 1;
}

static void
cb_message(void *ud, int kind, const char *text)
{
	(void)ud;
	(void)kind;
	if (!text || !text[0])
		abort();
	for (const char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
	reported = 1;
}

static const struct bt_announcer_cb cbs = { cb_stats, cb_peers, cb_message, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[PARTS];
	size_t part_len[PARTS], nparts = 0, sent = 0;
	struct bt_announcer_opts o;
	struct bt_announcer *a;
	const char *urls[1];
	uint64_t end;
	uint8_t pkt[2048], out[2048];

	if (!loop)
		setup();
	if (size > 4 * 1500)
		return 0;
	for (const uint8_t *p = data, *e = data + size; nparts < PARTS;) {
		const uint8_t *cut = nparts + 1 < PARTS ? memmem(p, (size_t)(e - p), "#####", 5) : NULL;
		part[nparts] = p;
		part_len[nparts++] = cut ? (size_t)(cut - p) : (size_t)(e - p);
		if (!cut)
			break;
		p = cut + 5;
	}
	memset(&o, 0, sizeof(o));
	memset(o.info_hash, 0xab, 20);
	memcpy(o.peer_id, "-XX0000-fuzzudpann00", 20);
	o.port = 6881;
	o.http_timeout_ms = 40;	/* retransmits after 10 ms, gives up at 40 */
	o.stop_timeout_ms = 100;
	o.family = AF_INET;
	o.seed = 1;
	o.udp = mux;
	urls[0] = url;
	if (bt_announcer_new_urls(&a, loop, urls, 1, &o, &cbs, NULL) < 0 ||
		bt_announcer_start(a) < 0)
		abort();
	reported = 0;
	end = loop_now_ms() + 1000;
	while (!reported && loop_now_ms() < end) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t k;
		int calls = bt_loop_run_once(loop, 0), got = 0;

		while ((k = recvfrom(sfd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
			&fl)) >= 0) {
			got = 1;
			if (sent == nparts)
				continue;	/* no reply left: dropped */
			size_t n = part_len[sent];
			if (n > sizeof(out))
				n = sizeof(out);
			memcpy(out, part[sent++], n);
			if (n >= 8 && k >= 16)
				memcpy(out + 4, pkt + 12, 4);	/* the transaction id */
			sendto(sfd, out, n, 0, (struct sockaddr *)&from, fl);
			fl = sizeof(from);
		}
		if (!calls && !got) {
			/* Nothing to do until a timer (a retransmission, the
			 * give-up): jump the clock there. */
			int64_t d = bt_loop_next_timer_ms(loop);
			if (d < 0)
				break;
			bt_loop_advance(loop, d > 0 ? (uint64_t)d : 1);
		}
	}
	bt_announcer_free(a);
	/* Drop what is left on both sides. */
	while (recv(sfd, pkt, sizeof(pkt), 0) >= 0)
		;
	bt_loop_run_once(loop, 0);
	return 0;
}
