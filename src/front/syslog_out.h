/* syslog_out.h - --syslog 1: an applet's messages go to syslog as well,
 * facility daemon (the output stays as it is).
 *
 * The connection is the process's own (openlog), so there is nothing to
 * hold here: the applet opens it once when asked, then passes each event
 * or error it reports (not the status lines) to bt_syslog_say too. */
#ifndef BT_SYSLOG_OUT_H
#define BT_SYSLOG_OUT_H

#include <stdarg.h>
#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_INFO ... */

/* Open syslog as ident (a string that lives as long as the program: the
 * C library keeps the pointer), with the pid, facility daemon. */
void bt_syslog_open(const char *ident);

/* One message at priority prio (LOG_*); control bytes in the text become
 * '?', at most 1023 bytes are sent. */
void bt_syslog_say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bt_syslog_vsay(int prio, const char *fmt, va_list ap);

void bt_syslog_close(void);

#endif
