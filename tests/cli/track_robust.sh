#!/usr/bin/env bash
# track_robust.sh - `bt track` against malformed and hostile input: bad
# fields, huge heads, garbage, bodies, other methods, idle and slow
# connections, thousands of connections, clients that never read, UDP
# garbage, SIGKILL under load.  After each, a normal announce must still
# be served.
NAME=track_robust
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"

# Room for 2,000 client sockets plus the tracker's (it inherits this).
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

TRACK_OPTS=(--dfile "$T/dstate" --socket_timeout 2 --timeout_check_interval 1
	--logfile "$T/log" --nat_check 0)
if ! track_start; then
	fail "bt track did not start"
	cat "$T/track.err" >&2
	finish
fi

H=GOODGOODGOODGOODGOOD
GOODN=0
# good DESC: a normal announce is answered with a peer list.
good() {
	GOODN=$((GOODN + 1))
	local code
	code=$(curl -s --max-time 5 -o "$T/good.bin" -w '%{http_code}' \
		"http://127.0.0.1:$P/announce?info_hash=$H&peer_id=-GD0001-$(printf %012d $GOODN)&port=$((40000 + GOODN))&left=1&compact=1")
	if [ "$code" = 200 ] && [ "$(U q "$T/good.bin" '"interval" in d and isinstance(d["peers"], bytes)' 2>&1)" = 1 ]; then
		pass
	else
		fail "after $1: a normal announce got '$code'"
	fi
}
# code QUERY: status of an announce with this query string.
code() { curl -s --max-time 5 -o "$T/r.bin" -w '%{http_code}' "http://127.0.0.1:$P/announce?$1"; }
reason() { U q "$T/r.bin" 's(d["failure reason"])' 2>&1; }
ID=-RB0001-000000000001
good start

# ======================= bad fields
for q in "info_hash=&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash=$H%41&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash=%zz%zz&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash=%4&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash=$(printf 'A%.0s' $(seq 3000))&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash&peer_id=$ID&port=1&left=1&compact=1" \
	"info_hash=$H&peer_id=%ff%fe&port=1&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID$ID&port=1&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=abc&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=65536&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=99999999999999999999999&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1.5&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=0x10&left=1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1&left=abc&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1&left=99999999999999999999999999&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1&left=--1&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1&left=1&event=STARTED&compact=1" \
	"info_hash=$H&peer_id=$ID&port=1&left=1&event=%00&compact=1" \
	"info_hash=$H&peer_id=$ID&left=1&compact=1" \
	"info_hash=$H&port=1&left=1&compact=1" \
	"peer_id=$ID&port=1&left=1&compact=1" \
	"" "&&&&" "=&=&=" "info_hash" "%%%%%%"; do
	c=$(code "$q")
	r=$(reason)
	case $c:$r in
	400:"you sent me garbage - "*) pass ;;
	*) fail "bad announce '${q:0:80}': got $c '$r', want 400 garbage" ;;
	esac
done
good "bad fields"

# Odd but valid: an all-zero hash, port 0 (recorded, never handed out),
# repeated keys (the first wins), numwant out of range, unknown keys.
c=$(code "info_hash=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00&peer_id=$ID&port=5&left=1&compact=1")
expect_eq "all-zero info hash" "$c" 200
c=$(code "info_hash=$H&peer_id=-RB0001-000000000002&port=0&left=1&compact=1")
expect_eq "port 0 accepted" "$c" 200
c=$(code "info_hash=$H&peer_id=$ID&port=41999&left=1&compact=1&numwant=1000")
expect_eq "port 0 is never handed out" "$(U q "$T/r.bin" '0 in ports(d)' 2>&1)" 0
for w in -1 99999999999999999999 abc ""; do
	c=$(code "info_hash=$H&peer_id=$ID&port=41999&left=1&compact=1&numwant=$w")
	expect_eq "numwant '$w'" "$c:$(U q "$T/r.bin" 'len(d["peers"]) <= 300' 2>&1)" 200:1
done
c=$(code "info_hash=$H&info_hash=XXXXXXXXXXXXXXXXXXXX&peer_id=$ID&port=41999&left=1&compact=1&foo=bar&ip=&key=&trackerid=%00")
expect_eq "repeated and unknown keys" "$c" 200
good "odd fields"

