/* ext.c - the extension protocol (BEP 10): our extended handshake, the
 * peer's, and the table that sends each extension message to the file
 * that handles it (see torrent_int.h, "ext.c").  Our local id for
 * extension i of the table is i + 1; the peer's ids for them are in
 * p->ext_ids[i] (0: the peer has not got it). */
#include "torrent_int.h"

#include <stdio.h>
#include <string.h>

static const struct ext *const exts[EXT_COUNT] = {
	[EXT_UPLOAD_ONLY] = &ext_upload_only,
	[EXT_METADATA] = &ext_metadata,
	[EXT_PEX] = &ext_pex,
	[EXT_DONTHAVE] = &ext_donthave,
};

_Static_assert(EXT_COUNT <= sizeof(((struct peer *)0)->ext_ids), "ext_ids too small");

static int
offered(const struct bt_torrent *s, size_t i)
{
	return !exts[i]->offered || exts[i]->offered(s);
}

void
ext_send_handshake(struct peer *p)
{
	struct bt_pw_exthandshake h;
	struct bt_buf b;

	bt_pw_exthandshake_init(&h);
	snprintf(h.v, sizeof(h.v), "bt %s", BT_VERSION);
	h.port = client_port(p->s->c);
	h.reqq = UPQ_MAX;
	for (size_t i = 0; i < EXT_COUNT; i++) {
		if (!offered(p->s, i))
			continue;
		bt_pw_ext_add(&h, exts[i]->name, (uint8_t)(i + 1));
		if (exts[i]->advertise)
			exts[i]->advertise(p, &h);
	}
	bt_buf_init(&b, 4096);
	if (bt_pw_exthandshake_write(&b, &h) == 0)
		bt_pw_write_extended(bt_pio_out(p->io), 0, b.p, b.len);
	bt_buf_free(&b);
}

void
ext_withdraw(struct peer *p)
{
	struct bt_pw_exthandshake h;
	struct bt_buf b;
	int any = 0;

	bt_pw_exthandshake_init(&h);
	for (size_t i = 0; i < EXT_COUNT; i++) {
		if (offered(p->s, i))
			continue;
		bt_pw_ext_add(&h, exts[i]->name, 0);
		p->ext_ids[i] = 0;
		if (exts[i]->bye)
			exts[i]->bye(p);
		any = 1;
	}
	if (!any)
		return;
	bt_buf_init(&b, 4096);
	if (bt_pw_exthandshake_write(&b, &h) == 0)
		bt_pw_write_extended(bt_pio_out(p->io), 0, b.p, b.len);
	bt_buf_free(&b);
	peer_flush(p);
}

/* 1 if h's `m` names the extension (with any id, 0 included). */
static int
named(const struct bt_pw_exthandshake *h, const char *name)
{
	for (unsigned k = 0; k < h->nm && k < BT_PW_EXT_MAX; k++)
		if (strcmp(h->m[k].name, name) == 0)
			return 1;
	return 0;
}

static void
got_handshake(struct peer *p, const uint8_t *payload, size_t n)
{
	struct bt_pw_exthandshake h;

	if (bt_pw_exthandshake_parse(payload, n, &h) != 0)
		return;
	if (h.reqq)
		p->reqq = h.reqq > RQ_MAX ? RQ_MAX : h.reqq;
	if (h.v[0]) {
		size_t k = strnlen(h.v, sizeof(p->client) - 1);
		memcpy(p->client, h.v, k);
		p->client[k] = 0;
	}
	if (h.port)
		p->listen_port = h.port;
	/* A later handshake changes only the names it gives (BEP 10);
	 * id 0 switches one off. */
	for (size_t i = 0; i < EXT_COUNT && !p->dead; i++) {
		if (!named(&h, exts[i]->name))
			continue;
		p->ext_ids[i] = offered(p->s, i) ? bt_pw_ext_lookup(&h, exts[i]->name) : 0;
		if (p->ext_ids[i] && exts[i]->hello)
			exts[i]->hello(p, &h);
	}
}

int
ext_got(struct peer *p, const struct bt_pw_msg *m)
{
	if (m->ext_id == 0) {
		got_handshake(p, m->payload, m->payload_len);
		return 0;
	}
	if (m->ext_id <= EXT_COUNT)
		return exts[m->ext_id - 1]->handle(p, m->payload, m->payload_len);
	return 0;	/* not ours: ignored */
}

int
ext_send(struct peer *p, int which, const uint8_t *payload, size_t n)
{
	if (p->dead || !p->ext_ids[which])
		return -1;
	bt_pw_write_extended(bt_pio_out(p->io), p->ext_ids[which], payload, n);
	return 0;
}

void
ext_tick(struct peer *p, uint64_t now)
{
	for (size_t i = 0; i < EXT_COUNT && !p->dead; i++)
		if (p->ext_ids[i] && exts[i]->tick)
			exts[i]->tick(p, now);
}

void
ext_bye(struct peer *p)
{
	for (size_t i = 0; i < EXT_COUNT; i++)
		if (exts[i]->bye)
			exts[i]->bye(p);
}
