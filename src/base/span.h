/* span.h - which of a run of spans laid end to end holds a byte: the
 * files of a torrent (or of one being made), each starting where the one
 * before it ends, and a torrent offset to look up among them. */
#ifndef BT_SPAN_H
#define BT_SPAN_H

#include <stddef.h>
#include <stdint.h>

/* The int64_t member at byte offset at of element k (of size bytes). */
static inline int64_t
bt_span_field_(const void *v, size_t k, size_t size, size_t at)
{
	return *(const int64_t *)(const void *)((const char *)v + k * size + at);
}

/* The spans are the n elements of the array at v, each size bytes, with
 * the span's start and its length as int64_t members at byte offsets
 * start_at and len_at (offsetof), sorted by start.  Returns the index of
 * the span holding byte pos: the last one starting at or before pos,
 * moved past any that end at or before it; n when there is none (pos at
 * or past the end).  When the spans really lie end to end and pos is
 * inside them, that is never an empty span. */
static inline size_t
bt_span_find(const void *v, size_t n, size_t size, size_t start_at, size_t len_at,
	int64_t pos)
{
	size_t lo = 0, hi = n;	/* the answer in [lo, hi) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (bt_span_field_(v, mid, size, start_at) <= pos)
			lo = mid;
		else
			hi = mid;
	}
	while (lo < n && bt_span_field_(v, lo, size, start_at) +
		bt_span_field_(v, lo, size, len_at) <= pos)
		lo++;
	return lo;
}

#endif
