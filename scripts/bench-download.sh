#!/usr/bin/env bash
# bench-download.sh - download the same 1 GiB torrent over loopback from one
# libtorrent seed with `bt download`, aria2c and a libtorrent client, one
# after the other in one run, and print MiB/s, CPU seconds per GiB and
# peak RSS for each, with bt's ratios to the others.
#
# Usage: scripts/bench-download.sh [path/to/bt] [size_mib]   (default build/bt, 1024)
#
# The data is random, the piece size 1 MiB, the torrent v1 only with no
# tracker: each client is given the seed's address directly (bt through
# a one-peer tracker reply from `bt track`, the others through their own
# options), so no client waits for an announce interval.  Each download
# goes to its own directory under /tmp (page cache, not the disk, is what
# is measured).  Time runs from the client's start to the moment its data
# is complete; CPU and RSS come from /usr/bin/time -v over the whole client
# process (bt and aria2c are stopped as soon as they have finished).
set -u
cd "$(dirname "$0")/.." || exit 1
BT=${1:-build/bt}
MIB=${2:-1024}
case $BT in /*) ;; *) BT=$PWD/$BT ;; esac
PY=/usr/bin/python3
[ -x "$BT" ] || { echo "bench: no bt at $BT (build it: ninja -C build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed" >&2; exit 1; }
"$PY" -c 'import libtorrent' 2>/dev/null || { echo "bench: python3-libtorrent is needed" >&2; exit 1; }

W=$(mktemp -d /tmp/bt-bench-dl.XXXXXX) || exit 1
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- data, torrent, seed
mkdir -p "$W/seed"
head -c $((MIB << 20)) /dev/urandom >"$W/seed/data.bin"
TP=$(freeport)
"$BT" makemetafile "http://127.0.0.1:$TP/announce" "$W/seed/data.bin" \
	--piece_size_pow2 20 --target "$W/t.torrent" >/dev/null || exit 1
cat "$W/seed/data.bin" >/dev/null

"$BT" track --port "$TP" --dfile "$W/dstate" --nat_check 0 --logfile /dev/null \
	>/dev/null 2>&1 &
PIDS+=($!)

cat >"$W/lt.py" <<'EOF'
import sys, time
import libtorrent as lt
mode, torrent, path = sys.argv[1], sys.argv[2], sys.argv[3]
s = lt.session({
    "listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.status_notification,
})
p = lt.add_torrent_params()
p.ti = lt.torrent_info(torrent)
p.save_path = path
h = s.add_torrent(p)
if mode == "seed":
    ready = sys.argv[4]
    while not h.status().is_seeding:
        time.sleep(0.05)
    open(ready, "w").write("%d\n" % s.listen_port())
    end = time.time() + 3600
    while time.time() < end and not __import__("os").path.exists(ready + ".stop"):
        time.sleep(0.2)
else:
    h.connect_peer(("127.0.0.1", int(sys.argv[4])))
    end = time.time() + 600
    while time.time() < end and not h.status().is_seeding:
        s.wait_for_alert(50)
        s.pop_alerts()
    print("done" if h.status().is_seeding else "timeout")
EOF
"$PY" "$W/lt.py" seed "$W/t.torrent" "$W/seed" "$W/seed.port" &
PIDS+=($!)
for _ in $(seq 600); do [ -s "$W/seed.port" ] && break; sleep 0.1; done
SP=$(cat "$W/seed.port" 2>/dev/null)
[ -n "$SP" ] || { echo "bench: the libtorrent seed did not start" >&2; exit 1; }
# Tell the tracker about the seed (it is not announcing itself: seed_mode
# with no tracker traffic yet), by announcing on its behalf.
IH=$("$PY" -c 'import libtorrent as lt,sys,urllib.parse; print(urllib.parse.quote(bytes.fromhex(str(lt.torrent_info(sys.argv[1]).info_hash()))))' "$W/t.torrent")
curl -s "http://127.0.0.1:$TP/announce?info_hash=$IH&peer_id=-LT0000-benchseed000&port=$SP&uploaded=0&downloaded=0&left=0&event=started&compact=1" >/dev/null

SIZE=$((MIB << 20))
now() { date +%s.%N; }

# run NAME DIR CMD...: start CMD under /usr/bin/time -v, wait for DIR/data.bin
# to be complete and equal, stop CMD; sets SECS, CPU, RSS.
run() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	local t0 t1
	t0=$(now)
	/usr/bin/time -v -o "$W/$name.time" "$@" >"$W/$name.out" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	local ok=0
	for _ in $(seq 6000); do
		if [ "$(stat -c %s "$dir/data.bin" 2>/dev/null)" = "$SIZE" ] &&
			grep -q -e 'Download Succeeded' -e 'download completed' -e '^done' \
				-e 'Download complete' "$W/$name.out" 2>/dev/null; then
			ok=1
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			grep -q -e '^done' "$W/$name.out" && ok=1
			break
		fi
		sleep 0.05
	done
	t1=$(now)
	pkill -INT -P "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	pkill -KILL -P "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ $ok = 1 ] && cmp -s "$dir/data.bin" "$W/seed/data.bin"; then
		SECS=$(echo "$t1 - $t0" | bc -l)
	else
		echo "bench: $name did not complete (see below)" >&2
		tail -5 "$W/$name.out" >&2
		SECS=0
	fi
	local u s
	u=$(awk -F': ' '/User time/ {print $2}' "$W/$name.time")
	s=$(awk -F': ' '/System time/ {print $2}' "$W/$name.time")
	CPU=$(echo "$u + $s" | bc -l)
	RSS=$(awk -F': ' '/Maximum resident/ {print $2}' "$W/$name.time")
	rm -rf "$dir"
}

declare -A R_SECS R_CPU R_RSS
record() {
	R_SECS[$1]=$SECS
	R_CPU[$1]=$CPU
	R_RSS[$1]=$RSS
}

HOME=$W/home
export HOME
mkdir -p "$HOME"
run bt "$W/bt" "$BT" download --saveas "$W/bt/data.bin" --display_interval 1 \
	--minport 30000 --maxport 40000 "$W/t.torrent"
record bt
run aria2c "$W/aria2c" aria2c --dir="$W/aria2c" --enable-dht=false --enable-dht6=false \
	--bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 \
	--file-allocation=none --check-integrity=false --summary-interval=0 \
	--console-log-level=warn "$W/t.torrent"
record aria2c
run libtorrent "$W/libtorrent" "$PY" "$W/lt.py" leech "$W/t.torrent" "$W/libtorrent" "$SP"
record libtorrent

touch "$W/seed.port.stop"
GIB=$(echo "$MIB / 1024" | bc -l)
printf '\n%s MiB over loopback from one libtorrent seed (piece 1 MiB)\n\n' "$MIB"
printf '%-11s %10s %12s %10s\n' client 'MiB/s' 'CPU s/GiB' 'RSS MiB'
for c in bt aria2c libtorrent; do
	s=${R_SECS[$c]}
	if [ "$s" = 0 ]; then
		printf '%-11s %10s\n' "$c" failed
		continue
	fi
	printf '%-11s %10.1f %12.2f %10.1f\n' "$c" "$(echo "$MIB / $s" | bc -l)" \
		"$(echo "${R_CPU[$c]} / $GIB" | bc -l)" "$(echo "${R_RSS[$c]} / 1024" | bc -l)"
done
echo
for c in aria2c libtorrent; do
	[ "${R_SECS[bt]}" = 0 ] || [ "${R_SECS[$c]}" = 0 ] && continue
	printf 'bt / %-10s speed %.2fx   CPU %.2fx   RSS %.2fx\n' "$c" \
		"$(echo "${R_SECS[$c]} / ${R_SECS[bt]}" | bc -l)" \
		"$(echo "${R_CPU[bt]} / ${R_CPU[$c]}" | bc -l)" \
		"$(echo "${R_RSS[bt]} / ${R_RSS[$c]}" | bc -l)"
done
