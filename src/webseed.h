/* webseed.h - downloading pieces from plain HTTP servers: BEP 19
 * (`url-list`, GetRight style: the files themselves, fetched with Range
 * requests) and BEP 17 (`httpseeds`, BitTornado style: a script answering
 * ?info_hash=...&piece=N[&ranges=a-b,...]).
 *
 * A web seed works like a peer that has every piece: it asks its host (the
 * session) for blocks to fetch, merges blocks that are contiguous in the
 * torrent into one range, maps the range onto files (BEP 19: one request
 * per file touched, URL = base for a single-file torrent (base + name when
 * base ends in '/'), base + "/" + name + "/" + path, each component
 * percent-encoded, for a multi-file one), checks the answer (200 with the
 * whole file or 206 with exactly the range asked; BEP 17: 200 with exactly
 * the bytes asked, 503 with a retry delay in the body) and hands the
 * blocks back.  One request at a time per seed, the next at once after a
 * success; after an error the blocks go back to the host, and the seed
 * waits (30 s, stretched after repeated errors, BEP 17's 503 delay) before
 * trying again.  A seed the host declares bad (corrupt data) is dropped
 * for good.
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

struct bt_webseed_opts {
	const char *url;
	int bep17;			/* 1: httpseeds, 0: url-list */
	const char *user_agent;
	uint32_t max_request;		/* bytes per request; 0: 4 MiB */
	uint32_t timeout_ms;		/* per request; 0: 60 s */
	uint32_t retry_ms;		/* after an error; 0: 30 s */
};

/* A web seed for torrent m (which must outlive it).  NULL when out of
 * memory or the URL is not http:// / https:// (the host reports it). */
struct bt_webseed *bt_webseed_new(struct bt_loop *loop, const struct bt_meta *m,
	const struct bt_webseed_opts *o, const struct bt_webseed_host *host,
	void *ud);
/* Cancels any request (its blocks are given back through unrequest
 * first) and frees.  NULL is fine. */
void bt_webseed_free(struct bt_webseed *ws);
/* There may be work: start a request if idle and not waiting. */
void bt_webseed_kick(struct bt_webseed *ws);
/* The host found bad data from this seed: stop using it. */
void bt_webseed_bad(struct bt_webseed *ws);
/* 1 once a request has succeeded and no error since (for "seeds seen"). */
int bt_webseed_working(const struct bt_webseed *ws);
/* Bytes received, and the URL. */
uint64_t bt_webseed_bytes(const struct bt_webseed *ws);
const char *bt_webseed_url(const struct bt_webseed *ws);

#endif
