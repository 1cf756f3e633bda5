#!/usr/bin/env bash
# download_pex.sh - peer exchange (BEP 11 ut_pex) between bt processes on
# loopback, through `bt track`: the tracker knows the seed and one
# leecher, which is kept slow (1 kB/s each way) so that it stays a
# leecher connected to the seed.  A third bt is given only a magnet link
# with the leecher's address (x.pe=, no tracker): it fetches the metadata
# from the leecher, learns the seed from the leecher's ut_pex alone, and
# downloads everything from it in far less time than the leecher could
# give it.  A private torrent (BEP 27) gives no ut_pex: the third peer
# stays with the leecher.
NAME=download_pex
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

SLOW=(--max_upload_rate 1 --max_download_rate 1)

# ================= public: the seed is learned through ut_pex
mktor "$T/pub.torrent"
IH=$(tq "$T/pub.torrent" ih)
dl_start seed "$T/pub.torrent" "$DATA/multi"
expect_announced seed 10 "the seed did not announce"
dl_start slow "$T/pub.torrent" "$T/slow/multi" "${SLOW[@]}"
expect_announced slow 10 "the slow leecher did not announce"
dl_start pex "magnet:?xt=urn:btih:$IH&dn=multi&x.pe=127.0.0.1:${DLPORT[slow]}" "$T/pex/multi"
# $TOTAL bytes at 1 kB/s from the slow leecher would take minutes.
expect_done pex 40 "the third peer did not finish (it did not find the seed by PEX)"
same_tree "data through PEX" "$DATA/multi" "$T/pex/multi"
expect_eq "the third peer never announced" "$(ann "${DLPORT[pex]}" | wc -l)" 0
dl_stop pex
expect_eq "pex: exit status" "$DLRC" 0
dl_stop slow
dl_stop seed

# ================= private: no ut_pex, the third peer stays with the leecher
mktor "$T/priv.torrent" --private 1
IH=$(tq "$T/priv.torrent" ih)
dl_start pseed "$T/priv.torrent" "$DATA/multi"
expect_announced pseed 10 "the private seed did not announce"
dl_start pslow "$T/priv.torrent" "$T/pslow/multi" "${SLOW[@]}"
expect_announced pslow 10 "the private slow leecher did not announce"
dl_start ppex "magnet:?xt=urn:btih:$IH&dn=multi&x.pe=127.0.0.1:${DLPORT[pslow]}" "$T/ppex/multi"
expect_wait ppex "got the metadata" 15 "the third peer did not get the private metadata"
# With ut_pex it would have found the seed and finished in a few seconds.
sleep 12
if grep -q "Download Succeeded!" "$T/ppex.out"; then
	fail "the third peer found the private torrent's seed"
else
	pass
fi
dl_stop ppex
dl_stop pslow
dl_stop pseed

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
