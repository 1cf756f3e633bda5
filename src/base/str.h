/* str.h - small string helpers: hex, list splitting. */
#ifndef BT_STR_H
#define BT_STR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Write 2n lower-case hex digits and a NUL to out (room for 2n+1). */
void bt_hex(char *out, const uint8_t *p, size_t n);
/* Parse exactly 2n hex digits; 0 or -1. */
int bt_unhex(uint8_t *out, const char *s, size_t n);
/* The value of hex digit c (either case), or -1. */
int bt_hexval(int c);
/* 1 if p[0..n) equals the NUL-terminated s, ASCII letters in any case. */
int bt_str_ieq(const char *p, size_t n, const char *s);
/* Time t (seconds since 1970) as "YYYY-MM-DD HH:MM UTC" (with
 * ":SS" before " UTC" when seconds) in out[0..cap): 0, or -1 with
 * "unknown" written when it cannot be shown. */
int bt_str_utc(char *out, size_t cap, int64_t t, int seconds);
/* A port number written p[0..n): 1 to 5 decimal digits, at most 65535
 * (0 included: callers that refuse it say so).  0 with *port set, or -1. */
int bt_str_port(const char *p, size_t n, uint16_t *port);
/* Copy outside text p[0..n) for display into dst[0..cap) (cap > 0),
 * escaped as bt_str_escape does, cut (never inside an escape or a UTF-8
 * sequence) to fit, always NUL-terminated: a tracker's or a torrent's
 * text cannot carry terminal escapes. */
void bt_str_printable(char *dst, size_t cap, const void *p, size_t n);
/* Append outside text p[0..n) (a torrent's name, path, comment, a
 * tracker's message...) to out so that it is safe to show on a terminal
 * and shows every byte: printable ASCII and valid UTF-8 are kept; tab,
 * newline and return are written "\t", "\n", "\r"; other control bytes
 * (C0, NUL, DEL), C1 controls (U+0080..U+009F), the bidirectional
 * overrides and isolates (U+200E/F, U+202A..U+202E, U+2066..U+2069), the
 * line and paragraph separators (U+2028/9) and bytes that are not valid
 * UTF-8 are written as "\xHH" per byte.  Nothing is cut at a NUL. */
void bt_str_escape(struct bt_buf *out, const void *p, size_t n);

/* A list of NUL-terminated strings. */
struct bt_strv {
	char **v;
	size_t n;
};

/* Split s on sep, dropping empty items (BitTornado's rule for "a|b" and
 * "a,b" lists).  Returns 0 or BT_E_NOMEM. */
int bt_strv_split(struct bt_strv *out, const char *s, char sep);
void bt_strv_free(struct bt_strv *v);

/* Announce tiers "a,b|c" -> [[a,b],[c]]: tiers split on '|', URLs in a
 * tier on ','; empty items and empty tiers are dropped. */
struct bt_tiers {
	struct bt_strv *t;
	size_t n;
};
int bt_tiers_parse(struct bt_tiers *out, const char *s);
void bt_tiers_free(struct bt_tiers *t);

/* Number formats shown to people (BitTornado's NumberFormats).  Each writes
 * a NUL-terminated string into out (truncated to cap) and returns out;
 * BT_FMT_MAX bytes are always enough. */
#define BT_FMT_MAX 32

/* A byte count: below 1000 "<n> B" ("999 B"); from there IEC units with two
 * decimals and no space, moving to the next unit at 1000 of the current
 * one: "0.98KiB" (1000), "117.19KiB" (120000), "0.98MiB" (1000 KiB), up to
 * EiB. */
char *bt_fmt_size(char *out, size_t cap, uint64_t n);

/* A duration as "h:mm:ss" ("0:00:05", "27:46:40"); "<unknown>" when
 * secs <= 0 or secs >= 60 days. */
#define BT_FMT_MAX_SECS 5184000	/* 60 days */
char *bt_fmt_clock(char *out, size_t cap, int64_t secs);

/* A time left in words: "M min SS sec" below an hour ("0 min 05 sec"),
 * "1 hour MM min SS sec", "N hours MM min SS sec" from two hours;
 * "complete" when secs < 1; "<unknown>" from 60 days. */
char *bt_fmt_text_time(char *out, size_t cap, int64_t secs);

#endif
