#!/usr/bin/env bash
# track.sh - `bt track` protocol behaviour: option errors, announce replies
# (keys, numwant, seeds, stopped, completed counting), BitTornado's error
# texts, non-compact replies, scrape modes, HTTP details (404, HEAD,
# keep-alive, pipelining), the access log, UDP (BEP 15), IPv6 (peers6)
# and shutdown on SIGINT.  Loopback only, random free ports.
NAME=track
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
TRACK_OPTS=()

# start_tracker NAME PORT [option value...]: runs in the background with
# its stdout/stderr in NAME.out/NAME.err; sets PID_NAME.
start_tracker() {
	local name=$1 port=$2
	shift 2
	P=$port TRACK_OUT=$T/$name track_start --dfile "$T/$name.dfile" "$@"
	local ok=$?
	printf -v "PID_$name" %s "$TPID"
	if [ "$ok" -ne 0 ]; then
		fail "tracker $name did not start on port $port"
		sed 's/^/    | /' "$T/$name.err" >&2
		return 1
	fi
}

# get PORT PATH [curl args...]: body in $T/r.bin, headers in $T/r.hdr,
# status in $CODE.
get() {
	local port=$1 path=$2
	shift 2
	CODE=$(curl -s -g --max-time 5 -o "$T/r.bin" -D "$T/r.hdr" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$port$path")
}
# q EXPR: evaluate EXPR over the last reply body (see track_util.py q).
q() { U q "$T/r.bin" "$1" 2>&1; }
pid() { printf -- '-TT0001-%012d' "$1"; }
# aq HASH PEERNUM PORT LEFT [extra]: an announce query string.
aq() { printf 'info_hash=%s&peer_id=%s&port=%s&left=%s&compact=1%s' "$1" "$(pid "$2")" "$3" "$4" "${5:-}"; }
ann() { get "$1" "/announce?$2"; }
# expect_fail DESC WANT-CODE WANT-REASON-PREFIX: the last reply is an error.
expect_fail() {
	expect_eq "$1: status" "$CODE" "$2"
	local r
	r=$(q 's(d["failure reason"])')
	case $r in
	"$3"*) pass ;;
	*) fail "$1: failure reason"; printf '    got:  %s\n    want: %s...\n' "$r" "$3" >&2 ;;
	esac
}

# ======================= options
expect_exit 2 "$BT" track
expect_grep "--dfile" "$ERR"
expect_grep "--reannounce_interval" "$ERR"
expect_exit 0 "$BT" track --help
expect_grep "--response_size" "$OUT"
expect_exit 2 "$BT" track --port 1
expect_grep "bt track: --dfile: required, but not given" "$ERR"
expect_exit 2 "$BT" track --dfile x --no_such_key 1
expect_grep "bt track: --no_such_key: unknown option" "$ERR"
expect_exit 2 "$BT" track --dfile x --port 12ab
expect_grep "bt track: --port: '12ab' is not a whole number" "$ERR"
expect_exit 2 "$BT" track --dfile x --port
expect_exit 2 "$BT" track --dfile x stray

# ======================= tracker A: defaults plus a small response size
PA=$(U freeport)
ALOG=$T/a.log
start_tracker A "$PA" --reannounce_interval 1234 --response_size 5 --logfile "$ALOG" \
	--min_time_between_log_flushes 0 || { finish; }

H1=AAAAAAAAAAAAAAAAAAA1 H2=AAAAAAAAAAAAAAAAAAA2 H3=AAAAAAAAAAAAAAAAAAA3
H4=AAAAAAAAAAAAAAAAAAA4 H5=AAAAAAAAAAAAAAAAAAA5 HX=XXXXXXXXXXXXXXXXXXXX

# --- reply keys and types
ann "$PA" "$(aq $H1 1 7001 100)"
expect_eq "first announce: status" "$CODE" 200
expect_grep "Content-Type: text/plain" "$T/r.hdr"
expect_eq "reply keys present" \
	"$(q '[k for k in ("complete", "incomplete", "interval", "min interval", "peers") if k in d]')" \
	"['complete', 'incomplete', 'interval', 'min interval', 'peers']"
