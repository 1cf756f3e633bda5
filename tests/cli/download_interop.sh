#!/usr/bin/env bash
# download_interop.sh - `bt download` with real clients on loopback, through
# `bt track`: bt leeches from a libtorrent seed (a v1 torrent and a hybrid
# v1+v2 one with BEP 47 padding files) and from a Transmission seed;
# aria2c and libtorrent leech from a bt seed.  A part whose tool is
# missing prints SKIP and counts as passed.
NAME=download_interop
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

# lt_seed NAME TORRENT DIR [UPKBPS]: a libtorrent seed in the background,
# ready once NAME.ready exists (it has seen a tracker reply).
lt_seed() {
	DLP seed "$2" "$3" 80 "$T/$1.ready" "${4:-0}" >"$T/$1.lt.out" 2>&1 &
	PIDS+=("$!")
	wait_file "$T/$1.ready" 15
}
lt_seed_stop() { touch "$T/$1.ready.stop"; }

if [ $HAVE_LT = 1 ]; then
	# ================= from a libtorrent seed, v1 and hybrid torrents
	for kind in v1 hybrid; do
		DLP make "$T/lt$kind" "$T/lt$kind.torrent" "$ANN" "$kind" >/dev/null
		if [ "$kind" = v1 ]; then
			# Same files in the same order, same piece size: the same info.
			SRC=$T/ltv1/multi mktor "$T/mk.torrent"
			expect_eq "libtorrent's v1 torrent has bt makemetafile's info hash" \
				"$(tq "$T/ltv1.torrent" ih)" "$(tq "$T/mk.torrent" ih)"
		fi
		if lt_seed "lt$kind" "$T/lt$kind.torrent" "$T/lt$kind"; then pass; else
			fail "$kind: the libtorrent seed is not ready"
			cat "$T/lt$kind.lt.out" >&2
		fi
		dl_start "lt$kind" "$T/lt$kind.torrent" "$T/from_lt$kind/multi"
		expect_done "lt$kind" 30 "$kind: bt did not finish downloading from libtorrent"
		# Padding files (hybrid) are not written: the trees are equal.
		same_tree "$kind: from libtorrent" "$T/lt$kind/multi" "$T/from_lt$kind/multi"
		p=${DLPORT[lt$kind]}
		ann_wait "$p" completed 5
		expect_eq "$kind: completed announce, left" "$(ann_field "$p" completed 4)" 0
		dl_stop "lt$kind"
		expect_eq "$kind: exit status" "$DLRC" 0
		lt_seed_stop "lt$kind"
	done
else
	skip "python3-libtorrent not installed (libtorrent seed)"
fi

# ================= from a Transmission seed (it refuses loopback peers as a
# leecher, but seeds to them)
if have transmission-cli; then
	mktor tr.torrent
	TRP=$(U freeport)
	mkdir -p "$T/trcfg"
	cat >"$T/trcfg/settings.json" <<EOF
{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
 "port-forwarding-enabled": false, "bind-address-ipv4": "127.0.0.1", "encryption": 0,
 "peer-port": $TRP, "peer-port-random-on-start": false, "rpc-enabled": false,
 "download-dir": "$DATA", "incomplete-dir-enabled": false, "speed-limit-up-enabled": false,
 "blocklist-enabled": false, "message-level": 1}
EOF
	timeout 90 transmission-cli -g "$T/trcfg" -w "$DATA" -p "$TRP" "$T/tr.torrent" >"$T/trcli.out" 2>&1 &
	PIDS+=("$!")
	TRPID=$!
	# Transmission checks the data, then announces as a seed (an earlier
	# "stopped" may come first).
	ann_wait "$TRP" started 20
	if [ "$(ann_field "$TRP" started 4)" = 0 ]; then pass; else
		fail "Transmission did not announce as a seed: $(ann "$TRP" | tr '\n' ';')"
		tr "\r" "\n" <"$T/trcli.out" | tail -n 3 >&2
	fi
	dl_start tr "$T/tr.torrent" "$T/from_tr/multi"
	expect_done tr 60 "bt did not finish downloading from Transmission"
	same_tree "from Transmission" "$DATA/multi" "$T/from_tr/multi"
	dl_stop tr
	expect_eq "Transmission: exit status" "$DLRC" 0
	kill "$TRPID" 2>/dev/null
else
	skip "transmission-cli not installed"
fi

# ================= aria2c and libtorrent leech from a bt seed
mktor bts.torrent --source btseed
dl_start btseed "$T/bts.torrent" "$DATA/multi"
expect_announced btseed 10 "the bt seed did not announce"
expect_eq "bt seed: left" "$(ann_field "${DLPORT[btseed]}" first 4)" 0
if have aria2c; then
	AP=$(U freeport)
	run timeout 40 aria2c -d "$T/aria" --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
		--enable-peer-exchange=false --seed-time=0 --listen-port="$AP" --bt-stop-timeout=20 \
		--summary-interval=0 --quiet=true "$T/bts.torrent"
	expect_eq "aria2c: exit status" "$RC" 0
	same_tree "aria2c from the bt seed" "$DATA/multi" "$T/aria/multi"
else
	skip "aria2c not installed"
fi
if [ $HAVE_LT = 1 ]; then
	DLP leech "$T/bts.torrent" "$T/lt_from_bt" 40 >"$T/ltleech.out" 2>&1
	expect_egrep '^done 1 ' "$T/ltleech.out"
	same_tree "libtorrent from the bt seed" "$DATA/multi" "$T/lt_from_bt/multi"
	expect_nogrep "error" "$T/ltleech.out"
else
	skip "python3-libtorrent not installed (libtorrent leecher)"
fi
dl_stop btseed
expect_eq "bt seed: exit status" "$DLRC" 0
expect_nogrep "error" "$T/btseed.out"
DLP data "$T/ref" >/dev/null
same_tree "the bt seed's data is untouched" "$T/ref/multi" "$DATA/multi"

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
