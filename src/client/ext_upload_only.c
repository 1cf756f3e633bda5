/* ext_upload_only.c - BEP 21 upload_only: the peer only uploads.  A seed
 * has nothing to say to such a peer, as to another seed. */
#include "torrent_int.h"

static int
handle(struct peer *p, const uint8_t *m, size_t n)
{
	p->upload_only = n >= 1 && m[0] != 0;
	if (p->upload_only && p->s->state == BT_TORRENT_SEEDING)
		peer_kill(p, "both upload only");
	return 0;
}

const struct ext ext_upload_only = {
	.name = "upload_only",
	.handle = handle,
};
