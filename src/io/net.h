/* net.h - non-blocking sockets and IPv4/IPv6 address helpers.
 *
 * Sockets (bt_net_*): every socket made here is non-blocking and
 * close-on-exec.  Functions return an fd (>= 0) or a negative BT_E_*;
 * BT_E_IO keeps errno from the failing call.
 *
 * Addresses (bt_addr_*) are struct sockaddr_storage holding AF_INET or
 * AF_INET6; ports are host order in the API.  Compact peers (BEP 23/7) are
 * 4 or 16 address bytes then 2 port bytes, network order. */
#ifndef BT_NET_H
#define BT_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Flags for listen and bind.  For AF_INET6 without either V6 flag the
 * system default (net.ipv6.bindv6only) applies. */
#define BT_NET_V6ONLY		0x1u	/* IPv6 only: listen per family */
#define BT_NET_DUALSTACK	0x2u	/* also take IPv4 (as ::ffff:a.b.c.d) */

/* A TCP socket bound to addr and listening (SO_REUSEADDR set).  backlog
 * <= 0 means SOMAXCONN.  BT_E_INVAL for a bad family or both V6 flags. */
int bt_net_listen_tcp(const struct sockaddr_storage *addr, int backlog,
	unsigned flags);
/* Accept one connection (accept4, SOCK_NONBLOCK|SOCK_CLOEXEC).  peer, if
 * not NULL, gets the address with IPv4-mapped IPv6 made IPv4.  Returns the
 * fd, BT_E_PARTIAL when nothing is pending or the attempt should simply be
 * retried (EAGAIN, EINTR, ECONNABORTED, EPROTO...), BT_E_LIMIT when out of
 * fds (EMFILE/ENFILE: the listener stays readable, so pause its watch), or
 * BT_E_IO. */
int bt_net_accept(int lfd, struct sockaddr_storage *peer);
/* A UDP socket bound to addr. */
int bt_net_udp_bind(const struct sockaddr_storage *addr, unsigned flags);
/* Start a TCP connect.  On success *fd is set and the result is 0 (already
 * connected, e.g. loopback) or BT_E_PARTIAL (in progress: wait for
 * BT_EV_WRITE, then call bt_net_connect_finish).  Otherwise a negative
 * code and no fd. */
int bt_net_connect_tcp(const struct sockaddr_storage *addr, int *fd);
/* Outcome of a connect in progress: 0 connected, BT_E_PARTIAL still
 * going, BT_E_IO failed (errno = the socket's error). */
int bt_net_connect_finish(int fd);
/* The address a socket is bound to (getsockname), normalised. */
int bt_net_local_addr(int fd, struct sockaddr_storage *addr);

/* Longest text bt_addr_format writes, NUL included:
 * "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535". */
#define BT_ADDR_STRLEN		56
/* bt_addr_format flag: address only, no port (and no brackets). */
#define BT_ADDR_NOPORT		0x1u

#define BT_ADDR_COMPACT4	6	/* bytes of a compact IPv4 peer */
#define BT_ADDR_COMPACT6	18	/* bytes of a compact IPv6 peer */

/* Parse s[0..n): "1.2.3.4", "1.2.3.4:6969", "::1", "[::1]" or
 * "[::1]:6969" (no names, no zone ids).  Without a port, `port` is used.
 * Ports are 0-65535 in decimal.  0 or BT_E_PARSE. */
int bt_addr_parse(struct sockaddr_storage *addr, const char *s, size_t n,
	uint16_t port);
/* The wildcard address of family AF_INET or AF_INET6.  0 or BT_E_INVAL. */
int bt_addr_any(struct sockaddr_storage *addr, int family, uint16_t port);
/* The loopback address of family AF_INET or AF_INET6. */
int bt_addr_loopback(struct sockaddr_storage *addr, int family, uint16_t port);
/* Text for logs: "1.2.3.4:80", "[::1]:80", or without the port with
 * BT_ADDR_NOPORT.  Returns the length (NUL not counted), BT_E_LIMIT when
 * cap is too small, BT_E_INVAL for an unknown family. */
int bt_addr_format(const struct sockaddr_storage *addr, char *out, size_t cap,
	unsigned flags);
/* ::ffff:a.b.c.d becomes a.b.c.d (port kept); others are left alone. */
void bt_addr_normalize(struct sockaddr_storage *addr);
/* 1 for loopback, private and link-local addresses: 127/8, 10/8,
 * 172.16/12, 192.168/16, 169.254/16, ::1, fe80::/10, fc00::/7 (IPv4-mapped
 * forms included); else 0. */
int bt_addr_is_local(const struct sockaddr_storage *addr);
/* Same family, address and port (IPv4-mapped compares equal to IPv4). */
int bt_addr_equal(const struct sockaddr_storage *a,
	const struct sockaddr_storage *b);
/* sizeof the family's sockaddr, 0 for an unknown family. */
socklen_t bt_addr_len(const struct sockaddr_storage *addr);
uint16_t bt_addr_port(const struct sockaddr_storage *addr);
void bt_addr_set_port(struct sockaddr_storage *addr, uint16_t port);

/* Write the compact form into out (room for BT_ADDR_COMPACT6); IPv4-mapped
 * addresses pack as IPv4.  Returns 6, 18, or 0 for an unknown family. */
size_t bt_addr_pack(uint8_t *out, const struct sockaddr_storage *addr);
/* Read a compact peer of n = 6 or 18 bytes.  0 or BT_E_PARSE. */
int bt_addr_unpack(struct sockaddr_storage *addr, const uint8_t *p, size_t n);

#endif