expect_eq "interval = --reannounce_interval" "$(q 'd["interval"]')" 1234
expect_eq "min interval is an int within interval" \
	"$(q 'isinstance(d["min interval"], int) and 0 < d["min interval"] <= 1234')" 1
expect_eq "complete/incomplete are ints" \
	"$(q 'isinstance(d["complete"], int) and isinstance(d["incomplete"], int)')" 1
expect_eq "peers is a byte string" "$(q 'type(d["peers"]).__name__')" bytes
expect_eq "first peer: counts" "$(q '(d["complete"], d["incomplete"])')" "(0, 1)"
expect_eq "first peer: nobody else, not itself" "$(q 'len(d["peers"])')" 0
expect_eq "external ip is the requester's" "$(q 'd.get("external ip", b"\x7f\0\0\1") == bytes([127, 0, 0, 1])')" 1

for n in 2 3 4 5 6 7 8; do
	ann "$PA" "$(aq $H1 "$n" $((7000 + n)) 100)"
done
expect_eq "8 leechers: incomplete" "$(q 'd["incomplete"]')" 8
ann "$PA" "$(aq $H1 1 7001 100 '&numwant=50')"
expect_eq "numwant 50 capped by --response_size 5" "$(q 'len(d["peers"])')" 30
expect_eq "peers are 6-byte records of 127.0.0.1" \
	"$(q 'all(p.startswith("127.0.0.1:") for p in peers(d)) and len(d["peers"]) % 6 == 0')" 1
expect_nogrep "127.0.0.1:7001" <(q 'peers(d)')
ann "$PA" "$(aq $H1 1 7001 100 '&numwant=3')"
expect_eq "numwant 3" "$(q 'len(d["peers"])')" 18
ann "$PA" "$(aq $H1 1 7001 100)"
expect_eq "no numwant: --response_size" "$(q 'len(d["peers"])')" 30
ann "$PA" "$(aq $H1 1 7001 100 '&numwant=0')"
expect_eq "numwant 0: no peers" "$(q 'len(d["peers"])')" 0
expect_eq "numwant 0: counts still there" "$(q 'd["incomplete"]')" 8

# --- the requester is never in its own list (3 peers: each gets the 2 others)
for n in 11 12 13; do ann "$PA" "$(aq $H2 "$n" $((7000 + n)) 50)"; done
for n in 11 12 13; do
	ann "$PA" "$(aq $H2 "$n" $((7000 + n)) 50)"
	want=$(for m in 11 12 13; do [ $m = "$n" ] || printf '%s ' $((7000 + m)); done)
	expect_eq "peer $n gets exactly the others" "$(q '" ".join(map(str, ports(d))) + " "')" "$want"
done

# --- a seed gets only leechers; a leecher gets everyone else
for n in 21 22 23; do ann "$PA" "$(aq $H3 "$n" $((7000 + n)) 0)"; done
for n in 24 25; do ann "$PA" "$(aq $H3 "$n" $((7000 + n)) 500)"; done
expect_eq "3 seeds 2 leechers" "$(q '(d["complete"], d["incomplete"])')" "(3, 2)"
ann "$PA" "$(aq $H3 21 7021 0)"
expect_eq "a seed gets only the leechers" "$(q 'ports(d)')" "[7024, 7025]"
ann "$PA" "$(aq $H3 24 7024 500)"
expect_eq "a leecher gets seeds and the other leecher" "$(q 'ports(d)')" "[7021, 7022, 7023, 7025]"

# --- event=stopped removes the peer and returns no peers
ann "$PA" "$(aq $H3 25 7025 500 '&event=stopped')"
expect_eq "stopped: status" "$CODE" 200
expect_eq "stopped: no peers" "$(q 'len(d["peers"])')" 0
ann "$PA" "$(aq $H3 21 7021 0)"
expect_eq "stopped peer is gone from the lists" "$(q 'ports(d)')" "[7024]"
expect_eq "stopped peer is gone from the counts" "$(q '(d["complete"], d["incomplete"])')" "(3, 1)"

