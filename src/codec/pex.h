/* pex.h - the ut_pex message of peer exchange (BEP 11), as bytes: no
 * policy (which peers to tell, how often, what to do with what we are
 * told: src/client/ext_pex.c).
 *
 *   { added: <6-byte IPv4 compact peers>, added.f: <1 flag byte each>,
 *     added6: <18-byte IPv6 compact peers>, added6.f: <flags>,
 *     dropped: <IPv4 peers>, dropped6: <IPv6 peers> }
 *
 * The parser keeps pointers into the message (no copies, no allocation
 * that outlives it): a message over BT_PEX_MSG_MAX bytes, one that is not
 * a bencoded dictionary, or a list whose length is not a multiple of its
 * entry size is refused; a flags string of the wrong length is taken as
 * absent (flags 0); unknown keys are ignored. */
#ifndef BT_PEX_H
#define BT_PEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define BT_PEX_MSG_MAX		16384	/* the largest message parsed */
#define BT_PEX_WRITE_MAX	200	/* most added (and dropped) written */

/* Flag bits of added.f / added6.f. */
#define BT_PEX_F_CRYPTO		0x01	/* prefers encryption */
#define BT_PEX_F_SEED		0x02	/* seed or upload only */
#define BT_PEX_F_UTP		0x04	/* supports uTP */
#define BT_PEX_F_HOLEPUNCH	0x08	/* has ut_holepunch */
#define BT_PEX_F_REACHABLE	0x10	/* we connected out to it */

/* One peer: ip[0..len) with len 4 or 16, the port, its flags (0 in
 * dropped lists). */
struct bt_pex_peer {
	uint8_t ip[16];
	uint8_t len;
	uint8_t flags;
	uint16_t port;
};

enum bt_pex_list { BT_PEX_ADDED, BT_PEX_ADDED6, BT_PEX_DROPPED, BT_PEX_DROPPED6, BT_PEX_NLISTS };

/* A parsed message: pointers into the parsed bytes, which must outlive
 * it. */
struct bt_pex_msg {
	const uint8_t *list[BT_PEX_NLISTS];
	size_t n[BT_PEX_NLISTS];		/* entries of each list */
	const uint8_t *flags[2];		/* added.f, added6.f; NULL: absent */
};

/* Parse p[0..n).  Returns 0, BT_E_LIMIT (n > BT_PEX_MSG_MAX), BT_E_PARSE
 * (not a bencoded dictionary, a list of the wrong length or type) or
 * BT_E_NOMEM. */
int bt_pex_parse(struct bt_pex_msg *m, const uint8_t *p, size_t n);
/* Entry i (< m->n[list]) of a list of m. */
void bt_pex_get(const struct bt_pex_msg *m, enum bt_pex_list list, size_t i,
	struct bt_pex_peer *out);
/* Append a message telling added[0..nadded) and dropped[0..ndropped)
 * (either family, in any order; flags of dropped peers are not sent).
 * `added`, `added.f` and `dropped` are always there, the IPv6 lists when
 * not empty.  Returns 0, BT_E_LIMIT (more than BT_PEX_WRITE_MAX in a
 * list), BT_E_INVAL (an entry's len is not 4 or 16) or the buffer's
 * error. */
int bt_pex_write(struct bt_buf *b, const struct bt_pex_peer *added, size_t nadded,
	const struct bt_pex_peer *dropped, size_t ndropped);
/* 1 if a and b are the same address and port. */
int bt_pex_peer_eq(const struct bt_pex_peer *a, const struct bt_pex_peer *b);

#endif