# Scrape abuse: 300 hashes, bad lengths, empty value.
qs=$(for k in $(seq 300); do printf 'info_hash=%020d&' "$k"; done)
c=$(curl -s --max-time 5 -o "$T/r.bin" -w '%{http_code}' "http://127.0.0.1:$P/scrape?$qs")
expect_eq "scrape of 300 hashes" "$c" 200
# 1,000 info hashes, every byte percent-encoded (71 KB of query): served.
run U scrapemany "$P" 1000
expect_grep "status 200" "$OUT"
expect_grep "entries 1000" "$OUT"
expect_grep "all_named 1" "$OUT"
if [ "$(field head_bytes "$OUT")" -gt 71000 ]; then pass; else fail "scrape head of $(field head_bytes "$OUT") bytes"; fi
c=$(curl -s --max-time 5 -o "$T/r.bin" -w '%{http_code}' "http://127.0.0.1:$P/scrape?info_hash=&info_hash=abc")
expect_eq "scrape with bad hashes" "$c" 400
good "scrape abuse"

# ======================= the HTTP layer
# reply_to NAME DATA: send DATA raw; status line in $T/NAME.st, "closed"
# or "open" in $T/NAME.cl.
reply_to() {
	U raw "$P" "$2" 4 >"$T/$1.out" 2>"$T/$1.err"
	head -n 1 "$T/$1.out" | tr -d '\r' >"$T/$1.st"
	if grep -q TIMEOUT "$T/$1.err"; then echo open; else echo closed; fi >"$T/$1.cl"
}

# A head past the limit (80 KiB) gets a 431 the client can read: the
# close lingers over the rest of the head instead of resetting.
big=$("$PY" -c 'print("a" * 102400)')
reply_to bighdr "GET /announce HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n"
expect_eq "100 KiB header" "$(cat "$T/bighdr.st"):$(cat "$T/bighdr.cl")" \
	"HTTP/1.0 431 Request Header Fields Too Large:closed"
if grep -q 'recv:' "$T/bighdr.err"; then fail "100 KiB header: $(cat "$T/bighdr.err")"; else pass; fi
good "a 100 KiB header"

reply_to bigline "GET /announce?$big HTTP/1.1\r\nHost: x\r\n\r\n"
expect_eq "100 KiB request line" "$(cat "$T/bigline.st"):$(cat "$T/bigline.cl")" \
	"HTTP/1.0 431 Request Header Fields Too Large:closed"
good "a 100 KiB request line"
run U bighead "$P" 600000
expect_eq "600 KB header" "$(tr -d '\r' <"$OUT" | tr '\n' :)" \
	"HTTP/1.0 431 Request Header Fields Too Large:eof:"
good "a 600 KB header"

hdrs=$(for k in $(seq 200); do printf 'X-H%d: v\\r\\n' "$k"; done)
reply_to manyhdr "GET /stats HTTP/1.1\r\n${hdrs}\r\n"
case $(cat "$T/manyhdr.st"):$(cat "$T/manyhdr.cl") in
"HTTP/1."?" 431 "*:closed | "HTTP/1."?" 400 "*:closed | "HTTP/1.1 200 "*:*) pass ;;
*) fail "200 headers: got '$(cat "$T/manyhdr.st")' $(cat "$T/manyhdr.cl")" ;;
esac
good "200 header lines"

"$PY" -c '
import random, sys
r = random.Random(7)
for k in range(5):
    sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(4096)) + b"\n")' >"$T/garbage"
for k in 1 2 3 4 5; do
	data=$(sed -n "${k}p" "$T/garbage" | "$PY" -c 'import sys; b = sys.stdin.buffer.read(); print("".join("\\x%02x" % c for c in b))')
	reply_to garbage$k "$data"
	case $(cat "$T/garbage$k.st"):$(cat "$T/garbage$k.cl") in
	"HTTP/1."?" 400 "*:closed | "HTTP/1."?" 505 "*:closed | "HTTP/1."?" 431 "*:closed | :closed) pass ;;
	*) fail "binary garbage $k: got '$(cat "$T/garbage$k.st")' $(cat "$T/garbage$k.cl")" ;;
	esac
done
good "binary garbage"

