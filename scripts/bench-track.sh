#!/usr/bin/env bash
# bench-track.sh - `bt track` against opentracker on loopback.
#
# Usage: scripts/bench-track.sh [path/to/bt]   (default: build/bt)
#
# 1. Throughput: wrk (one thread, 50 connections, BENCH_SECONDS=10 s per
#    run) with scripts/bench-track.lua sends compact announces over 10,000
#    info hashes, a random peer id and port each, mixed events and left;
#    once with keep-alive and once with "Connection: close" (one request per
#    connection).  opentracker answers HTTP/1.0 and closes every connection
#    whatever the client asks, so its two runs are both one request per
#    connection (wrk counts each of its closes as a "read error"; they are
#    not failures).  Reported: requests/s, p50/p99 latency, tracker CPU
#    (utime+stime from /proc/PID/stat, all threads) per announce, tracker
#    CPU use, peak RSS (VmHWM).
# 2. Memory: fresh trackers get BENCH_PEERS=1,000,000 announces spread over
#    BENCH_TORRENTS=100,000 torrents (10 distinct peers each, a third
#    seeds) over HTTP keep-alive (opentracker: one per connection); the peer
#    count is read back from each tracker's statistics; reported: RSS
#    growth per peer.
# bt runs with --logfile /dev/null (its access log is on by default) and
# --nat_check 0; opentracker (Debian build, whitelist mode) with a
# whitelist of the hashes, chrooted to a scratch directory as nobody.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/bench-lib.sh
ROOT=$PWD
BT=${1:-build/bt}
case $BT in /*) ;; *) BT=$PWD/$BT ;; esac
PY=/usr/bin/python3
LUA=$ROOT/scripts/bench-track.lua
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-50}
NPEERS=${BENCH_PEERS:-1000000}
NTOR=${BENCH_TORRENTS:-100000}
NBENCH=10000

have() { command -v "$1" >/dev/null 2>&1; }
[ -x "$BT" ] || { echo "bench-track: no bt at $BT (build it: ninja -C build)" >&2; exit 1; }
have wrk || { echo "bench-track: wrk is needed" >&2; exit 1; }
have curl || { echo "bench-track: curl is needed" >&2; exit 1; }
HAVE_OT=1
have opentracker || HAVE_OT=0
if [ $HAVE_OT = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "bench-track: opentracker needs root here (it chroots); running bt only" >&2
	HAVE_OT=0
fi
[ "$NTOR" -ge "$NBENCH" ] || NTOR=$NBENCH

W=$(mktemp -d /tmp/bt-bench-track.XXXXXX) || exit 1
chmod 755 "$W"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 4096 2>/dev/null
T0=$(date +%s)

freeport() {
	"$PY" -c 'import socket
for _ in range(100):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: t.close(); u.close()'
}

# Hashes: hex for opentracker's whitelist, url-encoded for wrk.
mkdir -p "$W/ot"
chmod 755 "$W/ot"
"$PY" - "$W" "$NTOR" "$NBENCH" <<'EOF'
import hashlib, sys, urllib.parse
w, n, nb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hs = [hashlib.sha1(b"bench-track %d" % k).digest() for k in range(n)]
with open(w + "/ot/whitelist", "w") as f:
    f.writelines(h.hex() + "\n" for h in hs)
with open(w + "/hashes_all", "w") as f:
    f.writelines(urllib.parse.quote_from_bytes(h, safe="") + "\n" for h in hs)
with open(w + "/hashes_bench", "w") as f:
    f.writelines(urllib.parse.quote_from_bytes(h, safe="") + "\n" for h in hs[:nb])
EOF
chmod 644 "$W/ot/whitelist"
H1=$(head -n 1 "$W/hashes_all")

# ready PORT: an announce gets a proper reply (opentracker may still be
# reading its whitelist).
ready() {
	local k
	for k in $(seq 100); do
		if curl -s --max-time 1 "http://127.0.0.1:$1/announce?info_hash=$H1&peer_id=-RD0001-000000000001&port=9&left=1&compact=1&event=stopped" 2>/dev/null |
			grep -q '8:interval'; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# start_bt / start_ot: set PORT and PID.
start_bt() {
	PORT=$(freeport)
	rm -f "$W/bt.dstate"	# a fresh tracker: no state from an earlier run
	"$BT" track --port "$PORT" --dfile "$W/bt.dstate" --logfile /dev/null --nat_check 0 \
		>"$W/bt.out" 2>"$W/bt.err" &
	PID=$!
	PIDS+=("$PID")
	ready "$PORT" || { echo "bench-track: bt track did not start" >&2; cat "$W/bt.err" >&2; exit 1; }
}
start_ot() {
	PORT=$(freeport)
	(cd "$W/ot" && exec opentracker -i 127.0.0.1 -p "$PORT" -P "$PORT" -d "$W/ot" -u nobody \
		-A 127.0.0.1 -w whitelist) >"$W/ot.out" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	ready "$PORT" || { echo "bench-track: opentracker did not start" >&2; cat "$W/ot.out" >&2; exit 1; }
}
stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; kill -9 "$1" 2>/dev/null; }
# peers NAME PORT: the tracker's own peer count.
peers() {
	if [ "$1" = bt ]; then
		curl -s --max-time 5 "http://127.0.0.1:$2/stats" |
			awk '/^bt_tracker_peers[ {]/ {s += $NF} END {print s + 0}'
	else
		curl -s --max-time 5 "http://127.0.0.1:$2/stats?mode=peer" | head -n 1 | tr -dc 0-9
	fi
}
kv() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" "$2" | head -n 1; }

bench_machine bench-track
echo "  bt: $("$BT" --version 2>&1 | head -n 1)   opentracker: $([ $HAVE_OT = 1 ] && (dpkg-query -W -f '${Version}' opentracker 2>/dev/null || echo '?') || echo 'not run')   wrk: $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
echo "  load: wrk -t1 -c$CONNS, ${DUR} s per run, compact announces over $NBENCH info hashes, random peer id/port,"
echo "        events 60% none/20% started/10% completed/10% stopped, 30% seeds, numwant=50"
echo

TRACKERS=bt
[ $HAVE_OT = 1 ] && TRACKERS="bt opentracker"
declare -A R
printf '%-12s %-10s %10s %9s %9s %12s %8s %10s %s\n' tracker mode "req/s" "p50 ms" "p99 ms" "CPU us/ann" "CPU %" "peak MiB" "errors"
for tr in $TRACKERS; do
	if [ "$tr" = bt ]; then start_bt; else start_ot; fi
	for mode in keep close; do
		c0=$(cpu_ticks "$PID")
		wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 5s -s "$LUA" "http://127.0.0.1:$PORT" \
			-- rand "$W/hashes_bench" "$mode" >"$W/wrk.out" 2>&1
		c1=$(cpu_ticks "$PID")
		if ! grep -q '^RESULT ' "$W/wrk.out"; then
			printf '%-12s %-10s %s\n' "$tr" "$mode" "(wrk failed)"
			sed 's/^/    | /' "$W/wrk.out" | head -5
			continue
		fi
		n=$(kv requests "$W/wrk.out")
		us=$(kv duration_us "$W/wrk.out")
		p50=$(kv p50_us "$W/wrk.out")
		p99=$(kv p99_us "$W/wrk.out")
		errs="status $(kv err_status "$W/wrk.out"), timeout $(kv err_timeout "$W/wrk.out"), connect $(kv err_connect "$W/wrk.out")"
		hwm=$(vm_kib "$PID" VmHWM)
		read -r rps cpu_us cpu_pct < <(awk -v n="$n" -v us="$us" -v t=$((c1 - c0)) -v hz="$CLK" 'BEGIN {
			s = t / hz; printf "%.0f %.1f %.0f\n", n / (us / 1e6), (n ? s * 1e6 / n : 0), 100 * s / (us / 1e6) }')
		R[$tr.$mode.rps]=$rps
		R[$tr.$mode.p99]=$p99
		R[$tr.$mode.cpu]=$cpu_us
		R[$tr.$mode.hwm]=$hwm
		printf '%-12s %-10s %10s %9.2f %9.2f %12s %8s %10.1f %s\n' "$tr" "$mode" "$rps" \
			"$(awk -v x="$p50" 'BEGIN {print x / 1000}')" "$(awk -v x="$p99" 'BEGIN {print x / 1000}')" \
			"$cpu_us" "$cpu_pct" "$(awk -v k="$hwm" 'BEGIN {print k / 1024}')" "$errs"
	done
	R[$tr.tracked]=$(peers "$tr" "$PORT")
	stop_pid "$PID"
done
echo "  (mode keep = keep-alive requested, close = Connection: close; CPU % = tracker CPU time over wall time;"
echo "   peak = VmHWM after the run; peers left tracked after both runs: bt ${R[bt.tracked]}${R[opentracker.tracked]:+, opentracker ${R[opentracker.tracked]}};"
echo "   one request per connection is also bounded by loopback's ephemeral ports in TIME_WAIT:"
echo "   ports $(sysctl -n net.ipv4.ip_local_port_range 2>/dev/null | tr '\t' -), tcp_tw_reuse $(sysctl -n net.ipv4.tcp_tw_reuse 2>/dev/null))"
if [ $HAVE_OT = 1 ]; then
	echo
	echo "ratios bt/opentracker (req/s: higher is better for bt; p99, CPU, RSS: lower is better for bt)"
	for mode in keep close; do
		[ -n "${R[bt.$mode.rps]:-}" ] && [ -n "${R[opentracker.$mode.rps]:-}" ] || continue
		awk -v m="$mode" -v a="${R[bt.$mode.rps]}" -v b="${R[opentracker.$mode.rps]}" \
			-v c="${R[bt.$mode.p99]}" -v d="${R[opentracker.$mode.p99]}" \
			-v e="${R[bt.$mode.cpu]}" -v f="${R[opentracker.$mode.cpu]}" \
			-v g="${R[bt.$mode.hwm]}" -v h="${R[opentracker.$mode.hwm]}" 'BEGIN {
			printf "  %-6s req/s %6.2f   p99 %6.2f   CPU/announce %6.2f   peak RSS %6.2f\n",
				m, a / b, c / d, (f > 0 ? e / f : 0), g / h }'
	done
fi

# ---------------------------------------------------------------- memory
echo
echo "memory: $NPEERS peers over $NTOR torrents ($((NPEERS / NTOR)) a torrent, a third seeds), fresh trackers"
printf '%-12s %10s %10s %10s %10s %10s %12s %9s\n' tracker peers "base MiB" "RSS MiB" "peak MiB" "fill s" "announces/s" "B/peer"
for tr in $TRACKERS; do
	if [ "$tr" = bt ]; then start_bt; else start_ot; fi
	base=$(vm_kib "$PID" VmRSS)
	mode=keep
	[ "$tr" = opentracker ] && mode=close
	s0=$(date +%s.%N)
	wrk -t1 -c"$CONNS" -d250s --timeout 5s -s "$LUA" "http://127.0.0.1:$PORT" \
		-- fill "$W/hashes_all" "$mode" "$NPEERS" >"$W/fill.out" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	# Poll the tracker's count and stop wrk (SIGINT makes it report) once
	# all peers are in, or the count grew by less than 0.1% in the last 5 s
	# (the sequence has wrapped: what is missing got lost), or after 200 s.
	got=0
	hist=()
	for k in $(seq 400); do
		sleep 0.5
		got=$(peers "$tr" "$PORT")
		got=${got:-0}
		hist[k]=$got
		[ "$got" -ge "$NPEERS" ] && break
		[ "$k" -gt 10 ] && [ $((got - hist[k - 10])) -lt $((NPEERS / 1000)) ] && break
		kill -0 "$WPID" 2>/dev/null || break
	done
	s1=$(date +%s.%N)
	kill -INT "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	sleep 0.5
	got=$(peers "$tr" "$PORT")
	rss=$(vm_kib "$PID" VmRSS)
	hwm=$(vm_kib "$PID" VmHWM)
	R[$tr.mem]=$(awk -v r="$rss" -v b="$base" -v n="$got" 'BEGIN {printf "%.1f", (n ? (r - b) * 1024 / n : 0)}')
	R[$tr.rss]=$rss
	printf '%-12s %10s %10.1f %10.1f %10.1f %10.1f %12.0f %9s\n' "$tr" "$got" \
		"$(awk -v k="$base" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
		"$(awk -v k="$hwm" 'BEGIN {print k / 1024}')" "$(awk -v a="$s0" -v b="$s1" 'BEGIN {print b - a}')" \
		"$(awk -v a="$s0" -v b="$s1" -v n="$got" 'BEGIN {print n / (b - a)}')" "${R[$tr.mem]}"
	[ "${got:-0}" -ge "$NPEERS" ] || echo "  note: $tr holds $got peers, not $NPEERS"
	stop_pid "$PID"
done
echo "  (B/peer = (RSS after - RSS at start) / peers; base includes opentracker's whitelist)"
if [ $HAVE_OT = 1 ] && [ -n "${R[bt.mem]:-}" ] && [ -n "${R[opentracker.mem]:-}" ]; then
	awk -v a="${R[bt.mem]}" -v b="${R[opentracker.mem]}" -v c="${R[bt.rss]}" -v d="${R[opentracker.rss]}" 'BEGIN {
		printf "ratio bt/opentracker: bytes per peer %.2f, RSS %.2f\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
fi
echo
echo "bench-track: done in $(($(date +%s) - T0)) s"
