#!/usr/bin/env bash
# bench-check.sh - time the check of existing data: `bt download`'s start-up
# hash check of complete data, against libtorrent's (python3-libtorrent),
# transmission-cli's (-v) and aria2c's (--check-integrity) checks of the same
# data, and against `bt makemetafile` hashing it (the goal: a check as fast
# as making the torrent).
#
# Usage: scripts/bench-check.sh [path/to/bt [path/to/old/bt]]
#   (default build/bt; a second bt, e.g. a build of main, runs in the same
#   run as "bt-old")
# Environment:
#   BENCH_MIB        data size in MiB (default 1024): one file, a 64 MiB
#                    random block repeated
#   BENCH_PIECE_KIB  piece size in KiB, a power of two (default 256)
#   BENCH_RUNS       timed runs of each tool (default 3; transmission-cli,
#                    slow by design, runs once); the fastest is shown
#   BENCH_DIR        where data goes (default /dev/shm when it has room, else
#                    /tmp; the page cache is warm either way)
#   BENCH_TOOLS      which tools, in order (default: bt, bt-old when given,
#                    makemetafile, and each of the others that is installed)
#   BENCH_COLD       1: the page cache is dropped before every run (needs
#                    root; the data goes to /tmp unless BENCH_DIR says, never
#                    to a tmpfs) and the mean of the runs is shown, not the
#                    fastest: reads from the disk (in a VM, often from the
#                    host's cache: compare only figures of one run)
#
# A run starts the tool on the complete data with a fresh state (bt: a new
# HOME, so no resume record) and times, in a small Python timer reading the
# tool's output, from its start to the moment it says the data is complete
# (bt: its announce to the closed tracker port failing, or "complete:
# seeding"; libtorrent: scripts/bench-lt.py's "seeding"; transmission-cli:
# "Seeding"; makemetafile and aria2c, with --seed-time=0: their exit); then
# the tool is stopped.  CPU seconds (user + system) and peak RSS are read
# from /proc at that moment (from wait4 for those that exit).  Times include each
# tool's start-up (libtorrent's includes starting Python, about 0.2 s).  The
# torrent's tracker is a closed local port.  The header prints the CPU, its
# SHA instructions and the load average: on a shared machine compare only
# figures of one run.
set -u
CALLER_PWD=$PWD
cd "$(dirname "$0")/.." || exit 1
HERE=$PWD/scripts
. "$HERE/bench-lib.sh"
BT=$(abspath "${1:-build/bt}")
BT_OLD=${2:+$(abspath "$2")}
MIB=${BENCH_MIB:-1024}
PIECE_KIB=${BENCH_PIECE_KIB:-256}
RUNS=${BENCH_RUNS:-3}
PY=/usr/bin/python3
[ -x "$BT" ] || die "no bt at $BT (build it: ninja -C build)"
[ -z "$BT_OLD" ] || [ -x "$BT_OLD" ] || die "no bt at $BT_OLD"
have() { command -v "$1" >/dev/null 2>&1; }
PSHIFT=$("$PY" -c "import sys; n = int(sys.argv[1]) * 1024; print(n.bit_length() - 1 if n & (n - 1) == 0 else -1)" "$PIECE_KIB")
[ "$PSHIFT" -ge 14 ] || die "BENCH_PIECE_KIB must be a power of two, at least 16"

COLD=${BENCH_COLD:-0}
if [ "$COLD" = 1 ]; then
	[ -w /proc/sys/vm/drop_caches ] || die "BENCH_COLD=1 needs root (to drop the page cache)"
	BASE=${BENCH_DIR:-/tmp}
	[ "$(stat -f -c %T "$BASE")" = tmpfs ] && die "BENCH_COLD=1: $BASE is a tmpfs"
elif [ -n "${BENCH_DIR:-}" ]; then
	BASE=$BENCH_DIR
elif [ "$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')" -gt $((MIB + 256)) ] 2>/dev/null; then
	BASE=/dev/shm
else
	BASE=/tmp