# --- completed counting
scrape_counts() { # PORT HASH -> "c d i" or "absent"
	get "$1" "/scrape?info_hash=$2"
	q "' '.join(str(d['files']['$2'][k]) for k in ('complete', 'downloaded', 'incomplete')) if '$2' in d['files'] else 'absent'"
}
ann "$PA" "$(aq $H4 31 7031 0 '&event=completed')"
expect_eq "new peer with completed: downloaded 1" "$(scrape_counts "$PA" $H4)" "1 1 0"
ann "$PA" "$(aq $H4 32 7032 100 '&event=started')"
expect_eq "a leecher joins" "$(scrape_counts "$PA" $H4)" "1 1 1"
ann "$PA" "$(aq $H4 32 7032 0)"
expect_eq "leecher re-announcing left=0: complete+1, downloaded+1" "$(scrape_counts "$PA" $H4)" "2 2 0"
ann "$PA" "$(aq $H4 33 7033 100 '&event=started')"
ann "$PA" "$(aq $H4 33 7033 0 '&event=completed')"
expect_eq "left=0 with event=completed counts once" "$(scrape_counts "$PA" $H4)" "3 3 0"
ann "$PA" "$(aq $H4 31 7031 0 '&event=completed')"
expect_eq "announce reply has the counts" "$(q '(d["complete"], d["incomplete"])')" "(3, 0)"
expect_eq "a seed repeating completed counts nothing" "$(scrape_counts "$PA" $H4)" "3 3 0"

# --- announce errors: 400 with BitTornado's texts
ann "$PA" "peer_id=$(pid 1)&port=1&left=1&compact=1"
expect_fail "missing info_hash" 400 "you sent me garbage - no info hash"
ann "$PA" "$(aq AAAAAAAAAAAAAAAAAAA 1 7001 1)"
expect_fail "19-byte info_hash" 400 "you sent me garbage - invalid length for Infohash"
ann "$PA" "info_hash=$H1&peer_id=short&port=1&left=1&compact=1"
expect_fail "bad peer_id" 400 "you sent me garbage - id not of length 20"
ann "$PA" "info_hash=$H1&port=1&left=1&compact=1"
expect_fail "missing peer_id" 400 "you sent me garbage - id not of length 20"
ann "$PA" "$(aq $H1 1 70000 1)"
expect_fail "port 70000" 400 "you sent me garbage - invalid port"
ann "$PA" "$(aq $H1 1 -1 1)"
expect_fail "port -1" 400 "you sent me garbage - invalid port"
ann "$PA" "info_hash=$H1&peer_id=$(pid 1)&left=1&compact=1"
expect_fail "missing port" 400 "you sent me garbage - invalid port"
ann "$PA" "info_hash=$H1&peer_id=$(pid 1)&port=7001&compact=1"
expect_fail "missing left" 400 "you sent me garbage - "
expect_grep "amount left not sent" <(q 's(d["failure reason"])')
ann "$PA" "$(aq $H1 1 7001 -5)"
expect_fail "negative left" 400 "you sent me garbage - invalid amount left"
ann "$PA" "$(aq $H1 1 7001 5 '&event=bogus')"
expect_fail "event=bogus" 400 "you sent me garbage - invalid event"
expect_grep "Pragma: no-cache" "$T/r.hdr"
ann "$PA" "info_hash=$H1&peer_id=$(pid 1)&port=7001&left=5"
expect_fail "non-compact with --compact_reqd 1" 400 "your client is outdated, please upgrade"
ann "$PA" "$(aq $H1 1 7001 100 '&numwant=0')"
expect_eq "errors changed nothing" "$(q '(d["complete"], d["incomplete"])')" "(0, 8)"

# --- the other announce paths
get "$PA" "/announce.php?$(aq $H2 11 7011 50)"
expect_eq "/announce.php" "$CODE:$(q 'ports(d)')" "200:[7012, 7013]"
get "$PA" "/tracker.php/announce?$(aq $H2 11 7011 50)"
expect_eq "/tracker.php/announce" "$CODE:$(q 'ports(d)')" "200:[7012, 7013]"

