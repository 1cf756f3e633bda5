#!/usr/bin/env bash
# download_extras.sh - what `bt download` does beyond BitTornado, on
# loopback through `bt track`: --download_dir (the data at DIR/<name>),
# --state_dir (resume records and the configuration file there, never in
# ~/.BitTornado), the seeding limits (--seed_time, --seed_ratio: the
# client stops by itself, announces stopped and exits 0), --on_complete
# (the hook's environment), SIGHUP (a clean stop), --syslog 1 (runs).
NAME=download_extras
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

mktor m.torrent
IH=$(tq m.torrent ih)

# ================= usage: --download_dir and --saveas are one place
run "$BT" download --download_dir "$T/x" --saveas "$T/y" m.torrent
expect_eq "--download_dir with --saveas: exit status" "$RC" 2
expect_grep "--download_dir and --saveas cannot be used together" "$ERR"
expect_eq "--download_dir with --saveas: nothing created" "$(ls -d "$T/x" "$T/y" 2>/dev/null)" ""
run "$BT" download --seed_ratio -1 m.torrent
expect_eq "--seed_ratio -1: exit status" "$RC" 2
expect_grep "--seed_ratio -1 is out of range" "$ERR"

# ================= a path that cannot be saved is named with the rule
bwrite long.torrent 'obj = load("m.torrent"); obj["info"]["files"][0]["path"] = ["sub", "L" * 300]'
run "$BT" download --saveas "$T/long" --state_dir "$T/lstate" long.torrent
expect_eq "300-byte path component: exit status" "$RC" 1
expect_grep "long.torrent: cannot be downloaded: file 1 of " "$ERR"
expect_grep "'sub/LLLLLLLLLLLLLLLLLLLLLLLLLLLL...': a path component is 300 bytes, more than 255" "$ERR"

# ================= --state_dir holds the configuration file: read from it
# (a bad value there is a usage error), written to it by --save_options,
# without state_dir itself
mkdir -p "$T/cfg"
printf 'minport = 0\n' >"$T/cfg/config.downloadheadless.ini"
run "$BT" download --state_dir "$T/cfg" m.torrent
expect_eq "--state_dir: its configuration file is read" "$RC" 2
expect_grep "--minport 0 is out of range" "$ERR"
printf 'garbage\n' >"$T/bad.torrent"
run "$BT" download --state_dir "$T/cfg2" --save_options 1 --max_uploads 3 "$T/bad.torrent"
expect_eq "--save_options into --state_dir: exit status (bad torrent)" "$RC" 1
expect_grep "max_uploads = 3" "$T/cfg2/config.downloadheadless.ini"
expect_nogrep "state_dir" "$T/cfg2/config.downloadheadless.ini"

# ================= a seed, then a leecher with --download_dir, --state_dir,
# --on_complete and --seed_time 0.05 (3 s): done, the hook ran, it seeds
# for 3 s, then stops by itself
dl_start seed m.torrent "$DATA/multi" --state_dir "$T/seedstate" --log_peers 1
expect_announced seed 10 "the seed did not announce"
HOOK='printf "%s\n" "$BT_NAME" >"$BT_PATH.name"; env | grep "^BT_" | sort >"$BT_PATH.env.tmp"; mv "$BT_PATH.env.tmp" "$BT_PATH.env"'
dl_start l1 m.torrent "" --download_dir "$T/dd" --state_dir "$T/state" \
	--on_complete "$HOOK" --seed_time 0.05 --syslog 1
expect_done l1 30 "--download_dir: the download did not finish"
same_tree "--download_dir: the data is at DIR/<name>" "$DATA/multi" "$T/dd/multi"
if wait_file "$T/dd/multi.env" 5; then pass; else fail "--on_complete: the hook did not run"; fi
expect_eq "--on_complete: BT_NAME" "$(cat "$T/dd/multi.name" 2>/dev/null)" multi
expect_eq "--on_complete: the environment" "$(cat "$T/dd/multi.env" 2>/dev/null)" \
	"BT_INFO_HASH=$IH
BT_NAME=multi
BT_PATH=$T/dd/multi
BT_TORRENT=m.torrent"
t0=$(date +%s)
expect_wait l1 "finished seeding: seeding time reached" 15 "--seed_time: the seed did not stop"
dl_end l1 10
secs=$(($(date +%s) - t0))
expect_eq "--seed_time: exit status" "$DLRC" 0
if ann_wait "${DLPORT[l1]}" stopped 3; then pass; else fail "--seed_time: no stopped announce"; fi
# --log_peers: the seed logged the leecher going, and why.
gone='peer 127\.0\.0\.1:[0-9]+ \(bt [0-9.]+, incoming\) gone after [0-9]+ s: closed'
for _ in $(seq 50); do grep -Eq "$gone" "$T/seed.out" && break; sleep 0.1; done
expect_egrep "$gone" "$T/seed.out"
if [ "$secs" -le 8 ]; then pass; else fail "--seed_time 0.05: it took $secs s to stop"; fi
if [ -s "$T/state/datacache/$IH" ]; then pass; else
	fail "--state_dir: no resume record $T/state/datacache/$IH"
	ls -laR "$T/state" >&2 2>/dev/null
fi
no_tb() {
	if [ ! -e "$HOME/.BitTornado" ]; then pass; else
		fail "$1: ~/.BitTornado was made"
		ls -laR "$HOME/.BitTornado" >&2
	fi
}
no_tb "--state_dir"

# ================= SIGHUP: a clean stop (stopped announce, exit 0)
dl_stop seed 10 HUP
expect_eq "SIGHUP: exit status" "$DLRC" 0
if ann_wait "${DLPORT[seed]}" stopped 3; then pass; else fail "SIGHUP: no stopped announce"; fi
expect_grep "shutting down" "$T/seed.out"

# ================= --seed_ratio 0.1: the only seed stops once it has sent a
# tenth of the data to the leecher
dl_start s1 m.torrent "" --download_dir "$T/dd" --state_dir "$T/state" --seed_ratio 0.1
expect_announced s1 10 "--seed_ratio: the seed did not announce"
dl_start l2 m.torrent "$T/l2/multi" --state_dir "$T/l2state"
expect_wait s1 "finished seeding: share ratio reached" 30 "--seed_ratio: the seed did not stop"
dl_end s1 10
expect_eq "--seed_ratio: exit status" "$DLRC" 0
if ann_wait "${DLPORT[s1]}" stopped 3; then pass; else fail "--seed_ratio: no stopped announce"; fi
up=$(ann_field "${DLPORT[s1]}" stopped 2)
if [ "${up:-0}" -ge $((TOTAL / 10)) ]; then pass; else
	fail "--seed_ratio 0.1: the stopped announce says uploaded=${up:-none}, want >= $((TOTAL / 10))"
fi
dl_stop l2
no_tb "all runs with --state_dir"

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
