#!/usr/bin/env bash
# download.sh - `bt download` against itself on loopback, through `bt track`:
# a bt seed and a bt leecher (byte-for-byte data, empty file and nested
# directories included), restart after completion (fast resume), a
# changed file and --check_hashes, a rate-limited seed with three
# leechers that trade pieces, a download from a web seed only (BEP 19),
# and torrents whose paths would escape the download directory.
NAME=download
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

PLEN=32768
# flip FILE OFFSET [keep|restore]: make the byte at OFFSET of a file under
# $T/l1/multi differ from the original data (restore: equal it again);
# keep or restore: leave the file's modification time as it was.
flip() {
	"$PY" -c 'import os, sys
path, ref, off, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
st = os.stat(path)
b = open(ref, "rb").read()[off]
with open(path, "r+b") as f:
    f.seek(off)
    f.write(bytes([b if how == "restore" else b ^ 1]))
if how in ("keep", "restore"):
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))' \
		"$1" "$DATA/multi/${1#"$T"/l1/multi/}" "$2" "${3:-}"
}
mktor m.torrent

# ================= a bt seed: complete data on disk, announced as left=0
dl_start seed m.torrent "$DATA/multi"
expect_announced seed 10 "the bt seed did not announce"
expect_eq "the seed checked its data: left=0" "$(ann_field "${DLPORT[seed]}" first 4)" 0

# ================= one leecher, from the seed
dl_start l1 m.torrent "$T/l1/multi"
L1P=${DLPORT[l1]}
if dl_done l1 30; then pass; else
	fail "leecher 1 did not finish"
	dl_tail l1
	dl_tail seed
fi
same_tree "leecher 1" "$DATA/multi" "$T/l1/multi"
if [ -f "$T/l1/multi/b/c/empty" ] && [ ! -s "$T/l1/multi/b/c/empty" ]; then pass; else
	fail "the zero-length file was not created"
fi
expect_eq "leecher 1: first announce, left" "$(ann_field "$L1P" first 4)" "$TOTAL"
ann_wait "$L1P" completed 5
expect_eq "leecher 1: completed announce, left" "$(ann_field "$L1P" completed 4)" 0
got=$(ann_field "$L1P" completed 3)
if [ "${got:-0}" -ge "$TOTAL" ] && [ "$got" -le $((TOTAL + TOTAL / 10)) ]; then pass; else
	fail "leecher 1: completed announce says downloaded=${got:-none}, want about $TOTAL"
fi
dl_stop l1
expect_eq "leecher 1: exit status after SIGTERM" "$DLRC" 0
if ann_wait "$L1P" stopped 3; then pass; else fail "leecher 1 sent no stopped announce"; fi
if [ -s "$(resume_file m.torrent)" ]; then pass; else
	fail "no resume record $(resume_file m.torrent)"
	ls -la "$HOME/.BitTornado" "$HOME/.BitTornado/datacache" >&2 2>/dev/null
fi
expect_grep "Download Succeeded!" "$T/l1.out"
# The final status block: BitTornado's share rating line.
expect_egrep '^share rating: +[0-9.]+ +\([0-9.]+ MB up / 2\.4 MB down\)' "$T/l1.out"

# ================= restart after completion: resumes, nothing to download.
# The record is trusted for files whose size and time are unchanged (no
# hashing): a byte changed with the time kept back goes unnoticed.
flip "$T/l1/multi/z/tail.bin" 100 keep
start=$(date +%s%N)
dl_start l1b m.torrent "$T/l1/multi"
ann_wait "${DLPORT[l1b]}" '[a-z-]*' 10
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "restart: first announce, left" "$(ann_field "${DLPORT[l1b]}" first 4)" 0
expect_eq "restart: first announce, downloaded" "$(ann_field "${DLPORT[l1b]}" first 3)" 0
if [ "$ms" -lt 5000 ]; then pass; else fail "restart took $ms ms to announce"; fi
expect_wait l1b "100.0% seeding" 5 "restart: no '100.0% seeding' status"
dl_stop l1b
expect_eq "restart: exit status" "$DLRC" 0
flip "$T/l1/multi/z/tail.bin" 100 restore
same_tree "after the restart" "$DATA/multi" "$T/l1/multi"

