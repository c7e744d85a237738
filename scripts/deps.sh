#!/bin/sh
# Installs the Debian packages Handoff builds and tests with, only those missing.
# Runs as root (CI, a fresh machine) or through sudo when it is there.
set -eu

# What `make` needs to build the programs.
BUILD_PACKAGES="
build-essential pkg-config
libssh-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev libjson-c-dev
libpq-dev
libvncserver-dev
libsdl2-dev libsdl2-image-dev libsdl2-ttf-dev fonts-ipafont-gothic gettext
libx11-dev libxext-dev libxdamage-dev libxfixes-dev libxtst-dev libxi-dev libxrandr-dev
libpipewire-0.3-dev libspa-0.2-dev libglib2.0-dev libwayland-dev libwayland-bin wayland-protocols libxkbcommon-dev
"
# What `make demo` runs besides: a virtual display with a few programs on it, a click, screenshots.
DEMO_PACKAGES="
xvfb xauth x11-apps x11-xserver-utils xdotool ffmpeg openssh-client bsdutils
"
# What `make check` and `make bench` start besides: compositors, peers, a browser, Wine, the fuzzers,
# Request Tracker 5 (test_rt starts its own on loopback: dbconfig-no-thanks keeps the package from
# configuring a database; it pulls in an MTA, exim4, which starts unless a policy-rc.d says no).
TEST_PACKAGES="
postgresql-15 postgresql-client-15
clang libclang-rt-14-dev valgrind sqlite3
libcmocka-dev
sway xdg-desktop-portal xdg-desktop-portal-wlr pipewire pipewire-bin wireplumber wl-clipboard
mutter xdg-desktop-portal-gnome at-spi2-core gir1.2-atspi-2.0
x11-utils xclip matchbox-window-manager
xserver-xorg-core xserver-xorg-video-dummy
ibus ibus-anthy dbus-x11 libglib2.0-bin dconf-service python3-gi
tigervnc-viewer
iproute2 procps
chromium
x11vnc x11-xkb-utils man-db
wine wine64
request-tracker5 rt5-standalone rt5-db-sqlite dbconfig-no-thanks
"
# deps.sh demo: what make demo needs; deps.sh (all): everything make check needs too.
case "${1:-all}" in
demo) PACKAGES="$BUILD_PACKAGES $DEMO_PACKAGES" ;;
all) PACKAGES="$BUILD_PACKAGES $DEMO_PACKAGES $TEST_PACKAGES" ;;
*)
	echo "usage: deps.sh [demo|all]" >&2
	exit 2
	;;
esac

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo $PACKAGES | wc -w) packages present"
	exit 0
fi
echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: not root and no sudo; install as root:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
