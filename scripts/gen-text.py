#!/usr/bin/env python3
"""gen-text.py OUTDIR SOURCE... - the build's step that keeps bt's long texts
(option help, an applet's about and notes) deflated in the program, as
BusyBox keeps its usage texts (see src/base/text.h).

For each SOURCE it writes OUTDIR/<its folder's name>_<its name> (say
client_lsd.c for src/client/lsd.c), a copy in which every
TX("...") is BT_TX_REF(n), n being the text's number (1, 2, ...; the same
text has one number), on as many lines as the original so the compiler's
messages point at SOURCE (#line).  The argument of TX is string literals,
and names #defined to string literals earlier in the same file.  Then it
writes OUTDIR/text_blob.c: the texts in number order, each ended by a NUL,
compressed with zlib.  Any other shape of TX(...) stops the build with
the file and line.

The formats of the printf-like calls in FMT_CALLS get the same when
written as string literals:
bt_warn("...%s...", x) becomes
(0 ? bt_warn("...%s...", x) : bt_warn(BT_TX_REF(n), x)), so the compiler
still checks the format against the arguments, in the branch it then
drops.  Our message functions pass their format through bt_text, and
snprintf's go to bt_snprintf, which does: there a number is shorter code
than an address, so every format goes.  For printf and the like the copy
passes bt_text(BT_TX_REF(n)), which costs a call, so only formats of
WRAP_LEAST bytes or more.  A name can be one file's own function (say,
launchmany.c's say).  A call with a // comment, a preprocessor line or
TX( inside is left as it is."""
import os
import re
import sys
import zlib

