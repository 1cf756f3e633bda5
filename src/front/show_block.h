/* show_block.h - btdownloadheadless's status block: nine "label value"
 * lines (labels padded to 15 columns), after the errors, before the peer
 * table; printed every display_interval on a terminal, and once at the
 * end otherwise. */
#ifndef BT_SHOW_BLOCK_H
#define BT_SHOW_BLOCK_H

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

#endif
