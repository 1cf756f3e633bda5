/* text.h - the program's long texts (option help, an applet's about and
 * notes, the tracker's info page), kept deflated, as BusyBox keeps its
 * usage texts: they are read rarely and would be a tenth of the program.
 *
 * A source writes such a text TX("...") where it belongs.  The build
 * (scripts/gen-text.py) compiles a copy of each file that has them in
 * which every TX("...") is BT_TX_REF(n), n the text's number, and packs
 * the texts into one zlib blob (text_blob.c, part of this library).  Code
 * passes such a text through bt_text(), which gives the text of a number
 * and any other string as it is.  Without the build's step TX(s) is s,
 * which bt_text() passes on too.  Not for texts with printf conversions:
 * the compiler could not check them against their arguments. */
#ifndef BT_TEXT_H
#define BT_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BT_TEXT_MAX	4095	/* numbers 1 .. BT_TEXT_MAX; no address is this low */
#define BT_TX_REF(n)	((const char *)(uintptr_t)(n))
#ifndef TX
#define TX(s)		(s)
#endif

/* The text s stands for: unpacked on the first call (and kept), or s
 * itself when it is not a text's number; "" when the texts cannot be
 * unpacked (out of memory), and for NULL, NULL.  From any thread. */
const char *bt_text(const char *s);

/* snprintf and vsnprintf whose format may be a text's number: the build's
 * copies call bt_snprintf where the source calls snprintf, and a function
 * that takes a format the copies number formats through bt_vsnprintf. */
int bt_snprintf(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int bt_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Made by the build (text_blob.c). */
extern const unsigned char bt_text_blob[];
extern const unsigned long bt_text_blob_len, bt_text_raw_len;
extern const unsigned bt_text_count;

#endif
