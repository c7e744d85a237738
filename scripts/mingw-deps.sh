#!/bin/sh
# Builds, for x86_64-w64-mingw32, static libraries of everything the Windows
# helper links, from Debian's own source packages (apt-get source, at the
# versions Debian ships), and installs them into a cache outside the clone:
#
#   $HANDOFF_MINGW_CACHE (default /var/cache/handoff/mingw)/<key>/
#
# where <key> hashes the source package versions, this script and the
# compiler's version, so a second run on the same machine only prints the
# path. Nothing comes from anywhere but Debian's archive through apt.
#
#   sh scripts/mingw-deps.sh          build when needed, print the prefix last
#   sh scripts/mingw-deps.sh --key    print the prefix the build would use
#
# Runs as root (it adds a deb-src entry and installs the cross compiler).
set -eu

CACHE_ROOT=${HANDOFF_MINGW_CACHE:-/var/cache/handoff/mingw}
HOST=x86_64-w64-mingw32
CC_CROSS=$HOST-gcc-posix
CXX_CROSS=$HOST-g++-posix
JOBS=${MINGW_JOBS:-2}
# Order matters: each is built against those before it.
PACKAGES="zlib libpng1.6 libjpeg-turbo openssl libssh libvncserver freetype libsdl2 libsdl2-ttf gettext"
TOOL_PACKAGES="gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 dpkg-dev cmake nasm make"
SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

die() {
	echo "mingw-deps: $*" >&2
	exit 1
}

say() {
	echo "mingw-deps: $*" >&2
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "needs root for: $*"
	fi
}

ensure_tools() {
	missing=""
	for p in $TOOL_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing ||
		die "could not install$missing"
}

# A deb-src entry with the same URIs and suites as the machine's own deb entries,
# in a file of its own so the machine's sources stay as they were.
ensure_deb_src() {
	src=/etc/apt/sources.list.d/debian.sources
	dst=/etc/apt/sources.list.d/handoff-deb-src.sources
	[ -r "$src" ] || die "no $src to derive a deb-src entry from; add deb-src lines for your archive by hand"
	want=$(sed -e 's/^Types:.*/Types: deb-src/' "$src")
	if [ ! -f "$dst" ] || [ "$(cat "$dst")" != "$want" ]; then
		say "adding $dst (deb-src for the archive in $src)"
		printf '%s\n' "$want" | as_root tee "$dst" >/dev/null
		as_root apt-get update -qq || die "apt-get update failed after adding $dst"
	fi
	if [ -z "$(src_versions zlib)" ]; then
		as_root apt-get update -qq || die "apt-get update failed"
		[ -n "$(src_versions zlib)" ] || die "apt knows no source packages even with $dst"
	fi
}

# Every source version apt knows for a package, newest first.
src_versions() {
	apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u |
		while read -r v; do echo "$v"; done | sort -r -V
}

# Downloads (once) the newest source version of $1 the archive really serves into
# $SRC/$1 and prints that version. The newest listed may not be fetchable: here the
# security suite lists sources its mirror does not serve (404), so older ones are tried.
fetch_source() {
	mkdir -p "$SRC/$1"
	for v in $(src_versions "$1"); do
		dsc="$SRC/$1/$1_${v#*:}.dsc"
		if [ -f "$dsc" ]; then
			echo "$v"
			return 0
		fi
		if (cd "$SRC/$1" && apt-get source -qq --download-only "$1=$v" >fetch.log 2>&1) &&
			[ -f "$dsc" ]; then
			echo "$v"
			return 0
		fi
		say "$1 $v: not served by the archive, trying an older version"
	done
	die "no source version of $1 could be downloaded (see $SRC/$1/fetch.log)"
}

compute_key() {
	versions=""
	for p in $PACKAGES; do
		v=$(fetch_source "$p") || exit 1
		versions="$versions $p=$v"
	done
	VERSIONS=$versions
	KEY=$( {
		echo "$VERSIONS"
		$CC_CROSS --version | head -n1
		cat "$SCRIPT"
	} | sha256sum | cut -c1-16)
	PREFIX=$CACHE_ROOT/$KEY
}

write_toolchain() {
	cat >"$PREFIX/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $CC_CROSS)
set(CMAKE_CXX_COMPILER $CXX_CROSS)
set(CMAKE_RC_COMPILER $HOST-windres)
set(CMAKE_FIND_ROOT_PATH $PREFIX /usr/$HOST)
# Already under a root, so not re-rooted: find_package looks in the cache's prefix.
set(CMAKE_PREFIX_PATH $PREFIX)
set(ZLIB_LIBRARY $PREFIX/lib/libz.a)
set(ZLIB_INCLUDE_DIR $PREFIX/include)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
}

