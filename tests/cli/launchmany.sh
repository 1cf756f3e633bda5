#!/usr/bin/env bash
# launchmany.sh - `bt launchmany DIR` on loopback through `bt track`: a
# directory of torrents (single- and multi-file) seeded by `bt download` and,
# when python3-libtorrent is installed, by libtorrent, all downloaded through
# one listening port; torrents added to and removed from the directory while
# it runs; the headless status lines; a SIGKILL and a restart from the state
# directory; --saveas_style 2 with --download_dir; .magnet files;
# btlaunchmanycurses under tmux; one upload limit over all torrents.
NAME=launchmany
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

# lm_start NAME DIR [option...]: `bt launchmany DIR` in the background on a
# fresh port (LMPORT), pid in LMPID, output in $T/NAME.out and .err (DLPID
# and DLPORT[NAME] too, so that dl_wait, dl_stop and ann work on it).
LM_OPTS=(--display_interval 1 --security 0 --parse_dir_interval 2)
lm_start() {
	local name=$1 dir=$2
	shift 2
	LMPORT=$(U freeport)
	DLPORT[$name]=$LMPORT
	"$BT" launchmany "$dir" --minport "$LMPORT" --maxport "$LMPORT" \
		"${LM_OPTS[@]}" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	LMPID=$!
	DLPID[$name]=$LMPID
	PIDS+=("$LMPID")
}
# lm_last NAME TORRENT: the last status line of TORRENT (as displayed).
lm_last() { grep -F -e "\"$2\": \"" "$T/$1.out" | tail -n 1; }
# lm_seeding NAME SECS TORRENT...: until every TORRENT's last line says
# seeding (100.0%).
lm_seeding() {
	local name=$1 secs=$2 t ok
	shift 2
	for _ in $(seq $((secs * 5))); do
		ok=1
		for t in "$@"; do
			lm_last "$name" "$t" | grep -qF '": "seeding" (100.0%)' || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		dl_alive "$name" || return 1
		sleep 0.2
	done
	return 1
}
expect_seeding() {
	local name=$1 secs=$2 desc=$3 t
	shift 3
	if lm_seeding "$name" "$secs" "$@"; then pass; else
		fail "$desc"
		for t in "$@"; do
			lm_last "$name" "$t" | grep -vF '": "seeding" (100.0%)' | sed 's/^/    | /' >&2
		done
		dl_tail "$name"
	fi
}
# kib FIELD LINE: a number out of a status line: "up"/"down" (KiB so far).
lm_kib() {
	case $1 in
	up) sed -nE 's/.* u([0-9]+)K-d[0-9]+K ".*/\1/p' <<<"$2" ;;
	down) sed -nE 's/.* u[0-9]+K-d([0-9]+)K ".*/\1/p' <<<"$2" ;;
	esac
}

# ================= the data: 12 torrents, single files and directories
mkdir -p "$T/src" "$T/tor" "$T/lm"
NT=12
for i in $(seq $NT); do
	if [ $((i % 2)) = 1 ]; then
		head -c $((100000 + i * 37111)) /dev/urandom >"$T/src/s$i.bin"
		nm[i]=s$i.bin
	else
		mkdir -p "$T/src/m$i/sub"
		head -c $((50000 + i * 20011)) /dev/urandom >"$T/src/m$i/a.dat"
		head -c $((i * 3001)) /dev/urandom >"$T/src/m$i/sub/b.dat"
		: >"$T/src/m$i/empty"
		nm[i]=m$i
	fi
	SRC=$T/src/${nm[$i]} mktor "$T/tor/${nm[$i]}.torrent"
done

# Seeds: libtorrent for every third torrent when it is there, bt download
# for the rest.
lt_seed() {
	DLP seed "$2" "$3" 150 "$T/$1.ready" "${4:-0}" >"$T/$1.lt.out" 2>&1 &
	PIDS+=("$!")
	wait_file "$T/$1.ready" 15
}
nlt=0
for i in $(seq $NT); do
	if [ $HAVE_LT = 1 ] && [ $((i % 3)) = 0 ]; then
		lt_seed "seed$i" "$T/tor/${nm[$i]}.torrent" "$T/src" || fail "libtorrent seed $i not ready"
		nlt=$((nlt + 1))
	else
		dl_start "seed$i" "$T/tor/${nm[$i]}.torrent" "$T/src/${nm[$i]}"
	fi
done
[ $HAVE_LT = 1 ] || skip "python3-libtorrent not installed (libtorrent seeds)"
echo "launchmany: $NT torrents, $nlt of them seeded by libtorrent, the rest by bt download"
for i in $(seq $NT); do
	[ -n "${DLPID[seed$i]:-}" ] || continue
	expect_announced "seed$i" 15 "bt seed $i did not announce"
done

