/* test_ini.c - the option configuration file (ini): Python's float text,
 * what the reader accepts and ignores, and a write/read round trip over
 * the client's option table. */
#include "dl_opts.h"
#include "fileio.h"
#include "ini.h"
#include "opt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

static void
put(const char *path, const char *text)
{
	CHECK_INT(bt_file_write_atomic(path, text, strlen(text)), ==, 0);
}

static void
test_float(void)
{
	char s[64];

	bt_ini_fmt_float(s, sizeof(s), 120.0);
	CHECK_STR(s, "120.0");
	bt_ini_fmt_float(s, sizeof(s), 0.03);
	CHECK_STR(s, "0.03");
	bt_ini_fmt_float(s, sizeof(s), 0.1 + 0.2);
	CHECK_STR(s, "0.30000000000000004");
	bt_ini_fmt_float(s, sizeof(s), 1e22);
	CHECK_STR(s, "10000000000000000000000.0");
	bt_ini_fmt_float(s, sizeof(s), -2.5);
	CHECK_STR(s, "-2.5");
	bt_ini_fmt_float(s, sizeof(s), 0);
	CHECK_STR(s, "0.0");
	bt_ini_fmt_float(s, sizeof(s), 1e-5);
	CHECK_STR(s, "0.00001");
	bt_ini_fmt_float(s, sizeof(s), 0.0001);
	CHECK_STR(s, "0.0001");
	bt_ini_fmt_float(s, sizeof(s), 1e15);
	CHECK_STR(s, "1000000000000000.0");
	bt_ini_fmt_float(s, sizeof(s), 1e16);
	CHECK_STR(s, "10000000000000000.0");
	/* No exponent unless the plain form does not fit. */
	bt_ini_fmt_float(s, 8, 1e22);
	CHECK_STR(s, "1e+22");
	bt_ini_fmt_float(s, sizeof(s), 5e-324);
	CHECK_STR(s, "5e-324");
	for (double x = 1e-9; x < 1e20; x *= 7.3) {	/* reads back the same */
		bt_ini_fmt_float(s, sizeof(s), x);
		CHECK(strtod(s, NULL) == x && !strchr(s, 'e'));
	}
	bt_ini_fmt_float(s, sizeof(s), 86400 * 30);
	CHECK_STR(s, "2592000.0");
	bt_ini_fmt_float(s, sizeof(s), 1.0 / 3);
	CHECK_STR(s, "0.3333333333333333");
}

/* What the reader tells its caller, one line each. */
static char said[2048];

static void
collect(void *ud, const char *line)
{
	size_t n = strlen(said);
	snprintf(said + n, sizeof(said) - n, "%s\n", line);
}

