#!/usr/bin/env bash
# options.sh - the command line of every applet: options after the file
# names (GNU getopt's permutation for the editors, BitTornado's mixing for
# the others), booleans without a value, both spellings of
# --announce-list, one error style, the Usage line of --help, the applet
# name suggested for a typing mistake, and the manual pages and bash
# completion the build writes from the same option tables.
#   $1: bt   $2 (optional): the build directory, for `meson install`
NAME=options
. "$(dirname "$0")/lib.sh"
BUILD=${2:-}

MK() { "$BT" makemetafile "$@"; }
tor_field() { "$BT" showmetainfo "$1" | sed -n "s/^$2\.*: //p"; }
mkdir data && printf 'hello\n' >data/a && printf 'more data\n' >data/b
printf 'one file\n' >single

# ================= makemetafile: options before, between and after
expect_exit 0 MK http://t/announce single -o out1.torrent --private --no_date
check "makemetafile: -o after the input names the target" [ -s out1.torrent ]
check "makemetafile: nothing written under the default name" [ ! -e single.torrent ]
expect_eq "--private alone marks it private" "$(tor_field out1.torrent private)" yes
expect_eq "--no_date alone leaves the date out" "$(tq out1.torrent '"creation date" in t')" false
expect_exit 0 MK --private http://t/announce --comment c single --target out2.torrent
expect_eq "--private before the URL leaves the URL a positional" \
	"$(tq out2.torrent 't["announce"]')" http://t/announce
expect_eq "and marks it private" "$(tq out2.torrent 't["info"].get("private")')" 1
expect_exit 0 MK http://t/announce single --private 0 --target=out3.torrent
expect_eq "--private 0 (BitTornado's form) is not private" \
	"$(tq out3.torrent 't["info"].get("private", 0)')" 0
expect_exit 0 MK http://t/announce single --private 1 --target out4.torrent --no_date 1
expect_eq "--private 1 still works" "$(tq out4.torrent 't["info"]["private"]')" 1
for spelling in announce-list announce_list; do
	expect_exit 0 MK http://t/announce data "--$spelling" 'http://a/x,http://b/x|http://c/x' \
		-o "al-$spelling.torrent"
	expect_eq "makemetafile --$spelling" "$(tor_field "al-$spelling.torrent" announce-list)" \
		'http://a/x,http://b/x|http://c/x'
done
# An error anywhere stops everything before any file is written.
expect_exit 2 MK http://t/announce single data --bogus
check "an option error after the inputs writes nothing" [ ! -e single.torrent ] && [ ! -e data.torrent ]
expect_exit 2 MK http://t/announce single data --target
check "a missing value writes nothing" [ ! -e single.torrent ] && [ ! -e data.torrent ]
# After "--" a word that looks like an option is an input.
expect_exit 1 MK http://t/announce -- --odd
expect_grep "bt makemetafile: --odd: cannot stat" "$ERR"

# ================= completedir
mkdir cd1 && printf 'x\n' >cd1/f
for spelling in announce-list announce_list; do
	rm -f cd1/f.torrent
	expect_exit 0 "$BT" completedir http://t/announce cd1 "--$spelling" 'http://a/x|http://b/x' --private
	expect_eq "completedir --$spelling after the directory" \
		"$(tor_field cd1/f.torrent announce-list)" 'http://a/x|http://b/x'
	expect_eq "completedir --private alone" "$(tor_field cd1/f.torrent private)" yes
done

# ================= the editors: flags after the file names
cp out1.torrent r.torrent
for spelling in announce-list announce_list; do
	expect_exit 0 "$BT" reannounce http://n/announce r.torrent -v "--$spelling" 'http://x/a|http://y/a'
	expect_grep "old announce for r.torrent" "$OUT"
	expect_eq "reannounce --$spelling after the file" "$(tor_field r.torrent announce-list)" \
		'http://x/a|http://y/a'
done
expect_exit 0 "$BT" reannounce http://m/announce r.torrent -a 'http://z/a'
expect_eq "reannounce -a after the file" "$(tor_field r.torrent announce-list)" http://z/a
expect_exit 0 "$BT" reannounce http://m/announce -- r.torrent
expect_eq "reannounce after -- (no list: removed)" "$(tor_field r.torrent announce-list)" ""
expect_exit 2 "$BT" reannounce http://m/announce r.torrent -q
expect_eq "reannounce: a bad flag after the file changes nothing" \
	"$(tor_field r.torrent "announce url")" http://m/announce
