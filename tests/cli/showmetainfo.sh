#!/usr/bin/env bash
# showmetainfo.sh - `bt showmetainfo`: exact output, several files, the
# true info hash, broken torrents.
NAME=showmetainfo
. "$(dirname "$0")/lib.sh"

SH() { "$BT" showmetainfo "$@"; }
MK() { "$BT" makemetafile "$@" --no_date 1 --created_by '' >/dev/null; }
HEADER='bt showmetainfo 20130326 - decode BitTorrent metainfo files'

# ---- no arguments
expect_exit 2 SH
printf '%s\n\n%s\n\n' "$HEADER" 'bt showmetainfo file1.torrent file2.torrent file3.torrent ...' >want
expect_file_eq "no arguments: header and example line" "$OUT" want
ln -s "$BT" btshowmetainfo.py
expect_exit 2 ./btshowmetainfo.py
printf '%s\n\n%s\n\n' 'btshowmetainfo 20130326 - decode BitTorrent metainfo files' \
	'btshowmetainfo file1.torrent file2.torrent file3.torrent ...' >want
expect_file_eq "legacy name: header and example use btshowmetainfo" "$OUT" want

# ---- single file, exact text
"$PY" -c 'open("hello.bin", "wb").write(bytes(k * 13 & 255 for k in range(100000)))'
MK http://t/announce hello.bin --piece_size_pow2 15
h1=$(tq hello.bin.torrent ih)
cat >want <<EOF
$HEADER

metainfo file.: hello.bin.torrent
info hash.....: $h1
file name.....: hello.bin
file size.....: 100000 (3 * 32768 + 1696)
announce url..: http://t/announce
magnet link...: magnet:?xt=urn:btih:$h1&dn=hello.bin&tr=http%3A%2F%2Ft%2Fannounce
EOF
expect_exit 0 SH hello.bin.torrent
expect_file_eq "single-file output" "$OUT" want
expect_eq "nothing on stderr" "$(cat "$ERR")" ""
# Only the base name of the .torrent is shown.
mkdir sub && cp hello.bin.torrent sub/
expect_exit 0 SH "$T/sub/hello.bin.torrent"
expect_file_eq "metainfo file shows the base name" "$OUT" want

# ---- multi file, exact text; q is total div piece length, not the count
mkdir tree tree/sub
"$PY" -c '
open("tree/a", "wb").write(b"a" * 1000)
open("tree/sub/b", "wb").write(b"b" * 20000)
open("tree/sub/e", "wb").write(b"")
'
MK http://t/announce tree --piece_size_pow2 14
h2=$(tq tree.torrent ih)
cat >want <<EOF
$HEADER

metainfo file.: tree.torrent
info hash.....: $h2
directory name: tree
files.........: 
   a (1000)
   sub/b (20000)
   sub/e (0)
archive size..: 21000 (1 * 16384 + 4616)
announce url..: http://t/announce
magnet link...: magnet:?xt=urn:btih:$h2&dn=tree&tr=http%3A%2F%2Ft%2Fannounce
EOF
expect_exit 0 SH tree.torrent
expect_file_eq "multi-file output" "$OUT" want

truncate -s 32768 even
MK http://t/announce even --piece_size_pow2 14
expect_exit 0 SH even.torrent
expect_grep "file size.....: 32768 (2 * 16384 + 0)" "$OUT"

# ---- several files in one run: one header, a blank line between torrents
expect_exit 0 SH hello.bin.torrent tree.torrent
# want holds tree's block; put hello's first.
{
	printf '%s\n\n' "$HEADER"
	printf 'metainfo file.: hello.bin.torrent\ninfo hash.....: %s\n' "$h1"
	printf 'file name.....: hello.bin\nfile size.....: 100000 (3 * 32768 + 1696)\n'
	printf 'announce url..: http://t/announce\n'
	printf 'magnet link...: magnet:?xt=urn:btih:%s&dn=hello.bin&tr=http%%3A%%2F%%2Ft%%2Fannounce\n\n' "$h1"
	sed 1,2d want
} >want2
expect_file_eq "two files, one header, a blank line between" "$OUT" want2

# ---- announce-list, http seeds, comment (in that order, after announce)
MK http://t/announce hello.bin --piece_size_pow2 15 --target full.torrent \
	--announce-list 'http://a/1,http://a/2|http://b/1' --httpseeds 'http://s/1|http://s/2' \
	--comment 'some words'
