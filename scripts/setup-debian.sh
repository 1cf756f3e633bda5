#!/usr/bin/env bash
# Install what bt needs on Debian 12 (bookworm): the build tools and
# libraries, and with --test also the real BitTorrent tools the tests
# check us against and the fuzzing toolchain.  Installs only what is
# missing, so a prepared machine costs nothing.
set -eu

build_pkgs="gcc meson ninja-build pkg-config python3 libbearssl-dev libncurses-dev zlib1g-dev"
test_pkgs="clang libclang-rt-14-dev mktorrent transmission-cli python3 python3-libtorrent
aria2 opentracker openssl bc wrk hyperfine time curl transmission-daemon strace tmux iproute2 procps
chromium man-db"

pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup-debian: installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
