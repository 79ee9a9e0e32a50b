# tclog - plain make; see README.md.
#   make            build the commands into build/bin
#   make demo       run the main pipeline on examples/tool_calls.log
#   make check      all tests, plain and under ASan+UBSan, man page lint;
#                   warnings are errors (WERROR=1)
#   make check-valgrind  the tests under valgrind memcheck (slow)
#   make bench      speed and memory against jq, python3 and yajl (bench/)
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each (fuzz/)
#   make install    PREFIX=/usr/local, DESTDIR for staging

# What a fresh Debian machine needs, per target: tests/deps.sh installs
# what is missing (as root) or names it. One package a line; each list
# is defined here and nowhere else (tests/deps.test checks that every
# header the build reads comes from a package of DEMO_DEPS).
DEMO_DEPS = \
	libyajl-dev \
	libutf8proc-dev \
	libvectorscan-dev \
	libpcre2-dev \
	libcurl4-openssl-dev \
	pkg-config
CHECK_DEPS = $(DEMO_DEPS) \
	mandoc \
	python3 \
	python3-jinja2 \
	time \
	parallel
CHECK_VALGRIND_DEPS = $(CHECK_DEPS) \
	valgrind
BENCH_DEPS = $(DEMO_DEPS) \
	jq \
	python3 \
	yajl-tools
FUZZ_DEPS = $(DEMO_DEPS) \
	clang

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2
# Warnings are errors where we choose the compiler (make check, CI), not
# for a packager's newer one: make WERROR=1 turns them on.
WERROR ?=
WARNINGS = -std=c11 -Wall -Wextra $(if $(filter-out 0,$(WERROR)),-Werror)
CPPFLAGS += -D_GNU_SOURCE -Ilib
# Every compile also writes the headers it read to BUILD/dep/ (-MD), where
# tests/deps.test finds the Debian package of each header the build needs.
# (Not included as make rules: a source moved away would break the build.)
DEPFLAGS = -MD -MF $(BUILD)/dep/$(subst /,_,$(@:$(BUILD)/%=%)).d

# Each library through pkg-config when it knows it, else plainly.
# yajl (JSON) and utf8proc (the tokenizer's Unicode categories and NFC)
# serve every program: LIB_CFLAGS and LIB_LIBS.
YAJL_CFLAGS := $(shell pkg-config --cflags yajl 2>/dev/null)
YAJL_LIBS := $(shell pkg-config --libs yajl 2>/dev/null || echo -lyajl)
UTF8PROC_CFLAGS := $(shell pkg-config --cflags libutf8proc 2>/dev/null)
UTF8PROC_LIBS := $(shell pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc)
LIB_CFLAGS = $(YAJL_CFLAGS) $(UTF8PROC_CFLAGS)
LIB_LIBS = $(YAJL_LIBS) $(UTF8PROC_LIBS)
# tclog-scrub alone links the regular-expression engines: Vectorscan
# finds which rules match, PCRE2 where (bench/README.md says why).
REGEX_CFLAGS := $(shell pkg-config --cflags libhs libpcre2-8 2>/dev/null)
REGEX_LIBS := $(shell pkg-config --libs libhs libpcre2-8 2>/dev/null || \
	echo -lhs -lpcre2-8)
# tclog-eval alone links libcurl (HTTP to the model's endpoint).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

