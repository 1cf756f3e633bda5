#!/usr/bin/env bash
# track_interop.sh - real clients announce to `bt track` on loopback and
# find each other through it: libtorrent seed + leecher over HTTP (with
# scrape) and over UDP, aria2c leeching from a libtorrent seed, and
# Transmission seeding to a libtorrent leecher.  A part whose tool is
# missing prints SKIP and counts as passed.
NAME=track_interop
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
LT() { timeout 60 "$PY" "$HERE/track_lt.py" "$@"; }

HAVE_LT=0
"$PY" -c 'import libtorrent' 2>/dev/null && HAVE_LT=1

LOG=$T/track.log
TRACK_OPTS=(--dfile "$T/dstate" --logfile "$LOG" --min_time_between_log_flushes 0)
if ! track_start; then
	fail "bt track did not start"
	cat "$T/track.err" >&2
	finish
fi
HTTP=http://127.0.0.1:$P/announce
UDP=udp://127.0.0.1:$P/announce

# wait_log TEXT SECS: until the access log holds TEXT.
wait_log() {
	for _ in $(seq $(($2 * 10))); do
		grep -qF -e "$1" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}
# start_seed TORRENT DIR NAME: a libtorrent seed in the background
# (at most 60 s), ready when NAME.ready exists.
start_seed() {
	LT seed "$1" "$2" 60 "$T/$3.ready" >"$T/$3.seed.out" 2>&1 &
	PIDS+=("$!")
	printf -v "SEED_$3" %s "$!"
	wait_file "$T/$3.ready" 15 || fail "libtorrent seed $3 not ready (no tracker reply?)"
}
stop_seed() {
	local v=SEED_$1
	touch "$T/$1.ready.stop"
	for _ in $(seq 30); do kill -0 "${!v}" 2>/dev/null || break; sleep 0.1; done
	kill "${!v}" 2>/dev/null
}

mkdir -p seed leech leech2 aria trcfg
if [ $HAVE_LT = 1 ]; then
	# ================= libtorrent seed + leecher over HTTP, then scrape
	LT make seed/http.bin 1000000 http.torrent "$HTTP" 1
	LT swarm http.torrent seed leech 30 >swarm.out 2>&1
	expect_grep "seed_reply 0" swarm.out
	n=$(field leech_reply swarm.out)
	expect_eq "libtorrent leecher got the seed from the tracker" "${n:-none}" 1
	expect_egrep '^done 1 ' swarm.out
	expect_file_eq "libtorrent leecher's data" leech/http.bin seed/http.bin
	expect_eq "libtorrent scrape: 2 seeds, 0 leechers" "$(grep '^scrape' swarm.out)" "scrape 2 0"
	expect_nogrep tracker_error swarm.out
	wait_log "event=completed" 3
	expect_egrep '"GET /announce\?info_hash=[^ ]*left=0[^ ]*event=completed[^ ]* HTTP/1\.1" 200 [0-9]+ "-" "bt-track-test/libtorrent"' "$LOG"
	expect_egrep '"GET /scrape\?info_hash=[^ ]* HTTP/1\.1" 200 [0-9]+ ' "$LOG"

	# ================= libtorrent over UDP (BEP 15), seed and leecher in
	# separate processes
	LT make seed/udp.bin 700000 udp.torrent "$UDP" 2
	start_seed udp.torrent seed udp
	LT leech udp.torrent leech 30 >udp.out 2>&1
	stop_seed udp
	n=$(field leech_reply udp.out)
	expect_eq "UDP: libtorrent leecher got the seed" "${n:-none}" 1
	expect_egrep '^done 1 ' udp.out
	expect_file_eq "UDP: leecher's data" leech/udp.bin seed/udp.bin
	expect_nogrep tracker_error udp.out
	expect_nogrep tracker_error udp.seed.out
	# The tracker counted the download (the stopped announces may or may
	# not have gone out as the sessions closed).
	run U udp "$P" 127.0.0.1 scrape "$(tq udp.torrent ih)"
	expect_egrep '^[0-2] 1 0$' "$OUT"

	# ================= UDP, both sessions in one process: libtorrent keeps
	# one connection id per tracker address for the whole process, so
	# the id must not be tied to the client's source port (opentracker ties
	# it to the IP only).
	LT make seed/udp2.bin 300000 udp2.torrent "$UDP" 3
	LT swarm udp2.torrent seed leech2 8 >udp2.out 2>&1
	n=$(field leech_reply udp2.out)
	expect_eq "UDP, one process: leecher got the seed" "${n:-none}" 1
	expect_egrep '^done 1 ' udp2.out
	expect_nogrep tracker_error udp2.out

	# ================= aria2c leeching from a libtorrent seed
	if have aria2c; then
		LT make seed/aria.bin 800000 aria.torrent "$HTTP" 4
		start_seed aria.torrent seed aria
		AP=$(U freeport)
		run timeout 40 aria2c -d aria --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
			--enable-peer-exchange=false --seed-time=0 --listen-port="$AP" --bt-stop-timeout=30 \
			--summary-interval=0 --quiet=true aria.torrent
		stop_seed aria
		expect_eq "aria2c: exit status" "$RC" 0
		expect_file_eq "aria2c: data from the libtorrent seed" aria/aria.bin seed/aria.bin
		expect_egrep '"GET /announce\?[^ ]*left=800000[^ ]* HTTP/1\.1" 200 [0-9]+ "-" "aria2/' "$LOG"
	else
		skip "aria2c not installed"
	fi
