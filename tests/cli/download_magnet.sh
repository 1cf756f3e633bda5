#!/usr/bin/env bash
# download_magnet.sh - magnet links (BEP 9) with real clients on loopback,
# through `bt track`: bt, given only the magnet link (tr= the tracker),
# fetches the metadata and then the data from a libtorrent seed and saves
# the .torrent beside the data; libtorrent and aria2c, given only a magnet
# link, fetch the metadata and the data from a bt seed.  A part whose tool
# is missing prints SKIP and counts as passed.
NAME=download_magnet
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

enc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
MAGTR="tr=$(enc "$ANN")"

# ================= bt from a libtorrent seed, with the magnet link alone
if [ $HAVE_LT = 1 ]; then
	DLP make "$T/lt" "$T/lt.torrent" "$ANN" v1 >/dev/null
	DLP seed "$T/lt.torrent" "$T/lt" 80 "$T/lt.ready" >"$T/lt.lt.out" 2>&1 &
	PIDS+=("$!")
	if wait_file "$T/lt.ready" 15; then pass; else
		fail "the libtorrent seed is not ready"
		cat "$T/lt.lt.out" >&2
	fi
	IH=$(tq "$T/lt.torrent" ih)
	dl_start ltm "magnet:?xt=urn:btih:$IH&dn=multi&$MAGTR" "$T/from_lt/multi"
	expect_done ltm 40 "bt did not finish downloading from libtorrent by magnet link"
	same_tree "magnet: from libtorrent" "$T/lt/multi" "$T/from_lt/multi"
	expect_eq "the saved .torrent has the info hash" "$(tq "$T/from_lt/multi.torrent" ih)" "$IH"
	expect_grep "magnet link...: magnet:?xt=urn:btih:$IH&dn=multi&$MAGTR" \
		<("$BT" showmetainfo "$T/from_lt/multi.torrent")
	dl_stop ltm
	expect_eq "magnet from libtorrent: exit status" "$DLRC" 0
	touch "$T/lt.ready.stop"
else
	skip "python3-libtorrent not installed (libtorrent seed)"
fi

# ================= libtorrent and aria2c from a bt seed, by magnet link
mktor bts.torrent
IH=$(tq "$T/bts.torrent" ih)
MAG="magnet:?xt=urn:btih:$IH&dn=multi&$MAGTR"
dl_start btseed "$T/bts.torrent" "$DATA/multi"
expect_announced btseed 10 "the bt seed did not announce"
if [ $HAVE_LT = 1 ]; then
	DLP leech_magnet "$MAG" "$T/lt_from_bt" 40 >"$T/ltleech.out" 2>&1
	expect_egrep '^meta 1$' "$T/ltleech.out"
	expect_egrep '^done 1 ' "$T/ltleech.out"
	same_tree "libtorrent from the bt seed by magnet link" "$DATA/multi" "$T/lt_from_bt/multi"
else
	skip "python3-libtorrent not installed (libtorrent leecher)"
fi
# aria2c announces left=0 (event=started) while it fetches the metadata:
# the tracker gives such a "seed" the seeds too, so it meets the bt seed.
if have aria2c; then
	timeout 40 aria2c -d "$T/aria" --enable-dht=false --enable-dht6=false \
		--bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 \
		--listen-port="$(U freeport)" "$MAG" >"$T/aria.out" 2>&1
	expect_egrep "OK +\|.*\[METADATA\](multi|$IH)$" "$T/aria.out"
	same_tree "aria2c from the bt seed by magnet link through bt track" "$DATA/multi" \
		"$T/aria/multi"
else
	skip "aria2c is not installed"
fi
dl_stop btseed
expect_eq "bt seed: exit status" "$DLRC" 0

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