# Unpacks the downloaded source (with Debian's patches applied) into $WORK/<pkg>; cds there.
unpack() {
	rm -rf "${WORK:?}/$1"
	dsc=$(ls "$SRC/$1/$1_${2#*:}.dsc")
	dpkg-source -x "$dsc" "$WORK/$1" >/dev/null || die "dpkg-source -x $dsc failed"
	cd "$WORK/$1"
}

cmake_build() {
	mkdir -p _build
	cd _build
	nice -n 10 cmake .. -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
		-DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=OFF "$@"
	nice -n 10 make -j"$JOBS"
	make install
}

autotools_env() {
	export CC="$CC_CROSS" CXX="$CXX_CROSS" AR="$HOST-ar" RANLIB="$HOST-ranlib"
	export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH=""
	export CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib"
}

build_zlib() {
	# Debian's dfsg tarball has no win32/ makefiles; zlib's configure knows mingw from CHOST.
	CHOST=$HOST CC="$CC_CROSS" AR="$HOST-ar" RANLIB="$HOST-ranlib" \
		./configure --static --prefix="$PREFIX"
	nice -n 10 make -j"$JOBS" libz.a
	make install
}

build_libpng1_6() {
	cmake_build -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF -DPNG_EXECUTABLES=OFF \
		-DZLIB_ROOT="$PREFIX"
}

build_libjpeg_turbo() {
	cmake_build -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_TURBOJPEG=OFF -DWITH_JAVA=OFF
}

build_openssl() {
	# Only the static libraries: no tests, docs or loadable modules. The ENGINE API stays
	# (built in, nothing loadable: no-dso): libssh 0.10 calls it unconditionally.
	nice -n 10 ./Configure mingw64 no-shared no-tests no-module no-dso \
		--cross-compile-prefix=$HOST- --prefix="$PREFIX" --libdir=lib CC=gcc-posix
	nice -n 10 make -j"$JOBS" build_libs
	make install_dev
}

build_libssh() {
	cmake_build -DWITH_GSSAPI=OFF -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF -DWITH_SERVER=ON \
		-DWITH_ZLIB=ON -DWITH_GCRYPT=OFF -DWITH_MBEDTLS=OFF -DWITH_NACL=OFF -DWITH_PCAP=OFF \
		-DWITH_SFTP=OFF -DCLIENT_TESTING=OFF -DSERVER_TESTING=OFF \
		-DOPENSSL_ROOT_DIR="$PREFIX" -DOPENSSL_USE_STATIC_LIBS=ON -DZLIB_ROOT="$PREFIX"
}

build_libvncserver() {
	# Only the server library and the encodings the helper serves (zlib, tight with
	# JPEG, ZRLE); no client library, TLS, websockets, SASL or examples.
	cmake_build -DWITH_ZLIB=ON -DWITH_JPEG=ON -DWITH_PNG=ON -DWITH_SDL=OFF -DWITH_GTK=OFF \
		-DWITH_LIBSSHTUNNEL=OFF -DWITH_THREADS=ON -DPREFER_WIN32THREADS=OFF \
		-DWITH_GNUTLS=OFF -DWITH_OPENSSL=OFF -DWITH_GCRYPT=OFF -DWITH_SYSTEMD=OFF \
		-DWITH_FFMPEG=OFF -DWITH_TIGHTVNC_FILETRANSFER=OFF -DWITH_WEBSOCKETS=OFF \
		-DWITH_SASL=OFF -DWITH_LZO=OFF -DWITH_XCB=OFF -DWITH_EXAMPLES=OFF -DWITH_TESTS=OFF \
		-DWITH_QT=OFF -DZLIB_ROOT="$PREFIX" -DJPEG_ROOT="$PREFIX" -DPNG_ROOT="$PREFIX" \
		-DZLIB_LIBRARY="$PREFIX/lib/libz.a" -DZLIB_INCLUDE_DIR="$PREFIX/include" \
		-DPNG_LIBRARY="$PREFIX/lib/libpng16.a" -DPNG_PNG_INCLUDE_DIR="$PREFIX/include"
	# FindPNG asks for zlib again and, without the cache entries above, loses it: the
	# library then has no zlib, tight or ZRLE encoding. Refuse such a build.
	grep -q '^#define LIBVNCSERVER_HAVE_LIBZ' "$PREFIX/include/rfb/rfbconfig.h" ||
		die "libvncserver was configured without zlib"
	grep -q '^#define LIBVNCSERVER_HAVE_LIBJPEG' "$PREFIX/include/rfb/rfbconfig.h" ||
		die "libvncserver was configured without libjpeg"
}

