#!/usr/bin/env bash
# build.sh - cross-build bt for a router-class target and run its tests
# under qemu-user.
#
#   scripts/cross/build.sh TARGET [--no-setup] [--size-only]
#
# TARGET is one of
#   armhf arm64 mipsel   Debian 12 glibc, against Debian's multiarch
#                        libbearssl-dev, libncurses-dev and zlib1g-dev
#   mips                 big-endian glibc (Debian 12 has no mips
#                        architecture any more: the libraries are built
#                        from Debian's sources by sysroot.sh)
#   musl-x86_64          static musl, libraries from sysroot.sh
#   musl-armhf           static musl for armv7 hard-float (Debian's
#                        musl-dev:armhf with the armhf gcc)
#
# Setup (root or sudo; skipped with --no-setup) installs the cross gcc and
# qemu-user, adds the foreign architecture for Debian's main suite only
# (the archive here has served a corrupt index for armhf security
# updates) and installs the target's -dev packages pinned, with
# `apt-cache madison`, to the versions installed for amd64 (multiarch
# libraries must match to the version).  When the archive makes that
# impossible the script prints one line "cross: SKIPPED (reason)" and
# exits 0.  Anything that fails after that - a build, a test, our cross
# files - fails the script.
#
# The build goes to build-cross/TARGET (buildtype release), then the unit
# tests run through meson's exe wrapper (qemu-user) and so do the CLI
# tests that need no native peers ($CROSS_CLI_TESTS, default below;
# "none" for none).  --size-only builds and prints the stripped size
# without testing.  The last line is "cross TARGET: ok (N KiB stripped)".
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
target=${1:?usage: scripts/cross/build.sh TARGET [--no-setup] [--size-only]}
shift
setup=1
test=1
for a in "$@"; do
	case $a in
	--no-setup) setup=0 ;;
	--size-only) test=0 ;;
	*) echo "build.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
# The CLI tests that run bt alone or against other bt processes (no
# libtorrent, transmission, aria2 ...).  names.sh is not among them: it
# runs the links that `bt --install` makes, which point at the target
# binary and need qemu-user registered with binfmt_misc.
cli_tests=${CROSS_CLI_TESTS:-makemetafile completedir showmetainfo editors track track_state}
[ "$cli_tests" = none ] && cli_tests=""

skip() {	# skip REASON: the archive is at fault, not bt
	echo "cross: SKIPPED ($target: $*)"
	exit 0
}
die() {
	echo "cross $target: FAILED: $*" >&2
	exit 1
}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
native=$(dpkg --print-architecture)
apt_q() {	# apt_q apt-get ARGS: quiet, non-interactive
	DEBIAN_FRONTEND=noninteractive $SUDO "$@" -y -q -o Dpkg::Use-Pty=0 --no-install-recommends
}

installed() {	# installed PKG[:ARCH]: its version, if installed
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

need_native() {	# need_native PKG...: install those amd64 packages that are missing
	local p missing=""
	for p in "$@"; do
		[ -n "$(installed "$p")" ] || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "cross: installing$missing"
	$SUDO apt-get update -qq || skip "apt-get update failed"
	# shellcheck disable=SC2086
	apt_q apt-get install $missing >/dev/null || skip "cannot install$missing"
}

# The target's Debian packages come from a private APT state under
# build-cross/apt-ARCH: one source, the main suite of Debian's mirror for
# ARCH alone (no updates, no security: the archive here has served a
# corrupt armhf index for those), and the system's APT and dpkg are left
# as they are.  The packages are unpacked (dpkg -x) into the sysroot
# rather than installed: installing them would pull in libc6-dev:ARCH and
# with it linux-libc-dev, libssl3 ... which must match the amd64 versions
# to the letter, and the archive's armhf builds lag amd64's.
papt() {	# papt apt-get|apt-cache ARGS: with the private state
	local tool=$1
	shift
	"$tool" -o Dir::Etc::SourceList="$adir/sources.list" -o Dir::Etc::SourceParts="$adir/none" \
		-o Dir::State::Lists="$adir/lists" -o Dir::Cache="$adir/cache" \
		-o Dir::State::Status=/var/lib/dpkg/status -o APT::Architectures::="$arch" \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}

apt_private() {	# apt_private ARCH: the index of ARCH's main suite
	local codename uri
	arch=$1
	adir=$top/build-cross/apt-$arch
	mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial" "$adir/none" "$adir/debs"
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	uri=$(awk -v s="$codename" '
		/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) print u }
		' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $codename main" \
		>"$adir/sources.list"
	# Fetched once a day at most.
	if [ -z "$(find "$adir/lists" -maxdepth 1 -name "*_binary-${arch}_Packages*" -mtime -1)" ]; then
		papt apt-get update -qq >"$adir/update.log" 2>&1 ||
			{ tail -n 5 "$adir/update.log"; skip "apt-get update of the $arch index failed"; }
	fi
	papt apt-cache policy "libc6:$arch" 2>/dev/null | grep -q 'Candidate: [0-9]' ||
		skip "the archive has no $arch index for its main suite"
}