else
	skip "python3-libtorrent not installed (libtorrent and aria2c parts)"
fi

# ================= Transmission as a seed
if have transmission-cli && have transmission-create; then
	"$PY" -c 'import random; open("seed/tr.bin", "wb").write(random.Random(5).randbytes(600000))'
	transmission-create -o tr.torrent -s 32 -t "$HTTP" seed/tr.bin >/dev/null 2>&1
	TRP=$(U freeport)
	cat >trcfg/settings.json <<EOF
{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
 "port-forwarding-enabled": false, "bind-address-ipv4": "127.0.0.1", "encryption": 0,
 "peer-port": $TRP, "peer-port-random-on-start": false, "rpc-enabled": false,
 "download-dir": "$T/seed", "incomplete-dir-enabled": false, "speed-limit-up-enabled": false,
 "blocklist-enabled": false, "message-level": 1}
EOF
	timeout 60 transmission-cli -g "$T/trcfg" -w "$T/seed" -p "$TRP" tr.torrent >tr.out 2>&1 &
	PIDS+=("$!")
	TRPID=$!
	if wait_log '"Transmission/' 15 && wait_log "port=$TRP&" 1; then pass; else
		fail "no announce from Transmission in the access log"
		tail -5 tr.out >&2
	fi
	for _ in $(seq 100); do
		grep -q "left=0&[^ ]*event=started[^ ]* HTTP/1.1\" 200 .*Transmission/" "$LOG" && break
		sleep 0.1
	done
	expect_egrep "\"GET /announce\?[^ ]*port=$TRP&[^ ]*left=0&[^ ]*event=started[^ ]* HTTP/1\.1\" 200 [0-9]+ \"-\" \"Transmission/" "$LOG"
	TRIH=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote_from_bytes(bytes.fromhex(sys.argv[1])))' \
		"$(tq tr.torrent ih)")
	CODE=$(curl -s --max-time 5 -o tr.reply -w '%{http_code}' \
		"$HTTP?info_hash=$TRIH&peer_id=-TT0001-000000000009&port=9&left=5&compact=1&numwant=50")
	expect_eq "an announce next to Transmission: status" "$CODE" 200
	expect_eq "Transmission's seed is handed out" "$(U q tr.reply 'peers(d)' 2>&1)" "['127.0.0.1:$TRP']"
	if [ $HAVE_LT = 1 ]; then
		LT leech tr.torrent leech 20 "$TRP" >trl.out 2>&1
		expect_eq "libtorrent leecher connected to Transmission's seed" "$(field peer_seen trl.out)" 1
		case $(field "done" trl.out) in
		1\ *) echo "track_interop: libtorrent got the data from Transmission in $(field "done" trl.out | cut -d' ' -f2) s" ;;
		*) echo "track_interop: note: Transmission (slow on loopback) did not finish the upload in 20 s" ;;
		esac
	fi
	kill "$TRPID" 2>/dev/null
else
	skip "transmission-cli not installed"
fi

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
if grep -qE 'runtime error|Sanitizer' "$T/track.err"; then
	fail "sanitizer report from bt track"
	grep -E -A6 'runtime error|Sanitizer' "$T/track.err" | head -n 12 | sed 's/^/    | /' >&2
else
	pass
fi
finish