# --- scrape
get "$PA" "/scrape?info_hash=$H3"
expect_eq "scrape one: status" "$CODE" 200
expect_eq "scrape one: only that hash" "$(q 'keys(d["files"])')" "['$H3']"
expect_eq "scrape one: counts" "$(q 'sorted(d["files"]["'$H3'"].items())')" \
	"[('complete', 3), ('downloaded', 0), ('incomplete', 1)]"
get "$PA" "/scrape?info_hash=$H3&info_hash=$H4&info_hash=$HX"
expect_eq "scrape several, unknown left out" "$(q 'keys(d["files"])')" "['$H3', '$H4']"
get "$PA" "/scrape?info_hash=$HX"
expect_eq "scrape of an unknown hash: empty files" "$CODE:$(q 'd')" "200:{'files': {}}"
get "$PA" "/scrape"
expect_eq "full scrape lists every torrent" "$(q 'keys(d["files"])')" "['$H1', '$H2', '$H3', '$H4']"
expect_eq "full scrape counts" "$(q 'd["files"]["'$H1'"]["incomplete"]')" 8
get "$PA" "/scrape.php?info_hash=$H2"
expect_eq "/scrape.php" "$(q 'keys(d["files"])')" "['$H2']"
get "$PA" "/tracker.php/scrape?info_hash=$H2"
expect_eq "/tracker.php/scrape" "$(q 'keys(d["files"])')" "['$H2']"
get "$PA" "/scrape?info_hash=AAAAAAAAAAAAAAAAAAA"
expect_fail "scrape of a 19-byte hash" 400 "you sent me garbage - invalid length for Infohash"

# --- 404, HEAD, stats
get "$PA" /no/such/thing
expect_eq "404 status" "$CODE" 404
printf 'your file may exist elsewhere in the universe\nbut alas, not here\n' >"$T/alas"
expect_file_eq "404 alas text" "$T/r.bin" "$T/alas"
U raw "$PA" 'HEAD /no/such/thing HTTP/1.0\r\n\r\n' 3 >"$T/head.out" 2>"$T/head.err"
expect_grep "HTTP/1.0 404" "$T/head.out"
expect_grep "Content-Length: 65" "$T/head.out"
expect_eq "HEAD: no body after the head" "$("$PY" -c '
import sys; b = open(sys.argv[1], "rb").read(); print(len(b) - b.index(b"\r\n\r\n") - 4)' "$T/head.out")" 0
expect_nogrep TIMEOUT "$T/head.err"
get "$PA" "/announce?$(aq $H2 11 7011 50)"
glen=$(wc -c <"$T/r.bin")
U raw "$PA" "HEAD /announce?$(aq $H2 11 7011 50) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" 3 >"$T/head.out" 2>&1
expect_grep "HTTP/1.1 200" "$T/head.out"
expect_grep "Content-Length: $glen" "$T/head.out"
expect_eq "HEAD announce: no body" "$("$PY" -c '
import sys; b = open(sys.argv[1], "rb").read(); print(len(b) - b.index(b"\r\n\r\n") - 4)' "$T/head.out")" 0
get "$PA" /stats
expect_eq "/stats status" "$CODE" 200
expect_grep "bt_tracker_torrents 4" "$T/r.bin"

# --- connection handling
U raw "$PA" 'GET /x HTTP/1.0\r\n\r\n' 3 >"$T/c10.out" 2>"$T/c10.err"
expect_grep "HTTP/1.0 404" "$T/c10.out"
expect_nogrep TIMEOUT "$T/c10.err"	# closed by the server, no wait
U rawn "$PA" 1 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n' "GET /scrape?info_hash=$HX HTTP/1.1\r\nHost: a\r\n\r\n" >"$T/ka.out" 2>&1
expect_eq "HTTP/1.1 keep-alive: two replies on one connection" \
	"$(grep -c '^HTTP/1.1 ' "$T/ka.out")/$(grep -c 'd5:filesdee' "$T/ka.out")/$(tail -n 1 "$T/ka.out")" "2/1/OPEN"
U rawn "$PA" 2 'GET /stats HTTP/1.1\r\nHost: a\r\n\r\nGET /nothing HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/pl.out" 2>&1
expect_eq "pipelined: two replies in order" "$(grep -o '^HTTP/1.1 [0-9]*' "$T/pl.out" | tr '\n' ,)" \
	"HTTP/1.1 200,HTTP/1.1 404,"
