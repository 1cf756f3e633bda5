/* webseed.h - downloading pieces from plain HTTP servers: BEP 19
 * (`url-list`, GetRight style: the files themselves, fetched with Range
 * requests) and BEP 17 (`httpseeds`, BitTornado style: a script answering
 * ?info_hash=...&piece=N[&ranges=a-b,...]).
 *
 * A web seed works like a peer that has every piece: it asks its host (the
 * session) for blocks to fetch, merges blocks that are contiguous in the
 * torrent into one range, maps the range onto files (BEP 19: one request
 * per file touched, URL = base for a single-file torrent (base + name when
 * base ends in '/'), base + "/" (unless it ends in '/') + name + "/" +
 * path for a multi-file one, name and each path component
 * percent-encoded), checks the answer (200 with the whole file or 206
 * with exactly the range asked; BEP 17: 200 with exactly the bytes asked,
 * 503 with a retry delay in the body) and hands the blocks to the host.
 * One request at a time per seed, the next on the next loop pass after a
 * success; after an error the blocks go back to the host, and the seed
 * waits before trying again: retry_ms, doubled after each further error
 * in a row, at most 10 min (or retry_ms if longer).  After
 * BT_WEBSEED_GIVE_UP errors in a row (no success between them) the seed
 * is dropped for good, as by bt_webseed_bad(), and the host told.  A BEP
 * 17 503 is no error: the blocks go back quietly and the seed waits the
 * seconds the body gives (at least min(5 s, retry_ms), at most an hour).
 * A seed the host declares bad (corrupt data) is dropped for good.
 *
 * Choosing: each request asks the host for up to max_request / 16 KiB
 * blocks (BEP 17: at most one piece's worth) and keeps those contiguous
 * with the first one it got (BEP 17: that piece's blocks, sent as
 * ranges=), within max_request; the others, and blocks that do not fit
 * the torrent, go straight back through unrequest.  Bytes of BEP 47
 * padding files are never asked for: they are zeros.  A 200 answer to a
 * Range request (a server ignoring Range) is used only when the whole
 * file is at most max_request bytes; bigger bodies are never buffered.
 * Blocks are handed over as soon as their bytes are in, so a run across
 * several files that fails half way keeps what arrived.
 *
 * Errors go to the host as "error accessing http seed <url>: <what>
 * (retrying later)", each kind once per seed (every kind is told, whether
 * or not the seed ever worked; later errors of a kind already told are
 * quiet): connection failures and timeouts, each distinct HTTP status
 * (404, 503 ...), a body shorter than asked (or cut short), a body longer
 * than asked (an endless one is cut at the size asked for), a 200 with
 * the whole file to a Range request for a file over max_request, a
 * redirect loop ("too many redirects (5) at <url>"), anything else.
 * Giving up is told as "giving up on http seed <url> after N failures in
 * a row (last: <what>)".
 *
 * Callbacks: host callbacks run from the loop (a timer or a request's
 * completion), never from bt_webseed_new/kick.  Inside them the host may
 * call bt_webseed_kick(), bt_webseed_bad() and the getters, but must not
 * call bt_webseed_free() (free it later, e.g. from a timer).
 * bt_webseed_free() itself calls unrequest for the blocks it holds.
 *
 * Nothing here prints or exits. */
#ifndef BT_WEBSEED_H
#define BT_WEBSEED_H

#include <stddef.h>
#include <stdint.h>

#include "picker.h"

struct bt_loop;
struct bt_meta;
struct bt_webseed;

struct bt_webseed_host {
	/* Give up to max blocks to fetch (bt_picker_pick for a seed). */
	size_t (*pick)(void *ud, struct bt_block *out, size_t max);
	/* A block arrived (len bytes at data).  The host hashes finished
	 * pieces; on a bad piece it calls bt_webseed_bad(). */
	void (*block)(void *ud, struct bt_webseed *ws, const struct bt_block *b,
		const uint8_t *data);
	/* A block picked earlier will not be fetched after all. */
	void (*unrequest)(void *ud, const struct bt_block *b);
	/* Something for the user ("error accessing http seed: ..."). */
	void (*message)(void *ud, struct bt_webseed *ws, const char *text);
};

/* Errors in a row after which a seed is dropped. */
#define BT_WEBSEED_GIVE_UP	8u

struct bt_webseed_opts {
	const char *url;
	int bep17;			/* 1: httpseeds, 0: url-list */
	const char *user_agent;
	uint32_t max_request;		/* bytes per request; 0: 4 MiB;
					 * 16 KiB .. 64 MiB */
	uint32_t timeout_ms;		/* per HTTP request; 0: 60 s */
	uint32_t retry_ms;		/* after an error; 0: 30 s */
};

/* A web seed for torrent m (which must outlive it).  Idle until the
 * first bt_webseed_kick().  NULL when out of memory, an argument or host
 * callback is missing, or the URL does not parse as http:// or https://
 * (bt_url_parse; the host reports it).  url and user_agent are copied. */
struct bt_webseed *bt_webseed_new(struct bt_loop *loop, const struct bt_meta *m,
	const struct bt_webseed_opts *o, const struct bt_webseed_host *host,
	void *ud);
/* Cancels any request (its blocks are given back through unrequest
 * first) and frees.  NULL is fine. */
void bt_webseed_free(struct bt_webseed *ws);
/* There may be work: if idle and not waiting, start a request on the
 * next loop pass.  Nothing while a request is out or a retry delay runs;
 * nothing after bt_webseed_bad().  NULL is fine. */
void bt_webseed_kick(struct bt_webseed *ws);
/* The host found bad data from this seed: stop using it (the request is
 * cancelled, blocks held go back through unrequest; fine from inside the
 * block callback).  Call bt_webseed_free() later.  NULL is fine. */
void bt_webseed_bad(struct bt_webseed *ws);
/* 1 once a request has succeeded and no error since (for "seeds seen"). */
int bt_webseed_working(const struct bt_webseed *ws);
/* Body bytes of the answers used (padding zeros not counted), and the
 * URL as given. */
uint64_t bt_webseed_bytes(const struct bt_webseed *ws);
const char *bt_webseed_url(const struct bt_webseed *ws);

#endif
