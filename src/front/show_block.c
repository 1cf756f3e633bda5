/* show_block.c - see show_block.h */
#include "show_block.h"
#include "buf.h"
#include "spew.h"
#include "torrent.h"
#include "view.h"

#include <stddef.h>

void
bt_show_block(struct bt_buf *out, const struct bt_view *w, int blank_lines, int errors,
	const struct bt_spew *spew)
{
	static const char *const label[] = {
		"saving:", "percent done:", "time left:", "download to:", "download rate:",
		"upload rate:", "share rating:", "seed status:", "peer status:",
	};
	const char *val[] = {
		w->file ? w->file : "", w->pct, w->time_est, w->dest ? w->dest : "",
		w->down, w->up, w->share, w->seeds, w->peers,
	};

	if (blank_lines)
		bt_buf_adds(out, "\n\n\n\n\n");
	if (errors) {
		size_t first = bt_view_errors_first(w);
		if (first)
			bt_buf_printf(out, "ERROR:\n(%zu earlier errors not shown)\n\n", first);
		for (size_t k = first; k < w->nerr; k++)
			bt_buf_printf(out, "ERROR:\n%s\n\n", bt_view_error_at(w, k));
	}
	for (size_t k = 0; k < 9; k++)
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