# ================= 10 of them in the directory at the start
for i in $(seq 10); do cp "$T/tor/${nm[$i]}.torrent" "$T/lm/"; done
lm_start lm lm --state_dir "$T/state"
all=()
for i in $(seq 10); do all+=("lm/${nm[$i]}.torrent"); done
expect_seeding lm 60 "launchmany did not complete the 10 torrents" "${all[@]}"
for i in $(seq 10); do
	if diff -r "$T/src/${nm[$i]}" "$T/lm/${nm[$i]}" >/dev/null 2>&1; then pass; else
		fail "torrent $i: the data differs"
		diff -r "$T/src/${nm[$i]}" "$T/lm/${nm[$i]}" 2>&1 | head -n 3 | sed 's/^/    | /' >&2
		du -sb "$T/src/${nm[$i]}" "$T/lm/${nm[$i]}" | sed 's/^/    | /' >&2
		lm_last lm "lm/${nm[$i]}.torrent" | sed 's/^/    | /' >&2
	fi
done
# One listening socket for all of them.
if have ss; then
	ss -ltnpH >"$T/listen" 2>&1
	expect_eq "launchmany listens on one TCP socket" "$(grep -c "pid=$LMPID," "$T/listen")" 1
	expect_eq "and it is --minport" "$(grep "pid=$LMPID," "$T/listen" | grep -c ":$LMPORT ")" 1
else
	skip "ss not installed (one listening socket)"
fi
expect_grep "###  added \"lm/${nm[1]}.torrent\"" "$T/lm.out"

# ================= a torrent copied in while running starts; one removed stops
cp "$T/tor/${nm[11]}.torrent" "$T/lm/"
expect_wait lm "###  added \"lm/${nm[11]}.torrent\"" 10 "the new torrent was not added"
expect_seeding lm 30 "the torrent added while running did not complete" "lm/${nm[11]}.torrent"
if diff -r "$T/src/${nm[11]}" "$T/lm/${nm[11]}" >/dev/null 2>&1; then pass; else
	fail "the torrent added while running: the data differs"
fi
rm "$T/lm/${nm[2]}.torrent"
expect_wait lm "###  dropped \"lm/${nm[2]}.torrent\"" 10 "the removed torrent was not dropped"
if ann_wait "$LMPORT" stopped 10; then pass; else fail "no stopped announce after a drop"; fi

# ================= the headless lines
st='(stopped|waiting for hash check|checking existing data|seeding|[0-9]+:[0-9]{2}:[0-9]{2}|downloading|connecting to peers)'
re="^\"[^\"]+\": \"$st\" \\([0-9]+\\.[0-9]%\\) - [0-9]+P[0-9]+[sS][0-9]+\\.[0-9]{3}D u[0-9]+\\.[0-9]K/s-d[0-9]+\\.[0-9]K/s u[0-9]+K-d[0-9]+K \".*\"\$"
grep -vE '^(###  .*)?$' "$T/lm.out" >"$T/lm.lines"
if [ -s "$T/lm.lines" ] && ! grep -vqE "$re" "$T/lm.lines"; then pass; else
	fail "headless lines not in BitTornado's format"
	grep -vE "$re" "$T/lm.lines" | head -n 5 | sed 's/^/    | /' >&2
fi
expect_egrep "^\"lm/${nm[1]}.torrent\": \"seeding\" \\(100\\.0%\\) - " "$T/lm.lines"

# ================= SIGTERM: shutting down, every torrent dropped, exit 0
dl_stop lm 15
expect_eq "launchmany: exit status after SIGTERM" "$DLRC" 0
expect_grep "###  shutting down" "$T/lm.out"
expect_grep "###  dropped \"lm/${nm[1]}.torrent\"" "$T/lm.out"
expect_grep "###  dropped \"lm/${nm[11]}.torrent\"" "$T/lm.out"

# ================= --saveas_style 2 with --download_dir: <dir>/<torrent's name>
mkdir -p "$T/lm5"
cp "$T/tor/${nm[1]}.torrent" "$T/lm5/x1.torrent"
cp "$T/tor/${nm[4]}.torrent" "$T/lm5/y4.torrent"
lm_start lm5 lm5 --saveas_style 2 --download_dir "$T/dd" --state_dir "$T/state5"
expect_seeding lm5 30 "saveas_style 2: the downloads did not complete" lm5/x1.torrent lm5/y4.torrent
same_tree "saveas_style 2, single file" "$T/src/${nm[1]}" "$T/dd/${nm[1]}"
same_tree "saveas_style 2, directory" "$T/src/${nm[4]}" "$T/dd/${nm[4]}"
expect_eq "saveas_style 2: nothing else in the download dir" "$(find "$T/dd" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "${nm[1]}" "${nm[4]}" | sort | tr '\n' ' ')"
dl_stop lm5
expect_eq "saveas_style 2: exit status" "$DLRC" 0

