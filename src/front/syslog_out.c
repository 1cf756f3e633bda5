/* syslog_out.c - see syslog_out.h */
#include "syslog_out.h"
#include "str.h"

#include <stdio.h>
#include <string.h>

void
bt_syslog_open(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
}

void
bt_syslog_vsay(int prio, const char *fmt, va_list ap)
{
	char raw[1024], text[1024];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	bt_str_printable(text, sizeof(text), raw, strlen(raw));
	syslog(prio, "%s", text);
}

void
bt_syslog_say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bt_syslog_vsay(prio, fmt, ap);
	va_end(ap);
}

void
bt_syslog_close(void)
{
	closelog();
}
