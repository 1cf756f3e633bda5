#!/usr/bin/env bash
# track_state.sh - `bt track --dfile`: the state survives SIGKILL under
# load (the file is always the previous complete state, never a torn one),
# a restart restores peers and completed counts and announces resume,
# SIGTERM saves, and a corrupt state file is moved aside; it is written
# durably (temporary, fsync, rename, fsync of the directory, seen with
# strace); the /stats counters never go down, also when torrents expire.
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

# ---- /stats counters never go down, also when torrents expire (a sweep
# every second drops the peers silent for a whole period, then the
# torrents left without peers).
stats_of() {	# stats_of FILE: the /stats text into FILE
	curl -s --max-time 5 "http://127.0.0.1:$P/stats" >"$1"
}
metric() { sed -n "s/^$1 //p" "$2"; }
P=$(U freeport)
TRACK_OUT=$T/mono track_start --dfile "$T/mono.dfile" \
	--timeout_downloaders_interval 1 || { fail "tracker for expiry did not start"; finish; }
for k in 1 2 3; do
	curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$P/announce?info_hash=$(U hash "mono$k")&peer_id=-RS0001-00000000001$k&port=701$k&left=0&compact=1&event=completed"
done
stats_of "$T/before"
expect_eq "three completed downloads counted" "$(metric bt_tracker_downloads_total "$T/before")" 3
for _ in $(seq 50); do
	stats_of "$T/after"
	[ "$(metric bt_tracker_torrents "$T/after")" = 0 ] && break
	sleep 0.1
done
expect_eq "the torrents expired" "$(metric bt_tracker_torrents "$T/after")" 0
expect_eq "downloads_total after they expired" "$(metric bt_tracker_downloads_total "$T/after")" 3
expect_eq "the gauge of the torrents tracked now drops" "$(metric bt_tracker_downloaded "$T/after")" 0
# Every counter (a *_total line) is at least what it was.
expect_eq "no counter went down" "$("$PY" -c '
import sys
def vals(p):
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in open(p)
            if l.strip() and not l.startswith("#") and "_total" in l.split(" ")[0]}
a, b = vals(sys.argv[1]), vals(sys.argv[2])
print([k for k in a if b.get(k, -1) < a[k]] if len(a) >= 8 else "too few counters: %d" % len(a))
' "$T/before" "$T/after")" "[]"
track_stop

# ---- durability: the state file is written to a temporary, flushed,
# renamed over the old one, then the directory is flushed (a power loss
# leaves the old state or the new one).
if have strace && strace -o /dev/null true 2>/dev/null; then
	mkdir -p "$T/dur"
	# SIGINT after 2 s: the tracker saves and exits, and so does strace.
	strace -f -o "$T/strace.txt" -e trace=openat,open,fsync,fdatasync,rename,renameat,renameat2 \
		timeout -s INT 2 "$BT" track --port "$(U freeport)" --dfile "$T/dur/dstate" \
		--nat_check 0 --logfile /dev/null --save_dfile_interval 1 >/dev/null 2>&1
	check "a state file was written under strace" [ -s "$T/dur/dstate" ]
	expect_eq "state file: write temp, fsync, rename, fsync the directory" "$("$PY" -c '
import re, sys
want = ["open tmp", "fsync tmp", "rename", "open dir", "fsync dir"]
fds, seen = {}, []
for line in open(sys.argv[1]):
    m = re.search(r"open(?:at)?\(.*?\"([^\"]*)\", ([^)]*)\)\s+=\s+(\d+)", line)
    if m:
        path, flags, fd = m.groups()
        if ".tmp." in path and "dstate" in path:
            fds[fd] = "tmp"; seen.append("open tmp")
        elif path.endswith("/dur") and "O_DIRECTORY" in flags:
            fds[fd] = "dir"; seen.append("open dir")
        continue
    m = re.search(r"\bf(?:data)?sync\((\d+)\)\s+=\s+0", line)
    if m and m.group(1) in fds:
        seen.append("fsync " + fds.pop(m.group(1)))
        continue
    if re.search(r"rename(?:at2?)?\(.*dstate\.tmp\..*dstate\".*\)\s+=\s+0", line):
        seen.append("rename")
# The first complete save, in order.
print(" -> ".join(seen[:5]) if seen[:5] == want else "got: " + " -> ".join(seen[:8]))
' "$T/strace.txt")" "open tmp -> fsync tmp -> rename -> open dir -> fsync dir"
else
	skip "strace cannot trace here"
fi
finish
