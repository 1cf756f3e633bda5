/* show_block.h - btdownloadheadless's status block: nine "label value"
 * lines (labels padded to 15 columns), after the errors, before the peer
 * table.  Two ways to print it on a terminal: BitTornado's, the whole
 * block again every display_interval (bt_show_block, also used once at
 * the end when the output is not a terminal), or drawn over itself in
 * place (bt_show_block_redraw: errors scroll above it once each, the
 * block stays at the bottom of the screen). */
#ifndef BT_SHOW_BLOCK_H
#define BT_SHOW_BLOCK_H

#include <stddef.h>

struct bt_buf;
struct bt_spew;
struct bt_view;

/* Append w's block to out: with blank_lines the five empty lines that
 * start each refresh; with errors "ERROR:\n<text>\n\n" for each error
 * kept (after "(N earlier errors not shown)" when some were dropped);
 * the nine lines; with spew (NULL: none) an empty line, the header and a
 * row per peer. */
void bt_show_block(struct bt_buf *out, const struct bt_view *w, int blank_lines, int errors,
	const struct bt_spew *spew);

/* What bt_show_block_redraw has put on the terminal (zero it first). */
struct bt_show_tty {
	size_t lines;		/* lines of the block drawn last, cursor below them */
	size_t errors;		/* errors printed so far (w->nerr then) */
};

/* Append the escape sequences (VT100/ECMA-48: cursor up, erase down)
 * that draw w's block over the one drawn before: first the errors not
 * printed yet ("ERROR: <text>", once each; they stay above the block),
 * then the block, each line cut to cols - 1 bytes so that none wraps,
 * and the peer table (spew, NULL: none) cut to fit rows (0: no limit). */
void bt_show_block_redraw(struct bt_buf *out, struct bt_show_tty *t, const struct bt_view *w,
	const struct bt_spew *spew, unsigned cols, unsigned rows);

#endif
