/* show_block.c - see show_block.h */
#include "show_block.h"
#include "buf.h"
#include "spew.h"
#include "torrent.h"
#include "view.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_LINES	9

/* The nine lines' labels and values. */
static void
block_lines(const struct bt_view *w, const char *label[BLOCK_LINES], const char *val[BLOCK_LINES])
{
	static const char *const labels[BLOCK_LINES] = {
		"saving:", "percent done:", "time left:", "download to:", "download rate:",
		"upload rate:", "share rating:", "seed status:", "peer status:",
	};
	const char *vals[BLOCK_LINES] = {
		w->file ? w->file : "", w->pct, w->time_est, w->dest ? w->dest : "",
		w->down, w->up, w->share, w->seeds, w->peers,
	};

	memcpy(label, labels, sizeof(labels));
	memcpy(val, vals, sizeof(vals));
}

void
bt_show_block(struct bt_buf *out, const struct bt_view *w, int blank_lines, int errors,
	const struct bt_spew *spew)
{
	const char *label[BLOCK_LINES], *val[BLOCK_LINES];

	block_lines(w, label, val);
	if (blank_lines)
		bt_buf_adds(out, "\n\n\n\n\n");
	if (errors) {
		size_t first = bt_view_errors_first(w);
		if (first)
			bt_buf_printf(out, "ERROR:\n(%zu earlier errors not shown)\n\n", first);
		for (size_t k = first; k < w->nerr; k++)
			bt_buf_printf(out, "ERROR:\n%s\n\n", bt_view_error_at(w, k));
	}
	for (size_t k = 0; k < BLOCK_LINES; k++)
		bt_buf_printf(out, "%-15s %s\n", label[k], val[k]);
	if (spew) {
		char line[160];
		bt_buf_printf(out, "\n%s\n", bt_spew_head);
		for (size_t k = 0; k < spew->n; k++) {
			bt_spew_row(line, sizeof(line), k + 1, &spew->rows[k]);
			bt_buf_printf(out, "%s\n", line);
		}
	}
}

/* One line of the block, cut to width bytes, and its count. */
static void
cut_line(struct bt_buf *out, struct bt_show_tty *t, const char *s, size_t width)
{
	size_t n = strlen(s);

	bt_buf_add(out, s, n < width ? n : width);
	bt_buf_addc(out, '\n');
	t->lines++;
}

void
bt_show_block_redraw(struct bt_buf *out, struct bt_show_tty *t, const struct bt_view *w,
	const struct bt_spew *spew, unsigned cols, unsigned rows)
{
	const char *label[BLOCK_LINES], *val[BLOCK_LINES];
	size_t width = cols > 1 ? cols - 1 : 79, first = bt_view_errors_first(w);
	char line[512];

	block_lines(w, label, val);
	/* Back to the block's first line, and erase from there down. */
	if (t->lines)
		bt_buf_printf(out, "\r\033[%zuA", t->lines);
	bt_buf_adds(out, "\r\033[J");
	t->lines = 0;
	if (t->errors < first) {
		bt_buf_printf(out, "ERROR: (%zu earlier errors not shown)\n", first - t->errors);
		t->errors = first;
	}
	for (; t->errors < w->nerr; t->errors++)
		bt_buf_printf(out, "ERROR: %s\n", bt_view_error_at(w, t->errors));
	for (size_t k = 0; k < BLOCK_LINES; k++) {
		snprintf(line, sizeof(line), "%-15s %s", label[k], val[k]);
		cut_line(out, t, line, width);
	}
	if (!spew)
		return;
	cut_line(out, t, "", width);
	cut_line(out, t, bt_spew_head, width);
	for (size_t k = 0; k < spew->n && (!rows || t->lines + 1 < rows); k++) {
		bt_spew_row(line, sizeof(line), k + 1, &spew->rows[k]);
		cut_line(out, t, line, width);
	}
}
