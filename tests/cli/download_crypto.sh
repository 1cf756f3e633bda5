#!/usr/bin/env bash
# download_crypto.sh - `bt download` with MSE/PE encryption against real
# clients on loopback, through `bt track`: bt --crypto_only 1 leeches from
# a libtorrent seed that forces RC4 (bt dials, MSE initiator); libtorrent
# forcing RC4 and aria2c requiring arc4 leech from a bt --crypto_only 1
# seed (bt answers, MSE responder); two bt with --crypto_stealth 1.  A part
# whose tool is missing prints SKIP and counts as passed.
NAME=download_crypto
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

if [ $HAVE_LT = 1 ]; then
	# ================= from a libtorrent seed that forces encryption
	DLP make "$T/lt" "$T/lt.torrent" "$ANN" v1 >/dev/null
	DLP_ENC=forced DLP seed "$T/lt.torrent" "$T/lt" 80 "$T/lt.ready" 0 >"$T/lt.lt.out" 2>&1 &
	PIDS+=("$!")
	if wait_file "$T/lt.ready" 15; then pass; else
		fail "the libtorrent seed is not ready"
		cat "$T/lt.lt.out" >&2
	fi
	dl_start ltenc "$T/lt.torrent" "$T/from_lt/multi" --crypto_only 1
	expect_done ltenc 30 "bt --crypto_only 1 did not finish downloading from an encrypting libtorrent"
	same_tree "from an encrypting libtorrent" "$T/lt/multi" "$T/from_lt/multi"
	p=${DLPORT[ltenc]}
	expect_egrep 'supportcrypto=1&requirecrypto=1' "$LOG"
	dl_stop ltenc
	expect_eq "from libtorrent: exit status" "$DLRC" 0
	touch "$T/lt.ready.stop"
else
	skip "python3-libtorrent not installed (libtorrent seed)"
fi

# ================= libtorrent and aria2c leech from a bt --crypto_only 1 seed
mktor bts.torrent --source btseed
dl_start btseed "$T/bts.torrent" "$DATA/multi" --crypto_only 1
expect_announced btseed 10 "the bt seed did not announce"
if [ $HAVE_LT = 1 ]; then
	DLP_ENC=forced DLP leech "$T/bts.torrent" "$T/lt_from_bt" 40 >"$T/ltleech.out" 2>&1
	expect_egrep '^done 1 ' "$T/ltleech.out"
	same_tree "encrypting libtorrent from the bt seed" "$DATA/multi" "$T/lt_from_bt/multi"
	expect_nogrep "error" "$T/ltleech.out"
else
	skip "python3-libtorrent not installed (libtorrent leecher)"
fi
if have aria2c; then
	AP=$(U freeport)
	run timeout 40 aria2c -d "$T/aria" --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
		--enable-peer-exchange=false --seed-time=0 --listen-port="$AP" --bt-stop-timeout=20 \
		--bt-require-crypto=true --bt-min-crypto-level=arc4 \
		--summary-interval=0 --quiet=true "$T/bts.torrent"
	expect_eq "aria2c (arc4 required): exit status" "$RC" 0
	same_tree "aria2c (arc4 required) from the bt seed" "$DATA/multi" "$T/aria/multi"
else
	skip "aria2c not installed"
fi

# ================= bt and bt, both --crypto_stealth 1
dl_start stealth "$T/bts.torrent" "$T/stealth/multi" --crypto_stealth 1
expect_done stealth 30 "bt --crypto_stealth 1 did not finish downloading from bt --crypto_only 1"
same_tree "stealth from the bt seed" "$DATA/multi" "$T/stealth/multi"
expect_egrep 'port=0&.*cryptoport=' "$LOG"
dl_stop stealth
expect_eq "stealth: exit status" "$DLRC" 0

dl_stop btseed
expect_eq "bt seed: exit status" "$DLRC" 0
expect_nogrep "error" "$T/btseed.out"

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