BUILD ?= build
# A command is one file, cmd/NAME.c, or one folder, cmd/NAME/ (as
# OpenBSD's usr.bin/sort), whose files are compiled apart and linked.
COMMANDS := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c)) \
	$(patsubst cmd/%/,%,$(wildcard cmd/*/))
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
PROGS := $(addprefix $(BUILD)/bin/,$(COMMANDS))
# Programs that only the tests use: built beside the commands, never
# installed. test-gen is the log generator of the tests and of the bench
# (bench/gen.c).
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/bin/test-%,$(wildcard tests/tools/*.c)) \
	$(BUILD)/bin/test-gen
# The bench's own programs (bench/README.md).
BENCH_TOOLS := $(addprefix $(BUILD)/bench/,floor parse measure)

SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g -O1

.PHONY: all demo check check-valgrind test install uninstall clean \
	deps-demo deps-check bench fuzz deps-bench deps-fuzz FORCE

all: $(PROGS) $(TEST_TOOLS)

# What everything in BUILD was compiled with: a change (WERROR, CFLAGS,
# CC) rebuilds it all rather than mixing objects of two settings.
FLAGS_LINE = $(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) \
	$(LDFLAGS)
$(BUILD)/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' > $@
FORCE:

$(BUILD)/lib/%.o: lib/%.c lib/tclog.h $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/libtclog.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libtclog.a lib/tclog.h $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) $(CMD_CFLAGS) \
		$(LDFLAGS) -o $@ $< $(BUILD)/libtclog.a $(LIB_LIBS) $(CMD_LIBS)

# tclog-scrub is a folder: each file an object (its headers listed by
# -MD, with -MP so that a header removed breaks nothing), the program
# their link. The Vectorscan database of its built-in rules is compiled
# once, here, by its own generator (dbgen.c), not at every start;
# engine.c includes it.
SCRUB_SRC := $(filter-out cmd/tclog-scrub/dbgen.c,$(wildcard cmd/tclog-scrub/*.c))
SCRUB_OBJ := $(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(SCRUB_SRC))
SCRUB_GEN_OBJ := $(patsubst cmd/tclog-scrub/%.c,$(BUILD)/gen/%.o, \
	$(filter-out cmd/tclog-scrub/main.c,$(wildcard cmd/tclog-scrub/*.c)))
-include $(wildcard $(BUILD)/dep/cmd_tclog-scrub_*.d $(BUILD)/dep/gen_*.o.d)

$(BUILD)/cmd/tclog-scrub/%.o: cmd/tclog-scrub/%.c $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MP $(LIB_CFLAGS) \
		$(REGEX_CFLAGS) -I$(BUILD)/gen -DTCLOG_SCRUB_DB -c -o $@ $<
$(BUILD)/cmd/tclog-scrub/engine.o: $(BUILD)/gen/tclog-scrub-db.inc

$(BUILD)/bin/tclog-scrub: $(SCRUB_OBJ) $(BUILD)/libtclog.a $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCRUB_OBJ) $(BUILD)/libtclog.a \
		$(LIB_LIBS) $(REGEX_LIBS)

$(BUILD)/gen/%.o: cmd/tclog-scrub/%.c $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) -MP $(LIB_CFLAGS) \
		$(REGEX_CFLAGS) -c -o $@ $<

$(BUILD)/gen/tclog-scrub-db-gen: $(SCRUB_GEN_OBJ) $(BUILD)/libtclog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCRUB_GEN_OBJ) $(BUILD)/libtclog.a \
		$(LIB_LIBS) $(REGEX_LIBS)

$(BUILD)/gen/tclog-scrub-db.inc: $(BUILD)/gen/tclog-scrub-db-gen
	$< > $@.tmp && mv $@.tmp $@

$(BUILD)/bin/tclog-eval: CMD_CFLAGS = $(CURL_CFLAGS)
$(BUILD)/bin/tclog-eval: CMD_LIBS = $(CURL_LIBS)

$(BUILD)/bin/test-%: tests/tools/%.c $(BUILD)/libtclog.a lib/tclog.h $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(BUILD)/libtclog.a $(LIB_LIBS)

$(BUILD)/bin/test-gen: bench/gen.c $(BUILD)/libtclog.a lib/tclog.h $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(BUILD)/libtclog.a $(LIB_LIBS)

deps-demo:
	@sh tests/deps.sh $(CC) $(DEMO_DEPS)

deps-check:
	@sh tests/deps.sh $(CC) $(CHECK_DEPS)

demo: deps-demo
	@$(MAKE) -s --no-print-directory all
	@sh examples/demo.sh $(BUILD)/bin

# make check: the suite as built and built with AddressSanitizer and
# UndefinedBehaviorSanitizer, on CHECK_JOBS workers (one a core) that
# share the tests of both modes. make check-valgrind: the suite under
# valgrind memcheck, slow (about 13 minutes, CHECK_JOBS workers sharing
# its tests); CI runs both. Warnings are errors in both.
# Memory still reachable when a fatal error exits (err() deep in a write)
# is no leak; what main forgot to free is lost once main returns.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible
CHECK_JOBS ?= 2
check check-valgrind: WERROR = 1

check: deps-check
	@sh tests/deps-npm.sh $(BUILD)/npm
	@$(MAKE) -s --no-print-directory all WERROR=$(WERROR)
	@$(MAKE) -s --no-print-directory all BUILD=$(BUILD)/sanitize \
		CFLAGS="$(SANITIZE)" LDFLAGS="$(SANITIZE)" WERROR=$(WERROR)
	@CC="$(CC)" TCLOG_NPM=$(abspath $(BUILD))/npm bash tests/run \
		-j $(CHECK_JOBS) --mode plain=$(BUILD)/bin \
		--mode sanitize=$(BUILD)/sanitize/bin

check-valgrind:
	@sh tests/deps.sh $(CC) $(CHECK_VALGRIND_DEPS)
	@command -v valgrind >/dev/null || \
		{ echo "make check-valgrind: valgrind is not installed" >&2; exit 2; }
	@sh tests/deps-npm.sh $(BUILD)/npm
	@$(MAKE) -s --no-print-directory all WERROR=$(WERROR)
	@CC="$(CC)" TCLOG_NPM=$(abspath $(BUILD))/npm bash tests/run \
		-j $(CHECK_JOBS) --mode "valgrind=$(BUILD)/bin:$(VALGRIND)"

test: check

# bench/: the bare yajl parse loop, the library's parse loop and a timer
# (BENCH_TOOLS), and the log generator built as test-gen; bench/run
# measures every built command against jq, python3 and yajl
# (bench/README.md).
$(BUILD)/bench/%: bench/%.c $(BUILD)/libtclog.a lib/tclog.h $(BUILD)/flags
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) $(LIB_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(BUILD)/libtclog.a $(LIB_LIBS)

deps-bench:
	@sh tests/deps.sh $(CC) $(BENCH_DEPS)

bench: deps-bench
	@sh tests/deps-npm.sh $(BUILD)/npm
	@$(MAKE) --no-print-directory all $(BENCH_TOOLS)
	@bash bench/run $(BUILD)

# fuzz/: libFuzzer harnesses (clang), each run for FUZZ_SECONDS; all of
# them, or those FUZZ_HARNESSES names (reader record cmd-tclog-cat ...),
# FUZZ_JOBS at a time (the environment's; default one a core).
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?=
FUZZ_CC ?= clang

deps-fuzz:
	@sh tests/deps.sh $(FUZZ_CC) $(FUZZ_DEPS)

fuzz: deps-fuzz
	@bash fuzz/run $(FUZZ_SECONDS) $(FUZZ_CC) $(BUILD)/fuzz $(FUZZ_HARNESSES)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(COMMANDS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))

clean:
	rm -rf $(BUILD)

# make -s print-DEMO_DEPS (or any variable): its value, for scripts.
print-%: FORCE
	@echo $($*)
