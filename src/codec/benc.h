/* benc.h - bencode parser (zero-copy, bounded) and writer.
 *
 * Parsing turns a byte buffer into a flat array of tokens that point back
 * into the buffer; nothing is copied.  Every token knows its whole raw span,
 * so a value's original bytes (for instance a torrent's `info` dictionary,
 * whose SHA-1 is the info hash) are always at hand.  Containers know where
 * their subtree ends, which gives O(1) skipping over siblings.
 *
 * All limits (depth, tokens, string length) come from the caller.  Strict
 * mode, for metainfo and anything hashed, also refuses non-canonical
 * integers and string lengths, unsorted or duplicate dictionary keys and
 * trailing bytes. */
#ifndef BT_BENC_H
#define BT_BENC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum bt_benc_type { BT_BENC_INT = 1, BT_BENC_STR, BT_BENC_LIST, BT_BENC_DICT };

struct bt_btok {
	uint32_t off;	/* offset of the token's first byte */
	uint32_t len;	/* the whole raw span, e.g. "4:spam" is 6 */
	uint32_t next;	/* index of the token after this subtree */
	uint8_t type;	/* enum bt_benc_type */
	uint8_t hdr;	/* strings: length of the "N:" prefix */
};

struct bt_benc_lim {
	unsigned depth;		/* deepest nesting allowed (max 256) */
	uint32_t tokens;	/* most tokens allowed */
	uint32_t str_max;	/* longest string allowed */
	int strict;		/* canonical form only (see above) */
	int trailing_ok;	/* bytes after the root value are allowed */
};

/* Limits fit for .torrent files: depth 64, 4M tokens, strings up to the
 * input's size, strict. */
extern const struct bt_benc_lim bt_benc_lim_strict;
/* Limits fit for replies from the network: depth 32, 64k tokens, strings up
 * to 1 MiB, lenient about key order, trailing bytes refused. */
extern const struct bt_benc_lim bt_benc_lim_lenient;

enum bt_benc_errc {
	BT_BENC_OK = 0,
	BT_BENC_EOF,		/* input ends inside a value */
	BT_BENC_EMPTY,		/* no input at all */
	BT_BENC_EXPECTED_VALUE,	/* a byte that cannot start a value */
	BT_BENC_EXPECTED_COLON,	/* string length not followed by ':' */
	BT_BENC_BAD_INT,	/* empty, non-digit, leading zero, -0, out of range */
	BT_BENC_BAD_LENGTH,	/* string length with a leading zero or absurd */
	BT_BENC_KEY_NOT_STRING,	/* dictionary key is not a string */
	BT_BENC_KEY_ORDER,	/* dictionary keys not in ascending order */
	BT_BENC_KEY_DUP,	/* dictionary key given twice */
	BT_BENC_MISSING_VALUE,	/* dictionary ends after a key */
	BT_BENC_DEPTH,		/* nesting deeper than the limit */
	BT_BENC_TOKENS,		/* more values than the limit */
	BT_BENC_STRING_LIMIT,	/* string longer than the limit */
	BT_BENC_TRAILING,	/* bytes after the root value */
	BT_BENC_TOO_BIG,	/* input larger than 4 GiB */
	BT_BENC_NOMEM,		/* out of memory */
};

struct bt_benc_err {
	int code;	/* enum bt_benc_errc */
	size_t off;	/* byte offset where the problem was seen */
};

/* A parsed document.  Zero it before the first parse; it may be reused for
 * later parses (the token array is kept) and must be released with
 * bt_benc_free(). The input buffer must outlive the document. */
struct bt_benc {
	const uint8_t *buf;
	size_t len;	/* bytes the root value spans */
	struct bt_btok *tok;
	uint32_t ntok, cap;
};

/* Parse p[0..n).  Returns 0, or BT_E_PARSE / BT_E_LIMIT / BT_E_NOMEM with
 * err (if not NULL) telling what and where.  The root is token 0. */
