#!/usr/bin/env python3
"""gen-text.py OUTDIR SOURCE... - the build's step that keeps bt's long texts
(option help, an applet's about and notes) deflated in the program, as
BusyBox keeps its usage texts (see src/base/text.h).

For each SOURCE it writes OUTDIR/<its name>, a copy in which every
TX("...") is BT_TX_REF(n), n being the text's number (1, 2, ...; the same
text has one number), on as many lines as the original so the compiler's
messages point at SOURCE (#line).  The argument of TX is string literals,
and names #defined to string literals earlier in the same file.  Then it
writes OUTDIR/text_blob.c: the texts in number order, each ended by a NUL,
compressed with zlib.  Any other shape of TX(...) stops the build with
the file and line."""
import os
import re
import sys
import zlib

IDENT = re.compile(r'[A-Za-z_]\w*')
MAX_TEXTS = 4095    # BT_TEXT_MAX in src/base/text.h
ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'",
           'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '?': '?'}


class Bad(Exception):
    pass


def literal_end(src, i):
    """Index just past the string or character literal starting at i."""
    q = src[i]
    i += 1
    while i < len(src) and src[i] != q:
        if src[i] == '\n':
            raise Bad('unterminated literal')
        i += 2 if src[i] == '\\' else 1
    if i >= len(src):
        raise Bad('unterminated literal')
    return i + 1


def skip_space(src, i):
    """Past white space and comments."""
    while i < len(src):
        if src[i].isspace():
            i += 1
        elif src.startswith('/*', i):
            j = src.find('*/', i + 2)
            if j < 0:
                raise Bad('unterminated comment')
            i = j + 2
        elif src.startswith('//', i):
            j = src.find('\n', i)
            i = len(src) if j < 0 else j
        else:
            break
    return i


def decode(body):
    """The bytes of a literal's body (between the quotes)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in ESCAPES:
            out.append(ESCAPES[e])
            i += 2
        elif e == 'x':
            m = re.match(r'[0-9a-fA-F]+', body[i + 2:])
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        elif e in '01234567':
            m = re.match(r'[0-7]{1,3}', body[i + 1:])
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        else:
            raise Bad('unknown escape \\' + e)
    return ''.join(out)


def strings_at(src, i, macros):
    """The text of the string literals and macro names from i up to the
    ')' that closes TX(; returns (text, index past the ')')."""
    parts = []
    while True:
        i = skip_space(src, i)
        if i >= len(src):
            raise Bad('TX( not closed')
        if src[i] == ')':
            if not parts:
                raise Bad('TX() without a text')
            return ''.join(parts), i + 1
        if src[i] == '"':
            j = literal_end(src, i)
            parts.append(decode(src[i + 1:j - 1]))
            i = j
            continue
        m = IDENT.match(src, i)
        if not m or m.group(0) not in macros:
            raise Bad('TX( takes string literals and names #defined to them')
        parts.append(macros[m.group(0)])
        i = m.end()


DEFINE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+(".*")[ \t]*$', re.M)


def rewrite(path, src, texts, numbers):
    """src with each TX(...) numbered; texts and numbers grow."""
    out, i, last = [], 0, 0
    macros = {}
    while i < len(src):
        c = src[i]
        if c in '"\'':
            i = literal_end(src, i)
        elif src.startswith('/*', i) or src.startswith('//', i):
            i = skip_space(src, i)
        elif c == '#' and (i == 0 or src[i - 1] == '\n'):
            j = src.find('\n', i)
            if re.search(r'\bTX\s*\(', src[i:len(src) if j < 0 else j]):
                raise Bad('%s:%d: TX( in a preprocessor line'
                          % (path, src.count('\n', 0, i) + 1))
            m = DEFINE.match(src, i)
            if m:
                macros[m.group(1)], _ = strings_at(m.group(2) + ')', 0, {})
            i = len(src) if j < 0 else j
        elif c.isalpha() or c == '_':
            m = IDENT.match(src, i)
            j = skip_space(src, m.end())
            if m.group(0) == 'TX' and j < len(src) and src[j] == '(':
                line = src.count('\n', 0, i) + 1
                try:
                    text, end = strings_at(src, j + 1, macros)
                except Bad as e:
                    raise Bad('%s:%d: %s' % (path, line, e))
                if '\0' in text:
                    raise Bad('%s:%d: a text with a NUL' % (path, line))
                if text not in numbers:
                    texts.append(text)
                    numbers[text] = len(texts)
                out.append(src[last:i])
                out.append('BT_TX_REF(%d)' % numbers[text])
                out.append('\n' * src.count('\n', i, end))
                i = last = end
            else:
                i = m.end()
        else:
            i += 1
    out.append(src[last:])
    return ''.join(out)


def blob_c(texts):
    raw = ''.join(t + '\0' for t in texts).encode('utf-8')
    z = zlib.compress(raw, 9)
    rows = []
    for k in range(0, len(z), 16):
        rows.append('\t' + ' '.join('%d,' % b for b in z[k:k + 16]))
    return ('/* Made by scripts/gen-text.py: %d texts, %d bytes, deflated. */\n'
            '#include "text.h"\n\n'
            'const unsigned char bt_text_blob[] = {\n%s\n};\n'
            'const unsigned long bt_text_blob_len = %d;\n'
            'const unsigned long bt_text_raw_len = %d;\n'
            'const unsigned bt_text_count = %d;\n'
            % (len(texts), len(raw), '\n'.join(rows), len(z), len(raw), len(texts)))


def write(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write('usage: gen-text.py OUTDIR SOURCE...\n')
        return 2
    outdir, sources = argv[1], argv[2:]
    texts, numbers, copies = [], {}, []
    try:
        for path in sources:
            with open(path, encoding='utf-8') as f:
                src = f.read()
            name = os.path.basename(path)
            if any(name == n for n, _ in copies):
                raise Bad('%s: two sources named %s' % (path, name))
            body = rewrite(path, src, texts, numbers)
            copies.append((name, '#line 1 "%s"\n%s' % (os.path.abspath(path), body)))
        if len(texts) > MAX_TEXTS:
            raise Bad('%d texts, more than %d' % (len(texts), MAX_TEXTS))
    except Bad as e:
        sys.stderr.write('gen-text.py: %s\n' % e)
        return 1
    for name, body in copies:
        write(os.path.join(outdir, name), body)
    write(os.path.join(outdir, 'text_blob.c'), blob_c(texts))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
