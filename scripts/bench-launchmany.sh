#!/usr/bin/env bash
# bench-launchmany.sh - the cost of idle-seeding many torrents in one
# process: `bt launchmany` side by side with transmission-daemon.
#
# Usage: scripts/bench-launchmany.sh [path/to/bt]   (default: build/bt)
#   BENCH_TORRENTS=100 torrents of BENCH_MIB=1 MiB of random data each,
#   BENCH_SECONDS=30 s idle window.  Builds nothing; needs strace,
#   transmission-daemon and transmission-remote (setup-debian.sh --test).
#
# Both clients seed the same complete data (t000 .. t099 next to
# t000.torrent ..) and announce to one `bt track` on 127.0.0.1; no other
# peers exist, so after the hash checks nothing happens.  Once every
# torrent is seeding (bt: its status lines say "seeding", transmission:
# transmission-remote -l says 100% Idle/Seeding; both bounded) and the CPU
# has been quiet for a moment, two idle windows of BENCH_SECONDS each:
#  1. untraced: RSS (VmRSS, and its RssAnon part: heap, not file pages)
#     and peak RSS (VmHWM) from /proc/PID/status at its end, CPU
#     (utime+stime of /proc/PID/stat, all threads) over it, context
#     switches (voluntary + involuntary, summed over all threads in
#     /proc/PID/task) over it: each is one wake-up of some thread;
#  2. under `strace -f -c`: calls of the blocking waits (epoll_wait,
#     epoll_pwait, poll, ppoll, select, pselect6) and of all syscalls.
# Everything runs on 127.0.0.1 and is killed on exit.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/bench-lib.sh
BT=${1:-build/bt}
case $BT in /*) ;; *) BT=$PWD/$BT ;; esac
PY=/usr/bin/python3
N=${BENCH_TORRENTS:-100}
MIB=${BENCH_MIB:-1}
WIN=${BENCH_SECONDS:-30}
DISPLAY=${BENCH_DISPLAY_INTERVAL:-60}

have() { command -v "$1" >/dev/null 2>&1; }
[ -x "$BT" ] || { echo "bench-launchmany: no bt at $BT (build it: ninja -C build)" >&2; exit 1; }
HAVE_STRACE=1
have strace || { HAVE_STRACE=0; echo "bench-launchmany: no strace: poll calls not counted" >&2; }
HAVE_TR=1
have transmission-daemon && have transmission-remote ||
	{ HAVE_TR=0; echo "bench-launchmany: no transmission-daemon: bt only" >&2; }

W=$(mktemp -d /tmp/bt-bench-lm.XXXXXX) || exit 1
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
T0=$(date +%s)

# freeport [SPAN]: a free TCP port on 127.0.0.1 with SPAN free after it.
freeport() {
	"$PY" - "${1:-1}" <<'EOF'
import random, socket, sys
span = int(sys.argv[1])
for _ in range(200):
    p = random.randrange(20000, 60000 - span)
    ok = True
    for q in range(p, p + span):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(p)
        break
EOF
}
# ctxsw PID: voluntary + involuntary context switches of all its threads.
ctxsw() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ {s += $2} END {print s + 0}'
}
stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; kill -9 "$1" 2>/dev/null; }
# quiet PID: wait (at most 60 s) until PID used no CPU for 3 s in a row.
quiet() {
	local k last cur still=0
	last=$(cpu_ticks "$1")
	for k in $(seq 60); do
		sleep 1
		cur=$(cpu_ticks "$1")
		[ -n "$cur" ] || return 1
		if [ "$cur" = "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$cur
		[ $still -ge 3 ] && return 0
	done
	return 0
}

bench_machine bench-launchmany
echo "  bt: $("$BT" --version 2>&1 | head -n 1)   transmission-daemon: $([ $HAVE_TR = 1 ] &&
	(dpkg-query -W -f '${Version}' transmission-daemon 2>/dev/null || echo '?') || echo 'not run')"
echo "  $N torrents of $MIB MiB each, complete, idle-seeding; tracker: bt track on 127.0.0.1; windows ${WIN} s"
echo

# ---- data, torrents, tracker
TP=$(freeport)
mkdir -p "$W/data"
for i in $(seq 0 $((N - 1))); do
	f=$(printf 't%03d' "$i")
	head -c $((MIB << 20)) /dev/urandom >"$W/data/$f"
	"$BT" makemetafile "http://127.0.0.1:$TP/announce" "$W/data/$f" \
		--target "$W/data/$f.torrent" >/dev/null 2>&1 ||
		{ echo "bench-launchmany: makemetafile failed" >&2; exit 1; }
done
"$BT" track --port "$TP" --dfile "$W/dstate" --nat_check 0 --logfile /dev/null \
	>"$W/track.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	curl -s --max-time 1 "http://127.0.0.1:$TP/" >/dev/null 2>&1 && break
	sleep 0.1
done
announces() { curl -s --max-time 5 "http://127.0.0.1:$TP/stats" | awk '/^bt_tracker_peers[ {]/ {s += $NF} END {print s + 0}'; }

declare -A R
# measure NAME PID: the two idle windows; fills R[NAME.*].
measure() {
	local name=$1 pid=$2 c0 c1 x0 x1 out
	c0=$(cpu_ticks "$pid")
	x0=$(ctxsw "$pid")
	sleep "$WIN"
	c1=$(cpu_ticks "$pid")
	x1=$(ctxsw "$pid")
	[ -n "$c1" ] || { R[$name.dead]=1; return 1; }
	R[$name.rss]=$(vm_kib "$pid" VmRSS)
	R[$name.hwm]=$(vm_kib "$pid" VmHWM)
	R[$name.anon]=$(vm_kib "$pid" RssAnon)
	R[$name.threads]=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$pid/status")
	R[$name.cpu]=$(awk -v t=$((c1 - c0)) -v hz="$CLK" 'BEGIN {printf "%.2f", t / hz}')
	R[$name.csw]=$(awk -v x=$((x1 - x0)) -v w="$WIN" 'BEGIN {printf "%.2f", x / w}')
	R[$name.polls]=-
	R[$name.sys]=-
	# strace -c columns: % time, seconds, usecs/call, calls, [errors,] syscall.
	[ $HAVE_STRACE = 1 ] || return 0
	out=$W/$name.strace
	timeout -s INT "$WIN" strace -f -c -o "$out" -p "$pid" >/dev/null 2>&1
	if [ -s "$out" ]; then
		R[$name.polls]=$(awk -v w="$WIN" '$NF ~ /^(epoll_wait|epoll_pwait|epoll_pwait2|poll|ppoll|select|pselect6)$/ {
			s += $4 } END {printf "%.2f", s / w}' "$out")
		R[$name.sys]=$(awk -v w="$WIN" '$NF == "total" {printf "%.2f", $4 / w}' "$out")
	fi
}

# ---- bt launchmany
BP=$(freeport 51)
mkdir -p "$W/btstate"
s0=$(date +%s.%N)
"$BT" launchmany "$W/data" --display_interval "$DISPLAY" --state_dir "$W/btstate" \
	--minport "$BP" --maxport $((BP + 50)) >"$W/bt.out" 2>&1 &
BPID=$!
PIDS+=("$BPID")
# Seeding: the last status block names every torrent "seeding"; bounded
# by two display intervals plus a minute (the first block may come only
# after one interval).
ok=0
for _ in $(seq $(((2 * DISPLAY + 60) * 2))); do
	kill -0 "$BPID" 2>/dev/null || break
	n=$(tail -n "$N" "$W/bt.out" | grep -c '": "seeding"')
	[ "$n" -ge "$N" ] && { ok=1; break; }
	sleep 0.5
done
s1=$(date +%s.%N)
if ! kill -0 "$BPID" 2>/dev/null; then
	echo "bench-launchmany: bt launchmany exited:" >&2
	tail -20 "$W/bt.out" >&2
	R[bt.dead]=1
else
	R[bt.ready]=$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.1f", b - a}')
	[ $ok = 1 ] || echo "  note: bt: $n of $N seeding after ${R[bt.ready]} s" >&2
	quiet "$BPID"
	measure bt "$BPID"
	R[bt.tracked]=$(announces)
	kill -0 "$BPID" 2>/dev/null || { R[bt.dead]=1; tail -20 "$W/bt.out" >&2; }
	stop_pid "$BPID"
fi

# ---- transmission-daemon
if [ $HAVE_TR = 1 ]; then
	RP=$(freeport)
	PP=$(freeport)
	mkdir -p "$W/tr"
	cat >"$W/tr/settings.json" <<EOF
{
    "bind-address-ipv4": "127.0.0.1",
    "bind-address-ipv6": "::1",
    "dht-enabled": false,
    "lpd-enabled": false,
    "pex-enabled": false,
    "utp-enabled": false,
    "port-forwarding-enabled": false,
    "encryption": 0,
    "peer-port": $PP,
    "peer-port-random-on-start": false,
    "rpc-enabled": true,
    "rpc-bind-address": "127.0.0.1",
    "rpc-port": $RP,
    "rpc-authentication-required": false,
    "rpc-whitelist-enabled": false,
    "rpc-host-whitelist-enabled": false,
    "download-dir": "$W/data",
    "incomplete-dir-enabled": false,
    "start-added-torrents": true,
    "ratio-limit-enabled": false,
    "idle-seeding-limit-enabled": false,
    "watch-dir-enabled": false,
    "message-level": 1
}
EOF
	s0=$(date +%s.%N)
	transmission-daemon -f -g "$W/tr" >"$W/tr.out" 2>&1 &
	TPID=$!
	PIDS+=("$TPID")
	for _ in $(seq 100); do transmission-remote "$RP" -l >/dev/null 2>&1 && break; sleep 0.1; done
	for i in $(seq 0 $((N - 1))); do
		transmission-remote "$RP" -a "$W/data/$(printf 't%03d' "$i").torrent" \
			--download-dir "$W/data" >/dev/null 2>&1
	done
	ok=0
	n=0
	for _ in $(seq 240); do
		kill -0 "$TPID" 2>/dev/null || break
		n=$(transmission-remote "$RP" -l 2>/dev/null | grep -c -E ' 100% .*(Idle|Seeding) ')
		[ "$n" -ge "$N" ] && { ok=1; break; }
		sleep 0.5
	done
	s1=$(date +%s.%N)
	if ! kill -0 "$TPID" 2>/dev/null; then
		echo "bench-launchmany: transmission-daemon exited:" >&2
		tail -20 "$W/tr.out" >&2
		R[tr.dead]=1
	else
		R[tr.ready]=$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.1f", b - a}')
		[ $ok = 1 ] || { echo "  note: transmission: $n of $N seeding after ${R[tr.ready]} s" >&2; }
		quiet "$TPID"
		measure tr "$TPID"
		R[tr.tracked]=$(announces)
		stop_pid "$TPID"
	fi
fi

# ---- table
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
printf '%-20s %8s %9s %9s %10s %8s %10s %10s %11s %8s\n' tool "RSS MiB" "anon MiB" "peak MiB" "CPU s/${WIN}s" threads "ctxsw/s" "polls/s" "syscalls/s" "ready s"
row() {
	local key=$1 label=$2
	if [ -n "${R[$key.dead]:-}" ] || [ -z "${R[$key.rss]:-}" ]; then
		printf '%-20s %s\n' "$label" "failed (see above)"
		return
	fi
	printf '%-20s %8s %9s %9s %10s %8s %10s %10s %11s %8s\n' "$label" "$(mib "${R[$key.rss]}")" \
		"$(mib "${R[$key.anon]}")" "$(mib "${R[$key.hwm]}")" "${R[$key.cpu]}" "${R[$key.threads]}" "${R[$key.csw]}" \
		"${R[$key.polls]}" "${R[$key.sys]}" "${R[$key.ready]}"
}
row bt "bt launchmany"
[ $HAVE_TR = 1 ] && row tr "transmission-daemon"
echo "  (RSS, anon (RssAnon: heap, not file pages), peak: at the end of the untraced window;"
echo "   ctxsw = voluntary + involuntary switches of all threads;"
echo "   polls = epoll_wait/epoll_pwait/poll/ppoll/select/pselect6 calls under strace -f;"
echo "   ready = start to all $N seeding (bt: its first status block, --display_interval $DISPLAY);"
echo "   peers the tracker holds: bt ${R[bt.tracked]:-?}${R[tr.tracked]:+, after transmission ${R[tr.tracked]}})"
if [ $HAVE_TR = 1 ] && [ -n "${R[bt.rss]:-}" ] && [ -n "${R[tr.rss]:-}" ]; then
	awk -v a="${R[bt.rss]}" -v b="${R[tr.rss]}" -v k="${R[bt.anon]}" -v l="${R[tr.anon]}" -v c="${R[bt.hwm]}" -v d="${R[tr.hwm]}" \
		-v e="${R[bt.cpu]}" -v f="${R[tr.cpu]}" -v g="${R[bt.csw]}" -v h="${R[tr.csw]}" \
		-v i="${R[bt.polls]}" -v j="${R[tr.polls]}" 'BEGIN {
		printf "ratios bt/transmission: RSS %.2f   anon %.2f   peak RSS %.2f   CPU %s   ctxsw/s %s   polls/s %s\n",
			a / b, (l > 0 ? k / l : 0), c / d, (f > 0 ? sprintf("%.2f", e / f) : "n/a (transmission 0)"),
			(h > 0 ? sprintf("%.2f", g / h) : "n/a"), (j + 0 > 0 ? sprintf("%.2f", i / j) : "n/a") }'
fi
for k in bt tr; do
	[ -s "$W/$k.strace" ] || continue
	echo
	echo "strace -f -c of $k over ${WIN} s (top calls):"
	awk 'NR <= 2 || /^[ ]*[0-9]/' "$W/$k.strace" | head -n 12 | sed 's/^/  /'
done
echo
echo "bench-launchmany: done in $(($(date +%s) - T0)) s"