int bt_benc_parse(struct bt_benc *d, const uint8_t *p, size_t n,
	const struct bt_benc_lim *lim, struct bt_benc_err *err);
void bt_benc_free(struct bt_benc *d);
/* Text for an enum bt_benc_errc. */
const char *bt_benc_errstr(int code);

static inline int
bt_benc_type(const struct bt_benc *d, int i)
{
	return i >= 0 ? d->tok[i].type : 0;
}

/* First child of container i, or -1 if empty. */
static inline int
bt_benc_first(const struct bt_benc *d, int i)
{
	return (uint32_t)i + 1 < d->tok[i].next ? i + 1 : -1;
}

/* Next sibling of j inside container parent, or -1. */
static inline int
bt_benc_next(const struct bt_benc *d, int parent, int j)
{
	uint32_t n = d->tok[j].next;
	return n < d->tok[parent].next ? (int)n : -1;
}

/* Number of children of a list (or key+value tokens / 2 of a dict). */
int bt_benc_count(const struct bt_benc *d, int i);
/* Value of key in dictionary i, or -1 (also if i is not a dictionary). */
int bt_benc_dict_get(const struct bt_benc *d, int i, const char *key);
int bt_benc_dict_getn(const struct bt_benc *d, int i, const void *key, size_t klen);
/* Integer value of token i: 0, or -1 if it is not an integer. */
int bt_benc_int(const struct bt_benc *d, int i, int64_t *v);
/* String bytes of token i: 0, or -1 if it is not a string. */
int bt_benc_str(const struct bt_benc *d, int i, const uint8_t **p, size_t *n);
/* 1 if token i is a string equal to s. */
int bt_benc_str_eq(const struct bt_benc *d, int i, const char *s);
/* The raw encoded bytes of token i and its subtree. */
const uint8_t *bt_benc_raw(const struct bt_benc *d, int i, size_t *n);

/* Writer: appends canonical bencode to a bt_buf.  The first error (key out
 * of order, value without key, unbalanced end, buffer failure) is latched
 * and returned by bt_bw_finish(); calls after an error do nothing. */
#define BT_BW_MAXDEPTH 32
struct bt_bw_level {
	uint8_t dict, want_value, has_key;
	size_t key_off, key_len;	/* the previous key, inside out */
};
struct bt_bw {
	struct bt_buf *out;
	int err;
	unsigned depth;
	struct bt_bw_level st[BT_BW_MAXDEPTH];
};

void bt_bw_init(struct bt_bw *w, struct bt_buf *out);
void bt_bw_dict(struct bt_bw *w);
void bt_bw_list(struct bt_bw *w);
void bt_bw_end(struct bt_bw *w);
/* Dictionary keys must come in strictly ascending byte order. */
void bt_bw_key(struct bt_bw *w, const char *key);
void bt_bw_keyn(struct bt_bw *w, const void *key, size_t n);
void bt_bw_str(struct bt_bw *w, const void *p, size_t n);
void bt_bw_strs(struct bt_bw *w, const char *s);
void bt_bw_int(struct bt_bw *w, int64_t v);
/* An already encoded value, copied verbatim. */
void bt_bw_raw(struct bt_bw *w, const void *p, size_t n);
/* 0, or the latched BT_E_* error (also if containers are left open). */
int bt_bw_finish(struct bt_bw *w);

/* One change to a dictionary: set key to an already encoded value, or
 * remove it (val == NULL). */
struct bt_benc_set {
	const char *key;
	const uint8_t *val;
	size_t len;
};

/* Re-encode dictionary `dict` of d into out with the changes applied: every
 * other key and value is copied byte for byte, in its original order, and
 * new keys are inserted where they sort.  *changed tells whether the
 * result differs from the original bytes.  Returns 0 or BT_E_*. */
int bt_benc_dict_edit(const struct bt_benc *d, int dict, const struct bt_benc_set *sets,
	size_t nsets, struct bt_buf *out, int *changed);

#endif
