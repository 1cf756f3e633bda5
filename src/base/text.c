/* text.c - see text.h */
#include "text.h"

#include <stdlib.h>
#include <zlib.h>

static char *raw;		/* the texts, each ended by a NUL */
static const char **at;		/* at[n - 1]: text n */

/* Inflate the blob and find where each text starts; 0 when out of memory
 * (or a blob that does not unpack, which the build cannot make). */
static int
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
		return 0;
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
	return 1;
}

const char *
bt_text(const char *s)
{
	uintptr_t n = (uintptr_t)s;

	if (n == 0 || n > BT_TEXT_MAX)
		return s;
	if (!raw && !unpack())
		return "";
	return n <= bt_text_count ? at[n - 1] : "";
}