has_version() {	# has_version PKG VERSION: the private index has PKG:ARCH VERSION
	papt apt-cache madison "$1:$arch" | awk -F' [|] ' -v v="$2" \
		'{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }'
}

# pins PKG...: "name:ARCH=version" for each PKG and the libraries it
# needs at an exact version: PKG at the version installed for amd64
# (headers and libraries as on the build machine), else the candidate.
# "MISSING name version" when the archive has no ARCH build of it.
pins() {
	local p v dep
	for p in "$@"; do
		v=$(installed "$p:$native")
		[ -n "$v" ] || v=$(papt apt-cache policy "$p:$arch" | awk '/Candidate:/ { print $2 }')
		if ! has_version "$p" "$v"; then
			echo "MISSING $p $v"
			continue
		fi
		echo "$p:$arch=$v"
		papt apt-cache show "$p:$arch=$v" | sed -n 's/^Depends: //p' | tr ',' '\n' |
			sed -n 's/^ *\([a-z0-9][a-z0-9.+-]*\) (= \([^)]*\)).*/\1 \2/p' |
		while read -r dep v; do
			if has_version "$dep" "$v"; then echo "$dep:$arch=$v"; else echo "MISSING $dep $v"; fi
		done
	done
}

# unpack ARCH SYSROOT PKG...: PKG:ARCH and its exact-version libraries,
# unpacked into SYSROOT (again only when the list changed)
unpack() {
	local list deb
	apt_private "$1"
	shift
	local root=$1
	shift
	list=$(pins "$@" | sort -u)
	if grep -q '^MISSING' <<<"$list"; then
		skip "no $arch build of: $(grep '^MISSING' <<<"$list" | cut -d' ' -f2- | paste -sd, -)"
	fi
	[ -f "$root/.pkgs" ] && [ "$(cat "$root/.pkgs")" = "$list" ] && return 0
	echo "cross: unpacking into $root: $(echo $list)"
	rm -rf "$root" "$adir/debs"
	mkdir -p "$root" "$adir/debs"
	# shellcheck disable=SC2086
	(cd "$adir/debs" && papt apt-get download -q $list) >"$adir/download.log" 2>&1 ||
		{ tail -n 5 "$adir/download.log"; skip "apt-get download of the $arch packages failed"; }
	for deb in "$adir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	echo "$list" >"$root/.pkgs"
}

# inside SYSROOT: links to absolute paths (libz.so -> /lib/...) would
# leave the sysroot; point them inside it, else the linker takes the
# static library where the target would have the shared one
inside() {
	find "$1" -type l -lname '/*' | while read -r l; do
		ln -sfn "$1$(readlink "$l")" "$l"
	done
}

dev_pkgs="libbearssl-dev libncurses-dev zlib1g-dev"
case $target in
armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm ;;
arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64 ;;
mipsel) triplet=mipsel-linux-gnu qemu=qemu-mipsel ;;
mips) triplet=mips-linux-gnu qemu=qemu-mips ;;
musl-x86_64) triplet=x86_64-linux-musl qemu="" ;;
musl-armhf) triplet=arm-linux-musleabihf qemu=qemu-arm ;;
*) echo "build.sh: unknown target $target" >&2; exit 2 ;;
esac

sysroot=$top/build-cross/sysroot-$target
if [ "$setup" = 1 ]; then
	case $target in
	armhf | arm64 | mipsel | mips)
		need_native "gcc-$triplet" "libc6-dev-$target-cross" qemu-user pkg-config
		;;
	musl-x86_64) need_native musl-tools pkg-config curl make ;;
	musl-armhf) need_native gcc-arm-linux-gnueabihf qemu-user pkg-config curl make ;;
	esac
fi
case $target in
armhf | arm64 | mipsel)
	# shellcheck disable=SC2086
	unpack "$target" "$sysroot" $dev_pkgs
	inside "$sysroot"
	;;
