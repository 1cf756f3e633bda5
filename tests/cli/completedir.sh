#!/usr/bin/env bash
# completedir.sh - `bt completedir`: one torrent per entry, BitTornado's
# skips, --target, usage.
NAME=completedir
. "$(dirname "$0")/lib.sh"

CD() { "$BT" completedir "$@"; }

# ---- usage
expect_exit 2 CD
cat "$OUT" "$ERR" >"$BOTH"
expect_grep "Usage: bt completedir <trackerurl> <dir> [dir...] [params...]" "$BOTH"
expect_grep "Make a .torrent file for every file or directory in each given directory." "$BOTH"
expect_exit 2 CD http://t/announce
mkdir lone && echo x >lone/f
expect_exit 2 CD lone --comment x
expect_grep "bt completedir: too few arguments" "$ERR"
expect_grep "Try 'bt completedir --help'." "$ERR"
check "one positional makes nothing" [ ! -e lone/f.torrent ]
expect_exit 2 CD http://t/announce lone --bogus 1
expect_grep "bt completedir: --bogus: unknown option" "$ERR"
check "option error makes nothing" [ ! -e lone/f.torrent ]

# ---- one torrent per entry, with the skips
mkdir src src/subdir src/CVS src/.hidden src/done
echo a >src/afile
echo b >src/subdir/inner
echo c >src/core
echo d >src/CVS/Entries
echo e >src/.dotfile
echo f >src/.hidden/x
echo g >src/done/x
echo old >src/done.torrent
echo h >src/zz.torrent
cp src/done.torrent "$T/done.before"
expect_exit 0 CD http://t/announce src --no_date 1
expect_eq "no progress output, one line per torrent" "$(sed 's/, info hash [0-9a-f]*$//' "$OUT")" \
"wrote src/afile.torrent: 1 piece of 32 KiB
wrote src/subdir.torrent: 1 piece of 32 KiB"
expect_grep "wrote src/afile.torrent: 1 piece of 32 KiB, info hash $(tq src/afile.torrent ih)" "$OUT"
expect_eq "torrents made" "$(cd src && ls -1 ./*.torrent | sort | tr '\n' ' ')" \
	"./afile.torrent ./done.torrent ./subdir.torrent ./zz.torrent "
expect_eq "file entry: name" "$(tq src/afile.torrent 't["info"]["name"]')" afile
expect_eq "file entry: single file" "$(tq src/afile.torrent 't["info"]["length"]')" 2
expect_eq "dir entry: name" "$(tq src/subdir.torrent 't["info"]["name"]')" subdir
expect_eq "dir entry: files" "$(tq src/subdir.torrent '[f["path"] for f in t["info"]["files"]]')" '[["inner"]]'
expect_eq "announce" "$(tq src/afile.torrent 't["announce"]')" http://t/announce
expect_file_eq "entry with a sibling .torrent is left alone" src/done.torrent "$T/done.before"
for n in core CVS .dotfile .hidden zz.torrent.torrent; do
	check "skipped: $n" [ ! -e "src/$n.torrent" ]
done
# Same torrent as makemetafile would make.
"$BT" makemetafile http://t/announce src/afile --no_date 1 --target "$T/afile.mk" >/dev/null
expect_file_eq "same bytes as makemetafile" src/afile.torrent "$T/afile.mk"

# Running again makes nothing new: every entry now has its .torrent.
for f in src/*.torrent; do touch -d '2001-01-01' "$f"; done
expect_exit 0 CD http://t/announce src
expect_eq "second run rewrites nothing" "$(find src -name '*.torrent' -newer "$T/done.before" | wc -l)" 0

# ---- options reach the torrents
mkdir opt && echo x >opt/one && echo y >opt/two
expect_exit 0 CD http://t/announce opt --comment hello --piece_size_pow2 16 \
	--announce-list 'http://a|http://b' --no_date 1 --created_by ''
expect_eq "options: comment" "$(tq opt/two.torrent 't["comment"]')" hello
expect_eq "options: piece length" "$(tq opt/two.torrent 't["info"]["piece length"]')" 65536
expect_eq "options: announce-list" "$(tq opt/one.torrent 't["announce-list"]')" '[["http://a"], ["http://b"]]'
expect_eq "options: keys" "$(tq opt/one.torrent 'sorted(t)')" '["announce", "announce-list", "comment", "info"]'

# ---- several directories, --target
mkdir d1 d2 tdir
echo 1 >d1/x
echo 2 >d2/y
mkdir d2/sub && echo 3 >d2/sub/z
expect_exit 0 CD http://t/announce d1 d2 --target tdir
expect_eq "--target: all torrents in DIR" "$(ls tdir | tr '\n' ' ')" "sub.torrent x.torrent y.torrent "
check "--target: none beside the data (d1)" [ ! -e d1/x.torrent ]
check "--target: none beside the data (d2)" [ ! -e d2/y.torrent ]
expect_eq "--target: dir entry" "$(tq tdir/sub.torrent '[f["path"] for f in t["info"]["files"]]')" '[["z"]]'
expect_exit 2 CD http://t/announce d1 --target "$T/no/such/dir"
check "--target missing: nothing made" [ ! -e d1/x.torrent ]

# --target: an existing .torrent there is not replaced without -f
echo 4 >d1/w
printf 'old' >tdir/x.torrent
expect_exit 1 CD http://t/announce d1 --target tdir
expect_eq "--target: existing x.torrent untouched" "$(cat tdir/x.torrent)" old
check "--target: the new entry is made" [ -s tdir/w.torrent ]
expect_grep "tdir/x.torrent: already exists, not replaced (-f or --force replaces it)" "$ERR"
expect_exit 0 CD http://t/announce d1 --target tdir -f
expect_eq "-f: replaced" "$(tq tdir/x.torrent 't["info"]["name"]')" x

# ---- a bad entry does not stop the others
mkdir mixed && : >mixed/empty && echo ok >mixed/good
expect_exit 1 CD http://t/announce mixed
check "good entry still made" [ -s mixed/good.torrent ]
check "empty entry refused" [ ! -e mixed/empty.torrent ]
expect_grep empty "$ERR"
expect_exit 1 CD http://t/announce "$T/nosuchdir"

finish
