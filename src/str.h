/* str.h - small string helpers: hex, list splitting. */
#ifndef BT_STR_H
#define BT_STR_H

#include <stddef.h>
#include <stdint.h>

/* Write 2n lower-case hex digits and a NUL to out (room for 2n+1). */
void bt_hex(char *out, const uint8_t *p, size_t n);
/* Parse exactly 2n hex digits; 0 or -1. */
int bt_unhex(uint8_t *out, const char *s, size_t n);

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

#endif
