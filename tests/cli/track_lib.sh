# shellcheck shell=bash
# track_lib.sh - helpers shared by the `bt track` test scripts (track*.sh).
#
# Usage, at the top of a script, after lib.sh:
#     NAME=track_x
#     HERE=$(cd "$(dirname "$0")" && pwd)
#     . "$HERE/lib.sh"
#     . "$HERE/track_lib.sh"
#     TRACK_OPTS=(--dfile "$T/dstate" ...)    # only to change the default
# It replaces lib.sh's exit trap with one that also kills every process in
# PIDS (SIGKILL, then reaps them) before it removes $T, and defines:
#   U ARGS...                 run track_util.py (see its header for commands)
#   PIDS                      array of background pids to kill on exit: add
#                             any other background process you start
#   P                         a port free for TCP and UDP on 127.0.0.1
#   TRACK_OPTS                the base options of track_start; by default
#                             --dfile $T/dstate --nat_check 0 --logfile /dev/null
#   TRACK_OUT                 track_start appends stdout/stderr to
#                             $TRACK_OUT.out/.err (default $T/track)
#   track_start [option...]   start `bt track --port $P $TRACK_OPTS option...`
#                             in the background, set TPID and add it to
#                             PIDS; succeed once $P accepts connections
#                             (fail after 5 s).  P and TRACK_OUT can be given
#                             for one call: P=$PB TRACK_OUT=$T/b track_start
#   track_stop                SIGTERM $TPID and wait for it; returns its exit
#                             status
#   track_kill_under_load N S run `U load $P N` in the background, SIGKILL
#                             $TPID S seconds in, wait for both and check
#                             that the load got replies (in $T/load.out)
U() { "$PY" "$HERE/track_util.py" "$@"; }

PIDS=()
cleanup() {
	local p
	exec 2>/dev/null	# no job-control noise
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

P=$(U freeport)
TRACK_OPTS=(--dfile "$T/dstate" --nat_check 0 --logfile /dev/null)
TRACK_OUT=$T/track

# shellcheck disable=SC2120  # the options are optional
track_start() {
	"$BT" track --port "$P" "${TRACK_OPTS[@]}" "$@" >>"$TRACK_OUT.out" 2>>"$TRACK_OUT.err" &
	TPID=$!
	PIDS+=("$TPID")
	U wait "$P" 127.0.0.1 5
}
track_stop() {
	kill -TERM "$TPID"
	wait "$TPID" 2>/dev/null
}
track_kill_under_load() {
	local lpid
	U load "$P" "$1" >"$T/load.out" 2>&1 &
	lpid=$!
	PIDS+=("$lpid")
	sleep "$2"
	kill -9 "$TPID"
	wait "$TPID" 2>/dev/null
	wait "$lpid"
	expect_egrep '^replies [1-9][0-9]*$' "$T/load.out"
}