# ================= a file changed behind bt's back: the resume record no
# longer matches it, its pieces are hashed, the bad one downloaded again
flip "$T/l1/multi/big.bin" 50000
# big.bin starts at 121000: byte 50000 of it is in piece (171000 / 32768).
dl_start l1c m.torrent "$T/l1/multi"
ann_wait "${DLPORT[l1c]}" '[a-z-]*' 15
expect_eq "changed file: left = one piece" "$(ann_field "${DLPORT[l1c]}" first 4)" "$PLEN"
expect_done l1c 20 "changed file: the bad piece was not downloaded again"
same_tree "changed file, repaired" "$DATA/multi" "$T/l1/multi"
dl_stop l1c
expect_eq "changed file: exit status" "$DLRC" 0

# ================= --check_hashes 0 without a resume record: what is on
# disk is trusted, even a changed byte; --check_hashes 1 finds it
rm -f "$(resume_file m.torrent)"
flip "$T/l1/multi/a.bin" 10
dl_start l1d m.torrent "$T/l1/multi" --check_hashes 0
ann_wait "${DLPORT[l1d]}" '[a-z-]*' 10
expect_eq "--check_hashes 0: data trusted, left" "$(ann_field "${DLPORT[l1d]}" first 4)" 0
dl_stop l1d
# (in case it repaired the piece meanwhile)
rm -f "$(resume_file m.torrent)"
flip "$T/l1/multi/a.bin" 10
dl_start l1e m.torrent "$T/l1/multi" --check_hashes 1
ann_wait "${DLPORT[l1e]}" '[a-z-]*' 10
expect_eq "--check_hashes 1: the changed piece is missing, left" "$(ann_field "${DLPORT[l1e]}" first 4)" "$PLEN"
expect_done l1e 20 "--check_hashes 1: the bad piece was not downloaded again"
same_tree "--check_hashes 1, repaired" "$DATA/multi" "$T/l1/multi"
dl_stop l1e

# ================= a rate-limited seed and three leechers: all finish, and
# each one uploads to the others
dl_stop seed
expect_eq "seed: exit status after SIGTERM" "$DLRC" 0
DLP data "$T/ref" >/dev/null
same_tree "the seed's data is untouched" "$T/ref/multi" "$DATA/multi"
dl_start seed2 m.torrent "$DATA/multi" --max_upload_rate 200
ann_wait "${DLPORT[seed2]}" '[a-z-]*' 10
t0=$(date +%s)
for k in 1 2 3; do
	dl_start "s$k" m.torrent "$T/s$k/multi"
done
for k in 1 2 3; do
	expect_done "s$k" 60 "swarm: leecher $k did not finish"
done
secs=$(($(date +%s) - t0))
for k in 1 2 3; do
	same_tree "swarm: leecher $k" "$DATA/multi" "$T/s$k/multi"
done
for k in 1 2 3; do dl_stop "s$k"; done
sum=0
for k in 1 2 3; do
	ann_wait "${DLPORT[s$k]}" stopped 3
	up=$(ann_field "${DLPORT[s$k]}" stopped 2)
	if [ "${up:-0}" -gt 0 ]; then pass; else
		fail "swarm: leecher $k uploaded nothing (last announce: $(ann "${DLPORT[s$k]}" | tail -n 1))"
	fi
	sum=$((sum + ${up:-0}))
done
echo "download: 1 seed at 200 kB/s + 3 leechers: done in ${secs} s, the leechers uploaded $sum bytes"