fi
W=$(mktemp -d "$BASE/bt-check.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

freeport() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- data and torrent
mkdir -p "$W/data"
head -c $((64 << 20)) /dev/urandom >"$W/block"
for _ in $(seq $(((MIB + 63) / 64))); do cat "$W/block"; done | head -c $((MIB << 20)) >"$W/data/data.bin"
rm -f "$W/block"
"$BT" makemetafile "http://127.0.0.1:$(freeport)/announce" "$W/data/data.bin" \
	--piece_size_pow2 "$PSHIFT" --target "$W/t.torrent" >/dev/null || die "makemetafile failed"
cat "$W/data/data.bin" >/dev/null
PORT=$(freeport)

# The timer: runs a command with its output on a pipe, from just before
# its start to the first match of a pattern in its output (then stops it)
# or, with an empty pattern, to its exit; prints "seconds cpu_s rss_mib"
# or "fail" ("timeout" when the time limit passed first).
cat >"$W/timer.py" <<'PYEOF'
import os, re, select, signal, subprocess, sys, time
limit, pat, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
tick = os.sysconf("SC_CLK_TCK")
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
fd, tail, t1, cpu, rss = p.stdout.fileno(), b"", None, 0.0, 0.0
rx = re.compile(pat.encode(), re.M) if pat else None
while time.monotonic() - t0 < limit:
    if not select.select([fd], [], [], 1)[0]:
        continue
    d = os.read(fd, 65536)
    if not d:
        break
    tail = (tail + d)[-4096:]
    if rx and rx.search(tail):
        t1 = time.monotonic()
        st = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
        cpu = (int(st[11]) + int(st[12])) / tick
        for line in open("/proc/%d/status" % p.pid):
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
        break
if rx:
    p.send_signal(signal.SIGTERM)
    try:
        p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
else:
    _, status, ru = os.wait4(p.pid, 0)
    if status == 0:
        t1 = time.monotonic()
        cpu, rss = ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024
late = time.monotonic() - t0 >= limit
print(("timeout" if late else "fail") if t1 is None else "%.3f %.2f %.1f" % (t1 - t0, cpu, rss))
PYEOF

# once TOOL -> "seconds cpu rss" of one timed check (or "fail")
once() {
	local tool=$1 dir=$W/run bin=$BT
	rm -rf "$dir"
	mkdir -p "$dir/home"
	case $tool in
	bt | bt-old)
		# bt prints its state at most every 100 ms; the announce to the
		# closed tracker port, refused at once, is the first sign of
		# the end of the check.
		[ "$tool" = bt-old ] && bin=$BT_OLD
		HOME=$dir/home "$PY" "$W/timer.py" 120 'complete: seeding|Problem connecting to tracker' \
			"$bin" download --saveas "$W/data/data.bin" --display_interval 0.1 \
			--minport "$PORT" --maxport "$PORT" "$W/t.torrent"
		;;
	makemetafile)
		"$PY" "$W/timer.py" 120 '' /usr/bin/time -f %M -o "$dir/rss" \
			"$BT" makemetafile http://127.0.0.1:1/announce \
			"$W/data/data.bin" --piece_size_pow2 "$PSHIFT" --target "$dir/m.torrent"
		;;
	libtorrent)
		"$PY" "$W/timer.py" 120 '^seeding' "$PY" "$HERE/bench-lt.py" seed "$W/t.torrent" \
			"$W/data" "$PORT"
		;;
	transmission-cli)
		"$PY" "$W/timer.py" 600 'Seeding' transmission-cli -v -g "$dir/home" -w "$W/data" \
			-p "$PORT" "$W/t.torrent"
		;;
	aria2c)
		"$PY" "$W/timer.py" 120 '' /usr/bin/time -f %M -o "$dir/rss" \
			aria2c --dir="$W/data" --check-integrity=true \
			--seed-time=0 --bt-exclude-tracker='*' --enable-dht=false \
			--enable-dht6=false --bt-enable-lpd=false --listen-port="$PORT" \
			--summary-interval=0 "$W/t.torrent"
		;;
	esac | if [ -s "$dir/rss" ] || [ "$tool" = makemetafile ] || [ "$tool" = aria2c ]; then
		# exits: the peak RSS from /usr/bin/time (the timer's wait4
		# would count the Python process it forked from)
		read -r secs cpu _
		echo "$secs ${cpu:-} $(awk '{print $1 / 1024}' "$dir/rss" 2>/dev/null)"
	else
		cat
	fi
}

# best TOOL -> "seconds cpu rss" of the fastest of RUNS (BENCH_COLD: their
# mean)
best() {
	local r best="" line all=""
	local runs=$RUNS
	# transmission-cli checks at some 10 MiB/s (it pauses between pieces
	# so as not to hog the machine): once is enough.
	[ "$1" = transmission-cli ] && runs=1
	for _ in $(seq "$runs"); do
		[ "$COLD" = 1 ] && { sync; echo 3 >/proc/sys/vm/drop_caches; }
		line=$(once "$1")
		case $line in fail | timeout) echo "$line"; return ;; esac
		all="$all$line
"
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then
			best=$line
		fi
	done
	if [ "$COLD" = 1 ]; then
		printf '%s' "$all" | awk '{s += $1; c += $2; r += $3} END {printf "%.3f %.2f %.1f\n", s / NR, c / NR, r / NR}'
	else
		echo "$best"
	fi
}

bench_machine bench-check
if [ "$COLD" = 1 ]; then
	echo "  data: one file of $MIB MiB in $BASE, piece $PIECE_KIB KiB; mean of $RUNS runs, page cache dropped before each"
else
	echo "  data: one file of $MIB MiB in $BASE, piece $PIECE_KIB KiB; best of $RUNS runs, page cache warm"
fi
echo
printf '%-18s %9s %9s %8s %12s\n' tool seconds MiB/s "CPU s" "peak RSS MiB"
TOOLS="bt ${BT_OLD:+bt-old} makemetafile"
have "$PY" && "$PY" -c 'import libtorrent' 2>/dev/null && TOOLS="$TOOLS libtorrent"
have transmission-cli && TOOLS="$TOOLS transmission-cli"
have aria2c && TOOLS="$TOOLS aria2c"
TOOLS=${BENCH_TOOLS:-$TOOLS}
declare -A SECS
for tool in $TOOLS; do
	read -r secs cpu rss < <(best "$tool")
	if [ "$secs" = timeout ]; then
		# transmission-cli: 16 MiB took 10.5 s here (it rests between
		# pieces), so 1 GiB passes its 600 s
		printf '%-18s %9s\n' "$tool" "(over its time limit)"
		continue
	elif [ "$secs" = fail ]; then
		printf '%-18s %9s\n' "$tool" "(failed)"
		continue
	fi
	SECS[$tool]=$secs
	printf '%-18s %9.3f %9.1f %8.2f %12.1f\n' "$tool" "$secs" \
		"$(awk -v m="$MIB" -v s="$secs" 'BEGIN {print (s > 0 ? m / s : 0)}')" "$cpu" "$rss"
done
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for tool in $TOOLS; do
	[ "$tool" = bt ] && continue
	[ -n "${SECS[bt]:-}" ] && [ -n "${SECS[$tool]:-}" ] || continue
	printf 'ratio bt/%-18s %6.2f  (speed over speed)\n' "$tool" \
		"$(awk -v a="${SECS[bt]}" -v b="${SECS[$tool]}" 'BEGIN {print (a > 0 ? b / a : 0)}')"
done