cp out1.torrent c.torrent
expect_exit 0 "$BT" copyannounce out2.torrent c.torrent -v
expect_grep "new announce:  http://t/announce" "$OUT"
cp out1.torrent n.torrent
expect_exit 0 "$BT" rename n.torrent newname -v
expect_grep "n.torrent: single -> newname" "$OUT"
expect_exit 0 "$BT" rename n.torrent -m -v
expect_grep "n.torrent: newname -> n" "$OUT"
cp out1.torrent s.torrent
expect_exit 0 "$BT" sethttpseeds 'http://s/1|http://s/2' s.torrent -w -v
expect_eq "sethttpseeds -w after the file" "$(tq s.torrent 't["url-list"]')" '["http://s/1", "http://s/2"]'
expect_exit 0 "$BT" showmetainfo s.torrent --help
expect_egrep '^Usage: bt showmetainfo ' "$OUT"

# ================= download, launchmany, track
# Errors come before anything is done, in one style, on stderr only.
expect_exit 2 "$BT" download -w /tmp out1.torrent
expect_eq "download -w: the error" "$(head -n 1 "$ERR")" "bt download: -w: unknown option"
expect_eq "download: nothing on stdout" "$(wc -c <"$OUT")" 0
expect_exit 2 "$BT" download out1.torrent --max_upload_rate
expect_grep "bt download: --max_upload_rate: needs a value" "$ERR"
expect_exit 2 "$BT" download out1.torrent out2.torrent
expect_grep "bt download: out2.torrent: unexpected argument" "$ERR"
expect_exit 2 "$BT" launchmany data --saveas_style 9
expect_grep "bt launchmany: --saveas_style 9: must be 1, 2 or 3" "$ERR"
expect_exit 2 "$BT" track --dfile d stray
expect_grep "bt track: stray: unexpected argument" "$ERR"
check "track: nothing written on a usage error" [ ! -e d ]
# Options after the torrent (and booleans alone) are taken: it runs.
mkdir have home && cp single have/
HOME=$T/home "$BT" download out1.torrent -d have --spew --check_hashes --max_uploads 2 \
	--minport 40000 --maxport 40100 >dl.out 2>dl.err &
DLPID=$!
sleep 2
check "download with options after the torrent keeps running" kill -0 $DLPID
kill $DLPID 2>/dev/null
wait $DLPID 2>/dev/null
expect_nogrep "Try 'bt download --help'" dl.err
mkdir lmdir && cp out1.torrent lmdir/
HOME=$T/home "$BT" launchmany lmdir --display_path 0 --save_options --parse_dir_interval 5 \
	--minport 40200 --maxport 40300 >lm.out 2>lm.err &
LMPID=$!
sleep 2
check "launchmany with options after the directory keeps running" kill -0 $LMPID
kill $LMPID 2>/dev/null
wait $LMPID 2>/dev/null
check "launchmany --save_options alone saved the options" [ -s home/.BitTornado/config.launchmany.ini ]
expect_grep "display_path = 0" home/.BitTornado/config.launchmany.ini

# ================= one error style, for every applet
for a in $("$BT" --list); do
	expect_exit 2 "$BT" "$a" --no-such-option x
	expect_eq "$a: error line" "$(head -n 1 "$ERR")" "bt $a: --no-such-option: unknown option"
	expect_eq "$a: second line" "$(sed -n 2p "$ERR")" "Try 'bt $a --help'."
	expect_eq "$a: error on stderr only" "$(wc -c <"$OUT")" 0
done
# A near miss gets a suggestion.
expect_exit 2 MK http://t/announce single --privte
expect_grep "bt makemetafile: --privte: unknown option (did you mean --private?)" "$ERR"

# ================= --help and -h: Usage first, for every applet and name
for a in $("$BT" --list); do
	for h in --help -h; do
		expect_exit 0 "$BT" "$a" "$h"
		expect_egrep "^Usage: bt $a [^ ]" <(head -n 1 "$OUT")
		expect_eq "$a $h: nothing on stderr" "$(wc -c <"$ERR")" 0
	done
done
mkdir links && "$BT" --install links
for l in btmakemetafile btreannounce bttrack btdownloadheadless btshowmetainfo; do
	expect_exit 0 "links/$l.py" --help
	expect_egrep "^Usage: $l " <(head -n 1 "$OUT")
done
# Grouped: common options first, the compatibility-only ones last.
run "$BT" download --help
common=$(grep -n '^Common options:' "$OUT" | cut -d: -f1)
compat=$(grep -n '^Accepted for compatibility, no effect here:' "$OUT" | cut -d: -f1)
other=$(grep -n '^Other options:' "$OUT" | cut -d: -f1)
check "download --help: groups in order" [ -n "$common" ] && [ -n "$other" ] && [ -n "$compat" ] &&
	[ "$common" -lt "$other" ] && [ "$other" -lt "$compat" ]