static void
test_read(void)
{
	struct bt_opt t[DL_NOPTS];
	char *vals[DL_NOPTS] = { 0 };
	char path[128];

	snprintf(path, sizeof(path), "%s/read.ini", dir);
	put(path, "# comment\n"
		"\n"
		"Max_Uploads = 3\n"
		"minport: 7000\r\n"
		"ip = '1.2.3.4'\n"
		"bind = \"a,b\"\n"
		"saveas = \"unclosed\n"
		"timeout = soon\n"		/* wrong type: ignored */
		"snub_time = inf\n"		/* not finite: ignored */
		"url = http://x/\n"		/* never read */
		"no_such_option = 1\n"
		"garbage line\n"
		"[section]\n"
		"maxport = 8000\n");		/* not the unnamed section */
	bt_dl_opts_build(t, NULL, 0);
	unsigned lines[DL_NOPTS] = { 0 };
	struct bt_ini_src r = { path, lines, collect, NULL };
	bt_ini_read(&r, t, DL_NOPTS, vals, bt_dl_not_saved);
	CHECK_STR(t[DL_MAX_UPLOADS].def, "3");
	CHECK_INT(lines[DL_MAX_UPLOADS], ==, 3);
	CHECK_INT(lines[DL_BIND], ==, 6);
	CHECK_INT(lines[DL_TIMEOUT], ==, 0);
	char want[1024];
	snprintf(want, sizeof(want),
		"config file %s line 7: saveas: the value's closing quote is missing; ignored\n"
		"config file %s line 8: timeout = soon: not a number; ignored\n"
		"config file %s line 9: snub_time = inf: not a number; ignored\n"
		"config file %s line 11: unknown option 'no_such_option'; ignored\n"
		"config file %s line 12: 'garbage line' is not 'name = value'; ignored\n",
		path, path, path, path, path);
	CHECK_STR(said, want);
	CHECK_STR(t[DL_MINPORT].def, "7000");
	CHECK_STR(t[DL_IP].def, "1.2.3.4");
	CHECK_STR(t[DL_BIND].def, "a,b");
	CHECK_STR(t[DL_SAVEAS].def, "");
	CHECK_STR(t[DL_TIMEOUT].def, "300.0");
	CHECK_STR(t[DL_SNUB_TIME].def, "30.0");
	CHECK_STR(t[DL_URL].def, "");
	CHECK_STR(t[DL_MAXPORT].def, "60000");
	CHECK(bt_dl_opts[DL_MAX_UPLOADS].def[0] == '7');	/* the base is untouched */

	/* A later read replaces the earlier value; a missing file is nothing. */
	put(path, "max_uploads = 9\n");
	bt_ini_read(&r, t, DL_NOPTS, vals, bt_dl_not_saved);
	CHECK_STR(t[DL_MAX_UPLOADS].def, "9");
	CHECK_STR(t[DL_MINPORT].def, "7000");
	unlink(path);
	bt_ini_read(&r, t, DL_NOPTS, vals, NULL);
	CHECK_STR(t[DL_MAX_UPLOADS].def, "9");
	for (size_t k = 0; k < DL_NOPTS; k++)
		free(vals[k]);
}

/* A value of the right type that the client refuses is blamed on the
 * file, with its line, unless the command line replaced it. */
static void
test_blame(void)
{
	struct bt_opt t[DL_NOPTS];
	char *vals[DL_NOPTS] = { 0 }, path[128], err[512], want[512], *pos[8];
	unsigned lines[DL_NOPTS] = { 0 };
	struct bt_ini_src r = { path, lines, collect, NULL };
	union bt_optv v[DL_NOPTS];
	char *none[] = { "bt" };
	char *port[] = { "bt", "--minport", "0" };
	char *ok[] = { "bt", "--maxport", "60000" };
	int k;

	snprintf(path, sizeof(path), "%s/check.ini", dir);
	put(path, "max_uploads = 3\n"
		"# a comment\n"
		"maxport = 5\n");
	said[0] = 0;
	bt_dl_opts_build(t, NULL, 0);
	bt_ini_read(&r, t, DL_NOPTS, vals, bt_dl_not_saved);
	CHECK_STR(said, "");
	/* minport 10000 above the file's maxport 5. */
	CHECK_INT(bt_opt_parse(t, DL_NOPTS, v, 1, none, pos, err, sizeof(err)), ==, 0);
	k = bt_dl_opts_bad(v, err, sizeof(err));
	CHECK_INT(k, ==, DL_MAXPORT);
	bt_dl_ini_blame(t, v, &r, k, err, sizeof(err));
	snprintf(want, sizeof(want), "config file %s line 3: --minport 10000 is above --maxport 5", path);
	CHECK_STR(err, want);
	/* The command line's own wrong value is not the file's. */
	CHECK_INT(bt_opt_parse(t, DL_NOPTS, v, 3, port, pos, err, sizeof(err)), ==, 0);
	k = bt_dl_opts_bad(v, err, sizeof(err));
	bt_dl_ini_blame(t, v, &r, k, err, sizeof(err));
	CHECK_STR(err, "--minport 0 is out of range (1 to 65535)");
	/* The command line replaced the file's value: all right. */
	CHECK_INT(bt_opt_parse(t, DL_NOPTS, v, 3, ok, pos, err, sizeof(err)), ==, 0);
	CHECK_INT(bt_dl_opts_bad(v, err, sizeof(err)), ==, -1);
	CHECK_INT(bt_dl_opts_check(v, err, sizeof(err)), ==, 0);
	for (size_t i = 0; i < DL_NOPTS; i++)
		free(vals[i]);
	unlink(path);
}

