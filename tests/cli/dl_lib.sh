# shellcheck shell=bash disable=SC2034  # variables for the scripts that source this
# dl_lib.sh - helpers shared by the `bt download` test scripts (download*.sh).
#
# Usage, at the top of a script:
#     NAME=download_x
#     HERE=$(cd "$(dirname "$0")" && pwd)
#     . "$HERE/lib.sh"
#     . "$HERE/track_lib.sh"
#     . "$HERE/dl_lib.sh"
# It replaces track_lib's exit trap with one that sends SIGTERM to PIDS
# first (for up to 3 s), sets HOME=$T/home (bt keeps its resume records in
# $HOME/.BitTornado/datacache), starts `bt track` (access log in $LOG) and
# defines:
#   DLP ARGS...               run dl_peers.py (see its header), at most 90 s
#   HAVE_LT                   1 when python3-libtorrent can be imported
#   ANN                       the tracker's announce URL
#   DATA                      $T/src: DLP data wrote the data set to
#                             $DATA/multi; TOTAL is its size in bytes
#   mktor FILE [option...]    `bt makemetafile $ANN $DATA/multi` into FILE
#                             with 32 KiB pieces (more makemetafile options
#                             may follow); SRC=dir mktor ... for another
#                             directory
#   dl_start NAME TORRENT SAVEAS [option...]
#                             start `bt download` in the background on a
#                             fresh port (DLPORT[NAME]), pid in DLPID[NAME],
#                             output in $T/NAME.out and $T/NAME.err; the
#                             options come after the defaults (DL_OPTS)
#   dl_wait NAME TEXT SECS    until $T/NAME.out holds TEXT; fails early when
#                             the process has ended
#   dl_done NAME SECS         dl_wait NAME "Download Succeeded!" SECS
#   expect_wait NAME TEXT SECS DESC
#                             pass when dl_wait NAME TEXT SECS succeeds, else
#                             fail DESC and show NAME's output (dl_tail)
#   expect_done NAME SECS DESC  the same for dl_done
#   expect_announced NAME SECS DESC
#                             the same for a first announce from NAME
#   dl_stop NAME [SECS] [SIG] SIGTERM (or SIG), wait up to SECS (10);
#                             SIGKILL after that; DLRC is its exit status
#                             (137: killed)
#   dl_end NAME SECS          until NAME ends by itself (SIGKILL after
#                             SECS, DLRC 124); DLRC is its exit status
#   dl_kill NAME              SIGKILL and reap
#   dl_alive NAME             the process is still running
#   dl_tail NAME              show the end of its output on stderr
#   ann PORT                  the announces of the client on PORT, one per
#                             line: "event uploaded downloaded left"
#   ann_wait PORT EVENT SECS  until the client on PORT sent EVENT
#   ann_field PORT EVENT N    field N (2 uploaded, 3 downloaded, 4 left) of
#                             its first announce with EVENT ("-": no event,
#                             "first": the very first announce)
#   resume_file TORRENT       path of the resume record of TORRENT
#   same_tree DESC A B        diff -r A B (names, contents, empty files)
#   no_sanitizer              no sanitizer report in any $T/*.err
# libtorrent's Python binding (Debian's 2.0.8) has crashed with SIGSEGV
# inside its own session now and then on this machine; such a run is said
# loudly and run once more (a second crash fails the test as before).
DLP() {
	local rc
	timeout 90 "$PY" "$HERE/dl_peers.py" "$@"
	rc=$?
	if [ $rc = 139 ]; then
		echo "dl_lib: libtorrent (dl_peers.py $1) crashed with SIGSEGV; running it once more" >&2
		timeout 90 "$PY" "$HERE/dl_peers.py" "$@"
		rc=$?
	fi
	return $rc
}

# SIGTERM first: `timeout` passes it on to its child (SIGKILL would leave
# the child running), and bt stops cleanly; then track_lib's cleanup.
dl_cleanup() {
	local p n
	exec 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p"; done
	for _ in $(seq 30); do
		n=0
		for p in "${PIDS[@]}"; do kill -0 "$p" && n=1; done
		[ $n = 0 ] && break
		sleep 0.1
	done
	cleanup
}
trap dl_cleanup EXIT

