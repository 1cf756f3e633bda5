#!/usr/bin/env bash
# makemetafile.sh - `bt makemetafile`: arguments, targets, the keys written,
# the automatic piece length, directory walks, option errors, progress.
NAME=makemetafile
. "$(dirname "$0")/lib.sh"

# -f: most cases below make the same target again.
MK() { "$BT" makemetafile -f "$@"; }

# ---- usage
expect_exit 2 "$BT" makemetafile
cat "$OUT" "$ERR" >"$BOTH"
expect_grep "Usage: bt makemetafile <trackerurl> <file> [file...] [params...]" "$BOTH"
expect_grep "--piece_size_pow2 <arg>" "$BOTH"
expect_exit 2 "$BT" makemetafile http://tracker/announce
cat "$OUT" "$ERR" >"$BOTH"
expect_grep "Usage:" "$BOTH"
echo data >one
expect_exit 2 MK one --comment hi
expect_grep "bt makemetafile: too few arguments" "$ERR"
check "one positional makes no torrent" [ ! -e one.torrent ]

# ---- default target, trailing slash, --target, several inputs
printf 'hello world\n' >file1
mkdir dir1 && printf 'abc' >dir1/x
expect_exit 0 MK http://t/announce file1
check "default target file1.torrent" [ -s file1.torrent ]
expect_eq "single-file name" "$(tq file1.torrent 't["info"]["name"]')" file1
expect_eq "single-file length" "$(tq file1.torrent 't["info"]["length"]')" 12
expect_eq "single-file has no files key" "$(tq file1.torrent '"files" in t["info"]')" false
expect_exit 0 MK http://t/announce dir1/
check "trailing / ignored: dir1.torrent" [ -s dir1.torrent ]
check "trailing / ignored: no dir1/.torrent" [ ! -e dir1/.torrent ]
expect_eq "dir name without the slash" "$(tq dir1.torrent 't["info"]["name"]')" dir1
expect_exit 0 MK http://t/announce "$T/dir1//"
expect_eq "absolute dir with slashes: name" "$(tq dir1.torrent 't["info"]["name"]')" dir1
expect_exit 0 MK http://t/announce file1 --target "$T/elsewhere.torrent"
check "--target writes there" [ -s elsewhere.torrent ]
expect_eq "--target: same info as the default" "$(tq elsewhere.torrent ih)" "$(tq file1.torrent ih)"
printf 'second' >file2
rm -f file1.torrent
expect_exit 0 MK http://t/announce file1 file2 dir1
check "several inputs: file1.torrent" [ -s file1.torrent ]
check "several inputs: file2.torrent" [ -s file2.torrent ]
check "several inputs: dir1.torrent" [ -s dir1.torrent ]
expect_eq "several inputs: file2 name" "$(tq file2.torrent 't["info"]["name"]')" file2
# Options may come anywhere, the last repeat wins.
expect_exit 0 MK --comment one http://t/announce --comment two file2 --no_date 1
expect_eq "interleaved options, last wins" "$(tq file2.torrent 't["comment"]')" two
expect_exit 2 MK http://t/announce file1 file2 --target both.torrent
check "--target with several inputs makes nothing" [ ! -e both.torrent ]
expect_grep "target" "$ERR"

# ---- the keys written
expect_exit 0 MK 'http://t:6969/announce?x=1&y' file1 --created_by '' --no_date 1
expect_eq "minimal keys" "$(tq file1.torrent 'sorted(t)')" '["announce", "info"]'
expect_eq "announce verbatim" "$(tq file1.torrent 't["announce"]')" 'http://t:6969/announce?x=1&y'
expect_eq "info keys" "$(tq file1.torrent 'sorted(t["info"])')" '["length", "name", "piece length", "pieces"]'
expect_exit 0 MK http://t/announce file1
expect_eq "default keys" "$(tq file1.torrent 'sorted(t)')" '["announce", "created by", "creation date", "info"]'
expect_egrep '^bt/' <(tq file1.torrent 't["created by"]')
now=$(date +%s)
cd_=$(tq file1.torrent 't["creation date"]')
check "creation date is about now" [ $((cd_ - now <= 5 && now - cd_ <= 60)) -eq 1 ]
expect_eq "no encoding key" "$(tq file1.torrent '"encoding" in t')" false
expect_exit 0 MK http://t/announce file1 --created_by 'me 1.0'
expect_eq "--created_by" "$(tq file1.torrent 't["created by"]')" 'me 1.0'
expect_exit 0 MK http://t/announce file1 --comment ''
expect_eq "empty comment not written" "$(tq file1.torrent '"comment" in t')" false
expect_exit 0 MK http://t/announce file1 --comment 'a comment, with | chars'
expect_eq "comment written" "$(tq file1.torrent 't["comment"]')" 'a comment, with | chars'
expect_exit 0 MK http://t/announce file1 --announce-list 'http://a/1,http://b/2|http://c/3'
expect_eq "announce-list tiers" "$(tq file1.torrent 't["announce-list"]')" \
	'[["http://a/1", "http://b/2"], ["http://c/3"]]'
