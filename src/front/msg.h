/* msg.h - how applets report (the library in src/ never prints).
 *
 * Messages go to stderr as "<prog>: <text>".  bt_prog is the name the user
 * called us by ("btmakemetafile", "bt makemetafile"), so usage lines and
 * messages read the way the user typed the command. */
#ifndef BT_MSG_H
#define BT_MSG_H

#include <stdio.h>

enum {
	BT_EXIT_OK = 0,
	BT_EXIT_FAIL = 1,	/* the work failed */
	BT_EXIT_USAGE = 2,	/* bad command line */
	BT_EXIT_NOAPPLET = 127,	/* no such applet */
};

extern const char *bt_prog;

void bt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bt_warn plus ": <strerror(errno)>". */
void bt_pwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A bad command line: "<prog>: <text>" and "Try '<prog> --help'." on
 * stderr (one style for every applet); returns BT_EXIT_USAGE. */
int bt_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bt_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a whole buffer to stdout and flush; dies on a write error (full
 * disk, closed pipe) so output is never silently truncated. */
void bt_out(const void *p, size_t n);
/* Flush stdout, dying on error.  Applets call it before returning 0. */
void bt_out_flush(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