build_freetype() {
	cmake_build -DFT_DISABLE_HARFBUZZ=ON -DFT_DISABLE_BROTLI=ON -DFT_DISABLE_BZIP2=ON \
		-DFT_DISABLE_PNG=ON -DFT_REQUIRE_ZLIB=ON -DZLIB_ROOT="$PREFIX"
}

build_libsdl2() {
	autotools_env
	nice -n 10 ./configure --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
		--disable-render-d3d --disable-video-vulkan --disable-hidapi --disable-joystick \
		--disable-haptic --disable-sensor --disable-audio >configure.out
	nice -n 10 make -j"$JOBS"
	make install
}

build_libsdl2_ttf() {
	# Debian's dfsg tarball has no configure script; its CMake build finds our SDL2 and freetype.
	cmake_build -DSDL2TTF_VENDORED=OFF -DSDL2TTF_SAMPLES=OFF -DSDL2TTF_HARFBUZZ=OFF \
		-DSDL2_DIR="$PREFIX/lib/cmake/SDL2"
}

build_gettext() {
	# Only libintl from gettext-runtime: the helper reads its .mo catalogs with it.
	autotools_env
	cd gettext-runtime
	find . -exec touch -r configure {} + 2>/dev/null || true
	nice -n 10 ./configure --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
		--disable-java --disable-csharp --disable-libasprintf \
		--enable-threads=posix --without-libiconv-prefix >configure.out
	cd intl
	# Debian's patches leave the autotools inputs newer than their outputs; the shipped
	# outputs are what we want, so make must not try to regenerate them.
	noauto="ACLOCAL=true AUTOCONF=true AUTOMAKE=true AUTOHEADER=true"
	# shellcheck disable=SC2086
	nice -n 10 make -j"$JOBS" $noauto
	# shellcheck disable=SC2086
	make install $noauto
}

build_one() {
	pkg=$1
	stamp="$PREFIX/.built-$pkg"
	[ -f "$stamp" ] && return 0
	ver=$(echo "$VERSIONS" | tr ' ' '\n' | sed -n "s/^$pkg=//p")
	say "building $pkg $ver"
	t0=$(date +%s)
	log="$WORK/$pkg.log"
	# A shell of its own, so that set -e holds inside the build (it does not in a
	# subshell whose status is tested).
	export PREFIX WORK SRC
	sh -eu "$SCRIPT" --build-one "$pkg" "$ver" >"$log" 2>&1 </dev/null || {
		tail -n 30 "$log" >&2
		die "building $pkg failed; the whole log is $log"
	}
	touch "$stamp"
	secs=$(($(date +%s) - t0))
	echo "$pkg $secs" >>"$PREFIX/.seconds"
	say "built $pkg in $secs s"
}

main() {
	if [ "${1:-}" = "--build-one" ]; then
		unpack "$2" "$3"
		"build_$(echo "$2" | tr -- '-.' '__')"
		return 0
	fi
	command -v apt-get >/dev/null 2>&1 || die "needs Debian's apt-get"
	# stdout is the prefix alone (make windows reads it): apt's and dpkg's lines go to stderr.
	ensure_tools >&2
	ensure_deb_src >&2
	SRC="$CACHE_ROOT/src"
	as_root mkdir -p "$SRC"
	compute_key
	if [ "${1:-}" = "--key" ]; then
		echo "$PREFIX"
		return 0
	fi
	if [ -f "$PREFIX/.complete" ]; then
		say "cached: $PREFIX"
		echo "$PREFIX"
		return 0
	fi
	mkdir -p "$PREFIX"
	WORK="$CACHE_ROOT/work-$KEY"
	mkdir -p "$WORK"
	write_toolchain
	say "building into $PREFIX:$VERSIONS"
	start=$(date +%s)
	for p in $PACKAGES; do
		build_one "$p"
	done
	echo "$VERSIONS" >"$PREFIX/versions"
	touch "$PREFIX/.complete"
	rm -rf "$WORK"
	total=$(awk '{ s += $2 } END { print s + 0 }' "$PREFIX/.seconds")
	say "first build took $total s ($(($(date +%s) - start)) s in this run); cached in $PREFIX"
	echo "$PREFIX"
}

main "$@"