U rawn "$PA" 1 'GET /stats HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/cc.out" 2>&1
expect_eq "HTTP/1.1 Connection: close is honoured" "$(tail -n 1 "$T/cc.out")" CLOSED

# --- access log
get "$PA" "/announce?$(aq $H2 11 7011 50)" -A "track-test/1.0" -e "http://ref.example/x"
alen=$(wc -c <"$T/r.bin")
get "$PA" /nowhere -A "track-test/2.0"
sleep 0.5
expect_egrep '^# Log Started: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC$' "$ALOG"
expect_egrep "^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}\] \"GET /announce\?info_hash=$H2&peer_id=-TT0001-000000000011&port=7011&left=50&compact=1 HTTP/1\.1\" 200 $alen \"http://ref\.example/x\" \"track-test/1\.0\"\$" "$ALOG"
expect_egrep "^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}\] \"GET /nowhere HTTP/1\.1\" 404 65 \"-\" \"track-test/2\.0\"\$" "$ALOG"
expect_egrep '"GET /announce\?peer_id=[^"]*HTTP/1\.1" 400 [0-9]+ ' "$ALOG"
expect_nogrep "# Log Started" "$T/A.out"

# --- UDP (BEP 15) on the same port
run U udp "$PA" 127.0.0.1 connect
expect_egrep '^[0-9]+$' "$OUT"
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 41)" 7041 1000 2 50
expect_eq "UDP announce, first peer" "$(cat "$OUT")" "1 1234 1 0 - "
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 42)" 7042 0 2 50
expect_eq "UDP announce, a seed gets the leecher" "$(cat "$OUT")" "1 1234 1 1 127.0.0.1:7041 "
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 43)" 7043 10 0 0
expect_eq "UDP announce, numwant 0" "$(cat "$OUT")" "1 1234 2 1 - "
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 43)" 7043 10 0 -1
expect_eq "UDP announce, numwant -1 = default" "$(cat "$OUT")" "1 1234 2 1 127.0.0.1:7041,127.0.0.1:7042 "
ann "$PA" "$(aq $H5 44 7044 10)"
expect_eq "HTTP sees the UDP peers" "$(q 'ports(d)')" "[7041, 7042, 7043]"
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 44)" 7044 10 3 50
expect_eq "UDP stopped" "$(cat "$OUT")" "1 1234 2 1 - "
run U udp "$PA" 127.0.0.1 scrape $H5 $H3 $HX
expect_eq "UDP scrape (complete downloaded incomplete)" "$(tr '\n' '|' <"$OUT")" "1 0 2|3 0 1|0 0 0|"
run U udp "$PA" 127.0.0.1 announce $H5 "$(pid 41)" 7041 1000 7 50
expect_eq "UDP bad event" "$(cat "$OUT")" "error invalid event"
run U udp "$PA" 127.0.0.1 forged
expect_egrep '^3 1 .+' "$OUT"

# ======================= tracker B: --compact_reqd 0, --scrape_allowed specific
PB=$(U freeport)
start_tracker B "$PB" --compact_reqd 0 --scrape_allowed specific --nat_check 0 || finish
ann "$PB" "info_hash=$H1&peer_id=$(pid 51)&port=7051&left=10"
expect_eq "non-compact allowed: status" "$CODE" 200
ann "$PB" "info_hash=$H1&peer_id=$(pid 52)&port=7052&left=10"
expect_eq "dict peers: a list" "$(q 'type(d["peers"]).__name__')" list
expect_eq "dict peers: ip, peer id, port" "$(q '[(s(p["ip"]), s(p["peer id"]), p["port"]) for p in d["peers"]]')" \
	"[('127.0.0.1', '$(pid 51)', 7051)]"
