#!/usr/bin/env bash
# size-report.sh - how big bt is: the stripped size of each build flavour
# and its largest symbols (text, data and bss alike), in the manner of
# BusyBox's bloat-o-meter.  Each flavour builds only `bt`, into its own
# directory under build-size/.
#
#   scripts/size-report.sh                  every flavour, then the 20 largest
#                                           symbols of release and small
#   scripts/size-report.sh release small    only these flavours
#   scripts/size-report.sh --diff OLD NEW   symbol by symbol growth between two
#                                           unstripped binaries (bloat-o-meter)
#
# Flavours:
#   release    the default build (meson setup build)
#   small      -Os, LTO, --gc-sections, no unwind tables
#   nocurses   the default build with -Dcurses=disabled
#   tracker    small, the tracker alone (-Dclient=false -Dmaketools=false)
#   client     small, without the tracker (-Dtracker=false)
# SIZE_SETUP_ARGS adds meson setup arguments to every flavour (a
# --cross-file, say); STRIP, NM and SIZE name the binutils (default strip,
# nm, size and readelf).
set -eu
cd "$(dirname "$0")/.."
STRIP=${STRIP:-strip}
NM=${NM:-nm}
SIZE=${SIZE:-size}
READELF=${READELF:-readelf}
TOP=${TOP:-20}
read -r -a extra <<<"${SIZE_SETUP_ARGS:-}"

# LTO compiles at link time, so the link gets the code generation flags too.
nounwind="-fno-asynchronous-unwind-tables -fno-unwind-tables"
small=(-Dbuildtype=minsize -Db_lto=true
	"-Dc_args=-ffunction-sections -fdata-sections $nounwind"
	"-Dc_link_args=-Wl,--gc-sections $nounwind")

flavour_args() {	# flavour_args NAME: its meson setup arguments, one a line
	case $1 in
	release) ;;
	small) printf '%s\n' "${small[@]}" ;;
	nocurses) printf '%s\n' -Dcurses=disabled ;;
	tracker) printf '%s\n' "${small[@]}" -Dclient=false -Dmaketools=false ;;
	client) printf '%s\n' "${small[@]}" -Dtracker=false ;;
	*) echo "size-report: unknown flavour $1" >&2; return 1 ;;
	esac
}

build() {	# build NAME: build-size/NAME/bt, and its stripped copy bt.stripped
	local dir=build-size/$1 args
	mapfile -t args < <(flavour_args "$1")
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "${args[@]}" "${extra[@]}" >"$dir.setup.log" 2>&1 ||
			{ echo "size-report: setup of $1 failed (see $dir.setup.log)" >&2; return 1; }
	fi
	ninja -C "$dir" bt >"$dir.build.log" 2>&1 ||
		{ echo "size-report: build of $1 failed (see $dir.build.log)" >&2; return 1; }
	"$STRIP" -o "$dir/bt.stripped" "$dir/bt"
}

symbols() {	# symbols BINARY: "size name" for every sized symbol
	"$NM" --size-sort -S -t d "$1" | awk 'NF == 4 { print $2 + 0, $3, $4 }'
}

largest() {	# largest NAME
	echo
	echo "== $1: the $TOP largest symbols (bytes, nm type, name)"
	symbols "build-size/$1/bt" | sort -k1,1nr | head -n "$TOP" |
		awk '{ printf "%8d  %s  %s\n", $1, $2, $3 }'
}

diff_syms() {	# diff_syms OLD NEW: what grew and what shrank
	join -a1 -a2 -e0 -o 0,1.2,2.2 -j 1 \
		<(symbols "$1" | awk '{ s[$3] += $1 } END { for (k in s) print k, s[k] }' | sort) \
		<(symbols "$2" | awk '{ s[$3] += $1 } END { for (k in s) print k, s[k] }' | sort) |
	awk '{ d = $3 - $2; if (d) print d, $1, $2, $3 }' | sort -k1,1nr |
	awk -v top="$TOP" '
		{ row[NR] = $0; d = $1; if (d > 0) up += d; else down += d }
		END {
			printf "%-40s %8s %8s %8s\n", "symbol", "old", "new", "delta"
			for (i = 1; i <= NR; i++) {
				if (i > top && i <= NR - top)
					continue
				split(row[i], f, " ")
				printf "%-40s %8d %8d %+8d\n", f[2], f[3], f[4], f[1]
			}
			printf "grew %+d, shrank %+d, total %+d bytes\n", up, down, up + down
		}'
	local tmp
	tmp=$(mktemp -d)
	"$STRIP" -o "$tmp/old" "$1"
	"$STRIP" -o "$tmp/new" "$2"
	printf 'stripped: %d -> %d bytes\n' "$(wc -c <"$tmp/old")" "$(wc -c <"$tmp/new")"
	rm -rf "$tmp"
}

if [ "${1:-}" = --diff ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --diff OLD NEW" >&2; exit 2; }
	diff_syms "$2" "$3"
	exit
fi

# How many bytes each loaded part of FILE can grow before the file grows a
# page: the file's parts start on pages (headers, code, read-only data) or
# where the end of the data's RELRO part falls on one.
slack() {	# slack FILE
	local off=() size=() flags=() f i what line
	while read -r -a f; do	# LOAD Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
		[ "${f[0]}" = LOAD ] || continue
		off+=($((f[1]))) size+=($((f[4]))) flags+=("${f[*]:6}")
	done < <("$READELF" -lW "$1")
	line="page slack (bytes):"
	for ((i = 0; i + 1 < ${#off[@]}; i++)); do
		case ${flags[i]} in
		*E*) what=code ;;
		*) [ "$i" = 0 ] && what=headers || what="read-only data" ;;
		esac
		line+="$([ "$i" = 0 ] || echo ,) $what $((off[i + 1] - off[i] - size[i]))"
	done
	echo "$line"
}

flavours=("$@")
[ ${#flavours[@]} -gt 0 ] || flavours=(release small nocurses tracker client)
mkdir -p build-size
printf '%-10s %10s %8s %10s %8s %8s\n' flavour stripped KiB text data bss
for f in "${flavours[@]}"; do
	build "$f" || { printf '%-10s %10s\n' "$f" FAILED; continue; }
	read -r text data bss _ < <("$SIZE" "build-size/$f/bt" | tail -n 1)
	bytes=$(wc -c <"build-size/$f/bt.stripped")
	printf '%-10s %10d %8d %10d %8d %8d\n' "$f" "$bytes" $(((bytes + 1023) / 1024)) \
		"$text" "$data" "$bss"
done
for f in release small; do
	case " ${flavours[*]} " in
	*" $f "*) [ -f "build-size/$f/bt" ] && slack "build-size/$f/bt" && largest "$f" ;;
	esac
done
exit 0
