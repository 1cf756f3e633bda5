#!/usr/bin/env bash
# bench-download.sh - download one torrent over loopback for every pairing
# of seeder and leecher among bt, libtorrent (python3-libtorrent) and aria2c,
# one pair at a time, and print MiB/s, CPU seconds per GiB of both sides and
# the peak RSS of both, with bt's ratios against the other leechers.
#
# Usage: scripts/bench-download.sh [path/to/bt] [size_mib]
#   path/to/bt        default build/bt
#   size_mib          default 1024 (or BENCH_MIB)
# Environment:
#   BENCH_PIECE_KIB   piece size in KiB, a power of two (default 256)
#   BENCH_PAIRS       the pairs to run, SEEDER:LEECHER separated by blanks,
#                     kinds bt, lt (libtorrent), aria2 (default: all nine,
#                     "lt:bt lt:lt lt:aria2 bt:bt bt:aria2 bt:lt aria2:bt
#                     aria2:aria2 aria2:lt")
#   BT_OLD            a second bt binary: every pair with bt on a side runs
#                     with it as well ("bt(old)" rows, before the "bt" rows),
#                     so a change is measured before and after in one run
#   BENCH_RUNS        runs of each pair (default 1); the fastest is shown
#                     (the machine may be shared: figures are noisy)
#   BENCH_TIMEOUT     seconds one leecher may take (default 120 per GiB, at
#                     least 30); past it the pair shows "timeout" and the run
#                     goes on
#   BENCH_DIR         where data goes (default /dev/shm when it has room,
#                     else /tmp: memory, not the disk, is what is measured)
#   BENCH_STRACE      1: run the leecher and seeder of bt:bt pairs under
#                     `strace -f -c` and print the system call counts (slows
#                     them down; the figures of those rows are then not
#                     comparable)
#
# Each pair gets a fresh seeder on the complete data and a fresh leecher in
# an empty directory.  The seeder is told of no tracker (its torrent's
# announce URL is a closed port, the info hash is the same); the leecher
# learns the seeder's address directly: bt and aria2c from a `bt track`
# tracker on which the harness announced the seeder (one peer in the reply),
# libtorrent through connect_peer.  Time runs from the leecher's start to
# the moment it reports its data complete (bt: "Download Succeeded", aria2c:
# "Download complete", bench-lt.py: "done"), polled every 50 ms; the data is
# compared with the seed's afterwards.  Leecher CPU and peak RSS come from
# /usr/bin/time -v over its whole process; seeder CPU is the growth of its
# /proc/PID/stat utime+stime while the leecher ran, its peak RSS the VmHWM
# of /proc/PID/status when the leecher is done (its whole life so far,
# start-up check included).  libtorrent memory-maps
# the data, so its RSS includes file pages; its leecher time and CPU include
# starting Python and importing the module (about 0.2 s).
#
# libtorrent runs with the settings in scripts/bench-lt.py: above all TCP
# only.  By default it tries uTP first on every outgoing connection, and
# uTP (congestion control by measured delay, in user space) carries a
# fraction of what TCP does over loopback, and less still when the CPU is
# shared (512 MiB libtorrent -> libtorrent: 81 s over uTP, 7 s over TCP, on
# a busy 2-core machine).  Only the libtorrent -> libtorrent pair was hit
# (bt and aria2 have no uTP, so libtorrent falls back to TCP with them);
# that, not its disk settings, is why the earlier harness measured it far
# below its usual figures.
set -u
CALLER_PWD=$PWD
cd "$(dirname "$0")/.." || exit 1
HERE=$PWD/scripts
BT=${1:-build/bt}
MIB=${2:-${BENCH_MIB:-1024}}
PIECE_KIB=${BENCH_PIECE_KIB:-256}
PAIRS=${BENCH_PAIRS:-lt:bt lt:lt lt:aria2 bt:bt bt:aria2 bt:lt aria2:bt aria2:aria2 aria2:lt}
BT_OLD=${BT_OLD:-}
RUNS=${BENCH_RUNS:-1}
TIMEOUT=${BENCH_TIMEOUT:-$((MIB * 120 / 1024 < 30 ? 30 : MIB * 120 / 1024))}
PY=/usr/bin/python3
LTPY=$HERE/bench-lt.py
. "$HERE/bench-lib.sh"
BT=$(abspath "$BT")
[ -x "$BT" ] || die "no bt at $BT (build it: ninja -C build)"
if [ -n "$BT_OLD" ]; then
	BT_OLD=$(abspath "$BT_OLD")
	[ -x "$BT_OLD" ] || die "no bt at BT_OLD=$BT_OLD"