expect_eq "dict peer keys" "$(q 'keys(d["peers"][0])')" "['ip', 'peer id', 'port']"
ann "$PB" "info_hash=$H1&peer_id=$(pid 52)&port=7052&left=10&no_peer_id=1"
expect_eq "no_peer_id=1: ip and port only" "$(q '[sorted(p) for p in d["peers"]]')" "[['ip', 'port']]"
expect_eq "no_peer_id=1: values" "$(q 'peers(d)')" "['127.0.0.1:7051']"
ann "$PB" "info_hash=$H1&peer_id=$(pid 52)&port=7052&left=10&compact=1"
expect_eq "compact still works with --compact_reqd 0" "$(q 'ports(d)')" "[7051]"
expect_eq "compact with --compact_reqd 0: 6-byte records" "$(q 'len(d["peers"])')" 6
get "$PB" /scrape
expect_fail "full scrape with --scrape_allowed specific" 400 \
	"full scrape function is not available with this tracker."
get "$PB" "/scrape?info_hash=$H1"
expect_eq "specific scrape with --scrape_allowed specific" "$CODE:$(q 'keys(d["files"])')" "200:['$H1']"

# ======================= tracker C: --scrape_allowed none
PC=$(U freeport)
start_tracker C "$PC" --scrape_allowed none || finish
get "$PC" "/scrape?info_hash=$H1"
expect_fail "specific scrape with --scrape_allowed none" 400 \
	"specific scrape function is not available with this tracker."
get "$PC" /scrape
expect_fail "full scrape with --scrape_allowed none" 400 \
	"full scrape function is not available with this tracker."
ann "$PC" "$(aq $H1 61 7061 10)"
expect_eq "announce works with --scrape_allowed none" "$CODE" 200

# ======================= start-up lines and the info page
# Each socket is announced on stdout (even with --logfile), HTTP and UDP.
expect_eq "start-up lines of A" "$(grep '^# Listening' "$T/A.out")" \
	"$(printf '# Listening for HTTP on 0.0.0.0:%s\n# Listening for UDP on 0.0.0.0:%s' "$PA" "$PA")"
PU=$(U freeport)
start_tracker U0 "$PU" --bind 127.0.0.1 --udp 0 &&
	expect_eq "start-up lines with --bind 127.0.0.1 --udp 0" "$(grep '^# Listening' "$T/U0.out")" \
		"# Listening for HTTP on 127.0.0.1:$PU"
kill "$PID_U0" 2>/dev/null
get "$PA" /
expect_eq "info page: status" "$CODE" 200
expect_grep '<meta http-equiv="refresh" content="60">' "$T/r.bin"
expect_egrep '<li><b>uptime:</b> (less than a minute|[0-9]+ min) \(since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC\)</li>' "$T/r.bin"
expect_grep '<a href="/stats">/stats</a>' "$T/r.bin"
expect_grep '<a href="/scrape">/scrape</a>' "$T/r.bin"
expect_grep '<li><b>tracker version:</b> bt ' "$T/r.bin"
expect_egrep '<td class="hash" title="[0-9a-f]{40}"><code>[0-9a-f]{40}</code></td>' "$T/r.bin"
get "$PC" /
expect_nogrep '/scrape' "$T/r.bin"	# --scrape_allowed none: no link
# --port 0: the system picks one port, the same for HTTP and UDP, and the
# start-up lines say which.
"$BT" track --port 0 --dfile "$T/p0.dfile" --nat_check 0 --logfile /dev/null >"$T/p0.out" 2>"$T/p0.err" &
PID_P0=$!
PIDS+=("$PID_P0")
for _ in $(seq 50); do grep -q 'for UDP' "$T/p0.out" && break; sleep 0.1; done
P0=$(sed -n 's/^# Listening for HTTP on 0\.0\.0\.0:\([0-9]*\)$/\1/p' "$T/p0.out")
expect_egrep "^# Listening for UDP on 0\\.0\\.0\\.0:${P0:-none}\$" "$T/p0.out"
expect_eq "--port 0: the port it picked answers" "$(U status "${P0:-1}" /stats)" 200
run U udp "${P0:-1}" 127.0.0.1 connect
expect_egrep '^[0-9]+$' "$OUT"
kill "$PID_P0" 2>/dev/null
# BitTornado's default port is 80; a user who may not bind it is told why
# and what to do.
unpriv=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
as_user=()
if [ "$(id -u)" -eq 0 ] && have setpriv; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod o+x "$T"
	mkdir -p "$T/nobody" && chmod 777 "$T/nobody"