HAVE_LT=0
"$PY" -c 'import libtorrent' 2>/dev/null && HAVE_LT=1

export HOME=$T/home
mkdir -p "$HOME"

LOG=$T/track.log
TRACK_OPTS=(--dfile "$T/dstate" --nat_check 0 --logfile "$LOG" --min_time_between_log_flushes 0)
if ! track_start; then
	fail "bt track did not start"
	cat "$T/track.err" >&2
	finish
fi
ANN=http://127.0.0.1:$P/announce

DATA=$T/src
TOTAL=$(DLP data "$DATA" | sed -n 's/^size //p')

mktor() {
	local out=$1
	shift
	"$BT" makemetafile "$ANN" "${SRC:-$DATA/multi}" --piece_size_pow2 15 --target "$out" "$@" >/dev/null
}

declare -A DLPID DLPORT
DLRC=0
DL_OPTS=(--display_interval 1 --security 0)

dl_start() {
	local name=$1 tor=$2 saveas=$3 port
	shift 3
	port=$(U freeport)
	DLPORT[$name]=$port
	"$BT" download --saveas "$saveas" --minport "$port" --maxport "$port" \
		"${DL_OPTS[@]}" "$@" "$tor" >"$T/$name.out" 2>"$T/$name.err" &
	DLPID[$name]=$!
	PIDS+=("$!")
}
dl_alive() { kill -0 "${DLPID[$1]}" 2>/dev/null; }
dl_wait() {
	local name=$1 text=$2 n
	for n in $(seq $(($3 * 10))); do
		grep -qF -e "$text" "$T/$name.out" "$T/$name.err" 2>/dev/null && return 0
		# Give a process that just ended a last look at its output.
		if ! dl_alive "$name" && [ "$n" -gt 1 ]; then
			grep -qF -e "$text" "$T/$name.out" "$T/$name.err" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}
dl_done() { dl_wait "$1" "Download Succeeded!" "$2"; }
expect_wait() {
	if dl_wait "$1" "$2" "$3"; then pass; else
		fail "$4"
		dl_tail "$1"
	fi
}
expect_done() { expect_wait "$1" "Download Succeeded!" "$2" "$3"; }
dl_stop() {
	local name=$1 secs=${2:-10} pid=${DLPID[$1]}
	kill "-${3:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DLRC=$?
}
dl_end() {
	local pid=${DLPID[$1]}
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		DLRC=124
		return 1
	fi
	wait "$pid" 2>/dev/null
	DLRC=$?
}
dl_kill() {
	kill -9 "${DLPID[$1]}" 2>/dev/null
	wait "${DLPID[$1]}" 2>/dev/null
}
dl_tail() {
	tail -n 12 "$T/$1.out" | sed "s/^/    $1 out| /" >&2
	tail -n 8 "$T/$1.err" | sed "s/^/    $1 err| /" >&2
}

ann() { "$PY" "$HERE/dl_peers.py" announces "$LOG" "$1"; }
ann_wait() {
	for _ in $(seq $(($3 * 10))); do
		ann "$1" | grep -q "^$2 " && return 0
		sleep 0.1
	done
	return 1
}
expect_announced() {
	if ann_wait "${DLPORT[$1]}" '[a-z-]*' "$2"; then pass; else
		fail "$3"
		dl_tail "$1"
	fi
}
ann_field() {
	ann "$1" | awk -v e="$2" -v f="$3" '(e == "first" || $1 == e) && !n++ { print $f }'
}

resume_file() { echo "$HOME/.BitTornado/datacache/$(tq "$1" ih)"; }

same_tree() {
	if diff -r "$2" "$3" >"$T/.diff" 2>&1; then
		pass
	else
		fail "$1: $3 differs from $2"
		head -n 5 "$T/.diff" | sed 's/^/    | /' >&2
	fi
}

no_sanitizer() {
	if grep -lE 'runtime error|Sanitizer' "$T"/*.err >/dev/null 2>&1; then
		fail "sanitizer report"
		grep -E -A6 'runtime error|Sanitizer' "$T"/*.err | head -n 14 | sed 's/^/    | /' >&2
	else
		pass
	fi
}
