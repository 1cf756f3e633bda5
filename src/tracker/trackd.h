/* trackd.h - the tracker on the network: bttrack's server, built from the
 * tracker's logic and the modules around it.
 *
 * A bt_trackd owns the tracker (tracker.h) and wires to it:
 *   - the HTTP server (httpd.h) on every bind address (each socket is
 *     reported to a hook as it starts listening), with the routes:
 *     announce and scrape (tracker.h), the info page at / and /index.html
 *     (or a redirect), /favicon.ico, /file (the allowed .torrent files,
 *     read from disk as the client takes them; 503 when BT_HTTPD_FILES
 *     are being sent),
 *     /stats (Prometheus text); anything else is 404;
 *   - the UDP tracker protocol (BEP 15) on the same addresses and port;
 *   - the NAT checker (natcheck.h) for the peers the tracker wants checked;
 *   - requests to other trackers (t2t.h): polling, and passing announces
 *     on to an aggregator;
 *   - the access lists: allowed_dir or allowed_list (the allowed set),
 *     allowed_ips and banned_ips (who is served at all), read at start
 *     and again every rescan_ms when they changed;
 *   - the state file: restored at start (a corrupt one is moved aside to
 *     <dfile>.corrupt and the tracker starts empty), written every save_ms
 *     and by bt_trackd_save();
 *   - the expiry sweep, every expire_ms.
 *
 * It reports through hooks: every HTTP reply (what an access log line
 * needs), every NAT check, and warnings for the user as text (BitTornado's
 * wording where it had one; they name the options concerned).  Nothing
 * here prints or exits. */
#ifndef BT_TRACKD_H
#define BT_TRACKD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "httpd.h"
#include "natcheck.h"
#include "t2t.h"
#include "tracker.h"

struct bt_loop;
struct bt_trackd;

/* Seconds after which the info page reloads itself. */
#define BT_TRACKD_REFRESH_S	60

/* Largest .torrent file served at /file. */
#define BT_TRACKD_FILE_MAX	(128u << 20)

struct bt_trackd_cfg {
	struct bt_tracker_cfg tracker;
	const char *dfile;		/* the state file */
	uint64_t save_ms;		/* between writes of the state file */
	uint64_t expire_ms;		/* between expiry sweeps */
	uint64_t rescan_ms;		/* between rereads of the access lists */
	/* where to listen */
	const char *bind;		/* addresses or names, comma-separated;
					 * NULL or "": every IPv4 address (and
					 * every IPv6 one with ipv6_enabled) */
	uint16_t port;			/* 0: one the system picks (the
					 * same for every socket) */
	int ipv6_enabled;		/* IPv6 bind addresses allowed */
	int ipv6_binds_v4;		/* one IPv6 bind address takes IPv4 too */
	int udp;			/* also serve BEP 15 */
	struct bt_httpd_opts http;
	/* pages */
	int show_infopage;
	const char *infopage_redirect;	/* NULL or "": none */
	int allow_get;			/* serve /file */
	int stats;			/* serve /stats */
	const uint8_t *favicon;		/* NULL: none; must outlive the trackd */
	size_t favicon_len;
	/* access lists, NULL or "" for none */
	const char *allowed_dir, *allowed_list, *allowed_ips, *banned_ips;
	struct bt_natcheck_opts nat;
	struct bt_t2t_opts t2t;		/* polling needs allowed_dir */
};

struct bt_trackd_hooks {
	/* Every HTTP reply.  May be NULL. */
	bt_httpd_log_fn *access;
	/* Every NAT check that ended.  May be NULL. */
	void (*natcheck)(void *ud, const struct sockaddr_storage *addr,
		const uint8_t peer_id[20], int ok);
	/* A warning for the user (one line, no newline).  May be NULL. */
	void (*warn)(void *ud, const char *text);
	/* A socket now listening (udp 0: HTTP over TCP; 1: BEP 15), with the
	 * port the system gave when port 0 was asked for; v4too: an IPv6
	 * socket that also takes IPv4.  During bt_trackd_new.  May be NULL. */
	void (*listening)(void *ud, const struct sockaddr_storage *addr, int udp, int v4too);
	void *ud;
};

/* Read the access lists and the state file, listen, and start the timers
 * on loop.  c's strings must outlive the trackd.  Returns 0 and sets *out,
 * or BT_E_NOMEM, or BT_E_INVAL (bad forward_url) or the error of the
 * first address it could not listen on (after a warning). */
int bt_trackd_new(struct bt_trackd **out, struct bt_loop *loop, const struct bt_trackd_cfg *c,
	const struct bt_trackd_hooks *h);
/* Start no more NAT checks or requests to other trackers (shutting down). */
void bt_trackd_stop(struct bt_trackd *d);
/* Write the state file now.  0, or a negative code after a warning. */
int bt_trackd_save(struct bt_trackd *d);
/* Close every connection (running NAT checks are reported failed), stop
 * listening and free everything.  NULL is fine. */
void bt_trackd_free(struct bt_trackd *d);

#endif
