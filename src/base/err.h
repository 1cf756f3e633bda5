/* err.h - error codes shared by the library in src/.
 *
 * Library functions return 0 (or a count) on success and a negative
 * BT_E_* code on failure; they never print and never exit.  The applets
 * turn codes into messages with bt_strerror(). */
#ifndef BT_ERR_H
#define BT_ERR_H

enum bt_errc {
	BT_OK = 0,
	BT_E_NOMEM = -1,	/* allocation failed */
	BT_E_PARSE = -2,	/* malformed input */
	BT_E_PARTIAL = -3,	/* more bytes needed (not a failure) */
	BT_E_LIMIT = -4,	/* a length, count or depth limit was hit */
	BT_E_IO = -5,		/* a system call failed; errno is kept */
	BT_E_PROTO = -6,	/* the peer broke the protocol */
	BT_E_INVAL = -7,	/* bad argument or semantically invalid data */
	BT_E_EXIST = -8,	/* already there */
	BT_E_NOENT = -9,	/* not there */
	BT_E_TLS = -10,		/* TLS failure */
	BT_E_UNSUPPORTED = -11,	/* valid but not handled */
};

/* Text for a BT_E_* code ("out of memory", ...). */
const char *bt_strerror(int code);

#endif
