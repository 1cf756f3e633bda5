#!/usr/bin/env bash
# track_state.sh - `bt track --dfile`: the state survives SIGKILL under
# load (the file is always the previous complete state, never a torn one),
# a restart restores peers and completed counts and announces resume,
# SIGTERM saves, and a corrupt state file is moved aside.
NAME=track_state
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"

TRACK_OPTS+=(--save_dfile_interval 1)
torrents_in() {	# number of torrents in a state file, or "bad"
	U q "$1" 'len(d["torrents"])' 2>/dev/null || echo bad
}

track_start || { fail "bt track did not start"; finish; }

# ---- SIGKILL while announces pour in and the state is saved every second.
track_kill_under_load 4 2.6
check "a state file was written before the kill" [ -s "$T/dstate" ]
n=$(torrents_in "$T/dstate")
expect_eq "the state file after SIGKILL is complete bencode with all 50 torrents" "$n" 50

# ---- restart: the state comes back and announces resume.
track_start || { fail "restart failed"; finish; }
expect_nogrep "corrupt" "$T/track.err"
curl -s "http://127.0.0.1:$P/scrape" >"$T/scrape"
expect_eq "full scrape after restart lists the 50 torrents" "$(U q "$T/scrape" 'len(d["files"])')" 50
expect_eq "restored peers are counted" \
	"$(U q "$T/scrape" 'int(sum(v["complete"] + v["incomplete"] > 0 for v in d["files"].values()))')" 50
H=$(U hash load7)
curl -s "http://127.0.0.1:$P/announce?info_hash=$H&peer_id=-RS0001-000000000001&port=7001&left=5&compact=1" >"$T/ann"
expect_eq "an announce after restart gets restored peers" \
	"$(U q "$T/ann" 'int(len(d["peers"]) > 0)')" 1

# ---- completed counts survive; SIGTERM saves at once.
C=$(U hash completed-test)
curl -s "http://127.0.0.1:$P/announce?info_hash=$C&peer_id=-RS0001-000000000002&port=7002&left=0&compact=1&event=completed" >/dev/null
track_stop
expect_eq "SIGTERM exits 0" "$?" 0
track_start || { fail "second restart failed"; finish; }
curl -s "http://127.0.0.1:$P/scrape?info_hash=$C" >"$T/scrape2"
expect_eq "completed count restored" "$(U q "$T/scrape2" 'list(d["files"].values())[0]["downloaded"]')" 1
track_stop

# ---- a truncated state file is reported, kept aside, and the tracker starts clean.
head -c 100 "$T/dstate" >"$T/cut" && mv "$T/cut" "$T/dstate"
: >"$T/track.err"
track_start || { fail "start with a corrupt state failed"; finish; }
expect_grep "statefile" "$T/track.err"
expect_grep "corrupt" "$T/track.err"
check "the corrupt file is kept as dstate.corrupt" [ -s "$T/dstate.corrupt" ]
expect_eq "and the tracker serves" "$(U status "$P" /stats)" 200
track_stop
check "a clean state file is written again" [ "$(torrents_in "$T/dstate")" != bad ]
finish
