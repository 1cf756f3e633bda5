#!/usr/bin/env bash
# sysroot.sh - BearSSL, zlib and ncurses built from Debian's sources
# (the .orig tarballs of the versions installed here) as static libraries
# into a sysroot, for targets whose Debian packages cannot be used:
#
#   scripts/cross/sysroot.sh TARGET DIR
#
#   musl-x86_64   musl-gcc (Debian's musl-tools); Debian's glibc .a files
#                 cannot link under musl
#   musl-armhf    the armhf gcc with Debian's musl-dev:armhf, unpacked by
#                 build.sh into DIR/musl (its specs file is rewritten to
#                 point there)
#   mips          big-endian glibc (mips-linux-gnu-gcc): Debian 12 has no
#                 mips architecture to take the packages from
#
# DIR gets include/, lib/ and lib/pkgconfig/; each library is rebuilt only
# when its version changes.  Tarballs are kept in build-cross/src.
# Usually run by scripts/cross/build.sh.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
target=${1:?usage: sysroot.sh TARGET DIR}
root=${2:?usage: sysroot.sh TARGET DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
jobs=$(nproc 2>/dev/null || echo 2)

case $target in
musl-x86_64) host=x86_64-linux-musl cc=musl-gcc ar=ar ranlib=ranlib ;;
musl-armhf)
	host=arm-linux-musleabihf ar=arm-linux-gnueabihf-ar ranlib=arm-linux-gnueabihf-ranlib
	m=$root/musl
	[ -f "$m/usr/lib/arm-linux-musleabihf/musl-gcc.specs" ] ||
		{ echo "sysroot.sh: no musl-dev:armhf in $m (build.sh unpacks it)" >&2; exit 1; }
	mkdir -p "$root"
	# libgcc.a refers back to libc (raise): one group when libc is static.
	sed "s#/usr/lib/arm-linux-musleabihf#$m/usr/lib/arm-linux-musleabihf#g
		s#/usr/include/arm-linux-musleabihf#$m/usr/include/arm-linux-musleabihf#g
		s#^libgcc.a%s %:if-exists(libgcc_eh.a%s)\$#--start-group libgcc.a%s %:if-exists(libgcc_eh.a%s) -lc --end-group#" \
		"$m/usr/lib/arm-linux-musleabihf/musl-gcc.specs" >"$root/musl-gcc.specs"
	cc="arm-linux-gnueabihf-gcc -specs=$root/musl-gcc.specs"
	;;
mips) host=mips-linux-gnu cc=mips-linux-gnu-gcc ar=mips-linux-gnu-ar ranlib=mips-linux-gnu-ranlib ;;
*) echo "sysroot.sh: unknown target $target" >&2; exit 2 ;;
esac
cflags="-Os -ffunction-sections -fdata-sections"
src=$top/build-cross/src
work=$top/build-cross/work-$target
mkdir -p "$src" "$root/include" "$root/lib/pkgconfig"

fetch() {	# fetch DEVPKG: unpack the .orig tarball of its installed source version; prints the dir
	local pkg=$1 s v up f ext
	read -r s v < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' "$pkg")
	up=${v#*:}
	up=${up%-*}
	for ext in xz gz bz2; do
		f=$src/${s}_$up.orig.tar.$ext
		[ -s "$f" ] && break
		if curl -fsSL -o "$f.part" "$mirror/pool/main/${s:0:1}/$s/${s}_$up.orig.tar.$ext" 2>/dev/null; then
			mv "$f.part" "$f"
			break
		fi
		rm -f "$f.part"
	done
	[ -s "$f" ] || { echo "sysroot.sh: cannot fetch the $s $up sources from $mirror" >&2; return 1; }
	rm -rf "$work/$s"
	mkdir -p "$work/$s"
	tar -xf "$f" -C "$work/$s" --strip-components=1
	echo "$s-$up"
}

stamp() {	# stamp NAME-VERSION: built already?
	[ -f "$root/.built-$1" ]
}

build_bearssl() {
	local id
	id=$(dpkg-query -W -f='bearssl-${source:Version}' libbearssl-dev)
	stamp "$id" && return 0
	echo "sysroot.sh: $target: BearSSL"
	fetch libbearssl-dev >/dev/null
	make -C "$work/bearssl" -j"$jobs" CONF=Unix CC="$cc" LD="$cc" AR="$ar" \
		CFLAGS="$cflags -W -Wall" lib >"$work/bearssl.log" 2>&1 ||
		{ tail -n 20 "$work/bearssl.log"; return 1; }
	cp "$work"/bearssl/build/libbearssl.a "$root/lib/"
	cp "$work"/bearssl/inc/*.h "$root/include/"
	touch "$root/.built-$id"
}

build_zlib() {
	local id
	id=$(dpkg-query -W -f='zlib-${source:Version}' zlib1g-dev)
	stamp "$id" && return 0
	echo "sysroot.sh: $target: zlib"
	fetch zlib1g-dev >/dev/null
	(cd "$work/zlib" && CC="$cc" AR="$ar" RANLIB="$ranlib" CFLAGS="$cflags" CHOST=$host \
		./configure --static --prefix="$root" && make -j"$jobs" libz.a && make install) \
		>"$work/zlib.log" 2>&1 || { tail -n 20 "$work/zlib.log"; return 1; }
	touch "$root/.built-$id"
}

build_ncurses() {
	local id
	id=$(dpkg-query -W -f='ncurses-${source:Version}' libncurses-dev)
	stamp "$id" && return 0
	echo "sysroot.sh: $target: ncurses (wide)"
	fetch libncurses-dev >/dev/null
	# One libncursesw.a (no separate tinfo), no programs, no database:
	# the box's /usr/share/terminfo, /lib/terminfo or /etc/terminfo.
	(cd "$work/ncurses" && CC="$cc" AR="$ar" RANLIB="$ranlib" CFLAGS="$cflags" \
		./configure --host="$host" --prefix="$root" --without-shared --without-cxx \
		--without-cxx-binding --without-ada --without-progs --without-tests \
		--without-manpages --without-debug --enable-widec --disable-db-install \
		--with-default-terminfo-dir=/usr/share/terminfo \
		--with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo \
		--enable-pc-files --with-pkg-config-libdir="$root/lib/pkgconfig" \
		--disable-stripping &&
		make -j"$jobs" && make install) >"$work/ncurses.log" 2>&1 ||
		{ tail -n 20 "$work/ncurses.log"; return 1; }
	touch "$root/.built-$id"
}

build_bearssl
build_zlib
# SYSROOT_CURSES=0: no ncurses (for a bt built with -Dcurses=disabled).
[ "${SYSROOT_CURSES:-1}" = 0 ] || build_ncurses
