/* main.c - the multicall entry point.
 *
 * `bt APPLET args...`, or a link named after an applet or after one of
 * BitTornado's tools (btmakemetafile, bttrack.py, ...), runs that applet.
 * `bt --list`, `bt --install DIR`, `bt --help`, `bt --version`; hidden,
 * for the build: `bt --man [APPLET]` (a manual page) and `bt --completion`
 * (bash completion), both written from the applets' own help (help.h). */
#include "applets.h"
#include "help.h"
#include "msg.h"
#include "text.h"
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct applet {
	const char *name;
	int (*main)(int, char **);
	const char *summary;
};

#define ROW(name, summary) { #name, name##_main, summary },
static const struct applet applets[] = { BT_APPLETS(ROW) };
#undef ROW

struct legacy {
	const char *name, *applet;
};

#define ROW(legacy, applet) { #legacy, #applet },
static const struct legacy legacy_names[] = { BT_LEGACY_NAMES(ROW) };
#undef ROW

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int
cmp_applet(const void *key, const void *elem)
{
	return strcmp(key, ((const struct applet *)elem)->name);
}

static const struct applet *
find_applet(const char *name)
{
	return bsearch(name, applets, COUNT(applets), sizeof(applets[0]), cmp_applet);
}

/* Length of a program name without a ".py" ending (BitTornado's tools
 * were Python scripts). */
static size_t
stem_len(const char *base)
{
	size_t n = strlen(base);
	return n > 3 && strcmp(base + n - 3, ".py") == 0 ? n - 3 : n;
}

/* "btmakemetafile.py" -> the makemetafile applet. */
static const struct applet *
find_by_progname(const char *base)
{
	size_t n = stem_len(base);

	for (size_t k = 0; k < COUNT(legacy_names); k++)
		if (strlen(legacy_names[k].name) == n && memcmp(base, legacy_names[k].name, n) == 0)
			return find_applet(legacy_names[k].applet);
	return NULL;
}

static void
usage(FILE *f)
{
	fprintf(f, "bt %s - a small BitTorrent suite\n", BT_VERSION);
	fputs(bt_text(TX("\n"
		"Usage: bt APPLET [arguments...]\n"
		"       bt --list | --install DIR | --help | --version\n"
		"   or: a link to bt named after an applet or a BitTornado tool\n"
		"       (btmakemetafile, bttrack, btdownloadheadless, ...)\n"
		"\n"
		"Applets:\n")), f);
	for (size_t k = 0; k < COUNT(applets); k++)
		fprintf(f, "  %-14s %s\n", applets[k].name, applets[k].summary);
	fputs(bt_text(TX("\n`bt APPLET --help` describes an applet.\n")), f);
}

/* Is path already a link to self? */
static int
links_to(const char *path, const char *self)
{
	char cur[4096];
	ssize_t m = readlink(path, cur, sizeof(cur) - 1);
	return m > 0 && (size_t)m == strlen(self) && memcmp(cur, self, (size_t)m) == 0;
}

/* dir/NAME[.py] for legacy name k into path; -1 (printed) if too long. */
static int
link_path(char *path, size_t cap, const char *dir, size_t k, int py)
{
	int len = snprintf(path, cap, "%s/%s%s", dir, legacy_names[k].name, py ? ".py" : "");
	if (len < 0 || (size_t)len >= cap) {
		bt_warn("--install: %s: path too long", dir);
		return -1;
	}
	return 0;
}

/* Before anything is made: dir is a directory and no name is taken by
 * something other than a link to self.  0, or -1 (printed). */
