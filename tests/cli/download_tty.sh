#!/usr/bin/env bash
# download_tty.sh - what `bt download` tells the user, on loopback through
# `bt track`: the status block drawn in place on a terminal (a pseudo-
# terminal here) or scrolling with --scroll_display 1; the final block
# after an interrupt (the real progress, "interrupted, resume data
# saved"), on a terminal and in the log; tracker URLs that cannot be used
# (named at once, exit 1 when nothing else can find peers); the
# configuration file (plain numbers written; a wrong value blamed on its
# line); --saveas onto an existing directory and -d for a single file.
NAME=download_tty
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"
. "$HERE/dl_lib.sh"

# PTY SECS OUT CMD...: run CMD on a pseudo-terminal of 40x100, SIGINT
# after SECS, everything it printed into OUT (raw bytes); at most SECS +
# 20 s; the exit status is CMD's.
cat >"$T/ptyrun.py" <<'EOF'
import fcntl, os, pty, select, signal, struct, sys, termios, time
secs, out, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
data, t0, sent = b"", time.time(), False
while time.time() - t0 < secs + 20:
    if not sent and time.time() - t0 > secs:
        os.kill(pid, signal.SIGINT)
        sent = True
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            b = os.read(fd, 65536)
        except OSError:
            break
        if not b:
            break
        data += b
else:
    os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
open(out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
PTY() { timeout 60 "$PY" "$T/ptyrun.py" "$@"; }
# has FILE TEXT: FILE (raw bytes) holds the bytes TEXT (printf escapes).
has() { "$PY" -c 'import sys; sys.exit(0 if sys.argv[2].encode().decode("unicode_escape").encode("latin-1") in open(sys.argv[1], "rb").read() else 1)' "$1" "$2"; }
# count FILE TEXT: how many times FILE holds TEXT.
count() { "$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(sys.argv[2].encode()))' "$1" "$2"; }
# screen FILE: what a terminal shows after FILE's bytes (a small VT100:
# CR, LF, cursor up, erase down; the scrollback counts as screen).
cat >"$T/screen.py" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines, row, col = [""], 0, 0
for m in re.finditer(r"\x1b\[(\d*)([AJ])|[\r\n]|[^\x1b\r\n]+|\x1b", data):
    t = m.group(0)
    if t == "\r":
        col = 0
    elif t == "\n":
        row += 1
        if row == len(lines):
            lines.append("")
    elif m.group(2) == "A":
        row = max(0, row - int(m.group(1) or 1))
    elif m.group(2) == "J":
        lines[row] = lines[row][:col]
        del lines[row + 1:]
    elif t != "\x1b":
        cur = lines[row].ljust(col)
        lines[row] = cur[:col] + t + cur[col + len(t):]
        col += len(t)
print("\n".join(lines))
EOF
screen() { "$PY" "$T/screen.py" "$1"; }
# last_pct FILE: the value of the last "percent done:" line.
last_pct() { tr -d '\r' <"$1" | sed -n 's/^.*percent done: *//p' | tail -n 1; }

mktor m.torrent
dl_start seed m.torrent "$DATA/multi"
expect_announced seed 10 "the seed did not announce"

# ================= a terminal: the block drawn in place, then the final
# block after Ctrl-C with the real progress (the download is slowed to
# 300 kB/s so that it is part done after 3 s)
PTY 3 "$T/tty.raw" "$BT" download --saveas "$T/tty" --minport "$(U freeport)" \
	"${DL_OPTS[@]}" --display_interval 0.3 --max_download_rate 300 m.torrent
if has "$T/tty.raw" '\033[9A\r\033[J'; then pass; else fail "terminal: the block is not drawn over the last one"; fi
if has "$T/tty.raw" '\r\n\r\n\r\n'; then fail "terminal: blank lines between the blocks"; else pass; fi
n=$(count "$T/tty.raw" "saving:")
if [ "$n" -ge 4 ]; then pass; else fail "terminal: $n blocks drawn in 3 s, want 4 or more"; fi
screen "$T/tty.raw" >"$T/tty.screen"
expect_eq "terminal: blocks left on the screen" "$(grep -c "^saving:" "$T/tty.screen")" 1
expect_eq "terminal: lines left on the screen" "$(grep -vc "^ERROR: \|^bt download: " "$T/tty.screen")" 10
expect_grep "time left:      interrupted, resume data saved (" "$T/tty.screen"
expect_nogrep "Download Failed!" "$T/tty.raw"
pct=$(last_pct "$T/tty.raw")
case $pct in
"" | 0 | 0.0 | 100*) fail "terminal: the final block says percent done: '${pct}' after 3 s at 300 kB/s" ;;
*) pass ;;
esac

# ================= --scroll_display 1: BitTornado's block, five blank lines
# before each, no cursor movement (6 s: under ASan on a loaded machine the
# first block took more than 3)
PTY 6 "$T/scroll.raw" "$BT" download --saveas "$T/scroll" --minport "$(U freeport)" \
	"${DL_OPTS[@]}" --display_interval 0.3 --scroll_display 1 --max_download_rate 100 m.torrent
if has "$T/scroll.raw" '\r\n\r\n\r\n\r\n\r\nsaving:'; then pass; else fail "--scroll_display 1: no scrolling block"; fi
if has "$T/scroll.raw" '\033['; then fail "--scroll_display 1: escape sequences"; else pass; fi

