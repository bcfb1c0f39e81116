# geod - build, test, run. `make` builds build/geod; `make test` builds the sanitized tree
# (build/asan) and runs every test; `make run` serves the built-in Wuhan data on 127.0.0.1:8080.
# Every target that compiles first runs `deps`, which installs missing Debian packages.

PKGS      := spatialite sqlite3 proj geos libh2o-evloop openssl msgpack jansson libsodium
DEB_PKGS  := gcc make pkg-config libspatialite-dev libsqlite3-mod-spatialite libproj-dev \
             proj-data proj-bin libgeos-dev libh2o-evloop-dev libssl-dev libmsgpack-dev libjansson-dev libsodium-dev \
             unicode-data bzip2 openssl wrk
FUZZ_PKGS := clang libclang-rt-14-dev
LISTEN    ?= 127.0.0.1:8080
DB        ?= geod.sqlite

CC        ?= cc
# pkg-config runs when a recipe runs (after deps), never at parse time.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Wno-missing-field-initializers
BASE      := -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -I. -g -pthread $(WARN)
REL_FLAGS := $(BASE) -O2 -march=x86-64-v2
ASAN_FLAGS:= $(BASE) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

LIB_SRC   := $(wildcard index/*.c data/*.c importers/*.c api/*.c)
MAIN_SRC  := $(wildcard geod/*.c)
TLIB_SRC  := $(wildcard tests/lib/*.c)
TEST_SRC  := $(wildcard tests/test_*.c)
BENCH_SRC := $(filter-out bench/bench_peers.c,$(wildcard bench/bench_*.c))
PEER_SRC  := bench/bench_peers.c bench/peers.c bench/peers_srv.c bench/peers_report.c \
             bench/peers_inproc.c bench/openloop.c
BENCH_LIB := $(filter-out $(BENCH_SRC) $(PEER_SRC),$(wildcard bench/*.c))
PEER_PKGS := redis-server postgresql-15-postgis-3 libhiredis-dev libpq-dev nginx-light curl gnuplot-nox
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

# the web assets (web/assets.txt: the widget and the npm-installed Leaflet) embedded as C
WEB_GEN   := build/gen/web_assets.c
WEB_SRC   := $(wildcard web/*.js web/widget/*.html web/widget/*.css web/tag/*.html web/tag/*.js web/tag/*.css)
REL_LIB   := $(LIB_SRC:%.c=build/rel/obj/%.o) $(WEB_GEN:%.c=build/rel/obj/%.o)
REL_MAIN  := $(MAIN_SRC:%.c=build/rel/obj/%.o)
ASAN_LIB  := $(LIB_SRC:%.c=build/asan/obj/%.o) $(WEB_GEN:%.c=build/asan/obj/%.o)
ASAN_MAIN := $(MAIN_SRC:%.c=build/asan/obj/%.o)
ASAN_TLIB := $(TLIB_SRC:%.c=build/asan/obj/%.o)
TESTS     := $(TEST_SRC:tests/%.c=build/asan/tests/%)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=build/asan/tests/test_replay_%)
BENCHES   := $(BENCH_SRC:bench/%.c=build/rel/bench/%)

.PHONY: all deps node-deps browser-deps test run bench bench-peers fuzz soak clean format
# keep every intermediate object (make would delete them, and print so after the test summary)
.SECONDARY:
all: build/geod

deps:
	@missing=; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# node and npm (for Leaflet and the browser tests): Debian's, unless some node is there already
node-deps:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "node-deps: installing nodejs npm"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }

# npm ci only when the lock file changed or node_modules is gone (npm keeps .package-lock.json)
web/node_modules/.package-lock.json: web/package.json web/package-lock.json | node-deps
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_GEN): web/gen_assets.sh web/assets.txt $(WEB_SRC) web/node_modules/.package-lock.json
	sh web/gen_assets.sh $@

# the browser tests: Debian's chromium (with a CJK font, for readable screenshots) and
# playwright-core, which never downloads a browser
BROWSER_PKGS := chromium fonts-wqy-microhei
browser-deps: tests/browser/node_modules/.package-lock.json
	@missing=; for p in $(BROWSER_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "browser-deps: installing$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json | node-deps
	cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/rel/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) $(PKG_CFLAGS) -DGEOD_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

build/asan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(PKG_CFLAGS) -DGEOD_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

build/geod: $(REL_MAIN) $(REL_LIB)
	$(CC) $(REL_FLAGS) $^ $(PKG_LIBS) -lm -o $@

build/asan/geod: $(ASAN_MAIN) $(ASAN_LIB)
	$(CC) $(ASAN_FLAGS) $^ $(PKG_LIBS) -lm -o $@

build/asan/tests/test_%: build/asan/obj/tests/test_%.o $(ASAN_TLIB) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $^ $(PKG_LIBS) -lm -o $@

# A fuzz target's corpus replayed by a plain driver, so `make test` needs no clang.
build/asan/tests/test_replay_%: build/asan/obj/tests/fuzz/%.o build/asan/obj/tests/fuzz/replay.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $^ $(PKG_LIBS) -lm -o $@

# the config file format (geod/config.c) is the binary's, and also its unit test's and fuzz target's
build/asan/tests/test_config build/asan/tests/test_replay_fuzz_config: build/asan/obj/geod/config.o

build/rel/bench/%: build/rel/obj/bench/%.o $(BENCH_LIB:%.c=build/rel/obj/%.o) $(REL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) $^ $(PKG_LIBS) -lm -o $@

test: $(TESTS) $(FUZZ_REPLAY) build/asan/geod build/geod browser-deps
	tests/run build/asan

run: build/geod
	@echo "geod: serving the built-in Wuhan data at http://$(LISTEN)/  (store: $(DB))"
	build/geod serve --db $(DB) --listen $(LISTEN)

bench: $(BENCHES) build/geod
	bench/run

# geod next to Redis, PostGIS, h2o and nginx (bench/bench_peers.c) into bench/report.md and
# bench/plots/; installs them when missing. BENCH_SIZES, BENCH_SECONDS, BENCH_RUNS, BENCH_FULL=all
# (see bench/README.md)
bench-peers: build/geod | deps
	@missing=; for p in $(PEER_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "bench-peers: installing$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(MAKE) build/rel/bench/bench_peers build/rel/bench/bench_h2o_bytes
	build/rel/bench/bench_peers

$(PEER_SRC:%.c=build/rel/obj/%.o): PKG_CFLAGS += $(shell pkg-config --cflags libpq hiredis 2>/dev/null)

build/rel/bench/bench_peers: $(PEER_SRC:%.c=build/rel/obj/%.o) $(BENCH_LIB:%.c=build/rel/obj/%.o) $(REL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) $^ $(PKG_LIBS) $(shell pkg-config --libs libpq hiredis) -lm -o $@

# wrk against build/geod on the built-in data for SOAK_SECONDS (tests/soak/run): zero errors, RSS
# and open files flat; writes build/soak/report.md. `make test` runs a 60 s one (tests/test_soak.c).
SOAK_SECONDS ?= 600
soak: build/geod | deps
	SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/run

FUZZ_SECONDS ?= 60
fuzz: build/gen/unihan_pinyin.txt $(WEB_GEN) | deps
	@for p in $(FUZZ_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
	  { SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; $$SUDO apt-get install -y -qq $(FUZZ_PKGS) >/dev/null; break; }; done
	tests/fuzz/run $(FUZZ_SECONDS)

format:
	clang-format -i $(LIB_SRC) $(MAIN_SRC) $(TLIB_SRC) $(TEST_SRC) $(BENCH_SRC) $(BENCH_LIB) $(PEER_SRC) $(FUZZ_SRC) \
	    $(wildcard */*.h tests/lib/*.h)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# what prints the version is rebuilt when the version changes
build/version.txt: FORCE
	@mkdir -p build; echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
build/rel/obj/geod/main.o build/asan/obj/geod/main.o build/rel/obj/bench/bench_index.o: \
    build/version.txt
.PHONY: FORCE
FORCE:

# the embedded datasets (data/wuhan.c .incbin's them)
build/rel/obj/data/wuhan.o build/asan/obj/data/wuhan.o: $(wildcard data/wuhan/*.csv data/wuhan/*.geojson)

# the pinyin tables (data/pinyin_data.c .incbin's them): Unihan readings generated at build time
UNIHAN := /usr/share/unicode/Unihan_Readings.txt.bz2
build/gen/unihan_pinyin.txt: data/gen_pinyin.sh | deps
	@mkdir -p $(dir $@)
	sh data/gen_pinyin.sh $(UNIHAN) $@
build/rel/obj/data/pinyin_data.o build/asan/obj/data/pinyin_data.o: build/gen/unihan_pinyin.txt \
    data/wuhan/pinyin_overrides.csv
