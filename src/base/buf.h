/* buf.h - growable byte buffer.
 *
 * A bt_buf owns a heap block; appends grow it geometrically.  The first
 * allocation failure is latched in `err` (BT_E_NOMEM) and later appends
 * are ignored, so callers may append freely and check once at the end.
 * `max` (0 = unlimited) caps the size: going past it latches BT_E_LIMIT. */
#ifndef BT_BUF_H
#define BT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct bt_buf {
	uint8_t *p;
	size_t len, cap, max;
	int err;
};

void bt_buf_init(struct bt_buf *b, size_t max);
void bt_buf_free(struct bt_buf *b);
/* Make room for n more bytes; returns a pointer to the free space or NULL
 * (error latched). Use bt_buf_commit() to account for what was written. */
uint8_t *bt_buf_reserve(struct bt_buf *b, size_t n);
void bt_buf_commit(struct bt_buf *b, size_t n);
void bt_buf_add(struct bt_buf *b, const void *p, size_t n);
void bt_buf_adds(struct bt_buf *b, const char *s);	/* s: a text's number too */
void bt_buf_addc(struct bt_buf *b, uint8_t c);
/* printf-style append; fmt may be a deflated text's number (text.h). */
void bt_buf_printf(struct bt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop n bytes from the front. */
void bt_buf_consume(struct bt_buf *b, size_t n);
/* NUL-terminate without counting the NUL; returns the data or NULL on error. */
char *bt_buf_cstr(struct bt_buf *b);

#endif
