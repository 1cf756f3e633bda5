/* help.c - see help.h */
#include "help.h"
#include "msg.h"

#include <string.h>

int bt_help_format = BT_HELP_TEXT;

void
bt_roff(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

/* The Usage line, one per form in h->args. */
static void
text_usage(FILE *f, const struct bt_help *h)
{
	const char *p = h->args;

	for (int first = 1; ; first = 0) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(f, "%s %s %.*s\n", first ? "Usage:" : "      ", bt_prog, len, p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void
text_help(FILE *f, const struct bt_help *h)
{
	struct bt_buf b;

	text_usage(f, h);
	if (h->about)
		fprintf(f, "%s\n", bt_text(h->about));
	fputc('\n', f);
	bt_buf_init(&b, 0);
	if (h->opts)
		bt_opt_help(h->opts, h->nopts, h->cols ? h->cols : 80, &b);
	if (h->flags)
		bt_flag_help(h->flags, h->nflags, &b);
	if (b.err)
		bt_die("out of memory");
	fwrite(b.p, 1, b.len, f);
	bt_buf_free(&b);
	if (h->notes)
		fputs(bt_text(h->notes), f);
}

/* A paragraph of text: blank lines start new paragraphs; lines that
 * start with a space are kept as they are. */
static void
man_text(FILE *f, const char *s)
{
	const char *p = s;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1), p);
		if (len == 0)
			fputs(".PP\n", f);
		else if (line[0] == ' ') {
			fputs(".nf\n", f);
			bt_roff(f, line);
			fputs("\n.fi\n", f);
		} else {
			bt_roff(f, line);
			fputc('\n', f);
		}
		p += len + (nl != NULL);
	}
}

static void
man_opt(FILE *f, const struct bt_opt *o)
{
	struct bt_buf b;

	bt_buf_init(&b, 0);
	bt_opt_label(o, &b);
	fputs(".TP\n.B ", f);
	if (!b.err)
		bt_roff(f, bt_buf_cstr(&b));
	bt_buf_free(&b);
	fputc('\n', f);
	bt_roff(f, bt_text(o->help));
	if (o->def && o->def[0] && BT_OPT_TYPE(o->type) != BT_OPT_REQ) {
		fputs(" (defaults to ", f);
		bt_roff(f, o->def);
		fputc(')', f);
	}
	fputc('\n', f);
}

static void
man_each(const struct bt_opt *o, const char *title, void *ud)
{
	FILE *f = ud;

	if (title)	/* without the colon */
		fprintf(f, ".SS \"%.*s\"\n", (int)strlen(title) - 1, title);
	man_opt(f, o);
}

static void
man_flags(FILE *f, const struct bt_flag *flags, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		fprintf(f, ".TP\n.B \\-%c, \\-\\-", flags[k].key);
		bt_roff(f, flags[k].lname);
		if (flags[k].arg) {
			fputs(" \\fI", f);
			bt_roff(f, flags[k].arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		bt_roff(f, bt_text(flags[k].help));
		fputc('\n', f);
	}
}

/* 1 when the table lists --help itself (the flag tables do). */
static int
lists_help(const struct bt_help *h)
{
	for (size_t k = 0; h->flags && k < h->nflags; k++)
		if (strcmp(h->flags[k].lname, "help") == 0)
			return 1;
	return 0;
}

static void
man_help(FILE *f, const struct bt_help *h)
{
	const char *p = h->args;

	fputs(".SH SYNOPSIS\n", f);
	for (;;) {
		const char *nl = strchr(p, '\n');
		char line[512];
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1), p);
		fputs(".B ", f);
		bt_roff(f, bt_prog);
		fputc('\n', f);
		bt_roff(f, line);
		fputs("\n.br\n", f);
		if (!nl)
			break;
		p = nl + 1;
	}
	if (h->about) {
		fputs(".SH DESCRIPTION\n", f);
		man_text(f, bt_text(h->about));
	}
	fputs(".SH OPTIONS\n", f);
	if (h->opts)
		bt_opt_each(h->opts, h->nopts, man_each, f);
	if (h->flags)
		man_flags(f, h->flags, h->nflags);
	if (!lists_help(h))
		fputs(".TP\n.B \\-h, \\-\\-help\nshow this help\n", f);
	if (h->notes) {
		fputs(".SH NOTES\n", f);
		man_text(f, bt_text(h->notes));
	}
}

static void
words(FILE *f, const struct bt_help *h)
{
	for (size_t k = 0; h->opts && k < h->nopts; k++) {
		if (BT_OPT_LETTER_OF(h->opts[k].type))
			fprintf(f, "-%c ", BT_OPT_LETTER_OF(h->opts[k].type));
		fprintf(f, "--%s ", h->opts[k].name);
	}
	for (size_t k = 0; h->flags && k < h->nflags; k++)
		fprintf(f, "-%c --%s ", h->flags[k].key, h->flags[k].lname);
	if (!lists_help(h))
		fputs("-h --help", f);
}

void
bt_cli_help(FILE *f, const struct bt_help *h)
{
	fflush(f);
	if (bt_help_format == BT_HELP_MAN)
		man_help(f, h);
	else if (bt_help_format == BT_HELP_WORDS)
		words(f, h);
	else
		text_help(f, h);
	fflush(f);
}