fi
if [ "$unpriv" -le 80 ]; then
	skip "unprivileged users may bind port 80 here"
elif [ "$(id -u)" -eq 0 ] && [ ${#as_user[@]} -eq 0 ]; then
	skip "no setpriv to try port 80 as an unprivileged user"
else
	expect_exit 1 "${as_user[@]}" "$BT" track --dfile "$T/nobody/d" --nat_check 0 --logfile /dev/null
	expect_grep "cannot listen on 0.0.0.0:80: Permission denied: ports below 1024 need root" "$ERR"
	expect_grep "use a higher one with --port, e.g. --port 6969" "$ERR"
fi

# ======================= IPv6 (BEP 7): peers6 for requesters on ::1
if "$PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	P6=$(U freeport 6)
	start_tracker V6 "$P6" --ipv6_enabled 1 || finish
	if U wait "$P6" ::1; then
		get6() { CODE=$(curl -s -g --max-time 5 -o "$T/r.bin" -w '%{http_code}' "http://[::1]:$P6$1"); }
		get6 "/announce?$(aq $H1 71 7071 10)"
		expect_eq "IPv6 announce: status" "$CODE" 200
		get6 "/announce?$(aq $H1 72 7072 10)"
		expect_eq "IPv6 announce: peers6" "$(q 'peers(d)')" "['[::1]:7071']"
		expect_eq "IPv6 announce: 18-byte records, peers empty" "$(q '(len(d["peers6"]), len(d["peers"]))')" "(18, 0)"
		expect_eq "IPv6 external ip: 16 bytes" "$(q 'len(d.get("external ip", bytes(16)))')" 16
		ann "$P6" "$(aq $H1 73 7073 10)"
		expect_eq "IPv4 requester on the same tracker: IPv4 peers only" "$(q 'peers(d)')" "[]"
		run U udp "$P6" ::1 announce $H1 "$(pid 74)" 7074 10 2 50
		expect_eq "UDP over IPv6: 18-byte peers" "$(cat "$OUT")" "1 1800 4 0 [::1]:7071,[::1]:7072 "
		get6 "/scrape?info_hash=$H1"
		expect_eq "scrape counts both families" "$(q 'd["files"]["'$H1'"]["incomplete"]')" 4
		expect_eq "start-up lines with --ipv6_enabled 1" "$(grep -c "^# Listening for \(HTTP\|UDP\) on \(0\.0\.0\.0\|\[::\]\):$P6\$" "$T/V6.out")" 4
	else
		skip "tracker not reachable on [::1]"
	fi
else
	skip "::1 is not usable here"
fi

# ======================= SIGINT: clean exit
PS=$(U freeport)
start_tracker S "$PS" || finish
ann "$PS" "$(aq $H1 81 7081 10)"
kill -INT "$PID_S"
rc=0
for _ in $(seq 50); do kill -0 "$PID_S" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID_S" 2>/dev/null; then
	fail "SIGINT: still running after 5 s"
else
	wait "$PID_S"
	rc=$?
	expect_eq "SIGINT: exit status" "$rc" 0
	expect_egrep '^# Shutting down: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC$' "$T/S.out"
	expect_grep '"GET /announce?info_hash=' "$T/S.out"	# log to stdout by default
fi

# No sanitizer reports (under ASan/UBSan builds) from any tracker.
for f in "$T"/*.err; do
	if grep -qE 'runtime error|Sanitizer|AddressSanitizer|LeakSanitizer' "$f"; then
		fail "sanitizer report from tracker $(basename "$f" .err)"
		grep -E -A6 'runtime error|Sanitizer' "$f" | head -n 12 | sed 's/^/    | /' >&2
	else
		pass
	fi
done
for p in A B C; do
	v=PID_$p
	if ! kill -0 "${!v}" 2>/dev/null; then
		wait "${!v}"
		fail "tracker $p died during the test (exit status $?)"
		tail -n 20 "$T/$p.err" | sed 's/^/    | /' >&2
	fi
done
finish
