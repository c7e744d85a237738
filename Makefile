# Handoff: one Makefile for the whole tree.
#   make deps    install the Debian packages the build and the tests need
#   make         build the three programs into build/bin
#   make demo    the main job, end to end, on this machine
#   make check   every test: unit (cmocka), sanitizer build, end-to-end, fuzz corpora
#   make fuzz    run every libFuzzer target for FUZZ_SECONDS each
#   make bench   benchmarks against OpenSSH

BUILD ?= build
SAN ?= 0
CC ?= cc
FUZZ_SECONDS ?= 60

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CPPFLAGS += -D_GNU_SOURCE -Iprotocol
ifeq ($(SAN),1)
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANLD := -fsanitize=address,undefined
else
OPT := -O2 -g
SANLD :=
endif
CFLAGS ?= $(OPT)
CFLAGS += $(WARN)

PKG_PROTO  := libssh openssl
PKG_RELAY  := libssh sqlite3 libpq openssl libcurl json-c
PKG_HELPER := libvncserver libssh openssl x11 xext xdamage xfixes xtst xi xrandr sdl2 SDL2_ttf libpipewire-0.3 gio-unix-2.0 wayland-client xkbcommon
PKG_TECH   := libvncclient libssh openssl sdl2 SDL2_image x11 xfixes
comma := ,
pc = $(shell pkg-config --cflags $(1) 2>/dev/null)
pl = $(shell pkg-config --libs $(1) 2>/dev/null)

