#!/usr/bin/env bash
# track_t2t.sh - one tracker talking to another: multitracker polling
# (peers learned from the other tracker of an allowed torrent's
# announce-list), refusal of our own announces coming back round a loop,
# --multitracker_allowed, and --aggregate_forward.
NAME=track_t2t
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"

PA=$P
PB=$(U freeport)
while [ "$PB" = "$PA" ]; do PB=$(U freeport); done
mkdir "$T/allow"
echo payload >"$T/data"
"$BT" makemetafile "http://127.0.0.1:$PA/announce" "$T/data" --target "$T/allow/d.torrent" \
	--announce-list "http://127.0.0.1:$PA/announce|http://127.0.0.1:$PB/announce" >/dev/null
H=$("$BT" showmetainfo "$T/allow/d.torrent" | sed -n 's/info hash.....: //p' | sed 's/../%&/g')
ann() {	# ann PORT OUTFILE PEERID PEERPORT [more query]
	curl -s "http://127.0.0.1:$1/announce?info_hash=$H&peer_id=$3&port=$4&left=5&compact=1${5:-}" >"$2"
}

# ---- B: a plain tracker that takes tracker-to-tracker announces.
TRACK_OPTS=(--dfile "$T/db" --nat_check 0 --logfile "$T/logb" --min_time_between_log_flushes 0.1)
P=$PB TRACK_OUT=$T/b track_start --multitracker_allowed all || { fail "B did not start"; finish; }
PIDB=$TPID
ann "$PB" "$T/x" -TB0001-000000000001 7101

# ---- A: serves the torrent and polls the other trackers of its announce-list.
TRACK_OPTS=(--dfile "$T/da" --nat_check 0 --logfile "$T/loga" --min_time_between_log_flushes 0.1)
P=$PA TRACK_OUT=$T/a track_start --allowed_dir "$T/allow" --multitracker_enabled 1 \
	--multitracker_reannounce_interval 1 || { fail "A did not start"; finish; }
PIDA=$TPID
got=""
for _ in $(seq 1 40); do	# at most 8 s
	ann "$PA" "$T/y" -TA0001-000000000001 7201
	got=$(U q "$T/y" 'ports(d)' 2>/dev/null)
	case "$got" in *7101*) break ;; esac
	sleep 0.2
done
expect_eq "a peer of B reaches A's clients through multitracker polling" "$got" "[7101]"
expect_eq "peers from B are not counted as A's own" "$(U q "$T/y" 'd["incomplete"]')" 1
sleep 0.3
expect_grep 'tracker=1' "$T/logb"
# A's poll of itself (its own URL is in the list) carries its tracker id and is refused.
expect_egrep '"GET /announce\?[^"]*tracker=1[^"]*" 200 [0-9]+ ' "$T/loga"
curl -s "http://127.0.0.1:$PB/scrape?info_hash=$H" >"$T/s"
expect_eq "B does not record A's polls as peers" "$(U q "$T/s" 'list(d["files"].values())[0]["incomplete"]')" 1
kill -TERM "$PIDA"; wait "$PIDA" 2>/dev/null
kill -TERM "$PIDB"; wait "$PIDB" 2>/dev/null

# ---- --multitracker_allowed none and autodetect.
TRACK_OPTS=(--dfile "$T/dc" --nat_check 0 --logfile /dev/null)
P=$PB TRACK_OUT=$T/c track_start --multitracker_allowed none || { fail "start"; finish; }
ann "$PB" "$T/z" -TC0001-000000000001 7301 "&tracker=1"
expect_eq "multitracker_allowed none refuses trackers" "$(U q "$T/z" 's(d["failure reason"])')" disallowed
track_stop
rm -f "$T/dc"
P=$PB TRACK_OUT=$T/c track_start || { fail "start"; finish; }
ann "$PB" "$T/z" -TC0001-000000000002 7302 "&tracker=1"
expect_eq "autodetect refuses a torrent it knows no announce-list of" \
	"$(U q "$T/z" 's(d["failure reason"])')" "Requested download is not authorized for multitracker use."
track_stop
rm -f "$T/dc"
P=$PB TRACK_OUT=$T/c track_start --allowed_dir "$T/allow" || { fail "start"; finish; }
ann "$PB" "$T/z" -TC0001-000000000003 7303 "&tracker=1"
expect_eq "autodetect answers for an allowed torrent with an announce-list" \
	"$(U q "$T/z" 'int("failure reason" in d)')" 0
track_stop

# ---- --aggregate_forward: every announce to A is passed on to B.
rm -f "$T/db" "$T/da"
TRACK_OPTS=(--dfile "$T/db" --nat_check 0 --logfile /dev/null)
P=$PB TRACK_OUT=$T/b track_start --aggregator pw || { fail "B did not start"; finish; }
PIDB=$TPID
TRACK_OPTS=(--dfile "$T/da" --nat_check 0 --logfile /dev/null)
P=$PA TRACK_OUT=$T/a track_start --aggregate_forward "http://127.0.0.1:$PB/announce,pw" \
	|| { fail "A did not start"; finish; }
PIDA=$TPID
ann "$PA" "$T/f" -TF0001-000000000001 7401
n=0
for _ in $(seq 1 25); do	# at most 5 s
	curl -s "http://127.0.0.1:$PB/scrape?info_hash=$H" >"$T/g"
	n=$(U q "$T/g" 'sum(v["incomplete"] for v in d["files"].values())' 2>/dev/null)
	[ "$n" = 1 ] && break
	sleep 0.2
done
expect_eq "the announce reached the aggregator, password and all" "$n" 1
kill -TERM "$PIDA"; wait "$PIDA" 2>/dev/null
kill -TERM "$PIDB"; wait "$PIDB" 2>/dev/null
expect_nogrep "runtime error" "$T/a.err"
expect_nogrep "runtime error" "$T/b.err"
finish
