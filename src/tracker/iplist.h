/* iplist.h - address lists for --allowed_ips and --banned_ips.
 *
 * A list is a sorted array of disjoint, non-adjacent inclusive ranges over
 * one 128-bit space: IPv6 addresses as they are, IPv4 addresses as
 * ::ffff:a.b.c.d.  So an IPv4 range also matches IPv4-mapped IPv6
 * clients, and one comparison serves both families.  (An IPv6 range that
 * covers ::ffff:0:0/96, such as ::/0, therefore covers IPv4 too.)
 *
 * File formats (BitTornado's), one entry per line, only the first
 * whitespace-separated field counts, blank lines and lines whose first
 * field starts with '#' are skipped:
 *   allowed_ips:  ip  or  ip/len          (IPv4 or IPv6; host bits ignored)
 *   banned_ips:   anything:anything:ip1[-ip2]
 *     For IPv4 the range is the part after the last ':' (so the leading
 *     parts may themselves hold colons); otherwise everything after the
 *     second ':' (IPv6: "name:desc:2001:db8::1-2001:db8::ff").  When the
 *     first field does not parse, the whole line is tried, so names with
 *     spaces work ("Some Org:x:1.2.3.0-1.2.3.255").
 * Lines that do not parse are reported and skipped. */
#ifndef BT_IPLIST_H
#define BT_IPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "fileio.h"
#include <sys/socket.h>

#define BT_IPLIST_MAX_SIZE	((size_t)64 << 20)	/* bytes of a list file */

enum bt_iplist_format {
	BT_IPLIST_ALLOWED = 1,	/* ip[/len] */
	BT_IPLIST_BANNED,	/* x:y:ip1[-ip2] */
};

struct bt_iprange {
	uint8_t lo[16], hi[16];	/* big-endian, inclusive */
};

struct bt_iplist {
	struct bt_iprange *r;	/* sorted, disjoint, not adjacent */
	size_t n;
	/* the file as last read by bt_iplist_reload() */
	struct bt_file_stamp stamp;
};

/* A line that could not be parsed: its number (from 1), its text without
 * the line end, and why.  BitTornado prints
 * "*** WARNING *** could not parse IP range:  <line>". */
typedef void bt_iplist_warn_fn(void *ud, unsigned long line, const char *text,
	size_t len, const char *why);

void bt_iplist_init(struct bt_iplist *l);
void bt_iplist_free(struct bt_iplist *l);

/* Replace the list with the ranges in buf[0..len) (format: enum
 * bt_iplist_format).  Returns the number of ranges after merging, or
 * BT_E_NOMEM / BT_E_INVAL (bad format) with the list unchanged. */
long bt_iplist_load(struct bt_iplist *l, int format, const uint8_t *buf, size_t len,
	bt_iplist_warn_fn *warn, void *ud);

/* Read path again if it changed (modification time, size or inode) since
 * the last successful reload.  Returns 1 (reloaded), 0 (unchanged), or
 * BT_E_IO / BT_E_LIMIT / BT_E_NOMEM with the list unchanged. */
int bt_iplist_reload(struct bt_iplist *l, int format, const char *path,
	bt_iplist_warn_fn *warn, void *ud);

/* 1 if the address (AF_INET or AF_INET6; the port is ignored) is in the
 * list, else 0. */
int bt_iplist_contains(const struct bt_iplist *l, const struct sockaddr_storage *addr);
/* The same for a 16-byte address (IPv4 as ::ffff:a.b.c.d). */
int bt_iplist_contains16(const struct bt_iplist *l, const uint8_t ip[16]);

/* One range or prefix from text: "1.2.3.4", "10.0.0.0/8", "2001:db8::/32"
 * (with_prefix), or "1.2.3.4-1.2.3.9" (with_range).  0 or BT_E_PARSE. */
int bt_iprange_parse(struct bt_iprange *r, const char *s, size_t n, int with_prefix,
	int with_range);

#endif