# Platform backends: *_win32.c only in the Windows build (make windows), the rest only here.
WIN_ONLY   := %_win32.c
PROTO_SRC  := $(filter-out $(WIN_ONLY),$(wildcard protocol/*.c))
RELAY_SRC  := $(wildcard relay/*.c)
# dupl.c is the DXGI backend's COM-free part: Windows' only, tested here by its unit test.
HELPER_SRC := $(filter-out $(WIN_ONLY) client/dupl.c,$(wildcard client/*.c))
# The logs module with its writer and the Linux collectors, for the tests that link it alone.
LOGS_SRC   := client/logs.c client/logs_writer.c client/logs_linux.c
TECH_SRC   := $(wildcard technician/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB      := $(BUILD)/libhandoff.a
RELAY    := $(BUILD)/bin/handoff-relay
HELPER   := $(BUILD)/bin/handoff-helper
TECH     := $(BUILD)/bin/handoff-tech
LAUNCH   := $(BUILD)/bin/handoff-launch
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOLS    := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRC))
# The helper's message catalogs, found at run time beside the program (bin/../share/locale).
PO_SRC   := $(wildcard po/*.po)
MO       := $(patsubst po/%.po,$(BUILD)/share/locale/%/LC_MESSAGES/handoff-helper.mo,$(PO_SRC))

.PHONY: all deps deps-demo demo check unit e2e fuzz fuzz-build fuzz-replay bench clean install
all: $(RELAY) $(HELPER) $(TECH) $(LAUNCH)

$(BUILD)/obj/protocol/%.o: protocol/%.c protocol/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,$(PKG_PROTO)) -c $< -o $@
$(BUILD)/obj/relay/%.o: relay/%.c relay/*.h protocol/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Irelay $(CFLAGS) $(call pc,$(PKG_RELAY)) -c $< -o $@
$(BUILD)/obj/client/%.o: client/%.c client/*.h protocol/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient -I$(BUILD)/gen $(CFLAGS) $(call pc,$(PKG_HELPER)) -c $< -o $@
# wlroots' screen copy, virtual devices and data control: glue generated from our descriptions (client/protocols/).
$(BUILD)/gen/%-client-protocol.h: client/protocols/%.xml
	@mkdir -p $(@D)
	wayland-scanner client-header $< $@
$(BUILD)/gen/%-protocol.c: client/protocols/%.xml
	@mkdir -p $(@D)
	wayland-scanner private-code $< $@
$(BUILD)/obj/client/capture_wlr.o: $(BUILD)/gen/wlr-screencopy-client-protocol.h $(BUILD)/gen/xdg-output-unstable-v1-client-protocol.h
$(BUILD)/obj/client/input_wlr.o: $(BUILD)/gen/wlr-virtual-pointer-client-protocol.h $(BUILD)/gen/virtual-keyboard-client-protocol.h
$(BUILD)/obj/client/clipboard_wlr.o: $(BUILD)/gen/wlr-data-control-client-protocol.h
$(BUILD)/obj/gen/%-protocol.o: $(BUILD)/gen/%-protocol.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,wayland-client) -c $< -o $@
# Kept, not removed as intermediates: the glue is read when debugging a protocol error.
.PRECIOUS: $(BUILD)/gen/%-protocol.c $(BUILD)/gen/%-client-protocol.h
WL_GLUE := $(patsubst client/protocols/%.xml,$(BUILD)/obj/gen/%-protocol.o,$(wildcard client/protocols/*.xml))
$(BUILD)/obj/technician/%.o: technician/%.c technician/*.h protocol/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itechnician $(CFLAGS) $(call pc,$(PKG_TECH)) -c $< -o $@

$(BUILD)/share/locale/%/LC_MESSAGES/handoff-helper.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check --output-file=$@ $<

$(LIB): $(call obj,$(PROTO_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(RELAY): $(call obj,$(RELAY_SRC)) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(SANLD) -o $@ $^ $(call pl,$(PKG_RELAY)) -lpthread
$(HELPER): $(call obj,$(HELPER_SRC)) $(WL_GLUE) $(LIB) | $(MO)
	@mkdir -p $(@D)
	$(CC) $(SANLD) -o $@ $^ $(call pl,$(PKG_HELPER)) -lpthread
$(TECH): $(call obj,$(TECH_SRC)) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(SANLD) -o $@ $^ $(call pl,$(PKG_TECH)) -lpthread

# The one-file bundle's launcher: static, without sanitizers (they cannot link static), so it
# runs on a machine that has none of our libraries (see protocol/bundle.h).
$(LAUNCH): launcher/launch.c protocol/bundle.c protocol/buf.c protocol/utf8.c protocol/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -O2 -g $(WARN) -static -o $@ launcher/launch.c protocol/bundle.c protocol/buf.c protocol/utf8.c -lcrypto -lpthread -ldl

# The relay's objects once, for its unit tests: each test compiling every relay source again
# cost CI minutes (27 tests x 27 files under the sanitizers).
RELAY_LIB := $(BUILD)/librelay.a
$(RELAY_LIB): $(call obj,$(filter-out relay/main.c,$(RELAY_SRC)))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/tests/test_%: tests/unit/test_%.c $(RELAY_LIB) relay/*.h tests/unit/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,cmocka $(PKG_RELAY)) -Irelay -o $@ $< $(RELAY_LIB) $(LIB) $(SANLD) $(call pl,cmocka $(PKG_RELAY)) -lpthread
# Unit tests of one helper module: tests/unit/test_client_X.c with client/X.c.
$(BUILD)/tests/test_client_%: tests/unit/test_client_%.c client/%.c client/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< client/$*.c $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO))
# The capture driver finds scrolls with scroll.c.
$(BUILD)/tests/test_client_capture: tests/unit/test_client_capture.c client/capture.c client/scroll.c client/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< client/capture.c client/scroll.c $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO))
# ui_words cleans what it shows with ui_text.
$(BUILD)/tests/test_client_ui_words: tests/unit/test_client_ui_words.c client/ui_words.c client/ui_text.c client/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< client/ui_words.c client/ui_text.c $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO))
$(BUILD)/tests/test_client_logs: tests/unit/test_client_logs.c $(LOGS_SRC) client/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< $(LOGS_SRC) $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO))
# logs_request drives logs.c on worker threads and queues through control.c (no channel: it only buffers).
$(BUILD)/tests/test_client_logs_request: tests/unit/test_client_logs_request.c client/logs_request.c $(LOGS_SRC) client/control.c client/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< client/logs_request.c $(LOGS_SRC) client/control.c $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO)) -lpthread
# Unit tests of one technician module without SDL or RFB: tests/unit/test_tech_X.c with technician/X.c.
$(BUILD)/tests/test_tech_%: tests/unit/test_tech_%.c technician/%.c technician/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itechnician $(CFLAGS) $(call pc,cmocka $(PKG_PROTO)) -o $@ $< technician/$*.c $(LIB) $(SANLD) $(call pl,cmocka $(PKG_PROTO))
# keys.c names keysyms with libX11 and takes SDL's key codes.
$(BUILD)/tests/test_tech_keys: tests/unit/test_tech_keys.c technician/keys.c technician/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itechnician $(CFLAGS) $(call pc,cmocka sdl2 x11 libvncclient) -o $@ $< technician/keys.c $(LIB) $(SANLD) $(call pl,cmocka sdl2 x11)
$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,x11 libvncclient) -o $@ $< $(LIB) $(SANLD) $(call pl,x11 libvncclient libssh openssl)

# The Wayland test client: xdg-shell's glue generated from wayland-protocols' XML.
WL_PROTO := $(shell pkg-config --variable=pkgdatadir wayland-protocols 2>/dev/null)
$(BUILD)/gen/xdg-shell-client-protocol.h: $(WL_PROTO)/stable/xdg-shell/xdg-shell.xml
	@mkdir -p $(@D)
	wayland-scanner client-header $< $@
$(BUILD)/gen/xdg-shell-protocol.c: $(WL_PROTO)/stable/xdg-shell/xdg-shell.xml
	@mkdir -p $(@D)
	wayland-scanner private-code $< $@
# The Wayland test clients share their fullscreen toplevel.
WL_WINDOW := tests/tools/common/wl_window.c tests/tools/common/wl_window.h
$(BUILD)/tests/wlpattern: tests/tools/wlpattern.c $(WL_WINDOW) $(BUILD)/gen/xdg-shell-client-protocol.h $(BUILD)/gen/xdg-shell-protocol.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/tools -I$(BUILD)/gen $(CFLAGS) $(call pc,wayland-client xkbcommon) -o $@ $< tests/tools/common/wl_window.c $(BUILD)/gen/xdg-shell-protocol.c $(SANLD) $(call pl,wayland-client xkbcommon)

# The bench's workload clients, X11 and Wayland, share their modes, marker and pacing.
WK_CORE := tests/tools/common/workload_core.c tests/tools/common/workload_usr1.c tests/tools/common/workload_core.h
$(BUILD)/tests/workload: tests/tools/workload.c $(WK_CORE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/tools $(CFLAGS) $(call pc,x11) -o $@ $< tests/tools/common/workload_core.c tests/tools/common/workload_usr1.c $(SANLD) $(call pl,x11)
$(BUILD)/tests/wlworkload: tests/tools/wlworkload.c $(WK_CORE) $(WL_WINDOW) $(BUILD)/gen/xdg-shell-client-protocol.h $(BUILD)/gen/xdg-shell-protocol.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/tools -I$(BUILD)/gen $(CFLAGS) $(call pc,wayland-client) -o $@ $< tests/tools/common/workload_core.c tests/tools/common/workload_usr1.c tests/tools/common/wl_window.c $(BUILD)/gen/xdg-shell-protocol.c $(SANLD) $(call pl,wayland-client)

tests-build: $(UNITS) $(TOOLS)

deps:
	@sh scripts/deps.sh all
# make demo installs only what the demo runs (no browser, Wine or compositors).
deps-demo:
	@sh scripts/deps.sh demo

# With a PostgreSQL server of their own (tests/unit/with-postgres.sh): the store's cases run on both backends.
unit: $(UNITS)
	@sh tests/unit/with-postgres.sh sh tests/run-unit.sh $(UNITS)

# The fuzz targets need clang's libFuzzer; each is also replayed over its corpus in check.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -Iprotocol -Irelay -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# protocol/ once, instrumented for the fuzzers but without libFuzzer's main: every target links
# it (compiling it again for each of 18 targets cost CI two minutes).
FUZZ_PROTO := build-fuzz/libproto.a
build-fuzz/obj/protocol/%.o: protocol/%.c protocol/*.h
	@mkdir -p $(@D)
	clang $(subst -fsanitize=fuzzer$(comma),-fsanitize=fuzzer-no-link$(comma),$(FUZZFLAGS)) $(call pc,$(PKG_PROTO)) -c $< -o $@
$(FUZZ_PROTO): $(patsubst protocol/%.c,build-fuzz/obj/protocol/%.o,$(PROTO_SRC))
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) $(call pc,libssh openssl libvncclient libvncserver) -o $@ $< $(FUZZ_PROTO) $(call pl,libssh openssl libvncclient libvncserver)
# Desktop Duplication's pointer shapes and rectangles (client/dupl.c), as a display driver gives them.
build-fuzz/fuzz_dupl: tests/fuzz/fuzz_dupl.c client/dupl.c client/dupl.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) -Iclient -o $@ $< client/dupl.c
# The replay's parser of a technician's client messages lives in technician/.
build-fuzz/fuzz_clientmsg: tests/fuzz/fuzz_clientmsg.c technician/clientmsg.c technician/clientmsg.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) -Itechnician $(call pc,libssh openssl) -o $@ $< technician/clientmsg.c $(FUZZ_PROTO) $(call pl,libssh openssl)
build-fuzz/fuzz_logs_spec: tests/fuzz/fuzz_logs_spec.c $(LOGS_SRC) client/logs.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) -Iclient $(call pc,libssh openssl) -o $@ $< $(LOGS_SRC) $(FUZZ_PROTO) $(call pl,libssh openssl)
# The viewer's RFB decoding: libvncclient driven by technician/vnc.c, as the live viewer drives it.
build-fuzz/fuzz_vncclient: tests/fuzz/fuzz_vncclient.c technician/vnc.c technician/vnc.h technician/monitor.c technician/monitor.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) -Itechnician $(call pc,libssh openssl libvncclient) -o $@ $< technician/vnc.c technician/monitor.c $(FUZZ_PROTO) $(call pl,libssh openssl libvncclient)
# The relay's certificate parser: relay/cert.c alone, with OpenSSL for the signatures.
build-fuzz/fuzz_cert: tests/fuzz/fuzz_cert.c relay/cert.c relay/cert.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) $(call pc,libssh openssl) -o $@ $< relay/cert.c $(FUZZ_PROTO) $(call pl,libssh openssl)
# The desk's relay.conf values: relay/triage.c and relay/sla.c alone (pure).
build-fuzz/fuzz_triage: tests/fuzz/fuzz_triage.c relay/triage.c relay/triage.h relay/sla.c relay/sla.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) $(call pc,libssh openssl) -o $@ $< relay/triage.c relay/sla.c $(FUZZ_PROTO) $(call pl,libssh openssl)
# The knowledge base's terms of free text: relay/kb.c alone (pure), with protocol/utf8.c.
build-fuzz/fuzz_kb: tests/fuzz/fuzz_kb.c relay/kb.c relay/kb.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) $(call pc,libssh openssl) -o $@ $< relay/kb.c $(FUZZ_PROTO) $(call pl,libssh openssl)
# The helper's reading of a relay's self-help articles: client/ui_words.c and ui_text.c.
build-fuzz/fuzz_selfhelp: tests/fuzz/fuzz_selfhelp.c client/ui_words.c client/ui_text.c client/*.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) -Iclient $(call pc,libssh openssl) -o $@ $< client/ui_words.c client/ui_text.c $(FUZZ_PROTO) $(call pl,libssh openssl)
# Request Tracker's answers: relay/rt_json.c alone, with json-c.
build-fuzz/fuzz_rt_json: tests/fuzz/fuzz_rt_json.c relay/rt_json.c relay/rt.h $(FUZZ_PROTO) protocol/*.h
	@mkdir -p $(@D)
	clang $(FUZZFLAGS) $(call pc,libssh openssl json-c libcurl) -o $@ $< relay/rt_json.c $(FUZZ_PROTO) $(call pl,libssh openssl json-c)
fuzz-build: $(FUZZERS)
fuzz-replay: fuzz-build
	@sh tests/fuzz/replay.sh $(FUZZERS)
fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# windows first: test_windows.sh runs the .exe, and a bare machine's first build of the mingw
# libraries (20 minutes or more) must not count against the test's own time limit.
e2e: windows
	@sh tests/e2e/run.sh build-asan

# The builds in check use every core (CI calls plain `make check`); the tests run one at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) -j$(JOBS) BUILD=build-asan SAN=1 all tests-build
	$(MAKE) BUILD=build-asan SAN=1 unit
	$(MAKE) -j$(JOBS) fuzz-build
	$(MAKE) fuzz-replay
	$(MAKE) -j$(JOBS) windows
	$(MAKE) e2e

demo: deps-demo all
	@bash scripts/demo.sh $(BUILD)

BENCH_BINS := $(addprefix $(BUILD)/bench/,bench_tool vncmeter helper_direct store_append) $(addprefix $(BUILD)/tests/,workload wlworkload wlpattern linkemu)
bench: deps all $(BENCH_BINS)
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

# make install [PREFIX=/usr/local] [DESTDIR=...]: the programs, their man pages, handoff-tech's bash
# completion and the relay's systemd unit (its ExecStart names $(PREFIX)/bin; systemd reads
# $(PREFIX)/lib/systemd/system for /usr/local and /usr alike).
PREFIX ?= /usr/local
install: all
	install -D -m 755 $(RELAY) $(DESTDIR)$(PREFIX)/bin/handoff-relay
	install -D -m 755 $(HELPER) $(DESTDIR)$(PREFIX)/bin/handoff-helper
	install -D -m 755 $(TECH) $(DESTDIR)$(PREFIX)/bin/handoff-tech
	install -D -m 644 technician/share/handoff-tech.1 $(DESTDIR)$(PREFIX)/share/man/man1/handoff-tech.1
	install -D -m 644 technician/share/handoff-tech.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/handoff-tech
	install -D -m 644 relay/share/handoff-relay.8 $(DESTDIR)$(PREFIX)/share/man/man8/handoff-relay.8
	@mkdir -p $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|@bindir@|$(PREFIX)/bin|g' relay/share/handoff-relay@.service.in >$(DESTDIR)$(PREFIX)/lib/systemd/system/handoff-relay@.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/handoff-relay@.service

$(BUILD)/bench/bench_tool: bench/bench_tool.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,libssh) -o $@ $< $(LIB) $(SANLD) $(call pl,libssh openssl) -lpthread
# Chain appends per second through store.h, on either backend (bench/store.sh).
$(BUILD)/bench/store_append: bench/store_append.c $(filter-out relay/main.c,$(RELAY_SRC)) relay/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,$(PKG_RELAY)) -Irelay -o $@ $< $(filter-out relay/main.c,$(RELAY_SRC)) $(LIB) $(SANLD) $(call pl,$(PKG_RELAY)) -lpthread
$(BUILD)/bench/vncmeter: bench/vncmeter.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call pc,libvncclient x11 libcrypto) -o $@ $< $(LIB) $(SANLD) $(call pl,libvncclient x11 libcrypto) -lm
# The helper's capture and screen with a TCP listener instead of SSH (bench only).
$(BUILD)/bench/helper_direct: bench/helper_direct.c client/capture.c client/scroll.c client/capture_x11.c client/screen.c client/pace.c client/input.c client/input_wlr.c client/input_wayland.c client/origin_x11.c client/origin_tally.c client/*.h $(WL_GLUE) $(LIB) $(BUILD)/gen/wlr-virtual-pointer-client-protocol.h $(BUILD)/gen/virtual-keyboard-client-protocol.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient -I$(BUILD)/gen $(CFLAGS) $(call pc,$(PKG_HELPER)) -o $@ $< client/capture.c client/scroll.c client/capture_x11.c client/screen.c client/pace.c client/input.c client/input_wlr.c client/input_wayland.c client/origin_x11.c client/origin_tally.c $(WL_GLUE) $(LIB) $(SANLD) $(call pl,$(PKG_HELPER)) -lpthread

# --- Windows (issue 16): the helper cross-built with Debian's mingw-w64 -----------------------
# make windows: builds (once, cached outside the clone; see scripts/mingw-deps.sh) the static
# libraries from Debian's source packages, then the helper as one statically linked .exe.
WIN       := build/win64
WIN_HOST  := x86_64-w64-mingw32
WIN_CC    := $(WIN_HOST)-gcc-posix
# Not Windows: the POSIX, Linux and X11 backends.
WIN_NOT   := %_posix.c %_linux.c %_x11.c %_wayland.c %_wlr.c
# Only the protocol modules the helper uses (the relay's files, chain, seal and export are not).
WIN_PROTO := $(addprefix protocol/,buf.c bundle.c code.c config.c ctl.c hex.c log.c pump.c \
	screeninfo.c sshutil.c textesc.c timefmt.c utf8.c hsock_win32.c wake_win32.c)
WIN_CFLAGS = -O2 -g $(WARN) -DWIN32 -D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00 -D__USE_MINGW_ANSI_STDIO=1 \
	-D_POSIX_THREAD_SAFE_FUNCTIONS=200112L \
	-Iprotocol -Iclient -I$(MINGW_PREFIX)/include -I$(MINGW_PREFIX)/include/SDL2 -DLIBSSH_STATIC
win_pc    = $(shell PKG_CONFIG_LIBDIR=$(MINGW_PREFIX)/lib/pkgconfig PKG_CONFIG_PATH= pkg-config --static $(1) $(2))
win_obj   = $(patsubst %.c,$(WIN)/obj/%.o,$(1))

.PHONY: windows windows-deps win-build
windows-deps:
	@sh scripts/mingw-deps.sh >/dev/null
windows:
	@prefix=$$(sh scripts/mingw-deps.sh) && $(MAKE) --no-print-directory win-build MINGW_PREFIX="$$prefix"

# The helper for Windows: every client module but the Linux, X11 and Wayland backends (clipboard.c and
# input.c are X11's, without the suffix), statically linked against the cache's libraries and
# Windows' own DLLs only (tests/e2e/test_windows.sh checks the imports).
WIN_CLIENT := $(filter-out $(WIN_NOT) client/clipboard.c client/input.c,$(wildcard client/*.c))
# Named by hand, not through pkg-config: SDL2_ttf and gettext's libintl install no .pc file,
# libvncserver's names "-lz.a", and sdl2's adds -mwindows (no console for the terminal UI)
# and SDL2main. Each before what it uses.
WIN_LIBS   := -lSDL2_ttf -lfreetype -lSDL2 -lvncserver -lssh -lintl -lssl -lcrypto -ljpeg -lpng16 -lz
WIN_SYSLIBS := -lws2_32 -lcrypt32 -lgdi32 -luser32 -limm32 -lole32 -loleaut32 -lversion -lsetupapi \
	-lwinmm -liphlpapi -ladvapi32 -lshell32 -ld3d11 -ldxgi -luuid -lm -lpthread
win-build: $(WIN)/handoff-helper.exe $(WIN)/tests/winpattern.exe $(WIN)/tests/wingrab.exe \
	$(WIN)/tests/wininput.exe $(WIN)/tests/winworkload.exe $(WIN)/tests/winbox.exe $(WIN)/tests/wincursor.exe \
	$(WIN)/tests/handoff-helper-refused.exe

$(WIN)/handoff-helper.exe: $(call win_obj,$(WIN_CLIENT)) $(WIN)/libhandoff.a $(WIN)/obj/catalogs.o
	@mkdir -p $(@D)
	$(WIN_CC) -static -mwindows -o $@ $(call win_obj,$(WIN_CLIENT)) $(WIN)/obj/catalogs.o $(WIN)/libhandoff.a \
		-L$(MINGW_PREFIX)/lib $(WIN_LIBS) $(WIN_SYSLIBS)

$(WIN)/obj/%.o: %.c protocol/*.h client/*.h
	@test -n "$(MINGW_PREFIX)" || { echo "make windows, not win-build: MINGW_PREFIX is unset" >&2; exit 1; }
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -c $< -o $@
# A test build of the same objects with Windows' refusals played at two imports (OpenInputDesktop,
# SendInput: tests/tools/win/winrefuse.c, linked first so that user32's members for them are not),
# which Wine cannot do; never shipped. test_windows_refused.sh checks the product imports both.
$(WIN)/tests/handoff-helper-refused.exe: $(WIN)/obj/tests/tools/win/winrefuse.o $(call win_obj,$(WIN_CLIENT)) \
	$(WIN)/libhandoff.a $(WIN)/obj/catalogs.o
	@mkdir -p $(@D)
	$(WIN_CC) -static -mwindows -o $@ $(WIN)/obj/tests/tools/win/winrefuse.o $(call win_obj,$(WIN_CLIENT)) \
		$(WIN)/obj/catalogs.o $(WIN)/libhandoff.a -L$(MINGW_PREFIX)/lib $(WIN_LIBS) $(WIN_SYSLIBS)
# The message catalogs travel inside the .exe as RCDATA resources MO_<LANG> (platform_win32.c).
WIN_MO := $(patsubst po/%.po,$(WIN)/share/locale/%/LC_MESSAGES/handoff-helper.mo,$(PO_SRC))
$(WIN)/share/locale/%/LC_MESSAGES/handoff-helper.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check --output-file=$@ $<
# And a font that covers Japanese (FONT_JA), used when the system has none (Wine; a Windows
# without its Japanese fonts): Debian's IPA P Gothic (fonts-ipafont-gothic, IPA Font License).
WIN_FONT := /usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf
# And the manifest (resource 1 of type 24, RT_MANIFEST): asInvoker, Windows 10/11.
WIN_MANIFEST := client/handoff-helper.exe.manifest
$(WIN)/obj/catalogs.rc: $(WIN_MO) $(WIN_FONT) $(WIN_MANIFEST) Makefile
	@mkdir -p $(@D)
	for mo in $(WIN_MO); do \
		lang=$${mo#$(WIN)/share/locale/}; lang=$${lang%%/*}; \
		echo "MO_$$(echo $$lang | tr a-z A-Z) RCDATA \"$$mo\""; \
	done >$@
	echo 'FONT_JA RCDATA "$(WIN_FONT)"' >>$@
	echo '1 24 "$(WIN_MANIFEST)"' >>$@
$(WIN)/obj/catalogs.o: $(WIN)/obj/catalogs.rc $(WIN_MANIFEST)
	$(WIN_HOST)-windres -O coff -i $< -o $@
$(WIN)/libhandoff.a: $(call win_obj,$(WIN_PROTO))
	@mkdir -p $(@D)
	rm -f $@ && $(WIN_HOST)-ar rcs $@ $^
# The Windows program the Wine tests drive: a known picture, and what reaches it.
$(WIN)/tests/winpattern.exe: tests/tools/win/winpattern.c
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -D__USE_MINGW_ANSI_STDIO=1 -static -o $@ $< -lgdi32 -luser32
# Starts a program as a double-click does (no console, no standard handles) and reads its message box.
$(WIN)/tests/winbox.exe: tests/tools/win/winbox.c
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -D__USE_MINGW_ANSI_STDIO=1 -static -mwindows -o $@ $< -luser32
# The bench's workload as a Windows program (bench/windows.sh), on the workloads' shared core.
$(WIN)/tests/winworkload.exe: tests/tools/win/winworkload.c tests/tools/common/workload_core.c tests/tools/common/workload_core.h
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -D__USE_MINGW_ANSI_STDIO=1 -static -o $@ $< tests/tools/common/workload_core.c \
		-lgdi32 -luser32 -lpthread
# The helper's GDI capture on its own: what it grabs under Wine, pixel by pixel.
# capture_win32.c logs (log.c, through buf.c: OpenSSL's cleanse).
$(WIN)/tests/wingrab.exe: tests/tools/win/wingrab.c $(WIN)/obj/client/capture_win32.o $(WIN)/obj/client/dupl.o \
	$(WIN)/libhandoff.a
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -static -o $@ $^ -L$(MINGW_PREFIX)/lib -lcrypto $(WIN_SYSLIBS)
# Its pointer shapes from cursors with known pixels (Wine lets no process read another's cursor).
$(WIN)/tests/wincursor.exe: tests/tools/win/wincursor.c $(WIN)/obj/client/capture_win32.o $(WIN)/obj/client/dupl.o \
	$(WIN)/libhandoff.a
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -static -o $@ $^ -L$(MINGW_PREFIX)/lib -lcrypto $(WIN_SYSLIBS)
# The helper's SendInput replay on its own: a click and text, which winpattern reports.
# input_win32.c notes its presses in origin.h, which wininput leaves NULL; the linker still wants
# origin_win32.o, and with it SDL (its message hook) and the log (buf.c: OpenSSL).
$(WIN)/tests/wininput.exe: tests/tools/win/wininput.c $(WIN)/obj/client/input_win32.o \
	$(WIN)/obj/client/origin_win32.o $(WIN)/obj/client/origin_tally.o $(WIN)/libhandoff.a
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -static -o $@ $^ -L$(MINGW_PREFIX)/lib -lSDL2 -lcrypto $(WIN_SYSLIBS)