IDENT = re.compile(r'[A-Za-z_]\w*')
MAX_TEXTS = 4095    # BT_TEXT_MAX in src/base/text.h
WRAP_LEAST = 40     # bytes of a format worth a bt_text() call
# name: (the format's argument, how the copy passes a text's number - as
# it is (False: the function passes its format through bt_text), through
# bt_text (True) or to another function that does (its name) - and the one
# file whose function it is, or None).
FMT_CALLS = {
    'bt_warn': (0, False, None), 'bt_pwarn': (0, False, None),
    'bt_usage_error': (0, False, None), 'bt_die': (0, False, None),
    'bt_ini_say': (2, False, None), 'tor_say': (2, False, None),
    'tell': (2, False, 'trackd.c'), 'say': (2, False, 'launchmany.c'),
    'dl_warn': (1, False, 'download.c'), 'dl_log': (1, False, 'download.c'),
    'bad': (3, False, 'metainfo.c'), 'fail': (3, False, 'dfile.c'),
    'mkfail': (4, False, 'makemeta.c'), 'fail_why': (2, False, 'httpc.c'),
    'metric': (1, False, 'infopage.c'), 'bt_buf_adds': (1, False, None),
    'bt_buf_printf': (1, False, None), 'snprintf': (2, 'bt_snprintf', None),
    'printf': (0, True, None), 'fprintf': (1, True, None), 'mvprintw': (2, True, None),
}
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
    """The bytes of a literal's body (between the quotes), each byte a
    character (latin-1): the source's UTF-8 as its bytes, and "\\xef" as
    the byte 0xef, as the compiler reads them."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out.append(c.encode('utf-8').decode('latin-1'))
            i += 1
            continue
        e = body[i + 1]
        if e in ESCAPES:
            out.append(ESCAPES[e])
            i += 2
        elif e == 'x':
            m = re.match(r'[0-9a-fA-F]+', body[i + 2:])
            if int(m.group(0), 16) > 0xff:
                raise Bad('\\x' + m.group(0) + ' is not a byte')
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        elif e in '01234567':
            m = re.match(r'[0-7]{1,3}', body[i + 1:])
            if int(m.group(0), 8) > 0xff:
                raise Bad('\\' + m.group(0) + ' is not a byte')
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        else:
            raise Bad('unknown escape \\' + e)
    return ''.join(out)


def strings_at(src, i, macros):
    """The text of the string literals and macro names from i up to the
    ')' that closes TX(; returns (text, index past the ')')."""
    text, i = literals_at(src, i, macros)
    i = skip_space(src, i)
    if i >= len(src):
        raise Bad('TX( not closed')
    if src[i] != ')':
        raise Bad('TX( takes string literals and names #defined to them')
    if text is None:
        raise Bad('TX() without a text')
    return text, i + 1


def call_args(src, j):
    """For the call whose '(' is at j: where each argument starts, and the
    index just past its ')'."""
    starts, i, depth = [j + 1], j, 0
    while i < len(src):
        c = src[i]
        if c in '"\'':
            i = literal_end(src, i)
            continue
        if src.startswith('/*', i) or src.startswith('//', i):
            i = skip_space(src, i)
            continue
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                return starts, i + 1
        elif c == ',' and depth == 1:
            starts.append(i + 1)
        i += 1
    raise Bad('call not closed')


def literals_at(src, i, macros):
    """The text of the string literals (and names #defined to them) from i
    and the index past them, or (None, i) when there are none."""
    parts = []
    while True:
        j = skip_space(src, i)
        if j < len(src) and src[j] == '"':
            k = literal_end(src, j)
            parts.append(decode(src[j + 1:k - 1]))
            i = k
            continue
        m = IDENT.match(src, j)
        if m and m.group(0) in macros:
            parts.append(macros[m.group(0)])
            i = m.end()
            continue
        return (''.join(parts) if parts else None), i


def fmt_call(src, i, name, name_end, macros):
    """For a FMT_CALLS call whose name ends at name_end, (text, index of
    the format, index after it, index past the call), or None to leave
    it."""
    argn, how, _ = FMT_CALLS[name]
    least = WRAP_LEAST if how is True else 1
    j = skip_space(src, name_end)
    if j >= len(src) or src[j] != '(':
        return None
    starts, end = call_args(src, j)
    if argn >= len(starts):
        return None
    f = starts[argn]
    text, k = literals_at(src, f, macros)
    k = skip_space(src, k)
    if text is None or len(text) < least or '\0' in text or src[k] not in ',)':
        return None
    body = src[j:end]
    if '//' in body.replace('://', '') or '\n#' in body or re.search(r'\bTX\s*\(', body):
        return None
    return text, f, k, end


DEFINE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+(".*")[ \t]*$', re.M)


def fmt_name(name, path):
    """Whether name is a FMT_CALLS function in the file at path."""
    if name not in FMT_CALLS:
        return False
    only = FMT_CALLS[name][2]
    return only is None or only == os.path.basename(path)


def copy_name(path):
    """The copy's name: the original's, after its folder's."""
    return '%s_%s' % (os.path.basename(os.path.dirname(os.path.abspath(path))),
                      os.path.basename(path))


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
            name = m.group(0)
            call = fmt_call(src, i, name, m.end(), macros) if fmt_name(name, path) else None
            if call:
                text, f, k, end = call
                if text not in numbers:
                    texts.append(text)
                    numbers[text] = len(texts)
                ref = 'BT_TX_REF(%d)' % numbers[text]
                how = FMT_CALLS[name][1]
                if how is True:
                    ref = 'bt_text(%s)' % ref
                live = (how if isinstance(how, str) else name) + src[m.end():f] + ref + src[k:end]
                out.append(src[last:i])
                out.append('(0 ? %s : %s)' % (src[i:end], live.replace('\n', ' ')))
                i = last = end
            elif name == 'TX' and j < len(src) and src[j] == '(':
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


# A copy's formats (FMT_CALLS) are numbers where the compiler last sees
# them; it checked them in the branch it dropped.
COPY_HEAD = ('#include "text.h"\n'
             '#pragma GCC diagnostic ignored "-Wformat-security"\n'
             '#pragma GCC diagnostic ignored "-Wformat-nonliteral"\n')


FEATURE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+_\w*_SOURCE\b.*$', re.M)


def copy_head(src):
    """COPY_HEAD after the feature macros (_GNU_SOURCE) the source defines
    before its first #include, which must come before any header; the
    copy then defines them twice, the same way, which C allows."""
    first = src.find('#include')
    return ''.join(m.group(0) + '\n' for m in FEATURE.finditer(src, 0, max(first, 0))) + COPY_HEAD


def blob_c(texts):
    raw = ''.join(t + '\0' for t in texts).encode('latin-1')
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
            name = copy_name(path)
            if any(name == n for n, _ in copies):
                raise Bad('%s: two copies named %s' % (path, name))
            body = rewrite(path, src, texts, numbers)
            copies.append((name, copy_head(src) + '#line 1 "%s"\n%s' % (os.path.abspath(path), body)))
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