# ================= a skipped file (--priority -1): never created; its
# bytes in the piece it shares with wanted files (piece 3: a.bin, small.txt,
# d.bin, big.bin) go to the parts file, so that piece verifies; a restart
# finds it all there
dl_start sk m.torrent "$T/sk/multi" --priority 1,1,1,-1,1,1
expect_done sk 40 "skipped file: the download did not finish"
if [ ! -e "$T/sk/multi/b/d.bin" ]; then pass; else fail "skipped file: b/d.bin was created"; fi
if [ -s "$T/sk/multi/.multi.parts" ]; then pass; else fail "skipped file: no parts file .multi.parts"; fi
for f in a.bin b/c/small.txt big.bin z/tail.bin; do
	if cmp -s "$DATA/multi/$f" "$T/sk/multi/$f"; then pass; else fail "skipped file: $f differs"; fi
done
dl_stop sk
expect_eq "skipped file: exit status" "$DLRC" 0
dl_start sk2 m.torrent "$T/sk/multi" --priority 1,1,1,-1,1,1
ann_wait "${DLPORT[sk2]}" '[a-z-]*' 10
expect_eq "skipped file, restarted: left" "$(ann_field "${DLPORT[sk2]}" first 4)" 0
dl_stop sk2
if [ ! -e "$T/sk/multi/b/d.bin" ]; then pass; else fail "skipped file, restarted: b/d.bin was created"; fi
dl_stop seed2 10 INT
expect_eq "seed: exit status after SIGINT" "$DLRC" 0

# ================= a web seed only (BEP 19 url-list), no peers
DLP webserver "$DATA" "$T/ws.port" 100 >"$T/ws.out" 2>&1 &
PIDS+=("$!")
if wait_file "$T/ws.port" 5; then
	WP=$(cat "$T/ws.port")
	mktor ws.torrent --webseeds "http://127.0.0.1:$WP/" --source webseed
	dl_start ws ws.torrent "$T/ws/multi"
	expect_done ws 30 "web seed: download did not finish"
	same_tree "web seed" "$DATA/multi" "$T/ws/multi"
	served=$(awk '$4 == 200 || $4 == 206 { n += $5 } END { print n + 0 }' "$T/ws.port.log")
	if [ "$served" -ge "$TOTAL" ]; then pass; else
		fail "web seed: the server sent only $served bytes"
		head -n 5 "$T/ws.port.log" >&2
	fi
	expect_egrep '^GET /multi/big\.bin bytes=[0-9]+-[0-9]+ 206 ' "$T/ws.port.log"
	dl_stop ws
	expect_eq "web seed: exit status" "$DLRC" 0
	touch "$T/ws.port.stop"
else
	fail "the web server did not start"
	cat "$T/ws.out" >&2
fi

# ================= a user's file where the torrent's would go: report.pdf
# (1 MiB, or 100 bytes of something else) in the current directory, a
# 100-byte torrent of that name started there without --saveas: refused
# with one line naming the file, a non-zero exit, the file byte for byte
# as it was.  --overwrite 1 takes it.
mkdir -p "$T/rep/src" "$T/rep/w"
head -c 100 /dev/urandom >"$T/rep/src/report.pdf"
SRC=$T/rep/src/report.pdf mktor "$T/rep.torrent"
for size in 1048576 100; do
	head -c "$size" /dev/urandom >"$T/rep/w/report.pdf"
	cp "$T/rep/w/report.pdf" "$T/rep/keep"
	(cd "$T/rep/w" && timeout 20 "$BT" download --minport "$(U freeport)" --maxport 65000 \
		--display_interval 1 "$T/rep.torrent" >"$T/rep.out" 2>"$T/rep.err")
	RC=$?
	if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then pass; else fail "report.pdf ($size bytes): exit status $RC, want a failure"; fi
	if cmp -s "$T/rep/keep" "$T/rep/w/report.pdf"; then pass; else
		fail "report.pdf ($size bytes) was changed (now $(stat -c %s "$T/rep/w/report.pdf") bytes)"
	fi
	if [ "$(wc -l <"$T/rep.err")" -eq 1 ] && grep -q "refusing to .* report.pdf: .*--overwrite 1" "$T/rep.err"; then pass; else
		fail "report.pdf ($size bytes): want one line 'refusing to ... report.pdf: ...' on stderr"
		sed 's/^/    | /' "$T/rep.err" | head -n 5 >&2
	fi