fi
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (package time)"
command -v curl >/dev/null || die "curl is needed"
PSHIFT=0
while [ $((1 << PSHIFT)) -lt $((PIECE_KIB * 1024)) ]; do PSHIFT=$((PSHIFT + 1)); done
[ $((1 << PSHIFT)) = $((PIECE_KIB * 1024)) ] || die "BENCH_PIECE_KIB must be a power of two"

# ---- which pairs, with which kinds available
HAVE_LT=0
"$PY" -c 'import libtorrent' 2>/dev/null && HAVE_LT=1
HAVE_ARIA2=0
command -v aria2c >/dev/null && HAVE_ARIA2=1
# kind names: bt, btold, lt, aria2
norm_kind() {
	case $1 in
	bt) echo bt ;;
	lt | libtorrent) echo lt ;;
	aria2 | aria2c) echo aria2 ;;
	*) die "unknown kind '$1' in BENCH_PAIRS (bt, lt, aria2)" ;;
	esac
}
label() {
	case $1 in
	bt) echo bt ;;
	btold) echo "bt(old)" ;;
	lt) echo libtorrent ;;
	aria2) echo aria2 ;;
	esac
}
RUN=()	# "seeder:leecher" with btold for the BT_OLD binary
for p in $PAIRS; do
	s=$(norm_kind "${p%%:*}") || exit 1
	l=$(norm_kind "${p#*:}") || exit 1
	skip=""
	for k in $s $l; do
		[ "$k" = lt ] && [ $HAVE_LT = 0 ] && skip="python3-libtorrent is missing"
		[ "$k" = aria2 ] && [ $HAVE_ARIA2 = 0 ] && skip="aria2c is missing"
	done
	if [ -n "$skip" ]; then
		echo "bench: skipping $p: $skip" >&2
		continue
	fi
	if [ -n "$BT_OLD" ] && { [ "$s" = bt ] || [ "$l" = bt ]; }; then
		os=$s ol=$l
		[ "$s" = bt ] && os=btold
		[ "$l" = bt ] && ol=btold
		RUN+=("$os:$ol")
	fi
	RUN+=("$s:$l")
