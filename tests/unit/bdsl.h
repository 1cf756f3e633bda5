/* bdsl.h - bencode fixtures written readably, for the unit tests.
 *
 *   {  }      a dictionary (keys are written as given: sort them yourself)
 *   [  ]      a list
 *   'text'    a string; \0 is a NUL byte, \\ and \' themselves
 *   -12       an integer
 *   #N        a string of N bytes 'x' (piece hashes)
 *   @raw@     bytes copied as they are
 * Blanks, ',' and ':' between values are ignored, so
 *   {'info':{'length':5, 'name':'a', 'piece length':16, 'pieces':#20}}
 * is a torrent.  bdsl() returns a heap copy (to be freed) or NULL when the
 * text itself is malformed. */
#ifndef BT_TEST_BDSL_H
#define BT_TEST_BDSL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static inline uint8_t *
bdsl(const char *s, size_t *len)
{
	struct bt_buf b;
	bt_buf_init(&b, 0);
	while (*s) {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n' || c == ',' || c == ':') {
			s++;
		} else if (c == '{' || c == '[') {
			bt_buf_addc(&b, c == '{' ? 'd' : 'l');
			s++;
		} else if (c == '}' || c == ']') {
			bt_buf_addc(&b, 'e');
			s++;
		} else if (c == '\'') {
			struct bt_buf str;
			bt_buf_init(&str, 0);
			for (s++; *s && *s != '\''; s++) {
				if (*s == '\\' && s[1]) {
					s++;
					bt_buf_addc(&str, *s == '0' ? 0 : (uint8_t)*s);
				} else {
					bt_buf_addc(&str, (uint8_t)*s);
				}
			}
			if (*s != '\'') {
				bt_buf_free(&str);
				goto bad;
			}
			s++;
			bt_buf_printf(&b, "%zu:", str.len);
			bt_buf_add(&b, str.p, str.len);
			bt_buf_free(&str);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			const char *e = s + 1;
			while (*e >= '0' && *e <= '9')
				e++;
			bt_buf_addc(&b, 'i');
			bt_buf_add(&b, s, (size_t)(e - s));
			bt_buf_addc(&b, 'e');
			s = e;
		} else if (c == '#') {
			char *e;
			unsigned long n = strtoul(s + 1, &e, 10);
			if (e == s + 1)
				goto bad;
			bt_buf_printf(&b, "%lu:", n);
			for (unsigned long k = 0; k < n; k++)
				bt_buf_addc(&b, 'x');
			s = e;
		} else if (c == '@') {
			const char *e = strchr(s + 1, '@');
			if (!e)
				goto bad;
			bt_buf_add(&b, s + 1, (size_t)(e - s - 1));
			s = e + 1;
		} else {
			goto bad;
		}
	}
	if (b.err || !bt_buf_reserve(&b, 1))
		goto bad;
	*len = b.len;
	return b.p;
bad:
	bt_buf_free(&b);
	*len = 0;
	return NULL;
}

#endif
