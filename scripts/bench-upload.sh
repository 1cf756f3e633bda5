#!/usr/bin/env bash
# bench-upload.sh - upload to Transmission (transmission-cli 3.00) over
# loopback: bt seeding to it, then libtorrent's client (scripts/bench-lt.py)
# seeding the same torrent to a fresh transmission-cli, one after the other
# in one run; prints MiB/s of each and bt's ratio to libtorrent.
#
# Usage: scripts/bench-upload.sh [path/to/bt] [size_mib]
#   path/to/bt        default build/bt
#   size_mib          default 256 (or BENCH_MIB)
# Environment:
#   BENCH_PIECE_KIB   piece size in KiB, a power of two (default 256)
#   BENCH_SEEDERS     which seeders, in order (default "bt lt"); a seeder
#                     named more than once runs more than once, and its
#                     ratios use the median of its runs
#   BT_OLD            a second bt binary, run first as "bt(old)": a change
#                     measured before and after in one run
#   BENCH_TIMEOUT     seconds one transfer may take (default 300)
#   BENCH_DIR         where data goes (default /dev/shm when it has room)
#
# Transmission will not dial peers at 127.0.0.0/8 (PEERS.md: "martian"
# addresses) but takes incoming ones, so the seeder must dial it: a fresh
# transmission-cli (DHT, LPD, PEX, uTP, port mapping and encryption off,
# bound to 127.0.0.1) starts first and announces to a `bt track` tracker;
# then the seeder starts on the complete data and gets Transmission's
# address from its first announce.  Time runs from the seeder's start
# (its hash check of the data included: both check) until transmission-cli
# says the torrent went "Complete"; the data is compared afterwards.  CPU
# seconds of both sides (utime + stime from /proc at that moment) and the
# seeder's peak RSS are shown too: Transmission's CPU says whether it was
# the limit.
set -u
CALLER_PWD=$PWD
cd "$(dirname "$0")/.." || exit 1
HERE=$PWD/scripts
BT=${1:-build/bt}
MIB=${2:-${BENCH_MIB:-256}}
PIECE_KIB=${BENCH_PIECE_KIB:-256}
SEEDERS=${BENCH_SEEDERS:-bt lt}
BT_OLD=${BT_OLD:-}
TIMEOUT=${BENCH_TIMEOUT:-300}
PY=/usr/bin/python3
LTPY=$HERE/bench-lt.py
. "$HERE/bench-lib.sh"
BT=$(abspath "$BT")
[ -x "$BT" ] || die "no bt at $BT (build it: ninja -C build)"
[ -z "$BT_OLD" ] || BT_OLD=$(abspath "$BT_OLD")
command -v transmission-cli >/dev/null || die "transmission-cli is needed"
PSHIFT=0
while [ $((1 << PSHIFT)) -lt $((PIECE_KIB * 1024)) ]; do PSHIFT=$((PSHIFT + 1)); done
[ $((1 << PSHIFT)) = $((PIECE_KIB * 1024)) ] || die "BENCH_PIECE_KIB must be a power of two"
HAVE_LT=0
"$PY" -c 'import libtorrent' 2>/dev/null && HAVE_LT=1
RUN=()
[ -n "$BT_OLD" ] && RUN+=(btold)
for s in $SEEDERS; do
	case $s in
	bt) RUN+=(bt) ;;
	lt | libtorrent)
		if [ $HAVE_LT = 1 ]; then RUN+=(lt); else echo "bench: no python3-libtorrent: lt skipped" >&2; fi ;;
	*) die "unknown seeder '$s' (bt, lt)" ;;
	esac
done

if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=/tmp
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
	[ -n "$avail" ] && [ "$avail" -gt $((MIB * 1024 * 5 / 2)) ] && BENCH_DIR=/dev/shm
fi
W=$(mktemp -d "$BENCH_DIR/bt-bench-up.XXXXXX") || exit 1
PIDS=()
cleanup() {
	exec 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p"; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p"; done
	wait
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
freeport() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- data, torrent, tracker
mkdir -p "$W/seed"
head -c $((MIB << 20)) /dev/urandom >"$W/seed/data.bin" || die "cannot write the data"
TP=$(freeport)
"$BT" makemetafile "http://127.0.0.1:$TP/announce" "$W/seed/data.bin" \
	--piece_size_pow2 "$PSHIFT" --target "$W/t.torrent" >/dev/null || die "makemetafile failed"
"$BT" track --port "$TP" --dfile "$W/dstate" --nat_check 0 --logfile /dev/null \
	>"$W/track.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$TP") 2>/dev/null && break; sleep 0.1; done

# leechers: how many the tracker counts (earlier runs' stay until they time
# out)
leechers() {
	curl -s "http://127.0.0.1:$TP/scrape" | grep -o '10:incompletei[0-9]*' | cut -d i -f 3 | grep . ||
		echo 0
}