done
[ ${#RUN[@]} -gt 0 ] || die "no pair to run"

# ---- where, and what on
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=/tmp
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
	[ -n "$avail" ] && [ "$avail" -gt $((MIB * 1024 * 5 / 2)) ] && BENCH_DIR=/dev/shm
fi
W=$(mktemp -d "$BENCH_DIR/bt-bench-dl.XXXXXX") || exit 1
PIDS=()
cleanup() {
	exec 2>/dev/null
	[ ${#PIDS[@]} -gt 0 ] && STOP_SECS=2 stop "${PIDS[@]}"
	wait
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_machine bench-download
echo "  $MIB MiB, piece $PIECE_KIB KiB, over 127.0.0.1, data in $BENCH_DIR ($(df -PT "$W" | awk 'NR == 2 {print $2}'))"
v_lt=-
[ $HAVE_LT = 1 ] && v_lt=$("$PY" -c 'import libtorrent; print(libtorrent.__version__)')
v_a2=-
[ $HAVE_ARIA2 = 1 ] && v_a2=$(aria2c --version | sed -n '1s/^aria2 version //p')
echo "clients: bt $BT${BT_OLD:+, bt(old) $BT_OLD}, libtorrent $v_lt, aria2 $v_a2"
echo

# ---- data, torrents, tracker
freeport() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIZE=$((MIB << 20))
mkdir -p "$W/seed"
head -c "$SIZE" /dev/urandom >"$W/seed/data.bin" || exit 1
TP=$(freeport)
"$BT" makemetafile "http://127.0.0.1:$TP/announce" "$W/seed/data.bin" \
	--piece_size_pow2 "$PSHIFT" --target "$W/leech.torrent" >/dev/null || die "makemetafile failed"
# The seeders' copy announces to a closed port (the discard port): they
# are known to the tracker only through the harness.
"$PY" "$LTPY" retracker "$W/leech.torrent" "$W/seed.torrent" "http://127.0.0.1:9/announce" ||
	die "cannot write the seeders' torrent"
IH=$("$PY" "$LTPY" infohash "$W/leech.torrent")
"$BT" track --port "$TP" --dfile "$W/dstate" --nat_check 0 --logfile /dev/null \
	>"$W/track.out" 2>&1 &
PIDS+=($!)

now() { echo "$EPOCHREALTIME"; }
# listening PORT: something accepts connections on 127.0.0.1:PORT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_for SECS PID FILE PATTERN...: until FILE holds one of the (grep -e)
# patterns; returns 1 when SECS pass first, 2 when PID ends first
wait_for() {
	local secs=$1 pid=$2 file=$3 p
	shift 3
	local pats=()
	for p in "$@"; do pats+=(-e "$p"); done
	for _ in $(seq $((secs * 20))); do
		grep -q "${pats[@]}" "$file" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			grep -q "${pats[@]}" "$file" 2>/dev/null && return 0
			return 2
		fi
		sleep 0.05
	done
	return 1
}
# stop PID...: SIGTERM (or STOP_SIG), up to STOP_SECS (5) s, then SIGKILL; reap.  A
# /usr/bin/time or strace process is not signalled itself (it would die
# without its report): its child is.  Only our own children are signalled, and only
# while they (or, for a child of time, its time process) are unreaped, so
# no pid can have been reused.
stop() {
	local p
	sig_all() {
		local q c
		for q in "$@"; do
			# Down through time and strace to the client.
			while c=$(cat "/proc/$q/comm" 2>/dev/null) &&
				{ [ "$c" = time ] || [ "$c" = strace ]; } &&
				c=$(pgrep -P "$q" | head -1) && [ -n "$c" ]; do
				q=$c
			done
			kill "$SIG" "$q" 2>/dev/null
		done
	}
	SIG=${STOP_SIG:--TERM} sig_all "$@"
	for _ in $(seq $((${STOP_SECS:-5} * 10))); do
		local alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	SIG=-KILL sig_all "$@"
	for p in "$@"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# Forget them.
	local keep=() k
	for k in "${PIDS[@]}"; do
		for p in "$@"; do [ "$k" = "$p" ] && continue 2; done
		keep+=("$k")
	done
	PIDS=("${keep[@]}")
}
announce() {	# announce EVENT PORT: on the seeder's behalf
	curl -s "http://127.0.0.1:$TP/announce?info_hash=$IH&peer_id=-BH0000-benchseed000&port=$2&uploaded=0&downloaded=0&left=0&event=$1&compact=1" >/dev/null
}
btbin() { if [ "$1" = btold ]; then echo "$BT_OLD"; else echo "$BT"; fi; }
ARIA2_OPTS=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false
	--enable-peer-exchange=false --file-allocation=none --summary-interval=0
	--console-log-level=notice --bt-max-open-files=4 --auto-save-interval=0)

# seed_start KIND DIR: start a seeder of KIND on DIR's data; sets SPID,
# SPORT; fails when it is not seeding within 120 s
seed_start() {
	local kind=$1 dir=$2
	SPORT=$(freeport)
	case $kind in
	bt | btold)
		mkdir -p "$dir/home"
		HOME=$dir/home "$(btbin "$kind")" download --saveas "$W/seed/data.bin" \
			--minport "$SPORT" --maxport "$SPORT" --security 0 --display_interval 1 \
			"$W/seed.torrent" >"$dir/seed.out" 2>&1 &
		SPID=$!
		PIDS+=("$SPID")
		wait_for 120 $SPID "$dir/seed.out" 'complete: seeding' 'Download Succeeded' || return 1
		;;
	lt)
		"$PY" "$LTPY" seed "$W/seed.torrent" "$W/seed" "$SPORT" >"$dir/seed.out" 2>&1 &
		SPID=$!
		PIDS+=("$SPID")
		wait_for 120 $SPID "$dir/seed.out" '^seeding' || return 1
		;;
	aria2)
		aria2c --dir="$W/seed" "${ARIA2_OPTS[@]}" --listen-port="$SPORT" \
			--bt-seed-unverified=true --check-integrity=false --seed-ratio=0.0 \
			--bt-exclude-tracker='*' "$W/seed.torrent" >"$dir/seed.out" 2>&1 &
		SPID=$!
		PIDS+=("$SPID")
		;;
	esac
	for _ in $(seq 200); do listening "$SPORT" && return 0; kill -0 "$SPID" 2>/dev/null || return 1; sleep 0.1; done
	return 1
}

# leech_start KIND DIR PORT: start a leecher of KIND into DIR/data.bin,
# listening on PORT (not libtorrent: it picks its own), under /usr/bin/time
# -v (DIR/time); sets LPID (the time process)
leech_start() {
	local kind=$1 dir=$2 port=$3
	local tv=(/usr/bin/time -v -o "$dir/time")
	[ "${STRACE_L:-0}" = 1 ] && tv+=(strace -f -c -o "$dir/strace.leecher")
	case $kind in
	bt | btold)
		mkdir -p "$dir/home"
		HOME=$dir/home "${tv[@]}" "$(btbin "$kind")" download --saveas "$dir/data.bin" \
			--minport "$port" --maxport "$port" --security 0 --display_interval 1 \
			"$W/leech.torrent" >"$dir/leech.out" 2>&1 &
		;;
	lt)
		BENCH_LT_TIMEOUT=$TIMEOUT "${tv[@]}" "$PY" "$LTPY" leech "$W/leech.torrent" "$dir" \
			"127.0.0.1:$SPORT" >"$dir/leech.out" 2>&1 &
		;;
	aria2)
		"${tv[@]}" aria2c --dir="$dir" "${ARIA2_OPTS[@]}" --listen-port="$port" \
			--seed-time=0 --check-integrity=false "$W/leech.torrent" >"$dir/leech.out" 2>&1 &
		;;
	esac
	LPID=$!
	PIDS+=("$LPID")
}

