/* spew.c - see spew.h */
#include "spew.h"
#include "msg.h"
#include "net.h"
#include "torrent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char bt_spew_head[] =
	"  #     IP                 Upload           Download     Completed  Speed";

void
bt_spew_fetch(struct bt_spew *sp, const struct bt_torrent *t)
{
	size_t all;

	if (!sp->rows)
		sp->rows = xcalloc(BT_SPEW_MAX, sizeof(*sp->rows));
	all = bt_torrent_peers(t, sp->rows, BT_SPEW_MAX);
	sp->n = all < BT_SPEW_MAX ? all : BT_SPEW_MAX;
}

void
bt_spew_free(struct bt_spew *sp)
{
	free(sp->rows);
	sp->rows = NULL;
	sp->n = 0;
}

void
bt_spew_row(char *out, size_t cap, size_t lineno, const struct bt_torrent_peer *p)
{
	char ip[BT_ADDR_STRLEN], line[128];

	if (bt_addr_format(&p->addr, ip, sizeof(ip), BT_ADDR_NOPORT) < 0)
		strcpy(ip, "?");
	memset(line, ' ', sizeof(line));
	snprintf(line, 4, "%3zu", lineno % 1000);
	line[3] = ' ';
	char tmp[40];
	snprintf(tmp, sizeof(tmp), "%.15s%c", ip, p->incoming ? 'R' : 'L');
	memcpy(line + 4, tmp, strlen(tmp));
	if (p->up_rate > 100) {
		snprintf(tmp, sizeof(tmp), "%6.0f KB/s", p->up_rate / 1024);
		memcpy(line + 20, tmp, strlen(tmp) > 11 ? 11 : strlen(tmp));
	}
	memcpy(line + 32, "-----", 5);
	if (p->peer_interested)
		line[33] = 'I';
	if (p->am_choking)
		line[35] = 'C';
	if (p->down_rate > 100) {
		snprintf(tmp, sizeof(tmp), "%6.0f KB/s", p->down_rate / 1024);
		memcpy(line + 38, tmp, strlen(tmp) > 11 ? 11 : strlen(tmp));
	}
	memcpy(line + 50, "-------", 7);
	if (p->am_interested)
		line[51] = 'I';
	if (p->peer_choking)
		line[53] = 'C';
	if (p->snubbed)
		line[55] = 'S';
	snprintf(tmp, sizeof(tmp), "%5.1f%%", p->done * 100);
	memcpy(line + 58, tmp, strlen(tmp) > 6 ? 6 : strlen(tmp));
	if (p->speed > 100) {	/* its own rate, from its HAVEs */
		snprintf(tmp, sizeof(tmp), "%5.0f KB/s", p->speed / 1024);
		memcpy(line + 65, tmp, strlen(tmp) > 10 ? 10 : strlen(tmp));
	}
	size_t n = 75;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = 0;
	snprintf(out, cap, "%s", line);
}
