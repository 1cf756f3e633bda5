/* msg.c - see msg.h.  Part of the program's front, not the library. */
#include "msg.h"
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *bt_prog = "bt";

static void
vmsg(const char *fmt, va_list ap, int err)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", bt_prog);
	vfprintf(stderr, bt_text(fmt), ap);	/* a deflated text's number too */
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
bt_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void
bt_pwarn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
}

int
bt_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", bt_prog);
	return BT_EXIT_USAGE;
}

void
bt_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(BT_EXIT_FAIL);
}

void
bt_out_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		fprintf(stderr, "%s: write error on standard output: %s\n",
			bt_prog, strerror(e));
		exit(BT_EXIT_FAIL);
	}
}

void
bt_out(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		bt_out_flush();
	bt_out_flush();
}

static void *
oom(void)
{
	fprintf(stderr, "%s: out of memory\n", bt_prog);
	exit(BT_EXIT_FAIL);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	return p ? p : oom();
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	return p ? p : oom();
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom();
}