for data in 'GET /stats HTTP/1.1\r\nHost: x\x00y\r\n\r\n' 'GET /st\x00ats HTTP/1.1\r\n\r\n' \
	'GET /stats HTTP/1.1\r\n continued\r\n\r\n' 'GET /stats HTTP/1.1\r\nBad Header: x\r\n\r\n' \
	'GET /stats HTTP/1.1\rX\r\n\r\n' 'GET /stats HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
	'GET /stats HTTP/1.1\r\nContent-Length: -1\r\n\r\n' 'GET /stats HTTP/1.1\r\nContent-Length: x\r\n\r\n' \
	'GET /stats FOO/1.1\r\n\r\n' '\r\n\r\n\r\n\r\n'; do
	reply_to bad "$data"
	case $(cat "$T/bad.st"):$(cat "$T/bad.cl") in
	"HTTP/1.1 400 "*:closed | "HTTP/1.0 400 "*:closed | :closed) pass ;;
	*) fail "malformed '$data': got '$(cat "$T/bad.st")' $(cat "$T/bad.cl"), want 400 and a close" ;;
	esac
done
reply_to v2 'GET /stats HTTP/2.0\r\n\r\n'
case $(cat "$T/v2.st"):$(cat "$T/v2.cl") in
"HTTP/1."?" 505 "*:closed | "HTTP/1."?" 400 "*:closed) pass ;;
*) fail "HTTP/2.0: got '$(cat "$T/v2.st")' $(cat "$T/v2.cl"), want 505 and a close" ;;
esac
good "malformed heads"

# A body: 400, and the connection is closed so the body is not taken for
# the next request.
U rawn "$P" 1 "GET /announce?info_hash=$H&peer_id=$ID&port=1&left=1&compact=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /" >"$T/body.out" 2>&1
expect_eq "request with a body: 400 and close" \
	"$(grep -c '^HTTP/1.[01] ' "$T/body.out"):$(grep -c '^HTTP/1.[01] 400 ' "$T/body.out"):$(tail -n 1 "$T/body.out")" "1:1:CLOSED"
good "a request body"

for m in POST PUT DELETE OPTIONS PATCH CONNECT TRACE get; do
	U rawn "$P" 1 "$m /announce?info_hash=$H HTTP/1.1\r\nHost: x\r\n\r\n" >"$T/m.out" 2>&1
	if grep -q '^HTTP/1.1 405 ' "$T/m.out"; then pass; else
		fail "$m: want 405"
		head -3 "$T/m.out" >&2
	fi
done
expect_grep "Allow: GET, HEAD" "$T/m.out"
good "other methods"

# Slow but honest: a request sent a byte at a time is still served.
run U slow "$P" "GET /announce?info_hash=$H&peer_id=$ID&port=41998&left=1&compact=1 HTTP/1.1\r\nHost: x\r\n\r\n" 0.004
expect_eq "request trickled a byte at a time" "$(tr -d '\r' <"$OUT")" "HTTP/1.1 200 OK"
# Many pipelined requests in one write: all answered.
reqs=$(for k in $(seq 100); do printf 'GET /stats HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'; done)
U rawn "$P" 100 "$reqs" >"$T/pipe.out" 2>&1
expect_eq "100 pipelined requests: 100 replies" "$(grep -c '^HTTP/1.1 200 ' "$T/pipe.out")" 100
# A client that never reads its replies must not stall the others.
run U noread "$P" 20000
expect_grep "served_meanwhile 200" "$OUT"
good "a client that never reads"

# ======================= idle connections
# Half-open: connects and sends nothing; closed after --socket_timeout 2
# (checked every --timeout_check_interval 1 s).
"$PY" - "$P" >"$T/idle1.out" <<'EOF'
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
p = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
p.sendall(b"GET /announce?info_hash=")
t0 = time.time()
for s in (c, p):
    try:
        b = s.recv(100)
        print("eof" if b == b"" else "data", round(time.time() - t0, 1))
    except socket.timeout:
        print("timeout", round(time.time() - t0, 1))
    except OSError:
        print("reset", round(time.time() - t0, 1))
EOF
while read -r what secs; do
	case $what in
	eof | reset)
		if awk -v s="$secs" 'BEGIN { exit !(s >= 1.5 && s <= 5) }'; then pass; else
			fail "idle connection closed after $secs s, want 2-4 s"
		fi ;;
	*) fail "idle connection: $what after $secs s, want a close after about 2 s" ;;
	esac