expect_exit 0 SH full.torrent
cat >want <<EOF
announce url..: http://t/announce
announce-list.: http://a/1,http://a/2|http://b/1
http seeds....: http://s/1|http://s/2
comment.......: some words
EOF
expect_file_eq "announce-list/http seeds/comment lines" <(sed -n '7,10p' "$OUT") want
expect_eq "hash unchanged by top-level keys" "$(sed -n 's/^info hash.....: //p' "$OUT")" "$h1"

# Our additions come after BitTornado's lines.
"$BT" makemetafile http://t/announce hello.bin --target extra.torrent --private 1 \
	--webseeds 'http://w/1' --created_by 'maker 2' >/dev/null
expect_exit 0 SH extra.torrent
expect_grep "private.......: yes" "$OUT"
expect_grep "created by....: maker 2" "$OUT"
expect_egrep '^creation date.: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC$' "$OUT"
expect_grep "web seeds.....: http://w/1" "$OUT"

# ---- no announce key
bwrite noann.torrent 'obj = load("hello.bin.torrent"); del obj["announce"]'
expect_exit 0 SH noann.torrent
expect_grep "***WARNING*** - no announce key" "$OUT"
expect_nogrep "announce url..:" "$OUT"
expect_eq "no announce: same info hash" "$(sed -n 's/^info hash.....: //p' "$OUT")" "$h1"

# ---- unknown keys everywhere; the hash is SHA-1 of the raw info bytes
bwrite unknown.torrent '
obj = load("tree.torrent")
obj["publisher"] = "someone"
obj["zzz"] = {"nested": [1, 2, {"x": "y"}]}
obj["info"]["source"] = "SRC"
obj["info"]["name.utf-8"] = "tree"
obj["info"]["x-extra"] = [1, "two", {"three": 3}]
for f in obj["info"]["files"]:
    f["md5sum"] = "0" * 32
    f["sha1"] = "\x01" * 20
    f["x-custom"] = {"k": -5}
'
hu=$(tq unknown.torrent ih)
check "unknown info keys change the hash" [ "$hu" != "$h2" ]
expect_exit 0 SH unknown.torrent
expect_eq "hash = SHA-1 of the raw info bytes" "$(sed -n 's/^info hash.....: //p' "$OUT")" "$hu"
expect_grep "   sub/b (20000)" "$OUT"
expect_grep "archive size..: 21000 (1 * 16384 + 4616)" "$OUT"

# ---- broken torrents: one line on stderr with the name and "at byte", exit 1
head -c 150 tree.torrent >truncated.torrent
echo 'this is not bencoded' >notbenc.torrent
bwrite dotdot.torrent 'obj = load("tree.torrent"); obj["info"]["files"][1]["path"] = ["..", "b"]'
bwrite dup.torrent 'obj = load("tree.torrent"); obj["info"]["files"][2]["path"] = ["sub", "b"]'
bwrite neg.torrent 'obj = load("tree.torrent"); obj["info"]["files"][2]["length"] = -1'
bwrite negsingle.torrent 'obj = load("hello.bin.torrent"); obj["info"]["length"] = -100000'
bwrite fewpieces.torrent 'obj = load("hello.bin.torrent"); obj["info"]["pieces"] = obj["info"]["pieces"][:60]'
bwrite manypieces.torrent 'obj = load("tree.torrent"); obj["info"]["pieces"] = obj["info"]["pieces"] * 2'
bwrite badpieces.torrent 'obj = load("hello.bin.torrent"); obj["info"]["pieces"] = obj["info"]["pieces"][:-1]'
bwrite slashname.torrent 'obj = load("hello.bin.torrent"); obj["info"]["name"] = "a/b"'
bwrite noinfo.torrent 'obj = load("hello.bin.torrent"); del obj["info"]'
bwrite zeroplen.torrent 'obj = load("hello.bin.torrent"); obj["info"]["piece length"] = 0'
bwrite unsorted.torrent 'obj = b"d4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:" + b"x" * 20 + b"e8:announce3:urle"'
: >empty.torrent
for b in truncated notbenc dotdot dup neg negsingle fewpieces manypieces badpieces \
	slashname noinfo zeroplen unsorted empty; do
	expect_exit 1 SH "$b.torrent"
	expect_eq "$b: one line on stderr" "$(wc -l <"$ERR")" 1
	expect_grep "$b.torrent" "$ERR"
	expect_grep "at byte" "$ERR"
	expect_nogrep "metainfo file.: $b.torrent" "$OUT"
done
run SH dup.torrent
expect_grep "duplicate" "$ERR"
run SH dotdot.torrent
expect_grep ".." "$ERR"

