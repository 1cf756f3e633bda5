/* ext_donthave.c - BEP 54 lt_donthave: a piece taken back.  The message
 * is the piece's index, 4 bytes big-endian.
 *
 * Hearing: a message of another length closes the connection; an index
 * out of range, or for a piece the peer was not known to have, or before
 * the metadata, is ignored.  Otherwise the piece leaves the peer's
 * bitfield and its availability, our requests to the peer for it are
 * cancelled and given back, and our interest is looked at again.
 *
 * Telling: when we lose a piece we had (its file was cut or deleted
 * behind our back, upload.c), every peer that has lt_donthave is told;
 * the others cannot be, and upload.c decides what to do with them. */
#include "torrent_int.h"

#include "be.h"
#include "metainfo.h"

static int
handle(struct peer *p, const uint8_t *m, size_t n)
{
	struct bt_torrent *s = p->s;
	uint32_t piece;

	if (n != 4)
		return -1;
	piece = get32(m);
	if (!s->m || !s->pk || piece >= s->m->npieces || !bt_bitfield_test(&p->has, piece))
		return 0;
	bt_bitfield_clear(&p->has, piece);
	bt_picker_peer_donthave(s->pk, piece);
	p->seed = 0;
	peer_drop_piece_requests(p, piece);
	peer_update_interest(p);
	if (p->am_interested)
		peer_fill_requests(p);
	peer_flush(p);
	return 0;
}

void
donthave_tell(struct bt_torrent *s, uint32_t piece)
{
	uint8_t msg[4];

	put32(msg, piece);
	for (size_t i = 0; i < s->nconns; i++)
		if (ext_send(s->conns[i], EXT_DONTHAVE, msg, sizeof(msg)) == 0)
			peer_flush(s->conns[i]);
}

const struct ext ext_donthave = {
	.name = "lt_donthave",
	.handle = handle,
};