expect_exit 0 MK http://t/announce file1 --announce-list ',http://a/1,,http://b/2,||http://c/3|,|'
expect_eq "announce-list: empty items and tiers dropped" "$(tq file1.torrent 't["announce-list"]')" \
	'[["http://a/1", "http://b/2"], ["http://c/3"]]'
expect_exit 0 MK http://t/announce file1 --announce-list '|,|'
expect_eq "announce-list of nothing is not written" "$(tq file1.torrent '"announce-list" in t')" false
expect_exit 0 MK http://t/announce file1 --httpseeds 'http://s/1|http://s/2'
expect_eq "httpseeds" "$(tq file1.torrent 't["httpseeds"]')" '["http://s/1", "http://s/2"]'
expect_eq "httpseeds: no url-list" "$(tq file1.torrent '"url-list" in t')" false
expect_exit 0 MK http://t/announce file1 --webseeds 'http://w/1||http://w/2'
expect_eq "--webseeds writes url-list" "$(tq file1.torrent 't["url-list"]')" '["http://w/1", "http://w/2"]'
expect_eq "--webseeds: no httpseeds" "$(tq file1.torrent '"httpseeds" in t')" false
expect_exit 0 MK http://t/announce file1
expect_eq "not private by default" "$(tq file1.torrent '"private" in t["info"]')" false
h_public=$(tq file1.torrent ih)
expect_exit 0 MK http://t/announce file1 --private 1
expect_eq "--private 1" "$(tq file1.torrent 't["info"]["private"]')" 1
check "--private changes the info hash" [ "$(tq file1.torrent ih)" != "$h_public" ]
expect_exit 0 MK http://t/announce file1 --source SRC
expect_eq "--source goes into info" "$(tq file1.torrent 't["info"]["source"]')" SRC
expect_exit 0 MK http://t/announce file1 --name other
expect_eq "--name" "$(tq file1.torrent 't["info"]["name"]')" other
check "--name keeps the default target" [ ! -e other.torrent ]
# A name our own reader would refuse is refused up front, not written.
rm -f odd.torrent
expect_exit 2 MK http://t/announce file1 --name 'a\b' --target odd.torrent
check "--name with a backslash writes nothing" [ ! -e odd.torrent ]

# ---- pieces are the SHA-1s of the concatenated data, across file ends
mkdir tree tree/sub tree/sub/deep
"$PY" -c '
import os
sizes = {"tree/a": 1000, "tree/sub/b": 20000, "tree/sub/deep/c": 16384, "tree/sub/e": 0, "tree/z": 777}
for i, (p, n) in enumerate(sorted(sizes.items())):
    open(p, "wb").write(bytes((i * 37 + k * 7) & 255 for k in range(n)))
'
expect_exit 0 MK http://t/announce tree --piece_size_pow2 14 --no_date 1
expect_eq "piece length 2^14" "$(tq tree.torrent 't["info"]["piece length"]')" 16384
expect_eq "file list: sorted per level, depth first, empty file kept" \
	"$(tq tree.torrent '[("/".join(f["path"]), f["length"]) for f in t["info"]["files"]]')" \
	'[["a", 1000], ["sub/b", 20000], ["sub/deep/c", 16384], ["sub/e", 0], ["z", 777]]'