static void
test_round_trip(void)
{
	struct bt_opt t[DL_NOPTS + 1], back[DL_NOPTS + 1];
	static const struct bt_opt save = { "save_options", BT_OPT_INT, "0", "save" };
	union bt_optv v[DL_NOPTS + 1], w[DL_NOPTS + 1];
	char *vals[DL_NOPTS + 1] = { 0 };
	char path[128], why[256], *pos[16];
	char *argv[] = {
		"bt", "--max_uploads", "12", "--keepalive_interval", "0.1", "--ip", "h o st",
		"--tcp_ack_fudge", "1e-05", "--saveas", "d/x y", "--url", "http://u/",
		"--save_options", "1", "--priority", "1,2",
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	uint8_t *text;
	size_t len;

	snprintf(path, sizeof(path), "%s/rt.ini", dir);
	bt_dl_opts_build(t, &save, 1);
	CHECK_INT(bt_opt_parse(t, DL_NOPTS + 1, v, argc, argv, pos, why, sizeof(why)), ==, 0);
	CHECK_INT(bt_ini_write(path, t, DL_NOPTS + 1, v, bt_dl_not_saved, why, sizeof(why)), ==, 0);

	CHECK_INT(bt_file_read(path, BT_INI_MAX, &text, &len), ==, 0);
	text = realloc(text, len + 1);
	text[len] = 0;
	CHECK(strncmp((char *)text, "# Generated by bt/", 18) == 0);
	CHECK(strstr((char *)text, "\n\nalloc_rate = 2.0\nalloc_type = \"normal\"\n") != NULL);
	CHECK(strstr((char *)text, "\nip = \"h o st\"\n") != NULL);
	CHECK(strstr((char *)text, "\nkeepalive_interval = 0.1\n") != NULL);
	CHECK(strstr((char *)text, "\ntcp_ack_fudge = 0.00001\n") != NULL);
	CHECK(strstr((char *)text, "\ntimeout = 300.0\n") != NULL);
	CHECK(strstr((char *)text, "url") == NULL);
	CHECK(strstr((char *)text, "save_options") == NULL);
	CHECK(strstr((char *)text, "\npriority") == NULL);
	/* Sorted by name. */
	CHECK(strstr((char *)text, "auto_kick") < strstr((char *)text, "bind"));
	CHECK(strstr((char *)text, "upload_unit_size") < strstr((char *)text, "write_buffer_size"));
	free(text);

	/* Read back: every saved option's default is the value written. */
	bt_dl_opts_build(back, &save, 1);
	struct bt_ini_src r = { path, NULL, NULL, NULL };
	bt_ini_read(&r, back, DL_NOPTS + 1, vals, bt_dl_not_saved);
	char *none[] = { "bt" };
	CHECK_INT(bt_opt_parse(back, DL_NOPTS + 1, w, 1, none, pos, why, sizeof(why)), ==, 0);
	int diff = 0;
	for (size_t k = 0; k < DL_NOPTS; k++) {
		if (k == DL_URL || k == DL_PRIORITY)
			continue;
		int type = BT_OPT_TYPE(t[k].type);
		if (type == BT_OPT_INT || type == BT_OPT_BOOL)
			diff += v[k].i != w[k].i;
		else if (type == BT_OPT_FLOAT)
			diff += v[k].f != w[k].f;
		else
			diff += strcmp(v[k].s, w[k].s) != 0;
	}
	CHECK_INT(diff, ==, 0);
	CHECK_STR(w[DL_URL].s, "");
	CHECK_INT(w[DL_NOPTS].i, ==, 0);
	for (size_t k = 0; k < DL_NOPTS + 1; k++)
		free(vals[k]);

	/* A line break cannot be written. */
	v[DL_IP].s = "a\nb";
	CHECK_INT(bt_ini_write(path, t, DL_NOPTS + 1, v, bt_dl_not_saved, why, sizeof(why)), ==, -1);
	CHECK_STR(why, "--ip holds a line break");
	unlink(path);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_ini.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_float();
	test_read();
	test_blame();
	test_round_trip();
	rmdir(dir);
	return check_summary("ini");
}