# ================= not a terminal: the log, then the final block with the
# real progress after SIGTERM
dl_start log m.torrent "$T/log" --max_download_rate 300
expect_wait log "downloading" 10 "log: no download"
sleep 2
dl_stop log
expect_grep "stopped before the download was complete" "$T/log.out"
expect_grep "time left:      interrupted, resume data saved (" "$T/log.out"
expect_nogrep "Download Failed!" "$T/log.out"
expect_nogrep $'\033' "$T/log.out"
pct=$(last_pct "$T/log.out")
case $pct in
"" | 0 | 0.0 | 100*) fail "log: the final block says percent done: '${pct}'" ;;
*) pass ;;
esac

# ================= tracker URLs that cannot be used: named at once; with
# nothing else to find peers, exit 1 at once
for url in x "ftp://127.0.0.1/announce" "http://127.0.0.1:$P/an nounce" "udp://127.0.0.1/announce"; do
	"$BT" makemetafile "$url" "$DATA/multi/a.bin" --target bad.torrent -f >/dev/null 2>&1
	t0=$(date +%s)
	run timeout 20 "$BT" download --saveas "$T/bad" bad.torrent
	expect_eq "tracker '$url': exit status" "$RC" 1
	expect_grep "tracker URL '$url' cannot be used: " "$ERR"
	expect_grep "no usable tracker and no web seed: there is no way to find peers" "$ERR"
	case $url in *" "*) expect_grep "cannot be used: has a space in it" "$ERR" ;; esac
	if [ $(($(date +%s) - t0)) -le 5 ]; then pass; else fail "tracker '$url': took more than 5 s"; fi
done
# A usable tracker beside a bad one: the bad one is named, the download runs.
"$BT" makemetafile "$ANN" "$DATA/multi/a.bin" --announce_list "ftp://h/a|$ANN" --target mixed.torrent >/dev/null 2>&1 ||
	"$BT" makemetafile "$ANN" "$DATA/multi/a.bin" --announce-list "ftp://h/a|$ANN" --target mixed.torrent >/dev/null 2>&1
dl_start mixed mixed.torrent "$T/mixed.bin"
expect_wait mixed "tracker URL 'ftp://h/a' cannot be used: not http://, https:// or udp://" 10 \
	"a bad tracker beside a good one is not named"
if dl_alive mixed; then pass; else fail "a bad tracker beside a good one: the download ended"; fi
dl_kill mixed

# ================= a dead UDP tracker is reported (after --http_timeout)
"$BT" makemetafile "udp://127.0.0.1:$(U freeport)/announce" "$DATA/multi/a.bin" --target udp.torrent >/dev/null 2>&1
dl_start udp udp.torrent "$T/udp.bin" --http_timeout 2
expect_wait udp "error: Problem connecting to tracker - timeout exceeded" 15 "a dead UDP tracker is not reported"
dl_kill udp

# ================= the configuration file: plain numbers; a wrong value
# blamed on its line; lines not used are told
printf 'garbage\n' >"$T/garbage.torrent"
run "$BT" download --state_dir "$T/cfg" --save_options 1 --tcp_ack_fudge 0.00001 "$T/garbage.torrent"
expect_grep "keepalive_interval = 120.0" "$T/cfg/config.downloadheadless.ini"
expect_grep "tcp_ack_fudge = 0.00001" "$T/cfg/config.downloadheadless.ini"
if grep -E '^[a-z_]+ = -?[0-9.]+e' "$T/cfg/config.downloadheadless.ini"; then
	fail "the configuration file has a number with an exponent"
else pass; fi
printf 'max_uploads = 3\ntimeout = soon\nminport = 0\n' >"$T/cfg/config.downloadheadless.ini"
run "$BT" download --state_dir "$T/cfg" m.torrent
expect_eq "a wrong value in the configuration file: exit status" "$RC" 2
expect_grep "config file $T/cfg/config.downloadheadless.ini line 3: --minport 0 is out of range" "$ERR"
expect_grep "config file $T/cfg/config.downloadheadless.ini line 2: timeout = soon: not a number; ignored" "$ERR"
run "$BT" download --state_dir "$T/cfg" --minport 7000 "$T/garbage.torrent"
expect_eq "the command line replaces the file's wrong value: exit status" "$RC" 1
expect_nogrep "line 3" "$ERR"

# ================= --saveas onto an existing directory, and -d: a single
# file goes inside, under the torrent's name
SRC=$DATA/multi/big.bin mktor one.torrent
dl_start seed1 one.torrent "$DATA/multi/big.bin"
expect_announced seed1 10 "the single-file seed did not announce"
mkdir -p "$T/exist"
dl_start into one.torrent "$T/exist"
expect_done into 30 "--saveas DIR: the download did not finish"
expect_grep "saving to $T/exist/big.bin," "$T/into.out"
check "--saveas DIR: the data at DIR/<name>" cmp "$DATA/multi/big.bin" "$T/exist/big.bin"
dl_kill into
dl_start dshort one.torrent "" -d "$T/dd"
expect_done dshort 30 "-d DIR: the download did not finish"
check "-d DIR: the data at DIR/<name>" cmp "$DATA/multi/big.bin" "$T/dd/big.bin"
dl_kill dshort

no_sanitizer
finish