want=$("$PY" -c '
import hashlib
d = b"".join(open(p, "rb").read() for p in ["tree/a", "tree/sub/b", "tree/sub/deep/c", "tree/sub/e", "tree/z"])
print(b"".join(hashlib.sha1(d[k:k + 16384]).digest() for k in range(0, len(d), 16384)).hex())
')
expect_eq "pieces = SHA-1 of each piece of the concatenation" \
	"$(tq tree.torrent 'by(t["info"]["pieces"]).hex()')" "$want"
for th in 1 3; do
	MK http://t/announce tree --piece_size_pow2 14 --no_date 1 --threads "$th" --target "t$th.torrent" >/dev/null
	expect_file_eq "--threads $th gives the same bytes" "t$th.torrent" tree.torrent
done
expect_exit 2 MK http://t/announce tree --threads -1

# ---- --piece_size_pow2
expect_exit 0 MK http://t/announce file1 --piece_size_pow2 20
expect_eq "--piece_size_pow2 20" "$(tq file1.torrent 't["info"]["piece length"]')" 1048576
expect_exit 0 MK http://t/announce file1 --piece_size_pow2 28
expect_eq "--piece_size_pow2 28" "$(tq file1.torrent 't["info"]["piece length"]')" 268435456
expect_exit 0 MK http://t/announce file1 --piece_size_pow2 0
expect_eq "--piece_size_pow2 0 is automatic" "$(tq file1.torrent 't["info"]["piece length"]')" 32768
for p in 13 29 -1 1; do
	rm -f file1.torrent
	expect_exit 2 MK http://t/announce file1 --piece_size_pow2 "$p"
	check "--piece_size_pow2 $p makes nothing" [ ! -e file1.torrent ]
done

# ---- automatic piece length (sparse files; strict > at 4M/16M/64M/512M)
M=1048576
for c in "1:32768" "$((4 * M)):32768" "$((4 * M + 1)):65536" "$((16 * M)):65536" \
	"$((16 * M + 1)):131072" "$((64 * M)):131072" "$((64 * M + 1)):262144" \
	"$((512 * M)):262144" "$((512 * M + 1)):524288"; do
	size=${c%%:*}
	want=${c#*:}
	rm -f sparse sparse.torrent
	truncate -s "$size" sparse
	MK http://t/announce sparse >/dev/null 2>&1
	expect_eq "automatic piece length for $size bytes" "$(tq sparse.torrent 't["info"]["piece length"]')" "$want"
	expect_eq "piece count for $size bytes" "$(tq sparse.torrent 'len(by(t["info"]["pieces"])) // 20')" \
		"$(( (size + want - 1) / want ))"
done
# Beyond 32 bits: 4 GiB + 1 (> 2 GiB -> 1 MiB pieces), right lengths and hashes.
rm -f sparse sparse.torrent
truncate -s $((4096 * M + 1)) sparse
expect_exit 0 MK http://t/announce sparse
expect_eq "4 GiB + 1: piece length" "$(tq sparse.torrent 't["info"]["piece length"]')" 1048576
expect_eq "4 GiB + 1: length" "$(tq sparse.torrent 't["info"]["length"]')" 4294967297
expect_eq "4 GiB + 1: pieces are right" "$(tq sparse.torrent '
by(t["info"]["pieces"]) == hashlib.sha1(bytes(1 << 20)).digest() * 4096 + hashlib.sha1(b"\0").digest()')" true
run "$BT" showmetainfo sparse.torrent
expect_grep "file size.....: 4294967297 (4096 * 1048576 + 1)" "$OUT"
rm -f sparse sparse.torrent
# The table uses the total of a directory.
mkdir sp
truncate -s $((2 * M)) sp/a
truncate -s $((2 * M)) sp/b
expect_exit 0 MK http://t/announce sp
expect_eq "4 MiB directory: 32768" "$(tq sp.torrent 't["info"]["piece length"]')" 32768
truncate -s 1 sp/c
expect_exit 0 MK http://t/announce sp
expect_eq "4 MiB + 1 directory: 65536" "$(tq sp.torrent 't["info"]["piece length"]')" 65536
rm -rf sp sp.torrent

# ---- dot files skipped at every level, byte order per level
mkdir walk walk/a walk/.hdir walk/a/.hsub walk/a/sub
for f in B a/z a-b a.txt .hid .hdir/x a/.hfile a/.hsub/y a/sub/k a/sub/.k; do
	printf '%s' "$f" >"walk/$f"
done
: >walk/a/empty
expect_exit 0 MK http://t/announce walk --no_date 1
expect_eq "dot files skipped, per-level byte order" \
	"$(tq walk.torrent '["/".join(f["path"]) for f in t["info"]["files"]]')" \
	'["B", "a/empty", "a/sub/k", "a/z", "a-b", "a.txt"]'
expect_eq "zero-length file listed" \
	"$(tq walk.torrent '[f["length"] for f in t["info"]["files"] if f["path"] == ["a", "empty"]]')" '[0]'
# Symlinks are followed.
ln -s ../file2 walk/link
expect_exit 0 MK http://t/announce walk --no_date 1
expect_eq "symlink followed" \
	"$(tq walk.torrent '[f["length"] for f in t["info"]["files"] if f["path"] == ["link"]]')" '[6]'

# ---- option errors
for args in "--bogus 1" "--comment" "--piece_size_pow2 2.0" "--private=x" "--threads x" "-q"; do
	rm -f file1.torrent
	# shellcheck disable=SC2086
	expect_exit 2 MK http://t/announce file1 $args
	expect_egrep '^bt makemetafile: ' "$ERR"
	expect_grep "Try 'bt makemetafile --help'." "$ERR"
	expect_eq "option error ($args): nothing on stdout" "$(wc -c <"$OUT")" 0
	check "option error ($args) makes nothing" [ ! -e file1.torrent ]
done
run MK http://t/announce file1 --bogus 1
expect_grep "bt makemetafile: --bogus: unknown option" "$ERR"
run MK http://t/announce file1 --comment
expect_grep "bt makemetafile: --comment: needs a value" "$ERR"
run MK http://t/announce file1 --piece_size_pow2 2.0
expect_grep "bt makemetafile: --piece_size_pow2: '2.0' is not a whole number" "$ERR"

# ---- missing and empty inputs
expect_exit 1 MK http://t/announce nothere
check "missing input: no torrent" [ ! -e nothere.torrent ]
expect_grep nothere "$ERR"
rm -f file2.torrent
expect_exit 1 MK http://t/announce nothere file2
check "missing input does not stop the others" [ -s file2.torrent ]
: >empty
expect_exit 1 MK http://t/announce empty
check "zero-size file refused" [ ! -e empty.torrent ]
expect_grep empty "$ERR"
mkdir emptydir emptydir/sub
: >emptydir/zero
: >emptydir/sub/zero
echo x >emptydir/.dot
expect_exit 1 MK http://t/announce emptydir
check "directory with no data refused" [ ! -e emptydir.torrent ]

# ---- progress
truncate -s $((3 * M)) prog
expect_exit 0 MK http://t/announce prog --piece_size_pow2 15
expect_eq "progress: last progress line" "$(tail -n 2 "$OUT" | head -n 1)" "100.0% complete"
expect_eq "progress: every line but the last is N.N% complete" \
	"$(sed '$d' "$OUT" | grep -cvE '^[0-9]{1,3}\.[0-9]% complete$')" 0
expect_eq "progress: nothing on stderr" "$(cat "$ERR")" ""
expect_eq "last line: path, pieces, piece size, info hash" "$(tail -n 1 "$OUT")" \
	"wrote prog.torrent: 96 pieces of 32 KiB, info hash $(tq prog.torrent ih)"
expect_exit 0 MK http://t/announce file1 --piece_size_pow2 20 --target "$T/one.torrent"
expect_eq "one piece of 1 MiB" "$(tail -n 1 "$OUT")" \
	"wrote $T/one.torrent: 1 piece of 1 MiB, info hash $(tq one.torrent ih)"
expect_eq "the hash shown is showmetainfo's" "$(tq one.torrent ih)" \
	"$("$BT" showmetainfo one.torrent | sed -n 's/^info hash.....: //p')"

# ---- an existing .torrent is not replaced without -f/--force
printf 'new data' >ow
printf 'precious' >ow.torrent
expect_exit 1 "$BT" makemetafile http://t/announce ow
expect_eq "existing file untouched" "$(cat ow.torrent)" precious
expect_grep "ow.torrent: already exists, not replaced (-f or --force replaces it)" "$ERR"
expect_nogrep "complete" "$OUT"
expect_exit 1 "$BT" makemetafile http://t/announce ow --force 0
expect_eq "--force 0: untouched" "$(cat ow.torrent)" precious
printf 'x' >ow2
expect_exit 1 "$BT" makemetafile http://t/announce ow ow2
check "the refused one does not stop the others" [ -s ow2.torrent ]
expect_eq "still untouched" "$(cat ow.torrent)" precious
for f in "-f" "--force" "--force 1"; do
	printf 'precious' >ow.torrent
	# shellcheck disable=SC2086
	expect_exit 0 "$BT" makemetafile http://t/announce ow $f
	expect_eq "$f replaces it" "$(tq ow.torrent 't["info"]["name"]')" ow
done
printf 'precious' >ow.torrent
expect_exit 0 "$BT" makemetafile -f http://t/announce --comment -f ow
expect_eq "-f as an option's value is the value" "$(tq ow.torrent 't["comment"]')" -f
printf 'precious' >tgt.torrent
expect_exit 1 "$BT" makemetafile http://t/announce ow --target tgt.torrent
expect_eq "--target: existing file untouched" "$(cat tgt.torrent)" precious
ln -s nowhere dangling.torrent
printf 'x' >dangling
expect_exit 1 "$BT" makemetafile http://t/announce dangling
check "a dangling link is not written through" [ ! -e nowhere ]

finish
