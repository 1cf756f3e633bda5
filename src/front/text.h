/* text.h - the long texts of the front (option help, an applet's about
 * and notes), kept deflated in the program, as BusyBox keeps its usage
 * texts: they are a tenth of its size and are read only by --help.
 *
 * A source writes such a text TX("...") where it belongs, next to its
 * option.  The build (scripts/gen-text.py) compiles a copy of each file
 * that has them in which every TX("...") is BT_TX_REF(n), n the text's
 * number, and packs the texts into one zlib blob (text_blob.c).  The help
 * writers pass what they print through bt_text(), which gives the text of
 * such a number and any other string as it is.  Without the build's step
 * TX(s) is s, which bt_text() passes on too. */
#ifndef BT_TEXT_H
#define BT_TEXT_H

#include <stdint.h>

#define BT_TEXT_MAX	4095	/* numbers 1 .. BT_TEXT_MAX; no address is this low */
#define BT_TX_REF(n)	((const char *)(uintptr_t)(n))
#ifndef TX
#define TX(s)		(s)
#endif

/* The text s stands for: unpacked on the first call (and kept), or s
 * itself when it is not a text's number; "" when the texts cannot be
 * unpacked (out of memory), and for NULL, NULL. */
const char *bt_text(const char *s);

/* Made by the build (text_blob.c). */
extern const unsigned char bt_text_blob[];
extern const unsigned long bt_text_blob_len, bt_text_raw_len;
extern const unsigned bt_text_count;

#endif