mips | musl-*)
	[ "$target" = musl-armhf ] && unpack armhf "$sysroot/musl" musl-dev
	scripts/cross/sysroot.sh "$target" "$sysroot" || die "sysroot.sh $target"
	;;
esac
# The cross files take the sysroot from a constant.
printf "[constants]\nsysroot = '%s'\n" "$sysroot" >"$sysroot.ini"
cross_files=(--cross-file "$sysroot.ini" --cross-file "scripts/cross/$target.ini")

dir=build-cross/$target
if [ ! -f "$dir/build.ninja" ]; then
	# shellcheck disable=SC2086  # CROSS_SETUP_ARGS: more meson setup arguments
	meson setup "$dir" "${cross_files[@]}" -Dbuildtype=release ${CROSS_SETUP_ARGS:-} >"$dir.setup.log" 2>&1 ||
		{ tail -n 30 "$dir.setup.log"; die "meson setup (log: $dir.setup.log)"; }
fi
ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -n 40 "$dir.build.log"; die "build (log: $dir.build.log)"; }
strip_prog=$triplet-strip
[ "$target" = musl-x86_64 ] && strip_prog=strip
[ "$target" = musl-armhf ] && strip_prog=arm-linux-gnueabihf-strip
$strip_prog -o "$dir/bt.stripped" "$dir/bt"
kib=$((($(stat -c %s "$dir/bt.stripped") + 1023) / 1024))
echo "cross $target: built, $kib KiB stripped ($(file -b "$dir/bt" | cut -d, -f1-2))"
if [ "$test" = 0 ]; then
	echo "cross $target: ok ($kib KiB stripped, not tested)"
	exit 0
fi

failed=0
# How a target binary runs here: under qemu-user with the sysroot's
# libraries (nothing for a native static build).
qemu_run=""
if [ -n "$qemu" ]; then
	lib=/usr/$triplet
	[ "$target" = musl-armhf ] && lib=/usr/arm-linux-gnueabihf
	qemu_run="$qemu -L $lib -E LD_LIBRARY_PATH=$sysroot/lib/$triplet:$sysroot/usr/lib/$triplet"
fi
# failed_tests LOG: the failing lines of a meson test log (none is no error).
failed_tests() { grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$1" || true; }
# The unit tests and the creation date past 2038.  That one is a shell
# command running bt: meson gives it no MESON_EXE_WRAPPER (sh is native),
# so it gets ours.
meson test -C "$dir" --suite unit --print-errorlogs --num-processes 2 >"$dir.unit.log" 2>&1 ||
	{ failed_tests "$dir.unit.log"; failed=1; }
MESON_EXE_WRAPPER=$qemu_run meson test -C "$dir" showmetainfo_2100 --print-errorlogs \
	>"$dir.2100.log" 2>&1 || { failed_tests "$dir.2100.log"; failed=1; }
grep -E '^(Ok|Fail):' "$dir.unit.log" | tr -s ' ' | paste -sd' ' | sed "s/^/cross $target: unit tests: /"
if [ -n "$cli_tests" ]; then
	# The CLI scripts start "bt" themselves: give them a bt that runs
	# the target binary under qemu-user, as argv[0] it was called by.
	wrap=$top/$dir/bt-qemu
	bin=$top/$dir/bt
	if [ -n "$qemu" ]; then
		printf '#!/bin/sh\nexec %s -0 "$0" %s "$@"\n' "$qemu_run" "$bin" >"$wrap"
	else
		printf '#!/bin/bash\nexec -a "$0" %s "$@"\n' "$bin" >"$wrap"
	fi
	chmod +x "$wrap"
	export BT_CROSS_TARGET=$target
	for t in $cli_tests; do
		mkdir -p "$dir/tests/cli"
		if (cd "$dir/tests/cli" && timeout 600 "$top/tests/cli/$t.sh" "$wrap") >"$dir.cli-$t.log" 2>&1; then
			echo "cross $target: $(tail -n 1 "$dir.cli-$t.log")"
		else
			grep -E 'FAIL' "$dir.cli-$t.log" | head -n 20
			echo "cross $target: $(tail -n 1 "$dir.cli-$t.log") (log: $dir.cli-$t.log)"
			failed=1
		fi
	done
fi
[ "$failed" = 0 ] || die "tests failed"
echo "cross $target: ok ($kib KiB stripped)"