declare -A R_SECS R_LCPU R_SCPU R_RSS R_SRSS R_NOTE
# run_pair SEEDER LEECHER: one measurement, into the R_* arrays under "S:L"
run_pair() {
	local s=$1 l=$2 key=$1:$2 dir=$W/pair
	rm -rf "$dir"
	mkdir -p "$dir"
	R_SECS[$key]=0
	STRACE_L=0
	if [ "${BENCH_STRACE:-0}" = 1 ] && [[ $s == bt* ]] && [[ $l == bt* ]]; then
		STRACE_L=1
	fi
	if ! seed_start "$s" "$dir"; then
		R_NOTE[$key]="seeder did not start"
		tail -5 "$dir/seed.out" | sed 's/^/    seeder| /' >&2
		stop "$SPID"
		return
	fi
	local spid=$SPID straced=""
	if [ $STRACE_L = 1 ]; then
		strace -f -c -p "$SPID" -o "$dir/strace.seeder" 2>/dev/null &
		straced=$!
		PIDS+=("$straced")
		sleep 0.5
	fi
	announce started "$SPORT"
	local c0 t0 t1 c1 rc pat lport
	lport=$(freeport)
	case $l in
	bt | btold) pat='Download Succeeded' ;;
	lt) pat='^done' ;;
	aria2) pat='Download complete' ;;
	esac
	c0=$(cpu_ticks "$spid")
	t0=$(now)
	leech_start "$l" "$dir" "$lport"
	wait_for "$TIMEOUT" "$LPID" "$dir/leech.out" "$pat"
	rc=$?
	t1=$(now)
	c1=$(cpu_ticks "$spid")
	R_SRSS[$key]=$(vm_kib "$spid" VmHWM)
	stop "$LPID"
	announce stopped "$SPORT"
	[ -n "$straced" ] && STOP_SIG=-INT stop "$straced"
	stop "$spid"
	if [ $rc = 0 ] && cmp -s "$dir/data.bin" "$W/seed/data.bin"; then
		R_SECS[$key]=$(echo "$t1 - $t0" | bc -l)
	elif [ $rc = 0 ]; then
		R_NOTE[$key]="bad data"
	elif [ $rc = 1 ] || grep -q '^timeout' "$dir/leech.out" 2>/dev/null; then
		R_NOTE[$key]=timeout
	else
		R_NOTE[$key]=failed
	fi
	if [ "${R_SECS[$key]}" = 0 ] && [ "${R_NOTE[$key]}" != timeout ]; then
		tail -5 "$dir/leech.out" | sed "s/^/    $(label "$l")| /" >&2
	fi
	R_SCPU[$key]=$(echo "($c1 - $c0) / $CLK" | bc -l)
	local u=0 sy=0 rss=0
	if [ -s "$dir/time" ]; then
		u=$(awk -F': ' '/User time/ {print $2}' "$dir/time")
		sy=$(awk -F': ' '/System time/ {print $2}' "$dir/time")
		rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$dir/time")
	fi
	R_LCPU[$key]=$(echo "$u + $sy" | bc -l)
	R_RSS[$key]=$rss
	if [ $STRACE_L = 1 ]; then
		for side in seeder leecher; do
			echo "strace -c of the $(label "$s") -> $(label "$l") $side:"
			sed -n '1,/ total$/p' "$dir/strace.$side" | head -30
		done >>"$W/strace.txt"
	fi
	rm -rf "$dir"
}

