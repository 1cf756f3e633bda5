#!/usr/bin/env bash
# names.sh - the multicall front: legacy BitTornado names through links,
# `bt --install/--list/--version/--help`, unknown applets, `APPLET --help`.
NAME=names
. "$(dirname "$0")/lib.sh"

BT_REAL=$(readlink -f "$BT")

# legacy name | exit status with no arguments | text expected in stdout+stderr
table='btcompletedir|2|Usage: btcompletedir <trackerurl> <dir> [dir...]
btcopyannounce|2|Usage: btcopyannounce <source.torrent> <file1.torrent>
btdownloadcurses|2|--max_uploads <arg>
btdownloadheadless|2|Arguments are:
btlaunchmany|2|Usage: btlaunchmany <directory> <global options>
btlaunchmanycurses|2|Usage: btlaunchmanycurses <directory> <global options>
btmakemetafile|2|Usage: btmakemetafile <trackerurl> <file> [file...]
btreannounce|2|Usage: btreannounce <announce>
btrename|2|Usage: btrename [-v] TORRENT NAME
btsethttpseeds|2|Usage: btsethttpseeds <http-seeds> file1.torrent
btshowmetainfo|2|btshowmetainfo 20130326 - decode BitTorrent metainfo files
bttrack|2|Usage: bttrack --port <port> --dfile <file>'

# ---- bt --install DIR
mkdir links
expect_exit 0 "$BT" --install links
n=$(find links -mindepth 1 | wc -l)
expect_eq "--install makes 24 links" "$n" 24
bad=0
while IFS='|' read -r legacy code text; do
	for f in "links/$legacy" "links/$legacy.py"; do
		if [ ! -L "$f" ] || [ "$(readlink -f "$f")" != "$BT_REAL" ]; then
			bad=$((bad + 1))
			echo "    $f is not a link to $BT_REAL" >&2
		fi
	done
done <<EOF
$table
EOF
expect_eq "every installed link points at bt" "$bad" 0
expect_exit 0 "$BT" --install links
expect_eq "--install is idempotent (exit 0, still 24 entries)" "$(find links -mindepth 1 | wc -l)" 24
check "--install idempotent: links still point at bt" [ "$(readlink -f links/bttrack.py)" = "$BT_REAL" ]
expect_exit 2 "$BT" --install
expect_exit 1 "$BT" --install "$T/does/not/exist"
# A different file in the way is reported, not clobbered, and stops it
# before anything is made.
mkdir other && echo keep > other/btrename
expect_exit 1 "$BT" --install other
expect_grep "other/btrename is already there and is not a link to" "$ERR"
expect_eq "--install leaves a foreign file alone" "$(cat other/btrename)" keep
expect_eq "--install made nothing" "$(ls other)" btrename
# One line per link made or kept.
rm -f links/bttrack links/btrename.py
expect_exit 0 "$BT" --install links
expect_eq "--install: one line per name" "$(wc -l <"$OUT")" 24
expect_grep "created links/bttrack -> $BT_REAL" "$OUT"
expect_grep "created links/btrename.py -> $BT_REAL" "$OUT"
expect_grep "kept links/bttrack.py (already a link to $BT_REAL)" "$OUT"
expect_exit 1 "$BT" --install "$T/links/bttrack"
expect_grep "not a directory" "$ERR"
# A directory we cannot write: the first failure stops it, named.
mkdir ro && chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then
	expect_exit 1 "$BT" --install ro
	expect_grep "cannot create ro/btcompletedir; stopped: Permission denied" "$ERR"
	expect_eq "--install: nothing on stdout when the first fails" "$(cat "$OUT")" ""
fi
chmod 755 ro

# ---- every legacy name, with and without .py, runs the right applet
while IFS='|' read -r legacy code text; do
	for suffix in "" .py; do
		prog="links/$legacy$suffix"
		expect_exit "$code" "$prog"
		cat "$OUT" "$ERR" >"$BOTH"
		expect_grep "$text" "$BOTH"
		# The name BitTornado printed has no .py.
		expect_nogrep "$legacy.py" "$BOTH"
	done
done <<EOF
$table
EOF
# launchmany wants a directory; the error goes to stderr only.
expect_exit 1 links/btlaunchmany "$T/no-such-dir"
expect_grep "is not a directory" "$ERR"
expect_eq "the error goes to stderr only" "$(wc -c <"$OUT")" 0
run links/bttrack.py --help
expect_grep "--dfile <arg>" "$OUT"

# A link named after the applet itself works too.
ln -s "$BT" links/showmetainfo
expect_exit 2 links/showmetainfo
expect_grep "showmetainfo 20130326 - decode BitTorrent metainfo files" "$OUT"
# And a legacy name as the applet argument.
expect_exit 2 "$BT" btshowmetainfo.py
expect_grep "20130326 - decode BitTorrent metainfo files" "$OUT"

# ---- bt --list
expect_exit 0 "$BT" --list
want='completedir
copyannounce
download
launchmany
makemetafile
reannounce
rename
sethttpseeds
showmetainfo
track'
expect_eq "--list prints the 10 applets sorted" "$(cat "$OUT")" "$want"
expect_eq "--list is sorted (sort -c)" "$(LC_ALL=C sort -c "$OUT" 2>&1)" ""

# ---- bt --version / --help
expect_exit 0 "$BT" --version
expect_egrep '^bt [0-9]+\.[0-9]+' "$OUT"
expect_eq "--version: one line" "$(wc -l <"$OUT")" 1
expect_exit 0 "$BT" --help
expect_grep "Usage: bt APPLET" "$OUT"
for a in completedir makemetafile track; do
	expect_grep "  $a " "$OUT"
done

# ---- unknown applet, no applet
expect_exit 127 "$BT" nosuch
expect_grep "nosuch" "$ERR"
expect_egrep '^Usage:|[Uu]sage: ' "$ERR"
expect_eq "unknown applet: nothing on stdout" "$(wc -c <"$OUT")" 0
expect_exit 2 "$BT"
expect_grep "Usage: bt APPLET" "$ERR"
# A link with an unknown name behaves like bt itself.
ln -s "$BT" links/frobnicate
expect_exit 2 links/frobnicate

# ---- bt APPLET --help for the 7 tools
for a in makemetafile completedir showmetainfo reannounce copyannounce rename sethttpseeds; do
	expect_exit 0 "$BT" "$a" --help
	check "$a --help prints help on stdout" [ -s "$OUT" ]
	expect_eq "$a --help: nothing on stderr" "$(cat "$ERR")" ""
done
# The legacy spelling too.
expect_exit 0 links/btmakemetafile.py --help
expect_grep "--piece_size_pow2 <arg>" "$OUT"

finish