# Good files around a broken one are still shown.
expect_exit 1 SH hello.bin.torrent dup.torrent tree.torrent notbenc.torrent
expect_grep "metainfo file.: hello.bin.torrent" "$OUT"
expect_grep "metainfo file.: tree.torrent" "$OUT"
expect_eq "two broken: two lines on stderr" "$(wc -l <"$ERR")" 2
expect_exit 1 SH nosuch.torrent hello.bin.torrent
expect_grep nosuch.torrent "$ERR"
expect_grep "metainfo file.: hello.bin.torrent" "$OUT"

# ---- source, v2 status
bwrite src.torrent 'obj = load("hello.bin.torrent"); obj["info"]["source"] = "TRK"'
expect_exit 0 SH src.torrent
expect_grep "source........: TRK" "$OUT"
expect_nogrep "meta version" "$OUT"
bwrite hyb.torrent 'obj = load("tree.torrent"); obj["info"]["meta version"] = 2; obj["info"]["file tree"] = {"a": {"": {"length": 1000}}}'
expect_exit 0 SH hyb.torrent
expect_grep "meta version..: 2, hybrid (v1+v2): shown and used as v1" "$OUT"
bwrite v2only.torrent 'obj = load("tree.torrent"); i = obj["info"]; i["meta version"] = 2; i["file tree"] = {}; del i["pieces"]; del i["files"]'
expect_exit 1 SH v2only.torrent
expect_grep "v2-only torrent" "$ERR"

# ---- terminal-safe: control bytes, C1, bidi, bad UTF-8 escaped; NULs shown
bwrite esc.torrent '
obj = load("tree.torrent")
obj["announce"] = "http://t/\x1b[2Jann"
obj["comment"] = b"c\x00m\x07t\x9b\xc2\x9b\xe2\x80\xae ok \xc3\xa9"
obj["created by"] = "me\x1b]0;title\x07"
obj["info"]["name"] = "n\x1b[31mame"
obj["info"]["files"][0]["path"] = ["a\x7f\x1b"]
obj["info"]["source"] = "s\r"
'
expect_exit 0 SH esc.torrent
check "no ESC, BEL, DEL or C1 byte on stdout" "$PY" -c '
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 32 and c != 10) or c == 127]
sys.exit(1 if bad or b"\xc2\x9b" in b or b"\xe2\x80\xae" in b else 0)' "$OUT"
expect_grep 'directory name: n\x1b[31mame' "$OUT"
expect_grep '   a\x7f\x1b (1000)' "$OUT"
expect_grep 'announce url..: http://t/\x1b[2Jann' "$OUT"
expect_grep 'comment.......: c\x00m\x07t\x9b\xc2\x9b\xe2\x80\xae ok é' "$OUT"
expect_grep 'created by....: me\x1b]0;title\x07' "$OUT"
expect_grep 'source........: s\r' "$OUT"
bwrite nul.torrent 'obj = load("hello.bin.torrent"); obj["info"]["name"] = "evil\x00name.txt"'
expect_exit 1 SH nul.torrent
expect_grep "unsafe name 'evil\x00name.txt' (contains a NUL byte)" "$ERR"
bwrite escbad.torrent 'obj = load("tree.torrent"); obj["info"]["files"][0]["path"] = ["x\x1b/y"]'
expect_exit 1 SH escbad.torrent
expect_grep "unsafe path component 'x\x1b/y'" "$ERR"

# ---- safe to read, not to download: said, with the file and the rule
bwrite long.torrent 'obj = load("tree.torrent"); obj["info"]["files"][1]["path"] = ["sub", "L" * 300]'
expect_exit 0 SH long.torrent
expect_grep "   sub/$(printf 'L%.0s' $(seq 300)) (20000)" "$OUT"
expect_grep "***WARNING*** - cannot be downloaded as is: file 2 of 3 'sub/LLLLLLLLLLLLLLLLLLLLLLLLLLLL...': a path component is 300 bytes, more than 255" "$OUT"
bwrite ok255.torrent 'obj = load("tree.torrent"); obj["info"]["files"][1]["path"] = ["sub", "L" * 255]'
expect_exit 0 SH ok255.torrent
expect_nogrep "WARNING" "$OUT"
bwrite longname.torrent 'obj = load("hello.bin.torrent"); obj["info"]["name"] = "N" * 256'
expect_exit 0 SH longname.torrent
expect_grep "cannot be downloaded as is: the name 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN...' is 256 bytes, more than 255 (download --saveas can give it another name)" "$OUT"

finish
