#!/usr/bin/env bash
# download_lsd.sh - local service discovery (BEP 14) on loopback: peers
# that know no tracker (the torrents announce to a closed port) find each
# other by multicast alone.  Multicast needs a route, which the host's
# loopback has not, so the script runs itself in a network namespace of
# its own (unshare -rn: loopback only, multicast on, 224.0.0.0/4 routed to
# it with source 127.0.0.1); without one it is skipped.
#   - two bt with --lsd 1 find each other and the leecher finishes;
#   - a private torrent (BEP 27) is never announced nor taken;
#   - a leecher without --lsd (the default) finds nobody;
#   - libtorrent (enable_lsd) hears bt's announce and bt hears its own,
#     and bt downloads from it;
#   - aria2c, given only a magnet link and its own LPD, meets a bt seed
#     and fetches the metadata (ut_metadata) and the data from it.  (Through
#     a tracker it cannot: it announces left=0 while it fetches the
#     metadata, so the tracker takes it for a seed; see download_magnet.)
NAME=download_lsd
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${BT_LSD_NETNS:-}" ]; then
	if unshare -rn true 2>/dev/null; then
		BT_LSD_NETNS=1 exec unshare -rn "$0" "$@"
	fi
	echo "SKIP: $NAME: no network namespace (unshare -rn) to route multicast on loopback"
	exit 77
fi
ip link set lo up && ip link set lo multicast on &&
	ip route add 224.0.0.0/4 dev lo src 127.0.0.1 || {
	echo "SKIP: $NAME: no multicast route on the namespace's loopback"
	exit 77
}
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

DEAD=http://127.0.0.1:9/announce
"$BT" makemetafile "$DEAD" "$DATA/multi" --piece_size_pow2 15 --target "$T/pub.torrent" >/dev/null
"$BT" makemetafile "$DEAD" "$DATA/multi" --piece_size_pow2 15 --private 1 \
	--target "$T/priv.torrent" >/dev/null
LSD=(--lsd 1 --log_peers 1)
FOUND="found by local service discovery"

# ================= bt <-> bt
dl_start seed "$T/pub.torrent" "$DATA/multi" "${LSD[@]}"
dl_start leech "$T/pub.torrent" "$T/leech/multi" "${LSD[@]}"
expect_done leech 30 "the leecher did not finish by LSD"
same_tree "data through LSD" "$DATA/multi" "$T/leech/multi"
# Whoever hears first dials; the other may then find the address taken.
expect_wait seed "$FOUND" 10 "the seed did not hear the leecher's announce"
dl_stop leech
expect_eq "leech: exit status" "$DLRC" 0

# ================= private, and LSD off: nobody is found
dl_start pseed "$T/priv.torrent" "$DATA/multi" "${LSD[@]}"
dl_start pleech "$T/priv.torrent" "$T/pleech/multi" "${LSD[@]}"
dl_start off "$T/pub.torrent" "$T/off/multi"
sleep 8
for n in pleech off; do
	if grep -q "Download Succeeded!" "$T/$n.out"; then
		fail "$n: finished without a tracker (LSD should not have found the seed)"
	else
		pass
	fi
done
for n in pseed pleech; do
	if grep -qF "$FOUND" "$T/$n.out" "$T/$n.err"; then
		fail "$n: a private torrent took a peer from LSD"
	else
		pass
	fi
done
dl_stop off
dl_stop pleech
dl_stop pseed
dl_stop seed

# ================= libtorrent hears bt, bt hears libtorrent
if [ "$HAVE_LT" = 1 ]; then
	cat >"$T/lt_lsd.py" <<'PYEOF'
import sys, time
import libtorrent as lt
tor, path, secs, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": True,
    "enable_upnp": False, "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.all_categories})
p = lt.add_torrent_params()
p.ti = lt.torrent_info(tor)
p.save_path = path
h = s.add_torrent(p)
end = time.time() + secs
with open(out, "w") as f:
    f.write("port %d\n" % s.listen_port())
    f.flush()
    while time.time() < end:
        s.wait_for_alert(200)
        for a in s.pop_alerts():
            m = a.message()
            if "<== LSD:" in m and "cookie" not in m:
                f.write("heard %s\n" % m)
                f.flush()
PYEOF
	timeout 60 "$PY" "$T/lt_lsd.py" "$T/pub.torrent" "$DATA" 40 "$T/lt.out" >"$T/lt.err" 2>&1 &
	LTPID=$!
	PIDS+=("$LTPID")
	wait_file "$T/lt.out" 10
	sleep 1
	dl_start ltleech "$T/pub.torrent" "$T/ltleech/multi" "${LSD[@]}"
	expect_done ltleech 30 "bt did not finish from libtorrent found by LSD"
	same_tree "data from libtorrent through LSD" "$DATA/multi" "$T/ltleech/multi"
	LTPORT=$(field port "$T/lt.out")
	expect_wait ltleech "127.0.0.1:$LTPORT $FOUND" 1 "bt did not hear libtorrent's announce"
	for _ in $(seq 50); do
		grep -q "heard.*127.0.0.1:${DLPORT[ltleech]}" "$T/lt.out" && break
		sleep 0.2
	done
	expect_egrep "heard.*127.0.0.1:${DLPORT[ltleech]}" "$T/lt.out"
	dl_stop ltleech
	kill "$LTPID" 2>/dev/null
	wait "$LTPID" 2>/dev/null
else
	skip "python3-libtorrent is not installed"
fi

# ================= aria2c by magnet link, the bt seed found by LPD
if have aria2c; then
	IH=$(tq "$T/pub.torrent" ih)
	dl_start aseed "$T/pub.torrent" "$DATA/multi" "${LSD[@]}"
	sleep 1
	timeout 40 aria2c -d "$T/aria" --enable-dht=false --enable-dht6=false \
		--bt-enable-lpd=true --bt-lpd-interface=127.0.0.1 --enable-peer-exchange=false \
		--seed-time=0 --listen-port="$(U freeport)" "magnet:?xt=urn:btih:$IH" \
		>"$T/aria.out" 2>&1
	expect_egrep "OK +\|.*\[METADATA\]$IH" "$T/aria.out"
	same_tree "aria2c from the bt seed by magnet link and LPD" "$DATA/multi" "$T/aria/multi"
	dl_stop aseed
else
	skip "aria2c is not installed"
fi

no_sanitizer
finish