# run SEEDER N: transfer N to a fresh transmission-cli; prints "seconds
# transmission_cpu_s seeder_cpu_s seeder_rss_kib" or "timeout"/"bad data"
run() {
	local kind=$1 d=$W/$1.$2 xport sport spid xpid t0 t1 ok=0 n0
	mkdir -p "$d/cfg" "$d/dl" "$d/home"
	xport=$(freeport)
	sport=$(freeport)
	cat >"$d/cfg/settings.json" <<-EOF
	{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false,
	 "utp-enabled": false, "encryption": 0, "port-forwarding-enabled": false,
	 "peer-port": $xport, "bind-address-ipv4": "127.0.0.1", "rpc-enabled": false,
	 "speed-limit-up-enabled": false, "speed-limit-down-enabled": false,
	 "blocklist-enabled": false, "ratio-limit-enabled": false}
	EOF
	n0=$(leechers)
	HOME=$d/home transmission-cli -g "$d/cfg" -w "$d/dl" -p "$xport" "$W/t.torrent" \
		>"$d/tr.out" 2>&1 &
	xpid=$!
	PIDS+=($xpid)
	# Its first announce must be in before the seeder asks for peers:
	# the tracker's full scrape counts one more leecher (a seeder that
	# finds nobody waits to be dialled, which Transmission never does on
	# loopback).  Bounded: 20 s.
	for _ in $(seq 200); do
		[ "$(leechers)" -gt "$n0" ] && break
		sleep 0.1
	done
	t0=$EPOCHREALTIME
	case $kind in
	bt | btold)
		local bin=$BT
		[ "$kind" = btold ] && bin=$BT_OLD
		HOME=$d/home "$bin" download --saveas "$W/seed/data.bin" --minport "$sport" \
			--maxport "$sport" --display_interval 1 "$W/t.torrent" >"$d/seed.out" 2>&1 &
		;;
	lt)
		"$PY" "$LTPY" seed "$W/t.torrent" "$W/seed" "$sport" >"$d/seed.out" 2>&1 &
		;;
	esac
	spid=$!
	PIDS+=($spid)
	for _ in $(seq $((TIMEOUT * 20))); do
		if grep -q 'to "Complete"' "$d/tr.out"; then ok=1; break; fi
		kill -0 "$xpid" 2>/dev/null || break
		sleep 0.05
	done
	t1=$EPOCHREALTIME
	local xcpu scpu srss
	xcpu=$(cpu_ticks "$xpid") scpu=$(cpu_ticks "$spid") srss=$(vm_kib "$spid" VmHWM)
	kill "$spid" "$xpid" 2>/dev/null
	wait "$spid" "$xpid" 2>/dev/null
	if [ $ok = 0 ]; then
		echo timeout
	elif ! cmp -s "$W/seed/data.bin" "$d/dl/data.bin"; then
		echo "bad data"
	else
		echo "$t0 $t1 $xcpu $scpu $CLK ${srss:-0}" |
			awk '{printf "%.2f %.2f %.2f %d\n", $2 - $1, $3 / $5, $4 / $5, $6}'
	fi
	rm -rf "$d"
}

bench_machine bench-upload
echo "  upload to transmission-cli over loopback: $MIB MiB, ${PIECE_KIB} KiB pieces"
printf '%-12s %9s %10s %18s %14s %14s\n' seeder seconds MiB/s "transmission CPU" "seeder CPU" "seeder RSS"
declare -A SECS
n=0
for k in "${RUN[@]}"; do
	n=$((n + 1))
	read -r secs xcpu scpu srss < <(run "$k" "$n")
	case $secs in
	timeout | bad*) printf '%-12s %s\n' "$k" "$secs"; continue ;;
	esac
	SECS[$k]="${SECS[$k]:-} $secs"
	printf '%-12s %9.2f %10.1f %16.2f s %12.2f s %10.1f MiB\n' "$k" "$secs" \
		"$(echo "$MIB $secs" | awk '{print $1 / $2}')" "$xcpu" "$scpu" \
		"$(echo "$srss" | awk '{print $1 / 1024}')"
done
median() {	# median KIND: of its runs' seconds
	printf '%s\n' ${SECS[$1]} | sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() {	# ratio A B: speed of A over speed of B
	[ -n "${SECS[$1]:-}" ] && [ -n "${SECS[$2]:-}" ] || return
	printf 'ratio %s / %s: %.2f (above 1: %s is faster)\n' "$1" "$2" \
		"$(echo "$(median "$2") $(median "$1")" | awk '{print $1 / $2}')" "$1"
}
ratio bt lt
ratio bt btold
ratio btold lt
exit 0
