#!/usr/bin/env bash
# download_faults.sh - `bt download` when things go wrong, on loopback:
# a peer sending corrupt data (next to a good seed), peers that hang up
# mid-piece, send malformed messages or never answer; a SIGKILL in the
# middle of a download and a restart; a disk that fills up.  The fake
# peers are dl_peers.py's raw sockets, connecting from other loopback
# addresses (127.0.0.2...) so that bt can tell them from the seed.
NAME=download_faults
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

PLEN=32768
# A small data set for the peer faults, the full one for the rest.
DLP data "$T/small" 1 >/dev/null
SRC=$T/small/multi mktor sm.torrent
mktor m.torrent

# bad_peer NAME LEECHER MODE SECS IP: a fake peer in the background.
bad_peer() {
	DLP bad "${DLPORT[$2]}" "$T/sm.torrent" "$T/small" "$3" "$4" "$5" >"$T/$1.bad" 2>&1 &
	PIDS+=("$!")
	printf -v "BAD_$1" %s "$!"
}
# bad_wait NAME SECS: until the fake peer has ended.
bad_wait() {
	local v=BAD_$1
	for _ in $(seq $(($2 * 10))); do
		kill -0 "${!v}" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# The good seed of the small torrent, slow enough that the fake peers get
# asked for blocks: at 40 kB/s the 533 kB take 13 s, time enough for the
# fake peers (Python, slow to start on a loaded machine) to connect.
dl_start smseed "$T/sm.torrent" "$T/small/multi" --max_upload_rate 40
expect_announced smseed 10 "the seed did not announce"

# ================= a peer answering with wrong bytes: the pieces fail their
# hash check, the peer is dropped, the download completes from the seed
dl_start c1 "$T/sm.torrent" "$T/c1/multi"
U wait "${DLPORT[c1]}" 127.0.0.1 5
bad_peer corrupt c1 corrupt 40 127.0.0.2
if dl_done c1 50; then pass; else
	fail "corrupt peer: the download did not finish"
	dl_tail c1
	cat "$T/corrupt.bad" >&2
fi
same_tree "corrupt peer" "$T/small/multi" "$T/c1/multi"
expect_egrep 'piece [0-9]+ failed hash check, re-downloading it' "$T/c1.out"
bad_wait corrupt 10
if [ "$(field answered "$T/corrupt.bad")" -gt 0 ] 2>/dev/null; then pass; else
	fail "corrupt peer: bt never asked it for data"
	cat "$T/corrupt.bad" >&2
fi
# (It lacks a piece: bt, now a seed, had no other reason to drop it.)
expect_eq "corrupt peer: bt dropped it" "$(field closed_by_peer "$T/corrupt.bad")" 1
dl_stop c1
expect_eq "corrupt peer: exit status" "$DLRC" 0

# ================= a peer that hangs up in the middle of a piece message,
# one that sends malformed messages, one that never answers a request
dl_start c2 "$T/sm.torrent" "$T/c2/multi"
U wait "${DLPORT[c2]}" 127.0.0.1 5
bad_peer cut c2 cut 40 127.0.0.3
bad_peer malformed c2 malformed 60 127.0.0.4
bad_peer silent c2 silent 40 127.0.0.5
if dl_done c2 60; then pass; else
	fail "cut/malformed/silent peers: the download did not finish"
	dl_tail c2
	tail -n 20 "$T"/{cut,malformed,silent}.bad >&2
fi
same_tree "cut/malformed/silent peers" "$T/small/multi" "$T/c2/multi"
# The fake peers print their counts when they end (the cut one after its
# fourth cut, the silent one after its time): wait for them first.
bad_wait cut 45
bad_wait silent 45
if [ "$(field cuts "$T/cut.bad")" -gt 0 ] 2>/dev/null; then pass; else
	fail "cut peer: bt never asked it for data"
	cat "$T/cut.bad" >&2
fi
if [ "$(field requests "$T/silent.bad")" -gt 0 ] 2>/dev/null; then pass; else
	fail "silent peer: bt never asked it for data"
	cat "$T/silent.bad" >&2
fi
bad_wait malformed 40
expect_grep "case huge_length closed" "$T/malformed.bad"
expect_grep "case short_bitfield closed" "$T/malformed.bad"
expect_grep "case have_out_of_range closed" "$T/malformed.bad"
expect_grep "case bad_handshake closed" "$T/malformed.bad"
if dl_alive c2; then pass; else fail "bt died after the malformed messages"; fi
dl_stop c2
expect_eq "cut/malformed/silent peers: exit status" "$DLRC" 0
dl_stop smseed

# ================= a seed whose file is cut behind its back: the first
# request that reads past the new end makes it say which file (once), and
# it goes on: a new leecher gets every piece still on disk from it, and
# the lost ones are downloaded again once a good seed turns up
mkdir -p "$T/cut"
cp -a "$T/small/multi" "$T/cut/"
dl_start cutseed "$T/sm.torrent" "$T/cut/multi"
expect_announced cutseed 10 "cut seed: did not announce"
size=$(stat -c %s "$T/cut/multi/big.bin")
truncate -s $((size / 2)) "$T/cut/multi/big.bin"
DLP verify "$T/sm.torrent" "$T/cut" >"$T/cut.verify"
kept=$(field good "$T/cut.verify")
dl_start lc1 "$T/sm.torrent" "$T/lc1/multi"
expect_wait cutseed "big.bin is missing or shorter than the torrent says" 30 \
	"cut seed: no message naming big.bin"
expect_grep "$T/cut/multi/big.bin is missing" "$T/cutseed.out"
dl_start lc2 "$T/sm.torrent" "$T/lc2/multi"
good=0
for _ in $(seq 100); do
	good=$(DLP verify "$T/sm.torrent" "$T/lc2" | sed -n 's/^good //p')
	[ "${good:-0}" -ge "$kept" ] && break
	sleep 0.2
done
if dl_alive cutseed; then pass; else
	fail "cut seed: it ended"
	dl_tail cutseed
fi
if [ "${good:-0}" -ge "$kept" ] && [ "$kept" -gt 0 ]; then pass; else
	fail "cut seed: a new leecher got ${good:-0} pieces, the seed kept $kept"
fi
dl_start smseed2 "$T/sm.torrent" "$T/small/multi"
expect_done lc2 40 "cut seed: the leecher did not finish with a good seed"
same_tree "cut seed: the leecher" "$T/small/multi" "$T/lc2/multi"
for _ in $(seq 150); do
	cmp -s "$T/small/multi/big.bin" "$T/cut/multi/big.bin" && break
	sleep 0.2
done
if cmp -s "$T/small/multi/big.bin" "$T/cut/multi/big.bin"; then pass; else
	fail "cut seed: big.bin was not downloaded again"
	dl_tail cutseed
fi
expect_eq "cut seed: one message" "$(grep -c "is missing or shorter" "$T/cutseed.out")" 1
for n in lc1 lc2 cutseed smseed2; do
	dl_stop $n
	expect_eq "cut seed: $n exit status" "$DLRC" 0
done

# ================= SIGKILL in the middle of a download, then a restart: the
# pieces already on disk are found, only the rest is downloaded
dl_start seed m.torrent "$DATA/multi" --max_upload_rate 300
ann_wait "${DLPORT[seed]}" '[a-z-]*' 10
dl_start k1 m.torrent "$T/k/multi"
good=0
for _ in $(seq 150); do
	good=$(DLP verify m.torrent "$T/k" | sed -n 's/^good //p')
	[ "${good:-0}" -ge 25 ] && break
	sleep 0.2
done
dl_kill k1
DLP verify m.torrent "$T/k" >"$T/k.verify"
good=$(field good "$T/k.verify")
left=$(field left "$T/k.verify")
if [ "${good:-0}" -ge 25 ] && [ "$left" -gt 0 ]; then pass; else
	fail "SIGKILL: not the partial download wanted (good ${good:-?} pieces, left ${left:-?})"
	dl_tail k1
fi
dl_start k2 m.torrent "$T/k/multi"
ann_wait "${DLPORT[k2]}" '[a-z-]*' 15
expect_eq "restart after SIGKILL: left = what the disk lacks" "$(ann_field "${DLPORT[k2]}" first 4)" "$left"
expect_done k2 40 "restart after SIGKILL: the download did not finish"
same_tree "restart after SIGKILL" "$DATA/multi" "$T/k/multi"
ann_wait "${DLPORT[k2]}" completed 5
got=$(ann_field "${DLPORT[k2]}" completed 3)
if [ -n "$got" ] && [ "$got" -le $((left + TOTAL / 20 + 2 * PLEN)) ]; then pass; else
	fail "restart after SIGKILL: downloaded ${got:-?} bytes, the disk lacked only $left"
fi
echo "download_faults: SIGKILL at $good of 78 pieces; the restart downloaded ${got:-?} bytes for $left missing"
dl_stop k2
expect_eq "restart after SIGKILL: exit status" "$DLRC" 0

# ================= things planted in the save directory: a symlink, a
# FIFO, a file where a directory belongs: refused with a message naming
# the path and what is wrong, a non-zero exit, nothing written through
mkdir -p "$T/plant/outside"
printf keep >"$T/plant/outside/t"
# plant CASE SETUP WANT: a fresh tree $T/plant/CASE/multi, SETUP run in it.
plant() {
	local dir=$T/plant/$1/multi
	mkdir -p "$dir"
	(cd "$dir" && eval "$2")
	dl_start "pl_$1" m.torrent "$dir"
	expect_wait "pl_$1" "$3" 15 "planted $1: no message '$3'"
	dl_end "pl_$1" 10
	if [ "$DLRC" -ne 0 ] && [ "$DLRC" -ne 124 ]; then pass; else
		fail "planted $1: exit status $DLRC, want a failure (124: it did not stop)"
	fi
	if grep -q "invalid data" "$T/pl_$1.out" "$T/pl_$1.err"; then
		fail "planted $1: still 'invalid data'"
	else pass; fi
}
plant link_file "ln -s '$T/plant/outside/t' a.bin" \
	"refusing to use $T/plant/link_file/multi/a.bin: it is a symbolic link"
plant link_dir "ln -s '$T/plant/outside' b" \
	"refusing to use $T/plant/link_dir/multi/b/c/empty: $T/plant/link_dir/multi/b is a symbolic link"
plant fifo "mkfifo a.bin" \
	"refusing to use $T/plant/fifo/multi/a.bin: it is a FIFO where a regular file is needed"
plant file_dir "printf x >b" \
	"$T/plant/file_dir/multi/b is a file where a directory is needed"
expect_eq "planted symlinks: the file outside was not written" "$(cat "$T/plant/outside/t")" keep
expect_eq "planted symlinks: nothing made outside" "$(ls "$T/plant/outside")" t

# ================= a tracker and a web seed that redirect to themselves
# forever: said so ("too many redirects (5) at URL"), not "reply too
# large", and the web seed's failure told once
"$PY" -c '
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
' >"$T/loop.port" < <(sleep 60) &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$T/loop.port" ] && break; sleep 0.1; done
RP=$(cat "$T/loop.port")
ANN=http://127.0.0.1:$RP/announce SRC=$T/small/multi mktor loop.torrent \
	--webseeds "http://127.0.0.1:$RP/seed/"
dl_start loop "$T/loop.torrent" "$T/loop/multi"
expect_wait loop "Problem connecting to tracker - too many redirects (5) at http://127.0.0.1:$RP/announce?" 20 \
	"tracker redirect loop: no 'too many redirects' message"
expect_wait loop "error accessing http seed http://127.0.0.1:$RP/seed/: too many redirects (5) at http://127.0.0.1:$RP/seed/multi/" 20 \
	"web seed redirect loop: no message"
sleep 2
expect_eq "web seed redirect loop: told once" "$(grep -c 'error accessing http seed' "$T/loop.out")" 1
if grep -q "reply too large" "$T/loop.out" "$T/loop.err"; then fail "redirect loop: still 'reply too large'"; else pass; fi
dl_stop loop

# ================= the disk fills up: a clear error, a non-zero exit, and
# the verified pieces kept (with their resume record).  A 1 MiB tmpfs in
# a private mount namespace (it vanishes with the namespace).
RF=$(resume_file m.torrent)
rm -f "$RF"
mkdir -p "$T/full" "$T/full.copy"
FULLP=$(U freeport)
# shellcheck disable=SC2016  # expanded by the inner shell
timeout 90 unshare -m --propagation private bash -c '
	mount -t tmpfs -o size=1m tmpfs "$1" || exit 99
	timeout 60 "$2" download --saveas "$1/multi" --minport "$4" --maxport "$4" --display_interval 1 \
		--security 0 "$5" >"$3/full.out" 2>"$3/full.err"
	echo $? >"$3/full.rc"
	cp -a "$1/." "$3/full.copy/"' _ "$T/full" "$BT" "$T" "$FULLP" "$T/m.torrent" 2>"$T/unshare.err"
urc=$?
if [ $urc -eq 99 ] || { [ $urc -ne 0 ] && [ ! -e "$T/full.rc" ]; }; then
	skip "cannot mount a tmpfs in a mount namespace here ($(head -c 200 "$T/unshare.err"))"
else
	rc=$(cat "$T/full.rc")
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then pass; else
		fail "disk full: exit status $rc, want a failure (124: it did not stop)"
		dl_tail full
	fi
	if grep -qF "No space left on device" "$T/full.out" "$T/full.err"; then pass; else
		fail "disk full: no 'No space left on device' message"
		dl_tail full
	fi
	if [ -s "$RF" ]; then pass; else fail "disk full: no resume record $RF"; fi
	if [ -s "$RF" ]; then
		DLP resume "$RF" m.torrent "$T/full.copy" >"$T/full.resume" 2>&1
		n=$(field claimed "$T/full.resume")
		if [ "${n:-0}" -gt 0 ]; then pass; else
			fail "disk full: the resume record keeps no verified piece"
			cat "$T/full.resume" >&2
		fi
		expect_eq "disk full: pieces in the resume record that are bad on disk" \
			"$(field claimed_bad "$T/full.resume")" 0
		echo "download_faults: disk full after ${n:-?} verified pieces"
		# With room again (a copy of the files, times kept), the download
		# resumes from the record: at most the rest is missing.
		want=$(field claimed_left "$T/full.resume")
		dl_start full2 m.torrent "$T/full.copy/multi"
		ann_wait "${DLPORT[full2]}" '[a-z-]*' 15
		got=$(ann_field "${DLPORT[full2]}" first 4)
		if [ -n "$got" ] && [ "$got" -le "$want" ]; then pass; else
			fail "disk full, then resumed: left=${got:-?}, the record lacks only $want"
			dl_tail full2
		fi
		expect_done full2 30 "disk full, then resumed: the download did not finish"
		same_tree "disk full, then resumed" "$DATA/multi" "$T/full.copy/multi"
		dl_stop full2
	fi
fi
dl_stop seed

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