# ================= .magnet files: a torrent from its magnet link alone (tr=
# the tracker), shown by dn= or the hash until the metadata comes, which is
# then saved beside the data; a removed .magnet file stops its torrent, and
# removing one whose .torrent was saved hands over to that .torrent
mkdir -p "$T/lmm"
mktor "$T/mag.torrent"
MIH=$(tq "$T/mag.torrent" ih)
dl_start mseed "$T/mag.torrent" "$DATA/multi"
expect_announced mseed 10 "the seed for the magnet link did not announce"
MTR=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ANN")
NOIH=0123456789abcdef0123456789abcdef01234567
printf 'magnet:?xt=urn:btih:%s&dn=multi&tr=%s\r\n' "$MIH" "$MTR" >"$T/lmm/got.magnet"
printf 'magnet:?xt=urn:btih:%s&tr=%s\n' "$NOIH" "$MTR" >"$T/lmm/none.magnet"
printf 'not a magnet link\n' >"$T/lmm/bad.magnet"
lm_start lmm lmm --display_path 0 --state_dir "$T/statem"
expect_wait lmm "###  added \"lmm/got.magnet\"" 10 "the .magnet file was not added"
expect_wait lmm "\"$NOIH\": \"fetching metadata\" (0.0%)" 10 \
	"a magnet link without dn= is not shown by its hash while its metadata is fetched"
expect_seeding lmm 40 "launchmany did not complete the torrent of the .magnet file" multi
same_tree "launchmany: from a .magnet file" "$DATA/multi" "$T/lmm/got"
expect_eq "the saved .torrent has the link's info hash" "$(tq "$T/lmm/got.torrent" ih 2>&1)" "$MIH"
expect_grep "###  \"lmm/got.magnet\": got the metadata, saved as lmm/got.torrent" "$T/lmm.out"
expect_grep "###  **warning** lmm/bad.magnet has errors: bad magnet link" "$T/lmm.out"
if grep -q duplicate "$T/lmm.out"; then fail "the saved .torrent was warned about"; else pass; fi
rm "$T/lmm/none.magnet"
expect_wait lmm "###  dropped \"lmm/none.magnet\"" 10 "the removed .magnet file was not dropped"
if ann_wait "$LMPORT" stopped 10; then pass; else fail "no stopped announce after a .magnet drop"; fi
rm "$T/lmm/got.magnet"
expect_wait lmm "###  dropped \"lmm/got.magnet\"" 10 "the removed .magnet file was not dropped"
expect_wait lmm "###  added \"lmm/got.torrent\"" 15 "the saved .torrent did not take over"
ok=0
for _ in $(seq 150); do
	sed -n '/###  added "lmm\/got.torrent"/,$p' "$T/lmm.out" |
		grep -qF '"multi": "seeding" (100.0%)' && { ok=1; break; }
	sleep 0.1
done
if [ $ok = 1 ]; then pass; else fail "the saved .torrent does not seed"; dl_tail lmm; fi
dl_stop lmm
expect_eq "launchmany with .magnet files: exit status" "$DLRC" 0
dl_stop mseed

# ================= SIGKILL in the middle of a download, then a restart with
# the same --state_dir: only what the disk lacks is downloaded again
mkdir -p "$T/lmk"
mktor "$T/lmk/multi.torrent"
dl_start kseed "$T/lmk/multi.torrent" "$DATA/multi" --max_upload_rate 300
expect_announced kseed 10 "the rate-limited seed did not announce"
lm_start k1 lmk --state_dir "$T/kstate"
good=0
for _ in $(seq 150); do
	good=$(DLP verify "$T/lmk/multi.torrent" "$T/lmk" | sed -n 's/^good //p')
	[ "${good:-0}" -ge 25 ] && break
	sleep 0.2
done
kill -9 "$LMPID"
wait "$LMPID" 2>/dev/null
DLP verify "$T/lmk/multi.torrent" "$T/lmk" >"$T/k.verify"
good=$(field good "$T/k.verify")
left=$(field left "$T/k.verify")
if [ "${good:-0}" -ge 25 ] && [ "${left:-0}" -gt 0 ]; then pass; else
	fail "SIGKILL: not the partial download wanted (good ${good:-?} pieces, left ${left:-?})"
	dl_tail k1
fi
lm_start k2 lmk --state_dir "$T/kstate"
expect_seeding k2 40 "restart after SIGKILL: the download did not finish" lmk/multi.torrent
same_tree "restart after SIGKILL" "$DATA/multi" "$T/lmk/multi"
got=$(lm_kib down "$(lm_last k2 lmk/multi.torrent)")
if [ -n "$got" ] && [ $((got * 1024)) -le $((left + TOTAL / 20 + 2 * 32768)) ]; then pass; else
	fail "restart after SIGKILL: downloaded ${got:-?} KiB, the disk lacked only $left bytes"
