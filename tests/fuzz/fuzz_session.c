/* fuzz_session.c - libFuzzer target: a whole peer session.  Each exec
 * makes a client (listening on 127.0.0.1) with one torrent of 64 zero
 * bytes in two pieces of 32: seeding (its file made once per process) when
 * the first input byte is odd, else downloading into an empty directory
 * (so a peer sending zeros can complete it).  The target connects,
 * sends a handshake for the torrent (reserved bytes from input bytes
 * 1-8, so extensions and fast are fuzzed too) and then the rest of the
 * input as the message stream, reading and dropping whatever the client
 * sends, until the client closes the connection, all is sent and
 * IDLE_PASSES passes in a row find nothing to do, or 1 s passes.  Then
 * everything is freed; the sanitizers and the client's own checks do the
 * rest. */
#define _GNU_SOURCE
#include "client.h"
#include "err.h"
#include "metainfo.h"
#include "net.h"
#include "reactor.h"
#include "sha1.h"
#include "torrent.h"
#include "loop.h"
#include "fuzz_tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bt_loop *loop;
static struct bt_meta meta;
static uint8_t *doc;
static char seed_root[96], leech_root[96], dir[64];

/* At exit: the temporary directory goes. */
static void
cleanup(void)
{
	unlink(seed_root);
	unlink(leech_root);
	rmdir(dir);
}

static void
setup(void)
{
	static const char head[] = "d4:infod6:lengthi64e4:name5:z.bin12:piece lengthi32e6:pieces40:";
	uint8_t zero[32] = { 0 }, h[20];
	struct bt_meta_err err;
	size_t n = sizeof(head) - 1;
	char path[128];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	loop = bt_loop_new(256);
	doc = malloc(n + 40 + 2);
	if (!loop || !doc)
		abort();
	memcpy(doc, head, n);
	bt_sha1(zero, sizeof(zero), h);
	memcpy(doc + n, h, 20);
	memcpy(doc + n + 20, h, 20);
	memcpy(doc + n + 40, "ee", 2);
	if (bt_meta_parse(&meta, doc, n + 42, &err) < 0)
		abort();
	fuzz_tmp(dir, sizeof(dir), "fuzz_session.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(seed_root, sizeof(seed_root), "%s/seed.bin", dir);
	snprintf(leech_root, sizeof(leech_root), "%s/leech.bin", dir);
	snprintf(path, sizeof(path), "%s", seed_root);
	f = fopen(path, "wb");
	if (!f)
		abort();
	for (int i = 0; i < 64; i++)
		fputc(0, f);
	fclose(f);
}

static void
on_msg(void *ud, int kind, const char *text)
{
	(void)ud;
	(void)kind;
	if (!text)
		abort();
}

#define IDLE_PASSES	3

static const struct bt_torrent_cb cbs = { on_msg, NULL, NULL, NULL };

/* Our end of the connection. */
struct peer {
	int fd;
	const uint8_t *out;
	size_t len, off;
	int closed;
};

static void
on_peer(struct bt_loop *l, int fd, unsigned revents, void *ud)
{
	struct peer *p = ud;
	uint8_t buf[16384];
	ssize_t k;

	(void)l;
	if (revents & (BT_EV_READ | BT_EV_HUP | BT_EV_ERR)) {
		for (int it = 0; it < 16; it++) {
			k = read(fd, buf, sizeof(buf));
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				p->closed = 1;
				bt_io_del(loop, fd);
				return;
			}
			if (k < 0)
				break;
		}
	}
	while (p->off < p->len) {
		k = send(fd, p->out + p->off, p->len - p->off, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ENOTCONN) {
				p->closed = 1;
				bt_io_del(loop, fd);
			}
			return;
		}
		p->off += (size_t)k;
	}
	bt_io_set(loop, fd, BT_EV_READ);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_client_opts co;
	struct bt_torrent_opts to;
	struct bt_client *c = NULL;
	struct bt_torrent *t = NULL;
	struct sockaddr_storage a;
	struct peer p;
	uint8_t *msg;
	uint64_t end;
	int seeding;

	if (!loop)
		setup();
	if (size < 9 || size > 1 << 16)
		return 0;
	seeding = data[0] & 1;
	unlink(leech_root);
	memset(&co, 0, sizeof(co));
	co.listen.minport = 20000;
	co.listen.maxport = 60000;
	co.listen.random_port = 1;
	co.listen.bind = "127.0.0.1";
	co.listen.seed = (uint64_t)getpid() * 31 + size;
	co.handshake_ms = 1000;
	if (bt_client_new(&c, loop, &co) < 0)
		return 0;
	bt_torrent_opts_init(&to);
	to.root = seeding ? seed_root : leech_root;
	memcpy(to.peer_id, "-bt0100-fuzzsession0", 20);
	to.no_trackers = 1;
	to.no_webseeds = 1;
	to.seed = 1;
	if (bt_torrent_new(&t, c, meta.info_hash, &to, &cbs, NULL) < 0 ||
		bt_torrent_set_meta(t, &meta, NULL) < 0 || bt_torrent_start(t) < 0)
		abort();
	end = loop_now_ms() + 1000;
	while (bt_torrent_state(t) != BT_TORRENT_SEEDING &&
		bt_torrent_state(t) != BT_TORRENT_DOWNLOADING && loop_now_ms() < end)
		bt_loop_run_once(loop, 1);
	if (bt_torrent_state(t) != (seeding ? BT_TORRENT_SEEDING : BT_TORRENT_DOWNLOADING))
		abort();

	/* The handshake, then the input's messages. */
	msg = malloc(68 + size - 9);
	if (!msg)
		abort();
	memcpy(msg, "\x13" "BitTorrent protocol", 20);
	memcpy(msg + 20, data + 1, 8);
	memcpy(msg + 28, meta.info_hash, 20);
	memcpy(msg + 48, "-XX0000-fuzzpeer0000", 20);
	memcpy(msg + 68, data + 9, size - 9);
	memset(&p, 0, sizeof(p));
	p.fd = -1;
	p.out = msg;
	p.len = 68 + size - 9;
	bt_addr_parse(&a, "127.0.0.1", 9, bt_client_port(c));
	int rc = bt_net_connect_tcp(&a, &p.fd);
	if (rc < 0 && rc != BT_E_PARTIAL)
		abort();
	bt_io_add(loop, p.fd, BT_EV_READ | BT_EV_WRITE, on_peer, &p);
	/* Loopback delivers a send at once, so once all is sent, passes that
	 * wait for nothing and find nothing mean the client has answered all
	 * it will: no need to wait out idle milliseconds (which held the
	 * target to ~100 execs a second). */
	end = loop_now_ms() + 1000;
	for (int idle = 0; !p.closed && idle < IDLE_PASSES && loop_now_ms() < end;) {
		int n = bt_loop_run_once(loop, p.off == p.len ? 0 : 2);
		idle = p.off == p.len && n == 0 ? idle + 1 : 0;
	}
	if (!p.closed)
		bt_io_del(loop, p.fd);
	close(p.fd);
	bt_loop_run_once(loop, 0);
	bt_torrent_free(t);
	bt_client_free(c);
	free(msg);
	return 0;
}
