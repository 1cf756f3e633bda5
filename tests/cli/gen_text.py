#!/usr/bin/env python3
"""gen_text.py GEN_TEXT CC - scripts/gen-text.py on a small source: its
texts are numbered and packed in order, long formats of printf-like calls
go into the blob while the copy keeps each call in a branch the compiler
checks (snprintf's as bt_snprintf), the copy has the original's lines
after its feature macros and text.h, escaped and UTF-8 bytes are packed as
the compiler reads them, a function of one file only is left
alone elsewhere, and a wrong format in such a call still fails to
compile."""
import os
import re
import subprocess
import sys
import tempfile
import zlib

HEADER = r'''
#include <stdint.h>
#include <stdio.h>
#define TX(s) (s)
#define BT_TX_REF(n) ((const char *)(uintptr_t)(n))
const char *bt_text(const char *s);
void bt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int bt_snprintf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
'''

SOURCE = r'''#define _GNU_SOURCE
#include <stdio.h>
#define NOTE "a note defined as a macro"
static const char *help = TX("the help of an option, "
	"on two lines");
static const char *note = TX(NOTE);
void f(int n, const char *s);
void f(int n, const char *s)
{
	printf("short %d\n", n);
	bt_warn("bytes \xef\xbf\xbd and é: %d", n);
	bt_warn("a message long enough to be deflated: %s",
		s);
	bt_warn("a message without arguments, long enough");
	printf("a printf format that is long enough to go, %d %s\n", n, s);
	printf("a printf format too short: %d\n", n);
	bt_warn("a message with a comment in its call: %d", // here
		n);
	char buf[64];
	snprintf(buf, sizeof(buf), "an snprintf format: %d", n);
	say(1, "another file's say, not this one's: %d", n);
	(void)help;
	(void)note;
}
'''

failed = 0


def check(ok, what):
    global failed
    if not ok:
        failed += 1
        print('FAIL: ' + what)


def gen(tmp, src):
    path = os.path.join(tmp, 'in', 'sample.c')
    with open(path, 'w') as f:
        f.write(src)
    out = os.path.join(tmp, 'out')
    r = subprocess.run([sys.executable, sys.argv[1], out, path], capture_output=True, text=True)
    check(r.returncode == 0, 'gen-text ran: ' + r.stderr)
    with open(os.path.join(out, 'in_sample.c')) as f:
        copy = f.read()
    with open(os.path.join(out, 'text_blob.c')) as f:
        blob = f.read()
    return copy, blob


def compiles(tmp, copy):
    with open(os.path.join(tmp, 'out', 'text.h'), 'w') as f:
        f.write(HEADER)
    path = os.path.join(tmp, 'out', 'in_sample.c')
    with open(path, 'w') as f:
        f.write(copy)
    r = subprocess.run([sys.argv[2], '-fsyntax-only', '-Wall', '-Wextra', '-Werror',
                        '-Wformat-security', '-I', os.path.join(tmp, 'out'), path],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, 'in'))
        os.mkdir(os.path.join(tmp, 'out'))
        copy, blob = gen(tmp, SOURCE)
        body = copy[copy.index('#line 1'):]
        check(body.count('\n') == SOURCE.count('\n') + 1, 'the copy has the original lines')
        nums = [int(x) for x in re.findall(r'\b\d+\b', blob.split('{', 1)[1].split('}', 1)[0])]
        texts = zlib.decompress(bytes(nums)).decode().split('\0')[:-1]
        check(texts[:6] == ['the help of an option, on two lines', 'a note defined as a macro',
                            'bytes \ufffd and \xe9: %d',
                            'a message long enough to be deflated: %s',
                            'a message without arguments, long enough',
                            'a printf format that is long enough to go, %d %s\n'],
              'the texts, in order: %r' % texts)
        check(texts[6:] == ['an snprintf format: %d'], 'snprintf\'s format goes too')
        check(len(texts) == 7, 'short formats, a call with a // comment and another file\'s '
              'function stay')
        check(copy.startswith('#define _GNU_SOURCE\n#include "text.h"\n'),
              'feature macros come before text.h')
        check(re.search(r'bt_snprintf\(buf, sizeof\(buf\),\s*BT_TX_REF\(7\), n\)', body),
              'snprintf becomes bt_snprintf')
        check('(0 ? bt_warn("a message long enough to be deflated: %s",' in body and
              re.search(r'bt_warn\(BT_TX_REF\(4\),\s+s\)\)', body) is not None,
              'a message becomes a checked pair')
        check('bt_text(BT_TX_REF(6)), n, s)' in body, 'printf gets bt_text()')
        check('printf("short %d\\n", n);' in body, 'a short printf format stays')
        ok, err = compiles(tmp, copy)
        check(ok, 'the copy compiles: ' + err)
        bad, _ = gen(tmp, SOURCE.replace('deflated: %s', 'deflated: %d'))
        ok, err = compiles(tmp, bad)
        check(not ok and 'format' in err, 'a wrong format still fails to compile')
    print('gen_text: %s' % ('ok' if not failed else '%d failed' % failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