fi
echo "launchmany: SIGKILL at $good pieces; the restart downloaded ${got:-?} KiB for $left bytes missing"
dl_stop k2
expect_eq "restart after SIGKILL: exit status" "$DLRC" 0
dl_stop kseed

# ================= btlaunchmanycurses in a 120x40 tmux window
if have tmux; then
	TMX=(tmux -L "bt-lm-$$" -f /dev/null)
	trap '"${TMX[@]}" kill-server 2>/dev/null; dl_cleanup' EXIT
	mkdir -p "$T/bin"
	ln -s "$BT" "$T/bin/btlaunchmanycurses"
	# The first run's directory: all there, so every torrent is seeding.
	cport=$(U freeport)
	"${TMX[@]}" new-session -d -s lm -x 120 -y 40 \
		"cd '$T' && '$T/bin/btlaunchmanycurses' lm --minport $cport --maxport $cport \
		--saveas_style 1 --display_interval 1 --security 0 --state_dir '$T/state' \
		2>'$T/curses.err'; echo \$? >'$T/curses.rc'"
	for _ in $(seq 50); do
		"${TMX[@]}" capture-pane -p -t lm >"$T/curses.screen" 2>/dev/null
		grep -q "Totals:" "$T/curses.screen" && grep -qF "${nm[1]}" "$T/curses.screen" && break
		sleep 0.2
	done
	sleep 2
	"${TMX[@]}" capture-pane -p -t lm >"$T/curses.screen" 2>/dev/null
	for w in Filename Size Download Upload "Totals:" "${nm[1]}" "${nm[4]}"; do
		expect_grep "$w" "$T/curses.screen"
	done
	"${TMX[@]}" send-keys -t lm q
	wait_file "$T/curses.rc" 10
	expect_eq "btlaunchmanycurses: exit status after q" "$(cat "$T/curses.rc" 2>/dev/null)" 0
	"${TMX[@]}" kill-server 2>/dev/null
else
	skip "tmux not installed (btlaunchmanycurses)"
fi

# ================= one upload limit for all torrents: 200 kB/s over two
# torrents, each fetched by its own `bt download`
mkdir -p "$T/lmu"
for b in big1 big2; do
	head -c 6000000 /dev/urandom >"$T/lmu/$b.bin"
	SRC=$T/lmu/$b.bin mktor "$T/lmu/$b.bin.torrent"
done
lm_start lmu lmu --max_upload_rate 200 --state_dir "$T/stateu"
expect_seeding lmu 30 "upload limit: launchmany is not seeding" lmu/big1.bin.torrent lmu/big2.bin.torrent
dl_start up1 "$T/lmu/big1.bin.torrent" "$T/up/big1.bin"
dl_start up2 "$T/lmu/big2.bin.torrent" "$T/up/big2.bin"
# Bytes launchmany's TCP connections had acknowledged, and when.
acked() {
	date +%s.%N
	ss -tinpOH 2>/dev/null | grep "pid=$LMPID," |
		sed -nE 's/.* bytes_acked:([0-9]+).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
# Both leechers under way first.
for _ in $(seq 100); do
	u1=$(lm_kib up "$(lm_last lmu lmu/big1.bin.torrent)")
	u2=$(lm_kib up "$(lm_last lmu lmu/big2.bin.torrent)")
	[ "${u1:-0}" -gt 100 ] && [ "${u2:-0}" -gt 100 ] && break
	sleep 0.1
done
sleep 2
if have ss; then
	read -r -d '' t0 b0 < <(acked)
	sleep 10
	read -r -d '' t1 b1 < <(acked)
	rate=$(awk -v a="$b0" -v b="$b1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%d", (b - a) / (e - s) }')
	echo "launchmany: --max_upload_rate 200 over two torrents: $rate B/s"
	if [ "$rate" -ge 170000 ] && [ "$rate" -le 230000 ]; then pass; else
		fail "upload limit: $rate B/s over two torrents, want 200000 +- 15%"
		dl_tail lmu
	fi
else
	skip "ss not installed (the upload rate is measured on launchmany's sockets)"
fi
# Both torrents got their share.
u1=$(lm_kib up "$(lm_last lmu lmu/big1.bin.torrent)")
u2=$(lm_kib up "$(lm_last lmu lmu/big2.bin.torrent)")
if [ "${u1:-0}" -gt 300 ] && [ "${u2:-0}" -gt 300 ]; then pass; else
	fail "upload limit: one torrent starved (${u1:-?} KiB and ${u2:-?} KiB)"
fi
dl_stop up1
dl_stop up2
dl_stop lmu
expect_eq "upload limit: exit status" "$DLRC" 0

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
