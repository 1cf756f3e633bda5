#!/usr/bin/env bash
# track_page.sh - `bt track`'s info page in a real browser: headless
# Chromium (Debian's chromium package) lays the page out at a desktop
# (1280 px) and a phone (390 px) width.  Checked (track_page.py check):
# every torrent name lies wholly in view at both widths, the hash column
# shows a prefix on the phone (all 40 digits still in the cell) and the
# whole hash on the desktop, and the page never scrolls sideways.
# Screenshots of the page as served are saved for people to look at, in
# $BT_SHOT_DIR (meson: <build>/meson-logs/track_page/) or else a
# temporary directory; the path is printed.  Without Chromium (or one that
# cannot start here) the test is skipped (exit 77) and says why.
NAME=track_page
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"

skip_all() {
	echo "SKIP: $NAME: $*"
	exit 77
}

CHROME=""
for c in chromium chromium-browser google-chrome; do
	have "$c" && CHROME=$(command -v "$c") && break
done
[ -n "$CHROME" ] || skip_all "no chromium here (Debian package chromium; scripts/setup-debian.sh --test installs it)"

mkdir -p "$T/home"
# chrome ARGS...: headless Chromium with its own profile, at most 90 s.
chrome() {
	HOME=$T/home timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --no-first-run --disable-extensions \
		--user-data-dir="$T/profile" "$@" 2>>"$T/chrome.err"
}
if ! chrome --dump-dom "data:text/html,<p>ready</p>" >"$T/probe.out" ||
	! grep -q ready "$T/probe.out"; then
	tail -n 3 "$T/chrome.err"
	skip_all "chromium ($CHROME) does not start here"
fi

SHOTS=${BT_SHOT_DIR:-$T/shots}
[ -n "${BT_SHOT_DIR:-}" ] || SHOTS=$(mktemp -d "${TMPDIR:-/tmp}/bt-track-page.XXXXXX")
mkdir -p "$SHOTS"

# An allowed_dir of torrents with long names, one of them with peers.
mkdir -p "$T/allow" "$T/data"
for n in "debian-12.5.0-amd64-netinst.iso" "Big Buck Bunny (2008) 1080p, the open movie.mkv" \
	"a_really_long_file_name_without_any_spaces_that_goes_on_and_on.tar.gz"; do
	head -c 50000 /dev/urandom >"$T/data/$n"
	"$BT" makemetafile "http://127.0.0.1:$P/announce" "$T/data/$n" \
		--target "$T/allow/$n.torrent" >/dev/null || fail "makemetafile $n"
done
track_start --allowed_dir "$T/allow" || fail "tracker did not start"
qh=$(tq "$T/allow/debian-12.5.0-amd64-netinst.iso.torrent" \
	'"".join("%%%02X" % b for b in bytes.fromhex(ih))')
for k in 1 2 3; do
	curl -s --max-time 5 -o /dev/null \
		"http://127.0.0.1:$P/announce?info_hash=$qh&peer_id=-TT0001-00000000000$k&port=700$k&left=$((k - 1))&compact=1"
done
curl -s --max-time 5 -o "$T/page.html" "http://127.0.0.1:$P/"
expect_grep "debian-12.5.0-amd64-netinst.iso" "$T/page.html"

# width height: lay the page out at that size, check it and screenshot it.
at_width() {
	local w=$1 h=$2 what=$3
	"$PY" "$HERE/track_page.py" harness "$T/page.html" "$T/harness$w.html" "$w" "$h"
	chrome --window-size=1400,1000 --dump-dom "file://$T/harness$w.html" >"$T/dom$w.txt"
	if "$PY" "$HERE/track_page.py" check "$T/dom$w.txt" "$w" >"$T/check$w.txt"; then
		pass
	else
		fail "the page at $w px ($what):"
		grep FAIL "$T/check$w.txt" | sed 's/^/    /' >&2
	fi
	local shot=$SHOTS/infopage-$what-$w.png
	rm -f "$shot"
	chrome --window-size="$w,$h" --screenshot="$shot" "http://127.0.0.1:$P/" >/dev/null
	expect_eq "screenshot $shot" "$("$PY" "$HERE/track_page.py" pngsize "$shot" 2>&1)" "$w $h"
	if [ "$(stat -c %s "$shot" 2>/dev/null || echo 0)" -gt 5000 ]; then
		pass
	else
		fail "screenshot $shot is (nearly) empty"
	fi
}
at_width 1280 800 desktop
at_width 390 844 phone
echo "$NAME: screenshots in $SHOTS"
finish
