/* text.c - see text.h */
#include "text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

static char *raw;		/* the texts, each ended by a NUL */
static const char **at;		/* at[n - 1]: text n */
static pthread_once_t once = PTHREAD_ONCE_INIT;	/* unpack() */

/* Inflate the blob and find where each text starts; raw stays NULL when
 * out of memory (or a blob that does not unpack, which the build cannot
 * make).  Once (pthread_once). */
static void
unpack(void)
{
	uLongf len = bt_text_raw_len;
	const char *p;
	unsigned k;

	if (!(raw = malloc(len + 1)) || !(at = malloc((bt_text_count + 1) * sizeof(*at))) ||
	    uncompress((Bytef *)raw, &len, bt_text_blob, bt_text_blob_len) != Z_OK ||
	    len != bt_text_raw_len) {
		free(raw);
		free(at);
		raw = NULL;
		at = NULL;
		return;
	}
	raw[len] = '\0';
	p = raw;
	for (k = 0; k < bt_text_count && p < raw + len; k++) {
		at[k] = p;
		while (*p)
			p++;
		p++;
	}
	while (k < bt_text_count)	/* (the build makes exactly count) */
		at[k++] = raw + len;
}

const char *
bt_text(const char *s)
{
	uintptr_t n = (uintptr_t)s;

	if (n == 0 || n > BT_TEXT_MAX)
		return s;
	pthread_once(&once, unpack);
	if (!raw)
		return "";
	return n <= bt_text_count ? at[n - 1] : "";
}

int
bt_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap)
{
	return vsnprintf(out, cap, bt_text(fmt), ap);
}

int
bt_snprintf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = bt_vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return n;
}
