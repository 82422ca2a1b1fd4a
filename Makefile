# revos build.
#
#   make            release build of ./revos
#   make demo       install missing packages, build, create demo.db, serve it
#   make web        build the dashboard into web/dist (npm install, vite build)
#   make check      every test, built with AddressSanitizer + UBSan
#   make bench      benchmarks (see docs/performance.md)
#   make fuzz       short libFuzzer runs of every parser (clang)
#   make valgrind   the unit suites under valgrind (release build)
#
# Every .c under src/ except src/cli/main.c goes into one static library that
# the binary, the tests, the benchmarks and the fuzzers link against.

CC       ?= cc
PKGS     := sqlite3 libmicrohttpd jansson libpq libsodium libutf8proc libpsl libidn2
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wno-format-truncation -Werror
CSTD     := -std=c17 -D_GNU_SOURCE
INC      := -Isrc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3 -lmicrohttpd -ljansson -lpq -lsodium -lutf8proc -lpsl -lidn2)
LIBS     := $(PKG_LIBS) -lcsv -lm -lpthread

OPT_release := -O2 -g
OPT_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined
LD_asan     := -fsanitize=address,undefined

MODE     ?= release
B        := build/$(MODE)
CFLAGS_M := $(CSTD) $(WARN) $(INC) $(PKG_CFLAGS) $(OPT_$(MODE)) -MMD -MP
LDFLAGS_M := $(LD_$(MODE))

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TEST_SRC := $(wildcard tests/*/test_*.c)
TEST_BIN := $(TEST_SRC:%.c=$(B)/%)
TEST_SUP := $(wildcard tests/support/*.c)
TEST_SUP_OBJ := $(TEST_SUP:%.c=$(B)/%.o)
# the browser test: a script that tests/run.sh runs like the C programs
WEB_TEST := $(B)/tests/web/test_dashboard
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(B)/%)

# keep intermediate objects (test support) between builds
.SECONDARY:

.PHONY: all revos lib tests check check-build demo web bench fuzz valgrind clean format

all: revos

revos: $(B)/revos
	@if [ "$(MODE)" = release ]; then cp $(B)/revos ./revos; fi

lib: $(B)/librevos.a

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_M) -c $< -o $@

$(B)/librevos.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/revos: $(B)/src/cli/main.o $(B)/librevos.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS_M) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/%.c $(B)/librevos.a $(TEST_SUP_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_M) -Itests/support $(LDFLAGS_M) -o $@ $< $(TEST_SUP_OBJ) $(B)/librevos.a $(LIBS) -lcmocka

$(B)/bench/%: bench/%.c $(B)/librevos.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	@$(CC) $(CFLAGS_M) $(LDFLAGS_M) -o $@ $< $(B)/librevos.a $(LIBS)

$(WEB_TEST): tests/web/test_dashboard.sh
	@mkdir -p $(dir $@)
	@install -m 755 $< $@

tests: $(TEST_BIN) $(B)/revos $(WEB_TEST)

web:
	scripts/build-web

# The test suites run with the sanitizers on; tests/run.sh prints the
# closing "N passed, N failed" line.
check:
	@scripts/install-deps --check
	$(MAKE) --no-print-directory MODE=asan tests
	REVOS_BIN=$(CURDIR)/build/asan/revos tests/run.sh build/asan

demo:
	scripts/install-deps
	$(MAKE) --no-print-directory revos
	scripts/build-web
	scripts/demo

bench:
	$(MAKE) --no-print-directory MODE=release revos $(BENCH_BIN)
	REVOS_BIN=$(CURDIR)/build/release/revos bench/run.sh build/release

valgrind:
	$(MAKE) --no-print-directory MODE=release tests
	REVOS_BIN=$(CURDIR)/build/release/revos VALGRIND=1 tests/run.sh build/release

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
fuzz:
	scripts/fuzz $(FUZZ_SRC)

format:
	clang-format -i $(wildcard src/*/*.[ch] tests/*/*.[ch] bench/*.c fuzz/*.c)

clean:
	rm -rf build revos web/dist

-include $(LIB_OBJ:.o=.d) $(B)/src/cli/main.d $(TEST_SUP_OBJ:.o=.d) $(TEST_BIN:=.d) $(BENCH_BIN:=.d)