done
expect_grep "refusing to overwrite report.pdf: it exists and does not hold this torrent's data (use --overwrite 1)" "$T/rep.err"
(cd "$T/rep/w" && timeout 5 "$BT" download --minport "$(U freeport)" --maxport 65000 \
	--display_interval 1 --overwrite 1 "$T/rep.torrent" >"$T/rep.out" 2>"$T/rep.err")
expect_eq "--overwrite 1: report.pdf taken, cut to the torrent's size" "$(stat -c %s "$T/rep/w/report.pdf")" 100
if grep -q refusing "$T/rep.err" "$T/rep.out"; then fail "--overwrite 1: still refused"; else pass; fi

# ================= a hard link in the save directory to a file outside it
# (holding the start of a.bin, so the data is the torrent's): never
# written through
mkdir -p "$T/hl/multi"
head -c 50000 "$DATA/multi/a.bin" >"$T/hl/outside.bin"
cp "$T/hl/outside.bin" "$T/hl/keep"
ln "$T/hl/outside.bin" "$T/hl/multi/a.bin"
dl_start hl m.torrent "$T/hl/multi"
expect_wait hl "refusing to write $T/hl/multi/a.bin: it has 2 hard links" 15 \
	"hard link: no message naming a.bin"
dl_stop hl
if [ "$DLRC" -ne 0 ] && [ "$DLRC" -ne 137 ]; then pass; else fail "hard link: exit status $DLRC, want a failure"; fi
if cmp -s "$T/hl/keep" "$T/hl/outside.bin"; then pass; else fail "hard link: the file outside was written"; fi

# ================= paths that would leave the download directory: refused
# before anything is created
n=0
for code in \
	'obj = {"announce": "'"$ANN"'", "info": {"name": "esc", "piece length": 32768, "pieces": pieces(b"hello", 32768), "files": [{"length": 5, "path": ["..", "x"]}]}}' \
	'obj = {"announce": "'"$ANN"'", "info": {"name": "esc", "piece length": 32768, "pieces": pieces(b"hello", 32768), "files": [{"length": 5, "path": ["a/../../x"]}]}}' \
	'obj = {"announce": "'"$ANN"'", "info": {"name": "esc", "piece length": 32768, "pieces": pieces(b"hello", 32768), "files": [{"length": 5, "path": ["/tmp", "x"]}]}}' \
	'obj = {"announce": "'"$ANN"'", "info": {"name": "..", "piece length": 32768, "pieces": pieces(b"hello", 32768), "length": 5}}' \
	'obj = {"announce": "'"$ANN"'", "info": {"name": "../x", "piece length": 32768, "pieces": pieces(b"hello", 32768), "length": 5}}'; do
	n=$((n + 1))
	bwrite "$T/esc$n.torrent" "$code"
	mkdir -p "$T/escape/w"
	(cd "$T/escape/w" && timeout 10 "$BT" download --minport "$(U freeport)" --maxport 65000 \
		--display_interval 1 "$T/esc$n.torrent" >"$T/esc.out" 2>"$T/esc.err")
	RC=$?
	if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then pass; else fail "escape $n: exit status $RC, want a failure"; fi
	if [ "$(wc -l <"$T/esc.err")" -eq 1 ]; then pass; else
		fail "escape $n: want one line on stderr"
		sed 's/^/    | /' "$T/esc.err" | head -n 5 >&2
	fi
	left=$(cd "$T/escape" && find . -mindepth 1 ! -path ./w | head -n 3)
	expect_eq "escape $n: nothing created" "$left" ""
	if [ -e /tmp/x ] && [ /tmp/x -nt "$T/esc$n.torrent" ]; then fail "escape $n: /tmp/x was written"; fi
	rm -rf "$T/escape"
done

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died during the test"; fi
no_sanitizer
finish