static int
install_check(const char *dir, const char *self)
{
	char path[4096];
	struct stat st;

	if (stat(dir, &st) < 0) {
		bt_pwarn("--install: %s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		bt_warn("--install: %s: not a directory", dir);
		return -1;
	}
	for (size_t k = 0; k < COUNT(legacy_names); k++)
		for (int py = 0; py < 2; py++) {
			if (link_path(path, sizeof(path), dir, k, py) < 0)
				return -1;
			if (lstat(path, &st) == 0 && !links_to(path, self)) {
				bt_warn("--install: %s is already there and is not a link to %s: "
					"nothing installed (remove it first)", path, self);
				return -1;
			}
		}
	return 0;
}

/* The BitTornado names (and their ".py" forms) in dir as links to this
 * program, one line each on stdout; stops at the first that fails. */
static int
install_links(const char *dir)
{
	char self[4096], path[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		bt_pwarn("--install: cannot find my own path (/proc/self/exe)");
		return BT_EXIT_FAIL;
	}
	self[n] = 0;
	if (install_check(dir, self) < 0)
		return BT_EXIT_FAIL;
	for (size_t k = 0; k < COUNT(legacy_names); k++) {
		for (int py = 0; py < 2; py++) {
			if (link_path(path, sizeof(path), dir, k, py) < 0)
				return BT_EXIT_FAIL;
			if (links_to(path, self)) {
				printf("kept %s (already a link to %s)\n", path, self);
				continue;
			}
			if (symlink(self, path) < 0) {
				bt_out_flush();
				bt_pwarn("--install: cannot create %s; stopped", path);
				return BT_EXIT_FAIL;
			}
			printf("created %s -> %s\n", path, self);
		}
	}
	bt_out_flush();
	return BT_EXIT_OK;
}

static int
run(const struct applet *a, const char *prog, int argc, char **argv)
{
	bt_prog = prog;
	int rc = a->main(argc, argv);
	bt_out_flush();
	return rc;
}

/* Run applet a's --help in format fmt (help.h), as "bt NAME".  HOME is
 * unset first so that no configuration file's defaults get in. */
static void
run_help(const struct applet *a, int fmt)
{
	static char prog[96];
	char *args[] = { (char *)a->name, "--help", NULL };

	unsetenv("HOME");
	snprintf(prog, sizeof(prog), "bt %s", a->name);
	bt_prog = prog;
	bt_help_format = fmt;
	fflush(stdout);
	a->main(2, args);
	fflush(stdout);
	bt_help_format = BT_HELP_TEXT;
	bt_prog = "bt";
}

/* bt(1). */
static void
man_bt(void)
{
	printf(".TH BT 1 \"\" \"bt %s\" \"User Commands\"\n", BT_VERSION);
	fputs(bt_text(TX(".SH NAME\nbt \\- a small BitTorrent suite\n"
		".SH SYNOPSIS\n.B bt\n\\fIAPPLET\\fR [\\fIarguments\\fR...]\n.br\n"
		".B bt\n\\-\\-list | \\-\\-install \\fIDIR\\fR | \\-\\-help | \\-\\-version\n"
		".SH DESCRIPTION\nOne program for making, showing and editing .torrent files, "
		"downloading and seeding, and running a tracker.  A link to\n.B bt\n"
		"named after an applet, or after one of BitTornado's tools (with or without "
		".py), runs that applet with BitTornado's options and output.\n"
		"\\fBbt \\-\\-install\\fR \\fIDIR\\fR makes those links in DIR.\n"
		".SH APPLETS\n")), stdout);
	for (size_t k = 0; k < COUNT(applets); k++) {
		printf(".TP\n.BR bt\\-%s (1)\n", applets[k].name);
		bt_roff(stdout, applets[k].summary);
		const char *sep = " (also ";
		for (size_t j = 0; j < COUNT(legacy_names); j++)
			if (strcmp(legacy_names[j].applet, applets[k].name) == 0) {
				printf("%s%s", sep, legacy_names[j].name);
				sep = ", ";
			}
		printf("%s\n", sep[0] == ',' ? ")" : "");
	}
	fputs(bt_text(TX(".SH EXIT STATUS\n0 success, 1 failure, 2 a bad command line, "
		"127 no such applet.\n")), stdout);
}

/* bt-APPLET(1), or for a BitTornado name a page that sources it. */
static int
man_page(const char *name)
{
	const struct applet *a = find_applet(name);

	if (!a && (a = find_by_progname(name)) != NULL) {
		printf(".so man1/bt-%s.1\n", a->name);
		return BT_EXIT_OK;
	}
	if (!a) {
		bt_warn("--man: no applet '%s'", name);
		return BT_EXIT_USAGE;
	}
	printf(".TH BT-%s 1 \"\" \"bt %s\" \"User Commands\"\n.SH NAME\nbt\\-%s \\- ",
		a->name, BT_VERSION, a->name);
	bt_roff(stdout, a->summary);
	printf("\n");
	run_help(a, BT_HELP_MAN);
	printf(".SH \"SEE ALSO\"\n.BR bt (1)\n");
	for (size_t j = 0; j < COUNT(legacy_names); j++)
		if (strcmp(legacy_names[j].applet, a->name) == 0)
			printf(".PP\nAlso run as\n.BR %s (1)\nor %s.py, with that name in its messages.\n",
				legacy_names[j].name, legacy_names[j].name);
	return BT_EXIT_OK;
}

/* A bash completion script: options for the applet being typed (also
 * through a BitTornado name), file names elsewhere. */
static void
completion(void)
{
	fputs(bt_text(TX("# bash completion for bt; written by `bt --completion`\n"
		"_bt_opts()\n{\n\tcase ${1%.py} in\n")), stdout);
	for (size_t k = 0; k < COUNT(applets); k++) {
		printf("\t%s", applets[k].name);
		for (size_t j = 0; j < COUNT(legacy_names); j++)
			if (strcmp(legacy_names[j].applet, applets[k].name) == 0)
				printf("|%s", legacy_names[j].name);
		printf(") echo '");
		run_help(&applets[k], BT_HELP_WORDS);
		printf("' ;;\n");
	}
	fputs(bt_text(TX("\tesac\n}\n\n"
		"_bt()\n{\n"
		"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]##*/} applet\n"
		"\tCOMPREPLY=()\n"
		"\tif [ \"${prog%.py}\" = bt ]; then\n"
		"\t\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
		"\t\t\tCOMPREPLY=($(compgen -W '")), stdout);
	for (size_t k = 0; k < COUNT(applets); k++)
		printf("%s ", applets[k].name);
	fputs(bt_text(TX("--list --install --help --version' -- \"$cur\"))\n"
		"\t\t\treturn\n\t\tfi\n"
		"\t\tapplet=${COMP_WORDS[1]}\n"
		"\telse\n\t\tapplet=$prog\n\tfi\n"
		"\tcase $cur in\n"
		"\t-*) COMPREPLY=($(compgen -W \"$(_bt_opts \"$applet\")\" -- \"$cur\")) ;;\n"
		"\tesac\n}\n"
		"complete -o bashdefault -o default -F _bt bt")), stdout);
	for (size_t j = 0; j < COUNT(legacy_names); j++)
		printf(" %s %s.py", legacy_names[j].name, legacy_names[j].name);
	printf("\n");
}

/* Nothing by that name: suggest the nearest name when it looks like a
 * typing mistake (exit 2), else say there is none (exit 127). */
static int
unknown_applet(const char *cmd)
{
	const char *near = bt_nearest(cmd, applets, COUNT(applets), sizeof(applets[0]));

	if (!near)
		near = bt_nearest(cmd, legacy_names, COUNT(legacy_names), sizeof(legacy_names[0]));
	if (near) {
		bt_warn("%s: no such applet; did you mean '%s'?", cmd, near);
		fprintf(stderr, "Try 'bt --help'.\n");
		return BT_EXIT_USAGE;
	}
	bt_warn("unknown applet '%s'", cmd);
	fprintf(stderr, "Usage: bt APPLET [arguments...]; `bt --list` lists the applets.\n");
	return BT_EXIT_NOAPPLET;
}

int
main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? argv[0] : "bt";
	const char *slash = strrchr(base, '/');
	const struct applet *a;
	static char prog[96];

	if (slash)
		base = slash + 1;
	a = find_by_progname(base);
	if (!a)
		a = find_applet(base);
	if (a) {
		/* BitTornado printed its program name without ".py". */
		snprintf(prog, sizeof(prog), "%.*s", (int)stem_len(base), base);
		return run(a, prog, argc, argv);
	}

	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		bt_out_flush();
		return BT_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("bt %s\n", BT_VERSION);
		bt_out_flush();
		return BT_EXIT_OK;
	}
	if (strcmp(cmd, "--list") == 0) {
		for (size_t k = 0; k < COUNT(applets); k++)
			printf("%s\n", applets[k].name);
		bt_out_flush();
		return BT_EXIT_OK;
	}
	if (strcmp(cmd, "--install") == 0) {
		if (argc != 3) {
			bt_warn("usage: bt --install DIR");
			return BT_EXIT_USAGE;
		}
		return install_links(argv[2]);
	}
	if (strcmp(cmd, "--man") == 0) {
		if (argc == 2)
			man_bt();
		int rc = argc == 3 ? man_page(argv[2]) : argc == 2 ? BT_EXIT_OK
			: bt_usage_error("usage: bt --man [APPLET]");
		bt_out_flush();
		return rc;
	}
	if (strcmp(cmd, "--completion") == 0) {
		completion();
		bt_out_flush();
		return BT_EXIT_OK;
	}
	a = find_applet(cmd);
	if (!a)
		a = find_by_progname(cmd);
	if (!a)
		return unknown_applet(cmd);
	snprintf(prog, sizeof(prog), "bt %s", a->name);
	return run(a, prog, argc - 1, argv + 1);
}
