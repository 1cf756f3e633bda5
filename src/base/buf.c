/* buf.c - see buf.h */
#include "buf.h"
#include "err.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bt_buf_init(struct bt_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
bt_buf_free(struct bt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

uint8_t *
bt_buf_reserve(struct bt_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > SIZE_MAX - b->len - 1 || (b->max && b->len + n > b->max)) {
		b->err = BT_E_LIMIT;
		return NULL;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->err = BT_E_NOMEM;
			return NULL;
		}
		b->p = np;
		b->cap = cap;
	}
	return b->p + b->len;
}

void
bt_buf_commit(struct bt_buf *b, size_t n)
{
	if (!b->err)
		b->len += n;
}

void
bt_buf_add(struct bt_buf *b, const void *p, size_t n)
{
	uint8_t *d = bt_buf_reserve(b, n);
	if (d) {
		if (n)
			memcpy(d, p, n);
		b->len += n;
	}
}

void
bt_buf_adds(struct bt_buf *b, const char *s)
{
	s = bt_text(s);	/* a deflated text's number too */
	bt_buf_add(b, s, strlen(s));
}

void
bt_buf_addc(struct bt_buf *b, uint8_t c)
{
	bt_buf_add(b, &c, 1);
}

void
bt_buf_printf(struct bt_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[128];
	int n;

	fmt = bt_text(fmt);	/* a deflated text's number too */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (!b->err)
			b->err = BT_E_INVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		bt_buf_add(b, small, (size_t)n);
		return;
	}
	uint8_t *d = bt_buf_reserve(b, (size_t)n);
	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
bt_buf_consume(struct bt_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

char *
bt_buf_cstr(struct bt_buf *b)
{
	if (!bt_buf_reserve(b, 0))
		return NULL;
	b->p[b->len] = 0;
	return (char *)b->p;
}
