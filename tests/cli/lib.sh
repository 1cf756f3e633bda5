# lib.sh - helpers shared by the CLI test scripts.
#
# Usage, at the top of a script:
#     NAME=names
#     . "$(dirname "$0")/lib.sh"      # takes the path of bt from $1
# It makes a temporary directory $T (removed on exit), cd's into it, and
# defines:
#   fail MSG                  count a failure and print MSG on stderr
#   pass                      count a pass
#   skip MSG                  print SKIP MSG and count a pass
#   check DESC cmd...         pass when cmd succeeds, else fail DESC
#   run cmd...                run cmd; $RC, stdout in $OUT, stderr in $ERR
#                             ($BOTH is free for the caller to combine them)
#   expect_exit CODE cmd...   run cmd and check its exit status
#   expect_eq DESC GOT WANT   compare two strings (shows both on failure)
#   expect_file_eq DESC GOT_FILE WANT_FILE   compare two files
#   expect_grep TEXT FILE     FILE contains the fixed string TEXT
#   expect_nogrep TEXT FILE   FILE does not contain TEXT
#   expect_egrep RE FILE      FILE matches the extended regex RE
#   wait_file FILE SECS       until FILE exists (1 after SECS)
#   field KEY FILE            the value of FILE's first "KEY value" line (as
#                             the Python helpers print them)
#   tq FILE EXPR              decode the .torrent FILE and print the Python
#                             expression EXPR over: t (decoded: strings are
#                             str, surrogate-escaped), raw (file bytes),
#                             info_raw (the exact bytes of the top-level
#                             info value), ih (SHA-1 hex of info_raw).
#                             by(s) gives the bytes of a decoded string.
#                             A str result prints as is, others as JSON.
#   bwrite FILE CODE          run the Python CODE, which must set obj, and
#                             write bencode(obj) to FILE.  CODE can use
#                             load(path) (decoded torrent), pieces(data,
#                             plen) (concatenated SHA-1s) and hashlib.
#   finish                    print "NAME: N passed, M failed" and exit
set -u
BT=${1:?usage: $0 path/to/bt}
case $BT in /*) ;; *) BT=$PWD/$BT ;; esac
if [ ! -x "$BT" ]; then
	echo "$NAME: $BT is not an executable" >&2
	exit 2
fi
PY=/usr/bin/python3
PASS=0
FAIL=0
T=$(mktemp -d "${TMPDIR:-/tmp}/bt-cli-$NAME.XXXXXX") || exit 2
# chmod first: a test may leave a read-only directory behind.
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 2
RC=0
OUT=$T/.out
ERR=$T/.err
# shellcheck disable=SC2034  # for the scripts that source this
BOTH=$T/.both

pass() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL: %s\n' "$*" >&2
}
skip() {
	printf 'SKIP: %s\n' "$*"
	PASS=$((PASS + 1))
}
check() {
	local desc=$1
	shift
	if "$@"; then pass; else fail "$desc"; fi
}
run() {
	"$@" >"$OUT" 2>"$ERR"
	RC=$?
}
expect_exit() {
	local want=$1
	shift
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		pass
	else
		fail "exit $RC, want $want: $*"
		sed 's/^/    stdout: /' "$OUT" | head -5 >&2
		sed 's/^/    stderr: /' "$ERR" | head -5 >&2
	fi
}
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1"
		printf '    got:  %s\n    want: %s\n' "$2" "$3" >&2
	fi
}
expect_file_eq() {
	if cmp -s "$2" "$3"; then
		pass
	else
		fail "$1"
		diff -u "$3" "$2" | head -40 >&2
	fi
}
expect_grep() {
	if grep -qF -e "$1" "$2"; then
		pass
	else
		fail "'$1' not in $(basename "$2")"
		sed 's/^/    | /' "$2" | head -10 >&2
	fi
}
expect_nogrep() {
	if grep -qF -e "$1" "$2"; then
		fail "'$1' unexpectedly in $(basename "$2")"
		grep -F -e "$1" "$2" | sed 's/^/    | /' | head -5 >&2
	else
		pass
	fi
}
expect_egrep() {
	if grep -qE -e "$1" "$2"; then
		pass
	else
		fail "/$1/ not matched in $(basename "$2")"
		sed 's/^/    | /' "$2" | head -10 >&2
	fi
}
finish() {
	echo "$NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
}
have() { command -v "$1" >/dev/null 2>&1; }
wait_file() {
	for _ in $(seq $(($2 * 10))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
field() { sed -n "s/^$1 //p" "$2" | head -n 1; }

# The bencode helper used by tq and bwrite.
cat >"$T/.benc.py" <<'PYEOF'
import sys, hashlib, json

def dec(b, i, depth, spans):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = dec(b, i, depth + 1, spans)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = dec(b, i, depth + 1, spans)
            s = i
            v, i = dec(b, i, depth + 1, spans)
            if depth == 0:
                spans[k] = (s, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        j = b.index(b":", i)
        n = int(b[i:j])
        if j + 1 + n > len(b):
            raise ValueError("truncated string")
        return b[j + 1:j + 1 + n].decode("utf-8", "surrogateescape"), j + 1 + n
    raise ValueError("bad bencoding at %d" % i)

def decode(b):
    spans = {}
    v, end = dec(b, 0, 0, spans)
    if end != len(b):
        raise ValueError("trailing data")
    return v, spans

def load(path):
    return decode(open(path, "rb").read())[0]

def enc(x):
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode("utf-8", "surrogateescape")
    if isinstance(x, (bytes, bytearray)):
        return b"%d:" % len(x) + bytes(x)
    if isinstance(x, (list, tuple)):
        return b"l" + b"".join(enc(v) for v in x) + b"e"
    if isinstance(x, dict):
        def kb(k):
            return k.encode("utf-8", "surrogateescape") if isinstance(k, str) else k
        return b"d" + b"".join(enc(k) + enc(x[k]) for k in sorted(x, key=kb)) + b"e"
    raise TypeError(type(x))

def by(s):
    return s.encode("utf-8", "surrogateescape")

def pieces(data, plen):
    if isinstance(data, str):
        data = data.encode()
    return b"".join(hashlib.sha1(data[k:k + plen]).digest()
                    for k in range(0, len(data), plen))

def show(v):
    if isinstance(v, str):
        print(v)
    else:
        print(json.dumps(v))

mode = sys.argv[1]
if mode == "q":
    raw = open(sys.argv[2], "rb").read()
    t, spans = decode(raw)
    s = spans.get("info")
    info_raw = raw[s[0]:s[1]] if s else b""
    ih = hashlib.sha1(info_raw).hexdigest()
    show(eval(sys.argv[3]))
elif mode == "w":
    env = {"load": load, "pieces": pieces, "hashlib": hashlib, "enc": enc}
    exec(sys.argv[3], env)
    data = env["obj"] if isinstance(env["obj"], bytes) else enc(env["obj"])
    open(sys.argv[2], "wb").write(data)
PYEOF
tq() { "$PY" "$T/.benc.py" q "$@"; }
bwrite() { "$PY" "$T/.benc.py" w "$@"; }