check "download --help: -d, --download_dir is common" \
	[ "$(grep -n '^-d, --download_dir <arg>' "$OUT" | cut -d: -f1)" -lt "$other" ]
check "download --help: double_check is compatibility-only" \
	[ "$(grep -n '^--double_check' "$OUT" | cut -d: -f1)" -gt "$compat" ]
# BitTornado's answer to no arguments stays: the help, exit 2.
expect_exit 2 MK
expect_grep "Usage: bt makemetafile <trackerurl>" "$ERR"

# ================= applet names
expect_exit 2 "$BT" donwload x
expect_grep "bt: donwload: no such applet; did you mean 'download'?" "$ERR"
expect_exit 2 "$BT" makemetafle
expect_grep "did you mean 'makemetafile'?" "$ERR"
expect_exit 2 "$BT" btshowmetanfo
expect_grep "did you mean 'btshowmetainfo'?" "$ERR"
expect_exit 127 "$BT" frobnicate
expect_nogrep "did you mean" "$ERR"

# ================= manual pages and completion (installed as `meson install` would)
if [ -z "$BUILD" ] || ! command -v man >/dev/null || ! command -v meson >/dev/null; then
	skip "man pages: no build directory given, or man/meson missing"
	finish
fi
if ! meson install -C "$BUILD" --tags man --destdir "$T/inst" --no-rebuild --quiet >inst.log 2>&1; then
	fail "meson install --tags man"
	sed 's/^/    /' inst.log | head -10 >&2
	finish
fi
MAN1=$(find "$T/inst" -type d -path '*/man/man1' | head -n 1)
COMP=$(find "$T/inst" -type f -path '*/bash-completion/completions/bt' | head -n 1)
check "bt.1 installed" [ -s "$MAN1/bt.1" ]
page() {	# page FILE: the page rendered as plain text (cwd: the man root, for .so)
	(cd "$MAN1/.." && LC_ALL=C MANWIDTH=200 man --warnings -l "man1/$1" 2>"$T/man.err" | col -b)
}
page bt.1 >bt.txt
expect_eq "bt(1) renders without warnings" "$(cat man.err)" ""
for a in $("$BT" --list); do
	expect_grep "bt-$a(1)" bt.txt
	check "bt-$a.1 installed" [ -s "$MAN1/bt-$a.1" ]
	page "bt-$a.1" >"$a.txt"
	expect_eq "bt-$a(1) renders without warnings" "$(cat man.err)" ""
	expect_grep "bt-$a - " "$a.txt"
	expect_grep "bt $a " "$a.txt"
	# Every option of the help (the same table) is in the page.
	"$BT" "$a" --help | grep -oE -e '^(-[A-Za-z], )?--[A-Za-z0-9_-]+' -e '^  -[A-Za-z], --[A-Za-z0-9_-]+' |
		sed 's/^ *//' | sort -u >"$a.opts"
	missing=$(while read -r o; do grep -qF -e "$o" "$a.txt" || echo "$o"; done <"$a.opts")
	check "bt-$a(1) has its $(wc -l <"$a.opts") options" [ -s "$a.opts" ] && [ -z "$missing" ]
	[ -z "$missing" ] || echo "    missing: $missing" >&2
done
while read -r legacy applet; do
	grep -qx "$applet" <("$BT" --list) || continue
	page "$legacy.1" >"$legacy.txt"
	expect_eq "$legacy(1) renders without warnings" "$(cat man.err)" ""
	expect_grep "bt-$applet - " "$legacy.txt"
	check "completion link for $legacy" [ -L "$(dirname "$COMP")/$legacy" ]
done <<'LIST'
btcompletedir completedir
btcopyannounce copyannounce
btdownloadheadless download
btdownloadcurses download
btlaunchmany launchmany
btmakemetafile makemetafile
btreannounce reannounce
btrename rename
btsethttpseeds sethttpseeds
btshowmetainfo showmetainfo
bttrack track
LIST
# The completion offers the applets, then each applet's options.
complete_words() {	# complete_words WORD... : what completing the last word offers
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bt; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$COMP" "$@"
}
expect_eq "completion: applets" "$(complete_words bt makem)" makemetafile
expect_eq "completion: makemetafile options" "$(complete_words bt makemetafile x --piece)" --piece_size_pow2
expect_eq "completion: reannounce through its BitTornado name" \
	"$(complete_words btreannounce.py --announce)" --announce_list
expect_eq "completion: download's -d" "$(complete_words bt download x --download_d)" --download_dir
finish
