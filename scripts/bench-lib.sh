# bench-lib.sh - what the scripts/bench-*.sh share.  Sourced by them after
# `CALLER_PWD=$PWD; cd "$(dirname "$0")/.."` (paths given by the user are
# relative to CALLER_PWD, the checkout is the working directory).

# abspath PATH: relative to the caller's directory, else to the checkout.
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) if [ -e "${CALLER_PWD:-$PWD}/$1" ]; then echo "${CALLER_PWD:-$PWD}/$1"; else echo "$PWD/$1"; fi ;;
	esac
}

die() { echo "bench: $*" >&2; exit 1; }

# bench_machine NAME: what the figures are taken on (CPU model, cores, SHA
# instructions, memory, kernel) and the load average now.  Figures are
# only compared with others of the same run.
bench_machine() {
	local sha=no
	grep -qw sha_ni /proc/cpuinfo && sha=yes
	echo "$1: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
		"$(nproc) CPUs, SHA instructions (sha_ni): $sha," \
		"$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, $(uname -sr)"
	echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

CLK=$(getconf CLK_TCK)
# cpu_ticks PID: utime + stime of PID (all its threads), in clock ticks; 0
# when it is gone
cpu_ticks() {
	awk '{sub(/.*\) /, ""); print $12 + $13; n++} END {if (!n) print 0}' "/proc/$1/stat" 2>/dev/null ||
		echo 0
}
# vm_kib PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM, RssAnon)
vm_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }
