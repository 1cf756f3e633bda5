/* check.h - counting checks for the unit tests.
 *
 * Every CHECK* adds one to the passes or, printing file:line and what was
 * expected, to the failures; none of them stops the test.  A test's main()
 * ends with `return check_summary("name");`, which prints the last line
 * "name: N passed, M failed" and gives the exit status.
 *
 * The *_AT forms take the line to report, for helpers that check on their
 * caller's behalf.  Each argument is evaluated once. */
#ifndef BT_TEST_CHECK_H
#define BT_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_npass, check_nfail;

#if defined(__mips__)
#include <stdlib.h>
#endif
/* qemu-user 7.2 passes SO_ERROR through untranslated for MIPS guests: a
 * refused connect reads as the host's errno 111, not MIPS's ECONNREFUSED
 * (146).  CHECK_REFUSED is the errno a refused connect reads as: 111 for a
 * MIPS test run by the cross exe wrapper (qemu), else ECONNREFUSED. */
static inline int
check_qemu_mips_(void)
{
#if defined(__mips__)
	const char *w = getenv("MESON_EXE_WRAPPER");
	return w && strstr(w, "qemu-mips") != NULL;
#else
	return 0;
#endif
}
#define CHECK_REFUSED	(check_qemu_mips_() ? 111 : ECONNREFUSED)

static inline int
check_true_(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		check_npass++;
	} else {
		check_nfail++;
		fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, what);
	}
	return ok;
}

/* op is one of == != < <= > >= (as text, so that a and b are evaluated
 * once). */
static inline int
check_int_(long long va, const char *op, long long vb, const char *file, int line,
	const char *a, const char *b)
{
	int ok;
	if (strcmp(op, "==") == 0)
		ok = va == vb;
	else if (strcmp(op, "!=") == 0)
		ok = va != vb;
	else if (strcmp(op, "<") == 0)
		ok = va < vb;
	else if (strcmp(op, "<=") == 0)
		ok = va <= vb;
	else if (strcmp(op, ">") == 0)
		ok = va > vb;
	else if (strcmp(op, ">=") == 0)
		ok = va >= vb;
	else
		ok = 0;
	if (ok) {
		check_npass++;
	} else {
		check_nfail++;
		fprintf(stderr, "%s:%d: FAIL: %s %s %s (%lld vs %lld)\n", file, line, a, op,
			b, va, vb);
	}
	return ok;
}

static inline int
check_str_(const char *x, const char *y, const char *file, int line, const char *a,
	const char *b)
{
	int ok = x && y && strcmp(x, y) == 0;
	if (ok) {
		check_npass++;
	} else {
		check_nfail++;
		fprintf(stderr, "%s:%d: FAIL: %s == %s (\"%s\" vs \"%s\")\n", file, line, a, b,
			x ? x : "(null)", y ? y : "(null)");
	}
	return ok;
}

/* Shows up to 64 bytes of both sides, non-printable bytes escaped. */
static inline void
check_dump_(const char *tag, const void *p, size_t n)
{
	const unsigned char *s = p;
	fprintf(stderr, "    %s (%zu bytes): \"", tag, n);
	for (size_t k = 0; s && k < n && k < 64; k++)
		fprintf(stderr, s[k] >= 32 && s[k] < 127 && s[k] != '"' ? "%c" : "\\x%02x", s[k]);
	fprintf(stderr, "%s\"\n", n > 64 ? "..." : "");
}

static inline int
check_mem_(const void *x, size_t nx, const void *y, size_t ny, const char *file,
	int line, const char *a, const char *b)
{
	int ok = nx == ny && (nx == 0 || (x && y && memcmp(x, y, nx) == 0));
	if (ok) {
		check_npass++;
	} else {
		check_nfail++;
		fprintf(stderr, "%s:%d: FAIL: bytes of %s == %s\n", file, line, a, b);
		check_dump_("got ", x, nx);
		check_dump_("want", y, ny);
	}
	return ok;
}

static inline int
check_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_npass, check_nfail);
	fflush(stdout);
	return check_nfail != 0 || check_npass == 0;
}

#define CHECK_AT(line, c) check_true_((c) != 0, __FILE__, (line), #c)
#define CHECK(c) CHECK_AT(__LINE__, c)

#define CHECK_INT_AT(line, a, op, b) \
	check_int_((long long)(a), #op, (long long)(b), __FILE__, (line), #a, #b)
#define CHECK_INT(a, op, b) CHECK_INT_AT(__LINE__, a, op, b)

#define CHECK_STR_AT(line, a, b) check_str_((a), (b), __FILE__, (line), #a, #b)
#define CHECK_STR(a, b) CHECK_STR_AT(__LINE__, a, b)

/* (x, nx) holds exactly the bytes (y, ny). */
#define CHECK_MEM_AT(line, x, nx, y, ny) \
	check_mem_((x), (nx), (y), (ny), __FILE__, (line), #x, #y)
#define CHECK_MEM(x, nx, y, ny) CHECK_MEM_AT(__LINE__, x, nx, y, ny)
/* (x, nx) holds exactly the C string s (without its NUL). */
#define CHECK_MEMS(x, nx, s) CHECK_MEM_AT(__LINE__, x, nx, s, strlen(s))

#endif