n=0
for p in "${RUN[@]}"; do
	n=$((n + 1))
	s=${p%%:*} l=${p#*:}
	printf 'pair %d/%d: %s -> %s ...' $n ${#RUN[@]} "$(label "$s")" "$(label "$l")" >&2
	best=""
	for r in $(seq "$RUNS"); do
		run_pair "$s" "$l"
		if [ "${R_SECS[$p]}" = 0 ]; then
			printf ' %s' "${R_NOTE[$p]}" >&2
			continue
		fi
		printf ' %.1f MiB/s' "$(echo "$MIB / ${R_SECS[$p]}" | bc -l)" >&2
		if [ -z "$best" ] || [ "$(echo "${R_SECS[$p]} < ${R_SECS[$best]}" | bc)" = 1 ]; then
			best="$p#$r"
			R_SECS[$best]=${R_SECS[$p]} R_LCPU[$best]=${R_LCPU[$p]}
			R_SCPU[$best]=${R_SCPU[$p]} R_RSS[$best]=${R_RSS[$p]}
			R_SRSS[$best]=${R_SRSS[$p]}
		fi
	done
	echo >&2
	if [ -n "$best" ]; then	# the fastest run is the pair's row
		R_SECS[$p]=${R_SECS[$best]} R_LCPU[$p]=${R_LCPU[$best]}
		R_SCPU[$p]=${R_SCPU[$best]} R_RSS[$p]=${R_RSS[$best]}
		R_SRSS[$p]=${R_SRSS[$best]}
	fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- table
GIB=$(echo "$MIB / 1024" | bc -l)
fmt() { printf "%.${2:-2}f" "$1"; }
echo
[ "$RUNS" -gt 1 ] && echo "(each row: the fastest of $RUNS runs)"
printf '%-11s %-11s %9s %13s %13s %10s %10s\n' seeder leecher 'MiB/s' 'leech CPU' 'seed CPU' \
	'leech RSS' 'seed RSS'
printf '%-11s %-11s %9s %13s %13s %10s %10s\n' '' '' '' 's/GiB' 's/GiB' 'MiB' 'MiB'
for p in "${RUN[@]}"; do
	s=${p%%:*} l=${p#*:}
	if [ "${R_SECS[$p]}" = 0 ]; then
		printf '%-11s %-11s %9s\n' "$(label "$s")" "$(label "$l")" "${R_NOTE[$p]}"
		continue
	fi
	printf '%-11s %-11s %9s %13s %13s %10s %10s\n' "$(label "$s")" "$(label "$l")" \
		"$(fmt "$(echo "$MIB / ${R_SECS[$p]}" | bc -l)" 1)" \
		"$(fmt "$(echo "${R_LCPU[$p]} / $GIB" | bc -l)")" \
		"$(fmt "$(echo "${R_SCPU[$p]} / $GIB" | bc -l)")" \
		"$(fmt "$(echo "${R_RSS[$p]} / 1024" | bc -l)" 1)" \
		"$(fmt "$(echo "${R_SRSS[$p]:-0} / 1024" | bc -l)" 1)"
done

# ratio A B: a line comparing rows A and B (speed: >1 is A faster; CPU and
# RSS: <1 is A cheaper)
ratio() {
	local a=$1 b=$2
	[ "${R_SECS[$a]:-0}" = 0 ] || [ "${R_SECS[$b]:-0}" = 0 ] && return
	local sa=${a%%:*} la=${a#*:} sb=${b%%:*} lb=${b#*:} what
	if [ "$sa" = "$sb" ]; then
		what="from $(label "$sa"): $(label "$la") / $(label "$lb")"
	else
		what="$(label "$sa") -> $(label "$la") / $(label "$sb") -> $(label "$lb")"
	fi
	printf '  %-42s speed %5.2fx  leech CPU %5.2fx  seed CPU %5.2fx  RSS %6.3fx\n' "$what" \
		"$(echo "${R_SECS[$b]} / ${R_SECS[$a]}" | bc -l)" \
		"$(echo "${R_LCPU[$a]} / ${R_LCPU[$b]}" | bc -l)" \
		"$(echo "${R_SCPU[$a]} / (${R_SCPU[$b]} + 0.001)" | bc -l)" \
		"$(echo "${R_RSS[$a]} / ${R_RSS[$b]}" | bc -l)"
}
echo
echo "bt as leecher against the others, same seeder (speed > 1: bt faster; CPU, RSS < 1: bt cheaper):"
for p in "${RUN[@]}"; do
	s=${p%%:*} l=${p#*:}
	[[ $l == bt* ]] || continue
	for o in lt aria2; do ratio "$p" "$s:$o"; done
done
if [ -n "$BT_OLD" ]; then
	echo
	echo "bt against bt(old), same pairing:"
	for p in "${RUN[@]}"; do
		[[ $p == *btold* ]] && continue
		o=${p//bt/btold}
		[ "$o" != "$p" ] && ratio "$p" "$o"
	done
fi
if [ -s "$W/strace.txt" ]; then
	echo
	cat "$W/strace.txt"
fi