done <"$T/idle1.out"
expect_eq "two idle connections checked" "$(wc -l <"$T/idle1.out")" 2
good "idle connections"

# 2,000 connections at once (half with a partial head), a normal request
# served meanwhile, all closed by the server after the socket timeout.
run U idle "$P" 2000 5.5
expect_grep "opened 2000" "$OUT"
expect_grep "served_while_open 200" "$OUT"
expect_grep "closed_by_server 2000" "$OUT"
expect_grep "served_after 200" "$OUT"
good "2,000 idle connections"

# ======================= UDP garbage
run U udp "$P" 127.0.0.1 garbage 600 11
expect_egrep '^[0-9]+$' "$OUT"
run U udp "$P" 127.0.0.1 announce $H -RB0001-000000000003 41997 0 2 10
expect_egrep '^1 1800 [0-9]+ [0-9]+ ' "$OUT"
good "UDP garbage"

# ======================= the connection cap
# At --max_connections, with every connection busy, one more client gets
# 503 at once (not a timeout); with idle ones, the oldest makes room.
MAINPID=$TPID
PB=$(U freeport)
if P=$PB TRACK_OUT=$T/b track_start --max_connections 20; then
	run U cap "$PB" 20
	expect_grep "busy_status 503" "$OUT"
	expect_grep "busy_fast 1" "$OUT"
	expect_grep "busy_close 1" "$OUT"
	expect_grep "busy_body d14:failure reason23:tracker busy, try latere" "$OUT"
	expect_grep "held_served 200" "$OUT"
	expect_grep "served_at_cap 200" "$OUT"
	expect_grep "idle_shed 1" "$OUT"
	track_stop
	expect_grep '"-" 503 ' "$T/log"
else
	fail "bt track --max_connections 20 did not start"
fi

# ======================= /file with clients that never read
# 40 connections each pipeline 3 requests for a 24 MB .torrent and never
# read: the body is read from disk as the socket drains, so the tracker's
# memory stays put, and a client that reads still gets the whole file.
PC=$(U freeport)
mkdir -p "$T/big"
bwrite "$T/big/big.torrent" 'import os
n = 1200000
obj = {"announce": "http://127.0.0.1/announce", "info": {"name": "big", "piece length": 16384,
	"length": n * 16384, "pieces": os.urandom(20 * n)}}'
q="info_hash=$(tq "$T/big/big.torrent" ih | sed 's/../%&/g')"
if P=$PC TRACK_OUT=$T/c track_start --allowed_dir "$T/big" --allow_get 1; then
	expect_eq "/file served" "$(U status "$PC" "/file?$q")" 200
	run U filehog "$PC" "$q" "$T/big/big.torrent" 40 3 1.5 "$TPID"
	expect_grep "good_download 1" "$OUT"
	growth=$(field rss_growth_kb "$OUT")
	echo "/file to 40 clients that do not read: RSS $(field rss_before_kb "$OUT") KiB, grew by $growth KiB"
	if [ -n "$growth" ] && [ "$growth" -lt 16384 ]; then pass; else
		fail "/file to 40 clients that do not read: RSS grew by ${growth:-?} KiB"
		cat "$OUT" >&2
	fi
	track_stop
else
	fail "bt track --allow_get 1 did not start"
fi
TPID=$MAINPID

# ======================= SIGKILL under load, then restart
track_kill_under_load 3 1
expect_eq "tracker gone after SIGKILL" "$(U status "$P")" 0
started=0
for _ in 1 2 3 4 5; do
	if track_start; then started=1; break; fi
	kill -9 "$TPID" 2>/dev/null
	sleep 0.5
done
expect_eq "restarted on the same port" "$started" 1
good "SIGKILL and restart"
run U udp "$P" 127.0.0.1 announce $H -RB0001-000000000004 41996 0 2 10
expect_egrep '^1 1800 [0-9]+ [0-9]+ ' "$OUT"

if kill -0 "$TPID" 2>/dev/null; then pass; else fail "bt track died at the end"; fi
if grep -qiE 'runtime error|sanitizer|assert|abort|segv' "$T/track.err"; then
	fail "tracker stderr shows a crash or a sanitizer report"
	grep -iE -A6 'runtime error|sanitizer|assert|abort|segv' "$T/track.err" | head -n 14 | sed 's/^/    | /' >&2
else
	pass
fi
finish
