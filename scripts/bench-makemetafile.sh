#!/usr/bin/env bash
# bench-makemetafile.sh - time `bt makemetafile` against mktorrent and
# transmission-create on the same data with the same piece size.
#
# Usage: scripts/bench-makemetafile.sh [path/to/bt [path/to/old/bt]]
#   (default: build/bt; a second bt, e.g. a build of main, is timed in the
#   same run as "bt-old")
#
# Datasets (made in a temporary directory under /tmp, removed at the end):
#   1gib   one 1 GiB file: a 64 MiB random block written 16 times;
#          piece size 2^19 (512 KiB)
#   small  1000 files of 1..2047 bytes (about 1 MiB) in 10 directories;
#          piece size 2^15 (32 KiB)
# The page cache is warmed first.  Each tool runs once to warm up, then
# timed runs (hyperfine if installed, else /usr/bin/time): 3 of 1gib, 30
# of small (a run takes some 20 ms there, where one disturbance of the
# machine is a millisecond or more: three runs made its ratio swing from
# 0.98 to 1.4); the best is reported (CPU s: user + system, the mean of
# the timed runs).  Peak RSS
# comes from one more run under /usr/bin/time -v.
# bt runs with its default thread count; mktorrent with -t 2 when it has
# -t; transmission-create has no thread option.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/bench-lib.sh
BT=${1:-build/bt}
case $BT in /*) ;; *) BT=$PWD/$BT ;; esac
BT_OLD=${2:-}
case $BT_OLD in /* | '') ;; *) BT_OLD=$PWD/$BT_OLD ;; esac
PY=/usr/bin/python3
[ -x "$BT" ] || { echo "bench: no bt at $BT (build it: ninja -C build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed for peak RSS" >&2; exit 1; }

W=$(mktemp -d /tmp/bt-bench.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
ANN=http://127.0.0.1:6969/announce

have() { command -v "$1" >/dev/null 2>&1; }
HAVE_HF=0
have hyperfine && HAVE_HF=1

# ---- data
head -c $((64 << 20)) /dev/urandom >"$W/block"
for _ in $(seq 16); do cat "$W/block"; done >"$W/1gib"
rm -f "$W/block"
"$PY" - "$W/small" <<'EOF'
import os, random, sys
r = random.Random(1)
root = sys.argv[1]
for d in range(10):
    os.makedirs(os.path.join(root, "d%02d" % d))
    for f in range(100):
        n = r.randint(1, 2047)
        with open(os.path.join(root, "d%02d" % d, "f%03d.dat" % f), "wb") as fh:
            fh.write(os.urandom(n))
EOF
size_of() { if [ -d "$1" ]; then find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; else stat -c %s "$1"; fi; }
SIZE_1gib=$(size_of "$W/1gib")
SIZE_small=$(size_of "$W/small")
# Warm the page cache.
cat "$W/1gib" >/dev/null
find "$W/small" -type f -exec cat {} + >/dev/null

MK_THREADS=""
if have mktorrent && mktorrent -h 2>&1 | grep -q -- '--threads'; then
	MK_THREADS="-t 2"
fi

# cmd_for TOOL DATASET POW2 -> prints the command line (no shell needed)
cmd_for() {
	local out="$W/out-$1-$2.torrent"
	case $1 in
	bt) echo "$BT makemetafile $ANN $W/$2 --piece_size_pow2 $3 --target $out" ;;
	bt-old) echo "$BT_OLD makemetafile $ANN $W/$2 --piece_size_pow2 $3 --target $out" ;;
	mktorrent) echo "mktorrent $MK_THREADS -l $3 -a $ANN -o $out $W/$2" ;;
	transmission-create) echo "transmission-create -s $(((1 << $3) / 1024)) -t $ANN -o $out $W/$2" ;;
	esac
}

# best TOOL DATASET POW2 -> "seconds rss_kib cpu_seconds"
best() {
	local cmd out secs rss runs=3
	[ "$2" = small ] && runs=30
	cmd=$(cmd_for "$@")
	out="$W/out-$1-$2.torrent"
	if [ $HAVE_HF = 1 ]; then
		hyperfine -N --style none --warmup 1 --runs "$runs" --prepare "rm -f $out" \
			--export-json "$W/hf.json" "$cmd" >/dev/null 2>&1 || { echo "fail 0"; return; }
		read -r secs cpu < <("$PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f" % (r["min"], r["user"] + r["system"]))' "$W/hf.json")
	else
		secs=""
		for _ in $(seq $((runs + 1))); do	# first run warms up
			rm -f "$out"
			# shellcheck disable=SC2086
			/usr/bin/time -f '%e %U %S' -o "$W/t" $cmd >/dev/null 2>&1 || { echo "fail 0"; return; }
			secs="$secs $(cut -d' ' -f1 "$W/t")"
		done
		secs=$(echo "$secs" | tr ' ' '\n' | sed 1,2d | sort -g | head -n 1)	# "" and the warm-up
		cpu=$(awk '{print $2 + $3}' "$W/t")
	fi
	rm -f "$out"
	# shellcheck disable=SC2086
	/usr/bin/time -v -o "$W/tv" $cmd >/dev/null 2>&1
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/tv")
	echo "$secs $rss $cpu"
}

bench_machine bench-makemetafile
echo "  bt: $("$BT" --version)   mktorrent: $(have mktorrent && mktorrent -h 2>&1 | head -n 1 | cut -d' ' -f2)${MK_THREADS:+ ($MK_THREADS)}   transmission-create: $(have transmission-create && transmission-create -V 2>&1 | head -n 1 | awk '{print $2}')"
echo "  timing: $([ $HAVE_HF = 1 ] && echo hyperfine || echo /usr/bin/time), best of 3 (1gib) or 30 (small) after 1 warm-up; page cache warm"
echo "  datasets: 1gib = 1 file, $SIZE_1gib bytes, piece 2^19; small = 1000 files, $SIZE_small bytes, piece 2^15"
echo
printf '%-20s %-7s %10s %10s %14s %8s\n' tool dataset seconds MiB/s "peak RSS MiB" "CPU s"
declare -A SECS
for ds in 1gib:19 small:15; do
	name=${ds%%:*}
	pow=${ds#*:}
	size_var=SIZE_$name
	for tool in bt ${BT_OLD:+bt-old} mktorrent transmission-create; do
		if [ "$tool" != bt ] && [ "$tool" != bt-old ] && ! have "$tool"; then
			printf '%-20s %-7s %10s\n' "$tool" "$name" "(not installed)"
			continue
		fi
		read -r secs rss cpu < <(best "$tool" "$name" "$pow")
		if [ "$secs" = fail ]; then
			printf '%-20s %-7s %10s\n' "$tool" "$name" "(failed)"
			continue
		fi
		mibs=$(awk -v b="${!size_var}" -v s="$secs" 'BEGIN {printf "%.1f", (s > 0 ? b / 1048576 / s : 0)}')
		SECS[$tool.$name]=$secs
		printf '%-20s %-7s %10.3f %10s %14.1f %8.3f\n' "$tool" "$name" "$secs" "$mibs" \
			"$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$cpu"
	done
done
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for name in 1gib small; do
	for other in ${BT_OLD:+bt-old} mktorrent transmission-create; do
		if [ -n "${SECS[bt.$name]:-}" ] && [ -n "${SECS[$other.$name]:-}" ]; then
			# MiB/s of bt over MiB/s of the other = other's time over bt's.
			printf 'ratio bt/%-20s %-6s %6.2f  (MiB/s over MiB/s)\n' "$other" "$name" \
				"$(awk -v a="${SECS[bt.$name]}" -v b="${SECS[$other.$name]}" 'BEGIN {print (a > 0 ? b / a : 0)}')"
		fi
	done
done

# Sanity: the torrents describe the same data.
if have mktorrent; then
	for ds in 1gib:19 small:15; do
		name=${ds%%:*}
		pow=${ds#*:}
		rm -f "$W/out-bt-$name.torrent" "$W/out-mktorrent-$name.torrent"
		for tool in bt mktorrent; do
			c=$(cmd_for "$tool" "$name" "$pow")
			$c >/dev/null 2>&1
		done
		a=$("$BT" showmetainfo "$W/out-bt-$name.torrent" | sed -n 's/^info hash\.\.\.\.\.: //p')
		b=$("$BT" showmetainfo "$W/out-mktorrent-$name.torrent" | sed -n 's/^info hash\.\.\.\.\.: //p')
		echo "info hash $name: bt $a, mktorrent $b: $([ -n "$a" ] && [ "$a" = "$b" ] && echo same || echo DIFFERENT)"
	done
fi
